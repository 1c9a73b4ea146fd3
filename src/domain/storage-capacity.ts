import type { Readable } from 'node:stream';
import { AppError, invalidArgument, type ErrorCode } from '../errors.js';
import { jsonConfig, readConfig, updateConfig } from './bucket-config.js';
import { storageOf } from './bucket-stat.js';
import { dropBlobs, requireBucket, type DomainContext } from './context.js';
import type { Bucket } from './model.js';
import { storedKind } from './stored-configs.js';
import { versioningStatus } from './versioning.js';
import type { BucketIncarnation, CapacityGuard } from '../store/meta/types.js';
import { NULL_VERSION } from '../store/meta/versions.js';

// A bucket's storage limits (docs/storage-capacity.md): the capacity of PutBucketStorageCapacity /
// GetBucketStorageCapacity (`?qos`, <BucketUserQos><StorageCapacity>), in GB, -1 for none, and the Strict storage
// quota of the Go SDK v2's PutBucketStorageQuota (`?quota`, <QuotaConfiguration>, bytes; a Warning quota limits
// nothing). Enforced together, the tighter of the two, on every write that adds bytes: the bucket's Storage figure
// (GetBucketStat's: every version that holds data and every uploaded part) plus the write must not go over it.
// Rules only, no HTTP.

/** The configuration: capacity in GB. Absent when none (-1) is set, so unlimited buckets carry nothing. */
const CAPACITY = jsonConfig<{ gb: number }>('storage-capacity');

/** The stored configuration PutBucketStorageQuota keeps (oss/handlers/storage-quota.ts): { StorageQuota, Mode }. */
export const STORAGE_QUOTA = 'storage-quota';
const QUOTA = storedKind(STORAGE_QUOTA);

/** GB as 2^30 bytes [UNVERIFIED: whether OSS counts 10^9]. */
const GB = 2 ** 30;

/** The text OSS answers a write over the capacity with (the PHP SDK's OssClientBucketStorageCapacityTest). */
const EXCEEDED = 'Bucket storage exceed max storage capacity.';

/** What a capacity must be: a whole number of GB, -1 (no limit) or more (the SDKs' tests send -2 and expect a refusal). */
export const CAPACITY_RULE = 'StorageCapacity must be an integer number of GB, -1 (no limit) or more.';

/** The limit a bucket's writes are held to, and the error a write over it gets. */
interface Limit {
  bytes: number;
  code: ErrorCode;
  message?: string;
}

/** The bucket's Strict quota in bytes, or null (none, or Warning: writes go through). */
function strictQuotaOf(bucket: Bucket): number | null {
  const q = readConfig(bucket, QUOTA);
  if (q === null || typeof q !== 'object' || Array.isArray(q) || typeof q.StorageQuota !== 'number') return null;
  return q.Mode === 'Warning' ? null : q.StorageQuota;
}

/**
 * The tighter of the bucket's capacity and Strict quota, or null: read off the cached bucket record, nothing
 * queried. At equal sizes the capacity's error is the answer.
 */
function limitOf(bucket: Bucket): Limit | null {
  const c = readConfig(bucket, CAPACITY);
  const quota = strictQuotaOf(bucket);
  if (quota !== null && (c === null || quota < c.gb * GB)) return { bytes: quota, code: 'BucketStorageQuotaExceeded' };
  return c === null ? null : { bytes: c.gb * GB, code: 'StorageCapacityExceeded', message: EXCEEDED };
}

function exceeded(limit: Limit, bucket: string): AppError {
  return new AppError(limit.code, limit.message, { BucketName: bucket });
}

/**
 * The bytes a write to `key` takes out of the bucket when it lands: the object it replaces for good (unversioned,
 * or Suspended with the null version current); an Enabled bucket keeps the old version, which still counts.
 */
async function replacedBytes(ctx: DomainContext, b: Bucket, key: string): Promise<number> {
  const status = versioningStatus(b);
  if (status === 'Enabled') return 0;
  const current = await ctx.meta.getObject(b.name, key);
  if (current === null) return 0;
  return status === null || (current.versionId ?? NULL_VERSION) === NULL_VERSION ? current.size : 0;
}

async function enforce(ctx: DomainContext, b: Bucket, limit: Limit, adding: number, replacing: string | undefined): Promise<void> {
  const used = storageOf(await ctx.meta.bucketStats(b.name));
  if (used + adding <= limit.bytes) return;
  if (replacing === undefined || used + adding - (await replacedBytes(ctx, b, replacing)) > limit.bytes) throw exceeded(limit, b.name);
}

