// OIDC federation end to end: IMS OIDC providers (pop-core, Version 2019-08-15), a local issuer on loopback
// HTTPS with its own RSA and EC keys, AssumeRoleWithOIDC through @alicloud/credentials (as a CI job would,
// with ALIBABA_CLOUD_OIDC_TOKEN_FILE) and @alicloud/sts20150401, the session used with ali-oss, and every
// refusal with its documented code.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { popFails, policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { ossWith, roleArn, tlsFront } from './helpers/sts.js';
import {
  anonymousSts, expectStsError, federatedTrust, ims, imsClient, oidcProviderArn, signingKey, TestIssuer, TLS_CERT, TLS_FINGERPRINT, type SigningKey,
} from './helpers/federation.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- CommonJS SDKs without types */
const CredentialsPkg: any = require('@alicloud/credentials');
const StsClient: any = require('@alicloud/sts20150401').default;
const { AssumeRoleWithOIDCRequest }: any = require('@alicloud/sts20150401');
const { $OpenApiUtil }: any = require('@alicloud/openapi-core');
/* eslint-enable @typescript-eslint/no-explicit-any */

const BUCKET = 'oidc-ci';
const CLIENT_ID = 'sts.aliyuncs.com';
const MAIN = 'repo:org/name:ref:refs/heads/main';

