/**
 * Parsing and strict validation of policy documents (spec ram-sts §1.1, §1.2, §1.6, §1.8). Failures
 * are values naming the fault and where it is (`Statement[0].Action[1] …`); callers map them to
 * MalformedPolicyDocument (RAM), InvalidParameter.PolicyGrammar / PolicySize (STS) or the OSS
 * bucket-policy error, using `reason` to tell length faults from grammar faults.
 */
import { parseIpPattern } from './ip.js';
import {
  CONDITION_OPERATORS,
  isConditionOperator,
  type BucketPrincipal,
  type ConditionClause,
  type ConditionValueType,
  type Effect,
  type PolicyDocument,
  type PolicyKind,
  type PolicyStatement,
  type TrustPrincipal,
} from './types.js';

export interface PolicyError {
  /** length: empty or over the limit; json: not JSON; grammar: JSON but not a valid policy. */
  readonly reason: 'length' | 'json' | 'grammar';
  /** Human-readable, starts with the place of the fault when there is one. */
  readonly message: string;
  /** `Statement[0].Condition.StringEquals["oss:Prefix"][1]`; '' for the document as a whole. */
  readonly path: string;
}

export type ParseResult = { readonly ok: true; readonly policy: PolicyDocument } | { readonly ok: false; readonly error: PolicyError };

export interface ParseOptions {
  /** Max characters; defaults per kind in DEFAULT_MAX_LENGTH. Infinity disables the check. */
  readonly maxLength?: number;
  /** NotResource is not in the current RAM docs (§1.1, UNVERIFIED); on by default. */
  readonly allowNotResource?: boolean;
}

/** §1.8: RAM policies 6144, STS session policies 2048; trust and bucket limits are our choices. */
export const DEFAULT_MAX_LENGTH: Readonly<Record<PolicyKind, number>> = {
  identity: 6144,
  session: 2048,
  trust: 2048,
  bucket: 16384,
};

const KIND_NAME: Readonly<Record<PolicyKind, string>> = {
  identity: 'RAM policy',
  session: 'session policy',
  trust: 'trust policy',
  bucket: 'bucket policy',
};

const TOP_KEYS = ['Version', 'Statement'];
const STATEMENT_KEYS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'Condition'];
const TRUST_PRINCIPAL_KEYS = ['RAM', 'Service', 'Federated'];

/** `*`, or `<service>:<action>` where both parts are non-empty and may hold `*`/`?`. */
const ACTION_RE = /^[A-Za-z0-9*?_-]+:[A-Za-z0-9*?_.-]+$/;
/** `prefix:name`, name may contain `/` (tag keys) and most printable characters but no spaces. */
const CONDITION_KEY_RE = /^[A-Za-z0-9_-]+:[^\s]+$/;
/** Decimal numbers as condition values (and request values) may be written. */
export const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

class Fault extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly reason: 'json' | 'grammar' = 'grammar',
  ) {
    super(detail);
  }
}

function fault(path: string, detail: string): never {
  throw new Fault(path, detail);
}

/**
 * Where the faults of the document being parsed are collected. Parsing goes on after a fault wherever the
 * rest can still be read (the next key, item, statement), so every fault is reported, in document order:
 * the first one is the one a stop-at-first parser would give (and what the RAM API answers).
 */
let faults: Fault[] = [];

/** Runs `fn`; a fault it throws is recorded and `undefined` returned, so the caller goes on. */
function soft<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    faults.push(e);
    return undefined;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(o: Record<string, unknown>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function checkKeys(o: Record<string, unknown>, allowed: readonly string[], at: (k: string) => string): void {
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue;
    const hint = allowed.find((a) => a.toLowerCase() === k.toLowerCase());
    soft(() => fault(at(k), hint ? `is not a valid element; element names are case-sensitive (did you mean "${hint}"?)` : `is not a valid element (expected one of ${allowed.join(', ')})`));
  }
}

/** A string or a non-empty array of strings, normalized to an array; items checked by `item`. */
function stringList(v: unknown, path: string, item: (s: string, itemPath: string) => void, allowEmpty = false): string[] {
  if (typeof v === 'string') {
    item(v, path);
    return [v];
  }
  if (!Array.isArray(v)) fault(path, `must be a string or an array of strings, got ${show(v)}`);
  if (v.length === 0 && !allowEmpty) fault(path, 'must not be an empty array');
  const out: string[] = [];
  v.forEach((x: unknown, i: number) => {
    const p = `${path}[${i}]`;
    soft(() => {
      if (typeof x !== 'string') fault(p, `must be a string, got ${show(x)}`);
      item(x, p);
      out.push(x);
    });
  });
  return out;
}

function checkAction(s: string, path: string): void {
  if (s !== '*' && !ACTION_RE.test(s)) fault(path, `${JSON.stringify(s)} is not of the form service:action`);
}

