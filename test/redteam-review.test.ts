// Red-team review of the issue-11 fixes: each finding reproduced against a real server with unchanged
// clients (@alicloud/pop-core, ali-oss) or raw HTTP.
import { after, before, describe, it } from 'node:test';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT } from './helpers/sts.js';

describe('RAM: a Deny on a role written with capitals (as the RAM docs write role ARNs) holds', () => {
  let srv: TestServer;
  let ram: Ram;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await ram.call('CreateRole', { RoleName: 'AdminRole', AssumeRolePolicyDocument: TRUST_ACCOUNT });
  });
  after(async () => {
    await srv.stop();
  });

  it('UpdateRole, AttachPolicyToRole and sts:AssumeRole are refused by a Deny on role/AdminRole', async () => {
    const adminRole = `acs:ram:*:${ACCOUNT_ID}:role/AdminRole`;
    const u = await ram.userWith(
      'rt-operator',
      policyDoc(
        { Effect: 'Allow', Action: ['ram:*', 'sts:AssumeRole'], Resource: '*' },
        { Effect: 'Deny', Action: ['ram:UpdateRole', 'ram:AttachPolicyToRole', 'sts:AssumeRole'], Resource: adminRole },
      ),
    );
    const pop = u.pop();
    const opts = { method: 'POST' } as const;
    await popFails(pop.request('UpdateRole', { RoleName: 'AdminRole', NewAssumeRolePolicyDocument: TRUST_ACCOUNT }, opts), 'NoPermission');
    await popFails(pop.request('UpdateRole', { RoleName: 'adminrole', NewAssumeRolePolicyDocument: TRUST_ACCOUNT }, opts), 'NoPermission');
    await popFails(pop.request('AttachPolicyToRole', { RoleName: 'AdminRole', PolicyType: 'System', PolicyName: 'AdministratorAccess' }, opts), 'NoPermission');
    await popFails(assumeRole(stsClient(srv, u.accessKeyId, u.accessKeySecret), { RoleArn: roleArn('AdminRole'), RoleSessionName: 'rt-session' }), 'NoPermission');
    await popFails(assumeRole(stsClient(srv, u.accessKeyId, u.accessKeySecret), { RoleArn: roleArn('adminrole'), RoleSessionName: 'rt-session' }), 'NoPermission');
  });
});
