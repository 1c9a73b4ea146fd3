import { assertVersionId, versionIdHeader } from './versioning.js';
import { AppError } from '../errors.js';
import { admitSmall } from './admission.js';
import { requireBucket, timingOf, type DomainContext } from './context.js';
import { isIncarnation, type BucketIncarnation } from '../store/meta/types.js';
import { RESTORE_TIERS, type ObjectAttrs, type ObjectRecord, type RestoreAttrs, type RestoreTier, type StorageClass } from './model.js';

// Archive, ColdArchive and DeepColdArchive objects are frozen: their bytes cannot be read (GetObject,
// CopyObject and UploadPartCopy sources) until a RestoreObject has made a temporary copy, except Archive
// objects of a bucket with real-time access on (archive-direct-read.ts). The restore's
// times live in the object's attrs; whether it is still running, done or expired is computed from the
// clock, so no job has to finish or expire it. The delay and the length of a "day" are development knobs
// (ProtectionTiming, docs/data-protection.md).

export const ARCHIVE_CLASSES: ReadonlySet<StorageClass> = new Set(['Archive', 'ColdArchive', 'DeepColdArchive']);

export const isArchived = (obj: Pick<ObjectRecord, 'storageClass'>): boolean => ARCHIVE_CLASSES.has(obj.storageClass);

/** RestoreRequest Days per class (OSS: Archive 1–7, the cold classes 1–365; EC 0016-00000708 / 0016-00000704). */
const DAYS: Readonly<Record<string, { max: number; ec: string }>> = {
  Archive: { max: 7, ec: '0016-00000708' },
  ColdArchive: { max: 365, ec: '0016-00000704' },
  DeepColdArchive: { max: 365, ec: '0016-00000704' },
};

/** Priorities each cold class offers (DeepColdArchive has no Bulk). */
const TIERS: Readonly<Record<string, readonly RestoreTier[]>> = {
  ColdArchive: RESTORE_TIERS,
  DeepColdArchive: ['Expedited', 'Standard'],
};

export type RestoreStatus = 'frozen' | 'ongoing' | 'restored';

/** Higher is faster. */
const TIER_RANK: Readonly<Record<RestoreTier, number>> = { Bulk: 0, Standard: 1, Expedited: 2 };

/**
 * How long a restore takes, in Archive restores (`restoreDelayMs`, --restore-seconds): OSS gives an Archive restore
 * about a minute, a ColdArchive one 1 h (Expedited), 2-5 h (Standard) or 5-12 h (Bulk), a DeepColdArchive one 12 h
 * (Expedited) or 48 h (Standard); the shortest of each, on the one time scale. SDK suites count on it: a cold
 * restore is still running seconds after it was asked for (docs/data-protection.md).
 */
const RESTORE_SPAN: Readonly<Record<string, Partial<Record<RestoreTier, number>>>> = {
  ColdArchive: { Expedited: 60, Standard: 120, Bulk: 300 },
  DeepColdArchive: { Expedited: 720, Standard: 2880 },
};

function restoreDelayMs(cls: StorageClass, tier: RestoreTier | undefined, timing: { restoreDelayMs: number }): number {
  return (tier === undefined ? 1 : RESTORE_SPAN[cls]?.[tier] ?? 1) * timing.restoreDelayMs;
}

/** The object's restore as stored (attrs.restore), if it is well-formed. */
export function restoreOf(obj: Pick<ObjectRecord, 'attrs'>): RestoreAttrs | undefined {
  const r = obj.attrs?.restore;
  if (r === undefined || typeof r !== 'object' || r === null) return undefined;
  return typeof r.readyAt === 'number' && typeof r.expiresAt === 'number' ? r : undefined;
}

export function restoreStatus(obj: Pick<ObjectRecord, 'attrs'>, now: number): RestoreStatus {
  const r = restoreOf(obj);
  if (r === undefined || now >= r.expiresAt) return 'frozen';
  return now < r.readyAt ? 'ongoing' : 'restored';
}

/** Whether the object's bytes need a restore to be read now: archived and not restored. */
export function isFrozen(obj: ObjectRecord, now: number): boolean {
  return isArchived(obj) && restoreStatus(obj, now) !== 'restored';
}

