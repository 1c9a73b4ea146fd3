import { safeEqual } from '../util/safe-equal.js';
import { AppError, invalidArgument } from '../errors.js';
import { isoSeconds, parseHttpDate, parseIsoBasic } from '../util/time.js';
import { ANONYMOUS, type CredentialResolver, type Principal } from './principal.js';
import { headerValue, type SignableRequest } from './signature/request.js';
import { signV1, stringToSignV1 } from './signature/v1.js';
import {
  canonicalRequestV4,
  scopeOf,
  signingKeyV4,
  signV4,
  stringToSignV4,
  UNSIGNED_PAYLOAD,
  V4_ALGORITHM,
} from './signature/v4.js';

export const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_V4_URL_EXPIRES = 604800;

export type AuthMethod = 'anonymous' | 'v1' | 'v1-url' | 'v4' | 'v4-url' | 'post-v1' | 'post-v4';

export interface Authenticated {
  principal: Principal;
  method: AuthMethod;
  accessKeyId?: string;
  /** Hex SHA-256 the body must have (signed V4 payload); every reader of the body checks it (domain/ingest.ts signedBody). */
  payloadSha256?: string;
}

export interface AuthenticateOptions {
  credentials: CredentialResolver;
  region: string;
  now: number;
}

function queryValue(req: SignableRequest, name: string): string | undefined {
  for (const [k, v] of req.query) if (k === name) return v;
  return undefined;
}

