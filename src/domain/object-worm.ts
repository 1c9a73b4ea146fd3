import { AppError, invalidArgument } from '../errors.js';
import { jsonConfig, readConfig, updateConfig, type ConfigKind } from './bucket-config.js';
import { requireBucket, timingOf, type DomainContext } from './context.js';
import type { Bucket, DefaultRetentionStamp, ObjectRecord } from './model.js';
import { livePolicy } from './retention.js';
import { assertVersionId, versioningStatus } from './versioning.js';
import type { BucketIncarnation } from '../store/meta/types.js';
import { OBJECT_WORM_CONFIG } from '../store/meta/default-retention.js';

// Object-level retention (OSS's "ObjectWorm", by invitation on the cloud): the bucket's switch and default rule
// (PutBucketObjectWormConfiguration, `?objectWorm`), each version's retention (PutObjectRetention, `?retention`:
// a mode and a retain-until date) and legal hold (PutObjectLegalHold, `?legalHold`). A version under a retention
// that has not ended, or under a legal hold, cannot be deleted: the check is part of retentionGuard
// (domain/retention.ts), the one every path that removes a version's data calls. OSS's pages: the bucket must have
// versioning enabled first, ObjectWorm cannot be turned off and excludes a bucket-level WORM policy; a COMPLIANCE
// date can only be extended; the date must be in the future; an Appendable object takes none.

export type ObjectWormMode = DefaultRetentionStamp['mode'];
const MODES: readonly ObjectWormMode[] = ['GOVERNANCE', 'COMPLIANCE'];

export type DefaultRetention = DefaultRetentionStamp;

/** The bucket's configuration (bucket configuration 'object-worm'); its presence means enabled (it cannot be undone). */
export interface ObjectWormConfig {
  defaultRetention?: DefaultRetention;
  /**
   * Read-only, kept from before the default was stamped on each version as it is written (ObjectAttrs.defaultRetention,
   * by the store in the write's transaction): each default rule with the time it was put (ms), oldest first (null:
   * none from then on), which a version without a stamp was protected by. Never grown again, so a Put never needs
   * room in it (1,000 Puts alternating two rules used to fill it and freeze the configuration for a century).
   */
  history?: Array<HistoryEntry>;
}

interface HistoryEntry {
  since: number;
  rule: DefaultRetention | null;
}

const spanDays = (rule: DefaultRetention): number => rule.days ?? (rule.years ?? 0) * 365;

export const OBJECT_WORM: ConfigKind<ObjectWormConfig> = jsonConfig<ObjectWormConfig>(OBJECT_WORM_CONFIG);

/** A version's retention as stored in its attrs (`objectRetention`): the date as put, and its instant. */
export interface ObjectRetention {
  mode: ObjectWormMode;
  retainUntilDate: string;
  until: number;
}

export type LegalHoldStatus = 'ON' | 'OFF';

/** OSS's bounds of a default retention: up to 36,500 days or 100 years (the SDK v2 models' comments). */
const MAX_DAYS = 36_500;
const MAX_YEARS = 100;

export function parseMode(raw: string | undefined, name: string): ObjectWormMode {
  const mode = MODES.find((m) => m === raw);
  if (mode === undefined) throw invalidArgument(`${name} must be GOVERNANCE or COMPLIANCE.`, name, raw ?? '');
  return mode;
}

function count(raw: string | undefined, name: string, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d{1,6}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(n >= 1 && n <= max)) throw invalidArgument(`${name} must be an integer from 1 to ${max}.`, name, raw);
  return n;
}

/** The default rule of a PutBucketObjectWormConfiguration: a mode and exactly one of Days and Years. */
export function parseDefaultRetention(mode: string | undefined, days: string | undefined, years: string | undefined): DefaultRetention {
  const m = parseMode(mode, 'Mode');
  const d = count(days, 'Days', MAX_DAYS);
  const y = count(years, 'Years', MAX_YEARS);
  if ((d === undefined) === (y === undefined)) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'DefaultRetention takes one of Days and Years.' });
  return { mode: m, ...(d !== undefined ? { days: d } : {}), ...(y !== undefined ? { years: y } : {}) };
}

/** RetainUntilDate as ISO 8601 with a zone (`2026-12-06T08:00:00.000Z`, as the SDKs write it). */
export function parseRetainUntil(raw: string | undefined): number {
  const text = raw?.trim() ?? '';
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw invalidArgument('RetainUntilDate must be an ISO 8601 date and time.', 'RetainUntilDate', raw ?? '');
  return ms;
}

export function objectRetentionOf(obj: Pick<ObjectRecord, 'attrs'>): ObjectRetention | undefined {
  const r = obj.attrs?.objectRetention as ObjectRetention | undefined;
  return r !== undefined && typeof r.until === 'number' ? r : undefined;
}

