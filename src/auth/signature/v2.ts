import { createHmac } from 'node:crypto';
import { compareBytes, headerValue, type SignableRequest } from './request.js';
import { uriEncode } from '../../util/uri-encode.js';
import { safeEqual } from '../../util/safe-equal.js';

// Signature V2 (`OSS2`, oss2 AuthV2 / Go SDK AuthV2): V1's shape with HMAC-SHA256, extra signed headers,
// and a resource that is fully percent-encoded (`/` too) followed by *every* query parameter.

export const V2_VERSION = 'OSS2';

/** Query keys of a V2 presigned URL that are not part of what it signs (the signature itself). */
const V2_URL_SIGNATURE_PARAM = 'x-oss-signature';

/** One signed header's `name:value` line. */
const headerLineV2 = (req: SignableRequest, name: string): string => `${name}:${(headerValue(req.headers, name) ?? '').trim()}\n`;

function canonicalHeadersV2(req: SignableRequest, additional: ReadonlySet<string>): string {
  return Object.keys(req.headers)
    .filter((name) => name.startsWith('x-oss-') || additional.has(name))
    .sort(compareBytes)
    .map((name) => headerLineV2(req, name))
    .join('');
}

/** The StringToSign's first four lines: verb, Content-MD5, Content-Type, the date slot. */
const headV2 = (req: SignableRequest, dateSlot: string): string =>
  `${req.method}\n${headerValue(req.headers, 'content-md5') ?? ''}\n${headerValue(req.headers, 'content-type') ?? ''}\n${dateSlot}\n`;

/** `uriEncode("/bucket/key")` (slashes encoded) + `?` + all query parameters, encoded and sorted. */
export function canonicalResourceV2(req: SignableRequest, presigned: boolean): string {
  const path = uriEncode(req.bucket === null ? '/' : `/${req.bucket}/${req.key ?? ''}`, false);
  const params = req.query
    .filter(([k]) => !(presigned && k === V2_URL_SIGNATURE_PARAM))
    .map(([k, v]): [string, string] => [uriEncode(k, false), uriEncode(v, false)]);
  if (params.length === 0) return path;
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return `${path}?${params.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&')}`;
}

/**
 * StringToSign of V2; `dateSlot` is the Date header for header auth, `x-oss-expires` for URLs;
 * `additionalHeaders` lower-case and sorted.
 */
export function stringToSignV2(req: SignableRequest, dateSlot: string, additionalHeaders: readonly string[], presigned: boolean): string {
  return (
    headV2(req, dateSlot) +
    canonicalHeadersV2(req, new Set(additionalHeaders)) +
    `${additionalHeaders.join(';')}\n` +
    canonicalResourceV2(req, presigned)
  );
}

export function signV2(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('base64');
}

/**
 * Headers that never carry a signed value: connection-specific (RFC 9110 7.6.1), with a slot of their own in the
 * StringToSign, or signed anyway (`x-oss-*`).
 */
const NEVER_ADDITIONAL = new Set(['authorization', 'connection', 'content-md5', 'content-type', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Sets tried at most (one HMAC each) for a URL that names no additional headers and did not match without them: every set of up to 3 of 7 candidates. */
const MAX_UNNAMED_TRIES = 64;
/**
 * Bytes hashed at most over those tries (about four HMACs of a request head at the 16 KiB limit): without it a wrong
 * signature with a known AccessKeyId (public in any URL) and large headers cost 64 HMACs over the whole head.
 */
const MAX_UNNAMED_BYTES = 64 * 1024;

/** The index sets of `n` items by growing size (1, 2, …), each in lexicographic order. */
function* subsetsBySize(n: number): Generator<number[]> {
  function* of(size: number, from: number, picked: number[]): Generator<number[]> {
    if (picked.length === size) {
      yield picked;
      return;
    }
    for (let i = from; i <= n - (size - picked.length); i++) yield* of(size, i + 1, [...picked, i]);
  }
  for (let size = 1; size <= n; size++) yield* of(size, 0, []);
}

/**
 * The additional headers an OSS2 URL signed without naming them, if a set of the request's headers makes `provided`
 * match. oss2's `sign_url(..., additional_headers=...)` (AuthV2._sign_url) signs the headers and their `;`-joined
 * names but puts no `x-oss-additional-headers` in the URL (test_sign.py test_sign_v2_additional_headers). Every set
 * is signed over the values this request carries, so a match proves the signer fixed exactly those values: no more
 * is accepted than a URL naming the same set. Smallest sets first, at most MAX_UNNAMED_TRIES of them and
 * MAX_UNNAMED_BYTES hashed; null when none matches.
 */
export function unnamedAdditionalHeadersV2(req: SignableRequest, secret: string, dateSlot: string, provided: string): string[] | null {
  const names = Object.keys(req.headers).filter((n) => !n.startsWith('x-oss-') && !NEVER_ADDITIONAL.has(n) && !n.includes('_')).sort(compareBytes);
  if (names.length === 0) return null;
  const head = headV2(req, dateSlot);
  const resource = canonicalResourceV2(req, true);
  // Every line a set may sign, sorted once: the x-oss-* lines (candidate -1, always in) and each candidate's.
  const index = new Map(names.map((n, i) => [n, i]));
  const lines = Object.keys(req.headers)
    .filter((n) => n.startsWith('x-oss-') || index.has(n))
    .sort(compareBytes)
    .map((n) => ({ candidate: index.get(n) ?? -1, line: headerLineV2(req, n) }));
  let tries = 0;
  let bytes = 0;
  for (const picked of subsetsBySize(names.length)) {
    if (++tries > MAX_UNNAMED_TRIES) return null;
    const chosen = new Set(picked);
    const signed = lines.filter((l) => l.candidate < 0 || chosen.has(l.candidate)).map((l) => l.line).join('');
    const set = picked.map((i) => names[i]!);
    const stringToSign = `${head}${signed}${set.join(';')}\n${resource}`;
    if ((bytes += stringToSign.length) > MAX_UNNAMED_BYTES) return null;
    if (safeEqual(signV2(secret, stringToSign), provided)) return set;
  }
  return null;
}
