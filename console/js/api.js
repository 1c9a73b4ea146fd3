// @ts-check
// The console's only way to the server: POP RPC for RAM and STS, OSS REST for buckets and objects, all
// signed in the browser with the signed-in principal's keys. The keys live in this module's memory only
// (no localStorage, sessionStorage, cookies or IndexedDB); signOut() drops them, and a reload forgets them.
import { encodeKey, hmacSha1Base64, isoSeconds, ossCanonicalResource, ossStringToSign, percentEncode, signRpc } from './sign.js';

export const RAM_VERSION = '2015-05-01';
export const STS_VERSION = '2015-04-01';
export const IMS_VERSION = '2019-08-15';
const VERSIONS = { ram: RAM_VERSION, sts: STS_VERSION, ims: IMS_VERSION };

/**
 * @typedef {{accessKeyId: string, accessKeySecret: string, securityToken?: string}} Credentials
 * @typedef {{IdentityType: string, AccountId: string, Arn: string, PrincipalId: string, UserId?: string, RoleId?: string}} Identity
 * @typedef {{credentials: Credentials, identity: Identity, expiration?: number}} Session
 */

/** A refusal or failure as the server reported it: Code, Message, RequestId. */
export class ApiError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {number} status
   * @param {string} requestId
   * @param {string} action what the console asked (`ram:CreateUser`, `oss:PutObject`)
   * @param {string} resource the ARN it asked about, when known
   */
  constructor(code, message, status, requestId, action, resource) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.requestId = requestId;
    this.action = action;
    this.resource = resource;
  }
}

/** @type {Session | null} */
let session = null;
/** @type {Set<() => void>} */
const listeners = new Set();
/** @type {ApiError | null} the last access denial, for "why denied?" */
let lastDenial = null;

export function current() {
  return session;
}

export function lastDenied() {
  return lastDenial;
}

/** @param {() => void} fn */
export function onSessionChange(fn) {
  listeners.add(fn);
}

/**
 * Checks the keys with STS GetCallerIdentity (every principal may call it) and keeps them in memory.
 * @param {Credentials} credentials
 * @param {number} [expiration] ms since epoch, for STS credentials
 */
export async function signIn(credentials, expiration) {
  const identity = /** @type {Identity} */ (/** @type {unknown} */ (await popWith(credentials, 'sts', 'GetCallerIdentity', {})));
  session = { credentials, identity, ...(expiration !== undefined ? { expiration } : {}) };
  lastDenial = null;
  for (const fn of listeners) fn();
  return session;
}

export function signOut() {
  session = null;
  lastDenial = null;
  for (const fn of listeners) fn();
}

function mustSession() {
  if (!session) throw new ApiError('NotSignedIn', 'Sign in first.', 0, '', '', '');
  return session;
}

/**
 * @param {unknown} err
 */
function noteDenial(err) {
  if (err instanceof ApiError && (err.status === 403 || /AccessDenied|NoPermission|Forbidden/.test(err.code))) lastDenial = err;
}

/**
 * @param {Credentials} creds
 * @param {'ram' | 'sts' | 'ims'} service
 * @param {string} action
 * @param {Record<string, string | number | boolean | undefined>} params
 * @param {string} [resource] the ARN acted on, for "why denied?"
 * @returns {Promise<Record<string, any>>}
 */
async function popWith(creds, service, action, params, resource = '') {
  const all = new Map([
    ['Action', action],
    ['Format', 'JSON'],
    ['Version', VERSIONS[service]],
    ['AccessKeyId', creds.accessKeyId],
    ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureVersion', '1.0'],
    ['SignatureNonce', crypto.randomUUID()],
    ['Timestamp', isoSeconds()],
  ]);
  if (creds.securityToken) all.set('SecurityToken', creds.securityToken);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') all.set(k, String(v));
  await signRpc(creds.accessKeySecret, all);
  const body = [...all].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
  const label = `${service}:${action}`;
  /** @type {Response} */
  let res;
  try {
    res = await fetch('/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-acs-action': action },
      body,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError('NetworkError', `The server cannot be reached: ${e instanceof Error ? e.message : String(e)}`, 0, '', label, '');
  }
  const text = await res.text();
  /** @type {Record<string, any>} */
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError('InvalidResponse', `HTTP ${res.status}: ${text.slice(0, 200)}`, res.status, '', label, '');
  }
  if (!res.ok) {
    throw new ApiError(String(json.Code ?? `HTTP${res.status}`), String(json.Message ?? ''), res.status, String(json.RequestId ?? ''), label, resource);
  }
  return json;
}

