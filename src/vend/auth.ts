import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../util/time.js';
import type { JwtAuth, UsersAuth } from './config.js';
import { VendError } from './errors.js';
import { checkClaims, JwtError, signHs256, verifySignature, type VerificationKey } from './jwt.js';
import { showName, unsafeNameReason } from './names.js';
import { dummyHash, PasswordCheckSlots, verifyPassword } from './password.js';
import { UsersFile } from './users.js';

// Who is asking: a bearer token becomes an app user (id + optional group). Mode `users` checks passwords
// from the users file and hands out its own HS256 login tokens; mode `jwt` accepts tokens of an external
// identity provider. Either way the id and group are checked before anything uses them.

export interface AppUser {
  readonly id: string;
  readonly group: string | undefined;
}

export interface Authenticator {
  readonly mode: 'users' | 'jwt';
  /** `POST /login` (mode users only). */
  login?(username: unknown, password: unknown): Promise<{ token: string; expiresIn: number }>;
  /** `Authorization: Bearer …` → the user, or a VendError (401 InvalidToken, 400 InvalidUser). */
  authenticate(bearer: string): Promise<AppUser>;
}

const LOGIN_ISSUER = 'alunite-vend';
const LOGIN_AUDIENCE = 'alunite-vend';
const WWW_AUTH = { 'www-authenticate': 'Bearer realm="alunite-vend"' };

const invalidToken = (why: string): VendError => new VendError('InvalidToken', `The bearer token is not valid: ${why}.`, WWW_AUTH);
const badCredentials = (): VendError => new VendError('InvalidCredentials', 'The user name or password is wrong.');

function checkedUser(id: unknown, group: unknown): AppUser {
  const why = unsafeNameReason(id);
  if (why !== null) throw new VendError('InvalidUser', `The user id ${showName(id)} cannot be used: it ${why}.`);
  if (group !== undefined && group !== null) {
    const g = unsafeNameReason(group);
    if (g !== null) throw new VendError('InvalidUser', `The group ${showName(group)} cannot be used: it ${g}.`);
  }
  return { id: id as string, group: group === undefined || group === null ? undefined : (group as string) };
}

function verify(token: string, keys: readonly VerificationKey[], issuer: string, audience: string, leewaySeconds: number, now: number): Record<string, unknown> {
  try {
    const claims = verifySignature(token, keys);
    checkClaims(claims, { issuer, audience, leewaySeconds, now });
    return claims;
  } catch (err) {
    if (err instanceof JwtError) throw invalidToken(err.message);
    throw err;
  }
}

/**
 * What a login token is bound to (claim `pst`): a keyed digest of the user's stored password hash, whose salt is
 * new whenever a password is set. A token is valid only while the users file holds that same hash for its
 * user, so a password edited in the file revokes the user's live tokens at the next reload (docs/vend.md).
 * Keyed with the token key, so the claim (readable by whoever holds the token) tells nothing about the hash.
 */
function passwordStamp(key: Buffer, passwordHash: string): string {
  return createHmac('sha256', key).update(`alunite vend login stamp\n${passwordHash}`).digest('base64url').slice(0, 22);
}

export async function usersAuthenticator(cfg: UsersAuth, clock: Clock): Promise<Authenticator> {
  const file = new UsersFile(cfg.usersFile);
  await file.load();
  const key = cfg.tokenSecret ?? randomBytes(32);
  const keys: VerificationKey[] = [{ alg: 'HS256', key }];
  await dummyHash();
  const slots = new PasswordCheckSlots(cfg.maxConcurrentPasswordChecks, cfg.maxQueuedPasswordChecks);
  return {
    mode: 'users',
    async login(username, password) {
      if (typeof username !== 'string' || typeof password !== 'string' || username.length > 256 || password.length > 1024) throw badCredentials();
      const users = await file.current();
      const rec = users.get(username);
      // An unknown user costs one scrypt too, so the answer time does not tell which part was wrong.
      const stored = rec?.password ?? (await dummyHash());
      const ok = await slots.run(() => verifyPassword(password, stored));
      if (ok === null) throw new VendError('Throttling', 'Too many log-ins are being checked right now; retry in 1 s.', { 'retry-after': '1' });
      if (!rec || !ok) throw badCredentials();
      const now = Math.floor(clock() / 1000);
      const token = signHs256({ iss: LOGIN_ISSUER, aud: LOGIN_AUDIENCE, sub: username, iat: now, exp: now + cfg.tokenTtlSeconds, pst: passwordStamp(key, stored) }, key);
      return { token, expiresIn: cfg.tokenTtlSeconds };
    },
    async authenticate(bearer) {
      const claims = verify(bearer, keys, LOGIN_ISSUER, LOGIN_AUDIENCE, 0, clock());
      const rec = (await file.current()).get(String(claims.sub));
      if (!rec) throw invalidToken('the user no longer exists');
      // A token from before the stamp (no pst) is refused too: log in again.
      if (claims.pst !== passwordStamp(key, rec.password)) throw invalidToken('the user\'s password was changed since it was issued');
      return checkedUser(claims.sub, rec.group);
    },
  };
}

export function jwtAuthenticator(cfg: JwtAuth, clock: Clock): Authenticator {
  return {
    mode: 'jwt',
    async authenticate(bearer) {
      const claims = verify(bearer, cfg.keys, cfg.issuer, cfg.audience, cfg.leewaySeconds, clock());
      const id = claims[cfg.userClaim];
      if (id === undefined) throw invalidToken(`it has no ${cfg.userClaim} claim`);
      return checkedUser(id, cfg.groupClaim === null ? undefined : claims[cfg.groupClaim]);
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerOf(header: string | undefined): string {
  if (header === undefined || header === '') throw new VendError('MissingToken', 'An Authorization: Bearer <token> header is required.', WWW_AUTH);
  const m = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
  if (!m) throw invalidToken('the Authorization header is not of the form "Bearer <token>"');
  return m[1]!;
}