function check(ctx: DomainContext, b: Bucket, adding: number, replacing: string | undefined): Promise<void> | undefined {
  const limit = limitOf(b);
  return limit === null ? undefined : enforce(ctx, b, limit, adding, replacing);
}

/**
 * Refuses (StorageCapacityExceeded, or BucketStorageQuotaExceeded when the Strict quota is the tighter limit) a write
 * adding `adding` bytes to a bucket with a limit it would go over; `adding` 0 refuses only when the bucket is over it
 * already (a limit lowered below what it holds). `replacing`: the key a new object is written to, whose current bytes
 * the write takes out when it replaces them (replacedBytes), looked at only when the write would not fit otherwise.
 * Undefined, with no promise and no query, when the bucket has no limit (a cached bucket record): the write path's
 * usual case, so callers await only what they get. Writes running meanwhile are not counted here: capacityGuard counts
 * them at the commit.
 */
export function capacityCheck(ctx: DomainContext, bucket: string, adding: number, replacing?: string): Promise<void> | undefined {
  let b: Bucket | Promise<Bucket>;
  try {
    b = requireBucket(ctx, bucket);
  } catch (err) {
    // Deleted meanwhile (NoSuchBucket): refused like the capacity, so a body waiting to be read is still drained.
    return Promise.reject(err);
  }
  return b instanceof Promise ? b.then((found) => check(ctx, found, adding, replacing)) : check(ctx, b, adding, replacing);
}

/**
 * The limit check a write carries into its commit (the store's CapacityGuard): refused when the write leaves the
 * bucket holding more than before and more than its limit (limitOf). The store runs it with the bucket's other
 * limit-checked writes held off, so writes racing each other are counted against each other (each one's early
 * check above saw the room before any of them landed). Undefined, nothing queried, when the bucket has no limit.
 */
export function capacityGuard(ctx: DomainContext, bucket: string): CapacityGuard | undefined | Promise<CapacityGuard | undefined> {
  const make = (b: Bucket): CapacityGuard | undefined => {
    const limit = limitOf(b);
    if (limit === null) return undefined;
    return {
      check(before: number, after: number): void {
        if (after > before && after > limit.bytes) throw exceeded(limit, bucket);
      },
    };
  };
  const b = requireBucket(ctx, bucket);
  return b instanceof Promise ? b.then(make) : make(b);
}

/** The check before a body is read: a refused body is drained so the answer can be sent. */
export async function capacityBeforeBody(pending: Promise<void>, body: Readable): Promise<void> {
  try {
    await pending;
  } catch (err) {
    body.resume();
    throw err;
  }
}

/**
 * The check of a body whose size was known only once it was in (chunked, a form's file): refused, its fresh blobs
 * are dropped. Undefined when there is nothing to wait for, as capacityCheck.
 */
export function capacityAfterBody(ctx: DomainContext, bucket: string, size: number, fresh: string[], replacing?: string): Promise<void> | undefined {
  const pending = capacityCheck(ctx, bucket, size, replacing);
  return pending?.catch(async (err: unknown) => {
    await dropBlobs(ctx, fresh);
    throw err;
  });
}

export class StorageCapacityService {
  constructor(private readonly ctx: DomainContext) {}

  /** The bucket's capacity in GB, -1 when none is set (OSS's answer for a new bucket). */
  async get(bucket: string): Promise<number> {
    return readConfig(await requireBucket(this.ctx, bucket), CAPACITY)?.gb ?? -1;
  }

  /**
   * Sets the capacity in GB (CAPACITY_RULE); -1 removes it, so a bucket without a limit carries nothing.
   * A capacity below what the bucket holds is taken: its writes are refused until it holds less. `sameBucket`: the
   * bucket the request was authorized on, captured before its body (ConfigWriteOptions).
   */
  async put(bucket: string, gb: number, sameBucket?: BucketIncarnation): Promise<void> {
    if (!Number.isSafeInteger(gb) || gb < -1) throw invalidArgument(CAPACITY_RULE, 'StorageCapacity', String(gb));
    await updateConfig(this.ctx, bucket, CAPACITY, () => (gb === -1 ? null : { gb }), { sameBucket });
  }
}
