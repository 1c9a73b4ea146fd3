import { readConfig } from '../domain/bucket-config.js';
import type { Bucket } from '../domain/model.js';
import { storedKind } from '../domain/stored-configs.js';
import type { OssResponse } from './context.js';
import { listOf, textOf, type Doc } from './stored/schema.js';

/**
 * A bucket's common headers (PutBucketCommonHeader, `stored.common-header`; docs/stored-configurations.md): the SDKs'
 * models, generated from the cloud's API definitions, call the configuration "user-defined response headers". They
 * are added to the successful answers of object reads of the bucket (GetObject, HeadObject) [UNVERIFIED: which
 * answers the cloud adds them to], where the answer does not carry the header already: an object's own headers
 * (its Content-Type, Cache-Control, metadata, response-* overrides) win [UNVERIFIED]. Headers that frame or route
 * the message, the service's own x-oss-* headers and CORS's Access-Control-* are never added (reserved below).
 */

const KIND = storedKind('common-header');

/**
 * Names a configuration cannot put on an answer: the message's framing and the connection's, the server's own; and
 * what acts on the whole origin rather than the object, which every tenant and the console share (no custom
 * domains): cookies (a tenant would set them for everyone's pages), `Clear-Site-Data` (signs a console tab out),
 * `Strict-Transport-Security` and `Alt-Svc` (where the origin is reached), `Refresh`/`Location` (send the browser
 * elsewhere), authentication challenges, and `Content-Range` (a 200 would read as a part).
 */
const NEVER = new Set([
  'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection', 'date', 'server',
  'set-cookie', 'set-cookie2', 'clear-site-data', 'strict-transport-security', 'alt-svc', 'refresh', 'location',
  'www-authenticate', 'proxy-authenticate', 'content-range',
]);

/**
 * Whether a configured name is one the configuration may not fill in: NEVER; the service's own `x-oss-*` headers (what
 * it says about the object and the request: its encryption, version, restore, CRC-64, request id and time; SDKs act on
 * them, so a bucket's configuration must not make an unencrypted object read as encrypted), user metadata
 * (`x-oss-meta-*`, the owner's to set on each object anyway) excepted; and `Access-Control-*`, which the bucket's CORS
 * rules decide (oss/cors.ts): a request no rule admits gets none, whatever the common headers say. [UNVERIFIED] what
 * the cloud refuses.
 */
function reserved(lower: string): boolean {
  return NEVER.has(lower) || (lower.startsWith('x-oss-') && !lower.startsWith('x-oss-meta-')) || lower.startsWith('access-control-');
}

const SENDABLE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The operations whose answers carry the bucket's common headers. */
const CARRIED_BY = new Set(['GetObject', 'HeadObject']);

/** The bucket's configured headers in order (name, value); none when it has no configuration. */
function commonHeadersOf(bucket: Bucket): Array<[string, string]> {
  const value = readConfig(bucket, KIND);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const out: Array<[string, string]> = [];
  for (const h of listOf(value as unknown as Doc, 'Header')) {
    if (typeof h === 'string') continue;
    const key = textOf(h, 'Key');
    const value = textOf(h, 'Value') ?? '';
    // A value HTTP cannot carry (a line break, a character beyond Latin-1) is left out, not the answer failed.
    if (key !== undefined && key !== '' && !reserved(key.toLowerCase()) && SENDABLE.test(value)) out.push([key, value]);
  }
  return out;
}

/**
 * Adds the bucket's common headers to a successful object read's answer (`op`: the operation answered). No promise
 * when the bucket record is held in memory (the request path's usual case).
 */
export function addCommonHeaders(response: OssResponse, op: string, bucketName: string, getBucket: (name: string) => Bucket | null | Promise<Bucket | null>): void | Promise<void> {
  if (!CARRIED_BY.has(op) || response.status < 200 || response.status >= 400) return;
  const found = getBucket(bucketName);
  if (found instanceof Promise) return found.then((b) => apply(response, b), () => undefined);
  apply(response, found);
}

function apply(response: OssResponse, bucket: Bucket | null): void {
  if (bucket === null) return;
  const configured = commonHeadersOf(bucket);
  if (configured.length === 0) return;
  const present = new Set(Object.keys(response.headers).map((k) => k.toLowerCase()));
  for (const [key, value] of configured) {
    if (present.has(key.toLowerCase())) continue;
    response.headers[key] = value;
    present.add(key.toLowerCase());
  }
}
