import { createHmac } from 'node:crypto';
import { compareBytes, headerValue, type SignableRequest } from './request.js';
import { uriEncode } from '../../util/uri-encode.js';

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
