import { isAccessPointAlias, type AccessPointAliases, type AccessPointView } from '../domain/access-point.js';
import { AppError } from '../errors.js';
import type { Address } from './address.js';
import type { Operation } from './operations.js';

// Requests that name an access point alias as their bucket (docs/access-points.md): the alias is resolved
// before routing, the request acts on the access point's bucket, and authz/access-point.ts applies the access
// point policy. An alias nobody holds is left as it is (NoSuchBucket, or InvalidBucketName for PutBucket).

/** What a request through an access point may do: object operations and listing the bucket's objects. */
const THROUGH_ALIAS: ReadonlySet<string> = new Set<Operation['name']>([
  'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads', 'GetBucketInfo', 'GetBucketLocation',
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
export function assertThroughAlias(op: Operation, ap: AccessPointView): void {
  if (ap.kind === 'object-fc') {
    throw new AppError('NotImplemented', 'Requests through an Object FC access point invoke Function Compute, which Alunite does not have.');
  }
  const name = op.name === 'Unimplemented' ? op.params.operation : op.name;
  if (!THROUGH_ALIAS.has(name)) throw new AppError('InvalidRequest', `${name} is not supported through an access point alias; use the bucket name.`);
}