/**
 * GetObject / copy sources: an archived object's bytes are readable only while restored, or, for the Archive
 * class only, when `directRead` (its bucket's real-time access of Archive objects, archive-direct-read.ts).
 */
export function assertReadable(obj: ObjectRecord, now: number, directRead = false): void {
  if (isFrozen(obj, now) && !(directRead && obj.storageClass === 'Archive')) {
    throw new AppError('InvalidObjectState', undefined, { Key: obj.key });
  }
}

/**
 * What `x-oss-restore` says about an archived object: `ongoing-request="true"` while the copy is made, then
 * `ongoing-request="false", expiry-date="<RFC 1123>"` until it expires; undefined when frozen.
 */
export function restoreHeaderValue(obj: ObjectRecord, now: number): string | undefined {
  if (!isArchived(obj)) return undefined;
  const status = restoreStatus(obj, now);
  if (status === 'ongoing') return 'ongoing-request="true"';
  if (status === 'restored') return `ongoing-request="false", expiry-date="${new Date(restoreOf(obj)!.expiresAt).toUTCString()}"`;
  return undefined;
}

/** The attrs without a restore (a rewritten object starts frozen). */
export function withoutRestore(attrs: ObjectAttrs | undefined): ObjectAttrs | undefined {
  if (attrs?.restore === undefined) return attrs;
  const { restore: _dropped, ...rest } = attrs;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** RestoreRequest as sent (raw text; validated against the object's class). */
export interface RestoreInput {
  days?: string;
  tier?: string;
  /** The request had a JobParameters element (only the cold classes take one). */
  jobParameters?: boolean;
  /**
   * The batch job asking (its id): a restore it started itself and that is still running is its own task applied again
   * (a process killed before the job's page was saved), done, not RestoreAlreadyInProgress (docs/batch-operations.md).
   */
  job?: string;
}

export interface RestoreResult {
  /** 202: a restore started; 200: the restored copy's time was extended. */
  started: boolean;
  tier?: RestoreTier;
  /** The restored version's `x-oss-version-id` (versioned buckets; the Go SDK's TestVersioningRestoreObject reads it). */
  versionId?: string;
}

// OSS's message for this case is undocumented: the catalogue's default. [UNVERIFIED]
const notSupported = (): AppError => new AppError('OperationNotSupported');

function parseRestore(cls: StorageClass, input: RestoreInput): { days: number; tier?: RestoreTier } {
  const limits = DAYS[cls]!;
  let days = 1;
  if (input.days !== undefined) {
    const text = input.days.trim();
    days = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
    if (!(days >= 1 && days <= limits.max)) {
      throw new AppError('InvalidArgument', `The Days of a ${cls} restore must be an integer from 1 to ${limits.max}.`, { ArgumentName: 'Days', ArgumentValue: input.days }, limits.ec);
    }
  }
  const tiers = TIERS[cls];
  if (tiers === undefined) {
    // Archive has no priorities: OSS refuses the element rather than ignore it (ali-oss's suite checks this).
    if (input.jobParameters) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'JobParameters applies only to ColdArchive and DeepColdArchive objects.' });
    return { days };
  }
  const raw = input.tier?.trim() ?? 'Standard';
  const tier = tiers.find((t) => t === raw);
  if (tier === undefined) {
    throw new AppError('InvalidArgument', `The Tier of a ${cls} restore must be one of ${tiers.join(', ')}.`, { ArgumentName: 'Tier', ArgumentValue: input.tier ?? '' }, '0016-00000703');
  }
  return { days, tier };
}

export class ArchiveService {
  constructor(private readonly ctx: DomainContext) {}

