// An explicit Deny on each resource the operations added or changed in the 4 Dec stop touch (docs/policy.md):
// CompleteMultipartUpload's x-oss-object-acl (oss:PutObjectAcl on the object), PutBucketLogging's target
// (oss:PutObject in the target bucket), bucket-level ListAccessPoints (oss:ListAccessPoints on the bucket),
// GET ?processConfiguration (oss:GetProcessConfiguration on the bucket), and the website index document served
// for a signed GET of a missing `dir/` key (oss:GetObject on the index). Each user is otherwise allowed oss:*.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const B = 'deny-new-ops';
const OTHER = 'deny-new-ops-other';
const allowAll = { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] };

describe('an explicit Deny on each resource of the new and changed operations', () => {
  let srv: TestServer;
  let ram: Ram;
  const creds = async (name: string, deny: { Action: string[]; Resource: string[] }): Promise<[string, string]> => {
    const u = await ram.userWith(name, policyDoc(allowAll, { Effect: 'Deny', ...deny }));
    return [u.accessKeyId, u.accessKeySecret];
  };
  const send = async (method: string, bucket: string, query: Array<[string, string]>, c: [string, string] | null) => {
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
    if (c !== null) headers.authorization = v1Authorization({ method, bucket, key: null, query, headers }, c[0], c[1]).authorization;
    const qs = query.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&');
    const res = await rawRequest(srv.port, { method, path: `/${bucket}/?${qs}`, headers });
    return { status: res.status, code: errorOf(res)?.Code, text: res.body.toString() };
  };

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    for (const b of [B, OTHER]) await srv.client().putBucket(b);
  });
  after(async () => srv?.stop());

  it('CompleteMultipartUpload with x-oss-object-acl: a Deny on oss:PutObjectAcl for the object refuses it, nothing completed', async () => {
    const c = await creds('deny-mpu-acl', { Action: ['oss:PutObjectAcl'], Resource: [`acs:oss:*:*:${B}/mpu.bin`] });
    const user = srv.client({ bucket: B, accessKeyId: c[0], accessKeySecret: c[1] });
    const { uploadId } = await user.initMultipartUpload('mpu.bin');
    const part = await user.uploadPart('mpu.bin', uploadId, 1, Buffer.from('x'.repeat(100)), 0, 100);
    const parts = [{ number: 1, etag: part.etag }];
    await assert.rejects(user.completeMultipartUpload('mpu.bin', uploadId, parts, { headers: { 'x-oss-object-acl': 'public-read' } }), (e: { status?: number; code?: string }) => e.status === 403 && e.code === 'AccessDenied');
    await assert.rejects(srv.client({ bucket: B }).head('mpu.bin'), (e: { status?: number }) => e.status === 404);
    // Without the header the same user completes it.
    assert.equal((await user.completeMultipartUpload('mpu.bin', uploadId, parts)).res.status, 200);
  });

  it('PutBucketLogging: a Deny on oss:PutObject in the target prefix refuses it, nothing stored', async () => {
    // ali-oss logs a bucket into itself: the target is B, the log objects B/logs/<source>….
    const c = await creds('deny-log-target', { Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:${B}/logs/*`] });
    const user = srv.client({ bucket: B, accessKeyId: c[0], accessKeySecret: c[1] });
    await assert.rejects(user.putBucketLogging(B, 'logs/'), (e: { status?: number; code?: string }) => e.status === 403 && e.code === 'AccessDenied');
    assert.equal((await srv.client().getBucketLogging(B)).enable, false);
    // With the Deny on another prefix the same call is allowed.
    const other = await creds('deny-log-other', { Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:${B}/elsewhere/*`] });
    assert.equal((await srv.client({ bucket: B, accessKeyId: other[0], accessKeySecret: other[1] }).putBucketLogging(B, 'logs/') as unknown as { res: { status: number } }).res.status, 200);
  });

  it('bucket-level ListAccessPoints: a Deny on oss:ListAccessPoints for the bucket refuses it there, not on another bucket', async () => {
    const c = await creds('deny-list-ap', { Action: ['oss:ListAccessPoints'], Resource: [`acs:oss:*:*:${B}`] });
    const denied = await send('GET', B, [['accessPoint', '']], c);
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.code, 'AccessDenied');
    assert.equal((await send('GET', OTHER, [['accessPoint', '']], c)).status, 200);
  });

  it('GET ?processConfiguration: a Deny on oss:GetProcessConfiguration for the bucket refuses it; anonymous is refused on a public-read bucket', async () => {
    const c = await creds('deny-process-conf', { Action: ['oss:GetProcessConfiguration'], Resource: [`acs:oss:*:*:${B}`] });
    const denied = await send('GET', B, [['processConfiguration', '']], c);
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.code, 'AccessDenied');
    assert.equal((await send('GET', OTHER, [['processConfiguration', '']], c)).status, 200);
    await srv.client().putBucketACL(OTHER, 'public-read');
    assert.equal((await send('GET', OTHER, [['processConfiguration', '']], null)).status, 403);
  });

  it('the website index served for a missing dir/ key: a Deny on oss:GetObject for the index keeps NoSuchKey, and the index bytes are not sent', async () => {
    const root = srv.client({ bucket: B });
    await root.putBucketWebsite(B, { index: 'index.html' });
    await root.put('index.html', Buffer.from('<p>the index</p>'), { headers: { 'Content-Type': 'text/html' } });
    const c = await creds('deny-index', { Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${B}/index.html`] });
    const user = srv.client({ bucket: B, accessKeyId: c[0], accessKeySecret: c[1] });
    await assert.rejects(user.get('docs/'), (e: { status?: number; code?: string }) => e.status === 404 && e.code === 'NoSuchKey');
    // Without the Deny the index is what a GET of docs/ answers.
    assert.equal((await root.get('docs/')).content.toString(), '<p>the index</p>');
  });

  // 6 Dec: the bucket configurations outside the API metadata that the Go SDK v2's suite calls (oss/operations.ts
  // UNPUBLISHED_BUCKET_CONFIGS), each authorized as oss:<its name> on the bucket [UNVERIFIED: OSS's action names].
  const unpublished: Array<[string, string, string]> = [
    ['PUT', 'overwriteConfig', 'PutBucketOverwriteConfig'], ['GET', 'overwriteConfig', 'GetBucketOverwriteConfig'], ['DELETE', 'overwriteConfig', 'DeleteBucketOverwriteConfig'],
    ['PUT', 'quota', 'PutBucketStorageQuota'], ['GET', 'quota', 'GetBucketStorageQuota'], ['DELETE', 'quota', 'DeleteBucketStorageQuota'],
    ['POST', 'metadataConfiguration', 'CreateBucketMetadataConfiguration'], ['GET', 'metadataConfiguration', 'GetBucketMetadataConfiguration'],
    ['DELETE', 'metadataConfiguration', 'DeleteBucketMetadataConfiguration'], ['PUT', 'metadataInventoryTable', 'UpdateBucketMetadataInventoryTableConfiguration'],
    ['PUT', 'metadataJournalTable', 'UpdateBucketMetadataJournalTableConfiguration'],
  ];
  it('overwrite rules, storage quota, metadata tables: a Deny on oss:<operation> for the bucket refuses each; ACLs grant none', async () => {
    await srv.client().putBucketACL(OTHER, 'public-read-write');
    for (const [method, sub, name] of unpublished) {
      const c = await creds(`deny-${name.toLowerCase().slice(0, 50)}`, { Action: [`oss:${name}`], Resource: [`acs:oss:*:*:${B}`] });
      const denied = await send(method, B, [[sub, '']], c);
      assert.equal(denied.code, 'AccessDenied', `${name}: ${denied.text}`);
      // The same user on another bucket is past authorization (whatever the handler then says of an empty request).
      assert.notEqual((await send(method, OTHER, [[sub, '']], c)).code, 'AccessDenied', name);
      // An anonymous caller on a public-read-write bucket: configurations are the owner's and the policies' to grant.
      assert.equal((await send(method, OTHER, [[sub, '']], null)).code, 'AccessDenied', `${name} anonymous`);
    }
    await srv.client().putBucketACL(OTHER, 'private');
  });
});
