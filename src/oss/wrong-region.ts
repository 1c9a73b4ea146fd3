import { AppError } from '../errors.js';
import type { Bucket } from '../domain/model.js';
import type { Address } from './address.js';
import type { Operation } from './operations.js';
import { assertAccelerated, isAccelerateHost } from './accelerate-endpoint.js';

/**
 * An OSS region endpoint in a Host, with or without the bucket label and port: `oss-cn-shenzhen.aliyuncs.com`,
 * `bkt.oss-cn-shenzhen-internal.aliyuncs.com:80`. The region is the first group. `oss-accelerate…` and other
 * names that are no region are not endpoints of one.
 */
const REGION_ENDPOINT = /^(?:[a-z0-9][a-z0-9-]*\.)?oss-([a-z]{2,}-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com(?::\d+)?$/;
const NOT_REGIONS: ReadonlySet<string> = new Set(['accelerate-overseas']);

/** The Host as the endpoint patterns read it: trimmed and lower-cased, once per request. */
function normalizedHost(hostHeader: string | undefined): string {
  return (hostHeader ?? '').trim().toLowerCase();
}

/** The region a normalized Host names, or null when it names none (this server's own names, IPs, `oss-accelerate`). */
function hostRegion(host: string): string | null {
  const m = REGION_ENDPOINT.exec(host);
  return m === null || NOT_REGIONS.has(m[1]!) ? null : m[1]!;
}

const MUST_USE_ENDPOINT = 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.';

/**
 * A request on an existing bucket sent to another region's endpoint (`Host: <bucket>.oss-cn-shenzhen.aliyuncs.com`
 * for a cn-hangzhou bucket) is 403 AccessDenied naming the bucket's endpoint, as OSS answers it (its HTTP 403 page:
 * "The bucket you are attempting to access must be addressed using the specified endpoint…"; the Java SDK's
 * DoesBucketExistTest expects AccessDenied for a bucket of another region). V4 signatures already carry the region
 * (authenticate: "Invalid signing region"); a V1 or anonymous request has only its Host to say it. Only hosts that
 * name an OSS region endpoint are looked at, so this costs nothing on a self-hosted endpoint; a bucket that does not
 * exist is left to the operation (NoSuchBucket, or PutBucket). No promise unless the bucket is read. A Host naming
 * a transfer acceleration endpoint is checked the same way against the bucket's acceleration switch instead.
 */
export function assertBucketRegion(
  hostHeader: string | undefined, address: Address, getBucket: (name: string) => Bucket | null | Promise<Bucket | null>,
): void | Promise<void> {
  if (address.bucket === null || (address.style !== 'virtual-hosted' && address.style !== 'path')) return;
  const host = normalizedHost(hostHeader);
  // An acceleration endpoint serves only buckets with acceleration on (accelerate-endpoint.ts).
  if (isAccelerateHost(host)) {
    const held = getBucket(address.bucket);
    return held instanceof Promise ? held.then(assertAccelerated) : assertAccelerated(held);
  }
  const region = hostRegion(host);
  if (region === null) return;
  const check = (b: Bucket | null): void => {
    if (b === null || b.region === region) return;
    throw new AppError('AccessDenied', MUST_USE_ENDPOINT, {
      Bucket: b.name,
      Endpoint: `oss-${b.region}.aliyuncs.com`,
    });
  };
  const held = getBucket(address.bucket);
  if (held instanceof Promise) return held.then(check);
  check(held);
}

/**
 * A PutBucket (create) sent to another region's endpoint: OSS would create the bucket in that region, which this
 * server is not; creating it here, in the server's region, would leave a bucket the client believes to be elsewhere.
 * 403 AccessDenied naming this server's endpoint instead, as for a bucket of this region asked elsewhere [UNVERIFIED:
 * the cloud creates it there]. Decided after routing (only a create), before authentication as the check above.
 */
export function assertCreatedHere(hostHeader: string | undefined, op: Operation, serverRegion: string): void {
  if (op.name !== 'PutBucket') return;
  const region = hostRegion(normalizedHost(hostHeader));
  if (region === null || region === serverRegion) return;
  throw new AppError('AccessDenied', MUST_USE_ENDPOINT, { Bucket: op.bucket ?? '', Endpoint: `oss-${serverRegion}.aliyuncs.com` });
}
