import { AppError } from '../errors.js';
import { AccountSettings } from './account-settings.js';
import { decodeDiagnosticMessage, DiagnosticCodec, type DiagnosticFacts } from './diagnostic.js';
import { authorizeAction, type ExtrasContext } from './extras-context.js';
import { AccessKeyLastUsed } from './last-used.js';
import { LoginProfiles } from './login-profiles.js';
import { VirtualMfa } from './mfa.js';
import { RamTags } from './tags.js';
import type { RamPolicy } from './model.js';
import { checkField } from './names.js';
import type { RamCaller } from './service.js';

/**
 * The RAM actions beyond users, groups, roles and policies (docs/ram.md): login profiles and the password
 * policy, virtual MFA, the account alias and security preference, AccessKey last use, policy descriptions,
 * tags on roles and policies, and DecodeDiagnosticMessage. Same rules as RamService: protocol-free, every action through the one
 * authorization hook with the resources of ram/actions.ts.
 */
export class RamExtras {
  readonly settings: AccountSettings;
  readonly loginProfiles: LoginProfiles;
  readonly mfa: VirtualMfa;
  readonly lastUsed: AccessKeyLastUsed;
  readonly diagnostics: DiagnosticCodec;
  readonly tags: RamTags;

  /** `lastUsed`: the default account's writer, which another account's instance shares (ram/last-used.ts). */
  constructor(private readonly ctx: ExtrasContext, opts: { lastUsedFlushMs?: number; lastUsed?: AccessKeyLastUsed } = {}) {
    this.settings = new AccountSettings(ctx);
    this.loginProfiles = new LoginProfiles(ctx, this.settings);
    this.mfa = new VirtualMfa(ctx, this.settings);
    this.lastUsed = new AccessKeyLastUsed(ctx, opts.lastUsedFlushMs, opts.lastUsed);
    this.diagnostics = new DiagnosticCodec(ctx.masterKey, ctx.previousMasterKeys);
    this.tags = new RamTags(ctx);
  }

  get accountId(): string {
    return this.ctx.accountId;
  }

  async updatePolicyDescription(caller: RamCaller, input: { policyName: string; newDescription: string }): Promise<RamPolicy> {
    checkField('PolicyName', input.policyName);
    checkField('Description', input.newDescription);
    await authorizeAction(this.ctx, caller, 'UpdatePolicyDescription', { policyName: input.policyName });
    return this.ctx.store.updatePolicyDescription(input.policyName, input.newDescription, this.ctx.clock());
  }

  decodeDiagnosticMessage(caller: RamCaller, encoded: string): Promise<DiagnosticFacts> {
    return decodeDiagnosticMessage(this.ctx, this.diagnostics, caller, encoded);
  }

  // ---- rules RamService applies (RamServiceOptions.rules)

  /**
   * AllowUserToManageAccessKeys = false: a RAM user may not create, update or delete its own AccessKeys,
   * whatever its policies say (others' keys: the policies decide).
   */
  async accessKeySelfService(caller: RamCaller, userName: string): Promise<void> {
    const p = caller.principal;
    if (p.type !== 'user' || p.accountId !== this.ctx.accountId || p.userName !== userName) return;
    if (!(await this.settings.securityPreference()).allowUserToManageAccessKeys) {
      throw new AppError('NoPermission', 'The security preference of the account does not allow RAM users to manage their AccessKeys.');
    }
  }

  /** DeleteUser refuses while the user has a login profile or an MFA device. */
  async beforeDeleteUser(userId: string): Promise<void> {
    if (await this.loginProfiles.exists(userId)) throw new AppError('DeleteConflict.User.LoginProfile');
    if (await this.mfa.bound(userId)) throw new AppError('DeleteConflict.User.MFADevice');
  }
}
