// Small shared helpers for the ali-oss integration tests (test/oss-*.test.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type OSS from 'ali-oss';
import type { TestServer } from './server.js';

/** The fields ali-oss puts on the errors it throws (spec §14). */
export interface OssError extends Error {
  code?: string;
  status?: number;
  requestId?: string;
  hostId?: string;
  ecCode?: string;
}

/** Awaits a call that must fail with the given OSS error code and HTTP status; returns the error. */
export async function expectOssError(call: Promise<unknown> | (() => Promise<unknown>), code: string, status: number): Promise<OssError> {
  let thrown: unknown;
  let value: unknown;
  try {
    value = await (typeof call === 'function' ? call() : call);
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) {
    const st = (value as { res?: { status?: number } } | undefined)?.res?.status;
    assert.fail(`expected ${code} (${status}) but the call succeeded (status ${String(st)})`);
  }
  assert.ok(thrown instanceof Error, `expected an Error, got ${String(thrown)}`);
  const e = thrown as OssError;
  assert.equal(e.code, code, `error code (message: ${e.message})`);
  assert.equal(e.status, status, `error status for ${code} (message: ${e.message})`);
  return e;
}

/**
 * CRC-64/XZ ("CRC64-ECMA" in OSS), written independently of src/util/crc64.ts: reflected ECMA-182
 * polynomial, init and xorout all-ones, one BigInt table.
 */
const CRC_POLY = 0xc96c5795d7870f42n;
const CRC_MASK = 0xffffffffffffffffn;
const CRC_TABLE: bigint[] = Array.from({ length: 256 }, (_, n) => {
  let c = BigInt(n);
  for (let i = 0; i < 8; i++) c = c & 1n ? (c >> 1n) ^ CRC_POLY : c >> 1n;
  return c;
});

export function crc64(data: Uint8Array): string {
  let crc = CRC_MASK;
  for (const b of data) crc = CRC_TABLE[Number((crc ^ BigInt(b)) & 0xffn)]! ^ (crc >> 8n);
  return (crc ^ CRC_MASK).toString(10);
}

export const md5Hex = (data: Uint8Array | string): string => createHash('md5').update(data).digest('hex').toUpperCase();
export const md5Base64 = (data: Uint8Array | string): string => createHash('md5').update(data).digest('base64');
export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** UTF-8 byte order, the order OSS lists keys in. */
export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface NamedClient {
  name: string;
  client: OSS;
}

/** The four client configurations: IP endpoint / path style × signature V1 / V4. */
export function clientMatrix(srv: TestServer, bucket: string): NamedClient[] {
  return [
    { name: 'ip+v1', client: srv.client({ bucket }) },
    { name: 'ip+v4', client: srv.client({ bucket, authorizationV4: true }) },
    { name: 'path+v1', client: srv.pathClient({ bucket }) },
    { name: 'path+v4', client: srv.pathClient({ bucket, authorizationV4: true }) },
  ];
}

/** Response headers of an ali-oss result (`res.headers`, lower-case names). */
export function headersOf(result: unknown): Record<string, string> {
  const res = (result as { res?: { headers?: Record<string, string> } }).res;
  assert.ok(res?.headers, 'result has res.headers');
  return res.headers;
}

export function statusOf(result: unknown): number {
  const res = (result as { res?: { status?: number } }).res;
  assert.ok(res?.status !== undefined, 'result has res.status');
  return res.status;
}

/** The parts of ali-oss's low-level request API that @types/ali-oss does not declare. */
export interface RawRequestParams {
  method: string;
  bucket?: string;
  object?: string;
  subres?: Record<string, string> | string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  content?: Buffer;
  mime?: string;
  successStatuses?: number[];
  xmlResponse?: boolean;
}

export interface RawResult {
  status: number;
  headers: Record<string, string>;
  data: unknown;
  res: { status: number; headers: Record<string, string> };
}

interface RawClient {
  _objectRequestParams(method: string, name: string, options?: { subres?: Record<string, string> | string; headers?: Record<string, string> }): RawRequestParams;
  request(params: RawRequestParams): Promise<RawResult>;
}

