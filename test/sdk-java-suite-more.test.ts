// What the Java SDK's integration tests (aliyun/aliyun-oss-java-sdk src/test/java/com/aliyun/oss/integrationtests/)
// expect of OSS, fourth reading: the items the third left open. Requests as the SDK's request builders make them
// (path style, V1 header signature; test/sdk-java-suite-fidelity.test.ts has the same sender).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';
import { encodeKey } from './helpers/raw-http.js';
import { sdkSignedRequest, signedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';
import { xmlText } from './helpers/oss.js';
import { Ram } from './helpers/ram.js';

describe('the Java SDK integration tests, fourth reading', () => {
  let srv: TestServer;
  const send = (r: SdkRequest): Promise<SdkReply> => sdkSignedRequest(srv.port, r, encodeKey);

  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  it('the authenticated-read canned ACL: set and read back on the bucket, in GetBucketInfo, reads for any signed caller and none for anonymous ones (BucketInfoTest.testGetBucketInfoWithAuthenticatedRead)', async () => {
    const bucket = 'java-authenticated-read';
    assert.equal((await send({ method: 'PUT', bucket })).status, 200);
    assert.equal((await send({ method: 'PUT', bucket, key: 'o', body: 'data' })).status, 200);
    // setBucketAcl(bucket, CannedAccessControlList.AuthenticatedRead): x-oss-acl: authenticated-read.
    const put = await send({ method: 'PUT', bucket, query: [['acl', '']], headers: { 'x-oss-acl': 'authenticated-read' } });
    assert.equal(put.status, 200, put.text);
    assert.equal(xmlText((await send({ method: 'GET', bucket, query: [['acl', '']] })).text, 'Grant'), 'authenticated-read');
    // BucketInfo's canned ACL is read from AccessControlList/Grant.
    assert.equal(xmlText((await send({ method: 'GET', bucket, query: [['bucketInfo', '']] })).text, 'Grant'), 'authenticated-read');

    // What it grants: reads to any caller that signs (here a RAM user without any policy), nothing to anonymous ones.
    const user = await new Ram(srv).user('authenticated-reader');
    const creds: [string, string] = [user.accessKeyId, user.accessKeySecret];
    const read = await signedRequest(srv.port, 'GET', bucket, 'o', [], { creds });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.text, 'data');
    assert.equal((await signedRequest(srv.port, 'GET', bucket, null, [], { creds })).status, 200, 'ListObjects is a read');
    assert.equal((await signedRequest(srv.port, 'PUT', bucket, 'w', [], { creds, body: 'x' })).status, 403, 'no writes');
    const anonymous = await fetch(`${srv.url}/${bucket}/o`);
    assert.equal(anonymous.status, 403);

    // An object may carry it too; Block Public Access counts it as public (it opens the data beyond the account).
    assert.equal((await send({ method: 'PUT', bucket, query: [['acl', '']], headers: { 'x-oss-acl': 'private' } })).status, 200);
    assert.equal((await send({ method: 'PUT', bucket, key: 'o', query: [['acl', '']], headers: { 'x-oss-object-acl': 'authenticated-read' } })).status, 200);
    assert.equal(xmlText((await send({ method: 'GET', bucket, key: 'o', query: [['acl', '']] })).text, 'Grant'), 'authenticated-read');
    assert.equal((await signedRequest(srv.port, 'GET', bucket, 'o', [], { creds })).status, 200);
    const block = '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>';
    assert.equal((await send({ method: 'PUT', bucket, query: [['publicAccessBlock', '']], body: block })).status, 200);
    assert.equal((await signedRequest(srv.port, 'GET', bucket, 'o', [], { creds })).status, 403, 'blocked: as private');
    const refused = await send({ method: 'PUT', bucket, query: [['acl', '']], headers: { 'x-oss-acl': 'authenticated-read' } });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.err?.Message, 'Put public bucket acl is not allowed.');
  });
});