  /** The object (a named version of it), or the error a read of it gets (NoSuchKey, NoSuchVersion, a delete marker's). */
  private async current(bucket: string, key: string, versionId: string | undefined): Promise<ObjectRecord> {
    if (versionId === undefined) {
      const obj = await this.ctx.meta.getObject(bucket, key);
      if (obj) return obj;
      await requireBucket(this.ctx, bucket);
      throw new AppError('NoSuchKey', undefined, { Key: key });
    }
    await requireBucket(this.ctx, bucket);
    assertVersionId(versionId);
    const v = await this.ctx.meta.getObjectVersion(bucket, key, versionId);
    if (!v) throw new AppError('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
    if (v.deleteMarker) throw new AppError('MethodNotAllowed', undefined, { Method: 'POST', ResourceType: 'DeleteMarker', DeleteMarker: 'true', DeleteMarkerVersionId: v.versionId });
    return v;
  }

  /**
   * Changes the restore state of the object (or the named version) in place: never a new version, on a
   * versioned bucket too. Decided inside the store's transaction.
   */
  private async update(bucket: string, key: string, versionId: string | undefined, decide: (cur: ObjectRecord) => ObjectRecord, sameBucket?: BucketIncarnation): Promise<void> {
    const updated = await this.ctx.meta.updateObjectVersion(bucket, key, versionId, decide, sameBucket === undefined ? {} : { sameBucket });
    if (!updated) throw new AppError('NoSuchKey', undefined, { Key: key });
  }

  /**
   * Starts a restore of a frozen object (done after the configured delay, readable for `Days`), or extends
   * a restored one's copy; refused while one is running (RestoreAlreadyInProgress). Decided inside the
   * store's transaction, so two racing requests cannot both start one.
   */
  /**
   * `sameBucket`: the bucket the request was authorized on, captured before its body: another bucket of the name
   * (its owner deleted it and any account created one since) is NoSuchBucket, before its object is looked at and
   * again in the store's transaction (docs/postgres.md).
   */
  async restore(bucket: string, key: string, input: RestoreInput, versionId?: string, sameBucket?: BucketIncarnation): Promise<RestoreResult> {
    if (sameBucket !== undefined && !isIncarnation(await requireBucket(this.ctx, bucket), sameBucket)) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
    const obj = await this.current(bucket, key, versionId);
    if (!isArchived(obj)) throw notSupported();
    const { days, tier } = parseRestore(obj.storageClass, input);
    const timing = timingOf(this.ctx);
    await admitSmall(this.ctx);
    let started = false;
    await this.update(bucket, key, versionId, (cur) => {
      if (!isArchived(cur)) throw notSupported();
      const now = this.ctx.clock();
      const status = restoreStatus(cur, now);
      let next: RestoreAttrs;
      if (status === 'ongoing') {
        // A running cold restore may be sped up with a higher priority (OSS); anything else waits for it.
        const r = restoreOf(cur)!;
        if (input.job !== undefined && r.job === input.job) {
          started = false;
          return cur;
        }
        if (tier === undefined || r.tier === undefined || TIER_RANK[tier] <= TIER_RANK[r.tier]) throw new AppError('RestoreAlreadyInProgress');
        next = { ...r, tier, readyAt: Math.min(r.readyAt, now + restoreDelayMs(cur.storageClass, tier, timing)) };
        started = true;
      } else if (status === 'restored') {
        // A restored copy's time is extended from now, never shortened.
        const r = restoreOf(cur)!;
        next = { ...r, expiresAt: Math.max(r.expiresAt, now + days * timing.restoreDayMs) };
        started = false;
      } else {
        const readyAt = now + restoreDelayMs(cur.storageClass, tier, timing);
        next = { requestedAt: now, readyAt, expiresAt: readyAt + days * timing.restoreDayMs, ...(tier ? { tier } : {}), ...(input.job !== undefined ? { job: input.job } : {}) };
        started = true;
      }
      return { ...cur, attrs: { ...cur.attrs, restore: next } };
    }, sameBucket);
    const version = versionIdHeader(await requireBucket(this.ctx, bucket), obj);
    return { started, ...(tier ? { tier } : {}), ...(version !== undefined ? { versionId: version } : {}) };
  }

  /** Ends a restored copy's time early (CleanRestoredObject): the object is frozen again. */
  async clean(bucket: string, key: string, versionId?: string): Promise<void> {
    const obj = await this.current(bucket, key, versionId);
    if (!isArchived(obj)) throw notSupported();
    await this.update(bucket, key, versionId, (cur) => {
      const status = isArchived(cur) ? restoreStatus(cur, this.ctx.clock()) : 'frozen';
      if (status === 'ongoing') throw new AppError('ArchiveRestoreNotFinished', undefined, { Key: key });
      if (status !== 'restored') throw new AppError('ArchiveRestoreFileStale');
      const attrs = withoutRestore(cur.attrs);
      const { attrs: _old, ...rest } = cur;
      return attrs === undefined ? rest : { ...rest, attrs };
    });
  }
}
