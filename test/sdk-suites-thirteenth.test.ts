// The official SDKs' own test suites, thirteenth reading: files the earlier readings had not replayed.
// Read: the C++ SDK's (aliyun/aliyun-oss-cpp-sdk test/src) Bucket/BucketInventoryConfigurationTest.cc,
// AccessKey/AccessKeyTest.cc, Authorization/AuthTest.cc, Object/ObjectHashCheckTest.cc; the .NET SDK's
// (aliyun/aliyun-oss-csharp-sdk test/TestCase) AccessKeyTestCase/AccessKeyTest.cs, BucketTestCase/
// BucketTaggingSettingTest.cs, BucketVersioningSettingTest.cs, BucketPolicySettingTest.cs,
// BucketRequestPaymentSettingTest.cs, OtherTestCase/EpochTimeSettingTest.cs, ObjectTestCase/ObjectTrafficLimitTest.cs;
// ali-oss's test/node/multiversion.test.js (through ali-oss itself). Requests are built as those SDKs build them
// (path style on an IP endpoint, a `Date` header, V1 over it; inventory bodies as the C++ serializer writes them).
// Needed a change (docs/compatibility.md, "thirteenth reading"):
// - PutBucketInventory naming a destination bucket that does not exist (or is another account's) is 400
//   InvalidArgument, EC 0020-00000033, as BucketInventoryConfigurationNegativeTest expects; it was 404 NoSuchBucket.
// - A permanent AccessKey sent with a security token is 403 InvalidAccessKeyId, as both SDKs'
//   AccessKeyTest.InvalidSecurityTokenTest expect; it was 403 InvalidSecurityToken.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeKey } from './helpers/raw-http.js';
import { sdkSignedRequest, type SdkRequest } from './helpers/signed.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
const SRC = 'cpp-sdk-inventory';
const DST = 'cpp-sdk-inventory-dst';
const OTHER = '2234567890123499';
const OTHER_KEYS = { accessKeyId: 'LTAI5tThirteenthOtherKey', accessKeySecret: 'ThirteenthOtherAccountSecret123' };

before(async () => {
  srv = await startTestServer();
  await srv.client().putBucket(SRC);
  await srv.client().putBucket(DST);
  await srv.accounts.create({ accountId: OTHER, name: 'thirteenth-other', ...OTHER_KEYS });
  await srv.client(OTHER_KEYS).putBucket('cpp-sdk-inventory-other');
});
after(async () => {
  await srv?.stop();
});

const send = (r: SdkRequest, creds?: { accessKeyId: string; accessKeySecret: string }) => sdkSignedRequest(srv.port, r, encodeKey, creds);

