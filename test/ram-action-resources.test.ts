// Every RAM and STS action is authorized on every resource it touches (the RAM API reference's "RAM
// authorization" tables): an Allow is needed on each, a Deny on any one refuses. Driven through the
// unchanged @alicloud/pop-core client against a real server, as the account root (setup) and as a RAM
// user whose only policy the test rewrites between calls.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { decide } from '../src/policy/index.js';
import { RAM_ACTION_NAMES } from '../src/ram/actions.js';
import { sessionPolicyOf } from '../src/ram/identity.js';
import { STS_ACTION_RESOURCES } from '../src/sts/actions.js';
import { base32Decode, totpCode } from '../src/ram/totp.js';
import { TokenService } from '../src/sts/token.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, popFails, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT } from './helpers/sts.js';

type Params = Record<string, unknown>;
type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

// Resources as the API reference writes them (region `*`; system policies in the account `system`).
const user = (n: string) => `acs:ram:*:${ACCOUNT_ID}:user/${n}`;
const group = (n: string) => `acs:ram:*:${ACCOUNT_ID}:group/${n}`;
const role = (n: string) => `acs:ram:*:${ACCOUNT_ID}:role/${n}`;
const policy = (n: string) => `acs:ram:*:${ACCOUNT_ID}:policy/${n}`;
const systemPolicy = (n: string) => `acs:ram:*:system:policy/${n}`;
const mfa = (n: string) => `acs:ram:*:${ACCOUNT_ID}:mfa/${n}`;
/** Account-wide settings (alias, password policy, security preference, DecodeDiagnosticMessage). */
const account = `acs:ram:*:${ACCOUNT_ID}:*`;
/** The request form the server reports (empty region). */
const reported = (arn: string) => arn.replace(/^acs:ram:\*:/, 'acs:ram::');

const DOC = policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' });

interface Case {
  /** RAM action, or `sts:AssumeRole`. */
  action: string;
  /** Root-side fixtures; returns the tester's parameters (else `params`). */
  setup?: (ram: Ram) => Promise<Params | void>;
  params?: Params;
  /** Every resource the action touches. */
  resources: string[];
}

/** Root creates a virtual MFA device; returns BindMFADevice's SerialNumber and two consecutive codes of now. */
async function newDeviceCodes(ram: Ram, name: string): Promise<Params> {
  const d = (await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: name })).VirtualMFADevice;
  const seed = base32Decode(d.Base32StringSeed as string);
  const step = Math.floor(Date.now() / 30_000);
  return { SerialNumber: d.SerialNumber as string, AuthenticationCode1: totpCode(seed, step - 1), AuthenticationCode2: totpCode(seed, step) };
}

/** Root creates a user with one AccessKey; returns its id. */
async function userWithKey(ram: Ram, name: string): Promise<string> {
  await ram.call('CreateUser', { UserName: name });
  return (await ram.call('CreateAccessKey', { UserName: name })).AccessKey.AccessKeyId as string;
}

