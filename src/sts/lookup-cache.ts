// Per-process memo of the identity reads on the STS path: a role by name (AssumeRole, AssumeRoleWithOIDC/SAML)
// and an identity provider by name (AssumeRoleWithOIDC/SAML). Without it every call reads and decodes the same
// rows (docs/performance.md "STS"). Entries live only while the store's identity generation has not moved:
// every write to a role (trust policy, MaxSessionDuration, delete), to its attached policies and to a provider
// (client ids, fingerprints, issuance limit, metadata, delete) is an identity write that moves it, in this
// process at once and, on PostgreSQL, in every process before its next request (the shared counter each
// request catches up with, http/shared-state.ts). So an answer is never older than the request's arrival.
// Misses (null) are remembered too, under the same rule: creating the role or provider moves the generation.
import type { RamRole } from '../ram/model.js';
import { GenerationCache } from '../util/generation-cache.js';

/** Bounded: anonymous federation callers choose the names looked up (the ARN patterns bound their length). */
const MAX_ENTRIES = 4096;

export class StsLookupCache {
  private readonly entries: GenerationCache<string, unknown>;

  constructor(generation: () => number) {
    this.entries = new GenerationCache(generation, MAX_ENTRIES);
  }

  /** `store.getRole(name)`, memoized per exact name (the store's case rules decide what it finds). */
  role(name: string, load: (name: string) => Promise<RamRole | null>): RamRole | null | Promise<RamRole | null> {
    return this.entries.getOrLoad(`role\u0000${name}`, async () => freeze(await load(name))) as RamRole | null | Promise<RamRole | null>;
  }

  /** A provider of `kind` by name, as `load` decodes it (OIDC or SAML). */
  provider<P extends object>(kind: 'oidc' | 'saml', name: string, load: (name: string) => Promise<P | null>): P | null | Promise<P | null> {
    return this.entries.getOrLoad(`${kind}\u0000${name}`, async () => freeze(await load(name))) as P | null | Promise<P | null>;
  }
}

/** Shared between requests: nothing may change a cached answer in place. */
function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) if (typeof v === 'object' && v !== null) Object.freeze(v);
    Object.freeze(value);
  }
  return value;
}
