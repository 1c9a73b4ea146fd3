// SimulatePrincipalPolicy (Alunite extension of the RAM API): the policy simulator through pop-core.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { TRUST_ACCOUNT } from './helpers/sts.js';

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

  it('simulates a role with its attached policies', async () => {
    const r = await simulate({ RoleName: 'Reader', ActionName: 'oss:GetObject', Resource: object('any') });
    assert.equal(r.EvaluationResult.Decision, 'Allow');
    assert.equal(r.EvaluationResult.MatchedStatements.Statement[0].PolicyName, 'AliyunOSSReadOnlyAccess');
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

