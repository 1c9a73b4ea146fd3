import { AppError } from '../../../errors.js';
import type { RamGroup, RamUser } from '../../../ram/model.js';
import { toGroup, toUser, type GroupRow, type UserRow } from '../ram-rows.js';
import type { GroupPatch, NamePage } from '../types.js';
import type { Queryable } from './base.js';
import { count, countInAccount, first, rows } from './ram-queries.js';
import { mustUser, PgUserStore } from './users.js';
import { patchedGroup } from '../ram-rules.js';

async function groupRow(c: Queryable, groupName: string): Promise<RamGroup | null> {
  const row = await first<GroupRow>(c, 'SELECT * FROM ram_groups WHERE name = $1', [groupName]);
  return row ? toGroup(row) : null;
}

async function mustGroup(c: Queryable, groupName: string): Promise<RamGroup> {
  const g = await groupRow(c, groupName);
  if (!g) throw new AppError('EntityNotExist.Group');
  return g;
}

/** RAM groups and their members. */
export abstract class PgGroupStore extends PgUserStore {
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
      const next = patchedGroup(g, patch, now);
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
}
