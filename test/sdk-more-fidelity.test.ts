// What the Java SDK v2's integration tests (aliyun/alibabacloud-oss-java-sdk-v2 src/it/java/…/oss2), the PHP SDK's
// tests (aliyun/aliyun-oss-php-sdk tests/OSS/Tests), the rest of the Python SDK v2's (tests/integration), the C++
// SDK's (aliyun/aliyun-oss-cpp-sdk test/src), the Ruby SDK's (aliyun/aliyun-oss-ruby-sdk tests/) and the .NET SDK's
// (aliyun/aliyun-oss-csharp-sdk test/TestCase) read from OSS, replayed with signed raw requests against a real server:
// each case names the test it comes from.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { encodeKey, errorOf, rawRequest, v1Authorization, v1UrlParams } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { failsWith, signedRequest, succeeds, type SignedReply } from './helpers/signed.js';

let srv: TestServer;
const B = 'sdk-more-fidelity';

before(async () => {
  srv = await startTestServer();
  await srv.client().putBucket(B);
});
after(async () => {
  await srv.stop();
});

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

describe('listings', () => {
  it('ListObjectsV2 tokens survive a client that URL-decodes them under encoding-type=url (Java SDK v2 testListObjectsV2WithAllSpecialCharacters)', async () => {
    const c = srv.client({ bucket: B });
    // Keys whose base64 holds `+` and `/`: the token of the first page used to be standard base64.
    const keys = ['prefix-测试中文-/file1.txt', 'prefix-测试中文-/file2.txt', 'prefix-测试中文-/file3.txt', 'prefix-测试中文-/file4.txt'];
    for (const k of keys) await c.put(k, Buffer.from(k));
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const q: Array<[string, string]> = [['encoding-type', 'url'], ['list-type', '2'], ['max-keys', '1'], ['prefix', 'prefix-']];
      if (token !== undefined) q.push(['continuation-token', token]);
      const res = succeeds(await signedRequest(srv.port, 'GET', B, null, q));
      const key = tag(res.text, 'Key');
      if (key !== undefined) seen.push(decodeURIComponent(key));
      if (token !== undefined) assert.equal(tag(res.text, 'ContinuationToken'), token, 'the token given is echoed');
      const next = tag(res.text, 'NextContinuationToken');
      if (next === undefined) break;
      assert.match(next, /^[A-Za-z0-9_-]+$/, 'only unreserved URL characters');
      // What java.net.URLDecoder makes of it (a `+` would become a space).
      token = decodeURIComponent(next.replace(/\+/g, ' '));
    }
    assert.deepEqual(seen, keys);
    // A token an older Alunite gave out (standard base64, padded) still continues the listing.
    const old = Buffer.from(keys[1]!, 'utf8').toString('base64');
    assert.match(old, /[+/=]/);
    const res = succeeds(await signedRequest(srv.port, 'GET', B, null, [['list-type', '2'], ['max-keys', '1'], ['continuation-token', old]]));
    assert.equal(tag(res.text, 'Key'), keys[2]);
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['list-type', '2'], ['continuation-token', 'not a token!']]), 'InvalidArgument', 400);
  });
});

describe('error answers the SDKs compare', () => {
  it('a key or query value that is not UTF-8 is InvalidArgument "The characters encoding must be utf-8." (PHP SDK testObjectKeyWithNonUTF8Name)', async () => {
    // GBK bytes of a Chinese name, as the PHP test sends them; refused before anything else is looked at.
    for (const path of [`/${B}/%D6%D0%CE%C4%B2%E2%CA%D4.txt`, `/${B}/?prefix=%D6%D0`]) {
      const res = await rawRequest(srv.port, { method: path.includes('?') ? 'GET' : 'PUT', path, headers: { host: `localhost:${srv.port}`, 'content-length': '1' }, body: 'x' });
      assert.equal(res.status, 400, path);
      const err = errorOf(res);
      assert.deepEqual([err?.Code, err?.EC, err?.Message], ['InvalidArgument', '0017-00000204', 'The characters encoding must be utf-8.'], path);
    }
  });
});

describe('symlinks', () => {
  it('a link to a missing target: SymlinkTargetNotExist in OSS\'s words, without a full stop (PHP SDK SymlinkTest::testPutNullSymlink)', async () => {
    succeeds(await signedRequest(srv.port, 'PUT', B, 'dangling', [['symlink', '']], { headers: { 'x-oss-symlink-target': 'no-such-target' } }));
    const res = failsWith(await signedRequest(srv.port, 'GET', B, 'dangling', []), 'SymlinkTargetNotExist', 404);
    assert.equal(res.err?.Message, 'The symlink target object does not exist');
  });
});

describe('HEAD of a bucket', () => {
  it('answers 200 with x-oss-bucket-region, a missing bucket 404 (PHP OssClientBucketTest::testBucket, C# BucketBasicOperationTest)', async () => {
    const res = succeeds(await signedRequest(srv.port, 'HEAD', B, null, []));
    assert.equal(res.headers['x-oss-bucket-region'], 'oss-cn-hangzhou');
    const missing = await signedRequest(srv.port, 'HEAD', 'no-such-bucket-here', null, []);
    assert.equal(missing.status, 404);
    assert.equal(missing.err?.Code, 'NoSuchBucket');
    // Authorized as oss:GetBucketInfo: a user without it is refused.
    const ram = new Ram(srv);
    const lister = await ram.userWith('head-bucket-lister', policyDoc({ Effect: 'Allow', Action: ['oss:ListObjects'], Resource: ['acs:oss:*:*:*'] }));
    assert.equal((await signedRequest(srv.port, 'HEAD', B, null, [], { creds: [lister.accessKeyId, lister.accessKeySecret] })).status, 403);
    const reader = await ram.userWith('head-bucket-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetBucketInfo'], Resource: [`acs:oss:*:*:${B}`] }));
    succeeds(await signedRequest(srv.port, 'HEAD', B, null, [], { creds: [reader.accessKeyId, reader.accessKeySecret] }));
    // A published sub-resource with HEAD is still no operation.
    assert.equal((await signedRequest(srv.port, 'HEAD', B, null, [['acl', '']])).status, 405);
  });
});

