import { hmacSha1Base64 } from '../util/hmac-sha1.js';
import { scopeOf, signingKeyV4, signV4, V4_ALGORITHM } from '../auth/signature/v4.js';
import { AppError } from '../errors.js';
import { safeEqual } from '../util/safe-equal.js';
import { isoBasic } from '../util/time.js';

/**
 * PostObject (browser form upload, spec oss-protocol §9): producing and verifying form signatures, and
 * the policy document (expiration + conditions). Both signature versions sign the base64 policy text
 * exactly as it appears in the form. Pure functions: the token-vending service signs forms with the
 * same code the server verifies them with.
 */

// ---- producing signatures ----

/** V1: `Signature` = base64(HMAC-SHA1(AccessKeySecret, policyBase64)). */
export function signPostPolicyV1(secret: string, policyBase64: string): string {
  return hmacSha1Base64(secret, policyBase64);
}

export interface PostPolicyV4Input {
  secret: string;
  /** UTC day of `x-oss-date`, `YYYYMMDD`. */
  date: string;
  /** Region id without `oss-`, e.g. `cn-hangzhou`. */
  region: string;
  policyBase64: string;
  /** `oss` unless signing for CloudBox. */
  product?: string;
}

/** V4: `x-oss-signature` = hex(HMAC-SHA256(SigningKey(date, region), policyBase64)). */
export function signPostPolicyV4(input: PostPolicyV4Input): string {
  return signV4(signingKeyV4(input.secret, input.date, input.region, input.product ?? 'oss'), input.policyBase64);
}

/** The `x-oss-credential` form field: `<AccessKeyId>/<YYYYMMDD>/<region>/oss/aliyun_v4_request`. */
export function postPolicyCredential(accessKeyId: string, date: string, region: string, product = 'oss'): string {
  return `${accessKeyId}/${scopeOf(date, region, product)}`;
}

/** `x-oss-signature-version` of a V4 form. */
export const POST_V4_ALGORITHM = V4_ALGORITHM;

/** `x-oss-date` of a V4 form (ISO 8601 basic, `20261122T042113Z`) for an instant. */
export function postPolicyDate(ms: number): string {
  return isoBasic(ms);
}

// ---- verifying signatures ----

function signatureMismatch(accessKeyId: string, provided: string, policyBase64: string): AppError {
  return new AppError('SignatureDoesNotMatch', undefined, { OSSAccessKeyId: accessKeyId, SignatureProvided: provided, StringToSign: policyBase64 });
}

export function verifyPostSignatureV1(accessKeyId: string, secret: string, policyBase64: string, provided: string): void {
  if (!safeEqual(signPostPolicyV1(secret, policyBase64), provided.trim())) throw signatureMismatch(accessKeyId, provided, policyBase64);
}

export function verifyPostSignatureV4(accessKeyId: string, input: PostPolicyV4Input, provided: string): void {
  if (!safeEqual(signPostPolicyV4(input), provided.trim().toLowerCase())) throw signatureMismatch(accessKeyId, provided, input.policyBase64);
}

// ---- the policy document ----

export type PolicyCondition =
  | { op: 'eq'; field: string; value: string; text: string }
  | { op: 'starts-with'; field: string; value: string; text: string }
  | { op: 'in'; field: string; values: string[]; text: string }
  | { op: 'not-in'; field: string; values: string[]; text: string }
  | { op: 'content-length-range'; min: number; max: number; text: string };

export interface PostPolicy {
  /** Epoch milliseconds. */
  expiration: number;
  conditions: PolicyCondition[];
}

export interface LengthRange {
  min: number;
  max: number;
}

const invalidPolicy = (why: string): AppError => new AppError('InvalidPolicyDocument', `Invalid Policy: ${why}`);

/**
 * A condition as it is named in messages: its JSON, spaced as OSS and S3 print it. A member nested deeper than a list
 * of plain values (never valid) is shown as `[…]` / `{…}`: written out, a deeply nested one overflowed the stack (a 500).
 */
function conditionText(c: unknown): string {
  const flat = (x: unknown): boolean => typeof x !== 'object' || x === null;
  // A list of plain values (an `in` condition's) is written out; anything nested deeper is not.
  const member = (x: unknown): string => (Array.isArray(x) ? (x.every(flat) ? JSON.stringify(x) : '[…]') : flat(x) ? String(JSON.stringify(x)) : '{…}');
  if (Array.isArray(c)) return `[${c.map(member).join(', ')}]`;
  if (typeof c === 'object' && c !== null) return `{${Object.entries(c).map(([k, v]) => `${JSON.stringify(k)}: ${member(v)}`).join(', ')}}`;
  return member(c);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** `$key` → `key`: condition field names are matched case-insensitively, like form field names. */
function fieldName(raw: unknown, cond: unknown): string {
  if (typeof raw !== 'string' || !raw.startsWith('$') || raw.length < 2) {
    throw invalidPolicy(`the field of ${conditionText(cond)} must be a "$"-prefixed form field name.`);
  }
  return raw.slice(1).toLowerCase();
}

function lengthBound(raw: unknown, cond: unknown): number {
  const n = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalidPolicy(`the bounds of ${conditionText(cond)} must be non-negative integers.`);
  }
  return n;
}

