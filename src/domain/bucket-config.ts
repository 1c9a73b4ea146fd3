import { admitSmall } from './admission.js';
import { AppError } from '../errors.js';
import { requireBucket, type DomainContext } from './context.js';
import type { Bucket } from './model.js';
import { incarnationOf, type BucketIncarnation } from '../store/meta/types.js';

/**
 * How a configuration is written. `sameBucket`: the bucket the request was authorized on, captured before its body
 * was read; a bucket of that name deleted and created again meanwhile (by any account) is not it: NoSuchBucket,
 * nothing written (MetadataStore.updateBucketConfig).
 */
export interface ConfigWriteOptions {
  removing?: boolean;
  sameBucket?: BucketIncarnation;
}

// The one mechanism for bucket-level configurations (versioning, WORM, encryption, lifecycle, …): each
// feature declares a ConfigKind (its name in the store and how its validated value becomes JSON text and
// back) and reads and writes it through these functions. The store keeps (bucket, name) → document; the
// bucket record carries them all, so reading a configuration on the request path costs no query.

export interface ConfigKind<T> {
  /** The name in the store (`bucket_configs.name`): stable, lower-case, e.g. 'versioning'. */
  readonly name: string;
  encode(value: T): string;
  decode(text: string): T;
}

/** A kind whose value is stored as its JSON form (the value must be plain data). */
export function jsonConfig<T>(name: string): ConfigKind<T> {
  return { name, encode: (v) => JSON.stringify(v), decode: (t) => JSON.parse(t) as T };
}

// Bucket records are immutable and replaced on every bucket write (the stores' caches hold them), so a
// decoded value can hang off the record it came from and is never stale.
const decoded = new WeakMap<Bucket, Map<string, unknown>>();

/** The bucket's configuration of this kind, or null when none is set. Decoded once per bucket record. */
export function readConfig<T>(bucket: Bucket, kind: ConfigKind<T>): T | null {
  const text = bucket.configs[kind.name];
  if (text === undefined) return null;
  let byName = decoded.get(bucket);
  if (byName === undefined) {
    byName = new Map();
    decoded.set(bucket, byName);
  }
  if (byName.has(kind.name)) return byName.get(kind.name) as T;
  const value = kind.decode(text);
  byName.set(kind.name, value);
  return value;
}

/**
 * Sets, replaces or removes a configuration. `decide` gets the current value (null when absent) and the
 * bucket as stored inside the transaction and returns the new value, or null to remove it; it may throw
 * an AppError (a locked retention that may only grow, a state machine) and then nothing changes.
 * Writes that add data ask the disk-space admission first; removals never do. Returns the bucket after.
 */
export function updateConfig<T>(
  ctx: DomainContext,
  bucketName: string,
  kind: ConfigKind<T>,
  decide: (current: T | null, bucket: Bucket) => T | null,
  opts: ConfigWriteOptions = {},
): Promise<Bucket> {
  return writeConfig(ctx, bucketName, kind, (text, bucket) => decide(text === null ? null : kind.decode(text), bucket), opts);
}

/**
 * updateConfig for a write whose new value does not depend on the current one: the current document is not decoded
 * (a 1,000-rule lifecycle is ~1 MiB of JSON and ~50,000 objects, built only to be dropped).
 */
export function replaceConfig<T>(ctx: DomainContext, bucketName: string, kind: ConfigKind<T>, decide: (bucket: Bucket) => T | null, opts: ConfigWriteOptions = {}): Promise<Bucket> {
  return writeConfig(ctx, bucketName, kind, (_text, bucket) => decide(bucket), opts);
}

async function writeConfig<T>(
  ctx: DomainContext,
  bucketName: string,
  kind: ConfigKind<T>,
  decide: (text: string | null, bucket: Bucket) => T | null,
  opts: ConfigWriteOptions = {},
): Promise<Bucket> {
  // Without a bucket captured before the request's body, the one read here is the one written to.
  const sameBucket = opts.sameBucket ?? incarnationOf(await requireBucket(ctx, bucketName));
  if (!opts.removing) await admitSmall(ctx);
  const after = await ctx.meta.updateBucketConfig(bucketName, kind.name, (text, bucket) => {
    const next = decide(text, bucket);
    if (next === null) return null;
    const encoded = kind.encode(next);
    return encoded === text ? text : encoded;
  }, sameBucket);
  if (after === null) throw new AppError('NoSuchBucket', undefined, { BucketName: bucketName });
  return after;
}

/** Replaces a configuration with `value` (validated by the caller). */
export function putConfig<T>(ctx: DomainContext, bucketName: string, kind: ConfigKind<T>, value: T, opts: ConfigWriteOptions = {}): Promise<Bucket> {
  return replaceConfig(ctx, bucketName, kind, () => value, opts);
}

/** Removes a configuration (no error when there was none, as OSS's Delete* calls answer 204 either way). */
export function deleteConfig<T>(ctx: DomainContext, bucketName: string, kind: ConfigKind<T>): Promise<Bucket> {
  return writeConfig(ctx, bucketName, kind, () => null, { removing: true });
}
