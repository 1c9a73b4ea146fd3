import type { AccountAliasClaims } from '../accounts/alias-index.js';
import { LOGIN_PROFILE_DOC, type IdentityStore } from '../store/meta/types.js';
import type { Clock } from '../util/time.js';
import { AppError } from '../errors.js';
import { open } from '../util/secret-box.js';
import { ramActionResources, type RamActionInput, type RamActionName } from './actions.js';
import type { RamAuthorizer } from './authorize.js';
import type { RamUser } from './model.js';
import type { RamCaller } from './service.js';
import { checkField } from './names.js';

/** Kinds of RAM identity documents (store `ram_documents`, docs/ram.md). */
export const DOC = {
  /** id: userId → LoginProfileDoc */
  loginProfile: LOGIN_PROFILE_DOC,
  /** id: device name → MfaDeviceDoc */
  mfaDevice: 'mfa-device',
  /** id: userId → { device } (one device per user) */
  mfaUser: 'mfa-user',
  /** id: 'alias' | 'password-policy' | 'security-preference' */
  account: 'account',
  /** id: AccessKeyId → { t } */
  lastUsed: 'ak-last-used',
  /** id: `role:<RoleId>` | `policy:<name>@<CreateDate>` → { key: value } */
  tags: 'tags',
} as const;

/** What the RAM modules beyond users/groups/roles/policies share: the store, the clock, keys and the authorization hook. */
export interface ExtrasContext {
  store: IdentityStore;
  accountId: string;
  clock: Clock;
  masterKey: Buffer;
  previousMasterKeys: readonly Buffer[];
  authorize: RamAuthorizer;
  /** Account aliases: the server-wide alias → account index (accounts/alias-index.ts); absent: not kept. */
  aliases?: AccountAliasClaims;
  /** Wrong passwords counted with the console sign-in's failures (console/password-guesses.ts); absent: not counted. */
  passwordGuesses?: PasswordGuesses;
}

/** A user's failed password checks, shared with console sign-in (docs/console.md "Failed sign-ins"). */
export interface PasswordGuesses {
  /**
   * Starts a guess at the user's password: 'locked' when the user is locked out of sign-in (too many wrong
   * passwords or MFA codes) at `now`; 'busy' when the guesses already being checked could reach `limit` (a burst
   * is no more guesses than guesses one by one); else the guess, to end with `failed` or `done`.
   */
  start(accountId: string, userName: string, limit: number, now: number): Promise<'locked' | 'busy' | PasswordGuess>;
}

export interface PasswordGuess {
  /** Counts the guess as a wrong password; `limit` of them within an hour lock the user for an hour. */
  failed(now: number): Promise<void>;
  /** Ends the guess (after `failed`, if it was wrong). */
  done(): void;
}

/** Authorizes `ram:<action>` on every resource the action table declares for this input. */
export async function authorizeAction<A extends RamActionName>(ctx: ExtrasContext, caller: RamCaller, action: A, input: RamActionInput<A>): Promise<void> {
  const resources = ramActionResources(ctx.accountId, action, input);
  await ctx.authorize({ principal: caller.principal, action: `ram:${action}`, resources, accountId: ctx.accountId, context: caller.context, trace: caller.trace });
}

/** The user an action targets; omitted = the calling RAM user itself (root and role sessions must name one). */
export function targetUser(caller: RamCaller, userName: string | undefined): string {
  if (userName === undefined) {
    if (caller.principal.type === 'user') return caller.principal.userName;
    throw new AppError('MissingUserName');
  }
  return checkField('UserName', userName);
}

/** Whether the caller is the RAM user `user` itself (self-service rules of the security preference). */
export function isSelf(caller: RamCaller, user: RamUser): boolean {
  const p = caller.principal;
  return p.type === 'user' && p.userId === user.userId;
}

export async function mustUser(ctx: ExtrasContext, userName: string): Promise<RamUser> {
  const u = await ctx.store.getUser(userName);
  if (!u) throw new AppError('EntityNotExist.User');
  return u;
}

/** One document, parsed; null when absent. */
export async function readDoc<T>(ctx: ExtrasContext, kind: string, id: string): Promise<T | null> {
  const text = (await ctx.store.readIdentityDocs(kind, [id])).get(id);
  return text === undefined ? null : (JSON.parse(text) as T);
}

/** Opens a secret sealed under the master key ring (current key first). */
export function unsealWithRing(ctx: ExtrasContext, sealed: string, boundTo: string): string {
  for (const key of [ctx.masterKey, ...ctx.previousMasterKeys]) {
    try {
      return open(key, sealed, boundTo);
    } catch {
      // next key of the ring
    }
  }
  throw new AppError('InternalError', 'A sealed MFA seed cannot be opened with the configured master key(s).');
}
