import { assertPartNumber } from '../domain/multipart.js';
import { AppError, invalidArgument } from '../errors.js';
import { textOfWire } from './headers.js';
import { decodeUrlPath, type Address } from './address.js';
import { CATALOG, type CatalogOperation, type CatalogScope } from './catalog.js';
import type { PostUpload } from './post-object.js';
import { routeImage } from './image-route.js';
import { routeAsyncFetch } from './async-fetch-route.js';
import { routeQos } from './qos-route.js';
import { routeResourcePool, type ResourcePoolOperationName } from './resource-pool-route.js';
import { onBucket } from './bucket-route.js';
import { routeSelect } from './select-route.js';
import { STORED_SCHEMAS, type StoredOperationName } from './stored/schemas.js';

/**
 * Every OSS operation, as a typed value: name, what it needs authorized and its parsed parameters.
 * Routing builds one of these from method + address + query + a few headers; nothing after routing
 * re-parses the URL.
 */

/** How ACLs can grant an operation to non-owners (spec ram-sts §2.3). */
export type AclAccess = 'read' | 'write' | 'none';

export interface AuthzCheck {
  action: string;
  bucket: string | null;
  key: string | null;
  acl: AclAccess;
  /** The version of `key` the request names (`versionId`, or a copy source's): its own ACL applies. */
  versionId?: string;
  /**
   * Checked only when this object has tags (the source of a copy that copies its tags: copying none
   * reads and writes none). Absent: always checked.
   */
  ifTagged?: { bucket: string; key: string; versionId?: string };
  /**
   * With `ifTagged`: the check reads those tags, so when that object is a symlink it applies to the
   * link's target as well (a copy of a link copies the target's tags).
   */
  readsTags?: true;
  /**
   * A check on a KMS key rather than on `bucket`/`key` (docs/encryption.md, "Who may use a KMS key"): `action`
   * is a kms: action, decided on the key's ARN `acs:kms:<bucket's region>:<bucket owner>:key/<key id>` by the
   * caller's identity and session policies (the owner account's root always may; bucket policies and ACLs never
   * grant it). `'write'`: the key the write of `key` encrypts with, the request's `x-oss-server-side-encryption:
   * KMS` (its key id, else the default key), else the bucket's default encryption when that is KMS; no check when
   * the write is not KMS-encrypted. `'bucketDefault'`: the bucket's default encryption's key only, for a write the
   * server makes that takes no encryption from the request (a VOD playlist, sys/saveas, async fetch): the request's
   * headers must not decide a check that the write ignores. `{ keyId }`: that key (the one a KMS-encrypted object
   * was written with).
   */
  kms?: 'write' | 'bucketDefault' | { keyId: string };
  /**
   * A check of `ram:PassRole` on this role ARN (`acs:ram::<account>:role/<name>`), rather than on `bucket`/`key`: handing
   * a role to work the server does as that role (a batch job's RoleArn, docs/batch-operations.md). Decided by the
   * caller's identity and session policies on the role's ARN; the root of the role's account always may.
   */
  passRole?: string;
  /**
   * The check is on an agentic bucket (`bucket` its full name), whose RAM resource is `acs:oss:<region>:<uid>:agenticbucket/<name>`
   * (OSS's "Agentic Bucket access control" page), not the bucket's ARN (docs/agentic-buckets.md).
   */
  agentic?: true;
}

/** What a write sets besides bytes and metadata that has an action of its own (spec ram-sts §3). */
export interface WriteExtras {
  /** Tags from the request (x-oss-tagging, or a copy's Replace directive). */
  tagging: boolean;
  /** An object ACL from the request (x-oss-object-acl). */
  objectAcl: boolean;
  /**
   * The write stores bytes encrypted as the request or the bucket's default asks (PutObject, PostObject, the
   * append that creates an object, InitiateMultipartUpload, a copy's destination; not PutSymlink): under KMS it
   * also needs kms:GenerateDataKey and kms:Decrypt on the key. `'bucketDefault'`: the server writes the bytes as the
   * bucket's default encryption asks, whatever the request's encryption headers say (AuthzCheck.kms).
   */
  encrypts: boolean | 'bucketDefault';
}

/**
 * What a write encrypting with KMS needs besides its oss: actions (OSS API reference, PutObject /
 * InitiateMultipartUpload / CopyObject: "kms:GenerateDataKey, kms:Decrypt: required if X-Oss-Server-Side-Encryption
 * is KMS"); checked only when the write is KMS-encrypted (AuthzCheck.kms 'write').
 */
function kmsWriteChecks(bucket: string, key: string, kms: 'write' | 'bucketDefault' = 'write'): AuthzCheck[] {
  return [
    { action: 'kms:GenerateDataKey', bucket, key, acl: 'none', kms },
    { action: 'kms:Decrypt', bucket, key, acl: 'none', kms },
  ];
}

/**
 * The checks of a write of `key` by `action`, and of what it sets with the bytes: tags need
 * oss:PutObjectTagging (an ACL that grants the write grants the tags written with it), an object ACL
 * needs oss:PutObjectAcl (never granted by an ACL, as for the PutObjectAcl API). Every write declares
 * its checks through this, PostObject included, so none can set tags or an ACL its caller may not.
 */
export function writeChecks(action: string, bucket: string, key: string, acl: AclAccess, extras: WriteExtras): AuthzCheck[] {
  const checks: AuthzCheck[] = [{ action, bucket, key, acl }];
  if (extras.tagging) checks.push({ action: 'oss:PutObjectTagging', bucket, key, acl: acl === 'none' ? 'none' : 'write' });
  if (extras.objectAcl) checks.push({ action: 'oss:PutObjectAcl', bucket, key, acl: 'none' });
  if (extras.encrypts !== false) checks.push(...kmsWriteChecks(bucket, key, extras.encrypts === true ? 'write' : 'bucketDefault'));
  return checks;
}

export interface Base {
  bucket: string | null;
  key: string | null;
  /** Everything this operation needs allowed (CopyObject: read source + write destination). */
  checks: AuthzCheck[];
}

export interface CopySource {
  bucket: string;
  key: string;
  /** `?versionId=` of x-oss-copy-source: that version of the source (docs/versioning.md). */
  versionId?: string;
}

type Simple<N extends string> = Base & { name: N; params?: undefined };
/** One Simple member per name of a union (stored configurations: one handler each). */
type EachSimple<N> = N extends string ? Simple<N> : never;

