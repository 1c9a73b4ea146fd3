import { AppError } from '../../../errors.js';
import type { RamRole } from '../../../ram/model.js';
import { toRole, type RoleRow } from '../ram-rows.js';
import type { NamePage, RolePatch } from '../types.js';
import type { Queryable } from './base.js';
import { count, countInAccount, first, rows } from './ram-queries.js';
import { PgGroupStore } from './groups.js';
import { patchedRole } from '../ram-rules.js';

async function roleRow(c: Queryable, roleName: string): Promise<RamRole | null> {
  const row = await first<RoleRow>(c, 'SELECT * FROM ram_roles WHERE name_key = $1', [roleName.toLowerCase()]);
  return row ? toRole(row) : null;
}

async function mustRole(c: Queryable, roleName: string): Promise<RamRole> {
  const r = await roleRow(c, roleName);
  if (!r) throw new AppError('EntityNotExist.Role');
  return r;
}

/** RAM roles. */
export abstract class PgRoleStore extends PgGroupStore {
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
      const next = patchedRole(r, patch, now);
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
}
