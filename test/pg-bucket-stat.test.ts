// The GetBucketStat suite again with the metadata in PostgreSQL (statistics kept by its triggers), and the
// PostgreSQL shards: a read only sums them (it writes nothing, however many there are); the maintenance fold
// moves the rows of gone connections into shard 0 and leaves live connections' rows alone, figures unchanged.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { testPostgres } from './helpers/postgres.js';
import { assertServersOnPostgres, startTestServer, type TestServer } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-bucket-stat.test.js');

it('the GetBucketStat suite really runs on PostgreSQL', assertServersOnPostgres);

describe('PostgreSQL bucket statistics shards', () => {
  const B = 'stat-shards';
  let srv: TestServer;
  let db: pg.Client;
  before(async () => {
    const url = await (await testPostgres()).freshUrl();
    srv = await startTestServer({ meta: url });
    db = new pg.Client({ connectionString: url });
    await db.connect();
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    await c.put('a', Buffer.alloc(10));
    await c.put('b', Buffer.alloc(20));
  });
  after(async () => {
    await db?.end();
    await srv?.stop();
  });

  const rows = async (): Promise<number> => Number((await db.query('SELECT count(*) AS n FROM bucket_stats WHERE bucket = $1', [B])).rows[0].n);
  const stat = async (): Promise<Record<string, string>> =>
    ((await (srv.client() as unknown as { getBucketStat(b: string): Promise<{ stat: Record<string, string> }> }).getBucketStat(B)).stat);

  it('a read sums any number of shards and writes nothing; the fold moves gone connections\' rows, figures unchanged', async () => {
    const store = srv.meta as PostgresMetadataStore;
    assert.ok(store instanceof PostgresMetadataStore);
    // 100 rows of connections that are gone (pids no backend has), as churned pool connections leave them.
    const live = new Set((await db.query('SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL')).rows.map((r: { pid: number }) => r.pid));
    const dead = Array.from({ length: 4000 }, (_, i) => 3_000_000 + i).filter((p) => !live.has(p)).slice(0, 100);
    for (const pid of dead) {
      await db.query(`INSERT INTO bucket_stats VALUES ($1, 'object', 'Standard', $2, 1, 5, 5, 1)`, [B, pid]);
    }
    // A live connection's own row (this client's pid) must stay where it is.
    await db.query(`INSERT INTO bucket_stats VALUES ($1, 'object', 'Standard', pg_backend_pid(), 2, 7, 7, 1)`, [B]);
    const before = await rows();
    assert.ok(before > 100, `${before} rows`);
    const s1 = await stat();
    assert.equal(s1.ObjectCount, String(2 + 100 + 2));
    assert.equal(s1.Storage, String(30 + 500 + 7));
    assert.equal(await rows(), before, 'GetBucketStat wrote nothing (no fold on the read path)');
    const folded = await store.foldBucketStats();
    assert.ok(folded >= 100, `folded ${folded}`);
    const left = await db.query('SELECT count(*) AS n FROM bucket_stats WHERE bucket = $1 AND shard = ANY($2::int[])', [B, dead]);
    assert.equal(Number(left.rows[0].n), 0, 'the gone connections\' rows are folded');
    assert.ok((await rows()) <= before - 99, 'into one row');
    const mine = await db.query('SELECT count FROM bucket_stats WHERE bucket = $1 AND shard = pg_backend_pid()', [B]);
    assert.equal(Number(mine.rows[0]?.count), 2, 'a live connection\'s row is left alone');
    assert.deepEqual(await stat(), s1, 'the figures are unchanged');
    assert.equal(await store.foldBucketStats(), 0, 'nothing left to fold');
  });
});