/** The default rule of a version written before stamping: the one in force when `at` (its last modification) came. */
function ruleAt(config: ObjectWormConfig, at: number): DefaultRetention | null {
  let rule: DefaultRetention | null = null;
  for (const h of config.history ?? []) {
    if (h.since > at) break;
    rule = h.rule;
  }
  return rule;
}

/**
 * A version's retention: the one PutObjectRetention set, else the bucket's default rule stamped on the version when
 * it was written (for versions from before stamping, the rule the configuration's history says was in force then),
 * counted from its Last-Modified (a day is the retention day of bucket WORM; a year 365 of them).
 */
export function effectiveRetention(bucket: Bucket, obj: Pick<ObjectRecord, 'attrs' | 'lastModified'>, dayMs: number): ObjectRetention | undefined {
  const own = objectRetentionOf(obj);
  if (own !== undefined) return own;
  const stamped = obj.attrs?.defaultRetention;
  let rule: DefaultRetention | null;
  if (stamped !== undefined) rule = stamped;
  else {
    const config = readConfig(bucket, OBJECT_WORM);
    rule = config === null ? null : ruleAt(config, obj.lastModified);
  }
  if (rule === null) return undefined;
  const until = obj.lastModified + spanDays(rule) * dayMs;
  return { mode: rule.mode, retainUntilDate: new Date(until).toISOString(), until };
}

