// Console sign-in of RAM users (docs/console.md) through real HTTP: POST /-/console/api/signin with a logon
// name and password (+ a TOTP code, + a new password when the profile requires one), then the returned STS-style
// credentials used with the unchanged ali-oss and pop-core: they act as exactly that user (its own and its
// groups' policies, explicit Deny included). Uniform failures, lockout after MaxLoginAttemps, one-time MFA
// codes, the reset flow, expiry, same-origin checks and the audit log.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signInPost } from './helpers/console-signin.js';
import { after, before, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { ACCOUNT_ALIAS_INDEX, AccountAliasIndex } from '../src/accounts/alias-index.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, Ram, type PopError } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { totpAt as totp } from './helpers/totp.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const BUCKET = 'signin-demo';
const PASSWORD = 'Console-Pass-1';
const HOUR = 3600_000;

interface Creds { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string }


describe('console sign-in of RAM users', { timeout: 300_000 }, () => {
  let srv: TestServer;
  let ram: Ram;
  let auditDir: string;
  let now = Date.now();

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => signInPost(srv.url, path, body, headers);
  const signIn = (logonName: string, password: string) => post('', { logonName, password });
  const ok = (r: { status: number; body: Body }): Creds => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.Status, 'OK', JSON.stringify(r.body));
    return r.body.Credentials as Creds;
  };
  const oss = (c: Creds) => srv.client({ bucket: BUCKET, accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, stsToken: c.SecurityToken });
  const pop = (c: Creds, apiVersion = '2015-05-01') =>
    new RPCClient({ endpoint: srv.url, apiVersion, accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken } as ConstructorParameters<typeof RPCClient>[0]);
  const popError = async (p: Promise<unknown>, code: string) => {
    await assert.rejects(p, (e: PopError) => {
      assert.equal(e.data?.Code ?? e.code, code);
      return true;
    });
  };
  const userWithProfile = async (name: string, profile: Record<string, unknown> = {}) => {
    await ram.call('CreateUser', { UserName: name });
    await ram.call('CreateLoginProfile', { UserName: name, Password: PASSWORD, ...profile });
  };

  before(async () => {
    auditDir = await mkdtemp(join(tmpdir(), 'alunite-signin-audit-'));
    srv = await startTestServer({ clock: () => now, auditLog: join(auditDir, 'audit.log') });
    ram = new Ram(srv);
    const root = srv.client();
    await root.putBucket(BUCKET);
    const b = srv.client({ bucket: BUCKET });
    await b.put('public/readme.txt', Buffer.from('hello'));
    await b.put('secret/plan.txt', Buffer.from('classified'));
    // alice: reads the bucket through her group, lists users by her own policy, and is denied secret/*.
    await userWithProfile('alice');
    await ram.call('CreateGroup', { GroupName: 'readers' });
    await ram.call('AddUserToGroup', { GroupName: 'readers', UserName: 'alice' });
    await ram.call('CreatePolicy', { PolicyName: 'bucket-read', PolicyDocument: policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}`, `acs:oss:*:*:${BUCKET}/*`] }) });
    await ram.call('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'bucket-read', GroupName: 'readers' });
    await ram.call('CreatePolicy', { PolicyName: 'list-users', PolicyDocument: policyDoc({ Effect: 'Allow', Action: ['ram:ListUsers'], Resource: '*' }) });
    await ram.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'list-users', UserName: 'alice' });
    await ram.call('CreatePolicy', { PolicyName: 'no-secrets', PolicyDocument: policyDoc({ Effect: 'Deny', Action: ['oss:GetObject'], Resource: `acs:oss:*:*:${BUCKET}/secret/*` }) });
    await ram.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'no-secrets', UserName: 'alice' });
  });
  after(async () => {
    await srv?.stop();
    await rm(auditDir, { recursive: true, force: true });
  });

  it('signs a user in with name and password; the credentials carry exactly her permissions', async () => {
    now = Date.now();
    const c = ok(await signIn('alice', PASSWORD));
    assert.match(c.AccessKeyId, /^STS\.[A-Za-z0-9]{20,25}$/);
    assert.ok(c.AccessKeySecret.length >= 40 && c.SecurityToken.length > 0);
    // The security preference's default LoginSessionDuration: 6 hours.
    assert.equal(Date.parse(c.Expiration), Math.floor((now + 6 * HOUR) / 1000) * 1000);
    // Group policy: allowed.
    const got = await oss(c).get('public/readme.txt');
    assert.equal(got.content.toString(), 'hello');
    assert.ok((await oss(c).list({ 'max-keys': 10 }, {})).objects.length >= 2);
    // Nothing allows writing; her explicit Deny refuses secret/* though the group allows GetObject.
    await expectOssError(oss(c).put('public/new.txt', Buffer.from('x')), 'AccessDenied', 403);
    await expectOssError(oss(c).get('secret/plan.txt'), 'AccessDenied', 403);
    // RAM through pop-core: ListUsers allowed by her own policy, CreateUser not.
    const users = await pop(c).request<Body>('ListUsers', {}, { method: 'POST' });
    assert.ok((users.Users.User as Body[]).some((u) => u.UserName === 'alice'));
    await popError(pop(c).request('CreateUser', { UserName: 'mallory' }, { method: 'POST' }), 'NoPermission');
    // STS sees the RAM user herself, not a role session.
    const id = await pop(c, '2015-04-01').request<Body>('GetCallerIdentity', {}, { method: 'POST' });
    assert.equal(id.IdentityType, 'RAMUser');
    assert.equal(id.Arn, `acs:ram::${ACCOUNT_ID}:user/alice`);
  });

  it('accepts user@<uid>.onaliyun.com, user@<alias>.onaliyun.com and user@<alias>', async () => {
    now = Date.now();
    ok(await signIn(`alice@${ACCOUNT_ID}.onaliyun.com`, PASSWORD));
    ok(await signIn(`alice@${ACCOUNT_ID}`, PASSWORD));
    await ram.call('SetAccountAlias', { AccountAlias: 'demo-corp' });
    ok(await signIn('alice@demo-corp.onaliyun.com', PASSWORD));
    ok(await signIn('alice@DEMO-CORP', PASSWORD));
    const other = await signIn('alice@other-corp.onaliyun.com', PASSWORD);
    assert.equal(other.status, 401);
    assert.equal(other.body.Code, 'SignInFailed');
    // Another account of the server: its id picks it, and its own alice (not this account's) signs in.
    const tenant = await srv.accounts.create({ name: 'tenant-b' });
    const tenantRam = (action: string, params: Record<string, unknown>) =>
      new RPCClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: tenant.accessKeyId, accessKeySecret: tenant.accessKeySecret } as ConstructorParameters<typeof RPCClient>[0])
        .request<Body>(action, params, { method: 'POST' });
    assert.equal((await signIn(`alice@${tenant.accountId}.onaliyun.com`, PASSWORD)).status, 401, 'B has no alice yet');
    await tenantRam('CreateUser', { UserName: 'alice' });
    await tenantRam('CreateLoginProfile', { UserName: 'alice', Password: 'Tenant-B-Pass-9' });
    assert.equal((await signIn(`alice@${tenant.accountId}.onaliyun.com`, PASSWORD)).status, 401, "A's password is not B's alice's");
    const b = ok(await signIn(`alice@${tenant.accountId}.onaliyun.com`, 'Tenant-B-Pass-9'));
    const who = await pop(b, '2015-04-01').request<Body>('GetCallerIdentity', {}, { method: 'POST' });
    assert.equal(who.Arn, `acs:ram::${tenant.accountId}:user/alice`);
    // Aliases are unique across accounts: B cannot take A's (nor capture A's sign-ins by copying it).
    await assert.rejects(tenantRam('SetAccountAlias', { AccountAlias: 'demo-corp' }), (e: PopError) => {
      assert.equal(e.data?.Code ?? e.code, 'EntityAlreadyExists.AccountAlias');
      return true;
    });
    assert.equal((await tenantRam('GetAccountAlias', {})).AccountAlias, tenant.accountId, 'nothing was applied');
    ok(await signIn('alice@demo-corp', PASSWORD));
    // Old data (before aliases were unique) where both hold it: entered as shared, it signs in to neither.
    await srv.accounts.storeFor(tenant.accountId).updateIdentityDocs([{ kind: 'account', id: 'alias' }], () => [JSON.stringify({ alias: 'demo-corp' })]);
    for (const key of ['.built', 'demo-corp']) await srv.meta.putIndexEntry(ACCOUNT_ALIAS_INDEX, key, null);
    await new AccountAliasIndex({
      store: srv.meta,
      accountIds: async () => (await srv.accounts.list()).map((a) => a.accountId),
      aliasOf: (id) => srv.accounts.extrasFor(id).settings.aliasSet(),
    }).ready();
    assert.equal(await srv.meta.getIndexEntry(ACCOUNT_ALIAS_INDEX, 'demo-corp'), '*');
    assert.equal((await signIn('alice@demo-corp', PASSWORD)).status, 401);
    assert.equal((await signIn('alice@demo-corp', 'Tenant-B-Pass-9')).status, 401);
    // B lets it go: A holds it alone again and signs in by it.
    await tenantRam('ClearAccountAlias', {});
    ok(await signIn('alice@demo-corp', PASSWORD));
    // A moves to another alias: the old one is free, and B may take it.
    await ram.call('SetAccountAlias', { AccountAlias: 'demo-corp-2' });
    assert.equal((await signIn('alice@demo-corp', PASSWORD)).status, 401);
    await tenantRam('SetAccountAlias', { AccountAlias: 'demo-corp' });
    ok(await signIn('alice@demo-corp', 'Tenant-B-Pass-9'));
    ok(await signIn('alice@demo-corp-2', PASSWORD));
    await tenantRam('ClearAccountAlias', {});
    await ram.call('SetAccountAlias', { AccountAlias: 'demo-corp' });
  });

  it('answers a wrong password, an unknown user and a user without a login profile alike', async () => {
    now = Date.now();
    await ram.call('CreateUser', { UserName: 'noprofile' });
    const answers = [await signIn('alice', 'Wrong-Pass-1'), await signIn('nobody-here', PASSWORD), await signIn('noprofile', PASSWORD), await signIn('alice@9999999999999999', PASSWORD)];
    for (const a of answers) {
      assert.equal(a.status, 401);
      assert.deepEqual(a.body, { Code: 'SignInFailed', Message: 'The logon name or the password is incorrect.' });
    }
    ok(await signIn('alice', PASSWORD)); // a success forgets alice's failure
  });

  it('is same-origin JSON only, bounded, and refuses other methods', async () => {
    now = Date.now();
    const evil = await post('', { logonName: 'alice', password: PASSWORD }, { origin: 'https://evil.example' });
    assert.equal(evil.status, 403);
    assert.equal(evil.body.Code, 'InvalidOrigin');
    const form = await post('', 'logonName=alice', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 403);
    const cross = await post('', { logonName: 'alice', password: PASSWORD }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(cross.status, 403);
    const big = await post('', { logonName: 'alice', password: 'x'.repeat(5000) });
    assert.equal(big.status, 400);
    const notJson = await post('', '{"logonName":');
    assert.equal(notJson.status, 400);
    const get = await fetch(`${srv.url}/-/console/api/signin`);
    assert.equal(get.status, 405);
  });

  it('locks a user after MaxLoginAttemps failures for an hour, known or unknown alike', async () => {
    now = Date.now();
    await userWithProfile('bob');
    await ram.call('SetPasswordPolicy', { MaxLoginAttemps: 3 });
    for (let i = 0; i < 3; i++) assert.equal((await signIn('bob', `Wrong-Pass-${i}`)).status, 401);
    const locked = await signIn('bob', PASSWORD);
    assert.equal(locked.status, 403);
    assert.equal(locked.body.Code, 'LoginLocked');
    // An unknown name locks the same way after the same count (locking tells nothing).
    for (let i = 0; i < 3; i++) assert.equal((await signIn('ghost', `Wrong-Pass-${i}`)).status, 401);
    assert.deepEqual((await signIn('ghost', PASSWORD)).body, locked.body);
    // Other users are not affected.
    ok(await signIn('alice', PASSWORD));
    // Still locked 59 minutes on; free after the hour.
    now += 59 * 60_000;
    assert.equal((await signIn('bob', PASSWORD)).body.Code, 'LoginLocked');
    now += 2 * 60_000;
    ok(await signIn('bob', PASSWORD));
    now = Date.now();
    await ram.call('SetPasswordPolicy', { MaxLoginAttemps: 5 });
  });

  it('asks for a TOTP code when a device is bound; a code is accepted once', async () => {
    now = Date.now();
    await userWithProfile('carol');
    const dev = await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'carol-phone' });
    const seed = dev.VirtualMFADevice.Base32StringSeed as string;
    const serial = dev.VirtualMFADevice.SerialNumber as string;
    // Bind with the codes of the previous and the current step.
    await ram.call('BindMFADevice', { UserName: 'carol', SerialNumber: serial, AuthenticationCode1: totp(seed, now, -1), AuthenticationCode2: totp(seed, now) });

    const first = await signIn('carol', PASSWORD);
    assert.equal(first.status, 200);
    assert.equal(first.body.Status, 'MFARequired');
    assert.equal(first.body.Credentials, undefined);
    const ticket = first.body.Ticket as string;
    // The code used at binding is spent; a wrong one is refused; the next step's code (window ±1) is accepted.
    assert.equal((await post('/mfa', { ticket, code: totp(seed, now) })).body.Code, 'InvalidMFACode');
    assert.equal((await post('/mfa', { ticket, code: '000000' === totp(seed, now, 1) ? '111111' : '000000' })).body.Code, 'InvalidMFACode');
    const c = ok(await post('/mfa', { ticket, code: totp(seed, now, 1) }));
    assert.equal((await pop(c, '2015-04-01').request<Body>('GetCallerIdentity', {}, { method: 'POST' })).Arn, `acs:ram::${ACCOUNT_ID}:user/carol`);
    // The ticket is used up, and the same code does not open a new sign-in.
    assert.equal((await post('/mfa', { ticket, code: totp(seed, now, 1) })).body.Code, 'InvalidTicket');
    const again = await signIn('carol', PASSWORD);
    assert.equal((await post('/mfa', { ticket: again.body.Ticket, code: totp(seed, now, 1) })).body.Code, 'InvalidMFACode');
    // Two steps away is outside the window.
    assert.equal((await post('/mfa', { ticket: again.body.Ticket, code: totp(seed, now, 3) })).body.Code, 'InvalidMFACode');
    // Thirty seconds later the next code works.
    now += 30_000;
    ok(await post('/mfa', { ticket: again.body.Ticket, code: totp(seed, now, 1) }));
    // A forged or tampered ticket is refused.
    assert.equal((await post('/mfa', { ticket: `${String(again.body.Ticket).slice(0, -4)}AAAA`, code: totp(seed, now, 1) })).body.Code, 'InvalidTicket');
    now = Date.now();
  });

  it('wrong MFA codes lock the user after MaxLoginAttemps, whatever correct passwords come between', async () => {
    now = Date.now();
    await ram.call('SetPasswordPolicy', { MaxLoginAttemps: 3 });
    await userWithProfile('mfa-guesser');
    const dev = await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'guesser-phone' });
    const seed = dev.VirtualMFADevice.Base32StringSeed as string;
    await ram.call('BindMFADevice', { UserName: 'mfa-guesser', SerialNumber: dev.VirtualMFADevice.SerialNumber as string, AuthenticationCode1: totp(seed, now, -1), AuthenticationCode2: totp(seed, now) });
    let guess = 100000;
    const wrongCode = (): string => {
      const valid = new Set([-2, -1, 0, 1, 2].map((o) => totp(seed, now, o)));
      let g: string;
      do g = String(guess++); while (valid.has(g));
      return g;
    };
    const ticket = async (): Promise<string> => {
      const r = await signIn('mfa-guesser', PASSWORD);
      assert.equal(r.body.Status, 'MFARequired', JSON.stringify(r.body));
      return r.body.Ticket as string;
    };
    // A full sign-in forgets earlier wrong codes: two wrong, then the right one.
    let t = await ticket();
    for (let i = 0; i < 2; i++) assert.equal((await post('/mfa', { ticket: t, code: wrongCode() })).body.Code, 'InvalidMFACode');
    ok(await post('/mfa', { ticket: t, code: totp(seed, now, 1) }));
    // Two wrong codes, the password again (no reset of the count), one more wrong code: locked.
    t = await ticket();
    for (let i = 0; i < 2; i++) assert.equal((await post('/mfa', { ticket: t, code: wrongCode() })).body.Code, 'InvalidMFACode');
    t = await ticket();
    assert.equal((await post('/mfa', { ticket: t, code: wrongCode() })).body.Code, 'InvalidMFACode');
    // Locked: the right code on the open ticket, and the right password, are refused.
    now += 30_000;
    assert.equal((await post('/mfa', { ticket: t, code: totp(seed, now, 1) })).body.Code, 'LoginLocked');
    const locked = await signIn('mfa-guesser', PASSWORD);
    assert.equal(locked.status, 403);
    assert.equal(locked.body.Code, 'LoginLocked');
    // Free after the hour.
    now += HOUR + 60_000;
    t = await ticket();
    ok(await post('/mfa', { ticket: t, code: totp(seed, now, 1) }));
    now = Date.now();
    await ram.call('SetPasswordPolicy', { MaxLoginAttemps: 5 });
  });

  it('MFABindRequired without a device: the user binds a new one with two consecutive codes, then it is required', async () => {
    now = Date.now();
    await userWithProfile('dave', { MFABindRequired: true });
    const first = await signIn('dave', PASSWORD);
    assert.equal(first.status, 200);
    assert.equal(first.body.Status, 'MFABindRequired');
    assert.equal(first.body.Credentials, undefined);
    const seed = first.body.Base32StringSeed as string;
    assert.match(seed, /^[A-Z2-7]{32}$/);
    assert.equal(first.body.SerialNumber, `acs:ram::${ACCOUNT_ID}:mfa/dave`);
    assert.match(first.body.QRCodeUri as string, new RegExp(`^otpauth://totp/.+\\?secret=${seed}&`));
    // Nothing is stored before the codes are right.
    await popError(ram.call('GetUserMFAInfo', { UserName: 'dave' }), 'EntityNotExist.User.MFADevice');
    const ticket = first.body.Ticket as string;
    assert.equal((await post('/bind-mfa', { ticket, code1: totp(seed, now), code2: totp(seed, now) })).body.Code, 'InvalidMFACode');
    const c = ok(await post('/bind-mfa', { ticket, code1: totp(seed, now, -1), code2: totp(seed, now) }));
    assert.equal((await pop(c, '2015-04-01').request<Body>('GetCallerIdentity', {}, { method: 'POST' })).Arn, `acs:ram::${ACCOUNT_ID}:user/dave`);
    assert.equal((await post('/bind-mfa', { ticket, code1: totp(seed, now, 1), code2: totp(seed, now, 2) })).body.Code, 'InvalidTicket');
    assert.equal((await ram.call('GetUserMFAInfo', { UserName: 'dave' })).MFADevice.SerialNumber, `acs:ram::${ACCOUNT_ID}:mfa/dave`);
    // From now on the device is asked for, and the binding codes are spent.
    const again = await signIn('dave', PASSWORD);
    assert.equal(again.body.Status, 'MFARequired');
    assert.equal((await post('/mfa', { ticket: again.body.Ticket, code: totp(seed, now) })).body.Code, 'InvalidMFACode');
    ok(await post('/mfa', { ticket: again.body.Ticket, code: totp(seed, now, 1) }));
  });

  it('PasswordResetRequired: a new password first, then credentials', async () => {
    now = Date.now();
    await userWithProfile('erin', { PasswordResetRequired: true });
    const first = await signIn('erin', PASSWORD);
    assert.equal(first.body.Status, 'PasswordResetRequired');
    const ticket = first.body.Ticket as string;
    // The ticket is no credential: it cannot be used as one, and the MFA step refuses it.
    assert.equal((await post('/mfa', { ticket, code: '123456' })).body.Code, 'InvalidTicket');
    const weak = await post('/password', { ticket, oldPassword: PASSWORD, newPassword: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.Code, 'InvalidParameter.Password');
    const wrongOld = await post('/password', { ticket, oldPassword: 'Not-The-Pass-1', newPassword: 'Brand-New-Pass-2' });
    assert.equal(wrongOld.body.Code, 'InvalidParameter.OldPassword');
    const c = ok(await post('/password', { ticket, oldPassword: PASSWORD, newPassword: 'Brand-New-Pass-2' }));
    assert.equal((await pop(c, '2015-04-01').request<Body>('GetCallerIdentity', {}, { method: 'POST' })).Arn, `acs:ram::${ACCOUNT_ID}:user/erin`);
    assert.equal((await post('/password', { ticket, oldPassword: 'Brand-New-Pass-2', newPassword: 'Brand-New-Pass-3' })).body.Code, 'InvalidTicket');
    const profile = await ram.call('GetLoginProfile', { UserName: 'erin' });
    assert.equal(profile.LoginProfile.PasswordResetRequired, false);
    assert.equal((await signIn('erin', PASSWORD)).body.Code, 'SignInFailed');
    ok(await signIn('erin', 'Brand-New-Pass-2'));
  });

  it('an explicit Deny of ram:ChangePassword stops the reset step', async () => {
    now = Date.now();
    await userWithProfile('gina', { PasswordResetRequired: true });
    await ram.call('CreatePolicy', { PolicyName: 'no-password-change', PolicyDocument: policyDoc({ Effect: 'Deny', Action: ['ram:ChangePassword'], Resource: '*' }) });
    await ram.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'no-password-change', UserName: 'gina' });
    const first = await signIn('gina', PASSWORD);
    assert.equal(first.body.Status, 'PasswordResetRequired');
    const denied = await post('/password', { ticket: first.body.Ticket, oldPassword: PASSWORD, newPassword: 'Brand-New-Pass-2' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.Code, 'NoPermission');
    assert.equal(denied.body.Credentials, undefined);
    assert.equal((await ram.call('GetLoginProfile', { UserName: 'gina' })).LoginProfile.PasswordResetRequired, true);
  });

  it('MaxPasswordAge asks for a new password; with HardExpiry it refuses', async () => {
    now = Date.now();
    await userWithProfile('hank');
    await userWithProfile('ivy');
    await ram.call('SetPasswordPolicy', { MaxPasswordAge: 1, HardExpiry: false });
    now += 2 * 24 * HOUR;
    assert.equal((await signIn('hank', PASSWORD)).body.Status, 'PasswordResetRequired');
    now = Date.now();
    await ram.call('SetPasswordPolicy', { HardExpiry: true });
    now += 2 * 24 * HOUR;
    const expired = await signIn('ivy', PASSWORD);
    assert.equal(expired.status, 403);
    assert.equal(expired.body.Code, 'PasswordExpired');
    // A wrong password still gets the uniform answer, not the expiry.
    assert.equal((await signIn('ivy', 'Wrong-Pass-7')).body.Code, 'SignInFailed');
    now = Date.now();
    await ram.call('SetPasswordPolicy', { MaxPasswordAge: 0, HardExpiry: false });
    ok(await signIn('ivy', PASSWORD));
  });

  it('LoginNetworkMasks refuses sign-in from other networks (told only to the right password)', async () => {
    now = Date.now();
    await ram.call('SetSecurityPreference', { LoginNetworkMasks: '10.0.0.0/8;192.168.1.0/24' });
    const refused = await signIn('alice', PASSWORD);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.Code, 'LoginNetworkNotAllowed');
    assert.equal((await signIn('alice', 'Wrong-Pass-8')).body.Code, 'SignInFailed');
    await ram.call('SetSecurityPreference', { LoginNetworkMasks: '10.0.0.0/8;127.0.0.0/8' });
    ok(await signIn('alice', PASSWORD));
    await ram.call('SetSecurityPreference', { LoginNetworkMasks: '' });
  });

  it('credentials expire with LoginSessionDuration, and die with their user', async () => {
    now = Date.now();
    await ram.call('SetSecurityPreference', { LoginSessionDuration: 1 });
    await userWithProfile('frank');
    await ram.call('AddUserToGroup', { GroupName: 'readers', UserName: 'frank' });
    const c = ok(await signIn('frank', PASSWORD));
    assert.equal(Date.parse(c.Expiration), Math.floor((now + HOUR) / 1000) * 1000);
    const client = srv.pathClient({ bucket: BUCKET, accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, stsToken: c.SecurityToken });
    // Presigned URLs (their own expiry, three hours of real time) so the server's clock can move on.
    const url = client.signatureUrl('public/readme.txt', { expires: 3 * 3600 });
    assert.equal((await fetch(url)).status, 200);
    now += HOUR + 1000;
    const expired = await fetch(url);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>SecurityTokenExpired<\/Code>/);
    now = Date.now();
    await ram.call('SetSecurityPreference', { LoginSessionDuration: 6 });
    // A deleted user's live credentials stop working.
    const d = ok(await signIn('frank', PASSWORD));
    assert.equal((await oss(d).get('public/readme.txt')).content.toString(), 'hello');
    await ram.call('RemoveUserFromGroup', { GroupName: 'readers', UserName: 'frank' });
    await ram.call('DeleteLoginProfile', { UserName: 'frank' });
    await ram.call('DeleteUser', { UserName: 'frank' });
    await expectOssError(oss(d).get('public/readme.txt'), 'InvalidSecurityToken', 403);
  });

  it('logs every sign-in step to the audit log, never the password', async () => {
    const file = join(auditDir, 'audit.log');
    const deadline = Date.now() + 60_000;
    let lines: Body[] = [];
    for (;;) {
      const text = await readFile(file, 'utf8').catch(() => '');
      lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Body);
      if (lines.some((l) => l.operation === 'ConsoleSignInChangePassword') || Date.now() > deadline) {
        assert.doesNotMatch(text, /Console-Pass-1|Brand-New-Pass-2|Wrong-Pass/);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const signIns = lines.filter((l) => l.operation === 'ConsoleSignIn');
    assert.ok(signIns.some((l) => l.status === 200 && l.principal?.userName === 'alice' && /^STS\./.test(l.principal.accessKeyId)));
    assert.ok(signIns.some((l) => l.status === 401 && l.errorCode === 'SignInFailed' && l.principal === null));
    assert.ok(signIns.some((l) => l.errorCode === 'LoginLocked'));
    assert.ok(lines.some((l) => l.operation === 'ConsoleSignInMFA' && l.errorCode === 'InvalidMFACode' && l.principal?.userName === 'carol'));
  });

  it('limits failures per source address', async () => {
    now = Date.now();
    let last: { status: number; body: Body } | undefined;
    // Distinct names, so no user lock gets there first.
    for (let i = 0; i < 60; i++) {
      last = await signIn(`flood-${i}`, 'Wrong-Pass-1');
      if (last.status === 429) break;
    }
    assert.equal(last?.status, 429);
    assert.equal(last?.body.Code, 'Throttling');
    // Even the right password waits for the window to pass.
    assert.equal((await signIn('alice', PASSWORD)).status, 429);
    now += 16 * 60_000;
    ok(await signIn('alice', PASSWORD));
    now = Date.now();
  });

  it('an attempt by alias costs the same few store reads however many accounts there are', async () => {
    now = Date.now() + 2 * HOUR; // past every failure window of the tests before
    const counted = ['readIdentityDocs', 'getIndexEntry', 'listUsers', 'getUser', 'listAccessKeys'] as const;
    let reads = 0;
    const meta = srv.meta as unknown as Record<string, (...args: unknown[]) => unknown>;
    const originals = counted.map((m) => [m, meta[m]!] as const);
    for (const [m, f] of originals) meta[m] = (...args: unknown[]) => { reads++; return f.apply(srv.meta, args); };
    const attempts = async (): Promise<number> => {
      const start = reads;
      for (let i = 0; i < 5; i++) {
        assert.equal((await signIn(`nobody@no-such-alias-${i}`, 'Wrong-Pass-1')).status, 401);
        assert.equal((await signIn(`nobody-${i}@demo-corp.onaliyun.com`, 'Wrong-Pass-1')).status, 401);
      }
      return reads - start;
    };
    try {
      const few = await attempts();
      for (let i = 0; i < 6; i++) await srv.accounts.create({ name: `alias-count-${i}` });
      const many = await attempts();
      assert.equal(many, few, `10 attempts read the store ${few} times, then ${many} times with 6 more accounts`);
      assert.ok(few <= 10 * 4, `10 attempts read the store ${few} times`);
    } finally {
      for (const [m, f] of originals) meta[m] = f;
    }
  });
});
