import { createHash } from 'node:crypto';
import type { AuthzTrace } from '../authz/outcome.js';
import { AppError, isAppError } from '../errors.js';
import { ramActionResources } from './actions.js';
import type { AccountSettings } from './account-settings.js';
import { authorizeAction, DOC, mustUser, readDoc, targetUser, type ExtrasContext } from './extras-context.js';
import { checkPassword, hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from './passwords.js';
import type { RamCaller } from './service.js';
import type { IdentityStore } from '../store/meta/types.js';

// RAM user login profiles (console passwords, docs/ram.md): one identity document per user id, so a
// renamed user keeps its profile. Passwords are scrypt hashes (passwords.ts), never returned.

interface LoginProfileDoc {
  passwordHash: string;
  /** Hashes of earlier passwords, newest first (PasswordReusePrevention; at most 24 kept). */
  previous: string[];
  passwordResetRequired: boolean;
  mfaBindRequired: boolean;
  createDate: number;
  updateDate: number;
  /** When the password was last set (MaxPasswordAge). */
  passwordSetDate: number;
}

export interface LoginProfileView {
  userName: string;
  passwordResetRequired: boolean;
  mfaBindRequired: boolean;
  createDate: number;
  updateDate: number;
}

const MAX_HISTORY = 24;

/**
 * What console sign-ins are bound to (docs/console.md "Ending console sessions"): a digest of the profile's
 * password hash, whose salt is new whenever a password is set. A sign-in ticket and a console session carry
 * the stamp of the profile they proved the password of; once the profile is deleted or gets a new password
 * (UpdateLoginProfile, ChangePassword, even the same password again) no current profile has that stamp.
 */
export function loginStamp(profileDocument: string): string {
  return stampOfHash((JSON.parse(profileDocument) as LoginProfileDoc).passwordHash);
}

function stampOfHash(passwordHash: string): string {
  return createHash('sha256').update(`alunite login stamp\n${passwordHash}`).digest('base64url').slice(0, 22);
}

/** The stamp of the user's current login profile, null without one (`store` is the user's account's). */
export async function currentLoginStamp(store: Pick<IdentityStore, 'readIdentityDocs'>, userId: string): Promise<string | null> {
  const doc = (await store.readIdentityDocs(DOC.loginProfile, [userId])).get(userId);
  return doc === undefined ? null : loginStamp(doc);
}

let dummy: Promise<string> | undefined;
/** A hash no password opens with certainty, verified against when there is no profile (equal timing). */
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(`no profile ${Math.random()}`);
  return dummy;
}

function view(userName: string, d: LoginProfileDoc): LoginProfileView {
  return { userName, passwordResetRequired: d.passwordResetRequired, mfaBindRequired: d.mfaBindRequired, createDate: d.createDate, updateDate: d.updateDate };
}

export class LoginProfiles {
  constructor(
    private readonly ctx: ExtrasContext,
    private readonly settings: AccountSettings,
  ) {}

  private key(userId: string) {
    return { kind: DOC.loginProfile, id: userId };
  }

  async create(caller: RamCaller, input: { userName?: string; password: string; passwordResetRequired?: boolean; mfaBindRequired?: boolean }): Promise<LoginProfileView> {
    const userName = targetUser(caller, input.userName);
    checkPassword(input.password, await this.settings.passwordPolicy());
    await authorizeAction(this.ctx, caller, 'CreateLoginProfile', { userName });
    const user = await mustUser(this.ctx, userName);
    const now = this.ctx.clock();
    const doc: LoginProfileDoc = {
      passwordHash: await hashPassword(input.password), previous: [], passwordResetRequired: input.passwordResetRequired ?? false,
      mfaBindRequired: input.mfaBindRequired ?? false, createDate: now, updateDate: now, passwordSetDate: now,
    };
    await this.ctx.store.updateIdentityDocs([this.key(user.userId)], ([cur]) => {
      if (cur !== null) throw new AppError('EntityAlreadyExists.User.LoginProfile');
      return [JSON.stringify(doc)];
    });
    return view(user.userName, doc);
  }

