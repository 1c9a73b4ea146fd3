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
import type { Bucket, ObjectRecord } from '../src/domain/model.js';

interface Statement {
  source: string;
}
interface Db {
  prepare(sql: string): { all(...params: unknown[]): unknown[] };
}

type Counted = Record<string, { get?: (...a: unknown[]) => unknown; run?: (...a: unknown[]) => unknown }>;

/** Counts every get/run of the store's prepared statements, by statement name and method. */
function countCalls(stmts: Counted): string[] {
  const calls: string[] = [];
  for (const [name, st] of Object.entries(stmts)) {
    for (const method of ['get', 'run'] as const) {
      const real = st[method];
      if (typeof real !== 'function') continue;
      st[method] = (...a: unknown[]) => {
        calls.push(`${name}.${method}`);
        return real.apply(st, a);
      };
    }
  }
  return calls;
}

const BUCKET: Bucket = { name: 'b', ownerAccountId: '1', createdAt: 1, region: 'r', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} };

/** Text that JSON and SQLite could each mangle: NUL and control characters, quotes, U+2028, a lone surrogate, non-BMP. */
const ODD = 'a\u0000b\u0001"\\\u2028é😀\ud800/<>';

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

  it('an unversioned DELETE reads once (bucket and removed row together) and returns the record exactly as stored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-write-statements-'));
    dirs.push(dir);
    const store = new SqliteMetadataStore({ path: join(dir, 'm.sqlite') });
    try {
      await store.createBucket(BUCKET);
      const records: ObjectRecord[] = [
        {
          bucket: 'b', key: `k${ODD}`, size: 2 ** 40, etag: `"${ODD}"`, crc64: '18446744073709551615', contentMd5: 'md5==', type: 'Appendable',
          storageClass: 'IA', acl: 'public-read', lastModified: 1733500000123, headers: { contentType: ODD, cacheControl: 'no-cache' },
          userMeta: { [ODD]: ODD, n: '12345678901234567890' }, tags: [[ODD, ''], ['k', '1.50']], segments: [{ blobId: `blob-${ODD}`, size: 2 ** 40 }],
          inline: null, symlinkTarget: ODD, attrs: { sealedAt: 1.5, nested: { list: [ODD, null, true, -3e300] } },
        },
        {
          bucket: 'b', key: 'inline', size: 3, etag: 'E', crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
          lastModified: 1, headers: { contentType: 'text/plain' }, userMeta: {}, tags: [], segments: [], inline: Buffer.from('abc'), symlinkTarget: null,
        },
      ];
      for (const r of records) await store.putObject('b', r.key, () => r);
      const inner = store as unknown as { stmts: Counted };
      for (const r of records) {
        const stored = await store.getObject('b', r.key);
        const calls = countCalls(inner.stmts);
        const out = await store.removeObject('b', r.key, 2);
        const made = calls.splice(0);
        assert.deepEqual(out.removed, { ...stored!, inline: null }, r.key);
        assert.equal(await store.getObject('b', r.key), null);
        // One read (bucket, versioning and the row), the row's delete, and the inline bytes' when there are any.
        assert.deepEqual(made, ['removalState.get', 'deleteObject.run', ...(r.inline === null ? [] : ['deleteInline.run'])], r.key);
        for (const st of Object.values(inner.stmts)) {
          delete st.get;
          delete st.run;
        }
      }
      const calls = countCalls(inner.stmts);
      assert.deepEqual(await store.removeObject('b', 'missing', 3), { removed: null, versionId: null, deleteMarker: false });
      assert.deepEqual(calls, ['removalState.get']);
    } finally {
      await store.close();
    }
  });
});
