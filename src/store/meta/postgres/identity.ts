import type pg from 'pg';
import { AppError } from '../../../errors.js';
import type { AccessKeyStatus, PolicyType, RamAccessKey, RamAttachment, RamGroup, RamPolicy, RamPolicyVersion, RamPrincipalKind, RamRole, RamUser } from '../../../ram/model.js';
import {
  toAccessKey,
  toAttachment,
  toGroup,
  toPolicy,
  toRole,
  toUser,
  toVersion,
  versionNumber,
  type AccessKeyRow,
  type AttachmentRow,
  type GroupRow,
  type PolicyRow,
  type RoleRow,
  type UserRow,
  type VersionRow,
} from '../ram-rows.js';
import { changedSecrets, toKeyRotation, type KeyRotationRow } from '../key-rotations.js';
import type { CreateVersionOptions, GroupPatch, IdentityDocKey, IdentityStore, KeyCheckDecider, KeyRotation, KeyRotationAudit, NamePage, RolePatch, UserPatch } from '../types.js';
import { KEY_CHECK_DOC, movesIdentityGeneration } from '../types.js';
import { PROVIDER_ERRORS, providerMissing, toProvider, type ProviderDecider, type ProviderKind, type ProviderRecord, type ProviderRow, type ProviderStore } from '../providers.js';
import { PgBase, type Queryable } from './base.js';
import * as docs from './identity-docs.js';
import { attachmentInAccountCondition, sameAccountCondition } from '../account-names.js';

async function rows<R extends pg.QueryResultRow>(c: Queryable, text: string, values: unknown[] = []): Promise<R[]> {
  return (await c.query<R>(text, values)).rows;
}

async function first<R extends pg.QueryResultRow>(c: Queryable, text: string, values: unknown[] = []): Promise<R | undefined> {
  // Every lookup here compares text columns for equality, and PostgreSQL text cannot hold U+0000: a value holding
  // one matches no row. Sent, it fails the query (UpdateAccessKey of `%00`, ListTagResources of a role `w%00`: 500).
  if (values.some((v) => typeof v === 'string' && v.includes('\u0000'))) return undefined;
  return (await c.query<R>(text, values)).rows[0];
}

/** Rows of `table` (by its `name`) in the account of the stored name `stored` (RAM limits count per account). */
async function countInAccount(c: Queryable, table: string, stored: string): Promise<number> {
  const cond = sameAccountCondition('name', stored, (i) => `$${i + 1}`, 'strpos');
  return count(c, `SELECT count(*) AS n FROM ${table} WHERE ${cond.sql}`, cond.params);
}

async function count(c: Queryable, text: string, values: unknown[] = []): Promise<number> {
  return (await c.query<{ n: number }>(text, values)).rows[0]!.n;
}

async function userRow(c: Queryable, userName: string): Promise<RamUser | null> {
  const row = await first<UserRow>(c, 'SELECT * FROM ram_users WHERE name = $1', [userName]);
  return row ? toUser(row) : null;
}

async function mustUser(c: Queryable, userName: string): Promise<RamUser> {
  const u = await userRow(c, userName);
  if (!u) throw new AppError('EntityNotExist.User');
  return u;
}

async function groupRow(c: Queryable, groupName: string): Promise<RamGroup | null> {
  const row = await first<GroupRow>(c, 'SELECT * FROM ram_groups WHERE name = $1', [groupName]);
  return row ? toGroup(row) : null;
}

async function mustGroup(c: Queryable, groupName: string): Promise<RamGroup> {
  const g = await groupRow(c, groupName);
  if (!g) throw new AppError('EntityNotExist.Group');
  return g;
}

async function roleRow(c: Queryable, roleName: string): Promise<RamRole | null> {
  const row = await first<RoleRow>(c, 'SELECT * FROM ram_roles WHERE name_key = $1', [roleName.toLowerCase()]);
  return row ? toRole(row) : null;
}

