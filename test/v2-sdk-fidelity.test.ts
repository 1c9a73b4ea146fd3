// What the official V2 SDKs' own integration tests expect of OSS (alibabacloud-oss-python-sdk-v2
// tests/integration/test_client.py, alibabacloud-oss-go-sdk-v2 oss/client_integration_*_test.go), checked with
// requests signed as those SDKs sign them (V4, test/helpers/sdk-v2-signer.ts) against a real server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { signHeader, type Creds, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

describe('V2 SDK integration-test expectations', () => {
  let srv: TestServer;
  const root: Creds = { ak: AK, secret: SECRET };
  // The Python V2 tests' get_invalid_ak_client(): StaticCredentialsProvider('invalid-ak', 'invalid').
  const invalid: Creds = { ak: 'invalid-ak', secret: 'invalid' };
  const EXISTING = 'v2-sdk-existing';
  const MISSING = 'v2-sdk-missing-bucket';

  async function send(r: SdkRequest, c: Creds = root): Promise<RawResponse> {
    const s = signHeader(r, c);
    const body = r.body;
    return rawRequest(srv.port, { method: r.method, path: s.path, headers: { ...s.headers, host: `127.0.0.1:${srv.port}`, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, body });
  }

  const fails = (res: RawResponse, status: number, code: string): void => {
    assert.equal(res.status, status, res.body.toString('utf8'));
    const err = errorOf(res);
    assert.equal(err?.Code, code);
    assert.equal(err?.RequestId?.length ?? res.headers['x-oss-request-id']?.length, 24);
  };

  before(async () => {
    srv = await startTestServer();
    assert.equal((await send({ method: 'PUT', bucket: EXISTING, key: null })).status, 200);
  });
  after(async () => {
    await srv?.stop();
  });

  it('an unknown AccessKeyId on a bucket that does not exist: 404 NoSuchBucket (test_get_bucket_acl_fail, test_list_objects_v2_fail, test_get_bucket_stat_fail, test_get_bucket_location_fail, test_get_bucket_info_fail, test_put_bucket_versioning_fail, test_get_bucket_versioning_fail, test_list_object_versions_fail)', async () => {
    const versioning = '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>';
    for (const r of [
      { method: 'GET', bucket: MISSING, key: null, params: [['acl', '']] },
      { method: 'GET', bucket: MISSING, key: null, params: [['list-type', '2'], ['delimiter', '/'], ['start-after', 'b'], ['encoding-type', 'url'], ['max-keys', '10'], ['prefix', 'aaa'], ['fetch-owner', 'true']] },
      { method: 'GET', bucket: MISSING, key: null, params: [['stat', '']] },
      { method: 'GET', bucket: MISSING, key: null, params: [['location', '']] },
      { method: 'GET', bucket: MISSING, key: null, params: [['bucketInfo', '']] },
      { method: 'PUT', bucket: MISSING, key: null, params: [['versioning', '']], body: versioning },
      { method: 'GET', bucket: MISSING, key: null, params: [['versioning', '']] },
      { method: 'GET', bucket: MISSING, key: null, params: [['versions', '']] },
      { method: 'HEAD', bucket: MISSING, key: 'some-key' },
    ] as SdkRequest[]) {
      const res = await send(r, invalid);
      fails(res, 404, 'NoSuchBucket');
      assert.equal(errorOf(res)?.EC, '0015-00000101');
    }
  });

  it('an unknown AccessKeyId stays 403 InvalidAccessKeyId: PutBucket and PutBucketAcl of a missing bucket (test_put_bucket_fail, test_put_bucket_acl_fail), object operations in an existing bucket (test_put_object_fail, test_get_object_fail, test_head_object_fail, ...), DescribeRegions', async () => {
    fails(await send({ method: 'PUT', bucket: MISSING, key: null }, invalid), 403, 'InvalidAccessKeyId');
    fails(await send({ method: 'PUT', bucket: MISSING, key: null, params: [['acl', '']], headers: { 'x-oss-acl': 'public-read-write' } }, invalid), 403, 'InvalidAccessKeyId');
    fails(await send({ method: 'PUT', bucket: EXISTING, key: 'invalid-key', body: 'hello world' }, invalid), 403, 'InvalidAccessKeyId');
    fails(await send({ method: 'GET', bucket: EXISTING, key: 'invalid-key' }, invalid), 403, 'InvalidAccessKeyId');
    fails(await send({ method: 'HEAD', bucket: EXISTING, key: 'invalid-key' }, invalid), 403, 'InvalidAccessKeyId');
    fails(await send({ method: 'GET', bucket: EXISTING, key: null, params: [['acl', '']] }, invalid), 403, 'InvalidAccessKeyId');
    fails(await send({ method: 'GET', bucket: null, key: null, params: [['regions', '']] }, invalid), 403, 'InvalidAccessKeyId');
    // A known key with a wrong secret is still a signature mismatch, whether or not the bucket exists.
    fails(await send({ method: 'GET', bucket: EXISTING, key: null, params: [['acl', '']] }, { ak: AK, secret: 'wrong' }), 403, 'SignatureDoesNotMatch');
  });

  it('multipart with a key of control characters, listed with encoding-type=url (test_multipart_upload_object, test_multipart_upload_object_encoding_type): ListParts markers and sizes; ListMultipartUploads NextKeyMarker is the last key although the list is complete', async () => {
    const key = `v2-mp-${String.fromCharCode(...Array.from({ length: 16 }, (_, i) => i + 1))}`;
    const encoded = encodeURIComponent(key);
    const init = await send({ method: 'POST', bucket: EXISTING, key, params: [['uploads', ''], ['encoding-type', 'url']] });
    assert.equal(init.status, 200, init.body.toString('utf8'));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString('utf8'))![1]!;
    assert.match(init.body.toString('utf8'), new RegExp(`<Key>${encoded}</Key>`));
    const part1 = await send({ method: 'PUT', bucket: EXISTING, key, params: [['partNumber', '1'], ['uploadId', uploadId]], body: 'x'.repeat(100 * 1024) });
    const part2 = await send({ method: 'PUT', bucket: EXISTING, key, params: [['partNumber', '2'], ['uploadId', uploadId]], body: 'hello world' });
    for (const p of [part1, part2]) {
      assert.equal(p.status, 200);
      assert.ok(p.headers.etag && p.headers['content-md5'] && p.headers['x-oss-hash-crc64ecma']);
    }
    const parts = (await send({ method: 'GET', bucket: EXISTING, key, params: [['uploadId', uploadId], ['encoding-type', 'url']] })).body.toString('utf8');
    for (const [el, v] of [['Key', encoded], ['PartNumberMarker', '0'], ['NextPartNumberMarker', '2'], ['MaxParts', '1000'], ['IsTruncated', 'false'], ['StorageClass', 'Standard']]) {
      assert.match(parts, new RegExp(`<${el}>${v}</${el}>`), el);
    }
    assert.match(parts, new RegExp(`<HashCrc64ecma>${part2.headers['x-oss-hash-crc64ecma']}</HashCrc64ecma><Size>11</Size>`));
    const uploads = (await send({ method: 'GET', bucket: EXISTING, key: null, params: [['encoding-type', 'url'], ['uploads', '']] })).body.toString('utf8');
    assert.match(uploads, /<KeyMarker><\/KeyMarker>/);
    assert.match(uploads, /<IsTruncated>false<\/IsTruncated>/);
    assert.match(uploads, new RegExp(`<NextKeyMarker>${encoded}</NextKeyMarker>`));
    assert.match(uploads, new RegExp(`<NextUploadIdMarker>${uploadId}</NextUploadIdMarker>`));
    assert.equal((await send({ method: 'DELETE', bucket: EXISTING, key, params: [['uploadId', uploadId]] })).status, 204);
    // Nothing listed: both markers empty.
    const none = (await send({ method: 'GET', bucket: EXISTING, key: null, params: [['encoding-type', 'url'], ['uploads', '']] })).body.toString('utf8');
    assert.match(none, /<NextKeyMarker><\/NextKeyMarker><NextUploadIdMarker><\/NextUploadIdMarker>/);
  });

  it('GetBucketInfo carries BlockPublicAccess (test_get_bucket_info: block_public_access False for a new bucket, with AccessMonitor Disabled, DataRedundancyType LRS, CrossRegionReplication Disabled, SSE rule present); true once the bucket blocks public access', async () => {
    const info = async (): Promise<string> => {
      const res = await send({ method: 'GET', bucket: EXISTING, key: null, params: [['bucketInfo', '']] });
      assert.equal(res.status, 200);
      return res.body.toString('utf8');
    };
    const before = await info();
    assert.match(before, /<BlockPublicAccess>false<\/BlockPublicAccess>/);
    for (const [el, v] of [['AccessMonitor', 'Disabled'], ['DataRedundancyType', 'LRS'], ['CrossRegionReplication', 'Disabled'], ['SSEAlgorithm', 'None']]) {
      assert.match(before, new RegExp(`<${el}>${v}</${el}>`), el);
    }
    const block = '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>';
    assert.equal((await send({ method: 'PUT', bucket: EXISTING, key: null, params: [['publicAccessBlock', '']], body: block })).status, 200);
    assert.match(await info(), /<BlockPublicAccess>true<\/BlockPublicAccess>/);
    assert.equal((await send({ method: 'DELETE', bucket: EXISTING, key: null, params: [['publicAccessBlock', '']] })).status, 204);
    assert.match(await info(), /<BlockPublicAccess>false<\/BlockPublicAccess>/);
  });

  it('PutBucketCors keeps ExposeHeader values that are not header names (test_bucket_cors, test_bucket_cors_v1): read back verbatim, AllowedHeader lower-cased; the preflight echoes the requested header', async () => {
    const esc = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const rule = (origins: string[], methods: string[], headers: string[], expose: string[]): string =>
      `<CORSRule>${origins.map((o) => `<AllowedOrigin>${esc(o)}</AllowedOrigin>`).join('')}${methods.map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('')}` +
      `${headers.map((h) => `<AllowedHeader>${esc(h)}</AllowedHeader>`).join('')}${expose.map((h) => `<ExposeHeader>${esc(h)}</ExposeHeader>`).join('')}<MaxAgeSeconds>33012</MaxAgeSeconds></CORSRule>`;
    const body = `<CORSConfiguration>${rule(['Jsd>>S5swN', '~Pb*_W!E@F'], ['GET', 'HEAD'], ['WqFg#jPAj(', 'l~m^57q>,F'], ['|K+k~ wJIC', 'B~0-iQ5sbj'])}` +
      `${rule(['v8 GT-+V<I', ')q(A8&^FZQ'], ['PUT', 'POST'], ['QT^EA+kio?', 'ew_CTE+WbL'], ['zK4d3,tLfa', '&d!RA4)xR~', 'p^?ub~R+$F', 'I$%-O?d$ZK'])}<ResponseVary>true</ResponseVary></CORSConfiguration>`;
    const put = await send({ method: 'PUT', bucket: EXISTING, key: null, params: [['cors', '']], body });
    assert.equal(put.status, 200, put.body.toString('utf8'));
    const got = (await send({ method: 'GET', bucket: EXISTING, key: null, params: [['cors', '']] })).body.toString('utf8');
    for (const h of ['|K+k~ wJIC', 'B~0-iQ5sbj', 'zK4d3,tLfa', '&d!RA4)xR~', 'p^?ub~R+$F', 'I$%-O?d$ZK']) assert.ok(got.includes(`<ExposeHeader>${esc(h)}</ExposeHeader>`), h);
    for (const h of ['wqfg#jpaj(', 'l~m^57q&gt;,f', 'qt^ea+kio?', 'ew_cte+wbl']) assert.ok(got.includes(`<AllowedHeader>${h}</AllowedHeader>`), h);
    const pre = await send({ method: 'OPTIONS', bucket: EXISTING, key: 'example-object-2.jpg', headers: { Origin: ')q(A8&^FZQ', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'ew_CTE+WbL' } });
    assert.equal(pre.status, 200, pre.body.toString('utf8'));
    assert.equal(pre.headers['access-control-allow-origin'], ')q(A8&^FZQ');
    assert.equal(pre.headers['access-control-allow-methods'], 'PUT, POST');
    assert.equal(pre.headers['access-control-allow-headers'], 'ew_CTE+WbL');
    // An actual request under the first rule gets the printable values in Access-Control-Expose-Headers.
    await send({ method: 'PUT', bucket: EXISTING, key: 'cors-object', body: 'x' });
    const actual = await send({ method: 'GET', bucket: EXISTING, key: 'cors-object', headers: { Origin: 'Jsd>>S5swN' } });
    assert.equal(actual.status, 200);
    assert.equal(actual.headers['access-control-expose-headers'], '|K+k~ wJIC, B~0-iQ5sbj');
    assert.equal((await send({ method: 'DELETE', bucket: EXISTING, key: null, params: [['cors', '']] })).status, 204);
  });
});
