// The official SDKs' own test suites, nineteenth reading (docs/compatibility.md, "nineteenth reading", lists what was
// read). Every case replayed was answered as the SDKs expect; nothing needed a change. These tests pin the cases no
// earlier test covered:
// - the Python SDK v2's tests/integration/test_client.py TestCopier.test_header: PutObject with an Expires that is not
//   an HTTP date ('2022-10-12T00:00:00.000Z', read back verbatim), an unknown `x-oss-auth` header and a plain `auth`
//   header (neither kept), then the Copier's two paths: a single CopyObject and its multipart copy (copier.py: HeadObject
//   of the source, GetObjectTagging, InitiateMultipartUpload carrying the source's x-oss-meta-*, Content-Type,
//   Content-Language, Content-Encoding, Content-Disposition, Cache-Control and Expires as HeadObject answered them and
//   the tags as x-oss-tagging, UploadPartCopy by `bytes=a-b` ranges, CompleteMultipartUpload, whose
//   x-oss-hash-crc64ecma the copier compares with the source's: "crc is inconsistent" otherwise);
// - the Go SDK v2's oss/client_integration_test.go TestPutObject and TestCompleteMultipartUpload (`x-oss-complete-all:
//   yes`) with a callback that fails: 203 CallbackFailed, `serr.EC` "0007-00000203";
// - ali-oss's test/node/object.test.js "should set Expires" (`Expires: 1000000` read back as '1000000').
// Requests are V4-signed as the Python SDK v2 signs them (test/helpers/sdk-v2-signer.ts), path style.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { crc64, headersOf } from './helpers/oss.js';
import { signHeader, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv?.stop();
});

