// The rest of RAM and IMS for every account (docs/accounts.md), through unchanged clients: login profiles, the
// password policy, virtual MFA (bound with TOTP), alias, security preference, tags, UpdatePolicyDescription and
// the OIDC/SAML providers of account B, each isolated from the default account A both ways; AssumeRoleWithOIDC
// (@alicloud/sts20150401) and AssumeRoleWithSAML into B's roles through B's providers; a SAML assertion used
// twice; RAM limits counted per account.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { ACCOUNT_ID as A, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { anonymousSts, expectStsError, federatedTrust, signingKey, TestIssuer, TLS_CERT, TLS_FINGERPRINT, type SigningKey } from './helpers/federation.js';
import { b64, certBody, encodedMetadata, IDP_ENTITY, metadataXml, OTHER_IDP, signedAssertionResponse } from './helpers/saml.js';
import { totp } from './helpers/totp.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- CommonJS SDKs without usable ESM types */
const StsClient: any = require('@alicloud/sts20150401').default;
const { AssumeRoleWithOIDCRequest }: any = require('@alicloud/sts20150401');
const { $OpenApiUtil }: any = require('@alicloud/openapi-core');
/* eslint-enable @typescript-eslint/no-explicit-any */
type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const B = '2000000000000003';
const B_AK = 'LTAI5tAccountBExtrasKey0';
const B_SECRET = 'AccountBExtrasSecret0000000000';
const CLIENT_ID = 'sts.aliyuncs.com';

class RamOfB extends Ram {
  override popClient(accessKeyId = B_AK, accessKeySecret = B_SECRET): RPCClient {
    return super.popClient(accessKeyId, accessKeySecret);
  }
}


const names = (list: Body[], key: string): string[] => list.map((x) => x[key] as string);

