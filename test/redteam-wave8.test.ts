// Red-team wave 8 (RAM, STS, console sign-in, HTTP front): each finding reproduced against a real server the test
// starts, failing on the code before its fix.
//
// Tried and held on the old code (no test here; most have one in ram-*, sts-*, console-*, federation-*, http-*):
// - RAM: lower-case actions and `User`/`Group`/`Policy` names in another case (names are case-sensitive: another
//   case is another, absent entity); AttachPolicyToUser without an Allow on the policy; UpdateRole, TagResources,
//   AddUserToGroup, UpdateUser (renames check the new name) each refused without an Allow on every resource.
//   CreatePolicyVersion(SetAsDefault) on a policy attached to the caller widens it, as in AWS IAM: a grant, not a
//   bypass (docs/policy.md says so now).
// - Conditions: acs:SourceIp is the socket's address (X-Forwarded-For is never read), acs:SecureTransport the
//   socket's TLS, acs:CurrentTime the server clock; IPv4-mapped IPv6 matches IPv4 patterns.
// - STS: session policies only narrow (session layer ∧ role); RoleArn and RoleSessionName grammars; DurationSeconds
//   bounded by the role's MaxSessionDuration; deleted roles, tampered tokens (AES-GCM), AccessKeyId/token mismatch,
//   expired tokens and presigned URLs past the token; OIDC: none/HS*, issuer, audience, times; SAML: signature
//   wrapping, unsigned assertions, replay cache.
// - Console sign-in and vend: JSON-only same-origin sign-in (no cookies, so no fixation or CSRF), per-user and
//   per-address lockouts, tickets sealed and spent once; vend JWTs take the algorithm from the key, user ids are
//   RoleSessionNames; no redirects; signatures, tokens, passwords and MFA codes redacted from logged URLs.
// - HTTP: Content-Length + Transfer-Encoding, repeated Content-Length, obs-fold, Transfer-Encoding other than
//   chunked: 400 with the connection closed; missing Host: 400; POP parameters capped at 1,000.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { signInPost } from './helpers/console-signin.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, popFails, Ram, type RamUserHandle } from './helpers/ram.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { totpAt } from './helpers/totp.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

