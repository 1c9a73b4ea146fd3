// A declared bucket's versioning, lifecycle rules, WORM retention and default encryption (docs/init.md):
// read from the state file with the checks the OSS operations use (parseVersioningStatus, the
// LifecycleConfiguration reader and validateLifecycle, the retention days rule, parseBucketEncryption),
// applied through the domain services, exported from the bucket record in the same form.
import type { BucketEncryptionService, SseSetting } from '../domain/encryption.js';
import { bucketDefaultEncryption, parseBucketEncryption } from '../domain/encryption.js';
import type { LifecycleService } from '../domain/lifecycle-service.js';
import { assertAccessTracking, LIFECYCLE_LIMITS, lifecycleOf, validateLifecycle, type LifecycleConfig } from '../domain/lifecycle.js';
import type { Bucket } from '../domain/model.js';
import { livePolicy, parseDays, type RetentionService } from '../domain/retention.js';
import { parseVersioningStatus, versioningStatus } from '../domain/versioning.js';
import { isAppError } from '../errors.js';
import { lifecycleXml, parseLifecycleXml } from '../oss/lifecycle.js';
import { xmlDocument } from '../oss/xml.js';
import { sameJson } from './canonical-json.js';

/** What a bucket entry may declare besides its ACL, classes, policy, CORS and objects. */
export interface DeclaredBucketConfigs {
  versioning?: 'Enabled' | 'Suspended';
  /** Validated rules; `lifecycle` in the file is the LifecycleConfiguration XML PutBucketLifecycle takes. */
  lifecycle?: LifecycleConfig;
  /** A retention policy: `locked` false is InitiateBucketWorm's InProgress policy, true also completed. */
  worm?: { days: number; locked: boolean };
  encryption?: SseSetting;
}

/** The services an apply writes these through (the server's own; absent, such declarations cannot be applied). */
export interface BucketConfigServices {
  lifecycle: LifecycleService;
  retention: RetentionService;
  encryption: BucketEncryptionService;
}

/** The fields' names in a bucket entry. */
export const BUCKET_CONFIG_FIELDS = ['versioning', 'lifecycle', 'worm', 'encryption'] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Fault = (field: string, message: string) => void;

const why = (err: unknown): string => (isAppError(err) ? `${err.code}: ${err.message}${err.detail.ErrorDetail !== undefined ? ` (${String(err.detail.ErrorDetail)})` : ''}` : String(err));
const isMap = (v: Json | undefined): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads the four fields of one bucket entry; each fault names its field (`lifecycle`, `worm.days`, …). */
export function readBucketConfigs(o: { [k: string]: Json }, fault: Fault): DeclaredBucketConfigs {
  const out: DeclaredBucketConfigs = {};
  if (o.versioning !== undefined) {
    if (typeof o.versioning !== 'string') fault('versioning', 'must be Enabled or Suspended');
    else {
      try {
        out.versioning = parseVersioningStatus(o.versioning);
      } catch (err) {
        fault('versioning', why(err));
      }
    }
  }
  if (o.lifecycle !== undefined) {
    if (typeof o.lifecycle !== 'string') fault('lifecycle', 'must be a LifecycleConfiguration XML document (as PutBucketLifecycle takes it)');
    else if (Buffer.byteLength(o.lifecycle) > LIFECYCLE_LIMITS.maxBodyBytes) fault('lifecycle', `at most ${LIFECYCLE_LIMITS.maxBodyBytes} bytes`);
    else {
      try {
        const lifecycle = validateLifecycle(parseLifecycleXml(o.lifecycle), { allowSameActionOverlap: false });
        // A bucket made from the file starts without access tracking.
        assertAccessTracking(lifecycle, false);
        out.lifecycle = lifecycle;
      } catch (err) {
        fault('lifecycle', why(err));
      }
    }
  }
  if (o.worm !== undefined) {
    const w = o.worm;
    if (!isMap(w)) fault('worm', 'must be a mapping with days and locked');
    else {
      for (const k of Object.keys(w)) if (k !== 'days' && k !== 'locked') fault(`worm.${k}`, 'unknown field; a WORM policy has days, locked');
      let days: number | undefined;
      try {
        days = parseDays(typeof w.days === 'number' || typeof w.days === 'string' ? String(w.days) : undefined);
      } catch (err) {
        fault('worm.days', why(err));
      }
      if (w.locked !== undefined && typeof w.locked !== 'boolean') fault('worm.locked', 'must be true or false');
      if (days !== undefined) out.worm = { days, locked: w.locked === true };
    }
  }
  if (o.encryption !== undefined) {
    const e = o.encryption;
    if (!isMap(e)) fault('encryption', 'must be a mapping with algorithm (and for KMS kmsKeyId, dataEncryption)');
    else {
      const text = (k: string): string | undefined => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
      for (const k of Object.keys(e)) {
        if (k !== 'algorithm' && k !== 'kmsKeyId' && k !== 'dataEncryption') fault(`encryption.${k}`, 'unknown field; encryption has algorithm, kmsKeyId, dataEncryption');
        else if (typeof e[k] !== 'string') fault(`encryption.${k}`, 'must be a string');
      }
      const algorithm = text('algorithm');
      if (algorithm === undefined) fault('encryption.algorithm', 'required: AES256, KMS or SM4');
      else {
        try {
          const kmsKeyId = text('kmsKeyId');
          const dataEncryption = text('dataEncryption');
          out.encryption = parseBucketEncryption({ algorithm, ...(kmsKeyId !== undefined ? { kmsKeyId } : {}), ...(dataEncryption !== undefined ? { dataEncryption } : {}) });
        } catch (err) {
          fault('encryption', why(err));
        }
      }
    }
  }
  return out;
}

