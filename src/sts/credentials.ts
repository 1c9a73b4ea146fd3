import type { Credential, CredentialResolver, Principal, SessionParent } from '../auth/principal.js';
import { AppError } from '../errors.js';
import { compilePolicy } from '../policy/index.js';
import type { IdentityStore } from '../store/meta/types.js';
import type { Clock } from '../util/time.js';
import type { TokenService } from './token.js';
import { GenerationCache } from '../util/generation-cache.js';
import { currentLoginStamp } from '../ram/login-profiles.js';
import { detached } from '../util/detached.js';

export const STS_ACCESS_KEY_PREFIX = 'STS.';

/**
 * Verified tokens remembered: at most 10,000 and ~8 MB (weighVerified). The cache is keyed by the token itself, and
 * a token carries its session policy (≤ 2,048 characters, ~3 KB of token): a caller allowed sts:AssumeRole could
 * make 10,000 sessions with distinct policies and use each once, ~5-6 KB kept per entry here (the token, the
 * principal's policy text, the credential). A token without a policy weighs ~0.8 KB: 10,000 fit.
 */
export const VERIFIED_MAX_ENTRIES = 10_000;
export const VERIFIED_MAX_BYTES = 8 * 1024 * 1024;

/** A verified token: the exact token it was verified from, and what it resolves to. */
interface Verified {
  token: string;
  expiration: number;
  credential: Credential;
}

function weighVerified(accessKeyId: string, v: Verified): number {
  const p = v.credential.principal;
  return 256 + accessKeyId.length + v.token.length + (p.type === 'session' && p.sessionPolicy !== null ? p.sessionPolicy.length : 0);
}

/**
 * STS session credentials, in front of the account's keys: an `STS.` AccessKeyId must come with its
 * SecurityToken, which is verified on its own (no session lookup); the secret is derived from it. The
 * role is then read by id: a deleted role makes its live tokens invalid (spec ram-sts §2.2). Every other
 * AccessKeyId goes to `next`.
 */
export class StsCredentialResolver implements CredentialResolver {
  // Verified tokens, so a session's later requests skip decryption and the role lookup. An entry is used
  // only for the same AccessKeyId and the very same token, before the token's expiry, and while no identity
  // entity has changed (a deleted or renamed role); anything else goes through full verification, which gives
  // the error. Keyed by the AccessKeyId, not the token: a token (~600 characters and more) arrives as a new
  // string with every request, which a Map keyed by it hashed whole each time before comparing it anyway.
  private readonly verified: GenerationCache<string, Verified>;

  constructor(
    private readonly opts: {
      tokens: TokenService;
      store: Pick<IdentityStore, 'getRoleById' | 'getUserById' | 'getAccessKey' | 'readIdentityDocs' | 'identityGeneration'>;
      clock: Clock;
      accountId: string;
      next: CredentialResolver;
      /** Several accounts (docs/accounts.md): a token of another account held here, its role read in that account. */
      accounts?: { exists(accountId: string): Promise<boolean>; storeFor(accountId: string): Pick<IdentityStore, 'getRoleById' | 'getUserById' | 'getAccessKey' | 'readIdentityDocs'> };
    },
  ) {
    // Bound once: an account's store view is a Proxy (accounts/scoped-identity.ts), whose trap cost every
    // request a Reflect.has and a Reflect.get to reach the same function.
    const generation = opts.store.identityGeneration.bind(opts.store);
    this.verified = new GenerationCache(generation, VERIFIED_MAX_ENTRIES, { maxWeight: VERIFIED_MAX_BYTES, weigh: weighVerified });
  }

  resolve(accessKeyId: string, securityToken: string | undefined): Credential | Promise<Credential> {
    if (!accessKeyId.startsWith(STS_ACCESS_KEY_PREFIX)) return this.opts.next.resolve(accessKeyId, securityToken);
    if (securityToken === undefined || securityToken === '') throw new AppError('MissingSecurityToken', undefined, { OSSAccessKeyId: accessKeyId });
    const now = this.opts.clock();
    const hit = this.verified.get(accessKeyId);
    if (hit !== undefined && hit.token === securityToken && now < hit.expiration) return hit.credential;
    return this.verifyAndRemember(accessKeyId, securityToken, now);
  }

  private async verifyAndRemember(accessKeyId: string, securityToken: string, now: number): Promise<Credential> {
    // Kept as copies: both are cut from what the request sent (a POP body of up to 1 MiB, a 16 KiB URL or header),
    // and V8 keeps a cut's whole parent alive: 100 sessions each used once by a POP request with a 900 KB body
    // kept +86 MB, the cache's 10,000 ~9 GB. A miss decrypts a token and reads a role: the copies cost nothing.
    accessKeyId = detached(accessKeyId);
    securityToken = detached(securityToken);
    const generation = this.verified.generationNow();
    const { credential, expiration } = await this.verify(accessKeyId, securityToken, now);
    this.verified.setAt(generation, accessKeyId, { token: securityToken, expiration, credential });
    return credential;
  }

