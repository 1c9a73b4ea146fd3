// Red team (7 Dec 2026, late evening, helper 6): privilege escalation through RAM, STS and policies, as a RAM user
// with a narrow policy, a user allowed only sts:AssumeRole and a session narrowed by a session policy.
//
// Found (LOW, fixed): a Resource or NotResource naming a role with the type written in another case
// (`acs:ram:*:*:Role/AdminRole`, `ROLE/…`) is matched case-insensitively by the resource matcher (role names are unique
// regardless of case, policy/resource.ts compileTail), but the statement index keyed it by its literal first part
// `Role`, which no request key (`role`) equals (keyConstraint): the statement was dropped before matching. A Deny so
// written never applied (AttachPolicyToRole of AdministratorAccess, UpdateRole of the trust policy and sts:AssumeRole
// went through), and an Allow with `NotResource` so written (meaning "everything but AdminRole") was kept as if no
// pattern could match, so it granted AdminRole too. The index now also keys such a pattern by its lower-cased form.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT } from './helpers/sts.js';

describe('redteam (helper 6): a role pattern whose type is written in another case', () => {
  let srv: TestServer;
  let ram: Ram;
  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await ram.call('CreateRole', { RoleName: 'AdminRole', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('CreateRole', { RoleName: 'Worker', AssumeRolePolicyDocument: TRUST_ACCOUNT });
  });
  after(async () => {
    await srv?.stop();
  });

  const attach = (u: Awaited<ReturnType<Ram['user']>>, role: string): Promise<unknown> =>
    u.pop().request('AttachPolicyToRole', { PolicyType: 'System', PolicyName: 'AdministratorAccess', RoleName: role }, { method: 'POST' });

  it('a Deny on Role/AdminRole refuses AttachPolicyToRole, UpdateRole and AssumeRole of that role', async () => {
    for (const [i, type] of ['Role', 'ROLE'].entries()) {
      const name = `h6-denied-${i}`;
      const u = await ram.userWith(name, policyDoc(
        { Effect: 'Allow', Action: ['ram:*', 'sts:AssumeRole'], Resource: '*' },
        { Effect: 'Deny', Action: ['ram:*', 'sts:AssumeRole'], Resource: `acs:ram:*:${ACCOUNT_ID}:${type}/AdminRole` },
      ));
      const trustMe = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:user/${name}`] } }] });
      for (const role of ['AdminRole', 'adminrole']) {
        await popFails(attach(u, role), 'NoPermission');
        await popFails(u.pop().request('UpdateRole', { RoleName: role, NewAssumeRolePolicyDocument: trustMe }, { method: 'POST' }), 'NoPermission');
        await popFails(assumeRole(stsClient(srv, u.accessKeyId, u.accessKeySecret), { RoleArn: roleArn(role), RoleSessionName: 'h6-session' }), 'NoPermission');
      }
      // The Allow still holds elsewhere.
      await attach(u, 'Worker');
      await ram.call('DetachPolicyFromRole', { PolicyType: 'System', PolicyName: 'AdministratorAccess', RoleName: 'Worker' });
    }
    const attached = (await ram.call('ListPoliciesForRole', { RoleName: 'AdminRole' })).Policies.Policy as unknown[];
    assert.deepEqual(attached, [], 'nothing attached to AdminRole');
    const role = (await ram.call('GetRole', { RoleName: 'AdminRole' })).Role as { AssumeRolePolicyDocument: string };
    assert.equal(role.AssumeRolePolicyDocument, TRUST_ACCOUNT, 'the trust policy is the root\'s');
  });

  it('an Allow with NotResource Role/AdminRole grants every role but AdminRole', async () => {
    const u = await ram.userWith('h6-not-admin', policyDoc({ Effect: 'Allow', Action: ['ram:AttachPolicyToRole', 'sts:AssumeRole'], NotResource: `acs:ram:*:${ACCOUNT_ID}:Role/AdminRole` }));
    await popFails(attach(u, 'AdminRole'), 'NoPermission');
    await popFails(assumeRole(stsClient(srv, u.accessKeyId, u.accessKeySecret), { RoleArn: roleArn('AdminRole'), RoleSessionName: 'h6-session' }), 'NoPermission');
    // The statement is not refused wholesale: another role is granted.
    const worker = await assumeRole(stsClient(srv, u.accessKeyId, u.accessKeySecret), { RoleArn: roleArn('Worker'), RoleSessionName: 'h6-session' });
    assert.match(worker.Credentials.AccessKeyId as string, /^STS\./);
    const attached = (await ram.call('ListPoliciesForRole', { RoleName: 'AdminRole' })).Policies.Policy as unknown[];
    assert.deepEqual(attached, []);
  });
});
