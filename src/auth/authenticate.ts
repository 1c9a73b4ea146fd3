import { safeEqual } from '../util/safe-equal.js';
import { AppError, invalidArgument } from '../errors.js';
import { isoBasic, isoSeconds, parseHttpDate, parseIsoBasic } from '../util/time.js';
import { ANONYMOUS, type Credential, type CredentialResolver, type Principal } from './principal.js';
import { headerValue, NEVER_LEGACY_SIGNED, type SignableRequest } from './signature/request.js';
import { ambiguousV1Parameter, signV1, stringToSignV1, subResourceListsDiffer } from './signature/v1.js';
import { signV2, stringToSignV2, unnamedAdditionalHeadersV2, V2_VERSION } from './signature/v2.js';
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
// OSS error classes (ECs) of the documented signature failures.
const EC_URL_EXPIRED = '0002-00000069';
const EC_URL_EXPIRES_INVALID = '0002-00000070';
const EC_TOKEN_TWICE = '0002-00000010';
const EC_V4_REGION = '0002-00000226';
const EC_V4_PRODUCT = '0002-00000227';

/**
 * A header signature without a request time it can read: OSS's ECs tell no `Date`/`x-oss-date` at all (0002-00000503)
 * from one in the wrong format (0002-00000502: `Date` must be RFC 1123, `x-oss-date` ISO 8601 basic; the Android SDK's
 * V4 signer of 2.9.x sends its ISO time in `Date` alone). Code and status stay Alunite's choice (compatibility.md).
 */
function invalidDate(given: string | undefined): AppError {
  return new AppError('AccessDenied', 'OSS authentication requires a valid Date.', undefined, given === undefined ? '0002-00000503' : '0002-00000502');
}

export type AuthMethod = 'anonymous' | 'v1' | 'v1-url' | 'v2' | 'v2-url' | 'v4' | 'v4-url' | 'post-v1' | 'post-v4';

export interface Authenticated {
  principal: Principal;
  method: AuthMethod;
  accessKeyId?: string;
  /** Hex SHA-256 the body must have (signed V4 payload); every reader of the body checks it (domain/ingest.ts signedBody). */
  payloadSha256?: string;
  /** The signature as verified (V1/V2: base64, V4: lower-case hex) of a header signature: what a replay must repeat. */
  signature?: string;
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

/** A presigned URL past its own expiry (checked before the signature, spec §4). */
function urlExpired(expiresAt: number, now: number): AppError {
  return new AppError('AccessDenied', 'Request has expired.', { Expires: isoSeconds(expiresAt), ServerTime: isoSeconds(now) }, EC_URL_EXPIRED);
}

// A presigned URL signed with STS credentials may outlive its token: it works until the earlier of the two
// expiries (spec oss-protocol §5), then the credential resolver answers SecurityTokenExpired. So nothing
// here compares the URL's expiry with the token's.

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
    throw new AppError('InvalidArgument', 'The security token must be given only once, in a header or in the URL.', { ArgumentName: 'security-token' }, EC_TOKEN_TWICE);
  }

  if (authorization !== undefined) {
    if (authorization.startsWith('OSS ')) return verifyV1Header(req, authorization, headerToken, opts);
    if (authorization.startsWith(`${V4_ALGORITHM} `)) return verifyV4Header(req, authorization, headerToken, opts);
    if (authorization.startsWith(`${V2_VERSION} `)) return verifyV2Header(req, authorization, headerToken, opts);
    throw invalidArgument('Authorization header is invalid.', 'Authorization', authorization.slice(0, 32));
  }
  if (hasV4Url) {
    return queryValue(req, 'x-oss-signature-version') === V2_VERSION ? verifyV2Url(req, urlToken, opts) : verifyV4Url(req, urlToken, opts);
  }
  if (hasV1Url || queryValue(req, 'Expires') !== undefined) return verifyV1Url(req, urlToken, opts);
  return { principal: ANONYMOUS, method: 'anonymous' };
}

/**
 * A V1 signature over a query whose StringToSign would also be another request's (v1.ts ambiguousV1Parameter):
 * refused before the signature is checked, which could not tell the two apart.
 */
function refuseAmbiguousV1(req: SignableRequest): void {
  const name = ambiguousV1Parameter(req);
  if (name === null) return;
  throw invalidArgument(
    'A V1 signature cannot cover this query: a signed parameter name holds "=" or "&", or a signed value holds "&" followed by a signed parameter name, so its StringToSign reads as another request\'s. Encode it differently or sign with V4.',
    name.slice(0, 64),
    (queryValue(req, name) ?? '').slice(0, 64),
  );
}