async function mustRole(c: Queryable, roleName: string): Promise<RamRole> {
  const r = await roleRow(c, roleName);
  if (!r) throw new AppError('EntityNotExist.Role');
  return r;
}

async function policyRow(c: Queryable, policyName: string): Promise<RamPolicy | null> {
  const row = await first<PolicyRow>(c, 'SELECT * FROM ram_policies WHERE name = $1', [policyName]);
  return row ? toPolicy(row) : null;
}

async function mustPolicy(c: Queryable, policyName: string): Promise<RamPolicy> {
  const p = await policyRow(c, policyName);
  if (!p) throw new AppError('EntityNotExist.Policy');
  return p;
}

/**
 * RAM identities and RPC nonces on PostgreSQL: the same rules as the SQLite store, each write in one
 * transaction that first bumps the shared identity counter (which serializes identity writes across
 * processes, so check-then-insert rules hold).
 */
export abstract class PgIdentityStore extends PgBase implements IdentityStore, ProviderStore {
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
      const next: RamUser = {
        ...u,
        userName: patch.userName ?? u.userName,
        displayName: patch.displayName ?? u.displayName,
        mobilePhone: patch.mobilePhone ?? u.mobilePhone,
        email: patch.email ?? u.email,
        comments: patch.comments ?? u.comments,
        updateDate: now,
      };
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

  async createGroup(g: RamGroup, maxGroups: number): Promise<void> {
    await this.writeIdentity(async (c) => {
      if (await groupRow(c, g.groupName)) throw new AppError('EntityAlreadyExists.Group');
      if ((await countInAccount(c, 'ram_groups', g.groupName)) >= maxGroups) throw new AppError('LimitExceeded.Group');
      await c.query('INSERT INTO ram_groups (group_id, name, comments, created, updated) VALUES ($1, $2, $3, $4, $5)', [
        g.groupId, g.groupName, g.comments, g.createDate, g.updateDate,
      ]);
    });
  }

  async getGroup(groupName: string): Promise<RamGroup | null> {
    return groupRow(this.pool, groupName);
  }

  async getGroupById(groupId: string): Promise<RamGroup | null> {
    const row = await first<GroupRow>(this.pool, 'SELECT * FROM ram_groups WHERE group_id = $1', [groupId]);
    return row ? toGroup(row) : null;
  }

  async updateGroup(groupName: string, patch: GroupPatch, now: number): Promise<RamGroup> {
    return this.writeIdentity(async (c) => {
      const g = await mustGroup(c, groupName);
      if (patch.groupName !== undefined && patch.groupName !== g.groupName && (await groupRow(c, patch.groupName))) {
        throw new AppError('EntityAlreadyExists.Group');
      }
      const next: RamGroup = { ...g, groupName: patch.groupName ?? g.groupName, comments: patch.comments ?? g.comments, updateDate: now };
      await c.query('UPDATE ram_groups SET name = $1, comments = $2, updated = $3 WHERE group_id = $4', [next.groupName, next.comments, now, g.groupId]);
      return next;
    });
  }

  async listGroups(page: NamePage): Promise<RamGroup[]> {
    return (await rows<GroupRow>(this.pool, 'SELECT * FROM ram_groups WHERE name > $1 ORDER BY name LIMIT $2', [page.after ?? '', page.limit])).map(toGroup);
  }

  async deleteGroup(groupName: string): Promise<void> {
    await this.writeIdentity(async (c) => {
      const g = await mustGroup(c, groupName);
      if ((await count(c, 'SELECT count(*) AS n FROM ram_group_members WHERE group_id = $1', [g.groupId])) > 0) throw new AppError('DeleteConflict.Group.User');
      if ((await count(c, "SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'Group' AND principal_id = $1", [g.groupId])) > 0) {
        throw new AppError('DeleteConflict.Group.Policy');
      }
      await c.query('DELETE FROM ram_groups WHERE group_id = $1', [g.groupId]);
    });
  }

