// The STS path's memo of roles and identity providers (src/sts/lookup-cache.ts) never answers with what a write
// has changed: each test first makes the call succeed (so the role and provider are cached), then changes the
// provider, the trust policy or the role (including an explicit Deny), and the very next call must see it; a
// remembered miss must not outlive the creation of the role. On PostgreSQL, with two servers on one database,
// a change made through one server is seen by the other's next call.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { anonymousSts, expectStsError, federatedTrust, ims, oidcProviderArn, signingKey, TestIssuer, TLS_CERT, TLS_FINGERPRINT } from './helpers/federation.js';
import { testPostgres } from './helpers/postgres.js';
import { policyDoc, popFails, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT } from './helpers/sts.js';

const CLIENT_ID = 'sts.aliyuncs.com';
const SUB = 'repo:org/app:ref:refs/heads/main';

const denyTrust = (principal: object): string => JSON.stringify({
  Version: '1',
  Statement: [
    { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: principal },
    { Action: 'sts:AssumeRole', Effect: 'Deny', Principal: principal },
  ],
});

async function oidcSetup(srv: TestServer, issuer: TestIssuer | null, provider: string, role: string): Promise<void> {
  if (issuer) await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: provider, IssuerUrl: issuer.url, ClientIds: CLIENT_ID, Fingerprints: TLS_FINGERPRINT });
  await new Ram(srv).call('CreateRole', { RoleName: role, AssumeRolePolicyDocument: federatedTrust(oidcProviderArn(provider), { StringEquals: { 'oidc:sub': SUB } }) });
}

const oidc = (srv: TestServer, token: string, provider: string, role: string) =>
  anonymousSts(srv, 'AssumeRoleWithOIDC', { OIDCProviderArn: oidcProviderArn(provider), RoleArn: roleArn(role), OIDCToken: token, RoleSessionName: 'ci-run' });

async function oidcOk(srv: TestServer, token: string, provider: string, role: string): Promise<void> {
  const r = await oidc(srv, token, provider, role);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.body.Credentials.AccessKeyId, /^STS\./);
}

