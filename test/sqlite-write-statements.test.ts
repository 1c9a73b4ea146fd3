// The statements of object writes and deletes on SQLite build no temporary table (issue 15). An ephemeral B-tree
// (EXPLAIN's OpenEphemeral: an in-memory table opened, a page zeroed, closed again) costs about as much as the
// row's own B-tree work; it came from `DELETE … RETURNING` (SQLite collects RETURNING rows in one) and from the
// bucket_stats triggers' `IN (…)` list (built afresh each time a trigger fires). Counted from the query plans, so
// a statement or trigger that brings one back fails here, whatever the machine's speed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';

interface Statement {
  source: string;
}
interface Db {
  prepare(sql: string): { all(...params: unknown[]): unknown[] };
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('SQLite object write statements', () => {
  it('no statement that writes objects or their inline bytes opens an ephemeral table, its triggers included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-write-statements-'));
    dirs.push(dir);
    const store = new SqliteMetadataStore({ path: join(dir, 'm.sqlite') });
    try {
      const inner = store as unknown as { db: Db; stmts: Record<string, Statement> };
      const writes = Object.entries(inner.stmts).filter(([, st]) =>
        /^\s*(INSERT|DELETE|UPDATE|REPLACE)\b/i.test(st.source) && /\b(objects|object_versions|inline_data)\b/.test(st.source));
      assert.ok(writes.length >= 6, `found ${writes.map(([n]) => n).join(', ')}`);
      const opened: string[] = [];
      for (const [name, st] of writes) {
        const params = (st.source.match(/\?/g) ?? []).length;
        const plan = inner.db.prepare(`EXPLAIN ${st.source}`).all(...Array.from({ length: params }, () => null)) as Array<{ opcode: string }>;
        if (plan.some((op) => op.opcode === 'OpenEphemeral')) opened.push(name);
      }
      assert.deepEqual(opened, [], 'statements opening an ephemeral table');
    } finally {
      await store.close();
    }
  });
});
