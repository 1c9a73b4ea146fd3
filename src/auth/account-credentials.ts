import { AppError } from '../errors.js';
import type { RamService, ResolvedAccessKey } from '../ram/service.js';
import type { Credential, CredentialResolver } from './principal.js';
import { RootCredentialResolver } from './root-credentials.js';
import { GenerationCache } from '../util/generation-cache.js';
import { STORED_ACCESS_KEY_ID, STORED_ACCESS_KEY_ID_MAX } from '../ram/ids.js';
import { detached } from '../util/detached.js';

/**
 * The account's keys: its root AccessKey, then its RAM users' AccessKeys (secrets unsealed with the
 * master key). STS session credentials are resolved in front of this (`sts/credentials.ts`).
 */
export class AccountCredentialResolver implements CredentialResolver {
  private readonly root: RootCredentialResolver;
  // Unsealed keys, valid while no identity entity has changed (deactivation takes effect at once).
  private readonly cache: GenerationCache<string, KnownKey | null>;

  constructor(
    private readonly opts: { accountId: string; accessKeyId: string; accessKeySecret: string; ram: RamService; generation: () => number },
  ) {
    this.root = new RootCredentialResolver(opts);
    this.cache = new GenerationCache(opts.generation);
  }

  /** The key and its credential (one object per key while the generation holds), or null: no such key. */
  private lookup(accessKeyId: string): KnownKey | null | Promise<KnownKey | null> {
    // Only ids that passed the test below are cached: a hit needs no regex (the length bound keeps long text unhashed).
    if (accessKeyId.length > STORED_ACCESS_KEY_ID_MAX) return null;
    const hit = this.cache.get(accessKeyId);
    if (hit !== undefined) return hit;
    if (!STORED_ACCESS_KEY_ID.test(accessKeyId)) return null; // no such key can exist: not looked up, not cached
    // Remembered under a copy: the id is often a slice of a header (`OSS <id>:<signature>`, up to 16 KiB), which a
    // kept slice keeps whole: 3,000 anonymous requests with unknown ids and 15 KB signatures kept +45 MB.
    accessKeyId = detached(accessKeyId);
    return this.cache.getOrLoad(accessKeyId, async () => {
      const key = await this.opts.ram.resolveAccessKey(accessKeyId);
      if (!key) return null;
      const principal = { type: 'user', accountId: this.opts.accountId, userId: key.user.userId, userName: key.user.userName, accessKeyId } as const;
      return { status: key.status, credential: { accessKeyId, secret: key.secret, principal } };
    });
  }

  resolve(accessKeyId: string, securityToken: string | undefined): Credential | Promise<Credential> {
    if (accessKeyId === this.opts.accessKeyId) return this.root.resolve(accessKeyId, securityToken);
    // A key read before (under the current generation) is answered without a promise.
    const key = this.lookup(accessKeyId);
    return key instanceof Promise ? key.then((k) => credentialOf(accessKeyId, securityToken, k)) : credentialOf(accessKeyId, securityToken, key);
  }
}

interface KnownKey {
  status: ResolvedAccessKey['status'];
  credential: Credential;
}

function credentialOf(accessKeyId: string, securityToken: string | undefined, key: KnownKey | null): Credential {
  if (!key) throw new AppError('InvalidAccessKeyId', undefined, { OSSAccessKeyId: accessKeyId });
  if (key.status !== 'Active') throw new AppError('InvalidAccessKeyId.Inactive', undefined, { OSSAccessKeyId: accessKeyId });
  // A permanent key never carries a token; one that does is not a valid STS credential.
  if (securityToken !== undefined) throw new AppError('PermanentKeyWithSecurityToken', undefined, { OSSAccessKeyId: accessKeyId });
  return key.credential;
}
