/**
 * Evaluation of a set of compiled policies against one request (spec ram-sts §2.1): an applying
 * Deny wins, else an applying Allow, else implicit deny. A statement applies iff its Action (or
 * NotAction), Resource (or NotResource), Principal (bucket/trust policies) and every condition hold.
 */
import { callerIds, type AppliesMemo, type CallerIds, type CompiledCondition, type CompiledPolicy, type CompiledStatement } from './compile.js';
import { splitArn, type RequestArn } from './resource.js';
import { MATCH_WORK_LIMIT, MatchWorkExceeded, newMatchMeter, runMetered, swapMeter, type MatchMeter } from './glob.js';
import type { Caller, ConditionContext, Effect } from './types.js';
import { detached } from '../util/detached.js';
import { internalized } from './interned.js';

export type Decision = 'Allow' | 'ImplicitDeny' | 'ExplicitDeny';

export interface EvalRequest {
  /** e.g. `oss:GetObject`; any case. */
  readonly action: string;
  /** The request ARN, e.g. `acs:oss:cn-hangzhou:1234567890123456:photos/a.jpg`; ignored by trust policies. */
  readonly resource: string;
  /** For bucket and trust policies; absent = anonymous. */
  readonly caller?: Caller;
  /** Owner account of the bucket, for the bucket-policy `"*"` rule (§2.4). */
  readonly bucketOwner?: string;
  readonly context?: ConditionContext;
  /** The request's matching bound, shared by the authorizations of its checks (glob.ts); else one per view. */
  readonly meter?: MatchMeter;
}

export interface MatchedStatement {
  /** The policy's label. */
  readonly policy: string;
  /** Index in its Statement array. */
  readonly statement: number;
  readonly effect: Effect;
  readonly sid?: string;
}

export interface EvalResult {
  readonly decision: Decision;
  /** Every applying statement, in policy/statement order. */
  readonly matched: MatchedStatement[];
  readonly reasons: string[];
}

export interface FastResult {
  readonly decision: Decision;
  /** The Deny that decided, or the first applying Allow; null on implicit deny. */
  readonly deciding: MatchedStatement | null;
  /** The deciding policy's source text, when known (to show the statement in "why?" answers). */
  readonly policyText?: string | undefined;
}

const ANONYMOUS: Caller = { kind: 'anonymous' };

type ContextValue = string | readonly string[];

/**
 * A context by lower-case key, for a view that reads many keys (RequestView.find). `spellings` holds, for keys given
 * in several spellings only, each spelling's values apart (see conditionHolds).
 */
interface Lowered {
  readonly values: Map<string, ContextValue>;
  readonly spellings: Map<string, ContextValue[]> | null;
}

/**
 * The last context lowered, and its lowered form: the decisions of one request share its context object (contexts
 * are read-only), so a view of the next decision finds it here. One slot, not a WeakMap keyed by every request's
 * context: that wrote an ephemeron per request, which the young-generation GC then walked.
 */
let lastLoweredOf: ConditionContext | null = null;
let lastLowered: Lowered | null = null;

/**
 * The context by lower-cased key (condition keys match in any case). Tag keys are case-sensitive (`Team` and `team`
 * are two tags), so a key given in several spellings keeps each spelling's values apart in `spellings` as well as
 * merged in `values`; conditionHolds then tests every spelling and fails closed for the statement's effect (a Deny
 * applies if any spelling meets it, an Allow holds only if all do; docs/policy.md).
 */
function lowerContext(c: ConditionContext): Lowered {
  if (lastLoweredOf === c && lastLowered !== null) return lastLowered;
  const values = new Map<string, ContextValue>();
  let spellings: Map<string, ContextValue[]> | null = null;
  for (const k of Object.keys(c)) {
    const v = c[k];
    if (v === undefined) continue;
    const key = lowerKey(k);
    const had = values.get(key);
    if (had === undefined) {
      values.set(key, v);
      continue;
    }
    values.set(key, merged(had, v));
    spellings ??= new Map();
    const apart = spellings.get(key);
    if (apart === undefined) spellings.set(key, [had, v]);
    else apart.push(v);
  }
  const m: Lowered = { values, spellings };
  lastLoweredOf = c;
  lastLowered = m;
  return m;
}

