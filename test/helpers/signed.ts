// One V1-signed request against a test server, its answer as text with the error document parsed: for tests of
// operations no client library sends (unpublished ones, bodies the SDKs write that ali-oss cannot).
import assert from 'node:assert/strict';
import { errorOf, queryString, rawRequest, v1Authorization, type RawResponse } from './raw-http.js';
import { AK, SECRET } from './server.js';

export interface SignedReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The answer's bytes (binary answers: select frames, images). */
  body: Buffer;
  err: Record<string, string> | null;
}

/** `query` pairs with '' for a bare sub-resource; `creds` defaults to the test account's root key. */
export async function signedRequest(
  port: number, method: string, bucket: string | null, key: string | null, query: Array<[string, string]>,
  opts: { body?: string | Buffer; headers?: Record<string, string>; creds?: [string, string] } = {},
): Promise<SignedReply> {
  const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}` : '';
  const path = `/${bucket === null ? '' : `${bucket}/${key ?? ''}`}${qs}`;
  const headers: Record<string, string> = { host: `localhost:${port}`, 'x-oss-date': new Date().toUTCString(), ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  const [ak, secret] = opts.creds ?? [AK, SECRET];
  headers.authorization = v1Authorization({ method, bucket, key, query, headers }, ak, secret).authorization;
  const res = await rawRequest(port, { method, path, headers, body: opts.body });
  return { status: res.status, headers: res.headers, text: res.body.toString('utf8'), body: res.body, err: errorOf(res) };
}

export function succeeds(r: SignedReply, status = 200): SignedReply {
  assert.equal(r.status, status, r.text.slice(0, 400));
  return r;
}

export function failsWith(r: SignedReply, code: string, status: number, ec?: string): SignedReply {
  assert.equal(r.status, status, r.text.slice(0, 400));
  assert.equal(r.err?.Code, code, r.text.slice(0, 400));
  if (ec !== undefined) assert.equal(r.err?.EC, ec, r.text.slice(0, 400));
  return r;
}

/** A request as an SDK sends it to an IP or localhost endpoint: path style, a `Date` header, V1-signed. */
export interface SdkRequest {
  method: string;
  /** null: a service request. */
  bucket: string | null;
  key?: string | null;
  query?: Array<[string, string]>;
  /** Lower-case names, as signed. */
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type SdkReply = RawResponse & { err: Record<string, string> | null; text: string };

/** Sends `r` with the key written into the path by `encodeKey` (each SDK quotes keys its own way). */
export async function sdkSignedRequest(port: number, r: SdkRequest, encodeKey: (key: string) => string, creds: { accessKeyId: string; accessKeySecret: string } = { accessKeyId: AK, accessKeySecret: SECRET }): Promise<SdkReply> {
  const key = r.key ?? null;
  const path = r.bucket === null ? `/${queryString(r.query)}` : `/${r.bucket}/${key === null ? '' : encodeKey(key)}${queryString(r.query)}`;
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, date: new Date().toUTCString(), ...(r.headers ?? {}) };
  headers['content-length'] = String(r.body === undefined ? 0 : Buffer.byteLength(r.body));
  headers.authorization = v1Authorization({ method: r.method, bucket: r.bucket, key, query: r.query ?? [], headers }, creds.accessKeyId, creds.accessKeySecret).authorization;
  const res = await rawRequest(port, { method: r.method, path, headers, body: r.body });
  return { ...res, err: errorOf(res), text: res.body.toString('utf8') };
}