describe('redteam wave 8: an STS session lives only while the credential it was obtained with stands', () => {
  let srv: TestServer;
  let ram: Ram;
  const BUCKET = 'wave8-parent';
  let n = 0;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('o.txt', Buffer.from('x'));
    await ram.call('CreateRole', { RoleName: 'Reader', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('CreatePolicy', {
      PolicyName: 'reader-and-chain',
      PolicyDocument: policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'sts:AssumeRole'], Resource: '*' }),
    });
    await ram.call('AttachPolicyToRole', { RoleName: 'Reader', PolicyType: 'Custom', PolicyName: 'reader-and-chain' });
  });
  after(async () => {
    await srv.stop();
  });

  const assumer = async (): Promise<RamUserHandle> => ram.userWith(`w8-assumer-${++n}`, policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
  const session = async (ak: string, secret: string, token?: string): Promise<StsCredentials> =>
    (await assumeRole(stsClient(srv, ak, secret, token), { RoleArn: roleArn('Reader'), RoleSessionName: `s-${++n}` })).Credentials as StsCredentials;
  const reads = async (c: StsCredentials): Promise<void> => {
    assert.equal((await ossWith(srv, c, BUCKET).get('o.txt')).content.toString(), 'x');
  };
  const refused = async (c: StsCredentials): Promise<void> => {
    await expectOssError(ossWith(srv, c, BUCKET).get('o.txt'), 'InvalidSecurityToken', 403);
    await popFails(stsClient(srv, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken).request('GetCallerIdentity', {}, { method: 'POST' }), 'InvalidSecurityToken.Malformed', undefined, 400);
  };

  it('disabling the AccessKey that called AssumeRole stops its sessions, and those they made (role chaining); enabling it again restores them', async () => {
    const u = await assumer();
    const direct = await session(u.accessKeyId, u.accessKeySecret);
    const chained = await session(direct.AccessKeyId, direct.AccessKeySecret, direct.SecurityToken);
    await reads(direct);
    await reads(chained);
    // Before: both kept working (and the chain could renew itself, hour by hour, for as long as the role exists).
    await ram.call('UpdateAccessKey', { UserName: u.userName, UserAccessKeyId: u.accessKeyId, Status: 'Inactive' });
    await refused(direct);
    await refused(chained);
    // The session cannot make a new one either.
    await popFails(assumeRole(stsClient(srv, chained.AccessKeyId, chained.AccessKeySecret, chained.SecurityToken), { RoleArn: roleArn('Reader'), RoleSessionName: 'renew' }), 'InvalidSecurityToken.Malformed');
    await ram.call('UpdateAccessKey', { UserName: u.userName, UserAccessKeyId: u.accessKeyId, Status: 'Active' });
    await reads(direct);
    await reads(chained);
  });

  it('deleting the AccessKey (then its user) ends its sessions; a session of another key of the same user goes on', async () => {
    const u = await assumer();
    const second = await ram.call('CreateAccessKey', { UserName: u.userName });
    const other = await session(second.AccessKey.AccessKeyId as string, second.AccessKey.AccessKeySecret as string);
    const s = await session(u.accessKeyId, u.accessKeySecret);
    await reads(s);
    await ram.call('DeleteAccessKey', { UserName: u.userName, UserAccessKeyId: u.accessKeyId });
    await refused(s);
    await reads(other);
    await ram.call('DeleteAccessKey', { UserName: u.userName, UserAccessKeyId: second.AccessKey.AccessKeyId as string });
    await refused(other);
  });

  it('a session assumed from a console sign-in ends with that sign-in (the login profile deleted)', async () => {
    const user = `w8-console-${++n}`;
    await ram.call('CreateUser', { UserName: user });
    await ram.call('CreatePolicy', { PolicyName: `${user}-p`, PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }) });
    await ram.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: `${user}-p`, UserName: user });
    await ram.call('CreateLoginProfile', { UserName: user, Password: 'Console-Pass-8' });
    const signedIn = await signInPost(srv.url, '', { logonName: user, password: 'Console-Pass-8' });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const c = signedIn.body.Credentials as StsCredentials;
    const s = await session(c.AccessKeyId, c.AccessKeySecret, c.SecurityToken);
    await reads(s);
    await ram.call('DeleteLoginProfile', { UserName: user });
    await refused(s);
  });
});

