// What the Java SDK's own integration tests (aliyun/aliyun-oss-java-sdk src/test/java/com/aliyun/oss/integrationtests/)
// expect of OSS, third reading: each request is built as the SDK's request builders build it
// (internal/OSSBucketOperation.java, OSSObjectOperation.java, RequestMarshallers.java: path style, V1 header
// signature, the same headers, sub-resources and XML bodies) and each answer checked for what the Java test asserts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { encodeKey } from './helpers/raw-http.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';
import { xmlText } from './helpers/oss.js';
import { strictTexts, strictXmlError } from './helpers/strict-xml.js';
import { createHash } from 'node:crypto';

const BUCKET = 'java-suite';
const md5Base64 = (b: string): string => createHash('md5').update(b).digest('base64');
/** RequestMarshallers.escapeKey: the five XML specials and TAB/LF/CR as references; other control characters raw. */
const escapeKey = (k: string): string =>
  k.replace(/[&<>"'\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c] ?? c);

describe('the Java SDK integration tests, third reading', () => {
  let srv: TestServer;

  /** Path-style and V1-signed, as the Java SDK sends to an IP or localhost endpoint (second-level-domain mode); `bucket: null` is a service request. */
  async function send(r: Omit<SdkRequest, 'bucket'> & { bucket?: string | null }): Promise<SdkReply> {
    return sdkSignedRequest(srv.port, { ...r, bucket: r.bucket === undefined ? BUCKET : r.bucket }, encodeKey);
  }


  before(async () => {
    srv = await startTestServer();
    assert.equal((await send({ method: 'PUT' })).status, 200);
  });
  after(async () => {
    await srv?.stop();
  });

  it('PutBucketAcl without x-oss-acl keeps the ACL, 200 (BucketAclTest.testNormalSetBucketAcl: setBucketAcl(bucket, null))', async () => {
    const bucket = 'java-suite-acl';
    assert.equal((await send({ method: 'PUT', bucket, headers: { 'x-oss-acl': 'public-read' } })).status, 200);
    // setBucketAcl(bucket, null): OSSBucketOperation adds x-oss-acl only for a non-null canned ACL.
    const put = await send({ method: 'PUT', bucket, query: [['acl', '']] });
    assert.equal(put.status, 200, put.text);
    const acl = await send({ method: 'GET', bucket, query: [['acl', '']] });
    assert.equal(xmlText(acl.text, 'Grant'), 'public-read');
    // The test's next ACLs are then set and read back as sent.
    for (const canned of ['private', 'public-read', 'public-read-write']) {
      assert.equal((await send({ method: 'PUT', bucket, query: [['acl', '']], headers: { 'x-oss-acl': canned } })).status, 200);
      assert.equal(xmlText((await send({ method: 'GET', bucket, query: [['acl', '']] })).text, 'Grant'), canned);
    }
    // A value that is no canned ACL is still refused.
    const bad = await send({ method: 'PUT', bucket, query: [['acl', '']], headers: { 'x-oss-acl': 'IllegalAcl' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.err?.Code, 'InvalidArgument');
  });

  it('PutBucketAcl without x-oss-acl on a bucket that does not exist creates it private, as PutBucket would (BucketAclTest.testUnormalSetBucketAcl deletes it after)', async () => {
    const bucket = 'java-suite-acl-new';
    const put = await send({ method: 'PUT', bucket, query: [['acl', '']] });
    assert.equal(put.status, 200, put.text);
    assert.equal(xmlText((await send({ method: 'GET', bucket, query: [['acl', '']] })).text, 'Grant'), 'private');
    assert.equal((await send({ method: 'DELETE', bucket })).status, 204);
  });

  it('DeleteMultipleObjects reads encoding-type from a header too, as the Java SDK sends it (TestBase.deleteBucketWithObjects after ListObjectsTest.testListObjectsWithEncodingType; ListVersionsTest.testListVersionsWithEncodingType through deleteVersions)', async () => {
    const keys = ['object-with-special-characters-\x01\x07', 'object-with-special-characters-\x02\x07'];
    for (const key of keys) assert.equal((await send({ method: 'PUT', key, body: 'x' })).status, 200);
    // DeleteObjectsRequestMarshaller: <Quiet>false</Quiet>, escapeKey'd keys; addDeleteObjectsRequiredHeaders
    // (Content-MD5) and addDeleteObjectsOptionalHeaders (encoding-type as a header, not a parameter).
    const body = `<Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${escapeKey(k)}</Key></Object>`).join('')}</Delete>`;
    const res = await send({ method: 'POST', query: [['delete', '']], headers: { 'content-md5': md5Base64(body), 'encoding-type': 'url' }, body });
    assert.equal(res.status, 200, res.text);
    // JDOM (a strict XML 1.0 parser) must read the answer: the keys come URL-encoded, EncodingType says so.
    assert.equal(strictXmlError(res.text), null, res.text);
    assert.deepEqual(strictTexts(res.text, 'EncodingType'), ['url']);
    assert.deepEqual(strictTexts(res.text, 'Key').map((k) => decodeURIComponent(k)), keys);
    const list = await send({ method: 'GET', query: [['prefix', 'object-with-special-characters-'], ['encoding-type', 'url']] });
    assert.equal(list.text.includes('<Contents>'), false, 'both keys were deleted');
    // The query form is unchanged, and the query wins over the header.
    for (const key of keys) assert.equal((await send({ method: 'PUT', key, body: 'x' })).status, 200);
    const both = await send({ method: 'POST', query: [['delete', ''], ['encoding-type', 'url']], headers: { 'content-md5': md5Base64(body), 'encoding-type': 'bogus' }, body });
    assert.equal(both.status, 200, both.text);
    assert.deepEqual(strictTexts(both.text, 'EncodingType'), ['url']);
  });

  it('ListBuckets with x-oss-resource-group-id lists that group\'s buckets, each naming its ResourceGroupId; the default group is rg-default-id (CreateBucketTest.testPutWithResouceGroupId)', async () => {
    const grouped = 'java-suite-rg-a';
    const plain = 'java-suite-rg-b';
    for (const b of [grouped, plain]) assert.equal((await send({ method: 'PUT', bucket: b })).status, 200);
    const body = '<BucketResourceGroupConfiguration><ResourceGroupId>rg-aek27tc1234</ResourceGroupId></BucketResourceGroupConfiguration>';
    assert.equal((await send({ method: 'PUT', bucket: grouped, query: [['resourceGroup', '']], body, headers: { 'content-md5': md5Base64(body) } })).status, 200);
    // The default group's ID, as GetBucketInfo and GetBucketResourceGroup name it.
    const info = await send({ method: 'GET', bucket: plain, query: [['bucketInfo', '']] });
    assert.equal(xmlText(info.text, 'ResourceGroupId'), 'rg-default-id');
    const names = (text: string): string[] => strictTexts(text, 'Name');
    const list = (group?: string): Promise<{ text: string }> =>
      send({ method: 'GET', bucket: null, query: [['prefix', 'java-suite-rg-'], ['marker', ''], ['max-keys', '100']], headers: group === undefined ? {} : { 'x-oss-resource-group-id': group } });
    // Without the header: every bucket, and no ResourceGroupId (listBucketsRequest.getResourceGroupId() null).
    const all = await list();
    assert.deepEqual(names(all.text), [grouped, plain]);
    assert.equal(all.text.includes('<ResourceGroupId>'), false);
    // With it (OSSBucketOperation.listBuckets sends it as a header): that group only, each bucket naming it.
    const inGroup = await list('rg-aek27tc1234');
    assert.deepEqual(names(inGroup.text), [grouped]);
    assert.deepEqual(strictTexts(inGroup.text, 'ResourceGroupId'), ['rg-aek27tc1234']);
    const inDefault = await list('rg-default-id');
    assert.deepEqual(names(inDefault.text), [plain]);
    assert.deepEqual(strictTexts(inDefault.text, 'ResourceGroupId'), ['rg-default-id']);
    // Moving the bucket to the default group by its ID leaves the other group empty.
    const back = '<BucketResourceGroupConfiguration><ResourceGroupId>rg-default-id</ResourceGroupId></BucketResourceGroupConfiguration>';
    assert.equal((await send({ method: 'PUT', bucket: grouped, query: [['resourceGroup', '']], body: back, headers: { 'content-md5': md5Base64(back) } })).status, 200);
    assert.deepEqual(names((await list('rg-aek27tc1234')).text), []);
    assert.deepEqual(names((await list('rg-default-id')).text), [grouped, plain]);
  });

  it('PutBucket with x-oss-resource-group-id creates the bucket in that group; an ID that is no group\'s is 400 InvalidArgument, nothing created (CreateBucketTest.testPutWithResouceGroupId)', async () => {
    // CreateBucketRequest.withResourceGroupId: OSSBucketOperation.createBucket sends it as a header.
    const put = await send({ method: 'PUT', bucket: 'java-suite-rg-new', headers: { 'x-oss-resource-group-id': 'rg-aek27tc5678' } });
    assert.equal(put.status, 200, put.text);
    const group = await send({ method: 'GET', bucket: 'java-suite-rg-new', query: [['resourceGroup', '']] });
    assert.equal(xmlText(group.text, 'ResourceGroupId'), 'rg-aek27tc5678');
    const info = await send({ method: 'GET', bucket: 'java-suite-rg-new', query: [['bucketInfo', '']] });
    assert.equal(xmlText(info.text, 'ResourceGroupId'), 'rg-aek27tc5678');
    const listed = await send({ method: 'GET', bucket: null, query: [['prefix', 'java-suite-rg-new']], headers: { 'x-oss-resource-group-id': 'rg-aek27tc5678' } });
    assert.deepEqual(strictTexts(listed.text, 'Name'), ['java-suite-rg-new']);
    // The default group's ID creates the bucket in the default group.
    assert.equal((await send({ method: 'PUT', bucket: 'java-suite-rg-default', headers: { 'x-oss-resource-group-id': 'rg-default-id' } })).status, 200);
    assert.equal(xmlText((await send({ method: 'GET', bucket: 'java-suite-rg-default', query: [['resourceGroup', '']] })).text, 'ResourceGroupId'), 'rg-default-id');
    // "invalid-rs-id": refused, the bucket not created.
    const bad = await send({ method: 'PUT', bucket: 'java-suite-rg-invalid', headers: { 'x-oss-resource-group-id': 'invalid-rs-id' } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.err?.Code, 'InvalidArgument');
    assert.equal((await send({ method: 'GET', bucket: 'java-suite-rg-invalid', query: [['bucketInfo', '']] })).err?.Code, 'NoSuchBucket');
  });

  it('CompleteMultipartUpload with parts out of order: InvalidPartOrder with OSS\'s message (TestConstants.INVALID_PART_ORDER_ERR)', async () => {
    // TestConstants, where the suite keeps OSS's error messages: "...Parts list must specified in order by part number."
    const INVALID_PART_ORDER_ERR = 'The list of parts was not in ascending order. Parts list must specified in order by part number.';
    const init = await send({ method: 'POST', key: 'mp-order', query: [['uploads', '']] });
    const uploadId = xmlText(init.text, 'UploadId') ?? '';
    const etags: string[] = [];
    for (const n of [1, 2]) {
      const part = await send({ method: 'PUT', key: 'mp-order', query: [['partNumber', String(n)], ['uploadId', uploadId]], body: 'x'.repeat(100 * 1024) });
      etags.push(String(part.headers.etag));
    }
    // CompleteMultipartUploadRequestMarshaller: ETags written as &quot;…&quot;, in the order given.
    const body = `<CompleteMultipartUpload>${[[2, etags[1]], [1, etags[0]]].map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>&quot;${String(e).replace(/"/g, '')}&quot;</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const res = await send({ method: 'POST', key: 'mp-order', query: [['uploadId', uploadId]], body });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.err?.Code, 'InvalidPartOrder');
    assert.ok(res.err?.Message?.startsWith(INVALID_PART_ORDER_ERR), res.err?.Message);
  });

  it('ListBucketInventory: NoSuchInventory for a bucket without any; ContinuationToken echoed on a later page (BucketInventoryTest.testListNoneInventoryConfiguration, testListLotInventoryConfiguration)', async () => {
    const bucket = 'java-suite-inventory';
    const destin = 'java-suite-inventory-destin';
    for (const b of [bucket, destin]) assert.equal((await send({ method: 'PUT', bucket: b })).status, 200);
    const none = await send({ method: 'GET', bucket, query: [['inventory', '']] });
    assert.equal(none.status, 404, none.text);
    assert.equal(none.err?.Code, 'NoSuchInventory');
    // SetBucketInventoryRequestMarshaller, as createTestInventoryConfiguration fills it (SSE-KMS with KeyId 123).
    const config = (id: string): string => `<InventoryConfiguration><Id>${id}</Id><IsEnabled>false</IsEnabled><IncludedObjectVersions>Current</IncludedObjectVersions>` +
      '<Filter><Prefix>testPrefix</Prefix></Filter><Schedule><Frequency>Daily</Frequency></Schedule><OptionalFields><Field>Size</Field><Field>LastModifiedDate</Field>' +
      '<Field>ETag</Field><Field>StorageClass</Field><Field>IsMultipartUploaded</Field><Field>EncryptionStatus</Field></OptionalFields><Destination><OSSBucketDestination>' +
      `<AccountId>${ACCOUNT_ID}</AccountId><RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${destin}</Bucket><Prefix>bucket-prefix</Prefix>` +
      '<Format>CSV</Format><Encryption><SSE-KMS><KeyId>123</KeyId></SSE-KMS></Encryption></OSSBucketDestination></Destination></InventoryConfiguration>';
    for (let i = 0; i < 102; i++) {
      const body = config(`testid-${i}`);
      const put = await send({ method: 'PUT', bucket, query: [['inventory', ''], ['inventoryId', `testid-${i}`]], body, headers: { 'content-md5': md5Base64(body) } });
      assert.equal(put.status, 200, put.text);
    }
    const first = await send({ method: 'GET', bucket, query: [['inventory', '']] });
    assert.equal(strictXmlError(first.text), null);
    assert.equal(strictTexts(first.text, 'Id').length, 100);
    assert.deepEqual(strictTexts(first.text, 'IsTruncated'), ['true']);
    assert.deepEqual(strictTexts(first.text, 'ContinuationToken'), [], 'getContinuationToken() null on the first page');
    const token = strictTexts(first.text, 'NextContinuationToken')[0] ?? '';
    assert.notEqual(token, '');
    const second = await send({ method: 'GET', bucket, query: [['inventory', ''], ['continuation-token', token]] });
    assert.equal(strictTexts(second.text, 'Id').length, 2);
    assert.deepEqual(strictTexts(second.text, 'IsTruncated'), ['false']);
    assert.deepEqual(strictTexts(second.text, 'ContinuationToken'), [token]);
    assert.deepEqual(strictTexts(second.text, 'NextContinuationToken'), []);
  });
});

