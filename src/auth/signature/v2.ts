import { createHmac } from 'node:crypto';
import { compareBytes, headerValue, type SignableRequest } from './request.js';
import { uriEncode } from '../../util/uri-encode.js';
import { safeEqual } from '../../util/safe-equal.js';

// Signature V2 (`OSS2`, oss2 AuthV2 / Go SDK AuthV2): V1's shape with HMAC-SHA256, extra signed headers,
// and a resource that is fully percent-encoded (`/` too) followed by *every* query parameter.

export const V2_VERSION = 'OSS2';

/** Query keys of a V2 presigned URL that are not part of what it signs (the signature itself). */
const V2_URL_SIGNATURE_PARAM = 'x-oss-signature';

function canonicalHeadersV2(req: SignableRequest, additional: ReadonlySet<string>): string {
  const lines: Array<[string, string]> = [];
  for (const name of Object.keys(req.headers)) {
    if (!name.startsWith('x-oss-') && !additional.has(name)) continue;
    lines.push([name, (headerValue(req.headers, name) ?? '').trim()]);
  }
  lines.sort((a, b) => compareBytes(a[0], b[0]));
  return lines.map(([n, v]) => `${n}:${v}\n`).join('');
}

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
    `${req.method}\n` +
    `${headerValue(req.headers, 'content-md5') ?? ''}\n` +
    `${headerValue(req.headers, 'content-type') ?? ''}\n` +
    `${dateSlot}\n` +
    canonicalHeadersV2(req, new Set(additionalHeaders)) +
    `${additionalHeaders.join(';')}\n` +
    canonicalResourceV2(req, presigned)
  );
}

export function signV2(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('base64');
}

/**
 * Headers that never carry a signed value: connection-specific (RFC 9110 7.6.1) or a slot of their own in the
 * StringToSign, or signed anyway (`x-oss-*`).
 */
const NEVER_ADDITIONAL = new Set(['authorization', 'connection', 'content-md5', 'content-type', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** At most 2^8 - 1 extra HMACs for a URL that names no additional headers and did not match without them. */
const MAX_UNNAMED_CANDIDATES = 8;

/**
 * The additional headers an OSS2 URL signed without naming them, if any set of the request's headers makes
 * `provided` match. oss2's `sign_url(..., additional_headers=...)` (AuthV2._sign_url) signs the headers and their
 * `;`-joined names but puts no `x-oss-additional-headers` in the URL (test_sign.py test_sign_v2_additional_headers).
 * Every candidate set is signed over the values this request carries, so a match proves the signer fixed exactly
 * those values: no more is accepted than a URL naming the same set. Null when none matches or the request carries
 * more candidate headers than are worth trying.
 */
export function unnamedAdditionalHeadersV2(req: SignableRequest, secret: string, dateSlot: string, provided: string): string[] | null {
  const candidates = Object.keys(req.headers)
    .filter((name) => !name.startsWith('x-oss-') && !NEVER_ADDITIONAL.has(name) && !name.includes('_'))
    .sort(compareBytes);
  if (candidates.length === 0 || candidates.length > MAX_UNNAMED_CANDIDATES) return null;
  for (let mask = 1; mask < 1 << candidates.length; mask++) {
    const set = candidates.filter((_, i) => (mask & (1 << i)) !== 0);
    if (safeEqual(signV2(secret, stringToSignV2(req, dateSlot, set, true)), provided)) return set;
  }
  return null;
}
