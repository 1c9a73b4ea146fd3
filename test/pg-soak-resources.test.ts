// The short soak (test/helpers/soak.ts, test/soak-resources.test.ts on SQLite) with the metadata in PostgreSQL: one
// `bin/alunite server --meta postgres://… --blobs DIR` under the same bounded mixed load (cut uploads, connection
// churn, multipart, appends, copies), then its descriptors, temporary and blob files and memory back to the
// baseline, and its connections to PostgreSQL too: never more than its pool (20) while the load runs, none left in
// a transaction, and none kept out of the pool (every connection open after the load is closed by the pool's idle
// timeout, 10 s, or used again; one never given back stays as it was).
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { eventually } from './helpers/eventually.js';
import { testPostgres } from './helpers/postgres.js';
import { soak } from './helpers/soak.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const SEED = Number(process.env.SOAK_SEED ?? 7);
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 40);
const BUDGET_MS = Number(process.env.SOAK_BUDGET_MS ?? 10_000);
/** The server's pool size (src/store/meta/postgres/base.ts). */
const POOL = 20;

describe('short soak on PostgreSQL: descriptors, files, memory and database connections back to baseline', () => {
  let srv: SpawnedServer;
  let dir: string;
  let db: pg.Client;
  before(async () => {
    const url = await (await testPostgres()).freshUrl();
    dir = await tempDir('alunite-pg-soak-');
    srv = await spawnServer(['--data', `${dir}/data`, '--meta', url, '--blobs', `${dir}/shared`]);
    db = new pg.Client({ connectionString: url, application_name: 'soak-observer' });
    await db.connect();
  });
  after(async () => {
    await kill9(srv.child);
    await db.end();
  });

  it(`mixed load with cut uploads and connection churn (seed ${SEED})`, { timeout: 240_000 }, async (t) => {
    // The server's connections to this database (the test process's own database: no other server uses it).
    const where = "datname = current_database() AND application_name = 'alunite'";
    const count = async (also: string): Promise<number> =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE ${where} AND ${also}`)).rows[0]!.n;
    /** Each connection: its state, when that last changed (a statement began or ended), its last statement. */
    const connections = async (): Promise<Array<{ pid: number; state: string; changed: string; query: string }>> =>
      (await db.query(`SELECT pid, state, state_change::text AS changed, left(query, 160) AS query FROM pg_stat_activity WHERE ${where} ORDER BY pid`)).rows;
    await soak(t, {
      srv, blobsRoot: `${dir}/shared`, seed: SEED, rounds: ROUNDS, budgetMs: BUDGET_MS,
      gauges: [
        // The background workers (lifecycle, inventory, replication, …) read the buckets every few seconds, so one
        // to three connections may stay open at rest: how many is no measure of a leak, the next check is.
        { name: 'PostgreSQL connections', read: () => count('true'), max: POOL, settlesWithin: () => POOL },
        { name: 'connections idle in a transaction', read: () => count(`state LIKE 'idle in transaction%'`), max: POOL, settlesWithin: () => 0 },
      ],
    });
    // A connection given back to the pool is closed after 10 s idle, or used again; one never given back (a leak)
    // stays as it is. So every connection open after the load must end or run a statement since.
    const open = await connections();
    let now: Awaited<ReturnType<typeof connections>> = [];
    await eventually(async () => {
      now = await connections();
      return open.every((a) => !now.some((n) => n.pid === a.pid && n.changed === a.changed));
    }, 'every connection open after the load was closed by the pool or used again (none kept out of it)', 60_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(now.filter((n) => open.some((a) => a.pid === n.pid && a.changed === n.changed)))}`);
    });
    t.diagnostic(`${open.length} connections after the load, each closed or used again since`);
  });
});
