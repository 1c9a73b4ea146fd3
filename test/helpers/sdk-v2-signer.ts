// A V4 signer written from the official V2 SDKs' algorithm (alibabacloud-oss-go-sdk-v2 oss/signer/v4.go,
// alibabacloud-oss-python-sdk-v2 alibabacloud_oss_v2/signer/v4.py), independent of src/auth: the canonical
// query is built from the *raw* query string as sent (split on & and =, sorted, `k` for an empty value), the
// canonical URI is '/' + bucket + '/' + key percent-encoded byte by byte except A-Z a-z 0-9 - . _ ~ and '/',
// the canonical headers are content-type, content-md5, x-oss-* and the listed additional headers that are
// present and non-empty; presigned URLs add x-oss-signature-version/-date/-expires/-credential (and
// x-oss-security-token, x-oss-additional-headers) to the query before signing it.
import { createHash, createHmac } from 'node:crypto';

export const REGION = 'cn-hangzhou';

/** Go's url.QueryEscape with '+' turned into %20 (client.go), = Python's quote(v, safe=''). */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The .NET SDK v2's query encoder (StringExtensions.UrlEncode: WebUtility.UrlEncode, then '+' → %20): it leaves
 * `!*()` as they are and writes `~` as %7E; its signer then signs the query as sent (SignerV4.CanonicalizeRequest).
 */
export function dotnetQueryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.!*()]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** signer/v4.go escapePath(path, false): every byte but unreserved and '/' as %XX. */
export function escapePath(p: string): string {
  return queryEscape(p).replace(/%2F/g, '/');
}

/** Raw query as the SDKs send it: `k` for an empty value, else k=v, both escaped. */
function rawQuery(params: Array<[string, string]>, escape: (s: string) => string): string {
  return params.map(([k, v]) => (v === '' ? escape(k) : `${escape(k)}=${escape(v)}`)).join('&');
}

/** The canonical query of v4.go calcCanonicalRequest: from the raw query, sorted, empty values bare. */
function canonicalQuery(raw: string): string {
  const pairs: Array<[string, string]> = [];
  for (const part of raw.replace(/\+/g, '%20').split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    pairs.push(at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&');
}

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

function signature(secret: string, day: string, stringToSign: string): string {
  const k = hmac(hmac(hmac(hmac(`aliyun_v4${secret}`, day), REGION), 'oss'), 'aliyun_v4_request');
  return createHmac('sha256', k).update(stringToSign, 'utf8').digest('hex');
}

const isDefaultSigned = (h: string): boolean => h.startsWith('x-oss-') || h === 'content-type' || h === 'content-md5';

export interface SdkRequest {
  method: string;
  bucket: string | null;
  key: string | null;
  params?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The SDK's AdditionalHeaders option (kept only when present, non-empty and not signed by default). */
  additional?: string[];
}

export interface Creds {
  ak: string;
  secret: string;
  token?: string;
}

function canonicalRequest(r: SdkRequest, raw: string, headers: Record<string, string>, additional: string[]): string {
  const uri = escapePath(`/${r.bucket !== null ? `${r.bucket}/` : ''}${r.key ?? ''}`);
  const names = Object.keys(headers).map((h) => h.toLowerCase()).filter((h) => isDefaultSigned(h) || additional.includes(h)).sort();
  const canonHeaders = names.map((h) => `${h}:${headers[h]!.trim()}\n`).join('');
  const payload = headers['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD';
  return `${r.method}\n${uri}\n${canonicalQuery(raw)}\n${canonHeaders}\n${additional.join(';')}\n${payload}`;
}

function stringToSign(iso: string, scope: string, canonical: string): string {
  return `OSS4-HMAC-SHA256\n${iso}\n${scope}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

const isoBasic = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function pathOf(r: SdkRequest): string {
  // Path style (an IP endpoint): /bucket/ + escaped key, or /bucket/ for bucket operations.
  if (r.bucket === null) return '/';
  return `/${r.bucket}/${r.key !== null ? escapePath(r.key) : ''}`;
}

/** authHeader of v4.go / _auth_header of v4.py. */
export function signHeader(r: SdkRequest, c: Creds, now = Date.now(), escape: (s: string) => string = queryEscape): { path: string; headers: Record<string, string>; canonical: string } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  const iso = isoBasic(now);
  const day = iso.slice(0, 8);
  headers['x-oss-date'] = iso;
  headers.date = new Date(now).toUTCString();
  if (c.token !== undefined) headers['x-oss-security-token'] = c.token;
  headers['x-oss-content-sha256'] = 'UNSIGNED-PAYLOAD';
  const scope = `${day}/${REGION}/oss/aliyun_v4_request`;
  const additional = [...new Set((r.additional ?? []).map((h) => h.toLowerCase()))].filter((h) => !isDefaultSigned(h) && (headers[h] ?? '') !== '').sort();
  const raw = rawQuery(r.params ?? [], escape);
  const canonical = canonicalRequest(r, raw, headers, additional);
  const sig = signature(c.secret, day, stringToSign(iso, scope, canonical));
  headers.authorization = `OSS4-HMAC-SHA256 Credential=${c.ak}/${scope}${additional.length ? `,AdditionalHeaders=${additional.join(';')}` : ''},Signature=${sig}`;
  return { path: `${pathOf(r)}${raw ? `?${raw}` : ''}`, headers, canonical };
}

/** authQuery of v4.go (url.Values.Encode: sorted, QueryEscape, '+' → %20). */
export function presign(r: SdkRequest, c: Creds, expiresSec: number, now = Date.now(), escape: (s: string) => string = queryEscape): string {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  const iso = isoBasic(now);
  const day = iso.slice(0, 8);
  const scope = `${day}/${REGION}/oss/aliyun_v4_request`;
  const additional = [...new Set((r.additional ?? []).map((h) => h.toLowerCase()))].filter((h) => !isDefaultSigned(h) && (headers[h] ?? '') !== '').sort();
  const params: Array<[string, string]> = [...(r.params ?? [])];
  if (c.token !== undefined) params.push(['x-oss-security-token', c.token]);
  params.push(['x-oss-signature-version', 'OSS4-HMAC-SHA256'], ['x-oss-date', iso], ['x-oss-expires', String(expiresSec)], ['x-oss-credential', `${c.ak}/${scope}`]);
  if (additional.length) params.push(['x-oss-additional-headers', additional.join(';')]);
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  // url.Values.Encode writes k= for an empty value.
  const encode = (ps: Array<[string, string]>): string => ps.map(([k, v]) => `${escape(k)}=${escape(v)}`).join('&');
  const raw = encode(params);
  const sig = signature(c.secret, day, stringToSign(iso, scope, canonicalRequest(r, raw, headers, additional)));
  return `${pathOf(r)}?${encode([...params, ['x-oss-signature', sig]].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) as Array<[string, string]>)}`;
}

