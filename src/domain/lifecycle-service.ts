import { AppError } from '../errors.js';
import { accessTrackingSince } from './access-monitor.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { deleteConfig, replaceConfig } from './bucket-config.js';
import { requireBucket, type DomainContext } from './context.js';
import { assertAccessTracking, expirationOf, LIFECYCLE, lifecycleOf, validateLifecycle, type LifecycleConfig } from './lifecycle.js';
import type { Bucket, ObjectRecord } from './model.js';
import type { BucketIncarnation } from '../store/meta/types.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Put/Get/DeleteBucketLifecycle and the expiration GET/HEAD announce (`x-oss-expiration`). */
export class LifecycleService {
  /** `dayMs`: how long a lifecycle "day" is (a real day unless --lifecycle-day-seconds shortens it). */
  constructor(
    private readonly ctx: DomainContext,
    readonly dayMs: number = DAY_MS,
  ) {}

  /**
   * Validates the whole document first: a refused one leaves the previous rules in place. Rules on the last
   * access time need the bucket's access tracking on, judged inside the store's transaction (which holds the
   * bucket) as PutBucketAccessMonitor's refusal to switch it off while such rules exist is.
   */
  /** `opts.sameBucket`: the bucket the request was authorized on, before its body (ConfigWriteOptions). */
  async put(bucket: string, config: LifecycleConfig, opts: { allowSameActionOverlap: boolean; sameBucket?: BucketIncarnation }): Promise<void> {
    await requireBucket(this.ctx, bucket);
    // A turn of the event loop after the body's parse and after the check: each of the three steps of a 1,000-rule
    // configuration (parse, check, store) holds the loop tens of ms, and together they held it 100-300 ms.
    await nextTurn();
    // Every other fault first, as before any write is considered (the switch is read inside the transaction).
    const valid = validateLifecycle(config, opts);
    await nextTurn();
    await replaceConfig(this.ctx, bucket, LIFECYCLE, (b) => {
      assertAccessTracking(valid, accessTrackingSince(b) !== null);
      return valid;
    }, { sameBucket: opts.sameBucket });
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