describe('multipart uploads', () => {
  it('ListParts answers the client-side encryption envelope the upload was initiated with (Python SDK v2 test_encryption_client test_multipart_*)', async () => {
    const cse = {
      'x-oss-meta-client-side-encryption-key': 'a2V5IGJ5dGVz',
      'x-oss-meta-client-side-encryption-start': 'c3RhcnQ=',
      'x-oss-meta-client-side-encryption-matdesc': '{"a":"b"}',
      'x-oss-meta-client-side-encryption-wrap-alg': 'RSA/NONE/PKCS1Padding',
      'x-oss-meta-client-side-encryption-cek-alg': 'AES/CTR/NoPadding',
      'x-oss-meta-client-side-encryption-data-size': '307200',
      'x-oss-meta-client-side-encryption-part-size': '102400',
    };
    const init = succeeds(await signedRequest(srv.port, 'POST', B, 'cse.bin', [['uploads', '']], { headers: cse }));
    const uploadId = tag(init.text, 'UploadId')!;
    succeeds(await signedRequest(srv.port, 'PUT', B, 'cse.bin', [['partNumber', '1'], ['uploadId', uploadId]], { body: 'x'.repeat(100) }));
    const list = succeeds(await signedRequest(srv.port, 'GET', B, 'cse.bin', [['encoding-type', 'url'], ['uploadId', uploadId]]));
    assert.equal(tag(list.text, 'ClientEncryptionKey'), 'a2V5IGJ5dGVz');
    assert.equal(tag(list.text, 'ClientEncryptionStart'), 'c3RhcnQ=');
    assert.equal(tag(list.text, 'ClientEncryptionWrapAlg'), 'RSA/NONE/PKCS1Padding');
    assert.equal(tag(list.text, 'ClientEncryptionCekAlg'), 'AES/CTR/NoPadding');
    assert.equal(tag(list.text, 'ClientEncryptionDataSize'), '307200');
    assert.equal(tag(list.text, 'ClientEncryptionPartSize'), '102400');
    assert.equal(tag(list.text, 'PartNumber'), '1');
    // An upload without them answers none.
    const plain = tag(succeeds(await signedRequest(srv.port, 'POST', B, 'plain.bin', [['uploads', '']])).text, 'UploadId')!;
    assert.doesNotMatch(succeeds(await signedRequest(srv.port, 'GET', B, 'plain.bin', [['uploadId', plain]])).text, /ClientEncryption/);
  });
});

describe('the Ruby SDK\'s tests (aliyun/aliyun-oss-ruby-sdk tests/)', () => {
  it('an upload with no parts completes with an empty list as an empty object (tests/test_content_type.rb: resumable_upload of an empty file)', async () => {
    // Multipart::Upload#divide_parts makes (0 - 1) / part_size + 1 = 0 parts of an empty file, and #commit sends
    // the empty list as Nokogiri writes it; the test then reads the Content-Type the upload was initiated with.
    const key = 'tests/content_type/multipart.from_fileobj.html';
    const init = succeeds(await signedRequest(srv.port, 'POST', B, key, [['uploads', '']], { headers: { 'content-type': 'text/html' } }));
    const uploadId = tag(init.text, 'UploadId')!;
    const done = succeeds(await signedRequest(srv.port, 'POST', B, key, [['uploadId', uploadId]], { body: '<?xml version="1.0"?>\n<CompleteMultipartUpload/>\n' }));
    assert.equal(tag(done.text, 'Key'), key);
    const head = succeeds(await signedRequest(srv.port, 'HEAD', B, key, []));
    assert.equal(head.headers['content-type'], 'text/html');
    assert.equal(head.headers['content-length'], '0');
    assert.equal(head.headers['x-oss-hash-crc64ecma'], '0');
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', B, key, [])).text, '');
    failsWith(await signedRequest(srv.port, 'GET', B, key, [['uploadId', uploadId]]), 'NoSuchUpload', 404);
    // Parts uploaded but none listed: still refused, the upload kept.
    const other = tag(succeeds(await signedRequest(srv.port, 'POST', B, 'with-a-part', [['uploads', '']])).text, 'UploadId')!;
    succeeds(await signedRequest(srv.port, 'PUT', B, 'with-a-part', [['partNumber', '1'], ['uploadId', other]], { body: 'x' }));
    failsWith(await signedRequest(srv.port, 'POST', B, 'with-a-part', [['uploadId', other]], { body: '<CompleteMultipartUpload/>' }), 'InvalidPart', 400);
    succeeds(await signedRequest(srv.port, 'GET', B, 'with-a-part', [['uploadId', other]]));
  });
});

