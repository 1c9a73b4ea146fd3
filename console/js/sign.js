// @ts-check
// Request signatures computed in the browser with WebCrypto: POP RPC (HMAC-SHA1, SignatureVersion 1.0)
// for RAM and STS, and OSS V1 (header `Authorization: OSS ak:sig` and presigned URLs). Pure functions of
// their inputs; the secret is passed in for each call and never stored here.

const enc = new TextEncoder();

/**
 * base64(HMAC-SHA1(key, text)).
 * @param {string} key
 * @param {string} text
 * @returns {Promise<string>}
 */
export async function hmacSha1Base64(key, text) {
  const k = await crypto.subtle.importKey('raw', enc.encode(key), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(text)));
  let bin = '';
  for (const b of sig) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * POP percent-encoding: UTF-8, upper-case %XX for every byte but A-Z a-z 0-9 - _ . ~.
 * @param {string} s
 */
export function percentEncode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `2015-01-23T12:33:18Z` */
export function isoSeconds(ms = Date.now()) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The legacy RPC string to sign over every parameter but Signature, sorted by code point.
 * @param {string} method
 * @param {Map<string, string>} params
 */
export function rpcStringToSign(method, params) {
  const keys = [...params.keys()].filter((k) => k !== 'Signature').sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = keys.map((k) => `${percentEncode(k)}=${percentEncode(/** @type {string} */ (params.get(k)))}`).join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

/**
 * Signs RPC parameters in place (adds Signature).
 * @param {string} secret
 * @param {Map<string, string>} params
 */
export async function signRpc(secret, params) {
  params.set('Signature', await hmacSha1Base64(`${secret}&`, rpcStringToSign('POST', params)));
}

/** Query keys OSS V1 signs (the sub-resources the console uses). */
const SUB_RESOURCES = new Set(['acl', 'uploads', 'uploadId', 'partNumber', 'delete', 'security-token', 'objectMeta', 'tagging', 'response-content-disposition', 'response-content-type']);

/**
 * `/bucket/key?subresources` as V1 signs it (decoded key).
 * @param {string | null} bucket
 * @param {string | null} key
 * @param {Array<[string, string]>} query
 */
export function ossCanonicalResource(bucket, key, query) {
  let path = '/';
  if (bucket !== null) path += `${bucket}/${key ?? ''}`;
  const subs = query.filter(([k]) => SUB_RESOURCES.has(k) || k.startsWith('x-oss-'));
  if (subs.length === 0) return path;
  subs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `${path}?${subs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&')}`;
}

/**
 * OSS V1 string to sign.
 * @param {{method: string, headers: Record<string, string>, resource: string, dateSlot: string}} r
 */
export function ossStringToSign(r) {
  const lower = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ossHeaders = Object.keys(lower)
    .filter((k) => k.startsWith('x-oss-'))
    .sort()
    .map((k) => `${k}:${String(lower[k]).trim()}\n`)
    .join('');
  return `${r.method}\n${lower['content-md5'] ?? ''}\n${lower['content-type'] ?? ''}\n${r.dateSlot}\n${ossHeaders}${r.resource}`;
}

/**
 * A key as a URL path: every segment percent-encoded, `/` kept.
 * @param {string} key
 */
export function encodeKey(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}