const CASES: Case[] = [
  // users
  { action: 'CreateUser', params: { UserName: 'cu-new' }, resources: [user('cu-new')] },
  { action: 'GetUser', params: { UserName: 'fx-user' }, resources: [user('fx-user')] },
  {
    action: 'UpdateUser', setup: async (r) => void (await r.call('CreateUser', { UserName: 'uu-old' })),
    params: { UserName: 'uu-old', NewUserName: 'uu-new' }, resources: [user('uu-old'), user('uu-new')],
  },
  { action: 'ListUsers', params: {}, resources: [user('*')] },
  { action: 'DeleteUser', setup: async (r) => void (await r.call('CreateUser', { UserName: 'du' })), params: { UserName: 'du' }, resources: [user('du')] },
  // AccessKeys
  { action: 'CreateAccessKey', params: { UserName: 'fx-user' }, resources: [user('fx-user')] },
  { action: 'ListAccessKeys', params: { UserName: 'fx-user' }, resources: [user('fx-user')] },
  {
    action: 'UpdateAccessKey', setup: async (r) => ({ UserName: 'uk', UserAccessKeyId: await userWithKey(r, 'uk'), Status: 'Inactive' }),
    resources: [user('uk')],
  },
  {
    action: 'DeleteAccessKey', setup: async (r) => ({ UserName: 'dk', UserAccessKeyId: await userWithKey(r, 'dk') }),
    resources: [user('dk')],
  },
  // groups
  { action: 'CreateGroup', params: { GroupName: 'cg-new' }, resources: [group('cg-new')] },
  { action: 'GetGroup', params: { GroupName: 'fx-group' }, resources: [group('fx-group')] },
  {
    action: 'UpdateGroup', setup: async (r) => void (await r.call('CreateGroup', { GroupName: 'ug-old' })),
    params: { GroupName: 'ug-old', NewGroupName: 'ug-new' }, resources: [group('ug-old'), group('ug-new')],
  },
  { action: 'ListGroups', params: {}, resources: [group('*')] },
  { action: 'DeleteGroup', setup: async (r) => void (await r.call('CreateGroup', { GroupName: 'dg' })), params: { GroupName: 'dg' }, resources: [group('dg')] },
  { action: 'AddUserToGroup', params: { GroupName: 'fx-group', UserName: 'fx-user' }, resources: [group('fx-group'), user('fx-user')] },
  {
    action: 'RemoveUserFromGroup',
    setup: async (r) => {
      await r.call('CreateGroup', { GroupName: 'rg' });
      await r.call('CreateUser', { UserName: 'ru' });
      await r.call('AddUserToGroup', { GroupName: 'rg', UserName: 'ru' });
    },
    params: { GroupName: 'rg', UserName: 'ru' }, resources: [group('rg'), user('ru')],
  },
  { action: 'ListGroupsForUser', params: { UserName: 'fx-user' }, resources: [user('fx-user')] },
  { action: 'ListUsersForGroup', params: { GroupName: 'fx-group' }, resources: [group('fx-group')] },
  // roles
  { action: 'CreateRole', params: { RoleName: 'cr-new', AssumeRolePolicyDocument: TRUST_ACCOUNT }, resources: [role('cr-new')] },
  { action: 'GetRole', params: { RoleName: 'fx-role' }, resources: [role('fx-role')] },
  { action: 'UpdateRole', params: { RoleName: 'fx-role', NewDescription: 'updated' }, resources: [role('fx-role')] },
  { action: 'ListRoles', params: {}, resources: [role('*')] },
  {
    action: 'DeleteRole', setup: async (r) => void (await r.call('CreateRole', { RoleName: 'dr', AssumeRolePolicyDocument: TRUST_ACCOUNT })),
    params: { RoleName: 'dr' }, resources: [role('dr')],
  },
  // policies, custom and system
  { action: 'CreatePolicy', params: { PolicyName: 'cp-new', PolicyDocument: DOC }, resources: [policy('cp-new')] },
  { action: 'GetPolicy', params: { PolicyName: 'fx-policy', PolicyType: 'Custom' }, resources: [policy('fx-policy')] },
  { action: 'GetPolicy', params: { PolicyName: 'AliyunOSSReadOnlyAccess', PolicyType: 'System' }, resources: [systemPolicy('AliyunOSSReadOnlyAccess')] },
  { action: 'ListPolicies', params: {}, resources: [policy('*')] },
  { action: 'DeletePolicy', setup: async (r) => r.createPolicy('dp', DOC), params: { PolicyName: 'dp' }, resources: [policy('dp')] },
  { action: 'CreatePolicyVersion', params: { PolicyName: 'fx-policy', PolicyDocument: DOC }, resources: [policy('fx-policy')] },
  { action: 'GetPolicyVersion', params: { PolicyName: 'fx-policy', PolicyType: 'Custom', VersionId: 'v1' }, resources: [policy('fx-policy')] },
  { action: 'GetPolicyVersion', params: { PolicyName: 'AdministratorAccess', PolicyType: 'System', VersionId: 'v1' }, resources: [systemPolicy('AdministratorAccess')] },
  { action: 'ListPolicyVersions', params: { PolicyName: 'fx-policy', PolicyType: 'Custom' }, resources: [policy('fx-policy')] },
  { action: 'ListPolicyVersions', params: { PolicyName: 'AdministratorAccess', PolicyType: 'System' }, resources: [systemPolicy('AdministratorAccess')] },
  {
    action: 'SetDefaultPolicyVersion',
    setup: async (r) => {
      await r.createPolicy('sd', DOC);
      await r.call('CreatePolicyVersion', { PolicyName: 'sd', PolicyDocument: DOC });
    },
    params: { PolicyName: 'sd', VersionId: 'v2' }, resources: [policy('sd')],
  },
  {
    action: 'DeletePolicyVersion',
    setup: async (r) => {
      await r.createPolicy('dv', DOC);
      await r.call('CreatePolicyVersion', { PolicyName: 'dv', PolicyDocument: DOC });
    },
    params: { PolicyName: 'dv', VersionId: 'v2' }, resources: [policy('dv')],
  },
  // attachments: the principal and the policy
  ...(['User', 'Group', 'Role'] as const).flatMap((kind): Case[] => {
    const name = `fx-${kind.toLowerCase()}`;
    const principal = kind === 'User' ? user(name) : kind === 'Group' ? group(name) : role(name);
    const p = { [`${kind}Name`]: name };
    return [
      { action: `AttachPolicyTo${kind}`, params: { ...p, PolicyType: 'Custom', PolicyName: 'fx-policy' }, resources: [principal, policy('fx-policy')] },
      { action: `AttachPolicyTo${kind}`, params: { ...p, PolicyType: 'System', PolicyName: 'AliyunOSSReadOnlyAccess' }, resources: [principal, systemPolicy('AliyunOSSReadOnlyAccess')] },
      {
        action: `DetachPolicyFrom${kind}`,
        setup: async (r) => void (await r.call(`AttachPolicyTo${kind}`, { ...p, PolicyType: 'Custom', PolicyName: 'fx-detach' })),
        params: { ...p, PolicyType: 'Custom', PolicyName: 'fx-detach' }, resources: [principal, policy('fx-detach')],
      },
      {
        action: `DetachPolicyFrom${kind}`,
        setup: async (r) => void (await r.call(`AttachPolicyTo${kind}`, { ...p, PolicyType: 'System', PolicyName: 'AliyunRAMReadOnlyAccess' })),
        params: { ...p, PolicyType: 'System', PolicyName: 'AliyunRAMReadOnlyAccess' }, resources: [principal, systemPolicy('AliyunRAMReadOnlyAccess')],
      },
      { action: `ListPoliciesFor${kind}`, params: p, resources: [principal] },
    ];
  }),
  { action: 'ListEntitiesForPolicy', params: { PolicyName: 'fx-policy', PolicyType: 'Custom' }, resources: [policy('fx-policy')] },
  { action: 'ListEntitiesForPolicy', params: { PolicyName: 'AdministratorAccess', PolicyType: 'System' }, resources: [systemPolicy('AdministratorAccess')] },
  // login profiles, AccessKey last use, virtual MFA, account settings, diagnostics (docs/ram.md)
  ...(['Create', 'Get', 'Update', 'Delete'] as const).map((verb): Case => {
    const name = `${verb.toLowerCase()}-lp`;
    return {
      action: `${verb}LoginProfile`,
      setup: async (r) => {
        await r.call('CreateUser', { UserName: name });
        if (verb !== 'Create') await r.call('CreateLoginProfile', { UserName: name, Password: 'Abcdefg1' });
        return { UserName: name, ...(verb === 'Create' ? { Password: 'Abcdefg1' } : verb === 'Update' ? { MFABindRequired: true } : {}) };
      },
      resources: [user(name)],
    };
  }),
  {
    action: 'ChangePassword', setup: async (r) => ({ ...(await r.call('CreateLoginProfile', { UserName: 'tester', Password: 'Abcdefg1' }), {}), OldPassword: 'Abcdefg1', NewPassword: 'Bcdefgh2' }),
    resources: [user('tester')],
  },
  { action: 'GetAccessKeyLastUsed', setup: async (r) => ({ UserName: 'lu', UserAccessKeyId: await userWithKey(r, 'lu') }), resources: [user('lu')] },
  { action: 'CreateVirtualMFADevice', params: { VirtualMFADeviceName: 'cmfa' }, resources: [mfa('cmfa')] },
  {
    action: 'DeleteVirtualMFADevice', setup: async (r) => void (await r.call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'dmfa' })),
    params: { SerialNumber: `acs:ram::${ACCOUNT_ID}:mfa/dmfa` }, resources: [mfa('dmfa')],
  },
  { action: 'ListVirtualMFADevices', params: {}, resources: [mfa('*')] },
  {
    action: 'BindMFADevice',
    setup: async (r) => {
      await r.call('CreateUser', { UserName: 'bmfa' });
      return { UserName: 'bmfa', ...(await newDeviceCodes(r, 'bmfa-d')) };
    },
    resources: [user('bmfa'), mfa('bmfa-d')],
  },
  ...(['UnbindMFADevice', 'GetUserMFAInfo'] as const).map((action): Case => {
    const name = `${action === 'UnbindMFADevice' ? 'u' : 'g'}mfa`;
    return {
      action,
      setup: async (r) => {
        await r.call('CreateUser', { UserName: name });
        await r.call('BindMFADevice', { UserName: name, ...(await newDeviceCodes(r, `${name}-d`)) });
        return { UserName: name };
      },
      resources: [user(name)],
    };
  }),
  { action: 'UpdatePolicyDescription', params: { PolicyName: 'fx-policy', NewDescription: 'described' }, resources: [policy('fx-policy')] },
  { action: 'SetAccountAlias', params: { AccountAlias: 'tester-alias' }, resources: [account] },
  { action: 'GetAccountAlias', params: {}, resources: [account] },
  { action: 'ClearAccountAlias', params: {}, resources: [account] },
  { action: 'SetPasswordPolicy', params: { MinimumPasswordLength: 8 }, resources: [account] },
  { action: 'GetPasswordPolicy', params: {}, resources: [account] },
  { action: 'SetSecurityPreference', params: { LoginSessionDuration: 6 }, resources: [account] },
  { action: 'GetSecurityPreference', params: {}, resources: [account] },
  { action: 'TagResources', params: { ResourceType: 'policy', ResourceNames: ['fx-policy'], Tag: [{ Key: 'k', Value: 'v' }] }, resources: [policy('fx-policy')] },
  { action: 'TagResources', params: { ResourceType: 'role', ResourceNames: ['fx-role'], Tag: [{ Key: 'k', Value: 'v' }] }, resources: [role('fx-role')] },
  { action: 'UntagResources', params: { ResourceType: 'policy', ResourceNames: ['fx-policy'], All: true }, resources: [policy('fx-policy')] },
  { action: 'ListTagResources', params: { ResourceType: 'role', ResourceNames: ['fx-role'] }, resources: [role('fx-role')] },
  { action: 'ListTagResources', params: { ResourceType: 'policy' }, resources: [policy('*')] },
  {
    action: 'DecodeDiagnosticMessage',
    setup: async (r) => {
      // A denial of a user without any policy carries a message to decode.
      const u = await r.user('undecided');
      const err = await popFails(u.pop().request('ListUsers', {}, { method: 'POST' }), 'NoPermission');
      return { EncodedDiagnosticMessage: (err.data as unknown as Body).AccessDeniedDetail.EncodedDiagnosticMessage as string };
    },
    resources: [account],
  },
  // Alunite extensions
  { action: 'SimulatePrincipalPolicy', params: { UserName: 'fx-user', ActionName: 'oss:GetObject', Resource: '*' }, resources: [user('fx-user')] },
  { action: 'SimulatePrincipalPolicy', params: { RoleName: 'fx-role', ActionName: 'oss:GetObject', Resource: '*' }, resources: [role('fx-role')] },
  {
    action: 'ExplainRequest',
    setup: async (r) => ({ RequestId: (await r.call('GetUser', { UserName: 'fx-user' })).RequestId as string }),
    resources: [],
  },
  // STS
  { action: 'sts:AssumeRole', params: { RoleArn: roleArn('fx-role'), RoleSessionName: 'probe' }, resources: [role('fx-role')] },
];

