/**
 * The full account of one decision ("why was I denied?"): every layer in the order the cloud evaluates
 * it (spec ram-sts §2.3, §2.7), what each said, and for each statement of each policy whether it applied
 * or which part failed (Action/NotAction, Resource/NotResource, Principal, or the conditions with their
 * key, operator, expected values and the request's actual value).
 *
 * Built on the same compiled policies and the same matchers as `decide` (RequestView, conditionHolds),
 * but slower: it looks at every statement. Never on the hot path: authorizers record the inputs they
 * decided on (references, no copies) and the trace is computed when someone asks (ExplainRequest, the
 * audit line of a denial, the simulator). test/policy-explain.test.ts checks that its decision always
 * equals the fast path's.
 */
import type { CompiledPolicy, CompiledStatement } from './compile.js';
import { conditionHolds, RequestView, type Decision, type EvalRequest } from './evaluate.js';
import { MatchWorkExceeded, runMetered } from './glob.js';
import { aclGrants, type OssAuthzInput } from './oss.js';
import type { AssumeRoleAuthzInput } from './sts.js';
import type { RamActionAuthzInput } from './ram-action.js';
import type { Effect } from './types.js';

export type TraceLayerName = 'session' | 'identity' | 'bucket' | 'owner' | 'acl' | 'trust';
/** NoMatch: consulted, but no statement (or grant) applied: an implicit deny of that layer. */
export type LayerVerdict = 'Allow' | 'ExplicitDeny' | 'NoMatch' | 'NotConsulted';
export type FailedPart = 'Action' | 'NotAction' | 'Resource' | 'NotResource' | 'Principal' | 'Condition';

export interface ConditionTrace {
  /** As written in the policy. */
  readonly key: string;
  readonly operator: string;
  readonly expected: readonly string[];
  /** The request's value(s); null when the request has no such key. */
  readonly actual: readonly string[] | null;
}

export interface StatementTrace {
  readonly index: number;
  readonly sid?: string;
  readonly effect: Effect;
  readonly applied: boolean;
  /** The first part that did not match, in evaluation order (absent when the statement applied). */
  readonly failed?: FailedPart;
  /** With `failed: 'Condition'`: every condition that did not hold. */
  readonly conditions?: readonly ConditionTrace[];
}

export interface PolicyTrace {
  readonly name: string;
  readonly verdict: Exclude<LayerVerdict, 'NotConsulted'>;
  readonly statements: readonly StatementTrace[];
}

export interface LayerTrace {
  readonly layer: TraceLayerName;
  readonly verdict: LayerVerdict;
  /** One sentence: what the layer said, or why it was not consulted. */
  readonly reason: string;
  /** Policy layers: each policy with its statements (empty for the owner and ACL layers). */
  readonly policies: readonly PolicyTrace[];
  /** The statement that decided this layer's verdict (first applying Deny, else first applying Allow). */
  readonly deciding?: { readonly policy: string; readonly statement: number };
}

export interface DecisionTrace {
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
  /** The layer whose verdict settled the decision; absent when none in particular did (e.g. no grant at all). */
  readonly decidingLayer?: TraceLayerName;
  /** In evaluation order. */
  readonly layers: readonly LayerTrace[];
}

/** What an authorizer decided on, kept by reference so the trace can be computed later. */
export type TraceBasis =
  | { readonly kind: 'oss'; readonly input: OssAuthzInput }
  | { readonly kind: 'ram'; readonly input: RamActionAuthzInput }
  | { readonly kind: 'assumeRole'; readonly input: AssumeRoleAuthzInput };

export function traceOfBasis(b: TraceBasis): DecisionTrace {
  switch (b.kind) {
    case 'oss':
      return explainOss(b.input);
    case 'ram':
      return explainRamAction(b.input);
    case 'assumeRole':
      return explainAssumeRole(b.input);
  }
}

// ---------------------------------------------------------------------------------------------
// Statements and policy sets