/**
 * A query key given twice with different values under a V2 or V4 signature. Both sort the parameters by name and
 * then by value, so the order they came in is not signed, while the handlers act on the last one: a URL signed with
 * `versionId=<a>&versionId=<b>` could be sent as `versionId=<b>&versionId=<a>` to read the other version. No OSS
 * operation takes a parameter twice and no SDK sends one twice; V1 signs them in the order sent.
 */
function refuseUnorderedRepeats(req: SignableRequest): void {
  if (req.query.length < 2) return;
  const seen = new Map<string, string>();
  for (const [k, v] of req.query) {
    const first = seen.get(k);
    if (first === undefined) seen.set(k, v);
    else if (first !== v) {
      throw invalidArgument(`The query parameter ${k.slice(0, 64)} is given more than once with different values; the signature does not say which one applies.`, k.slice(0, 64), v.slice(0, 64));
    }
  }
}

/** Any character `\s` matches (JavaScript's whitespace and line terminators). */
const WHITESPACE = /\s/;

/**
 * `OSS <AccessKeyId>:<Signature>` (trimmed) as /^OSS ([^:\s]+):(\S+)$/ reads it: the id up to the first colon, the
 * signature after it (colons allowed), neither empty nor holding whitespace; null otherwise. Written out: the regex's
 * exec, match array and captures showed as ~2 k instructions of every V1 request (docs/performance.md).
 */
export function v1Authorization(text: string): [accessKeyId: string, signature: string] | null {
  if (!text.startsWith('OSS ')) return null;
  const colon = text.indexOf(':', 4);
  if (colon <= 4 || colon === text.length - 1) return null;
  for (let i = 4; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Printable ASCII is never whitespace; everything else is asked of the regex's own class.
    if (c <= 0x20 || c >= 0x7f) {
      if (c === 0x20 || WHITESPACE.test(text[i]!)) return null;
    }
  }
  return [text.slice(4, colon), text.slice(colon + 1)];
}

// Without a promise of its own when the credential is already known (the common case: a cached key).
function verifyV1Header(req: SignableRequest, authorization: string, token: string | undefined, opts: AuthenticateOptions): Authenticated | Promise<Authenticated> {
  const m = v1Authorization(authorization.trim());
  if (m === null) throw invalidArgument('Authorization header is invalid.', 'Authorization', authorization.slice(0, 32));
  const [accessKeyId, provided] = m;
  const dateSlot = headerValue(req.headers, 'x-oss-date') ?? headerValue(req.headers, 'date');
  const time = dateSlot === undefined ? NaN : parseHttpDate(dateSlot);
  if (dateSlot === undefined || Number.isNaN(time)) throw invalidDate(dateSlot);
  checkSkew(time, opts.now, dateSlot);
  refuseAmbiguousV1(req);
  const check = (cred: Credential): Authenticated => {
    const sts = stringToSignV1(req, dateSlot, false);
    // The Java SDK signs only its own (older) list of sub-resources. Accepted for header signatures only: a
    // presigned URL, handed out on purpose, could otherwise be extended with one of the newer keys.
    // The Python SDK v2 leaves inventoryId out (v1.ts `sdk-v2`).
    // Never for the operations only the newer SDKs call (NEVER_LEGACY_SIGNED): the Java SDK 3.x sends none of them.
    const signedAs = (list: 'legacy' | 'sdk-v2'): boolean =>
      subResourceListsDiffer(req, list) && !(list === 'legacy' && req.query.some(([k]) => NEVER_LEGACY_SIGNED.has(k)))
      && safeEqual(signV1(cred.secret, stringToSignV1(req, dateSlot, false, list)), provided);
    if (!safeEqual(signV1(cred.secret, sts), provided) && !signedAs('legacy') && !signedAs('sdk-v2') && !signedOverDate(req, cred.secret, provided, dateSlot, opts.now)) {
      throw mismatch(accessKeyId, provided, sts);
    }
    return { principal: cred.principal, method: 'v1', accessKeyId, signature: provided };
  };
  const cred = opts.credentials.resolve(accessKeyId, token);
  return cred instanceof Promise ? cred.then(check) : check(cred);
}