describe('the Ruby SDK\'s x-oss-copy-source: the key unescaped, its UTF-8 bytes on the wire', () => {
  // Protocol#copy_object and #upload_part_by_copy send `@http.get_resource_path(src_bucket, src_object_name)`, the
  // key as it is (no percent-encoding), and sign that text; the header's bytes are the key's UTF-8 bytes.
  const copyWithRawSource = async (key: string, query: Array<[string, string]>, source: string): Promise<{ status: number; text: string }> => {
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), 'x-oss-copy-source': source };
    const { authorization } = v1Authorization({ method: 'PUT', bucket: B, key, query, headers }, AK, SECRET);
    const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}` : '';
    // Node sends a header string one byte per character: the UTF-8 bytes as latin1 text.
    const wire = { ...headers, 'x-oss-copy-source': Buffer.from(source, 'utf8').toString('latin1'), authorization };
    const res = await rawRequest(srv.port, { method: 'PUT', path: `/${B}/${encodeURIComponent(key)}${qs}`, headers: wire });
    return { status: res.status, text: res.body.toString('utf8') };
  };

  it('CopyObject and UploadPartCopy find a source whose key is not ASCII (it was NoSuchKey: the bytes were read as latin1)', async () => {
    const src = 'tests/copy/杭州 源.txt';
    await srv.client({ bucket: B }).put(src, Buffer.from('hello'));
    const copied = await copyWithRawSource('tests/copy/dst.txt', [], `/${B}/${src}`);
    assert.equal(copied.status, 200, copied.text);
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', B, 'tests/copy/dst.txt', [])).text, 'hello');
    const uploadId = tag(succeeds(await signedRequest(srv.port, 'POST', B, 'tests/copy/part.txt', [['uploads', '']])).text, 'UploadId')!;
    const part = await copyWithRawSource('tests/copy/part.txt', [['partNumber', '1'], ['uploadId', uploadId]], `/${B}/${src}`);
    assert.equal(part.status, 200, part.text);
    const parts = succeeds(await signedRequest(srv.port, 'GET', B, 'tests/copy/part.txt', [['uploadId', uploadId]])).text;
    assert.equal(tag(parts, 'Size'), '5');
    // A percent-encoded source (every other SDK) reads as before.
    const encoded = await copyWithRawSource('tests/copy/dst2.txt', [], `/${B}/${encodeURIComponent(src)}`);
    assert.equal(encoded.status, 200, encoded.text);
  });

  it('a `%` that starts no escape is part of the key (it was refused as a malformed source); a valid escape and a `+` are still decoded', async () => {
    const c = srv.client({ bucket: B });
    for (const src of ['tests/copy/100%.txt', 'tests/copy/50% off %zz.txt', 'tests/copy/%']) {
      await c.put(src, Buffer.from(src));
      const copied = await copyWithRawSource('tests/copy/pct-dst.txt', [], `/${B}/${src}`);
      assert.equal(copied.status, 200, `${src}: ${copied.text}`);
      assert.equal(succeeds(await signedRequest(srv.port, 'GET', B, 'tests/copy/pct-dst.txt', [])).text, src);
    }
    // `%41` is still an escape (A), and `+` a space, as the Go SDK's url.QueryEscape sends one.
    await c.put('tests/copy/A b.txt', Buffer.from('escaped'));
    const escaped = await copyWithRawSource('tests/copy/pct-dst2.txt', [], `/${B}/tests/copy/%41+b.txt`);
    assert.equal(escaped.status, 200, escaped.text);
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', B, 'tests/copy/pct-dst2.txt', [])).text, 'escaped');
  });

  it('a literal + in an unescaped source is a space, so the copy of such a key is NoSuchKey, as OSS answers it (aliyun-oss-ruby-sdk issue #98)', async () => {
    const c = srv.client({ bucket: B });
    await c.put('tests/copy/铅灰+橡木-P88.jpg', Buffer.from('plus'));
    const copied = await copyWithRawSource('tests/copy/plus-dst.jpg', [], `/${B}/tests/copy/铅灰+橡木-P88.jpg`);
    assert.equal(copied.status, 404, copied.text);
    assert.match(copied.text, /<Code>NoSuchKey<\/Code>/);
    // The same key percent-encoded (%2B, as ali-oss, oss2, the Java and Go SDKs send it) is found.
    const encoded = await copyWithRawSource('tests/copy/plus-dst.jpg', [], `/${B}/${encodeURIComponent('tests/copy/铅灰+橡木-P88.jpg')}`);
    assert.equal(encoded.status, 200, encoded.text);
  });
});

describe('the bucket callback policy', () => {
  it('the bucket callback policy (?policy&comp=callback, the PHP SDK\'s OssClientBucketCallbackPolicyTest): put, get, delete; the bucket policy untouched', async () => {
    const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${B}/*`] }] });
    succeeds(await signedRequest(srv.port, 'PUT', B, null, [['policy', '']], { body: policy }));
    // The callback's JSON is not valid (`{\"callbackUrl\":…}`): kept as sent, not read.
    const callback = 'e1wiY2FsbGJhY2tVcmxcIjpcImh0dHA6Ly93d3cuZXhhbXBsZS5jb21cIn0=';
    const body = `<?xml version="1.0" encoding="utf-8"?><BucketCallbackPolicy><PolicyItem><PolicyName>first</PolicyName><Callback>${callback}</Callback><CallbackVar></CallbackVar></PolicyItem></BucketCallbackPolicy>`;
    const q: Array<[string, string]> = [['policy', ''], ['comp', 'callback']];
    succeeds(await signedRequest(srv.port, 'PUT', B, null, q, { body }));
    assert.match(succeeds(await signedRequest(srv.port, 'GET', B, null, q)).text, new RegExp(`<PolicyItem><PolicyName>first</PolicyName><Callback>${callback}</Callback><CallbackVar></CallbackVar></PolicyItem>`));
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', B, null, [['policy', '']])).text, policy);
    succeeds(await signedRequest(srv.port, 'DELETE', B, null, q), 204);
    failsWith(await signedRequest(srv.port, 'GET', B, null, q), 'BucketCallbackPolicyNotExist', 404);
    succeeds(await signedRequest(srv.port, 'DELETE', B, null, [['policy', '']]), 204);
  });
});

