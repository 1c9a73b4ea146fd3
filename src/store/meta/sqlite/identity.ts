import { AppError } from '../../../errors.js';
import { changedSecrets, toKeyRotation, type KeyRotationRow } from '../key-rotations.js';
import type { AccessKeyStatus, PolicyType, RamAccessKey, RamAttachment, RamGroup, RamPolicy, RamPolicyVersion, RamPrincipalKind, RamRole, RamUser } from '../../../ram/model.js';
import type { CreateVersionOptions, GroupPatch, IdentityDocKey, IdentityStore, KeyCheckDecider, KeyRotation, KeyRotationAudit, NamePage, RolePatch, UserPatch } from '../types.js';
import { KEY_CHECK_DOC, movesIdentityGeneration } from '../types.js';
import { PROVIDER_ERRORS, providerMissing, toProvider, type ProviderDecider, type ProviderKind, type ProviderRecord, type ProviderRow, type ProviderStore } from '../providers.js';
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
import { SqliteBase } from './base.js';
import * as docs from './identity-docs.js';
import { attachmentInAccountCondition, sameAccountCondition } from '../account-names.js';

/** Expired replay nonces are pruned at most this often, at most NONCE_PRUNE_ROWS at a time (claimNonce). */
export const NONCE_PRUNE_MS = 250;
export const NONCE_PRUNE_ROWS = 1024;

/** RAM identities (users, AccessKeys, groups, roles, policies, attachments), key rotations and RPC nonces. */
export abstract class SqliteIdentityStore extends SqliteBase implements IdentityStore, ProviderStore {
  private userRow(userName: string): RamUser | null {
    const row = this.sql<UserRow>('SELECT * FROM ram_users WHERE name = ?').get(userName);
    return row ? toUser(row) : null;
  }

  private mustUser(userName: string): RamUser {
    const u = this.userRow(userName);
    if (!u) throw new AppError('EntityNotExist.User');
    return u;
  }

  private groupRow(groupName: string): RamGroup | null {
    const row = this.sql<GroupRow>('SELECT * FROM ram_groups WHERE name = ?').get(groupName);
    return row ? toGroup(row) : null;
  }

  private mustGroup(groupName: string): RamGroup {
    const g = this.groupRow(groupName);
    if (!g) throw new AppError('EntityNotExist.Group');
    return g;
  }

  private roleRow(roleName: string): RamRole | null {
    const row = this.sql<RoleRow>('SELECT * FROM ram_roles WHERE name_key = ?').get(roleName.toLowerCase());
    return row ? toRole(row) : null;
  }

  private mustRole(roleName: string): RamRole {
    const r = this.roleRow(roleName);
    if (!r) throw new AppError('EntityNotExist.Role');
    return r;
  }

  private policyRow(policyName: string): RamPolicy | null {
    const row = this.sql<PolicyRow>('SELECT * FROM ram_policies WHERE name = ?').get(policyName);
    return row ? toPolicy(row) : null;
  }

  private mustPolicy(policyName: string): RamPolicy {
    const p = this.policyRow(policyName);
    if (!p) throw new AppError('EntityNotExist.Policy');
    return p;
  }