function statementTrace(st: CompiledStatement, lowerAction: string, view: RequestView): StatementTrace {
  const base = st.sid === undefined ? { index: st.index, effect: st.effect } : { index: st.index, sid: st.sid, effect: st.effect };
  if (st.matchAction(lowerAction) === st.notAction) return { ...base, applied: false, failed: st.notAction ? 'NotAction' : 'Action' };
  if (st.matchResource !== null && st.matchResource(view.arn()) === st.notResource) return { ...base, applied: false, failed: st.notResource ? 'NotResource' : 'Resource' };
  if (st.matchPrincipal !== null && !st.matchPrincipal(view.callerIds())) return { ...base, applied: false, failed: 'Principal' };
  const failing: ConditionTrace[] = [];
  for (const c of st.conditions) {
    if (conditionHolds(c, view, st.effect)) continue;
    const v = view.lookup(c);
    failing.push({ key: c.keyAsWritten, operator: c.operator, expected: c.values, actual: v === undefined ? null : typeof v === 'string' ? [v] : [...v] });
  }
  if (failing.length > 0) return { ...base, applied: false, failed: 'Condition', conditions: failing };
  return { ...base, applied: true };
}

interface SetTrace {
  readonly verdict: 'Allow' | 'ExplicitDeny' | 'NoMatch';
  readonly policies: PolicyTrace[];
  readonly deciding?: { readonly policy: string; readonly statement: number };
}

/** Every statement of every policy, and the set's verdict as `decide` reaches it (first Deny, else first Allow). */
export function explainPolicySet(policies: readonly CompiledPolicy[], req: EvalRequest): SetTrace {
  // Explained afresh: the request's own meter (spent or not by its authorization) is not this explanation's.
  const { meter: _spent, ...fresh } = req;
  const view = new RequestView(fresh);
  const lower = req.action.toLowerCase();
  let deny: SetTrace['deciding'];
  let allow: SetTrace['deciding'];
  const out: PolicyTrace[] = [];
  for (const p of policies) {
    let statements: StatementTrace[];
    try {
      statements = runMetered(view.meter, () => p.statements.map((st) => statementTrace(st, lower, view)));
    } catch (err) {
      // As decide: a request whose values cost more to match than the bound is refused as if denied (glob.ts).
      if (!(err instanceof MatchWorkExceeded)) throw err;
      out.push({ name: p.label, verdict: 'ExplicitDeny', statements: [] });
      return { verdict: 'ExplicitDeny', policies: out, deciding: { policy: p.label, statement: -1 } };
    }
    let verdict: PolicyTrace['verdict'] = 'NoMatch';
    for (const s of statements) {
      if (!s.applied) continue;
      if (s.effect === 'Deny') {
        verdict = 'ExplicitDeny';
        deny ??= { policy: p.label, statement: s.index };
      } else {
        if (verdict === 'NoMatch') verdict = 'Allow';
        allow ??= { policy: p.label, statement: s.index };
      }
    }
    out.push({ name: p.label, verdict, statements });
  }
  if (deny) return { verdict: 'ExplicitDeny', policies: out, deciding: deny };
  if (allow) return { verdict: 'Allow', policies: out, deciding: allow };
  return { verdict: 'NoMatch', policies: out };
}

function layerOf(layer: TraceLayerName, set: SetTrace, reasons: Record<SetTrace['verdict'], string>): LayerTrace {
  return set.deciding ? { layer, verdict: set.verdict, reason: reasons[set.verdict], policies: set.policies, deciding: set.deciding } : { layer, verdict: set.verdict, reason: reasons[set.verdict], policies: set.policies };
}

function skipped(layer: TraceLayerName, reason: string): LayerTrace {
  return { layer, verdict: 'NotConsulted', reason, policies: [] };
}

function said(layer: TraceLayerName, verdict: LayerVerdict, reason: string): LayerTrace {
  return { layer, verdict, reason, policies: [] };
}

const SESSION_REASONS = {
  Allow: 'The session policy allows it; the other layers decide.',
  ExplicitDeny: 'A statement of the session policy denies it.',
  NoMatch: 'No statement of the session policy allows it: a session policy only narrows the role\'s permissions, so this is refused whatever the role\'s policies say.',
} as const;

function identityReasons(count: number): Record<SetTrace['verdict'], string> {
  return {
    Allow: 'An identity policy allows it.',
    ExplicitDeny: 'A statement of an identity policy denies it.',
    NoMatch: count === 0 ? 'No policy is attached to the caller (or its groups / role).' : `No statement of the caller's ${count} ${count === 1 ? 'policy' : 'policies'} allows it.`,
  };
}

// ---------------------------------------------------------------------------------------------
// OSS (mirrors authorizeOss)

