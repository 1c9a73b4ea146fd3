import { AppError } from '../errors.js';
import type { BucketIncarnation } from '../store/meta/types.js';
import { readConfig, updateConfig, type ConfigKind } from './bucket-config.js';
import type { DomainContext } from './context.js';
import type { Bucket, ObjectRecord, VersioningStatus } from './model.js';
import { NULL_VERSION, VERSIONING_CONFIG } from '../store/meta/versions.js';
import { objectWormEnabled } from './object-worm.js';

// Bucket versioning (docs/versioning.md): the status is a bucket configuration ('versioning'); the stores
// read it inside every object write and delete, so a write never races a status change.

export interface VersioningConfig {
  status: 'Enabled' | 'Suspended';
}

/** The stored form is `{"status":"Enabled"|"Suspended"}`, which the stores read too (store/meta/versions.ts). */
export const VERSIONING: ConfigKind<VersioningConfig> = {
  name: VERSIONING_CONFIG,
  encode: (v) => JSON.stringify({ status: v.status }),
  decode: (t) => JSON.parse(t) as VersioningConfig,
};

export function versioningStatus(bucket: Bucket): VersioningStatus {
  return readConfig(bucket, VERSIONING)?.status ?? null;
}

/** PutBucketVersioning's Status: Enabled or Suspended (a bucket never returns to unversioned). */
export function parseVersioningStatus(value: string | undefined): 'Enabled' | 'Suspended' {
  if (value === undefined || value === '') {
    throw new AppError('InvalidArgument', 'The Status element of VersioningConfiguration must not be empty.', { ArgumentName: 'Status', ArgumentValue: '' }, '0012-00000003');
  }
  // MalformedXML, as oss2's test_bucket_versioning_wrong expects of OSS for `None` and `Disabled` (EC page
  // 0012-00000004 describes the fault without naming the code).
  if (value !== 'Enabled' && value !== 'Suspended') {
    const detail = 'The versioning status must be Enabled or Suspended.';
    throw new AppError('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${detail}`, { ErrorDetail: detail }, '0012-00000004');
  }
  return value;
}

/** `sameBucket`: the bucket the request was authorized on, captured before its body (ConfigWriteOptions). */
export async function putVersioning(ctx: DomainContext, bucket: string, status: 'Enabled' | 'Suspended', sameBucket?: BucketIncarnation): Promise<void> {
  await updateConfig(ctx, bucket, VERSIONING, (_current, b) => {
    // OSS's PutBucketObjectWormConfiguration page: once ObjectWorm is on, versioning cannot be turned off.
    if (status === 'Suspended' && objectWormEnabled(b)) throw new AppError('InvalidRequest', 'Versioning cannot be suspended on a bucket with object-level retention (ObjectWorm).');
    return { status };
  }, { sameBucket });
}

/**
 * The `x-oss-version-id` an answer about `obj` carries: its id, 'null' for the null version of a bucket
 * with versioning (Enabled or Suspended); none in a bucket that never had versioning.
 */
export function versionIdHeader(bucket: Bucket | null, obj: Pick<ObjectRecord, 'versionId'>): string | undefined {
  if (obj.versionId !== undefined) return obj.versionId;
  return bucket !== null && versioningStatus(bucket) !== null ? NULL_VERSION : undefined;
}

/** Printable ASCII, bounded: anything else names no version and must never reach a response header. */
const VERSION_ID = /^[\x21-\x7e]{1,1024}$/;

/** A versionId parameter (query or copy source): non-empty printable ASCII of at most 1,024 characters. */
export function assertVersionId(versionId: string | undefined): void {
  if (versionId === '') throw new AppError('InvalidArgument', 'The versionId parameter must not be empty.', { ArgumentName: 'versionId', ArgumentValue: '' });
  if (versionId !== undefined && !VERSION_ID.test(versionId)) {
    throw new AppError('InvalidArgument', 'Invalid version id specified.', { ArgumentName: 'versionId', ArgumentValue: versionId.slice(0, 64) });
  }
}
