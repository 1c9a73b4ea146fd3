import { AppError } from '../../../errors.js';
import { PROVIDER_ERRORS, providerMissing, toProvider, type ProviderDecider, type ProviderKind, type ProviderRecord, type ProviderRow } from '../providers.js';
import type { Queryable } from './base.js';
import { count, first, rows } from './ram-queries.js';
import { PgPolicyStore } from './policies.js';

/** Identity providers (OIDC/SAML federation, store/meta/providers.ts), per account ('' the default one). */
export abstract class PgProviderStore extends PgPolicyStore {
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
