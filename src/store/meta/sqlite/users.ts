import { AppError } from '../../../errors.js';
import { changedSecrets, toKeyRotation, type KeyRotationRow } from '../key-rotations.js';
import type { AccessKeyStatus, RamAccessKey, RamUser } from '../../../ram/model.js';
import type { KeyCheckDecider, KeyRotation, KeyRotationAudit, NamePage, UserPatch } from '../types.js';
import { KEY_CHECK_DOC } from '../types.js';
import { toAccessKey, toUser, type AccessKeyRow, type UserRow } from '../ram-rows.js';
import { SqliteBase } from './base.js';
import * as docs from './identity-docs.js';
import { sameAccountCondition } from '../account-names.js';
import { patchedUser } from '../ram-rules.js';

/** RAM users, their AccessKeys and the key rotations that re-seal the keys' secrets: the identity layers' lowest. */
export abstract class SqliteUserStore extends SqliteBase {
  private userRow(userName: string): RamUser | null {
    const row = this.sql<UserRow>('SELECT * FROM ram_users WHERE name = ?').get(userName);
    return row ? toUser(row) : null;
  }

  protected mustUser(userName: string): RamUser {
    const u = this.userRow(userName);
    if (!u) throw new AppError('EntityNotExist.User');
    return u;
  }

  /** Rows of `table` (by its `name`) in the account of the stored name `stored` (RAM limits count per account). */
  protected countInAccount(table: string, stored: string): number {
    const c = sameAccountCondition('name', stored, () => '?', 'instr');
    return this.count(`SELECT count(*) AS n FROM ${table} WHERE ${c.sql}`, ...c.params);
  }

