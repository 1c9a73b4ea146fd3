import type { Credential, CredentialResolver } from '../auth/principal.js';
import { AppError } from '../errors.js';
import type { AccountRegistry, ResolvedAccountKey } from './registry.js';

/**
 * The keys of the accounts besides the default one (their root AccessKeys and their RAM users' keys), in
 * front of the default account's resolver (`next`), which answers every other AccessKeyId.
 */
export class MultiAccountCredentialResolver implements CredentialResolver {
  constructor(private readonly accounts: AccountRegistry, private readonly next: CredentialResolver) {}

  resolve(accessKeyId: string, securityToken: string | undefined): Credential | Promise<Credential> {
    const key = this.accounts.resolveKey(accessKeyId);
    return key instanceof Promise ? key.then((k) => this.credentialOf(accessKeyId, securityToken, k)) : this.credentialOf(accessKeyId, securityToken, key);
  }

  private credentialOf(accessKeyId: string, securityToken: string | undefined, key: ResolvedAccountKey | null): Credential | Promise<Credential> {
    if (!key) return this.next.resolve(accessKeyId, securityToken);
    if (key.status !== 'Active') throw new AppError('InvalidAccessKeyId.Inactive', undefined, { OSSAccessKeyId: accessKeyId });
    // A permanent key never carries a token; one that does is not a valid STS credential.
    if (securityToken !== undefined) throw new AppError('PermanentKeyWithSecurityToken', undefined, { OSSAccessKeyId: accessKeyId });
    return { accessKeyId, secret: key.secret, principal: key.principal };
  }
}
