import { evaluate, type ConditionContext, type EvalResult } from '../policy/index.js';
import type { RamRole, RamUser } from './model.js';
import type { IdentityPolicies } from './identity.js';

export interface SimulationInput {
  action: string;
  resource: string;
  context: ConditionContext;
}

/**
 * "Why would this be allowed or denied?" for a RAM user or role: its identity policies (user ∪ groups,
 * or the role's), evaluated with every applying statement and reasons. Bucket policies and ACLs are
 * not part of it (the request log has the full OSS decision of a real request).
 */
export async function simulateIdentity(identity: IdentityPolicies, accountId: string, who: { user: RamUser } | { role: RamRole }, input: SimulationInput): Promise<EvalResult> {
  const principal = 'user' in who
    ? { type: 'user' as const, accountId, userId: who.user.userId, userName: who.user.userName, accessKeyId: '' }
    : { type: 'session' as const, accountId, roleId: who.role.roleId, roleName: who.role.roleName, sessionName: 'simulation', accessKeyId: '', sessionPolicy: null, expiration: 0 };
  const policies = await identity.forPrincipal(principal);
  return evaluate(policies, { action: input.action, resource: input.resource, context: input.context });
}
