import type { Readable } from 'node:stream';
import { AppError, invalidArgument } from '../errors.js';
import { jsonConfig, readConfig, updateConfig } from './bucket-config.js';
import { storageOf } from './bucket-stat.js';
import { dropBlobs, requireBucket, type DomainContext } from './context.js';
import type { Bucket } from './model.js';
import type { BucketIncarnation, CapacityGuard } from '../store/meta/types.js';

// A bucket's storage capacity (docs/storage-capacity.md): PutBucketStorageCapacity / GetBucketStorageCapacity
// (`?qos`, <BucketUserQos><StorageCapacity>), in GB, -1 for none. Enforced on every write that adds bytes: the
// bucket's Storage figure (GetBucketStat's: every version that holds data and every uploaded part) plus the write
// must not go over it. Rules only, no HTTP.

/** The configuration: capacity in GB. Absent when none (-1) is set, so unlimited buckets carry nothing. */
const CAPACITY = jsonConfig<{ gb: number }>('storage-capacity');

/** GB as 2^30 bytes [UNVERIFIED: whether OSS counts 10^9]. */
const GB = 2 ** 30;

/** The text OSS answers a write over the capacity with (the PHP SDK's OssClientBucketStorageCapacityTest). */
const EXCEEDED = 'Bucket storage exceed max storage capacity.';

/** What a capacity must be: a whole number of GB, -1 (no limit) or more (the SDKs' tests send -2 and expect a refusal). */
export const CAPACITY_RULE = 'StorageCapacity must be an integer number of GB, -1 (no limit) or more.';

/** The bucket's capacity in bytes, or null: read off the cached bucket record, nothing queried. */
function capacityOf(bucket: Bucket): number | null {
  const c = readConfig(bucket, CAPACITY);
  return c === null ? null : c.gb * GB;
}

async function enforce(ctx: DomainContext, bucket: string, capacity: number, adding: number): Promise<void> {
  const used = storageOf(await ctx.meta.bucketStats(bucket));
  if (used + adding > capacity) throw new AppError('StorageCapacityExceeded', EXCEEDED, { BucketName: bucket });
}

function check(ctx: DomainContext, b: Bucket, adding: number): Promise<void> | undefined {
  const capacity = capacityOf(b);
  return capacity === null ? undefined : enforce(ctx, b.name, capacity, adding);
}

/**
 * Refuses (StorageCapacityExceeded) a write adding `adding` bytes to a bucket with a capacity it would go over;
 * `adding` 0 refuses only when the bucket is over it already (a capacity lowered below what it holds). Undefined,
 * with no promise and no query, when the bucket has no capacity (a cached bucket record): the write path's usual
 * case, so callers await only what they get. Writes running meanwhile are not counted here: capacityGuard counts
 * them at the commit.
 */
export function capacityCheck(ctx: DomainContext, bucket: string, adding: number): Promise<void> | undefined {
  let b: Bucket | Promise<Bucket>;
  try {
    b = requireBucket(ctx, bucket);
  } catch (err) {
    // Deleted meanwhile (NoSuchBucket): refused like the capacity, so a body waiting to be read is still drained.
    return Promise.reject(err);
  }
  return b instanceof Promise ? b.then((found) => check(ctx, found, adding)) : check(ctx, b, adding);
}

/**
 * The capacity check a write carries into its commit (the store's CapacityGuard): refused when the write leaves
 * the bucket holding more than before and more than its capacity. The store runs it with the bucket's other
 * capacity-checked writes held off, so writes racing each other are counted against each other (each one's early
 * check above saw the room before any of them landed). Undefined, nothing queried, when the bucket has no capacity.
 */
export function capacityGuard(ctx: DomainContext, bucket: string): CapacityGuard | undefined | Promise<CapacityGuard | undefined> {
  const make = (b: Bucket): CapacityGuard | undefined => {
    const capacity = capacityOf(b);
    if (capacity === null) return undefined;
    return {
      check(before: number, after: number): void {
        if (after > before && after > capacity) throw new AppError('StorageCapacityExceeded', EXCEEDED, { BucketName: bucket });
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
export function capacityAfterBody(ctx: DomainContext, bucket: string, size: number, fresh: string[]): Promise<void> | undefined {
  const pending = capacityCheck(ctx, bucket, size);
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