export function explainOss(input: OssAuthzInput): DecisionTrace {
  const { caller, bucketOwner, check } = input;
  const req: EvalRequest = { action: check.action, resource: check.resource, caller, bucketOwner: bucketOwner ?? undefined, context: input.context };
  const base = { action: check.action, resource: check.resource };
  const layers: LayerTrace[] = [];
  const done = (decision: Decision, decidingLayer: TraceLayerName | undefined, rest: readonly [TraceLayerName, string][]): DecisionTrace => {
    for (const [l, why] of rest) layers.push(skipped(l, why));
    return decidingLayer === undefined ? { ...base, decision, layers } : { ...base, decision, decidingLayer, layers };
  };

  // 1. Session policy gate.
  if (caller.kind !== 'role') layers.push(skipped('session', 'The caller is not an STS role session.'));
  else if (!input.sessionPolicy) layers.push(skipped('session', 'The session carries no session policy.'));
  else {
    const s = explainPolicySet([input.sessionPolicy], req);
    layers.push(layerOf('session', s, SESSION_REASONS));
    if (s.verdict !== 'Allow') {
      const why = 'The session policy refused first.';
      return done(s.verdict === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny', 'session', [['identity', why], ['bucket', why], ['owner', why], ['acl', why]]);
    }
  }

  // 2. Identity and bucket policies, in parallel.
  let identity: SetTrace = { verdict: 'NoMatch', policies: [] };
  if (caller.kind === 'anonymous') layers.push(skipped('identity', 'Anonymous requests have no identity policies.'));
  else if (caller.kind === 'root') layers.push(skipped('identity', 'Root accounts have no RAM policies (their account\'s ownership counts instead).'));
  else if (bucketOwner !== null && caller.accountId !== bucketOwner) {
    // Another account's identity: only an explicit Deny of its own policies counts (authorizeOss).
    const own = explainPolicySet(input.identityPolicies, req);
    if (own.verdict === 'ExplicitDeny') {
      identity = own;
      layers.push(layerOf('identity', own, identityReasons(input.identityPolicies.length)));
    } else {
      layers.push(skipped('identity', `Identity policies grant only to identities of the bucket owner's account (${bucketOwner}); the caller belongs to ${caller.accountId}, whose policies deny nothing here.`));
    }
  } else {
    identity = explainPolicySet(input.identityPolicies, req);
    layers.push(layerOf('identity', identity, identityReasons(input.identityPolicies.length)));
  }
  let bucket: SetTrace = { verdict: 'NoMatch', policies: [] };
  if (bucketOwner === null) layers.push(skipped('bucket', 'A service-level request has no bucket policy.'));
  else if (!input.bucketPolicy) layers.push(skipped('bucket', 'The bucket has no bucket policy.'));
  else {
    bucket = explainPolicySet([input.bucketPolicy], req);
    layers.push(layerOf('bucket', bucket, { Allow: 'The bucket policy allows it.', ExplicitDeny: 'A statement of the bucket policy denies it.', NoMatch: 'No statement of the bucket policy applies.' }));
  }

  // 3. Any explicit Deny, else any Allow.
  if (identity.verdict === 'ExplicitDeny') return done('ExplicitDeny', 'identity', [['owner', 'An explicit Deny decided.'], ['acl', 'An explicit Deny decided.']]);
  if (bucket.verdict === 'ExplicitDeny') return done('ExplicitDeny', 'bucket', [['owner', 'An explicit Deny decided (a bucket policy Deny binds even the owner when it names it).'], ['acl', 'An explicit Deny decided.']]);
  if (identity.verdict === 'Allow') return done('Allow', 'identity', [['owner', 'A policy allowed it.'], ['acl', 'A policy allowed it.']]);
  if (bucket.verdict === 'Allow') return done('Allow', 'bucket', [['owner', 'A policy allowed it.'], ['acl', 'A policy allowed it.']]);

  // 4. The owner's root account.
  if (caller.kind === 'root' && (bucketOwner === null || caller.accountId === bucketOwner)) {
    layers.push(said('owner', 'Allow', bucketOwner === null ? 'A root account may use the service-level APIs of its own account.' : 'The bucket owner\'s root account has full control.'));
    return done('Allow', 'owner', [['acl', 'The owner decided.']]);
  }
  layers.push(said('owner', 'NoMatch', caller.kind === 'root' ? `The caller is the root account of ${caller.accountId}, not of the bucket owner ${bucketOwner ?? ''}.` : 'The caller is not the bucket owner\'s root account.'));
  if (bucketOwner === null) return done('ImplicitDeny', undefined, [['acl', 'A service-level request has no ACL.']]);

  // 5. ACLs.
  if (check.acl === 'none') return done('ImplicitDeny', undefined, [['acl', `ACLs never grant ${check.action} (only reads and writes of data).`]]);
  const acl = input.effectiveAcl ?? 'private';
  const what = check.acl === 'read' ? 'reads' : 'writes';
  const subject = `The ${check.isObject ? 'effective object' : 'bucket'} ACL`;
  if (aclGrants(acl, check.acl, caller.kind === 'anonymous')) {
    layers.push(said('acl', 'Allow', `${subject} ${acl} grants ${what} to ${acl === 'authenticated-read' ? 'any caller that signs' : 'anyone'}.`));
    return done('Allow', 'acl', []);
  }
  const why = acl === 'private' ? 'grants nothing to others' : acl === 'authenticated-read' && check.acl === 'read' ? 'grants reads to signed callers only' : 'grants reads, not writes';
  layers.push(said('acl', 'NoMatch', `${subject} ${acl} ${why}.`));
  return done('ImplicitDeny', 'acl', []);
}

// ---------------------------------------------------------------------------------------------
// RAM actions (mirrors decideRamAction) and AssumeRole (mirrors authorizeAssumeRole)

export function explainRamAction(input: RamActionAuthzInput): DecisionTrace {
  const base = { action: input.action, resource: input.resource };
  const p = input.caller;
  // With the caller, as decideRamAction decides: acs:MFAPresent and acs:PrincipalAccount come from it. Before, the
  // trace had them missing, so a RAM call a "Bool acs:MFAPresent false" statement allowed was explained as refused.
  const req: EvalRequest = { action: input.action, resource: input.resource, context: input.context, caller: p };
  if (p.kind === 'root' && p.accountId === input.accountId) {
    return { ...base, decision: 'Allow', decidingLayer: 'owner', layers: [skipped('session', 'The caller is not an STS role session.'), skipped('identity', 'Root accounts have no RAM policies.'), said('owner', 'Allow', 'The account\'s root may do everything in its account.')] };
  }
  if ((p.kind === 'user' || p.kind === 'role') && p.accountId === input.accountId) {
    const layers: LayerTrace[] = [];
    if (p.kind !== 'role') layers.push(skipped('session', 'The caller is not an STS role session.'));
    else if (!input.sessionPolicy) layers.push(skipped('session', 'The session carries no session policy.'));
    else {
      const s = explainPolicySet([input.sessionPolicy], req);
      layers.push(layerOf('session', s, SESSION_REASONS));
      if (s.verdict !== 'Allow') {
        layers.push(skipped('identity', 'The session policy refused first.'));
        return { ...base, decision: s.verdict === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny', decidingLayer: 'session', layers };
      }
    }
    const id = explainPolicySet(input.identityPolicies, req);
    layers.push(layerOf('identity', id, identityReasons(input.identityPolicies.length)));
    return { ...base, decision: id.verdict === 'NoMatch' ? 'ImplicitDeny' : id.verdict, decidingLayer: 'identity', layers };
  }
  const why = p.kind === 'anonymous' ? 'Anonymous callers have no RAM permissions.' : `The caller belongs to another account (${'accountId' in p ? p.accountId : '?'}) than ${input.accountId}.`;
  return { ...base, decision: 'ImplicitDeny', layers: [skipped('session', why), skipped('identity', why), skipped('owner', why)] };
}

export function explainAssumeRole(input: AssumeRoleAuthzInput): DecisionTrace {
  const action = input.action ?? 'sts:AssumeRole';
  const base = { action, resource: input.roleArn };
  const { caller } = input;
  if (caller.kind === 'root' || caller.kind === 'anonymous') {
    const why = caller.kind === 'root' ? 'Roles may not be assumed by root accounts.' : 'Anonymous callers cannot assume roles.';
    return { ...base, decision: 'ImplicitDeny', layers: [skipped('session', why), said('identity', 'NoMatch', why), skipped('trust', why)] };
  }
  const req: EvalRequest = { action, resource: input.roleArn, caller, ...(input.context ? { context: input.context } : {}) };
  const layers: LayerTrace[] = [];
  if (caller.kind === 'user' || caller.kind === 'role') {
    if (caller.kind !== 'role') layers.push(skipped('session', 'The caller is not an STS role session.'));
    else if (!input.sessionPolicy) layers.push(skipped('session', 'The session carries no session policy.'));
    else {
      const s = explainPolicySet([input.sessionPolicy], req);
      layers.push(layerOf('session', s, SESSION_REASONS));
      if (s.verdict !== 'Allow') {
        layers.push(skipped('identity', 'The session policy refused first.'), skipped('trust', 'The session policy refused first.'));
        return { ...base, decision: s.verdict === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny', decidingLayer: 'session', layers };
      }
    }
    const id = explainPolicySet(input.identityPolicies, req);
    layers.push(layerOf('identity', id, { ...identityReasons(input.identityPolicies.length), Allow: `An identity policy allows ${action} on the role.` }));
    if (id.verdict !== 'Allow') {
      layers.push(skipped('trust', 'The caller\'s own policies refused first.'));
      return { ...base, decision: id.verdict === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny', decidingLayer: 'identity', layers };
    }
  } else {
    layers.push(skipped('session', 'Services and federated identities have no session policy.'), skipped('identity', 'Services and federated identities are admitted by the trust policy alone.'));
  }
  const t = explainPolicySet([input.trustPolicy], req);
  layers.push(layerOf('trust', t, { Allow: 'The role\'s trust policy admits the caller.', ExplicitDeny: 'A statement of the role\'s trust policy denies the caller.', NoMatch: 'No statement of the role\'s trust policy admits the caller.' }));
  return { ...base, decision: t.verdict === 'NoMatch' ? 'ImplicitDeny' : t.verdict, decidingLayer: 'trust', layers };
}

// ---------------------------------------------------------------------------------------------
// Policy layers alone (the simulator with policy files): session gate, then identity ∪ bucket

export interface PolicyLayersInput {
  readonly sessionPolicy?: CompiledPolicy | null;
  readonly identityPolicies: readonly CompiledPolicy[];
  readonly bucketPolicy?: CompiledPolicy | null;
  readonly request: EvalRequest;
}

/** The policy layers of §2.2–§2.3 without ownership or ACLs: what a set of policy files says about one request. */
export function explainPolicyLayers(input: PolicyLayersInput): DecisionTrace {
  const req = input.request;
  const base = { action: req.action, resource: req.resource };
  const layers: LayerTrace[] = [];
  if (input.sessionPolicy) {
    const s = explainPolicySet([input.sessionPolicy], req);
    layers.push(layerOf('session', s, SESSION_REASONS));
    if (s.verdict !== 'Allow') {
      layers.push(skipped('identity', 'The session policy refused first.'));
      if (input.bucketPolicy) layers.push(skipped('bucket', 'The session policy refused first.'));
      return { ...base, decision: s.verdict === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny', decidingLayer: 'session', layers };
    }
  } else layers.push(skipped('session', 'No session policy was given.'));
  const id = explainPolicySet(input.identityPolicies, req);
  layers.push(layerOf('identity', id, identityReasons(input.identityPolicies.length)));
  let bucket: SetTrace = { verdict: 'NoMatch', policies: [] };
  if (input.bucketPolicy) {
    bucket = explainPolicySet([input.bucketPolicy], req);
    layers.push(layerOf('bucket', bucket, { Allow: 'The bucket policy allows it.', ExplicitDeny: 'A statement of the bucket policy denies it.', NoMatch: 'No statement of the bucket policy applies.' }));
  }
  if (id.verdict === 'ExplicitDeny') return { ...base, decision: 'ExplicitDeny', decidingLayer: 'identity', layers };
  if (bucket.verdict === 'ExplicitDeny') return { ...base, decision: 'ExplicitDeny', decidingLayer: 'bucket', layers };
  if (id.verdict === 'Allow') return { ...base, decision: 'Allow', decidingLayer: 'identity', layers };
  if (bucket.verdict === 'Allow') return { ...base, decision: 'Allow', decidingLayer: 'bucket', layers };
  return { ...base, decision: 'ImplicitDeny', layers };
}
