import type Database from 'better-sqlite3';
import { AppError } from '../../../errors.js';
import type { RamPolicy } from '../../../ram/model.js';
import { toPolicy, type PolicyRow } from '../ram-rows.js';
import type { IdentityDocKey } from '../types.js';

// RAM identity documents on SQLite (table ram_documents, docs/ram.md). Run inside the store's write
// transaction (SqliteIdentityStore), so a decider sees and replaces the documents atomically. `account` is
// the owning account ('' the server's default one, docs/accounts.md).

export function readDocs(db: Database.Database, account: string, kind: string, ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const stmt = db.prepare<[string, string, string], { doc: string }>('SELECT doc FROM ram_documents WHERE account = ? AND kind = ? AND id = ?');
  for (const id of ids) {
    const row = stmt.get(account, kind, id);
    if (row) out.set(id, row.doc);
  }
  return out;
}

export function listDocs(db: Database.Database, account: string, kind: string): Map<string, string> {
  const rows = db.prepare<[string, string], { id: string; doc: string }>('SELECT id, doc FROM ram_documents WHERE account = ? AND kind = ? ORDER BY id').all(account, kind);
  return new Map(rows.map((r) => [r.id, r.doc]));
}

export function updateDocs(db: Database.Database, account: string, keys: readonly IdentityDocKey[], decide: (current: Array<string | null>) => Array<string | null>): void {
  const get = db.prepare<[string, string, string], { doc: string }>('SELECT doc FROM ram_documents WHERE account = ? AND kind = ? AND id = ?');
  const current = keys.map((k) => get.get(account, k.kind, k.id)?.doc ?? null);
  const next = decide(current);
  if (next.length !== keys.length) throw new AppError('InternalError', 'identity document decider answered for another number of documents');
  const put = db.prepare('INSERT INTO ram_documents (account, kind, id, doc) VALUES (?, ?, ?, ?) ON CONFLICT (account, kind, id) DO UPDATE SET doc = excluded.doc');
  const del = db.prepare('DELETE FROM ram_documents WHERE account = ? AND kind = ? AND id = ?');
  keys.forEach((k, i) => {
    const doc = next[i] ?? null;
    if (doc === current[i]) return;
    if (doc === null) del.run(account, k.kind, k.id);
    else put.run(account, k.kind, k.id, doc);
  });
}

export function updatePolicyDescription(db: Database.Database, policyName: string, description: string, now: number): RamPolicy {
  const res = db.prepare('UPDATE ram_policies SET description = ?, updated = ? WHERE name = ?').run(description, now, policyName);
  if (res.changes === 0) throw new AppError('EntityNotExist.Policy');
  return toPolicy(db.prepare<[string], PolicyRow>('SELECT * FROM ram_policies WHERE name = ?').get(policyName)!);
}
