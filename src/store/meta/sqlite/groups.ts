import { AppError } from '../../../errors.js';
import type { RamGroup, RamUser } from '../../../ram/model.js';
import type { GroupPatch, NamePage } from '../types.js';
import { toGroup, toUser, type GroupRow, type UserRow } from '../ram-rows.js';
import { SqliteUserStore } from './users.js';
import { patchedGroup } from '../ram-rules.js';

/** RAM groups and their members. */
export abstract class SqliteGroupStore extends SqliteUserStore {
  private groupRow(groupName: string): RamGroup | null {
    const row = this.sql<GroupRow>('SELECT * FROM ram_groups WHERE name = ?').get(groupName);
    return row ? toGroup(row) : null;
  }

  private mustGroup(groupName: string): RamGroup {
    const g = this.groupRow(groupName);
    if (!g) throw new AppError('EntityNotExist.Group');
    return g;
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
      const next = patchedGroup(g, patch, now);
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
}
