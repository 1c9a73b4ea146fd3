// The rest of RAM (2015-05-01) through the unchanged @alicloud/pop-core client against a real server:
// login profiles and the password policy, virtual MFA with TOTP codes computed here, account alias,
// security preference (enforced), AccessKey last use, UpdatePolicyDescription, and the diagnostic message
// of a denial (OSS via ali-oss, RAM via pop-core) decoded with DecodeDiagnosticMessage.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { totp } from './helpers/totp.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const nowStep = (): number => Math.floor(Date.now() / 30_000);

/** pop-core answers objects without a prototype: compare their JSON. */
const eq = (actual: unknown, expected: unknown, msg?: string): void => assert.deepEqual(JSON.parse(JSON.stringify(actual)), JSON.parse(JSON.stringify(expected)), msg);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('RAM account features via @alicloud/pop-core', () => {
  let server: TestServer;
  let ram: Ram;

  before(async () => {
    server = await startTestServer();
    ram = new Ram(server);
  });
  after(async () => {
    await server.stop();
  });

  const call = (action: string, params: Record<string, unknown> = {}): Promise<Body> => ram.call(action, params);
  const fails = (action: string, params: Record<string, unknown>, code: string, status?: number) =>
    popFails(ram.call(action, params), code, undefined, status);

  describe('login profiles and the password policy', () => {
    test('CreateLoginProfile, GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile; the password is never returned', async () => {
      await call('CreateUser', { UserName: 'lp1' });
      await fails('CreateLoginProfile', { UserName: 'lp1' }, 'MissingPassword', 400);
      await fails('CreateLoginProfile', { UserName: 'nobody', Password: 'Abcdefg1' }, 'EntityNotExist.User', 404);
      // The default policy: 8 characters with lower, upper case and digits.
      await fails('CreateLoginProfile', { UserName: 'lp1', Password: 'abcdefgh' }, 'InvalidParameter.Password', 400);
      await fails('CreateLoginProfile', { UserName: 'lp1', Password: 'Abc1' }, 'InvalidParameter.Password', 400);
      const created = await call('CreateLoginProfile', { UserName: 'lp1', Password: 'Abcdefg1', PasswordResetRequired: true });
      assert.equal(created.LoginProfile.UserName, 'lp1');
      assert.equal(created.LoginProfile.PasswordResetRequired, true);
      assert.equal(created.LoginProfile.MFABindRequired, false);
      assert.match(created.LoginProfile.CreateDate, ISO);
      assert.ok(!JSON.stringify(created).includes('Abcdefg1'));
      await fails('CreateLoginProfile', { UserName: 'lp1', Password: 'Abcdefg1' }, 'EntityAlreadyExists.User.LoginProfile', 409);
      const got = await call('GetLoginProfile', { UserName: 'lp1' });
      eq(Object.keys(got.LoginProfile).sort(), ['CreateDate', 'MFABindRequired', 'PasswordResetRequired', 'UpdateDate', 'UserName']);
      await fails('UpdateLoginProfile', { UserName: 'lp1', Password: 'short' }, 'InvalidParameter.Password', 400);
      const updated = await call('UpdateLoginProfile', { UserName: 'lp1', MFABindRequired: true, PasswordResetRequired: false });
      assert.equal(updated.LoginProfile.MFABindRequired, true);
      assert.equal(updated.LoginProfile.PasswordResetRequired, false);
      // DeleteUser refuses while a login profile exists.
      await fails('DeleteUser', { UserName: 'lp1' }, 'DeleteConflict.User.LoginProfile', 409);
      await call('DeleteLoginProfile', { UserName: 'lp1' });
      await fails('GetLoginProfile', { UserName: 'lp1' }, 'EntityNotExist.User.LoginProfile', 404);
      await fails('DeleteLoginProfile', { UserName: 'lp1' }, 'EntityNotExist.User.LoginProfile', 404);
      await call('DeleteUser', { UserName: 'lp1' });
    });

    test('SetPasswordPolicy / GetPasswordPolicy: bounds checked, the policy enforced on create, update and change', async () => {
      const def = await call('GetPasswordPolicy');
      eq(def.PasswordPolicy, {
        MinimumPasswordLength: 8, RequireLowercaseCharacters: true, RequireUppercaseCharacters: true, RequireNumbers: true, RequireSymbols: false,
        HardExpiry: false, MaxPasswordAge: 0, PasswordReusePrevention: 0, MaxLoginAttemps: 5,
      });
      await fails('SetPasswordPolicy', { MinimumPasswordLength: 7 }, 'InvalidParameter.PasswordPolicy', 400);
      await fails('SetPasswordPolicy', { PasswordReusePrevention: 25 }, 'InvalidParameter.PasswordPolicy', 400);
      await fails('SetPasswordPolicy', { RequireSymbols: 'maybe' }, 'InvalidParameter', 400);
      const set = await call('SetPasswordPolicy', { MinimumPasswordLength: 12, RequireSymbols: true, PasswordReusePrevention: 2 });
      assert.equal(set.PasswordPolicy.MinimumPasswordLength, 12);
      assert.equal(set.PasswordPolicy.RequireSymbols, true);
      assert.equal(set.PasswordPolicy.RequireNumbers, true, 'fields left out keep their value');
      eq((await call('GetPasswordPolicy')).PasswordPolicy, set.PasswordPolicy);

      const u = await ram.user('pw1');
      await fails('CreateLoginProfile', { UserName: 'pw1', Password: 'Abcdefghij1' }, 'InvalidParameter.Password'); // 11 chars, no symbol
      await fails('CreateLoginProfile', { UserName: 'pw1', Password: 'Abcdefghij12' }, 'InvalidParameter.Password'); // no symbol
      await call('CreateLoginProfile', { UserName: 'pw1', Password: 'Abcdefghij1!' });
      await fails('UpdateLoginProfile', { UserName: 'pw1', Password: 'abcdefghij1!' }, 'InvalidParameter.Password'); // no upper case

      // ChangePassword by the user itself (allowed by the security preference, no policy needed).
      const self = u.pop();
      await popFails(self.request('ChangePassword', { OldPassword: 'Wrong-passw0rd', NewPassword: 'Bcdefghijk2@' }, { method: 'POST' }), 'InvalidParameter.OldPassword', undefined, 400);
      await popFails(self.request('ChangePassword', { OldPassword: 'Abcdefghij1!', NewPassword: 'Abcdefghij1!' }, { method: 'POST' }), 'InvalidParameter.Password', undefined, 400);
      await popFails(self.request('ChangePassword', { OldPassword: 'Abcdefghij1!', NewPassword: 'short1!A' }, { method: 'POST' }), 'InvalidParameter.Password');
      await popFails(self.request('ChangePassword', { OldPassword: 'Abcdefghij1!' }, { method: 'POST' }), 'MissingNewPassword', undefined, 400);
      await self.request('ChangePassword', { OldPassword: 'Abcdefghij1!', NewPassword: 'Bcdefghijk2@' }, { method: 'POST' });
      await self.request('ChangePassword', { OldPassword: 'Bcdefghijk2@', NewPassword: 'Cdefghijkl3#' }, { method: 'POST' });
      // PasswordReusePrevention 2: the last two passwords are refused, the one before is allowed again.
      await popFails(self.request('ChangePassword', { OldPassword: 'Cdefghijkl3#', NewPassword: 'Bcdefghijk2@' }, { method: 'POST' }), 'InvalidParameter.Password');
      await self.request('ChangePassword', { OldPassword: 'Cdefghijkl3#', NewPassword: 'Abcdefghij1!' }, { method: 'POST' });
      // The root account has no password here to change.
      await fails('ChangePassword', { OldPassword: 'x', NewPassword: 'y' }, 'NoPermission', 403);

      // AllowUserToChangePassword = false refuses; an explicit Deny refuses too.
      await call('SetSecurityPreference', { AllowUserToChangePassword: false });
      await popFails(self.request('ChangePassword', { OldPassword: 'Abcdefghij1!', NewPassword: 'Defghijklm4$' }, { method: 'POST' }), 'NoPermission', undefined, 403);
      await call('SetSecurityPreference', { AllowUserToChangePassword: true });
      await ram.createPolicy('deny-change-password', policyDoc({ Effect: 'Deny', Action: 'ram:ChangePassword', Resource: '*' }));
      await ram.attachToUser('deny-change-password', 'pw1');
      await popFails(self.request('ChangePassword', { OldPassword: 'Abcdefghij1!', NewPassword: 'Defghijklm4$' }, { method: 'POST' }), 'NoPermission', undefined, 403);
      await ram.detachFromUser('deny-change-password', 'pw1');
      await self.request('ChangePassword', { OldPassword: 'Abcdefghij1!', NewPassword: 'Defghijklm4$' }, { method: 'POST' });
      await call('SetPasswordPolicy', { MinimumPasswordLength: 8, RequireSymbols: false, PasswordReusePrevention: 0 });
    });
  });

  describe('virtual MFA', () => {
    test('Create, Bind (two consecutive TOTP codes), GetUserMFAInfo, List, Unbind, Delete', async () => {
      await call('CreateUser', { UserName: 'mfa1' });
      await fails('CreateVirtualMFADevice', { VirtualMFADeviceName: 'bad name!' }, 'InvalidParameter.VirtualMFADeviceName', 400);
      await fails('CreateVirtualMFADevice', {}, 'MissingVirtualMFADeviceName', 400);
      const created = await call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'phone-1' });
      const serial = `acs:ram::${ACCOUNT_ID}:mfa/phone-1`;
      assert.equal(created.VirtualMFADevice.SerialNumber, serial);
      const seed = created.VirtualMFADevice.Base32StringSeed as string;
      assert.match(seed, /^[A-Z2-7]{64}$/);
      await fails('CreateVirtualMFADevice', { VirtualMFADeviceName: 'phone-1' }, 'EntityAlreadyExists.VirtualMFADevice', 409);

      const s = nowStep();
      await fails('BindMFADevice', { UserName: 'mfa1', SerialNumber: serial, AuthenticationCode1: '000000', AuthenticationCode2: '000001' }, 'InvalidParameter.AuthenticationCode', 400);
      // Two codes of the same step are not consecutive.
      await fails('BindMFADevice', { UserName: 'mfa1', SerialNumber: serial, AuthenticationCode1: totp(seed, s), AuthenticationCode2: totp(seed, s) }, 'InvalidParameter.AuthenticationCode');
      await fails('BindMFADevice', { UserName: 'mfa1', SerialNumber: `acs:ram::${ACCOUNT_ID}:mfa/none`, AuthenticationCode1: '123456', AuthenticationCode2: '123456' }, 'EntityNotExist.VirtualMFADevice', 404);
      await fails('BindMFADevice', { UserName: 'mfa1', SerialNumber: 'not-a-serial', AuthenticationCode1: '123456', AuthenticationCode2: '123456' }, 'InvalidParameter.SerialNumber', 400);
      const t = nowStep();
      await call('BindMFADevice', { UserName: 'mfa1', SerialNumber: serial, AuthenticationCode1: totp(seed, t - 1), AuthenticationCode2: totp(seed, t) });
      eq((await call('GetUserMFAInfo', { UserName: 'mfa1' })).MFADevice, { SerialNumber: serial, Type: 'VMFA' });
      const listed = await call('ListVirtualMFADevices');
      const entry = (listed.VirtualMFADevices.VirtualMFADevice as Body[]).find((d) => d.SerialNumber === serial)!;
      assert.equal(entry.User.UserName, 'mfa1');
      assert.match(entry.ActivateDate, ISO);

      await call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'phone-2' });
      await fails('BindMFADevice', {
        UserName: 'mfa1', SerialNumber: `acs:ram::${ACCOUNT_ID}:mfa/phone-2`, AuthenticationCode1: '111111', AuthenticationCode2: '222222',
      }, 'InvalidParameter.AuthenticationCode');
      await fails('DeleteVirtualMFADevice', { SerialNumber: serial }, 'DeleteConflict.VirtualMFADevice.User', 409);
      await fails('DeleteUser', { UserName: 'mfa1' }, 'DeleteConflict.User.MFADevice', 409);
      eq((await call('UnbindMFADevice', { UserName: 'mfa1' })).MFADevice, { SerialNumber: serial });
      await fails('GetUserMFAInfo', { UserName: 'mfa1' }, 'EntityNotExist.User.MFADevice', 404);
      await fails('UnbindMFADevice', { UserName: 'mfa1' }, 'EntityNotExist.User.MFADevice', 404);
      await call('DeleteVirtualMFADevice', { SerialNumber: serial });
      await call('DeleteVirtualMFADevice', { SerialNumber: `acs:ram::${ACCOUNT_ID}:mfa/phone-2` });
      await fails('DeleteVirtualMFADevice', { SerialNumber: serial }, 'EntityNotExist.VirtualMFADevice', 404);
      await call('DeleteUser', { UserName: 'mfa1' });
    });

    test('two binds racing for one device: exactly one wins, and the loser changed nothing', async () => {
      await call('CreateUser', { UserName: 'race-a' });
      await call('CreateUser', { UserName: 'race-b' });
      const d = await call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'race-phone' });
      const seed = d.VirtualMFADevice.Base32StringSeed as string;
      const t = nowStep();
      const codes = { SerialNumber: d.VirtualMFADevice.SerialNumber, AuthenticationCode1: totp(seed, t - 1), AuthenticationCode2: totp(seed, t) };
      const results = await Promise.allSettled(['race-a', 'race-b'].map((u) => call('BindMFADevice', { UserName: u, ...codes })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal((lost.reason as { code: string }).code, 'EntityAlreadyExists.VirtualMFADevice.User');
      const bound = await Promise.allSettled(['race-a', 'race-b'].map((u) => call('GetUserMFAInfo', { UserName: u })));
      assert.equal(bound.filter((r) => r.status === 'fulfilled').length, 1, 'one user holds the device, the other none');
    });

    test('AllowUserToManageMFADevices = false: a user may not bind its own device even with a policy allowing it', async () => {
      const u = await ram.userWith('mfa2', policyDoc({ Effect: 'Allow', Action: 'ram:*', Resource: '*' }));
      const d = await call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'phone-3' });
      const seed = d.VirtualMFADevice.Base32StringSeed as string;
      await call('SetSecurityPreference', { AllowUserToManageMFADevices: false });
      const t = nowStep();
      const params = { SerialNumber: d.VirtualMFADevice.SerialNumber, AuthenticationCode1: totp(seed, t - 1), AuthenticationCode2: totp(seed, t) };
      await popFails(u.pop().request('BindMFADevice', params, { method: 'POST' }), 'NoPermission', undefined, 403);
      await call('SetSecurityPreference', { AllowUserToManageMFADevices: true });
      await u.pop().request('BindMFADevice', params, { method: 'POST' });
      assert.equal((await call('GetUserMFAInfo', { UserName: 'mfa2' })).MFADevice.SerialNumber, d.VirtualMFADevice.SerialNumber);
    });
  });

  describe('account alias and security preference', () => {
    test('SetAccountAlias, GetAccountAlias, ClearAccountAlias', async () => {
      assert.equal((await call('GetAccountAlias')).AccountAlias, ACCOUNT_ID);
      for (const bad of ['ab', 'Upper-case', '-leading', 'trailing-', 'a'.repeat(33), 'two--hyphens']) {
        await fails('SetAccountAlias', { AccountAlias: bad }, 'InvalidParameter.AccountAlias', 400);
      }
      await fails('SetAccountAlias', {}, 'MissingAccountAlias', 400);
      await call('SetAccountAlias', { AccountAlias: 'my-company-01' });
      assert.equal((await call('GetAccountAlias')).AccountAlias, 'my-company-01');
      await call('ClearAccountAlias');
      assert.equal((await call('GetAccountAlias')).AccountAlias, ACCOUNT_ID);
    });

    test('GetSecurityPreference shape; SetSecurityPreference bounds', async () => {
      const p = (await call('GetSecurityPreference')).SecurityPreference;
      eq(p.AccessKeyPreference, { AllowUserToManageAccessKeys: true });
      eq(p.MFAPreference, { AllowUserToManageMFADevices: true });
      assert.equal(p.LoginProfilePreference.LoginSessionDuration, 6);
      await fails('SetSecurityPreference', { LoginSessionDuration: 25 }, 'InvalidParameter.SecurityPreference', 400);
      await fails('SetSecurityPreference', { LoginNetworkMasks: '10.0.0.0/33' }, 'InvalidParameter.SecurityPreference', 400);
      const set = await call('SetSecurityPreference', { LoginSessionDuration: 12, LoginNetworkMasks: '10.0.0.0/8;192.168.1.0/24' });
      assert.equal(set.SecurityPreference.LoginProfilePreference.LoginSessionDuration, 12);
      assert.equal(set.SecurityPreference.LoginProfilePreference.LoginNetworkMasks, '10.0.0.0/8;192.168.1.0/24');
    });

    test('AllowUserToManageAccessKeys = false: a user cannot create, update or delete its own keys, whatever its policy', async () => {
      const u = await ram.userWith('ak1', policyDoc({ Effect: 'Allow', Action: 'ram:*', Resource: '*' }));
      await call('CreateUser', { UserName: 'ak-other' });
      await call('SetSecurityPreference', { AllowUserToManageAccessKeys: false });
      const pop = u.pop();
      await popFails(pop.request('CreateAccessKey', {}, { method: 'POST' }), 'NoPermission', undefined, 403);
      await popFails(pop.request('CreateAccessKey', { UserName: 'ak1' }, { method: 'POST' }), 'NoPermission');
      await popFails(pop.request('UpdateAccessKey', { UserAccessKeyId: u.accessKeyId, Status: 'Inactive' }, { method: 'POST' }), 'NoPermission');
      await popFails(pop.request('DeleteAccessKey', { UserAccessKeyId: u.accessKeyId }, { method: 'POST' }), 'NoPermission');
      // Other users' keys: the policy decides; the root is not a RAM user.
      const other = await pop.request<Body>('CreateAccessKey', { UserName: 'ak-other' }, { method: 'POST' });
      await pop.request('DeleteAccessKey', { UserName: 'ak-other', UserAccessKeyId: other.AccessKey.AccessKeyId }, { method: 'POST' });
      const mine = await call('CreateAccessKey', { UserName: 'ak1' });
      await call('DeleteAccessKey', { UserName: 'ak1', UserAccessKeyId: mine.AccessKey.AccessKeyId });
      await call('SetSecurityPreference', { AllowUserToManageAccessKeys: true });
      const again = await pop.request<Body>('CreateAccessKey', {}, { method: 'POST' });
      await pop.request('DeleteAccessKey', { UserAccessKeyId: again.AccessKey.AccessKeyId }, { method: 'POST' });
    });
  });

  describe('AccessKey last use, policy descriptions', () => {
    test('GetAccessKeyLastUsed: noted on use, written in batches, read back from the store', async () => {
      const u = await ram.userWith('lu1', policyDoc({ Effect: 'Allow', Action: 'ram:GetUser', Resource: '*' }));
      const before = await call('GetAccessKeyLastUsed', { UserName: 'lu1', UserAccessKeyId: u.accessKeyId });
      eq(before.AccessKeyLastUsed, {});
      const t0 = Date.now();
      await u.pop().request('GetUser', { UserName: 'lu1' }, { method: 'POST' });
      const seen = await call('GetAccessKeyLastUsed', { UserName: 'lu1', UserAccessKeyId: u.accessKeyId });
      assert.match(seen.AccessKeyLastUsed.LastUsedDate, ISO);
      assert.ok(Date.parse(seen.AccessKeyLastUsed.LastUsedDate) >= Math.floor(t0 / 1000) * 1000);
      await server.ramExtras.lastUsed.flush();
      const stored = await server.meta.readIdentityDocs('ak-last-used', [u.accessKeyId]);
      assert.ok((JSON.parse(stored.get(u.accessKeyId)!) as { t: number }).t >= t0);
      await fails('GetAccessKeyLastUsed', { UserName: 'lu1', UserAccessKeyId: 'LTAI00000000000000000000' }, 'EntityNotExist.User.AccessKey', 404);
      await fails('GetAccessKeyLastUsed', { UserName: 'lu1' }, 'MissingUserAccessKeyId', 400);
      await fails('GetAccessKeyLastUsed', { UserAccessKeyId: u.accessKeyId }, 'MissingUserName', 400); // the root must name the user
      // A RAM user asks about its own key without naming itself.
      const own = await u.pop().request<Body>('GetAccessKeyLastUsed', { UserAccessKeyId: u.accessKeyId }, { method: 'POST' }).catch((e: { code: string }) => e);
      assert.equal((own as { code?: string }).code, 'NoPermission', 'its policy allows only ram:GetUser');
    });

    test('UpdatePolicyDescription', async () => {
      await ram.createPolicy('described', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }));
      const res = await call('UpdatePolicyDescription', { PolicyName: 'described', NewDescription: 'reads objects' });
      assert.equal(res.Policy.Description, 'reads objects');
      assert.equal((await call('GetPolicy', { PolicyName: 'described', PolicyType: 'Custom' })).Policy.Description, 'reads objects');
      await fails('UpdatePolicyDescription', { PolicyName: 'AliyunOSSFullAccess', NewDescription: 'x' }, 'EntityNotExist.Policy', 404);
      await fails('UpdatePolicyDescription', { PolicyName: 'described', NewDescription: 'x'.repeat(1025) }, 'InvalidParameter.Description.Length', 400);
      await fails('UpdatePolicyDescription', { PolicyName: 'described' }, 'MissingNewDescription', 400);
    });
  });

  describe('tags on roles and policies', () => {
    test('TagResources, ListTagResources, UntagResources (pop-core sends lists as Name.N)', async () => {
      const trust = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }] });
      await call('CreateRole', { RoleName: 'Tagged-Role', AssumeRolePolicyDocument: trust });
      await call('CreateRole', { RoleName: 'other-role', AssumeRolePolicyDocument: trust });
      await ram.createPolicy('tagged-policy', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }));
      await call('TagResources', { ResourceType: 'role', ResourceNames: ['Tagged-Role', 'other-role'], Tag: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'a' }] });
      await call('TagResources', { ResourceType: 'policy', ResourceNames: ['tagged-policy'], Tag: [{ Key: 'env', Value: 'dev' }] });
      // A later value replaces an earlier one; role names are case-insensitive.
      await call('TagResources', { ResourceType: 'role', ResourceNames: ['tagged-role'], Tag: [{ Key: 'team', Value: 'b' }] });
      const rows = (r: Body) => (r.TagResources as Body[]).map((t) => `${t.ResourceType}:${t.ResourceName}:${t.TagKey}=${t.TagValue}`);
      eq(rows(await call('ListTagResources', { ResourceType: 'role' })), ['role:Tagged-Role:env=prod', 'role:Tagged-Role:team=b', 'role:other-role:env=prod', 'role:other-role:team=a']);
      eq(rows(await call('ListTagResources', { ResourceType: 'role', Tag: [{ Key: 'team', Value: 'a' }] })), ['role:other-role:env=prod', 'role:other-role:team=a']);
      eq(rows(await call('ListTagResources', { ResourceType: 'policy', ResourceNames: ['tagged-policy'] })), ['policy:tagged-policy:env=dev']);
      // Paging.
      const first = await call('ListTagResources', { ResourceType: 'role', PageSize: 3 });
      assert.equal(rows(first).length, 3);
      const rest = await call('ListTagResources', { ResourceType: 'role', PageSize: 3, NextToken: first.NextToken });
      eq(rows(rest), ['role:other-role:team=a']);
      assert.equal(rest.NextToken, undefined);

      await call('UntagResources', { ResourceType: 'role', ResourceNames: ['Tagged-Role'], TagKeys: ['team'] });
      await call('UntagResources', { ResourceType: 'role', ResourceNames: ['other-role'], All: true });
      eq(rows(await call('ListTagResources', { ResourceType: 'role' })), ['role:Tagged-Role:env=prod']);

      // A role deleted and created again does not inherit the old tags.
      await call('DeleteRole', { RoleName: 'Tagged-Role' });
      await call('CreateRole', { RoleName: 'Tagged-Role', AssumeRolePolicyDocument: trust });
      eq(rows(await call('ListTagResources', { ResourceType: 'role', ResourceNames: ['Tagged-Role'] })), []);

      await fails('TagResources', { ResourceType: 'user', ResourceNames: ['x'], Tag: [{ Key: 'k', Value: 'v' }] }, 'InvalidParameter.ResourceType', 400);
      await fails('TagResources', { ResourceNames: ['x'], Tag: [{ Key: 'k', Value: 'v' }] }, 'MissingResourceType', 400);
      await fails('TagResources', { ResourceType: 'role', ResourceNames: ['nope'], Tag: [{ Key: 'k', Value: 'v' }] }, 'EntityNotExist.Role', 404);
      await fails('TagResources', { ResourceType: 'role', ResourceNames: ['other-role'], Tag: [{ Key: 'acs:reserved', Value: 'v' }] }, 'InvalidParameter.Tag', 400);
      await fails('UntagResources', { ResourceType: 'role', ResourceNames: ['other-role'] }, 'InvalidParameter.Tag', 400);
      const many = Array.from({ length: 20 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
      await call('TagResources', { ResourceType: 'role', ResourceNames: ['other-role'], Tag: many });
      await fails('TagResources', { ResourceType: 'role', ResourceNames: ['other-role'], Tag: [{ Key: 'one-more', Value: 'v' }] }, 'LimitExceeded.Tag', 409);
      // At most 20 filters, as on the other lists.
      await fails('ListTagResources', { ResourceType: 'role', Tag: Array.from({ length: 21 }, (_, i) => ({ Key: `k${i}` })) }, 'InvalidParameter.Tag', 400);
      assert.equal(rows(await call('ListTagResources', { ResourceType: 'role', Tag: Array.from({ length: 20 }, (_, i) => ({ Key: `k${i}` })) })).length, 20);
    });

    test('CreateRole / CreatePolicy with Tag also need ram:TagResources on what they create (a Deny on it refuses the create, and nothing is made)', async () => {
      const u = await ram.userWith('tag-on-create', policyDoc(
        { Effect: 'Allow', Action: ['ram:CreateRole', 'ram:CreatePolicy', 'ram:TagResources'], Resource: '*' },
        { Effect: 'Deny', Action: 'ram:TagResources', Resource: [`acs:ram::${ACCOUNT_ID}:role/denied-tags-role`, `acs:ram::${ACCOUNT_ID}:policy/denied-tags-policy`] },
      ));
      const pop = u.pop();
      const as = (action: string, params: Record<string, unknown>) => pop.request<Body>(action, params, { method: 'POST' });
      const tag = { 'Tag.1.Key': 'env', 'Tag.1.Value': 'prod' };
      const doc = policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' });
      const trust = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }] });
      await popFails(as('CreateRole', { RoleName: 'denied-tags-role', AssumeRolePolicyDocument: trust, ...tag }), 'NoPermission', undefined, 403);
      await popFails(as('CreatePolicy', { PolicyName: 'denied-tags-policy', PolicyDocument: doc, ...tag }), 'NoPermission', undefined, 403);
      await fails('GetRole', { RoleName: 'denied-tags-role' }, 'EntityNotExist.Role', 404);
      await fails('GetPolicy', { PolicyName: 'denied-tags-policy', PolicyType: 'Custom' }, 'EntityNotExist.Policy', 404);
      // Without tags the same creates pass; elsewhere the tags are allowed.
      await as('CreateRole', { RoleName: 'denied-tags-role', AssumeRolePolicyDocument: trust });
      await as('CreatePolicy', { PolicyName: 'denied-tags-policy', PolicyDocument: doc });
      await as('CreateRole', { RoleName: 'allowed-tags-role', AssumeRolePolicyDocument: trust, ...tag });
      const rows = await call('ListTagResources', { ResourceType: 'role', ResourceNames: ['allowed-tags-role'] });
      assert.deepEqual((rows.TagResources as Body[]).map((t) => `${t.TagKey}=${t.TagValue}`), ['env=prod']);
    });

    test('CreateRole / CreatePolicy with Tag (Tag.N.Key); ListRoles / ListPolicies filtered by Tag with paging and Tags in items', async () => {
      const trust = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }] });
      const doc = policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' });
      const tags = (...kv: Array<[string, string]>) => kv.map(([Key, Value]) => ({ Key, Value }));
      await call('CreateRole', { RoleName: 'pf-a', AssumeRolePolicyDocument: trust, Tag: tags(['pf-env', 'prod'], ['pf-team', 'x']) });
      await call('CreateRole', { RoleName: 'pf-b', AssumeRolePolicyDocument: trust, Tag: tags(['pf-env', 'dev']) });
      await call('CreateRole', { RoleName: 'pf-c', AssumeRolePolicyDocument: trust });
      await call('CreateRole', { RoleName: 'pf-d', AssumeRolePolicyDocument: trust, Tag: tags(['pf-env', 'prod']) });
      await call('CreateRole', { RoleName: 'pf-e', AssumeRolePolicyDocument: trust, Tag: tags(['pf-team', 'x'], ['pf-env', 'prod']) });
      await call('CreateRole', { RoleName: 'pf-f', AssumeRolePolicyDocument: trust, Tag: tags(['pf-env', 'dev'], ['pf-team', 'x']) });
      const rows = (r: Body) => (r.TagResources as Body[]).map((t) => `${t.ResourceName}:${t.TagKey}=${t.TagValue}`);
      eq(rows(await call('ListTagResources', { ResourceType: 'role', ResourceNames: ['pf-a', 'pf-b'] })), ['pf-a:pf-env=prod', 'pf-a:pf-team=x', 'pf-b:pf-env=dev']);
      eq(rows(await call('ListTagResources', { ResourceType: 'role', Tag: [{ Key: 'pf-team', Value: 'x' }] })).filter((r) => r.endsWith('pf-team=x')),
        ['pf-a:pf-team=x', 'pf-e:pf-team=x', 'pf-f:pf-team=x']);

      /** Every page of a listing: the names on each page and whether it said more was to come. */
      const pages = async (action: 'ListRoles' | 'ListPolicies', params: Record<string, unknown>): Promise<Array<[string[], boolean]>> => {
        const out: Array<[string[], boolean]> = [];
        let marker: string | undefined;
        do {
          const r = await call(action, { ...params, ...(marker !== undefined ? { Marker: marker } : {}) });
          const items = (action === 'ListRoles' ? r.Roles.Role : r.Policies.Policy) as Body[];
          out.push([items.map((x) => (x.RoleName ?? x.PolicyName) as string), r.IsTruncated as boolean]);
          assert.equal(r.Marker !== undefined, r.IsTruncated);
          marker = r.IsTruncated ? (r.Marker as string) : undefined;
        } while (marker !== undefined);
        return out;
      };
      const prod = [{ Key: 'pf-env', Value: 'prod' }];
      const prodX = [{ Key: 'pf-env', Value: 'prod' }, { Key: 'pf-team', Value: 'x' }];
      eq(await pages('ListRoles', { Tag: prod }), [[['pf-a', 'pf-d', 'pf-e'], false]]);
      eq(await pages('ListRoles', { Tag: prodX }), [[['pf-a', 'pf-e'], false]]);
      eq(await pages('ListRoles', { Tag: [{ Key: 'pf-team' }] }), [[['pf-a', 'pf-e', 'pf-f'], false]]);
      eq(await pages('ListRoles', { Tag: prod, MaxItems: 1 }), [[['pf-a'], true], [['pf-d'], true], [['pf-e'], false]]);
      eq(await pages('ListRoles', { Tag: prodX, MaxItems: 1 }), [[['pf-a'], true], [['pf-e'], false]]);
      eq(await pages('ListRoles', { Tag: prod, MaxItems: 2 }), [[['pf-a', 'pf-d'], true], [['pf-e'], false]]);
      // The Tea SDK form of the filter (a JSON array).
      eq(await pages('ListRoles', { Tag: JSON.stringify(prodX) }), [[['pf-a', 'pf-e'], false]]);
      // Unfiltered paging is unchanged, and every item has its Tags.
      const roleItems = (await call('ListRoles', {})).Roles.Role as Body[];
      const tagsOf = (items: Body[], name: string) => ((items.find((x) => (x.RoleName ?? x.PolicyName) === name)!.Tags as Body).Tag as Body[]).map((t) => `${t.TagKey}=${t.TagValue}`);
      eq(tagsOf(roleItems, 'pf-e'), ['pf-env=prod', 'pf-team=x']);
      eq(tagsOf(roleItems, 'pf-c'), []);
      const all = (await pages('ListRoles', { MaxItems: 1 })).map(([names]) => names[0]);
      eq(all, roleItems.map((x) => x.RoleName));

      await call('CreatePolicy', { PolicyName: 'pf-p1', PolicyDocument: doc, Tag: tags(['pf-env', 'prod']) });
      await call('CreatePolicy', { PolicyName: 'pf-p2', PolicyDocument: doc, Tag: tags(['pf-env', 'dev']) });
      await call('CreatePolicy', { PolicyName: 'pf-p3', PolicyDocument: doc });
      await call('CreatePolicy', { PolicyName: 'pf-p4', PolicyDocument: doc, Tag: tags(['pf-env', 'prod'], ['pf-team', 'x']) });
      await call('CreatePolicy', { PolicyName: 'pf-p5', PolicyDocument: doc, Tag: tags(['pf-env', 'dev']) });
      eq(rows(await call('ListTagResources', { ResourceType: 'policy', ResourceNames: ['pf-p4'] })), ['pf-p4:pf-env=prod', 'pf-p4:pf-team=x']);
      eq(await pages('ListPolicies', { Tag: prod }), [[['pf-p1', 'pf-p4'], false]]);
      eq(await pages('ListPolicies', { Tag: prod, MaxItems: 1 }), [[['pf-p1'], true], [['pf-p4'], false]]);
      eq(await pages('ListPolicies', { Tag: prodX, MaxItems: 1 }), [[['pf-p4'], false]]);
      eq(await pages('ListPolicies', { Tag: prod, PolicyType: 'Custom' }), [[['pf-p1', 'pf-p4'], false]]);
      eq(await pages('ListPolicies', { Tag: prod, PolicyType: 'System' }), [[[], false]]);
      const custom = (await call('ListPolicies', { PolicyType: 'Custom' })).Policies.Policy as Body[];
      eq(tagsOf(custom, 'pf-p4'), ['pf-env=prod', 'pf-team=x']);
      eq(tagsOf(custom, 'pf-p3'), []);
      eq(((await call('ListPolicies', { PolicyType: 'System', MaxItems: 1 })).Policies.Policy as Body[])[0]!.Tags, { Tag: [] });

      // Bad tags: the codes of TagResources, and nothing is created.
      await fails('CreateRole', { RoleName: 'pf-bad', AssumeRolePolicyDocument: trust, Tag: tags(['acs:x', 'v']) }, 'InvalidParameter.Tag', 400);
      await fails('CreateRole', { RoleName: 'pf-bad', AssumeRolePolicyDocument: trust, Tag: tags(['aliyunx', 'v']) }, 'InvalidParameter.Tag', 400);
      await fails('CreateRole', { RoleName: 'pf-bad', AssumeRolePolicyDocument: trust, Tag: tags(['k', 'v'.repeat(257)]) }, 'InvalidParameter.Tag', 400);
      await fails('CreateRole', { RoleName: 'pf-bad', AssumeRolePolicyDocument: trust, Tag: tags(['k'.repeat(129), 'v']) }, 'InvalidParameter.Tag', 400);
      const many = Array.from({ length: 21 }, (_, i): [string, string] => [`k${i}`, 'v']);
      await fails('CreateRole', { RoleName: 'pf-bad', AssumeRolePolicyDocument: trust, Tag: tags(...many) }, 'InvalidParameter.Tag', 400);
      await fails('TagResources', { ResourceType: 'role', ResourceNames: ['pf-c'], Tag: tags(...many) }, 'InvalidParameter.Tag', 400);
      await fails('TagResources', { ResourceType: 'role', ResourceNames: ['pf-c'], Tag: tags(['k', 'v'.repeat(257)]) }, 'InvalidParameter.Tag', 400);
      await fails('GetRole', { RoleName: 'pf-bad' }, 'EntityNotExist.Role', 404);
      await fails('CreatePolicy', { PolicyName: 'pf-pbad', PolicyDocument: doc, Tag: tags(['acs:x', 'v']) }, 'InvalidParameter.Tag', 400);
      await fails('GetPolicy', { PolicyName: 'pf-pbad', PolicyType: 'Custom' }, 'EntityNotExist.Policy', 404);
      await fails('ListRoles', { Tag: many.map(([Key, Value]) => ({ Key, Value })) }, 'InvalidParameter.Tag', 400);
      await fails('ListPolicies', { Tag: '{"not":"a list"}' }, 'InvalidParameter.Tag', 400);
      // The limits: 20 tags, a 128-character key and a 256-character value are accepted.
      await call('CreateRole', { RoleName: 'pf-max', AssumeRolePolicyDocument: trust, Tag: tags(...many.slice(0, 19), ['k'.repeat(128), 'v'.repeat(256)]) });
      eq(rows(await call('ListTagResources', { ResourceType: 'role', ResourceNames: ['pf-max'] })).length, 20);
      // A duplicate role name is refused as before, and the other role's tags stay.
      await fails('CreateRole', { RoleName: 'pf-a', AssumeRolePolicyDocument: trust, Tag: tags(['pf-env', 'other']) }, 'EntityAlreadyExists.Role', 409);
      eq(rows(await call('ListTagResources', { ResourceType: 'role', ResourceNames: ['pf-a'] })), ['pf-a:pf-env=prod', 'pf-a:pf-team=x']);
    });

    test('the Tea SDK form: lists as JSON (style: json)', async () => {
      await call('TagResources', { ResourceType: 'policy', ResourceNames: JSON.stringify(['tagged-policy']), Tag: JSON.stringify([{ Key: 'json', Value: 'yes' }]) });
      const r = await call('ListTagResources', { ResourceType: 'policy', ResourceNames: JSON.stringify(['tagged-policy']), Tag: JSON.stringify([{ Key: 'json' }]) });
      eq((r.TagResources as Body[]).map((t) => `${t.TagKey}=${t.TagValue}`), ['env=dev', 'json=yes']);
      await fails('ListTagResources', { ResourceType: 'policy', ResourceNames: '{"not":"a list"}' }, 'InvalidParameter', 400);
    });
  });

  describe('bad input never crashes', () => {
    test('every new action with oversized, malformed or odd parameters answers a 4xx (or succeeds), never a 5xx', async () => {
      const actions = [
        'CreateLoginProfile', 'GetLoginProfile', 'UpdateLoginProfile', 'DeleteLoginProfile', 'ChangePassword', 'GetAccessKeyLastUsed',
        'CreateVirtualMFADevice', 'DeleteVirtualMFADevice', 'ListVirtualMFADevices', 'BindMFADevice', 'UnbindMFADevice', 'GetUserMFAInfo',
        'UpdatePolicyDescription', 'SetAccountAlias', 'GetAccountAlias', 'ClearAccountAlias', 'SetPasswordPolicy', 'GetPasswordPolicy',
        'SetSecurityPreference', 'GetSecurityPreference', 'DecodeDiagnosticMessage', 'TagResources', 'UntagResources', 'ListTagResources',
      ];
      const odd = ['x'.repeat(20_000), '\u0000\u202e', '[{"Key":1}]', '{"a":', '-1', '99999999999', 'true', 'acs:ram::1:mfa/../..', '%00', '[' .repeat(500)];
      const names = ['UserName', 'Password', 'OldPassword', 'NewPassword', 'PasswordResetRequired', 'SerialNumber', 'VirtualMFADeviceName',
        'AuthenticationCode1', 'AuthenticationCode2', 'PolicyName', 'NewDescription', 'AccountAlias', 'MinimumPasswordLength', 'MaxPasswordAge',
        'LoginSessionDuration', 'LoginNetworkMasks', 'EncodedDiagnosticMessage', 'ResourceType', 'ResourceNames', 'Tag', 'TagKeys', 'PageSize', 'NextToken',
        'UserAccessKeyId', 'All'];
      let i = 0;
      for (const action of actions) {
        for (const value of odd) {
          const params: Record<string, unknown> = {};
          for (const n of names) params[n] = (i++ % 3 === 0) ? value : odd[(i * 7) % odd.length];
          params.ResourceType = i % 2 === 0 ? 'role' : value;
          let status = 200;
          try {
            await ram.call(action, params);
          } catch (err) {
            status = (err as { entry?: { response: { statusCode: number } } }).entry?.response.statusCode ?? 0;
          }
          assert.ok(status >= 200 && status < 500, `${action} with ${JSON.stringify(value).slice(0, 40)}: HTTP ${status}`);
        }
      }
      await call('ClearAccountAlias');
      await call('SetPasswordPolicy', { MinimumPasswordLength: 8, RequireSymbols: false, PasswordReusePrevention: 0 });
      await call('SetSecurityPreference', { LoginSessionDuration: 6, LoginNetworkMasks: '' });
    });
  });

  describe('explicit Deny and the diagnostic message', () => {
    test('an explicit Deny refuses each new action even under ram:*, and the denial decodes', async () => {
      const denied = [
        'SetPasswordPolicy', 'GetPasswordPolicy', 'SetSecurityPreference', 'GetSecurityPreference', 'SetAccountAlias', 'GetAccountAlias',
        'ClearAccountAlias', 'CreateVirtualMFADevice', 'ListVirtualMFADevices', 'CreateLoginProfile', 'GetLoginProfile', 'UpdateLoginProfile',
        'DeleteLoginProfile', 'GetAccessKeyLastUsed', 'GetUserMFAInfo', 'UnbindMFADevice', 'UpdatePolicyDescription', 'TagResources',
        'UntagResources', 'ListTagResources', 'DecodeDiagnosticMessage',
      ];
      const u = await ram.userWith('deny1', policyDoc(
        { Effect: 'Allow', Action: 'ram:*', Resource: '*' },
        { Effect: 'Deny', Action: denied.map((a) => `ram:${a}`), Resource: '*' },
      ));
      const params: Record<string, Record<string, unknown>> = {
        SetPasswordPolicy: { MinimumPasswordLength: 9 }, SetSecurityPreference: { LoginSessionDuration: 7 }, SetAccountAlias: { AccountAlias: 'denied-alias' },
        CreateVirtualMFADevice: { VirtualMFADeviceName: 'denied' }, CreateLoginProfile: { UserName: 'deny1', Password: 'Abcdefghij1!' },
        GetLoginProfile: { UserName: 'deny1' }, UpdateLoginProfile: { UserName: 'deny1' }, DeleteLoginProfile: { UserName: 'deny1' },
        GetAccessKeyLastUsed: { UserName: 'deny1', UserAccessKeyId: u.accessKeyId }, GetUserMFAInfo: { UserName: 'deny1' }, UnbindMFADevice: { UserName: 'deny1' },
        UpdatePolicyDescription: { PolicyName: 'deny1-policy', NewDescription: 'x' },
        TagResources: { ResourceType: 'policy', ResourceNames: ['deny1-policy'], Tag: [{ Key: 'k', Value: 'v' }] },
        UntagResources: { ResourceType: 'policy', ResourceNames: ['deny1-policy'], All: true }, ListTagResources: { ResourceType: 'policy' },
        DecodeDiagnosticMessage: { EncodedDiagnosticMessage: 'AQ==' },
      };
      let detail: Body | undefined;
      for (const action of denied) {
        const err = await popFails(u.pop().request(action, params[action] ?? {}, { method: 'POST' }), 'NoPermission', undefined, 403);
        detail = (err.data as unknown as Body).AccessDeniedDetail;
        assert.equal(detail?.NoPermissionType, 'ExplicitDeny', action);
        assert.equal(detail?.AuthAction, `ram:${action}`);
      }
      assert.equal((await call('GetAccountAlias')).AccountAlias, ACCOUNT_ID, 'nothing was applied');
      assert.equal(detail!.AuthPrincipalType, 'SubUser');
      assert.equal(detail!.AuthPrincipalOwnerId, ACCOUNT_ID);
      assert.equal(detail!.AuthPrincipalDisplayName, u.userId);
      assert.equal(detail!.PolicyType, 'AccountLevelIdentityBasedPolicy');
      const decoded = (await call('DecodeDiagnosticMessage', { EncodedDiagnosticMessage: detail!.EncodedDiagnosticMessage })).DecodedDiagnosticMessage;
      assert.equal(decoded.ExplicitDeny, true);
      assert.equal(decoded.AuthAction, 'ram:DecodeDiagnosticMessage');
      assert.equal(decoded.AuthResource, `acs:ram::${ACCOUNT_ID}:*`);
      eq(decoded.AuthPrincipal, { AuthPrincipalType: 'SubUser', AuthPrincipalOwnerId: ACCOUNT_ID, AuthPrincipalDisplayName: u.userId });
      assert.ok((decoded.MatchedPolicies as Body[]).some((m) => m.Effect === 'Deny' && String(m.PolicyName).includes('deny1-policy') && m.StatementIndex === 1));
      assert.ok((decoded.AuthConditions as Body[]).some((c) => c.ConditionKey === 'acs:SourceIp' && c.ConditionValues.length === 1));
    });

    test('DeleteVirtualMFADevice and BindMFADevice: an explicit Deny refuses them under ram:* (Bind: on the user or on the device)', async () => {
      await call('CreateUser', { UserName: 'deny-mfa-target' });
      const d = await call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'deny-phone' });
      const serial = d.VirtualMFADevice.SerialNumber as string;
      const seed = d.VirtualMFADevice.Base32StringSeed as string;
      const userArn = `acs:ram::${ACCOUNT_ID}:user/deny-mfa-target`;
      const deviceArn = `acs:ram::${ACCOUNT_ID}:mfa/deny-phone`;
      const withDeny = (name: string, action: string, resource: string) => ram.userWith(name, policyDoc(
        { Effect: 'Allow', Action: 'ram:*', Resource: '*' },
        { Effect: 'Deny', Action: `ram:${action}`, Resource: resource },
      ));
      const listed = async (): Promise<Body | undefined> =>
        ((await call('ListVirtualMFADevices')).VirtualMFADevices.VirtualMFADevice as Body[]).find((x) => x.SerialNumber === serial);
      // DeleteVirtualMFADevice, denied on the device's ARN: the device stays.
      const deleter = await withDeny('deny-mfa-del', 'DeleteVirtualMFADevice', deviceArn);
      const delErr = await popFails(deleter.pop().request('DeleteVirtualMFADevice', { SerialNumber: serial }, { method: 'POST' }), 'NoPermission', undefined, 403);
      assert.equal((delErr.data as unknown as Body).AccessDeniedDetail?.NoPermissionType, 'ExplicitDeny');
      assert.ok(await listed(), 'the device is still there');
      // BindMFADevice with two good codes, denied on the user's ARN, then on the device's: nothing is bound.
      const t = nowStep();
      const bind = { UserName: 'deny-mfa-target', SerialNumber: serial, AuthenticationCode1: totp(seed, t - 1), AuthenticationCode2: totp(seed, t) };
      for (const [name, resource] of [['deny-mfa-bind-u', userArn], ['deny-mfa-bind-d', deviceArn]] as const) {
        const u = await withDeny(name, 'BindMFADevice', resource);
        const err = await popFails(u.pop().request('BindMFADevice', bind, { method: 'POST' }), 'NoPermission', undefined, 403);
        assert.equal((err.data as unknown as Body).AccessDeniedDetail?.NoPermissionType, 'ExplicitDeny', resource);
        await fails('GetUserMFAInfo', { UserName: 'deny-mfa-target' }, 'EntityNotExist.User.MFADevice', 404);
      }
      // A Deny on another user and another device does not touch this bind: it succeeds.
      const other = await withDeny('deny-mfa-bind-o', 'BindMFADevice', `acs:ram::${ACCOUNT_ID}:user/someone-else`);
      await other.pop().request('BindMFADevice', bind, { method: 'POST' });
      eq((await call('GetUserMFAInfo', { UserName: 'deny-mfa-target' })).MFADevice, { SerialNumber: serial, Type: 'VMFA' });
      await call('UnbindMFADevice', { UserName: 'deny-mfa-target' });
      await call('DeleteVirtualMFADevice', { SerialNumber: serial });
      assert.equal(await listed(), undefined);
    });

    test('a denied OSS request (ali-oss) carries AccessDeniedDetail; DecodeDiagnosticMessage returns its facts; tampering does not decode', async () => {
      const admin = server.client();
      await admin.putBucket('diag-bucket');
      admin.useBucket('diag-bucket');
      await admin.put('secret.txt', Buffer.from('x'));
      const u = await ram.userWith('oss1', policyDoc(
        { Effect: 'Allow', Action: 'oss:*', Resource: '*' },
        { Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:diag-bucket/secret.txt' },
      ));
      const client = server.pathClient({ accessKeyId: u.accessKeyId, accessKeySecret: u.accessKeySecret, bucket: 'diag-bucket' });
      await assert.rejects(client.get('secret.txt'), (err: { code?: string }) => err.code === 'AccessDenied');
      // ali-oss does not expose the error body: the same request as a URL it signed.
      const res = await fetch(client.signatureUrl('secret.txt', { expires: 600 }));
      assert.equal(res.status, 403);
      const xml = await res.text();
      const tag = (name: string): string => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '';
      assert.match(xml, /<AccessDeniedDetail>/);
      assert.equal(tag('NoPermissionType'), 'ExplicitDeny');
      assert.equal(tag('AuthAction'), 'oss:GetObject');
      assert.equal(tag('AuthPrincipalType'), 'SubUser');
      const encoded = tag('EncodedDiagnosticMessage');
      assert.ok(encoded.length > 40);
      assert.ok(!Buffer.from(encoded, 'base64').toString('latin1').includes('oss1-policy'), 'the message is not readable as is');

      const decoded = (await call('DecodeDiagnosticMessage', { EncodedDiagnosticMessage: encoded })).DecodedDiagnosticMessage;
      assert.equal(decoded.ExplicitDeny, true);
      assert.equal(decoded.NoPermissionPolicyType, 'AccountLevelIdentityBasedPolicy');
      assert.equal(decoded.AuthAction, 'oss:GetObject');
      assert.match(decoded.AuthResource, /diag-bucket\/secret\.txt$/);
      assert.equal(decoded.AuthPrincipal.AuthPrincipalDisplayName, u.userId);
      assert.ok((decoded.MatchedPolicies as Body[]).some((m) => m.Effect === 'Deny' && m.StatementIndex === 1));

      // An anonymous denial carries no detail (no account could decode it).
      const anonymous = await fetch(client.signatureUrl('secret.txt', { expires: 600 }).split('?')[0]!);
      assert.equal(anonymous.status, 403);
      assert.doesNotMatch(await anonymous.text(), /AccessDeniedDetail/);

      // A flipped byte, garbage, and a missing parameter.
      const raw = Buffer.from(encoded, 'base64');
      raw[raw.length - 1] ^= 1;
      await fails('DecodeDiagnosticMessage', { EncodedDiagnosticMessage: raw.toString('base64') }, 'InvalidParameter.EncodedDiagnosticMessage', 400);
      await fails('DecodeDiagnosticMessage', { EncodedDiagnosticMessage: 'not base64 !' }, 'InvalidParameter.EncodedDiagnosticMessage', 400);
      await fails('DecodeDiagnosticMessage', {}, 'MissingEncodedDiagnosticMessage', 400);
      // A RAM user needs ram:DecodeDiagnosticMessage; with it, it reads its own denial.
      await popFails(u.pop().request('DecodeDiagnosticMessage', { EncodedDiagnosticMessage: encoded }, { method: 'POST' }), 'NoPermission', undefined, 403);
      await ram.createPolicy('decoder', policyDoc({ Effect: 'Allow', Action: 'ram:DecodeDiagnosticMessage', Resource: '*' }));
      await ram.attachToUser('decoder', 'oss1');
      const own = await u.pop().request<Body>('DecodeDiagnosticMessage', { EncodedDiagnosticMessage: encoded }, { method: 'POST' });
      assert.equal(own.DecodedDiagnosticMessage.AuthAction, 'oss:GetObject');
    });
  });
});
