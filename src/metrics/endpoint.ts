import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { OssResponse } from '../oss/context.js';
import type { ServerMetrics } from './metrics.js';

/**
 * `GET /-/metrics`: the Prometheus exposition. Open by default, like `/-/health` (it holds counts and
 * timings, no names of buckets or keys); with a token configured, only `Authorization: Bearer <token>`.
 */
export function metricsResponse(metrics: ServerMetrics, token: string | undefined, authorization: string | undefined): OssResponse {
  if (token !== undefined && !timingSafeEqual(digest(authorization ?? ''), digest(`Bearer ${token}`))) {
    return {
      status: 401,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="alunite metrics"' },
      body: 'The metrics endpoint requires Authorization: Bearer <metrics token>.\n',
    };
  }
  // The registry answers asynchronously; the internal-endpoint hook is synchronous, so stream the text.
  const body = Readable.from((async function* () {
    yield (await metrics.scrape()).body;
  })());
  return { status: 200, headers: { 'Content-Type': metrics.registry.contentType }, body };
}

/** Fixed-length digests, so the comparison reveals neither the token nor its length. */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
