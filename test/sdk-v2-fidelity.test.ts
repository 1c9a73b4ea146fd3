// What the Go and Python SDK v2's own integration tests read from OSS (aliyun/alibabacloud-oss-go-sdk-v2
// oss/client_integration_test.go; alibabacloud-oss-python-sdk-v2 tests/integration), replayed through ali-oss and
// signed raw requests against a real server: the ECs they compare, headers they dereference.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { expectOssError, rawObjectRequest } from './helpers/oss.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';

let srv: TestServer;
const B = 'sdkv2-fidelity';

before(async () => {
  srv = await startTestServer();
  await srv.client().putBucket(B);
});
after(async () => {
  await srv.stop();
});

describe('SDK v2 integration tests: ECs and headers', () => {
  it('NoSuchUpload carries the EC of the operation: UploadPart 0042-00000104, UploadPartCopy 0042-00000311, ListParts 0042-00000002', async () => {
    const c = srv.client({ bucket: B });
    await c.put('src', Buffer.from('source bytes'));
    const init = await c.initMultipartUpload('mp');
    await c.abortMultipartUpload('mp', init.uploadId);
    const part = await signedRequest(srv.port, 'PUT', B, 'mp', [['partNumber', '1'], ['uploadId', init.uploadId]], { body: 'x' });
    failsWith(part, 'NoSuchUpload', 404, '0042-00000104');
    const copy = await signedRequest(srv.port, 'PUT', B, 'mp', [['partNumber', '1'], ['uploadId', init.uploadId]], { headers: { 'x-oss-copy-source': `/${B}/src` } });
    failsWith(copy, 'NoSuchUpload', 404, '0042-00000311');
    failsWith(await signedRequest(srv.port, 'GET', B, 'mp', [['uploadId', init.uploadId]]), 'NoSuchUpload', 404, '0042-00000002');
  });

  it('CompleteMultipartUpload with x-oss-complete-all and a body: InvalidArgument, EC 0042-00000216', async () => {
    const c = srv.client({ bucket: B });
    const init = await c.initMultipartUpload('all');
    const r = await signedRequest(srv.port, 'POST', B, 'all', [['uploadId', init.uploadId]], {
      headers: { 'x-oss-complete-all': 'yes', 'content-type': 'application/xml' },
      body: '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>',
    });
    failsWith(r, 'InvalidArgument', 400, '0042-00000216');
    await c.abortMultipartUpload('all', init.uploadId);
  });

  it('an unknown AccessKeyId: EC 0002-00000902 under V4, 0002-00000002 under V1', async () => {
    for (const [v4, ec] of [[true, '0002-00000902'], [false, '0002-00000002']] as const) {
      const stranger = new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: 'LTAI-no-such-key', accessKeySecret: 'nope', bucket: B, authorizationV4: v4 });
      const err = await expectOssError(stranger.put('k', Buffer.from('x')), 'InvalidAccessKeyId', 403);
      assert.equal(err.ecCode, ec, `V4: ${v4}`);
    }
  });

  it('DeleteObject ?versionId=null: no x-oss-version-id on a bucket that never had versioning; `null` once it has', async () => {
    const c = srv.client({ bucket: B });
    await c.put('plain', Buffer.from('p'));
    const r = await rawObjectRequest(c, 'DELETE', 'plain', { subres: { versionId: 'null' }, successStatuses: [204] });
    assert.equal(r.res.headers['x-oss-version-id'], undefined);
    await srv.client().putBucket('sdkv2-versioned');
    const v = srv.client({ bucket: 'sdkv2-versioned' });
    await v.put('old', Buffer.from('before versioning'));
    succeeds(await signedRequest(srv.port, 'PUT', 'sdkv2-versioned', null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    // UploadPartCopy of the version written before versioning, named `null`: answered as such (TestUploadPartCopy).
    const init = await v.initMultipartUpload('copy');
    const copy = succeeds(await signedRequest(srv.port, 'PUT', 'sdkv2-versioned', 'copy', [['partNumber', '1'], ['uploadId', init.uploadId]], { headers: { 'x-oss-copy-source': '/sdkv2-versioned/old?versionId=null' } }));
    assert.equal(copy.headers['x-oss-copy-source-version-id'], 'null');
    await v.abortMultipartUpload('copy', init.uploadId);
    const del = await rawObjectRequest(v, 'DELETE', 'old', { subres: { versionId: 'null' }, successStatuses: [204] });
    assert.equal(del.res.headers['x-oss-version-id'], 'null');
  });

  it('CopyObject REPLACE without Content-Type keeps the source\'s, and keeps its client-side encryption metadata', async () => {
    const c = srv.client({ bucket: B });
    await c.put('cse-src', Buffer.from('sealed'), { headers: { 'Content-Type': 'text/plain', 'x-oss-meta-client-side-encryption-key': 'wrapped-key', 'x-oss-meta-client-side-encryption-start': 'iv', 'x-oss-meta-plain': 'old' } } as OSS.PutObjectOptions);
    succeeds(await signedRequest(srv.port, 'PUT', B, 'cse-dst', [], {
      headers: { 'x-oss-copy-source': `/${B}/cse-src`, 'x-oss-metadata-directive': 'REPLACE', 'x-oss-meta-flag': 'new' },
    }));
    const head = await c.head('cse-dst');
    const h = head.res.headers as Record<string, string>;
    assert.equal(h['content-type'], 'text/plain');
    assert.equal(h['x-oss-meta-client-side-encryption-key'], 'wrapped-key');
    assert.equal(h['x-oss-meta-client-side-encryption-start'], 'iv');
    assert.equal(h['x-oss-meta-flag'], 'new');
    assert.equal(h['x-oss-meta-plain'], undefined, 'other metadata is replaced');
    // A Content-Type the request sends is taken.
    succeeds(await signedRequest(srv.port, 'PUT', B, 'cse-dst2', [], {
      headers: { 'x-oss-copy-source': `/${B}/cse-src`, 'x-oss-metadata-directive': 'REPLACE', 'content-type': 'application/json' },
    }));
    assert.equal((await c.head('cse-dst2')).res.headers['content-type' as keyof object], 'application/json');
  });
});
