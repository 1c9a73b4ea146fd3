// SimulatePrincipalPolicy (Alunite extension of the RAM API): the policy simulator through pop-core.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { TRUST_ACCOUNT } from './helpers/sts.js';
import { expectOssError } from './helpers/oss.js';
import RPCClient from '@alicloud/pop-core';
import { signedRequest } from './helpers/signed.js';

describe('SimulatePrincipalPolicy', () => {
  let srv: TestServer;
  let ram: Ram;
  const object = (key: string): string => `acs:oss:cn-hangzhou:${ACCOUNT_ID}:app/${key}`;
  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await ram.createPolicy('app-read', policyDoc(
      { Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:app/usr001/*' },
      { Effect: 'Deny', Action: 'oss:*', Resource: '*', Condition: { NotIpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } },
    ));
    await ram.user('alice');
    await ram.attachToUser('app-read', 'alice');
    await ram.call('CreateRole', { RoleName: 'Reader', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('AttachPolicyToRole', { PolicyType: 'System', PolicyName: 'AliyunOSSReadOnlyAccess', RoleName: 'Reader' });
  });
  after(() => srv.stop());

  const simulate = (params: Record<string, string>) => ram.call('SimulatePrincipalPolicy', params);

  it('explains Allow, ExplicitDeny and ImplicitDeny for a user with the deciding statements', async () => {
    const allow = await simulate({ UserName: 'alice', ActionName: 'oss:GetObject', Resource: object('usr001/a'), Context: JSON.stringify({ 'acs:SourceIp': '10.1.1.1' }) });
    assert.equal(allow.EvaluationResult.Decision, 'Allow');
    assert.deepEqual(allow.EvaluationResult.MatchedStatements.Statement.map((s: object) => ({ ...s })), [{ PolicyName: 'app-read', StatementIndex: 0, Effect: 'Allow' }]);
    const deny = await simulate({ UserName: 'alice', ActionName: 'oss:GetObject', Resource: object('usr001/a'), Context: JSON.stringify({ 'acs:SourceIp': '8.8.8.8' }) });
    assert.equal(deny.EvaluationResult.Decision, 'ExplicitDeny');
    assert.match(deny.EvaluationResult.Reasons.Reason[0], /Statement\[1\] denies oss:GetObject/);
    const implicit = await simulate({ UserName: 'alice', ActionName: 'oss:PutObject', Resource: object('usr001/a'), Context: JSON.stringify({ 'acs:SourceIp': '10.1.1.1' }) });
    assert.equal(implicit.EvaluationResult.Decision, 'ImplicitDeny');
  });

  it('sts:AssumeRole: the trust policy is named by the role as created, as AssumeRole names it (role ARNs are lower case)', async () => {
    await ram.user('assumer');
    await ram.attachToUser('AliyunSTSAssumeRoleAccess', 'assumer', 'System');
    const r = await simulate({ UserName: 'assumer', ActionName: 'sts:AssumeRole', Resource: `acs:ram::${ACCOUNT_ID}:role/reader` });
    assert.equal(r.EvaluationResult.Decision, 'Allow');
    const trust = r.EvaluationResult.Trace.Layers.Layer.find((l: { Name: string }) => l.Name === 'trust');
    // Before: "trust policy of reader" (the ARN's spelling), while ExplainRequest of the real AssumeRole says "of Reader".
    assert.equal(trust.Policies.Policy[0].Name, 'trust policy of Reader');
  });

  it('simulates a role with its attached policies', async () => {
    const r = await simulate({ RoleName: 'Reader', ActionName: 'oss:GetObject', Resource: object('any') });
    assert.equal(r.EvaluationResult.Decision, 'Allow');
    assert.equal(r.EvaluationResult.MatchedStatements.Statement[0].PolicyName, 'AliyunOSSReadOnlyAccess');
  });

  it("a user's acs:MFAPresent is the Context's (false unless it says true); a role session's is always false", async () => {
    // Before: the Context's acs:MFAPresent was ignored, so a policy granting only with MFA could not be seen to grant.
    await ram.userWith('mfa-user', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { Bool: { 'acs:MFAPresent': 'true' } } }));
    const ask = (context: object) => simulate({ UserName: 'mfa-user', ActionName: 'oss:GetObject', Resource: object('a'), Context: JSON.stringify(context) });
    assert.equal((await ask({ 'acs:MFAPresent': 'true' })).EvaluationResult.Decision, 'Allow');
    assert.equal((await ask({})).EvaluationResult.Decision, 'ImplicitDeny');
    assert.equal((await ask({ 'acs:MFAPresent': 'false' })).EvaluationResult.Decision, 'ImplicitDeny');
  });

  it('refuses bad input and callers without permission', async () => {
    await popFails(simulate({ ActionName: 'oss:GetObject', Resource: '*' }), 'InvalidParameter');
    await popFails(simulate({ UserName: 'alice', Resource: '*' }), 'InvalidParameter');
    await popFails(simulate({ UserName: 'alice', ActionName: 'oss:GetObject', Resource: '*', Context: '[1]' }), 'InvalidParameter');
    await popFails(simulate({ UserName: 'nobody', ActionName: 'oss:GetObject', Resource: '*' }), 'EntityNotExist.User');
    const bob = await ram.user('bob');
    await popFails(bob.pop().request('SimulatePrincipalPolicy', { UserName: 'alice', ActionName: 'oss:GetObject', Resource: '*' }, { method: 'POST' }), 'NoPermission');
  });

  it('conditions in identity policies apply to RAM API calls too (acs:SourceIp)', async () => {
    await ram.createPolicy('ram-from-loopback', policyDoc({ Effect: 'Allow', Action: 'ram:List*', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': '127.0.0.0/8' } } }));
    await ram.createPolicy('ram-from-vpc', policyDoc({ Effect: 'Allow', Action: 'ram:List*', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } }));
    const near = await ram.user('near');
    await ram.attachToUser('ram-from-loopback', 'near');
    const far = await ram.user('far');
    await ram.attachToUser('ram-from-vpc', 'far');
    const listed = await near.pop().request<{ Users: { User: unknown[] } }>('ListUsers', {}, { method: 'POST' });
    assert.ok(listed.Users.User.length >= 2);
    await popFails(far.pop().request('ListUsers', {}, { method: 'POST' }), 'NoPermission', 'You are not authorized to do this action.', 403);
  });
});


// What the simulator says of an OSS request is what enforcement does with it (test/policy-differential.test.ts found
// these apart): the ACL's part of each action, the object's own ACL, another account's bucket, the refusal's message.
describe('SimulatePrincipalPolicy decides OSS requests as enforcement does', () => {
  let srv: TestServer;
  let ram: Ram;
  const B = 'sim-acl';
  const arn = (key?: string): string => `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${B}${key === undefined ? '' : `/${key}`}`;
  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    const root = srv.client({ bucket: B });
    await srv.client().putBucket(B);
    await root.putBucketACL(B, 'public-read-write');
    await root.put('open.txt', Buffer.from('o'));
    await root.put('closed.txt', Buffer.from('c'));
    await root.putACL('closed.txt', 'private');
    await ram.userWith('nobody', policyDoc({ Effect: 'Allow', Action: 'ram:GetUser', Resource: '*' }));
  });
  after(() => srv.stop());

  const simulate = async (UserName: string, ActionName: string, Resource: string, client?: RPCClient): Promise<Record<string, any>> => // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON
    (await (client ?? ram.popClient()).request<Record<string, any>>('SimulatePrincipalPolicy', { UserName, ActionName, Resource }, { method: 'POST' })).EvaluationResult; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

  it('a public ACL grants the Version actions as it grants GetObject and DeleteObject', async () => {
    // Before: oss:GetObjectVersion, oss:ListObjectVersions, oss:DeleteObjectVersion were never granted by an ACL here.
    for (const [action, resource] of [['oss:GetObjectVersion', arn('open.txt')], ['oss:ListObjectVersions', arn()], ['oss:DeleteObjectVersion', arn('open.txt')]] as const) {
      assert.equal((await simulate('nobody', action, resource)).Decision, 'Allow', action);
    }
  });

  it("an object's own ACL decides, and a refusal carries the message the request gets", async () => {
    // Before: the bucket's public-read-write ACL answered Allow for an object whose own ACL is private.
    const r = await simulate('nobody', 'oss:GetObject', arn('closed.txt'));
    assert.equal(r.Decision, 'ImplicitDeny');
    assert.equal(r.Message, 'You have no right to access this object because of bucket acl.');
    const err = await expectOssError((await ram.user('reader')).oss(B).get('closed.txt'), 'AccessDenied', 403);
    assert.equal(err.message, r.Message);
    assert.equal((await simulate('nobody', 'oss:GetObject', arn('open.txt'))).Decision, 'Allow');
    assert.equal((await simulate('nobody', 'oss:GetObjectAcl', arn('open.txt'))).Message, 'You do not have read acl permission on this object.');
  });

  it('Block Public Access refuses a public ACL being written before any policy, as the request is refused', async () => {
    await ram.userWith('acl-admin', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }));
    const block = '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>';
    await srv.client().putBucket('sim-blocked');
    assert.equal((await signedRequest(srv.port, 'PUT', 'sim-blocked', null, [['publicAccessBlock', '']], { body: block })).status, 200);
    const blocked = `acs:oss:cn-hangzhou:${ACCOUNT_ID}:sim-blocked/k`;
    const ask = (acl: string) => ram.popClient().request<Record<string, any>>('SimulatePrincipalPolicy', { // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON
      UserName: 'acl-admin', ActionName: 'oss:PutObjectAcl', Resource: blocked, Context: JSON.stringify({ 'oss:x-oss-object-acl': acl }),
    }, { method: 'POST' });
    // Before: Allow (the user's policy), though the request is 403 "Put public object acl is not allowed."
    const r = (await ask('public-read')).EvaluationResult;
    assert.equal(r.Decision, 'ExplicitDeny');
    assert.equal(r.Message, 'Put public object acl is not allowed.');
    assert.match(r.Reasons.Reason[0], /^public-access-block: /);
    assert.equal(r.Trace.DecidingLayer, undefined, 'no policy layer decided it');
    assert.equal((await ask('private')).EvaluationResult.Decision, 'Allow');
  });

  it("another account's bucket: its owner's policy and ACL alone can allow, so the caller's Allow is no Allow", async () => {
    const acct = await srv.accounts.create({ accountId: '3000000000000003', name: 'sim-other' });
    const other = new RPCClient({ accessKeyId: acct.accessKeyId, accessKeySecret: acct.accessKeySecret, endpoint: srv.url, apiVersion: '2015-05-01' });
    const call = (action: string, params: Record<string, string>): Promise<unknown> => other.request(action, params, { method: 'POST' });
    await call('CreateUser', { UserName: 'outsider' });
    await call('CreatePolicy', { PolicyName: 'all-oss', PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }, { Effect: 'Deny', Action: 'oss:DeleteObject', Resource: '*' }) });
    await call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'all-oss', UserName: 'outsider' });
    // Before: Allow (its own account's policy), though enforcement answers 403 "The bucket you access does not belong to you."
    const r = await simulate('outsider', 'oss:GetBucketAcl', arn(), other);
    assert.equal(r.Decision, 'ImplicitDeny');
    assert.equal(r.Message, undefined);
    assert.match(JSON.stringify(r.Trace), /not visible to this account/);
    const denied = await simulate('outsider', 'oss:DeleteObject', arn('open.txt'), other);
    assert.equal(denied.Decision, 'ExplicitDeny');
    assert.equal(denied.Message, 'Access denied by bucket policy.');
  });
});