function merged(a: ContextValue, b: ContextValue): ContextValue {
  return [...(typeof a === 'string' ? [a] : a), ...(typeof b === 'string' ? [b] : b)];
}

/**
 * Keys a view looks up by walking the context before it lowers the whole context into a Map: most decisions read
 * one or two keys (acs:SourceIp, acs:SecureTransport) of a context of six or more, and building the Map (with its
 * WeakMap entry) was a quarter of the RAM user's authorization of a GET (operations.md, twenty-second pass); a view
 * that reads many keys still pays one walk per key only this often.
 */
const WALKS_BEFORE_LOWERING = 4;

/**
 * Lower-cased condition key names without a `/` (acs:SourceIp, acs:CurrentTime, oss:Prefix…: the same few on every
 * request), kept so a request's context costs no new string (and no hash of one) per key. Tag keys, which hold the
 * client's tag names after a `/`, are lower-cased each time; at most LOWER_KEYS_MAX names are kept.
 */
const lowerKeys = new Map<string, string>();
const LOWER_KEYS_MAX = 256;

function lowerKey(k: string): string {
  let lower = lowerKeys.get(k);
  if (lower === undefined) {
    lower = k.toLowerCase();
    if (lowerKeys.size < LOWER_KEYS_MAX && k.length <= 64 && !k.includes('/')) lowerKeys.set(k, (lower = internalized(lower)));
  }
  return lower;
}

/**
 * The last few context key lists views read and their keys lower-cased (lowerKey), compared key by key with the next
 * view's: contexts built by one code path have the same keys in the same order, and property names are internalized,
 * so the comparison is one pointer test per key where lowerKey's Map lookup was a hash-table probe per key and find.
 * A few, not one: a server builds contexts of a few shapes (OSS with and without a prefix, RAM, STS).
 */
const KEY_LISTS = 4;
const keyLists: (readonly string[] | null)[] = new Array<readonly string[] | null>(KEY_LISTS).fill(null);
const lowerLists: (readonly string[] | null)[] = new Array<readonly string[] | null>(KEY_LISTS).fill(null);
let nextKeyList = 0;

function lowerKeysOf(keys: readonly string[]): readonly string[] {
  const n = keys.length;
  for (let slot = 0; slot < KEY_LISTS; slot++) {
    const had = keyLists[slot];
    if (had === null || had === undefined || had.length !== n) continue;
    let i = 0;
    while (i < n && keys[i] === had[i]) i++;
    if (i === n) return lowerLists[slot] as readonly string[];
  }
  const lowers = keys.map(lowerKey);
  keyLists[nextKeyList] = keys;
  lowerLists[nextKeyList] = lowers;
  nextKeyList = (nextKeyList + 1) % KEY_LISTS;
  return lowers;
}

/** `acs:PrincipalAccount`, lower-cased as compiled conditions hold keys. */
const PRINCIPAL_ACCOUNT_KEY = 'acs:principalaccount';
/** `acs:MFAPresent`, lower-cased. */
const MFA_PRESENT_KEY = 'acs:mfapresent';

/**
 * Views are numbered in order of creation, and the memos of conditions and statements (compile.ts) hold the number of
 * the view they answered for rather than the view: a number is stored without a write barrier (a view is young, the
 * memos are old: each store of one entered the remembered set the next scavenge walked), and a memo keeps no
 * request alive. Numbers stay exact, so distinct, up to 2^53 views.
 */
let viewCount = 0;

/** Per-request state built lazily: the split resource ARN, the principal ids, the context by lower-case key (shared with policy/explain.ts). */
export class RequestView {
  /** This view's number (viewCount): what the memos of compile.ts remember it by. */
  readonly stamp: number = ++viewCount;
  private ids: CallerIds | null = null;
  private split: RequestArn | null = null;
  private ctx: Lowered | null = null;
  private walks = 0;
  /** The context's own keys and their lower-cased forms, read once per view for the walks of `find`. */
  private keys: readonly string[] | null = null;
  private lowers: readonly string[] | null = null;

  /**
   * A condition key this view looked up was given in several spellings (find): its conditions then answer by the
   * statement's effect, so neither they nor the statements tested after it are memoized for this view. (A condition
   * or statement answered before that read no such key: its answer is the same for either effect.)
   */
  ambiguous = false;