function parseCondition(c: unknown): PolicyCondition {
  const text = conditionText(c);
  if (Array.isArray(c)) {
    const op = typeof c[0] === 'string' ? c[0].toLowerCase() : '';
    if (op === 'content-length-range') {
      if (c.length !== 3) throw invalidPolicy(`${text} must have exactly a minimum and a maximum.`);
      const min = lengthBound(c[1], c);
      const max = lengthBound(c[2], c);
      if (max < min) throw invalidPolicy(`the maximum of ${text} is smaller than its minimum.`);
      return { op, min, max, text };
    }
    if (op === 'eq' || op === 'starts-with') {
      if (c.length !== 3 || typeof c[2] !== 'string') throw invalidPolicy(`${text} must be [${JSON.stringify(op)}, "$field", "value"].`);
      return { op, field: fieldName(c[1], c), value: c[2], text };
    }
    if (op === 'in' || op === 'not-in') {
      if (c.length !== 3 || !Array.isArray(c[2]) || !c[2].every((v) => typeof v === 'string')) {
        throw invalidPolicy(`${text} must be [${JSON.stringify(op)}, "$field", ["value", …]].`);
      }
      return { op, field: fieldName(c[1], c), values: c[2] as string[], text };
    }
    throw invalidPolicy(`unknown condition operator in ${text}.`);
  }
  if (typeof c === 'object' && c !== null) {
    const entries = Object.entries(c);
    if (entries.length !== 1) throw invalidPolicy('Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.');
    const [name, value] = entries[0]!;
    if (typeof value !== 'string') throw invalidPolicy(`the value of ${text} must be a string.`);
    return { op: 'eq', field: name.replace(/^\$/, '').toLowerCase(), value, text };
  }
  throw invalidPolicy(`each condition must be a JSON object or array; found ${text}.`);
}

/** Decodes and checks the shape of the `policy` form field (base64 of UTF-8 JSON). */
export function parsePostPolicy(policyBase64: string): PostPolicy {
  const compact = policyBase64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw invalidPolicy('the policy is not valid base64.');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(compact, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('the policy is not valid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidPolicy('the policy must be a JSON object.');
  const { expiration, conditions } = doc as Record<string, unknown>;
  if (typeof expiration !== 'string' || !ISO_UTC.test(expiration) || Number.isNaN(Date.parse(expiration))) {
    throw invalidPolicy('"expiration" must be an ISO 8601 UTC time such as "2030-01-01T12:00:00.000Z".');
  }
  if (!Array.isArray(conditions)) throw invalidPolicy('"conditions" must be a list of conditions.');
  return { expiration: Date.parse(expiration), conditions: conditions.map(parseCondition) };
}

/** AccessDenied "Invalid according to Policy: …", the answer to a policy the form does not satisfy. */
export const policyDenied = (why: string): AppError => new AppError('AccessDenied', `Invalid according to Policy: ${why}`);

/**
 * Checks expiration and every field condition against the form (lower-cased field names; `bucket` and
 * `key` are the request's bucket and the final key). An absent field tests as "". Returns the
 * content-length-range to enforce while the file streams (the intersection if several are given).
 */
export function checkPostPolicy(policy: PostPolicy, values: ReadonlyMap<string, string>, now: number): LengthRange | null {
  if (now > policy.expiration) throw policyDenied('Policy expired.');
  let range: LengthRange | null = null;
  for (const c of policy.conditions) {
    if (c.op === 'content-length-range') {
      range = range === null ? { min: c.min, max: c.max } : { min: Math.max(range.min, c.min), max: Math.min(range.max, c.max) };
      continue;
    }
    const v = values.get(c.field) ?? '';
    let ok: boolean;
    if (c.op === 'eq') ok = v === c.value;
    else if (c.op === 'starts-with') ok = v.startsWith(c.value);
    else if (c.op === 'in') ok = c.values.includes(v);
    else ok = !c.values.includes(v);
    if (!ok) throw policyDenied(`Policy Condition failed: ${c.text}`);
  }
  return range;
}

/** Whether some exact-match condition pins `field` (V4 forms must pin their own auth fields). */
export function pinsField(policy: PostPolicy, field: string): boolean {
  return policy.conditions.some((c) => c.op === 'eq' && c.field === field);
}
