import type { IncomingHttpHeaders } from 'node:http';
import { AppError, invalidArgument } from '../errors.js';
import type { BodyExpectations } from '../domain/ingest.js';
import type { ContentHeaders, ObjectRecord } from '../domain/model.js';
import type { ObjectProps } from '../domain/objects.js';
import { LIMITS } from '../domain/context.js';
import { parseBucketEncryption, parseSseSetting, type SseSetting, type SseState } from '../domain/encryption.js';
import { headerValue } from '../auth/signature/request.js';
import { httpDate, parseHttpDate } from '../util/time.js';
import type { Preconditions } from '../domain/conditions.js';

export const header = headerValue;

// What node's http module accepts on the wire (RFC 9110 field-value and token); anything else makes
// `res.setHeader` throw, so such values are refused where they enter, before they are stored or echoed.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A value in wire form (latin1 text, one char per byte) that can go out as a header value. */
export const isHeaderValue = (wire: string): boolean => FIELD_VALUE.test(wire);
/** A string that can be a header name. */
export const isHeaderName = (name: string): boolean => TOKEN.test(name);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value in wire form (latin1, one char per byte) as text: its bytes as UTF-8 when they are valid UTF-8,
 * else as latin1. ali-oss with its default headerEncoding writes characters up to U+00FF as single latin1 bytes (and
 * signs the text), while SDKs that send UTF-8 bytes sign those (the Ruby SDK's `x-oss-copy-source`, the key unescaped).
 */
export function textOfWire(wire: string): string {
  if (!/[\x80-\xff]/.test(wire)) return wire;
  try {
    return strictUtf8.decode(Buffer.from(wire, 'latin1'));
  } catch {
    return wire;
  }
}

/** Text (any Unicode) as the latin1 string of its UTF-8 bytes: what a header value carrying it sends. */
export const wireText = (text: string): string => (/[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text);

/** Refuses a value bound for a response header that holds CR, LF or another control character. */
export function assertHeaderValue(argumentName: string, wire: string): void {
  if (!isHeaderValue(wire)) {
    throw invalidArgument(`The value of ${argumentName} contains a control character (CR, LF, NUL, …), which a header cannot carry.`, argumentName);
  }
}

/**
 * The standard headers a write stores. One sent with an empty value is not stored, as OSS stores none: the .NET SDK's
 * ObjectBasicOperationTest.ModifyObjectMetaWithSetEmptyValue sends `Cache-Control:` (empty) and expects the object's
 * metadata to have no Cache-Control at all, which it would read as "" had OSS answered the header back.
 */
export function contentHeadersFrom(headers: IncomingHttpHeaders, fallbackType = 'application/octet-stream'): ContentHeaders {
  const out: ContentHeaders = { contentType: header(headers, 'content-type') ?? fallbackType };
  const set = (name: string): string | undefined => {
    const v = header(headers, name);
    return v === '' ? undefined : v;
  };
  const cc = set('cache-control');
  if (cc !== undefined) out.cacheControl = cc;
  const cd = set('content-disposition');
  if (cd !== undefined) out.contentDisposition = cd;
  const ce = set('content-encoding');
  if (ce !== undefined) out.contentEncoding = ce;
  const cl = set('content-language');
  if (cl !== undefined) out.contentLanguage = cl;
  const ex = set('expires');
  if (ex !== undefined) out.expires = ex;
  return out;
}

export function userMetaFrom(headers: IncomingHttpHeaders): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-oss-meta-') && value !== undefined) {
      meta[name.slice('x-oss-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  return meta;
}

/** Parses `k=v&k2=v2` (URL-encoded) tags, as in x-oss-tagging. */
export function parseTagging(value: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (value === '') return out;
  for (const part of value.split('&')) {
    const eq = part.indexOf('=');
    try {
      const k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
      out.push([k, v]);
    } catch {
      throw invalidArgument('The x-oss-tagging header is not valid URL-encoded text.', 'x-oss-tagging', value);
    }
  }
  return out;
}

/**
 * The tags of an `x-oss-tagging` header, refused as a header the way OSS refuses it (S3's answers, which the C++
 * SDK's ObjectTaggingTest expects of OSS for PutObject, AppendObject and multipart uploads): a repeated key is 400
 * `InvalidArgument` naming the header, more than 10 tags 400 `BadRequest`. The characters and lengths of keys and
 * values are the domain's rule (`InvalidTag`), as for PutObjectTagging's XML body.
 */
export function taggingHeaderTags(value: string): Array<[string, string]> {
  const tags = parseTagging(value);
  const keys = new Set<string>();
  for (const [k] of tags) {
    if (keys.has(k)) {
      throw invalidArgument("The header 'x-oss-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.", 'x-oss-tagging', value);
    }
    keys.add(k);
  }
  if (tags.length > LIMITS.maxTags) throw new AppError('BadRequest', `Object tags cannot be greater than ${LIMITS.maxTags}`);
  return tags;
}

const SSE_HEADERS = new Set(['x-oss-server-side-encryption', 'x-oss-server-side-encryption-key-id', 'x-oss-server-side-data-encryption']);

/**
 * Any other `x-oss-server-side-*` header (customer-provided keys, BYOK encryption context): not supported,
 * so a write that asks for it is refused with 501 before anything is stored, never stored as if honoured.
 */
export function refuseEncryption(headers: IncomingHttpHeaders, allowed: ReadonlySet<string> = new Set()): void {
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-oss-server-side-') && !allowed.has(lower)) {
      throw new AppError('NotImplemented', `Server-side encryption (${lower}) is not implemented by Alunite.`);
    }
  }
}

/**
 * The encryption a write asks for (`x-oss-server-side-encryption`: AES256, KMS or SM4, with
 * `x-oss-server-side-encryption-key-id` and `x-oss-server-side-data-encryption: SM4` for KMS), or undefined.
 */
export function sseRequestFrom(headers: IncomingHttpHeaders): SseSetting | undefined {
  refuseEncryption(headers, SSE_HEADERS);
  const algorithm = header(headers, 'x-oss-server-side-encryption');
  if (algorithm === undefined) return undefined;
  return parseSseSetting(algorithm, header(headers, 'x-oss-server-side-encryption-key-id'), header(headers, 'x-oss-server-side-data-encryption'));
}

/**
 * PutBucket's default encryption (`x-oss-server-side-encryption`, `-key-id`, `x-oss-server-side-data-encryption`,
 * as ossutil's `mb --meta` sends them), validated as PutBucketEncryption's rule; undefined when absent.
 */
export function bucketSseFrom(headers: IncomingHttpHeaders): SseSetting | undefined {
  refuseEncryption(headers, SSE_HEADERS);
  const algorithm = header(headers, 'x-oss-server-side-encryption');
  if (algorithm === undefined) return undefined;
  const kmsKeyId = header(headers, 'x-oss-server-side-encryption-key-id');
  const dataEncryption = header(headers, 'x-oss-server-side-data-encryption');
  return parseBucketEncryption({ algorithm, ...(kmsKeyId !== undefined ? { kmsKeyId } : {}), ...(dataEncryption !== undefined ? { dataEncryption } : {}) });
}

/** How OSS echoes an object's (or upload's) encryption on PUT/GET/HEAD/Copy/Initiate/UploadPart/Complete. */
export function sseResponseHeaders(state: SseState | undefined): Record<string, string> {
  if (!state) return {};
  const h: Record<string, string> = { 'x-oss-server-side-encryption': state.algorithm };
  if (state.algorithm === 'KMS') {
    h['x-oss-server-side-encryption-key-id'] = state.kmsKeyId ?? '';
    if (state.dataEncryption) h['x-oss-server-side-data-encryption'] = state.dataEncryption;
  }
  return h;
}

/** The stored properties a write's headers ask for; every write that stores an object goes through here. */
export function objectPropsFrom(headers: IncomingHttpHeaders): ObjectProps {
  const sse = sseRequestFrom(headers);
  const props: ObjectProps = { headers: contentHeadersFrom(headers), userMeta: userMetaFrom(headers) };
  if (sse) props.sse = sse;
  const acl = header(headers, 'x-oss-object-acl');
  if (acl !== undefined) props.acl = acl;
  const sc = header(headers, 'x-oss-storage-class');
  if (sc !== undefined) props.storageClass = sc;
  const tagging = header(headers, 'x-oss-tagging');
  if (tagging !== undefined) props.tags = taggingHeaderTags(tagging);
  return props;
}

export function forbidOverwrite(headers: IncomingHttpHeaders): boolean {
  return (header(headers, 'x-oss-forbid-overwrite') ?? '').toLowerCase() === 'true';
}

/**
 * The claims a client made about a body it sends (length, MD5, CRC). A signed SHA-256 is checked on the
 * request body itself, for every reader (domain/ingest.ts signedBody).
 */
export function bodyExpectations(headers: IncomingHttpHeaders): Omit<BodyExpectations, 'maxSize'> {
  const exp: Omit<BodyExpectations, 'maxSize'> = {};
  const cl = header(headers, 'content-length');
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) throw invalidArgument('Content-Length is invalid.', 'Content-Length', cl);
    exp.length = Number(cl);
  } else if (header(headers, 'transfer-encoding') === undefined) {
    throw new AppError('MissingContentLength');
  }
  const md5 = header(headers, 'content-md5');
  if (md5 !== undefined) {
    const raw = Buffer.from(md5, 'base64');
    if (raw.length !== 16 || raw.toString('base64') !== md5.trim()) throw new AppError('InvalidDigest');
    exp.md5 = raw;
  }
  const crc = header(headers, 'x-oss-hash-crc64ecma');
  if (crc !== undefined) {
    if (!/^\d{1,20}$/.test(crc)) throw invalidArgument('x-oss-hash-crc64ecma must be an unsigned decimal.', 'x-oss-hash-crc64ecma', crc);
    exp.crc64 = BigInt(crc).toString(10);
  }
  return exp;
}

function optionalDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = parseHttpDate(value);
  return Number.isNaN(t) ? undefined : t;
}

/** `prefix` `x-oss-copy-source-` reads CopyObject's source conditions; errors name the headers read. */
export function preconditionsFrom(headers: IncomingHttpHeaders, prefix = ''): Preconditions {
  const pre: Preconditions = prefix === ''
    ? { names: { ifMatch: 'If-Match', ifUnmodifiedSince: 'If-Unmodified-Since' } }
    : { names: { ifMatch: `${prefix}if-match`, ifUnmodifiedSince: `${prefix}if-unmodified-since` } };
  // An empty value is no condition: ali-oss's multipartUploadCopy sends `x-oss-copy-source-if-match: ''` on every
  // UploadPartCopy when its caller gives copyheaders that way, and its own test expects the copy to succeed.
  const im = header(headers, `${prefix}if-match`);
  if (im !== undefined && im.trim() !== '') pre.ifMatch = im;
  const inm = header(headers, `${prefix}if-none-match`);
  if (inm !== undefined && inm.trim() !== '') pre.ifNoneMatch = inm;
  const ims = optionalDate(header(headers, `${prefix}if-modified-since`));
  if (ims !== undefined) pre.ifModifiedSince = ims;
  const ius = optionalDate(header(headers, `${prefix}if-unmodified-since`));
  if (ius !== undefined) pre.ifUnmodifiedSince = ius;
  return pre;
}

