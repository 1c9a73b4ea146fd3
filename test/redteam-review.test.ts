// Red-team review of the issue-11 fixes: each finding reproduced against a real server with unchanged
// clients (@alicloud/pop-core, ali-oss) or raw HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { denied, MSG, policyDoc, popFails, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

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

describe('Bucket policy: a Principal naming a role session matches whatever case the role name is written in', () => {
  let srv: TestServer;
  let ram: Ram;
  const BUCKET = 'rt-role-case';

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('secret', Buffer.from('s'));
    await ram.call('CreateRole', { RoleName: 'ReaderRole', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('AttachPolicyToRole', { RoleName: 'ReaderRole', PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess' });
  });
  after(async () => {
    await srv.stop();
  });

  it('a Deny on arn:sts::<uid>:assumed-role/readerrole/* (the case AssumeRole reports) refuses sessions of ReaderRole', async () => {
    const u = await ram.userWith('rt-assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
    const body = await assumeRole(stsClient(srv, u.accessKeyId, u.accessKeySecret), { RoleArn: roleArn('ReaderRole'), RoleSessionName: 'rt-session' });
    // The server names the session with the lower-cased role name; an owner copies that into a Deny.
    const reported = String(body.AssumedRoleUser.Arn);
    assert.equal(reported, `acs:ram::${ACCOUNT_ID}:role/readerrole/rt-session`);
    const creds = body.Credentials as StsCredentials;
    const oss = ossWith(srv, creds, BUCKET);
    assert.equal((await oss.get('secret')).content.toString(), 's');
    for (const principal of [`arn:sts::${ACCOUNT_ID}:assumed-role/readerrole/*`, `arn:sts::${ACCOUNT_ID}:assumed-role/ReaderRole/*`]) {
      await srv.client({ bucket: BUCKET }).putBucketPolicy(BUCKET, {
        Version: '1',
        Statement: [{ Effect: 'Deny', Action: ['oss:GetObject'], Principal: [principal], Resource: [`acs:oss:*:*:${BUCKET}/*`] }],
      });
      await denied(oss.get('secret'), MSG.policyDeny);
    }
  });
});
