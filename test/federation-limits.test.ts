// Federation hardening (docs/limits.md "Federation"): SAML metadata bounded at Create/Update (size, signing
// certificates) and parsed once per document, never per AssumeRoleWithSAML; an assertion's shape (elements,
// depth, attributes) counted before the DOM is built; JWKS fetched, cached and failed per issuer AND pin set,
// so providers of one issuer pinned differently (here in two accounts) never share keys or in-flight fetches.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { JwksCache } from '../src/sts/jwks.js';
import { samlMetadataParseCount } from '../src/sts/saml-metadata.js';
import { popFails, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import {
  anonymousSts, expectStsError, federatedTrust, ims, imsClient, oidcProviderArn, samlProviderArn, signingKey, TestIssuer, TLS_CERT, TLS_FINGERPRINT,
} from './helpers/federation.js';
import { b64, encodedMetadata, grant, IDP_ENTITY, metadataXml, roleArnOf, signedAssertionResponse } from './helpers/saml.js';

const CERT_DIR = fileURLToPath(new URL('../../test/fixtures/saml-certs/', import.meta.url));
const bodyOf = (pem: string): string => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
const EXTRA = [1, 2, 3, 4, 5, 6].map((i) => bodyOf(readFileSync(`${CERT_DIR}cert${i}.pem`, 'utf8')));
const GENUINE = bodyOf(TLS_CERT);
const keyDescriptor = (cert: string): string =>
  `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
/** Metadata whose IDPSSODescriptor lists these signing certificates (the genuine one last). */
function metadataWith(certs: string[], entity = IDP_ENTITY): string {
  const base = metadataXml(GENUINE, entity);
  return base.replace(keyDescriptor(GENUINE), certs.map(keyDescriptor).join('\n    '));
}
const B = '2000000000000002';
const B_AK = 'LTAI5tLimitsAccountBKey';
const B_SECRET = 'LimitsAccountBSecretKeyLimits1';
const pop = (client: ReturnType<typeof imsClient>, action: string, params: Record<string, unknown>) => client.request(action, params, { method: 'POST', formatParams: false });

describe('SAML federation limits', () => {
  let srv: TestServer;
  const ROLE = roleArnOf('Sso');
  const PROVIDER = samlProviderArn('corp');

  before(async () => {
    srv = await startTestServer();
    await ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'corp', EncodedSAMLMetadataDocument: encodedMetadata() });
    await new Ram(srv).call('CreateRole', { RoleName: 'Sso', AssumeRolePolicyDocument: federatedTrust(PROVIDER) });
  });
  after(async () => {
    await srv.stop();
  });

  it('CreateSAMLProvider/UpdateSAMLProvider refuse more than 5 signing certificates and metadata over 102,400 bytes', async () => {
    const six = metadataWith([...EXTRA.slice(0, 5), GENUINE]);
    const err = await popFails(ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'six', EncodedSAMLMetadataDocument: encodedMetadata(six) }), 'InvalidParameter.EncodedSAMLMetadataDocument');
    assert.match(err.message, /more than 5 signing certificates/);
    // Five (with the same certificate listed twice counted once) are accepted.
    const five = metadataWith([...EXTRA.slice(0, 4), GENUINE, GENUINE]);
    await ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'five', EncodedSAMLMetadataDocument: encodedMetadata(five) });

    const padding = (n: number) => `<md:Organization><md:OrganizationName xml:lang="en">${'x'.repeat(n)}</md:OrganizationName></md:Organization>`;
    const base = metadataXml();
    const at = base.indexOf('</md:EntityDescriptor>');
    const sized = (bytes: number) => base.slice(0, at) + padding(bytes - base.length - padding(0).length) + base.slice(at);
    assert.equal(Buffer.byteLength(sized(102_401)), 102_401);
    const big = await popFails(ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'big', EncodedSAMLMetadataDocument: encodedMetadata(sized(102_401)) }), 'InvalidParameter.EncodedSAMLMetadataDocument');
    assert.match(big.message, /larger than 102400 bytes/);
    await ims(srv, 'CreateSAMLProvider', { SAMLProviderName: 'max', EncodedSAMLMetadataDocument: encodedMetadata(sized(102_400)) });

    // Update: refused whole, the stored document unchanged.
    await popFails(ims(srv, 'UpdateSAMLProvider', { SAMLProviderName: 'five', NewEncodedSAMLMetadataDocument: encodedMetadata(six), NewDescription: 'x' }), 'InvalidParameter.EncodedSAMLMetadataDocument');
    await popFails(ims(srv, 'UpdateSAMLProvider', { SAMLProviderName: 'five', NewEncodedSAMLMetadataDocument: encodedMetadata(sized(200_000)) }), 'InvalidParameter.EncodedSAMLMetadataDocument');
    const got = await ims(srv, 'GetSAMLProvider', { SAMLProviderName: 'five' });
    assert.equal(got.SAMLProvider.EncodedSAMLMetadataDocument, encodedMetadata(five));
    assert.equal(got.SAMLProvider.Description, '');
  });

  it('metadata with 5 certificates still verifies an assertion signed by the last of them', async () => {
    await ims(srv, 'UpdateSAMLProvider', { SAMLProviderName: 'corp', NewEncodedSAMLMetadataDocument: encodedMetadata(metadataWith([...EXTRA.slice(0, 4), GENUINE])) });
    const r = await anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: PROVIDER, RoleArn: ROLE, SAMLAssertion: b64(signedAssertionResponse({ roles: [grant(ROLE, PROVIDER)] })) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.Credentials.SecurityToken);
    await ims(srv, 'UpdateSAMLProvider', { SAMLProviderName: 'corp', NewEncodedSAMLMetadataDocument: encodedMetadata() });
  });

  it('a provider\'s metadata is parsed once, not per AssumeRoleWithSAML; an update takes effect at once', async () => {
    const entity = 'https://idp.example.com/parse-once';
    await ims(srv, 'UpdateSAMLProvider', { SAMLProviderName: 'corp', NewEncodedSAMLMetadataDocument: encodedMetadata(metadataXml(GENUINE, entity)) });
    const ask = (assertion: string) => anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: PROVIDER, RoleArn: ROLE, SAMLAssertion: assertion });
    const before = samlMetadataParseCount();
    for (let i = 0; i < 5; i++) await expectStsError(ask('AAAA'), 'AuthenticationFail.SAMLAssertion.Invalid', 401);
    const ok = await ask(b64(signedAssertionResponse({ issuer: entity, roles: [grant(ROLE, PROVIDER)] })));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(samlMetadataParseCount() - before, 1, 'six calls, one parse');

    // The previous entity ID no longer matches once the metadata is updated back.
    await ims(srv, 'UpdateSAMLProvider', { SAMLProviderName: 'corp', NewEncodedSAMLMetadataDocument: encodedMetadata() });
    await expectStsError(ask(b64(signedAssertionResponse({ issuer: entity, roles: [grant(ROLE, PROVIDER)] }))), 'AuthenticationFail.SAMLAssertion.IssuerNotMatch', 401);
    assert.equal(samlMetadataParseCount() - before, 2);
    const back = await ask(b64(signedAssertionResponse({ roles: [grant(ROLE, PROVIDER)] })));
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(samlMetadataParseCount() - before, 2);
  });

  it('an assertion with too many elements, attributes or levels is refused before it is parsed', async () => {
    const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
    const A = 'urn:oasis:names:tc:SAML:2.0:assertion';
    const D = 'http://www.w3.org/2000/09/xmldsig#';
    const shaped = (inner: string) => b64(`<samlp:Response xmlns:samlp="${P}" xmlns:saml="${A}" ID="_r"><saml:Assertion ID="_a"><ds:Signature xmlns:ds="${D}"><ds:SignedInfo><ds:Reference URI="#_a"/></ds:SignedInfo>${inner}</ds:Signature></saml:Assertion></samlp:Response>`);
    const ask = (assertion: string) => anonymousSts(srv, 'AssumeRoleWithSAML', { SAMLProviderArn: PROVIDER, RoleArn: ROLE, SAMLAssertion: assertion });
    for (const inner of ['<x/>'.repeat(1_001), '<x>'.repeat(40) + '</x>'.repeat(40), `<x ${Array.from({ length: 3_001 }, (_, i) => `a${i}="1"`).join(' ')}/>`]) {
      const body = await expectStsError(ask(shaped(inner)), 'AuthenticationFail.SAMLAssertion.Invalid', 401);
      assert.match(body.Message, /more than 1000 elements, 3000 attributes or 32 levels/);
    }
    // Within the bounds, the same shape gets as far as the signature check.
    await expectStsError(ask(shaped('<x/>'.repeat(900))), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
    await expectStsError(ask(shaped('<x>'.repeat(20) + '</x>'.repeat(20))), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
    // Markup inside comments and CDATA is not counted (it is not elements).
    await expectStsError(ask(shaped(`<!--${'<x>'.repeat(40)}--><y><![CDATA[${'<x>'.repeat(40)}]]></y>`)), 'AuthenticationFail.SAMLAssertion.InvalidSignature', 401);
  });
});

describe('JWKS per issuer and pin set', () => {
  let issuer: TestIssuer;
  let srv: TestServer;
  before(async () => {
    issuer = await new TestIssuer().start([await signingKey('k1', 'RS256')]);
    srv = await startTestServer({ oidc: { ca: TLS_CERT } });
    await srv.accounts.create({ accountId: B, name: 'tenant-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
  });
  after(async () => {
    await srv.stop();
    await issuer.close();
  });

  it('JwksCache: a fetch under other pins is never shared, failures are remembered per pin set, same pins share', async () => {
    // Failures remembered for the whole test: a busy machine must not let the 5 s default lapse mid-test.
    const cache = new JwksCache({ ca: TLS_CERT, failureMs: 3_600_000 });
    const wrong = ['bb'.repeat(20)];
    // Both start in the same tick: before, the second joined the first's fetch (and its pin failure).
    const pB = cache.keysFor(issuer.url, wrong, 'k1');
    const pA = cache.keysFor(issuer.url, [TLS_FINGERPRINT], 'k1');
    await assert.rejects(pB, (e: { code?: string }) => e.code === 'AuthenticationFail.OIDCToken.HttpsUrlInvalid');
    const keysA = await pA;
    const token = await issuer.token({ aud: 'app', sub: 's' });
    assert.equal((await jwtVerify(token, keysA, { issuer: issuer.url })).payload.sub, 's');
    assert.equal(cache.fetchCount, 2);

    // Alternating requests force no refetch: A's keys cached, B's failure remembered, each under its own pins.
    const hits = issuer.discoveryHits;
    for (let i = 0; i < 3; i++) {
      await assert.rejects(cache.keysFor(issuer.url, wrong, 'k1'), (e: { code?: string }) => e.code === 'AuthenticationFail.OIDCToken.HttpsUrlInvalid');
      assert.equal(await cache.keysFor(issuer.url, [TLS_FINGERPRINT], 'k1'), keysA);
    }
    // The same pin set (any case, any order) is the same entry.
    assert.equal(await cache.keysFor(issuer.url, [TLS_FINGERPRINT.toUpperCase()], 'k1'), keysA);
    assert.equal(cache.fetchCount, 2);
    assert.equal(issuer.discoveryHits, hits);
  });

  it('AssumeRoleWithOIDC: account B pinning the same issuer wrongly never fails account A', async () => {
    const arnA = oidcProviderArn('corp');
    const arnB = `acs:ram::${B}:oidc-provider/copy`;
    await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'corp', IssuerUrl: issuer.url, ClientIds: 'app', Fingerprints: TLS_FINGERPRINT });
    const ram = new Ram(srv);
    await ram.call('CreateRole', { RoleName: 'ci', AssumeRolePolicyDocument: federatedTrust(arnA) });
    await pop(imsClient(srv, B_AK, B_SECRET), 'CreateOIDCProvider', { OIDCProviderName: 'copy', IssuerUrl: issuer.url, ClientIds: 'x', Fingerprints: 'bb'.repeat(20) });
    const b64u = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const junk = `${b64u({ alg: 'RS256', kid: 'k1' })}.${b64u({ iss: issuer.url, aud: 'x', sub: 's' })}.AAAA`;
    const a = async () => anonymousSts(srv, 'AssumeRoleWithOIDC', { OIDCProviderArn: arnA, RoleArn: `acs:ram::${ACCOUNT_ID}:role/ci`, OIDCToken: await issuer.token({ aud: 'app', sub: 'main' }), RoleSessionName: 'legit' });
    const b = () => anonymousSts(srv, 'AssumeRoleWithOIDC', { OIDCProviderArn: arnB, RoleArn: `acs:ram::${B}:role/r`, OIDCToken: junk, RoleSessionName: 'evil' });
    for (let i = 0; i < 4; i++) {
      const [rb, ra] = await Promise.all([b(), a()]);
      assert.equal(rb.body.Code, 'AuthenticationFail.OIDCToken.HttpsUrlInvalid', JSON.stringify(rb.body));
      assert.equal(ra.status, 200, JSON.stringify(ra.body));
      assert.ok(ra.body.Credentials.SecurityToken);
    }
  });
});
