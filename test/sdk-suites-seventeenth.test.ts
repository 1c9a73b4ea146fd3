// The official SDKs' own test suites, seventeenth reading: what they expect that Alunite still answered differently.
// Read (aliyun/alibabacloud-oss-kotlin-sdk-v2 `integration-test/src/commonTest/…/oss2/test/`, a suite no earlier
// reading named), each request built as the Kotlin SDK v2 builds it (V1-signed here; the SDK signs V4, which signs
// the same query):
// - ServiceTest.kt: ListBuckets without parameters (no Marker), with `max-keys=1` (MaxKeys 1, IsTruncated true), with
//   a prefix no bucket has (`testListBucketsWithPrefix`: buckets empty, `isTruncated` and `prefix` null).
// - BucketLoggingTest.kt: PutBucketLogging of a TargetBucket and TargetPrefix (the SDK writes no LoggingRole: its XML
//   encoder leaves null fields out), read back equal (`assertEquals(bucketLoggingStatus, …)`, LoggingRole null);
//   Put/Get/DeleteUserDefinedLogFieldsConfig.
// - BucketInventoryTest.kt: PutBucketInventory with the OptionalFields Size, LastModifiedDate, TransitionTime, ETag,
//   StorageClass, IsMultipartUploaded, EncryptionStatus and every filter, read back equal by Get and List.
// - BucketOverwriteConfigTest.kt: two rules (one with only a Prefix, one with only a Suffix) read back as put; after
//   DeleteBucketOverwriteConfig, Get is 404 `NoSuchBucketOverwriteConfig`.
// Needed a change (docs/compatibility.md, "seventeenth reading"):
// - ListBuckets with a prefix that matches nothing echoed Prefix, Marker, MaxKeys and IsTruncated; OSS leaves them
//   out (the Kotlin test reads them as null from OSS).
// - GetBucketLogging wrote an empty LoggingRole when none was put; it is answered as put (none, or the empty one the
//   Java SDK v2's ClientBucketLoggingTest puts and reads back as "").
// - The inventory field TransitionTime was 400 InvalidArgument; it is taken, answered, and an empty column.
// - GetBucketOverwriteConfig of a bucket without one was 404 `NoSuchOverwriteConfiguration` (a guess); OSS's code is
//   `NoSuchBucketOverwriteConfig` (the Kotlin test reads it; the Terraform alicloud provider expects it too).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv?.stop();
});

/** The text of each `<name>` element of an answer, in order. */
const texts = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

describe("the SDK test suites, seventeenth reading: the Kotlin SDK v2's ServiceTest.kt", () => {
  before(async () => {
    for (const b of ['kt-svc-a', 'kt-svc-b']) succeeds(await signedRequest(srv.port, 'PUT', b, null, []));
  });

  it('testListBuckets: without parameters, no Marker (nor Prefix, MaxKeys, IsTruncated), the buckets listed', async () => {
    const { text } = succeeds(await signedRequest(srv.port, 'GET', null, null, []));
    for (const name of ['Marker', 'Prefix', 'MaxKeys', 'IsTruncated']) assert.doesNotMatch(text, new RegExp(`<${name}>`), name);
    assert.deepEqual(texts(text, 'Name'), ['kt-svc-a', 'kt-svc-b']);
  });

  it('testListBucketsWithMaxKeys: max-keys=1 echoes MaxKeys 1 and IsTruncated true', async () => {
    const { text } = succeeds(await signedRequest(srv.port, 'GET', null, null, [['max-keys', '1']]));
    assert.deepEqual(texts(text, 'MaxKeys'), ['1']);
    assert.deepEqual(texts(text, 'IsTruncated'), ['true']);
    assert.deepEqual(texts(text, 'NextMarker'), ['kt-svc-a']);
  });

  it('testListBucketsWithPrefix: a prefix no bucket has lists nothing, with no Prefix and no IsTruncated', async () => {
    const { text } = succeeds(await signedRequest(srv.port, 'GET', null, null, [['prefix', 'kotlin-sdk-test-none-']]));
    for (const name of ['Prefix', 'Marker', 'MaxKeys', 'IsTruncated', 'NextMarker']) assert.doesNotMatch(text, new RegExp(`<${name}>`), name);
    // An empty list, not none: the test reads `buckets?.isEmpty()` as true.
    assert.match(text, /<Buckets(\/>|><\/Buckets>)/);
    assert.equal(texts(text, 'ID').length, 1); // Owner
    // A prefix that matches still echoes the filter.
    const found = succeeds(await signedRequest(srv.port, 'GET', null, null, [['prefix', 'kt-svc-']])).text;
    assert.deepEqual(texts(found, 'Prefix'), ['kt-svc-']);
    assert.deepEqual(texts(found, 'IsTruncated'), ['false']);
  });
});

