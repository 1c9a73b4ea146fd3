import { AppError } from '../errors.js';
import type { Credential, CredentialResolver } from './principal.js';

/** The account's own AccessKey. RAM AccessKeys and STS sessions add resolvers in front of this. */
export class RootCredentialResolver implements CredentialResolver {
  private readonly credential: Credential;

  constructor(opts: { accountId: string; accessKeyId: string; accessKeySecret: string }) {
    this.credential = {
      accessKeyId: opts.accessKeyId,
      secret: opts.accessKeySecret,
      principal: { type: 'root', accountId: opts.accountId, accessKeyId: opts.accessKeyId },
    };
  }

  resolve(accessKeyId: string, securityToken: string | undefined): Credential {
    if (accessKeyId !== this.credential.accessKeyId) throw new AppError('InvalidAccessKeyId', undefined, { OSSAccessKeyId: accessKeyId });
    // A permanent key never carries a token; one that does is not a valid STS credential.
    if (securityToken !== undefined) throw new AppError('PermanentKeyWithSecurityToken', undefined, { OSSAccessKeyId: accessKeyId });
    return this.credential;
  }
}
