import { AppError } from '../../../errors.js';
import { PROVIDER_ERRORS, providerMissing, toProvider, type ProviderDecider, type ProviderKind, type ProviderRecord, type ProviderRow } from '../providers.js';
import { SqlitePolicyStore } from './policies.js';

/** Identity providers (OIDC/SAML federation, store/meta/providers.ts), per account ('' the default one). */
export abstract class SqliteProviderStore extends SqlitePolicyStore {
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
