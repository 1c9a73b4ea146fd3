import { AppError } from '../errors.js';
import { open, seal } from '../util/secret-box.js';
import { ACCESS_KEY_ID_FORMAT, ACCESS_KEY_SECRET_FORMAT, newAccessKeyId, newAccessKeySecret, newNumericId } from './ids.js';
import type { AccessKeyStatus, RamAccessKey, RamUser } from './model.js';
import { checkField } from './names.js';
import { paged, type Page, type Paging } from './paging.js';
import { RamServiceBase, type RamCaller } from './service-base.js';

/** What an AccessKeyId stands for: the credential lookup the CredentialResolver for RAM users builds on. */
export interface ResolvedAccessKey {
  user: RamUser;
  accessKeyId: string;
  secret: string;
  status: AccessKeyStatus;
}

/** RAM users and their AccessKeys (created, imported, sealed at rest, resolved for request authentication). */
export abstract class RamUserService extends RamServiceBase {
  async createUser(
    caller: RamCaller,
    input: { userName: string; displayName?: string; mobilePhone?: string; email?: string; comments?: string },
  ): Promise<RamUser> {
    checkField('UserName', input.userName);
    await this.authorize(caller, 'CreateUser', { userName: input.userName });
    const now = this.clock();
    const user: RamUser = {
      userId: newNumericId(16),
      userName: input.userName,
      displayName: input.displayName !== undefined ? checkField('DisplayName', input.displayName) : input.userName,
      mobilePhone: input.mobilePhone !== undefined ? checkField('MobilePhone', input.mobilePhone) : '',
      email: input.email !== undefined ? checkField('Email', input.email) : '',
      comments: input.comments !== undefined ? checkField('Comments', input.comments) : '',
      createDate: now,
      updateDate: now,
    };
    await this.store.createUser(user, this.limits.users);
    return user;
  }

  async getUser(caller: RamCaller, userName: string): Promise<RamUser> {
    checkField('UserName', userName);
    await this.authorize(caller, 'GetUser', { userName });
    return this.mustUser(userName);
  }

  async updateUser(
    caller: RamCaller,
    input: { userName: string; newUserName?: string; newDisplayName?: string; newMobilePhone?: string; newEmail?: string; newComments?: string },
  ): Promise<RamUser> {
    checkField('UserName', input.userName);
    if (input.newUserName !== undefined) checkField('UserName', input.newUserName);
    await this.authorize(caller, 'UpdateUser', { userName: input.userName, ...(input.newUserName !== undefined ? { newUserName: input.newUserName } : {}) });
    return this.store.updateUser(
      input.userName,
      {
        ...(input.newUserName !== undefined ? { userName: checkField('UserName', input.newUserName) } : {}),
        ...(input.newDisplayName !== undefined ? { displayName: checkField('DisplayName', input.newDisplayName) } : {}),
        ...(input.newMobilePhone !== undefined ? { mobilePhone: checkField('MobilePhone', input.newMobilePhone) } : {}),
        ...(input.newEmail !== undefined ? { email: checkField('Email', input.newEmail) } : {}),
        ...(input.newComments !== undefined ? { comments: checkField('Comments', input.newComments) } : {}),
      },
      this.clock(),
    );
  }

  async listUsers(caller: RamCaller, paging: Paging): Promise<Page<RamUser>> {
    await this.authorize(caller, 'ListUsers', {});
    return paged(paging, (u) => u.userName, (p) => this.store.listUsers(p));
  }

  async deleteUser(caller: RamCaller, userName: string): Promise<void> {
    checkField('UserName', userName);
    await this.authorize(caller, 'DeleteUser', { userName });
    const user = this.rules ? await this.store.getUser(userName) : null;
    if (user) await this.rules!.beforeDeleteUser(user.userId);
    await this.store.deleteUser(userName);
  }

  /** The user an AccessKey action targets; omitted = the caller itself (a RAM user), which root is not. */
  private keyOwner(caller: RamCaller, userName: string | undefined): string {
    if (userName === undefined) {
      if (caller.principal.type === 'user') return caller.principal.userName;
      throw new AppError('MissingUserName');
    }
    return checkField('UserName', userName);
  }

  /** Creates a key; the plain secret is returned here and never again. */
  async createAccessKey(caller: RamCaller, input: { userName?: string }): Promise<{ key: RamAccessKey; secret: string }> {
    const userName = this.keyOwner(caller, input.userName);
    await this.authorize(caller, 'CreateAccessKey', { userName });
    await this.rules?.accessKeySelfService(caller, userName);
    const accessKeyId = newAccessKeyId();
    const secret = newAccessKeySecret();
    const key = await this.withKeyLimit(userName, this.store.createAccessKey(
      userName,
      { accessKeyId, sealedSecret: seal(this.masterKey, secret, accessKeyId), status: 'Active', createDate: this.clock() },
      this.limits.accessKeysPerUser,
    ));
    return { key, secret };
  }

