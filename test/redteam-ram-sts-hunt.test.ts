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
//
// Found (LOW, fixed): PutAgenticBucketAcl (`?agenticBucket&acl`), authorized as oss:PutBucketAcl, carried no
// `oss:x-oss-acl`, so a Deny of public ACLs written on that key never applied to it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
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

describe('redteam (helper 6): the oss:x-oss-acl condition key on every request that sets a bucket ACL from it', () => {
  let srv: TestServer;
  const agentic = `vault-${ACCOUNT_ID}-cn-hangzhou-ab-apsr`;
  before(async () => {
    srv = await startTestServer();
    succeeds(await signedRequest(srv.port, 'PUT', agentic, null, [['agenticBucket', '']]));
    // An agentic bucket is made with Block Public Access on; its owner turned it off (for a bucket policy, say).
    succeeds(await signedRequest(srv.port, 'DELETE', agentic, null, [['agenticBucket', ''], ['publicAccessBlock', '']]), 204);
    succeeds(await signedRequest(srv.port, 'PUT', 'plain-vault', null, []));
  });
  after(async () => {
    await srv?.stop();
  });

  it('a Deny of oss:PutBucketAcl to public ACLs holds for PutAgenticBucketAcl as for PutBucketAcl', async () => {
    // "Bucket admins may manage their buckets but never make one public", written as the RAM docs write conditions.
    const u = await new Ram(srv).userWith('h6-bucket-admin', policyDoc(
      { Effect: 'Allow', Action: 'oss:*', Resource: '*' },
      { Effect: 'Deny', Action: 'oss:PutBucketAcl', Resource: '*', Condition: { StringEquals: { 'oss:x-oss-acl': ['public-read', 'public-read-write'] } } },
    ));
    const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
    const put = (bucket: string, query: Array<[string, string]>, acl: string) => signedRequest(srv.port, 'PUT', bucket, null, query, { headers: { 'x-oss-acl': acl }, creds });
    for (const acl of ['public-read', 'public-read-write']) {
      failsWith(await put('plain-vault', [['acl', '']], acl), 'AccessDenied', 403);
      failsWith(await put(agentic, [['acl', '']], acl), 'AccessDenied', 403);
      const r = failsWith(await put(agentic, [['agenticBucket', ''], ['acl', '']], acl), 'AccessDenied', 403);
      assert.equal(r.err?.Message, 'Access denied by bucket policy.');
    }
    assert.equal((await srv.meta.getBucket(agentic))?.acl, 'private', 'the agentic bucket is still private');
    // A private ACL is still the admin's to set.
    succeeds(await put(agentic, [['agenticBucket', ''], ['acl', '']], 'private'));
  });
});
