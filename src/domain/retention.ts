import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import { jsonConfig, readConfig, updateConfig, type ConfigKind } from './bucket-config.js';
import { requireBucket, timingOf, type DomainContext } from './context.js';
import type { Bucket, ObjectRecord } from './model.js';
import type { BucketIncarnation } from '../store/meta/types.js';
import { assertObjectUnlocked, objectWormEnabled } from './object-worm.js';

// WORM (time-based retention) of a bucket: the policy's state machine and the one check every path that
// removes or replaces an object's data calls. A policy protects from the moment it is initiated: while
// InProgress (the 24 hours it may still be locked or aborted) and once Locked, an object cannot be deleted
// or overwritten until its last modification is RetentionPeriodInDays old. An InProgress policy not locked
// within a day lapses on its own (computed from the clock; nothing runs to expire it).

/** RetentionPeriodInDays: 1 day to 70 years. */
export const RETENTION_DAYS = { min: 1, max: 25_550 } as const;

export type WormState = 'InProgress' | 'Locked';

/** The stored policy (bucket configuration 'worm'). */
export interface WormPolicy {
  wormId: string;
  state: WormState;
  days: number;
  createdAt: number;
}

export const WORM: ConfigKind<WormPolicy> = jsonConfig<WormPolicy>('worm');

/** The policy as it stands at `now`: null when there is none or an unlocked one has lapsed. */
export function livePolicy(bucket: Bucket, now: number, dayMs: number): WormPolicy | null {
  const p = readConfig(bucket, WORM);
  if (p === null) return null;
  if (p.state === 'InProgress' && now >= p.createdAt + dayMs) return null;
  return p;
}

/** When an unlocked policy lapses (GetBucketWorm's ExpirationDate); null once locked. */
export function lapsesAt(p: WormPolicy, dayMs: number): number | null {
  return p.state === 'InProgress' ? p.createdAt + dayMs : null;
}

/**
 * Until when `obj` is protected in `bucket`, or null when it is not (no live policy, or its retention ended).
 * Works on any ObjectRecord, current object or older version alike.
 */
export function protectedUntil(bucket: Bucket, obj: Pick<ObjectRecord, 'lastModified'>, now: number, dayMs: number): number | null {
  const p = livePolicy(bucket, now, dayMs);
  if (p === null) return null;
  const until = obj.lastModified + p.days * dayMs;
  return until > now ? until : null;
}

/**
 * The retention check of the request path and of background jobs (lifecycle expiration): a function that
 * throws FileImmutable for an object `bucket` still protects, or undefined when the bucket has no live
 * policy (then nothing needs checking). Call it on the record about to be removed or replaced, inside the
 * store's transaction where one is available, so a racing writer cannot slip a protected object under it.
 */
export function retentionGuard(ctx: Pick<DomainContext, 'clock' | 'timing'>, bucket: Bucket, governanceLifted = false): ((obj: ObjectRecord) => void) | undefined {
  const dayMs = timingOf(ctx).retentionDayMs;
  // Object-level retention and legal holds (domain/object-worm.ts) protect each version on their own; a GOVERNANCE
  // retention not when `governanceLifted` (a delete whose caller may bypass it, ObjectsService.delete).
  if (objectWormEnabled(bucket)) return (obj) => assertObjectUnlocked(bucket, obj, ctx.clock(), dayMs, governanceLifted);
  if (livePolicy(bucket, ctx.clock(), dayMs) === null) return undefined;
  return (obj) => {
    if (protectedUntil(bucket, obj, ctx.clock(), dayMs) !== null) throw new AppError('FileImmutable', undefined, { Key: obj.key });
  };
}

/** Whether the bucket's policy still protects `obj` (for jobs that skip rather than fail, e.g. lifecycle). */
export function isProtected(ctx: Pick<DomainContext, 'clock' | 'timing'>, bucket: Bucket, obj: Pick<ObjectRecord, 'lastModified'>): boolean {
  return protectedUntil(bucket, obj, ctx.clock(), timingOf(ctx).retentionDayMs) !== null;
}

export function parseDays(raw: string | undefined): number {
  if (raw === undefined) {
    throw new AppError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.', { ErrorDetail: 'RetentionPeriodInDays is required.' }, '0027-00000004');
  }
  const text = raw.trim();
  if (!/^-?\d{1,12}$/.test(text)) {
    throw new AppError('InvalidArgument', 'RetentionPeriodInDays must be an integer.', { ArgumentName: 'RetentionPeriodInDays', ArgumentValue: raw }, '0027-00000005');
  }
  const days = Number(text);
  if (days < RETENTION_DAYS.min || days > RETENTION_DAYS.max) {
    throw new AppError('InvalidArgument', `RetentionPeriodInDays must be between ${RETENTION_DAYS.min} and ${RETENTION_DAYS.max}.`, { ArgumentName: 'RetentionPeriodInDays', ArgumentValue: raw }, '0027-00000002');
  }
  return days;
}

