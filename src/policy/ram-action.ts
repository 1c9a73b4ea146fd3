/**
 * The decision for one RAM API action on one resource (spec ram-sts §2.2): the account's root may do
 * everything; a RAM user needs its identity policies to allow it; an STS role session needs its session
 * policy (if any) and then the role's policies to allow it; anyone else is refused.
 */
import type { CompiledPolicy } from './compile.js';
import { decide, RequestView, type FastResult } from './evaluate.js';
import type { Caller, ConditionContext } from './types.js';

export interface RamActionAuthzInput {
  readonly caller: Caller;
  /** The account whose RAM API is called. */
  readonly accountId: string;
  readonly identityPolicies: readonly CompiledPolicy[];
  readonly sessionPolicy?: CompiledPolicy | null;
  /** e.g. `ram:CreateUser`. */
  readonly action: string;
  readonly resource: string;
  readonly context?: ConditionContext | undefined;
}

export interface RamActionDecision {
  /** session | identity | owner; absent when the caller has no standing in the account. */
  readonly layer?: 'session' | 'identity' | 'owner';
  /** The policy set's decision at that layer (the owner's is a bare Allow). */
  readonly result: FastResult;
}

const NONE: FastResult = { decision: 'ImplicitDeny', deciding: null };

export function decideRamAction(input: RamActionAuthzInput): RamActionDecision {
  const p = input.caller;
  if (p.kind === 'root' && p.accountId === input.accountId) return { layer: 'owner', result: { decision: 'Allow', deciding: null } };
  if ((p.kind === 'user' || p.kind === 'role') && p.accountId === input.accountId) {
    // The caller too: keys known from the principal (acs:PrincipalAccount, acs:MFAPresent) apply to RAM actions.
    const request = { action: input.action, resource: input.resource, context: input.context, caller: p };
    const view = new RequestView(request);
    if (p.kind === 'role' && input.sessionPolicy) {
      const s = decide([input.sessionPolicy], request, view);
      if (s.decision !== 'Allow') return { layer: 'session', result: s };
    }
    return { layer: 'identity', result: decide(input.identityPolicies, request, view) };
  }
  return { result: NONE };
}
