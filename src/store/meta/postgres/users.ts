import { AppError } from '../../../errors.js';
import type { AccessKeyStatus, RamAccessKey, RamUser } from '../../../ram/model.js';
import { toAccessKey, toUser, type AccessKeyRow, type UserRow } from '../ram-rows.js';
import { changedSecrets, toKeyRotation, type KeyRotationRow } from '../key-rotations.js';
import type { KeyCheckDecider, KeyRotation, KeyRotationAudit, NamePage, UserPatch } from '../types.js';
import { KEY_CHECK_DOC } from '../types.js';
import { PgBase, type Queryable } from './base.js';
import * as docs from './identity-docs.js';
import { count, countInAccount, first, rows } from './ram-queries.js';
import { patchedUser } from '../ram-rules.js';

async function userRow(c: Queryable, userName: string): Promise<RamUser | null> {
  const row = await first<UserRow>(c, 'SELECT * FROM ram_users WHERE name = $1', [userName]);
  return row ? toUser(row) : null;
}

export async function mustUser(c: Queryable, userName: string): Promise<RamUser> {
  const u = await userRow(c, userName);
  if (!u) throw new AppError('EntityNotExist.User');
  return u;
}

/** RAM users, their AccessKeys and the key rotations that re-seal the keys' secrets: the identity layers' lowest. */
export abstract class PgUserStore extends PgBase {
  async createUser(u: RamUser, maxUsers: number): Promise<void> {
    await this.writeIdentity(async (c) => {
      if (await userRow(c, u.userName)) throw new AppError('EntityAlreadyExists.User');
      if ((await countInAccount(c, 'ram_users', u.userName)) >= maxUsers) throw new AppError('LimitExceeded.User');
      await c.query(
        'INSERT INTO ram_users (user_id, name, display_name, mobile_phone, email, comments, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [u.userId, u.userName, u.displayName, u.mobilePhone, u.email, u.comments, u.createDate, u.updateDate],
      );
    });
  }

  async getUser(userName: string): Promise<RamUser | null> {
    return userRow(this.pool, userName);
  }

  async getUserById(userId: string): Promise<RamUser | null> {
    const row = await first<UserRow>(this.pool, 'SELECT * FROM ram_users WHERE user_id = $1', [userId]);
    return row ? toUser(row) : null;
  }

  async updateUser(userName: string, patch: UserPatch, now: number): Promise<RamUser> {
    return this.writeIdentity(async (c) => {
      const u = await mustUser(c, userName);
      if (patch.userName !== undefined && patch.userName !== u.userName && (await userRow(c, patch.userName))) {
        throw new AppError('EntityAlreadyExists.User');
      }
      const next = patchedUser(u, patch, now);
      await c.query('UPDATE ram_users SET name = $1, display_name = $2, mobile_phone = $3, email = $4, comments = $5, updated = $6 WHERE user_id = $7', [
        next.userName, next.displayName, next.mobilePhone, next.email, next.comments, now, u.userId,
      ]);
      return next;
    });
  }

  async listUsers(page: NamePage): Promise<RamUser[]> {
    return (await rows<UserRow>(this.pool, 'SELECT * FROM ram_users WHERE name > $1 ORDER BY name LIMIT $2', [page.after ?? '', page.limit])).map(toUser);
  }

  async deleteUser(userName: string): Promise<void> {
    await this.writeIdentity(async (c) => {
      const u = await mustUser(c, userName);
      if ((await count(c, 'SELECT count(*) AS n FROM ram_access_keys WHERE user_id = $1', [u.userId])) > 0) throw new AppError('DeleteConflict.User.AccessKey');
      if ((await count(c, 'SELECT count(*) AS n FROM ram_group_members WHERE user_id = $1', [u.userId])) > 0) throw new AppError('DeleteConflict.User.Group');
      if ((await count(c, "SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'User' AND principal_id = $1", [u.userId])) > 0) {
        throw new AppError('DeleteConflict.User.Policy');
      }
      await c.query('DELETE FROM ram_users WHERE user_id = $1', [u.userId]);
    });
  }

