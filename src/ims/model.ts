// IMS identity providers (Version 2019-08-15): what an OIDC or SAML provider is, its rules and its stored
// document. Protocol-free; rpc/ims-actions.ts renders them.
import { createHash, X509Certificate } from 'node:crypto';
import { AppError } from '../errors.js';
import { childrenNS, descendantsNS, parseSamlXml, SAML_NS, textOf } from './xml.js';
import type { XmlShapeLimits } from './xml-shape.js';

export interface OidcProvider {
  name: string;
  issuerUrl: string;
  /** Lower-case hex SHA-1 fingerprints (40 characters), in the order given. */
  fingerprints: string[];
  clientIds: string[];
  /** Hours: a token whose `iat` is older than this is refused. */
  issuanceLimitTime: number;
  description: string;
  createDate: number;
  updateDate: number;
}

export interface SamlProvider {
  name: string;
  /** Base64 of the metadata document, as given. */
  encodedMetadata: string;
  description: string;
  createDate: number;
  updateDate: number;
}

/** What AssumeRoleWithSAML needs from a provider's metadata. */
export interface SamlMetadata {
  entityId: string;
  /** PEM certificates of the IdP's signing keys (use="signing" or no use). */
  signingCerts: string[];
}

export const IMS_LIMITS = { oidcProviders: 100, samlProviders: 100, clientIds: 20, fingerprints: 5 } as const;
export const DEFAULT_ISSUANCE_LIMIT_HOURS = 12;
/** Metadata documents: the decoded XML at most 102,400 bytes, the size Alibaba Cloud documents for a SAML
 *  provider's metadata (ROS ALIYUN::RAM::SAMLProvider); real ones are 2-60 KiB (docs/limits.md). */
export const MAX_METADATA_CHARS = 102_400;
/** Signing certificates per metadata document: one, two while an IdP rolls its key over; each may cost one
 *  signature check per AssumeRoleWithSAML. */
export const MAX_SIGNING_CERTS = 5;
/** Counted before the DOM is built; ADFS's full federation metadata has well under a thousand elements. */
export const METADATA_SHAPE: XmlShapeLimits = { maxElements: 5_000, maxDepth: 32, maxAttributes: 10_000 };

const PROVIDER_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/;
const CLIENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const FINGERPRINT_RE = /^[0-9A-Fa-f]{40}$/;

export function checkProviderName(kind: 'oidc' | 'saml', name: string): string {
  if (!PROVIDER_NAME_RE.test(name)) throw new AppError(kind === 'oidc' ? 'InvalidParameter.OIDCProviderName' : 'InvalidParameter.SAMLProviderName');
  return name;
}

export function checkDescription(text: string | undefined): string {
  if (text === undefined) return '';
  if (text.length > 256) throw new AppError('InvalidParameter.Description.Length');
  return text;
}

/** https only, no query / fragment / user information, ≤ 255 characters; kept as given (no trailing-slash games). */
export function checkIssuerUrl(url: string): string {
  const bad = new AppError('InvalidParameter.IssuerUrl');
  if (url.length > 255 || !url.startsWith('https://') || /[?#@\s]/.test(url)) throw bad;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' || u.hostname === '') throw bad;
  } catch {
    throw bad;
  }
  return url;
}

/** A comma-separated list: empty items dropped, duplicates kept once. */
function list(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...new Set(text.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
}

export function parseClientIds(text: string | undefined): string[] {
  const ids = list(text);
  for (const id of ids) if (!CLIENT_ID_RE.test(id)) throw new AppError('InvalidParameter.ClientIds');
  if (ids.length > IMS_LIMITS.clientIds) throw new AppError('LimitExceeded.OIDCProvider.ClientId');
  return ids;
}

export function checkFingerprint(fp: string): string {
  if (!FINGERPRINT_RE.test(fp)) throw new AppError('InvalidParameter.Fingerprints');
  return fp.toLowerCase();
}

export function parseFingerprints(text: string | undefined): string[] {
  const fps = [...new Set(list(text).map(checkFingerprint))];
  if (fps.length > IMS_LIMITS.fingerprints) throw new AppError('LimitExceeded.OIDCProvider.Fingerprint');
  return fps;
}

export function parseIssuanceLimitTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,3}$/.test(text)) throw new AppError('InvalidParameter.IssuanceLimitTime');
  const n = Number(text);
  if (n < 1 || n > 168) throw new AppError('InvalidParameter.IssuanceLimitTime');
  return n;
}

/** SHA-1 of a DER certificate as the provider stores fingerprints (lower-case hex, no colons). */
export function certFingerprint(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}

function pem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Decodes and reads a SAML 2.0 metadata document: an EntityDescriptor with an IDPSSODescriptor carrying at
 * least one signing certificate. InvalidParameter.EncodedSAMLMetadataDocument otherwise.
 */
export function parseSamlMetadata(encoded: string): SamlMetadata {
  const bad = new AppError('InvalidParameter.EncodedSAMLMetadataDocument');
  if (!/^[A-Za-z0-9+/=\s]+$/.test(encoded)) throw bad;
  const compact = encoded.replace(/\s+/g, '');
  const xml = compact.length > Math.ceil(MAX_METADATA_CHARS / 3) * 4 ? null : Buffer.from(compact, 'base64');
  if (xml === null || xml.length > MAX_METADATA_CHARS) {
    throw new AppError('InvalidParameter.EncodedSAMLMetadataDocument', `The parameter - "EncodedSAMLMetadataDocument" is larger than ${MAX_METADATA_CHARS} bytes once decoded.`);
  }
  const doc = parseSamlXml(xml.toString('utf8'), MAX_METADATA_CHARS, METADATA_SHAPE);
  if (!doc) throw bad;
  const root = doc.documentElement!;
  const entity = root.namespaceURI === SAML_NS.metadata && root.localName === 'EntityDescriptor'
    ? root
    : descendantsNS(doc, SAML_NS.metadata, 'EntityDescriptor')[0];
  if (!entity) throw bad;
  const entityId = entity.getAttribute('entityID') ?? '';
  const idp = childrenNS(entity, SAML_NS.metadata, 'IDPSSODescriptor')[0];
  if (entityId === '' || !idp) throw bad;
  const signingCerts: string[] = [];
  for (const kd of childrenNS(idp, SAML_NS.metadata, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    if (use !== null && use !== '' && use !== 'signing') continue;
    for (const c of descendantsNS(kd, SAML_NS.dsig, 'X509Certificate')) {
      const p = pem(textOf(c));
      try {
        new X509Certificate(p);
      } catch {
        throw bad;
      }
      if (!signingCerts.includes(p)) signingCerts.push(p);
      if (signingCerts.length > MAX_SIGNING_CERTS) {
        throw new AppError('InvalidParameter.EncodedSAMLMetadataDocument', `The parameter - "EncodedSAMLMetadataDocument" has more than ${MAX_SIGNING_CERTS} signing certificates.`);
      }
    }
  }
  if (signingCerts.length === 0) throw bad;
  return { entityId, signingCerts };
}
