import { AppError } from '../errors.js';
import type { Bucket } from '../domain/model.js';
import type { Address } from './address.js';

/**
 * An OSS region endpoint in a Host, with or without the bucket label and port: `oss-cn-shenzhen.aliyuncs.com`,
 * `bkt.oss-cn-shenzhen-internal.aliyuncs.com:80`. The region is the first group. `oss-accelerate…` and other
 * names that are no region are not endpoints of one.
 */
const REGION_ENDPOINT = /^(?:[a-z0-9][a-z0-9-]*\.)?oss-([a-z]{2,}-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com(?::\d+)?$/;
const NOT_REGIONS: ReadonlySet<string> = new Set(['accelerate-overseas']);

/** The region a Host names, or null when it names none (this server's own names, IPs, `oss-accelerate`). */
function hostRegion(hostHeader: string | undefined): string | null {
  const m = REGION_ENDPOINT.exec((hostHeader ?? '').trim().toLowerCase());
  return m === null || NOT_REGIONS.has(m[1]!) ? null : m[1]!;
}

/**
 * A request on an existing bucket sent to another region's endpoint (`Host: <bucket>.oss-cn-shenzhen.aliyuncs.com`
 * for a cn-hangzhou bucket) is 403 AccessDenied naming the bucket's endpoint, as OSS answers it (its HTTP 403 page:
 * "The bucket you are attempting to access must be addressed using the specified endpoint…"; the Java SDK's
 * DoesBucketExistTest expects AccessDenied for a bucket of another region). V4 signatures already carry the region
 * (authenticate: "Invalid signing region"); a V1 or anonymous request has only its Host to say it. Only hosts that
 * name an OSS region endpoint are looked at, so this costs nothing on a self-hosted endpoint; a bucket that does not
 * exist is left to the operation (NoSuchBucket, or PutBucket). No promise unless the bucket is read.
 */
export function assertBucketRegion(
  hostHeader: string | undefined, address: Address, getBucket: (name: string) => Bucket | null | Promise<Bucket | null>,
): void | Promise<void> {
  if (address.bucket === null || (address.style !== 'virtual-hosted' && address.style !== 'path')) return;
  const region = hostRegion(hostHeader);
  if (region === null) return;
  const check = (b: Bucket | null): void => {
    if (b === null || b.region === region) return;
    throw new AppError('AccessDenied', 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.', {
      Bucket: b.name,
      Endpoint: `oss-${b.region}.aliyuncs.com`,
    });
  };
  const held = getBucket(address.bucket);
  if (held instanceof Promise) return held.then(check);
  check(held);
}