  /** Each spelling's values of the key the last `lookup` read, when the context gives it in several; else null. */
  lastSpellings: readonly ContextValue[] | null = null;

  /** The pattern-matching work left to this request's decisions, all layers together (glob.ts MATCH_WORK_LIMIT). */
  readonly meter: MatchMeter;

  constructor(readonly req: EvalRequest) {
    this.meter = req.meter ?? newMatchMeter();
  }

  arn(): RequestArn {
    return (this.split ??= splitArn(this.req.resource));
  }

  /** Trust policies have no Resource: their statements are never keyed, so any key is fine. */
  key(): string | null {
    return this.arn().key;
  }

  callerIds(): CallerIds {
    return (this.ids ??= callerIds(this.req.caller ?? ANONYMOUS, this.req.bucketOwner));
  }

  /**
   * The context's values of the condition's key, in any case (every spelling's values merged; each spelling's apart
   * in `lastSpellings` when there are several). Never the policy's own spelling alone: another spelling may hold
   * values too.
   */
  lookup(c: CompiledCondition): ContextValue | undefined {
    this.lastSpellings = null;
    // The caller's account (docs/accounts.md): known from the principal itself, on every product's requests.
    if (c.key === PRINCIPAL_ACCOUNT_KEY) {
      const caller = this.req.caller;
      return caller !== undefined && 'accountId' in caller ? caller.accountId : undefined;
    }
    // Whether the caller signed in with MFA (docs/policy.md): from the principal, never from what the request
    // says. Every signed caller has it, false unless a console sign-in proved a code, so a Deny on false holds.
    // Without a caller (the offline simulator, policy files alone) the request's context states it instead.
    if (c.key === MFA_PRESENT_KEY && this.req.caller !== undefined) {
      const caller = this.req.caller;
      if (caller.kind === 'anonymous' || caller.kind === 'service' || caller.kind === 'federated') return undefined;
      return caller.kind === 'user' && caller.mfa === true ? 'true' : 'false';
    }
    return this.find(c.key);
  }

  /** `key`'s values (lower-case), by a walk of the context for the first few keys, then from its lowered Map. */
  private find(key: string): ContextValue | undefined {
    const ctx = this.req.context;
    if (ctx === undefined) return undefined;
    if (this.ctx === null && this.walks < WALKS_BEFORE_LOWERING) {
      this.walks++;
      let found: ContextValue | undefined;
      let apart: ContextValue[] | null = null;
      // Own keys, as lowerContext reads them (never what an object's prototype would add).
      const keys = (this.keys ??= Object.keys(ctx));
      const lowers = (this.lowers ??= lowerKeysOf(keys));
      for (let i = 0; i < keys.length; i++) {
        if (lowers[i] !== key) continue;
        const v = ctx[keys[i] as string];
        if (v === undefined) continue;
        if (found === undefined) found = v;
        else {
          (apart ??= [found]).push(v);
          found = merged(found, v);
        }
      }
      if (apart !== null) {
        this.ambiguous = true;
        this.lastSpellings = apart;
      }
      return found;
    }
    const m = (this.ctx ??= lowerContext(ctx));
    const apart = m.spellings?.get(key) ?? null;
    if (apart !== null) {
      this.ambiguous = true;
      this.lastSpellings = apart;
    }
    return m.values.get(key);
  }
}

/**
 * Request values up to this length are remembered with their answer per condition (CompiledCondition.lastTest): an
 * IP, a time, `true`; not a long header value, which a pooled condition would otherwise keep alive.
 */
const LAST_TEST_MAX = 64;

/** `c.test(x)`, answered from the condition's last value when it is the same. */
function tested(c: CompiledCondition, x: string): boolean {
  const last = c.lastTest;
  if (last.value === x) return last.positive;
  const positive = c.test(x);
  if (x.length <= LAST_TEST_MAX) {
    last.value = detached(x); // a cut of a longer header would keep the header alive
    last.positive = positive;
  }
  return positive;
}

