// The short soak (test/helpers/soak.ts, test/soak-resources.test.ts on SQLite) with the metadata in PostgreSQL: one
// `bin/alunite server --meta postgres://… --blobs DIR` under the same bounded mixed load (cut uploads, connection
// churn, multipart, appends, copies), then its descriptors, temporary and blob files and memory back to the
// baseline, and its connections to PostgreSQL too: never more than its pool (20) while the load runs, none left in
// a transaction, and back to the baseline once idle (the pool closes idle connections after 10 s: a connection
// never given back to the pool, or a second pool, would stay).
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
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
    const count = async (where: string): Promise<number> =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'alunite' AND ${where}`)).rows[0]!.n;
    await soak(t, {
      srv, blobsRoot: `${dir}/shared`, seed: SEED, rounds: ROUNDS, budgetMs: BUDGET_MS,
      gauges: [
        { name: 'PostgreSQL connections', read: () => count('true'), max: POOL, settlesWithin: (base) => base + 2 },
        { name: 'connections idle in a transaction', read: () => count(`state LIKE 'idle in transaction%'`), max: POOL, settlesWithin: () => 0 },
      ],
    });
  });
});