/**
 * A RAM, STS or IMS (identity providers) call as the signed-in principal.
 * @param {'ram' | 'sts' | 'ims'} service
 * @param {string} action
 * @param {Record<string, string | number | boolean | undefined>} [params]
 * @param {string} [resource] the ARN acted on, for "why denied?"
 * @param {{quiet?: boolean}} [opts] quiet: a look-up the console may do without (its denial is not the one "why denied?" explains)
 */
export async function pop(service, action, params = {}, resource = '', opts = {}) {
  const s = mustSession();
  try {
    return await popWith(s.credentials, service, action, params, resource);
  } catch (e) {
    if (!opts.quiet) noteDenial(e);
    throw e;
  }
}

/**
 * The RAM resource ARN of a user / role / group / policy of the signed-in account, as the server
 * authorizes RAM actions on it (no region; role names lower-cased).
 * @param {'user' | 'role' | 'group' | 'policy'} kind
 * @param {string} name
 */
export function ramArn(kind, name) {
  return `acs:ram::${session?.identity.AccountId ?? '*'}:${kind}/${kind === 'role' ? name.toLowerCase() : name}`;
}

/** Bucket → region id, learnt from ListBuckets, so ARNs name the region the server puts in them. */
const regions = new Map();

/**
 * @param {string} bucket
 * @param {string} region
 */
export function rememberRegion(bucket, region) {
  if (region) regions.set(bucket, region);
}

/** The OSS resource ARN of a bucket / object of the signed-in account (`*` region when unknown). */
export function ossArn(bucket = '', key = '') {
  const account = session?.identity.AccountId ?? '*';
  if (bucket === '') return `acs:oss:*:${account}:*`;
  return `acs:oss:${regions.get(bucket) ?? '*'}:${account}:${bucket}${key === '' ? '' : `/${key}`}`;
}

/**
 * @typedef {object} OssRequest
 * @property {string} method
 * @property {string | null} [bucket]
 * @property {string | null} [key]
 * @property {Array<[string, string]>} [query]
 * @property {Record<string, string>} [headers]
 * @property {Blob | string | null} [body]
 * @property {XMLHttpRequestResponseType} [responseType]
 * @property {(loaded: number, total: number) => void} [onProgress] upload progress
 * @property {AbortSignal} [signal] aborts the request (it then fails with code `Aborted`)
 * @property {boolean} [quiet] a look-up the console may do without: its denial is not noted for "why denied?"
 * @property {string} action the policy action (`oss:PutObject`), for error reports
 */

/**
 * An OSS request, path style (`/<bucket>/<key>`), V1-signed. XMLHttpRequest, for upload progress.
 * @param {OssRequest} r
 * @returns {Promise<XMLHttpRequest>}
 */
export async function oss(r) {
  const s = mustSession();
  const bucket = r.bucket ?? null;
  const key = r.key ?? null;
  const query = r.query ?? [];
  /** @type {Record<string, string>} */
  const headers = { ...(r.headers ?? {}), 'x-oss-date': new Date().toUTCString() };
  if (s.credentials.securityToken) headers['x-oss-security-token'] = s.credentials.securityToken;
  if (r.body !== undefined && r.body !== null && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/octet-stream';
  }
  const resource = ossCanonicalResource(bucket, key, query);
  const toSign = ossStringToSign({ method: r.method, headers, resource, dateSlot: headers['x-oss-date'] });
  headers.Authorization = `OSS ${s.credentials.accessKeyId}:${await hmacSha1Base64(s.credentials.accessKeySecret, toSign)}`;
  let url = '/';
  if (bucket !== null) url += `${encodeURIComponent(bucket)}/${key === null ? '' : encodeKey(key)}`;
  if (query.length > 0) url += `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`;
  const arn = ossArn(bucket ?? '', key ?? '');

  const xhr = new XMLHttpRequest();
  xhr.open(r.method, url);
  for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
  if (r.responseType) xhr.responseType = r.responseType;
  const onProgress = r.onProgress;
  if (onProgress) xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0));
  const signal = r.signal;
  if (signal?.aborted) throw new ApiError('Aborted', 'The request was cancelled.', 0, '', r.action, arn);
  const abort = () => xhr.abort();
  signal?.addEventListener('abort', abort);
  try {
    await new Promise((resolve, reject) => {
      xhr.addEventListener('load', resolve);
      xhr.addEventListener('error', () => reject(new ApiError('NetworkError', 'The server cannot be reached.', 0, '', r.action, arn)));
      xhr.addEventListener('abort', () => reject(new ApiError('Aborted', 'The request was cancelled.', 0, '', r.action, arn)));
      xhr.send(r.body ?? null);
    });
  } finally {
    signal?.removeEventListener('abort', abort);
  }
  if (xhr.status >= 300) {
    const text = xhr.responseType === 'blob' ? await /** @type {Blob} */ (xhr.response).text() : xhr.responseType === '' || xhr.responseType === 'text' ? xhr.responseText : '';
    const doc = text ? parseXml(text) : null;
    const field = (/** @type {string} */ n) => doc?.getElementsByTagName(n)[0]?.textContent ?? '';
    const err = new ApiError(
      field('Code') || `HTTP${xhr.status}`,
      field('Message') || xhr.statusText,
      xhr.status,
      field('RequestId') || xhr.getResponseHeader('x-oss-request-id') || '',
      r.action,
      arn,
    );
    if (!r.quiet) noteDenial(err);
    throw err;
  }
  return xhr;
}

