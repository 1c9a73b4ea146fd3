import type { Principal } from '../auth/principal.js';
import { outcomeOfDecision, type AuthzOutcome, type AuthzTrace } from '../authz/outcome.js';
import { AppError } from '../errors.js';
import { type ConditionContext } from '../policy/index.js';
import { decideRamAction, type RamActionAuthzInput } from '../policy/ram-action.js';
import { policyCaller } from '../authz/caller.js';
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
    const caller = policyCaller(p);
    const standing = p.type !== 'anonymous' && p.accountId === req.accountId;
    const sessionPolicy = standing ? sessionPolicyOf(p) : null;
    const identityPolicies = standing ? await identity.forPrincipal(p) : [];
    let allowed: AuthzOutcome | undefined;
    let refused: AuthzOutcome | undefined;
    for (const resource of req.resources) {
      const input: RamActionAuthzInput = { caller, accountId: req.accountId, identityPolicies, sessionPolicy, action: req.action, resource, context: req.context };
      const d = decideRamAction(input);
      const outcome: AuthzOutcome = d.layer === undefined
        ? { action: req.action, resource, decision: d.result.decision, statementIndex: -1, basis: { kind: 'ram', input } }
        : outcomeOfDecision(req.action, resource, d.layer, d.result, { kind: 'ram', input });
      if (outcome.decision === 'Allow') allowed ??= outcome;
      else if (outcome.decision === 'ExplicitDeny') {
        refused = outcome;
        break;
      } else refused ??= outcome;
      // The root's Allow and a caller without standing do not depend on the resource: one says it all.
      if (d.layer === 'owner' || d.layer === undefined) break;
    }
    if (trace) trace.authz = refused ?? allowed;
    if (refused === undefined) return;
    throw new AppError('NoPermission');
  };
}

/** Root-only authorization, for a RamService built without an identity view (tests of the service). */
export const authorizeRootOnly: RamAuthorizer = async (req) => {
  if (req.principal.type === 'root' && req.principal.accountId === req.accountId) return;
  throw new AppError('NoPermission');
};