describe("the SDK test suites, seventeenth reading: the Kotlin SDK v2's BucketLoggingTest.kt", () => {
  const B = 'kt-logging';
  const status = (role: string): string =>
    `<BucketLoggingStatus><LoggingEnabled><TargetBucket>${B}</TargetBucket><TargetPrefix>targetPrefix</TargetPrefix>${role}</LoggingEnabled></BucketLoggingStatus>`;
  before(async () => {
    succeeds(await signedRequest(srv.port, 'PUT', B, null, []));
  });

  it('testPutAndGetBucketLogging: no LoggingRole put, none answered; an empty one put is answered empty', async () => {
    succeeds(await signedRequest(srv.port, 'PUT', B, null, [['logging', '']], { body: status('') }));
    const { text } = succeeds(await signedRequest(srv.port, 'GET', B, null, [['logging', '']]));
    assert.match(text, /<BucketLoggingStatus><LoggingEnabled><TargetBucket>kt-logging<\/TargetBucket><TargetPrefix>targetPrefix<\/TargetPrefix><\/LoggingEnabled><\/BucketLoggingStatus>/);
    succeeds(await signedRequest(srv.port, 'PUT', B, null, [['logging', '']], { body: status('<LoggingRole></LoggingRole>') }));
    assert.match(succeeds(await signedRequest(srv.port, 'GET', B, null, [['logging', '']])).text, /<TargetPrefix>targetPrefix<\/TargetPrefix><LoggingRole(\/>|><\/LoggingRole>)<\/LoggingEnabled>/);
    succeeds(await signedRequest(srv.port, 'DELETE', B, null, [['logging', '']]), 204);
  });

  it('testPutAndGetUserDefinedLogFieldsConfig / testDeleteUserDefinedLogFieldsConfig: read back as put, deleted with 204', async () => {
    const body = '<UserDefinedLogFieldsConfiguration><HeaderSet><header>header1</header><header>header2</header><header>header3</header></HeaderSet>'
      + '<ParamSet><parameter>param1</parameter><parameter>param2</parameter></ParamSet></UserDefinedLogFieldsConfiguration>';
    succeeds(await signedRequest(srv.port, 'PUT', B, null, [['userDefinedLogFieldsConfig', '']], { body }));
    const { text } = succeeds(await signedRequest(srv.port, 'GET', B, null, [['userDefinedLogFieldsConfig', '']]));
    assert.deepEqual(texts(text, 'header'), ['header1', 'header2', 'header3']);
    assert.deepEqual(texts(text, 'parameter'), ['param1', 'param2']);
    succeeds(await signedRequest(srv.port, 'DELETE', B, null, [['userDefinedLogFieldsConfig', '']]), 204);
  });
});

