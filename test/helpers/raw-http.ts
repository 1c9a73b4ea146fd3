import { request, type IncomingHttpHeaders } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { createHmac } from 'node:crypto';
import { stringToSignV1 } from '../../src/auth/signature/v1.js';
import { canonicalRequestV4, scopeOf, signingKeyV4, signV4, stringToSignV4, UNSIGNED_PAYLOAD, V4_ALGORITHM } from '../../src/auth/signature/v4.js';
import type { SignableRequest } from '../../src/auth/signature/request.js';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequest {
  method: string;
  /** Path and query exactly as they go on the request line. */
  path: string;
  /** Either wire-order `[name, value, name, value…]` (kept verbatim) or a plain object. */
  headers?: string[] | Record<string, string>;
  body?: Buffer | string;
  /** The client address to send from (another 127.x address is another client to the server's per-client shares). */
  localAddress?: string;
}

/** One HTTP request to 127.0.0.1:port with exactly the given request line, headers and body. */
export function rawRequest(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', port, method: req.method, path: req.path, headers: req.headers ?? {}, agent: false, setHost: false, ...(req.localAddress === undefined ? {} : { localAddress: req.localAddress }) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

/** A POST of `body` (its Content-Type given) to `path` on 127.0.0.1:port, Host and Content-Length set. */
export function rawPost(port: number, path: string, contentType: string, body: string): Promise<RawResponse> {
  return rawRequest(port, {
    method: 'POST',
    path,
    headers: { host: `127.0.0.1:${port}`, 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
}

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, ignoreDeclaration: true });

/** The child elements of an OSS `<Error>` document, as strings. */
export function parseErrorXml(text: string): Record<string, string> {
  const doc = xml.parse(text) as { Error?: Record<string, unknown> };
  if (typeof doc.Error !== 'object' || doc.Error === null) throw new Error(`not an OSS error document: ${text.slice(0, 200)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.Error)) out[k] = typeof v === 'string' ? v : String(v ?? '');
  return out;
}

/** The error a response carries: from the XML body, or for body-less (HEAD) answers from `x-oss-err`. */
export function errorOf(res: RawResponse): Record<string, string> | null {
  if (res.body.length > 0) {
    const text = res.body.toString('utf8');
    return text.includes('<Error>') ? parseErrorXml(text) : null;
  }
  const err = res.headers['x-oss-err'];
  if (typeof err === 'string') return parseErrorXml(Buffer.from(err, 'base64').toString('utf8'));
  return null;
}

export interface SigningInput {
  method: string;
  bucket: string | null;
  key: string | null;
  /** Decoded query pairs, in the order they are sent. */
  query?: Array<[string, string]>;
  /** Lower-case header names (as the server sees them); `host` is added by the caller. */
  headers?: Record<string, string>;
}

function signable(s: SigningInput): SignableRequest {
  return { method: s.method, bucket: s.bucket, key: s.key, query: s.query ?? [], headers: { ...(s.headers ?? {}) } };
}

/** RFC 3986 encoding of a key for the request path (keeps `/`). */
export function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function queryString(query: Array<[string, string]> | undefined): string {
  if (!query || query.length === 0) return '';
  return `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

/** The signature itself through node:crypto, not the server's own HMAC (util/hmac-sha1.ts), so a fault there cannot sign and verify alike. */
function hmacSha1(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

/** The V1 `Authorization` header value for a request (date slot = x-oss-date or Date header). */
export function v1Authorization(s: SigningInput, ak: string, secret: string): { authorization: string; stringToSign: string } {
  const req = signable(s);
  const dateSlot = s.headers?.['x-oss-date'] ?? s.headers?.date ?? '';
  const stringToSign = stringToSignV1(req, dateSlot, false);
  return { authorization: `OSS ${ak}:${hmacSha1(secret, stringToSign)}`, stringToSign };
}

/** V1 presigned query parameters (OSSAccessKeyId, Expires, Signature) to append after `s.query`. */
export function v1UrlParams(s: SigningInput, ak: string, secret: string, expires: number): Array<[string, string]> {
  const stringToSign = stringToSignV1(signable(s), String(expires), true);
  return [
    ['OSSAccessKeyId', ak],
    ['Expires', String(expires)],
    ['Signature', hmacSha1(secret, stringToSign)],
  ];
}

/** The V4 `Authorization` header value; `s.headers` must already hold x-oss-date and x-oss-content-sha256. */
export function v4Authorization(s: SigningInput, ak: string, secret: string, region: string): string {
  const isoDate = s.headers?.['x-oss-date'] ?? '';
  const date = isoDate.slice(0, 8);
  const canonical = canonicalRequestV4(signable(s), { additionalHeaders: [], payloadHash: s.headers?.['x-oss-content-sha256'] ?? UNSIGNED_PAYLOAD });
  const sig = signV4(signingKeyV4(secret, date, region), stringToSignV4(isoDate, scopeOf(date, region), canonical));
  return `${V4_ALGORITHM} Credential=${ak}/${date}/${region}/oss/aliyun_v4_request,Signature=${sig}`;
}