/**
 * A V1 header signature made over the `Date` header of a request that also carries another `x-oss-date`: the C++,
 * Java and Python (oss2) SDKs put Date in the date slot and sign a caller's x-oss-date only as one of the x-oss-
 * headers, where ali-oss (which sends no Date) puts x-oss-date there. The C++ SDK's GetObjectWithOssDateHeaderTest
 * adds `x-oss-date: <now>` to a PutObject and the SDK stamps Date when it signs, a second later across a second
 * boundary (docs/compatibility.md, eleventh reading). Tried only after the x-oss-date slot failed.
 */
function signedOverDate(req: SignableRequest, secret: string, provided: string, ossDate: string, now: number): boolean {
  const date = headerValue(req.headers, 'date');
  if (date === undefined || date === ossDate) return false;
  const time = parseHttpDate(date);
  if (Number.isNaN(time) || !safeEqual(signV1(secret, stringToSignV1(req, date, false)), provided)) return false;
  checkSkew(time, now, date);
  return true;
}

/** An absolute `Expires` / `x-oss-expires` (V1 and V2 URLs): seconds since the epoch, not yet past. */
function checkUrlExpires(expires: string, now: number): void {
  if (!/^\d+$/.test(expires)) throw new AppError('AccessDenied', 'Invalid date (should be seconds since epoch).', { Expires: expires }, EC_URL_EXPIRES_INVALID);
  if (now > Number(expires) * 1000) throw urlExpired(Number(expires) * 1000, now);
}

async function verifyV1Url(req: SignableRequest, token: string | undefined, opts: AuthenticateOptions): Promise<Authenticated> {
  const accessKeyId = queryValue(req, 'OSSAccessKeyId');
  const expires = queryValue(req, 'Expires');
  const provided = queryValue(req, 'Signature');
  if (!accessKeyId || !expires || !provided) {
    throw new AppError('AccessDenied', 'Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters');
  }
  checkUrlExpires(expires, opts.now);
  refuseAmbiguousV1(req);
  const cred = await opts.credentials.resolve(accessKeyId, token);
  const sts = stringToSignV1(req, expires, true);
  if (!safeEqual(signV1(cred.secret, sts), provided)) throw mismatch(accessKeyId, provided, sts);
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

/**
 * Every header a V4 signature names in AdditionalHeaders must be in the request (OSS: 400, EC 0002-00000211 for the
 * Authorization header; the Go SDK v2's TestPresignExtra expects 400 for a presigned URL sent without them), and
 * none may hold an underscore. Checked before the signature, which could not match without them.
 */
function assertAdditionalPresent(req: SignableRequest, additional: readonly string[], ec: string | undefined): void {
  for (const name of additional) {
    if (name.includes('_') || headerValue(req.headers, name) === undefined) {
      throw new AppError('InvalidArgument', `The additional header ${name.slice(0, 64)} is not in the request (or holds an underscore).`, { ArgumentName: 'AdditionalHeaders', ArgumentValue: name.slice(0, 64) }, ec);
    }
  }
}

/** The request time a V4 header signature covers: `x-oss-date` (ISO basic), else `Date` (RFC 1123, Go SDK). */
interface V4RequestTime {
  /** Verbatim header value: the StringToSign's second line. */
  raw: string;
  header: 'x-oss-date' | 'date';
  time: number;
}

function v4HeaderTime(req: SignableRequest): V4RequestTime {
  const ossDate = headerValue(req.headers, 'x-oss-date');
  if (ossDate !== undefined) {
    const time = parseIsoBasic(ossDate);
    if (Number.isNaN(time)) throw invalidArgument('x-oss-date must be in ISO 8601 basic format (yyyymmddThhmmssZ).', 'x-oss-date', ossDate);
    return { raw: ossDate, header: 'x-oss-date', time };
  }
  const date = headerValue(req.headers, 'date');
  const time = date === undefined ? NaN : parseHttpDate(date);
  if (date === undefined || Number.isNaN(time)) throw invalidDate(date);
  return { raw: date, header: 'date', time };
}

function checkScope(cred: V4Credential, when: V4RequestTime, opts: AuthenticateOptions): void {
  // OSS's own wording and ECs; the message says "Authorization header" for URLs too.
  if (cred.product !== 'oss') {
    throw new AppError('InvalidArgument', 'Invalid signing product in Authorization header.', { ArgumentName: 'Credential', ArgumentValue: cred.product }, EC_V4_PRODUCT);
  }
  // An empty region (oss2's AuthV4 presigning without `region`: `<ak>/<date>//oss/aliyun_v4_request`) has OSS's
  // own wording (oss2 test_sign.py test_sign_v4_no_region) [UNVERIFIED: its EC, taken from the mismatch's].
  if (cred.region === '') {
    throw new AppError('InvalidArgument', 'The signing region in credential is invalid.', { ArgumentName: 'Credential', ArgumentValue: '' }, EC_V4_REGION);
  }
  if (cred.region !== opts.region) {
    throw new AppError('InvalidArgument', 'Invalid signing region in Authorization header.', { ArgumentName: 'Credential', ArgumentValue: cred.region }, EC_V4_REGION);
  }
  // The scope's day is the UTC day of the signed time, whichever header carried it.
  if (isoBasic(when.time).slice(0, 8) !== cred.date) {
    throw invalidArgument(`The date in the credential does not match ${when.header === 'date' ? 'Date' : 'x-oss-date'}.`, when.header, when.raw);
  }
}

/**
 * Checks a V4 signature: the spec's canonical query first, then ali-oss's `k=` for empty parameters, then the
 * query as sent (the .NET SDK v2 signs `!*()` unescaped and `~` as `%7E`). Every form covers the same decoded
 * request, so none lets a changed request through; a mismatch costs at most two more HMACs.
 */
function verifyV4Signature(req: SignableRequest, secret: string, cred: V4Credential, signedTime: string, provided: string, additional: string[], payloadHash: string, excludeQuery?: string): void {
  const key = signingKeyV4(secret, cred.date, cred.region, cred.product);
  const scope = scopeOf(cred.date, cred.region, cred.product);
  const want = provided.toLowerCase();
  const canonical = canonicalRequestV4(req, { additionalHeaders: additional, payloadHash, excludeQuery });
  const sts = stringToSignV4(signedTime, scope, canonical);
  if (safeEqual(signV4(key, sts), want)) return;
  if (req.query.some(([, v]) => v === '')) {
    const alt = canonicalRequestV4(req, { additionalHeaders: additional, payloadHash, excludeQuery, emptyAsEquals: true });
    if (safeEqual(signV4(key, stringToSignV4(signedTime, scope, alt)), want)) return;
  }
  if (req.rawQuery !== undefined && req.rawQuery !== '') {
    const asSent = canonicalRequestV4(req, { additionalHeaders: additional, payloadHash, excludeQuery, queryAsSent: req.rawQuery });
    if (asSent !== canonical && safeEqual(signV4(key, stringToSignV4(signedTime, scope, asSent)), want)) return;
  }
  throw mismatch(cred.accessKeyId, provided, sts, canonical);
}

/** The `,`-separated `name<sep>value` fields after an Authorization header's scheme (V4: `=`, V2: `:`). */
function authorizationFields(authorization: string, scheme: string, separator: '=' | ':'): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(scheme.length + 1).split(',')) {
    const at = part.indexOf(separator);
    if (at < 0) continue;
    fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return fields;
}

