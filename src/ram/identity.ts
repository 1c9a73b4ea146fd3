import type { Principal } from '../auth/principal.js';
import { compilePolicy, type CompiledPolicy } from '../policy/index.js';
import type { IdentityStore } from '../store/meta/types.js';
import type { PolicyType } from './model.js';
import { systemPolicy } from './system-policies.js';

/**
 * The identity policies that apply to a principal, compiled: a RAM user's own attachments and those
 * of its groups (one set, spec ram-sts §2.2). Only default versions count. Read at request time, so
 * attaching, detaching or switching a default version takes effect on the next request: the per-user
 * cache is dropped whenever the store's identity generation moves.
 */
export class IdentityPolicies {
  // Per user, valid while no identity entity has changed since it was read.
  private readonly cache = new Map<string, { generation: number; policies: CompiledPolicy[] }>();

  constructor(private readonly store: IdentityStore) {}

  async forPrincipal(principal: Principal): Promise<CompiledPolicy[]> {
    if (principal.type !== 'user') return [];
    const generation = this.store.identityGeneration();
    const hit = this.cache.get(principal.userId);
    if (hit && hit.generation === generation) return hit.policies;
    const policies = await this.load(principal);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(principal.userId, { generation, policies });
    return policies;
  }

  private async load(principal: Extract<Principal, { type: 'user' }>): Promise<CompiledPolicy[]> {
    const attachments = [...(await this.store.listAttachments('User', principal.userId))];
    for (const { group } of await this.store.listGroupsForUser(principal.userName)) {
      attachments.push(...(await this.store.listAttachments('Group', group.groupId)));
    }
    const out: CompiledPolicy[] = [];
    const seen = new Set<string>();
    for (const a of attachments) {
      const id = `${a.policyType}:${a.policyName}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const doc = await this.document(a.policyType, a.policyName);
      if (doc === null) continue;
      const compiled = compilePolicy(doc, 'identity', { label: a.policyName });
      if (compiled.ok) out.push(compiled.policy);
    }
    return out;
  }

  private async document(type: PolicyType, name: string): Promise<string | null> {
    if (type === 'System') return systemPolicy(name)?.document ?? null;
    const policy = await this.store.getPolicy(name);
    if (!policy) return null;
    const version = await this.store.getPolicyVersion(name, policy.defaultVersion);
    return version?.document ?? null;
  }
}