  async createAccessKey(userName: string, key: Omit<RamAccessKey, 'userId'>, maxPerUser: number): Promise<RamAccessKey> {
    return this.writeIdentity(async (c) => {
      const u = await mustUser(c, userName);
      if ((await count(c, 'SELECT count(*) AS n FROM ram_access_keys WHERE user_id = $1', [u.userId])) >= maxPerUser) {
        throw new AppError('LimitExceeded.User.AccessKey');
      }
      if ((await count(c, 'SELECT count(*) AS n FROM ram_access_keys WHERE access_key_id = $1', [key.accessKeyId])) > 0) {
        throw new AppError('EntityAlreadyExists.AccessKey');
      }
      const record: RamAccessKey = { ...key, userId: u.userId };
      await c.query('INSERT INTO ram_access_keys (access_key_id, user_id, sealed_secret, status, created) VALUES ($1, $2, $3, $4, $5)', [
        record.accessKeyId, record.userId, record.sealedSecret, record.status, record.createDate,
      ]);
      return record;
    });
  }

  async getAccessKey(accessKeyId: string): Promise<RamAccessKey | null> {
    const row = await first<AccessKeyRow>(this.pool, 'SELECT * FROM ram_access_keys WHERE access_key_id = $1', [accessKeyId]);
    return row ? toAccessKey(row) : null;
  }

  async listAccessKeys(userName: string): Promise<RamAccessKey[]> {
    const u = await mustUser(this.pool, userName);
    return (await rows<AccessKeyRow>(this.pool, 'SELECT * FROM ram_access_keys WHERE user_id = $1 ORDER BY created, access_key_id', [u.userId])).map(toAccessKey);
  }

  private async mustUserKey(c: Queryable, userName: string, accessKeyId: string): Promise<void> {
    const u = await mustUser(c, userName);
    const row = await first<AccessKeyRow>(c, 'SELECT * FROM ram_access_keys WHERE access_key_id = $1', [accessKeyId]);
    if (!row || row.user_id !== u.userId) throw new AppError('EntityNotExist.User.AccessKey');
  }

  async updateAccessKey(userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void> {
    await this.writeIdentity(async (c) => {
      await this.mustUserKey(c, userName, accessKeyId);
      await c.query('UPDATE ram_access_keys SET status = $1 WHERE access_key_id = $2', [status, accessKeyId]);
    });
  }

  async deleteAccessKey(userName: string, accessKeyId: string): Promise<void> {
    await this.writeIdentity(async (c) => {
      await this.mustUserKey(c, userName, accessKeyId);
      await c.query('DELETE FROM ram_access_keys WHERE access_key_id = $1', [accessKeyId]);
    });
  }

  /** Re-seals every RAM AccessKey secret and records the rotation, in one transaction (see IdentityStore). */
  async resealAccessKeySecrets(reseal: (accessKeyId: string, sealedSecret: string) => string, audit: KeyRotationAudit, keyCheck?: KeyCheckDecider): Promise<number> {
    return this.writeIdentity(async (c) => {
      const changed = changedSecrets(await rows<AccessKeyRow>(c, 'SELECT * FROM ram_access_keys FOR UPDATE'), reseal);
      for (const k of changed) await c.query('UPDATE ram_access_keys SET sealed_secret = $1 WHERE access_key_id = $2', [k.sealed, k.accessKeyId]);
      // The key check value follows the re-seal in the same transaction (advisory lock: one writer at a time).
      if (keyCheck) await docs.updateDocs(c, '', [KEY_CHECK_DOC], ([cur]) => [keyCheck(cur ?? null)]);
      await c.query(
        `INSERT INTO key_rotations (key_fingerprint, previous_fingerprints, resealed, mode, host, pid) VALUES ($1, $2, $3, $4, $5, $6)`,
        [audit.keyFingerprint, audit.previousFingerprints, changed.length, audit.mode, audit.host, audit.pid],
      );
      return changed.length;
    });
  }

  async anySealedSecret(): Promise<{ accessKeyId: string; sealedSecret: string } | null> {
    const row = await first<{ access_key_id: string; sealed_secret: string }>(this.pool, 'SELECT access_key_id, sealed_secret FROM ram_access_keys ORDER BY access_key_id LIMIT 1');
    return row ? { accessKeyId: row.access_key_id, sealedSecret: row.sealed_secret } : null;
  }

  async listKeyRotations(): Promise<KeyRotation[]> {
    const all = await rows<KeyRotationRow>(
      this.pool,
      `SELECT id, (extract(epoch FROM rotated_at) * 1000)::bigint AS rotated_at, key_fingerprint, previous_fingerprints, resealed, mode, host, pid
       FROM key_rotations ORDER BY id DESC`,
    );
    return all.map(toKeyRotation);
  }
}
