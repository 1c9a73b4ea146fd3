import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { MAX_SKEW_MS, type Authenticated } from '../auth/authenticate.js';
import { ANONYMOUS, type CredentialResolver } from '../auth/principal.js';
import { writeChecks } from './operations.js';
import { assertObjectKey } from '../domain/names.js';
import { AppError, invalidArgument } from '../errors.js';
import { isoSeconds, parseIsoBasic } from '../util/time.js';
import type { AuthzCheck, Operation } from './operations.js';
import { assertHeaderValue, isHeaderName, wireText } from './headers.js';
import { readPostForm, type PostFile } from './post-form.js';
import {
  checkPostPolicy,
  parsePostPolicy,
  pinsField,
  policyDenied,
  POST_V4_ALGORITHM,
  verifyPostSignatureV1,
  verifyPostSignatureV4,
  type LengthRange,
  type PostPolicy,
} from './post-policy.js';

/**
 * PostObject before its handler (spec oss-protocol §9): the form fields preceding the file are read
 * as they stream, then the form's own credentials (V1, V4, STS token or none) are verified and its
 * policy checked. The file part stays unread until authorization has passed and the handler streams
 * it into the object store.
 */

type PostObjectOp = Extract<Operation, { name: 'PostObject' }>;

/** What the handler needs once the form is authenticated. */
export interface PostUpload {
  key: string;
  /** Fields before the file, lower-cased names, as sent (UTF-8 text). */
  fields: ReadonlyMap<string, string>;
  /** The object's headers as a PUT would carry them (Content-Type, x-oss-meta-*, …), in wire (latin1) form. */
  headers: IncomingHttpHeaders;
  file: PostFile;
  /** The policy's content-length-range, enforced while the file streams. */
  lengthRange: LengthRange | null;
  finished: Promise<void>;
}

export interface PostObjectAuthOptions {
  credentials: CredentialResolver;
  region: string;
  now: number;
}

export interface PreparedPostObject {
  op: PostObjectOp;
  auth: Authenticated;
  /** Headers for the authorization facts: the client's User-Agent/Referer and the form's object headers. */
  headers: IncomingHttpHeaders;
}

const MAX_V4_FORM_AGE_MS = 7 * 24 * 3600 * 1000;

const SSE_FIELDS = ['x-oss-server-side-encryption', 'x-oss-server-side-encryption-key-id', 'x-oss-server-side-data-encryption'];

/** Form fields that become object headers, as PutObject takes them from request headers. */
const OBJECT_FIELDS = ['cache-control', 'content-disposition', 'content-encoding', 'expires', 'x-oss-object-acl', 'x-oss-storage-class', 'x-oss-forbid-overwrite', 'x-oss-tagging'];

/**
 * A field's value as a header value. A form can carry what a request header cannot (CR, LF, NUL, …);
 * such a value would be stored and then break every GET/HEAD of the object, so it is refused here.
 */
function headerField(name: string, v: string): string {
  // Header values are stored as the bytes the client sent (latin1 text); form fields arrive as UTF-8 text.
  const value = wireText(v);
  assertHeaderValue(name, value);
  // No longer than a request header could be. A field may hold up to the form's 2 MiB, and these values are
  // policy condition keys (oss:x-oss-object-acl, oss:RequestObjectTag/…) kept with the decision in the ring of
  // recent requests: anonymous forms refused by a bucket policy held ~1.9 MB each there, 10,000 of them.
  if (value.length > MAX_HEADER_FIELD_BYTES) {
    throw invalidArgument(`The value of ${name} is longer than ${MAX_HEADER_FIELD_BYTES} bytes, more than a request header may carry.`, name);
  }
  return value;
}

/** Longest value of a form field that becomes an object header (OSS: user metadata is at most 8 KB in all). */
export const MAX_HEADER_FIELD_BYTES = 8 * 1024;

/**
 * The content type the object is stored with and where it came from: x-oss-content-type, else the Content-Type
 * field, else the file part's own (spec §9); '' or undefined: none (the default type).
 */
function chosenContentType(fields: ReadonlyMap<string, string>, file: PostFile): { from: string; type: string | undefined } {
  const from = fields.has('x-oss-content-type') ? 'x-oss-content-type' : fields.has('content-type') ? 'content-type' : 'file';
  return { from, type: fields.get('x-oss-content-type') ?? fields.get('content-type') ?? file.contentType };
}

