// RAM through the unchanged Tea SDK @alicloud/ram20150501 (on @alicloud/openapi-core), signed both ways it
// can sign: ACS3-HMAC-SHA256 (its default) and RPC HMAC-SHA1 (`signatureAlgorithm: 'v2'`). The SDK casts
// every answer into its generated models (the published API metadata), so a field of the wrong shape makes
// the call throw ("type of … is mismatch") and a misnamed one comes back empty.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- CommonJS SDKs without usable ESM types */
const RamPkg: any = require('@alicloud/ram20150501');
const StsPkg: any = require('@alicloud/sts20150401');
const { $OpenApiUtil }: any = require('@alicloud/openapi-core');
type Tea = any;
interface TeaError { code: string; statusCode: number; message: string; data: Record<string, any>; accessDeniedDetail?: Record<string, string> }
/* eslint-enable @typescript-eslint/no-explicit-any */

const TRUST = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }] });
const OSS_READ = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:b/*'] });

async function teaFails(call: Promise<unknown>, code: string, status: number): Promise<TeaError> {
  try {
    await call;
  } catch (e) {
    const err = e as TeaError;
    assert.equal(err.code, code, err.message);
    assert.equal(err.statusCode, status);
    assert.match(err.message, new RegExp(`^${code.replace(/\./g, '\\.')}: code: ${status}, .* request id: [0-9A-F-]{36}$`, 's'));
    assert.equal(err.data.Code, code);
    assert.equal(err.data.HostId, 'ram.aliyuncs.com');
    assert.match(err.data.RequestId as string, /^[0-9A-F-]{36}$/);
    assert.equal(typeof err.data.Recommend, 'string');
    return err;
  }
  assert.fail(`expected ${code}`);
}

for (const [mode, extra] of [['ACS3-HMAC-SHA256', {}], ['RPC HMAC-SHA1 (signatureAlgorithm v2)', { signatureAlgorithm: 'v2' }]] as const) {
  describe(`@alicloud/ram20150501, ${mode}`, () => {
    let srv: TestServer;
    let ram: Tea;
    const client = (o: Record<string, string> = {}): Tea =>
      new RamPkg.default(new $OpenApiUtil.Config({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou', ...extra, ...o }));

    before(async () => {
      srv = await startTestServer();
      ram = client();
    });
    after(async () => {
      await srv.stop();
    });

    it('users, AccessKeys, groups, roles and policies: every answer fills the SDK models', async () => {
      const u = await ram.createUser(new RamPkg.CreateUserRequest({ userName: 'alice', displayName: 'Alice', comments: 'c' }));
      assert.equal(u.statusCode, 200);
      assert.equal(u.body.user.userName, 'alice');
      assert.equal(u.body.user.displayName, 'Alice');
      assert.match(u.body.user.userId, /^\d{16}$/);
      assert.equal((await ram.getUser(new RamPkg.GetUserRequest({ userName: 'alice' }))).body.user.comments, 'c');
      assert.equal((await ram.updateUser(new RamPkg.UpdateUserRequest({ userName: 'alice', newDisplayName: 'A' }))).body.user.displayName, 'A');
      assert.deepEqual((await ram.listUsers(new RamPkg.ListUsersRequest({}))).body.users.user.map((x: { userName: string }) => x.userName), ['alice']);

      const key = (await ram.createAccessKey(new RamPkg.CreateAccessKeyRequest({ userName: 'alice' }))).body.accessKey;
      assert.equal(key.status, 'Active');
      assert.equal(typeof key.accessKeySecret, 'string');
      const keys = (await ram.listAccessKeys(new RamPkg.ListAccessKeysRequest({ userName: 'alice' }))).body.accessKeys.accessKey;
      assert.deepEqual(keys.map((k: { accessKeyId: string }) => k.accessKeyId), [key.accessKeyId]);
      await ram.updateAccessKey(new RamPkg.UpdateAccessKeyRequest({ userName: 'alice', userAccessKeyId: key.accessKeyId, status: 'Inactive' }));
      assert.equal((await ram.listAccessKeys(new RamPkg.ListAccessKeysRequest({ userName: 'alice' }))).body.accessKeys.accessKey[0].status, 'Inactive');

      assert.equal((await ram.createGroup(new RamPkg.CreateGroupRequest({ groupName: 'devs' }))).body.group.groupName, 'devs');
      await ram.addUserToGroup(new RamPkg.AddUserToGroupRequest({ groupName: 'devs', userName: 'alice' }));
      assert.deepEqual((await ram.listGroupsForUser(new RamPkg.ListGroupsForUserRequest({ userName: 'alice' }))).body.groups.group.map((g: { groupName: string }) => g.groupName), ['devs']);
      assert.deepEqual((await ram.listUsersForGroup(new RamPkg.ListUsersForGroupRequest({ groupName: 'devs' }))).body.users.user.map((x: { userName: string }) => x.userName), ['alice']);

      const p = (await ram.createPolicy(new RamPkg.CreatePolicyRequest({ policyName: 'read-b', policyDocument: OSS_READ, description: 'd' }))).body.policy;
      assert.deepEqual([p.policyName, p.policyType, p.defaultVersion], ['read-b', 'Custom', 'v1']);
      const v2 = (await ram.createPolicyVersion(new RamPkg.CreatePolicyVersionRequest({ policyName: 'read-b', policyDocument: OSS_READ, setAsDefault: true }))).body.policyVersion;
      assert.deepEqual([v2.versionId, v2.isDefaultVersion], ['v2', true]);
      const v1 = (await ram.getPolicyVersion(new RamPkg.GetPolicyVersionRequest({ policyName: 'read-b', policyType: 'Custom', versionId: 'v1' }))).body.policyVersion;
      assert.deepEqual([v1.isDefaultVersion, v1.policyDocument], [false, OSS_READ]);
      const got = (await ram.getPolicy(new RamPkg.GetPolicyRequest({ policyName: 'read-b', policyType: 'Custom' }))).body;
      assert.deepEqual([got.policy.defaultVersion, got.defaultPolicyVersion.versionId], ['v2', 'v2']);
      assert.deepEqual((await ram.listPolicyVersions(new RamPkg.ListPolicyVersionsRequest({ policyName: 'read-b', policyType: 'Custom' }))).body.policyVersions.policyVersion.map((v: { versionId: string }) => v.versionId), ['v2', 'v1']);

      const role = (await ram.createRole(new RamPkg.CreateRoleRequest({ roleName: 'reader', assumeRolePolicyDocument: TRUST, maxSessionDuration: 3600 }))).body.role;
      assert.equal(role.arn, `acs:ram::${ACCOUNT_ID}:role/reader`);
      assert.equal((await ram.updateRole(new RamPkg.UpdateRoleRequest({ roleName: 'reader', newMaxSessionDuration: 7200 }))).body.role.maxSessionDuration, 7200);

      await ram.attachPolicyToUser(new RamPkg.AttachPolicyToUserRequest({ policyType: 'Custom', policyName: 'read-b', userName: 'alice' }));
      await ram.attachPolicyToGroup(new RamPkg.AttachPolicyToGroupRequest({ policyType: 'System', policyName: 'AliyunOSSReadOnlyAccess', groupName: 'devs' }));
      await ram.attachPolicyToRole(new RamPkg.AttachPolicyToRoleRequest({ policyType: 'Custom', policyName: 'read-b', roleName: 'reader' }));
      const forUser = (await ram.listPoliciesForUser(new RamPkg.ListPoliciesForUserRequest({ userName: 'alice' }))).body.policies.policy;
      assert.deepEqual(forUser.map((x: { policyName: string; policyType: string }) => `${x.policyType}:${x.policyName}`), ['Custom:read-b']);
      const entities = (await ram.listEntitiesForPolicy(new RamPkg.ListEntitiesForPolicyRequest({ policyType: 'Custom', policyName: 'read-b' }))).body;
      assert.deepEqual([entities.users.user.map((x: { userName: string }) => x.userName), entities.roles.role.map((x: { roleName: string }) => x.roleName), entities.groups.group], [['alice'], ['reader'], []]);

      const conflict = await teaFails(ram.deletePolicy(new RamPkg.DeletePolicyRequest({ policyName: 'read-b' })), 'DeleteConflict.Policy.User', 409);
      assert.equal(conflict.data.Message, 'The policy CAN NOT been attached to any user while deleting the policy.');
      await teaFails(ram.createUser(new RamPkg.CreateUserRequest({ userName: 'alice' })), 'EntityAlreadyExists.User', 409);
      await teaFails(ram.getRole(new RamPkg.GetRoleRequest({ roleName: 'nobody' })), 'EntityNotExist.Role', 404);
      await teaFails(ram.createUser(new RamPkg.CreateUserRequest({})), 'MissingUserName', 400);
    });

    it('ListTagResources answers TagResources as the array the SDK model reads', async () => {
      await ram.createRole(new RamPkg.CreateRoleRequest({ roleName: 'tagged', assumeRolePolicyDocument: TRUST }));
      await ram.tagResources(new RamPkg.TagResourcesRequest({
        resourceType: 'role', resourceNames: ['tagged'],
        tag: [new RamPkg.TagResourcesRequestTag({ key: 'env', value: 'dev' }), new RamPkg.TagResourcesRequestTag({ key: 'team', value: 'a' })],
      }));
      const all = await ram.listTagResources(new RamPkg.ListTagResourcesRequest({ resourceType: 'role', resourceNames: ['tagged'] }));
      assert.deepEqual(all.body.tagResources.map((t: Record<string, string>) => `${t.resourceType}:${t.resourceName}:${t.tagKey}=${t.tagValue}`), ['role:tagged:env=dev', 'role:tagged:team=a']);
      const byTag = await ram.listTagResources(new RamPkg.ListTagResourcesRequest({ resourceType: 'role', tag: [new RamPkg.ListTagResourcesRequestTag({ key: 'team' })], pageSize: 1 }));
      assert.equal(byTag.body.tagResources.length, 1);
      assert.equal(typeof byTag.body.nextToken, 'string');
      await ram.untagResources(new RamPkg.UntagResourcesRequest({ resourceType: 'role', resourceNames: ['tagged'], all: true }));
      assert.deepEqual((await ram.listTagResources(new RamPkg.ListTagResourcesRequest({ resourceType: 'role' }))).body.tagResources, []);
    });

    it('CreateRole / CreatePolicy with Tag; ListRoles / ListPolicies filter by Tag, page, and show Tags in the SDK models', async () => {
      const tag = (Model: Tea, key: string, value?: string): Tea => new Model(value === undefined ? { key } : { key, value });
      const role = (name: string, tags: Array<[string, string]>) => ram.createRole(new RamPkg.CreateRoleRequest({
        roleName: name, assumeRolePolicyDocument: TRUST, ...(tags.length > 0 ? { tag: tags.map(([k, v]) => tag(RamPkg.CreateRoleRequestTag, k, v)) } : {}),
      }));
      await role('tt-a', [['tt-env', 'prod'], ['tt-team', 'x']]);
      await role('tt-b', [['tt-env', 'dev']]);
      await role('tt-c', [['tt-env', 'prod']]);
      await role('tt-d', []);
      await role('tt-e', [['tt-team', 'x'], ['tt-env', 'prod']]);
      await role('tt-z-plain', []);
      // The tags are those of TagResources.
      const trows = await ram.listTagResources(new RamPkg.ListTagResourcesRequest({ resourceType: 'role', resourceNames: ['tt-a', 'tt-e'] }));
      assert.deepEqual(trows.body.tagResources.map((t: Record<string, string>) => `${t.resourceName}:${t.tagKey}=${t.tagValue}`),
        ['tt-a:tt-env=prod', 'tt-a:tt-team=x', 'tt-e:tt-env=prod', 'tt-e:tt-team=x']);

      type Item = { roleName?: string; policyName?: string; tags: { tag: Array<{ tagKey: string; tagValue: string }> } };
      const listRoles = async (filters: Array<[string, string?]>, maxItems?: number): Promise<{ names: string[][]; truncated: boolean[] }> => {
        const names: string[][] = [];
        const truncated: boolean[] = [];
        let marker: string | undefined;
        do {
          const r = await ram.listRoles(new RamPkg.ListRolesRequest({
            tag: filters.map(([k, v]) => tag(RamPkg.ListRolesRequestTag, k, v)), ...(maxItems !== undefined ? { maxItems } : {}), ...(marker !== undefined ? { marker } : {}),
          }));
          names.push(r.body.roles.role.map((x: Item) => x.roleName));
          truncated.push(r.body.isTruncated);
          marker = r.body.isTruncated ? r.body.marker : undefined;
        } while (marker !== undefined);
        return { names, truncated };
      };
      assert.deepEqual(await listRoles([['tt-env', 'prod']]), { names: [['tt-a', 'tt-c', 'tt-e']], truncated: [false] });
      assert.deepEqual(await listRoles([['tt-env', 'prod'], ['tt-team', 'x']]), { names: [['tt-a', 'tt-e']], truncated: [false] });
      assert.deepEqual(await listRoles([['tt-team']]), { names: [['tt-a', 'tt-e']], truncated: [false] });
      assert.deepEqual(await listRoles([['tt-env', 'nope']]), { names: [[]], truncated: [false] });
      // MaxItems 1 across matching and non-matching roles: one match a page, the last page not truncated.
      assert.deepEqual(await listRoles([['tt-env', 'prod']], 1), { names: [['tt-a'], ['tt-c'], ['tt-e']], truncated: [true, true, false] });
      assert.deepEqual(await listRoles([['tt-env', 'prod'], ['tt-team', 'x']], 1), { names: [['tt-a'], ['tt-e']], truncated: [true, false] });
      // Tags in every item (sorted by key), empty for an untagged role.
      const all = (await ram.listRoles(new RamPkg.ListRolesRequest({}))).body.roles.role as Item[];
      const tagsOf = (items: Item[], name: string) => items.find((x) => (x.roleName ?? x.policyName) === name)!.tags.tag.map((t) => `${t.tagKey}=${t.tagValue}`);
      assert.deepEqual(tagsOf(all, 'tt-e'), ['tt-env=prod', 'tt-team=x']);
      assert.deepEqual(tagsOf(all, 'tt-d'), []);

      const policy = (name: string, tags: Array<[string, string]>) => ram.createPolicy(new RamPkg.CreatePolicyRequest({
        policyName: name, policyDocument: OSS_READ, ...(tags.length > 0 ? { tag: tags.map(([k, v]) => tag(RamPkg.CreatePolicyRequestTag, k, v)) } : {}),
      }));
      await policy('tt-p-a', [['tt-env', 'prod']]);
      await policy('tt-p-b', [['tt-env', 'dev']]);
      await policy('tt-p-c', [['tt-env', 'prod'], ['tt-team', 'x']]);
      await policy('tt-p-d', []);
      const listPolicies = async (filters: Array<[string, string?]>, maxItems: number, policyType?: string): Promise<string[][]> => {
        const pages: string[][] = [];
        let marker: string | undefined;
        do {
          const r = await ram.listPolicies(new RamPkg.ListPoliciesRequest({
            tag: filters.map(([k, v]) => tag(RamPkg.ListPoliciesRequestTag, k, v)), maxItems, ...(policyType !== undefined ? { policyType } : {}), ...(marker !== undefined ? { marker } : {}),
          }));
          pages.push(r.body.policies.policy.map((x: Item) => x.policyName));
          marker = r.body.isTruncated ? r.body.marker : undefined;
        } while (marker !== undefined);
        return pages;
      };
      assert.deepEqual(await listPolicies([['tt-env', 'prod']], 100), [['tt-p-a', 'tt-p-c']]);
      assert.deepEqual(await listPolicies([['tt-env', 'prod']], 1), [['tt-p-a'], ['tt-p-c']]);
      assert.deepEqual(await listPolicies([['tt-env', 'prod'], ['tt-team', 'x']], 1), [['tt-p-c']]);
      assert.deepEqual(await listPolicies([['tt-env', 'prod']], 100, 'System'), [[]]);
      const custom = (await ram.listPolicies(new RamPkg.ListPoliciesRequest({ policyType: 'Custom' }))).body.policies.policy as Item[];
      assert.deepEqual(tagsOf(custom, 'tt-p-c'), ['tt-env=prod', 'tt-team=x']);
      assert.deepEqual(tagsOf(custom, 'tt-p-d'), []);
      const system = (await ram.listPolicies(new RamPkg.ListPoliciesRequest({ policyType: 'System', maxItems: 1 }))).body.policies.policy as Item[];
      assert.deepEqual(system[0]!.tags.tag, []);

      // Bad tags: refused as TagResources refuses them, and nothing is created.
      await teaFails(role('tt-bad', [['acs:x', 'v']]), 'InvalidParameter.Tag', 400);
      await teaFails(ram.getRole(new RamPkg.GetRoleRequest({ roleName: 'tt-bad' })), 'EntityNotExist.Role', 404);
      await teaFails(policy('tt-p-bad', [['aliyun-x', 'v']]), 'InvalidParameter.Tag', 400);
      await teaFails(ram.tagResources(new RamPkg.TagResourcesRequest({ resourceType: 'role', resourceNames: ['tt-d'], tag: [tag(RamPkg.TagResourcesRequestTag, 'aliyun-x', 'v')] })), 'InvalidParameter.Tag', 400);
    });

    it('MaxItems up to 1000 on ListUsers, ListUsersForGroup, ListRoles and ListPolicies; ListGroups up to 100', async () => {
      await ram.createGroup(new RamPkg.CreateGroupRequest({ groupName: 'paging' }));
      assert.equal((await ram.listUsers(new RamPkg.ListUsersRequest({ maxItems: 1000 }))).body.isTruncated, false);
      assert.equal((await ram.listUsersForGroup(new RamPkg.ListUsersForGroupRequest({ groupName: 'paging', maxItems: 1000 }))).body.isTruncated, false);
      assert.equal((await ram.listRoles(new RamPkg.ListRolesRequest({ maxItems: 1000 }))).body.isTruncated, false);
      assert.equal((await ram.listPolicies(new RamPkg.ListPoliciesRequest({ maxItems: 1000 }))).body.isTruncated, false);
      assert.equal((await ram.listGroups(new RamPkg.ListGroupsRequest({ maxItems: 100 }))).body.isTruncated, false);
      await teaFails(ram.listUsers(new RamPkg.ListUsersRequest({ maxItems: 1001 })), 'InvalidParameter.MaxItems', 400);
      await teaFails(ram.listGroups(new RamPkg.ListGroupsRequest({ maxItems: 101 })), 'InvalidParameter.MaxItems', 400);
    });

    it('refusals: NoPermission with AccessDeniedDetail, signature and key errors, STS session credentials', async () => {
      const r = new Ram(srv);
      const bob = await r.user('bob');
      const asBob = client({ accessKeyId: bob.accessKeyId, accessKeySecret: bob.accessKeySecret });
      const denied = await teaFails(asBob.listUsers(new RamPkg.ListUsersRequest({})), 'NoPermission', 403);
      assert.equal(denied.data.Message, 'You are not authorized to do this action.');
      const d = denied.accessDeniedDetail!;
      assert.deepEqual([d.AuthAction, d.AuthPrincipalType, d.AuthPrincipalOwnerId, d.NoPermissionType, d.PolicyType],
        ['ram:ListUsers', 'SubUser', ACCOUNT_ID, 'ImplicitDeny', 'AccountLevelIdentityBasedPolicy']);
      assert.equal(typeof d.EncodedDiagnosticMessage, 'string');

      const sig = await teaFails(client({ accessKeySecret: 'wrong' }).listUsers(new RamPkg.ListUsersRequest({})), 'SignatureDoesNotMatch', 400);
      assert.match(sig.data.Message as string, /^Specified signature is not matched with our calculation\. server string to sign is:/);
      await teaFails(client({ accessKeyId: 'LTAI5tNoSuchKey0000' }).listUsers(new RamPkg.ListUsersRequest({})), 'InvalidAccessKeyId.NotFound', 404);

      // A role session (STS through @alicloud/sts20150401) uses the RAM SDK with its security token.
      await ram.createRole(new RamPkg.CreateRoleRequest({ roleName: 'auditor', assumeRolePolicyDocument: TRUST }));
      await ram.attachPolicyToRole(new RamPkg.AttachPolicyToRoleRequest({ policyType: 'System', policyName: 'AliyunRAMReadOnlyAccess', roleName: 'auditor' }));
      await ram.attachPolicyToUser(new RamPkg.AttachPolicyToUserRequest({ policyType: 'System', policyName: 'AliyunSTSAssumeRoleAccess', userName: 'bob' }));
      const sts = new StsPkg.default(new $OpenApiUtil.Config({ accessKeyId: bob.accessKeyId, accessKeySecret: bob.accessKeySecret, endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou', ...extra }));
      const c = (await sts.assumeRole(new StsPkg.AssumeRoleRequest({ roleArn: `acs:ram::${ACCOUNT_ID}:role/auditor`, roleSessionName: 'audit-1' }))).body.credentials;
      const session = client({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken });
      assert.ok((await session.listUsers(new RamPkg.ListUsersRequest({}))).body.users.user.some((x: { userName: string }) => x.userName === 'bob'));
      const roDenied = await teaFails(session.createUser(new RamPkg.CreateUserRequest({ userName: 'mallory' })), 'NoPermission', 403);
      assert.equal(roDenied.accessDeniedDetail!.AuthPrincipalType, 'AssumedRoleUser');
      await teaFails(client({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret }).listUsers(new RamPkg.ListUsersRequest({})), 'MissingSecurityToken', 400);
    });
  });
}