/**
 * Applies what differs, in the order the operations allow (versioning first); returns the changes made.
 * A locked WORM policy is never loosened: declaring it unlocked, or with fewer days, is refused (as
 * AbortBucketWorm and ExtendBucketWorm refuse); more days extend it.
 */
export async function applyBucketConfigs(
  bucket: Bucket,
  d: DeclaredBucketConfigs,
  deps: { services?: BucketConfigServices; putVersioning(name: string, status: string): Promise<void> },
): Promise<string[]> {
  const name = bucket.name;
  const changes: string[] = [];
  if (d.versioning !== undefined && versioningStatus(bucket) !== d.versioning) {
    await deps.putVersioning(name, d.versioning);
    changes.push(`updated bucket ${name}: versioning ${d.versioning}`);
  }
  if (d.lifecycle === undefined && d.worm === undefined && d.encryption === undefined) return changes;
  const s = deps.services;
  if (!s) throw new Error('this server cannot apply lifecycle, WORM or encryption declarations');
  if (d.encryption !== undefined && !sameJson(bucketDefaultEncryption(bucket), d.encryption)) {
    await s.encryption.set(name, d.encryption);
    changes.push(`updated bucket ${name}: encryption ${d.encryption.algorithm}`);
  }
  if (d.lifecycle !== undefined && !sameJson(lifecycleOf(bucket), d.lifecycle)) {
    await s.lifecycle.put(name, d.lifecycle, { allowSameActionOverlap: false });
    changes.push(`updated bucket ${name}: lifecycle`);
  }
  if (d.worm !== undefined) changes.push(...(await applyWorm(name, d.worm, s.retention)));
  return changes;
}

async function applyWorm(name: string, want: { days: number; locked: boolean }, retention: RetentionService): Promise<string[]> {
  const live = await retention.get(name).then((r) => r.policy, (err: unknown) => {
    if (isAppError(err) && err.code === 'NoSuchWORMConfiguration') return null;
    throw err;
  });
  if (live?.state === 'Locked') {
    if (!want.locked) throw new Error(`the WORM policy of bucket ${name} is locked: it cannot be declared unlocked`);
    if (want.days < live.days) throw new Error(`the WORM policy of bucket ${name} is locked at ${live.days} days: it cannot be shortened to ${want.days}`);
    if (want.days === live.days) return [];
    await retention.extend(name, live.wormId, String(want.days));
    return [`updated bucket ${name}: worm extended to ${want.days} days`];
  }
  if (live !== null && live.days === want.days && !want.locked) return [];
  let wormId = live?.wormId;
  const changes: string[] = [];
  if (live === null || live.days !== want.days) {
    if (live !== null) await retention.abort(name);
    wormId = await retention.initiate(name, String(want.days));
    changes.push(`updated bucket ${name}: worm ${want.days} days`);
  }
  if (want.locked) {
    await retention.complete(name, wormId!);
    changes.push(`updated bucket ${name}: worm locked`);
  }
  return changes;
}

/** The bucket's four configurations in the state file's form (nothing for what it does not have). */
export function exportBucketConfigs(bucket: Bucket, now: number, retentionDayMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const versioning = versioningStatus(bucket);
  if (versioning !== null) out.versioning = versioning;
  const lifecycle = lifecycleOf(bucket);
  if (lifecycle !== null) out.lifecycle = xmlDocument(lifecycleXml(lifecycle));
  const worm = livePolicy(bucket, now, retentionDayMs);
  if (worm !== null) out.worm = { days: worm.days, locked: worm.state === 'Locked' };
  const encryption = bucketDefaultEncryption(bucket);
  if (encryption !== null) out.encryption = { ...encryption };
  return out;
}
