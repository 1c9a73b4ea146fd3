import { AppError } from '../../../errors.js';
import type { RamRole } from '../../../ram/model.js';
import type { NamePage, RolePatch } from '../types.js';
import { toRole, type RoleRow } from '../ram-rows.js';
import { SqliteGroupStore } from './groups.js';
import { patchedRole } from '../ram-rules.js';

/** RAM roles. */
export abstract class SqliteRoleStore extends SqliteGroupStore {
  private roleRow(roleName: string): RamRole | null {
    const row = this.sql<RoleRow>('SELECT * FROM ram_roles WHERE name_key = ?').get(roleName.toLowerCase());
    return row ? toRole(row) : null;
  }

  private mustRole(roleName: string): RamRole {
    const r = this.roleRow(roleName);
    if (!r) throw new AppError('EntityNotExist.Role');
    return r;
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
      const next = patchedRole(r, patch, now);
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
}