const noPolicy = (): AppError => new AppError('NoSuchWORMConfiguration');
const noSuchId = (wormId: string): AppError => new AppError('NoSuchWORMConfiguration', 'The specified WORM ID does not exist.', { WormId: wormId });

/** Initiate/Abort/Complete/Extend/Get: each decided inside the store's transaction on the policy as stored. */
export class RetentionService {
  constructor(private readonly ctx: DomainContext) {}

  /** How long a retention "day" is (tests shorten it). */
  get dayMs(): number {
    return timingOf(this.ctx).retentionDayMs;
  }

  /** The live policy of a decider's `current` (a lapsed InProgress one counts as none). */
  private live(current: WormPolicy | null): WormPolicy | null {
    if (current === null) return null;
    if (current.state === 'InProgress' && this.ctx.clock() >= current.createdAt + this.dayMs) return null;
    return current;
  }

  /**
   * A new InProgress policy; returns its id. A lapsed one is replaced; a live one is not. `sameBucket`: the bucket
   * the request was authorized on, captured before its body (ConfigWriteOptions), as for extend.
   */
  async initiate(bucketName: string, rawDays: string | undefined, sameBucket?: BucketIncarnation): Promise<string> {
    const days = parseDays(rawDays);
    const wormId = randomBytes(16).toString('hex').toUpperCase();
    await updateConfig(this.ctx, bucketName, WORM, (current, bucket): WormPolicy | null => {
      // OSS's pages: a bucket-level policy and object-level retention (ObjectWorm) exclude each other.
      if (objectWormEnabled(bucket)) throw new AppError('InvalidRequest', 'The bucket has object-level retention (ObjectWorm); a bucket-level retention policy cannot be initiated.');
      const live = this.live(current);
      if (live?.state === 'Locked') throw new AppError('WORMConfigurationLocked');
      if (live !== null) throw new AppError('InvalidWORMConfiguration', 'A retention policy is already in progress for this bucket; complete or abort it first.', { WormId: live.wormId });
      return { wormId, state: 'InProgress', days, createdAt: this.ctx.clock() };
    }, { sameBucket });
    return wormId;
  }

  /** Deletes an unlocked policy; a locked one stays (WORMConfigurationLocked). */
  async abort(bucketName: string): Promise<void> {
    await updateConfig(
      this.ctx,
      bucketName,
      WORM,
      (current) => {
        const live = this.live(current);
        if (live === null) throw noPolicy();
        if (live.state === 'Locked') throw new AppError('WORMConfigurationLocked');
        return null;
      },
      { removing: true },
    );
  }

  /** Locks the InProgress policy `wormId` (within its day); locking a locked one again changes nothing. */
  async complete(bucketName: string, wormId: string): Promise<void> {
    await updateConfig(this.ctx, bucketName, WORM, (current): WormPolicy | null => {
      const live = this.live(current);
      if (live === null) throw noPolicy();
      if (live.wormId !== wormId) throw noSuchId(wormId);
      return live.state === 'Locked' ? live : { ...live, state: 'Locked' };
    });
  }

  /** Lengthens a locked policy's retention; never shortens it, never extends an unlocked one. */
  async extend(bucketName: string, wormId: string, rawDays: string | undefined, sameBucket?: BucketIncarnation): Promise<void> {
    const days = parseDays(rawDays);
    await updateConfig(this.ctx, bucketName, WORM, (current): WormPolicy | null => {
      const live = this.live(current);
      if (live === null) throw noPolicy();
      if (live.wormId !== wormId) throw noSuchId(wormId);
      if (live.state !== 'Locked') throw new AppError('InvalidWORMConfiguration', 'Only a locked retention policy can be extended.', { WormId: wormId });
      if (days < live.days) {
        throw new AppError('InvalidWORMConfiguration', `The retention period of a locked policy cannot be shortened (it is ${live.days} days).`, { WormId: wormId });
      }
      return { ...live, days };
    }, { sameBucket });
  }

  /** The live policy and, while unlocked, when it lapses. */
  async get(bucketName: string): Promise<{ policy: WormPolicy; lapsesAt: number | null }> {
    const bucket = await requireBucket(this.ctx, bucketName);
    const policy = livePolicy(bucket, this.ctx.clock(), this.dayMs);
    if (policy === null) throw noPolicy();
    return { policy, lapsesAt: lapsesAt(policy, this.dayMs) };
  }
}
