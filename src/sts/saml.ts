// SAML response verification for AssumeRoleWithSAML (docs/federation.md "What is verified"). The values are
// read only from XML that a signature covers: xml-crypto checks the signature against the provider metadata's
// signing certificate (never a KeyInfo the message brings), and what is consumed is the reference xml-crypto
// reports as signed, which must be the Response itself or its one Assertion (same ID), so a signature moved
// onto another element (signature wrapping) or an unsigned assertion beside a signed one is refused.
import { SignedXml } from 'xml-crypto';
import type { Element } from '@xmldom/xmldom';
import { AppError } from '../errors.js';
import type { SamlMetadata } from '../ims/model.js';
import { childrenNS, parseSamlXml, SAML_NS, textOf } from '../ims/xml.js';
import { xmlShapeWithin, type XmlShapeLimits } from '../ims/xml-shape.js';

/** The documented 4-100000 characters of AssumeRoleWithSAML; the CPU bound is SAML_RESPONSE_SHAPE, not the length. */
export const MAX_SAML_ASSERTION_CHARS = 100_000;
/** Counted before the DOM is built (docs/limits.md): a real response has tens to a few hundred elements, depth ≤ 12. */
export const SAML_RESPONSE_SHAPE: XmlShapeLimits = { maxElements: 1_000, maxDepth: 32, maxAttributes: 3_000 };
export const SAML_CLOCK_SKEW_MS = 60_000;
export const SAML_ROLE_ATTRIBUTE = 'https://www.aliyun.com/SAML-Role/Attributes/Role';
export const SAML_SESSION_NAME_ATTRIBUTE = 'https://www.aliyun.com/SAML-Role/Attributes/RoleSessionName';
export const SAML_SESSION_DURATION_ATTRIBUTE = 'https://www.aliyun.com/SAML-Role/Attributes/SessionDuration';
/** Audiences of Alibaba Cloud role SSO (China site, international site). */
export const SAML_AUDIENCES = ['urn:alibaba:cloudcomputing', 'urn:alibaba:cloudcomputing:international'];
/** Recipients (Alibaba Cloud's role-SSO endpoint), compared case-insensitively. */
export const SAML_RECIPIENTS = ['https://signin.aliyun.com/saml-role/sso', 'https://signin.alibabacloud.com/saml-role/sso'];
const NAMEID_PREFIX = 'urn:oasis:names:tc:SAML:2.0:nameid-format:';

export interface VerifiedSamlAssertion {
  issuer: string;
  subject: string;
  subjectType: string;
  recipient: string;
  audiences: string[];
  /** Values of the Role attribute: `<role ARN>,<provider ARN>` (either order). */
  roles: string[];
  roleSessionName: string | undefined;
  sessionDuration: number | undefined;
  /** The Assertion's ID (signed): what the replay cache remembers. */
  id: string;
  /** When the assertion stops being accepted (its earliest NotOnOrAfter plus the clock skew), ms. */
  validUntil: number;
}

function invalid(message: string): AppError {
  return new AppError('AuthenticationFail.SAMLAssertion.Invalid', message);
}

/** xs:dateTime, as SAML times are written (SAML core §1.3.3: in UTC, the `Z` often left out). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * A time attribute, ms. One without a zone is UTC, as SAML says: Date.parse read it in the server's time zone, so
 * on a server west of UTC an assertion whose NotOnOrAfter had passed was accepted for hours more (8 under
 * America/Los_Angeles), and one east of UTC refused valid ones (test/redteam-wave15.test.ts).
 */
function time(el: Element | undefined, attr: string): number | undefined {
  const v = el?.getAttribute(attr);
  if (v === null || v === undefined || v === '') return undefined;
  const m = DATE_TIME.exec(v);
  const t = m === null ? NaN : Date.parse(m[1] === undefined ? `${v}Z` : v);
  if (Number.isNaN(t)) throw invalid(`The ${attr} of the SAML assertion is not a time.`);
  return t;
}

/** The metadata's certificates, the one the signature's KeyInfo names (if any) first: usually one check, not one per certificate. */
function certOrder(signature: Element, certs: readonly string[]): readonly string[] {
  const named = signature.getElementsByTagNameNS(SAML_NS.dsig, 'X509Certificate')[0];
  const body = named ? textOf(named).replace(/\s+/g, '') : '';
  if (body === '') return certs;
  const match = certs.find((c) => c.replace(/-----[A-Z ]+-----|\s+/g, '') === body);
  return match === undefined ? certs : [match, ...certs.filter((c) => c !== match)];
}

/** xml-crypto internals (private in its typings) used to find the key before the full check; absent → try all. */
interface SignedXmlInternals {
  getCanonSignedInfoXml?: (doc: unknown) => string;
  findSignatureAlgorithm?: (name: unknown) => { verifySignature: (data: string, key: string, value: string) => boolean };
  signatureAlgorithm?: unknown;
  signatureValue?: unknown;
}