export type Operation =
  | Simple<'ListBuckets'>
  | Simple<'ListUserRegions'>
  | Simple<'PutBucket'>
  | Simple<'DeleteBucket'>
  | Simple<'GetBucketInfo'>
  | Simple<'GetBucketLocation'>
  | Simple<'HeadBucket'>
  /** GET ?processConfiguration: the Java SDK's getBucketProcess; not in the API metadata (oss/stored/process-configuration.ts). */
  | Simple<'GetProcessConfiguration'>
  /**
   * DELETE ?transferAcceleration: the SDKs' DeleteBucketTransferAcc / deleteBucketTransferAcceleration (Go V1, Java);
   * not in the API metadata. Removes the stored configuration (oss/stored/handlers.ts).
   */
  | Simple<'DeleteBucketTransferAcceleration'>
  | Simple<'GetBucketAcl'>
  | Simple<'PutBucketAcl'>
  | Simple<'GetBucketPolicy'>
  | Simple<'PutBucketPolicy'>
  | Simple<'DeleteBucketPolicy'>
  | Simple<'PutBucketVersioning'>
  | Simple<'GetBucketVersioning'>
  | Simple<'ListObjectVersions'>
  | Simple<'GetBucketCors'>
  | Simple<'PutBucketCors'>
  | Simple<'DeleteBucketCors'>
  | Simple<'GetBucketEncryption'>
  | Simple<'PutBucketEncryption'>
  | Simple<'DeleteBucketEncryption'>
  | Simple<'GetBucketLifecycle'>
  | Simple<'PutBucketLifecycle'>
  | Simple<'DeleteBucketLifecycle'>
  | Simple<'ListObjects'>
  | Simple<'ListObjectsV2'>
  | Simple<'ListMultipartUploads'>
  | Simple<'DeleteMultipleObjects'>
  | Simple<'PutObject'>
  /**
   * `websitePage`: a static website's index or error document (oss/website.ts), which OSS never reads from a
   * frozen Archive object in real time (docs/data-protection.md). `style`: the image style a `<key><delimiter><style>`
   * request names (oss/image-access.ts styleByDelimiter), applied as `x-oss-process=style/<style>` would be; the
   * request's query stays as sent.
   */
  | (Base & { name: 'GetObject'; params?: { websitePage?: true; style?: string } })
  | Simple<'HeadObject'>
  /** `viaGet`: GET ?objectMeta (the API's is HEAD; the Java SDK and oss2 send GET), answered with the same head and no body. */
  | (Base & { name: 'GetObjectMeta'; params: { viaGet: boolean } })
  | Simple<'DeleteObject'>
  | Simple<'GetObjectAcl'>
  | Simple<'PutObjectAcl'>
  | Simple<'PutSymlink'>
  | Simple<'GetSymlink'>
  | Simple<'GetObjectTagging'>
  | Simple<'PutObjectTagging'>
  | Simple<'DeleteObjectTagging'>
  | Simple<'InitiateMultipartUpload'>
  | Simple<'InitiateBucketWorm'>
  | Simple<'AbortBucketWorm'>
  | Simple<'CompleteBucketWorm'>
  | Simple<'ExtendBucketWorm'>
  | Simple<'GetBucketWorm'>
  | Simple<'RestoreObject'>
  | Simple<'CleanRestoredObject'>
  | Simple<'GetBucketStat'>
  // Static website hosting and access logging (docs/website.md, docs/logging.md).
  | Simple<'PutBucketWebsite'>
  | Simple<'GetBucketWebsite'>
  | Simple<'DeleteBucketWebsite'>
  | Simple<'PutBucketLogging'>
  | Simple<'GetBucketLogging'>
  | Simple<'DeleteBucketLogging'>
  // Access rules the cloud enforces (docs/access-rules.md): Referer, Block Public Access, pay-by-requester.
  | Simple<'PutBucketReferer'>
  | Simple<'GetBucketReferer'>
  | Simple<'PutBucketPublicAccessBlock'>
  | Simple<'GetBucketPublicAccessBlock'>
  | Simple<'DeleteBucketPublicAccessBlock'>
  | Simple<'PutBucketRequestPayment'>
  | Simple<'GetBucketRequestPayment'>
  | Simple<'PutPublicAccessBlock'>
  | Simple<'GetPublicAccessBlock'>
  | Simple<'DeletePublicAccessBlock'>
  // Image processing and styles (oss/image-route.ts, docs/image-processing.md).
  | (Base & { name: 'PutStyle'; params: { styleName: string; category?: string } })
  | (Base & { name: 'GetStyle'; params: { styleName: string } })
  | Simple<'ListStyle'>
  | (Base & { name: 'DeleteStyle'; params: { styleName: string } })
  | Simple<'ProcessObjectSave'>
  | (Base & { name: 'CopyObject'; params: { source: CopySource } })
  | (Base & { name: 'AppendObject'; params: { position: number } })
  | (Base & { name: 'UploadPart'; params: { uploadId: string; partNumber: number } })
  | (Base & { name: 'UploadPartCopy'; params: { uploadId: string; partNumber: number; source: CopySource } })
  | (Base & { name: 'CompleteMultipartUpload'; params: { uploadId: string } })
  | (Base & { name: 'AbortMultipartUpload'; params: { uploadId: string } })
  | (Base & { name: 'ListParts'; params: { uploadId: string } })
  // Key, checks and upload are known once the form fields are read (oss/post-object.ts); null until then.
  | (Base & { name: 'PostObject'; params: { upload: PostUpload | null } })
  // A published OSS operation (or sub-resource) Alunite does not implement: authenticated and authorized,
  // then answered 501 NotImplemented by its handler. Never run as another operation.
  | (Base & { name: 'Unimplemented'; params: { operation: string; message: string } })
  // SealAppendObject (docs/traffic-limit-seal.md): `position`, when given, must be the object's length.
  | (Base & { name: 'SealAppendObject'; params: { position: number | undefined } })
  // Stored bucket configurations (src/oss/stored/, docs/stored-configurations.md), routed by their catalog entry.
  | EachSimple<StoredOperationName>
  // Metadata query (docs/meta-query.md).
  | Simple<'DoMetaQuery'>
  // SelectObject and CreateSelectObjectMeta (oss/select-route.ts, docs/select.md).
  | (Base & { name: 'SelectObject'; params: { format: 'csv' | 'json' } })
  | (Base & { name: 'CreateSelectObjectMeta'; params: { format: 'csv' | 'json' } })
  // QoS configurations (oss/qos-route.ts, docs/qos.md): unpublished in the metadata, called by the SDKs.
  | Simple<'GetUserQoSInfo'>
  | Simple<'PutBucketQoSInfo'>
  | Simple<'GetBucketQoSInfo'>
  | Simple<'DeleteBucketQoSInfo'>
  | Simple<'ListBucketRequesterQoSInfos'>
  | (Base & { name: 'PutBucketRequesterQoSInfo'; params: { requester: string } })
  | (Base & { name: 'GetBucketRequesterQoSInfo'; params: { requester: string } })
  | (Base & { name: 'DeleteBucketRequesterQoSInfo'; params: { requester: string } })
  // The bucket's storage capacity (`?qos`, oss/qos-route.ts, docs/storage-capacity.md): unpublished likewise.
  | Simple<'PutBucketStorageCapacity'>
  | Simple<'GetBucketStorageCapacity'>
  // Resource pools (oss/resource-pool-route.ts, docs/qos.md): unpublished likewise; an account here has none.
  | EachSimple<ResourcePoolOperationName>
  // Async fetch (oss/async-fetch-route.ts, docs/async-fetch.md): unpublished in the metadata, called by the SDKs.
  | Simple<'PutAsyncFetchTask'>
  | Simple<'GetAsyncFetchTask'>
  // The bucket callback policy (`?policy&comp=callback`, oss/handlers/callback-policy.ts): unpublished likewise.
  | Simple<'PutBucketCallbackPolicy'>
  | Simple<'GetBucketCallbackPolicy'>
  | Simple<'DeleteBucketCallbackPolicy'>
  // Bucket configurations not in the metadata (UNPUBLISHED_BUCKET_CONFIGS): `?overwriteConfig`, `?quota`, metadata tables.
  | Simple<'PutBucketOverwriteConfig'>
  | Simple<'GetBucketOverwriteConfig'>
  | Simple<'DeleteBucketOverwriteConfig'>
  | Simple<'PutBucketStorageQuota'>
  | Simple<'GetBucketStorageQuota'>
  | Simple<'DeleteBucketStorageQuota'>
  | Simple<'CreateBucketMetadataConfiguration'>
  | Simple<'GetBucketMetadataConfiguration'>
  | Simple<'DeleteBucketMetadataConfiguration'>
  | Simple<'UpdateBucketMetadataInventoryTableConfiguration'>
  | Simple<'UpdateBucketMetadataJournalTableConfiguration'>
  // Object-level retention (`?objectWorm` on the bucket, `?retention` / `?legalHold` on an object; oss/handlers/object-worm.ts).
  | Simple<'PutBucketObjectWormConfiguration'>
  | Simple<'GetBucketObjectWormConfiguration'>
  | Simple<'PutObjectRetention'>
  | Simple<'GetObjectRetention'>
  | Simple<'PutObjectLegalHold'>
  | Simple<'GetObjectLegalHold'>
  // Batch Operations (`?batchJob`, `?batchJobPriority`, `?batchJobStatus` on the service; routeBatchJob).
  | Simple<'CreateJob'>
  | Simple<'DescribeJob'>
  | Simple<'ListJobs'>
  | Simple<'UpdateJobPriority'>
  | Simple<'UpdateJobStatus'>
  | EachSimple<AgenticOperationName>;

export interface RouteInput {
  method: string;
  address: Address;
  query: ReadonlyMap<string, string>;
  copySource: string | undefined;
  contentType: string | undefined;
  /** An x-oss-callback header was sent (the uploads that take one run it: oss/callback.ts; others ignore it). */
  callback: boolean;
  // Required, not optional: a caller that forgot one would silently drop an authorization check.
  /** An x-oss-object-acl header was sent: writes that set the object's ACL also need oss:PutObjectAcl. */
  objectAcl: boolean;
  /** x-oss-tagging-directive (CopyObject): `Replace` writes the request's tags, else the source's are copied. */
  taggingDirective: string | undefined;
  /** An x-oss-tagging header was sent: writes that store tags also need oss:PutObjectTagging. */
  tagging: boolean;
  /** Which request headers are present (lower-case names); they tell some published operations apart. */
  hasHeader: (name: string) => boolean;
}

/** The stored-configuration operations (src/oss/stored/schemas.ts, generated). */
const STORED_OPERATIONS = Object.keys(STORED_SCHEMAS) as StoredOperationName[];
const STORED_NAMES: ReadonlySet<string> = new Set(STORED_OPERATIONS);

/** Published operations with a handler (OptionObject is the CORS preflight, answered before routing). */
export const IMPLEMENTED_OPERATIONS: ReadonlySet<string> = new Set<Operation['name'] | 'OptionObject'>([
  'ListBuckets', 'PutBucket', 'DeleteBucket', 'GetBucketInfo', 'GetBucketLocation', 'GetBucketAcl', 'PutBucketAcl',
  'GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy', 'GetBucketCors', 'PutBucketCors', 'DeleteBucketCors',
  'PutBucketVersioning', 'GetBucketVersioning', 'ListObjectVersions',
  'ListObjects', 'ListObjectsV2', 'ListMultipartUploads', 'PutObject', 'GetObject', 'HeadObject', 'GetObjectMeta',
  'DeleteObject', 'GetObjectAcl', 'PutObjectAcl', 'PutSymlink', 'GetSymlink', 'GetObjectTagging', 'PutObjectTagging',
  'DeleteObjectTagging', 'InitiateMultipartUpload', 'CopyObject', 'AppendObject', 'UploadPart', 'UploadPartCopy',
  'CompleteMultipartUpload', 'AbortMultipartUpload', 'ListParts', 'OptionObject',
  'InitiateBucketWorm', 'AbortBucketWorm', 'CompleteBucketWorm', 'ExtendBucketWorm', 'GetBucketWorm',
  'RestoreObject', 'CleanRestoredObject',
  'GetBucketEncryption', 'PutBucketEncryption', 'DeleteBucketEncryption',
  'GetBucketLifecycle', 'PutBucketLifecycle', 'DeleteBucketLifecycle',
  'GetBucketStat',
  // Static website hosting and access logging.
  'PutBucketWebsite', 'GetBucketWebsite', 'DeleteBucketWebsite', 'PutBucketLogging', 'GetBucketLogging', 'DeleteBucketLogging',
  // Access rules (docs/access-rules.md)
  'PutBucketReferer', 'GetBucketReferer', 'PutBucketPublicAccessBlock', 'GetBucketPublicAccessBlock',
  'DeleteBucketPublicAccessBlock', 'PutBucketRequestPayment', 'GetBucketRequestPayment',
  'PutPublicAccessBlock', 'GetPublicAccessBlock', 'DeletePublicAccessBlock',
  // Image styles (oss/image-route.ts).
  'PutStyle', 'GetStyle', 'ListStyle', 'DeleteStyle',
  // Appendable objects (docs/traffic-limit-seal.md)
  'SealAppendObject',
  // Stored bucket configurations (src/oss/stored/).
  ...STORED_OPERATIONS,
  // Metadata query (docs/meta-query.md).
  'DoMetaQuery',
  // SelectObject (oss/select-route.ts).
  'SelectObject', 'CreateSelectObjectMeta',
]);