  async addUserToGroup(groupName: string, userName: string, now: number, maxGroupsPerUser: number): Promise<void> {
    await this.writeIdentity(async (c) => {
      const g = await mustGroup(c, groupName);
      const u = await mustUser(c, userName);
      if ((await count(c, 'SELECT count(*) AS n FROM ram_group_members WHERE group_id = $1 AND user_id = $2', [g.groupId, u.userId])) > 0) {
        throw new AppError('EntityAlreadyExists.User.Group');
      }
      if ((await count(c, 'SELECT count(*) AS n FROM ram_group_members WHERE user_id = $1', [u.userId])) >= maxGroupsPerUser) {
        throw new AppError('LimitExceeded.User.Group');
      }
      await c.query('INSERT INTO ram_group_members (group_id, user_id, joined) VALUES ($1, $2, $3)', [g.groupId, u.userId, now]);
    });
  }

  async removeUserFromGroup(groupName: string, userName: string): Promise<void> {
    await this.writeIdentity(async (c) => {
      const g = await mustGroup(c, groupName);
      const u = await mustUser(c, userName);
      const res = await c.query('DELETE FROM ram_group_members WHERE group_id = $1 AND user_id = $2', [g.groupId, u.userId]);
      if (res.rowCount === 0) throw new AppError('EntityNotExist.User.Group');
    });
  }

  async listGroupsForUser(userName: string): Promise<Array<{ group: RamGroup; joinDate: number }>> {
    const u = await mustUser(this.pool, userName);
    const found = await rows<GroupRow & { joined: number }>(
      this.pool,
      'SELECT g.*, m.joined FROM ram_group_members m JOIN ram_groups g ON g.group_id = m.group_id WHERE m.user_id = $1 ORDER BY g.name',
      [u.userId],
    );
    return found.map((r) => ({ group: toGroup(r), joinDate: r.joined }));
  }

  async listUsersForGroup(groupName: string, page: NamePage): Promise<Array<{ user: RamUser; joinDate: number }>> {
    const g = await mustGroup(this.pool, groupName);
    const found = await rows<UserRow & { joined: number }>(
      this.pool,
      'SELECT u.*, m.joined FROM ram_group_members m JOIN ram_users u ON u.user_id = m.user_id WHERE m.group_id = $1 AND u.name > $2 ORDER BY u.name LIMIT $3',
      [g.groupId, page.after ?? '', page.limit],
    );
    return found.map((r) => ({ user: toUser(r), joinDate: r.joined }));
  }

