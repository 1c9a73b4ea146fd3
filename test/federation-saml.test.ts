// SAML federation end to end: IMS SAML providers (pop-core, Version 2019-08-15) with the IdP's metadata,
// AssumeRoleWithSAML through @alicloud/sts20150401 (anonymous) and raw POP, the session used with ali-oss,
// and the attacks a verifier must refuse: unsigned assertions, tampering, signature wrapping, a foreign key,
// expired NotOnOrAfter, wrong Audience / Recipient / Issuer, a Role attribute not granting the role.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { popFails, policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { ossWith } from './helpers/sts.js';
import { anonymousSts, expectStsError, federatedTrust, ims, imsClient, samlProviderArn } from './helpers/federation.js';
import {
  assertionXml, attackerKey, b64, encodedMetadata, grant, IDP_ENTITY, metadataXml, RECIPIENT, responseXml, roleArnOf, signedAssertionResponse, signedResponse,
} from './helpers/saml.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- CommonJS SDKs without types */
const StsClient: any = require('@alicloud/sts20150401').default;
const { AssumeRoleWithSAMLRequest }: any = require('@alicloud/sts20150401');
const { $OpenApiUtil }: any = require('@alicloud/openapi-core');
/* eslint-enable @typescript-eslint/no-explicit-any */

const BUCKET = 'saml-sso';
const ROLE = roleArnOf('SsoAdmin');
const PROVIDER = samlProviderArn('corp-idp');
const GRANT = grant(ROLE, PROVIDER);

