// OIDC token verification for AssumeRoleWithOIDC (docs/federation.md "What is verified"): the JWT's form and
// algorithm, its issuer (= the provider's IssuerUrl), its signature with the issuer's keys (sts/jwks.ts),
// its audience (∈ the provider's ClientIds) and its times (exp, nbf, iat within the provider's
// IssuanceLimitTime), each refusal with the STS error code the API reference documents.
import { constants, KeyObject, verify as cryptoVerify, type webcrypto } from 'node:crypto';
import type { CompactJWSHeaderParameters, FlattenedJWSInput } from 'jose';
import { AppError } from '../errors.js';
import { isDateTime } from '../util/time.js';
import type { OidcProvider } from '../ims/model.js';
import type { JwksCache } from './jwks.js';

/** Asymmetric JWS algorithms only: `none` and HS* (a shared secret the IdP would have to give us) are refused. */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Clock skew allowed on exp / nbf / iat. */
export const OIDC_CLOCK_SKEW_MS = 60_000;
export const MAX_OIDC_TOKEN_CHARS = 20_000;

export interface VerifiedOidcToken {
  iss: string;
  sub: string;
  aud: string[];
  /** Epoch ms. */
  exp: number;
  iat: number;
}

function invalid(message: string): AppError {
  return new AppError('AuthenticationFail.OIDCToken.Invalid', message);
}

function decodePart(part: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw invalid('Cannot decode base64 encoded response(format invalided).');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw invalid('Cannot decode base64 encoded response(format invalided).');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('The Jwt content is invalid that cannot be recognized.');
  return v as Record<string, unknown>;
}

function seconds(v: unknown, name: string, required: boolean): number | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`The Jwt claim ${name} is missing or not a number.`);
  // A time no Date holds cannot be written back (Expiration, the audit record): it was a 500.
  if (!isDateTime(v * 1000)) throw invalid(`The Jwt claim ${name} is not a valid time.`);
  return v * 1000;
}

/**
 * Verifies `token` for `provider` at `now`; returns the claims AssumeRoleWithOIDC uses. Order: form, alg,
 * issuer, signature (keys fetched only for a token that names this issuer), audience, times.
 */
export async function verifyOidcToken(token: string, provider: OidcProvider, jwks: JwksCache, now: number): Promise<VerifiedOidcToken> {
  if (token === '') throw invalid('The OIDCToken can not empty.');
  const parts = token.split('.');
  if (parts.length !== 3 || parts[2] === '') throw invalid("The number of Jwt field should be divided into 3 parts with '.' .");
  const header = decodePart(parts[0]!);
  const claims = decodePart(parts[1]!);
  const alg = header.alg;
  if (typeof alg !== 'string' || !OIDC_ALGORITHMS.includes(alg)) {
    throw invalid(`The algorithm ${typeof alg === 'string' ? alg.slice(0, 32) : 'null'} that be specified in Jwt header is unknown.`);
  }
  if (typeof claims.iss !== 'string' || claims.iss !== provider.issuerUrl) throw new AppError('AuthenticationFail.OIDCToken.IssuerNotMatch');

  if (header.crit !== undefined || header.b64 !== undefined) throw invalid('The Jwt header uses extensions (crit, b64) that are not supported.');

  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const keys = await jwks.keysFor(provider.issuerUrl, provider.fingerprints, kid);
  // jose picks the issuer's key for this header (kid, and a key type that fits alg) and imports it; the
  // signature itself is checked with node:crypto, which costs ~1/7 of WebCrypto's CPU per RSA verify.
  let key: KeyObject;
  try {
    key = keyObjectOf(await keys(header as unknown as CompactJWSHeaderParameters, { payload: parts[1]!, signature: parts[2]! } as FlattenedJWSInput) as webcrypto.CryptoKey);
  } catch (err) {
    const { errors: joseErrors } = await import('jose'); // loaded already: keysFor() made `keys`
    if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) throw new AppError('AuthenticationFail.OIDCToken.InvalidSignature');
    if (err instanceof joseErrors.JOSEError) throw invalid('The Jwt content is invalid that cannot be recognized.');
    throw err;
  }
  if (!signatureValid(alg, key, Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), Buffer.from(parts[2]!, 'base64url'))) {
    throw new AppError('AuthenticationFail.OIDCToken.InvalidSignature');
  }

  const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) && claims.aud.every((a) => typeof a === 'string') ? (claims.aud as string[]) : [];
  if (aud.length === 0 || !aud.some((a) => provider.clientIds.includes(a))) throw new AppError('AuthenticationFail.OIDCToken.AudienceNotMatch');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw invalid('The Jwt claim sub is missing.');

  const exp = seconds(claims.exp, 'exp', true)!;
  const iat = seconds(claims.iat, 'iat', true)!;
  const nbf = seconds(claims.nbf, 'nbf', false);
  if (now >= exp + OIDC_CLOCK_SKEW_MS) throw new AppError('AuthenticationFail.OIDCToken.Expired');
  if (nbf !== undefined && nbf > now + OIDC_CLOCK_SKEW_MS) throw invalid('The OIDC token is not valid yet (nbf).');
  if (iat > now + OIDC_CLOCK_SKEW_MS) throw invalid('The OIDC token is issued in the future (iat).');
  if (now - iat > provider.issuanceLimitTime * 3_600_000) {
    throw invalid(`The OIDC token was issued more than IssuanceLimitTime (${provider.issuanceLimitTime} hours) ago.`);
  }
  return { iss: claims.iss, sub: claims.sub, aud, exp, iat };
}

/** The imported keys are kept by jose's key set; their node:crypto form is made once per key. */
const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();

function keyObjectOf(k: webcrypto.CryptoKey): KeyObject {
  let o = keyObjects.get(k);
  if (!o) {
    o = KeyObject.from(k);
    keyObjects.set(k, o);
  }
  return o;
}

/** JWS signature check (RFC 7518 §3) for the allowed algorithms; false on any mismatch. */
function signatureValid(alg: string, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    if (alg === 'EdDSA') return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? cryptoVerify(null, data, key, signature) : false;
    const hash = `sha${alg.slice(2)}`;
    if (alg.startsWith('RS')) return key.asymmetricKeyType === 'rsa' && cryptoVerify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    if (alg.startsWith('PS')) {
      return (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
        cryptoVerify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 }, signature);
    }
    if (alg.startsWith('ES')) {
      const curve = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }[alg];
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === curve && cryptoVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    return false;
  } catch {
    return false;
  }
}