async function send(r: SdkRequest): Promise<RawResponse> {
  const s = signHeader(r, { ak: AK, secret: SECRET });
  const body = r.body;
  const headers = { ...s.headers, host: `127.0.0.1:${srv.port}`, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
  return rawRequest(srv.port, { method: r.method, path: s.path, headers, body });
}

function ok(res: RawResponse, status: number, what: string): RawResponse {
  assert.equal(res.status, status, `${what}: ${res.body.toString('utf8').slice(0, 400)}`);
  return res;
}

const tag = (xml: string, name: string): string => {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  assert.ok(m, `<${name}> in ${xml.slice(0, 300)}`);
  return m[1]!;
};

/** The headers test_header reads back from every copy, as OSS answers them. */
const EXPECTED = {
  'content-type': 'text/plain',
  'cache-control': 'no-cache',
  'content-language': 'zh-CN',
  'content-encoding': 'gzip',
  'content-disposition': 'attachment;filename=%E4%B8%96%E7%95%8C.txt',
  expires: '2022-10-12T00:00:00.000Z',
  'x-oss-meta-auth': 'owner3',
};

function assertCopied(head: RawResponse, what: string): void {
  for (const [name, value] of Object.entries(EXPECTED)) assert.equal(head.headers[name], value, `${what}: ${name}`);
  // Only x-oss-meta-* is metadata: neither the unknown x-oss-auth nor the plain auth header was kept.
  assert.deepEqual(Object.keys(head.headers).filter((h) => h.startsWith('x-oss-meta-')), ['x-oss-meta-auth'], what);
  assert.equal(head.headers.auth, undefined, what);
  assert.equal(head.headers['x-oss-auth'], undefined, what);
  assert.equal(head.headers['x-oss-tagging-count'], '2', what);
}

describe("the SDK test suites, nineteenth reading: the Python SDK v2's Copier (TestCopier.test_header)", () => {
  const B = 'python-sdk-test-copier-19';

  it('a single and a multipart copy keep the source\'s headers, an Expires that is not a date and its tags; the multipart CRC is the source\'s', async () => {
    ok(await send({ method: 'PUT', bucket: B, key: null }), 200, 'PutBucket');
    const small = 'abcdefghijkl';
    // test_header copies 1000 KiB in 100 KiB parts; a little over three parts, the last one short, is the same path.
    const big = Buffer.alloc(300 * 1024 + 123, 'python-sdk-v2 ');
    const putHeaders = {
      'Content-Type': 'text/plain',
      'Cache-Control': 'no-cache',
      'content-language': 'zh-CN',
      'content-encoding': 'gzip',
      'Content-Disposition': 'attachment;filename=%E4%B8%96%E7%95%8C.txt',
      Expires: '2022-10-12T00:00:00.000Z',
      auth: 'owner',
      'x-oss-auth': 'owner2',
      'x-oss-meta-auth': 'owner3',
      'x-oss-tagging': 'TagA=A&TagB=B',
    };
    ok(await send({ method: 'PUT', bucket: B, key: 'key', headers: putHeaders, body: small }), 200, 'PutObject');
    ok(await send({ method: 'PUT', bucket: B, key: 'key_2', headers: putHeaders, body: big }), 200, 'PutObject key_2');
    assertCopied(ok(await send({ method: 'HEAD', bucket: B, key: 'key' }), 200, 'HeadObject'), 'the source');

    // Case 1: below the threshold the copier is one CopyObject (no directive: COPY).
    ok(await send({ method: 'PUT', bucket: B, key: 'single_key', headers: { 'x-oss-copy-source': `/${B}/key` } }), 200, 'CopyObject');
    const single = ok(await send({ method: 'HEAD', bucket: B, key: 'single_key' }), 200, 'HeadObject single_key');
    assertCopied(single, 'the single copy');
    assert.equal(single.headers['x-oss-object-type'], 'Normal');

    // Case 2: the multipart copy, as copier.py builds it (part_size 100 KiB, multipart_copy_threshold 100 KiB).
    const source = ok(await send({ method: 'HEAD', bucket: B, key: 'key_2' }), 200, 'HeadObject key_2');
    const tags = ok(await send({ method: 'GET', bucket: B, key: 'key_2', params: [['tagging', '']] }), 200, 'GetObjectTagging').body.toString('utf8');
    const copied = ['content-type', 'content-language', 'content-encoding', 'content-disposition', 'cache-control', 'expires'];
    const init: Record<string, string> = {};
    for (const [name, value] of Object.entries(source.headers)) {
      if (typeof value === 'string' && (name.startsWith('x-oss-meta') || copied.includes(name))) init[name] = value;
    }
    const pairs = [...tags.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)].map((m) => `${m[1]}=${m[2]}`);
    init['x-oss-tagging'] = pairs.join('&');
    const initiated = ok(await send({ method: 'POST', bucket: B, key: 'multipart_key', params: [['uploads', '']], headers: init }), 200, 'InitiateMultipartUpload');
    const uploadId = tag(initiated.body.toString('utf8'), 'UploadId');
    const parts: string[] = [];
    const partSize = 100 * 1024;
    for (let pos = 0, n = 1; pos < big.length; pos += partSize, n++) {
      const end = Math.min(pos + partSize, big.length) - 1;
      const part = ok(await send({
        method: 'PUT', bucket: B, key: 'multipart_key', params: [['partNumber', String(n)], ['uploadId', uploadId]],
        headers: { 'x-oss-copy-source': `/${B}/key_2`, 'x-oss-copy-source-range': `bytes=${pos}-${end}` },
      }), 200, `UploadPartCopy ${n}`);
      parts.push(`<Part><PartNumber>${n}</PartNumber><ETag>${tag(part.body.toString('utf8'), 'ETag')}</ETag></Part>`);
    }
    const completed = ok(await send({
      method: 'POST', bucket: B, key: 'multipart_key', params: [['uploadId', uploadId]],
      body: `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`,
    }), 200, 'CompleteMultipartUpload');
    // copier.py's _assert_crc_same: the Complete's CRC against the source's HeadObject.
    assert.equal(completed.headers['x-oss-hash-crc64ecma'], source.headers['x-oss-hash-crc64ecma']);
    assert.equal(completed.headers['x-oss-hash-crc64ecma'], crc64(big));

    const multi = ok(await send({ method: 'HEAD', bucket: B, key: 'multipart_key' }), 200, 'HeadObject multipart_key');
    assertCopied(multi, 'the multipart copy');
    assert.equal(multi.headers['x-oss-object-type'], 'Multipart');
    assert.equal(multi.headers['content-length'], String(big.length));
    const copiedTags = ok(await send({ method: 'GET', bucket: B, key: 'multipart_key', params: [['tagging', '']] }), 200, 'GetObjectTagging').body.toString('utf8');
    assert.deepEqual([...copiedTags.matchAll(/<Key>([^<]*)<\/Key><Value>([^<]*)<\/Value>/g)].map((m) => `${m[1]}=${m[2]}`), ['TagA=A', 'TagB=B']);
  });
});

