// OSS through the unchanged Tea SDK @alicloud/oss20190517 (on @alicloud/openapi-client + @alicloud/gateway-oss,
// signature V1), virtual-hosted as it always addresses buckets: `<bucket>.localhost:<port>` (the test resolves
// `*.localhost` to 127.0.0.1, which plain Linux does not). Only calls this SDK can complete against the cloud
// are driven here: its own defects (docs/compatibility.md, "@alicloud/oss20190517") break the others the same
// way against OSS, e.g. every answer with an empty XML body, or a one-element list.
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { Ram } from './helpers/ram.js';
import { assumeRole, roleArn, stsClient } from './helpers/sts.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- CommonJS SDKs without usable ESM types */
const OSS: any = require('@alicloud/oss20190517');
const { Config }: any = require('@alicloud/openapi-client');
const { RuntimeOptions }: any = require('@alicloud/tea-util');
type Tea = any;
interface TeaError { code: string | number; statusCode: number; message: string; data: Record<string, any> }
/* eslint-enable @typescript-eslint/no-explicit-any */

const BUCKET = 'tea-bucket';
const body = (s: string | Buffer): Readable => Readable.from([Buffer.from(s)]);
const text = async (r: Readable): Promise<string> => {
  let s = '';
  for await (const c of r) s += String(c);
  return s;
};

