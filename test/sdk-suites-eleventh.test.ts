// The official SDKs' own test suites, eleventh reading: files the earlier readings had not replayed.
// Read: the C++ SDK's (aliyun/aliyun-oss-cpp-sdk test/src) Object/ObjectBasicOperationTest.cc and its signer
// (sdk/src/utils/SignUtils.cc); the Java SDK's (aliyun-oss-java-sdk integrationtests) DoesBucketExistTest.
// Requests are built as those SDKs build them (path style, or virtual-hosted on an OSS endpoint; Date, V1 over Date).
// Needed a change (docs/compatibility.md, "eleventh reading"):
// - A V1 signature over Date is taken from a request that also carries another x-oss-date
//   (GetObjectWithOssDateHeaderTest); it was SignatureDoesNotMatch whenever the two differed.
// - A bucket asked through another region's OSS endpoint is 403 AccessDenied naming its own endpoint
//   (DoesBucketExistTest); a V1 request there was served.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHash, createHmac } from 'node:crypto';
import { encodeKey, errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { sdkSignedRequest } from './helpers/signed.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
const B = 'sdk-eleventh';

before(async () => {
  srv = await startTestServer();
  await srv.client().putBucket(B);
});
after(async () => {
  await srv?.stop();
});

const send = (r: Parameters<typeof sdkSignedRequest>[1]) => sdkSignedRequest(srv.port, r, encodeKey);

/**
 * A request V1-signed the way the C++ SDK (sdk/src/utils/SignUtils.cc), the Java SDK and oss2 sign it: the `Date`
 * header in the date slot, whatever `x-oss-date` the caller added (that header is only one of the canonical x-oss-
 * headers to them). ali-oss is the one that puts x-oss-date in the slot (and sends no Date).
 */
async function dateSlotSigned(r: { method: string; bucket: string; key: string | null; query?: Array<[string, string]>; host?: string; headers: Record<string, string>; body?: Buffer; slot?: string }) {
  const query = r.query ?? [];
  const headers: Record<string, string> = { host: r.host ?? `127.0.0.1:${srv.port}`, 'content-length': String(r.body?.length ?? 0), ...r.headers };
  const { stringToSign } = v1Authorization({ method: r.method, bucket: r.bucket, key: r.key, query, headers }, AK, SECRET);
  const lines = stringToSign.split('\n');
  lines[3] = r.slot ?? headers.date!;
  headers.authorization = `OSS ${AK}:${createHmac('sha1', SECRET).update(lines.join('\n'), 'utf8').digest('base64')}`;
  const virtual = r.host?.startsWith(`${r.bucket}.`) === true;
  const qs = query.length === 0 ? '' : `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}`;
  const path = `${virtual ? '' : `/${r.bucket}`}/${r.key === null ? '' : encodeKey(r.key)}${qs}`;
  const res = await rawRequest(srv.port, { method: r.method, path, headers, body: r.body });
  return { ...res, err: errorOf(res) };
}

describe('the SDK test suites, eleventh reading: the C++ SDK ObjectBasicOperationTest', () => {
  it('GetObjectWithOssDateHeaderTest: a PutObject carrying an x-oss-date other than its Date, signed over Date, is taken', async () => {
    // The test adds `x-oss-date: ToGmtTime(now)` to a PutObject; the SDK then sets Date when it signs, a moment later,
    // and signs with Date in the date slot. Across a second boundary the two differ: here they always do.
    const now = Date.now();
    const headers = { date: new Date(now).toUTCString(), 'x-oss-date': new Date(now - 1000).toUTCString(), 'content-type': 'application/octet-stream' };
    const put = await dateSlotSigned({ method: 'PUT', bucket: B, key: 'GetObjectWithOssDateHeaderTest', headers, body: Buffer.alloc(1024, 1) });
    assert.equal(put.status, 200, put.body.toString());
    // ali-oss's form, x-oss-date in the slot, still holds.
    const get = await send({ method: 'GET', bucket: B, key: 'GetObjectWithOssDateHeaderTest', headers: { 'x-oss-date': new Date().toUTCString() } });
    assert.equal(get.status, 200, get.text);
    assert.equal(get.body.length, 1024);
    // A signature over neither date is still refused.
    const bad = await dateSlotSigned({ method: 'PUT', bucket: B, key: 'GetObjectWithOssDateHeaderTest', headers, body: Buffer.alloc(1), slot: new Date(now - 5000).toUTCString() });
    assert.equal(bad.err?.Code, 'SignatureDoesNotMatch');
    assert.equal((await send({ method: 'GET', bucket: B, key: 'GetObjectWithOssDateHeaderTest' })).body.length, 1024);
  });

  it('ranges, max-keys, ListObjectsV2 defaults and HEAD of a missing bucket as the tests expect', async () => {
    const body = Buffer.alloc(100, 7);
    assert.equal((await send({ method: 'PUT', bucket: B, key: 'GetObjectRequestStandardModeTest', body })).status, 200);
    // GetObjectRequestStandardModeTest: setRange(10, 200) of 100 bytes is the whole object; with standard behaviour 90.
    const whole = await send({ method: 'GET', bucket: B, key: 'GetObjectRequestStandardModeTest', headers: { range: 'bytes=10-200' } });
    assert.equal(whole.status, 200);
    assert.equal(whole.body.length, 100);
    const std = await send({ method: 'GET', bucket: B, key: 'GetObjectRequestStandardModeTest', headers: { range: 'bytes=10-200', 'x-oss-range-behavior': 'standard' } });
    assert.equal(std.status, 206);
    assert.equal(std.body.length, 90);
    // ListObjectsWithIllegalMaxKeys: 1001 is InvalidArgument.
    assert.equal((await send({ method: 'GET', bucket: B, query: [['max-keys', '1001']] })).err?.Code, 'InvalidArgument');
    // ListObjectsV2Test: no max-keys answers MaxKeys 100 and a KeyCount.
    const v2 = await send({ method: 'GET', bucket: B, query: [['list-type', '2']] });
    assert.match(v2.text, /<MaxKeys>100<\/MaxKeys>/);
    assert.match(v2.text, /<KeyCount>\d+<\/KeyCount>/);
    // HeadObjectsNegativeTest: 404 with a request id, on a missing bucket and on a missing object.
    for (const bucket of ['no-exist-bucket', B]) {
      const h = await send({ method: 'HEAD', bucket, key: 'object' });
      assert.equal(h.status, 404);
      assert.equal(String(h.headers['x-oss-request-id']).length, 24);
    }
  });
});

describe('the SDK test suites, eleventh reading: the rest of ObjectBasicOperationTest', () => {
  const LB = 'cpp-sdk-objectbasicoperation';
  before(async () => {
    await srv.client().putBucket(LB);
  });

  it('ListObjectsWithPrefixTest, ListObjectsWithDelimiterTest, ListObjectsV2Test: paging, common prefixes, start-after, fetch-owner, encoding-type', async () => {
    for (let i = 0; i < 5; i++) await send({ method: 'PUT', bucket: LB, key: `ListObjectsWithPrefixTest-${i}`, body: 'x'.repeat(100) });
    let marker = '';
    let total = 0;
    for (;;) {
      const l = (await send({ method: 'GET', bucket: LB, query: [['prefix', 'ListObjectsWithPrefixTest'], ['max-keys', '2'], ['marker', marker]] })).text;
      total += (l.match(/<Contents>/g) ?? []).length;
      if (!/<IsTruncated>true<\/IsTruncated>/.test(l)) break;
      marker = /<NextMarker>([^<]*)</.exec(l)![1]!;
    }
    assert.equal(total, 5);
    for (const f of ['a', 'b']) for (let i = 0; i < 2; i++) await send({ method: 'PUT', bucket: LB, key: `ListObjectsWithDelimiterTest-${f}folder/${i}-empty.txt`, body: '' });
    const delim = (await send({ method: 'GET', bucket: LB, query: [['prefix', 'ListObjectsWithDelimiterTest'], ['delimiter', '/']] })).text;
    assert.equal((delim.match(/<CommonPrefixes>/g) ?? []).length, 2);
    const keys = Array.from({ length: 10 }, (_, i) => `folder/ListAllObjectsV2Test-${i}`);
    for (const k of keys) await send({ method: 'PUT', bucket: LB, key: k, body: 'x'.repeat(100) });
    let token = '';
    total = 0;
    for (;;) {
      const q: Array<[string, string]> = [['list-type', '2'], ['prefix', 'folder'], ['max-keys', '2']];
      if (token !== '') q.push(['continuation-token', token]);
      const l = (await send({ method: 'GET', bucket: LB, query: q })).text;
      assert.match(l, /<KeyCount>2<\/KeyCount>/);
      assert.match(l, /<MaxKeys>2<\/MaxKeys>/);
      assert.match(l, /<Prefix>folder<\/Prefix>/);
      total += (l.match(/<Contents>/g) ?? []).length;
      if (!/<IsTruncated>true<\/IsTruncated>/.test(l)) break;
      token = /<NextContinuationToken>([^<]*)</.exec(l)![1]!;
    }
    assert.equal(total, 10);
    const after = (await send({ method: 'GET', bucket: LB, query: [['list-type', '2'], ['prefix', 'folder'], ['start-after', keys[3]!]] })).text;
    assert.match(after, /<KeyCount>6<\/KeyCount>/);
    assert.ok(after.indexOf(`<Key>${keys[4]}</Key>`) > 0 && !after.includes('<Owner>'), after);
    const owner = (await send({ method: 'GET', bucket: LB, query: [['list-type', '2'], ['prefix', 'folder'], ['start-after', keys[4]!], ['fetch-owner', 'true']] })).text;
    assert.match(owner, /<KeyCount>5<\/KeyCount>/);
    assert.match(owner, /<Owner><ID>\d+<\/ID><DisplayName>\d+<\/DisplayName><\/Owner>/);
    const enc = (await send({ method: 'GET', bucket: LB, query: [['list-type', '2'], ['prefix', 'folder/ListAllObjectsV2Test'], ['start-after', keys[5]!], ['encoding-type', 'url']] })).text;
    assert.match(enc, /<EncodingType>url<\/EncodingType>/);
    assert.match(enc, /<KeyCount>4<\/KeyCount>/);
    assert.match(enc, /<Prefix>folder%2FListAllObjectsV2Test<\/Prefix>/);
  });

  it('GetObject*ETag*/ModifiedSince/UnmodifiedSince/ResponseHeaders tests: conditions and response-content-type', async () => {
    const put = await send({ method: 'PUT', bucket: LB, key: 'cond', body: 'x'.repeat(100) });
    const etag = String(put.headers.etag);
    const get = (headers: Record<string, string>, query: Array<[string, string]> = []) => send({ method: 'GET', bucket: LB, key: 'cond', headers, query });
    const gmt = (s: number) => new Date(Date.now() + s * 1000).toUTCString();
    // The SDK joins several ETags with ", " into one header.
    assert.equal((await get({ 'if-match': `"invalidETag", ${etag}` })).status, 200);
    assert.equal((await get({ 'if-match': '"Dummy1", "Dummy2"' })).err?.Code, 'PreconditionFailed');
    assert.equal((await get({ 'if-none-match': '"Dummy1", "Dummy2"' })).status, 200);
    assert.equal((await get({ 'if-none-match': etag })).status, 304);
    assert.equal((await get({ 'if-modified-since': gmt(-10) })).status, 200);
    assert.equal((await get({ 'if-modified-since': gmt(100) })).status, 304);
    assert.equal((await get({ 'if-unmodified-since': gmt(100) })).status, 200);
    assert.equal((await get({ 'if-unmodified-since': gmt(-10) })).err?.Code, 'PreconditionFailed');
    assert.equal((await get({})).headers['content-type'], 'application/octet-stream');
    assert.equal((await get({}, [['response-content-type', 'test/haah']])).headers['content-type'], 'test/haah');
  });

  it('PutObjectFullSettingsTest: Cache-Control, a UTF-8 Content-Disposition, Content-Encoding, Content-MD5 and user metadata read back by HEAD', async () => {
    const disposition = `attachment;filename*=utf-8''${encodeURIComponent('abc测试123.zip')}`;
    const body = Buffer.alloc(1024, 3);
    const md5 = (await import('node:crypto')).createHash('md5').update(body).digest('base64');
    const put = await send({ method: 'PUT', bucket: LB, key: 'PutObjectFullSettingsTest/attachement_test.data', body, headers: {
      'cache-control': 'no-cache', 'content-disposition': disposition, 'content-encoding': 'gzip', 'content-md5': md5,
      'x-oss-meta-mykey1': 'MyValue1', 'x-oss-meta-mykey2': 'MyValue2',
    } });
    assert.equal(put.status, 200, put.text);
    const h = await send({ method: 'HEAD', bucket: LB, key: 'PutObjectFullSettingsTest/attachement_test.data' });
    assert.equal(h.headers['cache-control'], 'no-cache');
    assert.equal(h.headers['content-disposition'], disposition);
    assert.equal(h.headers['content-encoding'], 'gzip');
    assert.equal(h.headers['x-oss-meta-mykey1'], 'MyValue1');
    assert.equal(h.headers['x-oss-meta-mykey2'], 'MyValue2');
  });

  it('DeleteObjectsByStepTest, DeleteObjectsWithEncodingTypeTest, DeleteObjectsWithSpecialCharsTest', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `DeleteObjectsByStepTest${i}.txt`);
    for (const k of keys) await send({ method: 'PUT', bucket: LB, key: k, body: 'x' });
    const del = (list: string[], encodingType?: string) => {
      const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>${list.map((k) => `<Object><Key>${k.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</Key></Object>`).join('')}</Delete>`;
      const md5 = createHash('md5').update(body).digest('base64');
      return send({ method: 'POST', bucket: LB, query: encodingType === undefined ? [['delete', '']] : [['delete', ''], ['encoding-type', encodingType]], body, headers: { 'content-md5': md5, 'content-type': 'application/xml' } });
    };
    assert.equal(((await del(keys.slice(0, 2))).text.match(/<Deleted>/g) ?? []).length, 2);
    assert.equal(((await del(keys.slice(2, 5))).text.match(/<Deleted>/g) ?? []).length, 3);
    assert.equal(((await del(keys.slice(5), 'url')).text.match(/<Deleted>/g) ?? []).length, 5);
    assert.doesNotMatch((await send({ method: 'GET', bucket: LB, query: [['prefix', 'DeleteObjectsByStepTest']] })).text, /<Contents>/);
    let special = 'bswodnvsttpqvnzwsgifetwe\n\n\t@#$!\t<!@#$%^&*()-=';
    for (let i = 1; i < 0x1f; i++) special += String.fromCharCode(i);
    special += '--';
    assert.equal((await send({ method: 'PUT', bucket: LB, key: special, body: 'x' })).status, 200);
    const r = await del([special]);
    assert.equal(r.status, 200, r.text);
    assert.equal((r.text.match(/<Deleted>/g) ?? []).length, 1);
    assert.equal((await send({ method: 'HEAD', bucket: LB, key: special })).status, 404);
  });
});

describe('the SDK test suites, eleventh reading: a bucket addressed through another region\'s endpoint', () => {
  it('DoesBucketExistTest: an existing bucket asked through another region\'s endpoint is AccessDenied naming its endpoint', async () => {
    // The Java test creates a bucket through oss-cn-shenzhen and expects doesBucketExist (GetBucketAcl) of it through
    // the client of its own region to fail with AccessDenied. Here the bucket is the server's region's, asked through
    // oss-cn-shenzhen: the Java SDK on endpoint oss-cn-shenzhen.aliyuncs.com sends Host <bucket>.oss-cn-shenzhen.aliyuncs.com.
    const date = new Date().toUTCString();
    for (const host of [`${B}.oss-cn-shenzhen.aliyuncs.com`, `${B}.oss-cn-shenzhen-internal.aliyuncs.com`]) {
      const r = await dateSlotSigned({ method: 'GET', bucket: B, key: null, query: [['acl', '']], host, headers: { date } });
      assert.equal(r.status, 403, r.body.toString());
      assert.equal(r.err?.Code, 'AccessDenied');
      assert.equal(r.err?.Message, 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.');
      assert.equal(r.err?.Bucket, B);
      assert.equal(r.err?.Endpoint, 'oss-cn-hangzhou.aliyuncs.com');
    }
    // Path style on that endpoint, and an anonymous request, the same.
    const path = await dateSlotSigned({ method: 'GET', bucket: B, key: null, query: [['acl', '']], host: 'oss-cn-shenzhen.aliyuncs.com', headers: { date } });
    assert.equal(path.err?.Endpoint, 'oss-cn-hangzhou.aliyuncs.com');
    const anon = await rawRequest(srv.port, { method: 'GET', path: '/k', headers: { host: `${B}.oss-cn-shenzhen.aliyuncs.com` } });
    assert.equal(anon.status, 403);
    assert.equal(errorOf(anon)?.Endpoint, 'oss-cn-hangzhou.aliyuncs.com');
    // Its own region's endpoint (and this server's own address) serve it.
    for (const host of [`${B}.oss-cn-hangzhou.aliyuncs.com`, `${B}.oss-cn-hangzhou-internal.aliyuncs.com`]) {
      const r = await dateSlotSigned({ method: 'GET', bucket: B, key: null, query: [['acl', '']], host, headers: { date } });
      assert.equal(r.status, 200, r.body.toString());
    }
    // A bucket that exists nowhere is NoSuchBucket whatever the endpoint (the test's "non-exist bucket, FALSE").
    const missing = await dateSlotSigned({ method: 'GET', bucket: `${B}-non-exist`, key: null, query: [['acl', '']], host: `${B}-non-exist.oss-cn-shenzhen.aliyuncs.com`, headers: { date } });
    assert.equal(missing.err?.Code, 'NoSuchBucket');
  });
});

describe('the SDK test suites, eleventh reading: held as the tests expect (C++ ObjectVersioningTest, BucketBasicOperationTest; Python SDK v2 aio test_multipart_upload_async.py)', () => {
  const VB = 'sdk-eleventh-ver';
  const enable = async (bucket: string) => {
    await srv.client().putBucket(bucket);
    assert.equal((await send({ method: 'PUT', bucket, query: [['versioning', '']], body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' })).status, 200);
  };
  const vid = (r: { headers: Record<string, unknown> }) => String(r.headers['x-oss-version-id']);

  it('ObjectAclWithVersioningEnableTest / ObjectBasicWithVersioningEnableTest: ACLs and deletes by version', async () => {
    await enable(VB);
    const v1 = vid(await send({ method: 'PUT', bucket: VB, key: 'k', body: 'versioning test 1.', headers: { 'x-oss-object-acl': 'private' } }));
    const v2 = vid(await send({ method: 'PUT', bucket: VB, key: 'k', body: 'versioning test 2.' }));
    const ga = await send({ method: 'GET', bucket: VB, key: 'k', query: [['acl', '']] });
    assert.equal(vid(ga), v2);
    assert.match(ga.text, /<Grant>default<\/Grant>/);
    const ga1 = await send({ method: 'GET', bucket: VB, key: 'k', query: [['acl', ''], ['versionId', v1]] });
    assert.equal(vid(ga1), v1);
    assert.match(ga1.text, /<Grant>private<\/Grant>/);
    // SetObjectAcl answers the version it set: the current one, or the one named.
    assert.equal(vid(await send({ method: 'PUT', bucket: VB, key: 'k', query: [['acl', '']], headers: { 'x-oss-object-acl': 'public-read' } })), v2);
    assert.equal(vid(await send({ method: 'PUT', bucket: VB, key: 'k', query: [['acl', ''], ['versionId', v1]], headers: { 'x-oss-object-acl': 'public-read-write' } })), v1);
    const d = await send({ method: 'DELETE', bucket: VB, key: 'k' });
    assert.equal(d.headers['x-oss-delete-marker'], 'true');
    const dv = vid(d);
    // GetObjectMeta: 404 under the delete marker, the versions by id.
    assert.equal((await send({ method: 'HEAD', bucket: VB, key: 'k', query: [['objectMeta', '']] })).status, 404);
    assert.equal(vid(await send({ method: 'HEAD', bucket: VB, key: 'k', query: [['objectMeta', ''], ['versionId', v1]] })), v1);
    const dd = await send({ method: 'DELETE', bucket: VB, key: 'k', query: [['versionId', dv]] });
    assert.equal(dd.headers['x-oss-delete-marker'], 'true');
    assert.equal(vid(dd), dv);
    assert.equal(vid(await send({ method: 'HEAD', bucket: VB, key: 'k', query: [['objectMeta', '']] })), v2);
    const d1 = await send({ method: 'DELETE', bucket: VB, key: 'k', query: [['versionId', v1]] });
    assert.equal(d1.headers['x-oss-delete-marker'], undefined);
    assert.equal(vid(d1), v1);
  });

  it('ProcessObjectWithVersioningEnableTest: image processing of an older version under a delete marker is NoSuchKey', async () => {
    const sharp = (await import('sharp')).default;
    const jpg = await sharp({ create: { width: 200, height: 150, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const v1 = vid(await send({ method: 'PUT', bucket: VB, key: 'e.jpg', body: jpg }));
    const process = 'image/resize,m_fixed,w_100,h_100';
    assert.equal((await send({ method: 'GET', bucket: VB, key: 'e.jpg', query: [['x-oss-process', process]] })).status, 200);
    await send({ method: 'DELETE', bucket: VB, key: 'e.jpg' });
    assert.equal((await send({ method: 'GET', bucket: VB, key: 'e.jpg', query: [['versionId', v1], ['x-oss-process', process]] })).err?.Code, 'NoSuchKey');
    const saveAs = `${process}|sys/saveas,o_${Buffer.from('s.jpg').toString('base64url')},b_${Buffer.from(VB).toString('base64url')}`;
    assert.equal((await send({ method: 'POST', bucket: VB, key: 'e.jpg', query: [['x-oss-process', ''], ['versionId', v1]], body: `x-oss-process=${saveAs}` })).err?.Code, 'NoSuchKey');
    assert.equal((await send({ method: 'GET', bucket: VB, key: 'e.jpg', query: [['versionId', v1]] })).status, 200);
  });

  it('test_multipart_upload_object(_encoding_type): ListParts and ListMultipartUploads of a key of control characters', async () => {
    const key = `mp-${String.fromCharCode(...Array.from({ length: 16 }, (_, i) => i + 1))}`;
    const encoded = encodeURIComponent(key);
    const init = await send({ method: 'POST', bucket: B, key, query: [['uploads', ''], ['encoding-type', 'url']] });
    const id = /<UploadId>([^<]+)/.exec(init.text)![1]!;
    assert.equal((await send({ method: 'PUT', bucket: B, key, query: [['partNumber', '1'], ['uploadId', id]], body: 'hello world' })).status, 200);
    const parts = (await send({ method: 'GET', bucket: B, key, query: [['encoding-type', 'url'], ['uploadId', id]] })).text;
    for (const el of [`<Key>${encoded}</Key>`, '<StorageClass>Standard</StorageClass>', '<PartNumberMarker>0</PartNumberMarker>', '<NextPartNumberMarker>1</NextPartNumberMarker>', '<MaxParts>1000</MaxParts>', '<IsTruncated>false</IsTruncated>']) {
      assert.ok(parts.includes(el), `${el} in ${parts}`);
    }
    const uploads = (await send({ method: 'GET', bucket: B, query: [['encoding-type', 'url'], ['uploads', '']] })).text;
    for (const el of ['<KeyMarker></KeyMarker>', `<NextKeyMarker>${encoded}</NextKeyMarker>`, `<Upload><Key>${encoded}</Key><UploadId>${id}</UploadId>`]) {
      assert.ok(uploads.includes(el), `${el} in ${uploads}`);
    }
    assert.equal((await send({ method: 'DELETE', bucket: B, key, query: [['uploadId', id]] })).status, 204);
  });

  it('BucketBasicOperationTest: Archive and ACL at creation, DataRedundancyType LRS when not set, stat, ListBuckets paged', async () => {
    await send({ method: 'PUT', bucket: 'cpp-bbo-ar', body: '<CreateBucketConfiguration><StorageClass>Archive</StorageClass></CreateBucketConfiguration>', headers: { 'x-oss-acl': 'public-read-write' } });
    assert.equal((await send({ method: 'PUT', bucket: 'cpp-bbo-ar', key: 'cpp-bbo-arfirstobject', body: '' })).status, 200);
    assert.equal((await send({ method: 'HEAD', bucket: 'cpp-bbo-ar', key: 'cpp-bbo-arfirstobject' })).headers['x-oss-storage-class'], 'Archive');
    assert.match((await send({ method: 'GET', bucket: 'cpp-bbo-ar', query: [['acl', '']] })).text, /<Grant>public-read-write<\/Grant>/);
    await send({ method: 'PUT', bucket: 'cpp-bbo-st' });
    await send({ method: 'PUT', bucket: 'cpp-bbo-st', key: 'cpp-bbo-stfirstobject', body: '1234' });
    const stat = (await send({ method: 'GET', bucket: 'cpp-bbo-st', query: [['stat', '']] })).text;
    assert.match(stat, /<Storage>4<\/Storage><ObjectCount>1<\/ObjectCount><MultipartUploadCount>0<\/MultipartUploadCount>/);
    assert.match((await send({ method: 'GET', bucket: 'cpp-bbo-st', query: [['bucketInfo', '']] })).text, /<DataRedundancyType>LRS<\/DataRedundancyType>/);
    for (let i = 0; i < 5; i++) await send({ method: 'PUT', bucket: `cpp-bbo-list-${i}` });
    let marker = '';
    let total = 0;
    for (;;) {
      const l = (await send({ method: 'GET', bucket: null, query: [['prefix', 'cpp-bbo-list'], ['max-keys', '2'], ['marker', marker]] })).text;
      const n = (l.match(/<Bucket>/g) ?? []).length;
      assert.ok(n < 3);
      total += n;
      if (!/<IsTruncated>true<\/IsTruncated>/.test(l)) break;
      marker = /<NextMarker>([^<]*)</.exec(l)![1]!;
    }
    assert.equal(total, 5);
  });
});
