import type { Base, Operation, RouteInput } from './operations.js';

// What the hand-written routes of unpublished bucket operations share (oss/qos-route.ts, oss/async-fetch-route.ts):
// the one check on the bucket, and "this sub-resource and no other" → the operation its method names.

/** One check of `action` on the bucket itself, granted by owner and policies only (never an ACL). */
export function onBucket(bucket: string, action: string): Base {
  return { bucket, key: null, checks: [{ action, bucket, key: null, acl: 'none' }] };
}

/**
 * A request on a bucket (no key) naming `own` and no other sub-resource (`isSubresource` tells them): the operation
 * its method maps to in `byMethod`, authorized as `oss:<name>`; null for anything else (left to the refusals).
 */
export function bucketSubresourceRoute(
  input: RouteInput, own: string, isSubresource: (key: string) => boolean, byMethod: Readonly<Record<string, SimpleBucketOperation>>,
): Operation | null {
  const { method, address, query } = input;
  const { bucket, key } = address;
  if (!query.has(own) || bucket === null || key !== null) return null;
  for (const k of query.keys()) {
    if (k !== own && isSubresource(k)) return null;
  }
  const name = byMethod[method];
  if (name === undefined) return null;
  const op: Operation = { name, ...onBucket(bucket, `oss:${name}`) };
  return op;
}

/** The unpublished bucket operations routed by bucketSubresourceRoute (each a plain operation without params). */
export type SimpleBucketOperation = 'PutAsyncFetchTask' | 'GetAsyncFetchTask' | 'PutBucketStorageCapacity' | 'GetBucketStorageCapacity';
