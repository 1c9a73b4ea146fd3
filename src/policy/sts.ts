/**
 * AssumeRole authorization (spec ram-sts §2.7): the caller's own policies must allow sts:AssumeRole
 * on the role ARN (A) and the role's trust policy must admit the caller (B); both, no Deny anywhere.
 */
import type { CompiledPolicy } from './compile.js';
import { decide, RequestView, type EvalRequest, type FastResult } from './evaluate.js';
import type { Caller, ConditionContext } from './types.js';

export interface AssumeRoleAuthzInput {
  readonly caller: Caller;
  /** The caller's identity policies (user ∪ groups, or the calling role's). */
  readonly identityPolicies: readonly CompiledPolicy[];
  /** When the caller is itself a role session with a session policy. */
  readonly sessionPolicy?: CompiledPolicy | null;
  readonly trustPolicy: CompiledPolicy;
  /** `acs:ram::<owner>:role/<name>` (ramRoleArn). */
  readonly roleArn: string;
  /** e.g. `sts:ExternalId`, `acs:SourceIp`. */
  readonly context?: ConditionContext;
  /** Defaults to `sts:AssumeRole`; SAML/OIDC flows pass their own action. */
  readonly action?: string;
}

export interface AssumeRoleDecision {
  readonly allowed: boolean;
  readonly code?: 'NoPermission';
  readonly message?: string;
  readonly reason: string;
  /** Which layer decided (session / identity / trust) and its decision, when a policy set was evaluated. */
  readonly deciding?: { readonly layer: 'session' | 'identity' | 'trust'; readonly result: FastResult };
}

export const NO_PERMISSION_MESSAGE = 'You are not authorized to do this action. You should be authorized by RAM.';

function refuse(reason: string, deciding?: AssumeRoleDecision['deciding']): AssumeRoleDecision {
  return deciding
    ? { allowed: false, code: 'NoPermission', message: NO_PERMISSION_MESSAGE, reason, deciding }
    : { allowed: false, code: 'NoPermission', message: NO_PERMISSION_MESSAGE, reason };
}

/** The caller's own side of an AssumeRole: what authorizeAssumeRole decides before it reads the trust policy. */
export type AssumeRoleCallerInput = Omit<AssumeRoleAuthzInput, 'trustPolicy'>;

/**
 * The caller's own side alone (root and anonymous callers, the session policy, the caller's identity policies):
 * the refusal, or null when only the trust policy is left to decide. It needs nothing of the role, so STS decides
 * it before looking the role up: a caller its own account does not allow to assume the ARN learns nothing of the
 * role (whether it exists, its MaxSessionDuration), whichever account the role is in.
 */
export function assumeRoleCallerRefusal(input: AssumeRoleCallerInput): AssumeRoleDecision | null {
  const req: EvalRequest = { action: input.action ?? 'sts:AssumeRole', resource: input.roleArn, caller: input.caller, ...(input.context ? { context: input.context } : {}) };
  return callerRefusal(input, req, new RequestView(req));
}

function callerRefusal(input: AssumeRoleCallerInput, req: EvalRequest, view: RequestView): AssumeRoleDecision | null {
  const { caller } = input;
  if (caller.kind === 'root') return refuse('Roles may not be assumed by root accounts.');
  if (caller.kind === 'anonymous') return refuse('Anonymous callers cannot assume roles.');
  // Services and federated identities are admitted by the trust policy alone; RAM identities also
  // need their own permission (and their session policy, if any).
  if (caller.kind === 'user' || caller.kind === 'role') {
    if (caller.kind === 'role' && input.sessionPolicy) {
      const s = decide([input.sessionPolicy], req, view);
      if (s.decision !== 'Allow') return refuse(`the caller's session policy does not allow ${req.action} on ${req.resource}`, { layer: 'session', result: s });
    }
    const a = decide(input.identityPolicies, req, view);
    if (a.decision !== 'Allow') return refuse(`the caller's policies ${a.decision === 'ExplicitDeny' ? 'deny' : 'do not allow'} ${req.action} on ${req.resource}`, { layer: 'identity', result: a });
  }
  return null;
}

/**
 * Both sides of §2.7. `callerSideAllowed`: assumeRoleCallerRefusal already answered null for these same inputs (STS
 * decides the caller's side before the role lookup), so it is not decided again.
 */
export function authorizeAssumeRole(input: AssumeRoleAuthzInput, callerSideAllowed = false): AssumeRoleDecision {
  const req: EvalRequest = { action: input.action ?? 'sts:AssumeRole', resource: input.roleArn, caller: input.caller, ...(input.context ? { context: input.context } : {}) };
  const view = new RequestView(req);
  const refused = callerSideAllowed ? null : callerRefusal(input, req, view);
  if (refused !== null) return refused;
  const b = decide([input.trustPolicy], req, view);
  if (b.decision !== 'Allow') return refuse(`the role's trust policy ${b.decision === 'ExplicitDeny' ? 'denies' : 'does not admit'} the caller`, { layer: 'trust', result: b });
  return { allowed: true, reason: 'allowed by the caller\'s policies and the role\'s trust policy', deciding: { layer: 'trust', result: b } };
}
