/**
 * Compiles a validated policy into matchers once (spec ram-sts §1.3–§1.6): globs become closures,
 * Action patterns are lower-cased (matching is case-insensitive), Resource stays case-sensitive,
 * CIDRs, numbers and dates are parsed up front. Evaluation never touches JSON again.
 *
 * `compilePolicy(text, kind)` is cheap to call per request: results are cached by (kind, text) in a
 * bounded LRU, and each compiled policy memoizes which statements apply to a given action (there are
 * only a few hundred action names), so a decision touches only the statements that can matter.
 */
import { ramRoleArn, ramRootArn, ramUserArn, stsAssumedRoleArn } from './arn.js';
import { compileGlobs, type Matcher } from './glob.js';
import { internalized } from './interned.js';
import { parseIp, parseIpPattern, type IpGroups, type IpPattern } from './ip.js';
import { NUMBER_RE, parsePolicy, type ParseOptions, type PolicyError } from './parse.js';
import { compileResources, keyConstraints, keyMayMatch, type KeyConstraint, type ResourceMatcher } from './resource.js';
import {
  CONDITION_OPERATORS,
  type Caller,
  type Comparison,
  type ConditionClause,
  type Effect,
  type PolicyDocument,
  type PolicyKind,
  type PolicyStatement,
} from './types.js';

/** Identifiers of a caller as bucket and trust principals name them, computed once per request. */
export interface CallerIds {
  readonly caller: Caller;
  /** Bucket-policy forms: account UID (root), RAM user UID, `arn:sts::<uid>:assumed-role/<role>/<session>`. */
  readonly bucketIds: readonly string[];
  /** Trust-policy RAM forms: `acs:ram::<uid>:root` (any identity of the account), `…:user/<name>`, `…:role/<name>`. */
  readonly ramIds: readonly string[];
  /** The request's bucket owner is this caller (owner account root), for the `"*"` rule of §2.4. */
  readonly isBucketOwner: boolean;
}

export interface CompiledCondition {
  readonly operator: ConditionClause['operator'];
  /** Lower-cased (condition keys are case-insensitive) and internalized, so a view compares it by pointer. */
  readonly key: string;
  /** The key and values as written, for explanations (policy/explain.ts); never read by decisions. */
  readonly keyAsWritten: string;
  readonly values: readonly string[];
  readonly negated: boolean;
  /** Does one request value match any policy value (the positive operator)? */
  readonly test: (value: string) => boolean;
  /**
   * The last result of this condition, for the request view it was computed in (policy/evaluate.ts, by the view's
   * number): identical conditions are shared between policies (see `compileCondition`), so a request tests an
   * IP range or `acs:SecureTransport` written into ten policies once.
   */
  readonly memo: { view: number; holds: boolean };
  /**
   * The last short request value `test` was asked about and its answer (policy/evaluate.ts): `test` depends on the
   * value alone, and the next request usually brings the same one (the client's acs:SourceIp, acs:SecureTransport).
   */
  readonly lastTest: { value: string | null; positive: boolean };
}

export interface CompiledStatement {
  readonly index: number;
  readonly effect: Effect;
  readonly sid: string | undefined;
  /** Called with the lower-cased action; `notAction` inverts it. */
  readonly matchAction: Matcher;
  readonly notAction: boolean;
  /** null: the statement has no Resource (trust policies) and applies to any resource. */
  readonly matchResource: ResourceMatcher | null;
  readonly notResource: boolean;
  /** null: identity/session policies, no Principal element. */
  readonly matchPrincipal: ((ids: CallerIds) => boolean) | null;
  readonly conditions: readonly CompiledCondition[];
  /** What each Resource/NotResource pattern needs of the request key; null: some pattern takes any key. */
  readonly keyConstraints: readonly KeyConstraint[] | null;
  /**
   * Whether the statement applies, for the last request view that asked (policy/evaluate.ts). Shared by
   * every statement with the same Resource/NotResource, Principal and Condition (whatever its Action,
   * Effect or policy), since those alone decide it: ten attached policies repeating one Deny cost one test.
   */
  readonly applies: AppliesMemo;
  /** The Principal and Condition part of the memo's key, for the copy narrowToKey makes. */
  readonly guardRest: string;
}

export interface AppliesMemo {
  /** The number of the request view (policy/evaluate.ts RequestView.stamp) `holds` answers for; 0: none. */
  view: number;
  holds: boolean;
}

