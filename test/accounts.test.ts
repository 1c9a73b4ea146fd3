// Several accounts on one server (docs/accounts.md), through unchanged clients: the seeds' flow where the app
// server's RAM user lives in account B and the role and bucket in account A; a bucket policy granting an
// account-B user; refusals when either side of a cross-account AssumeRole is missing; accounts isolated.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import RPCClient from '@alicloud/pop-core';
import { rawRequest, v1Authorization, v1UrlParams, v4Authorization, type RawResponse } from './helpers/raw-http.js';
import { signV2, stringToSignV2 } from '../src/auth/signature/v2.js';
import { expectOssError } from './helpers/oss.js';
import { denied, MSG, policyDoc, popFails, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID as A, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, stsClient, type StsCredentials } from './helpers/sts.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- CommonJS SDKs without usable ESM types */
const StsClient: any = require('@alicloud/sts20150401').default;
const { AssumeRoleRequest }: any = require('@alicloud/sts20150401');
const { $OpenApiUtil }: any = require('@alicloud/openapi-core');
/* eslint-enable @typescript-eslint/no-explicit-any */

const B = '2000000000000002';
const B_AK = 'LTAI5tAccountBRootKey000';
const B_SECRET = 'AccountBRootSecret000000000000';
const AUTHORIZER = "Access denied by authorizer's policy.";
const NO_PERMISSION = 'You are not authorized to do this action. You should be authorized by RAM.';

/** RAM calls (and user handles) as the root of account B. */
class RamOfB extends Ram {
  override popClient(accessKeyId = B_AK, accessKeySecret = B_SECRET): RPCClient {
    return super.popClient(accessKeyId, accessKeySecret);
  }
}

/** ali-oss listBuckets' real result (its typings say Bucket[]). */
type Listed = { buckets: Array<{ name: string }>; owner: { id: string } };
const trustOf = (...principals: string[]): string => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: principals } }] });
/** PutBucketPolicy as A's root (ali-oss types its statements without Condition). */
async function bucketPolicy(bucket: string, doc: object): Promise<void> {
  await srvRef.client({ bucket }).putBucketPolicy(bucket, doc as never);
}
let srvRef: TestServer;
const roleArnIn = (account: string, name: string): string => `acs:ram::${account}:role/${name}`;

