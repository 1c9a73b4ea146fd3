import type { Logger } from '../log.js';
import type { Clock } from '../util/time.js';
import type { AppUser, Authenticator } from './auth.js';
import { CredentialCache, type Issued } from './cache.js';
import type { Grant, VendConfig } from './config.js';
import { VendError } from './errors.js';
import { buildPostForm, unsafeObjectName, type PostForm } from './post-form.js';
import { RateLimiter } from './rate-limit.js';
import type { StsIssuer } from './sts.js';
import { policyDigest } from './template.js';

// The vending decisions, free of HTTP: which grant, whether the user may have it, rate limit, cache,
// AssumeRole with the rendered session policy (RoleSessionName = the app user id), the issuance log.

export interface VendServiceOptions {
  config: VendConfig;
  auth: Authenticator;
  issuer: Pick<StsIssuer, 'assumeRole'>;
  clock: Clock;
  log: Logger;
}

export class VendService {
  private readonly cache: CredentialCache;
  private readonly limiter: RateLimiter | null;
  /** Log-in attempts per client address: many user names from one client must not each cost a full scrypt. */
  private readonly clientLimiter: RateLimiter | null;

  constructor(private readonly opts: VendServiceOptions) {
    this.cache = new CredentialCache(opts.config.cache, opts.clock);
    const rl = opts.config.rateLimit;
    this.limiter = rl ? new RateLimiter(rl.perMinute, rl.burst, opts.clock) : null;
    this.clientLimiter = rl ? new RateLimiter(rl.loginsPerClientPerMinute, rl.loginsPerClientBurst, opts.clock) : null;
  }

  /** Applies the per-client log-in limit (429 Throttling with Retry-After); `client` from clientKey(). */
  throttleLogin(client: string): void {
    if (!this.clientLimiter) return;
    const wait = this.clientLimiter.take(client);
    if (wait > 0) throw new VendError('Throttling', `Too many log-in attempts from this client (limit ${this.clientLimiter.limit}); retry in ${wait} s.`, { 'retry-after': String(wait) });
  }

  /** Applies the per-user limit (429 Throttling with Retry-After). */
  throttle(key: string): void {
    if (!this.limiter) return;
    const wait = this.limiter.take(key);
    if (wait > 0) throw new VendError('Throttling', `Too many requests for ${key.startsWith('login:') ? 'this user name' : 'this user'} (limit ${this.limiter.limit}); retry in ${wait} s.`, { 'retry-after': String(wait) });
  }

  grant(user: AppUser, name: string | null): Grant {
    const wanted = name ?? this.opts.config.defaultGrant;
    const g = this.opts.config.grants.get(wanted);
    if (!g) throw new VendError('InvalidGrant', `There is no grant ${JSON.stringify(wanted.slice(0, 64))} (have ${[...this.opts.config.grants.keys()].join(', ')}).`);
    if (g.groups !== null && (user.group === undefined || !g.groups.includes(user.group))) {
      throw new VendError('GrantNotAllowed', `The grant ${g.name} is only for the groups ${g.groups.join(', ')}.`);
    }
    if (g.template.variables.has('group') && user.group === undefined) {
      throw new VendError('InvalidUser', `The grant ${g.name} is per group, and user ${user.id} has no group.`);
    }
    return g;
  }

  /** STS credentials for the user under a grant (cached at most half their lifetime). */
  async credentials(user: AppUser, grantName: string | null): Promise<Issued> {
    const g = this.grant(user, grantName);
    this.throttle(`user:${user.id}`);
    const key = `${user.id}\n${user.group ?? ''}\n${g.name}`;
    const { value } = await this.cache.get(key, async () => {
      const policy = g.template.render({ user: user.id, group: user.group, bucket: this.opts.config.oss.bucket });
      const issued = await this.opts.issuer.assumeRole(user.id, policy);
      this.opts.log.info('vend: credentials issued', {
        user: user.id,
        roleSessionName: user.id,
        grant: g.name,
        policySha256: policyDigest(policy),
        expiration: issued.expiration,
      });
      return issued;
    });
    return value;
  }

  /** A PostObject form for `<user>/${filename}` or `<user>/<name>`, signed with the user's credentials. */
  async postForm(user: AppUser, grantName: string | null, name: unknown): Promise<PostForm> {
    const oss = this.opts.config.oss;
    const prefix = `${user.id}/`;
    let key = `${prefix}\${filename}`;
    if (name !== undefined && name !== null) {
      const why = unsafeObjectName(name);
      if (why !== null) throw new VendError('InvalidKey', `The object name ${why}.`);
      key = prefix + (name as string);
    }
    const creds = await this.credentials(user, grantName);
    const now = this.opts.clock();
    // Short-lived, and never longer than the credentials that sign it.
    const expiresAt = Math.min(now + oss.postPolicy.expiresSeconds * 1000, Date.parse(creds.expiration));
    return buildPostForm({
      creds,
      bucket: oss.bucket,
      region: oss.region,
      url: bucketUrl(oss),
      key,
      prefix,
      minSize: oss.postPolicy.minSize,
      maxSize: oss.postPolicy.maxSize,
      expiresAt,
      now,
    });
  }
}

/** `endpoint/bucket` (path style) or `scheme://bucket.host` (virtual-hosted, as the cloud serves forms). */
export function bucketUrl(oss: VendConfig['oss']): string {
  const u = new URL(oss.endpoint);
  return oss.pathStyle ? `${u.protocol}//${u.host}/${oss.bucket}` : `${u.protocol}//${oss.bucket}.${u.host}`;
}