describe('SAML federation', () => {
  let srv: TestServer;
  let ram: Ram;
  let roleId: string;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'corp-idp', EncodedSAMLMetadataDocument: encodedMetadata(), Description: 'Corp IdP' });
    const role = await ram.call('CreateRole', {
      RoleName: 'SsoAdmin',
      AssumeRolePolicyDocument: federatedTrust(PROVIDER, { StringEquals: { 'saml:recipient': RECIPIENT }, StringLike: { 'saml:sub': '*@example.com' } }),
    });
    roleId = role.Role.RoleId as string;
    await ram.createPolicy('sso-admin', policyDoc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'sso-admin', RoleName: 'SsoAdmin' });
  });
  after(async () => {
    await srv.stop();
  });

  const assume = (xml: string, extra: Record<string, string> = {}) =>
    anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: PROVIDER, RoleArn: ROLE, SAMLAssertion: b64(xml), ...extra });

  it('IMS: Create/Get/List/Update/Delete SAML providers with the documented shapes; bad metadata refused', async () => {
    const created = await ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'other-idp', EncodedSAMLMetadataDocument: encodedMetadata() });
    assert.deepEqual(Object.keys(created.SAMLProvider).sort(), ['Arn', 'CreateDate', 'Description', 'SAMLProviderName', 'UpdateDate']);
    assert.equal(created.SAMLProvider.Arn, samlProviderArn('other-idp'));
    const got = await ims(srv, 'GetSAMLProvider', { SAMLProviderName: 'other-idp' });
    assert.equal(got.SAMLProvider.EncodedSAMLMetadataDocument, encodedMetadata());
    const list = await ims(srv, 'ListSAMLProviders', {});
    assert.deepEqual(list.SAMLProviders.SAMLProvider.map((p: { SAMLProviderName: string }) => p.SAMLProviderName), ['corp-idp', 'other-idp']);
    assert.equal(list.IsTruncated, false);
    const updated = await ims(srv, 'UpdateSAMLProvider', { SAMLProviderName: 'other-idp', NewDescription: 'changed' });
    assert.equal(updated.SAMLProvider.Description, 'changed');
    await popFails(ims(srv, 'UpdateSAMLProvider', { SAMLProviderName: 'other-idp' }), 'InvalidParameter.NewDescription', undefined, 400);
    await popFails(ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'other-idp', EncodedSAMLMetadataDocument: encodedMetadata() }), 'EntityAlreadyExists.SAMLProvider', undefined, 409);
    await popFails(ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'bad', EncodedSAMLMetadataDocument: b64('<not-metadata/>') }), 'InvalidParameter.EncodedSAMLMetadataDocument', undefined, 400);
    await popFails(ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'doctype', EncodedSAMLMetadataDocument: b64(`<!DOCTYPE x [<!ENTITY e "e">]>${metadataXml()}`) }), 'InvalidParameter.EncodedSAMLMetadataDocument', undefined, 400);
    await popFails(ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'nocert', EncodedSAMLMetadataDocument: b64(metadataXml('').replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/, '')) }), 'InvalidParameter.EncodedSAMLMetadataDocument', undefined, 400);
    await ims(srv, 'DeleteSAMLProvider', { SAMLProviderName: 'other-idp' });
    await popFails(ims(srv, 'GetSAMLProvider', { SAMLProviderName: 'other-idp' }), 'EntityNotExist.SAMLProvider', undefined, 404);
  });

  it('SAML provider actions are authorized as ram:<Action>: an explicit Deny refuses', async () => {
    const user = await ram.userWith('saml-admin', policyDoc(
      { Effect: 'Allow', Action: 'ram:*SAMLProvider*', Resource: '*' },
      { Effect: 'Deny', Action: 'ram:DeleteSAMLProvider', Resource: `acs:ram:*:${ACCOUNT_ID}:saml-provider/corp-idp` },
    ));
    const client = imsClient(srv, user.accessKeyId, user.accessKeySecret);
    await popFails(client.request('DeleteSAMLProvider', { SAMLProviderName: 'corp-idp' }, { method: 'POST' }), 'NoPermission', undefined, 403);
    assert.equal((await client.request<{ SAMLProvider: { SAMLProviderName: string } }>('GetSAMLProvider', { SAMLProviderName: 'corp-idp' }, { method: 'POST' })).SAMLProvider.SAMLProviderName, 'corp-idp');
  });

  it('every SAML provider action is refused by an explicit Deny on it, with ram:* allowed; nothing is changed', async () => {
    const name = { SAMLProviderName: 'corp-idp' };
    const cases: Array<[string, Record<string, string>]> = [
      ['CreateSAMLProvider', { SAMLProviderName: 'deny-new-idp', EncodedSAMLMetadataDocument: encodedMetadata() }],
      ['GetSAMLProvider', name],
      ['UpdateSAMLProvider', { ...name, NewDescription: 'denied change' }],
      ['ListSAMLProviders', {}],
    ];
    for (const [action, params] of cases) {
      // Denied on every resource, and (for the actions on one provider) on that provider's ARN alone.
      const resources = action === 'ListSAMLProviders' || action === 'CreateSAMLProvider' ? ['*'] : ['*', samlProviderArn('corp-idp')];
      for (const resource of resources) {
        const user = await ram.userWith(`deny-${action.toLowerCase()}-${resource === '*' ? 'all' : 'arn'}`, policyDoc(
          { Effect: 'Allow', Action: 'ram:*', Resource: '*' },
          { Effect: 'Deny', Action: `ram:${action}`, Resource: resource },
        ));
        const client = imsClient(srv, user.accessKeyId, user.accessKeySecret);
        await popFails(client.request(action, params, { method: 'POST' }), 'NoPermission', undefined, 403);
        // The same user may do the others (the Deny is of that action only).
        if (action !== 'GetSAMLProvider') assert.equal((await client.request<{ SAMLProvider: { SAMLProviderName: string } }>('GetSAMLProvider', name, { method: 'POST' })).SAMLProvider.SAMLProviderName, 'corp-idp');
      }
    }
    await popFails(ims(srv, 'GetSAMLProvider', { SAMLProviderName: 'deny-new-idp' }), 'EntityNotExist.SAMLProvider', undefined, 404);
    assert.equal((await ims(srv, 'GetSAMLProvider', name)).SAMLProvider.Description, 'Corp IdP');
  });

  it('@alicloud/sts20150401 assumeRoleWithSAML with a signed Assertion → SAMLAssertionInfo; the session works with ali-oss', async () => {
    const tea = new StsClient(new $OpenApiUtil.Config({ endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
    const res = await tea.assumeRoleWithSAML(new AssumeRoleWithSAMLRequest({
      SAMLProviderArn: PROVIDER, roleArn: ROLE, SAMLAssertion: b64(signedAssertionResponse({ roles: [GRANT], sessionName: 'alice' })), durationSeconds: 900,
    }));
    const b = res.body;
    assert.equal(b.SAMLAssertionInfo.subject, 'alice@example.com');
    assert.equal(b.SAMLAssertionInfo.subjectType, 'persistent');
    assert.equal(b.SAMLAssertionInfo.issuer, IDP_ENTITY);
    assert.equal(b.SAMLAssertionInfo.recipient, RECIPIENT);
    assert.equal(b.assumedRoleUser.assumedRoleId, `${roleId}:alice`);
    assert.equal(b.assumedRoleUser.arn, `acs:ram::${ACCOUNT_ID}:role/ssoadmin/alice`);
    const c = b.credentials;
    const oss = ossWith(srv, { AccessKeyId: c.accessKeyId, AccessKeySecret: c.accessKeySecret, SecurityToken: c.securityToken, Expiration: c.expiration }, BUCKET);
    assert.equal((await oss.put('alice/report.txt', Buffer.from('q4'))).res.status, 200);
    assert.equal((await oss.get('alice/report.txt')).content.toString(), 'q4');
    const tea2 = new StsClient(new $OpenApiUtil.Config({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken, endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
    const who = (await tea2.getCallerIdentity()).body;
    assert.equal(who.arn, `acs:ram::${ACCOUNT_ID}:assumed-role/ssoadmin/alice`);
  });

  it('a Response signed as a whole is accepted too; the raw body has the documented keys', async () => {
    const r = await assume(signedResponse({ roles: [GRANT] }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['AssumedRoleUser', 'Credentials', 'RequestId', 'SAMLAssertionInfo']);
    assert.deepEqual(Object.keys(r.body.SAMLAssertionInfo).sort(), ['Issuer', 'Recipient', 'Subject', 'SubjectType']);
  });

  it('refuses an unsigned assertion, a tampered one, a foreign key (even with its certificate in KeyInfo)', async () => {
    await expectStsError(assume(responseXml(assertionXml({ roles: [GRANT] }))), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
    const tampered = signedAssertionResponse({ roles: [GRANT], subject: 'alice@example.com' }).replace('alice@example.com', 'root@example.com');
    await expectStsError(assume(tampered), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
    await expectStsError(assume(signedAssertionResponse({ roles: [GRANT] }, attackerKey())), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
  });

  it('refuses signature wrapping: the signed assertion moved aside and an unsigned (or re-labelled) one consumed', async () => {
    const genuine = signedAssertionResponse({ roles: [GRANT], subject: 'alice@example.com' });
    const signedAssertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(genuine)![0];
    const signature = /<Signature[\s\S]*<\/Signature>/.exec(signedAssertion)![0];
    const evil = assertionXml({ roles: [GRANT], subject: 'mallory@example.com', assertionId: '_evil' });
    // 1. The genuine assertion hidden in Extensions, the evil one unsigned beside it.
    const xsw1 = responseXml(`<samlp:Extensions>${signedAssertion}</samlp:Extensions>${evil}`);
    await expectStsError(assume(xsw1), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
    // 2. The evil assertion carries the genuine signature (which still verifies: it covers the hidden one).
    const evilSigned = evil.replace('</saml:Issuer>', `</saml:Issuer>${signature}`);
    const xsw2 = responseXml(`<samlp:Extensions>${signedAssertion}</samlp:Extensions>${evilSigned}`);
    await expectStsError(assume(xsw2), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
    // 3. The genuine signature on the evil assertion, the genuine assertion (unsigned now, so its digest still
    //    matches) inside the signature's Object: the signature verifies, but it covers another element (ID).
    const genuineNoSig = signedAssertion.replace(signature, '');
    const xsw3 = responseXml(evil.replace('</saml:Issuer>', `</saml:Issuer>${signature.replace('</Signature>', `<Object>${genuineNoSig}</Object></Signature>`)}`));
    await expectStsError(assume(xsw3), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
    // 4. Two assertions side by side: refused outright.
    await expectStsError(assume(responseXml(signedAssertion + evil)), 'AuthenticationFail.SAMLAssertion.Invalid', 401);
    // The genuine one alone still works (the test can tell success from failure).
    assert.equal((await assume(genuine)).status, 200);
  });

  it('refuses expired NotOnOrAfter, wrong Audience, Recipient and Issuer, a Role attribute not granting the role, a trust condition', async () => {
    await expectStsError(assume(signedAssertionResponse({ roles: [GRANT], notOnOrAfter: -120 })), 'AuthenticationFail.SAMLAssertion.Expired', 401);
    await expectStsError(assume(signedAssertionResponse({ roles: [GRANT], audience: 'urn:amazon:webservices' })), 'AuthenticationFail.SAMLAssertion.AudienceNotMatch', 401);
    await expectStsError(assume(signedAssertionResponse({ roles: [GRANT], recipient: 'https://evil.example/sso' })), 'AuthenticationFail.SAMLAssertion.RecipientNotMatch', 401);
    await expectStsError(assume(signedAssertionResponse({ roles: [GRANT], issuer: 'https://other-idp.example' })), 'AuthenticationFail.SAMLAssertion.IssuerNotMatch', 401);
    await expectStsError(assume(signedAssertionResponse({ roles: [grant(roleArnOf('Other'), PROVIDER)] })), 'AuthenticationFail.NoPermission', 401);
    // A role the assertion grants but the account does not have: the trust refusal's answer, not EntityNotExist.Role.
    const missing = roleArnOf('NoSuchRole');
    await expectStsError(assume(signedAssertionResponse({ roles: [grant(missing, PROVIDER)] }), { RoleArn: missing }), 'AuthenticationFail.NoPermission', 401, 'There is no permission');
    await expectStsError(assume(signedAssertionResponse({ roles: [GRANT], sessionName: null })), 'AuthenticationFail.SAMLAssertion.Invalid', 401);
    // saml:sub must match *@example.com (trust policy condition).
    await expectStsError(assume(signedAssertionResponse({ roles: [GRANT], subject: 'bob@elsewhere.org' })), 'AuthenticationFail.NoPermission', 401, 'There is no permission');
    await expectStsError(assume(signedAssertionResponse({ roles: [GRANT] }), { SAMLProviderArn: samlProviderArn('nobody') }), 'AuthenticationFail.NoPermission', 401);
    await expectStsError(assume('<x/>'.repeat(30_000)), 'InvalidParameter.SAMLAssertion', 400);
    await expectStsError(anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: PROVIDER, RoleArn: ROLE }), 'MissingSAMLAssertion', 400);
  });
});