/** OSS's EC for an unknown AccessKeyId in a V4 signature (the Go SDK v2's tests compare it; V1 keeps 0002-00000002). */
const EC_V4_UNKNOWN_KEY = '0002-00000902';

async function resolveV4(opts: AuthenticateOptions, accessKeyId: string, token: string | undefined): Promise<Awaited<ReturnType<AuthenticateOptions['credentials']['resolve']>>> {
  try {
    return await opts.credentials.resolve(accessKeyId, token);
  } catch (err) {
    if (err instanceof AppError && err.code === 'InvalidAccessKeyId') throw new AppError(err.code, err.message, err.detail, EC_V4_UNKNOWN_KEY);
    throw err;
  }
}

async function verifyV4Header(req: SignableRequest, authorization: string, token: string | undefined, opts: AuthenticateOptions): Promise<Authenticated> {
  const fields = authorizationFields(authorization, V4_ALGORITHM, '=');
  const credential = fields.get('Credential');
  const provided = fields.get('Signature');
  if (!credential || !provided) throw invalidArgument('Authorization header is invalid: Credential and Signature are required.', 'Authorization');
  const cred = parseCredential(credential);
  const when = v4HeaderTime(req);
  checkScope(cred, when, opts);
  checkSkew(when.time, opts.now, when.raw);
  const payloadHash = headerValue(req.headers, 'x-oss-content-sha256');
  if (payloadHash === undefined) throw invalidArgument('Missing required header for this request: x-oss-content-sha256.', 'x-oss-content-sha256');
  if (payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-fA-F]{64}$/.test(payloadHash)) {
    throw invalidArgument('x-oss-content-sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256.', 'x-oss-content-sha256', payloadHash);
  }
  const additional = parseAdditionalHeaders(fields.get('AdditionalHeaders'));
  assertAdditionalPresent(req, additional, '0002-00000211');
  refuseUnorderedRepeats(req);
  const resolved = await resolveV4(opts, cred.accessKeyId, token);
  verifyV4Signature(req, resolved.secret, cred, when.raw, provided, additional, payloadHash);
  return {
    principal: resolved.principal,
    method: 'v4',
    accessKeyId: cred.accessKeyId,
    signature: provided.toLowerCase(),
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
  checkScope(cred, { raw: isoDate, header: 'x-oss-date', time }, opts);
  if (time - opts.now > MAX_SKEW_MS) checkSkew(time, opts.now, isoDate);
  if (opts.now > time + Number(expires) * 1000) throw urlExpired(time + Number(expires) * 1000, opts.now);
  const additional = parseAdditionalHeaders(queryValue(req, 'x-oss-additional-headers'));
  // [UNVERIFIED: OSS's EC for the V4 URL form; 0002-00000077/78 are the V2 URL's]
  assertAdditionalPresent(req, additional, undefined);
  refuseUnorderedRepeats(req);
  const resolved = await resolveV4(opts, cred.accessKeyId, token);
  verifyV4Signature(req, resolved.secret, cred, isoDate, provided, additional, UNSIGNED_PAYLOAD, 'x-oss-signature');
  return { principal: resolved.principal, method: 'v4-url', accessKeyId: cred.accessKeyId };
}