function holdsFor(c: CompiledCondition, v: ContextValue | undefined): boolean {
  let positive = false;
  if (typeof v === 'string') positive = tested(c, v);
  else if (v !== undefined) {
    for (const x of v) if (tested(c, x)) { positive = true; break; }
  }
  return c.negated ? !positive : positive;
}

/**
 * Missing key: positive operators false, negated true; several request values: any may match (§1.6).
 *
 * A key given in several spellings (tags `team=red` and `Team=blue`) is several tags, not one tag with several
 * values: each spelling's values are tested apart, and the answer fails closed for the statement's `effect`. A Deny
 * applies when it applies to any spelling, an Allow only when it holds for every one. With the values merged, a Deny
 * on `StringNotEquals oss:RequestObjectTag/team: blue` was passed by `team=red&Team=blue` (blue is among them), and
 * an Allow on `StringEquals …/team: blue` admitted that write too (docs/policy.md).
 */
export function conditionHolds(c: CompiledCondition, view: RequestView, effect: Effect = 'Deny'): boolean {
  // A shared condition (compile.ts) met again in the same request: its answer cannot have changed.
  const memo = c.memo;
  if (memo.view === view.stamp) return memo.holds;
  const v = view.lookup(c);
  const apart = view.lastSpellings;
  if (apart !== null) return effect === 'Deny' ? apart.some((x) => holdsFor(c, x)) : apart.every((x) => holdsFor(c, x));
  const holds = holdsFor(c, v);
  // Not remembered in a view with several spellings of some key: a statement memo shared with the other effect
  // could otherwise carry this answer to it (applies).
  if (!view.ambiguous) {
    memo.view = view.stamp;
    memo.holds = holds;
  }
  return holds;
}

function applies(st: CompiledStatement, view: RequestView): boolean {
  // A statement with the same Resource, Principal and Condition (compile.ts) already answered for this request.
  const memo = st.applies;
  if (memo.view === view.stamp) return memo.holds;
  const holds = appliesNow(st, view);
  // Shared by statements of either effect: not remembered where the answer depends on the effect (conditionHolds).
  if (!view.ambiguous) {
    memo.view = view.stamp;
    memo.holds = holds;
  }
  return holds;
}

function appliesNow(st: CompiledStatement, view: RequestView): boolean {
  if (st.matchResource !== null && st.matchResource(view.arn()) === st.notResource) return false;
  if (st.matchPrincipal !== null && !st.matchPrincipal(view.callerIds())) return false;
  for (const c of st.conditions) if (!conditionHolds(c, view, st.effect)) return false;
  return true;
}

function matchOf(policy: CompiledPolicy, st: CompiledStatement): MatchedStatement {
  return st.sid === undefined
    ? { policy: policy.label, statement: st.index, effect: st.effect }
    : { policy: policy.label, statement: st.index, effect: st.effect, sid: st.sid };
}

/** A statement that may apply to an (action, key), with its policy (label and text). */
interface Candidate {
  readonly st: CompiledStatement;
  /** The answer when this statement decides (an applying Deny, or the first applying Allow), built once. */
  readonly result: FastResult;
}

const IMPLICIT_DENY: FastResult = { decision: 'ImplicitDeny', deciding: null };

const SET_ACTION_LIMIT = 512;
const SET_KEY_LIMIT = 256;

/**
 * The candidates of a whole policy set per (action, key), in policy then statement order: one lookup
 * per decision instead of two per policy. Built for a snapshot of the set's members; `sameAs` tells
 * whether the (mutable) array still holds them.
 */
class SetIndex {
  private readonly byAction = new Map<string, ActionCandidates>();

  constructor(
    private readonly members: readonly CompiledPolicy[],
    /** The array it was built for is frozen (IdentityPolicies' cached sets): it holds the members for good. */
    private readonly frozen: boolean,
  ) {}

  /** `policies` is the array this index was built for (or one like it): does it still hold the members? */
  sameAs(policies: readonly CompiledPolicy[]): boolean {
    if (this.frozen) return true;
    if (policies.length !== this.members.length) return false;
    for (let i = 0; i < policies.length; i++) if (policies[i] !== this.members[i]) return false;
    return true;
  }

