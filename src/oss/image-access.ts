import { AppError } from '../errors.js';
import { readConfig } from '../domain/bucket-config.js';
import type { Bucket } from '../domain/model.js';
import { storedKind } from '../domain/stored-configs.js';
import { stylesConfig } from '../image/styles.js';
import type { Principal } from '../auth/principal.js';
import type { Operation } from './operations.js';
import { delimitersOf, PROCESS_CONFIG } from './stored/process-configuration.js';
import { textOf, type Doc } from './stored/schema.js';

// What a bucket's PutProcessConfiguration does to object reads (docs/image-processing.md#access-settings):
// - StyleDelimiters: `GET /<key><delimiter><style>` is that style's processing of <key> (the IMG console's
//   "custom separator"), decided before authorization so the read authorized is the one of <key>;
// - SourceFileProtect + SourceFileProtectSuffix: an anonymous caller may read a protected image only through a
//   style (OSS's "source image protection": signed requests are not subject to it).
// CompliedHost and OssDomainSupportAtProcess concern the retired image host and its `@` syntax: stored only.

const KIND = storedKind(PROCESS_CONFIG);

/** OSS's order of precedence among delimiters when a key holds several [UNVERIFIED: OSS publishes none; JD Cloud's IMG clone documents - _ / !]. */
const DELIMITER_ORDER = ['-', '_', '/', '!'];

interface ImageAccess {
  /** Delimiters configured, in DELIMITER_ORDER. */
  readonly delimiters: readonly string[];
  /** Lower-cased extensions protected, `*` for every key; empty while protection is off. */
  readonly protectedSuffixes: readonly string[];
}

const parsed = new WeakMap<object, ImageAccess>();

function accessOf(bucket: Bucket): ImageAccess | null {
  const value = readConfig(bucket, KIND);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  let access = parsed.get(value);
  if (access === undefined) {
    const doc = value as unknown as Doc;
    const configured = new Set(delimitersOf(textOf(doc, 'StyleDelimiters')));
    const protect = textOf(doc, 'SourceFileProtect') === 'Enabled';
    access = {
      delimiters: DELIMITER_ORDER.filter((d) => configured.has(d)),
      protectedSuffixes: protect ? (textOf(doc, 'SourceFileProtectSuffix') ?? '').split(',').map((s) => s.trim().replace(/^\./, '').toLowerCase()).filter((s) => s !== '') : [],
    };
    parsed.set(value, access);
  }
  return access;
}

type BucketOf = (name: string) => Bucket | null | Promise<Bucket | null>;

type ObjectOf = (bucket: string, key: string) => Promise<unknown>;

/**
 * A GetObject of `<key><delimiter><style>` (no x-oss-process) on a bucket with style delimiters, where <style> is one
 * of the bucket's styles: the operation on <key>, carrying the style (`params.style`, applied as
 * `x-oss-process=style/<style>`); the query is left as sent, so authentication and policy conditions see the URL the
 * client signed. The first delimiter in DELIMITER_ORDER whose text after an occurrence (leftmost first) names a style
 * wins; a key naming no style is read as it is [UNVERIFIED: OSS may answer NoSuchStyle instead]. An object whose
 * name is the whole key (`photo.jpg!thumb` uploaded as such) is read as it is: its name asks for it, and otherwise
 * nothing could read it back [UNVERIFIED]. Null: nothing to rewrite.
 */
export function styleByDelimiter(op: Operation, query: ReadonlyMap<string, string>, getBucket: BucketOf, getObject: ObjectOf): Operation | null | Promise<Operation | null> {
  if (op.name !== 'GetObject' || op.key === null || op.bucket === null || query.has('x-oss-process')) return null;
  const found = getBucket(op.bucket);
  const styled = found instanceof Promise ? found.then((b) => rewrite(op, b)) : rewrite(op, found);
  if (styled === null) return null;
  // Only a key that would be rewritten pays for the look-up of an object of its literal name.
  return Promise.resolve(styled).then(async (s) => (s === null || (await getObject(op.bucket!, op.key!)) !== null ? null : s));
}