export const quoted = (etag: string): string => `"${etag}"`;

/** Headers describing an object on GET/HEAD. */
export function objectHeaders(obj: ObjectRecord): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': obj.headers.contentType,
    ETag: quoted(obj.etag),
    'Last-Modified': httpDate(obj.lastModified),
    'Accept-Ranges': 'bytes',
    'x-oss-object-type': obj.type,
    'x-oss-storage-class': obj.storageClass,
    'x-oss-hash-crc64ecma': obj.crc64,
  };
  if (obj.contentMd5 !== null) h['Content-MD5'] = obj.contentMd5;
  if (obj.headers.cacheControl !== undefined) h['Cache-Control'] = obj.headers.cacheControl;
  if (obj.headers.contentDisposition !== undefined) h['Content-Disposition'] = obj.headers.contentDisposition;
  if (obj.headers.contentEncoding !== undefined) h['Content-Encoding'] = obj.headers.contentEncoding;
  if (obj.headers.contentLanguage !== undefined) h['Content-Language'] = obj.headers.contentLanguage;
  if (obj.headers.expires !== undefined) h.Expires = obj.headers.expires;
  for (const [k, v] of Object.entries(obj.userMeta)) h[`x-oss-meta-${k}`] = v;
  if (obj.tags.length > 0) h['x-oss-tagging-count'] = String(obj.tags.length);
  if (obj.type === 'Appendable') h['x-oss-next-append-position'] = String(obj.size);
  // SealAppendObject (docs/traffic-limit-seal.md)
  if (typeof obj.attrs?.sealedTime === 'number') h['x-oss-sealed-time'] = httpDate(obj.attrs.sealedTime);
  return h;
}