/**
 * Signed sub-resources (spec oss-protocol §3.3) that the published metadata does not describe as operations,
 * or that would change what an implemented operation does (`x-oss-process`: other than image processing on GetObject
 * and its save-as, oss/image-route.ts, and SelectObject, oss/select-route.ts; `sequential`: taken by
 * InitiateMultipartUpload only, UNPUBLISHED_TAKEN_BY). Never ignored: 501. (`callback` / `callback-var`: upload callbacks,
 * run by the uploads that take them, oss/callback.ts, and ignored elsewhere as the header is.)
 */
export const UNPUBLISHED_SUBRESOURCES: ReadonlySet<string> = new Set([
  'qos', 'qosInfo', 'requesterQosInfo', 'qosRequester', 'resourcePoolInfo', 'resourcePool', 'resourcePoolBuckets',
  'cloudboxes', 'udf', 'udfName', 'udfImage', 'udfId', 'udfImageDesc', 'udfApplication', 'udfApplicationLog',
  'group', 'link', 'objectInfo', 'regionList', 'asyncFetch', 'selectMeta', 'sequential',
  'x-oss-process', 'x-oss-async-process', 'x-oss-write-get-object-response',
  // Newer SDKs' operations (the Python and Go SDK v2): without these, a DELETE /<bucket>/?quota or
  // /<bucket>/<key>?retention fell through to DeleteBucket / DeleteObject and deleted what it named (any other
  // value-less key on such a write is refused too: unknownSubresourceOf). Named here, reads of them are 501 as well.
  'agenticBucket', 'bucketSpace', 'batchJob', 'batchJobPriority', 'batchJobStatus', 'quota', 'overwriteConfig', 'metadataConfiguration', 'metadataInventoryTable', 'metadataJournalTable', 'objectWorm',
  'retention', 'legalHold', 'dataRedundancyTransition', 'responseHeader', 'archiveDirectRead', 'writeGetObjectResponse',
]);

/** Unpublished sub-resources an implemented operation takes (`?uploads&sequential`, `/?regionList`: docs/compatibility.md). */
// PutObject takes `sequential` as a no-op: its body is one piece whose MD5 is always computed (the Python SDK v2's
// uploader sends it on small files; its test_uploader_with_sequential expects 200 and the plain upload's ETag).
// ListBuckets takes `regionList`: the Java SDK's `ListBucketsRequest.setIsRegionList(true)` adds it (ListUserRegionTest
// testListBucketsWithRegion reads the answer as a bucket list); this server's buckets are all in its one region.
const UNPUBLISHED_TAKEN_BY: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['sequential', new Set(['InitiateMultipartUpload', 'PutObject'])],
  ['regionList', new Set(['ListBuckets'])],
]);

/**
 * Unpublished operations named by one of those sub-resources on a method no published operation takes: 501
 * naming the operation, not the 405 an unknown method gets (the PHP SDK's asyncProcessObject sends
 * POST /<key>?x-oss-async-process; OSS's pages name its RAM action oss:PostProcessTask).
 */
const UNPUBLISHED_OPERATIONS: ReadonlyMap<string, { method: string; onObject: boolean; name: string; action: string }> = new Map([
  ['x-oss-async-process', { method: 'POST', onObject: true, name: 'AsyncProcessObject', action: 'oss:PostProcessTask' }],
]);

/**
 * Published parameters of implemented operations whose feature Alunite lacks: answered 501 rather than
 * ignored (a DeleteObject of one version must not delete the object).
 */
export const UNIMPLEMENTED_PARAMS: ReadonlyMap<string, string> = new Map<string, string>([
  // (none now: ListBuckets' `tagging` filter was the last; docs/stored-configurations.md)
]);

/** A key a published path names that is not a sub-resource: `list-type=2` picks ListObjectsV2, other values list V1. */
const NOT_SUBRESOURCES: ReadonlySet<string> = new Set(['list-type']);

/** Published sub-resource key → the operations whose path names it. */
const PUBLISHED_KEYS: ReadonlyMap<string, readonly CatalogOperation[]> = (() => {
  const out = new Map<string, CatalogOperation[]>();
  for (const op of CATALOG) {
    for (const [k] of op.subresources) {
      if (NOT_SUBRESOURCES.has(k)) continue;
      const list = out.get(k) ?? [];
      if (!list.includes(op)) list.push(op);
      out.set(k, list);
    }
  }
  return out;
})();

const CATALOG_BY_NAME: ReadonlyMap<string, CatalogOperation> = new Map(CATALOG.map((op) => [op.name, op]));

const KEYS_BY_NAME: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  [...CATALOG_BY_NAME].map(([name, op]) => [name, new Set(op.subresources.map(([k]) => k))]),
);
const NO_KEYS: ReadonlySet<string> = new Set();
/** The plain query parameters each published operation takes (required or not). */
const PARAMS_BY_NAME: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  [...CATALOG_BY_NAME].map(([name, op]) => [name, new Set([...op.requiredQuery, ...op.query])]),
);

/** The sub-resource keys every published operation's path names (empty for the others, e.g. PostObject). */
function keysOf(name: string): ReadonlySet<string> {
  return KEYS_BY_NAME.get(name) ?? NO_KEYS;
}

/** The catalog per method: routing scans only the operations of the request's method. */
const CATALOG_BY_METHOD: ReadonlyMap<string, readonly CatalogOperation[]> = (() => {
  const out = new Map<string, CatalogOperation[]>();
  for (const op of CATALOG) out.set(op.method, [...(out.get(op.method) ?? []), op]);
  return out;
})();

/** Per method, the operations a request without any query parameter can fit (no sub-resource, no required
 * parameter): the common GET/PUT/HEAD of an object or bucket skips the rest of the scan. */
const CATALOG_BY_METHOD_BARE: ReadonlyMap<string, readonly CatalogOperation[]> = new Map(
  [...CATALOG_BY_METHOD].map(([method, ops]) => [method, ops.filter((op) => op.subresources.length === 0 && op.requiredQuery.length === 0)]),
);

/**
 * The methods whose object request with no query at all is always the plain operation, whatever its headers: every
 * published operation a bare request of that method on an object can fit is implemented, so refusalOf() finds nothing
 * (a bare request has no key to refuse, and only a sub-resource could reach another scope). Checked here at start-up
 * rather than assumed, so a newer metadata table with such an operation unimplemented turns the short cut off.
 */
export const PLAIN_OBJECT_METHODS: ReadonlySet<string> = new Set(
  ['GET', 'HEAD', 'PUT', 'DELETE'].filter((m) => (CATALOG_BY_METHOD_BARE.get(m) ?? []).every((op) => op.scope !== 'object' || IMPLEMENTED_OPERATIONS.has(op.name))),
);

/**
 * GetObject, HeadObject, PutObject and DeleteObject of a request without a query (and, for a PUT, without a copy
 * source): the Operation route() would give after trying the sub-resource routes, none of which a bare request can
 * match (test/oss-route-plain.test.ts compares the two on generated requests). Most requests are these: they skip
 * the catalog scan and routeImplemented's closures.
 */
export function plainObjectRoute(input: RouteInput): Operation | null {
  const { bucket, key } = input.address;
  if (input.query.size !== 0 || bucket === null || key === null || !PLAIN_OBJECT_METHODS.has(input.method)) return null;
  switch (input.method) {
    case 'GET': return { name: 'GetObject', bucket, key, checks: [{ action: 'oss:GetObject', bucket, key, acl: 'read' }] };
    case 'HEAD': return { name: 'HeadObject', bucket, key, checks: [{ action: 'oss:GetObject', bucket, key, acl: 'read' }] };
    case 'DELETE': return { name: 'DeleteObject', bucket, key, checks: [{ action: 'oss:DeleteObject', bucket, key, acl: 'write' }] };
    default:
      if (input.copySource !== undefined) return null;
      return { name: 'PutObject', bucket, key, checks: writeChecks('oss:PutObject', bucket, key, 'write', { tagging: input.tagging === true, objectAcl: input.objectAcl === true, encrypts: true }) };
  }
}

function scopeOf(address: Address): CatalogScope {
  return address.bucket === null ? 'service' : address.key === null ? 'bucket' : 'object';
}

/**
 * How well a request fits a published operation: -1 if it lacks one of the operation's sub-resources (with
 * their fixed values, e.g. `comp=add`) or required query parameters; otherwise more for each of them and for
 * each required header present (headers tell GetAccessPoint from ListAccessPoints but are never demanded).
 */
function fit(op: CatalogOperation, input: RouteInput): number {
  const { query } = input;
  for (const [k, v] of op.subresources) {
    const got = query.get(k);
    if (got === undefined || (v !== '' && got !== v)) return -1;
  }
  for (const q of op.requiredQuery) if (!query.has(q)) return -1;
  // Counted in a loop: every routed request runs this for each operation of its method (no array per operation).
  let headers = 0;
  const hasHeader = input.hasHeader;
  for (const h of op.requiredHeaders) if (hasHeader(h) === true) headers++;
  return 100 * op.subresources.length + 10 * op.requiredQuery.length + headers;
}