function checkResource(s: string, path: string): void {
  if (s === '*') return;
  const colons = s.split(':').length - 1;
  if (!s.startsWith('acs:') || (colons < 4 && !s.endsWith('*'))) {
    fault(path, `${JSON.stringify(s)} is not "*" or an ARN of the form acs:<service>:<region>:<account>:<resource>`);
  }
}

function checkNonEmpty(s: string, path: string): void {
  if (s === '') fault(path, 'must not be an empty string');
}

function checkConditionValue(type: ConditionValueType, s: string, path: string): void {
  const bad = (what: string): never => fault(path, `${JSON.stringify(s)} is not ${what}`);
  switch (type) {
    case 'numeric':
      if (!NUMBER_RE.test(s)) bad('a decimal number');
      return;
    case 'date':
      if (!DATE_RE.test(s) || Number.isNaN(Date.parse(s))) bad('an ISO 8601 time with a zone, e.g. 2019-08-12T17:00:00+08:00');
      return;
    case 'bool':
      if (!/^(true|false)$/i.test(s)) bad('"true" or "false"');
      return;
    case 'ip':
      if (!parseIpPattern(s)) bad('an IP address, CIDR block or IPv4 pattern with * octets');
      return;
    default:
      return;
  }
}

function parseCondition(v: unknown, path: string): ConditionClause[] {
  if (!isObject(v)) fault(path, `must be an object of condition operators, got ${show(v)}`);
  const out: ConditionClause[] = [];
  for (const [op, block] of Object.entries(v)) soft(() => {
    const opPath = `${path}.${op}`;
    if (!isConditionOperator(op)) {
      const hint = Object.keys(CONDITION_OPERATORS).find((o) => o.toLowerCase() === op.toLowerCase());
      fault(opPath, hint ? `is not a supported condition operator; operator names are case-sensitive (did you mean "${hint}"?)` : 'is not a supported condition operator');
    }
    if (!isObject(block)) fault(opPath, `must be an object of condition keys, got ${show(block)}`);
    const keys = Object.keys(block);
    if (keys.length === 0) fault(opPath, 'must name at least one condition key');
    const type = CONDITION_OPERATORS[op].type;
    for (const key of keys) soft(() => {
      const keyPath = `${opPath}[${JSON.stringify(key)}]`;
      if (!CONDITION_KEY_RE.test(key)) fault(keyPath, 'is not a condition key of the form <prefix>:<name>');
      const values = stringList(block[key], keyPath, (s, p) => checkConditionValue(type, s, p));
      out.push({ operator: op, key, values });
    });
  });
  return out;
}

function parsePrincipal(v: unknown, path: string, kind: PolicyKind): BucketPrincipal | TrustPrincipal {
  if (kind === 'bucket') {
    return { type: 'bucket', values: stringList(v, path, checkNonEmpty, true) };
  }
  if (!isObject(v)) fault(path, `must be an object such as {"RAM": ["acs:ram::<uid>:root"]}, got ${show(v)}`);
  checkKeys(v, TRUST_PRINCIPAL_KEYS, (k) => `${path}.${k}`);
  if (Object.keys(v).length === 0) fault(path, 'must name at least one of RAM, Service, Federated');
  const list = (k: string): string[] => (has(v, k) ? stringList(v[k], `${path}.${k}`, checkNonEmpty) : []);
  return { type: 'trust', ram: list('RAM'), service: list('Service'), federated: list('Federated') };
}

function parseStatement(v: unknown, path: string, kind: PolicyKind, opts: ParseOptions): PolicyStatement {
  if (!isObject(v)) fault(path, `must be an object, got ${show(v)}`);
  checkKeys(v, STATEMENT_KEYS, (k) => `${path}.${k}`);
  const st: { -readonly [K in keyof PolicyStatement]: PolicyStatement[K] } = { effect: 'Allow', condition: [] };

  soft(() => {
    if (!has(v, 'Sid')) return;
    if (typeof v.Sid !== 'string') fault(`${path}.Sid`, `must be a string, got ${show(v.Sid)}`);
    st.sid = v.Sid;
  });

  soft(() => {
    if (!has(v, 'Effect')) fault(`${path}.Effect`, 'is required ("Allow" or "Deny")');
    if (v.Effect !== 'Allow' && v.Effect !== 'Deny') fault(`${path}.Effect`, `must be "Allow" or "Deny", got ${show(v.Effect)}`);
    st.effect = v.Effect as Effect;
  });

  soft(() => {
    const hasAction = has(v, 'Action');
    const hasNotAction = has(v, 'NotAction');
    if (!hasAction && !hasNotAction) fault(path, 'Add an Action or NotAction element to the policy statement.');
    if (hasAction && hasNotAction) fault(path, 'has both Action and NotAction; use only one');
    if (hasAction) st.action = stringList(v.Action, `${path}.Action`, checkAction);
    else st.notAction = stringList(v.NotAction, `${path}.NotAction`, checkAction);
  });

  soft(() => {
    const hasResource = has(v, 'Resource');
    const hasNotResource = has(v, 'NotResource');
    if (kind === 'trust') {
      if (hasResource) soft(() => fault(`${path}.Resource`, 'is not allowed in a trust policy'));
      if (hasNotResource) fault(`${path}.NotResource`, 'is not allowed in a trust policy');
      return;
    }
    if (!hasResource && !hasNotResource) fault(path, `Add a Resource element to the policy statement (required in a ${KIND_NAME[kind]}).`);
    if (hasResource && hasNotResource) fault(path, 'has both Resource and NotResource; use only one');
    if (hasNotResource && opts.allowNotResource === false) fault(`${path}.NotResource`, 'is not supported');
    if (hasResource) st.resource = stringList(v.Resource, `${path}.Resource`, checkResource);
    else st.notResource = stringList(v.NotResource, `${path}.NotResource`, checkResource);
  });

  soft(() => {
    const hasPrincipal = has(v, 'Principal');
    if (kind === 'bucket' && !hasPrincipal) {
      // OSS accepts a bucket-policy statement without Principal (oss2's tests put one); it means what `[]`
      // means, everyone (`["*"]`, spec ram-sts §2.4).
      st.principal = { type: 'bucket', values: [] };
    } else if (kind === 'bucket' || kind === 'trust') {
      if (!hasPrincipal) fault(`${path}.Principal`, `is required in a ${KIND_NAME[kind]}`);
      st.principal = parsePrincipal(v.Principal, `${path}.Principal`, kind);
    } else if (hasPrincipal) {
      fault(`${path}.Principal`, `is not allowed in a ${KIND_NAME[kind]}`);
    }
  });

  if (has(v, 'Condition')) soft(() => (st.condition = parseCondition(v.Condition, `${path}.Condition`)));
  return st;
}