  async createRole(r: RamRole, maxRoles: number): Promise<void> {
    await this.writeIdentity(async (c) => {
      if (await roleRow(c, r.roleName)) throw new AppError('EntityAlreadyExists.Role');
      if ((await countInAccount(c, 'ram_roles', r.roleName)) >= maxRoles) throw new AppError('LimitExceeded.Role');
      await c.query(
        `INSERT INTO ram_roles (role_id, name, name_key, description, trust_policy, max_session_duration, created, updated)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [r.roleId, r.roleName, r.roleName.toLowerCase(), r.description, r.assumeRolePolicyDocument, r.maxSessionDuration, r.createDate, r.updateDate],
      );
    });
  }

  async getRole(roleName: string): Promise<RamRole | null> {
    return roleRow(this.pool, roleName);
  }

  async getRoleById(roleId: string): Promise<RamRole | null> {
    const row = await first<RoleRow>(this.pool, 'SELECT * FROM ram_roles WHERE role_id = $1', [roleId]);
    return row ? toRole(row) : null;
  }

  async updateRole(roleName: string, patch: RolePatch, now: number): Promise<RamRole> {
    return this.writeIdentity(async (c) => {
      const r = await mustRole(c, roleName);
      const next: RamRole = {
        ...r,
        assumeRolePolicyDocument: patch.assumeRolePolicyDocument ?? r.assumeRolePolicyDocument,
        maxSessionDuration: patch.maxSessionDuration ?? r.maxSessionDuration,
        description: patch.description ?? r.description,
        updateDate: now,
      };
      await c.query('UPDATE ram_roles SET trust_policy = $1, max_session_duration = $2, description = $3, updated = $4 WHERE role_id = $5', [
        next.assumeRolePolicyDocument, next.maxSessionDuration, next.description, now, r.roleId,
      ]);
      return next;
    });
  }

  async listRoles(page: NamePage): Promise<RamRole[]> {
    return (await rows<RoleRow>(this.pool, 'SELECT * FROM ram_roles WHERE name > $1 ORDER BY name LIMIT $2', [page.after ?? '', page.limit])).map(toRole);
  }

  async deleteRole(roleName: string): Promise<void> {
    await this.writeIdentity(async (c) => {
      const r = await mustRole(c, roleName);
      if ((await count(c, "SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'Role' AND principal_id = $1", [r.roleId])) > 0) {
        throw new AppError('DeleteConflict.Role.Policy');
      }
      await c.query('DELETE FROM ram_roles WHERE role_id = $1', [r.roleId]);
    });
  }

  async createPolicy(p: RamPolicy, document: string, maxPolicies: number): Promise<RamPolicyVersion> {
    return this.writeIdentity(async (c) => {
      if (await policyRow(c, p.policyName)) throw new AppError('EntityAlreadyExists.Policy');
      if ((await countInAccount(c, 'ram_policies', p.policyName)) >= maxPolicies) throw new AppError('LimitExceeded.Policy');
      await c.query('INSERT INTO ram_policies (name, description, default_version, next_version, created, updated) VALUES ($1, $2, $3, $4, $5, $6)', [
        p.policyName, p.description, 'v1', 2, p.createDate, p.updateDate,
      ]);
      await c.query('INSERT INTO ram_policy_versions (policy_name, version_num, document, created) VALUES ($1, $2, $3, $4)', [p.policyName, 1, document, p.createDate]);
      return { policyName: p.policyName, versionId: 'v1', document, createDate: p.createDate };
    });
  }

  async getPolicy(policyName: string): Promise<RamPolicy | null> {
    return policyRow(this.pool, policyName);
  }

  async listPolicies(page: NamePage): Promise<RamPolicy[]> {
    return (await rows<PolicyRow>(this.pool, 'SELECT * FROM ram_policies WHERE name > $1 ORDER BY name LIMIT $2', [page.after ?? '', page.limit])).map(toPolicy);
  }

  async deletePolicy(policyName: string): Promise<void> {
    await this.writeIdentity(async (c) => {
      const p = await mustPolicy(c, policyName);
      for (const [kind, code] of [['User', 'DeleteConflict.Policy.User'], ['Group', 'DeleteConflict.Policy.Group'], ['Role', 'DeleteConflict.Policy.Role']] as const) {
        const n = await count(c, "SELECT count(*) AS n FROM ram_attachments WHERE policy_type = 'Custom' AND policy_name = $1 AND principal_kind = $2", [policyName, kind]);
        if (n > 0) throw new AppError(code);
      }
      if ((await count(c, 'SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = $1', [policyName])) > 1) throw new AppError('DeleteConflict.Policy.Version');
      await c.query('DELETE FROM ram_policy_versions WHERE policy_name = $1', [p.policyName]);
      await c.query('DELETE FROM ram_policies WHERE name = $1', [p.policyName]);
    });
  }

  async createPolicyVersion(policyName: string, document: string, now: number, opts: CreateVersionOptions): Promise<RamPolicyVersion> {
    return this.writeIdentity(async (c) => {
      const p = await mustPolicy(c, policyName);
      const row = (await first<{ next_version: number }>(c, 'SELECT next_version FROM ram_policies WHERE name = $1', [policyName]))!;
      if ((await count(c, 'SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = $1', [policyName])) >= opts.maxVersions) {
        const oldest = await first<{ version_num: number }>(
          c,
          'SELECT version_num FROM ram_policy_versions WHERE policy_name = $1 AND version_num != $2 ORDER BY version_num LIMIT 1',
          [policyName, versionNumber(p.defaultVersion)],
        );
        if (!opts.rotate || !oldest) throw new AppError('LimitExceeded.Policy.Version');
        await c.query('DELETE FROM ram_policy_versions WHERE policy_name = $1 AND version_num = $2', [policyName, oldest.version_num]);
      }
      const num = row.next_version;
      await c.query('INSERT INTO ram_policy_versions (policy_name, version_num, document, created) VALUES ($1, $2, $3, $4)', [policyName, num, document, now]);
      const versionId = `v${num}`;
      await c.query('UPDATE ram_policies SET next_version = $1, updated = $2, default_version = $3 WHERE name = $4', [
        num + 1, now, opts.setAsDefault ? versionId : p.defaultVersion, policyName,
      ]);
      return { policyName, versionId, document, createDate: now };
    });
  }

  async getPolicyVersion(policyName: string, versionId: string): Promise<RamPolicyVersion | null> {
    const row = await first<VersionRow>(this.pool, 'SELECT * FROM ram_policy_versions WHERE policy_name = $1 AND version_num = $2', [policyName, versionNumber(versionId)]);
    return row ? toVersion(row) : null;
  }

  async listPolicyVersions(policyName: string): Promise<RamPolicyVersion[]> {
    return (await rows<VersionRow>(this.pool, 'SELECT * FROM ram_policy_versions WHERE policy_name = $1 ORDER BY version_num DESC', [policyName])).map(toVersion);
  }

  async setDefaultPolicyVersion(policyName: string, versionId: string, now: number): Promise<void> {
    await this.writeIdentity(async (c) => {
      await mustPolicy(c, policyName);
      if ((await count(c, 'SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = $1 AND version_num = $2', [policyName, versionNumber(versionId)])) === 0) {
        throw new AppError('EntityNotExist.Policy.Version');
      }
      await c.query('UPDATE ram_policies SET default_version = $1, updated = $2 WHERE name = $3', [versionId, now, policyName]);
    });
  }

  async deletePolicyVersion(policyName: string, versionId: string): Promise<void> {
    await this.writeIdentity(async (c) => {
      const p = await mustPolicy(c, policyName);
      const num = versionNumber(versionId);
      if ((await count(c, 'SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = $1 AND version_num = $2', [policyName, num])) === 0) {
        throw new AppError('EntityNotExist.Policy.Version');
      }
      if (p.defaultVersion === versionId) throw new AppError('DeleteConflict.Policy.Version.Default');
      await c.query('DELETE FROM ram_policy_versions WHERE policy_name = $1 AND version_num = $2', [policyName, num]);
    });
  }

  async attachPolicy(a: RamAttachment, limit: number): Promise<void> {
    await this.writeIdentity(async (c) => {
      const table = { User: ['ram_users', 'user_id'], Group: ['ram_groups', 'group_id'], Role: ['ram_roles', 'role_id'] }[a.principalKind];
      if ((await count(c, `SELECT count(*) AS n FROM ${table[0]} WHERE ${table[1]} = $1`, [a.principalId])) === 0) {
        throw new AppError(`EntityNotExist.${a.principalKind}`);
      }
      if (a.policyType === 'Custom') await mustPolicy(c, a.policyName);
      const existing = await count(
        c,
        'SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = $1 AND principal_id = $2 AND policy_type = $3 AND policy_name = $4',
        [a.principalKind, a.principalId, a.policyType, a.policyName],
      );
      if (existing > 0) throw new AppError(`EntityAlreadyExists.${a.principalKind}.Policy`);
      const n = await count(c, 'SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = $1 AND principal_id = $2 AND policy_type = $3', [
        a.principalKind, a.principalId, a.policyType,
      ]);
      if (n >= limit) throw new AppError(`LimitExceeded.${a.principalKind}.Policy`);
      await c.query('INSERT INTO ram_attachments (principal_kind, principal_id, policy_type, policy_name, attached) VALUES ($1, $2, $3, $4, $5)', [
        a.principalKind, a.principalId, a.policyType, a.policyName, a.attachDate,
      ]);
    });
  }

  async detachPolicy(kind: RamPrincipalKind, principalId: string, policyType: PolicyType, policyName: string): Promise<void> {
    await this.writeIdentity(async (c) => {
      const res = await c.query('DELETE FROM ram_attachments WHERE principal_kind = $1 AND principal_id = $2 AND policy_type = $3 AND policy_name = $4', [
        kind, principalId, policyType, policyName,
      ]);
      if (res.rowCount === 0) throw new AppError(`EntityNotExist.${kind}.Policy`);
    });
  }

  async listAttachments(kind: RamPrincipalKind, principalId: string): Promise<RamAttachment[]> {
    return (await rows<AttachmentRow>(
      this.pool,
      'SELECT * FROM ram_attachments WHERE principal_kind = $1 AND principal_id = $2 ORDER BY attached, policy_type, policy_name',
      [kind, principalId],
    )).map(toAttachment);
  }

  async listAttachmentsForPolicy(policyType: PolicyType, policyName: string, inAccountOf?: string): Promise<RamAttachment[]> {
    const c = inAccountOf === undefined ? { sql: 'true', params: [] } : attachmentInAccountCondition(inAccountOf, (i) => `$${i + 3}`, 'strpos');
    return (await rows<AttachmentRow>(
      this.pool,
      `SELECT * FROM ram_attachments a WHERE policy_type = $1 AND policy_name = $2 AND ${c.sql} ORDER BY attached, principal_kind, principal_id`,
      [policyType, policyName, ...c.params],
    )).map(toAttachment);
  }

  async countAttachments(policyType: PolicyType, policyName: string, inAccountOf?: string): Promise<number> {
    const c = inAccountOf === undefined ? { sql: 'true', params: [] } : attachmentInAccountCondition(inAccountOf, (i) => `$${i + 3}`, 'strpos');
    return count(this.pool, `SELECT count(*) AS n FROM ram_attachments a WHERE policy_type = $1 AND policy_name = $2 AND ${c.sql}`, [policyType, policyName, ...c.params]);
  }

  private lastNoncePrune = 0;

  /**
   * One statement decides: a new nonce is inserted, an expired one is claimed again, a live one is a
   * replay (no row returned). Concurrent claims of one nonce, from any process, meet on its primary key.
   * Other expired rows are pruned at most once a minute per process.
   */
  async claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    const res = await this.pool.query({
      name: 'claim-nonce',
      text: `INSERT INTO rpc_nonces (nonce, expires) VALUES ($1, $2)
             ON CONFLICT (nonce) DO UPDATE SET expires = EXCLUDED.expires WHERE rpc_nonces.expires <= $3
             RETURNING 1`,
      values: [Buffer.from(nonce, 'utf8'), expiresAt, now],
    });
    if (now - this.lastNoncePrune >= 60_000 || now < this.lastNoncePrune) {
      this.lastNoncePrune = now;
      await this.pool.query('DELETE FROM rpc_nonces WHERE expires <= $1', [now]);
    }
    return res.rowCount === 1;
  }

  async nonceLive(nonce: string, now: number): Promise<boolean> {
    const res = await this.pool.query({
      name: 'nonce-live',
      text: 'SELECT 1 FROM rpc_nonces WHERE nonce = $1 AND expires > $2',
      values: [Buffer.from(nonce, 'utf8'), now],
    });
    return res.rowCount === 1;
  }

  // RAM identity documents (docs/ram.md)
  async readIdentityDocs(kind: string, ids: readonly string[], account = ''): Promise<Map<string, string>> {
    return docs.readDocs(this.pool, account, kind, ids);
  }

  async listIdentityDocs(kind: string, account = ''): Promise<Map<string, string>> {
    return docs.listDocs(this.pool, account, kind);
  }

  async updateIdentityDocs(keys: readonly IdentityDocKey[], decide: (current: Array<string | null>) => Array<string | null>, account = ''): Promise<void> {
    if (movesIdentityGeneration(keys)) await this.writeIdentity((c) => docs.updateDocs(c, account, keys, decide));
    else await this.tx((c) => docs.updateDocs(c, account, keys, decide));
  }

  async updatePolicyDescription(policyName: string, description: string, now: number): Promise<RamPolicy> {
    return this.writeIdentity((c) => docs.updatePolicyDescription(c, policyName, description, now));
  }
  // ---- identity providers (OIDC/SAML federation, store/meta/providers.ts), per account ('' the default one) ----
  async createProvider(r: ProviderRecord, max: number, account = ''): Promise<void> {
    await this.writeIdentity(async (c) => {
      const codes = PROVIDER_ERRORS[r.kind];
      // One provider kind of one account at a time: a concurrent create waits (limit and unique key).
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ram_identity_providers:${account}:${r.kind}`]);
      if (await providerRow(c, account, r.kind, r.name) || await providerKeyTaken(c, account, r.kind, r.uniqueKey, r.name)) throw new AppError(codes.exists);
      if ((await count(c, 'SELECT count(*) AS n FROM ram_identity_providers WHERE account = $1 AND kind = $2', [account, r.kind])) >= max) throw new AppError(codes.limit);
      await c.query('INSERT INTO ram_identity_providers (account, kind, name, unique_key, document, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        account, r.kind, r.name, r.uniqueKey, r.document, r.created, r.updated,
      ]);
    });
  }

  async getProvider(kind: ProviderKind, name: string, account = ''): Promise<ProviderRecord | null> {
    return providerRow(this.pool, account, kind, name);
  }

  async updateProvider(kind: ProviderKind, name: string, decide: ProviderDecider, now: number, account = ''): Promise<ProviderRecord> {
    return this.writeIdentity(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ram_identity_providers:${account}:${kind}`]);
      const cur = await providerRow(c, account, kind, name);
      if (!cur) throw providerMissing(kind);
      const next = decide(cur);
      if (await providerKeyTaken(c, account, kind, next.uniqueKey, name)) throw new AppError(PROVIDER_ERRORS[kind].exists);
      await c.query('UPDATE ram_identity_providers SET unique_key = $1, document = $2, updated = $3 WHERE account = $4 AND kind = $5 AND name = $6', [next.uniqueKey, next.document, now, account, kind, name]);
      return { ...cur, ...next, updated: now };
    });
  }

  async listProviders(kind: ProviderKind, page: { after?: string; limit: number }, account = ''): Promise<ProviderRecord[]> {
    return (await rows<ProviderRow>(this.pool, 'SELECT * FROM ram_identity_providers WHERE account = $1 AND kind = $2 AND name > $3 ORDER BY name LIMIT $4', [account, kind, page.after ?? '', page.limit])).map(toProvider);
  }

  async deleteProvider(kind: ProviderKind, name: string, account = ''): Promise<void> {
    await this.writeIdentity(async (c) => {
      const res = await c.query('DELETE FROM ram_identity_providers WHERE account = $1 AND kind = $2 AND name = $3', [account, kind, name]);
      if (res.rowCount === 0) throw providerMissing(kind);
    });
  }
}

async function providerRow(c: Queryable, account: string, kind: ProviderKind, name: string): Promise<ProviderRecord | null> {
  const row = await first<ProviderRow>(c, 'SELECT * FROM ram_identity_providers WHERE account = $1 AND kind = $2 AND name = $3', [account, kind, name]);
  return row ? toProvider(row) : null;
}

async function providerKeyTaken(c: Queryable, account: string, kind: ProviderKind, uniqueKey: string | null, exceptName: string): Promise<boolean> {
  if (uniqueKey === null) return false;
  return (await count(c, 'SELECT count(*) AS n FROM ram_identity_providers WHERE account = $1 AND kind = $2 AND unique_key = $3 AND name <> $4', [account, kind, uniqueKey, exceptName])) > 0;
}
