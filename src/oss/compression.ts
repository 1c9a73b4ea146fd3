// GZIP compression of GetObject/HeadObject answers (the OSS FAQ "How do I compress objects that I download from OSS
// in the GZIP format?", help doc 39645): a GET with `Accept-Encoding: gzip` of an object of at least 1 KB whose
// Content-Type is one of a few web text types is sent gzip-compressed, `Content-Encoding: gzip`, chunked, without
// ETag, Content-Length and Accept-Ranges (HeadObject's answer says the same). The object and its stored
// headers (x-oss-hash-crc64ecma, Content-MD5: the uncompressed bytes') are unchanged. oss2's test_gzip_get
// relies on it. Documentation: docs/compatibility.md.
import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { isRecyclingSource } from '../util/recycling-source.js';

/** The Content-Types OSS compresses (the FAQ's list). */
const GZIP_TYPES: ReadonlySet<string> = new Set([
  'text/cache-manifest',
  'text/xml',
  'text/css',
  'text/html',
  'text/plain',
  'application/javascript',
  'application/x-javascript',
  'application/rss+xml',
  'application/json',
  'text/json',
]);

/** Objects smaller than this are sent as they are. */
export const GZIP_MIN_SIZE = 1024;

/** Whether an `Accept-Encoding` value accepts gzip (a `gzip` coding whose q is not 0; RFC 9110 §12.5.3). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  for (const member of acceptEncoding.split(',')) {
    const [coding, ...params] = member.split(';');
    if (coding!.trim().toLowerCase() !== 'gzip') continue;
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

export interface GzipCandidate {
  acceptEncoding: string | undefined;
  /** The object's Content-Type (before any response-content-type). */
  contentType: string | undefined;
  size: number;
  /** A stored Content-Encoding, or one the request names (response-content-encoding): the bytes go as they are, under it [UNVERIFIED for OSS]. */
  storedEncoding: string | undefined;
  /** A Range was asked for: ranges are of the stored bytes and are never compressed [UNVERIFIED for OSS]. */
  ranged: boolean;
}

/** Whether the answer is to be gzip-compressed. */
export function wantsGzip(c: GzipCandidate): boolean {
  if (c.ranged || c.storedEncoding !== undefined || c.size < GZIP_MIN_SIZE || c.contentType === undefined) return false;
  if (!GZIP_TYPES.has(c.contentType.split(';')[0]!.trim().toLowerCase())) return false;
  return acceptsGzip(c.acceptEncoding);
}

/** The answer's headers once compressed: the coding named, and what describes the stored bytes' length gone. */
export function gzipHeaders(headers: Record<string, string>): void {
  delete headers.ETag;
  delete headers['Accept-Ranges'];
  delete headers['Content-Length'];
  headers['Content-Encoding'] = 'gzip';
  headers.Vary = 'Accept-Encoding';
  // As OSS's sample answer: chunked, which also keeps a HEAD's answer free of a Content-Length (http/response-write.ts).
  headers['Transfer-Encoding'] = 'chunked';
}

/**
 * Compressed answers being sent at once, at most: each holds zlib's state and a block of its source (~0.8 MB
 * measured) for as long as its client takes to read it, where a plain answer holds ~0.1 MB. GETs beyond are sent
 * as they are (identity is always an acceptable coding, RFC 9110 §12.5.3), so stalled readers of a public text
 * object cannot hold gigabytes (docs/limits.md).
 */
export const GZIP_MAX_IN_FLIGHT = 256;
let gzipInFlight = 0;

/** Whether one more compressed answer may start now (decided and started in the same turn: gzipBody). */
export function gzipRoom(): boolean {
  return gzipInFlight < GZIP_MAX_IN_FLIGHT;
}

/** The body, gzip-compressed as it streams; an error of the source ends the compressed stream with it. */
export function gzipBody(body: Buffer | Readable): Readable {
  const gz = createGzip();
  gzipInFlight += 1;
  gz.once('close', () => (gzipInFlight -= 1));
  if (!Buffer.isBuffer(body) && isRecyclingSource(body)) {
    // A file body writes into zlib with its reused blocks, one in flight: read as a Readable it would also keep a
    // fresh block buffered ahead of zlib's (a slow reader held ~1 MB of each answer; docs/limits.md).
    body.on('error', (err) => gz.destroy(err));
    gz.on('close', () => body.destroy());
    body.pumpTo(gz);
    return gz;
  }
  pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, gz, () => {});
  return gz;
}