function rewrite(op: Extract<Operation, { name: 'GetObject' }>, bucket: Bucket | null): Operation | null {
  const key = op.key;
  if (bucket === null || key === null) return null;
  const delimiters = accessOf(bucket)?.delimiters ?? [];
  if (delimiters.length === 0) return null;
  const styles = readConfig(bucket, stylesConfig)?.styles ?? [];
  if (styles.length === 0) return null;
  const names = new Set(styles.map((s) => s.name));
  for (const d of delimiters) {
    for (let at = key.indexOf(d, 1); at >= 0; at = key.indexOf(d, at + 1)) {
      const style = key.slice(at + 1);
      if (!names.has(style)) continue;
      const base = key.slice(0, at);
      return { ...op, key: base, checks: op.checks.map((c) => (c.key === key ? { ...c, key: base } : c)), params: { ...op.params, style } };
    }
  }
  return null;
}

/**
 * The `x-oss-process` a read applies: the style a delimiter named (styleByDelimiter), else the query's. Every reader
 * of the processing asks this, never the query alone.
 */
export function processOf(op: Operation, query: ReadonlyMap<string, string>): string | undefined {
  const style = op.name === 'GetObject' ? op.params?.style : undefined;
  return style !== undefined ? `style/${style}` : query.get('x-oss-process');
}

/** OSS EC of an anonymous image request refused by source image protection (documented for `x-oss-process=image/…`). */
const EC_SOURCE_PROTECTED = '0040-00000031';

/**
 * Source image protection: an anonymous GetObject of a key with a protected extension is refused unless it asks for a
 * style (`x-oss-process=style/…`, or a style after a delimiter); a plain read and `x-oss-process=image/…` are 403
 * AccessDenied [UNVERIFIED: the code; OSS documents EC 0040-00000031 for the processed read, and a 403 for the plain
 * one]. Signed requests pass (OSS: "applies only to anonymous access"). Decided before the object is looked up.
 */
function assertSourceUnprotected(principal: Principal, bucketName: string, key: string, process: string | undefined, getBucket: BucketOf): void | Promise<void> {
  if (principal.type !== 'anonymous') return;
  if ((process ?? '').startsWith('style/')) return;
  const found = getBucket(bucketName);
  if (found instanceof Promise) return found.then((b) => refuseIfProtected(b, key, process));
  refuseIfProtected(found, key, process);
}

/**
 * The same rule on the object a read takes its bytes from when the request's key does not name it: a symlink's
 * target, a watermark image, the source of a select or a save-as. Otherwise an anonymous GET of an unprotected link
 * to `photo.jpg`, or `x-oss-process=image/watermark,image_<photo.jpg>` on any unprotected image, handed out the
 * protected original [UNVERIFIED: OSS documents protection by the requested object's suffix only].
 */
export function assertReadUnprotected(
  req: { readonly op: Operation; readonly principal: Principal; readonly query: ReadonlyMap<string, string>; readonly services: { readonly buckets: { get: BucketOf } } },
  bucket: string,
  key: string,
): void | Promise<void> {
  return assertSourceUnprotected(req.principal, bucket, key, processOf(req.op, req.query), (n) => req.services.buckets.get(n));
}

function refuseIfProtected(bucket: Bucket | null, key: string, process: string | undefined): void {
  const suffixes = bucket === null ? [] : (accessOf(bucket)?.protectedSuffixes ?? []);
  if (suffixes.length === 0) return;
  const lower = key.toLowerCase();
  if (!suffixes.some((s) => s === '*' || lower.endsWith(`.${s}`))) return;
  const processed = process !== undefined;
  throw new AppError('AccessDenied', 'Source image protection is enabled for this object: anonymous requests must name a style.', {}, processed ? EC_SOURCE_PROTECTED : undefined);
}
