import type { Principal } from '../auth/principal.js';
import type { Bucket } from '../domain/model.js';
import type { AuthzCheck, Operation } from '../oss/operations.js';
import { AccessDeniedError, authorize, type AuthzDeps } from './authorize.js';

// Inventory runs (docs/inventory.md, "Authorization"): a run lists its source bucket, current objects or every
// version, on behalf of the bucket's owner. PutBucketInventory checked its caller; the run checks again, at
// each run, that the owner's root may list the source as the run will (oss:ListObjects, and
// oss:ListObjectVersions for IncludedObjectVersions All) through the one authorization path, so an explicit
// Deny in the source's bucket policy naming the owner, added after the configuration, stops the listing.

/** The refused action as the run's error (null: allowed). */
export type InventoryListingGate = (source: Bucket, allVersions: boolean) => Promise<string | null>;

export function inventoryListingGate(deps: AuthzDeps, clock: () => number): InventoryListingGate {
  return async (source, allVersions) => {
    const principal: Principal = { type: 'root', accountId: source.ownerAccountId, accessKeyId: '' };
    const checks: AuthzCheck[] = [
      { action: 'oss:ListObjects', bucket: source.name, key: null, acl: 'read' },
      ...(allVersions ? [{ action: 'oss:ListObjectVersions', bucket: source.name, key: null, acl: 'read' } as const] : []),
    ];
    const op: Operation = { name: 'ListObjectVersions', bucket: source.name, key: null, checks };
    // A run has no network origin, headers or query: conditions on them do not hold.
    const facts = { sourceIp: '', secureTransport: true, now: clock(), headers: {}, query: new Map<string, string>() };
    try {
      await authorize(principal, op, deps, facts, checks);
      return null;
    } catch (err) {
      if (err instanceof AccessDeniedError) return `${err.check.action} on the source bucket is denied to its owner`;
      throw err;
    }
  };
}
