import { AppError } from '../errors.js';
import { deleteConfig, putConfig } from './bucket-config.js';
import { requireBucket, type DomainContext } from './context.js';
import { expirationOf, LIFECYCLE, lifecycleOf, validateLifecycle, type LifecycleConfig } from './lifecycle.js';
import type { Bucket, ObjectRecord } from './model.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Put/Get/DeleteBucketLifecycle and the expiration GET/HEAD announce (`x-oss-expiration`). */
export class LifecycleService {
  /** `dayMs`: how long a lifecycle "day" is (a real day unless --lifecycle-day-seconds shortens it). */
  constructor(
    private readonly ctx: DomainContext,
    readonly dayMs: number = DAY_MS,
  ) {}

  /** Validates the whole document first: a refused one leaves the previous rules in place. */
  async put(bucket: string, config: LifecycleConfig, opts: { allowSameActionOverlap: boolean }): Promise<void> {
    await requireBucket(this.ctx, bucket);
    await putConfig(this.ctx, bucket, LIFECYCLE, validateLifecycle(config, opts));
  }

  async get(bucket: string): Promise<LifecycleConfig> {
    const config = lifecycleOf(await requireBucket(this.ctx, bucket));
    if (!config) throw new AppError('NoSuchLifecycle', undefined, { BucketName: bucket });
    return config;
  }

  async delete(bucket: string): Promise<void> {
    await deleteConfig(this.ctx, bucket, LIFECYCLE);
  }

  /** When a rule of the object's bucket `b` will expire it, and which (null: none will). */
  expiration(b: Bucket, obj: ObjectRecord): { at: number; rule: string } | null {
    const config = lifecycleOf(b);
    return config ? expirationOf(config, obj, this.dayMs) : null;
  }
}