/**
 * An XML text as a document. One without a body (DeleteMultipleObjects in quiet mode answers none) or that is not
 * XML is an empty document: parsing it would make a <parsererror> element, which the browser styles inline (a CSP
 * report under style-src 'self').
 * @param {string} text
 */
function parseXml(text) {
  if (!text.trimStart().startsWith('<')) return document.implementation.createDocument(null, null);
  return new DOMParser().parseFromString(text, 'application/xml');
}

/**
 * The XML body of an OSS answer.
 * @param {XMLHttpRequest} xhr
 */
export function xml(xhr) {
  return parseXml(xhr.responseText);
}

/**
 * A V1 presigned GET URL (absolute), valid for `seconds`.
 * @param {string} bucket
 * @param {string} key
 * @param {number} seconds
 */
export async function presign(bucket, key, seconds) {
  // V1 signs the key unencoded: a URL for `x?versions` or `?policy` would also be ListObjectVersions or
  // GetBucketPolicy (docs/security.md, wave 26). This V1-only signer signs no key holding `?`.
  if (key.includes('?')) {
    throw new ApiError('InvalidArgument', 'The console cannot presign a key holding "?": a V1 URL of it would also sign another request (a sub-resource of the key before the "?"). Use `alunite oss sign --v4`.', 0, '', 'oss:GetObject', '');
  }
  const s = mustSession();
  const expires = String(Math.floor(Date.now() / 1000) + seconds);
  /** @type {Array<[string, string]>} */
  const query = s.credentials.securityToken ? [['security-token', s.credentials.securityToken]] : [];
  const resource = ossCanonicalResource(bucket, key, query);
  const sig = await hmacSha1Base64(s.credentials.accessKeySecret, ossStringToSign({ method: 'GET', headers: {}, resource, dateSlot: expires }));
  const params = new URLSearchParams([['OSSAccessKeyId', s.credentials.accessKeyId], ['Expires', expires], ['Signature', sig], ...query]);
  return `${location.origin}/${encodeURIComponent(bucket)}/${encodeKey(key)}?${params.toString()}`;
}

/**
 * @typedef {{Status: 'OK', Credentials: {AccessKeyId: string, AccessKeySecret: string, SecurityToken: string, Expiration: string}}
 *   | {Status: 'MFARequired' | 'PasswordResetRequired', Ticket: string}
 *   | {Status: 'MFABindRequired', Ticket: string, Base32StringSeed: string, SerialNumber: string, QRCodeUri: string}} SignInStep
 */

/**
 * One step of a RAM user's sign-in with its logon name and password (docs/console.md): `''` (name and
 * password), `/mfa` (ticket and TOTP code), `/bind-mfa` (ticket and two consecutive codes of a new device) or
 * `/password` (ticket, old and new password). Same origin, JSON,
 * no cookies. An OK answer's credentials act as the user itself; signInWith() then keeps them in memory.
 * @param {'' | '/mfa' | '/bind-mfa' | '/password'} step
 * @param {Record<string, string>} body
 * @returns {Promise<SignInStep>}
 */
export async function signInStep(step, body) {
  /** @type {Response} */
  let res;
  try {
    res = await fetch(`api/signin${step}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError('NetworkError', `The server cannot be reached: ${e instanceof Error ? e.message : String(e)}`, 0, '', 'console:SignIn', '');
  }
  /** @type {Record<string, any>} */
  let json;
  try {
    json = await res.json();
  } catch {
    throw new ApiError('InvalidResponse', `HTTP ${res.status}`, res.status, '', 'console:SignIn', '');
  }
  if (!res.ok) throw new ApiError(String(json.Code ?? `HTTP${res.status}`), String(json.Message ?? ''), res.status, '', 'console:SignIn', '');
  return /** @type {SignInStep} */ (json);
}

/**
 * The server's accounts (`GET /-/accounts`, docs/accounts.md): only the default account's root may list them.
 * @returns {Promise<Array<{accountId: string, name: string, accessKeyId: string, default: boolean, createDate: string | null}>>}
 */
export async function listAccounts() {
  const xhr = await oss({ method: 'GET', bucket: '-', key: 'accounts', action: 'alunite:ListAccounts', quiet: true });
  return JSON.parse(xhr.responseText).accounts;
}
