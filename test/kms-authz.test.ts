// Using a KMS key is authorized as in OSS (docs/encryption.md, "Who may use a KMS key"): a write encrypted with
// KMS (x-oss-server-side-encryption: KMS, or a bucket whose default encryption is KMS) needs kms:GenerateDataKey
// and kms:Decrypt on the key, reading the bytes of a KMS-encrypted object needs kms:Decrypt, decided on the key's
// ARN acs:kms:<region>:<bucket owner>:key/<key id> by the caller's identity and session policies; the account
// root is not limited, objects not encrypted with KMS need nothing more. RAM users act through unchanged ali-oss.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';
import { expectOssError, headersOf, statusOf } from './helpers/oss.js';
import { parseErrorXml } from './helpers/raw-http.js';
import { denied, policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const BUCKET = 'kms-authz';
/** Its default encryption is KMS with app-key. */
const DEFAULT_KMS = 'kms-authz-default';
const KMS = 'This request is forbidden by kms.';
const AUTHORIZER = "Access denied by authorizer's policy.";

const OSS_ALL = { Effect: 'Allow', Action: 'oss:*', Resource: 'acs:oss:*:*:*' };
const useKey = (key: string, region = '*') => ({ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: `acs:kms:${region}:${ACCOUNT_ID}:key/${key}` });
const kmsHeaders = (key?: string) => ({ headers: { 'x-oss-server-side-encryption': 'KMS', ...(key === undefined ? {} : { 'x-oss-server-side-encryption-key-id': key }) } });

type Encryptable = OSS & { putBucketEncryption(name: string, opts: { SSEAlgorithm: string; KMSMasterKeyID?: string }): Promise<unknown> };

describe('using a KMS key needs kms: permissions on it', () => {
  let srv: TestServer;
  let ram: Ram;
  let root: OSS;
  let ossOnly: RamUserHandle;
  let appKey: RamUserHandle;
  let anyKms: RamUserHandle;
  let otherKey: RamUserHandle;

  const absent = (key: string, bucket = BUCKET): Promise<unknown> => expectOssError(srv.client({ bucket }).head(key), 'NoSuchKey', 404);
  const body = async (client: OSS, key: string): Promise<string> => (await client.get(key)).content.toString();

  before(async () => {
    srv = await startTestServer({ kmsKeys: ['app-key', 'other-key'] });
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client().putBucket(DEFAULT_KMS);
    await (srv.client({ bucket: DEFAULT_KMS }) as Encryptable).putBucketEncryption(DEFAULT_KMS, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'app-key' });
    root = srv.client({ bucket: BUCKET });
    await root.put('src/kms', Buffer.from('kms secret'), kmsHeaders('app-key'));
    await root.put('src/default-key', Buffer.from('default key secret'), kmsHeaders());
    await root.put('src/aes', Buffer.from('aes secret'), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    await root.put('src/plain', Buffer.from('plain'));
    await root.putSymlink('src/link-to-kms', 'src/kms');
    await srv.client({ bucket: DEFAULT_KMS }).put('by-default', Buffer.from('encrypted by the bucket default'));
    ossOnly = await ram.userWith('oss-only', policyDoc(OSS_ALL));
    appKey = await ram.userWith('app-key-user', policyDoc(OSS_ALL, useKey('app-key')));
    anyKms = await ram.userWith('any-kms', policyDoc(OSS_ALL, { Effect: 'Allow', Action: 'kms:*', Resource: '*' }));
    otherKey = await ram.userWith('other-key-user', policyDoc(OSS_ALL, useKey('other-key')));
  });
  after(() => srv.stop());

  it('oss:* alone: KMS writes are refused with the KMS message and store nothing', async () => {
    const oss = ossOnly.oss(BUCKET);
    await denied(oss.put('w/put', Buffer.from('x'), kmsHeaders('app-key')), KMS);
    await denied(oss.put('w/put-default-key', Buffer.from('x'), kmsHeaders()), KMS);
    await denied(oss.append('w/append', Buffer.from('x'), kmsHeaders('app-key')), KMS);
    await denied(oss.initMultipartUpload('w/mp', kmsHeaders('app-key')), KMS);
    await denied(oss.copy('w/copy', `/${BUCKET}/src/plain`, kmsHeaders('app-key')), KMS);
    for (const k of ['w/put', 'w/put-default-key', 'w/append', 'w/copy']) await absent(k);
    assert.equal((await root.listUploads({ prefix: 'w/' }, {})).uploads.length, 0);
    // The bucket's default encryption is KMS: a write without any header uses the key all the same.
    await denied(ossOnly.oss(DEFAULT_KMS).put('w/default', Buffer.from('x')), KMS);
    await absent('w/default', DEFAULT_KMS);
    // The whole refusal: 403 AccessDenied.
    const err = await expectOssError(oss.put('w/put', Buffer.from('x'), kmsHeaders('app-key')), 'AccessDenied', 403);
    assert.equal(err.message, KMS);
  });

  it('oss:* alone: reading the bytes of a KMS object is refused; its metadata is not (HeadObject needs oss:GetObject only)', async () => {
    const oss = ossOnly.oss(BUCKET);
    await denied(oss.get('src/kms'), KMS);
    await denied(oss.get('src/default-key'), KMS);
    await denied(ossOnly.oss(DEFAULT_KMS).get('by-default'), KMS);
    // Through a symlink the bytes read are the target's.
    await denied(oss.get('src/link-to-kms'), KMS);
    // A copy reads (decrypts) its source, a part copy too.
    await denied(oss.copy('w/copied', `/${BUCKET}/src/kms`), KMS);
    await absent('w/copied');
    const { uploadId } = await oss.initMultipartUpload('w/part-copy');
    await denied(oss.uploadPartCopy('w/part-copy', uploadId, 1, '0-3', { sourceKey: 'src/kms', sourceBucketName: BUCKET }, {}), KMS);
    await oss.abortMultipartUpload('w/part-copy', uploadId);
    const head = await oss.head('src/kms');
    assert.equal(head.status, 200);
    assert.equal(headersOf(head)['x-oss-server-side-encryption'], 'KMS');
  });

  it('objects not encrypted with KMS need nothing more: AES256, SM4, none, and an explicit AES256 over a KMS bucket default', async () => {
    const oss = ossOnly.oss(BUCKET);
    // The same user, the same operations, under KMS: refused (so the successes below are the encryption's doing).
    await denied(oss.get('src/kms'), KMS);
    await denied(oss.put('n/kms', Buffer.from('k'), kmsHeaders('app-key')), KMS);
    await denied(ossOnly.oss(DEFAULT_KMS).put('n/default', Buffer.from('d')), KMS);
    assert.equal(await body(oss, 'src/aes'), 'aes secret');
    assert.equal(await body(oss, 'src/plain'), 'plain');
    assert.equal(statusOf(await oss.put('n/aes', Buffer.from('a'), { headers: { 'x-oss-server-side-encryption': 'AES256' } })), 200);
    assert.equal(statusOf(await oss.put('n/sm4', Buffer.from('s'), { headers: { 'x-oss-server-side-encryption': 'SM4' } })), 200);
    assert.equal(statusOf(await oss.put('n/plain', Buffer.from('p'))), 200);
    assert.equal(statusOf(await oss.append('n/append', Buffer.from('p'))), 200);
    assert.equal(statusOf(await oss.copy('n/copy', `/${BUCKET}/src/aes`)), 200);
    const put = await ossOnly.oss(DEFAULT_KMS).put('n/aes-over-default', Buffer.from('a'), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    assert.equal(headersOf(put)['x-oss-server-side-encryption'], 'AES256');
    assert.equal(await body(ossOnly.oss(DEFAULT_KMS), 'n/aes-over-default'), 'a');
  });

  it('with kms:GenerateDataKey and kms:Decrypt on the key (or kms:*) the same writes and reads work', async () => {
    for (const [name, user] of [['app', appKey], ['any', anyKms]] as const) {
      const oss = user.oss(BUCKET);
      const put = await oss.put(`${name}/put`, Buffer.from('x'), kmsHeaders('app-key'));
      assert.equal(headersOf(put)['x-oss-server-side-encryption-key-id'], 'app-key');
      assert.equal(statusOf(await oss.append(`${name}/append`, Buffer.from('x'), kmsHeaders('app-key'))), 200);
      const { uploadId } = await oss.initMultipartUpload(`${name}/mp`, kmsHeaders('app-key'));
      await oss.abortMultipartUpload(`${name}/mp`, uploadId);
      assert.equal(statusOf(await oss.copy(`${name}/copy`, `/${BUCKET}/src/kms`, kmsHeaders('app-key'))), 200);
      assert.equal(statusOf(await user.oss(DEFAULT_KMS).put(`${name}/default`, Buffer.from('d'))), 200);
      assert.equal(await body(oss, 'src/kms'), 'kms secret');
      assert.equal(await body(oss, 'src/link-to-kms'), 'kms secret');
      assert.equal(await body(oss, `${name}/copy`), 'kms secret');
      assert.equal(await body(user.oss(DEFAULT_KMS), 'by-default'), 'encrypted by the bucket default');
    }
    // kms:* covers the default key too; a policy naming app-key does not.
    assert.equal(await body(anyKms.oss(BUCKET), 'src/default-key'), 'default key secret');
    await denied(appKey.oss(BUCKET).get('src/default-key'), KMS);
    await denied(appKey.oss(BUCKET).put('app/default-key', Buffer.from('x'), kmsHeaders()), KMS);
  });

  it('a policy naming another key does not help; it works for that key', async () => {
    const oss = otherKey.oss(BUCKET);
    await denied(oss.put('o/put', Buffer.from('x'), kmsHeaders('app-key')), KMS);
    await denied(oss.get('src/kms'), KMS);
    await denied(otherKey.oss(DEFAULT_KMS).put('o/default', Buffer.from('x')), KMS);
    await absent('o/put');
    assert.equal(statusOf(await oss.put('o/other', Buffer.from('other'), kmsHeaders('other-key'))), 200);
    assert.equal(await body(oss, 'o/other'), 'other');
    // The key's ARN carries the bucket's region: a policy naming another region does not match.
    const elsewhere = await ram.userWith('other-region', policyDoc(OSS_ALL, useKey('app-key', 'cn-beijing')));
    await denied(elsewhere.oss(BUCKET).get('src/kms'), KMS);
    const here = await ram.userWith('this-region', policyDoc(OSS_ALL, useKey('app-key', 'cn-hangzhou')));
    assert.equal(await body(here.oss(BUCKET), 'src/kms'), 'kms secret');
  });

  it('each action counts: kms:Decrypt alone reads but does not write; an explicit Deny wins over kms:*', async () => {
    const decryptOnly = await ram.userWith('decrypt-only', policyDoc(OSS_ALL, { Effect: 'Allow', Action: 'kms:Decrypt', Resource: `acs:kms:*:*:key/app-key` }));
    assert.equal(await body(decryptOnly.oss(BUCKET), 'src/kms'), 'kms secret');
    await denied(decryptOnly.oss(BUCKET).put('d/put', Buffer.from('x'), kmsHeaders('app-key')), KMS);
    const generateOnly = await ram.userWith('generate-only', policyDoc(OSS_ALL, { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: `acs:kms:*:*:key/app-key` }));
    await denied(generateOnly.oss(BUCKET).put('d/put', Buffer.from('x'), kmsHeaders('app-key')), KMS);
    await denied(generateOnly.oss(BUCKET).get('src/kms'), KMS);
    await absent('d/put');
    const denyDecrypt = await ram.userWith('deny-decrypt', policyDoc(OSS_ALL, { Effect: 'Allow', Action: 'kms:*', Resource: '*' }, { Effect: 'Deny', Action: 'kms:Decrypt', Resource: `acs:kms:*:*:key/app-key` }));
    await denied(denyDecrypt.oss(BUCKET).get('src/kms'), KMS);
    await denied(denyDecrypt.oss(BUCKET).put('d/put', Buffer.from('x'), kmsHeaders('app-key')), KMS);
    assert.equal(statusOf(await denyDecrypt.oss(BUCKET).put('d/other', Buffer.from('x'), kmsHeaders('other-key'))), 200);
  });

  it('PostObject with KMS form fields needs the key as PutObject does', async () => {
    const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [['starts-with', '$key', '']] })).toString('base64');
    const post = async (user: RamUserHandle, key: string): Promise<Response> => {
      const fd = new FormData();
      const fields: Array<[string, string]> = [
        ['key', key], ['OSSAccessKeyId', user.accessKeyId], ['policy', policy], ['Signature', signPostPolicyV1(user.accessKeySecret, policy)],
        ['x-oss-server-side-encryption', 'KMS'], ['x-oss-server-side-encryption-key-id', 'app-key'],
      ];
      for (const [k, v] of fields) fd.append(k, v);
      fd.append('file', new Blob([new Uint8Array(Buffer.from('posted'))]), 'f.txt');
      return fetch(`${srv.url}/${BUCKET}/`, { method: 'POST', body: fd });
    };
    const refused = await post(ossOnly, 'p/refused');
    const text = await refused.text();
    assert.equal(refused.status, 403, text);
    assert.equal(parseErrorXml(text).Code, 'AccessDenied');
    assert.equal(parseErrorXml(text).Message, KMS);
    await absent('p/refused');
    const ok = await post(appKey, 'p/ok');
    assert.equal(ok.status, 204, await ok.text());
    assert.equal(await body(root, 'p/ok'), 'posted');
  });

  it('an STS session policy narrows the role\'s kms permissions like its oss ones', async () => {
    await ram.call('CreateRole', { RoleName: 'KmsWriter', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('kms-writer-role', policyDoc(OSS_ALL, { Effect: 'Allow', Action: 'kms:*', Resource: `acs:kms:*:${ACCOUNT_ID}:key/*` }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'kms-writer-role', RoleName: 'KmsWriter' });
    const assumer = await ram.userWith('kms-assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('KmsWriter') }));
    const session = async (name: string, policy?: string): Promise<OSS> => {
      const res = await assumeRole(stsClient(srv, assumer.accessKeyId, assumer.accessKeySecret), {
        RoleArn: roleArn('KmsWriter'),
        RoleSessionName: name,
        ...(policy === undefined ? {} : { Policy: policy }),
      });
      return ossWith(srv, res.Credentials as StsCredentials, BUCKET);
    };
    // Without a session policy the role's permissions hold.
    const full = await session('full');
    assert.equal(statusOf(await full.put('s/full', Buffer.from('x'), kmsHeaders('app-key'))), 200);
    assert.equal(await body(full, 'src/kms'), 'kms secret');
    // A session policy allowing oss:* and only other-key: app-key is refused (the session gate's message).
    const narrow = await session('narrow', policyDoc(OSS_ALL, useKey('other-key')));
    await denied(narrow.put('s/narrow', Buffer.from('x'), kmsHeaders('app-key')), KMS);
    await denied(narrow.get('src/kms'), KMS);
    await absent('s/narrow');
    assert.equal(statusOf(await narrow.put('s/other', Buffer.from('x'), kmsHeaders('other-key'))), 200);
    assert.equal(await body(narrow, 'src/plain'), 'plain');
    // A session policy silent on oss: refuses before any KMS check, with its own message.
    const kmsOnly = await session('kms-only', policyDoc(useKey('app-key')));
    await denied(kmsOnly.get('src/kms'), AUTHORIZER);
  });

  it('the account root is not limited by RAM policies: any key, any bucket default', async () => {
    // What a RAM user with oss:* is refused…
    await denied(ossOnly.oss(BUCKET).put('r/kms', Buffer.from('r'), kmsHeaders('app-key')), KMS);
    await denied(ossOnly.oss(BUCKET).get('src/kms'), KMS);
    // …the root does.
    assert.equal(statusOf(await root.put('r/kms', Buffer.from('r'), kmsHeaders('app-key'))), 200);
    assert.equal(statusOf(await root.put('r/default-key', Buffer.from('r'), kmsHeaders())), 200);
    assert.equal(statusOf(await root.copy('r/copy', `/${BUCKET}/src/kms`, kmsHeaders('other-key'))), 200);
    assert.equal(await body(root, 'src/kms'), 'kms secret');
    assert.equal(await body(root, 'r/copy'), 'kms secret');
    assert.equal(await body(srv.client({ bucket: DEFAULT_KMS }), 'by-default'), 'encrypted by the bucket default');
  });

  it('anonymous requests cannot use a KMS key, even where the bucket ACL lets them read', async () => {
    await srv.client().putBucketACL(BUCKET, 'public-read');
    try {
      const res = await fetch(`${srv.url}/${BUCKET}/src/kms`);
      const text = await res.text();
      assert.equal(res.status, 403, text);
      assert.equal(parseErrorXml(text).Message, KMS);
      const aes = await fetch(`${srv.url}/${BUCKET}/src/aes`);
      assert.equal(aes.status, 200);
      assert.equal(await aes.text(), 'aes secret');
    } finally {
      await srv.client().putBucketACL(BUCKET, 'private');
    }
  });
});