describe('RAM and IMS extras in every account', () => {
  let srv: TestServer;
  let ramA: Ram;
  let ramB: RamOfB;
  let issuer: TestIssuer;
  let rsa: SigningKey;
  const imsAs = (ak: string, secret: string) => new RPCClient({ accessKeyId: ak, accessKeySecret: secret, endpoint: srv.url, apiVersion: '2019-08-15' });
  const imsA = (action: string, params: Record<string, unknown> = {}) => imsAs(AK, SECRET).request<Body>(action, params, { method: 'POST' });
  const imsB = (action: string, params: Record<string, unknown> = {}) => imsAs(B_AK, B_SECRET).request<Body>(action, params, { method: 'POST' });

  before(async () => {
    rsa = await signingKey('rsa-b', 'RS256');
    issuer = await new TestIssuer().start([rsa]);
    srv = await startTestServer({ oidc: { ca: TLS_CERT } });
    ramA = new Ram(srv);
    ramB = new RamOfB(srv);
    await srv.accounts.create({ accountId: B, name: 'tenant-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    for (const ram of [ramA, ramB]) await ram.call('CreateUser', { UserName: 'alice' });
  });
  after(async () => {
    await srv?.stop();
    await issuer?.close();
  });

  it('login profiles and the password policy are per account: same user name, separate profiles and rules', async () => {
    await ramB.call('SetPasswordPolicy', { MinimumPasswordLength: 20 });
    assert.equal((await ramA.call('GetPasswordPolicy')).PasswordPolicy.MinimumPasswordLength, 8, 'A keeps its own policy');
    assert.equal((await ramB.call('GetPasswordPolicy')).PasswordPolicy.MinimumPasswordLength, 20);
    // B's policy refuses a 12-character password; A's allows it.
    await popFails(ramB.call('CreateLoginProfile', { UserName: 'alice', Password: 'Abcdefghij1!' }), 'InvalidParameter.Password');
    await ramA.call('CreateLoginProfile', { UserName: 'alice', Password: 'Abcdefghij1!', PasswordResetRequired: true });
    await popFails(ramB.call('GetLoginProfile', { UserName: 'alice' }), 'EntityNotExist.User.LoginProfile');
    await ramB.call('CreateLoginProfile', { UserName: 'alice', Password: 'Abcdefghij1!Abcdefghij' });
    assert.equal((await ramB.call('GetLoginProfile', { UserName: 'alice' })).LoginProfile.PasswordResetRequired, false);
    assert.equal((await ramA.call('GetLoginProfile', { UserName: 'alice' })).LoginProfile.PasswordResetRequired, true);
    // B deleting its profile leaves A's; B's user with a profile cannot be deleted (B's own rule).
    await popFails(ramB.call('DeleteUser', { UserName: 'alice' }), 'DeleteConflict.User.LoginProfile');
    await ramB.call('DeleteLoginProfile', { UserName: 'alice' });
    assert.equal((await ramA.call('GetLoginProfile', { UserName: 'alice' })).LoginProfile.UserName, 'alice');
    await ramB.call('SetPasswordPolicy', { MinimumPasswordLength: 8 });
  });

  it('account alias and security preference are per account; B\'s AllowUserToManageAccessKeys=false binds only B\'s users', async () => {
    await ramB.call('SetAccountAlias', { AccountAlias: 'tenant-b' });
    assert.equal((await ramB.call('GetAccountAlias')).AccountAlias, 'tenant-b');
    assert.equal((await ramA.call('GetAccountAlias')).AccountAlias, A, 'A has no alias: its id');
    await ramA.call('SetAccountAlias', { AccountAlias: 'home-a' });
    assert.equal((await ramB.call('GetAccountAlias')).AccountAlias, 'tenant-b');
    await ramB.call('ClearAccountAlias');
    assert.equal((await ramB.call('GetAccountAlias')).AccountAlias, B);
    assert.equal((await ramA.call('GetAccountAlias')).AccountAlias, 'home-a');

    const admin = policyDoc({ Effect: 'Allow', Action: 'ram:*', Resource: '*' });
    const userB = await ramB.userWith('keys-b', admin);
    const userA = await ramA.userWith('keys-a', admin);
    await ramB.call('SetSecurityPreference', { AllowUserToManageAccessKeys: false });
    assert.equal((await ramB.call('GetSecurityPreference')).SecurityPreference.AccessKeyPreference.AllowUserToManageAccessKeys, false);
    assert.equal((await ramA.call('GetSecurityPreference')).SecurityPreference.AccessKeyPreference.AllowUserToManageAccessKeys, true);
    await popFails(userB.pop().request('CreateAccessKey', {}, { method: 'POST' }), 'NoPermission', undefined, 403);
    const mine = await userA.pop().request<Body>('CreateAccessKey', {}, { method: 'POST' });
    await userA.pop().request('DeleteAccessKey', { UserAccessKeyId: mine.AccessKey.AccessKeyId }, { method: 'POST' });
    await ramB.call('SetSecurityPreference', { AllowUserToManageAccessKeys: true });
    const again = await userB.pop().request<Body>('CreateAccessKey', {}, { method: 'POST' });
    await userB.pop().request('DeleteAccessKey', { UserAccessKeyId: again.AccessKey.AccessKeyId }, { method: 'POST' });
    // GetAccessKeyLastUsed: B's key is B's to ask about; A's root cannot name it.
    await ramB.call('GetAccessKeyLastUsed', { UserName: 'keys-b', UserAccessKeyId: userB.accessKeyId });
    await popFails(ramA.call('GetAccessKeyLastUsed', { UserName: 'keys-b', UserAccessKeyId: userB.accessKeyId }), 'EntityNotExist.User');
  });

  it('virtual MFA: the same device name in both accounts, bound in B with TOTP codes, invisible to A', async () => {
    const devB = (await ramB.call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'phone' })).VirtualMFADevice;
    const devA = (await ramA.call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'phone' })).VirtualMFADevice;
    assert.equal(devB.SerialNumber, `acs:ram::${B}:mfa/phone`);
    assert.equal(devA.SerialNumber, `acs:ram::${A}:mfa/phone`);
    assert.notEqual(devA.Base32StringSeed, devB.Base32StringSeed);
    const t = Math.floor(Date.now() / 30_000);
    // A cannot bind B's device (another account's serial names no device of A's).
    await popFails(ramA.call('BindMFADevice', { UserName: 'alice', SerialNumber: devB.SerialNumber, AuthenticationCode1: totp(devB.Base32StringSeed, t - 1), AuthenticationCode2: totp(devB.Base32StringSeed, t) }), 'EntityNotExist.VirtualMFADevice');
    await ramB.call('BindMFADevice', { UserName: 'alice', SerialNumber: devB.SerialNumber, AuthenticationCode1: totp(devB.Base32StringSeed, t - 1), AuthenticationCode2: totp(devB.Base32StringSeed, t) });
    assert.equal((await ramB.call('GetUserMFAInfo', { UserName: 'alice' })).MFADevice.SerialNumber, devB.SerialNumber);
    await popFails(ramA.call('GetUserMFAInfo', { UserName: 'alice' }), 'EntityNotExist.User.MFADevice');
    const listedA = (await ramA.call('ListVirtualMFADevices')).VirtualMFADevices.VirtualMFADevice as Body[];
    assert.deepEqual(names(listedA, 'SerialNumber'), [devA.SerialNumber]);
    assert.equal(listedA[0]!.User, undefined, 'A\'s device is not bound');
    const listedB = (await ramB.call('ListVirtualMFADevices')).VirtualMFADevices.VirtualMFADevice as Body[];
    assert.deepEqual(names(listedB, 'SerialNumber'), [devB.SerialNumber]);
    assert.equal(listedB[0]!.User.UserName, 'alice');
    await popFails(ramA.call('DeleteVirtualMFADevice', { SerialNumber: devB.SerialNumber }), 'EntityNotExist.VirtualMFADevice');
    await ramB.call('UnbindMFADevice', { UserName: 'alice' });
    await ramB.call('DeleteVirtualMFADevice', { SerialNumber: devB.SerialNumber });
    assert.equal((await ramA.call('ListVirtualMFADevices')).VirtualMFADevices.VirtualMFADevice.length, 1);
  });

  it('tags and UpdatePolicyDescription act on the caller\'s own roles and policies', async () => {
    const trust = (acct: string) => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${acct}:root`] } }] });
    await ramA.call('CreateRole', { RoleName: 'tagged', AssumeRolePolicyDocument: trust(A) });
    await ramB.call('CreateRole', { RoleName: 'tagged', AssumeRolePolicyDocument: trust(B) });
    await ramB.call('TagResources', { ResourceType: 'role', ResourceNames: ['tagged'], Tag: [{ Key: 'owner', Value: 'b' }] });
    const rows = (r: Body) => (r.TagResources as Body[]).map((x) => `${x.ResourceName}:${x.TagKey}=${x.TagValue}`);
    assert.deepEqual(rows(await ramB.call('ListTagResources', { ResourceType: 'role' })), ['tagged:owner=b']);
    assert.deepEqual(rows(await ramA.call('ListTagResources', { ResourceType: 'role' })), []);

    await ramB.createPolicy('b-only', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }));
    assert.equal((await ramB.call('UpdatePolicyDescription', { PolicyName: 'b-only', NewDescription: 'of B' })).Policy.PolicyName, 'b-only');
    assert.equal((await ramB.call('GetPolicy', { PolicyName: 'b-only', PolicyType: 'Custom' })).Policy.Description, 'of B');
    await popFails(ramA.call('UpdatePolicyDescription', { PolicyName: 'b-only', NewDescription: 'hijack' }), 'EntityNotExist.Policy');
  });

  it('an explicit Deny in B refuses B\'s users the extras and IMS actions', async () => {
    const u = await ramB.userWith('denied-b', policyDoc(
      { Effect: 'Allow', Action: ['ram:*'], Resource: '*' },
      { Effect: 'Deny', Action: ['ram:SetPasswordPolicy', 'ram:CreateOIDCProvider'], Resource: '*' },
    ));
    await popFails(u.pop().request('SetPasswordPolicy', { MinimumPasswordLength: 9 }, { method: 'POST' }), 'NoPermission', undefined, 403);
    const ims = imsAs(u.accessKeyId, u.accessKeySecret);
    await popFails(ims.request('CreateOIDCProvider', { OIDCProviderName: 'x', IssuerUrl: 'https://x.example', ClientIds: 'a' }, { method: 'POST' }), 'NoPermission', undefined, 403);
    assert.equal((await u.pop().request<Body>('GetPasswordPolicy', {}, { method: 'POST' })).PasswordPolicy.MinimumPasswordLength, 8);
  });

  it('OIDC providers per account (same name and issuer in A and B); AssumeRoleWithOIDC into B\'s role through B\'s provider', async () => {
    const bArn = `acs:ram::${B}:oidc-provider/ci`;
    const aArn = `acs:ram::${A}:oidc-provider/ci`;
    await imsA('CreateOIDCProvider', { OIDCProviderName: 'ci', IssuerUrl: issuer.url, ClientIds: 'other-client', Fingerprints: TLS_FINGERPRINT });
    const created = await imsB('CreateOIDCProvider', { OIDCProviderName: 'ci', IssuerUrl: issuer.url, ClientIds: CLIENT_ID, Fingerprints: TLS_FINGERPRINT });
    assert.equal(created.OIDCProvider.Arn, bArn);
    assert.equal((await imsA('GetOIDCProvider', { OIDCProviderName: 'ci' })).OIDCProvider.ClientIds, 'other-client');
    assert.equal((await imsB('GetOIDCProvider', { OIDCProviderName: 'ci' })).OIDCProvider.ClientIds, CLIENT_ID);
    await imsB('CreateOIDCProvider', { OIDCProviderName: 'b-only', IssuerUrl: 'https://b-only.example', ClientIds: 'x' });
    assert.deepEqual(names((await imsB('ListOIDCProviders')).OIDCProviders.OIDCProvider, 'OIDCProviderName'), ['b-only', 'ci']);
    assert.deepEqual(names((await imsA('ListOIDCProviders')).OIDCProviders.OIDCProvider, 'OIDCProviderName'), ['ci']);
    await popFails(imsA('GetOIDCProvider', { OIDCProviderName: 'b-only' }), 'EntityNotExist.OIDCProvider');
    await popFails(imsA('UpdateOIDCProvider', { OIDCProviderName: 'b-only', ClientIds: 'a' }), 'EntityNotExist.OIDCProvider');
    await popFails(imsA('DeleteOIDCProvider', { OIDCProviderName: 'b-only' }), 'EntityNotExist.OIDCProvider');
    await imsB('DeleteOIDCProvider', { OIDCProviderName: 'b-only' });

    const role = await ramB.call('CreateRole', { RoleName: 'CiDeploy', AssumeRolePolicyDocument: federatedTrust(bArn, { StringEquals: { 'oidc:aud': CLIENT_ID } }) });
    await ramA.call('CreateRole', { RoleName: 'CiDeploy', AssumeRolePolicyDocument: federatedTrust(aArn) });
    const token = await issuer.token({ sub: 'repo:b/app', aud: CLIENT_ID });
    const tea = new StsClient(new $OpenApiUtil.Config({ endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
    const r = await tea.assumeRoleWithOIDC(new AssumeRoleWithOIDCRequest({ OIDCProviderArn: bArn, roleArn: `acs:ram::${B}:role/CiDeploy`, OIDCToken: token, roleSessionName: 'run-1' }));
    assert.equal(r.body.assumedRoleUser.arn, `acs:ram::${B}:role/cideploy/run-1`);
    assert.equal(r.body.assumedRoleUser.assumedRoleId, `${role.Role.RoleId as string}:run-1`);
    const c = r.body.credentials;
    const who = (await new StsClient(new $OpenApiUtil.Config({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken, endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou' })).getCallerIdentity()).body;
    assert.equal(who.accountId, B);
    assert.equal(who.arn, `acs:ram::${B}:assumed-role/cideploy/run-1`);
    // The role must be of the provider's account: B's provider never reaches A's role, nor A's provider B's role.
    const assume = (providerArn: string, roleArn: string) => anonymousSts(srv, 'AssumeRoleWithOIDC', { OIDCProviderArn: providerArn, RoleArn: roleArn, OIDCToken: token, RoleSessionName: 'run-2' });
    await expectStsError(assume(bArn, `acs:ram::${A}:role/CiDeploy`), 'AuthenticationFail.NoPermission', 401, 'There is no permission');
    await expectStsError(assume(aArn, `acs:ram::${B}:role/CiDeploy`), 'AuthenticationFail.OIDCToken.AudienceNotMatch', 401);
    // An account that does not exist has no providers.
    await expectStsError(assume('acs:ram::2999999999999999:oidc-provider/ci', `acs:ram::${B}:role/CiDeploy`), 'AuthenticationFail.NoPermission', 401);
  });

  it('SAML providers per account; AssumeRoleWithSAML into B\'s role; the same assertion twice is refused', async () => {
    const bArn = `acs:ram::${B}:saml-provider/corp`;
    await imsB('CreateSAMLProvider', { SAMLProviderName: 'corp', EncodedSAMLMetadataDocument: encodedMetadata() });
    await popFails(imsA('GetSAMLProvider', { SAMLProviderName: 'corp' }), 'EntityNotExist.SAMLProvider');
    await ramB.call('CreateRole', { RoleName: 'SsoAdmin', AssumeRolePolicyDocument: federatedTrust(bArn) });
    const roleArn = `acs:ram::${B}:role/ssoadmin`;
    const response = b64(signedAssertionResponse({ roles: [`${roleArn},${bArn}`] }));
    const assume = () => anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: bArn, RoleArn: roleArn, SAMLAssertion: response });
    const first = await assume();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.AssumedRoleUser.Arn, `acs:ram::${B}:role/ssoadmin/alice`);
    await expectStsError(assume(), 'AuthenticationFail.SAMLAssertion.Invalid', 401, 'The SAML assertion has already been used.');
    // A fresh assertion (new ID) is accepted.
    const fresh = await anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: bArn, RoleArn: roleArn, SAMLAssertion: b64(signedAssertionResponse({ roles: [`${roleArn},${bArn}`] })) });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    // The default account's provider of that name does not exist.
    await expectStsError(anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: `acs:ram::${A}:saml-provider/corp`, RoleArn: roleArn, SAMLAssertion: response }), 'AuthenticationFail.NoPermission', 401);
  });

  it('a SAML replay claim is the provider\'s: A\'s look-alike provider (B\'s entityID, A\'s own key) cannot use up B\'s assertion', async () => {
    // A registers a provider claiming B's IdP's entityID with a key A holds, and signs an assertion carrying the
    // ID of an assertion B's IdP issued (IDs travel in browsers and logs). Through A's provider it verifies.
    const aArn = `acs:ram::${A}:saml-provider/lookalike`;
    const bArn = `acs:ram::${B}:saml-provider/victim-idp`;
    await imsA('CreateSAMLProvider', { SAMLProviderName: 'lookalike', EncodedSAMLMetadataDocument: encodedMetadata(metadataXml(certBody(OTHER_IDP.cert), IDP_ENTITY)) });
    await imsB('CreateSAMLProvider', { SAMLProviderName: 'victim-idp', EncodedSAMLMetadataDocument: encodedMetadata() });
    await ramA.call('CreateRole', { RoleName: 'Grab', AssumeRolePolicyDocument: federatedTrust(aArn) });
    await ramB.call('CreateRole', { RoleName: 'Victim', AssumeRolePolicyDocument: federatedTrust(bArn) });
    await ramB.call('CreateRole', { RoleName: 'Victim2', AssumeRolePolicyDocument: federatedTrust(bArn) });
    const aRole = `acs:ram::${A}:role/grab`;
    const bRole = `acs:ram::${B}:role/victim`;
    const bRole2 = `acs:ram::${B}:role/victim2`;
    const id = `_victim-${randomUUID()}`;
    const forged = b64(signedAssertionResponse({ roles: [`${aRole},${aArn}`], assertionId: id }, OTHER_IDP.key, OTHER_IDP.cert));
    const genuine = b64(signedAssertionResponse({ roles: [`${bRole},${bArn}`, `${bRole2},${bArn}`], assertionId: id }));
    const saml = (providerArn: string, roleArn: string, assertion: string) => anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: providerArn, RoleArn: roleArn, SAMLAssertion: assertion });
    const grabbed = await saml(aArn, aRole, forged);
    assert.equal(grabbed.status, 200, JSON.stringify(grabbed.body));
    assert.equal(grabbed.body.SAMLAssertionInfo.Issuer, IDP_ENTITY);
    // B's genuine assertion, same issuer and ID, is still B's to use once (before: "already been used").
    const used = await saml(bArn, bRole, genuine);
    assert.equal(used.status, 200, JSON.stringify(used.body));
    assert.equal(used.body.AssumedRoleUser.Arn, `acs:ram::${B}:role/victim/alice`);
    // A genuine replay through the same provider is refused, to the same role or another it grants; A's too.
    await expectStsError(saml(bArn, bRole, genuine), 'AuthenticationFail.SAMLAssertion.Invalid', 401, 'The SAML assertion has already been used.');
    await expectStsError(saml(bArn, bRole2, genuine), 'AuthenticationFail.SAMLAssertion.Invalid', 401, 'The SAML assertion has already been used.');
    await expectStsError(saml(aArn, aRole, forged), 'AuthenticationFail.SAMLAssertion.Invalid', 401, 'The SAML assertion has already been used.');
  });

  it('RAM limits count per account (the store\'s rule, on this server\'s engine)', async () => {
    const meta = srv.meta;
    const user = (name: string) => ({ userId: `9${Math.random().toString().slice(2, 17).padEnd(15, '0')}`, userName: name, displayName: '', mobilePhone: '', email: '', comments: '', createDate: 0, updateDate: 0 });
    // The default account already has users; B's count is its own: with room for all of A's users plus one in B,
    // B (which has keys-b and denied-b and alice... see above) is limited by its own count only.
    const countOf = async (prefix: string): Promise<number> => {
      let n = 0;
      let after = prefix;
      for (;;) {
        const page = await meta.listUsers({ after, limit: 100 });
        for (const u of page) if (prefix === '' ? !u.userName.includes('/') : u.userName.startsWith(prefix) && u.userName !== prefix) n++;
        if (page.length < 100) return n;
        after = page[page.length - 1]!.userName;
      }
    };
    const inB = await countOf(`${B}/`);
    const inA = await countOf('');
    assert.ok(inA > 0 && inB > 0);
    await meta.createUser(user(`${B}/limit-1`), inB + 1);
    await assert.rejects(meta.createUser(user(`${B}/limit-2`), inB + 1), (e: { code?: string }) => e.code === 'LimitExceeded.User');
    await meta.createUser(user('limit-a'), inA + 1);
    await assert.rejects(meta.createUser(user('limit-a2'), inA + 1), (e: { code?: string }) => e.code === 'LimitExceeded.User');
    // Roles and policies too (B has CiDeploy, SsoAdmin, tagged; A its own).
    const trust = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${B}:root`] } }] });
    const rolesB = (await ramB.call('ListRoles', { MaxItems: 100 })).Roles.Role.length as number;
    await meta.createRole({ roleId: '3999999999999991', roleName: `${B}/limit-role`, description: '', assumeRolePolicyDocument: trust, maxSessionDuration: 3600, createDate: 0, updateDate: 0 }, rolesB + 1);
    await assert.rejects(
      meta.createRole({ roleId: '3999999999999992', roleName: `${B}/limit-role-2`, description: '', assumeRolePolicyDocument: trust, maxSessionDuration: 3600, createDate: 0, updateDate: 0 }, rolesB + 1),
      (e: { code?: string }) => e.code === 'LimitExceeded.Role',
    );
  });
});
