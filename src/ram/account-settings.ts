import { AppError } from '../errors.js';
import { authorizeAction, DOC, readDoc, type ExtrasContext } from './extras-context.js';
import { DEFAULT_PASSWORD_POLICY, PASSWORD_POLICY_BOUNDS, type PasswordPolicy } from './passwords.js';
import type { RamCaller } from './service.js';

// Account-wide RAM settings (docs/ram.md): the account alias, the password policy and the security
// preference, each one identity document of kind `account`.

/** GetSecurityPreference / SetSecurityPreference. */
export interface SecurityPreference {
  enableSaveMFATicket: boolean;
  allowUserToChangePassword: boolean;
  allowUserToManageAccessKeys: boolean;
  allowUserToManagePublicKeys: boolean;
  allowUserToManageMFADevices: boolean;
  /** Hours, 1–24. */
  loginSessionDuration: number;
  /** `;`-separated CIDR blocks; empty = any network. */
  loginNetworkMasks: string;
}

/**
 * A new account's preference. AllowUserToManageAccessKeys is true here (the cloud's console shows false):
 * with true, what a RAM user may do with its own AccessKeys is what its policies say, as before this
 * setting existed; false is the restriction (docs/ram.md, "Security preference").
 */
export const DEFAULT_SECURITY_PREFERENCE: SecurityPreference = {
  enableSaveMFATicket: true,
  allowUserToChangePassword: true,
  allowUserToManageAccessKeys: true,
  allowUserToManagePublicKeys: false,
  allowUserToManageMFADevices: true,
  loginSessionDuration: 6,
  loginNetworkMasks: '',
};

const ALIAS = /^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const MAX_NETWORK_MASKS = 40;

function checkMasks(masks: string): string {
  if (masks === '') return masks;
  const list = masks.split(';');
  const bad = new AppError('InvalidParameter.SecurityPreference', 'The parameter - "LoginNetworkMasks" must be up to 40 IPv4 CIDR blocks separated by semicolons.');
  if (list.length > MAX_NETWORK_MASKS) throw bad;
  for (const m of list) {
    const match = CIDR.exec(m.trim());
    if (!match || match.slice(1, 5).some((o) => Number(o) > 255) || Number(match[5]) > 32) throw bad;
  }
  return masks;
}

export class AccountSettings {
  constructor(private readonly ctx: ExtrasContext) {}

  // ---- alias

  async setAccountAlias(caller: RamCaller, alias: string): Promise<void> {
    if (!ALIAS.test(alias) || alias.includes('--')) throw new AppError('InvalidParameter.AccountAlias');
    await authorizeAction(this.ctx, caller, 'SetAccountAlias', {});
    // Unique across accounts (accounts/alias-index.ts): stored first, then claimed in the index, which another
    // account's document naming it refuses; refused, the document is put back. The alias replaced leaves the index.
    const key = { kind: DOC.account, id: 'alias' };
    const mine = JSON.stringify({ alias });
    const seen: { doc: string | null } = { doc: null };
    await this.ctx.store.updateIdentityDocs([key], ([current]) => {
      seen.doc = current ?? null;
      return [mine];
    });
    const before = seen.doc;
    const previous = before === null ? null : (JSON.parse(before) as { alias?: string }).alias ?? null;
    try {
      await this.ctx.aliases?.claim(this.ctx.accountId, alias);
    } catch (err) {
      // Only while the document is still this call's: a later SetAccountAlias of the account stays.
      await this.ctx.store.updateIdentityDocs([key], ([current]) => [current === mine ? before : current ?? null]).catch(() => undefined);
      throw err;
    }
    if (previous !== null && previous !== alias) await this.ctx.aliases?.release(this.ctx.accountId, previous);
  }

  /** The alias, or the account id when none was set (the cloud's default alias). */
  async getAccountAlias(caller: RamCaller): Promise<string> {
    await authorizeAction(this.ctx, caller, 'GetAccountAlias', {});
    return this.alias();
  }