function parseDocument(text: string, kind: PolicyKind, opts: ParseOptions): PolicyDocument | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Fault('', `The policy document is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, 'json');
  }
  if (!isObject(doc)) fault('', `The policy document must be a JSON object, got ${show(doc)}`);
  checkKeys(doc, TOP_KEYS, (k) => k);
  soft(() => {
    if (!has(doc, 'Version')) fault('Version', 'is required and must be "1"');
    if (doc.Version !== '1') fault('Version', `must be "1", got ${show(doc.Version)}`);
  });
  if (!has(doc, 'Statement')) fault('Statement', 'is required');
  const list = doc.Statement;
  if (!Array.isArray(list)) fault('Statement', `must be an array of statements, got ${show(list)}`);
  if (list.length === 0) fault('Statement', 'must contain at least one statement');
  const statements = list.map((s: unknown, i: number) => soft(() => parseStatement(s, `Statement[${i}]`, kind, opts)));
  return faults.length > 0 ? null : { kind, version: '1', statements: statements as PolicyStatement[] };
}

function toPolicyError(e: Fault): PolicyError {
  // Details are either a predicate ("must be …", read after the path) or a sentence of their own.
  const sentence = /^[A-Z]/.test(e.detail);
  const message = e.path === '' ? e.detail : sentence ? `${e.path}: ${e.detail}` : `${e.path} ${e.detail}`;
  return { reason: e.reason, message, path: e.path };
}

export type ParseAllResult =
  | { readonly ok: true; readonly policy: PolicyDocument; readonly errors: readonly [] }
  | { readonly ok: false; readonly errors: readonly PolicyError[] };

/**
 * Parses and validates `text` as a policy of `kind`, reporting every fault (in document order) instead of
 * the first. Never throws. An over-long document is still read, so its other faults are reported too.
 */
export function parsePolicyAll(text: string, kind: PolicyKind, opts: ParseOptions = {}): ParseAllResult {
  const max = opts.maxLength ?? DEFAULT_MAX_LENGTH[kind];
  if (text.length === 0) return { ok: false, errors: [{ reason: 'length', message: 'The policy document is empty.', path: '' }] };
  const errors: PolicyError[] = [];
  if (text.length > max) errors.push({ reason: 'length', message: `The policy document is ${text.length} characters long; the limit is ${max}.`, path: '' });
  const outer = faults;
  faults = [];
  try {
    const policy = soft(() => parseDocument(text, kind, opts));
    errors.push(...faults.map(toPolicyError));
    if (errors.length === 0 && policy) return { ok: true, policy, errors: [] };
    return { ok: false, errors };
  } finally {
    faults = outer;
  }
}

/** Parses and validates `text` as a policy of `kind`; a failure names the first fault. Never throws. */
export function parsePolicy(text: string, kind: PolicyKind, opts: ParseOptions = {}): ParseResult {
  const max = opts.maxLength ?? DEFAULT_MAX_LENGTH[kind];
  // An over-long document is refused unread (parsePolicyAll reads it, to report its other faults too).
  if (text.length > max) {
    return { ok: false, error: { reason: 'length', message: `The policy document is ${text.length} characters long; the limit is ${max}.`, path: '' } };
  }
  const all = parsePolicyAll(text, kind, opts);
  return all.ok ? { ok: true, policy: all.policy } : { ok: false, error: all.errors[0]! };
}