describe('OIDC federation', () => {
  let srv: TestServer;
  let ram: Ram;
  let issuer: TestIssuer;
  let rsa: SigningKey;
  let roleId: string;
  const tmp: string[] = [];

  before(async () => {
    rsa = await signingKey('rsa-1', 'RS256');
    issuer = await new TestIssuer().start([rsa, await signingKey('ec-1', 'ES256')]);
    // The issuer's certificate is a private CA here: trusted through the server's `oidc.ca`, and pinned.
    srv = await startTestServer({ oidc: { ca: TLS_CERT } });
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'github', IssuerUrl: issuer.url, ClientIds: CLIENT_ID, Fingerprints: TLS_FINGERPRINT, Description: 'CI' });
    const role = await ram.call('CreateRole', {
      RoleName: 'CiDeploy',
      AssumeRolePolicyDocument: federatedTrust(oidcProviderArn('github'), { StringEquals: { 'oidc:sub': MAIN, 'oidc:aud': CLIENT_ID, 'oidc:iss': issuer.url } }),
    });
    roleId = role.Role.RoleId as string;
    await ram.createPolicy('ci-deploy', policyDoc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'ci-deploy', RoleName: 'CiDeploy' });
  });
  after(async () => {
    await srv.stop();
    await issuer.close();
    for (const d of tmp) await rm(d, { recursive: true, force: true });
  });

  const assume = (token: string, extra: Record<string, string> = {}) =>
    anonymousSts(srv, 'AssumeRoleWithOIDC', { OIDCProviderArn: oidcProviderArn('github'), RoleArn: roleArn('CiDeploy'), OIDCToken: token, RoleSessionName: 'ci-run', ...extra });

  it('a verified token learns no role name: a missing role answers as a trust refusal; providers as the cloud documents', async () => {
    // Anyone can get a token of a public issuer (a GitHub Actions job, any repository, any audience): verified,
    // but not admitted by the trust policy. Before, a missing role answered EntityNotExist.Role (404), an existing
    // one "There is no permission" (401): the account's role names, probed by anyone.
    const stranger = await issuer.token({ sub: 'repo:stranger/fork:ref:refs/heads/x', aud: CLIENT_ID });
    const same = { code: 'AuthenticationFail.NoPermission', status: 401, message: 'There is no permission' };
    const answer = async (extra: Record<string, string>, token = stranger) => {
      const r = await assume(token, extra);
      return { code: r.body.Code as string, status: r.status, message: r.body.Message as string };
    };
    assert.deepEqual(await answer({}), same, 'an existing role whose trust policy refuses the token');
    assert.deepEqual(await answer({ RoleArn: roleArn('NoSuchRole') }), same, 'a missing role');
    assert.deepEqual(await answer({ RoleArn: 'acs:ram::2999999999999999:role/CiDeploy' }), same, 'a role of another account');
    assert.deepEqual(await answer({ RoleArn: roleArn('NoSuchRole') }, await issuer.token({ sub: MAIN, aud: CLIENT_ID })), same, 'a missing role, to a token another role admits');
    // Providers: the cloud documents "No such OIDC Provider registered." before the token is read, so a provider's
    // existence is told (as there); whether the account exists is not.
    const noProvider = { code: 'AuthenticationFail.NoPermission', status: 401, message: 'No such OIDC Provider registered.' };
    assert.deepEqual(await answer({ OIDCProviderArn: oidcProviderArn('nobody') }), noProvider);
    assert.deepEqual(await answer({ OIDCProviderArn: 'acs:ram::2999999999999999:oidc-provider/github' }), noProvider);
  });

  it('IMS: Create/Get/List/Update/AddFingerprint/RemoveFingerprint/Delete with the documented shapes and errors', async () => {
    const created = await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'okta', IssuerUrl: 'https://dev-1.okta.example', ClientIds: 'a1,b2', Fingerprints: 'AA'.repeat(20), IssuanceLimitTime: '6' });
    const p = created.OIDCProvider;
    assert.deepEqual(Object.keys(p).sort(), ['Arn', 'ClientIds', 'CreateDate', 'Description', 'Fingerprints', 'GmtCreate', 'GmtModified', 'IssuanceLimitTime', 'IssuerUrl', 'OIDCProviderName', 'UpdateDate']);
    assert.equal(p.Arn, oidcProviderArn('okta'));
    assert.equal(p.ClientIds, 'a1,b2');
    assert.equal(p.Fingerprints, 'aa'.repeat(20));
    assert.equal(p.IssuanceLimitTime, 6);
    assert.match(p.CreateDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal((await ims(srv, 'GetOIDCProvider', { OIDCProviderName: 'okta' })).OIDCProvider.IssuerUrl, 'https://dev-1.okta.example');
    const list = await ims(srv, 'ListOIDCProviders', { MaxItems: 1 });
    assert.equal(list.IsTruncated, true);
    assert.equal(list.OIDCProviders.OIDCProvider.length, 1);
    const rest = await ims(srv, 'ListOIDCProviders', { Marker: list.Marker });
    assert.deepEqual([...list.OIDCProviders.OIDCProvider, ...rest.OIDCProviders.OIDCProvider].map((x: { OIDCProviderName: string }) => x.OIDCProviderName), ['github', 'okta']);
    const updated = await ims(srv, 'UpdateOIDCProvider', { OIDCProviderName: 'okta', ClientIds: 'c3', NewDescription: 'new', IssuanceLimitTime: '12' });
    assert.equal(updated.OIDCProvider.ClientIds, 'c3');
    assert.equal(updated.OIDCProvider.Description, 'new');
    const added = await ims(srv, 'AddFingerprintToOIDCProvider', { OIDCProviderName: 'okta', Fingerprint: 'bb'.repeat(20) });
    assert.equal(added.OIDCProvider.Fingerprints, `${'aa'.repeat(20)},${'bb'.repeat(20)}`);
    await popFails(ims(srv, 'AddFingerprintToOIDCProvider', { OIDCProviderName: 'okta', Fingerprint: 'BB'.repeat(20) }), 'EntityAlreadyExists.OIDCProvider.Fingerprint', undefined, 409);
    const removed = await ims(srv, 'RemoveFingerprintFromOIDCProvider', { OIDCProviderName: 'okta', Fingerprint: 'aa'.repeat(20) });
    assert.equal(removed.OIDCProvider.Fingerprints, 'bb'.repeat(20));
    await popFails(ims(srv, 'RemoveFingerprintFromOIDCProvider', { OIDCProviderName: 'okta', Fingerprint: 'aa'.repeat(20) }), 'EntityNotExist.OIDCProvider.Fingerprint', undefined, 404);
    // Errors: duplicate name, duplicate IssuerUrl, http issuer, bad fingerprint, bad name, unknown provider.
    await popFails(ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'okta', IssuerUrl: 'https://other.example' }), 'EntityAlreadyExists.OIDCProvider', undefined, 409);
    await popFails(ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'okta2', IssuerUrl: 'https://dev-1.okta.example' }), 'EntityAlreadyExists.OIDCProvider', undefined, 409);
    await popFails(ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'plain', IssuerUrl: 'http://idp.example' }), 'InvalidParameter.IssuerUrl', undefined, 400);
    await popFails(ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'q', IssuerUrl: 'https://idp.example/?x=1' }), 'InvalidParameter.IssuerUrl', undefined, 400);
    await popFails(ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'fp', IssuerUrl: 'https://fp.example', Fingerprints: 'xyz' }), 'InvalidParameter.Fingerprints', undefined, 400);
    await popFails(ims(srv, 'CreateOIDCProvider', { OIDCProviderName: '-bad', IssuerUrl: 'https://n.example' }), 'InvalidParameter.OIDCProviderName', undefined, 400);
    await popFails(ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'lim', IssuerUrl: 'https://l.example', IssuanceLimitTime: '169' }), 'InvalidParameter.IssuanceLimitTime', undefined, 400);
    await popFails(ims(srv, 'GetOIDCProvider', { OIDCProviderName: 'nope' }), 'EntityNotExist.OIDCProvider', undefined, 404);
    await ims(srv, 'DeleteOIDCProvider', { OIDCProviderName: 'okta' });
    await popFails(ims(srv, 'DeleteOIDCProvider', { OIDCProviderName: 'okta' }), 'EntityNotExist.OIDCProvider', undefined, 404);
  });

  it('IMS actions are authorized as ram:<Action> on the provider ARN: an explicit Deny refuses, the Allow elsewhere holds', async () => {
    const user = await ram.userWith('idp-admin', policyDoc(
      { Effect: 'Allow', Action: ['ram:CreateOIDCProvider', 'ram:GetOIDCProvider', 'ram:DeleteOIDCProvider'], Resource: '*' },
      { Effect: 'Deny', Action: 'ram:CreateOIDCProvider', Resource: `acs:ram:*:${ACCOUNT_ID}:oidc-provider/locked*` },
    ));
    const client = imsClient(srv, user.accessKeyId, user.accessKeySecret);
    await popFails(client.request('CreateOIDCProvider', { OIDCProviderName: 'locked-1', IssuerUrl: 'https://locked.example' }, { method: 'POST' }), 'NoPermission', undefined, 403);
    await popFails(ims(srv, 'GetOIDCProvider', { OIDCProviderName: 'locked-1' }), 'EntityNotExist.OIDCProvider');
    await client.request('CreateOIDCProvider', { OIDCProviderName: 'open-1', IssuerUrl: 'https://open.example' }, { method: 'POST' });
    // Not allowed at all (no Allow for ListOIDCProviders).
    await popFails(client.request('ListOIDCProviders', {}, { method: 'POST' }), 'NoPermission', undefined, 403);
    await client.request('DeleteOIDCProvider', { OIDCProviderName: 'open-1' }, { method: 'POST' });
  });

  it('every OIDC provider action is refused by an explicit Deny on it, with ram:* allowed', async () => {
    await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'deny-each', IssuerUrl: 'https://deny-each.example', Fingerprints: 'CD'.repeat(20) });
    const name = { OIDCProviderName: 'deny-each' };
    const cases: Array<[string, Record<string, string>]> = [
      ['GetOIDCProvider', name],
      ['UpdateOIDCProvider', { ...name, Description: 'x' }],
      ['AddFingerprintToOIDCProvider', { ...name, Fingerprint: 'EF'.repeat(20) }],
      ['RemoveFingerprintFromOIDCProvider', { ...name, Fingerprint: 'CD'.repeat(20) }],
      ['ListOIDCProviders', {}],
      ['DeleteOIDCProvider', name],
    ];
    for (const [action, params] of cases) {
      const user = await ram.userWith(`deny-${action.toLowerCase()}`, policyDoc(
        { Effect: 'Allow', Action: 'ram:*', Resource: '*' },
        { Effect: 'Deny', Action: `ram:${action}`, Resource: '*' },
      ));
      const client = imsClient(srv, user.accessKeyId, user.accessKeySecret);
      await popFails(client.request(action, params, { method: 'POST' }), 'NoPermission', undefined, 403);
    }
    // Nothing was changed by the refused calls: the provider and its fingerprint are still there.
    const got = await ims(srv, 'GetOIDCProvider', name) as { OIDCProvider: { Fingerprints: string } };
    assert.match(got.OIDCProvider.Fingerprints, /cd/i);
    await ims(srv, 'DeleteOIDCProvider', name);
  });

  it('a GitHub-Actions-shaped token through @alicloud/credentials (ALIBABA_CLOUD_OIDC_TOKEN_FILE) → session → ali-oss; GetCallerIdentity answers for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-oidc-'));
    tmp.push(dir);
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, await issuer.token({ sub: MAIN, aud: CLIENT_ID, repository: 'org/name', ref: 'refs/heads/main' }));
    const front = await tlsFront(srv);
    const saved = { ...process.env };
    Object.assign(process.env, {
      ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile,
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: oidcProviderArn('github'),
      ALIBABA_CLOUD_ROLE_ARN: roleArn('CiDeploy'),
      ALIBABA_CLOUD_ROLE_SESSION_NAME: 'gha-run-1',
      // The credential provider has no CA option; the front's certificate is the self-signed fixture.
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
    });
    try {
      const cred = new CredentialsPkg.default(new CredentialsPkg.Config({ type: 'oidc_role_arn', stsEndpoint: `127.0.0.1:${front.port}` }));
      const c = await cred.getCredential();
      assert.match(c.accessKeyId, /^STS\./);
      const oss = ossWith(srv, { AccessKeyId: c.accessKeyId, AccessKeySecret: c.accessKeySecret, SecurityToken: c.securityToken, Expiration: '' }, BUCKET);
      assert.equal((await oss.put('deploy/app.tar', Buffer.from('built'))).res.status, 200);
      assert.equal((await oss.get('deploy/app.tar')).content.toString(), 'built');
      await assert.rejects(oss.listV2({ 'max-keys': '10' }), (e: { status?: number }) => e.status === 403);

      const tea = new StsClient(new $OpenApiUtil.Config({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken, endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
      const who = (await tea.getCallerIdentity()).body;
      assert.equal(who.identityType, 'AssumedRoleUser');
      assert.equal(who.arn, `acs:ram::${ACCOUNT_ID}:assumed-role/cideploy/gha-run-1`);
      assert.equal(who.principalId, `${roleId}:gha-run-1`);
      assert.equal(who.accountId, ACCOUNT_ID);
    } finally {
      for (const k of ['ALIBABA_CLOUD_OIDC_TOKEN_FILE', 'ALIBABA_CLOUD_OIDC_PROVIDER_ARN', 'ALIBABA_CLOUD_ROLE_ARN', 'ALIBABA_CLOUD_ROLE_SESSION_NAME', 'NODE_TLS_REJECT_UNAUTHORIZED']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await front.close();
    }
  });

  it('@alicloud/sts20150401 assumeRoleWithOIDC (anonymous): Credentials, AssumedRoleUser and OIDCTokenInfo as documented', async () => {
    const token = await issuer.token({ sub: MAIN, aud: [CLIENT_ID, 'other'] }, issuer.keys[1]);
    const tea = new StsClient(new $OpenApiUtil.Config({ endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
    const res = await tea.assumeRoleWithOIDC(new AssumeRoleWithOIDCRequest({
      OIDCProviderArn: oidcProviderArn('github'), roleArn: roleArn('CiDeploy'), OIDCToken: token, roleSessionName: 'tea-session', durationSeconds: 900,
    }));
    const b = res.body;
    assert.equal(b.assumedRoleUser.arn, `acs:ram::${ACCOUNT_ID}:role/cideploy/tea-session`);
    assert.equal(b.assumedRoleUser.assumedRoleId, `${roleId}:tea-session`);
    assert.match(b.credentials.accessKeyId, /^STS\./);
    assert.equal(b.OIDCTokenInfo.subject, MAIN);
    assert.equal(b.OIDCTokenInfo.issuer, issuer.url);
    assert.equal(b.OIDCTokenInfo.clientIds, `${CLIENT_ID},other`);
    assert.equal(b.OIDCTokenInfo.verificationInfo, 'Success');
    assert.match(b.OIDCTokenInfo.expirationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const raw = await assume(token);
    assert.equal(raw.status, 200);
    assert.deepEqual(Object.keys(raw.body).sort(), ['AssumedRoleUser', 'Credentials', 'OIDCTokenInfo', 'RequestId']);
    assert.deepEqual(Object.keys(raw.body.OIDCTokenInfo).sort(), ['ClientIds', 'ExpirationTime', 'IssuanceTime', 'Issuer', 'Subject', 'VerificationInfo']);
  });

  it('a session Policy narrows the federated session like AssumeRole\'s; a bad one is refused before the token is checked', async () => {
    const narrow = policyDoc({ Effect: 'Allow', Action: 'oss:PutObject', Resource: `acs:oss:*:*:${BUCKET}/narrow/*` });
    const r = await assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }), { Policy: narrow });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const oss = ossWith(srv, r.body.Credentials, BUCKET);
    assert.equal((await oss.put('narrow/ok.txt', Buffer.from('ok'))).res.status, 200);
    await assert.rejects(oss.put('deploy/other.txt', Buffer.from('no')), (e: { status?: number }) => e.status === 403);
    await expectStsError(assume('not-even-a-token', { Policy: '{"Version":"1"}' }), 'InvalidParameter.PolicyGrammar', 400);
  });

  it('refusals: trust condition on oidc:sub, expired, wrong audience, wrong issuer, bad signature, HS256, malformed, unknown provider, role', async () => {
    await expectStsError(assume(await issuer.token({ sub: 'repo:org/name:ref:refs/heads/feature', aud: CLIENT_ID })), 'AuthenticationFail.NoPermission', 401, 'There is no permission');
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }, rsa, { iatOffset: -3600, expIn: 600 })), 'AuthenticationFail.OIDCToken.Expired', 401, 'This JsonWebToken is expired.');
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: 'someone-else' })), 'AuthenticationFail.OIDCToken.AudienceNotMatch', 401, 'Invalid audience.');
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID, iss: 'https://evil.example' })), 'AuthenticationFail.OIDCToken.IssuerNotMatch', 401);
    // Signed by a key the issuer never published, under the published kid.
    const forger = await signingKey('rsa-1', 'RS256');
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }, forger)), 'AuthenticationFail.OIDCToken.InvalidSignature', 401, 'OIDC token validate failed: invalid signature.');
    const hs = await new SignJWT({ iss: issuer.url, sub: MAIN, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })
      .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('shared-secret-shared-secret-1234'));
    await expectStsError(assume(hs), 'AuthenticationFail.OIDCToken.Invalid', 401, 'The algorithm HS256 that be specified in Jwt header is unknown.');
    await expectStsError(assume('abc.def'), 'AuthenticationFail.OIDCToken.Invalid', 401, "The number of Jwt field should be divided into 3 parts with '.' .");
    await expectStsError(assume(''), 'AuthenticationFail.OIDCToken.Invalid', 401, 'The OIDCToken can not empty.');
    await expectStsError(assume('x'.repeat(20_001)), 'InvalidParameter.OIDCToken', 400);
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }), { OIDCProviderArn: oidcProviderArn('nobody') }), 'AuthenticationFail.NoPermission', 401, 'No such OIDC Provider registered.');
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }), { RoleArn: roleArn('NoSuchRole') }), 'AuthenticationFail.NoPermission', 401, 'There is no permission');
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }), { DurationSeconds: '3601' }), 'InvalidParameter.DurationSeconds', 400);
    await expectStsError(anonymousSts(srv, 'AssumeRoleWithOIDC', { RoleArn: roleArn('CiDeploy'), OIDCToken: 'a.b.c', RoleSessionName: 'x1' }), 'MissingOIDCProviderArn', 400);
    // Times no date can hold, in a token the issuer really signed (an exp of 1e300 was a 500 after the credentials were made).
    for (const exp of [1e300, 8.64e12 + 1]) {
      await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID, exp })), 'AuthenticationFail.OIDCToken.Invalid', 401, 'The Jwt claim exp is not a valid time.');
    }
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID, iat: -1e300 })), 'AuthenticationFail.OIDCToken.Invalid', 401, 'The Jwt claim iat is not a valid time.');
    // An issuance older than the provider's IssuanceLimitTime (12 h by default), though not expired.
    await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }, rsa, { iatOffset: -13 * 3600, expIn: 14 * 3600 })), 'AuthenticationFail.OIDCToken.Invalid', 401);
  });

  it('PS256 and EdDSA tokens verify; a header naming another algorithm than its key (alg confusion) is refused', async () => {
    const rs = await signingKey('rs-a', 'RS256');
    const ps = await signingKey('ps-a', 'PS256');
    const ed = await signingKey('ed-a', 'EdDSA');
    const ec = await signingKey('ec-a', 'ES256');
    const multi = await new TestIssuer().start([rs, ps, ed, ec]);
    try {
      await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'multi', IssuerUrl: multi.url, ClientIds: CLIENT_ID, Fingerprints: TLS_FINGERPRINT });
      await ram.call('CreateRole', { RoleName: 'Multi', AssumeRolePolicyDocument: federatedTrust(oidcProviderArn('multi')) });
      const call = (token: string) => anonymousSts(srv, 'AssumeRoleWithOIDC', { OIDCProviderArn: oidcProviderArn('multi'), RoleArn: roleArn('Multi'), OIDCToken: token, RoleSessionName: 'algs' });
      for (const k of [rs, ps, ed, ec]) {
        const r = await call(await multi.token({ sub: 'x', aud: CLIENT_ID }, k));
        assert.equal(r.status, 200, `${k.alg}: ${JSON.stringify(r.body)}`);
      }
      // The RSA key's kid with an ES256 header (signed by the EC key): no EC key under that kid → refused.
      await expectStsError(call(await multi.token({ sub: 'x', aud: CLIENT_ID }, { ...ec, kid: 'rs-a' })), 'AuthenticationFail.OIDCToken.InvalidSignature', 401);
      // An RS256 signature relabelled PS256 under the same RSA key does not verify.
      const [, payload, sig] = (await multi.token({ sub: 'x', aud: CLIENT_ID }, rs)).split('.');
      const psHeader = Buffer.from(JSON.stringify({ alg: 'PS256', kid: 'rs-a', typ: 'JWT' })).toString('base64url');
      await expectStsError(call(`${psHeader}.${payload}.${sig}`), 'AuthenticationFail.OIDCToken.InvalidSignature', 401);
      // `crit` extensions are not supported.
      const critHeader = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'rs-a', crit: ['exp'] })).toString('base64url');
      await expectStsError(call(`${critHeader}.${payload}.${sig}`), 'AuthenticationFail.OIDCToken.Invalid', 401);
    } finally {
      await multi.close();
    }
  });

  it('fingerprint pinning: a provider whose Fingerprints do not match the issuer certificate refuses (HttpsUrlInvalid); none configured refuses too', async () => {
    const other = await new TestIssuer().start([await signingKey('k', 'RS256')]);
    try {
      await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'unpinned', IssuerUrl: other.url, ClientIds: CLIENT_ID, Fingerprints: '00'.repeat(20) });
      await ram.call('CreateRole', { RoleName: 'Unpinned', AssumeRolePolicyDocument: federatedTrust(oidcProviderArn('unpinned')) });
      const call = async () => anonymousSts(srv, 'AssumeRoleWithOIDC', {
        OIDCProviderArn: oidcProviderArn('unpinned'), RoleArn: roleArn('Unpinned'), OIDCToken: await other.token({ sub: 's', aud: CLIENT_ID }), RoleSessionName: 'pin',
      });
      await expectStsError(call(), 'AuthenticationFail.OIDCToken.HttpsUrlInvalid', 401, `The root ca certificate is not in ca whitelist of this url: ${other.url}/.well-known/openid-configuration`);
      assert.equal(other.jwksHits, 0);
      // A failed fetch is remembered for a few seconds: the next token does not contact the issuer again.
      await expectStsError(call(), 'AuthenticationFail.OIDCToken.HttpsUrlInvalid', 401);
      assert.equal(other.discoveryHits, 1);
      await ims(srv, 'RemoveFingerprintFromOIDCProvider', { OIDCProviderName: 'unpinned', Fingerprint: '00'.repeat(20) });
      await expectStsError(call(), 'AuthenticationFail.OIDCToken.HttpsUrlInvalid', 401);
      await ims(srv, 'AddFingerprintToOIDCProvider', { OIDCProviderName: 'unpinned', Fingerprint: TLS_FINGERPRINT });
      const ok = await call();
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    } finally {
      await other.close();
    }
  });

  it('the JWKS is cached; a new kid refreshes it once (key rotation at the issuer)', async () => {
    assert.equal((await assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }))).status, 200);
    const before = issuer.jwksHits;
    for (let i = 0; i < 5; i++) assert.equal((await assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }))).status, 200);
    assert.equal(issuer.jwksHits, before, 'cached keys are used');
    const rotated = await signingKey('rsa-2', 'RS256');
    issuer.keys.push(rotated);
    assert.equal((await assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }, rotated))).status, 200);
    assert.equal(issuer.jwksHits, before + 1);
    // Unknown kids do not hammer the issuer: within the refresh floor, no further fetch.
    const stranger = await signingKey('never-published', 'RS256');
    for (let i = 0; i < 3; i++) await expectStsError(assume(await issuer.token({ sub: MAIN, aud: CLIENT_ID }, stranger)), 'AuthenticationFail.OIDCToken.InvalidSignature', 401);
    assert.ok(issuer.jwksHits <= before + 2, `${issuer.jwksHits - before} fetches`);
  });
});