const appliesPool = new Map<string, AppliesMemo>();
const APPLIES_POOL_LIMIT = 10_000;
/**
 * Characters of keys the pools below may hold (each key is a statement's Resource, Principal and Condition as
 * JSON, up to a whole policy): with entries alone, 10,000 keys of 2 KB session policies (any caller allowed
 * sts:AssumeRole chooses them) held ~40 MB here. Past it a pool starts over, as past its entry limit.
 */
export const POOL_MAX_CHARS = 2 * 1024 * 1024;
let appliesPoolChars = 0;

/** The memo of statements whose (resource part, principal and conditions) is `key`. */
function appliesMemo(key: string): AppliesMemo {
  let hit = appliesPool.get(key);
  if (hit === undefined) {
    // Past the limit new statements stop sharing with old ones; nothing else changes.
    if (appliesPool.size >= APPLIES_POOL_LIMIT || appliesPoolChars + key.length > POOL_MAX_CHARS) {
      appliesPool.clear();
      appliesPoolChars = 0;
    }
    appliesPool.set(key, (hit = { view: 0, holds: false }));
    appliesPoolChars += key.length;
  }
  return hit;
}

const ACTION_MEMO_LIMIT = 512;
/** Request keys (buckets) remembered per action entry; past it the memo starts over. */
const KEY_MEMO_LIMIT = 256;

/**
 * `st` narrowed to requests whose ARN key is `key`: [] when no Resource pattern can match it; a copy
 * without a resource matcher when no NotResource pattern can (the statement then applies to any such
 * resource, as matching would have found); else `st` itself.
 */
function narrowToKey(st: CompiledStatement, key: string): CompiledStatement[] {
  const cs = st.keyConstraints;
  if (cs === null) return [st];
  for (const c of cs) if (keyMayMatch(c, key)) return [st];
  return st.notResource ? [{ ...st, matchResource: null, notResource: false, applies: appliesMemo(`null\u0000${st.guardRest}`) }] : [];
}

/** The statements an action selects, further narrowed by resource key so a request skips other buckets' statements. */
class ActionEntry {
  private readonly byKey = new Map<string, readonly CompiledStatement[]>();

  constructor(readonly all: readonly CompiledStatement[]) {}

  /** In statement order; memoized per key. */
  forKey(key: string | null): readonly CompiledStatement[] {
    if (key === null) return this.all;
    let hit = this.byKey.get(key);
    if (hit === undefined) {
      hit = this.all.flatMap((st) => narrowToKey(st, key));
      if (this.byKey.size >= KEY_MEMO_LIMIT) this.byKey.clear();
      this.byKey.set(key, hit);
    }
    return hit;
  }
}

/** The label-independent part, shared by every CompiledPolicy with the same kind and text. */
class CompiledBody {
  readonly byAction = new Map<string, ActionEntry>();

  constructor(
    readonly kind: PolicyKind,
    readonly statements: readonly CompiledStatement[],
    /** The policy text it was compiled from (compilePolicy), to show a deciding statement later. */
    readonly text?: string,
  ) {}

  entry(action: string): ActionEntry {
    let hit = this.byAction.get(action);
    if (hit === undefined) {
      const lower = action.toLowerCase();
      hit = new ActionEntry(this.statements.filter((s) => s.matchAction(lower) !== s.notAction));
      if (this.byAction.size >= ACTION_MEMO_LIMIT) this.byAction.clear();
      this.byAction.set(action, hit);
    }
    return hit;
  }
}

/** A policy ready for evaluation. `label` names it in decisions (policy name, "bucket policy", …). */
export class CompiledPolicy {
  constructor(
    readonly label: string,
    private readonly body: CompiledBody,
  ) {}

  get kind(): PolicyKind {
    return this.body.kind;
  }

  get statements(): readonly CompiledStatement[] {
    return this.body.statements;
  }

  /** The source text, when compiled by compilePolicy (shared, never copied). */
  get text(): string | undefined {
    return this.body.text;
  }

  /**
   * Statements whose Action/NotAction covers `action` (any case), memoized; with `resourceKey`
   * (requestKey of the ARN) only those whose Resource can match it. Always in statement order.
   */
  statementsFor(action: string, resourceKey: string | null = null): readonly CompiledStatement[] {
    return this.body.entry(action).forKey(resourceKey);
  }

