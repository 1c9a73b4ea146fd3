import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { AppError, invalidArgument } from '../errors.js';
import { Throttle, throttled } from '../util/throttle.js';
import type { OssResponse } from './context.js';
import type { Operation } from './operations.js';

/**
 * Single-connection bandwidth throttling (docs/traffic-limit-seal.md): `x-oss-traffic-limit`, as a header or
 * (presigned URLs) as a signed query parameter, in bit/s, 819200 (100 KiB/s) to 838860800 (100 MiB/s).
 * Uploads are throttled as their body is read, GetObject as its answer is written; copies take and
 * validate the value but move no bytes over the client's connection, so nothing is slowed there.
 * PostObject validates it only.
 */

export const TRAFFIC_LIMIT_MIN = 819_200;
export const TRAFFIC_LIMIT_MAX = 838_860_800;

/** The operations that take the parameter (the published list), and which direction each throttles. */
const TAKES: ReadonlyMap<Operation['name'], 'upload' | 'download' | 'none'> = new Map([
  ['PutObject', 'upload'],
  ['AppendObject', 'upload'],
  ['UploadPart', 'upload'],
  // The form is already streaming into its reader (oss/post-object.ts) when the handler runs: validated only.
  ['PostObject', 'none'],
  ['GetObject', 'download'],
  ['CopyObject', 'none'],
  ['UploadPartCopy', 'none'],
]);

export interface TrafficLimit {
  bitsPerSecond: number;
  direction: 'upload' | 'download' | 'none';
}

/**
 * The request's traffic limit, or null; a malformed or out-of-range value, or one given both as header
 * and as query parameter, is refused (InvalidArgument, 400) before any byte of the body is read.
 * Operations that do not take the parameter ignore it, as OSS does.
 */
export function trafficLimitOf(op: Operation['name'], headers: IncomingHttpHeaders, query: ReadonlyMap<string, string>): TrafficLimit | null {
  const direction = TAKES.get(op);
  if (direction === undefined) return null;
  const header = headers['x-oss-traffic-limit'];
  const fromQuery = query.get('x-oss-traffic-limit');
  if (header !== undefined && fromQuery !== undefined) {
    throw new AppError('InvalidArgument', 'x-oss-traffic-limit must not be given both as a header and as a query parameter.', { ArgumentName: 'x-oss-traffic-limit' }, '0004-00000501');
  }
  const raw = typeof header === 'string' ? header : Array.isArray(header) ? header.join(',') : fromQuery;
  if (raw === undefined) return null;
  const value = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(value >= TRAFFIC_LIMIT_MIN && value <= TRAFFIC_LIMIT_MAX)) {
    const err = invalidArgument(`x-oss-traffic-limit must be an integer from ${TRAFFIC_LIMIT_MIN} to ${TRAFFIC_LIMIT_MAX} (bit/s).`, 'x-oss-traffic-limit', raw.slice(0, 64));
    throw new AppError('InvalidArgument', err.message, err.detail, '0004-00000502');
  }
  return { bitsPerSecond: value, direction };
}

/** The request body an upload reads, throttled when it has a limit. */
export function throttledBody(body: Readable, limit: TrafficLimit | null): Readable {
  if (limit === null || limit.direction !== 'upload') return body;
  return throttled(body, limit.bitsPerSecond, () => new AppError('IncompleteBody'));
}

/** A download's answer, throttled when it has a limit (inline bytes become a throttled stream). */
export function throttledResponse(response: OssResponse, limit: TrafficLimit | null): OssResponse {
  if (limit === null || limit.direction !== 'download' || response.body === undefined || response.status >= 300) return response;
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  return { ...response, body: throttled(body, limit.bitsPerSecond) };
}

/**
 * `x-oss-qos-delay-time` (ms) on the successful answer of a request its traffic limit throttled, as OSS sends it
 * (the .NET and PHP SDKs' traffic-limit tests expect it on PutObject, AppendObject and GetObject with a limit, and
 * not without one): for an upload the time its body was actually held back (the body has been read when the
 * handler answers), for a download an estimate from the answer's length and the rate (the header goes before the
 * body), 0 when nothing had to wait. Copies and PostObject, which the limit does not slow, carry none.
 */
export function withQosDelay(response: OssResponse, limit: TrafficLimit | null, body: Readable): OssResponse {
  if (limit === null || limit.direction === 'none' || response.status >= 300) return response;
  let delay: number;
  if (limit.direction === 'upload') {
    delay = body instanceof Throttle ? body.delayedMs : 0;
  } else {
    const length = Number(response.headers['Content-Length'] ?? response.headers['content-length'] ?? 0);
    delay = Throttle.delayFor(Number.isFinite(length) ? length : 0, limit.bitsPerSecond);
  }
  return { ...response, headers: { ...response.headers, 'x-oss-qos-delay-time': String(delay) } };
}