async function teaFails(call: Promise<unknown>, code: string | number, status: number): Promise<TeaError> {
  try {
    await call;
  } catch (e) {
    const err = e as TeaError;
    assert.equal(err.code, code, err.message);
    assert.equal(err.statusCode, status);
    assert.match(err.data.requestId as string, /^[0-9A-F]{24}$/);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('@alicloud/oss20190517 (Tea OSS SDK, V1 signatures, virtual-hosted)', () => {
  let srv: TestServer;
  let oss: Tea;
  const realLookup = dns.lookup;
  const client = (o: Record<string, string> = {}): Tea =>
    new OSS.default(new Config({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: `localhost:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou', ...o }));

  before(async () => {
    // `<bucket>.localhost` → 127.0.0.1 for this process (what wildcard DNS or /etc/hosts does for a real user).
    const patched = ((host: string, ...rest: unknown[]) => (realLookup as (...a: unknown[]) => void)(/\.localhost$/i.test(host) ? '127.0.0.1' : host, ...rest)) as typeof dns.lookup;
    dns.lookup = patched;
    srv = await startTestServer();
    oss = client();
    await srv.client().putBucket(BUCKET);
  });
  after(async () => {
    dns.lookup = realLookup;
    await srv.stop();
  });

  it('objects: put with metadata headers, get (range, response-*), head, objectMeta, copy, delete', async () => {
    const put = await oss.putObjectWithOptions(BUCKET, 'dir/a.txt', new OSS.PutObjectRequest({ body: body('hello tea') }),
      new OSS.PutObjectHeaders({ commonHeaders: { 'cache-control': 'no-cache' }, tagging: 'k=v&k2=v2', storageClass: 'IA' }), new RuntimeOptions({}));
    assert.equal(put.statusCode, 200);
    assert.match(put.headers.etag, /^"[0-9A-F]{32}"$/);
    await oss.putObject(BUCKET, 'dir/b.txt', new OSS.PutObjectRequest({ body: body('b') }));

    const got = await oss.getObject(BUCKET, 'dir/a.txt', new OSS.GetObjectRequest({ responseContentType: 'text/x-tea' }));
    assert.equal(await text(got.body), 'hello tea');
    assert.deepEqual([got.headers['content-type'], got.headers['cache-control'], got.headers['x-oss-storage-class'], got.headers['x-oss-tagging-count']], ['text/x-tea', 'no-cache', 'IA', '2']);
    const part = await oss.getObjectWithOptions(BUCKET, 'dir/a.txt', new OSS.GetObjectRequest({}), new OSS.GetObjectHeaders({ range: 'bytes=0-4' }), new RuntimeOptions({}));
    assert.deepEqual([part.statusCode, part.headers['content-range'], await text(part.body)], [206, 'bytes 0-4/9', 'hello']);

    const head = await oss.headObject(BUCKET, 'dir/a.txt', new OSS.HeadObjectRequest({}));
    assert.deepEqual([head.statusCode, head.headers['content-length'], head.headers['x-oss-object-type']], [200, '9', 'Normal']);
    const meta = await oss.getObjectMeta(BUCKET, 'dir/a.txt', new OSS.GetObjectMetaRequest({}));
    assert.equal(meta.headers.etag, head.headers.etag);

    const copy = await oss.copyObjectWithOptions(BUCKET, 'dir/c.txt', new OSS.CopyObjectHeaders({ copySource: `/${BUCKET}/dir/a.txt` }), new RuntimeOptions({}));
    assert.equal(copy.body.ETag, head.headers.etag);
    assert.match(copy.body.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    await teaFails(oss.copyObjectWithOptions(BUCKET, 'dir/c.txt', new OSS.CopyObjectHeaders({ copySource: `/${BUCKET}/dir/a.txt`, forbidOverwrite: 'true' }), new RuntimeOptions({})), 'FileAlreadyExists', 409);

    const tags = await oss.getObjectTagging(BUCKET, 'dir/a.txt', new OSS.GetObjectTaggingRequest({}));
    assert.deepEqual(tags.body.tagSet.tags.map((t: { key: string; value: string }) => `${t.key}=${t.value}`), ['k=v', 'k2=v2']);
    const acl = await oss.getObjectAcl(BUCKET, 'dir/a.txt', new OSS.GetObjectAclRequest({}));
    assert.equal(acl.body.owner.ID, ACCOUNT_ID);

    assert.equal((await oss.deleteObject(BUCKET, 'dir/c.txt', new OSS.DeleteObjectRequest({}))).statusCode, 204);
  });

  it('bucket info, ACL, location; listing v1 and v2 with delimiter, url encoding, paging', async () => {
    const info = (await oss.getBucketInfo(BUCKET)).body.bucket;
    assert.deepEqual([info.name, info.location, info.storageClass, info.owner.ID, info.accessControlList.grant], [BUCKET, 'oss-cn-hangzhou', 'Standard', ACCOUNT_ID, 'private']);
    assert.equal((await oss.getBucketAcl(BUCKET)).body.accessControlList.grant, 'private');
    assert.equal((await oss.getBucketLocation(BUCKET)).body.locationConstraint, 'oss-cn-hangzhou');

    for (const k of ['e/1', 'f/1', 'sp ace/1', 'top1', 'top2']) await oss.putObject(BUCKET, k, new OSS.PutObjectRequest({ body: body(k) }));
    const v1 = (await oss.listObjects(BUCKET, new OSS.ListObjectsRequest({ delimiter: '/', encodingType: 'url' }))).body;
    assert.deepEqual(v1.commonPrefixes.map((p: { prefix: string }) => p.prefix), ['dir%2F', 'e%2F', 'f%2F', 'sp%20ace%2F']);
    assert.deepEqual(v1.contents.map((c: { key: string }) => c.key), ['top1', 'top2']);
    assert.deepEqual([v1.encodingType, v1.delimiter, v1.isTruncated], ['url', '%2F', false]);
    const page = (await oss.listObjects(BUCKET, new OSS.ListObjectsRequest({ maxKeys: 2, marker: 'e/1' }))).body;
    assert.deepEqual([page.contents.map((c: { key: string }) => c.key), page.isTruncated, page.nextMarker], [['f/1', 'sp ace/1'], true, 'sp ace/1']);
    const v2 = (await oss.listObjectsV2(BUCKET, new OSS.ListObjectsV2Request({ prefix: 'dir/', startAfter: 'dir/', fetchOwner: true }))).body;
    assert.deepEqual(v2.contents.map((c: { key: string }) => c.key), ['dir/a.txt', 'dir/b.txt']);
    assert.deepEqual([v2.keyCount, v2.startAfter, v2.contents[0].owner.ID], [2, 'dir/', ACCOUNT_ID]);
    await teaFails(oss.listObjects(BUCKET, new OSS.ListObjectsRequest({ maxKeys: 5000 })), 'InvalidArgument', 400);
  });

  it('multipart: initiate, list uploads and parts (two of each), abort', async () => {
    const ids: string[] = [];
    for (const k of ['mp/1', 'mp/2']) ids.push((await oss.initiateMultipartUpload(BUCKET, k, new OSS.InitiateMultipartUploadRequest({}))).body.uploadId);
    const ups = (await oss.listMultipartUploads(BUCKET, new OSS.ListMultipartUploadsRequest({}))).body;
    assert.deepEqual(ups.uploads.map((u: { key: string; uploadId: string }) => `${u.key}:${u.uploadId}`), [`mp/1:${ids[0]}`, `mp/2:${ids[1]}`]);
    // uploadPart's empty 200 body is more than the SDK can read (see the header comment): send the parts with ali-oss.
    const ali = srv.client({ bucket: BUCKET });
    await ali.uploadPart('mp/1', ids[0]!, 1, Buffer.alloc(100 * 1024, 1), 0, 100 * 1024);
    await ali.uploadPart('mp/1', ids[0]!, 2, Buffer.from('end'), 0, 3);
    const parts = (await oss.listParts(BUCKET, 'mp/1', new OSS.ListPartsRequest({ uploadId: ids[0] }))).body;
    assert.deepEqual(parts.part.map((p: { partNumber: number; size: number }) => `${p.partNumber}:${p.size}`), ['1:102400', '2:3']);
    assert.equal((await oss.abortMultipartUpload(BUCKET, 'mp/2', new OSS.AbortMultipartUploadRequest({ uploadId: ids[1] }))).statusCode, 204);
    await teaFails(oss.abortMultipartUpload(BUCKET, 'mp/2', new OSS.AbortMultipartUploadRequest({ uploadId: ids[1] })), 'NoSuchUpload', 404);
  });

  it('errors: code, message, requestId and hostId as the SDK reads them from OSS', async () => {
    const noKey = await teaFails(oss.getObject(BUCKET, 'nope', new OSS.GetObjectRequest({})), 'NoSuchKey', 404);
    assert.equal(noKey.message, 'NoSuchKey: The specified key does not exist.');
    assert.equal(noKey.data.hostId, `${BUCKET}.localhost:${srv.port}`); // the Host as sent, its port included
    // HEAD answers carry no body: the SDK reports the status as the code and the x-oss-request-id header.
    await teaFails(oss.headObject(BUCKET, 'nope', new OSS.HeadObjectRequest({})), 404, 404);
    await teaFails(oss.getBucketInfo('no-such-bucket-tea'), 'NoSuchBucket', 404);
    await teaFails(oss.putObjectWithOptions(BUCKET, 'top1', new OSS.PutObjectRequest({ body: body('x') }), new OSS.PutObjectHeaders({ forbidOverwrite: 'true' }), new RuntimeOptions({})), 'FileAlreadyExists', 409);
    await teaFails(client({ accessKeySecret: 'wrong' }).getBucketInfo(BUCKET), 'SignatureDoesNotMatch', 403);
    await teaFails(client({ accessKeyId: 'LTAI5tNoSuchKey0000' }).getBucketInfo(BUCKET), 'InvalidAccessKeyId', 403);

    const user = await new Ram(srv).user('tea-user');
    const asUser = client({ accessKeyId: user.accessKeyId, accessKeySecret: user.accessKeySecret });
    const denied = await teaFails(asUser.getObject(BUCKET, 'top1', new OSS.GetObjectRequest({})), 'AccessDenied', 403);
    assert.match(denied.message, /^AccessDenied: /);
    await teaFails(asUser.listBuckets(new OSS.ListBucketsRequest({})), 'AccessDenied', 403);
  });

  it('STS credentials: the SDK sends x-oss-security-token; a damaged token is InvalidSecurityToken', async () => {
    const ram = new Ram(srv);
    const user = await ram.user('tea-sts');
    await ram.call('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'AliyunSTSAssumeRoleAccess', UserName: 'tea-sts' });
    await ram.call('CreateRole', { RoleName: 'tea-reader', AssumeRolePolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }] }) });
    await ram.call('AttachPolicyToRole', { PolicyType: 'System', PolicyName: 'AliyunOSSReadOnlyAccess', RoleName: 'tea-reader' });
    const creds = (await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), { RoleArn: roleArn('tea-reader'), RoleSessionName: 'tea' })).Credentials as Record<string, string>;
    const session = client({ accessKeyId: creds.AccessKeyId!, accessKeySecret: creds.AccessKeySecret!, securityToken: creds.SecurityToken! });
    assert.equal(await text((await session.getObject(BUCKET, 'top1', new OSS.GetObjectRequest({}))).body), 'top1');
    await teaFails(session.putObject(BUCKET, 'top3', new OSS.PutObjectRequest({ body: body('x') })), 'AccessDenied', 403);
    const bad = client({ accessKeyId: creds.AccessKeyId!, accessKeySecret: creds.AccessKeySecret!, securityToken: `${creds.SecurityToken}x` });
    await teaFails(bad.getObject(BUCKET, 'top1', new OSS.GetObjectRequest({})), 'InvalidSecurityToken', 403);
  });
});
