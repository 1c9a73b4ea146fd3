// The official SDKs' own test suites, eighth reading: the .NET SDK v2's integration tests
// (aliyun/alibabacloud-oss-csharp-sdk-v2 test/AlibabaCloud.OSS.V2.IntegrationTests: ClientObjectTest,
// ClientObjectMultipartTest, ClientBucketTest, ClientBucketVersioningTest, ClientService, ClientMiscTest,
// ClientPresignerTest) and the PHP SDK v2's (alibabacloud-oss-php-sdk-v2 tests/IntegrationTests:
// ClientObjectBasicTest, ClientBucketBasicTest, ClientObjectMultipartTest, ClientPresignerTest, ClientMiscTest,
// ClientCallArgsTest, ClientBucketOverwriteTest). Both sign V4 by default; requests are built as they build them
// (path style on an IP endpoint, the .NET query encoder, `encoding-type=url` on every multipart and listing call,
// the PHP SDK's Content-MD5 of an empty body on InitiateMultipartUpload and its SimpleXML CompleteMultipartUpload
// body), and answers are checked for what their tests assert. Nothing here needed a change of the server: these
// tests pin what the reading found right (docs/compatibility.md, "eighth reading").
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { dotnetQueryEscape, presign, signHeader, type Creds, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const root: Creds = { ak: AK, secret: SECRET };
const md5 = (b: string | Buffer): string => createHash('md5').update(b).digest('base64');
/** The MD5 the PHP SDK v2's Functions::addContentMd5 sends when there is no body. */
const EMPTY_MD5 = '1B2M2Y8AsgTpgAmY7PhCfg==';
/** Every header PutObjectWithAllProps / AppendObjectWithAllProps set (the .NET and PHP tests use the same values). */
const ALL_PROPS: Record<string, string> = {
  'x-oss-storage-class': 'IA', 'x-oss-object-acl': 'private', 'content-disposition': '1.txt', 'cache-control': 'no-cache',
  'content-encoding': 'deflate', expires: 'Wed, 21 Oct 2015 07:28:00 GMT', 'content-type': 'text/txt',
  'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==', 'x-oss-meta-key1': 'value1', 'x-oss-meta-key2': 'value2', 'x-oss-tagging': 'tag-key1=val1',
};

interface Reply {
  status: number;
  reason: string;
  headers: RawResponse['headers'];
  text: string;
  err: Record<string, string> | null;
}

let srv: TestServer;

async function send(r: SdkRequest, c: Creds = root): Promise<Reply> {
  const s = signHeader(r, c, Date.now(), dotnetQueryEscape);
  const body = r.body;
  const res = await rawRequest(srv.port, {
    method: r.method,
    path: s.path,
    headers: { ...s.headers, host: `127.0.0.1:${srv.port}`, 'content-length': String(body === undefined ? 0 : Buffer.byteLength(body)) },
    body,
  });
  return { status: res.status, reason: '', headers: res.headers, text: res.body.toString('utf8'), err: errorOf(res) };
}

/** A presigned V4 URL used by a plain HTTP client (the tests' HttpClient / Guzzle), sending `headers` as given. */
async function sendPresigned(r: SdkRequest, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const path = presign(r, root, 900, Date.now(), dotnetQueryEscape);
  // A byte body: fetch adds no Content-Type of its own (a string would get text/plain, which the URL does not sign).
  const res = await fetch(`http://127.0.0.1:${srv.port}${path}`, { method: r.method, headers, body: body === undefined ? undefined : Buffer.from(body) });
  const text = await res.text();
  const h: RawResponse['headers'] = {};
  res.headers.forEach((v, k) => { h[k] = v; });
  return { status: res.status, reason: res.statusText, headers: h, text, err: null };
}

const ok = (r: Reply, status = 200): Reply => {
  assert.equal(r.status, status, r.text.slice(0, 500));
  assert.equal(String(r.headers['x-oss-request-id']).length, 24);
  return r;
};
const text = (r: Reply, tag: string): string | undefined => r.text.match(new RegExp(`<${tag}>([^<]*)</${tag}>`))?.[1];
const xmlBody = (body: string, extra: Record<string, string> = {}): Pick<SdkRequest, 'body' | 'headers'> => ({
  body, headers: { 'content-type': 'application/xml', 'content-md5': md5(body), ...extra },
});

before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv?.stop();
});