describe("the SDK test suites, nineteenth reading: the Go SDK v2's TestPutObject and TestCompleteMultipartUpload callbacks", () => {
  const B = 'go-sdk-test-bucket-callback-19';
  // The tests' callbackUrl is http://www.aliyun.com, which answers OSS with a redirect ("Error status : 301."); a name
  // that can never resolve (RFC 6761 `.invalid`) fails the same way here without the network: 203 CallbackFailed.
  const callback = Buffer.from(JSON.stringify({ callbackUrl: 'http://callback.invalid/', callbackBody: 'filename=${object}&size=${size}&mimeType=${mimeType}' })).toString('base64');

  function callbackFailed(res: RawResponse, what: string): void {
    ok(res, 203, what);
    const xml = res.body.toString('utf8');
    assert.equal(tag(xml, 'Code'), 'CallbackFailed', what);
    // serr.EC, which both tests compare with "0007-00000203": the <EC> element, and the x-oss-ec header with it.
    assert.equal(tag(xml, 'EC'), '0007-00000203', what);
    assert.equal(res.headers['x-oss-ec'], '0007-00000203', what);
    assert.match(tag(xml, 'Message'), /^Error status : /, what);
  }

  it('a failed callback is 203 CallbackFailed with EC 0007-00000203, and the upload stays written', async () => {
    ok(await send({ method: 'PUT', bucket: B, key: null }), 200, 'PutBucket');
    callbackFailed(await send({ method: 'PUT', bucket: B, key: 'object', headers: { 'x-oss-callback': callback }, body: 'x'.repeat(1000) }), 'PutObject');
    assert.equal(ok(await send({ method: 'HEAD', bucket: B, key: 'object' }), 200, 'HeadObject').headers['content-length'], '1000');

    const initiated = ok(await send({ method: 'POST', bucket: B, key: 'multipart', params: [['uploads', '']] }), 200, 'InitiateMultipartUpload');
    const uploadId = tag(initiated.body.toString('utf8'), 'UploadId');
    ok(await send({ method: 'PUT', bucket: B, key: 'multipart', params: [['partNumber', '1'], ['uploadId', uploadId]], body: 'upload part 1' }), 200, 'UploadPart');
    callbackFailed(await send({
      method: 'POST', bucket: B, key: 'multipart', params: [['uploadId', uploadId]],
      headers: { 'x-oss-complete-all': 'yes', 'x-oss-callback': callback },
    }), 'CompleteMultipartUpload with x-oss-complete-all');
    assert.equal(ok(await send({ method: 'HEAD', bucket: B, key: 'multipart' }), 200, 'HeadObject').headers['x-oss-object-type'], 'Multipart');
  });
});

describe("the SDK test suites, nineteenth reading: ali-oss's object.test.js", () => {
  it('should set Expires: a number is kept and answered as sent', async () => {
    const store = srv.client();
    await store.putBucket('ali-oss-test-object-bucket-19');
    store.useBucket('ali-oss-test-object-bucket-19');
    await store.put('put-Expires.js', Buffer.from('ali-oss'), { headers: { Expires: 1000000 } });
    const info = await store.head('put-Expires.js');
    assert.equal(headersOf(info).expires, '1000000');
  });
});
