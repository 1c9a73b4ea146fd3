import { AppError } from '../../../errors.js';
import type { PolicyType, RamAttachment, RamPolicy, RamPolicyVersion, RamPrincipalKind } from '../../../ram/model.js';
import type { CreateVersionOptions, NamePage } from '../types.js';
import { toAttachment, toPolicy, toVersion, versionNumber, type AttachmentRow, type PolicyRow, type VersionRow } from '../ram-rows.js';
import { SqliteRoleStore } from './roles.js';
import * as docs from './identity-docs.js';
import { attachmentInAccountCondition } from '../account-names.js';
import { FIRST_VERSION, firstVersion, POLICY_ATTACHED_CONFLICTS, PRINCIPAL_TABLES } from '../ram-rules.js';

/** RAM custom policies, their versions, and the attachments of policies to users, groups and roles. */
export abstract class SqlitePolicyStore extends SqliteRoleStore {
  private policyRow(policyName: string): RamPolicy | null {
    const row = this.sql<PolicyRow>('SELECT * FROM ram_policies WHERE name = ?').get(policyName);
    return row ? toPolicy(row) : null;
  }

  private mustPolicy(policyName: string): RamPolicy {
    const p = this.policyRow(policyName);
    if (!p) throw new AppError('EntityNotExist.Policy');
    return p;
  }

  async createPolicy(p: RamPolicy, document: string, maxPolicies: number): Promise<RamPolicyVersion> {
    return this.writeIdentity((): RamPolicyVersion => {
      if (this.policyRow(p.policyName)) throw new AppError('EntityAlreadyExists.Policy');
      if (this.countInAccount('ram_policies', p.policyName) >= maxPolicies) throw new AppError('LimitExceeded.Policy');
      this.sql('INSERT INTO ram_policies (name, description, default_version, next_version, created, updated) VALUES (?, ?, ?, ?, ?, ?)')
        .run(p.policyName, p.description, FIRST_VERSION.versionId, FIRST_VERSION.next, p.createDate, p.updateDate);
      this.sql('INSERT INTO ram_policy_versions (policy_name, version_num, document, created) VALUES (?, ?, ?, ?)').run(p.policyName, FIRST_VERSION.num, document, p.createDate);
      return firstVersion(p, document);
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
      for (const [kind, code] of POLICY_ATTACHED_CONFLICTS) {
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
      const table = PRINCIPAL_TABLES[a.principalKind];
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

  async updatePolicyDescription(policyName: string, description: string, now: number): Promise<RamPolicy> {
    return this.writeIdentity(() => docs.updatePolicyDescription(this.db, policyName, description, now));
  }
}