describe('STS lookup cache: every change is seen by the next call (one server)', () => {
  let srv: TestServer;
  let ram: Ram;
  let issuer: TestIssuer;
  let token: string;
  let user: RamUserHandle;

  before(async () => {
    issuer = await new TestIssuer().start([await signingKey('rsa-1', 'RS256')]);
    srv = await startTestServer({ oidc: { ca: TLS_CERT } });
    ram = new Ram(srv);
    token = await issuer.token({ sub: SUB, aud: CLIENT_ID }, undefined, { expIn: 3600 });
    user = await ram.userWith('assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
  });
  after(async () => {
    await srv.stop();
    await issuer.close();
  });

  it('AssumeRoleWithOIDC: the provider\'s ClientIds, then the trust policy (an explicit Deny), then deleting the provider', async () => {
    await oidcSetup(srv, issuer, 'ci', 'Deploy');
    await oidcOk(srv, token, 'ci', 'Deploy');
    await oidcOk(srv, token, 'ci', 'Deploy');

    await ims(srv, 'UpdateOIDCProvider', { OIDCProviderName: 'ci', ClientIds: 'someone-else' });
    await expectStsError(oidc(srv, token, 'ci', 'Deploy'), 'AuthenticationFail.OIDCToken.AudienceNotMatch', 401);
    await ims(srv, 'UpdateOIDCProvider', { OIDCProviderName: 'ci', ClientIds: CLIENT_ID });
    await oidcOk(srv, token, 'ci', 'Deploy');

    await ram.call('UpdateRole', { RoleName: 'Deploy', NewAssumeRolePolicyDocument: denyTrust({ Federated: [oidcProviderArn('ci')] }) });
    await expectStsError(oidc(srv, token, 'ci', 'Deploy'), 'AuthenticationFail.NoPermission', 401);
    await ram.call('UpdateRole', { RoleName: 'Deploy', NewAssumeRolePolicyDocument: federatedTrust(oidcProviderArn('ci'), { StringEquals: { 'oidc:sub': 'repo:org/other:ref:refs/heads/main' } }) });
    await expectStsError(oidc(srv, token, 'ci', 'Deploy'), 'AuthenticationFail.NoPermission', 401);
    await ram.call('UpdateRole', { RoleName: 'Deploy', NewAssumeRolePolicyDocument: federatedTrust(oidcProviderArn('ci'), { StringEquals: { 'oidc:sub': SUB } }) });
    await oidcOk(srv, token, 'ci', 'Deploy');

    await ims(srv, 'DeleteOIDCProvider', { OIDCProviderName: 'ci' });
    await expectStsError(oidc(srv, token, 'ci', 'Deploy'), 'AuthenticationFail.NoPermission', 401);
    // The remembered miss ends with the provider's creation.
    await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'ci', IssuerUrl: issuer.url, ClientIds: CLIENT_ID, Fingerprints: TLS_FINGERPRINT });
    await oidcOk(srv, token, 'ci', 'Deploy');
  });

  it('AssumeRoleWithOIDC: MaxSessionDuration and deleting the role; a role created after a miss is found (after the test above)', async () => {
    await oidcSetup(srv, null, 'ci', 'Deploy2');
    const withDuration = () => anonymousSts(srv, 'AssumeRoleWithOIDC', {
      OIDCProviderArn: oidcProviderArn('ci'), RoleArn: roleArn('Deploy2'), OIDCToken: token, RoleSessionName: 'ci-run', DurationSeconds: '7200',
    });
    await expectStsError(withDuration(), 'InvalidParameter.DurationSeconds', 400);
    await ram.call('UpdateRole', { RoleName: 'Deploy2', NewMaxSessionDuration: 7200 });
    assert.equal((await withDuration()).status, 200);

    await ram.call('DeleteRole', { RoleName: 'Deploy2' });
    await expectStsError(oidc(srv, token, 'ci', 'Deploy2'), 'AuthenticationFail.NoPermission', 401, 'There is no permission');
    await ram.call('CreateRole', { RoleName: 'Deploy2', AssumeRolePolicyDocument: federatedTrust(oidcProviderArn('ci')) });
    await oidcOk(srv, token, 'ci', 'Deploy2');
  });

  it('AssumeRole: the trust policy (an explicit Deny), deleting and re-creating the role, a role created after a miss', async () => {
    const sts = stsClient(srv, user.accessKeyId, user.accessKeySecret);
    const assume = (role: string) => assumeRole(sts, { RoleArn: roleArn(role), RoleSessionName: 'app' });
    await ram.call('CreateRole', { RoleName: 'App', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await assume('App');
    await assume('App');

    await ram.call('UpdateRole', { RoleName: 'App', NewAssumeRolePolicyDocument: denyTrust({ RAM: [`acs:ram::${ACCOUNT_ID}:root`] }) });
    await popFails(assume('App'), 'NoPermission', undefined, 403);
    await ram.call('UpdateRole', { RoleName: 'App', NewAssumeRolePolicyDocument: TRUST_ACCOUNT });
    await assume('App');

    const first = await ram.call('GetRole', { RoleName: 'App' });
    await ram.call('DeleteRole', { RoleName: 'App' });
    await popFails(assume('App'), 'EntityNotExist.Role', undefined, 404);
    const again = await ram.call('CreateRole', { RoleName: 'App', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    const body = await assume('App');
    assert.notEqual(again.Role.RoleId, first.Role.RoleId);
    assert.equal(body.AssumedRoleUser.AssumedRoleId, `${again.Role.RoleId as string}:app`);

    await popFails(assume('Later'), 'EntityNotExist.Role', undefined, 404);
    await ram.call('CreateRole', { RoleName: 'Later', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await assume('Later');
  });

  it('AssumeRole: the caller\'s identity policy still decides (an explicit Deny attached after a success)', async () => {
    const sts = stsClient(srv, user.accessKeyId, user.accessKeySecret);
    await ram.call('CreateRole', { RoleName: 'Guarded', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await assumeRole(sts, { RoleArn: roleArn('Guarded'), RoleSessionName: 'app' });
    await ram.createPolicy('no-guarded', policyDoc({ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: roleArn('Guarded') }));
    await ram.attachToUser('no-guarded', 'assumer');
    await popFails(assumeRole(sts, { RoleArn: roleArn('Guarded'), RoleSessionName: 'app' }), 'NoPermission', undefined, 403);
    await ram.detachFromUser('no-guarded', 'assumer');
    await assumeRole(sts, { RoleArn: roleArn('Guarded'), RoleSessionName: 'app' });
  });
});

describe('STS lookup cache on PostgreSQL: a change through one server is seen by the other', () => {
  it('provider ClientIds, trust policy Deny and role deletion made through server A refuse the next call on server B', async () => {
    const url = await (await testPostgres()).freshUrl();
    const issuer = await new TestIssuer().start([await signingKey('rsa-1', 'RS256')]);
    const masterKey = randomBytes(32);
    const a = await startTestServer({ meta: url, masterKey, oidc: { ca: TLS_CERT } });
    const b = await startTestServer({ meta: url, masterKey, oidc: { ca: TLS_CERT } });
    try {
      const ramA = new Ram(a);
      const token = await issuer.token({ sub: SUB, aud: CLIENT_ID }, undefined, { expIn: 3600 });
      await oidcSetup(a, issuer, 'ci', 'Deploy');
      await oidcOk(b, token, 'ci', 'Deploy');

      await ims(a, 'UpdateOIDCProvider', { OIDCProviderName: 'ci', ClientIds: 'someone-else' });
      await expectStsError(oidc(b, token, 'ci', 'Deploy'), 'AuthenticationFail.OIDCToken.AudienceNotMatch', 401);
      await ims(a, 'UpdateOIDCProvider', { OIDCProviderName: 'ci', ClientIds: CLIENT_ID });
      await oidcOk(b, token, 'ci', 'Deploy');

      await ramA.call('UpdateRole', { RoleName: 'Deploy', NewAssumeRolePolicyDocument: denyTrust({ Federated: [oidcProviderArn('ci')] }) });
      await expectStsError(oidc(b, token, 'ci', 'Deploy'), 'AuthenticationFail.NoPermission', 401);

      const user = await ramA.userWith('assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
      await ramA.call('CreateRole', { RoleName: 'App', AssumeRolePolicyDocument: TRUST_ACCOUNT });
      const stsB = stsClient(b, user.accessKeyId, user.accessKeySecret);
      await assumeRole(stsB, { RoleArn: roleArn('App'), RoleSessionName: 'app' });
      await ramA.call('UpdateRole', { RoleName: 'App', NewAssumeRolePolicyDocument: denyTrust({ RAM: [`acs:ram::${ACCOUNT_ID}:root`] }) });
      await popFails(assumeRole(stsB, { RoleArn: roleArn('App'), RoleSessionName: 'app' }), 'NoPermission', undefined, 403);
      await ramA.call('DeleteRole', { RoleName: 'App' });
      await popFails(assumeRole(stsB, { RoleArn: roleArn('App'), RoleSessionName: 'app' }), 'EntityNotExist.Role', undefined, 404);
    } finally {
      await a.stop();
      await b.stop();
      await issuer.close();
    }
  });
});
