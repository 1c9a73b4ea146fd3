/** The benchmark's HTTP client: V1-signed OSS requests over a keep-alive agent. */
import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { signV1, stringToSignV1 } from '../src/auth/signature/v1.js';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS credentials: sent (and signed) as x-oss-security-token. */
  securityToken?: string;
}

export interface BenchRequest {
  method: 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST';
  bucket: string;
  key: string | null;
  query?: Array<[string, string]>;
  /** A small body sent as is, or a factory of a streamed body of `bodyLength` bytes. */
  body?: Buffer | (() => Readable);
  bodyLength?: number;
  /** Keep the response body as text and bytes (small responses only). */
  collect?: boolean;
  /** More headers, signed with the rest (x-oss-copy-source, say). */
  headers?: Record<string, string>;
}

export interface BenchResponse {
  status: number;
  bytes: number;
  text: string;
  /** The body's bytes when collected. */
  data: Buffer;
  headers: IncomingHttpHeaders;
}

export interface PreparedRequest {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
}

let cachedSecond = -1;
let cachedDate = '';
function dateHeader(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== cachedSecond) {
    cachedSecond = s;
    cachedDate = new Date(s * 1000).toUTCString();
  }
  return cachedDate;
}

const encodeKey = (key: string): string => key.split('/').map(encodeURIComponent).join('/');

/** Builds path and headers with `Authorization: OSS <ak>:<signature>` (path-style addressing). */
export function signRequest(creds: Credentials, r: BenchRequest): PreparedRequest {
  const query = r.query ?? [];
  const headers: Record<string, string> = { ...r.headers, date: dateHeader() };
  if (r.method === 'PUT' || r.method === 'POST') {
    headers['content-type'] = 'application/octet-stream';
    headers['content-length'] = String(r.bodyLength ?? (Buffer.isBuffer(r.body) ? r.body.length : 0));
  }
  if (creds.securityToken !== undefined) headers['x-oss-security-token'] = creds.securityToken;
  const sts = stringToSignV1({ method: r.method, bucket: r.bucket, key: r.key, query, headers }, headers.date!, false);
  headers.authorization = `OSS ${creds.accessKeyId}:${signV1(creds.accessKeySecret, sts)}`;
  let path = `/${encodeURIComponent(r.bucket)}/${r.key === null ? '' : encodeKey(r.key)}`;
  if (query.length > 0) path += `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`;
  return { method: r.method, path, headers };
}

export class Target {
  readonly agent: Agent;
  readonly host: string;
  readonly port: number;

  constructor(url: string, readonly creds: Credentials, concurrency: number) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  }

  send(r: BenchRequest): Promise<BenchResponse> {
    const p = signRequest(this.creds, r);
    return new Promise<BenchResponse>((resolve, reject) => {
      const req = httpRequest({ host: this.host, port: this.port, method: p.method, path: p.path, headers: p.headers, agent: this.agent }, (res) => {
        let bytes = 0;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (r.collect || (res.statusCode ?? 0) >= 300) chunks.push(chunk);
        });
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, bytes, text: data.toString('utf8'), data, headers: res.headers });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (r.body === undefined) {
        req.end();
      } else if (Buffer.isBuffer(r.body)) {
        req.end(r.body);
      } else {
        pipeline(r.body(), req).catch(reject);
      }
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `count` requests with `concurrency` in flight; requests per second. */
export async function rate(count: number, concurrency: number, send: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    for (let i = next++; i < count; i = next++) await send(i);
  }));
  return count / (Number(process.hrtime.bigint() - t0) / 1e9);
}