/**
 * The published operation a request names: the best fit among the operations of its method and scope;
 * failing one that names a sub-resource, the best fit in another scope (`GET /<bucket>/?regions` is still
 * DescribeRegions, never a listing). Ties go to the metadata's order. Null: no published operation fits.
 */
export function catalogOperationOf(input: RouteInput): CatalogOperation | null {
  const scope = scopeOf(input.address);
  let best: CatalogOperation | null = null;
  let bestFit = -1;
  let other: CatalogOperation | null = null;
  let otherFit = 99; // another scope only when the fit includes a sub-resource
  const candidates = input.query.size === 0 ? CATALOG_BY_METHOD_BARE : CATALOG_BY_METHOD;
  for (const op of candidates.get(input.method) ?? []) {
    const f = fit(op, input);
    if (op.scope === scope) {
      if (f > bestFit) [best, bestFit] = [op, f];
    } else if (f > otherFit) {
      [other, otherFit] = [op, f];
    }
  }
  if (best !== null && (bestFit >= 100 || other === null)) return best;
  // A key the in-scope operation takes as a plain parameter (`GET /?tagging`: ListBuckets by tag) stays there.
  const inScope: CatalogOperation | null = best;
  if (inScope !== null && other !== null && other.subresources.some((sub) => inScope.query.includes(sub[0]))) return inScope;
  return other ?? best;
}

interface Refusal {
  operation: string;
  /** The action authorized before the 501 (the operation's own, or the one the request falls back to). */
  action: string;
  message: string;
  /** The checks authorized before the 501 instead, when the request was routed to an operation (its own checks). */
  checks?: AuthzCheck[];
}

/**
 * Whether the request names something Alunite does not implement: a published operation without a handler,
 * a published sub-resource only such operations use, or an unpublished sub-resource. Query parameters
 * that are none of these (`foo=bar`, `t=123`) are ignored, as OSS ignores them.
 */
function refusalOf(input: RouteInput): Refusal | null {
  const hit = catalogOperationOf(input);
  const fallback = `oss:${hit?.name ?? 'ListBuckets'}`;
  if (hit !== null && !IMPLEMENTED_OPERATIONS.has(hit.name)) {
    return { operation: hit.name, action: `oss:${hit.name}`, message: `${hit.name} is not implemented by Alunite yet.` };
  }
  const covered = keysOf(hit?.name ?? '');
  const takes = PARAMS_BY_NAME.get(hit?.name ?? '') ?? NO_KEYS;
  for (const k of input.query.keys()) {
    const param = takes.has(k) && !covered.has(k) ? UNIMPLEMENTED_PARAMS.get(k) : undefined;
    if (param !== undefined) return { operation: hit?.name ?? 'Unknown', action: fallback, message: param };
    // Taken by the operations listed for it; one with no list is left to the method checks when no published
    // operation matched (a PUT /?qosInfo is 405, as before).
    const unpublished = UNPUBLISHED_OPERATIONS.get(k);
    if (hit === null && unpublished !== undefined && unpublished.method === input.method && (input.address.key !== null) === unpublished.onObject) {
      return { operation: unpublished.name, action: unpublished.action, message: `${unpublished.name} (the "${k}" sub-resource) is not implemented by Alunite yet.` };
    }
    const takenBy = UNPUBLISHED_TAKEN_BY.get(k);
    const taken = takenBy === undefined ? hit === null : hit !== null && takenBy.has(hit.name);
    if (UNPUBLISHED_SUBRESOURCES.has(k) && !takes.has(k) && !taken) {
      return { operation: hit?.name ?? 'Unknown', action: fallback, message: `The "${k}" sub-resource is not implemented by Alunite yet.` };
    }
    const owners = PUBLISHED_KEYS.get(k);
    if (owners === undefined || covered.has(k) || owners.some((o) => IMPLEMENTED_OPERATIONS.has(o.name))) continue;
    const owner = owners.find((o) => o.method === input.method) ?? owners[0]!;
    return {
      operation: owner.name,
      action: `oss:${owner.name}`,
      message: `The "${k}" sub-resource (${owners.map((o) => o.name).join(', ')}) is not implemented by Alunite yet.`,
    };
  }
  return null;
}

/**
 * Sub-resources a hand-written route takes beyond its catalog entry: GET ?objectMeta is accepted like HEAD,
 * GET ?processConfiguration is the unpublished Get of PutProcessConfiguration (the Java SDK's getBucketProcess),
 * and DELETE ?transferAcceleration the unpublished Delete of PutBucketTransferAcceleration.
 */
const CONSUMED_BEYOND_CATALOG: ReadonlyMap<string, string> = new Map([
  ['GetObjectMeta', 'objectMeta'],
  ['GetProcessConfiguration', 'processConfiguration'],
  ['DeleteBucketTransferAcceleration', 'transferAcceleration'],
]);

/**
 * The hand-written routing below only knows implemented operations; a published sub-resource it did not
 * consume (`DELETE /<bucket>/?acl`) must not run as the operation it fell through to.
 */
function assertConsumed(op: Operation, input: RouteInput): void {
  // A routed Unimplemented (an access point's Block Public Access) consumed its operation's sub-resources.
  const own = keysOf(op.name === 'Unimplemented' ? op.params.operation : op.name);
  for (const k of input.query.keys()) {
    const owners = PUBLISHED_KEYS.get(k);
    if (owners === undefined || own.has(k)) continue;
    if (PARAMS_BY_NAME.get(op.name)?.has(k) === true) continue; // a plain parameter of this operation (GetCnameToken's cname)
    if (CONSUMED_BEYOND_CATALOG.get(op.name) === k) continue;
    if (owners.some((o) => o.method === input.method && o.scope === scopeOf(input.address))) {
      throw invalidArgument(`The sub-resource "${k}" cannot be combined with the other sub-resources of this request.`, k, input.query.get(k) ?? '');
    }
    throw notAllowed(input.method, op.key !== null ? 'Object' : op.bucket !== null ? 'Bucket' : 'Service');
  }
}

/**
 * `raw` in wire form. Its bytes are read as UTF-8 before the percent-decoding: the Ruby SDK sends the source
 * unescaped (`/<bucket>/<key>` as its UTF-8 bytes, and signs that text), other SDKs percent-encode it (ASCII).
 */