/** An InventoryConfiguration as the C++ SDK's SetBucketInventoryConfigurationRequest writes it. */
function inventory(id: string, o: { dest?: string; enabled?: boolean; prefix?: string; fields?: readonly string[] } = {}): string {
  const filter = o.prefix === undefined ? '' : `<Filter><Prefix>${o.prefix}</Prefix></Filter>`;
  const fields = (o.fields ?? []).map((f) => `<Field>${f}</Field>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><InventoryConfiguration><Id>${id}</Id><IsEnabled>${o.enabled ?? true}</IsEnabled>${filter}` +
    `<Destination><OSSBucketDestination><Format>CSV</Format><AccountId>${ACCOUNT_ID}</AccountId>` +
    `<RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${o.dest ?? DST}</Bucket><Prefix>prefix1</Prefix>` +
    '<Encryption><SSE-KMS><KeyId>keyId</KeyId></SSE-KMS></Encryption></OSSBucketDestination></Destination>' +
    `<Schedule><Frequency>Daily</Frequency></Schedule><IncludedObjectVersions>All</IncludedObjectVersions>${fields ? `<OptionalFields>${fields}</OptionalFields>` : ''}</InventoryConfiguration>`;
}

const putInventory = (bucket: string, id: string, body: string) =>
  send({ method: 'PUT', bucket, query: [['inventory', ''], ['inventoryId', id]], body });

describe('the SDK test suites, thirteenth reading: the C++ SDK\'s BucketInventoryConfigurationTest', () => {
  it('BucketInventoryConfigurationNegativeTest: a destination bucket that does not exist is InvalidArgument; the rest as the test expects', async () => {
    const missing = await putInventory(SRC, 'report1', inventory('report1', { dest: 'not-exist-bucket' }));
    assert.equal(missing.status, 400, missing.text);
    assert.equal(missing.err?.Code, 'InvalidArgument');
    assert.equal(missing.err?.EC, '0020-00000033');
    // Another account's bucket gets the same answer (OSS's page for 0020-00000033), and a name that is no bucket name
    // its own EC (0020-00000032): nothing is stored either way.
    const others = await putInventory(SRC, 'report1', inventory('report1', { dest: 'cpp-sdk-inventory-other' }));
    assert.equal(others.status, 400, others.text);
    assert.equal(others.err?.EC, '0020-00000033');
    assert.equal((await putInventory(SRC, 'report1', inventory('report1', { dest: 'bk' }))).err?.EC, '0020-00000032');
    const get = await send({ method: 'GET', bucket: SRC, query: [['inventory', ''], ['inventoryId', 'report1']] });
    assert.equal(get.err?.Code, 'NoSuchInventory');
    const none = await send({ method: 'GET', bucket: SRC, query: [['inventory', ''], ['inventoryId', 'not-exist-report-id']] });
    assert.equal(none.err?.Code, 'NoSuchInventory');
    const delMissingBucket = await send({ method: 'DELETE', bucket: 'not-exist-bucket', query: [['inventory', ''], ['inventoryId', 'not-exist-report-id']] });
    assert.equal(delMissingBucket.err?.Code, 'NoSuchBucket');
    assert.equal((await send({ method: 'DELETE', bucket: SRC, query: [['inventory', ''], ['inventoryId', 'not-exist-report-id']] })).status, 204);
    const listMissingBucket = await send({ method: 'GET', bucket: 'not-exist-bucket', query: [['inventory', '']] });
    assert.equal(listMissingBucket.err?.Code, 'NoSuchBucket');
    // The same configuration into the account's own destination is taken.
    assert.equal((await putInventory(SRC, 'report1', inventory('report1'))).status, 200);
    assert.equal((await send({ method: 'DELETE', bucket: SRC, query: [['inventory', ''], ['inventoryId', 'report1']] })).status, 204);
  });

  it('ListBucketInventoryConfigurationTest: 101 inventories, a first page of 100 ending at "98", then "99"', async () => {
    const all = ['Size', 'LastModifiedDate', 'ETag', 'StorageClass', 'IsMultipartUploaded', 'EncryptionStatus'];
    for (let i = 1; i < 102; i++) {
      const body = inventory(String(i), { enabled: i % 4 !== 0, prefix: i % 5 ? 'filterPrefix' : undefined, fields: i % 7 ? all : ['Size'] });
      const put = await putInventory(SRC, String(i), body);
      assert.equal(put.status, 200, put.text);
    }
    const first = await send({ method: 'GET', bucket: SRC, query: [['inventory', '']] });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.text.match(/<InventoryConfiguration>/g)?.length, 100);
    assert.match(first.text, /<IsTruncated>true<\/IsTruncated>/);
    assert.match(first.text, /<NextContinuationToken>98<\/NextContinuationToken>/);
    const second = await send({ method: 'GET', bucket: SRC, query: [['inventory', ''], ['continuation-token', '98']] });
    assert.deepEqual([...second.text.matchAll(/<Id>([^<]*)<\/Id>/g)].map((m) => m[1]), ['99']);
    assert.match(second.text, /<IsTruncated>false<\/IsTruncated>/);
    assert.doesNotMatch(second.text, /NextContinuationToken/);
    for (let i = 1; i < 102; i++) assert.equal((await send({ method: 'DELETE', bucket: SRC, query: [['inventory', ''], ['inventoryId', String(i)]] })).status, 204);
  });
});

describe('the SDK test suites, thirteenth reading: the C++ and .NET SDKs\' AccessKeyTest', () => {
  it('InvalidSecurityTokenTest: the account\'s permanent key with a security token is InvalidAccessKeyId', async () => {
    // OssClient(endpoint, id, secret, "InvalidSecurityToken"): ListBuckets with x-oss-security-token, V1 over Date.
    for (const token of ['InvalidSecurityToken', 'invalidsecuritytoken']) {
      const r = await send({ method: 'GET', bucket: null, headers: { 'x-oss-security-token': token } });
      assert.equal(r.status, 403, r.text);
      assert.equal(r.err?.Code, 'InvalidAccessKeyId');
      assert.equal(r.err?.Message, 'The OSS Access Key Id you provided does not exist in our records.');
    }
    // The same through ali-oss (stsToken with a permanent key), on a bucket, and for a RAM-less other account's key.
    await assert.rejects(srv.client({ bucket: DST, stsToken: 'haha' }).list({ 'max-keys': 10 }, {}), (e: { code?: string; status?: number }) => e.code === 'InvalidAccessKeyId' && e.status === 403);
    await assert.rejects(srv.client({ ...OTHER_KEYS, stsToken: 'haha' }).listBuckets({}), (e: { code?: string }) => e.code === 'InvalidAccessKeyId');
    // A bucket that does not exist is named first, as for any unknown key.
    const gone = await send({ method: 'GET', bucket: 'not-exist-bucket-13', headers: { 'x-oss-security-token': 'haha' } });
    assert.equal(gone.err?.Code, 'NoSuchBucket');
  });

  it('InvalidAccessKeyIdTest, InvalidAccessKeySecretTest, ValidAccessKeyTest: as they were', async () => {
    const unknown = await send({ method: 'GET', bucket: null }, { accessKeyId: 'invalidAccessKeyId', accessKeySecret: 'x' });
    assert.equal(unknown.err?.Code, 'InvalidAccessKeyId');
    const wrongSecret = await send({ method: 'GET', bucket: null }, { accessKeyId: OTHER_KEYS.accessKeyId, accessKeySecret: 'invalidAccessKeySecret' });
    assert.equal(wrongSecret.err?.Code, 'SignatureDoesNotMatch');
    assert.equal((await send({ method: 'GET', bucket: null })).status, 200);
  });
});
