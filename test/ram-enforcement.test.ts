// RAM policies enforced end to end: set up with @alicloud/pop-core as the account root, then act as
// RAM users through unchanged ali-oss clients (IP endpoint, V1 and V4) and pop-core. Every denial is
// checked for 403 AccessDenied and the exact spec ram-sts §2.6 message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { expectOssError, statusOf, xmlText } from './helpers/oss.js';
import { denied, MSG, policyDoc, popFails, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'enforce-private';
const PUBLIC = 'enforce-public';
const OTHER = 'enforce-other';

describe('RAM policies enforced on OSS requests', () => {
  let srv: TestServer;
  let ram: Ram;
  let root: OSS;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    root = srv.client({ bucket: BUCKET });
    const r = srv.client();
    await r.putBucket(BUCKET);
    await r.putBucket(OTHER);
    await r.putBucket(PUBLIC);
    await r.putBucketACL(PUBLIC, 'public-read');
    for (const key of ['a.txt', 'usr001/a', 'usr002/a', 'shared/x', 'private/x', 'keep/k', 'tmp/t']) {
      await root.put(key, Buffer.from(`content of ${key}`));
    }
    await srv.client({ bucket: PUBLIC }).put('pub.txt', Buffer.from('public content'));
    await srv.client({ bucket: OTHER }).put('src.txt', Buffer.from('source content'));
  });
  after(async () => {
    await srv.stop();
  });

  it('1. a user without policies is denied GET/PUT/LIST/HEAD and ListBuckets', async () => {
    const u = await ram.user('nobody');
    const oss = u.oss(BUCKET);
    await denied(oss.get('a.txt'), MSG.acl);
    await denied(oss.put('new.txt', Buffer.from('x')), MSG.acl);
    await denied(oss.list({ 'max-keys': 10 }, {}), MSG.acl);
    await denied(oss.head('a.txt'), MSG.acl); // HEAD: message from the x-oss-err header
    await denied(u.oss().listBuckets({}), MSG.listBuckets);
    // V4 signatures resolve the same principal.
    await denied(u.oss(BUCKET, { authorizationV4: true }).get('a.txt'), MSG.acl);
    // Management APIs get no ACL fallback.
    await denied(oss.getBucketACL(BUCKET), MSG.bucket);
    // ali-oss's getBucketPolicy resolves whatever the status; read the error body it keeps.
    const gp = await oss.getBucketPolicy(BUCKET);
    assert.equal(gp.status, 403);
    assert.equal(gp.policy, null);
    assert.equal(xmlText(String((gp.res as unknown as { data: Buffer }).data), 'Message'), MSG.bucket);
    await denied(oss.putBucketACL(BUCKET, 'public-read'), MSG.bucket);
    await denied(oss.deleteBucket(BUCKET), MSG.bucket);
    // ACL operations are never granted by an ACL.
    await denied(oss.putACL('a.txt', 'public-read'), MSG.writeAcl);
    await denied(oss.getACL('a.txt'), 'You do not have read acl permission on this object.');
    // The objects are untouched.
    assert.equal((await root.get('a.txt')).content.toString(), 'content of a.txt');
  });

  it('2. AliyunOSSReadOnlyAccess: GET/HEAD/LIST/ListBuckets allowed, PUT/DELETE implicitly denied', async () => {
    const u = await ram.user('reader');
    await ram.attachToUser('AliyunOSSReadOnlyAccess', 'reader', 'System');
    for (const oss of [u.oss(BUCKET), u.oss(BUCKET, { authorizationV4: true })]) {
      assert.equal((await oss.get('a.txt')).content.toString(), 'content of a.txt');
      assert.equal((await oss.head('a.txt')).status, 200);
      const listed = await oss.list({ prefix: 'usr', 'max-keys': 10 }, {});
      assert.deepEqual(listed.objects.map((o) => o.name), ['usr001/a', 'usr002/a']);
      const v2 = await oss.listV2({ prefix: 'usr', 'max-keys': '10' }, {});
      assert.equal(v2.objects.length, 2);
      assert.equal((await oss.getBucketACL(BUCKET)).acl, 'private');
      // Implicit deny on a private bucket: data APIs fall back to the ACL.
      await denied(oss.put('ro.txt', Buffer.from('x')), MSG.acl);
      await denied(oss.delete('a.txt'), MSG.acl);
      await denied(oss.putBucketACL(BUCKET, 'public-read'), MSG.bucket);
      await denied(oss.putACL('a.txt', 'public-read'), MSG.writeAcl);
    }
    const buckets = (await u.oss().listBuckets({})) as unknown as { buckets: Array<{ name: string }> };
    assert.ok(buckets.buckets.some((b) => b.name === BUCKET));
    assert.equal((await root.head('a.txt')).status, 200);
  });

  it('2b. PutBucket needs oss:PutBucket on the new bucket: read-only users cannot create buckets', async () => {
    // The bucket does not exist yet, so only the caller's identity policies can decide (spec ram-sts §3).
    const reader = await ram.user('reader-mb');
    await ram.attachToUser('AliyunOSSReadOnlyAccess', 'reader-mb', 'System');
    await denied(reader.oss().putBucket('reader-made-this'), MSG.bucket);
    await denied(reader.oss(undefined, { authorizationV4: true }).putBucket('reader-made-this'), MSG.bucket);
    const nobody = await ram.user('nobody-mb');
    await denied(nobody.oss().putBucket('nobody-made-this'), MSG.bucket);
    const scoped = await ram.userWith('creator-mb', policyDoc({ Effect: 'Allow', Action: 'oss:PutBucket', Resource: 'acs:oss:*:*:team-*' }));
    await denied(scoped.oss().putBucket('elsewhere-mb'), MSG.bucket);
    assert.equal((await scoped.oss().putBucket('team-mb')).res.status, 200);
    const names = ((await root.listBuckets({})) as unknown as { buckets: Array<{ name: string }> }).buckets.map((b) => b.name);
    assert.ok(names.includes('team-mb'));
    for (const n of ['reader-made-this', 'nobody-made-this', 'elsewhere-mb']) assert.ok(!names.includes(n), `${n} must not exist`);
    // A Deny on the x-oss-acl condition key refuses a public bucket but not a private one.
    const careful = await ram.userWith(
      'careful-mb',
      policyDoc(
        { Effect: 'Allow', Action: 'oss:PutBucket', Resource: '*' },
        { Effect: 'Deny', Action: 'oss:PutBucket', Resource: '*', Condition: { StringEquals: { 'oss:x-oss-acl': 'public-read-write' } } },
      ),
    );
    await denied(careful.oss().putBucket('careful-public', { acl: 'public-read-write' } as never), MSG.policyDeny);
    assert.equal((await careful.oss().putBucket('careful-private')).res.status, 200);
  });

  it('3. prefix-limited listing with oss:Prefix and object-scoped GetObject', async () => {
    const u = await ram.userWith(
      'prefixed',
      policyDoc(
        { Effect: 'Allow', Action: 'oss:ListObjects', Resource: `acs:oss:*:*:${BUCKET}`, Condition: { StringLike: { 'oss:Prefix': 'usr001/*' } } },
        { Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/usr001/*` },
      ),
    );
    const oss = u.oss(BUCKET);
    const ok = await oss.list({ prefix: 'usr001/', 'max-keys': 10 }, {});
    assert.deepEqual(ok.objects.map((o) => o.name), ['usr001/a']);
    const okV2 = await u.oss(BUCKET, { authorizationV4: true }).listV2({ prefix: 'usr001/', 'max-keys': '10' }, {});
    assert.deepEqual(okV2.objects.map((o) => o.name), ['usr001/a']);
    await denied(oss.list({ prefix: 'usr002/', 'max-keys': 10 }, {}), MSG.acl);
    await denied(oss.list({ 'max-keys': 10 }, {}), MSG.acl);
    await denied(oss.listV2({ 'max-keys': '10' }, {}), MSG.acl);
    assert.equal((await oss.get('usr001/a')).content.toString(), 'content of usr001/a');
    await denied(oss.get('usr002/a'), MSG.acl);
    await denied(oss.get('a.txt'), MSG.acl);
  });

  it('4. acs:SourceIp conditions: IpAddress allows, NotIpAddress Deny denies, IPv6 CIDRs accepted', async () => {
    const u = await ram.userWith(
      'fromlocal',
      policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*`, Condition: { IpAddress: { 'acs:SourceIp': '127.0.0.0/8' } } }),
    );
    assert.equal((await u.oss(BUCKET).get('a.txt')).res.status, 200);

    const v = await ram.user('notfromten');
    await ram.attachToUser('AliyunOSSFullAccess', 'notfromten', 'System');
    await ram.createPolicy('deny-outside-ten', policyDoc({ Effect: 'Deny', Action: 'oss:*', Resource: '*', Condition: { NotIpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } }));
    assert.equal((await v.oss(BUCKET).get('a.txt')).res.status, 200);
    await ram.attachToUser('deny-outside-ten', 'notfromten');
    await denied(v.oss(BUCKET).get('a.txt'), MSG.policyDeny);
    await denied(v.oss(BUCKET).put('ip.txt', Buffer.from('x')), MSG.policyDeny);

    // IPv6 CIDRs are valid policy values; the IPv4 client matches none of them.
    const w = await ram.userWith(
      'ipv6only',
      policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': ['2001:db8::/32', '::1/128', 'fe80::1'] } } }),
    );
    const got = await ram.call('GetPolicy', { PolicyName: 'ipv6only-policy', PolicyType: 'Custom' });
    assert.match(got.DefaultPolicyVersion.PolicyDocument, /2001:db8::\/32/);
    await denied(w.oss(BUCKET).get('a.txt'), MSG.acl);
    // A malformed IP is rejected by CreatePolicy.
    await popFails(
      ram.call('CreatePolicy', {
        PolicyName: 'bad-ip',
        PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': '2001:db8::zz/32' } } }),
      }),
      'MalformedPolicyDocument',
    );
  });

  it('5. an explicit Deny overrides AliyunOSSFullAccess', async () => {
    const u = await ram.user('fullbutnodelete');
    await ram.attachToUser('AliyunOSSFullAccess', u.userName, 'System');
    await ram.createPolicy('deny-delete', policyDoc({ Effect: 'Deny', Action: 'oss:DeleteObject', Resource: `acs:oss:*:*:${BUCKET}/*` }));
    await ram.attachToUser('deny-delete', u.userName);
    const oss = u.oss(BUCKET, { authorizationV4: true });
    assert.equal(statusOf(await oss.put('full/x', Buffer.from('x'))), 200);
    await denied(oss.delete('full/x'), MSG.policyDeny);
    assert.equal((await root.head('full/x')).status, 200);
    // Elsewhere the Deny does not apply.
    const other = u.oss(OTHER);
    await other.put('full/y', Buffer.from('y'));
    assert.equal(statusOf(await other.delete('full/y')), 204);
  });

  it('6. Allow NotAction oss:Delete* grants everything but deletes', async () => {
    const u = await ram.userWith('nodeletes', policyDoc({ Effect: 'Allow', NotAction: 'oss:Delete*', Resource: '*' }));
    const oss = u.oss(BUCKET);
    assert.equal(statusOf(await oss.put('na/x', Buffer.from('na'))), 200);
    assert.equal((await oss.get('na/x')).content.toString(), 'na');
    await denied(oss.delete('na/x'), MSG.acl);
    await denied(oss.deleteBucketPolicy(BUCKET), MSG.bucket);
  });

  it('7. group policies apply while the user is a member', async () => {
    const u = await ram.user('member');
    await ram.call('CreateGroup', { GroupName: 'readers' });
    await ram.createPolicy('group-read', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}`, `acs:oss:*:*:${BUCKET}/*`] }));
    await ram.call('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'group-read', GroupName: 'readers' });
    const oss = u.oss(BUCKET);
    await denied(oss.get('a.txt'), MSG.acl);
    await ram.call('AddUserToGroup', { GroupName: 'readers', UserName: 'member' });
    assert.equal((await oss.get('a.txt')).res.status, 200);
    assert.ok((await oss.list({ 'max-keys': 5 }, {})).objects.length > 0);
    // A Deny attached to the group joins the user's set too.
    await ram.createPolicy('group-deny-list', policyDoc({ Effect: 'Deny', Action: 'oss:ListObjects', Resource: '*' }));
    await ram.call('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'group-deny-list', GroupName: 'readers' });
    await denied(oss.list({ 'max-keys': 5 }, {}), MSG.policyDeny);
    await ram.call('RemoveUserFromGroup', { GroupName: 'readers', UserName: 'member' });
    await denied(oss.get('a.txt'), MSG.acl);
    await denied(oss.list({ 'max-keys': 5 }, {}), MSG.acl);
  });

  it('8. policy version switches and detaching take effect on the next request', async () => {
    const u = await ram.userWith('versioned', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/usr001/*` }));
    const name = 'versioned-policy';
    const oss = u.oss(BUCKET);
    await denied(oss.get('a.txt'), MSG.acl);
    const v2 = await ram.call('CreatePolicyVersion', {
      PolicyName: name,
      PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }),
      SetAsDefault: 'false',
    });
    assert.equal(v2.PolicyVersion.VersionId, 'v2');
    assert.equal(v2.PolicyVersion.IsDefaultVersion, false);
    await denied(oss.get('a.txt'), MSG.acl);
    await ram.call('SetDefaultPolicyVersion', { PolicyName: name, VersionId: 'v2' });
    assert.equal((await oss.get('a.txt')).res.status, 200);
    await ram.call('SetDefaultPolicyVersion', { PolicyName: name, VersionId: 'v1' });
    await denied(oss.get('a.txt'), MSG.acl);
    assert.equal((await oss.get('usr001/a')).res.status, 200);
    await ram.detachFromUser(name, u.userName);
    await denied(oss.get('usr001/a'), MSG.acl);
  });

  it('9. inactive and deleted AccessKeys are refused by OSS and by the RAM API', async () => {
    const u = await ram.user('keyholder');
    await ram.attachToUser('AliyunOSSFullAccess', u.userName, 'System');
    await ram.attachToUser('AliyunRAMReadOnlyAccess', u.userName, 'System');
    assert.equal((await u.oss(BUCKET).get('a.txt')).res.status, 200);
    await u.pop().request('ListUsers', {}, { method: 'POST' });

    await ram.call('UpdateAccessKey', { UserName: u.userName, UserAccessKeyId: u.accessKeyId, Status: 'Inactive' });
    const inactive = await expectOssError(u.oss(BUCKET).get('a.txt'), 'InvalidAccessKeyId', 403);
    assert.equal(inactive.message, 'The OSS Access Key Id you provided is disabled.');
    await expectOssError(u.oss(BUCKET, { authorizationV4: true }).get('a.txt'), 'InvalidAccessKeyId', 403);
    await popFails(u.pop().request('ListUsers', {}, { method: 'POST' }), 'InvalidAccessKeyId.Inactive', 'Specified access key is disabled.');

    await ram.call('UpdateAccessKey', { UserName: u.userName, UserAccessKeyId: u.accessKeyId, Status: 'Active' });
    assert.equal((await u.oss(BUCKET).get('a.txt')).res.status, 200);

    await ram.call('DeleteAccessKey', { UserName: u.userName, UserAccessKeyId: u.accessKeyId });
    const gone = await expectOssError(u.oss(BUCKET).get('a.txt'), 'InvalidAccessKeyId', 403);
    assert.equal(gone.message, 'The OSS Access Key Id you provided does not exist in our records.');
    await popFails(u.pop().request('ListUsers', {}, { method: 'POST' }), 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404);
  });

  describe('10. bucket policies', () => {
    const bucket = 'enforce-bp';
    before(async () => {
      const r = srv.client({ bucket });
      await srv.client().putBucket(bucket);
      for (const key of ['shared/x', 'private/x']) await r.put(key, Buffer.from(key));
    });
    after(async () => {
      await srv.client().deleteBucketPolicy(bucket);
    });

    it('a Principal naming the user UID grants it without identity policies', async () => {
      const u = await ram.user('bpgrantee');
      await srv.client().putBucketPolicy(bucket, {
        Version: '1',
        Statement: [{ Effect: 'Allow', Principal: [u.userId], Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${bucket}/shared/*`] }],
      } as unknown as OSS.BucketPolicy);
      const oss = u.oss(bucket);
      assert.equal((await oss.get('shared/x')).content.toString(), 'shared/x');
      assert.equal((await u.oss(bucket, { authorizationV4: true }).head('shared/x')).status, 200);
      await denied(oss.get('private/x'), MSG.acl);
      await denied(oss.put('shared/new', Buffer.from('x')), MSG.acl);
      // Another user is not named.
      const other = await ram.user('bpnotnamed');
      await denied(other.oss(bucket).get('shared/x'), MSG.acl);
    });

    it('Principal ["*"] lets anonymous requests read', async () => {
      await srv.client().putBucketPolicy(bucket, {
        Version: '1',
        Statement: [{ Effect: 'Allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${bucket}/shared/*`] }],
      } as unknown as OSS.BucketPolicy);
      const ok = await fetch(`http://127.0.0.1:${srv.port}/${bucket}/shared/x`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'shared/x');
      const no = await fetch(`http://127.0.0.1:${srv.port}/${bucket}/private/x`);
      const body = await no.text();
      assert.equal(no.status, 403);
      assert.equal(xmlText(body, 'Code'), 'AccessDenied');
      assert.equal(xmlText(body, 'Message'), MSG.anonymousObject);
      // The owner's root still has full control ("*" without Condition exempts the owner).
      assert.equal((await srv.client({ bucket }).get('private/x')).res.status, 200);
    });

    it('a bucket-policy Deny for the user overrides its AliyunOSSFullAccess', async () => {
      const u = await ram.user('bpdenied');
      await ram.attachToUser('AliyunOSSFullAccess', u.userName, 'System');
      assert.equal((await u.oss(bucket).get('shared/x')).res.status, 200);
      await srv.client().putBucketPolicy(bucket, {
        Version: '1',
        Statement: [{ Effect: 'Deny', Principal: [u.userId], Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${bucket}/*`] }],
      } as unknown as OSS.BucketPolicy);
      await denied(u.oss(bucket).get('shared/x'), MSG.policyDeny);
      await denied(u.oss(bucket, { authorizationV4: true }).put('shared/y', Buffer.from('y')), MSG.policyDeny);
      // Not covered by the Deny: still allowed by the identity policy.
      assert.ok((await u.oss(bucket).list({ 'max-keys': 5 }, {})).objects.length > 0);
    });

    it('invalid bucket policy documents are rejected with InvalidPolicyDocument naming the fault', async () => {
      const r = srv.client();
      const put = (p: unknown): Promise<unknown> => r.putBucketPolicy(bucket, p as OSS.BucketPolicy);
      const cases: Array<[unknown, RegExp]> = [
        [{ Version: '1', Statement: [{ Effect: 'allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: ['*'] }] }, /Effect/],
        [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: ['*'] }] }, /Version/],
        [{ Version: '1', Statement: [{ Effect: 'Allow', Principal: ['*'], Resource: ['*'] }] }, /Action/],
        [{ Version: '1', Statement: [{ Effect: 'Allow', Principal: ['*'], Action: ['Oss: GetObject'], Resource: ['*'] }] }, /Oss: GetObject/],
        [{ Version: '1', Statement: [{ Effect: 'Allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: ['*'], Condition: { StringEqual: { 'oss:Prefix': 'a' } } }] }, /StringEqual/],
      ];
      for (const [doc, fault] of cases) {
        const err = await expectOssError(put(doc), 'InvalidPolicyDocument', 400);
        assert.match(err.message, fault, JSON.stringify(doc));
      }
    });
  });

  it('11. public-read bucket: reads fall back to the ACL, writes do not', async () => {
    const u = await ram.user('publicreader');
    const oss = u.oss(PUBLIC);
    assert.equal((await oss.get('pub.txt')).content.toString(), 'public content');
    assert.equal((await u.oss(PUBLIC, { authorizationV4: true }).head('pub.txt')).status, 200);
    await denied(oss.put('write.txt', Buffer.from('x')), MSG.acl);
    await denied(oss.delete('pub.txt'), MSG.acl);
    const anon = await fetch(`http://127.0.0.1:${srv.port}/${PUBLIC}/pub.txt`);
    assert.equal(anon.status, 200);
    assert.equal(await anon.text(), 'public content');
    const anonPut = await fetch(`http://127.0.0.1:${srv.port}/${PUBLIC}/anon.txt`, { method: 'PUT', body: 'x' });
    assert.equal(anonPut.status, 403);
  });

  it('12. CopyObject checks GetObject on the source and PutObject on the destination', async () => {
    const u = await ram.userWith('copier', policyDoc({ Effect: 'Allow', Action: 'oss:PutObject', Resource: `acs:oss:*:*:${BUCKET}/copies/*` }));
    const oss = u.oss(BUCKET);
    await denied(oss.copy('copies/c1', `/${OTHER}/src.txt`), MSG.acl);
    await expectOssError(root.head('copies/c1'), 'NoSuchKey', 404);
    await ram.createPolicy('copier-read', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${OTHER}/src.txt` }));
    await ram.attachToUser('copier-read', u.userName);
    assert.equal(statusOf(await oss.copy('copies/c1', `/${OTHER}/src.txt`)), 200);
    assert.equal((await root.get('copies/c1')).content.toString(), 'source content');
    // Readable source, but a destination outside copies/.
    await denied(oss.copy('elsewhere/c2', `/${OTHER}/src.txt`), MSG.acl);
  });

  it('13. DeleteMultipleObjects authorizes oss:DeleteObject per key', async () => {
    // Allowed on tmp/* only: deleting tmp/ keys works (the grant is on objects, not the bucket).
    const u = await ram.userWith('batchdeleter', policyDoc({ Effect: 'Allow', Action: 'oss:DeleteObject', Resource: `acs:oss:*:*:${BUCKET}/tmp/*` }));
    const oss = u.oss(BUCKET);
    await root.put('tmp/t2', Buffer.from('t2'));
    const ok = await oss.deleteMulti(['tmp/t', 'tmp/t2']);
    assert.deepEqual((ok.deleted ?? []).map((d) => (typeof d === 'string' ? d : (d as { Key: string }).Key)).sort(), ['tmp/t', 'tmp/t2']);
    // One key outside the grant refuses the whole request; nothing is deleted.
    await root.put('tmp/t3', Buffer.from('t3'));
    await denied(oss.deleteMulti(['tmp/t3', 'keep/k']), MSG.acl);
    assert.equal((await root.head('tmp/t3')).status, 200);
    assert.equal((await root.head('keep/k')).status, 200);

    // An explicit Deny on some keys cannot be bypassed through the batch API.
    const v = await ram.user('batchfull');
    await ram.attachToUser('AliyunOSSFullAccess', v.userName, 'System');
    await ram.createPolicy('deny-keep', policyDoc({ Effect: 'Deny', Action: 'oss:DeleteObject', Resource: `acs:oss:*:*:${BUCKET}/keep/*` }));
    await ram.attachToUser('deny-keep', v.userName);
    await denied(v.oss(BUCKET).deleteMulti(['tmp/t3', 'keep/k'], { quiet: true }), MSG.policyDeny);
    assert.equal((await root.head('keep/k')).status, 200);
    await v.oss(BUCKET, { authorizationV4: true }).deleteMulti(['tmp/t3'], { quiet: true });
    await expectOssError(root.head('tmp/t3'), 'NoSuchKey', 404);

    // No policies at all.
    const w = await ram.user('batchnobody');
    await denied(w.oss(BUCKET).deleteMulti(['keep/k']), MSG.acl);
    assert.equal((await root.head('keep/k')).status, 200);
  });

  it('16. request condition keys: oss:x-oss-object-acl, acs:UserAgent, acs:SecureTransport', async () => {
    const u = await ram.userWith(
      'conditioned',
      policyDoc(
        // Setting an object ACL with the write also needs oss:PutObjectAcl (test/write-extras-authz.test.ts).
        { Effect: 'Allow', Action: ['oss:PutObject', 'oss:PutObjectAcl'], Resource: `acs:oss:*:*:${BUCKET}/cond/*`, Condition: { StringEquals: { 'oss:x-oss-object-acl': 'private' } } },
        { Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*`, Condition: { StringLike: { 'acs:UserAgent': 'aliyun-sdk-nodejs*' } } },
        { Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/usr002/*`, Condition: { Bool: { 'acs:SecureTransport': 'false' } } },
      ),
    );
    const oss = u.oss(BUCKET);
    assert.equal(statusOf(await oss.put('cond/a', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'private' } })), 200);
    await denied(oss.put('cond/b', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } }), MSG.acl);
    await denied(oss.put('cond/c', Buffer.from('x')), MSG.acl); // header absent: key absent, StringEquals false
    assert.equal((await oss.get('a.txt')).res.status, 200); // ali-oss's User-Agent
    // ali-oss always sends its own User-Agent; a presigned URL lets another client (fetch) choose one.
    const url = srv.pathClient({ bucket: BUCKET, accessKeyId: u.accessKeyId, accessKeySecret: u.accessKeySecret }).signatureUrl('a.txt');
    const curl = await fetch(url, { headers: { 'User-Agent': 'curl/8.0' } });
    assert.equal(curl.status, 403);
    assert.equal(xmlText(await curl.text(), 'Message'), MSG.acl);
    const sdk = await fetch(url, { headers: { 'User-Agent': 'aliyun-sdk-nodejs/6.23.0 custom' } });
    assert.equal(sdk.status, 200);
    assert.equal(await sdk.text(), 'content of a.txt');
    await denied(oss.get('usr002/a'), MSG.policyDeny); // plain HTTP
  });

  it('17. PutObject with x-oss-tagging also needs oss:PutObjectTagging; oss:RequestObjectTag conditions', async () => {
    const u = await ram.userWith('tagger', policyDoc({ Effect: 'Allow', Action: 'oss:PutObject', Resource: `acs:oss:*:*:${BUCKET}/tags/*` }));
    const oss = u.oss(BUCKET);
    assert.equal(statusOf(await oss.put('tags/plain', Buffer.from('x'))), 200);
    await denied(oss.put('tags/tagged', Buffer.from('x'), { headers: { 'x-oss-tagging': 'team=blue' } }), MSG.acl);
    await expectOssError(root.head('tags/tagged'), 'NoSuchKey', 404);
    await ram.createPolicy(
      'tag-blue-only',
      policyDoc({ Effect: 'Allow', Action: 'oss:PutObjectTagging', Resource: `acs:oss:*:*:${BUCKET}/tags/*`, Condition: { StringEquals: { 'oss:RequestObjectTag/team': 'blue' } } }),
    );
    await ram.attachToUser('tag-blue-only', u.userName);
    assert.equal(statusOf(await oss.put('tags/tagged', Buffer.from('x'), { headers: { 'x-oss-tagging': 'team=blue' } })), 200);
    await denied(oss.put('tags/red', Buffer.from('x'), { headers: { 'x-oss-tagging': 'team=red' } }), MSG.acl);
    const tags = await (root as unknown as { getObjectTagging(n: string): Promise<{ tag: Record<string, string> }> }).getObjectTagging('tags/tagged');
    assert.deepEqual(tags.tag, { team: 'blue' });
  });

  it('15. DeletePolicyVersion, CreatePolicyVersion SetAsDefault and AttachPolicyToUser apply on the next request', async () => {
    const u = await ram.userWith('rotated', policyDoc({ Effect: 'Allow', Action: 'oss:ListObjects', Resource: `acs:oss:*:*:${BUCKET}` }));
    const name = 'rotated-policy';
    const oss = u.oss(BUCKET);
    await denied(oss.get('a.txt'), MSG.acl);
    await ram.call('CreatePolicyVersion', {
      PolicyName: name,
      PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }),
      SetAsDefault: 'true',
    });
    assert.equal((await oss.get('a.txt')).res.status, 200);
    await denied(oss.list({ 'max-keys': 1 }, {}), MSG.acl);
    await ram.call('SetDefaultPolicyVersion', { PolicyName: name, VersionId: 'v1' });
    await ram.call('DeletePolicyVersion', { PolicyName: name, VersionId: 'v2' });
    await denied(oss.get('a.txt'), MSG.acl);
    assert.ok((await oss.list({ 'max-keys': 1 }, {})).objects.length > 0);
    await ram.attachToUser('AliyunOSSReadOnlyAccess', u.userName, 'System');
    assert.equal((await oss.get('a.txt')).res.status, 200);
    await ram.detachFromUser('AliyunOSSReadOnlyAccess', u.userName, 'System');
    await denied(oss.get('a.txt'), MSG.acl);
  });
});

describe('RAM policies enforced on the RAM API', () => {
  let srv: TestServer;
  let ram: Ram;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
  });
  after(async () => {
    await srv.stop();
  });

  it('14. AliyunRAMFullAccess may write, AliyunRAMReadOnlyAccess only read, none nothing', async () => {
    const admin = await ram.user('ramadmin');
    await ram.attachToUser('AliyunRAMFullAccess', admin.userName, 'System');
    const a = admin.pop();
    const created = await a.request<Record<string, any>>('CreateUser', { UserName: 'made-by-admin' }, { method: 'POST' }); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(created.User.UserName, 'made-by-admin');
    const listed = await a.request<Record<string, any>>('ListUsers', {}, { method: 'POST' }); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(listed.Users.User.some((x: { UserName: string }) => x.UserName === 'made-by-admin'));

    const reader = await ram.user('ramreader');
    await ram.attachToUser('AliyunRAMReadOnlyAccess', reader.userName, 'System');
    const r = reader.pop();
    const seen = await r.request<Record<string, any>>('ListUsers', {}, { method: 'POST' }); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(seen.Users.User.length >= 3);
    await r.request('GetUser', { UserName: 'ramadmin' }, { method: 'POST' });
    await popFails(r.request('CreateUser', { UserName: 'not-allowed' }, { method: 'POST' }), 'NoPermission', 'You are not authorized to do this action.', 403);
    // A read-only user cannot grant itself more.
    await popFails(
      r.request('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'AliyunRAMFullAccess', UserName: 'ramreader' }, { method: 'POST' }),
      'NoPermission',
      'You are not authorized to do this action.',
      403,
    );
    await popFails(ram.call('GetUser', { UserName: 'not-allowed' }), 'EntityNotExist.User');

    const nobody = await ram.user('ramnobody');
    await popFails(nobody.pop().request('ListUsers', {}, { method: 'POST' }), 'NoPermission', 'You are not authorized to do this action.', 403);
    await popFails(nobody.pop().request('ListAccessKeys', {}, { method: 'POST' }), 'NoPermission');

    // AccessKey actions without UserName act on the calling user (spec §4.3), authorized on its own ARN.
    const self = await ram.userWith(
      'ramself',
      policyDoc({ Effect: 'Allow', Action: ['ram:ListAccessKeys', 'ram:CreateAccessKey'], Resource: `acs:ram::${ACCOUNT_ID}:user/ramself` }),
    );
    const own = await self.pop().request<Record<string, any>>('ListAccessKeys', {}, { method: 'POST' }); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(own.AccessKeys.AccessKey.map((k: { AccessKeyId: string }) => k.AccessKeyId), [self.accessKeyId]);
    const second = await self.pop().request<Record<string, any>>('CreateAccessKey', {}, { method: 'POST' }); // eslint-disable-line @typescript-eslint/no-explicit-any
    const keys = await ram.call('ListAccessKeys', { UserName: 'ramself' });
    assert.equal(keys.AccessKeys.AccessKey.length, 2);
    assert.ok(keys.AccessKeys.AccessKey.some((k: { AccessKeyId: string }) => k.AccessKeyId === second.AccessKey.AccessKeyId));
    await popFails(self.pop().request('ListAccessKeys', { UserName: 'ramadmin' }, { method: 'POST' }), 'NoPermission');
    // The account root has no RAM user to default to.
    await popFails(ram.call('ListAccessKeys', {}), 'MissingUserName');

    // Resource-scoped RAM policy: may manage only users named dev-*.
    const scoped = await ram.userWith(
      'ramscoped',
      policyDoc({ Effect: 'Allow', Action: ['ram:CreateUser', 'ram:GetUser'], Resource: `acs:ram::${ACCOUNT_ID}:user/dev-*` }),
    );
    await scoped.pop().request('CreateUser', { UserName: 'dev-one' }, { method: 'POST' });
    await popFails(scoped.pop().request('CreateUser', { UserName: 'ops-one' }, { method: 'POST' }), 'NoPermission');

    // A Deny wins over AliyunRAMFullAccess, and revoking the grant applies on the next call.
    await ram.createPolicy('deny-delete-user', policyDoc({ Effect: 'Deny', Action: 'ram:DeleteUser', Resource: '*' }));
    await ram.attachToUser('deny-delete-user', admin.userName);
    await popFails(a.request('DeleteUser', { UserName: 'made-by-admin' }, { method: 'POST' }), 'NoPermission');
    await ram.detachFromUser('AliyunRAMFullAccess', admin.userName, 'System');
    await popFails(a.request('ListUsers', {}, { method: 'POST' }), 'NoPermission');
  });
});
