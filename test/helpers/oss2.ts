// Test-side OSS2 (signature V2) and OSS4 (V4) signers written from oss2's ProviderAuthV2 / ProviderAuthV4, independent of src/auth.
import { createHash, createHmac } from 'node:crypto';

/** RFC 3986 percent-encoding of UTF-8 bytes, `/` included (oss2 `v2_uri_encode`). */
export function v2Encode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface V2Input {
  method: string;
  bucket: string | null;
  key: string | null;
  /** Lower-case header names. */
  headers: Record<string, string>;
  query: Array<[string, string]>;
  /** The Date header (header auth) or x-oss-expires (URLs). */
  dateSlot: string;
  additional: string[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function v2StringToSign(r: V2Input): string {
  const extra = new Set(r.additional);
  const canon = Object.entries(r.headers)
    .filter(([k]) => k.startsWith('x-oss-') || extra.has(k))
    .sort(([a], [b]) => byName(a, b))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');
  const params = r.query.map(([k, v]) => [v2Encode(k), v2Encode(v)] as const).sort(([a], [b]) => byName(a, b));
  const path = r.bucket === null ? '/' : `/${r.bucket}/${r.key ?? ''}`;
  const resource = v2Encode(path) + (params.length ? `?${params.map(([k, v]) => (v ? `${k}=${v}` : k)).join('&')}` : '');
  return `${r.method}\n${r.headers['content-md5'] ?? ''}\n${r.headers['content-type'] ?? ''}\n${r.dateSlot}\n${canon}${[...r.additional].sort().join(';')}\n${resource}`;
}

export const v2Sign = (secret: string, stringToSign: string): string => createHmac('sha256', secret).update(stringToSign, 'utf8').digest('base64');

/**
 * The query string of an oss2 `sign_url` with AuthV2/StsAuth(v2): every parameter is signed, the token as
 * `security-token`, then `x-oss-signature` appended.
 */
export function v2PresignQuery(o: { method: string; bucket: string; key: string; ak: string; secret: string; expires: number; token?: string; query?: Array<[string, string]>; headers?: Record<string, string> }): string {
  const q: Array<[string, string]> = [...(o.query ?? [])];
  if (o.token !== undefined) q.push(['security-token', o.token]);
  q.push(['x-oss-signature-version', 'OSS2'], ['x-oss-expires', String(o.expires)], ['x-oss-access-key-id', o.ak]);
  const sig = v2Sign(o.secret, v2StringToSign({ method: o.method, bucket: o.bucket, key: o.key, headers: o.headers ?? {}, query: q, dateSlot: String(o.expires), additional: [] }));
  q.push(['x-oss-signature', sig]);
  return q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

// oss2's ProviderAuthV4 (oss2/auth.py, 2.19): the canonical URI `/bucket/key` encoded byte by byte keeping `/`,
// the query's names and values encoded the same way without keeping `/`, sorted by name, bare `k` for an empty
// value; headers x-oss-*, content-type, content-md5 and the additional ones, values as they are (not trimmed);
// the additional-headers line sorted in full; payload `x-oss-content-sha256` or UNSIGNED-PAYLOAD.

const v4Encode = (s: string, keepSlash: boolean): string => (keepSlash ? v2Encode(s).replace(/%2F/g, '/') : v2Encode(s));

export interface Oss2V4Input {
  method: string;
  bucket: string;
  key: string;
  /** Header names as the caller wrote them (oss2 lower-cases them for signing). */
  headers: Record<string, string>;
  params: Array<[string, string]>;
  /** The additional headers oss2 signs, lower-case, in the order it lists them. */
  additional: string[];
  region: string;
  isoDate: string;
}

export function oss2V4Signature(secret: string, r: Oss2V4Input): string {
  const isSigned = (k: string): boolean => k.startsWith('x-oss-') || k === 'content-type' || k === 'content-md5' || r.additional.includes(k);
  const canonHeaders = Object.entries(r.headers)
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .filter(([k]) => isSigned(k))
    .sort(([a], [b]) => byName(a, b))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');
  const query = r.params
    .map(([k, v]) => [v4Encode(k, false), v4Encode(v, false)] as const)
    .sort(([a], [b]) => byName(a, b))
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join('&');
  const payload = Object.entries(r.headers).find(([k]) => k.toLowerCase() === 'x-oss-content-sha256')?.[1] ?? 'UNSIGNED-PAYLOAD';
  const canonical = `${r.method}\n${v4Encode(`/${r.bucket}/${r.key}`, true)}\n${query}\n${canonHeaders}\n${[...r.additional].sort().join(';')}\n${payload}`;
  const day = r.isoDate.slice(0, 8);
  const scope = `${day}/${r.region}/oss/aliyun_v4_request`;
  const sts = `OSS4-HMAC-SHA256\n${r.isoDate}\n${scope}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
  const h = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
  const signingKey = h(h(h(h(`aliyun_v4${secret}`, day), r.region), 'oss'), 'aliyun_v4_request');
  return createHmac('sha256', signingKey).update(sts, 'utf8').digest('hex');
}

/**
 * `__get_additional_signed_headers`: lower-cased, x-oss-* and the default-signed ones dropped, then sorted by
 * their first character only (`headers.sort(key=lambda x: x[0])`), so names sharing one keep the caller's order.
 */
export function oss2V4AdditionalOrder(names: Iterable<string>): string[] {
  return [...names].map((n) => n.toLowerCase()).filter((n) => !(n.startsWith('x-oss-') || n === 'content-type' || n === 'content-md5')).sort((a, b) => byName(a[0]!, b[0]!));
}