  async get(caller: RamCaller, input: { userName?: string }): Promise<LoginProfileView> {
    const userName = targetUser(caller, input.userName);
    await authorizeAction(this.ctx, caller, 'GetLoginProfile', { userName });
    const user = await mustUser(this.ctx, userName);
    const doc = await readDoc<LoginProfileDoc>(this.ctx, DOC.loginProfile, user.userId);
    if (!doc) throw new AppError('EntityNotExist.User.LoginProfile');
    return view(user.userName, doc);
  }

  async update(caller: RamCaller, input: { userName?: string; password?: string; passwordResetRequired?: boolean; mfaBindRequired?: boolean }): Promise<LoginProfileView> {
    const userName = targetUser(caller, input.userName);
    const policy = await this.settings.passwordPolicy();
    if (input.password !== undefined) checkPassword(input.password, policy);
    await authorizeAction(this.ctx, caller, 'UpdateLoginProfile', { userName });
    const user = await mustUser(this.ctx, userName);
    const current = await readDoc<LoginProfileDoc>(this.ctx, DOC.loginProfile, user.userId);
    if (!current) throw new AppError('EntityNotExist.User.LoginProfile');
    const hash = input.password !== undefined ? await this.newHash(input.password, current, policy.passwordReusePrevention) : undefined;
    const next = await this.replace(user.userId, current, (d, now) => ({
      ...d,
      ...(hash !== undefined ? { passwordHash: hash, previous: [d.passwordHash, ...d.previous].slice(0, MAX_HISTORY), passwordSetDate: now } : {}),
      ...(input.passwordResetRequired !== undefined ? { passwordResetRequired: input.passwordResetRequired } : {}),
      ...(input.mfaBindRequired !== undefined ? { mfaBindRequired: input.mfaBindRequired } : {}),
      updateDate: now,
    }));
    return view(user.userName, next);
  }

  async delete(caller: RamCaller, input: { userName?: string }): Promise<void> {
    const userName = targetUser(caller, input.userName);
    await authorizeAction(this.ctx, caller, 'DeleteLoginProfile', { userName });
    const user = await mustUser(this.ctx, userName);
    await this.ctx.store.updateIdentityDocs([this.key(user.userId)], ([cur]) => {
      if (cur === null) throw new AppError('EntityNotExist.User.LoginProfile');
      return [null];
    });
  }

  /**
   * ChangePassword: a RAM user changes its own password. Allowed by the security preference
   * (AllowUserToChangePassword) without a policy; an explicit Deny of ram:ChangePassword still refuses.
   */
  async changePassword(caller: RamCaller, input: { oldPassword: string; newPassword: string }): Promise<{ stamp: string }> {
    const p = caller.principal;
    if (p.type !== 'user' || p.accountId !== this.ctx.accountId) {
      throw new AppError('NoPermission', 'Only a RAM user can change its own password.');
    }
    if (!(await this.settings.securityPreference()).allowUserToChangePassword) {
      throw new AppError('NoPermission', 'The security preference of the account does not allow RAM users to change their password.');
    }
    await this.selfServiceAuthorize(caller, p.userName);
    const user = await mustUser(this.ctx, p.userName);
    const policy = await this.settings.passwordPolicy();
    const current = await readDoc<LoginProfileDoc>(this.ctx, DOC.loginProfile, user.userId);
    if (!current) throw new AppError('EntityNotExist.User.LoginProfile');
    // The old password is a guess like one at the sign-in page, and counts with those (docs/console.md): a holder of
    // the user's AccessKey or console session cannot try passwords here faster than there, nor past a lock.
    const guess = this.ctx.passwordGuesses ? await this.ctx.passwordGuesses.start(this.ctx.accountId, user.userName, policy.maxLoginAttemps, this.ctx.clock()) : null;
    if (guess === 'locked') {
      throw new AppError('Throttling.User', 'Too many wrong passwords: the user is locked for an hour. Try again later or ask an administrator.');
    }
    if (guess === 'busy') throw new AppError('Throttling.User', 'Too many passwords of this user are being checked at once. Try again later.');
    try {
      // No password is longer than MAX_PASSWORD_LENGTH: a longer "old password" is wrong without hashing it.
      if (input.oldPassword.length > MAX_PASSWORD_LENGTH || !(await verifyPassword(input.oldPassword, current.passwordHash))) {
        await guess?.failed(this.ctx.clock());
        throw new AppError('InvalidParameter.OldPassword');
      }
    } finally {
      guess?.done();
    }
    checkPassword(input.newPassword, policy);
    const hash = await this.newHash(input.newPassword, current, policy.passwordReusePrevention);
    const next = await this.replace(user.userId, current, (d, now) => ({
      ...d, passwordHash: hash, previous: [d.passwordHash, ...d.previous].slice(0, MAX_HISTORY), passwordSetDate: now, passwordResetRequired: false, updateDate: now,
    }));
    return { stamp: stampOfHash(next.passwordHash) };
  }