describe('the SDK test suites, eighth reading: .NET SDK v2', () => {
  const B = 'sdk-eighth-dotnet';
  before(async () => {
    ok(await send({ method: 'PUT', bucket: B, key: null }));
  });

  it('ClientObjectTest.TestPutObjectWithAllProps / TestAppendObjectWithAllProps: every property reads back; no tagging count without tags', async () => {
    ok(await send({ method: 'PUT', bucket: B, key: 'plain', body: 'hello world' }));
    const plain = ok(await send({ method: 'HEAD', bucket: B, key: 'plain' }));
    assert.equal(plain.headers['x-oss-tagging-count'], undefined); // Assert.Null(TaggingCount)
    assert.equal(plain.headers['content-type'], 'application/octet-stream');
    assert.ok(plain.headers['content-md5']);

    ok(await send({ method: 'PUT', bucket: B, key: 'all-props', headers: ALL_PROPS, body: 'hello world' }));
    ok(await send({ method: 'POST', bucket: B, key: 'append-all-props', params: [['append', ''], ['position', '0']], headers: ALL_PROPS, body: 'hello world' }));
    const next = ok(await send({ method: 'POST', bucket: B, key: 'append-all-props', params: [['append', ''], ['position', '11']], body: ' 123' }));
    assert.equal(next.headers['x-oss-next-append-position'], '15');
    for (const key of ['all-props', 'append-all-props']) {
      const h = ok(await send({ method: key === 'all-props' ? 'HEAD' : 'GET', bucket: B, key })).headers;
      assert.equal(h['x-oss-storage-class'], 'IA');
      assert.equal(h['content-type'], 'text/txt');
      assert.equal(h['content-disposition'], '1.txt');
      assert.equal(h['content-encoding'], 'deflate');
      assert.equal(h['cache-control'], 'no-cache');
      assert.equal(h.expires, 'Wed, 21 Oct 2015 07:28:00 GMT');
      assert.equal(h['x-oss-tagging-count'], '1');
      assert.equal(h['x-oss-meta-key1'], 'value1');
      // An appendable object has no Content-MD5 (Assert.Null(getObjectResult.ContentMd5)).
      assert.equal(h['content-md5'], key === 'all-props' ? 'XrY7u+Ae7tCTyyK7j1rNww==' : undefined);
    }
    const acl = ok(await send({ method: 'GET', bucket: B, key: 'all-props', params: [['acl', '']] }));
    assert.equal(text(acl, 'Grant'), 'private');
  });

  it('ClientObjectTest.TestGetObjectWithCrcCheckEnable: a range GET answers the whole object\'s CRC-64; an empty object\'s is "0"', async () => {
    ok(await send({ method: 'PUT', bucket: B, key: 'crc', body: 'hello ' }));
    for (const range of ['bytes=1-5', 'bytes=0-']) {
      const got = ok(await send({ method: 'GET', bucket: B, key: 'crc', headers: { range } }), 206);
      assert.equal(got.headers['x-oss-hash-crc64ecma'], '1796661072844795914');
    }
    ok(await send({ method: 'PUT', bucket: B, key: 'crc-empty' }));
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: 'crc-empty' })).headers['x-oss-hash-crc64ecma'], '0');
  });

  it('ClientObjectTest.TestRestoreObject: restore priorities, then RestoreAlreadyInProgress and ArchiveRestoreNotFinished with their messages and ECs', async () => {
    for (const key of ['cold-1', 'cold-2']) {
      ok(await send({ method: 'PUT', bucket: B, key, headers: { 'x-oss-storage-class': 'ColdArchive' }, body: 'hello world' }));
    }
    const first = ok(await send({ method: 'POST', bucket: B, key: 'cold-1', params: [['restore', '']] }), 202);
    assert.equal(first.headers['x-oss-object-restore-priority'], 'Standard');
    const bulk = ok(await send({
      method: 'POST', bucket: B, key: 'cold-2', params: [['restore', '']],
      ...xmlBody('<RestoreRequest><Days>7</Days><JobParameters><Tier>Bulk</Tier></JobParameters></RestoreRequest>'),
    }), 202);
    assert.equal(bulk.headers['x-oss-object-restore-priority'], 'Bulk');
    const again = await send({ method: 'POST', bucket: B, key: 'cold-1', params: [['restore', '']] });
    assert.equal(again.status, 409);
    assert.deepEqual([again.err?.Code, again.err?.Message, again.err?.EC], ['RestoreAlreadyInProgress', 'The restore operation is in progress.', '0016-00000701']);
    const clean = await send({ method: 'POST', bucket: B, key: 'cold-1', params: [['cleanRestoredObject', '']] });
    assert.equal(clean.status, 409);
    assert.deepEqual([clean.err?.Code, clean.err?.Message, clean.err?.EC], ['ArchiveRestoreNotFinished', "The archive file's restore is not finished.", '0016-00000719']);
  });

  it('ClientObjectMultipartTest.TestUploadPartCopy: a key of control characters round-trips URL-encoded through Initiate, ListParts and Complete', async () => {
    const src = 'special/key-#?+ 123';
    const dst = `special/key-${String.fromCharCode(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)}123`;
    ok(await send({ method: 'PUT', bucket: B, key: src, body: 'hello world' }));
    const init = ok(await send({ method: 'POST', bucket: B, key: dst, params: [['uploads', ''], ['encoding-type', 'url']] }));
    assert.equal(text(init, 'EncodingType'), 'url');
    assert.equal(decodeURIComponent(text(init, 'Key')!), dst);
    const uploadId = text(init, 'UploadId')!;
    const part = ok(await send({
      method: 'PUT', bucket: B, key: dst, params: [['partNumber', '1'], ['uploadId', uploadId]],
      headers: { 'x-oss-copy-source': `/${B}/${encodeURIComponent(src).replace(/%2F/g, '/')}` },
    }));
    const parts = ok(await send({ method: 'GET', bucket: B, key: dst, params: [['encoding-type', 'url'], ['uploadId', uploadId]] }));
    assert.equal(decodeURIComponent(text(parts, 'Key')!), dst);
    assert.equal(text(parts, 'Size'), '11');
    const done = ok(await send({
      method: 'POST', bucket: B, key: dst, params: [['encoding-type', 'url'], ['uploadId', uploadId]],
      ...xmlBody(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${text(part, 'ETag')}</ETag></Part></CompleteMultipartUpload>`),
    }));
    assert.equal(text(done, 'EncodingType'), 'url');
    assert.equal(decodeURIComponent(text(done, 'Key')!), dst);
    const got = ok(await send({ method: 'GET', bucket: B, key: dst }));
    assert.equal(got.headers['x-oss-object-type'], 'Multipart');
    assert.equal(got.headers['content-md5'], undefined);
    assert.equal(got.text, 'hello world');
  });

  it('ClientBucketTest.TestListObjectsByPaginators clean-up: DeleteMultipleObjects with control characters written as the SDK\'s EscapeXml writes them (`&#01;`, leading zero)', async () => {
    const key = `special/key-${String.fromCharCode(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)}123`;
    ok(await send({ method: 'PUT', bucket: B, key }));
    // Serde.EscapeXml: below 0x20 as `&#{(int)ch:D2};`, no XML declaration, no Quiet.
    const escaped = key.replace(/[\x00-\x1f]/g, (c) => `&#${String(c.charCodeAt(0)).padStart(2, '0')};`);
    const body = `<Delete><Object><Key>${escaped}</Key></Object></Delete>`;
    const del = ok(await send({ method: 'POST', bucket: B, key: null, params: [['delete', ''], ['encoding-type', 'url']], body, headers: { 'content-md5': md5(body) } }));
    assert.equal(decodeURIComponent(text(del, 'Key')!), key);
    assert.equal((await send({ method: 'HEAD', bucket: B, key })).status, 404);
  });

  it('ClientBucketVersioningTest / ClientService: a new bucket\'s versioning has no Status; ListBuckets echoes MaxKeys', async () => {
    const v = ok(await send({ method: 'GET', bucket: B, key: null, params: [['versioning', '']] }));
    assert.equal(text(v, 'Status'), undefined); // Assert.Null(VersioningConfiguration.Status)
    const list = ok(await send({ method: 'GET', bucket: null, key: null, params: [['max-keys', '50']] }));
    assert.equal(text(list, 'MaxKeys'), '50');
  });

  it('ClientPresignerTest: presigned V4 PUT with every property, GET, HEAD, Initiate, UploadPart and Complete with x-oss-complete-all', async () => {
    const put = await sendPresigned({ method: 'PUT', bucket: B, key: 'presigned', headers: ALL_PROPS }, ALL_PROPS, 'hello world');
    assert.equal(put.status, 200, put.text);
    const head = await sendPresigned({ method: 'HEAD', bucket: B, key: 'presigned' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['x-oss-storage-class'], 'IA');
    assert.equal(head.headers['content-type'], 'text/txt');
    assert.equal(ok(await sendPresigned({ method: 'POST', bucket: B, key: 'presigned-mp', params: [['uploads', '']] })).status, 200);
    const init = ok(await send({ method: 'POST', bucket: B, key: 'presigned-mp', params: [['uploads', ''], ['encoding-type', 'url']] }));
    const uploadId = text(init, 'UploadId')!;
    ok(await sendPresigned({ method: 'PUT', bucket: B, key: 'presigned-mp', params: [['partNumber', '1'], ['uploadId', uploadId]] }, {}, 'hello world, hi oss!'));
    const all = { 'x-oss-complete-all': 'yes' };
    ok(await sendPresigned({ method: 'POST', bucket: B, key: 'presigned-mp', params: [['uploadId', uploadId]], headers: all }, all));
    const got = ok(await send({ method: 'GET', bucket: B, key: 'presigned-mp' }));
    assert.equal(got.text, 'hello world, hi oss!');
    assert.equal(got.headers['x-oss-object-type'], 'Multipart');
  });

  it('ClientMiscTest.TestIsObjectExistFail: HEAD ?objectMeta of a missing bucket carries NoSuchBucket in x-oss-err', async () => {
    const r = await send({ method: 'HEAD', bucket: 'sdk-eighth-no-such-bucket', key: 'key', params: [['objectMeta', '']] });
    assert.equal(r.status, 404);
    assert.match(Buffer.from(String(r.headers['x-oss-err']), 'base64').toString('utf8'), /<Code>NoSuchBucket<\/Code>/);
  });
});

describe('the SDK test suites, eighth reading: PHP SDK v2', () => {
  const B = 'sdk-eighth-php';
  before(async () => {
    ok(await send({ method: 'PUT', bucket: B, key: null }));
  });

  it('every result\'s status is the reason phrase the tests compare ("OK", "Accepted", "No Content")', async () => {
    const put = await sendPresigned({ method: 'PUT', bucket: B, key: 'reason' }, {}, 'hi oss');
    assert.deepEqual([put.status, put.reason], [200, 'OK']);
    ok(await send({ method: 'PUT', bucket: B, key: 'reason-dca', headers: { 'x-oss-storage-class': 'DeepColdArchive' } }));
    const restore = await sendPresigned({ method: 'POST', bucket: B, key: 'reason-dca', params: [['restore', '']] });
    assert.deepEqual([restore.status, restore.reason], [202, 'Accepted']);
    const del = await sendPresigned({ method: 'DELETE', bucket: B, key: 'reason' });
    assert.deepEqual([del.status, del.reason], [204, 'No Content']);
  });

  it('ClientBucketBasicTest: PutBucket with an ACL, IA and ZRS reads back; DescribeRegions of one region answers one', async () => {
    ok(await send({
      method: 'PUT', bucket: 'sdk-eighth-php-acl-storage', key: null,
      ...xmlBody('<?xml version="1.0" encoding="utf8"?>\n<CreateBucketConfiguration><StorageClass>IA</StorageClass><DataRedundancyType>ZRS</DataRedundancyType></CreateBucketConfiguration>\n', { 'x-oss-acl': 'public-read' }),
    }));
    const info = ok(await send({ method: 'GET', bucket: 'sdk-eighth-php-acl-storage', key: null, params: [['bucketInfo', '']] }));
    assert.deepEqual([text(info, 'Grant'), text(info, 'StorageClass'), text(info, 'DataRedundancyType')], ['public-read', 'IA', 'ZRS']);
    const stat = ok(await send({ method: 'GET', bucket: 'sdk-eighth-php-acl-storage', key: null, params: [['stat', '']] }));
    assert.equal(text(stat, 'Storage'), '0');
    const regions = ok(await send({ method: 'GET', bucket: null, key: null, params: [['regions', 'oss-cn-hangzhou']] }));
    assert.equal(regions.text.match(/<RegionInfo>/g)?.length, 1);
  });

  it('ClientBucketOverwriteTest: PutBucketOverwriteConfig of a missing bucket is 400 MalformedXML (EC 0015-00000231), Get and Delete 404 NoSuchBucket (was NoSuchBucket for the Put too)', async () => {
    // The PHP SDK's body for OverwriteRule('forbid', null, null, null, 'rule-001'): XMLWriter, declared "utf8".
    const body = '<?xml version="1.0" encoding="utf8"?>\n<OverwriteConfiguration><Rule><Action>forbid</Action><ID>rule-001</ID></Rule></OverwriteConfiguration>\n';
    ok(await send({ method: 'PUT', bucket: B, key: null, params: [['overwriteConfig', '']], ...xmlBody(body) }));
    ok(await send({ method: 'GET', bucket: B, key: null, params: [['overwriteConfig', '']] }));
    ok(await send({ method: 'DELETE', bucket: B, key: null, params: [['overwriteConfig', '']] }), 204);
    const missing = `${B}-not-exist`;
    const put = await send({ method: 'PUT', bucket: missing, key: null, params: [['overwriteConfig', '']], ...xmlBody(body) });
    assert.equal(put.status, 400, put.text);
    assert.deepEqual(
      [put.err?.Code, put.err?.Message, put.err?.EC, put.headers['x-oss-ec'], put.err?.RequestId?.length],
      ['MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.', '0015-00000231', '0015-00000231', 24],
    );
    for (const method of ['GET', 'DELETE']) {
      const r = await send({ method, bucket: missing, key: null, params: [['overwriteConfig', '']] });
      assert.deepEqual([r.status, r.err?.Code, r.err?.EC], [404, 'NoSuchBucket', '0015-00000101']);
    }
    // Nothing was created by the refused Put.
    assert.equal((await send({ method: 'GET', bucket: missing, key: null, params: [['bucketInfo', '']] })).status, 404);
  });

  it('the Go SDK v2\'s TestBucketObjectWormConfiguration: PutBucketObjectWormConfiguration of a missing bucket is the same 400 MalformedXML, its Get 404 (was NoSuchBucket for the Put too)', async () => {
    const missing = `${B}-worm-not-exist`;
    const body = '<ObjectWormConfiguration><ObjectWormEnabled>Enabled</ObjectWormEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>1</Years></DefaultRetention></Rule></ObjectWormConfiguration>';
    const put = await send({ method: 'PUT', bucket: missing, key: null, params: [['objectWorm', '']], ...xmlBody(body) });
    assert.deepEqual([put.status, put.err?.Code, put.err?.EC], [400, 'MalformedXML', '0015-00000231'], put.text);
    const get = await send({ method: 'GET', bucket: missing, key: null, params: [['objectWorm', '']] });
    assert.deepEqual([get.status, get.err?.Code, get.err?.EC], [404, 'NoSuchBucket', '0015-00000101']);
  });

  it('ClientObjectMultipartTest: a key ending in \\f\\v\\t, UploadPartCopy of a whole object, Complete with x-oss-complete-all and the SDK\'s empty-body Content-MD5', async () => {
    ok(await send({ method: 'PUT', bucket: B, key: 'bigfile.tmp', body: Buffer.alloc(500 * 1024, 0x61) }));
    const key = 'php-multipart-\f\v\t';
    const sdk = { 'content-md5': EMPTY_MD5, 'content-type': 'application/octet-stream' };
    const init = ok(await send({ method: 'POST', bucket: B, key, params: [['encoding-type', 'url'], ['uploads', '']], headers: sdk }));
    const uploadId = text(init, 'UploadId')!;
    ok(await send({ method: 'PUT', bucket: B, key, params: [['partNumber', '1'], ['uploadId', uploadId]], headers: { 'x-oss-copy-source': `/${B}/bigfile.tmp` } }));
    const done = ok(await send({
      method: 'POST', bucket: B, key, params: [['encoding-type', 'url'], ['uploadId', uploadId]],
      headers: { 'content-md5': EMPTY_MD5, 'content-type': 'application/xml', 'x-oss-complete-all': 'yes' },
    }));
    assert.equal(decodeURIComponent(text(done, 'Key')!), key);
    assert.match(text(done, 'ETag')!, /-1"$/);
    const uploads = ok(await send({ method: 'GET', bucket: B, key: null, params: [['encoding-type', 'url'], ['uploads', '']] }));
    assert.equal(uploads.text.includes('<Upload>'), false); // assertNull($listUploads->uploads)
  });

  it('ClientPresignerTest: presigned Initiate with its signed Content-MD5, Complete with the SimpleXML body and its MD5, Abort 204', async () => {
    const key = 'key-123+-/123%/345';
    const initHeaders = { 'content-md5': EMPTY_MD5 };
    const init = await sendPresigned({ method: 'POST', bucket: B, key, params: [['encoding-type', 'url'], ['uploads', '']], headers: initHeaders }, initHeaders);
    assert.equal(init.status, 200, init.text);
    const uploadId = text(init, 'UploadId')!;
    // The test uploads the Initiate answer itself as the part's body, without the signed headers.
    const part = await sendPresigned({ method: 'PUT', bucket: B, key, params: [['partNumber', '1'], ['uploadId', uploadId]] }, {}, init.text);
    assert.equal(part.status, 200, part.text);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>\n`;
    const signed = { 'content-type': 'application/xml', 'content-md5': md5(body) };
    const done = await sendPresigned({ method: 'POST', bucket: B, key, params: [['encoding-type', 'url'], ['uploadId', uploadId]], headers: signed }, signed, body);
    assert.equal(done.status, 200, done.text);
    const head = ok(await send({ method: 'HEAD', bucket: B, key }));
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(init.text)));
    assert.equal(head.headers['x-oss-object-type'], 'Multipart');

    const other = ok(await send({ method: 'POST', bucket: B, key: 'presigned-abort', params: [['encoding-type', 'url'], ['uploads', '']] }));
    const abort = await sendPresigned({ method: 'DELETE', bucket: B, key: 'presigned-abort', params: [['uploadId', text(other, 'UploadId')!]] });
    assert.equal(abort.status, 204);
  });
});
