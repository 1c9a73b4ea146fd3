// A test SAML IdP: metadata with its signing certificate, and Responses built and signed with xml-crypto
// (on the Assertion or on the Response), plus hand-made variants for the attacks the verifier must refuse.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SignedXml } from 'xml-crypto';
import { ACCOUNT_ID } from './server.js';
import { TLS_CERT, TLS_KEY } from './federation.js';

export const IDP_ENTITY = 'https://idp.example.com/saml';
export const RECIPIENT = 'https://signin.aliyun.com/saml-role/sso';
export const AUDIENCE = 'urn:alibaba:cloudcomputing';
const CERT_BODY = certBody(TLS_CERT);

export function metadataXml(cert = CERT_BODY, entity = IDP_ENTITY): string {
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entity}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

export const encodedMetadata = (xml = metadataXml()): string => Buffer.from(xml, 'utf8').toString('base64');

export interface AssertionOptions {
  subject?: string;
  roles?: string[];
  sessionName?: string | null;
  issuer?: string;
  audience?: string;
  recipient?: string;
  /** Seconds from now. */
  notOnOrAfter?: number;
  /** Seconds from now (default -60). */
  notBefore?: number;
  /** Default: a fresh ID (an assertion is accepted once: the server's replay cache). */
  assertionId?: string;
  /** Times without the `Z` (SAML core §1.3.3 writes UTC; some IdPs leave the designator out). */
  zoneless?: boolean;
}

export function assertionXml(o: AssertionOptions = {}): string {
  const now = Date.now();
  const iso = (s: number) => new Date(now + s * 1000).toISOString().slice(0, o.zoneless === true ? -1 : undefined);
  const until = iso(o.notOnOrAfter ?? 300);
  const roles = o.roles ?? [];
  return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.assertionId ?? `_a${randomUUID()}`}" Version="2.0" IssueInstant="${iso(0)}">`
    + `<saml:Issuer>${o.issuer ?? IDP_ENTITY}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${o.subject ?? 'alice@example.com'}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${o.recipient ?? RECIPIENT}"/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${iso(o.notBefore ?? -60)}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${o.audience ?? AUDIENCE}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${iso(0)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + '<saml:AttributeStatement>'
    + `<saml:Attribute Name="https://www.aliyun.com/SAML-Role/Attributes/Role">${roles.map((r) => `<saml:AttributeValue>${r}</saml:AttributeValue>`).join('')}</saml:Attribute>`
    + (o.sessionName === null ? '' : `<saml:Attribute Name="https://www.aliyun.com/SAML-Role/Attributes/RoleSessionName"><saml:AttributeValue>${o.sessionName ?? 'alice'}</saml:AttributeValue></saml:Attribute>`)
    + '</saml:AttributeStatement></saml:Assertion>';
}

export function responseXml(assertion: string, id = '_r1'): string {
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${RECIPIENT}">`
    + `<saml:Issuer>${IDP_ENTITY}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
    + assertion + '</samlp:Response>';
}

function sign(xml: string, target: 'Assertion' | 'Response', privateKey: string, cert: string): string {
  const sig = new SignedXml({
    privateKey,
    publicCert: cert,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  });
  sig.addReference({
    xpath: `//*[local-name(.)='${target}']`,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, { location: { reference: `//*[local-name(.)='${target}']/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

/** A Response whose Assertion is signed by the IdP (the common form). */
export function signedAssertionResponse(o: AssertionOptions = {}, key = TLS_KEY, cert = TLS_CERT): string {
  return responseXml(sign(assertionXml(o), 'Assertion', key, cert));
}

/** A Response signed as a whole (the Assertion inside unsigned). */
export function signedResponse(o: AssertionOptions = {}): string {
  return sign(responseXml(assertionXml(o)), 'Response', TLS_KEY, TLS_CERT);
}

export const b64 = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');

/** A key the IdP never published (with a self-issued certificate in KeyInfo, which must not be trusted). */
export function attackerKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

const OTHER_IDP_DIR = fileURLToPath(new URL('../../../test/fixtures/saml-other-idp/', import.meta.url));
/** A second IdP's key and certificate (a fixture pair): another account's own IdP, which may claim any entityID. */
export const OTHER_IDP = { key: readFileSync(`${OTHER_IDP_DIR}key.pem`, 'utf8'), cert: readFileSync(`${OTHER_IDP_DIR}cert.pem`, 'utf8') };
export function certBody(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

export const grant = (role: string, provider: string): string => `${role},${provider}`;
export const roleArnOf = (name: string): string => `acs:ram::${ACCOUNT_ID}:role/${name}`;
