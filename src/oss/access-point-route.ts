import { isAccessPointAlias, type AccessPointAliases, type AccessPointView } from '../domain/access-point.js';
import { AppError } from '../errors.js';
import type { Address } from './address.js';
import type { Operation } from './operations.js';

// Requests that name an access point alias as their bucket (docs/access-points.md): the alias is resolved
// before routing, the request acts on the access point's bucket, and authz/access-point.ts applies the access
// point policy. An alias nobody holds is left as it is (NoSuchBucket, or InvalidBucketName for PutBucket).

/** What a request through an access point may do: object operations and listing the bucket's objects. */
const THROUGH_ALIAS: ReadonlySet<string> = new Set<Operation['name']>([
  'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads', 'GetBucketInfo', 'HeadBucket', 'GetBucketLocation',
  'PutObject', 'GetObject', 'HeadObject', 'GetObjectMeta', 'DeleteObject', 'DeleteMultipleObjects', 'CopyObject',
  'AppendObject', 'PostObject', 'GetObjectAcl', 'PutObjectAcl', 'PutSymlink', 'GetSymlink', 'GetObjectTagging',
  'PutObjectTagging', 'DeleteObjectTagging', 'RestoreObject', 'CleanRestoredObject', 'InitiateMultipartUpload',
  'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload', 'AbortMultipartUpload', 'ListParts', 'SealAppendObject',
]);

/**
 * The access point an alias in the address names, and the address on its bucket; null: not an alias in use.
 * A name that cannot be an alias (nearly every request) is answered at once, without a promise.
 */
export function throughAccessPoint(address: Address, aliases: AccessPointAliases): Promise<{ address: Address; accessPoint: AccessPointView } | null> | null {
  if (address.bucket === null || !isAccessPointAlias(address.bucket)) return null;
  return aliases.resolve(address.bucket).then((ap) => (ap === null ? null : { address: { ...address, bucket: ap.bucket }, accessPoint: ap }));
}

/**
 * Refuses what cannot go through this alias: an Object FC access point's requests need Function Compute
 * (absent here: 501), and bucket management goes to the bucket's own name.
 */
export function assertThroughAlias(op: Operation, ap: AccessPointView, accessPointHeader: string | undefined): void {
  if (ap.kind === 'object-fc') {
    throw new AppError('NotImplemented', 'Requests through an Object FC access point invoke Function Compute, which Alunite does not have.');
  }
  const name = op.name === 'Unimplemented' ? op.params.operation : op.name;
  if (MANAGEMENT_THROUGH_ALIAS.has(name)) {
    if (accessPointHeader !== ap.name) throw new AppError('InvalidRequest', `Through the alias of access point ${ap.name}, ${name} may name only that access point (x-oss-access-point-name).`);
    return;
  }
  if (!THROUGH_ALIAS.has(name)) throw new AppError('InvalidRequest', `${name} is not supported through an access point alias; use the bucket name.`);
}

/**
 * The access point's own policy, managed through its alias (the PHP SDK's OssClientBucketAccessPointTest calls
 * put/get/deleteAccessPointPolicy with the alias as the bucket). Authorized like the same call on the bucket name:
 * the access point policy governs data access through the alias, not the management of itself (else an access point
 * without a policy could never be given one through its alias).
 */
const MANAGEMENT_THROUGH_ALIAS: ReadonlySet<string> = new Set(['PutAccessPointPolicy', 'GetAccessPointPolicy', 'DeleteAccessPointPolicy']);

export function managesAccessPoint(op: Operation): boolean {
  return MANAGEMENT_THROUGH_ALIAS.has(op.name);
}
