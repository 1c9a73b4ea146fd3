// ListObjects on PostgreSQL stays an index range scan with 1,000,000 objects in one bucket: EXPLAIN of the
// exact SQL the store runs (custom and generic plans) shows the primary key index, no Seq Scan, no Sort.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { listObjectsSql, PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import type { ListObjectsQuery } from '../src/store/meta/types.js';
import { testPostgres } from './helpers/postgres.js';

const N = 1_000_000;
const key = (i: number): string => `dir${i % 100}/obj-${String(i).padStart(7, '0')}`;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('listing 1,000,000 objects in one bucket on PostgreSQL', () => {
  let url: string;
  let store: PostgresMetadataStore;
  let client: pg.Client;
  before(async () => {
    url = await (await testPostgres()).freshUrl();
    store = await PostgresMetadataStore.open({ url, durable: false });
    client = new pg.Client({ connectionString: url });
    await client.connect();
    // Loaded in SQL (the store would take minutes through the API); the rows are what putObject writes.
    await client.query(`
      INSERT INTO objects (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl, last_modified, headers, meta, tags, segments)
      SELECT 'big', convert_to('dir' || (i % 100) || '/obj-' || lpad(i::text, 7, '0'), 'UTF8'), i, 'E', '0', NULL, 'Normal', 'Standard', 'default',
             1700000000000, '{}', '{}', '[]', '[]'
      FROM generate_series(0, ${N - 1}) AS i`);
    // A second bucket around it, so the bucket column matters to the scan.
    await client.query(`INSERT INTO objects (bucket, key, size, etag, crc64, type, storage_class, acl, last_modified, headers, meta, tags, segments)
      SELECT b, convert_to('k' || i, 'UTF8'), 1, 'E', '0', 'Normal', 'Standard', 'default', 0, '{}', '{}', '[]', '[]'
      FROM unnest(ARRAY['aaa', 'zzz']) AS b, generate_series(1, 1000) AS i`);
    await client.query('ANALYZE objects');
  });
  after(async () => {
    await client?.end();
    await store?.close();
  });

  const queries: Array<[string, ListObjectsQuery]> = [
    ['first page', { prefix: '', limit: 1000 }],
    ['page after a marker', { prefix: '', after: key(500_000), limit: 1000 }],
    ['prefix', { prefix: 'dir42/', limit: 100 }],
    ['prefix after a marker', { prefix: 'dir42/', after: 'dir42/obj-0500042', limit: 100 }],
    ['stepping over a CommonPrefix (delimiter listing)', { prefix: '', skipPrefix: 'dir1/', limit: 1000 }],
  ];

  for (const [name, q] of queries) {
    it(`${name}: an index range scan of objects_pkey, no Seq Scan, no Sort (custom and generic plans)`, async () => {
      const { text, values } = listObjectsSql('big', q);
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await client.query(`SET plan_cache_mode = ${mode}`);
        // A server-side prepared statement, as pg runs parameterized queries; EXPLAIN EXECUTE shows its plan.
        await client.query(`PREPARE listing AS ${text}`);
        const literals = values.map((v) => (Buffer.isBuffer(v) ? `'\\x${v.toString('hex')}'::bytea` : typeof v === 'number' ? String(v) : client.escapeLiteral(String(v))));
        const res = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) EXECUTE listing(${literals.join(', ')})`);
        await client.query('DEALLOCATE listing');
        const all = nodes(res.rows[0]!['QUERY PLAN'][0]!.Plan);
        const types = all.map((n) => n['Node Type']);
        assert.ok(!types.some((t) => t.includes('Seq Scan') || t === 'Sort' || t.includes('Bitmap')), `${mode}: ${types.join(' > ')}`);
        assert.ok(all.some((n) => /Index (Only )?Scan/.test(n['Node Type']) && n['Index Name'] === 'objects_pkey'), `${mode}: ${types.join(' > ')}`);
      }
      await client.query('RESET plan_cache_mode');
    });
  }

  it('the listings return the right keys in byte order', async () => {
    const sorted = (n: number, from: number, filter: (k: string) => boolean): string[] => {
      const all = Array.from({ length: N }, (_, i) => key(i)).filter(filter).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const start = all.findIndex((k) => Buffer.compare(Buffer.from(k), Buffer.from(key(from))) > 0);
      return all.slice(start, start + n);
    };
    const page = (await store.listObjects('big', { prefix: 'dir42/', after: 'dir42/obj-0500042', limit: 5 })).map((o) => o.key);
    assert.deepEqual(page, sorted(5, 500_042, (k) => k.startsWith('dir42/')));
    const skipped = (await store.listObjects('big', { prefix: 'dir1', skipPrefix: 'dir1/', limit: 2 })).map((o) => o.key);
    assert.deepEqual(skipped, ['dir10/obj-0000010', 'dir10/obj-0000110']);
    assert.equal((await store.listObjects('big', { prefix: '', limit: 1000 })).length, 1000);
  });
});