  private async verify(accessKeyId: string, securityToken: string, now: number): Promise<{ credential: Credential; expiration: number }> {
    const { claims, secret } = this.opts.tokens.verify(securityToken, accessKeyId, now);
    const own = claims.accountId === this.opts.accountId;
    if (!own && (await this.opts.accounts?.exists(claims.accountId)) !== true) throw new AppError('InvalidSecurityToken');
    // A console sign-in (docs/console.md): the RAM user itself, so authorization reads exactly its own
    // policies and its groups'. A deleted user makes its live tokens invalid, like a deleted role; so does a
    // deleted login profile or a new password: the session holds only while the profile it signed in with does
    // (its stamp; a token without one, from a release before stamps, is refused: sign in again). Profile writes
    // move the identity generation, so a verification cached below is dropped with them.
    if (claims.userId !== undefined) {
      const store = own ? this.opts.store : this.opts.accounts!.storeFor(claims.accountId);
      const user = await store.getUserById(claims.userId);
      if (!user) throw new AppError('InvalidSecurityToken');
      if (claims.loginStamp === undefined || (await currentLoginStamp(store, user.userId)) !== claims.loginStamp) throw new AppError('InvalidSecurityToken');
      const principal = { type: 'user', accountId: claims.accountId, userId: user.userId, userName: user.userName, accessKeyId, loginStamp: claims.loginStamp, ...(claims.mfa === true ? { mfa: true } : {}) } as const;
      return { credential: { accessKeyId, secret, principal }, expiration: claims.expiration };
    }
    // AssumeRole never seals a policy that does not compile; a token carrying one was not made by a
    // sound AssumeRole, and using it without its policy would grant the role's full rights.
    if (claims.sessionPolicy !== null && !compilePolicy(claims.sessionPolicy, 'session', { label: 'session policy' }).ok) {
      throw new AppError('InvalidSecurityToken');
    }
    const role = await (own ? this.opts.store : this.opts.accounts!.storeFor(claims.accountId)).getRoleById(claims.roleId);
    if (!role) throw new AppError('InvalidSecurityToken');
    if (claims.parent !== undefined && !(await this.parentStands(claims.parent))) throw new AppError('InvalidSecurityToken');
    const credential: Credential = {
      accessKeyId,
      secret,
      principal: {
        type: 'session',
        accountId: claims.accountId,
        roleId: role.roleId,
        roleName: role.roleName,
        sessionName: claims.sessionName,
        accessKeyId,
        sessionPolicy: claims.sessionPolicy,
        expiration: claims.expiration,
        ...(claims.parent !== undefined ? { parent: claims.parent } : {}),
      },
    };
    return { credential, expiration: claims.expiration };
  }

  /**
   * Whether a principal kept for work the server does later on its behalf (a replication rule's author,
   * docs/replication.md) could still sign a request: its account exists; a RAM user, by id; a role session, its
   * role (by id) and the credential it was obtained with (below); expiry is the caller's to judge.
   */
  async stands(p: Principal): Promise<boolean> {
    if (p.type === 'anonymous') return true;
    const own = p.accountId === this.opts.accountId;
    if (!own && (await this.opts.accounts?.exists(p.accountId)) !== true) return false;
    const store = own ? this.opts.store : this.opts.accounts!.storeFor(p.accountId);
    if (p.type === 'root') return true;
    if (p.type === 'user') return (await store.getUserById(p.userId)) !== null;
    if ((await store.getRoleById(p.roleId)) === null) return false;
    return p.parent === undefined || this.parentStands(p.parent);
  }

  /**
   * Whether the credential a session was obtained with still stands (docs/sts.md "Revoking sessions"): its
   * AccessKey exists and is Active, or its console sign-in's user keeps the login profile it proved. Key and
   * profile writes move the identity generation, so a verification cached above is redone after them.
   */
  private async parentStands(parent: SessionParent): Promise<boolean> {
    const own = parent.accountId === this.opts.accountId;
    if (!own && (await this.opts.accounts?.exists(parent.accountId)) !== true) return false;
    const store = own ? this.opts.store : this.opts.accounts!.storeFor(parent.accountId);
    if ('accessKeyId' in parent) {
      const key = await store.getAccessKey(parent.accessKeyId);
      return key !== null && key.status === 'Active' && (await store.getUserById(key.userId)) !== null;
    }
    return (await store.getUserById(parent.userId)) !== null && (await currentLoginStamp(store, parent.userId)) === parent.loginStamp;
  }
}