/**
 * The certificates whose key verifies the SignatureValue over the canonical SignedInfo: a small computation per
 * certificate, where xml-crypto's full check re-parses the document and digests the references for each. The full
 * check (with the certificate found) still decides; this only spares it the certificates that cannot pass.
 */
function candidateCerts(signature: Element, certs: readonly string[]): readonly string[] {
  const probe = new SignedXml({ getCertFromKeyInfo: () => null });
  const p = probe as unknown as SignedXmlInternals;
  if (typeof p.getCanonSignedInfoXml !== 'function' || typeof p.findSignatureAlgorithm !== 'function') return certs;
  try {
    probe.loadSignature(signature as unknown as Node);
    // No SignatureValue, an unknown algorithm, a SignedInfo that does not canonicalize: the full check would fail
    // the same way for every certificate, after re-parsing and digesting; none is tried.
    if (typeof p.signatureValue !== 'string' || p.signatureValue === '') return [];
    const canon = p.getCanonSignedInfoXml.call(probe, signature.ownerDocument);
    const algorithm = p.findSignatureAlgorithm.call(probe, p.signatureAlgorithm);
    const value = p.signatureValue;
    return certs.filter((cert) => {
      try {
        return algorithm.verifySignature(canon, cert, value) === true;
      } catch {
        return false;
      }
    });
  } catch {
    return [];
  }
}

/** Verifies one signature (a Signature element) with the metadata's certificates; returns the signed XML or null. */
function signedReference(signature: Element, xml: string, certs: readonly string[]): string | null {
  // Exactly one Reference, counted before xml-crypto runs: it digests every Reference (whole-document scans,
  // canonicalization) before it checks the signature, so many of them cost seconds without any key.
  const refs = signature.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Reference');
  if (refs.length !== 1) return null;
  for (const cert of candidateCerts(signature, certOrder(signature, certs))) {
    const sig = new SignedXml({ publicCert: cert, getCertFromKeyInfo: () => null });
    try {
      sig.loadSignature(signature as unknown as Node);
      // false: a reference digest does not match, which no other key can change (xml-crypto throws when only
      // the SignatureValue is wrong for this key).
      if (!sig.checkSignature(xml)) return null;
      const refs = sig.getSignedReferences();
      if (refs.length !== 1) return null;
      return refs[0]!;
    } catch {
      continue;
    }
  }
  return null;
}

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw invalid(`The SAML response must hold exactly one ${what}.`);
  return items[0]!;
}

