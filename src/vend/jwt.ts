import { createHmac, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { safeEqualBytes } from '../util/safe-equal.js';

// Just enough JWT (RFC 7519, compact JWS) for bearer tokens: HS256, RS256 and ES256. The accepted
// algorithm comes from the configured key, never from the token header alone (no `none`, no HS256 made
// with a public key as the secret).

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface VerificationKey {
  alg: JwtAlgorithm;
  /** `kid` of a JWKS entry; a token naming a kid must match it. */
  kid?: string;
  /** HS256: the shared secret; RS256/ES256: the public key. */
  key: Buffer | KeyObject;
}

export type JwtClaims = Record<string, unknown>;

export class JwtError extends Error {}

const MAX_TOKEN_LENGTH = 8192;

const b64url = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');

export function signHs256(claims: JwtClaims, secret: Buffer): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new JwtError(`malformed token (${what} is not base64url)`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError(`malformed token (${what} is not JSON)`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new JwtError(`malformed token (${what} is not an object)`);
  return v as Record<string, unknown>;
}

/** Verifies the signature with one of `keys`; returns the claims (time and audience checks are separate). */
export function verifySignature(token: string, keys: readonly VerificationKey[]): JwtClaims {
  if (token.length > MAX_TOKEN_LENGTH) throw new JwtError('token too long');
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed token (expected three parts)');
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h, 'header');
  const alg = header.alg;
  if (typeof alg !== 'string') throw new JwtError('token header has no alg');
  if (header.crit !== undefined) throw new JwtError('token header has unsupported crit parameters');
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const candidates = keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === undefined || k.kid === kid));
  if (candidates.length === 0) throw new JwtError(`token algorithm ${JSON.stringify(alg)}${kid !== undefined ? ` with kid ${JSON.stringify(kid)}` : ''} is not accepted`);
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new JwtError('malformed token (signature is not base64url)');
  const signed = `${h}.${p}`;
  const sig = Buffer.from(s, 'base64url');
  if (!candidates.some((k) => checkSignature(k, signed, sig))) throw new JwtError('bad token signature');
  return decodeJson(p, 'payload');
}

function checkSignature(k: VerificationKey, signed: string, sig: Buffer): boolean {
  if (k.alg === 'HS256') {
    const expected = createHmac('sha256', k.key as Buffer).update(signed).digest();
    return safeEqualBytes(expected, sig);
  }
  const v = createVerify('sha256').update(signed);
  // ES256 signatures in JWS are raw r‖s (64 bytes), not DER.
  if (k.alg === 'ES256') return sig.length === 64 && v.verify({ key: k.key as KeyObject, dsaEncoding: 'ieee-p1363' }, sig);
  return v.verify(k.key as KeyObject, sig);
}

export interface ClaimChecks {
  issuer: string;
  audience: string;
  /** Seconds of clock difference tolerated for exp and nbf. */
  leewaySeconds: number;
  now: number;
}

/** Registered-claim checks: exp (required), nbf, iss, aud (string or array). */
export function checkClaims(claims: JwtClaims, c: ClaimChecks): void {
  const nowS = c.now / 1000;
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new JwtError('token has no exp claim');
  if (nowS >= claims.exp + c.leewaySeconds) throw new JwtError('token has expired');
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)) throw new JwtError('token nbf claim is not a number');
    if (nowS + c.leewaySeconds < claims.nbf) throw new JwtError('token is not valid yet (nbf)');
  }
  if (claims.iss !== c.issuer) throw new JwtError('token issuer (iss) is not accepted');
  const aud = claims.aud;
  const auds = Array.isArray(aud) ? aud : [aud];
  if (!auds.includes(c.audience)) throw new JwtError('token audience (aud) is not accepted');
}

/** Keys from a JWKS document (`{"keys": [...]}`): RSA → RS256, EC P-256 → ES256 (public keys only). */
export function keysFromJwks(doc: unknown): VerificationKey[] {
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) throw new Error('expected {"keys": [ ... ]} with at least one key');
  return list.map((jwk: unknown, i) => {
    if (jwk === null || typeof jwk !== 'object') throw new Error(`keys[${i}]: not an object`);
    const j = jwk as Record<string, unknown>;
    if (j.use !== undefined && j.use !== 'sig') throw new Error(`keys[${i}]: use is ${JSON.stringify(j.use)}, not "sig"`);
    const kid = typeof j.kid === 'string' ? j.kid : undefined;
    let alg: JwtAlgorithm;
    if (j.kty === 'RSA') alg = 'RS256';
    else if (j.kty === 'EC' && j.crv === 'P-256') alg = 'ES256';
    else throw new Error(`keys[${i}]: only RSA and EC P-256 public keys are supported (kty ${JSON.stringify(j.kty)})`);
    if (j.alg !== undefined && j.alg !== alg) throw new Error(`keys[${i}]: alg ${JSON.stringify(j.alg)} does not fit a ${String(j.kty)} key (expected ${alg})`);
    if (j.d !== undefined) throw new Error(`keys[${i}]: is a private key; give only public keys`);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: j as import('node:crypto').JsonWebKey, format: 'jwk' });
    } catch (err) {
      throw new Error(`keys[${i}]: ${err instanceof Error ? err.message : String(err)}`);
    }
    return kid === undefined ? { alg, key } : { alg, kid, key };
  });
}

/** A PEM public key; its type decides the algorithm (RSA → RS256, EC P-256 → ES256). */
export function keyFromPem(pem: string): VerificationKey {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === 'rsa') return { alg: 'RS256', key };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { alg: 'ES256', key };
  throw new Error(`unsupported key type ${String(key.asymmetricKeyType)}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''}; use an RSA or EC P-256 public key`);
}
