import { hmacSha1Base64 } from '../../util/hmac-sha1.js';
import { compareBytes, headerValue, isSubResource, LEGACY_V1_SUB_RESOURCES, URL_SIGNED_ROUTING_KEYS, type SignableRequest } from './request.js';

/** Query keys of a V1 presigned URL that are not part of what it signs. */
const V1_URL_AUTH_PARAMS = new Set(['OSSAccessKeyId', 'Expires', 'Signature']);

export function canonicalizedOssHeaders(req: SignableRequest): string {
  const lines: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-oss-') || value === undefined) continue;
    lines.push([name, (Array.isArray(value) ? value.join(',') : value).trim()]);
  }
  lines.sort((a, b) => compareBytes(a[0], b[0]));
  return lines.map(([n, v]) => `${n}:${v}\n`).join('');
}

/**
 * Which query keys a V1 signature covers: every sub-resource; only those the Java SDK 3.x signs (`legacy`); or
 * every one but `inventoryId` (`sdk-v2`: the Python SDK v2 signs an inventory request's `inventory` and not its
 * `inventoryId`, which its default list lacks and the operation does not add).
 */
export type SubResourceList = 'current' | 'legacy' | 'sdk-v2';

const isLegacySubResource = (k: string): boolean => LEGACY_V1_SUB_RESOURCES.has(k);
const isSdkV2SubResource = (k: string): boolean => k !== 'inventoryId' && isSubResource(k);
const LISTS: Record<SubResourceList, (k: string) => boolean> = { current: isSubResource, legacy: isLegacySubResource, 'sdk-v2': isSdkV2SubResource };

const isUrlSigned = (k: string): boolean => isSubResource(k) || URL_SIGNED_ROUTING_KEYS.has(k);

export function canonicalizedResource(req: SignableRequest, presigned: boolean, list: SubResourceList = 'current'): string {
  let path = '/';
  if (req.bucket !== null) path += `${req.bucket}/${req.key ?? ''}`;
  // A presigned URL signs the keys that pick an operation even where the SDKs' header signatures leave them out.
  const signed = presigned && list === 'current' ? isUrlSigned : LISTS[list];
  const subs = req.query.filter(([k]) => signed(k) && !(presigned && V1_URL_AUTH_PARAMS.has(k)));
  if (subs.length === 0) return path;
  const sorted = [...subs].sort((a, b) => compareBytes(a[0], b[0]));
  return `${path}?${sorted.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&')}`;
}

/** StringToSign of V1; `dateSlot` is x-oss-date/Date for header auth, Expires for URLs. */
export function stringToSignV1(req: SignableRequest, dateSlot: string, presigned: boolean, list: SubResourceList = 'current'): string {
  return (
    `${req.method}\n` +
    `${headerValue(req.headers, 'content-md5') ?? ''}\n` +
    `${headerValue(req.headers, 'content-type') ?? ''}\n` +
    `${dateSlot}\n` +
    canonicalizedOssHeaders(req) +
    canonicalizedResource(req, presigned, list)
  );
}

/** Whether `list` signs other keys of this request than the current list (only then do their StringToSigns differ). */
export function subResourceListsDiffer(req: SignableRequest, list: SubResourceList = 'legacy'): boolean {
  const other = LISTS[list];
  return req.query.some(([k]) => isSubResource(k) !== other(k));
}

export function signV1(secret: string, stringToSign: string): string {
  return hmacSha1Base64(secret, stringToSign);
}
