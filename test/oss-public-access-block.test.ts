// Block Public Access at bucket and account level (docs/access-rules.md): Put/Get/DeleteBucketPublicAccessBlock
// and Put/Get/DeletePublicAccessBlock, public
// ACLs and public bucket policies refused on write with OSS's messages, existing public grants ignored while
// it is on (and honoured again once it is off). Runs on SQLite, and on PostgreSQL through
// test/pg-access-rules.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { bucketXml } from './helpers/bucket-xml.js';
import { expectOssError } from './helpers/oss.js';
import { errorOf, parseErrorXml, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';
import { MSG, policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'pab-bucket';
const OTHER = 'pab-private';
const pabXml = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration>${inner}</PublicAccessBlockConfiguration>`;

describe('Block Public Access (bucket level)', () => {
  let srv: TestServer;
  let client: OSS;
  let other: OSS;

  const anonymousStatus = async (bucket: string, key: string): Promise<number> =>
    (await rawRequest(srv.port, { method: 'GET', path: `/${bucket}/${key}`, headers: { host: `127.0.0.1:${srv.port}` } })).status;
  const blocked = async (bucket: string): Promise<unknown> => ((await bucketXml(client, 'GET', bucket, 'publicAccessBlock')).data as Record<string, unknown>).BlockPublicAccess;
  const setBlock = (bucket: string, on: boolean): Promise<unknown> => bucketXml(client, 'PUT', bucket, 'publicAccessBlock', pabXml(`<BlockPublicAccess>${on}</BlockPublicAccess>`));

  before(async () => {
    srv = await startTestServer();
    client = srv.client({ bucket: BUCKET });
    other = srv.client({ bucket: OTHER });
    await client.putBucket(BUCKET);
    await client.putBucketACL(BUCKET, 'public-read');
    await client.put('pub.txt', Buffer.from('public by bucket acl'));
    await other.putBucket(OTHER);
    await other.put('by-object-acl.txt', Buffer.from('public by object acl'), { headers: { 'x-oss-object-acl': 'public-read' } });
    await other.put('policy/by-policy.txt', Buffer.from('public by bucket policy'));
    await other.put('local/by-ip.txt', Buffer.from('open to one address'));
    await other.putBucketPolicy(OTHER, {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:${ACCOUNT_ID}:${OTHER}/policy/*`] },
        // Pinned to one source address: not public, so it keeps working while public access is blocked.
        { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:${ACCOUNT_ID}:${OTHER}/local/*`], Condition: { IpAddress: { 'acs:SourceIp': ['127.0.0.1/32'] } } },
      ],
    } as never);
  });
  after(async () => {
    await srv?.stop();
  });

  test('off by default: GetBucketPublicAccessBlock answers false and public grants work', async () => {
    assert.equal(await blocked(BUCKET), 'false');
    assert.equal(await anonymousStatus(BUCKET, 'pub.txt'), 200);
    assert.equal(await anonymousStatus(OTHER, 'by-object-acl.txt'), 200);
    assert.equal(await anonymousStatus(OTHER, 'policy/by-policy.txt'), 200);
    assert.equal(await anonymousStatus(OTHER, 'local/by-ip.txt'), 200);
  });

  test('on: public ACLs and public policy statements are ignored, the rest still applies', async () => {
    await setBlock(BUCKET, true);
    await setBlock(OTHER, true);
    assert.equal(await blocked(BUCKET), 'true');
    assert.equal(await anonymousStatus(BUCKET, 'pub.txt'), 403);
    assert.equal(await anonymousStatus(OTHER, 'by-object-acl.txt'), 403);
    assert.equal(await anonymousStatus(OTHER, 'policy/by-policy.txt'), 403);
    assert.equal(await anonymousStatus(OTHER, 'local/by-ip.txt'), 200, 'a statement pinned to a source address is not public');
    // The stored ACLs are unchanged and the owner is unaffected.
    assert.equal((await client.getBucketACL(BUCKET)).acl, 'public-read');
    assert.equal((await other.getACL('by-object-acl.txt')).acl, 'public-read');
    assert.equal((await client.get('pub.txt')).content.toString(), 'public by bucket acl');
  });

  test('on: writing a public ACL or a public bucket policy is refused and nothing changes', async () => {
    let err = await expectOssError(client.putBucketACL(BUCKET, 'public-read-write'), 'AccessDenied', 403);
    assert.equal(err.message, 'Put public bucket acl is not allowed.');
    assert.equal((await client.getBucketACL(BUCKET)).acl, 'public-read');

    err = await expectOssError(client.put('new-public.txt', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } }), 'AccessDenied', 403);
    assert.equal(err.message, 'Put public object acl is not allowed.');
    assert.equal(err.ecCode, '0016-00000901');
    await expectOssError(client.head('new-public.txt'), 'NoSuchKey', 404);
    await client.put('mine.txt', Buffer.from('x'));
    err = await expectOssError(client.putACL('mine.txt', 'public-read-write'), 'AccessDenied', 403);
    assert.equal(err.message, 'Put public object acl is not allowed.');
    assert.equal((await client.getACL('mine.txt')).acl, 'default');
    await expectOssError(client.copy('copied.txt', 'mine.txt', { headers: { 'x-oss-object-acl': 'public-read' } }), 'AccessDenied', 403);
    // InitiateMultipartUpload ignores x-oss-object-acl (as OSS): nothing public is written there. The ACL given with
    // CompleteMultipartUpload is refused, and the upload stays.
    const mp = await client.initMultipartUpload('mp.bin', { headers: { 'x-oss-object-acl': 'public-read' } });
    const mpPart = await client.uploadPart('mp.bin', mp.uploadId, 1, Buffer.from('x') as never, 0, 1);
    await expectOssError(client.completeMultipartUpload('mp.bin', mp.uploadId, [{ number: 1, etag: mpPart.etag }], { headers: { 'x-oss-object-acl': 'public-read' } } as never), 'AccessDenied', 403);
    await expectOssError(client.head('mp.bin'), 'NoSuchKey', 404);
    await client.completeMultipartUpload('mp.bin', mp.uploadId, [{ number: 1, etag: mpPart.etag }]);
    assert.equal((await client.getACL('mp.bin')).acl, 'default');
    await expectOssError(client.append('appended.txt', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } } as never), 'AccessDenied', 403);
    await expectOssError(client.putSymlink('link', 'mine.txt', { headers: { 'x-oss-object-acl': 'public-read' } } as never), 'AccessDenied', 403);
    // A browser form (PostObject) setting a public ACL.
    const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [['starts-with', '$key', '']] })).toString('base64');
    const form = new FormData();
    for (const [k, v] of [['key', 'posted.txt'], ['OSSAccessKeyId', AK], ['policy', policy], ['Signature', signPostPolicyV1(SECRET, policy)], ['x-oss-object-acl', 'public-read']]) form.append(k!, v!);
    form.append('file', new Blob([new Uint8Array(Buffer.from('posted'))]), 'f.txt');
    const posted = await fetch(`${srv.url}/${BUCKET}/`, { method: 'POST', body: form });
    const postedText = await posted.text();
    assert.equal(posted.status, 403, postedText);
    assert.equal(parseErrorXml(postedText).Message, 'Put public object acl is not allowed.');
    for (const key of ['appended.txt', 'link', 'posted.txt']) await expectOssError(client.head(key), 'NoSuchKey', 404);

    err = await expectOssError(client.putBucketPolicy(BUCKET, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['*'] }] }), 'AccessDenied', 403);
    assert.equal(err.message, 'Put public bucket policy is not allowed.');
    assert.equal((await client.getBucketPolicy(BUCKET)).policy, null, 'ali-oss answers a 404 NoSuchBucketPolicy as null');
    // Conditions that look like pins but cover everyone are public too (wide ranges, together or alone; the IPv4
    // block written as IPv6; wildcards in StringLike).
    const everyone: Array<Record<string, Record<string, string[]>>> = [
      { IpAddress: { 'acs:SourceIp': ['0.0.0.0/1', '128.0.0.0/1'] } },
      { IpAddress: { 'acs:SourceIp': ['::ffff:0.0.0.0/96'] } },
      { IpAddress: { 'acs:SourceIp': ['0::/0'] } },
      { IpAddress: { 'acs:SourceIp': ['::/32'] } },
      { StringLike: { 'acs:AccessId': ['?'.repeat(24)] } },
    ];
    for (const Condition of everyone) {
      const wide = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['*'], Condition }] };
      err = await expectOssError(client.putBucketPolicy(BUCKET, wide as never), 'AccessDenied', 403);
      assert.equal(err.message, 'Put public bucket policy is not allowed.', JSON.stringify(Condition));
    }
    // A narrow network still pins.
    await client.putBucketPolicy(BUCKET, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['*'], Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } } }] } as never);
    await client.deleteBucketPolicy(BUCKET);

    // Private ACLs and policies naming fixed principals are fine.
    await client.putACL('mine.txt', 'private');
    await client.put('private.txt', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'private' } });
    await client.putBucketPolicy(BUCKET, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: [ACCOUNT_ID], Resource: ['*'] }] });
    await client.deleteBucketPolicy(BUCKET);
  });

  test('DeleteBucketPublicAccessBlock (204) turns it off: existing public grants take effect again', async () => {
    const res = await bucketXml(client, 'DELETE', BUCKET, 'publicAccessBlock', undefined, [204]);
    assert.equal(res.res.status, 204);
    assert.equal(await blocked(BUCKET), 'false');
    assert.equal(await anonymousStatus(BUCKET, 'pub.txt'), 200);
    await setBlock(OTHER, false);
    assert.equal(await anonymousStatus(OTHER, 'by-object-acl.txt'), 200);
    assert.equal(await anonymousStatus(OTHER, 'policy/by-policy.txt'), 200);
    await client.putBucketACL(BUCKET, 'public-read-write');
    await client.putBucketACL(BUCKET, 'public-read');
    // An empty configuration means false (BlockPublicAccess is optional).
    await bucketXml(client, 'PUT', BUCKET, 'publicAccessBlock', pabXml(''));
    assert.equal(await blocked(BUCKET), 'false');
  });

  test('bad XML is refused and stores nothing', async () => {
    await setBlock(BUCKET, true);
    for (const xml of [
      '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess>',
      '<Other><BlockPublicAccess>false</BlockPublicAccess></Other>',
      pabXml('<BlockPublicAccess>yes</BlockPublicAccess>'),
      pabXml('<BlockPublicAccess><x/></BlockPublicAccess>'),
    ]) {
      await expectOssError(bucketXml(client, 'PUT', BUCKET, 'publicAccessBlock', xml), 'MalformedXML', 400);
    }
    assert.equal(await blocked(BUCKET), 'true');
    await setBlock(BUCKET, false);
  });

  test('the access-point level names an access point (test/oss-access-points.test.ts); a missing bucket is NoSuchBucket', async () => {
    await expectOssError(bucketXml(client, 'GET', BUCKET, { publicAccessBlock: '', 'x-oss-access-point-name': 'ap-01' }), 'NoSuchAccessPoint', 404);
    await expectOssError(bucketXml(client, 'PUT', BUCKET, { publicAccessBlock: '', 'x-oss-access-point-name': 'ap-01' }, pabXml('<BlockPublicAccess>true</BlockPublicAccess>')), 'NoSuchAccessPoint', 404);
    await expectOssError(bucketXml(client, 'GET', 'no-such-pab-bucket', 'publicAccessBlock'), 'NoSuchBucket', 404);
  });

  test('the policy simulator evaluates as authorization does: public grants ignored while blocked', async () => {
    const ram = new Ram(srv);
    await ram.user('pab-sim');
    const simulate = async (): Promise<string> => {
      const r = await ram.call('SimulatePrincipalPolicy', { UserName: 'pab-sim', ActionName: 'oss:GetObject', Resource: `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${OTHER}/policy/by-policy.txt` });
      return r.EvaluationResult.Decision as string;
    };
    assert.equal(await simulate(), 'Allow', 'the public bucket policy statement allows everyone');
    await setBlock(OTHER, true);
    assert.notEqual(await simulate(), 'Allow');
    await setBlock(OTHER, false);
    assert.equal(await simulate(), 'Allow');
  });

  test('Put/DeleteBucketPublicAccessBlock are authorized as their actions (explicit Deny wins)', async () => {
    const ram = new Ram(srv);
    const user = await ram.userWith('pab-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['oss:PutBucketPublicAccessBlock', 'oss:DeleteBucketPublicAccessBlock'], Resource: [`acs:oss:*:*:${BUCKET}`] },
    ));
    const asUser = user.oss(BUCKET);
    let err = await expectOssError(bucketXml(asUser, 'PUT', BUCKET, 'publicAccessBlock', pabXml('<BlockPublicAccess>true</BlockPublicAccess>')), 'AccessDenied', 403);
    assert.equal(err.message, MSG.policyDeny);
    err = await expectOssError(bucketXml(asUser, 'DELETE', BUCKET, 'publicAccessBlock', undefined, [204]), 'AccessDenied', 403);
    assert.equal(err.message, MSG.policyDeny);
    assert.equal(((await bucketXml(asUser, 'GET', BUCKET, 'publicAccessBlock')).data as Record<string, unknown>).BlockPublicAccess, 'false');
  });
});

describe('Block Public Access (account level)', () => {
  let srv: TestServer;
  let client: OSS;
  const BKT = 'pab-account-bucket';

  /** A service-level request (`/?publicAccessBlock`), V1-signed with the given credentials. */
  const service = async (method: string, body?: string, ak = AK, secret = SECRET): Promise<RawResponse> => {
    const headers: Record<string, string> = { 'x-oss-date': new Date().toUTCString(), ...(body !== undefined ? { 'content-type': 'application/xml' } : {}) };
    const { authorization } = v1Authorization({ method, bucket: null, key: null, query: [['publicAccessBlock', '']], headers }, ak, secret);
    return rawRequest(srv.port, { method, path: '/?publicAccessBlock', headers: { ...headers, host: `127.0.0.1:${srv.port}`, authorization }, body });
  };
  const accountBlocked = async (): Promise<string | undefined> => {
    const res = await service('GET');
    assert.equal(res.status, 200, res.body.toString('utf8'));
    return /<BlockPublicAccess>(\w+)<\/BlockPublicAccess>/.exec(res.body.toString('utf8'))?.[1];
  };
  const anonymousStatus = async (key: string): Promise<number> =>
    (await rawRequest(srv.port, { method: 'GET', path: `/${BKT}/${key}`, headers: { host: `127.0.0.1:${srv.port}` } })).status;

  before(async () => {
    srv = await startTestServer();
    client = srv.client({ bucket: BKT });
    await client.putBucket(BKT);
    await client.putBucketACL(BKT, 'public-read');
    await client.put('pub.txt', Buffer.from('public'));
  });
  after(async () => {
    await srv?.stop();
  });

  test('off by default; on, it blocks public access to every bucket of the account', async () => {
    assert.equal(await accountBlocked(), 'false');
    assert.equal(await anonymousStatus('pub.txt'), 200);
    const put = await service('PUT', pabXml('<BlockPublicAccess>true</BlockPublicAccess>'));
    assert.equal(put.status, 200, put.body.toString('utf8'));
    assert.equal(await accountBlocked(), 'true');
    assert.equal(await anonymousStatus('pub.txt'), 403);
    // The bucket's own setting is still off: GetBucketPublicAccessBlock shows the bucket level only.
    assert.equal(((await bucketXml(client, 'GET', BKT, 'publicAccessBlock')).data as Record<string, unknown>).BlockPublicAccess, 'false');
    const err = await expectOssError(client.putBucketACL(BKT, 'public-read-write'), 'AccessDenied', 403);
    assert.equal(err.message, 'Put public bucket acl is not allowed.');
    await expectOssError(client.put('x.txt', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } }), 'AccessDenied', 403);
  });

  test('on: a bucket cannot be created public (PutBucket with x-oss-acl); private is fine', async () => {
    const err = await expectOssError(client.putBucket('pab-new-public', { acl: 'public-read' } as never), 'AccessDenied', 403);
    assert.equal(err.message, 'Put public bucket acl is not allowed.');
    const names = ((await client.listBuckets({})) as unknown as { buckets: Array<{ name: string }> }).buckets.map((b) => b.name);
    assert.ok(!names.includes('pab-new-public'), names.join(','));
    await client.putBucket('pab-new-private');
    await client.deleteBucket('pab-new-private');
  });

  test('bad XML is refused and stores nothing; DeletePublicAccessBlock (204) lifts the block', async () => {
    for (const xml of ['<PublicAccessBlockConfiguration>', pabXml('<BlockPublicAccess>maybe</BlockPublicAccess>'), '<Wrong/>']) {
      const res = await service('PUT', xml);
      assert.equal(res.status, 400, xml);
      assert.equal(errorOf(res)?.Code, 'MalformedXML');
    }
    assert.equal(await accountBlocked(), 'true');
    const del = await service('DELETE');
    assert.equal(del.status, 204);
    assert.equal(await accountBlocked(), 'false');
    assert.equal(await anonymousStatus('pub.txt'), 200);
  });

  test('the account calls are authorized as oss:Put/Get/DeletePublicAccessBlock (explicit Deny wins); anonymous is refused', async () => {
    const ram = new Ram(srv);
    const user = await ram.userWith('pab-account-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['oss:PutPublicAccessBlock', 'oss:DeletePublicAccessBlock'], Resource: ['*'] },
    ));
    for (const method of ['PUT', 'DELETE']) {
      const res = await service(method, method === 'PUT' ? pabXml('<BlockPublicAccess>true</BlockPublicAccess>') : undefined, user.accessKeyId, user.accessKeySecret);
      assert.equal(res.status, 403, res.body.toString('utf8'));
      assert.equal(errorOf(res)?.Code, 'AccessDenied');
    }
    assert.equal((await service('GET', undefined, user.accessKeyId, user.accessKeySecret)).status, 200);
    assert.equal(await accountBlocked(), 'false');
    const anonymous = await rawRequest(srv.port, { method: 'PUT', path: '/?publicAccessBlock', headers: { host: `127.0.0.1:${srv.port}` }, body: pabXml('<BlockPublicAccess>true</BlockPublicAccess>') });
    assert.equal(anonymous.status, 403);
    assert.equal(await accountBlocked(), 'false');
  });
});
