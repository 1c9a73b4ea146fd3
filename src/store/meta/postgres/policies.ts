import { AppError } from '../../../errors.js';
import type { PolicyType, RamAttachment, RamPolicy, RamPolicyVersion, RamPrincipalKind } from '../../../ram/model.js';
import { toAttachment, toPolicy, toVersion, versionNumber, type AttachmentRow, type PolicyRow, type VersionRow } from '../ram-rows.js';
import type { CreateVersionOptions, NamePage } from '../types.js';
import type { Queryable } from './base.js';
import * as docs from './identity-docs.js';
import { count, countInAccount, first, rows } from './ram-queries.js';
import { PgRoleStore } from './roles.js';
import { attachmentInAccountCondition } from '../account-names.js';
import { FIRST_VERSION, firstVersion, POLICY_ATTACHED_CONFLICTS, PRINCIPAL_TABLES } from '../ram-rules.js';

async function policyRow(c: Queryable, policyName: string): Promise<RamPolicy | null> {
  const row = await first<PolicyRow>(c, 'SELECT * FROM ram_policies WHERE name = $1', [policyName]);
  return row ? toPolicy(row) : null;
}

async function mustPolicy(c: Queryable, policyName: string): Promise<RamPolicy> {
  const p = await policyRow(c, policyName);
  if (!p) throw new AppError('EntityNotExist.Policy');
  return p;
}

/** RAM custom policies, their versions, and the attachments of policies to users, groups and roles. */
export abstract class PgPolicyStore extends PgRoleStore {
  async createPolicy(p: RamPolicy, document: string, maxPolicies: number): Promise<RamPolicyVersion> {
    return this.writeIdentity(async (c) => {
      if (await policyRow(c, p.policyName)) throw new AppError('EntityAlreadyExists.Policy');
      if ((await countInAccount(c, 'ram_policies', p.policyName)) >= maxPolicies) throw new AppError('LimitExceeded.Policy');
      await c.query('INSERT INTO ram_policies (name, description, default_version, next_version, created, updated) VALUES ($1, $2, $3, $4, $5, $6)', [
        p.policyName, p.description, FIRST_VERSION.versionId, FIRST_VERSION.next, p.createDate, p.updateDate,
      ]);
      await c.query('INSERT INTO ram_policy_versions (policy_name, version_num, document, created) VALUES ($1, $2, $3, $4)', [p.policyName, FIRST_VERSION.num, document, p.createDate]);
      return firstVersion(p, document);
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
      for (const [kind, code] of POLICY_ATTACHED_CONFLICTS) {
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
      const table = PRINCIPAL_TABLES[a.principalKind];
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

  async updatePolicyDescription(policyName: string, description: string, now: number): Promise<RamPolicy> {
    return this.writeIdentity((c) => docs.updatePolicyDescription(c, policyName, description, now));
  }
}
