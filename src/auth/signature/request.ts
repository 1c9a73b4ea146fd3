import type { IncomingHttpHeaders } from 'node:http';

/** The parts of a request that signatures cover, after addressing has been resolved. */
export interface SignableRequest {
  method: string;
  /** Logical bucket (whatever the addressing style); null for service requests. */
  bucket: string | null;
  /** Decoded object key; null for bucket and service requests. */
  key: string | null;
  /** Decoded query parameters in the order received. */
  query: ReadonlyArray<readonly [string, string]>;
  /**
   * The query string as received (without `?`): V4 verification falls back to it for clients that sign the
   * query as they send it instead of re-encoding it (the .NET SDK v2 leaves `!*()` unescaped).
   */
  rawQuery?: string;
  /** Lower-case header names, as node parses them. */
  headers: IncomingHttpHeaders;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Signed sub-resources of V1 (and V1-style PostObject / URL) signatures. `cleanRestoredObject` is not in the
 * spec's list but the official SDKs sign it (Go v2 marks it a sub-resource; the C++/Kotlin v2 lists hold it);
 * `processConfiguration` neither, but the Java SDK signs it (SignParameters.SIGNED_PARAMTERS,
 * SUBRESOURCE_PROCESS_CONF) and the Tea gateway signs the sub-resource of the operation's path. `responseHeader`
 * and `rtc`: the Go SDK v1's current signer (conn.go) signs them. `userRegion`: the Java SDK's listUserRegions, signed
 * in its list (SUBRESOURCE_USER_REGION) [UNVERIFIED: the key's name].
 */
export const SUB_RESOURCES: ReadonlySet<string> = new Set(
  `acl uploads location cors logging website referer lifecycle delete append tagging objectMeta uploadId
partNumber security-token position img style styleName replication replicationProgress replicationLocation
cname bucketInfo comp qos live status vod startTime endTime symlink x-oss-process response-content-type
response-content-language response-expires response-cache-control response-content-disposition
response-content-encoding udf udfName udfImage udfId udfImageDesc udfApplication udfApplicationLog restore
callback callback-var qosInfo policy stat encryption versions versioning versionId regionList worm wormId
wormExtend group link objectInfo requestPayment x-oss-traffic-limit asyncFetch x-oss-request-payer
sequential inventory inventoryId continuation-token transferAcceleration metaQuery resourceGroup
x-oss-async-process x-oss-write-get-object-response bucketArchiveDirectRead httpsConfig redundancyTransition
x-oss-target-redundancy-type x-oss-redundancy-transition-taskid accessPoint accessPointPolicy
publicAccessBlock x-oss-access-point-name requesterQosInfo qosRequester resourcePoolInfo resourcePool
resourcePoolBuckets cloudboxes cleanRestoredObject seal processConfiguration responseHeader rtc userDefinedLogFieldsConfig
quota overwriteConfig metadataConfiguration metadataInventoryTable metadataJournalTable objectWorm retention legalHold
accessPointForObjectProcess archiveDirectRead dataRedundancyTransition writeGetObjectResponse policyStatus accessMonitor
agenticBucket bucketSpace batchJob batchJobPriority batchJobStatus userRegion`.split(/\s+/),
);

/**
 * The V1 sub-resources of the Java SDK 3.x (`SignParameters.SIGNED_PARAMTERS`): it leaves the newer ones above
 * (`resourceGroup`, `publicAccessBlock`, `accessPoint`, `metaQuery`, `httpsConfig`, …) out of the string it signs,
 * though it calls their operations. A header signature over only these is accepted too (v1.ts).
 */
export const LEGACY_V1_SUB_RESOURCES: ReadonlySet<string> = new Set(
  `acl uploads location cors logging website referer lifecycle delete append tagging objectMeta uploadId
partNumber security-token position response-cache-control response-content-disposition response-content-encoding
response-content-language response-content-type response-expires img style styleName replication
replicationProgress replicationLocation cname bucketInfo comp qos live status vod startTime endTime x-oss-process
processConfiguration symlink stat udf udfName udfImage udfImageDesc udfApplication udfApplicationLog restore
versions versioning versionId encryption policy requestPayment x-oss-traffic-limit qosInfo asyncFetch sequential
x-oss-request-payer vpcip vip inventory inventoryId continuation-token worm wormId wormExtend callback
callback-var x-oss-dir x-oss-rename x-oss-delete transferAcceleration`.split(/\s+/),
);

/**
 * Sub-resources of operations only the newer SDKs (Go, Python and Java SDK v2, V4 by default) call, which the Java SDK
 * 3.x has no method for: a request carrying one never takes the legacy list's fallback. Otherwise any V1 header
 * signature of `PUT /b/k` (a server-signed browser upload) could be replayed within its window as `PUT /b/k?retention`
 * (a COMPLIANCE lock for a century) or `?legalHold`, signed as the plain write.
 */
export const NEVER_LEGACY_SIGNED: ReadonlySet<string> = new Set(
  `quota overwriteConfig metadataConfiguration metadataInventoryTable metadataJournalTable objectWorm retention legalHold
agenticBucket bucketSpace batchJob batchJobPriority batchJobStatus userRegion`.split(/\s+/),
);

/**
 * Published sub-resources the SDKs leave out of V1 signatures (OSS's V1 list predates them). A presigned V1 URL
 * must sign them all the same: a URL handed out for one operation (ListObjects, PutBucket) could otherwise be
 * turned into GetBucketAccessMonitor, PutBucketAccessMonitor, … by appending the key (docs/compatibility.md).
 * `list-type` (ListObjectsV2 of the same listing) and `regions` (DescribeRegions) stay unsigned: they read nothing
 * more. test/redteam-wave9.test.ts keeps this set in step with the operation catalog.
 */
export const URL_SIGNED_ROUTING_KEYS: ReadonlySet<string> = new Set([
  'accessmonitor', 'eventNotification', 'antiDDos', 'bucketAntiDDos', 'objectHash',
  'accessPointConfigForObjectProcess', 'accessPointPolicyForObjectProcess',
]);

export function isSubResource(name: string): boolean {
  return SUB_RESOURCES.has(name) || name.startsWith('x-oss-');
}

/** Byte-order comparison of strings by their UTF-8 encoding (what "sorted by name" means on the wire). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