  /** The alias (else the account id), unchecked: for what the account shows of itself (an MFA device's QR code). */
  async alias(): Promise<string> {
    return (await readDoc<{ alias: string }>(this.ctx, DOC.account, 'alias'))?.alias ?? this.ctx.accountId;
  }

  /** The alias set, null when none (no authorization: console sign-in resolves `user@<alias>` with it). */
  async aliasSet(): Promise<string | null> {
    return (await readDoc<{ alias: string }>(this.ctx, DOC.account, 'alias'))?.alias ?? null;
  }

  async clearAccountAlias(caller: RamCaller): Promise<void> {
    await authorizeAction(this.ctx, caller, 'ClearAccountAlias', {});
    const previous = await this.aliasSet();
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.account, id: 'alias' }], () => [null]);
    if (previous !== null) await this.ctx.aliases?.release(this.ctx.accountId, previous);
  }

  // ---- password policy

  /** The policy in force (no authorization: the login-profile actions read it for their own checks). */
  async passwordPolicy(): Promise<PasswordPolicy> {
    return { ...DEFAULT_PASSWORD_POLICY, ...(await readDoc<Partial<PasswordPolicy>>(this.ctx, DOC.account, 'password-policy')) };
  }

  async getPasswordPolicy(caller: RamCaller): Promise<PasswordPolicy> {
    await authorizeAction(this.ctx, caller, 'GetPasswordPolicy', {});
    return this.passwordPolicy();
  }

  /** Fields left out keep their current value. Returns the policy now in force. */
  async setPasswordPolicy(caller: RamCaller, patch: Partial<PasswordPolicy>): Promise<PasswordPolicy> {
    for (const [field, [min, max]] of Object.entries(PASSWORD_POLICY_BOUNDS)) {
      const v = patch[field as keyof typeof PASSWORD_POLICY_BOUNDS];
      if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
        throw new AppError('InvalidParameter.PasswordPolicy', `The parameter - "${field[0]!.toUpperCase()}${field.slice(1)}" must be between ${min} and ${max}.`);
      }
    }
    await authorizeAction(this.ctx, caller, 'SetPasswordPolicy', {});
    let result = DEFAULT_PASSWORD_POLICY;
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.account, id: 'password-policy' }], ([cur]) => {
      result = { ...DEFAULT_PASSWORD_POLICY, ...(cur ? (JSON.parse(cur) as Partial<PasswordPolicy>) : {}), ...patch };
      return [JSON.stringify(result)];
    });
    return result;
  }

  // ---- security preference

  /** The preference in force (no authorization: the enforcement points read it). */
  async securityPreference(): Promise<SecurityPreference> {
    return { ...DEFAULT_SECURITY_PREFERENCE, ...(await readDoc<Partial<SecurityPreference>>(this.ctx, DOC.account, 'security-preference')) };
  }

  async getSecurityPreference(caller: RamCaller): Promise<SecurityPreference> {
    await authorizeAction(this.ctx, caller, 'GetSecurityPreference', {});
    return this.securityPreference();
  }

  async setSecurityPreference(caller: RamCaller, patch: Partial<SecurityPreference>): Promise<SecurityPreference> {
    const d = patch.loginSessionDuration;
    if (d !== undefined && (!Number.isInteger(d) || d < 1 || d > 24)) {
      throw new AppError('InvalidParameter.SecurityPreference', 'The parameter - "LoginSessionDuration" must be between 1 and 24 (hours).');
    }
    if (patch.loginNetworkMasks !== undefined) checkMasks(patch.loginNetworkMasks);
    await authorizeAction(this.ctx, caller, 'SetSecurityPreference', {});
    let result = DEFAULT_SECURITY_PREFERENCE;
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.account, id: 'security-preference' }], ([cur]) => {
      result = { ...DEFAULT_SECURITY_PREFERENCE, ...(cur ? (JSON.parse(cur) as Partial<SecurityPreference>) : {}), ...patch };
      return [JSON.stringify(result)];
    });
    return result;
  }
}