  /** Rows of `table` (by its `name`) in the account of the stored name `stored` (RAM limits count per account). */
  private countInAccount(table: string, stored: string): number {
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
      const next: RamUser = {
        ...u,
        userName: patch.userName ?? u.userName,
        displayName: patch.displayName ?? u.displayName,
        mobilePhone: patch.mobilePhone ?? u.mobilePhone,
        email: patch.email ?? u.email,
        comments: patch.comments ?? u.comments,
        updateDate: now,
      };
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

  async createGroup(g: RamGroup, maxGroups: number): Promise<void> {
    await this.writeIdentity(() => {
      if (this.groupRow(g.groupName)) throw new AppError('EntityAlreadyExists.Group');
      if (this.countInAccount('ram_groups', g.groupName) >= maxGroups) throw new AppError('LimitExceeded.Group');
      this.sql('INSERT INTO ram_groups (group_id, name, comments, created, updated) VALUES (?, ?, ?, ?, ?)')
        .run(g.groupId, g.groupName, g.comments, g.createDate, g.updateDate);
    });
  }

  async getGroup(groupName: string): Promise<RamGroup | null> {
    return this.groupRow(groupName);
  }

  async getGroupById(groupId: string): Promise<RamGroup | null> {
    const row = this.sql<GroupRow>('SELECT * FROM ram_groups WHERE group_id = ?').get(groupId);
    return row ? toGroup(row) : null;
  }

  async updateGroup(groupName: string, patch: GroupPatch, now: number): Promise<RamGroup> {
    return this.writeIdentity((): RamGroup => {
      const g = this.mustGroup(groupName);
      if (patch.groupName !== undefined && patch.groupName !== g.groupName && this.groupRow(patch.groupName)) {
        throw new AppError('EntityAlreadyExists.Group');
      }
      const next: RamGroup = { ...g, groupName: patch.groupName ?? g.groupName, comments: patch.comments ?? g.comments, updateDate: now };
      this.sql('UPDATE ram_groups SET name = ?, comments = ?, updated = ? WHERE group_id = ?').run(next.groupName, next.comments, now, g.groupId);
      return next;
    });
  }

  async listGroups(page: NamePage): Promise<RamGroup[]> {
    return this.sql<GroupRow>('SELECT * FROM ram_groups WHERE name > ? ORDER BY name LIMIT ?').all(page.after ?? '', page.limit).map(toGroup);
  }

  async deleteGroup(groupName: string): Promise<void> {
    await this.writeIdentity(() => {
      const g = this.mustGroup(groupName);
      if (this.count('SELECT count(*) AS n FROM ram_group_members WHERE group_id = ?', g.groupId) > 0) throw new AppError('DeleteConflict.Group.User');
      if (this.count("SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'Group' AND principal_id = ?", g.groupId) > 0) {
        throw new AppError('DeleteConflict.Group.Policy');
      }
      this.sql('DELETE FROM ram_groups WHERE group_id = ?').run(g.groupId);
    });
  }

  async addUserToGroup(groupName: string, userName: string, now: number, maxGroupsPerUser: number): Promise<void> {
    await this.writeIdentity(() => {
      const g = this.mustGroup(groupName);
      const u = this.mustUser(userName);
      if (this.count('SELECT count(*) AS n FROM ram_group_members WHERE group_id = ? AND user_id = ?', g.groupId, u.userId) > 0) {
        throw new AppError('EntityAlreadyExists.User.Group');
      }
      if (this.count('SELECT count(*) AS n FROM ram_group_members WHERE user_id = ?', u.userId) >= maxGroupsPerUser) {
        throw new AppError('LimitExceeded.User.Group');
      }
      this.sql('INSERT INTO ram_group_members (group_id, user_id, joined) VALUES (?, ?, ?)').run(g.groupId, u.userId, now);
    });
  }

  async removeUserFromGroup(groupName: string, userName: string): Promise<void> {
    await this.writeIdentity(() => {
      const g = this.mustGroup(groupName);
      const u = this.mustUser(userName);
      const res = this.sql('DELETE FROM ram_group_members WHERE group_id = ? AND user_id = ?').run(g.groupId, u.userId);
      if (res.changes === 0) throw new AppError('EntityNotExist.User.Group');
    });
  }

  async listGroupsForUser(userName: string): Promise<Array<{ group: RamGroup; joinDate: number }>> {
    const u = this.mustUser(userName);
    return this.sql<GroupRow & { joined: number }>(
      'SELECT g.*, m.joined FROM ram_group_members m JOIN ram_groups g ON g.group_id = m.group_id WHERE m.user_id = ? ORDER BY g.name',
    ).all(u.userId).map((r) => ({ group: toGroup(r), joinDate: r.joined }));
  }

  async listUsersForGroup(groupName: string, page: NamePage): Promise<Array<{ user: RamUser; joinDate: number }>> {
    const g = this.mustGroup(groupName);
    return this.sql<UserRow & { joined: number }>(
      'SELECT u.*, m.joined FROM ram_group_members m JOIN ram_users u ON u.user_id = m.user_id WHERE m.group_id = ? AND u.name > ? ORDER BY u.name LIMIT ?',
    ).all(g.groupId, page.after ?? '', page.limit).map((r) => ({ user: toUser(r), joinDate: r.joined }));
  }

  async createRole(r: RamRole, maxRoles: number): Promise<void> {
    await this.writeIdentity(() => {
      if (this.roleRow(r.roleName)) throw new AppError('EntityAlreadyExists.Role');
      if (this.countInAccount('ram_roles', r.roleName) >= maxRoles) throw new AppError('LimitExceeded.Role');
      this.sql(
        `INSERT INTO ram_roles (role_id, name, name_key, description, trust_policy, max_session_duration, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.roleId, r.roleName, r.roleName.toLowerCase(), r.description, r.assumeRolePolicyDocument, r.maxSessionDuration, r.createDate, r.updateDate);
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

  async getRole(roleName: string): Promise<RamRole | null> {
    return this.roleRow(roleName);
  }

  async getRoleById(roleId: string): Promise<RamRole | null> {
    const row = this.sql<RoleRow>('SELECT * FROM ram_roles WHERE role_id = ?').get(roleId);
    return row ? toRole(row) : null;
  }

  async updateRole(roleName: string, patch: RolePatch, now: number): Promise<RamRole> {
    return this.writeIdentity((): RamRole => {
      const r = this.mustRole(roleName);
      const next: RamRole = {
        ...r,
        assumeRolePolicyDocument: patch.assumeRolePolicyDocument ?? r.assumeRolePolicyDocument,
        maxSessionDuration: patch.maxSessionDuration ?? r.maxSessionDuration,
        description: patch.description ?? r.description,
        updateDate: now,
      };
      this.sql('UPDATE ram_roles SET trust_policy = ?, max_session_duration = ?, description = ?, updated = ? WHERE role_id = ?')
        .run(next.assumeRolePolicyDocument, next.maxSessionDuration, next.description, now, r.roleId);
      return next;
    });
  }

  async listRoles(page: NamePage): Promise<RamRole[]> {
    return this.sql<RoleRow>('SELECT * FROM ram_roles WHERE name > ? ORDER BY name LIMIT ?').all(page.after ?? '', page.limit).map(toRole);
  }

  async deleteRole(roleName: string): Promise<void> {
    await this.writeIdentity(() => {
      const r = this.mustRole(roleName);
      if (this.count("SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'Role' AND principal_id = ?", r.roleId) > 0) {
        throw new AppError('DeleteConflict.Role.Policy');
      }
      this.sql('DELETE FROM ram_roles WHERE role_id = ?').run(r.roleId);
    });
  }

  async createPolicy(p: RamPolicy, document: string, maxPolicies: number): Promise<RamPolicyVersion> {
    return this.writeIdentity((): RamPolicyVersion => {
      if (this.policyRow(p.policyName)) throw new AppError('EntityAlreadyExists.Policy');
      if (this.countInAccount('ram_policies', p.policyName) >= maxPolicies) throw new AppError('LimitExceeded.Policy');
      this.sql('INSERT INTO ram_policies (name, description, default_version, next_version, created, updated) VALUES (?, ?, ?, ?, ?, ?)')
        .run(p.policyName, p.description, 'v1', 2, p.createDate, p.updateDate);
      this.sql('INSERT INTO ram_policy_versions (policy_name, version_num, document, created) VALUES (?, ?, ?, ?)').run(p.policyName, 1, document, p.createDate);
      return { policyName: p.policyName, versionId: 'v1', document, createDate: p.createDate };
    });
  }

  async getPolicy(policyName: string): Promise<RamPolicy | null> {
    return this.policyRow(policyName);
  }

  async listPolicies(page: NamePage): Promise<RamPolicy[]> {
    return this.sql<PolicyRow>('SELECT * FROM ram_policies WHERE name > ? ORDER BY name LIMIT ?').all(page.after ?? '', page.limit).map(toPolicy);
  }

  async deletePolicy(policyName: string): Promise<void> {
    await this.writeIdentity(() => {
      const p = this.mustPolicy(policyName);
      for (const [kind, code] of [['User', 'DeleteConflict.Policy.User'], ['Group', 'DeleteConflict.Policy.Group'], ['Role', 'DeleteConflict.Policy.Role']] as const) {
        const n = this.count("SELECT count(*) AS n FROM ram_attachments WHERE policy_type = 'Custom' AND policy_name = ? AND principal_kind = ?", policyName, kind);
        if (n > 0) throw new AppError(code);
      }
      if (this.count('SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = ?', policyName) > 1) throw new AppError('DeleteConflict.Policy.Version');
      this.sql('DELETE FROM ram_policy_versions WHERE policy_name = ?').run(p.policyName);
      this.sql('DELETE FROM ram_policies WHERE name = ?').run(p.policyName);
    });
  }

  async createPolicyVersion(policyName: string, document: string, now: number, opts: CreateVersionOptions): Promise<RamPolicyVersion> {
    return this.writeIdentity((): RamPolicyVersion => {
      const p = this.mustPolicy(policyName);
      const row = this.sql<{ next_version: number }>('SELECT next_version FROM ram_policies WHERE name = ?').get(policyName)!;
      if (this.count('SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = ?', policyName) >= opts.maxVersions) {
        const defaultNum = versionNumber(p.defaultVersion);
        const oldest = this.sql<{ version_num: number }>(
          'SELECT version_num FROM ram_policy_versions WHERE policy_name = ? AND version_num != ? ORDER BY version_num LIMIT 1',
        ).get(policyName, defaultNum);
        if (!opts.rotate || !oldest) throw new AppError('LimitExceeded.Policy.Version');
        this.sql('DELETE FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?').run(policyName, oldest.version_num);
      }
      const num = row.next_version;
      this.sql('INSERT INTO ram_policy_versions (policy_name, version_num, document, created) VALUES (?, ?, ?, ?)').run(policyName, num, document, now);
      const versionId = `v${num}`;
      this.sql('UPDATE ram_policies SET next_version = ?, updated = ?, default_version = ? WHERE name = ?')
        .run(num + 1, now, opts.setAsDefault ? versionId : p.defaultVersion, policyName);
      return { policyName, versionId, document, createDate: now };
    });
  }

  async getPolicyVersion(policyName: string, versionId: string): Promise<RamPolicyVersion | null> {
    const num = versionNumber(versionId);
    const row = this.sql<VersionRow>('SELECT * FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?').get(policyName, num);
    return row ? toVersion(row) : null;
  }

  async listPolicyVersions(policyName: string): Promise<RamPolicyVersion[]> {
    return this.sql<VersionRow>('SELECT * FROM ram_policy_versions WHERE policy_name = ? ORDER BY version_num DESC').all(policyName).map(toVersion);
  }

  async setDefaultPolicyVersion(policyName: string, versionId: string, now: number): Promise<void> {
    await this.writeIdentity(() => {
      this.mustPolicy(policyName);
      if (this.count('SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?', policyName, versionNumber(versionId)) === 0) {
        throw new AppError('EntityNotExist.Policy.Version');
      }
      this.sql('UPDATE ram_policies SET default_version = ?, updated = ? WHERE name = ?').run(versionId, now, policyName);
    });
  }

  async deletePolicyVersion(policyName: string, versionId: string): Promise<void> {
    await this.writeIdentity(() => {
      const p = this.mustPolicy(policyName);
      const num = versionNumber(versionId);
      if (this.count('SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?', policyName, num) === 0) {
        throw new AppError('EntityNotExist.Policy.Version');
      }
      if (p.defaultVersion === versionId) throw new AppError('DeleteConflict.Policy.Version.Default');
      this.sql('DELETE FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?').run(policyName, num);
    });
  }

  async attachPolicy(a: RamAttachment, limit: number): Promise<void> {
    await this.writeIdentity(() => {
      const table = { User: ['ram_users', 'user_id'], Group: ['ram_groups', 'group_id'], Role: ['ram_roles', 'role_id'] }[a.principalKind];
      if (this.count(`SELECT count(*) AS n FROM ${table[0]} WHERE ${table[1]} = ?`, a.principalId) === 0) {
        throw new AppError(`EntityNotExist.${a.principalKind}`);
      }
      if (a.policyType === 'Custom') this.mustPolicy(a.policyName);
      const existing = this.count(
        'SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = ? AND principal_id = ? AND policy_type = ? AND policy_name = ?',
        a.principalKind, a.principalId, a.policyType, a.policyName,
      );
      if (existing > 0) throw new AppError(`EntityAlreadyExists.${a.principalKind}.Policy`);
      const n = this.count(
        'SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = ? AND principal_id = ? AND policy_type = ?',
        a.principalKind, a.principalId, a.policyType,
      );
      if (n >= limit) throw new AppError(`LimitExceeded.${a.principalKind}.Policy`);
      this.sql('INSERT INTO ram_attachments (principal_kind, principal_id, policy_type, policy_name, attached) VALUES (?, ?, ?, ?, ?)')
        .run(a.principalKind, a.principalId, a.policyType, a.policyName, a.attachDate);
    });
  }

  async detachPolicy(kind: RamPrincipalKind, principalId: string, policyType: PolicyType, policyName: string): Promise<void> {
    await this.writeIdentity(() => {
      const res = this.sql('DELETE FROM ram_attachments WHERE principal_kind = ? AND principal_id = ? AND policy_type = ? AND policy_name = ?')
        .run(kind, principalId, policyType, policyName);
      if (res.changes === 0) throw new AppError(`EntityNotExist.${kind}.Policy`);
    });
  }

  async listAttachments(kind: RamPrincipalKind, principalId: string): Promise<RamAttachment[]> {
    return this.sql<AttachmentRow>('SELECT * FROM ram_attachments WHERE principal_kind = ? AND principal_id = ? ORDER BY attached, policy_type, policy_name')
      .all(kind, principalId).map(toAttachment);
  }

  async listAttachmentsForPolicy(policyType: PolicyType, policyName: string, inAccountOf?: string): Promise<RamAttachment[]> {
    const c = inAccountOf === undefined ? { sql: '1', params: [] } : attachmentInAccountCondition(inAccountOf, () => '?', 'instr');
    return this.sql<AttachmentRow>(`SELECT * FROM ram_attachments a WHERE policy_type = ? AND policy_name = ? AND ${c.sql} ORDER BY attached, principal_kind, principal_id`)
      .all(policyType, policyName, ...c.params).map(toAttachment);
  }

  async countAttachments(policyType: PolicyType, policyName: string, inAccountOf?: string): Promise<number> {
    const c = inAccountOf === undefined ? { sql: '1', params: [] } : attachmentInAccountCondition(inAccountOf, () => '?', 'instr');
    return this.count(`SELECT count(*) AS n FROM ram_attachments a WHERE policy_type = ? AND policy_name = ? AND ${c.sql}`, policyType, policyName, ...c.params);
  }

  /** When expired nonces were last pruned (claims need no pruning to be right: the upsert reclaims them). */
  private lastNoncePrune = Number.NEGATIVE_INFINITY;
  /** The write batch (writeGeneration) that last pruned: one step per batch, however many claims it holds. */
  private noncePruneBatch = -1;

  /**
   * One statement decides, as in the PostgreSQL store: a new nonce is inserted, an expired one is claimed
   * again, a live one is a replay (no change). Expired rows are pruned in bounded steps, one per write batch
   * at most, at most every NONCE_PRUNE_MS (a full step makes the next batch prune again), not by every
   * claim: a DELETE per call cost 5–7 µs even with nothing to delete, and an unbounded one after a quiet hour
   * held the event loop for as long as it took (a batch of claims is one synchronous transaction).
   */
  async claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    return this.write((): boolean => {
      const res = this.sql('INSERT INTO rpc_nonces (nonce, expires) VALUES (?, ?) ON CONFLICT (nonce) DO UPDATE SET expires = excluded.expires WHERE rpc_nonces.expires <= ?')
        .run(nonce, expiresAt, now);
      // A clock that went back by more than a step's interval prunes again (claims' clocks jitter a little:
      // each request reads its time before its own awaits).
      const due = now - this.lastNoncePrune >= NONCE_PRUNE_MS || now < this.lastNoncePrune - NONCE_PRUNE_MS;
      if (due && this.noncePruneBatch !== this.writeGeneration) {
        this.noncePruneBatch = this.writeGeneration;
        const pruned = this.sql('DELETE FROM rpc_nonces WHERE nonce IN (SELECT nonce FROM rpc_nonces WHERE expires <= ? ORDER BY expires LIMIT ?)')
          .run(now, NONCE_PRUNE_ROWS).changes;
        // A full step leaves more behind: the next batch prunes again.
        this.lastNoncePrune = pruned < NONCE_PRUNE_ROWS ? now : Number.NEGATIVE_INFINITY;
      }
      return res.changes === 1;
      // Rerunnable (a batch of claims commits without a savepoint each): a replay is an answer, not a throw, and
      // run again after a rollback the claim decides the same; only the prune's bookkeeping may then skip a step
      // that was undone, which leaves expired rows to the next one (they are reclaimed by the upsert meanwhile).
    }, false, true);
  }

  async nonceLive(nonce: string, now: number): Promise<boolean> {
    return this.sql('SELECT 1 FROM rpc_nonces WHERE nonce = ? AND expires > ?').get(nonce, now) !== undefined;
  }

  // RAM identity documents (docs/ram.md)
  async readIdentityDocs(kind: string, ids: readonly string[], account = ''): Promise<Map<string, string>> {
    return docs.readDocs(this.db, account, kind, ids);
  }

  async listIdentityDocs(kind: string, account = ''): Promise<Map<string, string>> {
    return docs.listDocs(this.db, account, kind);
  }

  async updateIdentityDocs(keys: readonly IdentityDocKey[], decide: (current: Array<string | null>) => Array<string | null>, account = ''): Promise<void> {
    if (movesIdentityGeneration(keys)) await this.writeIdentity(() => docs.updateDocs(this.db, account, keys, decide));
    else await this.write(() => docs.updateDocs(this.db, account, keys, decide));
  }

  async updatePolicyDescription(policyName: string, description: string, now: number): Promise<RamPolicy> {
    return this.writeIdentity(() => docs.updatePolicyDescription(this.db, policyName, description, now));
  }

  // ---- identity providers (OIDC/SAML federation, store/meta/providers.ts), per account ('' the default one) ----
  private providerRow(account: string, kind: ProviderKind, name: string): ProviderRecord | null {
    const row = this.sql<ProviderRow>('SELECT * FROM ram_identity_providers WHERE account = ? AND kind = ? AND name = ?').get(account, kind, name);
    return row ? toProvider(row) : null;
  }

  private providerKeyTaken(account: string, kind: ProviderKind, uniqueKey: string | null, exceptName: string): boolean {
    if (uniqueKey === null) return false;
    return this.count('SELECT count(*) AS n FROM ram_identity_providers WHERE account = ? AND kind = ? AND unique_key = ? AND name <> ?', account, kind, uniqueKey, exceptName) > 0;
  }

  async createProvider(r: ProviderRecord, max: number, account = ''): Promise<void> {
    await this.writeIdentity(() => {
      const codes = PROVIDER_ERRORS[r.kind];
      if (this.providerRow(account, r.kind, r.name) || this.providerKeyTaken(account, r.kind, r.uniqueKey, r.name)) throw new AppError(codes.exists);
      if (this.count('SELECT count(*) AS n FROM ram_identity_providers WHERE account = ? AND kind = ?', account, r.kind) >= max) throw new AppError(codes.limit);
      this.sql('INSERT INTO ram_identity_providers (account, kind, name, unique_key, document, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(account, r.kind, r.name, r.uniqueKey, r.document, r.created, r.updated);
    });
  }

  async getProvider(kind: ProviderKind, name: string, account = ''): Promise<ProviderRecord | null> {
    return this.providerRow(account, kind, name);
  }

  async updateProvider(kind: ProviderKind, name: string, decide: ProviderDecider, now: number, account = ''): Promise<ProviderRecord> {
    return this.writeIdentity((): ProviderRecord => {
      const cur = this.providerRow(account, kind, name);
      if (!cur) throw providerMissing(kind);
      const next = decide(cur);
      if (this.providerKeyTaken(account, kind, next.uniqueKey, name)) throw new AppError(PROVIDER_ERRORS[kind].exists);
      this.sql('UPDATE ram_identity_providers SET unique_key = ?, document = ?, updated = ? WHERE account = ? AND kind = ? AND name = ?').run(next.uniqueKey, next.document, now, account, kind, name);
      return { ...cur, ...next, updated: now };
    });
  }

  async listProviders(kind: ProviderKind, page: { after?: string; limit: number }, account = ''): Promise<ProviderRecord[]> {
    return this.sql<ProviderRow>('SELECT * FROM ram_identity_providers WHERE account = ? AND kind = ? AND name > ? ORDER BY name LIMIT ?').all(account, kind, page.after ?? '', page.limit).map(toProvider);
  }

  async deleteProvider(kind: ProviderKind, name: string, account = ''): Promise<void> {
    await this.writeIdentity(() => {
      if (this.sql('DELETE FROM ram_identity_providers WHERE account = ? AND kind = ? AND name = ?').run(account, kind, name).changes === 0) throw providerMissing(kind);
    });
  }
}