/** `attrs` without a version's own retention and legal hold (what a new version written from it must not carry). */
export function withoutVersionLocks(attrs: ObjectRecord['attrs']): ObjectRecord['attrs'] {
  if (attrs?.objectRetention === undefined && attrs?.legalHold === undefined) return attrs;
  const { objectRetention: _r, legalHold: _h, ...rest } = attrs;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

export function legalHoldOf(obj: Pick<ObjectRecord, 'attrs'>): LegalHoldStatus {
  return obj.attrs?.legalHold === 'ON' ? 'ON' : 'OFF';
}

export function objectWormEnabled(bucket: Bucket): boolean {
  return readConfig(bucket, OBJECT_WORM) !== null;
}

/**
 * A request's `x-oss-bypass-governance-retention: true`: the check that its caller may lift a GOVERNANCE retention
 * of `key` (oss:BypassGovernanceRetention), which throws the refusal. Services run it only when such a retention is
 * what stands in the way, before their transaction; absent, no bypass was asked for.
 */
export type GovernanceBypass = (key: string) => Promise<void>;

/**
 * Throws FileImmutable for a version still under its retention or under a legal hold (part of retentionGuard).
 * `governanceLifted`: the caller asked for and may use the bypass, so a GOVERNANCE retention does not protect it;
 * a COMPLIANCE one and a legal hold always do.
 */
export function assertObjectUnlocked(bucket: Bucket, obj: ObjectRecord, now: number, dayMs: number, governanceLifted = false): void {
  if (legalHoldOf(obj) === 'ON') throw new AppError('FileImmutable', undefined, { Key: obj.key });
  const r = effectiveRetention(bucket, obj, dayMs);
  if (r !== undefined && r.until > now && !(governanceLifted && r.mode === 'GOVERNANCE')) throw new AppError('FileImmutable', undefined, { Key: obj.key });
}

/** Whether a live GOVERNANCE retention is all that protects `obj` (no legal hold): what a bypass could lift. */
export function onlyGovernanceProtects(bucket: Bucket, obj: ObjectRecord, now: number, dayMs: number): boolean {
  if (!objectWormEnabled(bucket) || legalHoldOf(obj) === 'ON') return false;
  const r = effectiveRetention(bucket, obj, dayMs);
  return r !== undefined && r.until > now && r.mode === 'GOVERNANCE';
}

export class ObjectWormService {
  constructor(private readonly ctx: DomainContext) {}

  private get dayMs(): number {
    return timingOf(this.ctx).retentionDayMs;
  }

  /** Enables ObjectWorm (and sets or replaces its default rule); never undone. */
  async putConfig(bucketName: string, config: ObjectWormConfig, sameBucket?: BucketIncarnation): Promise<void> {
    await updateConfig(this.ctx, bucketName, OBJECT_WORM, (current, bucket) => {
      if (versioningStatus(bucket) !== 'Enabled') {
        throw new AppError('InvalidRequest', 'Versioning must be enabled on the bucket before its object-level retention (ObjectWorm).');
      }
      if (livePolicy(bucket, this.ctx.clock(), timingOf(this.ctx).retentionDayMs) !== null) {
        throw new AppError('InvalidRequest', 'The bucket has a bucket-level retention policy (WORM); ObjectWorm cannot be enabled with it.');
      }
      // The new default reaches versions as they are written (the store stamps it); the history, if any, only
      // answers for versions written before stamping and is kept as it is.
      return { ...config, ...(current?.history !== undefined ? { history: current.history } : {}) };
    }, { sameBucket });
  }

  async getConfig(bucketName: string): Promise<ObjectWormConfig> {
    const config = readConfig(await requireBucket(this.ctx, bucketName), OBJECT_WORM);
    if (config === null) throw new AppError('NoSuchObjectWormConfiguration', undefined, { BucketName: bucketName });
    return config;
  }

  /**
   * `bypass`: the request's x-oss-bypass-governance-retention, run (and required to pass) only when the new retention
   * loosens a GOVERNANCE one (an earlier date; making it COMPLIANCE tightens it).
   */
  async putRetention(bucketName: string, key: string, versionId: string | undefined, mode: ObjectWormMode, retainUntilDate: string, bypass: GovernanceBypass | undefined): Promise<void> {
    const until = parseRetainUntil(retainUntilDate);
    const bucket = await requireBucket(this.ctx, bucketName);
    // A running retention loosened (an earlier date, or COMPLIANCE made GOVERNANCE); a COMPLIANCE one is refused
    // below whatever the caller may do.
    const loosens = (old: ObjectRetention | undefined): old is ObjectRetention =>
      old !== undefined && old.until > this.ctx.clock() && (until < old.until || (old.mode === 'COMPLIANCE' && mode !== 'COMPLIANCE'));
    const before = effectiveRetention(bucket, await this.version(bucketName, key, versionId), this.dayMs);
    let lifted = false;
    if (bypass !== undefined && loosens(before) && before.mode === 'GOVERNANCE') {
      await bypass(key);
      lifted = true;
    }
    await this.update(bucketName, key, versionId, (cur) => {
      if (until <= this.ctx.clock()) throw invalidArgument('RetainUntilDate must be in the future.', 'RetainUntilDate', retainUntilDate);
      if (cur.type === 'Appendable') throw new AppError('InvalidRequest', 'An Appendable object takes no retention.');
      // Decided again on the version as the transaction holds it: a COMPLIANCE retention put meanwhile only grows.
      const old = effectiveRetention(bucket, cur, this.dayMs);
      if (loosens(old) && (old.mode === 'COMPLIANCE' || !lifted)) {
        throw new AppError('AccessDenied', 'The retention of this object can only be extended.', { Key: key });
      }
      const objectRetention: ObjectRetention = { mode, retainUntilDate: retainUntilDate.trim(), until };
      return { ...cur, attrs: { ...cur.attrs, objectRetention } };
    });
  }

  async getRetention(bucketName: string, key: string, versionId: string | undefined): Promise<ObjectRetention> {
    const r = effectiveRetention(await requireBucket(this.ctx, bucketName), await this.version(bucketName, key, versionId), this.dayMs);
    if (r === undefined) throw new AppError('NoSuchObjectRetention', undefined, { Key: key });
    return r;
  }

  async putLegalHold(bucketName: string, key: string, versionId: string | undefined, status: LegalHoldStatus): Promise<void> {
    await this.update(bucketName, key, versionId, (cur) => {
      const { legalHold: _old, ...rest } = cur.attrs ?? {};
      return { ...cur, attrs: status === 'ON' ? { ...rest, legalHold: 'ON' } : rest };
    });
  }

  async getLegalHold(bucketName: string, key: string, versionId: string | undefined): Promise<LegalHoldStatus> {
    return legalHoldOf(await this.version(bucketName, key, versionId));
  }

  /** The object or the named version, in a bucket with ObjectWorm enabled. */
  private async version(bucketName: string, key: string, versionId: string | undefined): Promise<ObjectRecord> {
    const bucket = await requireBucket(this.ctx, bucketName);
    if (!objectWormEnabled(bucket)) throw new AppError('InvalidRequest', 'Object-level retention (ObjectWorm) is not enabled for the bucket.');
    assertVersionId(versionId);
    if (versionId === undefined) {
      const obj = await this.ctx.meta.getObject(bucketName, key);
      if (!obj) throw new AppError('NoSuchKey', undefined, { Key: key });
      return obj;
    }
    const v = await this.ctx.meta.getObjectVersion(bucketName, key, versionId);
    if (!v) throw new AppError('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
    if (v.deleteMarker) throw new AppError('MethodNotAllowed', undefined, { Method: 'PUT', ResourceType: 'DeleteMarker', DeleteMarker: 'true', DeleteMarkerVersionId: v.versionId });
    return v;
  }

  /** Changes the version's attrs in place (never a new version), decided inside the store's transaction. */
  private async update(bucketName: string, key: string, versionId: string | undefined, decide: (cur: ObjectRecord) => ObjectRecord): Promise<void> {
    await this.version(bucketName, key, versionId);
    const updated = await this.ctx.meta.updateObjectVersion(bucketName, key, versionId, decide);
    if (!updated) throw new AppError('NoSuchKey', undefined, { Key: key });
  }
}