  candidates(action: string, key: string | null): readonly Candidate[] {
    let entry = this.byAction.get(action);
    if (entry === undefined) {
      if (this.byAction.size >= SET_ACTION_LIMIT) this.byAction.clear();
      entry = new ActionCandidates();
      this.byAction.set(action, entry);
    }
    const recent = entry.recent(key);
    if (recent !== null) return recent;
    let list = entry.byKey.get(key);
    if (list === undefined) {
      list = candidatesOf(this.members, action, key);
      if (entry.byKey.size >= SET_KEY_LIMIT) entry.byKey.clear();
      entry.byKey.set(key, list);
    }
    entry.remember(key, list);
    return list;
  }
}

/** Slots of ActionCandidates' recent keys. */
const RECENT_KEYS = 4;

/**
 * One action's candidates by request key, the last few keys compared before the Map: a request's key is a new string
 * (cut from its ARN), so the Map hashed it on every decision (~0.3 k instructions with the probe); comparing it with
 * a few recent keys costs a length test each, or one short compare. The lists are the Map's own.
 */
class ActionCandidates {
  readonly byKey = new Map<string | null, readonly Candidate[]>();
  private readonly keys: (string | null | undefined)[] = new Array<string | null | undefined>(RECENT_KEYS).fill(undefined);
  private readonly lists: (readonly Candidate[] | null)[] = new Array<readonly Candidate[] | null>(RECENT_KEYS).fill(null);
  private next = 0;

  recent(key: string | null): readonly Candidate[] | null {
    const keys = this.keys;
    for (let i = 0; i < RECENT_KEYS; i++) if (keys[i] === key) return this.lists[i] as readonly Candidate[] | null;
    return null;
  }

  remember(key: string | null, list: readonly Candidate[]): void {
    const i = this.next;
    this.keys[i] = key;
    this.lists[i] = list;
    this.next = (i + 1) % RECENT_KEYS;
  }
}

/**
 * The statements of `policies` that may decide (action, key), in policy then statement order, keeping only
 * the first of each (applies memo, effect): statements sharing a memo apply or not together (same
 * Resource, Principal and Condition, compile.ts), so a later one can never decide where the first did not
 * (the first applying Deny wins, and so does the first applying Allow). Attached policies often repeat a
 * guard statement (a Deny without TLS, say): each such repeat is one candidate, not one per policy.
 */
function candidatesOf(policies: readonly CompiledPolicy[], action: string, key: string | null): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Map<AppliesMemo, Effect | 'both'>();
  for (const policy of policies) {
    for (const st of policy.statementsFor(action, key)) {
      const had = seen.get(st.applies);
      if (had === st.effect || had === 'both') continue;
      seen.set(st.applies, had === undefined ? st.effect : 'both');
      const decision = st.effect === 'Deny' ? 'ExplicitDeny' : 'Allow';
      out.push({ st, result: { decision, deciding: matchOf(policy, st), policyText: policy.text } });
    }
  }
  return out;
}

/** Sets seen once map to null; a set seen again (a cached identity set, not a fresh array per call) gets an index. */
const setIndexes = new WeakMap<readonly CompiledPolicy[], SetIndex | null>();

/**
 * The last set indexed and its index, looked at before the WeakMap: the requests of one caller bring the same cached
 * set, and a frozen one is taken without comparing its members again (each comparison was a keyed load per policy).
 */
let lastSet: readonly CompiledPolicy[] | null = null;
let lastSetIndex: SetIndex | null = null;

function indexOf(policies: readonly CompiledPolicy[]): SetIndex | null {
  if (policies.length < 2) return null;
  if (policies === lastSet && lastSetIndex !== null && lastSetIndex.sameAs(policies)) return lastSetIndex;
  let ix = setIndexes.get(policies);
  if (ix === undefined) {
    setIndexes.set(policies, null);
    return null;
  }
  if (ix === null || !ix.sameAs(policies)) {
    ix = new SetIndex([...policies], Object.isFrozen(policies));
    setIndexes.set(policies, ix);
  }
  lastSet = policies;
  lastSetIndex = ix;
  return ix;
}

/**
 * The decision only, stopping at the first applying Deny. For hot paths. The layers of one
 * authorization (session, identity, bucket or trust) pass one `view` of their one request, so the
 * caller's ids, the ARN split and statement answers are worked out once for all of them.
 */
