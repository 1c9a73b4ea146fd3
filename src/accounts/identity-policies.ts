import type { Principal } from '../auth/principal.js';
import type { CompiledPolicy } from '../policy/index.js';
import { IdentityPolicies } from '../ram/identity.js';
import type { AccountRegistry } from './registry.js';

/**
 * Identity policies of principals of every account: each account's attachments and custom policies are read
 * through its own view of the identity store, so a policy name means the caller's own account's policy.
 */
export class MultiAccountIdentityPolicies extends IdentityPolicies {
  private readonly others = new Map<string, IdentityPolicies>();

  constructor(private readonly accounts: AccountRegistry) {
    super(accounts.storeFor(accounts.defaultAccountId));
  }

  override forPrincipal(principal: Principal): readonly CompiledPolicy[] | Promise<readonly CompiledPolicy[]> {
    if (principal.type === 'anonymous' || principal.accountId === this.accounts.defaultAccountId) return super.forPrincipal(principal);
    let p = this.others.get(principal.accountId);
    if (!p) {
      p = new IdentityPolicies(this.accounts.storeFor(principal.accountId));
      this.others.set(principal.accountId, p);
    }
    return p.forPrincipal(principal);
  }
}