  /**
   * Console sign-in (console/signin.ts): checks `password` against the user's profile. No authorization (the
   * password is the credential). Null when there is no profile or the password is wrong, so the caller
   * answers both alike; a missing profile still costs one hash, so timing does not tell them apart.
   */
  async verifySignIn(userId: string | null, password: string): Promise<{ passwordResetRequired: boolean; mfaBindRequired: boolean; passwordSetDate: number; stamp: string } | null> {
    const doc = userId === null ? null : await readDoc<LoginProfileDoc>(this.ctx, DOC.loginProfile, userId);
    if (password.length > MAX_PASSWORD_LENGTH) return null;
    const ok = await verifyPassword(password, doc?.passwordHash ?? (await dummyHash()));
    if (!doc || !ok) return null;
    return { passwordResetRequired: doc.passwordResetRequired, mfaBindRequired: doc.mfaBindRequired, passwordSetDate: doc.passwordSetDate, stamp: stampOfHash(doc.passwordHash) };
  }

  /** The stamp of the user's current profile (null: none), which a sign-in ticket must still match. */
  stampOf(userId: string): Promise<string | null> {
    return currentLoginStamp(this.ctx.store, userId);
  }

  /** Whether `userId` has a login profile (DeleteUser refuses then). */
  async exists(userId: string): Promise<boolean> {
    return (await this.ctx.store.readIdentityDocs(DOC.loginProfile, [userId])).has(userId);
  }

  /** Refuses only on an explicit Deny of ram:ChangePassword on the user itself; the outcome goes to the request's trace. */
  private async selfServiceAuthorize(caller: RamCaller, userName: string): Promise<void> {
    const local: AuthzTrace = {};
    try {
      await authorizeAction(this.ctx, { ...caller, trace: local }, 'ChangePassword', { userName });
      if (caller.trace) caller.trace.authz = local.authz;
    } catch (err) {
      if (!isAppError(err) || err.code !== 'NoPermission' || local.authz?.decision === 'ExplicitDeny') {
        if (caller.trace) caller.trace.authz = local.authz;
        throw err;
      }
      if (caller.trace) {
        const [resource] = ramActionResources(this.ctx.accountId, 'ChangePassword', { userName });
        caller.trace.authz = { action: 'ram:ChangePassword', resource: resource!, decision: 'Allow', layer: 'security-preference', statementIndex: -1 };
      }
    }
  }

  /** The new password's hash after the reuse check against the current and the last N-1 passwords. */
  private async newHash(password: string, current: LoginProfileDoc, reusePrevention: number): Promise<string> {
    if (reusePrevention > 0) {
      for (const old of [current.passwordHash, ...current.previous].slice(0, reusePrevention)) {
        if (await verifyPassword(password, old)) {
          throw new AppError('InvalidParameter.Password', `The parameter - "Password" does not satisfy the password policy: it must differ from the last ${reusePrevention} passwords.`);
        }
      }
    }
    return hashPassword(password);
  }

  /** Applies `change` to the stored profile inside the store's transaction (EntityNotExist when it was deleted meanwhile). */
  private async replace(userId: string, read: LoginProfileDoc, change: (d: LoginProfileDoc, now: number) => LoginProfileDoc): Promise<LoginProfileDoc> {
    const now = this.ctx.clock();
    let next = read;
    await this.ctx.store.updateIdentityDocs([this.key(userId)], ([cur]) => {
      if (cur === null) throw new AppError('EntityNotExist.User.LoginProfile');
      next = change(JSON.parse(cur) as LoginProfileDoc, now);
      return [JSON.stringify(next)];
    });
    return next;
  }
}
