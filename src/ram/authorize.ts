import type { Principal } from '../auth/principal.js';
import { outcomeOfDecision, type AuthzOutcome, type AuthzTrace } from '../authz/outcome.js';
import { AppError } from '../errors.js';
import { decide, type ConditionContext } from '../policy/index.js';
import { sessionPolicyOf, type IdentityPolicies } from './identity.js';

/**
 * A RAM API call to authorize: who, what (`ram:CreateUser`), on which resource ARNs (every resource the
 * action touches, from `RAM_ACTION_RESOURCES`), in which account.
 */
export interface RamAuthzRequest {
  principal: Principal;
  action: string;
  resources: readonly string[];
  accountId: string;
  context?: ConditionContext;
  /** Receives the decision and what decided it (audit log, ExplainRequest): on a refusal, the refused resource. */
  trace?: AuthzTrace;
}

export type RamAuthorizer = (req: RamAuthzRequest) => Promise<void>;

/**
 * The single authorization decision for RAM API actions: the account root may do everything; a RAM
 * user of the account needs its identity policies to allow the action on every resource (and no Deny
 * on any); an STS role session needs its session policy (if any) and the role's policies to allow it on
 * every resource; anyone else gets 403 NoPermission. An explicit Deny on any resource is what the trace
 * reports, before an implicit deny on another.
 */
export function createRamAuthorizer(identity: IdentityPolicies): RamAuthorizer {
  return async (req) => {
    const p = req.principal;
    const trace = req.trace;
    // Fail closed: an action that names no resource is a defect of the table, not a free pass.
    if (req.resources.length === 0) throw new AppError('InternalError', `No resource is declared for ${req.action}.`);
    const primary = req.resources[0]!;
    if (p.type === 'root' && p.accountId === req.accountId) {
      if (trace) trace.authz = { action: req.action, resource: primary, decision: 'Allow', layer: 'owner', statementIndex: -1 };
      return;
    }
    if ((p.type === 'user' || p.type === 'session') && p.accountId === req.accountId) {
      const session = sessionPolicyOf(p);
      const policies = await identity.forPrincipal(p);
      let allowed: AuthzOutcome | undefined;
      let refused: AuthzOutcome | undefined;
      for (const resource of req.resources) {
        const request = { action: req.action, resource, context: req.context };
        let outcome: AuthzOutcome | undefined;
        if (session) {
          const s = decide([session], request);
          if (s.decision !== 'Allow') outcome = outcomeOfDecision(req.action, resource, 'session', s);
        }
        outcome ??= outcomeOfDecision(req.action, resource, 'identity', decide(policies, request));
        if (outcome.decision === 'Allow') allowed ??= outcome;
        else if (outcome.decision === 'ExplicitDeny') {
          refused = outcome;
          break;
        } else refused ??= outcome;
      }
      if (trace) trace.authz = refused ?? allowed;
      if (refused === undefined) return;
      throw new AppError('NoPermission');
    }
    if (trace) trace.authz = { action: req.action, resource: primary, decision: 'ImplicitDeny', statementIndex: -1 };
    throw new AppError('NoPermission');
  };
}

/** Root-only authorization, for a RamService built without an identity view (tests of the service). */
export const authorizeRootOnly: RamAuthorizer = async (req) => {
  if (req.principal.type === 'root' && req.principal.accountId === req.accountId) return;
  throw new AppError('NoPermission');
};
