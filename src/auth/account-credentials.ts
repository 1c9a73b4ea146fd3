import { AppError } from '../errors.js';
import type { RamService, ResolvedAccessKey } from '../ram/service.js';
import type { Credential, CredentialResolver } from './principal.js';
import { RootCredentialResolver } from './root-credentials.js';
import { GenerationCache } from '../util/generation-cache.js';

/**
 * The account's keys: its root AccessKey, then its RAM users' AccessKeys (secrets unsealed with the
 * master key). STS session credentials are resolved in front of this (`sts/credentials.ts`).
 */
export class AccountCredentialResolver implements CredentialResolver {
  private readonly root: RootCredentialResolver;
  // Unsealed keys, valid while no identity entity has changed (deactivation takes effect at once).
  private readonly cache: GenerationCache<string, ResolvedAccessKey | null>;

  constructor(
    private readonly opts: { accountId: string; accessKeyId: string; accessKeySecret: string; ram: RamService; generation: () => number },
  ) {
    this.root = new RootCredentialResolver(opts);
    this.cache = new GenerationCache(opts.generation);
  }

  private lookup(accessKeyId: string): Promise<ResolvedAccessKey | null> {
    return this.cache.getOrLoad(accessKeyId, () => this.opts.ram.resolveAccessKey(accessKeyId));
  }

  async resolve(accessKeyId: string, securityToken: string | undefined): Promise<Credential> {
    if (accessKeyId === this.opts.accessKeyId) return this.root.resolve(accessKeyId, securityToken);
    const key = await this.lookup(accessKeyId);
    if (!key) throw new AppError('InvalidAccessKeyId', undefined, { OSSAccessKeyId: accessKeyId });
    if (key.status !== 'Active') throw new AppError('InvalidAccessKeyId.Inactive', undefined, { OSSAccessKeyId: accessKeyId });
    // A permanent key never carries a token; one that does is not a valid STS credential.
    if (securityToken !== undefined) throw new AppError('InvalidSecurityToken');
    return {
      accessKeyId,
      secret: key.secret,
      principal: { type: 'user', accountId: this.opts.accountId, userId: key.user.userId, userName: key.user.userName, accessKeyId },
    };
  }
}