describe('several accounts on one server', () => {
  let srv: TestServer;
  let ramA: Ram;
  let ramB: RamOfB;
  let appServer: RamUserHandle;
  const tea = (accessKeyId: string, accessKeySecret: string, securityToken?: string): any => // eslint-disable-line @typescript-eslint/no-explicit-any
    new StsClient(new $OpenApiUtil.Config({ accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}), endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
  const rootB = (bucket?: string) => srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET, ...(bucket !== undefined ? { bucket } : {}) });

  before(async () => {
    srv = await startTestServer();
    srvRef = srv;
    ramA = new Ram(srv);
    ramB = new RamOfB(srv);
    const created = await srv.accounts.create({ accountId: B, name: 'partner', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    assert.equal(created.accountId, B);

    // Account A: the bucket and a role that account B may assume, allowed to write the bucket.
    await srv.client().putBucket('acct-a-app');
    await srv.client({ bucket: 'acct-a-app' }).put('shared/readme.txt', Buffer.from('from A'));
    await ramA.call('CreateRole', { RoleName: 'AppWriter', AssumeRolePolicyDocument: trustOf(`acs:ram::${B}:root`) });
    await ramA.createPolicy('app-writer', policyDoc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: ['acs:oss:*:*:acct-a-app/*'] }));
    await ramA.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'app-writer', RoleName: 'AppWriter' });
    // A role trusting only A's own identities.
    await ramA.call('CreateRole', { RoleName: 'InternalOnly', AssumeRolePolicyDocument: trustOf(`acs:ram::${A}:root`) });

    // Account B: the app server's RAM user, allowed to assume A's role.
    appServer = await ramB.userWith('app-server', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [roleArnIn(A, 'appwriter'), roleArnIn(A, 'internalonly')] }));
  });
  after(async () => {
    await srv?.stop();
  });

  it('AssumeRole from B\'s user (sts20150401) into A\'s role, then ali-oss writes A\'s bucket under the session policy', async () => {
    const session = policyDoc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: ['acs:oss:*:*:acct-a-app/usr001/*'] });
    const r = await tea(appServer.accessKeyId, appServer.accessKeySecret).assumeRole(new AssumeRoleRequest({
      roleArn: roleArnIn(A, 'AppWriter'), roleSessionName: 'usr001', policy: session, durationSeconds: 3600,
    }));
    assert.equal(r.statusCode, 200);
    assert.equal(r.body.assumedRoleUser.arn, `acs:ram::${A}:role/appwriter/usr001`);
    const c = r.body.credentials;
    const creds: StsCredentials = { AccessKeyId: c.accessKeyId, AccessKeySecret: c.accessKeySecret, SecurityToken: c.securityToken, Expiration: c.expiration };
    const oss = ossWith(srv, creds, 'acct-a-app');
    assert.equal((await oss.put('usr001/photo.txt', Buffer.from('hello'))).res.status, 200);
    assert.equal((await srv.client({ bucket: 'acct-a-app' }).get('usr001/photo.txt')).content.toString(), 'hello');
    await denied(oss.put('usr002/photo.txt', Buffer.from('x')), AUTHORIZER);
    await denied(oss.get('shared/readme.txt'), AUTHORIZER);

    // The session acts in account A; B's user in B.
    const who = await tea(c.accessKeyId, c.accessKeySecret, c.securityToken).getCallerIdentity();
    assert.equal(who.body.accountId, A);
    assert.equal(who.body.arn, `acs:ram::${A}:assumed-role/appwriter/usr001`);
    const me = await tea(appServer.accessKeyId, appServer.accessKeySecret).getCallerIdentity();
    assert.equal(me.body.accountId, B);
    assert.equal(me.body.identityType, 'RAMUser');
    assert.equal(me.body.userId, appServer.userId);
    assert.equal(me.body.arn, `acs:ram::${B}:user/app-server`);
    const root = await tea(B_AK, B_SECRET).getCallerIdentity();
    assert.deepEqual([root.body.identityType, root.body.accountId, root.body.arn], ['Account', B, `acs:ram::${B}:root`]);
  });

  it('pop-core AssumeRole: refused when B\'s identity policy lacks sts:AssumeRole, when A\'s trust policy lacks B, on an explicit Deny', async () => {
    const sts = (u: { accessKeyId: string; accessKeySecret: string }) => stsClient(srv, u.accessKeyId, u.accessKeySecret);
    // Allowed with both sides present (pop-core as well).
    const ok = await assumeRole(sts(appServer), { RoleArn: roleArnIn(A, 'AppWriter'), RoleSessionName: 'popcore' });
    assert.match(ok.Credentials.AccessKeyId as string, /^STS\./);
    // B's user without any policy: A's trust policy admits B, but B never allowed its user.
    const bare = await ramB.user('no-policy');
    await popFails(assumeRole(sts(bare), { RoleArn: roleArnIn(A, 'AppWriter'), RoleSessionName: 's1' }), 'NoPermission', NO_PERMISSION);
    // B allows it, A's trust policy names only A.
    await popFails(assumeRole(sts(appServer), { RoleArn: roleArnIn(A, 'InternalOnly'), RoleSessionName: 's1' }), 'NoPermission', NO_PERMISSION);
    // An explicit Deny in B's policies wins over the Allow.
    const denyUser = await ramB.userWith('deny-user', policyDoc(
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' },
      { Effect: 'Deny', Action: 'sts:AssumeRole', Resource: roleArnIn(A, 'appwriter') },
    ));
    await popFails(assumeRole(sts(denyUser), { RoleArn: roleArnIn(A, 'AppWriter'), RoleSessionName: 's1' }), 'NoPermission', NO_PERMISSION);
    // A role ARN of an account this server does not hold, or of a role B does not have: EntityNotExist.Role to a caller
    // its own account allows to assume it (deny-user: sts:AssumeRole on *), NoPermission to one it does not (app-server
    // is allowed two roles of A only), which learns nothing of the role (docs/sts.md).
    await popFails(assumeRole(sts(denyUser), { RoleArn: roleArnIn('3000000000000003', 'AppWriter'), RoleSessionName: 's1' }), 'EntityNotExist.Role');
    await popFails(assumeRole(sts(denyUser), { RoleArn: roleArnIn(B, 'AppWriter'), RoleSessionName: 's1' }), 'EntityNotExist.Role');
    await popFails(assumeRole(sts(appServer), { RoleArn: roleArnIn('3000000000000003', 'AppWriter'), RoleSessionName: 's1' }), 'NoPermission', NO_PERMISSION);
    await popFails(assumeRole(sts(appServer), { RoleArn: roleArnIn(B, 'AppWriter'), RoleSessionName: 's1' }), 'NoPermission', NO_PERMISSION);
  });

  it('a trust policy naming one user of B, or one role of B (role chaining), admits only that identity', async () => {
    await ramA.call('CreateRole', { RoleName: 'OnlyAppServer', AssumeRolePolicyDocument: trustOf(`acs:ram::${B}:user/app-server`, `acs:ram::${B}:role/hop`) });
    await ramA.createPolicy('read-app', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:acct-a-app/*' }));
    await ramA.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'read-app', RoleName: 'OnlyAppServer' });
    const target = roleArnIn(A, 'OnlyAppServer');
    const other = await ramB.userWith('other-server', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
    await ramB.createPolicy('assume-only', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: target }));
    await ramB.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'assume-only', UserName: 'app-server' });
    const ok = await assumeRole(stsClient(srv, appServer.accessKeyId, appServer.accessKeySecret), { RoleArn: target, RoleSessionName: 'direct' });
    const read = ossWith(srv, ok.Credentials as StsCredentials, 'acct-a-app');
    assert.equal((await read.get('shared/readme.txt')).content.toString(), 'from A');
    await denied(read.put('shared/readme.txt', Buffer.from('x')), MSG.acl);
    await popFails(assumeRole(stsClient(srv, other.accessKeyId, other.accessKeySecret), { RoleArn: target, RoleSessionName: 'nope' }), 'NoPermission', NO_PERMISSION);
    // B's role `hop` (trusting B), assumed by B's other user, then A's role from that session.
    await ramB.call('CreateRole', { RoleName: 'hop', AssumeRolePolicyDocument: trustOf(`acs:ram::${B}:root`) });
    await ramB.createPolicy('hop-assume', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: target }));
    await ramB.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'hop-assume', RoleName: 'hop' });
    const hop = (await assumeRole(stsClient(srv, other.accessKeyId, other.accessKeySecret), { RoleArn: roleArnIn(B, 'hop'), RoleSessionName: 'hop1' })).Credentials as StsCredentials;
    const chained = await assumeRole(stsClient(srv, hop.AccessKeyId, hop.AccessKeySecret, hop.SecurityToken), { RoleArn: target, RoleSessionName: 'chained' });
    assert.equal(chained.AssumedRoleUser.Arn, `acs:ram::${A}:role/onlyappserver/chained`);
    // The hop session's own bucket list is B's (the session acts in B).
    const hopBuckets = (await srv.client({ accessKeyId: hop.AccessKeyId, accessKeySecret: hop.AccessKeySecret, stsToken: hop.SecurityToken }).listBuckets({}).catch((e: Error) => e)) as Error;
    assert.ok(hopBuckets instanceof Error, 'the hop role has no oss:ListBuckets');
  });

  it('a bucket policy of A granting an account-B user by uid; acs:PrincipalAccount conditions', async () => {
    await srv.client().putBucket('acct-a-shared');
    await srv.client({ bucket: 'acct-a-shared' }).put('doc.txt', Buffer.from('shared doc'));
    const reader = await ramB.user('reader');
    const other = await ramB.user('not-named');
    await bucketPolicy('acct-a-shared', {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Principal: [reader.userId], Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:acct-a-shared/*'] },
        { Effect: 'Allow', Principal: ['*'], Action: ['oss:ListObjects'], Resource: ['acs:oss:*:*:acct-a-shared'], Condition: { StringEquals: { 'acs:PrincipalAccount': [B] } } },
      ],
    });
    assert.equal((await reader.oss('acct-a-shared').get('doc.txt')).content.toString(), 'shared doc');
    await denied(reader.oss('acct-a-shared').put('doc.txt', Buffer.from('x')), MSG.acl);
    await denied(other.oss('acct-a-shared').get('doc.txt'), MSG.acl);
    // Any identity of account B may list; one of A without a grant may not.
    const listed = await other.oss('acct-a-shared').list({ 'max-keys': 10 }, {});
    assert.deepEqual(listed.objects?.map((o) => o.name), ['doc.txt']);
    const aUser = await ramA.user('a-nobody');
    await denied(aUser.oss('acct-a-shared').list({ 'max-keys': 10 }, {}), MSG.acl);
    // An explicit Deny for account B in the bucket policy beats the user grant.
    await bucketPolicy('acct-a-shared', {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Principal: [reader.userId], Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:acct-a-shared/*'] },
        { Effect: 'Deny', Principal: ['*'], Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:acct-a-shared/*'], Condition: { StringEquals: { 'acs:PrincipalAccount': B } } },
      ],
    });
    await denied(reader.oss('acct-a-shared').get('doc.txt'), MSG.policyDeny);
  });

  it('ACLs toward other accounts: public-read reads for all, owner stays the bucket\'s account, no grant → AccessDenied', async () => {
    await srv.client().putBucket('acct-a-public');
    await srv.client().putBucketACL('acct-a-public', 'public-read');
    await srv.client({ bucket: 'acct-a-public' }).put('pub.txt', Buffer.from('public'));
    assert.equal((await rootB('acct-a-public').get('pub.txt')).content.toString(), 'public');
    await denied(rootB('acct-a-public').put('pub.txt', Buffer.from('x')), MSG.acl);
    const acl = (await srv.client({ bucket: 'acct-a-public' }).getBucketACL('acct-a-public')) as unknown as { owner: { id: string } };
    assert.equal(acl.owner.id, A);
    // Root of B on A's private bucket: no grant. Neither account can explain it: the trace would show A's bucket
    // policy and ACL to B, or B's request to A. A request wholly within B is explained to B.
    const refused = await denied(rootB('acct-a-app').get('shared/readme.txt'), MSG.acl);
    await popFails(ramB.call('ExplainRequest', { RequestId: refused.requestId }), 'EntityNotExist.Request');
    await popFails(ramA.call('ExplainRequest', { RequestId: refused.requestId }), 'EntityNotExist.Request');
    await rootB().putBucket('acct-b-explained');
    const own = await expectOssError(rootB('acct-b-explained').get('missing.txt'), 'NoSuchKey', 404);
    const why = await ramB.call('ExplainRequest', { RequestId: own.requestId });
    assert.equal(why.Request.RequestId, own.requestId);
    await popFails(ramA.call('ExplainRequest', { RequestId: own.requestId }), 'EntityNotExist.Request');
    // An anonymous request to B's bucket belongs to B, not to the default account.
    const anon = await fetch(`${srv.url}/acct-b-explained/secret.txt`);
    const anonId = anon.headers.get('x-oss-request-id')!;
    assert.equal(anon.status, 403);
    await popFails(ramA.call('ExplainRequest', { RequestId: anonId }), 'EntityNotExist.Request');
    // The policy simulator of B does not see A's bucket policy.
    await srv.client({ bucket: 'acct-a-app' }).putBucketPolicy('acct-a-app', { Version: '1', Statement: [{ Sid: 'OnlyFromVpn', Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['acs:oss:*:*:acct-a-app/*'], Condition: { IpAddress: { 'acs:SourceIp': ['172.16.42.0/24'] } } }] } as never);
    await ramB.call('CreateUser', { UserName: 'sim-dummy' });
    const sim = await ramB.call('SimulatePrincipalPolicy', { UserName: 'sim-dummy', ActionName: 'oss:GetObject', Resource: 'acs:oss:*:*:acct-a-app/x' });
    assert.equal(JSON.stringify(sim).includes('OnlyFromVpn'), false, JSON.stringify(sim));
    assert.equal(JSON.stringify(sim).includes('172.16.42.0/24'), false);
    await srv.client({ bucket: 'acct-a-app' }).deleteBucketPolicy('acct-a-app');
    await ramB.call('DeleteUser', { UserName: 'sim-dummy' });
    await rootB().deleteBucket('acct-b-explained');
    await denied(rootB('acct-a-app').put('x.txt', Buffer.from('x')), MSG.acl);
    await expectOssError(rootB().deleteBucket('acct-a-app'), 'AccessDenied', 403);
    await expectOssError(rootB().getBucketACL('acct-a-app'), 'AccessDenied', 403);
  });

  it('accounts are isolated: own buckets, own RAM entities, same names in both', async () => {
    // Bucket names stay global; each account lists its own.
    await rootB().putBucket('acct-b-data');
    await expectOssError(rootB().putBucket('acct-a-app'), 'BucketAlreadyExists', 409);
    const bList = (await rootB().listBuckets({})) as unknown as Listed;
    assert.deepEqual(bList.buckets.map((b) => b.name), ['acct-b-data']);
    assert.equal(bList.owner.id, B);
    const aList = (await srv.client().listBuckets({})) as unknown as Listed;
    assert.ok(!aList.buckets.some((b) => b.name === 'acct-b-data'));
    const info = await rootB().getBucketInfo('acct-b-data');
    assert.equal(info.bucket.Owner.ID, B);
    await denied(srv.client({ bucket: 'acct-b-data' }).put('x', Buffer.from('x')), MSG.acl);

    // ListBuckets pages over the caller's own buckets: another account's buckets before them take no room in a
    // page and never end the listing early (Go SDK 1.5.0 tests, with max-keys 1).
    type Page = { buckets: Array<{ name: string }> | null; isTruncated: boolean; nextMarker: string | null };
    const page = async (client: ReturnType<typeof rootB>, query: Record<string, string | number>): Promise<Page> =>
      (await client.listBuckets(query as never)) as unknown as Page;
    await rootB().putBucket('lbx-a1');
    await rootB().putBucket('lbx-a2');
    await srv.client().putBucket('lbx-b-mine');
    const mine = await page(srv.client(), { prefix: 'lbx-', 'max-keys': 1 });
    assert.deepEqual(mine.buckets?.map((b) => b.name), ['lbx-b-mine']);
    assert.equal(mine.isTruncated, false);
    assert.equal(mine.nextMarker, null);
    const b1 = await page(rootB(), { prefix: 'lbx-', 'max-keys': 1 });
    assert.deepEqual(b1.buckets?.map((b) => b.name), ['lbx-a1']);
    assert.equal(b1.isTruncated, true);
    assert.equal(b1.nextMarker, 'lbx-a1');
    const b2 = await page(rootB(), { prefix: 'lbx-', 'max-keys': 1, marker: b1.nextMarker! });
    assert.deepEqual(b2.buckets?.map((b) => b.name), ['lbx-a2']);
    assert.equal(b2.isTruncated, false, 'lbx-b-mine is not B\'s: nothing follows');
    assert.equal(b2.nextMarker, null);
    const b3 = await page(rootB(), { prefix: 'lbx-', 'max-keys': 1, marker: 'lbx-a2' });
    assert.equal(b3.buckets, null);
    assert.equal(b3.isTruncated, false);
    // Filtered by tag as well: A's bucket between B's tagged ones neither shows nor cuts the page.
    const tagged = await srv.client().putBucket('lbx-a15');
    assert.equal(tagged.res.status, 200);
    for (const [owner, name] of [[rootB(), 'lbx-a1'], [rootB(), 'lbx-a2'], [srv.client(), 'lbx-a15']] as const) {
      await (owner as unknown as { putBucketTags(n: string, t: Record<string, string>): Promise<unknown> }).putBucketTags(name, { team: 'x' });
    }
    const byTag = await page(rootB(), { prefix: 'lbx-', 'max-keys': 1, 'tag-key': 'team' });
    assert.deepEqual(byTag.buckets?.map((b) => b.name), ['lbx-a1']);
    assert.equal(byTag.isTruncated, true);
    const byTag2 = await page(rootB(), { prefix: 'lbx-', 'max-keys': 1, 'tag-key': 'team', marker: byTag.nextMarker! });
    assert.deepEqual(byTag2.buckets?.map((b) => b.name), ['lbx-a2']);
    assert.equal(byTag2.isTruncated, false);
    for (const n of ['lbx-a1', 'lbx-a2']) await rootB().deleteBucket(n);
    for (const n of ['lbx-b-mine', 'lbx-a15']) await srv.client().deleteBucket(n);

    // The same user, role and policy names in both accounts, with their own ids and ARNs.
    const ua = await ramA.call('CreateUser', { UserName: 'same-name' });
    const ub = await ramB.call('CreateUser', { UserName: 'same-name' });
    assert.notEqual(ua.User.UserId, ub.User.UserId);
    const ra = await ramA.call('CreateRole', { RoleName: 'Same', AssumeRolePolicyDocument: trustOf(`acs:ram::${A}:root`) });
    const rb = await ramB.call('CreateRole', { RoleName: 'Same', AssumeRolePolicyDocument: trustOf(`acs:ram::${B}:root`) });
    assert.equal(ra.Role.Arn, `acs:ram::${A}:role/same`);
    assert.equal(rb.Role.Arn, `acs:ram::${B}:role/same`);
    await ramA.createPolicy('same-policy', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }));
    await ramB.createPolicy('same-policy', policyDoc({ Effect: 'Deny', Action: 'oss:GetObject', Resource: '*' }));
    const pb = await ramB.call('GetPolicy', { PolicyType: 'Custom', PolicyName: 'same-policy' });
    assert.match(pb.DefaultPolicyVersion.PolicyDocument as string, /Deny/);
    await ramB.call('AddUserToGroup', { GroupName: 'g', UserName: 'same-name' }).catch(() => undefined);

    // B sees only its own entities, A only its own (no account rows either).
    const usersB = (await ramB.call('ListUsers', {})).Users.User.map((u: { UserName: string }) => u.UserName).sort();
    assert.deepEqual(usersB, ['app-server', 'deny-user', 'no-policy', 'not-named', 'other-server', 'reader', 'same-name']);
    const usersA = (await ramA.call('ListUsers', {})).Users.User.map((u: { UserName: string }) => u.UserName).sort();
    assert.deepEqual(usersA, ['a-nobody', 'same-name']);
    // A's pages of one user skip B's rows (and B's account row) stored between them.
    const pagedA: string[] = [];
    let marker: string | undefined;
    do {
      const page = await ramA.call('ListUsers', { MaxItems: 1, ...(marker !== undefined ? { Marker: marker } : {}) });
      pagedA.push(...page.Users.User.map((u: { UserName: string }) => u.UserName));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker !== undefined);
    assert.deepEqual(pagedA, ['a-nobody', 'same-name']);
    const rolesB = (await ramB.call('ListRoles', {})).Roles.Role.map((r: { RoleName: string }) => r.RoleName);
    assert.deepEqual(rolesB, ['Same', 'hop']);
    await popFails(ramB.call('GetUser', { UserName: 'a-nobody' }), 'EntityNotExist.User');
    await popFails(ramB.call('GetRole', { RoleName: 'AppWriter' }), 'EntityNotExist.Role');
    await popFails(ramB.call('DeleteUser', { UserName: 'a-nobody' }), 'EntityNotExist.User');
    await popFails(ramB.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'app-writer', RoleName: 'Same' }), 'EntityNotExist.Policy');
    // Paging through B's users with MaxItems crosses no account boundary.
    const page1 = await ramB.call('ListUsers', { MaxItems: 2 });
    assert.equal(page1.IsTruncated, true);
    const page2 = await ramB.call('ListUsers', { MaxItems: 100, Marker: page1.Marker });
    assert.deepEqual([...page1.Users.User, ...page2.Users.User].map((u: { UserName: string }) => u.UserName), usersB);

    // B's RAM user with full OSS rights in B still has none on A's bucket (identity policies count in its own account only).
    const admin = await ramB.userWith('b-admin', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }));
    assert.equal((await admin.oss('acct-b-data').put('ok.txt', Buffer.from('ok'))).res.status, 200);
    await denied(admin.oss('acct-a-app').get('shared/readme.txt'), MSG.acl);
    // A's root has no RAM power in B: it only ever sees its own account.
    await popFails(ramA.call('GetUser', { UserName: 'b-admin' }), 'EntityNotExist.User');
    // Login profiles are per account (test/accounts-ram-extras.test.ts has the rest): B's profile for its
    // user named like one of A's is B's only.
    await ramA.call('CreateUser', { UserName: 'shared-name' }).catch(() => undefined);
    await ramB.call('CreateUser', { UserName: 'shared-name' }).catch(() => undefined);
    await ramB.call('CreateLoginProfile', { UserName: 'shared-name', Password: 'Sup3r-Secret-Pass!' });
    await popFails(ramA.call('GetLoginProfile', { UserName: 'shared-name' }), 'EntityNotExist.User.LoginProfile');
    assert.equal((await ramB.call('GetLoginProfile', { UserName: 'shared-name' })).LoginProfile.UserName, 'shared-name');
  });

  it('/-/accounts: the default root lists, creates (Content-MD5 signed) and deletes; any other caller is refused', async () => {
    const call = (method: string, key: string, ak: string, secret: string, body?: string): Promise<RawResponse> => {
      const headers: Record<string, string> = { date: new Date().toUTCString(), host: `127.0.0.1:${srv.port}` };
      if (body !== undefined) {
        headers['content-md5'] = createHash('md5').update(body).digest('base64');
        headers['content-type'] = 'application/json';
      }
      headers.authorization = v1Authorization({ method, bucket: '-', key, headers }, ak, secret).authorization;
      return rawRequest(srv.port, { method, path: `/-/${key}`, headers, ...(body !== undefined ? { body } : {}) });
    };
    const listed = await call('GET', 'accounts', AK, SECRET);
    assert.equal(listed.status, 200, listed.body.toString());
    assert.deepEqual(JSON.parse(listed.body.toString()).accounts.slice(0, 2).map((a: { accountId: string }) => a.accountId), [A, B]);
    // B's root and A's RAM users are not the operator.
    assert.equal((await call('GET', 'accounts', B_AK, B_SECRET)).status, 403);
    assert.equal((await call('POST', 'accounts', appServer.accessKeyId, appServer.accessKeySecret, '{}')).status, 403);
    // A body without its signed digest is refused; with it, the account is created.
    const unsigned = await rawRequest(srv.port, {
      method: 'POST', path: '/-/accounts',
      headers: (() => { const h: Record<string, string> = { date: new Date().toUTCString(), host: `127.0.0.1:${srv.port}` }; h.authorization = v1Authorization({ method: 'POST', bucket: '-', key: 'accounts', headers: h }, AK, SECRET).authorization; return h; })(),
      body: '{"accountId":"4000000000000004"}',
    });
    assert.equal(unsigned.status, 400, unsigned.body.toString());
    const made = await call('POST', 'accounts', AK, SECRET, JSON.stringify({ accountId: '4000000000000004', name: 'api made' }));
    assert.equal(made.status, 200, made.body.toString());
    const created = JSON.parse(made.body.toString());
    assert.equal(created.accountId, '4000000000000004');
    assert.deepEqual((await srv.client({ accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret }).getBucketInfo('acct-a-app').catch((e: { code: string }) => e.code)), 'AccessDenied');
    assert.equal((await call('POST', 'accounts', AK, SECRET, JSON.stringify({ accountId: '4000000000000004' }))).status, 400);
    assert.equal((await call('POST', 'accounts', AK, SECRET, JSON.stringify({ accountId: 42 }))).status, 400);
    assert.equal((await call('DELETE', `accounts/${B}`, AK, SECRET)).status, 400);
    assert.equal((await call('DELETE', 'accounts/4000000000000004', AK, SECRET)).status, 200);
    assert.equal(await srv.accounts.get('4000000000000004'), null);
  });

  it('/-/accounts: a signed change is accepted once (a replayed POST or DELETE is refused, nothing changes); signed URLs are refused', async () => {
    const signed = (method: string, key: string, body?: string, extra: Record<string, string> = {}): { method: string; path: string; headers: Record<string, string>; body?: string } => {
      const headers: Record<string, string> = { date: new Date().toUTCString(), host: `127.0.0.1:${srv.port}`, ...extra };
      if (body !== undefined) {
        headers['content-md5'] = createHash('md5').update(body).digest('base64');
        headers['content-type'] = 'application/json';
      }
      headers.authorization = v1Authorization({ method, bucket: '-', key, headers }, AK, SECRET).authorization;
      return { method, path: `/-/${key}`, headers, ...(body !== undefined ? { body } : {}) };
    };
    const id = '4000000000000005';
    const create = signed('POST', 'accounts', JSON.stringify({ accountId: id, name: 'once' }));
    const first = await rawRequest(srv.port, create);
    assert.equal(first.status, 200, first.body.toString());
    const replayed = await rawRequest(srv.port, create);
    assert.equal(replayed.status, 403, replayed.body.toString());
    assert.match(replayed.body.toString(), /already used/);
    const remove = signed('DELETE', `accounts/${id}`);
    assert.equal((await rawRequest(srv.port, remove)).status, 200);
    assert.equal(await srv.accounts.get(id), null);
    // The captured create, replayed after the delete, does not bring the account back; the delete is spent too.
    assert.equal((await rawRequest(srv.port, create)).status, 403);
    assert.equal(await srv.accounts.get(id), null);
    await srv.accounts.create({ accountId: id, name: 'made again' });
    assert.equal((await rawRequest(srv.port, remove)).status, 403, 'a replayed DELETE is refused');
    assert.notEqual(await srv.accounts.get(id), null);
    // A new signature (another signed x-oss- header) is a new request.
    assert.equal((await rawRequest(srv.port, signed('DELETE', `accounts/${id}`, undefined, { 'x-oss-nonce': 'second' }))).status, 200);
    const list = signed('GET', 'accounts');
    assert.equal((await rawRequest(srv.port, list)).status, 200);
    assert.equal((await rawRequest(srv.port, list)).status, 200, 'a listing changes nothing: the same signed GET is taken again');
    // A signed URL may stay valid for days: not taken.
    const expires = Math.floor(Date.now() / 1000) + 600;
    const q = v1UrlParams({ method: 'GET', bucket: '-', key: 'accounts', headers: {} }, AK, SECRET, expires).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const url = await rawRequest(srv.port, { method: 'GET', path: `/-/accounts?${q}`, headers: { host: `127.0.0.1:${srv.port}` } });
    assert.equal(url.status, 403, url.body.toString());
    assert.match(url.body.toString(), /Authorization header only/);
  });

  it('/-/accounts: a replay with the same signature written differently (spacing, case, extra fields; V1, V2, V4) is refused', async () => {
    const body = '{}';
    const base = (): Record<string, string> => ({
      host: `127.0.0.1:${srv.port}`, 'content-md5': createHash('md5').update(body).digest('base64'), 'content-type': 'application/json',
    });
    const made: string[] = [];
    const accounts = async (): Promise<number> => (await srv.accounts.list()).length;
    const tryAll = async (label: string, headers: Record<string, string>, variants: string[]): Promise<void> => {
      const before = await accounts();
      const first = await rawRequest(srv.port, { method: 'POST', path: '/-/accounts', headers, body });
      assert.equal(first.status, 200, `${label}: ${first.body.toString()}`);
      made.push((JSON.parse(first.body.toString()) as { accountId: string }).accountId);
      assert.equal(await accounts(), before + 1);
      for (const authorization of [headers.authorization!, ...variants]) {
        const again = await rawRequest(srv.port, { method: 'POST', path: '/-/accounts', headers: { ...headers, authorization }, body });
        assert.equal(again.status, 403, `${label} replay ${JSON.stringify(authorization)}: ${again.body.toString()}`);
        assert.match(again.body.toString(), /already used/);
      }
      assert.equal(await accounts(), before + 1, `${label}: no replay created an account`);
    };
    // V4: fields are trimmed, unknown ones ignored, the hex signature's case is free.
    const v4h = { ...base(), 'x-oss-date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
    const v4 = v4Authorization({ method: 'POST', bucket: '-', key: 'accounts', headers: v4h }, AK, SECRET, 'cn-hangzhou');
    await tryAll('V4', { ...v4h, authorization: v4 }, [
      v4.replace(',', ', '),
      v4.replace(/Signature=([0-9a-f]+)/, (_, sig: string) => `Signature=${sig.toUpperCase()}`),
      `${v4},X=1`,
      `${v4.replace(',', ' , ')},AdditionalHeaders=`,
    ]);
    // V2: `name:value` fields, trimmed, any order, unknown ones ignored.
    const v2h: Record<string, string> = { ...base(), date: new Date().toUTCString() };
    const v2sig = signV2(SECRET, stringToSignV2({ method: 'POST', bucket: '-', key: 'accounts', query: [], headers: v2h }, v2h.date!, [], false));
    const v2 = `OSS2 AccessKeyId:${AK},Signature:${v2sig}`;
    await tryAll('V2', { ...v2h, authorization: v2 }, [`OSS2 AccessKeyId:${AK}, Signature:${v2sig}`, `OSS2 Signature:${v2sig},AccessKeyId:${AK}`, `${v2},X:1`]);
    // V1: one form only; the exact replay is refused.
    const v1h: Record<string, string> = { ...base(), date: new Date().toUTCString(), 'x-oss-nonce': 'v1-variant' };
    await tryAll('V1', { ...v1h, authorization: v1Authorization({ method: 'POST', bucket: '-', key: 'accounts', headers: v1h }, AK, SECRET).authorization }, []);
    for (const id of made) await srv.accounts.delete(id);
  });

  it('an account holding something cannot be deleted; an empty one can, and its keys stop working', async () => {
    await assert.rejects(srv.accounts.delete(B), /still has buckets, RAM users/);
    await assert.rejects(srv.accounts.delete(A), /default account cannot be deleted/);
    const c = await srv.accounts.create({ name: 'short lived' });
    assert.match(c.accountId, /^\d{16}$/);
    const client = srv.client({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret });
    assert.deepEqual(((await client.listBuckets({})) as unknown as Listed).buckets, null);
    assert.deepEqual((await srv.accounts.list()).map((x) => x.accountId), [A, B, c.accountId].slice(0, 1).concat([B, c.accountId].sort()));
    await srv.accounts.delete(c.accountId);
    await expectOssError(client.listBuckets({}), 'InvalidAccessKeyId', 403);
  });
});
