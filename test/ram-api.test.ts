// RAM API end to end with the unchanged @alicloud/pop-core RPCClient against a real server: every action,
// its success shape and its error paths (codes, messages, HTTP statuses).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { authorizeRootOnly as authorizeRam } from '../src/ram/authorize.js';
import { AK, ACCOUNT_ID, SECRET, startTestServer, type TestServer } from './helpers/server.js';

interface PopError extends Error {
  code: string;
  data: { RequestId: string; HostId: string; Code: string; Message: string; Recommend: string };
  entry: { response: { statusCode: number } };
}

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const TRUST = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }],
});
const doc = (action: string): string => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('RAM API via @alicloud/pop-core', () => {
  let server: TestServer;
  let client: RPCClient;

  before(async () => {
    server = await startTestServer();
    client = new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: server.url, apiVersion: '2015-05-01' });
  });
  after(async () => {
    await server.stop();
  });

  /** POST by default (form body); GET puts everything in the query. */
  async function call(action: string, params: Record<string, unknown> = {}, method: 'GET' | 'POST' = 'POST'): Promise<Body> {
    const res = await client.request<Body>(action, params, { method, verbose: false });
    assert.equal(typeof res.RequestId, 'string');
    assert.equal(res.Code, undefined, 'success bodies carry no Code');
    return res;
  }

  async function fails(action: string, params: Record<string, unknown>, code: string, status: number, message?: string | RegExp): Promise<PopError> {
    let caught: PopError | undefined;
    try {
      const c = new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: server.url, apiVersion: '2015-05-01' });
      await c.request(action, params, { method: 'POST' });
    } catch (err) {
      caught = err as PopError;
    }
    assert.ok(caught, `${action} should fail with ${code}`);
    assert.equal(caught.code, code, `${action}: ${caught.message}`);
    assert.equal(caught.data.Code, code);
    assert.match(caught.data.RequestId, /^[0-9A-F-]{36}$/);
    assert.equal(caught.data.HostId, 'ram.aliyuncs.com');
    assert.match(caught.data.Recommend, new RegExp(`q=${code.replace(/\./g, '\\.')}&product=Ram`));
    if (message instanceof RegExp) assert.match(caught.data.Message, message);
    else if (message !== undefined) assert.equal(caught.data.Message, message);
    assert.equal(caught.entry.response.statusCode, status, `${action}: HTTP status`);
    return caught;
  }

  /** The HTTP status of a failing call, through pop-core's verbose entry. */
  async function statusOf(action: string, params: Record<string, unknown>): Promise<number> {
    const c = new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: server.url, apiVersion: '2015-05-01' });
    try {
      await c.request(action, params, { method: 'POST' });
      return 200;
    } catch (err) {
      return (err as PopError).entry.response.statusCode;
    }
  }

  describe('users', () => {
    test('CreateUser, GetUser, UpdateUser, ListUsers, DeleteUser', async () => {
      const created = await call('CreateUser', { UserName: 'alice', DisplayName: 'Alice', Email: 'alice@example.com', Comments: 'first' });
      assert.match(created.User.UserId, /^\d{16}$/);
      assert.equal(created.User.UserName, 'alice');
      assert.equal(created.User.DisplayName, 'Alice');
      assert.equal(created.User.Email, 'alice@example.com');
      assert.match(created.User.CreateDate, ISO);

      const got = await call('GetUser', { UserName: 'alice' }, 'GET');
      assert.equal(got.User.UserId, created.User.UserId);
      assert.equal(got.User.Comments, 'first');

      const updated = await call('UpdateUser', { UserName: 'alice', NewUserName: 'alice2', NewDisplayName: 'Alice Two', NewComments: 'renamed' });
      assert.equal(updated.User.UserName, 'alice2');
      assert.equal(updated.User.DisplayName, 'Alice Two');
      assert.equal(updated.User.UserId, created.User.UserId);
      await fails('GetUser', { UserName: 'alice' }, 'EntityNotExist.User', 404, 'The user does not exist.');

      await call('DeleteUser', { UserName: 'alice2' });
      await fails('GetUser', { UserName: 'alice2' }, 'EntityNotExist.User', 404);
    });

    test('CreateUser errors', async () => {
      await call('CreateUser', { UserName: 'dup-user' });
      await fails('CreateUser', { UserName: 'dup-user' }, 'EntityAlreadyExists.User', 409, 'The user does already EXIST.');
      assert.equal(await statusOf('CreateUser', { UserName: 'dup-user' }), 409);
      await fails('CreateUser', { UserName: 'bad name!' }, 'InvalidParameter.UserName.InvalidChars', 400, 'The parameter - "UserName" contains invalid chars.');
      await fails('CreateUser', { UserName: 'x'.repeat(65) }, 'InvalidParameter.UserName.Length', 400, 'The parameter - "UserName" beyond the length limit.');
      assert.equal(await statusOf('CreateUser', { UserName: 'x'.repeat(65) }), 400);
      await fails('CreateUser', {}, 'MissingUserName', 400, 'UserName is mandatory for this action.');
      await fails('CreateUser', { UserName: 'c1', Comments: 'c'.repeat(129) }, 'InvalidParameter.Comments.Length', 400);
      await fails('UpdateUser', { UserName: 'nobody', NewComments: 'x' }, 'EntityNotExist.User', 404);
      await call('CreateUser', { UserName: 'dup-user2' });
      await fails('UpdateUser', { UserName: 'dup-user2', NewUserName: 'dup-user' }, 'EntityAlreadyExists.User', 409);
      await fails('DeleteUser', { UserName: 'nobody' }, 'EntityNotExist.User', 404);
      assert.equal(await statusOf('DeleteUser', { UserName: 'nobody' }), 404);
    });

    test('ListUsers pages with Marker/MaxItems', async () => {
      for (const n of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) await call('CreateUser', { UserName: n });
      const all = await call('ListUsers', {}, 'GET');
      assert.equal(all.IsTruncated, false);
      assert.equal(all.Marker, undefined);
      const names: string[] = all.Users.User.map((u: Body) => u.UserName);
      assert.deepEqual(names, [...names].sort());
      assert.ok(names.includes('page-c'));

      const seen: string[] = [];
      let marker: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await call('ListUsers', { MaxItems: 2, ...(marker ? { Marker: marker } : {}) });
        assert.ok(page.Users.User.length <= 2);
        seen.push(...page.Users.User.map((u: Body) => u.UserName as string));
        if (!page.IsTruncated) break;
        assert.equal(typeof page.Marker, 'string');
        marker = page.Marker;
      }
      assert.deepEqual(seen, names);
      await fails('ListUsers', { MaxItems: 0 }, 'InvalidParameter.MaxItems', 400);
      // MaxItems as the published metadata bounds it: 1–1000 for ListUsers (ListGroups: 1–100).
      assert.deepEqual((await call('ListUsers', { MaxItems: 1000 })).Users.User.map((u: Body) => u.UserName as string), names);
      await fails('ListUsers', { MaxItems: 1001 }, 'InvalidParameter.MaxItems', 400);
      await fails('ListGroups', { MaxItems: 101 }, 'InvalidParameter.MaxItems', 400);
      // Markers are opaque: made-up or altered ones are refused, not answered with an empty page.
      await fails('ListUsers', { Marker: 'abc' }, 'InvalidParameter.Marker', 400);
      await fails('ListUsers', { Marker: 'not a marker!' }, 'InvalidParameter.Marker', 400);
      await fails('ListUsers', { Marker: Buffer.from('page-c').toString('base64url') }, 'InvalidParameter.Marker', 400);
    });
  });

  describe('access keys', () => {
    test('CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, limits and DeleteConflict', async () => {
      await call('CreateUser', { UserName: 'keyholder' });
      const k1 = await call('CreateAccessKey', { UserName: 'keyholder' });
      assert.match(k1.AccessKey.AccessKeyId, /^LTAI[A-Za-z0-9]{20}$/);
      assert.match(k1.AccessKey.AccessKeySecret, /^[A-Za-z0-9]{30}$/);
      assert.equal(k1.AccessKey.Status, 'Active');
      assert.match(k1.AccessKey.CreateDate, ISO);
      const k2 = await call('CreateAccessKey', { UserName: 'keyholder' });
      await fails('CreateAccessKey', { UserName: 'keyholder' }, 'LimitExceeded.User.AccessKey', 409,
        'The access key count of the user access keys beyond the current limits. keyholder has 2 AccessKeys, the most a user may have: delete one (DeleteAccessKey) to create another.');
      await fails('CreateAccessKey', { UserName: 'nobody' }, 'EntityNotExist.User', 404);

      const list = await call('ListAccessKeys', { UserName: 'keyholder' });
      const ids = list.AccessKeys.AccessKey.map((k: Body) => k.AccessKeyId).sort();
      assert.deepEqual(ids, [k1.AccessKey.AccessKeyId, k2.AccessKey.AccessKeyId].sort());
      for (const k of list.AccessKeys.AccessKey) assert.equal(k.AccessKeySecret, undefined, 'the secret is shown only once');

      await call('UpdateAccessKey', { UserName: 'keyholder', UserAccessKeyId: k1.AccessKey.AccessKeyId, Status: 'Inactive' });
      const after1 = await call('ListAccessKeys', { UserName: 'keyholder' });
      assert.equal(after1.AccessKeys.AccessKey.find((k: Body) => k.AccessKeyId === k1.AccessKey.AccessKeyId).Status, 'Inactive');
      await fails('UpdateAccessKey', { UserName: 'keyholder', UserAccessKeyId: k1.AccessKey.AccessKeyId, Status: 'Paused' }, 'InvalidParameter.Status', 400);
      await fails('UpdateAccessKey', { UserName: 'keyholder', UserAccessKeyId: 'LTAInotthere00000000000', Status: 'Active' },
        'EntityNotExist.User.AccessKey', 404, 'The user access key does not exist.');
      await fails('UpdateAccessKey', { UserName: 'keyholder', Status: 'Active' }, 'MissingUserAccessKeyId', 400);

      // The secret is stored sealed, and the credential lookup returns the plain one.
      const resolved = await server.ram.resolveAccessKey(k1.AccessKey.AccessKeyId);
      assert.equal(resolved?.secret, k1.AccessKey.AccessKeySecret);
      assert.equal(resolved?.status, 'Inactive');
      assert.equal(resolved?.user.userName, 'keyholder');
      assert.equal(await server.ram.resolveAccessKey('LTAInotthere00000000000'), null);

      await fails('DeleteUser', { UserName: 'keyholder' }, 'DeleteConflict.User.AccessKey', 409,
        'The user CAN NOT has any access key while deleting the user.');
      await call('DeleteAccessKey', { UserName: 'keyholder', UserAccessKeyId: k1.AccessKey.AccessKeyId });
      await fails('DeleteAccessKey', { UserName: 'keyholder', UserAccessKeyId: k1.AccessKey.AccessKeyId }, 'EntityNotExist.User.AccessKey', 404);
      await call('DeleteAccessKey', { UserName: 'keyholder', UserAccessKeyId: k2.AccessKey.AccessKeyId });
      await call('DeleteUser', { UserName: 'keyholder' });
    });

    test('a key of another user is not found through this user', async () => {
      await call('CreateUser', { UserName: 'ka' });
      await call('CreateUser', { UserName: 'kb' });
      const k = await call('CreateAccessKey', { UserName: 'ka' });
      await fails('DeleteAccessKey', { UserName: 'kb', UserAccessKeyId: k.AccessKey.AccessKeyId }, 'EntityNotExist.User.AccessKey', 404);
      await fails('CreateAccessKey', {}, 'MissingUserName', 400);
    });
  });

  describe('groups', () => {
    test('CreateGroup, GetGroup, UpdateGroup, ListGroups, membership, DeleteGroup', async () => {
      const g = await call('CreateGroup', { GroupName: 'devs', Comments: 'developers' });
      assert.equal(g.Group.GroupName, 'devs');
      assert.equal(g.Group.Comments, 'developers');
      assert.match(g.Group.CreateDate, ISO);
      await fails('CreateGroup', { GroupName: 'devs' }, 'EntityAlreadyExists.Group', 409, 'The group does already EXIST.');
      await fails('CreateGroup', { GroupName: 'dev.s' }, 'InvalidParameter.GroupName.InvalidChars', 400);
      await fails('CreateGroup', { GroupName: 'g'.repeat(65) }, 'InvalidParameter.GroupName.Length', 400);
      await fails('GetGroup', { GroupName: 'nogroup' }, 'EntityNotExist.Group', 404, 'The group does not exist.');

      const u = await call('UpdateGroup', { GroupName: 'devs', NewGroupName: 'developers', NewComments: 'renamed' });
      assert.equal(u.Group.GroupName, 'developers');
      assert.equal(u.Group.Comments, 'renamed');
      assert.equal((await call('GetGroup', { GroupName: 'developers' })).Group.Comments, 'renamed');

      await call('CreateGroup', { GroupName: 'ops' });
      const list = await call('ListGroups', {});
      assert.deepEqual(list.Groups.Group.map((x: Body) => x.GroupName), ['developers', 'ops']);
      assert.equal(list.IsTruncated, false);
      const p1 = await call('ListGroups', { MaxItems: 1 });
      assert.equal(p1.IsTruncated, true);
      const p2 = await call('ListGroups', { MaxItems: 1, Marker: p1.Marker });
      assert.deepEqual(p2.Groups.Group.map((x: Body) => x.GroupName), ['ops']);

      await call('CreateUser', { UserName: 'member' });
      await call('AddUserToGroup', { GroupName: 'developers', UserName: 'member' });
      await fails('AddUserToGroup', { GroupName: 'developers', UserName: 'member' }, 'EntityAlreadyExists.User.Group', 409,
        'The user has already joined the group.');
      await fails('AddUserToGroup', { GroupName: 'nogroup', UserName: 'member' }, 'EntityNotExist.Group', 404);
      await fails('AddUserToGroup', { GroupName: 'developers', UserName: 'nobody' }, 'EntityNotExist.User', 404);
      await call('AddUserToGroup', { GroupName: 'ops', UserName: 'member' });

      const gfu = await call('ListGroupsForUser', { UserName: 'member' });
      assert.deepEqual(gfu.Groups.Group.map((x: Body) => x.GroupName), ['developers', 'ops']);
      assert.match(gfu.Groups.Group[0].JoinDate, ISO);
      const ufg = await call('ListUsersForGroup', { GroupName: 'developers' });
      assert.deepEqual(ufg.Users.User.map((x: Body) => x.UserName), ['member']);
      assert.equal(ufg.IsTruncated, false);

      await fails('DeleteGroup', { GroupName: 'developers' }, 'DeleteConflict.Group.User', 409,
        'The group CAN NOT has any user member while deleting the group.');
      await fails('DeleteUser', { UserName: 'member' }, 'DeleteConflict.User.Group', 409);
      await call('RemoveUserFromGroup', { GroupName: 'developers', UserName: 'member' });
      await fails('RemoveUserFromGroup', { GroupName: 'developers', UserName: 'member' }, 'EntityNotExist.User.Group', 404,
        'The user has not joined the group.');
      await call('RemoveUserFromGroup', { GroupName: 'ops', UserName: 'member' });
      await call('DeleteGroup', { GroupName: 'developers' });
      await fails('DeleteGroup', { GroupName: 'developers' }, 'EntityNotExist.Group', 404);
      await call('DeleteUser', { UserName: 'member' });
    });

    test('a user joins at most 5 groups', async () => {
      await call('CreateUser', { UserName: 'joiner' });
      for (let i = 0; i < 6; i++) await call('CreateGroup', { GroupName: `lim-${i}` });
      for (let i = 0; i < 5; i++) await call('AddUserToGroup', { GroupName: `lim-${i}`, UserName: 'joiner' });
      await fails('AddUserToGroup', { GroupName: 'lim-5', UserName: 'joiner' }, 'LimitExceeded.User.Group', 409);
    });
  });

  describe('roles', () => {
    test('CreateRole, GetRole, UpdateRole, ListRoles, DeleteRole', async () => {
      const r = await call('CreateRole', { RoleName: 'OSSReader', AssumeRolePolicyDocument: TRUST, Description: 'reads', MaxSessionDuration: 7200 });
      assert.match(r.Role.RoleId, /^\d{18}$/);
      assert.equal(r.Role.RoleName, 'OSSReader');
      assert.equal(r.Role.Arn, `acs:ram::${ACCOUNT_ID}:role/ossreader`);
      assert.equal(r.Role.MaxSessionDuration, 7200);
      assert.equal(r.Role.AssumeRolePolicyDocument, TRUST);
      assert.match(r.Role.CreateDate, ISO);

      const got = await call('GetRole', { RoleName: 'ossreader' });
      assert.equal(got.Role.RoleId, r.Role.RoleId, 'role names match case-insensitively');
      await fails('CreateRole', { RoleName: 'ossREADER', AssumeRolePolicyDocument: TRUST }, 'EntityAlreadyExists.Role', 409);

      const def = await call('CreateRole', { RoleName: 'default-duration', AssumeRolePolicyDocument: TRUST });
      assert.equal(def.Role.MaxSessionDuration, 3600);

      const u = await call('UpdateRole', { RoleName: 'OSSReader', NewMaxSessionDuration: 43200, NewDescription: 'new' });
      assert.equal(u.Role.MaxSessionDuration, 43200);
      assert.equal(u.Role.Description, 'new');
      assert.equal(u.Role.AssumeRolePolicyDocument, TRUST);

      const list = await call('ListRoles', {});
      assert.deepEqual(list.Roles.Role.map((x: Body) => x.RoleName), ['OSSReader', 'default-duration']);
      assert.equal(list.Roles.Role[0].Arn, `acs:ram::${ACCOUNT_ID}:role/ossreader`);

      await call('DeleteRole', { RoleName: 'default-duration' });
      await fails('GetRole', { RoleName: 'default-duration' }, 'EntityNotExist.Role', 404, 'The role does not exist.');
      await fails('DeleteRole', { RoleName: 'default-duration' }, 'EntityNotExist.Role', 404);
    });

    test('CreateRole / UpdateRole errors', async () => {
      await fails('CreateRole', { RoleName: 'r1', AssumeRolePolicyDocument: TRUST, MaxSessionDuration: 3599 }, 'InvalidParameter.MaxSessionDuration', 400);
      await fails('CreateRole', { RoleName: 'r1', AssumeRolePolicyDocument: TRUST, MaxSessionDuration: 43201 }, 'InvalidParameter.MaxSessionDuration', 400);
      await fails('CreateRole', { RoleName: 'r_1', AssumeRolePolicyDocument: TRUST }, 'InvalidParameter.RoleName.InvalidChars', 400);
      await fails('CreateRole', { RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: TRUST }, 'InvalidParameter.RoleName.Length', 400);
      await fails('CreateRole', { RoleName: 'r1' }, 'MissingAssumeRolePolicyDocument', 400);
      await fails('CreateRole', { RoleName: 'r1', AssumeRolePolicyDocument: '{not json' }, 'MalformedPolicyDocument', 400, /JSON/);
      await fails('CreateRole', { RoleName: 'r1', AssumeRolePolicyDocument: doc('oss:*') }, 'MalformedPolicyDocument', 400);
      await fails('UpdateRole', { RoleName: 'nope', NewDescription: 'x' }, 'EntityNotExist.Role', 404);
      await call('CreateRole', { RoleName: 'r2', AssumeRolePolicyDocument: TRUST });
      await fails('UpdateRole', { RoleName: 'r2', NewAssumeRolePolicyDocument: '[]' }, 'MalformedPolicyDocument', 400);
    });
  });

  describe('policies', () => {
    test('system policies exist from the start', async () => {
      const sys = await call('ListPolicies', { PolicyType: 'System' });
      const names = sys.Policies.Policy.map((p: Body) => p.PolicyName);
      for (const n of ['AdministratorAccess', 'AliyunOSSFullAccess', 'AliyunOSSReadOnlyAccess', 'AliyunSTSAssumeRoleAccess', 'AliyunRAMFullAccess', 'AliyunRAMReadOnlyAccess']) {
        assert.ok(names.includes(n), n);
      }
      assert.ok(sys.Policies.Policy.every((p: Body) => p.PolicyType === 'System' && p.DefaultVersion === 'v1'));
      const oss = await call('GetPolicy', { PolicyName: 'AliyunOSSReadOnlyAccess', PolicyType: 'System' });
      assert.equal(oss.Policy.PolicyType, 'System');
      assert.deepEqual(JSON.parse(oss.DefaultPolicyVersion.PolicyDocument), {
        Statement: [{ Action: ['oss:Get*', 'oss:List*'], Effect: 'Allow', Resource: '*' }], Version: '1',
      });
      assert.equal(oss.DefaultPolicyVersion.IsDefaultVersion, true);
      const sts = await call('GetPolicyVersion', { PolicyName: 'AliyunSTSAssumeRoleAccess', PolicyType: 'System', VersionId: 'v1' });
      assert.equal(JSON.parse(sts.PolicyVersion.PolicyDocument).Statement[0].Action, 'sts:AssumeRole');
      const versions = await call('ListPolicyVersions', { PolicyName: 'AdministratorAccess', PolicyType: 'System' });
      assert.equal(versions.PolicyVersions.PolicyVersion.length, 1);
      await fails('GetPolicy', { PolicyName: 'NoSuchSystemPolicy', PolicyType: 'System' }, 'EntityNotExist.Policy', 404, 'The policy does not exist.');
      await fails('CreatePolicy', { PolicyName: 'AdministratorAccess', PolicyDocument: doc('oss:*') }, 'EntityAlreadyExists.Policy', 409);
      await fails('DeletePolicy', { PolicyName: 'AdministratorAccess' }, 'EntityNotExist.Policy', 404);
    });

    test('CreatePolicy, GetPolicy, versions, SetDefault, DeletePolicyVersion, DeletePolicy', async () => {
      const p = await call('CreatePolicy', { PolicyName: 'read-bucket', PolicyDocument: doc('oss:GetObject'), Description: 'read it' });
      assert.equal(p.Policy.PolicyName, 'read-bucket');
      assert.equal(p.Policy.PolicyType, 'Custom');
      assert.equal(p.Policy.DefaultVersion, 'v1');
      assert.equal(p.Policy.Description, 'read it');
      await fails('CreatePolicy', { PolicyName: 'read-bucket', PolicyDocument: doc('oss:GetObject') }, 'EntityAlreadyExists.Policy', 409,
        'The policy does already EXIST.');

      const got = await call('GetPolicy', { PolicyName: 'read-bucket', PolicyType: 'Custom' });
      assert.equal(got.DefaultPolicyVersion.VersionId, 'v1');
      assert.equal(got.DefaultPolicyVersion.PolicyDocument, doc('oss:GetObject'));
      assert.equal(got.Policy.AttachmentCount, 0);

      const v2 = await call('CreatePolicyVersion', { PolicyName: 'read-bucket', PolicyDocument: doc('oss:Get*') });
      assert.equal(v2.PolicyVersion.VersionId, 'v2');
      assert.equal(v2.PolicyVersion.IsDefaultVersion, false);
      const v3 = await call('CreatePolicyVersion', { PolicyName: 'read-bucket', PolicyDocument: doc('oss:List*'), SetAsDefault: true });
      assert.equal(v3.PolicyVersion.VersionId, 'v3');
      assert.equal(v3.PolicyVersion.IsDefaultVersion, true);
      assert.equal((await call('GetPolicy', { PolicyName: 'read-bucket', PolicyType: 'Custom' })).Policy.DefaultVersion, 'v3');

      const gv = await call('GetPolicyVersion', { PolicyName: 'read-bucket', PolicyType: 'Custom', VersionId: 'v2' });
      assert.equal(gv.PolicyVersion.PolicyDocument, doc('oss:Get*'));
      assert.equal(gv.PolicyVersion.IsDefaultVersion, false);
      await fails('GetPolicyVersion', { PolicyName: 'read-bucket', PolicyType: 'Custom', VersionId: 'v9' }, 'EntityNotExist.Policy.Version', 404,
        'The policy version does not exist.');
      await fails('GetPolicyVersion', { PolicyName: 'read-bucket', PolicyType: 'Custom', VersionId: 'version2' }, 'InvalidParameter.VersionId.Format', 400);

      const lv = await call('ListPolicyVersions', { PolicyName: 'read-bucket', PolicyType: 'Custom' });
      assert.deepEqual(lv.PolicyVersions.PolicyVersion.map((v: Body) => [v.VersionId, v.IsDefaultVersion]), [['v3', true], ['v2', false], ['v1', false]]);

      await call('SetDefaultPolicyVersion', { PolicyName: 'read-bucket', VersionId: 'v1' });
      assert.equal((await call('GetPolicy', { PolicyName: 'read-bucket', PolicyType: 'Custom' })).DefaultPolicyVersion.VersionId, 'v1');
      await fails('SetDefaultPolicyVersion', { PolicyName: 'read-bucket', VersionId: 'v7' }, 'EntityNotExist.Policy.Version', 404);
      await fails('DeletePolicyVersion', { PolicyName: 'read-bucket', VersionId: 'v1' }, 'DeleteConflict.Policy.Version.Default', 409,
        'The default policy version CAN NOT been deleted directly.');
      await fails('DeletePolicy', { PolicyName: 'read-bucket' }, 'DeleteConflict.Policy.Version', 409);
      await call('DeletePolicyVersion', { PolicyName: 'read-bucket', VersionId: 'v2' });
      await call('DeletePolicyVersion', { PolicyName: 'read-bucket', VersionId: 'v3' });
      await fails('DeletePolicyVersion', { PolicyName: 'read-bucket', VersionId: 'v3' }, 'EntityNotExist.Policy.Version', 404);
      await call('DeletePolicy', { PolicyName: 'read-bucket' });
      await fails('GetPolicy', { PolicyName: 'read-bucket', PolicyType: 'Custom' }, 'EntityNotExist.Policy', 404);
      await fails('DeletePolicy', { PolicyName: 'read-bucket' }, 'EntityNotExist.Policy', 404);
    });

    test('at most 5 versions; RotateStrategy deletes the oldest non-default one', async () => {
      await call('CreatePolicy', { PolicyName: 'rotating', PolicyDocument: doc('oss:GetObject') });
      for (let i = 2; i <= 5; i++) await call('CreatePolicyVersion', { PolicyName: 'rotating', PolicyDocument: doc(`oss:Get${i}`) });
      await fails('CreatePolicyVersion', { PolicyName: 'rotating', PolicyDocument: doc('oss:Get6') }, 'LimitExceeded.Policy.Version', 409);
      await fails('CreatePolicyVersion', { PolicyName: 'rotating', PolicyDocument: doc('oss:Get6'), RotateStrategy: 'Sometimes' },
        'InvalidParameter.RotateStrategy', 400);
      const v6 = await call('CreatePolicyVersion', {
        PolicyName: 'rotating', PolicyDocument: doc('oss:Get6'), RotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
      });
      assert.equal(v6.PolicyVersion.VersionId, 'v6');
      const lv = await call('ListPolicyVersions', { PolicyName: 'rotating', PolicyType: 'Custom' });
      assert.deepEqual(lv.PolicyVersions.PolicyVersion.map((v: Body) => v.VersionId), ['v6', 'v5', 'v4', 'v3', 'v1'], 'v1 is default, so v2 goes');
      await fails('CreatePolicyVersion', { PolicyName: 'nope', PolicyDocument: doc('oss:Get6') }, 'EntityNotExist.Policy', 404);
    });

    test('policy document and name validation', async () => {
      await fails('CreatePolicy', { PolicyName: 'bad', PolicyDocument: '{"Version":"1",' }, 'MalformedPolicyDocument', 400, /JSON/);
      await fails('CreatePolicy', { PolicyName: 'bad', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }, 'MalformedPolicyDocument', 400, /Version/);
      await fails('CreatePolicy', { PolicyName: 'bad', PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Alow', Action: 'oss:*', Resource: '*' }] }) },
        'MalformedPolicyDocument', 400, /Effect/);
      await fails('CreatePolicy', { PolicyName: 'bad', PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Resource: '*' }] }) },
        'MalformedPolicyDocument', 400, /Action/);
      await fails('CreatePolicy', { PolicyName: 'bad', PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'x'.repeat(6200) + ':y', Resource: '*' }] }) },
        'InvalidParameter.PolicyDocument.Length', 400, 'The parameter - "PolicyDocument" beyond the length limit.');
      await fails('CreatePolicy', { PolicyName: 'bad_name', PolicyDocument: doc('oss:*') }, 'InvalidParameter.PolicyName.InvalidChars', 400);
      await fails('CreatePolicy', { PolicyName: 'p'.repeat(129), PolicyDocument: doc('oss:*') }, 'InvalidParameter.PolicyName.Length', 400);
      await fails('CreatePolicy', { PolicyName: 'nodoc' }, 'MissingPolicyDocument', 400);
      await fails('CreatePolicy', { PolicyName: 'long-desc', PolicyDocument: doc('oss:*'), Description: 'd'.repeat(1025) }, 'InvalidParameter.Description.Length', 400);
      await fails('ListPolicies', { PolicyType: 'Managed' }, 'InvalidParameter.PolicyType', 400, 'The parameter - "PolicyType" is incorrect.');
    });

    test('ListPolicies: System then Custom, paged across both', async () => {
      await call('CreatePolicy', { PolicyName: 'list-a', PolicyDocument: doc('oss:GetObject') });
      await call('CreatePolicy', { PolicyName: 'list-b', PolicyDocument: doc('oss:GetObject') });
      const all = await call('ListPolicies', {});
      const keys = all.Policies.Policy.map((p: Body) => `${p.PolicyType}:${p.PolicyName}`);
      const custom = await call('ListPolicies', { PolicyType: 'Custom' });
      assert.ok(custom.Policies.Policy.every((p: Body) => p.PolicyType === 'Custom'));
      assert.ok(keys.indexOf('Custom:list-a') > keys.indexOf('System:AliyunSTSAssumeRoleAccess'));
      const seen: string[] = [];
      let marker: string | undefined;
      for (let i = 0; i < 50; i++) {
        const page = await call('ListPolicies', { MaxItems: 4, ...(marker ? { Marker: marker } : {}) });
        seen.push(...page.Policies.Policy.map((p: Body) => `${p.PolicyType}:${p.PolicyName}`));
        if (!page.IsTruncated) break;
        marker = page.Marker;
      }
      assert.deepEqual(seen, keys);
    });
  });

  describe('attachments', () => {
    test('attach, list, ListEntitiesForPolicy, detach; DeleteConflict while attached', async () => {
      await call('CreateUser', { UserName: 'att-user' });
      await call('CreateGroup', { GroupName: 'att-group' });
      await call('CreateRole', { RoleName: 'att-role', AssumeRolePolicyDocument: TRUST });
      await call('CreatePolicy', { PolicyName: 'att-policy', PolicyDocument: doc('oss:PutObject'), Description: 'puts' });

      await call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'att-policy', UserName: 'att-user' });
      await call('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'AliyunOSSReadOnlyAccess', UserName: 'att-user' });
      await call('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'att-policy', GroupName: 'att-group' });
      await call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'att-policy', RoleName: 'att-role' });
      await call('AttachPolicyToRole', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess', RoleName: 'ATT-ROLE' });

      await fails('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'att-policy', UserName: 'att-user' }, 'EntityAlreadyExists.User.Policy', 409,
        'The user has already been attached this policy.');
      await fails('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'att-policy', GroupName: 'att-group' }, 'EntityAlreadyExists.Group.Policy', 409);
      await fails('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'att-policy', RoleName: 'att-role' }, 'EntityAlreadyExists.Role.Policy', 409);
      await fails('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'no-policy', UserName: 'att-user' }, 'EntityNotExist.Policy', 404);
      await fails('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'att-policy', UserName: 'att-user' }, 'EntityNotExist.Policy', 404);
      await fails('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'att-policy', UserName: 'nobody' }, 'EntityNotExist.User', 404);
      await fails('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'att-policy', GroupName: 'nogroup' }, 'EntityNotExist.Group', 404);
      await fails('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'att-policy', RoleName: 'norole' }, 'EntityNotExist.Role', 404);
      await fails('AttachPolicyToUser', { PolicyType: 'custom', PolicyName: 'att-policy', UserName: 'att-user' }, 'InvalidParameter.PolicyType', 400);
      await fails('AttachPolicyToUser', { PolicyName: 'att-policy', UserName: 'att-user' }, 'MissingPolicyType', 400);

      const pu = await call('ListPoliciesForUser', { UserName: 'att-user' });
      assert.deepEqual(pu.Policies.Policy.map((p: Body) => `${p.PolicyType}:${p.PolicyName}`).sort(), ['Custom:att-policy', 'System:AliyunOSSReadOnlyAccess']);
      const custom = pu.Policies.Policy.find((p: Body) => p.PolicyName === 'att-policy');
      assert.equal(custom.Description, 'puts');
      assert.equal(custom.DefaultVersion, 'v1');
      assert.match(custom.AttachDate, ISO);
      assert.deepEqual((await call('ListPoliciesForGroup', { GroupName: 'att-group' })).Policies.Policy.map((p: Body) => p.PolicyName), ['att-policy']);
      assert.deepEqual((await call('ListPoliciesForRole', { RoleName: 'att-role' })).Policies.Policy.map((p: Body) => p.PolicyName).sort(),
        ['AliyunOSSFullAccess', 'att-policy']);
      await fails('ListPoliciesForUser', { UserName: 'nobody' }, 'EntityNotExist.User', 404);

      const ents = await call('ListEntitiesForPolicy', { PolicyType: 'Custom', PolicyName: 'att-policy' });
      assert.deepEqual(ents.Users.User.map((u: Body) => u.UserName), ['att-user']);
      assert.deepEqual(ents.Groups.Group.map((g: Body) => g.GroupName), ['att-group']);
      assert.deepEqual(ents.Roles.Role.map((r: Body) => r.Arn), [`acs:ram::${ACCOUNT_ID}:role/att-role`]);
      assert.equal((await call('GetPolicy', { PolicyName: 'att-policy', PolicyType: 'Custom' })).Policy.AttachmentCount, 3);
      const sysEnts = await call('ListEntitiesForPolicy', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess' });
      assert.deepEqual(sysEnts.Roles.Role.map((r: Body) => r.RoleName), ['att-role']);
      await fails('ListEntitiesForPolicy', { PolicyType: 'Custom', PolicyName: 'no-policy' }, 'EntityNotExist.Policy', 404);

      await fails('DeletePolicy', { PolicyName: 'att-policy' }, 'DeleteConflict.Policy.User', 409,
        'The policy CAN NOT been attached to any user while deleting the policy.');
      await fails('DeleteUser', { UserName: 'att-user' }, 'DeleteConflict.User.Policy', 409);
      await fails('DeleteGroup', { GroupName: 'att-group' }, 'DeleteConflict.Group.Policy', 409);
      await fails('DeleteRole', { RoleName: 'att-role' }, 'DeleteConflict.Role.Policy', 409,
        'The role CAN NOT has any attached policy while deleting the role.');

      await call('DetachPolicyFromUser', { PolicyType: 'Custom', PolicyName: 'att-policy', UserName: 'att-user' });
      await fails('DetachPolicyFromUser', { PolicyType: 'Custom', PolicyName: 'att-policy', UserName: 'att-user' }, 'EntityNotExist.User.Policy', 404,
        'The indicate policy of the user does not exist.');
      await fails('DeletePolicy', { PolicyName: 'att-policy' }, 'DeleteConflict.Policy.Group', 409);
      await call('DetachPolicyFromGroup', { PolicyType: 'Custom', PolicyName: 'att-policy', GroupName: 'att-group' });
      await fails('DetachPolicyFromGroup', { PolicyType: 'Custom', PolicyName: 'att-policy', GroupName: 'att-group' }, 'EntityNotExist.Group.Policy', 404);
      await fails('DeletePolicy', { PolicyName: 'att-policy' }, 'DeleteConflict.Policy.Role', 409);
      await call('DetachPolicyFromRole', { PolicyType: 'Custom', PolicyName: 'att-policy', RoleName: 'att-role' });
      await fails('DetachPolicyFromRole', { PolicyType: 'Custom', PolicyName: 'att-policy', RoleName: 'att-role' }, 'EntityNotExist.Role.Policy', 404);
      await call('DetachPolicyFromRole', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess', RoleName: 'att-role' });
      await call('DetachPolicyFromUser', { PolicyType: 'System', PolicyName: 'AliyunOSSReadOnlyAccess', UserName: 'att-user' });
      await call('DeletePolicy', { PolicyName: 'att-policy' });
      await call('DeleteUser', { UserName: 'att-user' });
      await call('DeleteGroup', { GroupName: 'att-group' });
      await call('DeleteRole', { RoleName: 'att-role' });
    });

    test('renaming a user keeps its attachments; per-principal custom limits', async () => {
      await call('CreateUser', { UserName: 'renamee' });
      await call('CreatePolicy', { PolicyName: 'keep-me', PolicyDocument: doc('oss:GetObject') });
      await call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'keep-me', UserName: 'renamee' });
      await call('UpdateUser', { UserName: 'renamee', NewUserName: 'renamed' });
      assert.deepEqual((await call('ListPoliciesForUser', { UserName: 'renamed' })).Policies.Policy.map((p: Body) => p.PolicyName), ['keep-me']);

      await call('CreateGroup', { GroupName: 'many-policies' });
      for (let i = 0; i < 6; i++) await call('CreatePolicy', { PolicyName: `gp-${i}`, PolicyDocument: doc('oss:GetObject') });
      for (let i = 0; i < 5; i++) await call('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: `gp-${i}`, GroupName: 'many-policies' });
      await fails('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'gp-5', GroupName: 'many-policies' }, 'LimitExceeded.Group.Policy', 409);
      // System policies have their own count.
      await call('AttachPolicyToGroup', { PolicyType: 'System', PolicyName: 'AdministratorAccess', GroupName: 'many-policies' });
    });
  });

  describe('authorization and protocol basics', () => {
    test('unknown action → InvalidAction.NotFound (404)', async () => {
      await fails('CreateBucketOfUsers', {}, 'InvalidAction.NotFound', 404);
      assert.equal(await statusOf('CreateBucketOfUsers', {}), 404);
    });

    test('unknown Version → InvalidVersion; the STS Version is served by STS (errors carry its HostId)', async () => {
      const other = new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: server.url, apiVersion: '2099-01-01' });
      await assert.rejects(other.request('ListUsers', {}, { method: 'POST' }), (e: PopError) => e.code === 'InvalidVersion');
      const sts = new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: server.url, apiVersion: '2015-04-01' });
      await assert.rejects(sts.request('AssumeRole', {}, { method: 'POST' }), (e: PopError) => {
        assert.equal(e.code, 'MissingRoleArn');
        assert.equal(e.data.HostId, 'sts.aliyuncs.com');
        assert.equal(e.entry.response.statusCode, 400);
        return true;
      });
    });

    test('a wrong secret → SignatureDoesNotMatch; an unknown AccessKeyId → InvalidAccessKeyId.NotFound (404)', async () => {
      const bad = new RPCClient({ accessKeyId: AK, accessKeySecret: 'wrong', endpoint: server.url, apiVersion: '2015-05-01' });
      await assert.rejects(bad.request('ListUsers', {}, { method: 'POST' }), (e: PopError) => {
        assert.equal(e.code, 'SignatureDoesNotMatch');
        assert.match(e.data.Message, /^Specified signature is not matched with our calculation\. server string to sign is:POST&%2F&AccessKeyId/);
        assert.equal(e.entry.response.statusCode, 400);
        return true;
      });
      const unknown = new RPCClient({ accessKeyId: 'LTAIunknown', accessKeySecret: SECRET, endpoint: server.url, apiVersion: '2015-05-01' });
      await assert.rejects(unknown.request('ListUsers', {}, { method: 'POST' }), (e: PopError) => {
        assert.equal(e.code, 'InvalidAccessKeyId.NotFound');
        assert.equal(e.data.Message, 'Specified access key is not found.');
        assert.equal(e.entry.response.statusCode, 404);
        return true;
      });
    });

    test('root-only authorizer: root of the account may do everything, anyone else gets NoPermission (403)', async () => {
      await authorizeRam({ principal: { type: 'root', accountId: ACCOUNT_ID, accessKeyId: AK }, action: 'ram:CreateUser', resources: ['x'], accountId: ACCOUNT_ID });
      await assert.rejects(
        authorizeRam({ principal: { type: 'anonymous' }, action: 'ram:CreateUser', resources: [`acs:ram::${ACCOUNT_ID}:user/x`], accountId: ACCOUNT_ID }),
        (e: Error & { code: string; status: number }) => e.code === 'NoPermission' && e.status === 403 && e.message === 'You are not authorized to do this action.',
      );
      await assert.rejects(
        authorizeRam({ principal: { type: 'root', accountId: '9999999999999999', accessKeyId: AK }, action: 'ram:ListUsers', resources: ['*'], accountId: ACCOUNT_ID }),
        (e: Error & { code: string }) => e.code === 'NoPermission',
      );
    });

    test('NoPermission through the service for a non-root caller', async () => {
      await assert.rejects(server.ram.listUsers({ principal: { type: 'anonymous' } }, {}), (e: Error & { code: string }) => e.code === 'NoPermission');
    });
  });
});