function parseCopySource(raw: string): CopySource {
  let value = textOfWire(raw).trim();
  const q = value.indexOf('?');
  let versionId: string | undefined;
  if (q >= 0) {
    // `?versionId=<id>` names a version of the source (other parameters are ignored, as before).
    const query = value.slice(q + 1);
    value = value.slice(0, q);
    for (const pair of query.split('&')) {
      if (!pair.startsWith('versionId=')) continue;
      versionId = decodeUrlPath(pair.slice('versionId='.length));
      if (versionId === undefined || versionId === '') throw invalidArgument('The x-oss-copy-source versionId is invalid.', 'x-oss-copy-source', raw);
    }
  }
  if (value.startsWith('/')) value = value.slice(1);
  const slash = value.indexOf('/');
  const fail = (): never => {
    throw invalidArgument('Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.', 'x-oss-copy-source', raw);
  };
  if (slash <= 0 || slash === value.length - 1) fail();
  const bucket = decodeUrlPath(value.slice(0, slash));
  // A `%` that starts no escape (`100%.txt`, `%zz`) is taken as itself: the Ruby SDK sends the key unescaped, and
  // its `100%.txt` was refused as a malformed source. A valid escape is still decoded (docs/compatibility.md).
  const rawKey = value.slice(slash + 1);
  const key = decodeUrlPath(rawKey) ?? decodeUrlPath(rawKey.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
  if (bucket === undefined || key === undefined) return fail();
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}

function requireInt(query: ReadonlyMap<string, string>, name: string): number {
  const raw = query.get(name) ?? '';
  if (!/^\d{1,15}$/.test(raw)) throw invalidArgument(`${name} must be a non-negative integer.`, name, raw);
  return Number(raw);
}

/** partNumber, checked before anything else about the request (body headers included). */
function partNumberOf(query: ReadonlyMap<string, string>): number {
  const raw = query.get('partNumber') ?? '';
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  assertPartNumber(n, raw);
  return n;
}

function uploadIdOf(query: ReadonlyMap<string, string>): string {
  const id = query.get('uploadId') ?? '';
  if (id === '') throw new AppError('NoSuchUpload', undefined, { UploadId: id });
  return id;
}

const notAllowed = (method: string, resourceType: string): AppError =>
  new AppError('MethodNotAllowed', undefined, { Method: method, ResourceType: resourceType });

/**
 * The checks of DeleteMultipleObjects: oss:DeleteObject on every key (an ACL may grant it as a write), and
 * oss:DeleteObjectVersion for an entry naming a version, judged by that version's own ACL as DeleteObject?versionId
 * is (the current version's public-read-write ACL must not let anyone delete the private history under it).
 */
export function deleteObjectChecks(bucket: string, entries: ReadonlyArray<string | { key: string; versionId?: string }>): AuthzCheck[] {
  return entries.map((e) => {
    const { key, versionId } = typeof e === 'string' ? { key: e, versionId: undefined } : e;
    return versionId === undefined
      ? { action: 'oss:DeleteObject', bucket, key, acl: 'write' }
      : { action: 'oss:DeleteObjectVersion', bucket, key, acl: 'write', versionId };
  });
}

/**
 * A request naming a version (`versionId`) is authorized by the `…Version` actions (spec ram-sts §3):
 * reads by oss:GetObjectVersion, deletes by oss:DeleteObjectVersion, ACL, tagging and RestoreObject by their
 * Version twins.
 */
const VERSION_ACTIONS: ReadonlyMap<string, string> = new Map([
  ['oss:GetObject', 'oss:GetObjectVersion'],
  ['oss:DeleteObject', 'oss:DeleteObjectVersion'],
  ['oss:GetObjectAcl', 'oss:GetObjectVersionAcl'],
  ['oss:PutObjectAcl', 'oss:PutObjectVersionAcl'],
  ['oss:GetObjectTagging', 'oss:GetObjectVersionTagging'],
  ['oss:PutObjectTagging', 'oss:PutObjectVersionTagging'],
  ['oss:DeleteObjectTagging', 'oss:DeleteObjectVersionTagging'],
  // "RestoreObject (with versionId specified in the request): oss:RestoreObjectVersion" (OSS RAM-policy reference).
  ['oss:RestoreObject', 'oss:RestoreObjectVersion'],
]);

/** The operations whose own object takes `versionId` (writes of new objects never do). */
const VERSIONED_TARGET: ReadonlySet<Operation['name']> = new Set([
  'GetObject', 'HeadObject', 'GetObjectMeta', 'DeleteObject', 'GetObjectAcl', 'PutObjectAcl', 'GetSymlink',
  'GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging', 'RestoreObject', 'CleanRestoredObject',
]);

/** Swaps in the Version actions for the checks on the object a request names with `versionId` (copy sources get theirs when built). */
function versionChecks(op: Operation, query: ReadonlyMap<string, string>): Operation {
  const versionId = query.get('versionId');
  if (versionId === undefined || !VERSIONED_TARGET.has(op.name)) return op;
  const checks = op.checks.map((c) =>
    c.bucket === op.bucket && c.key === op.key ? { ...c, action: VERSION_ACTIONS.get(c.action) ?? c.action, versionId } : c,
  );
  return { ...op, checks } as Operation;
}

/** A published or unpublished sub-resource key (one closure for every request, not three per request). */
const isSubresourceKey = (k: string): boolean => PUBLISHED_KEYS.has(k) || UNPUBLISHED_SUBRESOURCES.has(k);

/** Maps a request to its Operation, or throws the OSS error for requests that are not one. */
export function route(input: RouteInput): Operation {
  return plainObjectRoute(input) ?? routeBySubresources(input);
}

/** route() without the plain object short cut: every request through the sub-resource routes (exported for the tests). */
export function routeBySubresources(input: RouteInput): Operation {
  // Image processing and styles (oss/image-route.ts) come before the refusals that 501 other x-oss-process uses.
  const image = routeImage(input, routeBySubresources);
  if (image !== null) return image;
  // SelectObject and CreateSelectObjectMeta (oss/select-route.ts), also ahead of the x-oss-process refusals.
  const select = routeSelect(input);
  if (select !== null) return select;
  // Agentic buckets (docs/agentic-buckets.md): `?agenticBucket&quota` is the agentic bucket's, not the bucket's `?quota`.
  const agentic = routeAgentic(input);
  if (agentic !== null) return agentic;
  // QoS configurations (oss/qos-route.ts), ahead of the refusals of their unpublished sub-resources.
  const qos = routeQos(input, isSubresourceKey);
  if (qos !== null) return qos;
  // Resource pools (oss/resource-pool-route.ts), likewise.
  const pool = routeResourcePool(input, isSubresourceKey);
  if (pool !== null) return pool;
  // Async fetch (oss/async-fetch-route.ts), likewise.
  const asyncFetch = routeAsyncFetch(input, isSubresourceKey);
  if (asyncFetch !== null) return asyncFetch;
  const callbackPolicy = routeCallbackPolicy(input);
  if (callbackPolicy !== null) return callbackPolicy;
  const bucketConfig = routeBucketConfig(input) ?? routeObjectConfig(input);
  if (bucketConfig !== null) return bucketConfig;
  const batchJob = routeBatchJob(input);
  if (batchJob !== null) return batchJob;
  const refusal = refusalOf(input);
  if (refusal !== null) return unimplemented(input, refusal);
  const op = routeImplemented(input);
  assertConsumed(op, input);
  const unknown = unknownSubresourceOf(op, input);
  if (unknown !== null) return unimplemented(input, unknown);
  return versionChecks(op, input.query);
}

/** The 501 a refusal answers, after authorizing its action on the request's resource. */
function unimplemented(input: RouteInput, { operation, action, message, checks }: Refusal): Operation {
  const { bucket, key } = input.address;
  return { name: 'Unimplemented', bucket, key, checks: checks ?? [{ action, bucket, key, acl: 'none' }], params: { operation, message } };
}

/**
 * The bucket callback policy (`?policy&comp=callback`: the PHP, Java and Python SDKs' put/get/deleteBucketCallbackPolicy;
 * unpublished), authorized as its own action, rather than a 405 or a refused combination of `policy` and `comp`.
 */
function routeCallbackPolicy(input: RouteInput): Operation | null {
  const { bucket, key } = input.address;
  if (!input.query.has('policy') || input.query.get('comp') !== 'callback' || bucket === null || key !== null) return null;
  const name = input.method === 'PUT' ? 'PutBucketCallbackPolicy' : input.method === 'GET' ? 'GetBucketCallbackPolicy' : input.method === 'DELETE' ? 'DeleteBucketCallbackPolicy' : null;
  if (name === null) return null;
  return { name, ...onBucket(bucket, `oss:${name}`) };
}

/**
 * Bucket configurations of the Go and Python SDK v2 that the metadata does not publish, by sub-resource and method
 * on the bucket, each authorized as its own action (OSS's pages name oss:PutBucketOverwriteConfig and
 * its siblings). Other methods, and the sub-resource on an object, keep the refusal of an unpublished sub-resource.
 */
const UNPUBLISHED_BUCKET_CONFIGS: ReadonlyMap<string, Readonly<Partial<Record<string, Operation['name']>>>> = new Map([
  // oss/handlers/overwrite-config.ts
  ['overwriteConfig', { PUT: 'PutBucketOverwriteConfig', GET: 'GetBucketOverwriteConfig', DELETE: 'DeleteBucketOverwriteConfig' }],
  // oss/handlers/storage-quota.ts
  ['quota', { PUT: 'PutBucketStorageQuota', GET: 'GetBucketStorageQuota', DELETE: 'DeleteBucketStorageQuota' }],
  // oss/handlers/metadata-table.ts
  ['metadataConfiguration', { POST: 'CreateBucketMetadataConfiguration', GET: 'GetBucketMetadataConfiguration', DELETE: 'DeleteBucketMetadataConfiguration' }],
  ['metadataInventoryTable', { PUT: 'UpdateBucketMetadataInventoryTableConfiguration' }],
  ['metadataJournalTable', { PUT: 'UpdateBucketMetadataJournalTableConfiguration' }],
  // oss/handlers/object-worm.ts (ObjectWorm cannot be turned off: no DELETE)
  ['objectWorm', { PUT: 'PutBucketObjectWormConfiguration', GET: 'GetBucketObjectWormConfiguration' }],
] as const);

/** The same for an object's configurations (`?retention`, `?legalHold`), on the object or the version named by `versionId`. */
const UNPUBLISHED_OBJECT_CONFIGS: ReadonlyMap<string, Readonly<Partial<Record<string, Operation['name']>>>> = new Map([
  ['retention', { PUT: 'PutObjectRetention', GET: 'GetObjectRetention' }],
  ['legalHold', { PUT: 'PutObjectLegalHold', GET: 'GetObjectLegalHold' }],
] as const);

/** The unpublished configuration operations routed above, as (sub-resource, method, operation, on an object): the coverage section lists them. */
export function unpublishedConfigOperations(): Array<{ sub: string; method: string; name: string; onObject: boolean }> {
  const rows = (table: typeof UNPUBLISHED_BUCKET_CONFIGS, onObject: boolean) =>
    [...table].flatMap(([sub, names]) => Object.entries(names).map(([method, name]) => ({ sub, method, name: name as string, onObject })));
  return [...rows(UNPUBLISHED_BUCKET_CONFIGS, false), ...rows(UNPUBLISHED_OBJECT_CONFIGS, true)];
}

function routeObjectConfig(input: RouteInput): Operation | null {
  const { bucket, key } = input.address;
  if (bucket === null || key === null) return null;
  for (const [sub, names] of UNPUBLISHED_OBJECT_CONFIGS) {
    if (!input.query.has(sub)) continue;
    const name = names[input.method];
    if (name === undefined) return null;
    const versionId = input.query.get('versionId');
    const check = { action: `oss:${name}`, bucket, key, acl: 'none' as const, ...(versionId !== undefined ? { versionId } : {}) };
    return { name, bucket, key, checks: [check] } as Operation;
  }
  return null;
}

function routeBucketConfig(input: RouteInput): Operation | null {
  const { bucket, key } = input.address;
  if (bucket === null || key !== null) return null;
  for (const [sub, names] of UNPUBLISHED_BUCKET_CONFIGS) {
    if (!input.query.has(sub)) continue;
    const name = names[input.method];
    return name === undefined ? null : ({ name, ...onBucket(bucket, `oss:${name}`) } as Operation);
  }
  return null;
}

/**
 * Batch Operations (docs/batch-operations.md; not in the API metadata): service-level requests of the Go SDK v2, each
 * authorized as `oss:<Operation>` on the account (OSS's pages name oss:CreateJob and its siblings). GET `?batchJob` is
 * DescribeJob with a batchJobId, ListJobs without. Other methods, and these on a bucket, keep the refusal (501).
 */
function routeBatchJob(input: RouteInput): Operation | null {
  const { bucket, key } = input.address;
  if (bucket !== null || key !== null) return null;
  const q = input.query;
  let name: Operation['name'] | null = null;
  if (q.has('batchJobPriority')) name = input.method === 'POST' ? 'UpdateJobPriority' : null;
  else if (q.has('batchJobStatus')) name = input.method === 'POST' ? 'UpdateJobStatus' : null;
  else if (q.has('batchJob')) name = input.method === 'POST' ? 'CreateJob' : input.method === 'GET' ? (q.has('batchJobId') ? 'DescribeJob' : 'ListJobs') : null;
  if (name === null) return null;
  return { name, bucket: null, key: null, checks: [{ action: `oss:${name}`, bucket: null, key: null, acl: 'none' }] } as Operation;
}

/**
 * Agentic buckets (docs/agentic-buckets.md; not in the API metadata): the Go and Python SDK v2s' AgenticBucketClient, every
 * request naming `agenticBucket`. Without a further sub-resource: Create (PUT), Get (GET), Delete (DELETE) on the bucket,
 * ListAgenticBuckets (GET) on the service; with one, the attribute it names. Authorized as the general bucket's action
 * on the agentic bucket's own ARN (OSS's page: "the same Actions as a general bucket"; `agenticbucket/<name>`); the two
 * operations a general bucket has no action for are their own [UNVERIFIED: names]. Anything else keeps the 501.
 */
const AGENTIC_ATTRIBUTES: ReadonlyMap<string, Readonly<Partial<Record<string, readonly [AgenticOperationName, string]>>>> = new Map([
  ['acl', { PUT: ['PutAgenticBucketAcl', 'oss:PutBucketAcl'], GET: ['GetAgenticBucketAcl', 'oss:GetBucketAcl'] }],
  ['encryption', { PUT: ['PutAgenticBucketEncryption', 'oss:PutBucketEncryption'], GET: ['GetAgenticBucketEncryption', 'oss:GetBucketEncryption'], DELETE: ['DeleteAgenticBucketEncryption', 'oss:DeleteBucketEncryption'] }],
  ['versioning', { PUT: ['PutAgenticBucketVersioning', 'oss:PutBucketVersioning'], GET: ['GetAgenticBucketVersioning', 'oss:GetBucketVersioning'] }],
  ['policy', { PUT: ['PutAgenticBucketPolicy', 'oss:PutBucketPolicy'], GET: ['GetAgenticBucketPolicy', 'oss:GetBucketPolicy'], DELETE: ['DeleteAgenticBucketPolicy', 'oss:DeleteBucketPolicy'] }],
  ['publicAccessBlock', {
    PUT: ['PutAgenticBucketPublicAccessBlock', 'oss:PutBucketPublicAccessBlock'],
    GET: ['GetAgenticBucketPublicAccessBlock', 'oss:GetBucketPublicAccessBlock'],
    DELETE: ['DeleteAgenticBucketPublicAccessBlock', 'oss:DeleteBucketPublicAccessBlock'],
  }],
  ['quota', { PUT: ['PutAgenticBucketStorageQuota', 'oss:PutBucketStorageQuota'], GET: ['GetAgenticBucketStorageQuota', 'oss:GetBucketStorageQuota'], DELETE: ['DeleteAgenticBucketStorageQuota', 'oss:DeleteBucketStorageQuota'] }],
  ['status', { PUT: ['PutAgenticBucketStatus', 'oss:PutAgenticBucketStatus'] }],
  ['bucketSpace', { GET: ['ListBucketSpaces', 'oss:ListBucketSpaces'] }],
] as const);

const AGENTIC_PLAIN: Readonly<Partial<Record<string, readonly [AgenticOperationName, string]>>> = {
  PUT: ['CreateAgenticBucket', 'oss:PutBucket'], GET: ['GetAgenticBucket', 'oss:GetBucketInfo'], DELETE: ['DeleteAgenticBucket', 'oss:DeleteBucket'],
};

export type AgenticOperationName =
  | 'CreateAgenticBucket' | 'GetAgenticBucket' | 'DeleteAgenticBucket' | 'ListAgenticBuckets' | 'PutAgenticBucketStatus' | 'ListBucketSpaces'
  | 'PutAgenticBucketAcl' | 'GetAgenticBucketAcl'
  | 'PutAgenticBucketEncryption' | 'GetAgenticBucketEncryption' | 'DeleteAgenticBucketEncryption'
  | 'PutAgenticBucketVersioning' | 'GetAgenticBucketVersioning'
  | 'PutAgenticBucketPolicy' | 'GetAgenticBucketPolicy' | 'DeleteAgenticBucketPolicy'
  | 'PutAgenticBucketPublicAccessBlock' | 'GetAgenticBucketPublicAccessBlock' | 'DeleteAgenticBucketPublicAccessBlock'
  | 'PutAgenticBucketStorageQuota' | 'GetAgenticBucketStorageQuota' | 'DeleteAgenticBucketStorageQuota';

/** The agentic bucket operations routed below, as (sub-resource, method, operation, action): the coverage section lists them. */
export function agenticOperations(): Array<{ sub: string | null; method: string; name: AgenticOperationName; action: string }> {
  const rows = (sub: string | null, names: Readonly<Partial<Record<string, readonly [AgenticOperationName, string]>>>) =>
    Object.entries(names).map(([method, v]) => ({ sub, method, name: v![0], action: v![1] }));
  return [...rows(null, AGENTIC_PLAIN), { sub: null, method: 'GET', name: 'ListAgenticBuckets', action: 'oss:ListBuckets' }, ...[...AGENTIC_ATTRIBUTES].flatMap(([sub, names]) => rows(sub, names))];
}

/** Whether an operation is one of the agentic bucket operations (their missing bucket is NoSuchAgenticBucket). */
export function isAgenticOperation(name: string): boolean {
  return AGENTIC_NAMES.has(name);
}
const AGENTIC_NAMES: ReadonlySet<string> = new Set(agenticOperations().map((o) => o.name));

function routeAgentic(input: RouteInput): Operation | null {
  const q = input.query;
  if (!q.has('agenticBucket')) return null;
  const { bucket, key } = input.address;
  if (key !== null) return null;
  if (bucket === null) {
    if (input.method !== 'GET' || [...q.keys()].some((k) => AGENTIC_ATTRIBUTES.has(k))) return null;
    return { name: 'ListAgenticBuckets', bucket: null, key: null, checks: [{ action: 'oss:ListBuckets', bucket: null, key: null, acl: 'none' }] };
  }
  const subs = [...AGENTIC_ATTRIBUTES.keys()].filter((k) => q.has(k));
  if (subs.length > 1) throw invalidArgument(`The sub-resources ${subs.map((k) => `"${k}"`).join(' and ')} cannot be combined.`, subs[1]!, q.get(subs[1]!) ?? '');
  const found = (subs.length === 0 ? AGENTIC_PLAIN : AGENTIC_ATTRIBUTES.get(subs[0]!)!)[input.method];
  if (found === undefined) return null;
  const [name, action] = found;
  return { name, bucket, key: null, checks: [{ action, bucket, key: null, acl: 'none', agentic: true }] } as Operation;
}

/** The operations an unknown sub-resource must not fall through to: they create, overwrite or delete. */
// CopyObject is a PutObject with a header; AppendObject and PutSymlink overwrite what the key holds. (PostObject is
// left out: its form is authenticated by the handler, so a refusal here could only name an anonymous caller.)
const WRITES_BY_PATH: ReadonlySet<string> = new Set(['PutBucket', 'DeleteBucket', 'PutObject', 'CopyObject', 'AppendObject', 'PutSymlink', 'DeleteObject']);

/**
 * A query key without a value (`?agenticBucket`, `?bucketSpace=`) that no operation Alunite knows takes, on a request
 * routed to one of WRITES_BY_PATH. That is how OSS names its operations, so such a key is a newer operation's
 * sub-resource, not a cache-buster: run as the path's plain write, `DELETE /<bucket>/?agenticBucket` deleted the
 * bucket. Refused (501) whatever the name, not only for the names listed in UNPUBLISHED_SUBRESOURCES. Keys with a value
 * (`t=123`), `x-oss-*` keys and other hyphenated keys are still ignored, and reads still ignore every unknown key: OSS
 * names its operations' sub-resources in camelCase (the hyphenated ones are parameters: `encoding-type`, `response-*`,
 * `x-oss-*`), and a caller's own parameter may be written without a value (the C# SDK's
 * `GeneratePresignedUriRequest.AddQueryParam("x-param-null", "")` puts a bare `x-param-null` in the URL, and its
 * `PutObjectWithPreSignedUriWithParameter` expects the upload to succeed).
 */
function unknownSubresourceOf(op: Operation, input: RouteInput): Refusal | null {
  if (!WRITES_BY_PATH.has(op.name)) return null;
  const takes = PARAMS_BY_NAME.get(op.name) ?? NO_KEYS;
  for (const [k, v] of input.query) {
    if (v !== '' || k.includes('-') || takes.has(k) || PUBLISHED_KEYS.has(k) || UNPUBLISHED_TAKEN_BY.get(k)?.has(op.name) === true) continue;
    // Authorized as the write it is not run as (CopyObject: oss:GetObject on the source and oss:PutObject, not an
    // `oss:CopyObject` no policy can name).
    return { operation: op.name, action: `oss:${op.name}`, message: `The "${k}" sub-resource is not known to Alunite; the request is not run as ${op.name}.`, checks: op.checks };
  }
  return null;
}

/** Stored operations authorized as another action (spec ram-sts §3; policy/known-actions.ts says the same). */
const STORED_ACTION_NAMES: Partial<Record<StoredOperationName, string>> = {
  PutBucketTags: 'PutBucketTagging',
  GetBucketTags: 'GetBucketTagging',
  DeleteBucketTags: 'DeleteBucketTagging',
};

const LIST_ACCESS_POINTS = CATALOG.find((op) => op.name === 'ListAccessPoints')!;

/** The sub-resource keys of the stored operations: a request naming none of them skips the lookup below. */
const STORED_KEYS: ReadonlySet<string> = new Set(CATALOG.filter((op) => STORED_NAMES.has(op.name)).flatMap((op) => op.subresources.map(([k]) => k)));

/**
 * A stored bucket configuration operation, routed by its catalog entry: authorized as `oss:<Operation>` on
 * the bucket (service-scoped ones on the service), never granted by an ACL (owner and policies only).
 */
function storedOperationOf(input: RouteInput): Operation | null {
  if (input.query.size === 0 || ![...input.query.keys()].some((k) => STORED_KEYS.has(k))) return null;
  const found = catalogOperationOf(input);
  if (found === null || !STORED_NAMES.has(found.name)) return null;
  // `GET /?accessPoint` on a bucket's host without an access point name lists that bucket's access points
  // (ListAccessPoints, "bucket-level": the API differs from the account-level call only in its Host; oss2's
  // list_bucket_access_points), where the name header would make it GetAccessPoint.
  const bucketLevelList = found.name === 'GetAccessPoint' && !input.hasHeader('x-oss-access-point-name');
  const hit = bucketLevelList ? LIST_ACCESS_POINTS : found;
  const name = hit.name as StoredOperationName;
  const bucket = hit.scope === 'service' && !bucketLevelList ? null : input.address.bucket;
  if (hit.scope !== 'service' && bucket === null) throw notAllowed(input.method, 'Service');
  // Live channels are addressed like objects (`/<bucket>/<channel>?live`) and authorized on that resource.
  const key = hit.scope === 'object' ? input.address.key : null;
  if (hit.scope === 'object' && key === null) throw notAllowed(input.method, 'Bucket');
  const action = `oss:${STORED_ACTION_NAMES[name] ?? name}`;
  const checks: AuthzCheck[] = [{ action, bucket, key, acl: 'none' }];
  // PostVodPlaylist writes its playlist as an object, encrypted as the bucket's default says: under KMS, with the key.
  if (name === 'PostVodPlaylist') checks.push(...kmsWriteChecks(bucket!, key!, 'bucketDefault'));
  return { name, bucket, key, checks } as EachSimple<StoredOperationName>;
}

function routeImplemented(input: RouteInput): Operation {
  const { method, address, query } = input;
  const { bucket, key } = address;
  const stored = storedOperationOf(input);
  if (stored !== null) return stored;
  const has = (name: string): boolean => query.has(name);

  const svc = (action: string): Base => ({ bucket: null, key: null, checks: [{ action, bucket: null, key: null, acl: 'none' }] });
  const onBucket = (action: string, acl: AclAccess = 'none'): Base => ({ bucket, key: null, checks: [{ action, bucket, key: null, acl }] });
  const onObject = (action: string, acl: AclAccess): Base => ({ bucket, key, checks: [{ action, bucket, key, acl }] });
  // Writes that set tags or an ACL from the request also need the actions of those (spec ram-sts §2.3, §3).
  const extras: WriteExtras = { tagging: input.tagging === true, objectAcl: input.objectAcl === true, encrypts: true };
  const objectWrite = (action: string, acl: AclAccess, encrypts = true): Base => ({ bucket, key, checks: writeChecks(action, bucket!, key!, acl, { ...extras, encrypts }) });
  // Copies read the source as GetObject and write the destination as PutObject (both must pass).
  // A source named with ?versionId is read with the Version actions and judged by that version (its ACL, its
  // tags); the destination's checks are never touched by it, even when it is the same key.
  const sourceRead = (source: CopySource, action: string): Pick<AuthzCheck, 'action' | 'bucket' | 'key' | 'versionId'> =>
    source.versionId === undefined
      ? { action, bucket: source.bucket, key: source.key }
      : { action: VERSION_ACTIONS.get(action) ?? action, bucket: source.bucket, key: source.key, versionId: source.versionId };
  const copyInto = (source: CopySource): Base => ({
    bucket,
    key,
    checks: [
      { ...sourceRead(source, 'oss:GetObject'), acl: 'read' },
      { action: 'oss:PutObject', bucket, key, acl: 'write' },
    ],
  });
  // CopyObject also writes tags and an ACL: Replace writes the request's tags; Copy (the default) moves the
  // source's, reading them (oss:GetObjectTagging on the source) and writing them (oss:PutObjectTagging on the
  // destination) when it has any.
  const copyObject = (source: CopySource): Base => {
    const replaceTags = (input.taggingDirective ?? '').toLowerCase() === 'replace';
    const checks: AuthzCheck[] = [
      { ...sourceRead(source, 'oss:GetObject'), acl: 'read' },
      ...writeChecks('oss:PutObject', bucket!, key!, 'write', { tagging: replaceTags, objectAcl: extras.objectAcl, encrypts: true }),
    ];
    if (!replaceTags) {
      const ifTagged = { bucket: source.bucket, key: source.key, ...(source.versionId === undefined ? {} : { versionId: source.versionId }) };
      checks.push(
        { ...sourceRead(source, 'oss:GetObjectTagging'), acl: 'none', ifTagged, readsTags: true },
        { action: 'oss:PutObjectTagging', bucket, key, acl: 'write', ifTagged },
      );
    }
    return { bucket, key, checks };
  };

  if (bucket === null) {
    // The account's Block Public Access (docs/access-rules.md).
    if (query.has('publicAccessBlock')) {
      if (method === 'GET') return { name: 'GetPublicAccessBlock', ...svc('oss:GetPublicAccessBlock') };
      if (method === 'PUT') return { name: 'PutPublicAccessBlock', ...svc('oss:PutPublicAccessBlock') };
      if (method === 'DELETE') return { name: 'DeletePublicAccessBlock', ...svc('oss:DeletePublicAccessBlock') };
    }
    // The Java SDK's listUserRegions() (`SUBRESOURCE_USER_REGION`); unpublished [UNVERIFIED: the key's name].
    if (method === 'GET' && query.has('userRegion')) return { name: 'ListUserRegions', ...svc('oss:ListUserRegions') };
    if (method === 'GET') return { name: 'ListBuckets', ...svc('oss:ListBuckets') };
    throw notAllowed(method, 'Service');
  }

  if (key === null) {
    // uploadId / partNumber name a part or an upload of an object: without a key (the Go SDK's AbortMultipartUpload
    // of an empty result sends `DELETE /<bucket>/?uploadId=`) the request is refused, never read as the bucket
    // operation of its method (which deleted an empty bucket).
    for (const k of ['uploadId', 'partNumber']) {
      if (has(k)) throw invalidArgument(`${k} names a multipart upload of an object: the request has no object key.`, k, (query.get(k) ?? '').slice(0, 64));
    }
    const rules = accessRuleOperation(method, query, onBucket);
    if (rules !== null) return rules;
    switch (method) {
      case 'GET':
        if (has('acl')) return { name: 'GetBucketAcl', ...onBucket('oss:GetBucketAcl') };
        if (has('bucketInfo')) return { name: 'GetBucketInfo', ...onBucket('oss:GetBucketInfo') };
        if (has('location')) return { name: 'GetBucketLocation', ...onBucket('oss:GetBucketLocation') };
        if (has('processConfiguration')) return { name: 'GetProcessConfiguration', ...onBucket('oss:GetProcessConfiguration') };
        if (has('policy')) return { name: 'GetBucketPolicy', ...onBucket('oss:GetBucketPolicy') };
        if (has('cors')) return { name: 'GetBucketCors', ...onBucket('oss:GetBucketCors') };
        if (has('worm')) return { name: 'GetBucketWorm', ...onBucket('oss:GetBucketWorm') };
        if (has('encryption')) return { name: 'GetBucketEncryption', ...onBucket('oss:GetBucketEncryption') };
        if (has('versioning')) return { name: 'GetBucketVersioning', ...onBucket('oss:GetBucketVersioning') };
        // Listed like ListObjects: a bucket ACL that grants reads grants it (spec ram-sts §2.3 [UNVERIFIED]).
        if (has('versions')) return { name: 'ListObjectVersions', ...onBucket('oss:ListObjectVersions', 'read') };
        if (has('lifecycle')) return { name: 'GetBucketLifecycle', ...onBucket('oss:GetBucketLifecycle') };
        if (has('stat')) return { name: 'GetBucketStat', ...onBucket('oss:GetBucketStat') };
        // Static website hosting and access logging.
        if (has('website')) return { name: 'GetBucketWebsite', ...onBucket('oss:GetBucketWebsite') };
        if (has('logging')) return { name: 'GetBucketLogging', ...onBucket('oss:GetBucketLogging') };
        if (has('uploads')) return { name: 'ListMultipartUploads', ...onBucket('oss:ListMultipartUploads') };
        if (query.get('list-type') === '2') return { name: 'ListObjectsV2', ...onBucket('oss:ListObjects', 'read') };
        return { name: 'ListObjects', ...onBucket('oss:ListObjects', 'read') };
      case 'PUT':
        if (has('acl')) return { name: 'PutBucketAcl', ...onBucket('oss:PutBucketAcl') };
        if (has('policy')) return { name: 'PutBucketPolicy', ...onBucket('oss:PutBucketPolicy') };
        if (has('cors')) return { name: 'PutBucketCors', ...onBucket('oss:PutBucketCors') };
        if (has('encryption')) return { name: 'PutBucketEncryption', ...onBucket('oss:PutBucketEncryption') };
        if (has('versioning')) return { name: 'PutBucketVersioning', ...onBucket('oss:PutBucketVersioning') };
        if (has('lifecycle')) return { name: 'PutBucketLifecycle', ...onBucket('oss:PutBucketLifecycle') };
        // Static website hosting and access logging.
        if (has('website')) return { name: 'PutBucketWebsite', ...onBucket('oss:PutBucketWebsite') };
        if (has('logging')) return { name: 'PutBucketLogging', ...onBucket('oss:PutBucketLogging') };
        return { name: 'PutBucket', ...onBucket('oss:PutBucket') };
      case 'DELETE':
        if (has('policy')) return { name: 'DeleteBucketPolicy', ...onBucket('oss:DeleteBucketPolicy') };
        if (has('cors')) return { name: 'DeleteBucketCors', ...onBucket('oss:DeleteBucketCors') };
        if (has('worm')) return { name: 'AbortBucketWorm', ...onBucket('oss:AbortBucketWorm') };
        if (has('encryption')) return { name: 'DeleteBucketEncryption', ...onBucket('oss:DeleteBucketEncryption') };
        if (has('lifecycle')) return { name: 'DeleteBucketLifecycle', ...onBucket('oss:DeleteBucketLifecycle') };
        // Static website hosting and access logging.
        if (has('website')) return { name: 'DeleteBucketWebsite', ...onBucket('oss:DeleteBucketWebsite') };
        if (has('logging')) return { name: 'DeleteBucketLogging', ...onBucket('oss:DeleteBucketLogging') };
        // Unpublished; the action named after the operation, as every published Delete… is [UNVERIFIED].
        if (has('transferAcceleration')) return { name: 'DeleteBucketTransferAcceleration', ...onBucket('oss:DeleteBucketTransferAcceleration') };
        return { name: 'DeleteBucket', ...onBucket('oss:DeleteBucket') };
      case 'POST':
        // oss:DeleteObject is checked per key (spec ram-sts §2.3) once the handler has parsed the body:
        // see deleteObjectChecks and OssRequest.authorize.
        if (has('delete')) return { name: 'DeleteMultipleObjects', bucket, key: null, checks: [] };
        if (has('worm')) return { name: 'InitiateBucketWorm', ...onBucket('oss:InitiateBucketWorm') };
        if (has('wormExtend')) return { name: 'ExtendBucketWorm', ...onBucket('oss:ExtendBucketWorm') };
        if (has('wormId')) return { name: 'CompleteBucketWorm', ...onBucket('oss:CompleteBucketWorm') };
        // Metadata query (docs/meta-query.md); Open/Close are stored operations, routed above.
        if (has('metaQuery') && query.get('comp') === 'query') return { name: 'DoMetaQuery', ...onBucket('oss:DoMetaQuery') };
        if ((input.contentType ?? '').toLowerCase().startsWith('multipart/form-data')) {
          return { name: 'PostObject', bucket, key: null, checks: [], params: { upload: null } };
        }
        throw notAllowed(method, 'Bucket');
      case 'HEAD':
        // HEAD of a bucket (the PHP SDK's getBucketMeta, the C# SDK's GetBucketMetadata; unpublished): whether it exists
        // and its region, in `x-oss-bucket-region`. Authorized as GetBucketInfo, what it tells [UNVERIFIED action].
        if (![...query.keys()].some((k) => PUBLISHED_KEYS.has(k))) return { name: 'HeadBucket', ...onBucket('oss:GetBucketInfo') };
        throw notAllowed(method, 'Bucket');
      default:
        throw notAllowed(method, 'Bucket');
    }
  }

  switch (method) {
    case 'GET':
      if (has('acl')) return { name: 'GetObjectAcl', ...onObject('oss:GetObjectAcl', 'none') };
      if (has('symlink')) return { name: 'GetSymlink', ...onObject('oss:GetObject', 'read') };
      if (has('tagging')) return { name: 'GetObjectTagging', ...onObject('oss:GetObjectTagging', 'none') };
      if (has('uploadId')) return { name: 'ListParts', ...onObject('oss:ListParts', 'none'), params: { uploadId: uploadIdOf(query) } };
      if (has('objectMeta')) return { name: 'GetObjectMeta', ...onObject('oss:GetObject', 'read'), params: { viaGet: true } };
      return { name: 'GetObject', ...onObject('oss:GetObject', 'read') };
    case 'HEAD':
      if (has('objectMeta')) return { name: 'GetObjectMeta', ...onObject('oss:GetObject', 'read'), params: { viaGet: false } };
      return { name: 'HeadObject', ...onObject('oss:GetObject', 'read') };
    case 'PUT': {
      if (has('acl')) return { name: 'PutObjectAcl', ...onObject('oss:PutObjectAcl', 'none') };
      // A link has no bytes to encrypt: no KMS key is used.
      if (has('symlink')) return { name: 'PutSymlink', ...objectWrite('oss:PutObject', 'write', false) };
      // oss:PutObjectTagging (oss:PutObjectVersionTagging with versionId) is checked by the handler once it has read
      // the tags: they are the request's oss:RequestObjectTag condition keys (authz/context.ts).
      if (has('tagging')) return { name: 'PutObjectTagging', bucket, key, checks: [] };
      if (has('uploadId') || has('partNumber')) {
        if (!has('uploadId')) throw invalidArgument('UploadPart requires the uploadId parameter.', 'uploadId');
        const uploadId = uploadIdOf(query);
        const partNumber = partNumberOf(query);
        if (input.copySource !== undefined) {
          const source = parseCopySource(input.copySource);
          return { name: 'UploadPartCopy', ...copyInto(source), params: { uploadId, partNumber, source } };
        }
        return { name: 'UploadPart', ...onObject('oss:PutObject', 'write'), params: { uploadId, partNumber } };
      }
      if (input.copySource !== undefined) {
        const source = parseCopySource(input.copySource);
        return { name: 'CopyObject', ...copyObject(source), params: { source } };
      }
      return { name: 'PutObject', ...objectWrite('oss:PutObject', 'write') };
    }
    case 'POST':
      // x-oss-object-acl is not taken here (below): no oss:PutObjectAcl, as OSS lists none for this operation.
      if (has('uploads')) {
        return { name: 'InitiateMultipartUpload', bucket, key, checks: writeChecks('oss:PutObject', bucket!, key!, 'none', { ...extras, objectAcl: false }) };
      }
      // An x-oss-object-acl given here sets the object's ACL (oss:PutObjectAcl); its bytes were encrypted as the
      // upload was initiated (no KMS key use of its own).
      if (has('uploadId')) {
        const checks = writeChecks('oss:PutObject', bucket!, key!, 'write', { tagging: false, objectAcl: extras.objectAcl, encrypts: false });
        return { name: 'CompleteMultipartUpload', bucket, key, checks, params: { uploadId: uploadIdOf(query) } };
      }
      if (has('restore')) return { name: 'RestoreObject', ...onObject('oss:RestoreObject', 'none') };
      if (has('cleanRestoredObject')) return { name: 'CleanRestoredObject', ...onObject('oss:CleanRestoredObject', 'none') };
      if (has('seal')) {
        const position = has('position') ? requireInt(query, 'position') : undefined;
        return { name: 'SealAppendObject', ...onObject('oss:SealAppendObject', 'write'), params: { position } };
      }
      if (has('append')) {
        // OSS's code and words (the Java SDK's AppendObjectTest#testAppendObjectMissingArguments compares both).
        if (!has('position')) throw new AppError('MissingArgument', 'Missing Some Required Arguments.', { ArgumentName: 'position' });
        // Only the append that creates the object (position 0) chooses its encryption; later appends keep the
        // object's (docs/encryption.md), and OSS lists no kms: action for AppendObject [UNVERIFIED for appends].
        const position = requireInt(query, 'position');
        return { name: 'AppendObject', ...objectWrite('oss:PutObject', 'write', position === 0), params: { position } };
      }
      throw notAllowed(method, 'Object');
    case 'DELETE':
      if (has('uploadId')) return { name: 'AbortMultipartUpload', ...onObject('oss:AbortMultipartUpload', 'none'), params: { uploadId: uploadIdOf(query) } };
      if (has('tagging')) return { name: 'DeleteObjectTagging', ...onObject('oss:DeleteObjectTagging', 'none') };
      return { name: 'DeleteObject', ...onObject('oss:DeleteObject', 'write') };
    default:
      throw notAllowed(method, 'Object');
  }
}

/**
 * Access rules (docs/access-rules.md): the bucket's Referer, Block Public Access and pay-by-requester
 * configurations, and an access point's Block Public Access (`x-oss-access-point-name`).
 */
function accessRuleOperation(method: string, query: ReadonlyMap<string, string>, onBucket: (action: string) => Base): Operation | null {
  if (query.has('publicAccessBlock')) {
    const verb = method === 'GET' ? 'Get' : method === 'PUT' ? 'Put' : method === 'DELETE' ? 'Delete' : null;
    if (verb === null) return null;
    if (query.has('x-oss-access-point-name')) {
      // An access point's Block Public Access (docs/access-points.md; handlers in oss/stored/access-points.ts).
      const name = `${verb}AccessPointPublicAccessBlock` as const;
      return { name, ...onBucket(`oss:${name}`) };
    }
    const name = `${verb}BucketPublicAccessBlock` as const;
    return { name, ...onBucket(`oss:${name}`) };
  }
  if (method !== 'GET' && method !== 'PUT') return null;
  const verb = method === 'GET' ? 'Get' : 'Put';
  if (query.has('referer')) return { name: `${verb}BucketReferer`, ...onBucket(`oss:${verb}BucketReferer`) };
  if (query.has('requestPayment')) return { name: `${verb}BucketRequestPayment`, ...onBucket(`oss:${verb}BucketRequestPayment`) };
  return null;
}
