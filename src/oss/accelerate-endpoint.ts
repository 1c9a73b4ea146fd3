import { AppError } from '../errors.js';
import type { Bucket } from '../domain/model.js';
import { accelerationEnabled } from '../domain/transfer-acceleration.js';

// The transfer acceleration endpoints (docs/stored-configurations.md#transfer-acceleration-implemented): OSS serves a
// bucket on `<bucket>.oss-accelerate.aliyuncs.com` (and `oss-accelerate-overseas`, outside the Chinese mainland) only
// once PutBucketTransferAcceleration turned acceleration on. Checked with the other-region refusal (wrong-region.ts).

/** An acceleration endpoint in a Host, with or without the bucket label and port. */
const ACCELERATE_ENDPOINT = /^(?:[a-z0-9][a-z0-9-]*\.)?oss-accelerate(?:-overseas)?\.aliyuncs\.com(?::\d+)?$/;

/** Whether a Host, trimmed and lower-cased (wrong-region.ts normalizedHost), names an OSS transfer acceleration endpoint. */
export function isAccelerateHost(host: string): boolean {
  return ACCELERATE_ENDPOINT.test(host);
}

const NOT_ACCELERATED = 'Transfer acceleration is not enabled on this bucket: use its region endpoint, or enable it with PutBucketTransferAcceleration.';

/**
 * A request through an acceleration endpoint to a bucket whose acceleration is off (never set, `Enabled` false,
 * or deleted): 403 AccessDenied naming the bucket's region endpoint, as the other-region refusal names it [UNVERIFIED:
 * the OSS documentation names no error for it; the code, message and fields are Alunite's choice]. A bucket that does
 * not exist is left to the operation, as there: a PutBucket through such an endpoint creates it, acceleration off
 * [UNVERIFIED].
 */
export function assertAccelerated(b: Bucket | null): void {
  if (b === null || accelerationEnabled(b)) return;
  throw new AppError('AccessDenied', NOT_ACCELERATED, { Bucket: b.name, Endpoint: `oss-${b.region}.aliyuncs.com` });
}