describe('authorization before the new answers: an explicit Deny on each action refuses (a user otherwise allowed oss:*)', () => {
  const allowAll = { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] };
  const creds = (u: { accessKeyId: string; accessKeySecret: string }): [string, string] => [u.accessKeyId, u.accessKeySecret];

  it('HeadBucket as oss:GetBucketInfo; the callback policy operations as their own actions', async () => {
    const ram = new Ram(srv);
    const u = await ram.userWith('deny-new-answers', policyDoc(allowAll,
      { Effect: 'Deny', Action: ['oss:GetBucketInfo', 'oss:PutBucketCallbackPolicy', 'oss:GetBucketCallbackPolicy', 'oss:DeleteBucketCallbackPolicy'], Resource: [`acs:oss:*:*:${B}`] }));
    assert.equal((await signedRequest(srv.port, 'HEAD', B, null, [], { creds: creds(u) })).status, 403);
    for (const method of ['PUT', 'GET', 'DELETE']) {
      failsWith(await signedRequest(srv.port, method, B, null, [['policy', ''], ['comp', 'callback']], { creds: creds(u), ...(method === 'PUT' ? { body: '<BucketCallbackPolicy/>' } : {}) }), 'AccessDenied', 403);
    }
    // Allowed otherwise: the same user reaches the answer on another bucket.
    await srv.client().putBucket('sdk-more-other');
    failsWith(await signedRequest(srv.port, 'GET', 'sdk-more-other', null, [['policy', ''], ['comp', 'callback']], { creds: creds(u) }), 'BucketCallbackPolicyNotExist', 404);
    succeeds(await signedRequest(srv.port, 'HEAD', 'sdk-more-other', null, [], { creds: creds(u) }));
  });

  it('an unknown sub-resource on a write is authorized as that write\'s own checks (CopyObject: GetObject and PutObject), then 501', async () => {
    const ram = new Ram(srv);
    await srv.client({ bucket: B }).put('copy-source', Buffer.from('s'));
    const writer = await ram.userWith('unknown-key-writer', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${B}/*`] }));
    failsWith(await signedRequest(srv.port, 'PUT', B, 'copy-dest', [['someNewOperation', '']], { creds: creds(writer), headers: { 'x-oss-copy-source': `/${B}/copy-source` } }), 'NotImplemented', 501);
    const noRead = await ram.userWith('unknown-key-no-read', policyDoc(allowAll, { Effect: 'Deny', Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${B}/copy-source`] }));
    failsWith(await signedRequest(srv.port, 'PUT', B, 'copy-dest', [['someNewOperation', '']], { creds: creds(noRead), headers: { 'x-oss-copy-source': `/${B}/copy-source` } }), 'AccessDenied', 403);
    const noDelete = await ram.userWith('unknown-key-no-delete', policyDoc(allowAll, { Effect: 'Deny', Action: ['oss:DeleteBucket'], Resource: [`acs:oss:*:*:${B}`] }));
    failsWith(await signedRequest(srv.port, 'DELETE', B, null, [['someNewOperation', '']], { creds: creds(noDelete) }), 'AccessDenied', 403);
    succeeds(await signedRequest(srv.port, 'HEAD', B, null, []));
    assert.equal((await signedRequest(srv.port, 'HEAD', B, 'copy-dest', [])).status, 404, 'nothing written');
  });
});

describe('C++ SDK (aliyun-oss-cpp-sdk test/src)', () => {
  it('DeleteMultipleObjects in quiet mode answers 200 with no body at all (ObjectBasicOperationTest DeleteObjectsQuietTest)', async () => {
    const keys = ['cpp-quiet/0.txt', 'cpp-quiet/1.txt'];
    for (const k of keys) succeeds(await signedRequest(srv.port, 'PUT', B, k, [], { body: Buffer.from(k) }));
    const doc = (quiet: boolean, ks: string[]): string =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<Delete><Quiet>${quiet}</Quiet>${ks.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;
    const md5 = (s: string): string => createHash('md5').update(s).digest('base64');
    const quiet = doc(true, keys);
    const res = succeeds(await signedRequest(srv.port, 'POST', B, null, [['delete', ''], ['encoding-type', 'url']], { body: quiet, headers: { 'content-md5': md5(quiet) } }));
    // The SDK's DeleteObjectsResult is Quiet() only when the body is empty (and the Java SDK's parser skips a 0-length one).
    assert.equal(res.text, '');
    assert.equal(res.headers['content-length'], '0');
    for (const k of keys) failsWith(await signedRequest(srv.port, 'HEAD', B, k, []), 'NoSuchKey', 404);
    // Verbose mode still lists every key.
    const verbose = doc(false, keys);
    const v = succeeds(await signedRequest(srv.port, 'POST', B, null, [['delete', '']], { body: verbose, headers: { 'content-md5': md5(verbose) } }));
    assert.deepEqual([...v.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), keys);
  });

  it('x-oss-tagging: more than 10 tags is BadRequest, a repeated key InvalidArgument naming the header, on PutObject, AppendObject and InitiateMultipartUpload (ObjectTaggingTest *WithGreaterThan10TagsTest, *WithDuplicatedTagsTest)', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `key${i + 1}=value${i + 1}`).join('&');
    const writes: Array<[string, Array<[string, string]>, string | undefined]> = [
      ['PUT', [], 'Tagging Test'],
      ['POST', [['append', ''], ['position', '0']], 'Tagging Test'],
      ['POST', [['uploads', '']], undefined],
    ];
    for (const [method, query, body] of writes) {
      const send = (tagging: string): Promise<SignedReply> =>
        signedRequest(srv.port, method, B, 'cpp-tags/obj', query, { headers: { 'x-oss-tagging': tagging }, ...(body !== undefined ? { body } : {}) });
      const many = failsWith(await send(eleven), 'BadRequest', 400);
      assert.match(many.err?.Message ?? '', /Object tags cannot be greater than 10/, method);
      const dup = failsWith(await send('key1=value1&key1=value2'), 'InvalidArgument', 400);
      assert.match(dup.err?.Message ?? '', /query parameters without tag name duplicates/, method);
      assert.equal(dup.err?.ArgumentName, 'x-oss-tagging');
      // A key with a character tags may not hold stays InvalidTag (PutObjectWithUnsupportTagsTest).
      const bad = failsWith(await send('key1%26=value1&key2=value2'), 'InvalidTag', 400);
      assert.match(bad.err?.Message ?? '', /The TagKey you have provided is invalid/, method);
    }
    failsWith(await signedRequest(srv.port, 'HEAD', B, 'cpp-tags/obj', []), 'NoSuchKey', 404);
    // Ten tags, special characters URL-encoded, are taken (PutObjectWithSpecialCharTagsTest).
    succeeds(await signedRequest(srv.port, 'PUT', B, 'cpp-tags/obj', [], { body: 'x', headers: { 'x-oss-tagging': 'key1%3D=value%201%2B&key2-=value2.&key3%3A%2F' } }));
    const got = succeeds(await signedRequest(srv.port, 'GET', B, 'cpp-tags/obj', [['tagging', '']]));
    assert.deepEqual([...got.text.matchAll(/<Key>([^<]*)<\/Key><Value>([^<]*)<\/Value>/g)].map((m) => [m[1], m[2]]), [['key1=', 'value 1+'], ['key2-', 'value2.'], ['key3:/', '']]);
  });

  it('AppendObject on a versioning-enabled bucket makes the null version: x-oss-version-id null on every append (ObjectVersioningTest AppendObjectWithVersioningEnableTest; C# the same)', async () => {
    const bucket = 'sdk-more-cpp-versioned';
    await srv.client().putBucket(bucket);
    succeeds(await signedRequest(srv.port, 'PUT', bucket, null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    const append = (position: number): Promise<SignedReply> => signedRequest(srv.port, 'POST', bucket, 'appended', [['append', ''], ['position', String(position)]], { body: 'versioning test.' });
    const first = succeeds(await append(0));
    assert.equal(first.headers['x-oss-version-id'], 'null');
    const second = succeeds(await append(16));
    assert.equal(second.headers['x-oss-version-id'], 'null');
    assert.equal(second.headers['x-oss-next-append-position'], '32');
    // A PutObject over it keeps it as the (noncurrent) null version, which is read back by that id.
    const put = succeeds(await signedRequest(srv.port, 'PUT', bucket, 'appended', [], { body: 'normal' }));
    assert.notEqual(put.headers['x-oss-version-id'], 'null');
    const old = succeeds(await signedRequest(srv.port, 'GET', bucket, 'appended', [['versionId', 'null']]));
    assert.equal(old.text, 'versioning test.versioning test.');
    assert.equal(old.headers['x-oss-object-type'], 'Appendable');
    // A PutObject answers a real version id, as before.
    assert.match(put.headers['x-oss-version-id'] as string, /^[A-Za-z0-9_-]{20,}$/);
  });

  it('GetObject with x-oss-process and a versionId under a delete marker is NoSuchKey, as the save-as form is (ObjectVersioningTest ProcessObjectWithVersioningEnableTest)', async () => {
    const bucket = 'sdk-more-cpp-process';
    await srv.client().putBucket(bucket);
    succeeds(await signedRequest(srv.port, 'PUT', bucket, null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    const jpg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#C80A0A' } }).jpeg().toBuffer();
    const v1 = succeeds(await signedRequest(srv.port, 'PUT', bucket, 'process-example.jpg', [], { body: jpg })).headers['x-oss-version-id'] as string;
    const resize: [string, string] = ['x-oss-process', 'image/resize,m_fixed,w_10,h_10'];
    // While the key has a current object, the version named is processed.
    succeeds(await signedRequest(srv.port, 'GET', bucket, 'process-example.jpg', [resize, ['versionId', v1]]));
    succeeds(await signedRequest(srv.port, 'DELETE', bucket, 'process-example.jpg', []), 204);
    failsWith(await signedRequest(srv.port, 'GET', bucket, 'process-example.jpg', [resize, ['versionId', v1]]), 'NoSuchKey', 404);
    const saveAs = `x-oss-process=image/resize,m_fixed,w_10,h_10|sys/saveas,o_${Buffer.from('saved.jpg').toString('base64url')}`;
    failsWith(await signedRequest(srv.port, 'POST', bucket, 'process-example.jpg', [['x-oss-process', ''], ['versionId', v1]], { body: saveAs }), 'NoSuchKey', 404);
    // The version itself is still there for a plain GetObject.
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', bucket, 'process-example.jpg', [['versionId', v1]])).headers['content-length'], String(jpg.length));
  });

  it('a bucket policy that is no JSON at all is InvalidPolicyDocument "unknown char p" (BucketPolicySettingsTest SetBucketPolicyInvalidInputTest)', async () => {
    const bad = failsWith(await signedRequest(srv.port, 'PUT', B, null, [['policy', '']], { body: 'policy' }), 'InvalidPolicyDocument', 400);
    assert.equal(bad.err?.Message, 'unknown char p');
    // JSON that is not a policy still names the fault.
    const notPolicy = failsWith(await signedRequest(srv.port, 'PUT', B, null, [['policy', '']], { body: '{"Version":"1"}' }), 'InvalidPolicyDocument', 400);
    assert.match(notPolicy.err?.Message ?? '', /^Invalid Policy: .*Statement/);
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['policy', '']]), 'NoSuchBucketPolicy', 404);
  });

  it('GetBucketPolicy answers the document byte for byte, its trailing newline included (BucketPolicySettingsTest SetBucketPolicyTest)', async () => {
    // The test's policy ends in "\n" and EXPECT_EQ compares the answer with it.
    const policy = '{"Version":"1","Statement":[{"Action":["oss:PutObject","oss:GetObject"],"Resource": "acs:oss:*:*:*","Effect": "Deny"}]}\n';
    const bucket = 'cpp-policy-newline';
    await srv.client().putBucket(bucket);
    succeeds(await signedRequest(srv.port, 'PUT', bucket, null, [['policy', '']], { body: policy }));
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['policy', '']])).text, policy);
    succeeds(await signedRequest(srv.port, 'DELETE', bucket, null, [['policy', '']]), 204);
  });

  it('image/info of a JPEG resized by image processing, as OSS writes it (ObjectProcessTest, ObjectRequestPaymentTest ProcessObjectRequestTest)', async () => {
    // The tests resize example.jpg to 100x100, put the result back and compare image/info's text from "Format" on
    // (CompareImageInfo: the FileSize may differ) with what OSS answered for its own output.
    const expected = '{\n    "FileSize": {"value": "3267"},\n    "Format": {"value": "jpg"},\n    "FrameCount": {"value": "1"},\n    "ImageHeight": {"value": "100"},\n    "ImageWidth": {"value": "100"},\n    "ResolutionUnit": {"value": "1"},\n    "XResolution": {"value": "1/1"},\n    "YResolution": {"value": "1/1"}}';
    const fromFormat = (s: string): string => s.slice(s.indexOf('Format'));
    // A photo with EXIF (72 dpi), as example.jpg might be.
    const photo = await sharp({ create: { width: 400, height: 267, channels: 3, background: '#4080c0' } }).withMetadata({ density: 72 }).jpeg().toBuffer();
    succeeds(await signedRequest(srv.port, 'PUT', B, 'cpp-process/example.jpg', [], { body: photo }));
    const c = srv.client({ bucket: B });
    const resized = await c.get('cpp-process/example.jpg', { process: 'image/resize,m_fixed,w_100,h_100' });
    await c.put('cpp-process/processed.jpg', resized.content as Buffer);
    const info = succeeds(await signedRequest(srv.port, 'GET', B, 'cpp-process/processed.jpg', [['x-oss-process', 'image/info']]));
    assert.equal(fromFormat(info.text), fromFormat(expected));
    assert.match(info.text, /^\{\n {4}"FileSize": \{"value": "\d+"\},\n/);
    // The source's own EXIF resolution is what its info reports, the fields in name order.
    const source = succeeds(await signedRequest(srv.port, 'GET', B, 'cpp-process/example.jpg', [['x-oss-process', 'image/info']])).text;
    assert.equal(fromFormat(source), 'Format": {"value": "jpg"},\n    "FrameCount": {"value": "1"},\n    "ImageHeight": {"value": "267"},\n    "ImageWidth": {"value": "400"},\n    "Orientation": {"value": "1"},\n    "ResolutionUnit": {"value": "2"},\n    "XResolution": {"value": "72/1"},\n    "YResolution": {"value": "72/1"}}');
    // A JPEG that records no resolution at all reports none (it said 72 dpi, libvips' default).
    const bare = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000000' } }).jpeg().toBuffer();
    succeeds(await signedRequest(srv.port, 'PUT', B, 'cpp-process/bare.jpg', [], { body: bare }));
    const bareInfo = JSON.parse(succeeds(await signedRequest(srv.port, 'GET', B, 'cpp-process/bare.jpg', [['x-oss-process', 'image/info']])).text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(bareInfo), ['FileSize', 'Format', 'FrameCount', 'ImageHeight', 'ImageWidth']);
  });
});

describe('the .NET SDK\'s tests', () => {
  it('a caller\'s hyphenated query parameter without a value is ignored on a write, not refused as an unknown sub-resource (C# PutObjectWithPreSignedUriWithParameter)', async () => {
    // GeneratePresignedUriRequest.AddQueryParam("x-param-null", "") and " " values: the URL carries a bare
    // `x-param-null` (HttpUtils.ConbineQueryString writes no `=` for an empty value), outside the signature.
    const key = 'presigned-with-params';
    const signed = { 'content-type': 'text/rtf', 'x-oss-meta-author': 'oss', 'x-oss-meta-test': 'test' };
    const expires = Math.floor(Date.now() / 1000) + 600;
    const auth = v1UrlParams({ method: 'PUT', bucket: B, key, query: [], headers: signed }, AK, SECRET, expires);
    const path = `/${B}/${encodeKey(key)}?x-param-null&x-param-space0=%20&x-param-value=value&x-param-space1=%20&${auth.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
    const put = await rawRequest(srv.port, { method: 'PUT', path, headers: { host: `localhost:${srv.port}`, ...signed, 'content-length': '3' }, body: 'abc' });
    assert.equal(put.status, 200, put.body.toString('utf8').slice(0, 300));
    const head = succeeds(await signedRequest(srv.port, 'HEAD', B, key, []));
    assert.equal(head.headers['content-type'], 'text/rtf');
    assert.equal(head.headers['x-oss-meta-author'], 'oss');
    // PutObjectWithPreSignedUriWithParameterNegativeTest: another metadata value than the one signed.
    const bad = await rawRequest(srv.port, { method: 'PUT', path, headers: { host: `localhost:${srv.port}`, ...signed, 'x-oss-meta-test': 'test1', 'content-length': '3' }, body: 'xyz' });
    assert.equal(errorOf(bad)?.Code, 'SignatureDoesNotMatch');
    // A value-less camelCase key is still an operation Alunite does not know: refused, nothing deleted.
    failsWith(await signedRequest(srv.port, 'DELETE', B, key, [['notYetPublished', '']]), 'NotImplemented', 501);
    succeeds(await signedRequest(srv.port, 'DELETE', B, key, [['x-param-null', '']]), 204);
    assert.equal((await signedRequest(srv.port, 'HEAD', B, key, [])).status, 404);
  });

  it('GetBucketInfo of a KMS default rule without a key id has an empty KMSMasterKeyID; GetBucketEncryption has none (C# BucketEncryptionBasicTest)', async () => {
    const bucket = 'sdk-more-sse';
    await srv.client().putBucket(bucket);
    const rule = (inner: string): string => `<?xml version="1.0"?>\n<ServerSideEncryptionRule>\n  <ApplyServerSideEncryptionByDefault>\n    ${inner}\n  </ApplyServerSideEncryptionByDefault>\n</ServerSideEncryptionRule>`;
    const sseOfInfo = async (): Promise<string> => /<ServerSideEncryptionRule>.*<\/ServerSideEncryptionRule>/.exec(succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['bucketInfo', '']])).text)![0];
    assert.equal(await sseOfInfo(), '<ServerSideEncryptionRule><SSEAlgorithm>None</SSEAlgorithm></ServerSideEncryptionRule>');
    succeeds(await signedRequest(srv.port, 'PUT', bucket, null, [['encryption', '']], { body: rule('<SSEAlgorithm>AES256</SSEAlgorithm>') }));
    assert.equal(await sseOfInfo(), '<ServerSideEncryptionRule><SSEAlgorithm>AES256</SSEAlgorithm></ServerSideEncryptionRule>');
    succeeds(await signedRequest(srv.port, 'PUT', bucket, null, [['encryption', '']], { body: rule('<SSEAlgorithm>KMS</SSEAlgorithm>') }));
    assert.equal(await sseOfInfo(), '<ServerSideEncryptionRule><SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID></KMSMasterKeyID></ServerSideEncryptionRule>');
    assert.doesNotMatch(succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['encryption', '']])).text, /KMSMasterKeyID/);
    succeeds(await signedRequest(srv.port, 'PUT', bucket, null, [['encryption', '']], { body: rule('<SSEAlgorithm>KMS</SSEAlgorithm>\n    <KMSMasterKeyID>kmsid</KMSMasterKeyID>') }));
    assert.equal(await sseOfInfo(), '<ServerSideEncryptionRule><SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>kmsid</KMSMasterKeyID></ServerSideEncryptionRule>');
    assert.match(succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['encryption', '']])).text, /<KMSMasterKeyID>kmsid<\/KMSMasterKeyID>/);
  });
});

describe('C++ SDK v2 (aliyun/alibabacloud-oss-cpp-sdk-v2 tests/integration)', () => {
  it('DescribeRegions lists the regions sorted by id: oss-ap-northeast-1 then oss-ap-northeast-2 first (RegionTest DescribeRegions_normal)', async () => {
    const all = succeeds(await signedRequest(srv.port, 'GET', null, null, [['regions', '']])).text;
    const regions = [...all.matchAll(/<Region>([^<]*)<\/Region>/g)].map((m) => m[1]!);
    assert.deepEqual(regions.slice(0, 2), ['oss-ap-northeast-1', 'oss-ap-northeast-2'], all);
    assert.deepEqual(regions, [...regions].sort());
    assert.ok(all.includes('<RegionInfo><Region>oss-ap-northeast-1</Region><InternetEndpoint>oss-ap-northeast-1.aliyuncs.com</InternetEndpoint><InternalEndpoint>oss-ap-northeast-1-internal.aliyuncs.com</InternalEndpoint><AccelerateEndpoint>oss-accelerate.aliyuncs.com</AccelerateEndpoint></RegionInfo>'), all);
    const one = succeeds(await signedRequest(srv.port, 'GET', null, null, [['regions', 'oss-cn-hangzhou']])).text;
    assert.equal([...one.matchAll(/<Region>([^<]*)<\/Region>/g)].map((m) => m[1]).join(), 'oss-cn-hangzhou');
  });
  it('SelectObject: a CSV output without a RecordDelimiter ends records as the input does (ObjectSelectTest SelectObject_CsvRaw, SelectObject_CsvWithHeader)', async () => {
    const b64 = (t: string): string => Buffer.from(t, 'utf8').toString('base64');
    const crlf = 'name,school,company,age\r\nLora Francis,School A,Staples Inc,27\r\nEleanor Little,School B,"Conectiv, Inc",43\r\nRosie Hughes,School C,Western Gas Resources Inc,44\r\nLawrence Ross,School D,MetLife Inc.,24\r\n';
    succeeds(await signedRequest(srv.port, 'PUT', B, 'cpp-v2-select-crlf.csv', [], { body: crlf }));
    const raw = succeeds(await signedRequest(srv.port, 'POST', B, 'cpp-v2-select-crlf.csv', [['x-oss-process', 'csv/select']], {
      body: `<SelectRequest><Expression>${b64('select * from ossobject')}</Expression><InputSerialization><CSV><FileHeaderInfo>Use</FileHeaderInfo><RecordDelimiter>${b64('\r\n')}</RecordDelimiter><FieldDelimiter>${b64(',')}</FieldDelimiter><QuoteCharacter>${b64('"')}</QuoteCharacter><CommentCharacter>${b64('#')}</CommentCharacter></CSV></InputSerialization><OutputSerialization><OutputRawData>true</OutputRawData><EnablePayloadCrc>false</EnablePayloadCrc></OutputSerialization></SelectRequest>`,
    }), 206);
    assert.equal(raw.headers['x-oss-select-output-raw'], 'true');
    assert.equal(raw.text, 'Lora Francis,School A,Staples Inc,27\r\nEleanor Little,School B,"Conectiv, Inc",43\r\nRosie Hughes,School C,Western Gas Resources Inc,44\r\nLawrence Ross,School D,MetLife Inc.,24\r\n');
    // The input's default delimiter (\n) is the output's too: the \r stays in the last column, not in name.
    const named = succeeds(await signedRequest(srv.port, 'POST', B, 'cpp-v2-select-crlf.csv', [['x-oss-process', 'csv/select']], {
      body: `<SelectRequest><Expression>${b64('select name from ossobject')}</Expression><InputSerialization><CSV><FileHeaderInfo>Use</FileHeaderInfo></CSV></InputSerialization><OutputSerialization><OutputRawData>true</OutputRawData><OutputHeader>true</OutputHeader></OutputSerialization></SelectRequest>`,
    }), 206);
    assert.equal(named.text, 'name\nLora Francis\nEleanor Little\nRosie Hughes\nLawrence Ross\n');
  });
  it('SelectObject: a CSV header line is line 0 of a line-range (ObjectSelectTest SelectObject_CsvRange)', async () => {
    const b64 = (t: string): string => Buffer.from(t, 'utf8').toString('base64');
    const crlf = 'name,school,company,age\r\nLora Francis,School A,Staples Inc,27\r\nEleanor Little,School B,"Conectiv, Inc",43\r\nRosie Hughes,School C,Western Gas Resources Inc,44\r\nLawrence Ross,School D,MetLife Inc.,24\r\n';
    succeeds(await signedRequest(srv.port, 'PUT', B, 'cpp-v2-select-range.csv', [], { body: crlf }));
    const select = async (range: string): Promise<string> => succeeds(await signedRequest(srv.port, 'POST', B, 'cpp-v2-select-range.csv', [['x-oss-process', 'csv/select']], {
      body: `<SelectRequest><Expression>${b64('select * from ossobject')}</Expression><InputSerialization><CSV><FileHeaderInfo>Use</FileHeaderInfo><RecordDelimiter>${b64('\r\n')}</RecordDelimiter><Range>${range}</Range></CSV></InputSerialization><OutputSerialization><OutputRawData>true</OutputRawData></OutputSerialization></SelectRequest>`,
    }), 206).text;
    assert.equal(await select('line-range=1-3'), 'Lora Francis,School A,Staples Inc,27\r\nEleanor Little,School B,"Conectiv, Inc",43\r\nRosie Hughes,School C,Western Gas Resources Inc,44\r\n');
    assert.equal(await select('split-range=0-1'), crlf.slice(crlf.indexOf('\r\n') + 2));
  });
  it('SelectObject: more skipped partial records than MaxSkippedRecordsAllowed, met before any output, is an HTTP 400 InvalidCsvLine (ObjectSelectTest SelectObject_SkipPartialData)', async () => {
    // The SDK's SelectFrameDecodingWriter reads no end-frame status (only a CRC mismatch fails it), so the test's
    // failed outcome with code InvalidCsvLine is OSS's error response, not a 206.
    const b64 = (t: string): string => Buffer.from(t, 'utf8').toString('base64');
    const crlf = 'name,school,company,age\r\nLora Francis,School A,Staples Inc,27\r\nEleanor Little,School B,"Conectiv, Inc",43\r\nRosie Hughes,School C,Western Gas Resources Inc,44\r\nLawrence Ross,School D,MetLife Inc.,24\r\n';
    const key = 'select-object-skip-partial';
    succeeds(await signedRequest(srv.port, 'PUT', B, key, [], { body: `${crlf}\r\n1,,3\r\n4,,6\r\n7,8,9\r\n` }));
    const select = (max: number, raw: boolean): Promise<SignedReply> => signedRequest(srv.port, 'POST', B, key, [['x-oss-process', 'csv/select']], {
      body: `<SelectRequest><Expression>${b64('select _1,_2,_3,_4 from ossobject')}</Expression><InputSerialization><CSV><FileHeaderInfo>Use</FileHeaderInfo><RecordDelimiter>${b64('\r\n')}</RecordDelimiter><FieldDelimiter>${b64(',')}</FieldDelimiter><QuoteCharacter>${b64('"')}</QuoteCharacter><CommentCharacter>${b64('#')}</CommentCharacter></CSV></InputSerialization>${raw ? '<OutputSerialization><OutputRawData>true</OutputRawData></OutputSerialization>' : ''}<Options><SkipPartialDataRecord>true</SkipPartialDataRecord><MaxSkippedRecordsAllowed>${max}</MaxSkippedRecordsAllowed></Options></SelectRequest>`,
    });
    for (const raw of [false, true]) {
      const refused = failsWith(await select(1, raw), 'InvalidCsvLine', 400);
      assert.match(refused.err?.Message ?? '', /More than 1 records/);
      const ok = succeeds(await select(5, raw), 206);
      assert.ok(ok.text.includes('Lora Francis') && ok.text.includes('Lawrence Ross'), ok.text);
    }
  });

  it('CreateSelectObjectMeta stores its result with the object: without OverwriteIfExists a second one answers it, whatever its delimiters (ObjectSelectTest CreateSelectObjectMeta_Delimiters)', async () => {
    const b64 = (t: string): string => Buffer.from(t, 'utf8').toString('base64');
    const key = 'select-object-meta-delimiters';
    const data = 'abc,def123,456|7891334\n777,888|999,222012345\n\n';
    succeeds(await signedRequest(srv.port, 'PUT', B, key, [], { body: data }));
    // The CSV meta end frame (docs/select.md): offset 8, scanned 8, status 4, splits 4, rows 8, columns 4.
    const meta = async (field: string, record: string, overwrite?: boolean, k = key): Promise<[number, number, number, number]> => {
      const body = `<CsvMetaRequest><InputSerialization><CSV><RecordDelimiter>${b64(record)}</RecordDelimiter><FieldDelimiter>${b64(field)}</FieldDelimiter></CSV></InputSerialization>${overwrite === undefined ? '' : `<OverwriteIfExists>${overwrite}</OverwriteIfExists>`}</CsvMetaRequest>`;
      const res = succeeds(await signedRequest(srv.port, 'POST', B, k, [['x-oss-process', 'csv/meta']], { body }));
      let at = 0;
      for (;;) {
        const type = res.body.readUInt32BE(at) & 0xffffff;
        const len = res.body.readUInt32BE(at + 4);
        const p = res.body.subarray(at + 12, at + 12 + len);
        if (type === 8388614) return [p.readUInt32BE(16), p.readUInt32BE(20), Number(p.readBigUInt64BE(24)), p.readUInt32BE(32)];
        at += 12 + len + 4;
      }
    };
    // [status, splits, rows, columns]
    assert.deepEqual(await meta(',', '\n'), [200, 1, 3, 3]);
    assert.deepEqual(await meta('|', '\n\n'), [200, 1, 3, 3], 'the stored meta, not one of these delimiters');
    assert.deepEqual(await meta('|', '\n\n', false), [200, 1, 3, 3]);
    assert.deepEqual(await meta('|', '\n\n', true), [200, 1, 1, 3], 'scanned again and stored');
    assert.deepEqual(await meta(',', '\n'), [200, 1, 1, 3]);
    // Other bytes under the key (a new PutObject, an append) have no meta until one is made of them.
    succeeds(await signedRequest(srv.port, 'PUT', B, key, [], { body: data }));
    assert.deepEqual(await meta(',', '\n'), [200, 1, 3, 3]);
    const appended = 'meta-append.csv';
    succeeds(await signedRequest(srv.port, 'POST', B, appended, [['append', ''], ['position', '0']], { body: 'a,b\n' }));
    assert.deepEqual(await meta(',', '\n', undefined, appended), [200, 1, 1, 2]);
    succeeds(await signedRequest(srv.port, 'POST', B, appended, [['append', ''], ['position', '4']], { body: 'c,d,e\n' }));
    assert.deepEqual(await meta(',', '\n', undefined, appended), [200, 1, 2, 3]);
  });
});