describe('OIDC federation with a static JWKS (air-gapped)', () => {
  it('keys from the server configuration, no network: the issuer is never contacted', async () => {
    const key = await signingKey('offline-1', 'ES256');
    const issuerUrl = 'https://idp.offline.invalid';
    const dir = await mkdtemp(join(tmpdir(), 'alunite-jwks-'));
    const file = join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify({ keys: [key.jwk] }));
    const srv = await startTestServer({ oidc: { staticJwks: { [issuerUrl]: file } } });
    try {
      const ram = new Ram(srv);
      await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'offline', IssuerUrl: issuerUrl, ClientIds: 'app' });
      await ram.call('CreateRole', { RoleName: 'Offline', AssumeRolePolicyDocument: federatedTrust(oidcProviderArn('offline'), { StringLike: { 'oidc:sub': 'svc-*' } }) });
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ iss: issuerUrl, sub: 'svc-batch', aud: 'app', iat: now, exp: now + 300 }).setProtectedHeader({ alg: 'ES256', kid: 'offline-1' }).sign(key.privateKey);
      const r = await anonymousSts(srv, 'AssumeRoleWithOIDC', { OIDCProviderArn: oidcProviderArn('offline'), RoleArn: roleArn('Offline'), OIDCToken: token, RoleSessionName: 'batch' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.OIDCTokenInfo.Subject, 'svc-batch');
    } finally {
      await srv.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