function hexBytes(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function mismatch(accessKeyId: string, provided: string, stringToSign: string, canonicalRequest?: string): AppError {
  const detail: Record<string, string> = {
    OSSAccessKeyId: accessKeyId,
    SignatureProvided: provided,
    StringToSign: stringToSign,
    StringToSignBytes: hexBytes(stringToSign),
  };
  if (canonicalRequest !== undefined) {
    detail.CanonicalRequest = canonicalRequest;
    detail.CanonicalRequestBytes = hexBytes(canonicalRequest);
  }
  return new AppError('SignatureDoesNotMatch', undefined, detail);
}

function checkSkew(requestTime: number, now: number, raw: string): void {
  if (Math.abs(now - requestTime) > MAX_SKEW_MS) {
    throw new AppError('RequestTimeTooSkewed', undefined, {
      RequestTime: raw,
      ServerTime: isoSeconds(now),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
}

/**
 * A presigned URL signed with STS credentials must not outlive its token (oss-protocol §5, ram-sts §5.6):
 * refused once the signature is known to be good, whatever the current time.
 */
export const URL_OUTLIVES_TOKEN_MESSAGE = 'The expiration time of the signed URL must not be later than the expiration time of the security token.';

function checkUrlWithinToken(principal: Principal, urlExpiresAt: number): void {
  if (principal.type === 'session' && urlExpiresAt > principal.expiration) {
    throw new AppError('AccessDenied', URL_OUTLIVES_TOKEN_MESSAGE, {
      Expires: isoSeconds(urlExpiresAt),
      SecurityTokenExpiration: isoSeconds(principal.expiration),
    });
  }
}

/**
 * Verifies whatever signature a request carries (spec §2 order) and returns who it acts as.
 * Requests with no signature are anonymous; authorization decides what they may do.
 */
export async function authenticate(req: SignableRequest, opts: AuthenticateOptions): Promise<Authenticated> {
  const authorization = headerValue(req.headers, 'authorization');
  const hasV1Url = req.query.some(([k]) => k === 'OSSAccessKeyId' || k === 'Signature');
  const hasV4Url = req.query.some(([k]) => k === 'x-oss-signature-version' || k === 'x-oss-signature' || k === 'x-oss-credential');
  if (authorization !== undefined && (hasV1Url || hasV4Url)) {
    throw invalidArgument('Only one auth mechanism allowed; only the X-OSS-Signature parameter or the Authorization header should be specified.', 'Authorization');
  }
  const headerToken = headerValue(req.headers, 'x-oss-security-token');
  const urlToken = queryValue(req, 'security-token') ?? queryValue(req, 'x-oss-security-token');
  if (headerToken !== undefined && urlToken !== undefined) {
    throw invalidArgument('The security token must be given only once, in a header or in the URL.', 'security-token');
  }

  if (authorization !== undefined) {
    if (authorization.startsWith('OSS ')) return verifyV1Header(req, authorization, headerToken, opts);
    if (authorization.startsWith(`${V4_ALGORITHM} `)) return verifyV4Header(req, authorization, headerToken, opts);
    if (authorization.startsWith('OSS2 ')) throw new AppError('NotImplemented', 'Signature version 2 (OSS2) is not supported; use V1 or V4.');
    throw invalidArgument('Authorization header is invalid.', 'Authorization', authorization.slice(0, 32));
  }
  if (hasV4Url) return verifyV4Url(req, urlToken, opts);
  if (hasV1Url || queryValue(req, 'Expires') !== undefined) return verifyV1Url(req, urlToken, opts);
  return { principal: ANONYMOUS, method: 'anonymous' };
}

async function verifyV1Header(req: SignableRequest, authorization: string, token: string | undefined, opts: AuthenticateOptions): Promise<Authenticated> {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw invalidArgument('Authorization header is invalid.', 'Authorization', authorization.slice(0, 32));
  const accessKeyId = m[1]!;
  const provided = m[2]!;
  const dateSlot = headerValue(req.headers, 'x-oss-date') ?? headerValue(req.headers, 'date');
  const time = dateSlot === undefined ? NaN : parseHttpDate(dateSlot);
  if (dateSlot === undefined || Number.isNaN(time)) throw new AppError('AccessDenied', 'OSS authentication requires a valid Date.');
  checkSkew(time, opts.now, dateSlot);
  const cred = await opts.credentials.resolve(accessKeyId, token);
  const sts = stringToSignV1(req, dateSlot, false);
  if (!safeEqual(signV1(cred.secret, sts), provided)) throw mismatch(accessKeyId, provided, sts);
  return { principal: cred.principal, method: 'v1', accessKeyId };
}

async function verifyV1Url(req: SignableRequest, token: string | undefined, opts: AuthenticateOptions): Promise<Authenticated> {
  const accessKeyId = queryValue(req, 'OSSAccessKeyId');
  const expires = queryValue(req, 'Expires');
  const provided = queryValue(req, 'Signature');
  if (!accessKeyId || !expires || !provided) {
    throw new AppError('AccessDenied', 'Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters');
  }
  if (!/^\d+$/.test(expires)) throw new AppError('AccessDenied', 'Invalid date (should be seconds since epoch).', { Expires: expires });
  if (opts.now > Number(expires) * 1000) {
    throw new AppError('AccessDenied', 'Request has expired.', {
      Expires: isoSeconds(Number(expires) * 1000),
      ServerTime: isoSeconds(opts.now),
    });
  }
  const cred = await opts.credentials.resolve(accessKeyId, token);
  const sts = stringToSignV1(req, expires, true);
  if (!safeEqual(signV1(cred.secret, sts), provided)) throw mismatch(accessKeyId, provided, sts);
  checkUrlWithinToken(cred.principal, Number(expires) * 1000);
  return { principal: cred.principal, method: 'v1-url', accessKeyId };
}

interface V4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  product: string;
}

function parseCredential(value: string): V4Credential {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aliyun_v4_request' || !/^\d{8}$/.test(parts[1]!) || parts[0] === '') {
    throw invalidArgument('Invalid credential in Authorization header; expected <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.', 'Credential', value);
  }
  return { accessKeyId: parts[0]!, date: parts[1]!, region: parts[2]!, product: parts[3]! };
}

function parseAdditionalHeaders(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const names = value.split(';').map((s) => s.trim().toLowerCase());
  if (names.some((n) => n === '')) throw invalidArgument('AdditionalHeaders must not contain an empty header name.', 'AdditionalHeaders', value);
  return [...new Set(names)].sort();
}

function checkScope(cred: V4Credential, isoDate: string, opts: AuthenticateOptions): void {
  if (cred.product !== 'oss') throw invalidArgument(`Invalid signing product "${cred.product}" in credential; expected "oss".`, 'Credential', cred.product);
  if (cred.region !== opts.region) {
    throw invalidArgument(`Invalid signing region "${cred.region}" in credential; this endpoint is "${opts.region}".`, 'Credential', cred.region);
  }
  if (isoDate.slice(0, 8) !== cred.date) {
    throw invalidArgument('The date in the credential does not match x-oss-date.', 'x-oss-date', isoDate);
  }
}

/** Checks a V4 signature, retrying with ali-oss's `k=` canonicalization of empty parameters. */
function verifyV4Signature(req: SignableRequest, secret: string, cred: V4Credential, isoDate: string, provided: string, additional: string[], payloadHash: string, excludeQuery?: string): void {
  const key = signingKeyV4(secret, cred.date, cred.region, cred.product);
  const scope = scopeOf(cred.date, cred.region, cred.product);
  const canonical = canonicalRequestV4(req, { additionalHeaders: additional, payloadHash, excludeQuery });
  const sts = stringToSignV4(isoDate, scope, canonical);
  if (safeEqual(signV4(key, sts), provided.toLowerCase())) return;
  if (req.query.some(([, v]) => v === '')) {
    const alt = canonicalRequestV4(req, { additionalHeaders: additional, payloadHash, excludeQuery, emptyAsEquals: true });
    if (safeEqual(signV4(key, stringToSignV4(isoDate, scope, alt)), provided.toLowerCase())) return;
  }
  throw mismatch(cred.accessKeyId, provided, sts, canonical);
}

async function verifyV4Header(req: SignableRequest, authorization: string, token: string | undefined, opts: AuthenticateOptions): Promise<Authenticated> {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(V4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const provided = fields.get('Signature');
  if (!credential || !provided) throw invalidArgument('Authorization header is invalid: Credential and Signature are required.', 'Authorization');
  const cred = parseCredential(credential);
  const isoDate = headerValue(req.headers, 'x-oss-date');
  if (isoDate === undefined) throw new AppError('AccessDenied', 'OSS authentication requires a valid Date.');
  const time = parseIsoBasic(isoDate);
  if (Number.isNaN(time)) throw invalidArgument('x-oss-date must be in ISO 8601 basic format (yyyymmddThhmmssZ).', 'x-oss-date', isoDate);
  checkScope(cred, isoDate, opts);
  checkSkew(time, opts.now, isoDate);
  const payloadHash = headerValue(req.headers, 'x-oss-content-sha256');
  if (payloadHash === undefined) throw invalidArgument('Missing required header for this request: x-oss-content-sha256.', 'x-oss-content-sha256');
  if (payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-fA-F]{64}$/.test(payloadHash)) {
    throw invalidArgument('x-oss-content-sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256.', 'x-oss-content-sha256', payloadHash);
  }
  const additional = parseAdditionalHeaders(fields.get('AdditionalHeaders'));
  const resolved = await opts.credentials.resolve(cred.accessKeyId, token);
  verifyV4Signature(req, resolved.secret, cred, isoDate, provided, additional, payloadHash);
  return {
    principal: resolved.principal,
    method: 'v4',
    accessKeyId: cred.accessKeyId,
    ...(payloadHash !== UNSIGNED_PAYLOAD ? { payloadSha256: payloadHash.toLowerCase() } : {}),
  };
}

async function verifyV4Url(req: SignableRequest, token: string | undefined, opts: AuthenticateOptions): Promise<Authenticated> {
  const version = queryValue(req, 'x-oss-signature-version');
  const credential = queryValue(req, 'x-oss-credential');
  const isoDate = queryValue(req, 'x-oss-date');
  const expires = queryValue(req, 'x-oss-expires');
  const provided = queryValue(req, 'x-oss-signature');
  if (version !== V4_ALGORITHM) throw invalidArgument(`x-oss-signature-version must be ${V4_ALGORITHM}.`, 'x-oss-signature-version', version ?? '');
  if (!credential || !isoDate || !expires || !provided) {
    throw new AppError('AccessDenied', 'Query-string authentication requires the x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature parameters');
  }
  const cred = parseCredential(credential);
  const time = parseIsoBasic(isoDate);
  if (Number.isNaN(time)) throw invalidArgument('x-oss-date must be in ISO 8601 basic format (yyyymmddThhmmssZ).', 'x-oss-date', isoDate);
  if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_V4_URL_EXPIRES) {
    throw invalidArgument('x-oss-expires must be a number of seconds from 1 to 604800.', 'x-oss-expires', expires);
  }
  checkScope(cred, isoDate, opts);
  if (time - opts.now > MAX_SKEW_MS) checkSkew(time, opts.now, isoDate);
  if (opts.now > time + Number(expires) * 1000) {
    throw new AppError('AccessDenied', 'Request has expired.', {
      Expires: isoSeconds(time + Number(expires) * 1000),
      ServerTime: isoSeconds(opts.now),
    });
  }
  const additional = parseAdditionalHeaders(queryValue(req, 'x-oss-additional-headers'));
  const resolved = await opts.credentials.resolve(cred.accessKeyId, token);
  verifyV4Signature(req, resolved.secret, cred, isoDate, provided, additional, UNSIGNED_PAYLOAD, 'x-oss-signature');
  checkUrlWithinToken(resolved.principal, time + Number(expires) * 1000);
  return { principal: resolved.principal, method: 'v4-url', accessKeyId: cred.accessKeyId };
}