  withLabel(label: string): CompiledPolicy {
    return label === this.label ? this : new CompiledPolicy(label, this.body);
  }
}

// ---------------------------------------------------------------------------------------------
// Conditions


function parseNumber(s: string): number {
  return NUMBER_RE.test(s) ? Number(s) : NaN;
}

let lastDateText = '';
let lastDate = NaN;

/** A time that names its zone (`Z`, `±hh:mm`, `±hhmm`): any other is read as UTC, never as the server's local time. */
const ZONED = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * ISO 8601 as written in policies; request values may also be epoch seconds (as AWS accepts), and a request time
 * without a zone (a simulator Context's `2030-01-01T00:00:00`) is UTC, as acs:CurrentTime is. Before, Date.parse
 * read it in the process's time zone, so one policy decided differently on a server started with another TZ.
 */
function parseDate(s: string): number {
  // One request tests the same acs:CurrentTime against many statements: remember the last one.
  if (s === lastDateText) return lastDate;
  const t = /^\d+$/.test(s) ? Number(s) * 1000 : /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(ZONED.test(s) ? s : `${s}Z`) : NaN;
  lastDateText = s;
  lastDate = t;
  return t;
}

function comparator(cmp: Comparison): (a: number, b: number) => boolean {
  switch (cmp) {
    case 'eq':
      return (a, b) => a === b;
    case 'lt':
      return (a, b) => a < b;
    case 'le':
      return (a, b) => a <= b;
    case 'gt':
      return (a, b) => a > b;
    case 'ge':
      return (a, b) => a >= b;
  }
}

function ordered(values: readonly string[], parse: (s: string) => number, cmp: Comparison): (v: string) => boolean {
  const want = values.map(parse);
  const op = comparator(cmp);
  return (v) => {
    const got = parse(v);
    if (Number.isNaN(got)) return false;
    for (const w of want) if (op(got, w)) return true;
    return false;
  };
}

/** Compiled conditions by (operator, key as written, values): policies repeat the same few conditions. */
const conditionPool = new Map<string, CompiledCondition>();
const CONDITION_POOL_LIMIT = 10_000;
let conditionPoolChars = 0;

function compileCondition(c: ConditionClause): CompiledCondition {
  const id = JSON.stringify([c.operator, c.key, c.values]);
  let hit = conditionPool.get(id);
  if (hit === undefined) {
    // Past the limit new policies stop sharing with old ones; nothing else changes.
    if (conditionPool.size >= CONDITION_POOL_LIMIT || conditionPoolChars + id.length > POOL_MAX_CHARS) {
      conditionPool.clear();
      conditionPoolChars = 0;
    }
    conditionPool.set(id, (hit = compileConditionUnshared(c)));
    conditionPoolChars += id.length;
  }
  return hit;
}

function compileConditionUnshared(c: ConditionClause): CompiledCondition {
  const spec = CONDITION_OPERATORS[c.operator];
  let test: (v: string) => boolean;
  switch (spec.type) {
    case 'string': {
      const set = new Set(c.values);
      test = (v) => set.has(v);
      break;
    }
    case 'stringIgnoreCase':
    case 'bool': {
      // Exact spelling first: most request values are already lower-case ("true"), no allocation.
      const set = new Set(c.values.map((x) => x.toLowerCase()));
      test = (v) => set.has(v) || set.has(v.toLowerCase());
      break;
    }
    case 'like':
      test = compileGlobs(c.values);
      break;
    case 'numeric':
      test = ordered(c.values, parseNumber, spec.cmp);
      break;
    case 'date':
      test = ordered(c.values, parseDate, spec.cmp);
      break;
    case 'ip': {
      const patterns = c.values.map((x) => parseIpPattern(x)).filter((p): p is IpPattern => p !== null);
      test = (v) => {
        const ip: IpGroups | null = parseIp(v);
        if (!ip) return false;
        for (const p of patterns) if (p.matches(ip)) return true;
        return false;
      };
      break;
    }
  }
  return { operator: c.operator, key: internalized(c.key.toLowerCase()), keyAsWritten: c.key, values: c.values, negated: spec.negated, test, memo: { view: 0, holds: false }, lastTest: { value: null, positive: false } };
}

// ---------------------------------------------------------------------------------------------
// Principals

const ROLE_ENTRY = /:role\//i;

function compilePrincipal(st: PolicyStatement): ((ids: CallerIds) => boolean) | null {
  const p = st.principal;
  if (!p) return null;
  if (p.type === 'bucket') {
    // `[]` == `["*"]`; `"*"` without Condition leaves the bucket owner out (§2.4).
    const star = p.values.length === 0 || p.values.includes('*');
    const others = p.values.filter((v) => v !== '*');
    const match = others.length > 0 ? compileGlobs(others) : null;
    const ownerExempt = st.condition.length === 0;
    return (ids) => {
      if (star && !(ownerExempt && ids.isBucketOwner)) return true;
      if (match) for (const id of ids.bucketIds) if (match(id)) return true;
      return false;
    };
  }
  // Role names in ARNs match case-insensitively (spec §4.1); callers' role ids are lower-cased too.
  const ram = p.ram.length > 0 ? compileGlobs(p.ram.map((r) => (ROLE_ENTRY.test(r) ? r.toLowerCase() : r))) : null;
  const service = p.service.length > 0 ? compileGlobs(p.service.map((s) => s.toLowerCase())) : null;
  const federated = p.federated.length > 0 ? compileGlobs(p.federated) : null;
  return (ids) => {
    const c = ids.caller;
    if (c.kind === 'service') return service !== null && service(c.service.toLowerCase());
    if (c.kind === 'federated') return federated !== null && federated(c.providerArn);
    if (ram) for (const id of ids.ramIds) if (ram(id)) return true;
    return false;
  };
}

/** Precomputes the principal forms of `caller`; `bucketOwner` is the bucket's owner account, if any. */
export function callerIds(caller: Caller, bucketOwner?: string): CallerIds {
  switch (caller.kind) {
    case 'root':
      return { caller, bucketIds: [caller.accountId], ramIds: [ramRootArn(caller.accountId)], isBucketOwner: caller.accountId === bucketOwner };
    case 'user':
      return {
        caller,
        bucketIds: [caller.userId],
        ramIds: [ramRootArn(caller.accountId), ramUserArn(caller.accountId, caller.userName)],
        isBucketOwner: false,
      };
    case 'role': {
      // The role name as created and as every ARN the server reports it (lower-cased, §4.1): role names are
      // unique regardless of case, and a Deny naming the session the way AssumeRole answered must apply.
      const named = stsAssumedRoleArn(caller.accountId, caller.roleName, caller.sessionName);
      const lower = stsAssumedRoleArn(caller.accountId, caller.roleName.toLowerCase(), caller.sessionName);
      return {
        caller,
        bucketIds: named === lower ? [named] : [named, lower],
        ramIds: [ramRootArn(caller.accountId), ramRoleArn(caller.accountId, caller.roleName)],
        isBucketOwner: false,
      };
    }
    default:
      return { caller, bucketIds: [], ramIds: [], isBucketOwner: false };
  }
}

// ---------------------------------------------------------------------------------------------
// Statements and documents

function keyConstraintsOf(patterns: readonly string[] | undefined): KeyConstraint[] | null {
  if (patterns === undefined) return null;
  const out: KeyConstraint[] = [];
  for (const p of patterns) {
    const cs = keyConstraints(p);
    if (cs === null) return null;
    out.push(...cs);
  }
  return out;
}

function compileStatement(st: PolicyStatement, index: number): CompiledStatement {
  const actions = (st.action ?? st.notAction ?? []).map((a) => a.toLowerCase());
  const resources = st.resource ?? st.notResource;
  const notResource = st.resource === undefined && st.notResource !== undefined;
  const guardRest = JSON.stringify([st.principal ?? null, st.condition]);
  return {
    index,
    effect: st.effect,
    sid: st.sid,
    matchAction: compileGlobs(actions),
    notAction: st.action === undefined,
    matchResource: resources ? compileResources(resources) : null,
    notResource,
    matchPrincipal: compilePrincipal(st),
    conditions: st.condition.map(compileCondition),
    keyConstraints: keyConstraintsOf(resources),
    applies: appliesMemo(`${resources ? JSON.stringify([notResource, resources]) : 'null'}\u0000${guardRest}`),
    guardRest,
  };
}

/** Compiles an already validated document (no cache). */
export function compileDocument(doc: PolicyDocument, label = '', text?: string): CompiledPolicy {
  return new CompiledPolicy(label, new CompiledBody(doc.kind, doc.statements.map(compileStatement), text));
}

/**
 * A tiny LRU: Map keeps insertion order, a hit is re-inserted at the end. Bounded by entries and by the
 * characters of its keys (a key holds the whole policy text).
 */
class Lru<V> {
  private readonly map = new Map<string, V>();
  private chars = 0;
  constructor(
    private readonly limit: number,
    private readonly maxChars: number,
  ) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    if (!this.map.has(k)) this.chars += k.length;
    this.map.set(k, v);
    while (this.map.size > this.limit || (this.chars > this.maxChars && this.map.size > 1)) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
      this.chars -= oldest.value.length;
    }
  }
  clear(): void {
    this.map.clear();
    this.chars = 0;
  }
  get size(): number {
    return this.map.size;
  }
  get keyChars(): number {
    return this.chars;
  }
}