  async createUser(u: RamUser, maxUsers: number): Promise<void> {
    await this.writeIdentity(() => {
      if (this.userRow(u.userName)) throw new AppError('EntityAlreadyExists.User');
      if (this.countInAccount('ram_users', u.userName) >= maxUsers) throw new AppError('LimitExceeded.User');
      this.sql('INSERT INTO ram_users (user_id, name, display_name, mobile_phone, email, comments, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(u.userId, u.userName, u.displayName, u.mobilePhone, u.email, u.comments, u.createDate, u.updateDate);
    });
  }

  async getUser(userName: string): Promise<RamUser | null> {
    return this.userRow(userName);
  }

  async getUserById(userId: string): Promise<RamUser | null> {
    const row = this.sql<UserRow>('SELECT * FROM ram_users WHERE user_id = ?').get(userId);
    return row ? toUser(row) : null;
  }

  async updateUser(userName: string, patch: UserPatch, now: number): Promise<RamUser> {
    return this.writeIdentity((): RamUser => {
      const u = this.mustUser(userName);
      if (patch.userName !== undefined && patch.userName !== u.userName && this.userRow(patch.userName)) {
        throw new AppError('EntityAlreadyExists.User');
      }
      const next = patchedUser(u, patch, now);
      this.sql('UPDATE ram_users SET name = ?, display_name = ?, mobile_phone = ?, email = ?, comments = ?, updated = ? WHERE user_id = ?')
        .run(next.userName, next.displayName, next.mobilePhone, next.email, next.comments, now, u.userId);
      return next;
    });
  }

  async listUsers(page: NamePage): Promise<RamUser[]> {
    return this.sql<UserRow>('SELECT * FROM ram_users WHERE name > ? ORDER BY name LIMIT ?').all(page.after ?? '', page.limit).map(toUser);
  }

  async deleteUser(userName: string): Promise<void> {
    await this.writeIdentity(() => {
      const u = this.mustUser(userName);
      if (this.count('SELECT count(*) AS n FROM ram_access_keys WHERE user_id = ?', u.userId) > 0) throw new AppError('DeleteConflict.User.AccessKey');
      if (this.count('SELECT count(*) AS n FROM ram_group_members WHERE user_id = ?', u.userId) > 0) throw new AppError('DeleteConflict.User.Group');
      if (this.count("SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'User' AND principal_id = ?", u.userId) > 0) {
        throw new AppError('DeleteConflict.User.Policy');
      }
      this.sql('DELETE FROM ram_users WHERE user_id = ?').run(u.userId);
    });
  }

  async createAccessKey(userName: string, key: Omit<RamAccessKey, 'userId'>, maxPerUser: number): Promise<RamAccessKey> {
    return this.writeIdentity((): RamAccessKey => {
      const u = this.mustUser(userName);
      if (this.count('SELECT count(*) AS n FROM ram_access_keys WHERE user_id = ?', u.userId) >= maxPerUser) {
        throw new AppError('LimitExceeded.User.AccessKey');
      }
      if (this.count('SELECT count(*) AS n FROM ram_access_keys WHERE access_key_id = ?', key.accessKeyId) > 0) {
        throw new AppError('EntityAlreadyExists.AccessKey');
      }
      const record: RamAccessKey = { ...key, userId: u.userId };
      this.sql('INSERT INTO ram_access_keys (access_key_id, user_id, sealed_secret, status, created) VALUES (?, ?, ?, ?, ?)')
        .run(record.accessKeyId, record.userId, record.sealedSecret, record.status, record.createDate);
      return record;
    });
  }

  async getAccessKey(accessKeyId: string): Promise<RamAccessKey | null> {
    const row = this.sql<AccessKeyRow>('SELECT * FROM ram_access_keys WHERE access_key_id = ?').get(accessKeyId);
    return row ? toAccessKey(row) : null;
  }

  async listAccessKeys(userName: string): Promise<RamAccessKey[]> {
    const u = this.mustUser(userName);
    return this.sql<AccessKeyRow>('SELECT * FROM ram_access_keys WHERE user_id = ? ORDER BY created, access_key_id').all(u.userId).map(toAccessKey);
  }

  private mustUserKey(userName: string, accessKeyId: string): RamUser {
    const u = this.mustUser(userName);
    const row = this.sql<AccessKeyRow>('SELECT * FROM ram_access_keys WHERE access_key_id = ?').get(accessKeyId);
    if (!row || row.user_id !== u.userId) throw new AppError('EntityNotExist.User.AccessKey');
    return u;
  }

  async updateAccessKey(userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void> {
    await this.writeIdentity(() => {
      this.mustUserKey(userName, accessKeyId);
      this.sql('UPDATE ram_access_keys SET status = ? WHERE access_key_id = ?').run(status, accessKeyId);
    });
  }

  async deleteAccessKey(userName: string, accessKeyId: string): Promise<void> {
    await this.writeIdentity(() => {
      this.mustUserKey(userName, accessKeyId);
      this.sql('DELETE FROM ram_access_keys WHERE access_key_id = ?').run(accessKeyId);
    });
  }

  /** Re-seals every RAM AccessKey secret and records the rotation, in one transaction (see IdentityStore). */
  async resealAccessKeySecrets(reseal: (accessKeyId: string, sealedSecret: string) => string, audit: KeyRotationAudit, keyCheck?: KeyCheckDecider): Promise<number> {
    return this.writeIdentity((): number => {
      const changed = changedSecrets(this.sql<AccessKeyRow>('SELECT * FROM ram_access_keys').all(), reseal);
      const update = this.sql('UPDATE ram_access_keys SET sealed_secret = ? WHERE access_key_id = ?');
      for (const c of changed) update.run(c.sealed, c.accessKeyId);
      // The key check value follows the re-seal in the same transaction.
      if (keyCheck) docs.updateDocs(this.db, '', [KEY_CHECK_DOC], ([cur]) => [keyCheck(cur ?? null)]);
      this.sql(
        `INSERT INTO key_rotations (rotated_at, key_fingerprint, previous_fingerprints, resealed, mode, host, pid)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(Date.now(), audit.keyFingerprint, JSON.stringify(audit.previousFingerprints), changed.length, audit.mode, audit.host, audit.pid);
      return changed.length;
    });
  }

  async anySealedSecret(): Promise<{ accessKeyId: string; sealedSecret: string } | null> {
    const row = this.sql<{ access_key_id: string; sealed_secret: string }>('SELECT access_key_id, sealed_secret FROM ram_access_keys ORDER BY access_key_id LIMIT 1').get();
    return row ? { accessKeyId: row.access_key_id, sealedSecret: row.sealed_secret } : null;
  }

  async listKeyRotations(): Promise<KeyRotation[]> {
    return this.sql<Omit<KeyRotationRow, 'previous_fingerprints'> & { previous_fingerprints: string }>('SELECT * FROM key_rotations ORDER BY id DESC')
      .all()
      .map((r) => toKeyRotation({ ...r, previous_fingerprints: JSON.parse(r.previous_fingerprints) as string[] }));
  }
}
