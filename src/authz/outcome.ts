import type { Decision, FastResult } from '../policy/index.js';
import { traceOfBasis, type DecisionTrace, type TraceBasis } from '../policy/explain.js';

/**
 * What authorization decided for one request and what decided it, for the audit log, metrics and
 * ExplainRequest. Authorizers (OSS, RAM actions, AssumeRole) leave it in an AuthzTrace they are handed;
 * they never see HTTP or the request record itself.
 */
export interface AuthzOutcome {
  /** e.g. `oss:GetObject`, `ram:CreateUser`, `sts:AssumeRole`. */
  readonly action: string;
  /** The request ARN the decision was made for. */
  readonly resource: string;
  readonly decision: Decision;
  /** session | identity | bucket | owner | acl | trust; absent when nothing in particular decided. */
  readonly layer?: string | undefined;
  /** Policy name (identity), `bucket policy of <b>`, `session policy`, an ACL name; absent for the owner. */
  readonly policy?: string | undefined;
  /** Index in the policy's Statement array; -1 when no statement decided. */
  readonly statementIndex: number;
  /** The deciding policy's text (shared with the policy cache, not copied), to show the statement on demand. */
  readonly policyText?: string | undefined;
  /**
   * What the decision was made on (the already compiled policies, caller, context: references, no
   * copies, no secrets), so the full layered trace can be computed when asked (traceOf), never on the hot path.
   */
  readonly basis?: TraceBasis | undefined;
}

/** The full trace of a recorded decision, computed now; undefined when the authorizer kept no basis. */
export function traceOf(outcome: AuthzOutcome | undefined): DecisionTrace | undefined {
  return outcome?.basis === undefined ? undefined : traceOfBasis(outcome.basis);
}

/** Where an authorizer leaves its outcome; for several checks (CopyObject) the last one decided wins. */
export interface AuthzTrace {
  authz?: AuthzOutcome | undefined;
}

/** The outcome of one policy-set decision (`decide`) at `layer` (an implicit deny names the layer that did not allow). */
export function outcomeOfDecision(action: string, resource: string, layer: string, r: FastResult, basis?: TraceBasis): AuthzOutcome {
  if (r.deciding === null) return { action, resource, decision: r.decision, layer, statementIndex: -1, basis };
  return { action, resource, decision: r.decision, layer, policy: r.deciding.policy, statementIndex: r.deciding.statement, policyText: r.policyText, basis };
}

/** The statement `index` of a policy text, as compact JSON; undefined when it cannot be found. */
export function statementText(policyText: string | undefined, index: number): string | undefined {
  if (policyText === undefined || index < 0) return undefined;
  try {
    const doc: unknown = JSON.parse(policyText);
    if (typeof doc !== 'object' || doc === null) return undefined;
    const key = Object.keys(doc).find((k) => k.toLowerCase() === 'statement');
    if (key === undefined) return undefined;
    const list: unknown = (doc as Record<string, unknown>)[key];
    const st = Array.isArray(list) ? list[index] : index === 0 ? list : undefined;
    return st === undefined ? undefined : JSON.stringify(st);
  } catch {
    return undefined;
  }
}