describe('redteam wave 8: a request with two Host or two Authorization lines is refused', () => {
  let srv: TestServer;
  const BUCKET = 'wave8-dup';

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('o.txt', Buffer.from('x'));
  });
  after(async () => {
    await srv.stop();
  });

  const signed = (): { date: string; authorization: string } => {
    const date = new Date().toUTCString();
    return { date, authorization: v1Authorization({ method: 'GET', bucket: BUCKET, key: 'o.txt', headers: { date } }, AK, SECRET).authorization };
  };

  it('node kept the first Host (or Authorization) and dropped the rest; a proxy acting on another would disagree: 400 InvalidRequest, connection closed', async () => {
    const host = `127.0.0.1:${srv.port}`;
    const s = signed();
    // The same request with one of each is served.
    const one = await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/o.txt`, headers: ['Host', host, 'Date', s.date, 'Authorization', s.authorization] });
    assert.equal(one.status, 200);
    assert.equal(one.body.toString(), 'x');
    const cases: string[][] = [
      ['Host', host, 'Host', `other-bucket.${host}`, 'Date', s.date, 'Authorization', s.authorization],
      ['Host', host, 'host', host, 'Date', s.date, 'Authorization', s.authorization],
      ['Host', host, 'Date', s.date, 'Authorization', s.authorization, 'authorization', 'OSS LTAI5tSomebodyElse0:c2lnbmF0dXJl'],
    ];
    for (const headers of cases) {
      const res = await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/o.txt`, headers });
      // Before: 200 with the object, read with whichever line node kept.
      assert.equal(res.status, 400, JSON.stringify(headers));
      assert.equal(errorOf(res)?.Code, 'InvalidRequest');
      assert.equal(res.headers.connection, 'close');
    }
  });

  it('a second Host behind 2,000 short header lines (which node used to drop unseen) is refused too', async () => {
    const host = `127.0.0.1:${srv.port}`;
    const s = signed();
    const filler: string[] = [];
    for (let i = 0; i < 2000; i++) filler.push('x', '');
    const res = await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/o.txt`, headers: ['Host', host, 'Date', s.date, 'Authorization', s.authorization, ...filler, 'Host', `other-bucket.${host}`] });
    assert.equal(res.status, 400);
    assert.equal(errorOf(res)?.Code, 'InvalidRequest');
    // As many lines without a repeat are served: nothing else changes.
    const ok = await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/o.txt`, headers: ['Host', host, 'Date', s.date, 'Authorization', s.authorization, ...filler] });
    assert.equal(ok.status, 200);
  });
});

describe('redteam wave 8: acs:MFAPresent is known for every signed caller', () => {
  let srv: TestServer;
  let ram: Ram;
  const BUCKET = 'wave8-mfa';
  const PASSWORD = 'Console-Pass-8';
  // The cloud's "require MFA" pattern: refuse everything to a caller that did not sign in with MFA.
  const REQUIRE_MFA = policyDoc(
    { Effect: 'Allow', Action: ['oss:GetObject', 'ram:ListUsers'], Resource: '*' },
    { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'acs:MFAPresent': 'false' } } },
  );
  // And the Allow-side pattern: granted only with MFA.
  const ONLY_WITH_MFA = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'ram:ListUsers'], Resource: '*', Condition: { Bool: { 'acs:MFAPresent': 'true' } } });

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('o.txt', Buffer.from('x'));
  });
  after(async () => {
    await srv.stop();
  });

  const consoleCreds = async (user: string, seed: string | null): Promise<StsCredentials> => {
    let r = await signInPost(srv.url, '', { logonName: user, password: PASSWORD });
    if (seed !== null) {
      assert.equal(r.body.Status, 'MFARequired', JSON.stringify(r.body));
      r = await signInPost(srv.url, '/mfa', { ticket: r.body.Ticket, code: totpAt(seed, Date.now(), 1) });
    }
    assert.equal(r.body.Status, 'OK', JSON.stringify(r.body));
    return r.body.Credentials as StsCredentials;
  };
  const withMfa = async (user: string): Promise<string> => {
    const dev = await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: `${user}-phone` });
    const seed = dev.VirtualMFADevice.Base32StringSeed as string;
    const now = Date.now();
    await ram.call('BindMFADevice', { UserName: user, SerialNumber: dev.VirtualMFADevice.SerialNumber as string, AuthenticationCode1: totpAt(seed, now, -1), AuthenticationCode2: totpAt(seed, now) });
    return seed;
  };
  const ramAs = (c: StsCredentials): RPCClient =>
    new RPCClient({ accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken, endpoint: srv.url, apiVersion: '2015-05-01' } as ConstructorParameters<typeof RPCClient>[0]);

  it('a Deny on acs:MFAPresent false refuses AccessKey requests and console sessions without MFA; a session that proved a code passes', async () => {
    const u = await ram.userWith('w8-mfa-deny', REQUIRE_MFA);
    // Before: the key was never set, so the Deny never applied and the AccessKey read and listed freely.
    await expectOssError(u.oss(BUCKET).get('o.txt'), 'AccessDenied', 403);
    await popFails(u.pop().request('ListUsers', {}, { method: 'POST' }), 'NoPermission');
    await ram.call('CreateLoginProfile', { UserName: u.userName, Password: PASSWORD });
    const plain = await consoleCreds(u.userName, null);
    await expectOssError(ossWith(srv, plain, BUCKET).get('o.txt'), 'AccessDenied', 403);
    const seed = await withMfa(u.userName);
    const strong = await consoleCreds(u.userName, seed);
    assert.equal((await ossWith(srv, strong, BUCKET).get('o.txt')).content.toString(), 'x');
    await ramAs(strong).request('ListUsers', {}, { method: 'POST' });
    await popFails(ramAs(plain).request('ListUsers', {}, { method: 'POST' }), 'NoPermission');
    // The request cannot claim it: a header or parameter of that name is not the key.
    await expectOssError(u.oss(BUCKET).get('o.txt', { headers: { 'x-acs-mfapresent': 'true', 'x-oss-mfapresent': 'true' } }), 'AccessDenied', 403);
  });

  it('an Allow on acs:MFAPresent true is met by an MFA console session only (was met by nothing)', async () => {
    const u = await ram.userWith('w8-mfa-allow', ONLY_WITH_MFA);
    await expectOssError(u.oss(BUCKET).get('o.txt'), 'AccessDenied', 403);
    await ram.call('CreateLoginProfile', { UserName: u.userName, Password: PASSWORD });
    const seed = await withMfa(u.userName);
    const strong = await consoleCreds(u.userName, seed);
    assert.equal((await ossWith(srv, strong, BUCKET).get('o.txt')).content.toString(), 'x');
  });
});