export function decide(policies: readonly CompiledPolicy[], req: EvalRequest, view: RequestView = new RequestView(req)): FastResult {
  if (view.req !== req) throw new Error('decide: the view is of another request');
  // runMetered, written out: no closure per decision.
  const outer = swapMeter(view.meter);
  try {
    return decideMetered(policies, req, view);
  } catch (err) {
    if (!(err instanceof MatchWorkExceeded)) throw err;
    // Fails closed: a request whose values cost more to match than the bound is refused as if denied.
    const first = policies[0];
    return { decision: 'ExplicitDeny', deciding: { policy: first?.label ?? '', statement: -1, effect: 'Deny' }, ...(first ? { policyText: first.text } : {}) };
  } finally {
    swapMeter(outer);
  }
}

function decideMetered(policies: readonly CompiledPolicy[], req: EvalRequest, view: RequestView): FastResult {
  let allow: MatchedStatement | null = null;
  let allowText: string | undefined;
  const key = view.key();
  const ix = indexOf(policies);
  if (ix !== null) {
    const list = ix.candidates(req.action, key);
    let allowed: FastResult | null = null;
    for (let i = 0; i < list.length; i++) {
      const c = list[i] as Candidate;
      const st = c.st;
      if (st.effect === 'Allow' && allowed !== null) continue; // one Allow is enough; only Denies matter now
      if (!applies(st, view)) continue;
      if (st.effect === 'Deny') return c.result;
      allowed = c.result;
    }
    return allowed ?? IMPLICIT_DENY;
  }
  for (const p of policies) {
    for (const st of p.statementsFor(req.action, key)) {
      if (st.effect === 'Allow' && allow !== null) continue;
      if (!applies(st, view)) continue;
      if (st.effect === 'Deny') return { decision: 'ExplicitDeny', deciding: matchOf(p, st), policyText: p.text };
      allow = matchOf(p, st);
      allowText = p.text;
    }
  }
  return allow ? { decision: 'Allow', deciding: allow, policyText: allowText } : IMPLICIT_DENY;
}

function describe(m: MatchedStatement): string {
  return `${m.policy ? `policy "${m.policy}"` : 'policy'} Statement[${m.statement}]${m.sid !== undefined ? ` (Sid "${m.sid}")` : ''}`;
}

/** The decision with every applying statement and a readable account of why. */
export function evaluate(policies: readonly CompiledPolicy[], req: EvalRequest): EvalResult {
  const view = new RequestView(req);
  const matched: MatchedStatement[] = [];
  const key = view.key();
  const what = `${req.action} on ${req.resource || '(no resource)'}`;
  try {
    runMetered(view.meter, () => {
      for (const p of policies) {
        for (const st of p.statementsFor(req.action, key)) if (applies(st, view)) matched.push(matchOf(p, st));
      }
    });
  } catch (err) {
    if (!(err instanceof MatchWorkExceeded)) throw err;
    return { decision: 'ExplicitDeny', matched, reasons: [`matching the policies' patterns against the values of ${what} exceeded ${MATCH_WORK_LIMIT} characters: refused (docs/limits.md)`] };
  }
  const denies = matched.filter((m) => m.effect === 'Deny');
  const allows = matched.filter((m) => m.effect === 'Allow');
  if (denies.length > 0) {
    return { decision: 'ExplicitDeny', matched, reasons: denies.map((m) => `${describe(m)} denies ${what}`) };
  }
  if (allows.length > 0) {
    return { decision: 'Allow', matched, reasons: allows.map((m) => `${describe(m)} allows ${what}`) };
  }
  const n = policies.length;
  return { decision: 'ImplicitDeny', matched, reasons: [n === 0 ? `no policy applies to ${what}` : `no statement of ${n} ${n === 1 ? 'policy' : 'policies'} allows ${what}`] };
}

/** Combines layer decisions (§2.2): any ExplicitDeny, else any Allow, else ImplicitDeny. */
export function combine(...decisions: Decision[]): Decision {
  if (decisions.includes('ExplicitDeny')) return 'ExplicitDeny';
  return decisions.includes('Allow') ? 'Allow' : 'ImplicitDeny';
}
