import type { Principal } from '../auth/principal.js';
import type { Bucket, ObjectRecord } from '../domain/model.js';
import { AppError } from '../errors.js';
import type { AuthzCheck, Operation } from '../oss/operations.js';

/** What authorization may read: the resources an operation touches. */
export interface AuthzLookup {
  getBucket(name: string): Promise<Bucket | null>;
  getObject(bucket: string, key: string): Promise<ObjectRecord | null>;
}

/**
 * The single authorization call site for OSS requests. Today: the bucket owner's account is allowed
 * everything on its buckets; everyone else (anonymous included) only what bucket/object ACLs grant.
 * The RAM policy engine, bucket policies and STS session policies slot in here (spec ram-sts §2.3).
 */
export async function authorize(principal: Principal, op: Operation, lookup: AuthzLookup): Promise<void> {
  for (const check of op.checks) await authorizeCheck(principal, check, lookup);
}

async function authorizeCheck(principal: Principal, check: AuthzCheck, lookup: AuthzLookup): Promise<void> {
  const anonymous = principal.type === 'anonymous';
  if (check.bucket === null) {
    if (anonymous) throw new AppError('AccessDenied', 'Anonymous access is forbidden for this operation.');
    return;
  }
  const bucket = await lookup.getBucket(check.bucket);
  // A missing bucket is the handler's NoSuchBucket, not a denial (as OSS answers).
  if (!bucket) return;
  if (principal.type === 'root' && principal.accountId === bucket.ownerAccountId) return;

  if (check.acl === 'none') {
    if (anonymous) {
      throw new AppError('AccessDenied', check.key === null ? 'Anonymous user has no right to access this bucket.' : 'Anonymous access is forbidden for this operation.');
    }
    if (check.action === 'oss:GetObjectAcl') throw new AppError('AccessDenied', 'You do not have read acl permission on this object.');
    if (check.action === 'oss:PutObjectAcl') throw new AppError('AccessDenied', 'You do not have write acl permission on this object.');
    throw new AppError('AccessDenied', check.key === null ? 'The bucket you access does not belong to you.' : 'You have no right to access this object.');
  }

  let acl = bucket.acl;
  if (check.key !== null) {
    const obj = await lookup.getObject(check.bucket, check.key);
    if (obj && obj.acl !== 'default') acl = obj.acl;
  }
  const granted = check.acl === 'read' ? acl === 'public-read' || acl === 'public-read-write' : acl === 'public-read-write';
  if (granted) return;
  if (anonymous) {
    throw new AppError('AccessDenied', check.key === null ? 'Anonymous user has no right to access this bucket.' : 'Anonymous user has no right to access this object.');
  }
  throw new AppError('AccessDenied', 'You have no right to access this object because of bucket acl.');
}