/** `AdditionalHeaders` of V2: `;`-separated, signed sorted and lower-case whatever order the client listed. */
function parseV2AdditionalHeaders(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  return [...new Set(value.split(';').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))].sort();
}

async function verifyV2Header(req: SignableRequest, authorization: string, token: string | undefined, opts: AuthenticateOptions): Promise<Authenticated> {
  // `OSS2 AccessKeyId:<ak>[,AdditionalHeaders:<h1;h2>],Signature:<base64>`, fields in any order.
  const fields = authorizationFields(authorization, V2_VERSION, ':');
  const accessKeyId = fields.get('AccessKeyId');
  const provided = fields.get('Signature');
  if (!accessKeyId || !provided) throw invalidArgument('Authorization header is invalid: AccessKeyId and Signature are required.', 'Authorization', authorization.slice(0, 32));
  // The SDKs sign the Date header in V2 (never x-oss-date); x-oss-date is the fallback V1 also knows.
  const dateSlot = headerValue(req.headers, 'date') ?? headerValue(req.headers, 'x-oss-date');
  const time = dateSlot === undefined ? NaN : parseHttpDate(dateSlot);
  if (dateSlot === undefined || Number.isNaN(time)) throw invalidDate(dateSlot);
  checkSkew(time, opts.now, dateSlot);
  const additional = parseV2AdditionalHeaders(fields.get('AdditionalHeaders'));
  refuseUnorderedRepeats(req);
  const cred = await opts.credentials.resolve(accessKeyId, token);
  const sts = stringToSignV2(req, dateSlot, additional, false);
  if (!safeEqual(signV2(cred.secret, sts), provided)) throw mismatch(accessKeyId, provided, sts);
  return { principal: cred.principal, method: 'v2', accessKeyId, signature: provided };
}

async function verifyV2Url(req: SignableRequest, token: string | undefined, opts: AuthenticateOptions): Promise<Authenticated> {
  const accessKeyId = queryValue(req, 'x-oss-access-key-id');
  const expires = queryValue(req, 'x-oss-expires');
  const provided = queryValue(req, 'x-oss-signature');
  if (!accessKeyId || !expires || !provided) {
    throw new AppError('AccessDenied', 'Query-string authentication requires the x-oss-signature, x-oss-expires and x-oss-access-key-id parameters');
  }
  checkUrlExpires(expires, opts.now);
  const named = queryValue(req, 'x-oss-additional-headers');
  const additional = parseV2AdditionalHeaders(named);
  refuseUnorderedRepeats(req);
  const cred = await opts.credentials.resolve(accessKeyId, token);
  const sts = stringToSignV2(req, expires, additional, true);
  if (!safeEqual(signV2(cred.secret, sts), provided) && (named !== undefined || unnamedAdditionalHeadersV2(req, cred.secret, expires, provided) === null)) {
    throw mismatch(accessKeyId, provided, sts);
  }
  return { principal: cred.principal, method: 'v2-url', accessKeyId };
}
