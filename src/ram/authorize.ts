import type { Principal } from '../auth/principal.js';
import { outcomeOfDecision, type AuthzTrace } from '../authz/outcome.js';
import { AppError } from '../errors.js';
import { decide, type ConditionContext } from '../policy/index.js';
import { sessionPolicyOf, type IdentityPolicies } from './identity.js';

/** A RAM API call to authorize: who, what (`ram:CreateUser`), on which resource ARN, in which account. */
export interface RamAuthzRequest {
  principal: Principal;
  action: string;
  resource: string;
  accountId: string;
  context?: ConditionContext;
  /** Receives the decision and what decided it (audit log, ExplainRequest). */
  trace?: AuthzTrace;
}

export type RamAuthorizer = (req: RamAuthzRequest) => Promise<void>;

/**
 * The single authorization decision for RAM API actions: the account root may do everything; a RAM
 * user of the account needs an identity policy allowing the action on the resource (and no Deny); an
 * STS role session needs its session policy (if any) and the role's policies to allow it; anyone else
 * gets 403 NoPermission.
 */
export function createRamAuthorizer(identity: IdentityPolicies): RamAuthorizer {
  return async (req) => {
    const p = req.principal;
    const trace = req.trace;
    if (p.type === 'root' && p.accountId === req.accountId) {
      if (trace) trace.authz = { action: req.action, resource: req.resource, decision: 'Allow', layer: 'owner', statementIndex: -1 };
      return;
    }
    if ((p.type === 'user' || p.type === 'session') && p.accountId === req.accountId) {
      const request = { action: req.action, resource: req.resource, context: req.context };
      const session = sessionPolicyOf(p);
      if (session) {
        const s = decide([session], request);
        if (s.decision !== 'Allow') {
          if (trace) trace.authz = outcomeOfDecision(req.action, req.resource, 'session', s);
          throw new AppError('NoPermission');
        }
      }
      const policies = await identity.forPrincipal(p);
      const r = decide(policies, request);
      if (trace) trace.authz = outcomeOfDecision(req.action, req.resource, 'identity', r);
      if (r.decision === 'Allow') return;
      throw new AppError('NoPermission');
    }
    if (trace) trace.authz = { action: req.action, resource: req.resource, decision: 'ImplicitDeny', statementIndex: -1 };
    throw new AppError('NoPermission');
  };
}

/** Root-only authorization, for a RamService built without an identity view (tests of the service). */
export const authorizeRootOnly: RamAuthorizer = async (req) => {
  if (req.principal.type === 'root' && req.principal.accountId === req.accountId) return;
  throw new AppError('NoPermission');
};
