/**
 * Who a request acts as, once its signature is verified: nobody, the account root, a RAM user, or an STS
 * role session (from a SecurityToken). Handlers never look inside it, only authorization does.
 */
export type Principal =
  | { readonly type: 'anonymous' }
  | { readonly type: 'root'; readonly accountId: string; readonly accessKeyId: string }
  | {
      readonly type: 'user';
      readonly accountId: string;
      readonly userId: string;
      readonly userName: string;
      readonly accessKeyId: string;
      /** A console sign-in's session (sts/token.ts `loginStamp`): the login profile stamp it holds while valid. */
      readonly loginStamp?: string;
      /** A console sign-in that proved an MFA code: `acs:MFAPresent` is true for its requests. */
      readonly mfa?: boolean;
    }
  | {
      readonly type: 'session';
      readonly accountId: string;
      readonly roleId: string;
      /** The role's current name (as stored, not lower-cased). */
      readonly roleName: string;
      readonly sessionName: string;
      /** The temporary `STS.` AccessKeyId. */
      readonly accessKeyId: string;
      /** The session policy given to AssumeRole, verbatim; null when none was given. */
      readonly sessionPolicy: string | null;
      /** Epoch milliseconds at which the token expires. */
      readonly expiration: number;
      /** The long-term credential the chain of AssumeRole calls began with, if any (docs/sts.md "Revoking sessions"). */
      readonly parent?: SessionParent;
    };

/**
 * What an STS session was obtained with, and lives only while it stands: a RAM user's AccessKey (`accessKeyId`,
 * Active), or a RAM user's console sign-in (`userId` with the login profile stamp it proved). A session made by
 * another session inherits that session's parent; sessions of federated identities have none.
 */
export type SessionParent =
  | { readonly accountId: string; readonly accessKeyId: string }
  | { readonly accountId: string; readonly userId: string; readonly loginStamp: string };

export const ANONYMOUS: Principal = { type: 'anonymous' };

/** A secret to verify a signature with, and the principal it stands for. */
export interface Credential {
  readonly accessKeyId: string;
  readonly secret: string;
  readonly principal: Principal;
}

/**
 * Resolves an AccessKeyId (and STS token, if the request carried one) to a credential. Throws an
 * AppError (InvalidAccessKeyId, InvalidSecurityToken, …) when it cannot (or rejects with it). RAM and STS
 * plug in here. A resolver may answer from its cache without a promise (callers await the result either
 * way): a chain of four async resolvers cost every request four promises and as many microtask turns.
 */
export interface CredentialResolver {
  resolve(accessKeyId: string, securityToken: string | undefined): Credential | Promise<Credential>;
}