  /**
   * The store's LimitExceeded.User.AccessKey with the limit and the way out added to the cloud's text, which says
   * neither (a newcomer re-running an example that creates a key meets it on the third run).
   */
  private async withKeyLimit<T>(userName: string, created: Promise<T>): Promise<T> {
    try {
      return await created;
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'LimitExceeded.User.AccessKey') throw err;
      const max = this.limits.accessKeysPerUser;
      throw new AppError('LimitExceeded.User.AccessKey', `${err.message} ${userName} has ${max} AccessKey${max === 1 ? '' : 's'}, the most a user may have: delete one (DeleteAccessKey) to create another.`);
    }
  }

  /**
   * Alunite extension for declared state (docs/init.md): a key with a given id and secret, so CI runs get
   * the same credentials every time. Same authorization, limit and sealing as CreateAccessKey.
   */
  async importAccessKey(caller: RamCaller, input: { userName: string; accessKeyId: string; secret: string; status?: AccessKeyStatus }): Promise<RamAccessKey> {
    const userName = checkField('UserName', input.userName);
    if (!ACCESS_KEY_ID_FORMAT.test(input.accessKeyId)) throw new AppError('InvalidParameter', 'The AccessKeyId must be "LTAI" and 20 letters or digits (or a legacy 16-character id).');
    if (!ACCESS_KEY_SECRET_FORMAT.test(input.secret)) throw new AppError('InvalidParameter', 'The AccessKeySecret must be 30 letters or digits.');
    await this.authorize(caller, 'CreateAccessKey', { userName });
    await this.rules?.accessKeySelfService(caller, userName);
    return this.withKeyLimit(userName, this.store.createAccessKey(
      userName,
      { accessKeyId: input.accessKeyId, sealedSecret: seal(this.masterKey, input.secret, input.accessKeyId), status: input.status ?? 'Active', createDate: this.clock() },
      this.limits.accessKeysPerUser,
    ));
  }

  async listAccessKeys(caller: RamCaller, input: { userName?: string }): Promise<RamAccessKey[]> {
    const userName = this.keyOwner(caller, input.userName);
    await this.authorize(caller, 'ListAccessKeys', { userName });
    return this.store.listAccessKeys(userName);
  }

  async updateAccessKey(caller: RamCaller, input: { userName?: string; userAccessKeyId: string; status: string }): Promise<void> {
    const userName = this.keyOwner(caller, input.userName);
    if (input.status !== 'Active' && input.status !== 'Inactive') throw new AppError('InvalidParameter.Status');
    await this.authorize(caller, 'UpdateAccessKey', { userName });
    await this.rules?.accessKeySelfService(caller, userName);
    await this.store.updateAccessKey(userName, input.userAccessKeyId, input.status);
  }

  async deleteAccessKey(caller: RamCaller, input: { userName?: string; userAccessKeyId: string }): Promise<void> {
    const userName = this.keyOwner(caller, input.userName);
    await this.authorize(caller, 'DeleteAccessKey', { userName });
    await this.rules?.accessKeySelfService(caller, userName);
    await this.store.deleteAccessKey(userName, input.userAccessKeyId);
  }

  /**
   * Credential lookup for request authentication (no authorization: the caller is the signature check):
   * AccessKeyId → owning user, plain secret, status; null when no RAM user has this key.
   */
  async resolveAccessKey(accessKeyId: string): Promise<ResolvedAccessKey | null> {
    const key = await this.store.getAccessKey(accessKeyId);
    if (!key) return null;
    const user = await this.store.getUserById(key.userId);
    if (!user) return null;
    return { user, accessKeyId, secret: this.unseal(key.sealedSecret, accessKeyId), status: key.status };
  }

  /** Opens a sealed secret with the current master key, else with a previous one (before a re-seal). */
  private unseal(sealed: string, accessKeyId: string): string {
    for (const key of [this.masterKey, ...this.previousMasterKeys]) {
      try {
        return open(key, sealed, accessKeyId);
      } catch {
        // try the next key of the ring
      }
    }
    // The master key was replaced without `alunite keys rotate`: a server fault, not the client's.
    throw new AppError('InternalError', `The secret of AccessKey ${accessKeyId} cannot be opened with the configured master key(s); restore the previous key as ALUNITE_MASTER_KEY_PREVIOUS or master.key.previous.`);
  }
}