describe("the SDK test suites, seventeenth reading: the Kotlin SDK v2's BucketInventoryTest.kt", () => {
  const B = 'kt-inventory';
  const DEST = 'kt-inventory-dest';
  const FIELDS = ['Size', 'LastModifiedDate', 'TransitionTime', 'ETag', 'StorageClass', 'IsMultipartUploaded', 'EncryptionStatus'];
  const body = `<InventoryConfiguration><IncludedObjectVersions>All</IncludedObjectVersions><OptionalFields>${FIELDS.map((f) => `<Field>${f}</Field>`).join('')}</OptionalFields>`
    + `<Id>inventoryId</Id><IsEnabled>true</IsEnabled><Destination><OSSBucketDestination><Bucket>acs:oss:::${DEST}</Bucket><Prefix>prefix1</Prefix><Format>CSV</Format>`
    + `<AccountId>${ACCOUNT_ID}</AccountId><RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn></OSSBucketDestination></Destination>`
    + '<Schedule><Frequency>Daily</Frequency></Schedule><Filter><LastModifyEndTimeStamp>1638347592</LastModifyEndTimeStamp><LastModifyBeginTimeStamp>1637883649</LastModifyBeginTimeStamp>'
    + '<LowerSizeBound>1024</LowerSizeBound><StorageClass>IA</StorageClass><Prefix>filterPrefix/</Prefix><UpperSizeBound>1048576</UpperSizeBound></Filter></InventoryConfiguration>';
  before(async () => {
    for (const b of [B, DEST]) succeeds(await signedRequest(srv.port, 'PUT', b, null, []));
  });

  it('testPutAndGetBucketInventory / testListBucketInventory: TransitionTime among the fields is taken and read back in order', async () => {
    succeeds(await signedRequest(srv.port, 'PUT', B, null, [['inventory', ''], ['inventoryId', 'inventoryId']], { body }));
    const got = succeeds(await signedRequest(srv.port, 'GET', B, null, [['inventory', ''], ['inventoryId', 'inventoryId']])).text;
    assert.deepEqual(texts(got, 'Field'), FIELDS);
    assert.deepEqual(texts(got, 'LowerSizeBound'), ['1024']);
    assert.deepEqual(texts(got, 'StorageClass'), ['IA']);
    const listed = succeeds(await signedRequest(srv.port, 'GET', B, null, [['inventory', '']])).text;
    assert.deepEqual(texts(listed, 'Field'), FIELDS);
    assert.deepEqual(texts(listed, 'IsTruncated'), ['false']);
    assert.doesNotMatch(listed, /NextContinuationToken/);
    succeeds(await signedRequest(srv.port, 'DELETE', B, null, [['inventory', ''], ['inventoryId', 'inventoryId']]), 204);
  });
});

describe("the SDK test suites, seventeenth reading: the Kotlin SDK v2's BucketOverwriteConfigTest.kt", () => {
  const B = 'kt-overwrite';
  before(async () => {
    succeeds(await signedRequest(srv.port, 'PUT', B, null, []));
  });

  it('testPutAndGetBucketOverwriteConfig / testDeleteBucketOverwriteConfig: read back as put; none is 404 NoSuchBucketOverwriteConfig', async () => {
    const rules = '<Rule><ID>rule-002</ID><Action>forbid</Action><Prefix>images</Prefix></Rule><Rule><ID>rule-003</ID><Action>forbid</Action><Suffix>.jpg</Suffix></Rule>';
    succeeds(await signedRequest(srv.port, 'PUT', B, null, [['overwriteConfig', '']], { body: `<OverwriteConfiguration>${rules}</OverwriteConfiguration>` }));
    const { text } = succeeds(await signedRequest(srv.port, 'GET', B, null, [['overwriteConfig', '']]));
    assert.match(text, new RegExp(`<OverwriteConfiguration>${rules.replace(/[.]/g, '\\.')}</OverwriteConfiguration>`));
    succeeds(await signedRequest(srv.port, 'DELETE', B, null, [['overwriteConfig', '']]), 204);
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['overwriteConfig', '']]), 'NoSuchBucketOverwriteConfig', 404);
  });
});
