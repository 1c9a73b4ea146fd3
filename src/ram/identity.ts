import type { Principal } from '../auth/principal.js';
import { compileOrDenyAll, type CompiledPolicy } from '../policy/index.js';
import type { IdentityStore } from '../store/meta/types.js';
import type { PolicyType } from './model.js';
import { systemPolicy } from './system-policies.js';
import { GenerationCache } from '../util/generation-cache.js';

const NO_POLICIES: readonly CompiledPolicy[] = Object.freeze([]);

/**
 * The identity policies that apply to a principal, compiled: a RAM user's own attachments and those
 * of its groups (one set, spec ram-sts §2.2), or, for an STS role session, the role's attachments
 * (never baked into the token). Only default versions count. Read at request time, so
 * attaching, detaching or switching a default version takes effect on the next request: the per-user
 * cache is dropped whenever the store's identity generation moves.
 */
export class IdentityPolicies {
  // Per user, valid while no identity entity has changed since it was read.
  private readonly cache: GenerationCache<string, readonly CompiledPolicy[]>;
  /**
   * The same sets by principal object: the credential caches hand every request of a key (or token) the one
   * principal object while the generation holds, so a request finds its set by identity, without building the
   * string key and hashing it. An entry serves only under the generation read before its set was loaded.
   */
  private readonly byPrincipal = new WeakMap<Principal, { readonly generation: number; readonly policies: readonly CompiledPolicy[] }>();
  private readonly generation: () => number;

  constructor(private readonly store: IdentityStore) {
    // Read once: an account's store view is a Proxy (accounts/scoped-identity.ts), whose trap cost every
    // request a Reflect.has and a Reflect.get to reach the same function.
    this.generation = store.identityGeneration.bind(store);
    this.cache = new GenerationCache(this.generation);
  }

  /** Cached sets come back without a promise (callers await either); a set is frozen (authz memoizes by it). */
  forPrincipal(principal: Principal): readonly CompiledPolicy[] | Promise<readonly CompiledPolicy[]> {
    if (principal.type !== 'user' && principal.type !== 'session') return NO_POLICIES;
    const generation = this.generation();
    const held = this.byPrincipal.get(principal);
    if (held !== undefined && held.generation === generation) return held.policies;
    const cacheKey = principal.type === 'user' ? `user:${principal.userId}` : `role:${principal.roleId}`;
    const got = this.cache.getOrLoad(cacheKey, () => this.load(principal));
    if (!(got instanceof Promise)) {
      this.byPrincipal.set(principal, { generation, policies: got });
      return got;
    }
    return got.then((policies) => {
      this.byPrincipal.set(principal, { generation, policies });
      return policies;
    });
  }

  private async load(principal: Extract<Principal, { type: 'user' | 'session' }>): Promise<readonly CompiledPolicy[]> {
    const attachments = principal.type === 'session' ? [...(await this.store.listAttachments('Role', principal.roleId))] : [...(await this.store.listAttachments('User', principal.userId))];
    if (principal.type === 'user') {
      for (const { group } of await this.store.listGroupsForUser(principal.userName)) {
        attachments.push(...(await this.store.listAttachments('Group', group.groupId)));
      }
    }
    const out: CompiledPolicy[] = [];
    const seen = new Set<string>();
    for (const a of attachments) {
      const id = `${a.policyType}:${a.policyName}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const doc = await this.document(a.policyType, a.policyName);
      if (doc === null) continue;
      // Stored documents were validated on write; one that no longer compiles (a stricter parser after
      // an upgrade, a damaged row) may have held a Deny, so it denies everything rather than vanish.
      out.push(compileOrDenyAll(doc, 'identity', a.policyName));
    }
    return Object.freeze(out);
  }

  private async document(type: PolicyType, name: string): Promise<string | null> {
    if (type === 'System') return systemPolicy(name)?.document ?? null;
    const policy = await this.store.getPolicy(name);
    if (!policy) return null;
    const version = await this.store.getPolicyVersion(name, policy.defaultVersion);
    return version?.document ?? null;
  }
}

/**
 * The session policy an STS role session carries, compiled (kind `session`); null for every other
 * principal and for sessions without one. AssumeRole validated it and the credential resolver refuses a
 * token whose policy does not compile (InvalidSecurityToken); should one reach here anyway it fails
 * closed: a session policy that cannot be read denies everything, never "no session policy".
 */
export function sessionPolicyOf(principal: Principal): CompiledPolicy | null {
  if (principal.type !== 'session' || principal.sessionPolicy === null) return null;
  // Per principal object (its policy text never changes): the compile cache is keyed by the whole text (up to
  // 2,048 characters), which each request otherwise built and hashed again.
  let compiled = sessionPolicies.get(principal);
  if (compiled === undefined) {
    compiled = compileOrDenyAll(principal.sessionPolicy, 'session', 'session policy');
    sessionPolicies.set(principal, compiled);
  }
  return compiled;
}

const sessionPolicies = new WeakMap<Principal, CompiledPolicy>();