describe('every RAM and STS action is authorized on each of its resources', () => {
  let srv: TestServer;
  let ram: Ram;
  let tester: RamUserHandle;
  const masterKey = randomBytes(32);

  /** Makes `doc` the tester's only policy (a new default version of `tester-p`, read on the next request). */
  async function testerPolicy(doc: string): Promise<void> {
    await ram.call('CreatePolicyVersion', {
      PolicyName: 'tester-p', PolicyDocument: doc, SetAsDefault: true, RotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
    });
  }

  /** The tester calls `action` (RAM or `sts:AssumeRole`). */
  function asTester(action: string, params: Params): Promise<Body> {
    if (action === 'sts:AssumeRole') return assumeRole(stsClient(srv, tester.accessKeyId, tester.accessKeySecret), params);
    return tester.pop().request<Body>(action, params, { method: 'POST' });
  }

  /** What root's ExplainRequest says about a request. */
  async function explain(requestId: string): Promise<Body> {
    return (await ram.call('ExplainRequest', { RequestId: requestId })).Request as Body;
  }

  before(async () => {
    srv = await startTestServer({ masterKey });
    ram = new Ram(srv);
    await ram.call('CreateUser', { UserName: 'fx-user' });
    await ram.call('CreateGroup', { GroupName: 'fx-group' });
    await ram.call('CreateRole', { RoleName: 'fx-role', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('fx-policy', DOC);
    await ram.createPolicy('fx-detach', DOC);
    tester = await ram.user('tester');
    await ram.createPolicy('tester-p', policyDoc({ Effect: 'Deny', Action: '*', Resource: '*' }));
    await ram.attachToUser('tester-p', 'tester');
  });
  after(async () => {
    await srv.stop();
  });

  it('the cases cover every action of the RAM and STS tables', () => {
    const covered = new Set(CASES.map((c) => c.action));
    const missing = [...RAM_ACTION_NAMES, ...Object.keys(STS_ACTION_RESOURCES).map((a) => `sts:${a}`)]
      .filter((a) => !covered.has(a) && a !== 'sts:GetCallerIdentity');
    assert.deepEqual(missing, [], 'actions without a test case');
    assert.deepEqual(STS_ACTION_RESOURCES.GetCallerIdentity({}), []);
  });

  it('sts:GetCallerIdentity has no resource and is never denied, even under a Deny of everything', async () => {
    await testerPolicy(policyDoc({ Effect: 'Deny', Action: '*', Resource: '*' }));
    const id = await stsClient(srv, tester.accessKeyId, tester.accessKeySecret).request<Body>('GetCallerIdentity', {}, { method: 'POST' });
    assert.equal(id.Arn, `acs:ram::${ACCOUNT_ID}:user/tester`);
  });

  for (const c of CASES) {
    const label = c.action === 'ExplainRequest' ? 'ExplainRequest on request/<id>' : `${c.action} on ${c.resources.map((r) => r.replace(/^acs:ram:\*:[^:]+:/, '')).join(' + ')}`;
    it(`${label}: a Deny on each resource refuses with 403 NoPermission; allowed without one`, async () => {
      const params = (c.setup ? await c.setup(ram) : undefined) ?? c.params ?? {};
      const action = c.action.includes(':') ? c.action : `ram:${c.action}`;
      const resources = c.action === 'ExplainRequest' ? [`acs:ram:*:${ACCOUNT_ID}:request/${String(params.RequestId)}`] : c.resources;
      assert.ok(resources.length > 0);
      for (const denied of resources) {
        await testerPolicy(policyDoc({ Effect: 'Allow', Action: action, Resource: '*' }, { Effect: 'Deny', Action: action, Resource: denied }));
        const err = await popFails(asTester(c.action, params), 'NoPermission', undefined, 403);
        // The audit trail names the refused resource and the Deny that refused it.
        const e = await explain(err.data.RequestId);
        assert.equal(e.Resource, reported(denied));
        assert.equal(e.Decision, 'ExplicitDeny');
        assert.equal(e.StatementIndex, 1);
      }
      // Allowed on `*` with nothing denied: the same call goes through (so the refusals above were the Deny's).
      await testerPolicy(policyDoc({ Effect: 'Allow', Action: action, Resource: '*' }));
      await asTester(c.action, params);
    });
  }

  describe('the escalations of issue 11', () => {
    it('a user allowed AttachPolicyToUser on itself, with a Deny on AdministratorAccess, cannot attach it', async () => {
      const u = await ram.userWith('esc1', policyDoc(
        { Effect: 'Allow', Action: 'ram:AttachPolicyToUser', Resource: [user('esc1'), `acs:ram:*:*:policy/*`] },
        { Effect: 'Deny', Action: 'ram:AttachPolicyToUser', Resource: systemPolicy('AdministratorAccess') },
      ));
      const attach = (PolicyType: string, PolicyName: string) =>
        u.pop().request('AttachPolicyToUser', { PolicyType, PolicyName, UserName: 'esc1' }, { method: 'POST' });
      const err = await popFails(attach('System', 'AdministratorAccess'), 'NoPermission', 'You are not authorized to do this action.', 403);
      assert.equal((await explain(err.data.RequestId)).Resource, `acs:ram::system:policy/AdministratorAccess`);
      await attach('System', 'AliyunOSSReadOnlyAccess');
      const attached = await ram.call('ListPoliciesForUser', { UserName: 'esc1' });
      assert.deepEqual(attached.Policies.Policy.map((p: Body) => p.PolicyName).sort(), ['AliyunOSSReadOnlyAccess', 'esc1-policy']);
      // Still not an administrator.
      await popFails(u.pop().request('ListUsers', {}, { method: 'POST' }), 'NoPermission', undefined, 403);
    });

    it('a grant scoped to one policy attaches only that policy', async () => {
      await ram.createPolicy('reader-p', DOC);
      await ram.createPolicy('admin-p', policyDoc({ Effect: 'Allow', Action: '*', Resource: '*' }));
      const u = await ram.userWith('esc2', policyDoc({ Effect: 'Allow', Action: 'ram:AttachPolicyToUser', Resource: [user('esc2'), policy('reader-p')] }));
      const attach = (PolicyType: string, PolicyName: string) =>
        u.pop().request('AttachPolicyToUser', { PolicyType, PolicyName, UserName: 'esc2' }, { method: 'POST' });
      const err = await popFails(attach('Custom', 'admin-p'), 'NoPermission', undefined, 403);
      const e = await explain(err.data.RequestId);
      assert.equal(e.Resource, reported(policy('admin-p')));
      assert.equal(e.Decision, 'ImplicitDeny');
      await popFails(attach('System', 'AdministratorAccess'), 'NoPermission', undefined, 403);
      await attach('Custom', 'reader-p');
      const attached = await ram.call('ListPoliciesForUser', { UserName: 'esc2' });
      assert.deepEqual(attached.Policies.Policy.map((p: Body) => p.PolicyName).sort(), ['esc2-policy', 'reader-p']);
    });

    it('a Deny on the user stops it joining admins and leaving a group whose policy denies it', async () => {
      await ram.call('CreateGroup', { GroupName: 'admins' });
      await ram.call('AttachPolicyToGroup', { GroupName: 'admins', PolicyType: 'System', PolicyName: 'AdministratorAccess' });
      await ram.call('CreateGroup', { GroupName: 'jail' });
      await ram.call('CreateGroup', { GroupName: 'open' });
      const u = await ram.userWith('esc3', policyDoc(
        { Effect: 'Allow', Action: ['ram:AddUserToGroup', 'ram:RemoveUserFromGroup'], Resource: '*' },
        { Effect: 'Deny', Action: ['ram:AddUserToGroup', 'ram:RemoveUserFromGroup'], Resource: user('esc3') },
      ));
      await ram.call('AddUserToGroup', { GroupName: 'jail', UserName: 'esc3' });
      const call = (action: string, GroupName: string, UserName: string) => u.pop().request(action, { GroupName, UserName }, { method: 'POST' });
      const err = await popFails(call('AddUserToGroup', 'admins', 'esc3'), 'NoPermission', undefined, 403);
      assert.equal((await explain(err.data.RequestId)).Resource, reported(user('esc3')));
      await popFails(call('RemoveUserFromGroup', 'jail', 'esc3'), 'NoPermission', undefined, 403);
      const groups = await ram.call('ListGroupsForUser', { UserName: 'esc3' });
      assert.deepEqual(groups.Groups.Group.map((g: Body) => g.GroupName), ['jail']);
      // The same grant works for another user.
      await call('AddUserToGroup', 'open', 'fx-user');
    });
  });

  describe('a policy that does not compile fails closed', () => {
    // Stored documents are validated on write; these are written straight into the store, as a damaged
    // row or a parser tightened by an upgrade would leave them.
    const UNCOMPILABLE = '{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:ListUsers","Resource":"*","Condition":{"NoSuchOperator":{"acs:SourceIp":"1.2.3.4"}}}]}';

    it('an identity policy that no longer compiles denies everything instead of vanishing with its Deny', async () => {
      const u = await ram.user('stale');
      await ram.attachToUser('AliyunRAMReadOnlyAccess', 'stale', 'System');
      await ram.createPolicy('stale-deny', policyDoc({ Effect: 'Deny', Action: 'ram:ListUsers', Resource: '*' }));
      await ram.attachToUser('stale-deny', 'stale');
      const call = (action: string, params: Params = {}) => u.pop().request<Body>(action, params, { method: 'POST' });
      await popFails(call('ListUsers'), 'NoPermission', undefined, 403);
      assert.equal((await call('GetUser', { UserName: 'stale' })).User.UserName, 'stale');
      await srv.meta.createPolicyVersion('stale-deny', UNCOMPILABLE, Date.now(), { setAsDefault: true, rotate: true, maxVersions: 5 });
      const err = await popFails(call('ListUsers'), 'NoPermission', undefined, 403);
      assert.match(String((await explain(err.data.RequestId)).Policy), /^stale-deny \(does not compile/);
      await popFails(call('GetUser', { UserName: 'stale' }), 'NoPermission', undefined, 403);
    });

    it('a bucket policy that no longer compiles denies every RAM user, and the owner can replace it', async () => {
      const bucket = 'stale-bucket';
      const root = srv.client({ bucket });
      await srv.client().putBucket(bucket);
      await root.put('k', Buffer.from('v'));
      const u = await ram.user('bucketeer');
      await ram.attachToUser('AliyunOSSFullAccess', 'bucketeer', 'System');
      await srv.client().putBucketPolicy(bucket, {
        Version: '1', Statement: [{ Effect: 'Deny', Principal: [u.userId], Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${bucket}/*`] }],
      } as unknown as Parameters<ReturnType<TestServer['client']>['putBucketPolicy']>[1]);
      await expectOssError(u.oss(bucket).get('k'), 'AccessDenied', 403);
      assert.equal((await u.oss(bucket).list({ 'max-keys': 5 }, {})).objects.length, 1);
      await srv.meta.updateBucket(bucket, { policy: UNCOMPILABLE.replace('"Resource"', '"Principal":["*"],"Resource"') });
      await expectOssError(u.oss(bucket).get('k'), 'AccessDenied', 403);
      await expectOssError(u.oss(bucket).list({ 'max-keys': 5 }, {}), 'AccessDenied', 403);
      // The owner is not locked out and can repair it.
      assert.equal((await root.get('k')).content.toString(), 'v');
      await srv.client().deleteBucketPolicy(bucket);
      assert.equal((await u.oss(bucket).get('k')).content.toString(), 'v');
    });
  });

  describe('a session policy that does not compile fails closed', () => {
    it('a session principal whose policy does not compile (should one get past the resolver) is denied everything', () => {
      const principal = {
        type: 'session' as const, accountId: ACCOUNT_ID, roleId: '1', roleName: 'broad', sessionName: 's', accessKeyId: 'STS.x', sessionPolicy: '{not json', expiration: Date.now() + 60_000,
      };
      const policy = sessionPolicyOf(principal);
      assert.ok(policy);
      assert.equal(decide([policy], { action: 'oss:GetObject', resource: 'acs:oss:*:1:b/k' }).decision, 'ExplicitDeny');
      assert.equal(decide([policy], { action: 'ram:ListUsers', resource: `acs:ram::${ACCOUNT_ID}:user/*` }).decision, 'ExplicitDeny');
    });

    it('a token sealing a malformed session policy is refused (InvalidSecurityToken), not given the role\'s rights', async () => {
      const r = await ram.call('CreateRole', { RoleName: 'broad', AssumeRolePolicyDocument: TRUST_ACCOUNT });
      await ram.call('AttachPolicyToRole', { RoleName: 'broad', PolicyType: 'System', PolicyName: 'AdministratorAccess' });
      await srv.client().putBucket('session-closed');
      const tokens = new TokenService(masterKey);
      const now = Date.now();
      const mint = (sessionPolicy: string | null) => tokens.issue({
        accountId: ACCOUNT_ID, roleId: r.Role.RoleId as string, roleName: 'broad', sessionName: 'crafted', sessionPolicy, issuedAt: now, expiration: now + 3_600_000,
      });
      const pop = (c: ReturnType<typeof mint>) => new RPCClient({
        accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken, endpoint: srv.url, apiVersion: '2015-05-01',
      } as ConstructorParameters<typeof RPCClient>[0]);
      const oss = (c: ReturnType<typeof mint>) => srv.client({ bucket: 'session-closed', accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, stsToken: c.securityToken });
      // The sealing itself is sound: without a policy, the role's rights apply.
      assert.ok((await pop(mint(null)).request<Body>('ListUsers', {}, { method: 'POST' })).Users);
      for (const bad of ['{not json', '{"Version":"1","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}', '{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Resource":"*","Condition":{"NoSuchOperator":{"acs:SourceIp":"1.2.3.4"}}}]}']) {
        const c = mint(bad);
        await popFails(pop(c).request('ListUsers', {}, { method: 'POST' }), 'InvalidSecurityToken.Malformed', undefined, 400);
        await expectOssError(oss(c).put('k', Buffer.from('x')), 'InvalidSecurityToken', 403);
        await popFails(assumeRole(stsClient(srv, c.accessKeyId, c.accessKeySecret, c.securityToken), { RoleArn: roleArn('broad'), RoleSessionName: 'chain' }), 'InvalidSecurityToken.Malformed', undefined, 400);
      }
    });
  });
});
