import { AppError } from '../../../errors.js';
import type { RamPolicy } from '../../../ram/model.js';
import { toPolicy, type PolicyRow } from '../ram-rows.js';
import type { IdentityDocKey } from '../types.js';
import type { Queryable } from './base.js';

// RAM identity documents on PostgreSQL (table ram_documents, docs/ram.md). updateDocs runs inside one
// transaction holding a transaction-scoped advisory lock per key (taken in sorted order, so two writers
// never deadlock), which also covers documents that do not exist yet. `account` is the owning account ('' the
// server's default one, docs/accounts.md).

export async function readDocs(c: Queryable, account: string, kind: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await c.query<{ id: string; doc: string }>('SELECT id, doc FROM ram_documents WHERE account = $1 AND kind = $2 AND id = ANY($3::text[])', [account, kind, [...ids]]);
  return new Map(rows.map((r) => [r.id, r.doc]));
}

export async function listDocs(c: Queryable, account: string, kind: string): Promise<Map<string, string>> {
  const { rows } = await c.query<{ id: string; doc: string }>('SELECT id, doc FROM ram_documents WHERE account = $1 AND kind = $2 ORDER BY id', [account, kind]);
  return new Map(rows.map((r) => [r.id, r.doc]));
}

export async function updateDocs(c: Queryable, account: string, keys: readonly IdentityDocKey[], decide: (current: Array<string | null>) => Array<string | null>): Promise<void> {
  const lockNames = [...new Set(keys.map((k) => `ram_documents:${account}:${k.kind}:${k.id}`))].sort();
  for (const name of lockNames) await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [name]);
  const current: Array<string | null> = [];
  for (const k of keys) {
    const { rows } = await c.query<{ doc: string }>('SELECT doc FROM ram_documents WHERE account = $1 AND kind = $2 AND id = $3', [account, k.kind, k.id]);
    current.push(rows[0]?.doc ?? null);
  }
  const next = decide(current);
  if (next.length !== keys.length) throw new AppError('InternalError', 'identity document decider answered for another number of documents');
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const doc = next[i] ?? null;
    if (doc === current[i]) continue;
    if (doc === null) await c.query('DELETE FROM ram_documents WHERE account = $1 AND kind = $2 AND id = $3', [account, k.kind, k.id]);
    else {
      await c.query('INSERT INTO ram_documents (account, kind, id, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (account, kind, id) DO UPDATE SET doc = EXCLUDED.doc', [account, k.kind, k.id, doc]);
    }
  }
}

export async function updatePolicyDescription(c: Queryable, policyName: string, description: string, now: number): Promise<RamPolicy> {
  const { rows } = await c.query<PolicyRow>('UPDATE ram_policies SET description = $1, updated = $2 WHERE name = $3 RETURNING *', [description, now, policyName]);
  if (rows[0] === undefined) throw new AppError('EntityNotExist.Policy');
  return toPolicy(rows[0]);
}
