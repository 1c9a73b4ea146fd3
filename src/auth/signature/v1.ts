import { hmacSha1Base64 } from '../../util/hmac-sha1.js';
import { compareBytes, headerValue, isSubResource, LEGACY_V1_SUB_RESOURCES, URL_SIGNED_ROUTING_KEYS, type SignableRequest } from './request.js';

/** Query keys of a V1 presigned URL that are not part of what it signs. */
const V1_URL_AUTH_PARAMS = new Set(['OSSAccessKeyId', 'Expires', 'Signature']);

export function canonicalizedOssHeaders(req: SignableRequest): string {
  // for…in, and arrays only once a second x-oss- header shows up: most requests carry none or one.
  let first: string | null = null;
  let lines: Array<[string, string]> | null = null;
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name];
    if (!name.startsWith('x-oss-') || value === undefined) continue;
    const line = `${name}:${(Array.isArray(value) ? value.join(',') : value).trim()}\n`;
    if (first === null && lines === null) {
      first = line;
      continue;
    }
    lines ??= [[first!.slice(0, first!.indexOf(':')), first!]];
    lines.push([name, line]);
  }
  if (lines === null) return first ?? '';
  lines.sort((a, b) => compareBytes(a[0], b[0]));
  let out = '';
  for (const [, line] of lines) out += line;
  return out;
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

/** Whether some V1 list signs `k` (the widest reading: every name a CanonicalizedResource's query part can hold). */
const signedByAnyList = (k: string): boolean => isUrlSigned(k) || isLegacySubResource(k);

/** The name a query piece starting at `at` of `text` gives: up to its first `=` or `&`. */
function pieceName(text: string, at: number): string {
  let end = at;
  while (end < text.length && text[end] !== '=' && text[end] !== '&') end++;
  return text.slice(at, end);
}

/**
 * The signed query key of a V1 request whose CanonicalizedResource would read as another request's, or null.
 * V1 joins the *decoded* names and values with `=` and `&` as they are, so an `x-oss-*` name holding `=` or `&`
 * (`x-oss-process%3Dimage%2Fresize%2Cw_50` with no value signs `x-oss-process=image/resize,w_50`), or a value
 * holding `&` and then a signed name (`response-content-disposition=attachment%26x-oss-process%3D…`), signs the
 * same string as a request that carries that parameter: a presigned URL (or a captured header-signed request) for a
 * resized, watermarked, throttled or version-pinned read could be sent without the parameter. Refusing these leaves
 * one request per string (split at each `&` before a signed name, each piece at its first `=`). No SDK signs such a
 * name, and a value's `&` before anything else (`filename="Tom&Jerry.mp4"`) is still accepted. The names are
 * sorted before they are joined, so a piece whose name sorts before its own key's (`filename=rock&cors` in a
 * response-content-disposition) could not be a parameter of its own there, and is accepted too.
 */
export function ambiguousV1Parameter(req: SignableRequest): string | null {
  for (const [k, v] of req.query) {
    if (!signedByAnyList(k)) continue;
    if (k.includes('=') || k.includes('&')) return k;
    for (let at = v.indexOf('&'); at >= 0; at = v.indexOf('&', at + 1)) {
      const piece = pieceName(v, at + 1);
      if (signedByAnyList(piece) && compareBytes(piece, k) >= 0) return k;
    }
  }
  return null;
}

/**
 * The signed query key a V1 signature over `key` would also cover, or null. V1 puts the object key into the
 * CanonicalizedResource unencoded, so a key holding `?` followed by a sub-resource (`report?tagging`, `?policy`)
 * signs the same string as that sub-resource's request on the key before the `?` (`PUT /b/report?tagging`,
 * `PUT /b/?policy`): a presigned V1 URL handed out for such an object works as that other operation, and a server
 * cannot tell the two apart. Our V1 signers refuse such keys (`alunite oss sign` without `--v4`); V4 encodes the `?`.
 * The piece after every `?` counts: the key the other request names may itself hold a `?` (sent encoded).
 */
export function v1KeyReadsAsSubResource(key: string): string | null {
  const q = key.indexOf('?');
  if (q < 0) return null;
  // Any `?` can be the split, not only the first: `report?x?tagging` also signs `PUT /b/report%3Fx?tagging`
  // (the key `report?x`, then `?tagging`). So every piece after a `?` or a later `&` is looked at.
  for (let at = q; at >= 0; at = nextSeparator(key, at + 1)) {
    const piece = pieceName(key, at + 1);
    if (signedByAnyList(piece)) return piece;
  }
  return null;
}

/** The index of the next `?` or `&` in `text` from `from`, or -1. */
function nextSeparator(text: string, from: number): number {
  for (let i = from; i < text.length; i++) if (text[i] === '?' || text[i] === '&') return i;
  return -1;
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