describe('redteam wave 8: ChangePassword\'s OldPassword is a guess like one at the sign-in page', () => {
  let srv: TestServer;
  let ram: Ram;
  const PASSWORD = 'Console-Pass-8';

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
  });
  after(async () => {
    await srv.stop();
  });

  it('wrong old passwords count with the failed sign-ins: after MaxLoginAttemps (5) the user is locked for both', async () => {
    const u = await ram.user('w8-guessed');
    await ram.call('CreateLoginProfile', { UserName: u.userName, Password: PASSWORD });
    const change = (oldPassword: string) => u.pop().request('ChangePassword', { OldPassword: oldPassword, NewPassword: 'Another-Pass-9' }, { method: 'POST' });
    // Before: any number of guesses through the API, each answered right or wrong, and never a lock.
    for (let i = 0; i < 5; i++) await popFails(change(`guess-${i}`), 'InvalidParameter.OldPassword');
    await popFails(change(PASSWORD), 'Throttling.User', undefined, 400);
    // The sign-in page is locked too, even with the right password.
    const signIn = await signInPost(srv.url, '', { logonName: u.userName, password: PASSWORD });
    assert.equal(signIn.status, 403, JSON.stringify(signIn.body));
    assert.equal(signIn.body.Code, 'LoginLocked');
  });

  it('guesses at the sign-in page lock ChangePassword as well; a right old password below the limit still works', async () => {
    const u = await ram.user('w8-guessed-2');
    await ram.call('CreateLoginProfile', { UserName: u.userName, Password: PASSWORD });
    for (let i = 0; i < 4; i++) assert.equal((await signInPost(srv.url, '', { logonName: u.userName, password: `guess-${i}` })).status, 401);
    await u.pop().request('ChangePassword', { OldPassword: PASSWORD, NewPassword: 'Another-Pass-9' }, { method: 'POST' });
    await popFails(u.pop().request('ChangePassword', { OldPassword: 'guess-x', NewPassword: 'Another-Pass-10' }, { method: 'POST' }), 'InvalidParameter.OldPassword');
    await popFails(u.pop().request('ChangePassword', { OldPassword: 'Another-Pass-9', NewPassword: 'Another-Pass-10' }, { method: 'POST' }), 'Throttling.User');
  });
});
