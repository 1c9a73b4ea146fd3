// A test-side OSS2 (signature V2) signer written from oss2's ProviderAuthV2, independent of src/auth.
import { createHmac } from 'node:crypto';

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