export type CompileResult = { readonly ok: true; readonly policy: CompiledPolicy } | { readonly ok: false; readonly error: PolicyError };

export interface CompileOptions extends ParseOptions {
  readonly label?: string;
}

const CACHE_LIMIT = 10_000;
/**
 * Characters of policy text the compile cache keeps (a compiled policy takes ~3 times its text besides): ~4 MB of
 * text, ~16 MB in all. By entries alone, 10,000 distinct 2 KB session policies (any caller allowed sts:AssumeRole
 * chooses them, one per session) kept ~80 MB. Policies as written (a few hundred characters) still fit 10,000.
 */
export const CACHE_MAX_CHARS = 4 * 1024 * 1024;
const cache = new Lru<CompileResult>(CACHE_LIMIT, CACHE_MAX_CHARS);

/**
 * Parses, validates and compiles `text` as a policy of `kind`, cached by (kind, text). Stored
 * documents were validated on write, so no length limit applies here unless `maxLength` is given.
 */
export function compilePolicy(text: string, kind: PolicyKind, opts: CompileOptions = {}): CompileResult {
  const label = opts.label ?? '';
  // Over its limit, a text is refused unread and never remembered: the cache is keyed by the whole text, and a
  // caller's text (SimulatePrincipalPolicy's SessionPolicy: up to the 1 MiB body) kept 10,000 of them.
  if (opts.maxLength !== undefined && text.length > opts.maxLength) return parsePolicy(text, kind, { ...opts, maxLength: opts.maxLength }) as CompileResult;
  const key = `${kind}\u0000${opts.maxLength ?? ''}\u0000${opts.allowNotResource === false ? 0 : 1}\u0000${text}`;
  let result = cache.get(key);
  if (result === undefined) {
    const parsed = parsePolicy(text, kind, { ...opts, maxLength: opts.maxLength ?? Infinity });
    result = parsed.ok ? { ok: true, policy: compileDocument(parsed.policy, label, text) } : parsed;
    cache.set(key, result);
  }
  if (result.ok && result.policy.label !== label) return { ok: true, policy: result.policy.withLabel(label) };
  return result;
}

/**
 * What a stored or sealed policy that does not compile stands for: a Deny of every action on every
 * resource (for every principal, in a bucket policy), never "no policy", since the lost text may have
 * held a Deny. In a bucket policy the owner's root stays exempt (a `"*"` Deny without Condition, §2.3),
 * so it can still replace the policy.
 */
export function compileOrDenyAll(text: string, kind: PolicyKind, label: string): CompiledPolicy {
  const compiled = compilePolicy(text, kind, { label });
  if (compiled.ok) return compiled.policy;
  const deny = compilePolicy(kind === 'bucket' ? DENY_ALL_BUCKET : DENY_ALL, kind, { label: `${label} (does not compile: denies everything)` });
  if (!deny.ok) throw new Error(`the deny-all ${kind} policy does not compile`);
  return deny.policy;
}

const DENY_ALL = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
const DENY_ALL_BUCKET = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: '*', Principal: ['*'], Resource: '*' }] });

/** For tests and memory pressure. */
export function clearPolicyCache(): void {
  cache.clear();
}

export function policyCacheSize(): number {
  return cache.size;
}

/** Characters the compile cache's keys hold (their policy texts). */
export function policyCacheChars(): number {
  return cache.keyChars;
}