/** Sends an arbitrary object-level request signed by ali-oss itself (for bodies ali-oss never builds). */
export async function rawObjectRequest(
  client: OSS,
  method: string,
  key: string,
  opts: { subres?: Record<string, string> | string; headers?: Record<string, string>; content?: Buffer; mime?: string; successStatuses?: number[]; xmlResponse?: boolean },
): Promise<RawResult> {
  const raw = client as unknown as RawClient;
  const params = raw._objectRequestParams(method, key, { subres: opts.subres, headers: opts.headers });
  if (opts.content !== undefined) params.content = opts.content;
  if (opts.mime !== undefined) params.mime = opts.mime;
  params.successStatuses = opts.successStatuses ?? [200];
  if (opts.xmlResponse) params.xmlResponse = true;
  return raw.request(params);
}

interface RawBucketClient {
  _bucketRequestParams(method: string, bucket: string, subres: string | Record<string, string>, options?: object): RawRequestParams;
  request(params: RawRequestParams): Promise<RawResult>;
}

/**
 * Sends a bucket-level request signed by ali-oss itself (configurations ali-oss has no method for): `body` as XML;
 * 200 and 204 are successes, other statuses throw as ali-oss throws them.
 */
export async function rawBucketRequest(client: OSS, method: string, bucket: string, subres: string | Record<string, string>, body?: string): Promise<RawResult> {
  const raw = client as unknown as RawBucketClient;
  const params = raw._bucketRequestParams(method, bucket, subres, {});
  if (body !== undefined) {
    params.content = Buffer.from(body);
    params.mime = 'xml';
  }
  params.successStatuses = [200, 204];
  return raw.request(params);
}

/** Extracts `<Tag>text</Tag>` from a small XML document (error bodies fetched with plain fetch). */
export function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m?.[1];
}

/** @types/ali-oss insists that user metadata has `uid` and `pid`; real ali-oss takes any string map. */
export const userMeta = (m: Record<string, string>): OSS.UserMeta => m as unknown as OSS.UserMeta;

/** ali-oss methods missing from @types/ali-oss 6.23. */
export interface OssExtras {
  getObjectMeta(name: string, options?: object): Promise<{ status: number; res: { status: number; headers: Record<string, string> } }>;
  putObjectTagging(name: string, tag: Record<string, string>, options?: object): Promise<{ status: number; res: { status: number } }>;
  getObjectTagging(name: string, options?: object): Promise<{ status: number; tag: Record<string, string>; res: { status: number } }>;
  deleteObjectTagging(name: string, options?: object): Promise<{ status: number; res: { status: number } }>;
}

export const extras = (client: OSS): OssExtras => client as unknown as OssExtras;

interface AliCreateRequest {
  createRequest(this: OSS, params: RawRequestParams): { url: string; params: { method: string; headers: Record<string, string | number>; content?: Buffer } };
}
const aliCreateRequest = (createRequire(import.meta.url)('ali-oss/lib/common/utils/createRequest.js') as AliCreateRequest).createRequest;

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Signs a request with ali-oss itself but sends it with node:http, keeping the path byte for byte.
 * ali-oss's HTTP layer resolves `.`/`..` segments (WHATWG URL rules) after signing, so keys such as
 * `../../etc/passwd` can only reach a server this way.
 */
export function sendVerbatim(
  client: OSS,
  port: number,
  method: string,
  key: string,
  opts: { subres?: Record<string, string> | string; headers?: Record<string, string>; content?: Buffer } = {},
): Promise<WireResponse> {
  const raw = client as unknown as RawClient;
  const params = raw._objectRequestParams(method, key, { subres: opts.subres, headers: opts.headers });
  if (opts.content !== undefined) params.content = opts.content;
  const built = aliCreateRequest.call(client, params);
  const path = built.url.replace(/^https?:\/\/[^/]+/, '');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(built.params.headers)) headers[k] = String(v);
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(opts.content);
  });
}