function objectHeadersOf(fields: ReadonlyMap<string, string>, file: PostFile): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = {};
  const { from: typeField, type } = chosenContentType(fields, file);
  if (type !== undefined && type !== '') h['content-type'] = headerField(typeField, type);
  for (const name of OBJECT_FIELDS) {
    const v = fields.get(name);
    if (v !== undefined) h[name] = headerField(name, v);
  }
  for (const [name, v] of fields) {
    if (!name.startsWith('x-oss-meta-')) continue;
    if (!isHeaderName(name)) throw invalidArgument(`The form field name "${name.slice(0, 64)}" is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only).`, name.slice(0, 64));
    h[name] = headerField(name, v);
  }
  // Encryption fields become the headers PutObject takes (AES256/KMS/SM4, key id, data encryption); any
  // other x-oss-server-side-* field rides along by name so the upload refuses it as PutObject does (501).
  for (const [name, v] of fields) {
    if (!name.startsWith('x-oss-server-side-')) continue;
    h[name] = SSE_FIELDS.includes(name) ? headerField(name, v) : 'requested';
  }
  return h;
}

function present(fields: ReadonlyMap<string, string>, name: string): string | undefined {
  const v = fields.get(name);
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Reads the form up to its file and authenticates it. Returns the operation with its key and checks
 * (oss:PutObject on the target key, plus oss:PutObjectTagging / oss:PutObjectAcl when the form sets tags /
 * an object ACL, as for PutObject: operations.ts writeChecks).
 */
export async function authenticatePostObject(op: PostObjectOp, req: IncomingMessage, opts: PostObjectAuthOptions): Promise<PreparedPostObject> {
  const form = await readPostForm(req);
  const fields = form.fields;
  const rawKey = fields.get('key');
  if (rawKey === undefined || rawKey === '') throw invalidArgument('The form must contain a field named "key".', 'key');
  const key = rawKey.split('${filename}').join(form.file.filename);
  assertObjectKey(key);
  const bucket = op.bucket!;

  const auth = await verifyForm(fields, opts);
  let lengthRange: LengthRange | null = null;
  if (auth.policy !== null) {
    const values = new Map(fields);
    values.set('bucket', bucket);
    values.set('key', key);
    // A condition on Content-Type must hold for the type actually stored: x-oss-content-type overrides the field
    // (text/html under "image/"), and without either the file part's own type is stored (text/html past a
    // `not-in`, red-team wave 26).
    values.set('content-type', chosenContentType(fields, form.file).type ?? '');
    lengthRange = checkPostPolicy(auth.policy, values, opts.now);
  }

  const headers = objectHeadersOf(fields, form.file);
  const checks: AuthzCheck[] = writeChecks('oss:PutObject', bucket, key, 'write', {
    tagging: headers['x-oss-tagging'] !== undefined,
    objectAcl: headers['x-oss-object-acl'] !== undefined,
    encrypts: true,
  });
  const upload: PostUpload = { key, fields, headers, file: form.file, lengthRange, finished: form.finished };
  const factHeaders: IncomingHttpHeaders = { ...headers };
  if (req.headers['user-agent'] !== undefined) factHeaders['user-agent'] = req.headers['user-agent'];
  if (req.headers.referer !== undefined) factHeaders.referer = req.headers.referer;
  return { op: { ...op, key, checks, params: { upload } }, auth: auth.authenticated, headers: factHeaders };
}

interface VerifiedForm {
  authenticated: Authenticated;
  /** The verified policy; null for anonymous forms. */
  policy: PostPolicy | null;
}

async function verifyForm(fields: ReadonlyMap<string, string>, opts: PostObjectAuthOptions): Promise<VerifiedForm> {
  const v1 = ['ossaccesskeyid', 'signature'].some((n) => fields.has(n));
  const v4 = ['x-oss-signature-version', 'x-oss-credential', 'x-oss-date', 'x-oss-signature'].some((n) => fields.has(n));
  if (v1 && v4) throw invalidArgument('Only one auth mechanism allowed: the form has both OSSAccessKeyId/Signature and x-oss-signature fields.', 'Signature');
  if (v1) return verifyV1(fields, opts);
  if (v4) return verifyV4(fields, opts);
  if (fields.has('policy')) throw invalidArgument('A form with a policy must also have OSSAccessKeyId and Signature (or the V4 signature fields).', 'OSSAccessKeyId');
  if (fields.has('x-oss-security-token')) throw invalidArgument('A form with x-oss-security-token must be signed.', 'x-oss-security-token');
  return { authenticated: { principal: ANONYMOUS, method: 'anonymous' }, policy: null };
}

async function verifyV1(fields: ReadonlyMap<string, string>, opts: PostObjectAuthOptions): Promise<VerifiedForm> {
  const accessKeyId = present(fields, 'ossaccesskeyid');
  const signature = present(fields, 'signature');
  const policyBase64 = present(fields, 'policy');
  if (accessKeyId === undefined || signature === undefined || policyBase64 === undefined) {
    const missing = [['OSSAccessKeyId', accessKeyId], ['policy', policyBase64], ['Signature', signature]].filter(([, v]) => v === undefined).map(([n]) => n!);
    throw invalidArgument(`A signed form needs OSSAccessKeyId, policy and Signature; missing: ${missing.join(', ')}.`, missing[0]);
  }
  const cred = await opts.credentials.resolve(accessKeyId, present(fields, 'x-oss-security-token'));
  verifyPostSignatureV1(accessKeyId, cred.secret, policyBase64, signature);
  return { authenticated: { principal: cred.principal, method: 'post-v1', accessKeyId }, policy: parsePostPolicy(policyBase64) };
}

async function verifyV4(fields: ReadonlyMap<string, string>, opts: PostObjectAuthOptions): Promise<VerifiedForm> {
  const version = present(fields, 'x-oss-signature-version');
  const credential = present(fields, 'x-oss-credential');
  const isoDate = present(fields, 'x-oss-date');
  const signature = present(fields, 'x-oss-signature');
  const policyBase64 = present(fields, 'policy');
  if (version !== POST_V4_ALGORITHM) throw invalidArgument(`x-oss-signature-version must be ${POST_V4_ALGORITHM}.`, 'x-oss-signature-version', version ?? '');
  if (credential === undefined || isoDate === undefined || signature === undefined || policyBase64 === undefined) {
    const missing = [['x-oss-credential', credential], ['x-oss-date', isoDate], ['x-oss-signature', signature], ['policy', policyBase64]].filter(([, v]) => v === undefined).map(([n]) => n!);
    throw invalidArgument(`A V4 signed form needs x-oss-credential, x-oss-date, x-oss-signature and policy; missing: ${missing.join(', ')}.`, missing[0]);
  }
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[0] === '' || !/^\d{8}$/.test(parts[1]!) || parts[4] !== 'aliyun_v4_request') {
    throw invalidArgument('x-oss-credential must be <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.', 'x-oss-credential', credential);
  }
  const [accessKeyId, day, region, product] = parts as [string, string, string, string];
  if (product !== 'oss') throw invalidArgument(`Invalid signing product "${product}" in x-oss-credential; expected "oss".`, 'x-oss-credential', credential);
  if (region !== opts.region) {
    throw invalidArgument(`Invalid signing region "${region}" in x-oss-credential; this endpoint is "${opts.region}".`, 'x-oss-credential', credential);
  }
  const time = parseIsoBasic(isoDate);
  if (Number.isNaN(time)) throw invalidArgument('x-oss-date must be in ISO 8601 basic format (yyyymmddThhmmssZ).', 'x-oss-date', isoDate);
  if (isoDate.slice(0, 8) !== day) throw invalidArgument('The date in x-oss-credential does not match x-oss-date.', 'x-oss-date', isoDate);
  if (time - opts.now > MAX_SKEW_MS) {
    throw new AppError('RequestTimeTooSkewed', undefined, { RequestTime: isoDate, ServerTime: isoSeconds(opts.now), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS) });
  }
  if (opts.now - time > MAX_V4_FORM_AGE_MS) throw policyDenied('x-oss-date is more than 7 days old.');

  const cred = await opts.credentials.resolve(accessKeyId, present(fields, 'x-oss-security-token'));
  verifyPostSignatureV4(accessKeyId, { secret: cred.secret, date: day, region, policyBase64 }, signature);
  const policy = parsePostPolicy(policyBase64);
  for (const field of ['x-oss-signature-version', 'x-oss-credential', 'x-oss-date']) {
    if (!pinsField(policy, field)) throw policyDenied(`Policy Condition failed: a V4 policy must have a condition on "${field}".`);
  }
  return { authenticated: { principal: cred.principal, method: 'post-v4', accessKeyId }, policy };
}