/** Verifies a Base64 SAML Response against `metadata` at `now`; returns what AssumeRoleWithSAML consumes. */
export function verifySamlResponse(encoded: string, metadata: SamlMetadata, now: number): VerifiedSamlAssertion {
  if (encoded.length < 4 || encoded.length > MAX_SAML_ASSERTION_CHARS || !/^[A-Za-z0-9+/=\s]+$/.test(encoded)) throw new AppError('InvalidParameter.SAMLAssertion');
  const xml = Buffer.from(encoded, 'base64').toString('utf8');
  if (!xmlShapeWithin(xml, SAML_RESPONSE_SHAPE)) {
    throw invalid(`The SAML response has more than ${SAML_RESPONSE_SHAPE.maxElements} elements, ${SAML_RESPONSE_SHAPE.maxAttributes} attributes or ${SAML_RESPONSE_SHAPE.maxDepth} levels of nesting.`);
  }
  const doc = parseSamlXml(xml, MAX_SAML_ASSERTION_CHARS);
  if (!doc) throw invalid('The SAML response is not well-formed XML.');
  const response = doc.documentElement!;
  if (response.namespaceURI !== SAML_NS.protocol || response.localName !== 'Response') throw invalid('The SAMLAssertion must be a whole SAML 2.0 Response.');
  const status = childrenNS(response, SAML_NS.protocol, 'Status')[0];
  const code = status ? childrenNS(status, SAML_NS.protocol, 'StatusCode')[0]?.getAttribute('Value') : 'urn:oasis:names:tc:SAML:2.0:status:Success';
  if (code !== 'urn:oasis:names:tc:SAML:2.0:status:Success') throw invalid('The SAML response does not report success.');
  if (childrenNS(response, SAML_NS.assertion, 'EncryptedAssertion').length > 0) throw invalid('Encrypted assertions are not supported.');
  const assertion = only(childrenNS(response, SAML_NS.assertion, 'Assertion'), 'Assertion');

  // The Response's own signature, else the Assertion's: what it covers must be that element, by its ID.
  const responseSig = childrenNS(response, SAML_NS.dsig, 'Signature');
  const assertionSig = childrenNS(assertion, SAML_NS.dsig, 'Signature');
  if (responseSig.length > 1 || assertionSig.length > 1) throw new AppError('AuthenticationFail.SAMLAssertion.InvalidSignature');
  let consumed: Element | undefined;
  const signer = responseSig[0] ?? assertionSig[0];
  if (!signer) throw new AppError('AuthenticationFail.SAMLAssertion.InvalidSignature', 'SAML assertion validate failed: neither the Response nor the Assertion is signed.');
  const signedXml = signedReference(signer, xml, metadata.signingCerts);
  const signed = signedXml === null ? null : parseSamlXml(signedXml, MAX_SAML_ASSERTION_CHARS)?.documentElement ?? null;
  if (signed) {
    if (responseSig[0]) {
      const id = response.getAttribute('ID');
      if (signed.localName === 'Response' && signed.namespaceURI === SAML_NS.protocol && id && signed.getAttribute('ID') === id) {
        consumed = only(childrenNS(signed, SAML_NS.assertion, 'Assertion'), 'Assertion');
      }
    } else {
      const id = assertion.getAttribute('ID');
      if (signed.localName === 'Assertion' && signed.namespaceURI === SAML_NS.assertion && id && signed.getAttribute('ID') === id) consumed = signed;
    }
  }
  if (!consumed) throw new AppError('AuthenticationFail.SAMLAssertion.InvalidSignature');

  const assertionId = consumed.getAttribute('ID') ?? '';
  if (assertionId === '' || assertionId.length > 256) throw invalid('The SAML assertion has no ID (or one longer than 256 characters).');
  const issuer = textOf(childrenNS(consumed, SAML_NS.assertion, 'Issuer')[0]);
  if (issuer !== metadata.entityId) throw new AppError('AuthenticationFail.SAMLAssertion.IssuerNotMatch');

  const subjectEl = childrenNS(consumed, SAML_NS.assertion, 'Subject')[0];
  const nameId = subjectEl ? childrenNS(subjectEl, SAML_NS.assertion, 'NameID')[0] : undefined;
  const subject = textOf(nameId);
  if (subject === '') throw invalid('The SAML assertion has no Subject NameID.');
  const format = nameId?.getAttribute('Format') ?? '';
  const subjectType = format.startsWith(NAMEID_PREFIX) ? format.slice(NAMEID_PREFIX.length) : format;
  const confirmations = subjectEl ? childrenNS(subjectEl, SAML_NS.assertion, 'SubjectConfirmation') : [];
  const bearer = confirmations.find((c) => c.getAttribute('Method') === 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
  const data = bearer ? childrenNS(bearer, SAML_NS.assertion, 'SubjectConfirmationData')[0] : undefined;
  if (!data) throw invalid('The SAML assertion has no bearer SubjectConfirmationData.');
  const recipient = data.getAttribute('Recipient') ?? '';
  if (!SAML_RECIPIENTS.includes(recipient.toLowerCase())) throw new AppError('AuthenticationFail.SAMLAssertion.RecipientNotMatch');
  const confirmUntil = time(data, 'NotOnOrAfter');
  if (confirmUntil === undefined) throw invalid('The SubjectConfirmationData of the SAML assertion has no NotOnOrAfter.');
  if (now >= confirmUntil + SAML_CLOCK_SKEW_MS) throw new AppError('AuthenticationFail.SAMLAssertion.Expired');

  const conditions = childrenNS(consumed, SAML_NS.assertion, 'Conditions')[0];
  const notBefore = time(conditions, 'NotBefore');
  const notOnOrAfter = time(conditions, 'NotOnOrAfter');
  if (notBefore !== undefined && notBefore > now + SAML_CLOCK_SKEW_MS) throw invalid('The SAML assertion is not valid yet (NotBefore).');
  if (notOnOrAfter !== undefined && now >= notOnOrAfter + SAML_CLOCK_SKEW_MS) throw new AppError('AuthenticationFail.SAMLAssertion.Expired');
  const audiences = (conditions ? childrenNS(conditions, SAML_NS.assertion, 'AudienceRestriction') : [])
    .flatMap((r) => childrenNS(r, SAML_NS.assertion, 'Audience').map((a) => textOf(a)));
  if (!audiences.some((a) => SAML_AUDIENCES.includes(a))) throw new AppError('AuthenticationFail.SAMLAssertion.AudienceNotMatch');

  const attributes = new Map<string, string[]>();
  for (const statement of childrenNS(consumed, SAML_NS.assertion, 'AttributeStatement')) {
    for (const attr of childrenNS(statement, SAML_NS.assertion, 'Attribute')) {
      const name = attr.getAttribute('Name') ?? '';
      const values = childrenNS(attr, SAML_NS.assertion, 'AttributeValue').map((v) => textOf(v));
      attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
    }
  }
  const duration = attributes.get(SAML_SESSION_DURATION_ATTRIBUTE)?.[0];
  if (duration !== undefined && !/^\d{1,9}$/.test(duration)) throw invalid('The SessionDuration attribute of the SAML assertion is not a number of seconds.');
  return {
    issuer,
    subject,
    subjectType,
    recipient,
    audiences,
    roles: attributes.get(SAML_ROLE_ATTRIBUTE) ?? [],
    roleSessionName: attributes.get(SAML_SESSION_NAME_ATTRIBUTE)?.[0],
    sessionDuration: duration === undefined ? undefined : Number(duration),
    id: assertionId,
    validUntil: Math.min(confirmUntil, notOnOrAfter ?? Infinity) + SAML_CLOCK_SKEW_MS,
  };
}
