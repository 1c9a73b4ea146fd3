// The blob-GC lease on PostgreSQL is short and renewed while its holder collects (store/shared-gc.ts):
//  - a holder killed with SIGKILL mid-collection blocks the others only until its short lease expires, then
//    another process collects; while it lived and renewed, the other never collected (its lease outlived
//    its first expiry);
//  - a holder that cannot renew stops removing files before its lease could expire.
// Real `bin/alunite` processes on one database and one blob directory. "Mid-collection" is made observable
// and held there by the test taking an exclusive lock on `objects`: the holder has listed the directory and
// waits for its snapshot of references (seen in pg_locks). Every assertion reads the database, the files or
// the processes' logs; nothing waits for a guessed duration.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { BLOB_GC_LEASE } from '../src/store/shared-gc.js';
import { eventually } from './helpers/eventually.js';
import { testPostgres } from './helpers/postgres.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const HOUR = 60 * 60 * 1000;
const ORPHANS = 300;

/** `ORPHANS` blob files no row references, last written 3 h ago. */
async function plantOrphans(blobsDir: string): Promise<string[]> {
  const t = new Date(Date.now() - 3 * HOUR);
  const out: string[] = [];
  for (let i = 0; i < ORPHANS; i++) {
    const id = randomBytes(16).toString('hex');
    const path = join(blobsDir, 'blobs', id.slice(0, 2), id);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, randomBytes(100));
    await utimes(path, t, t);
    out.push(path);
  }
  return out;
}

/** A database with its schema (migrated before the test locks tables) and a shared blob directory. */
async function setUp(): Promise<{ url: string; dir: string; env: Record<string, string>; args: string[] }> {
  const url = await (await testPostgres()).freshUrl();
  await (await PostgresMetadataStore.open({ url })).close();
  const dir = await mkdtemp(join(tmpdir(), 'alunite-gc-lease-'));
  const env = { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64'), ALUNITE_MASTER_KEY_PREVIOUS: '' };
  // A collection attempt every second, a 10 s lease (renewed every ~3 s while collecting: a holder would have to stall ~7 s to lose it, which a busy machine does not).
  const args = ['--meta', url, '--blobs', dir, '--gc-interval', '1', '--gc-lease', '10', '--lifecycle-interval', '0', '--inventory-interval', '0', '--log-level', 'debug'];
  return { url, dir, env, args };
}

async function serve(args: string[], env: Record<string, string>): Promise<SpawnedServer> {
  const data = await tempDir('alunite-gc-lease-data-');
  return spawnServer([...args, '--data', data], env);
}

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

interface LeaseRow {
  holder: string;
  expires: string;
}

async function leaseRow(c: pg.Client): Promise<LeaseRow> {
  const { rows } = await c.query<LeaseRow>('SELECT holder, expires_at::text AS expires FROM alunite_leases WHERE name = $1', [BLOB_GC_LEASE]);
  return rows[0]!;
}

/** Whether a backend waits for a lock on `objects` (the collector's snapshot of references, held up by the test). */
async function waitsOnObjects(c: pg.Client): Promise<boolean> {
  // In this database: relation ids are per database, and under npm test the server is shared (test/run.ts).
  const { rows } = await c.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'objects'::regclass AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
  );
  return rows[0]!.n > 0;
}

async function dbPassed(c: pg.Client, ts: string): Promise<boolean> {
  const { rows } = await c.query<{ past: boolean }>('SELECT clock_timestamp() > $1::timestamptz AS past', [ts]);
  return rows[0]!.past;
}

const lines = (s: SpawnedServer, msg: string): number => s.stderr().split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
const remaining = (paths: string[]): number => paths.filter((p) => existsSync(p)).length;

// The two cases use their own databases, blob directories and processes, and spend most of their time waiting for
// a lease to expire in the database: they run side by side.
describe('blob-GC lease on PostgreSQL: short, renewed while collecting', { concurrency: true }, () => {
  it('a holder killed mid-collection: the other process never collects while it lives and renews, and collects soon after the kill', async () => {
    const { url, dir, env, args } = await setUp();
    const orphans = await plantOrphans(dir);
    const db = await client(url);
    const locker = await client(url);
    const procs: SpawnedServer[] = [];
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE objects IN ACCESS EXCLUSIVE MODE');
      const a = await serve(args, env);
      procs.push(a);
      // A holds the lease and is mid-collection: directory listed, waiting for its snapshot of references.
      await eventually(async () => (await leaseRow(db)).holder.startsWith(`${a.child.pid}-`) && (await waitsOnObjects(db)), 'A holds the lease and waits on objects');
      const first = await leaseRow(db);
      const b = await serve(args, env);
      procs.push(b);
      // Wait until A's first lease would have expired, and B has tried again since.
      await eventually(() => dbPassed(db, first.expires), 'the database clock passes the first expiry of A\'s lease');
      const triedBefore = lines(b, 'blob-gc-skipped');
      await eventually(() => lines(b, 'blob-gc-skipped') > triedBefore, 'B tries to collect after that expiry');
      const now = await leaseRow(db);
      assert.ok(now.holder.startsWith(`${a.child.pid}-`), 'A still holds the lease: it renewed it');
      assert.ok(!(await dbPassed(db, now.expires)), 'and it is live');
      assert.equal(lines(b, 'blob-gc-started'), 0, 'B never started a collection while A held the lease');
      assert.equal(remaining(orphans), ORPHANS, 'nothing was removed by anyone');

      await kill9(a.child);
      await locker.query('COMMIT');
      // A's lease is not renewed any more; once it expires B takes it and collects everything.
      await eventually(() => remaining(orphans) === 0, 'B collects the orphans after A was killed');
      assert.ok(lines(b, 'blob-gc-started') >= 1);
      await eventually(() => /"orphanBlobs":300,"msg":"removed unreferenced blob files"/.test(b.stderr()), 'B logs the collection');
      assert.ok(!(await leaseRow(db)).holder.startsWith(`${a.child.pid}-`));
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      for (const p of procs) await kill9(p.child);
      await Promise.all([db.end(), locker.end()]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a process started while a killed holder's lease is live collects once that lease runs out, not an interval later", async () => {
    const { url, dir, env, args } = await setUp();
    const orphans = await plantOrphans(dir);
    const db = await client(url);
    const procs: SpawnedServer[] = [];
    try {
      // What a process killed mid-collection leaves: its lease, still live when the next process starts (however long
      // that start takes on a busy machine: the lease runs out only when the test says so, below).
      await db.query("UPDATE alunite_leases SET holder = 'killed-holder', expires_at = clock_timestamp() + interval '10 minutes' WHERE name = $1", [BLOB_GC_LEASE]);
      assert.equal((await leaseRow(db)).holder, 'killed-holder');
      // An hour between periodic runs (the default): only the run at start, tried again, can collect here.
      const hourly = args.map((a, i) => (args[i - 1] === '--gc-interval' ? '3600' : args[i - 1] === '--gc-lease' ? '2' : a));
      const p = await serve(hourly, env);
      procs.push(p);
      await eventually(() => lines(p, 'blob-gc-skipped') >= 1, 'its first try finds the lease held');
      assert.equal(remaining(orphans), ORPHANS, 'nothing collected while the dead lease was live');
      // The dead lease runs out now.
      await db.query("UPDATE alunite_leases SET expires_at = clock_timestamp() WHERE name = $1 AND holder = 'killed-holder'", [BLOB_GC_LEASE]);
      await eventually(() => remaining(orphans) === 0, 'the restarted process collects after the dead lease expired');
    } finally {
      for (const p of procs) await kill9(p.child);
      await db.end();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a holder that cannot renew stops before its lease could expire, removes nothing, and collects on a later run', async () => {
    const { url, dir, env, args } = await setUp();
    const orphans = await plantOrphans(dir);
    const db = await client(url);
    const tables = await client(url);
    const leaseLock = await client(url);
    const procs: SpawnedServer[] = [];
    try {
      await tables.query('BEGIN');
      await tables.query('LOCK TABLE objects IN ACCESS EXCLUSIVE MODE');
      const a = await serve(args, env);
      procs.push(a);
      await eventually(async () => (await leaseRow(db)).holder.startsWith(`${a.child.pid}-`) && (await waitsOnObjects(db)), 'A holds the lease and waits on objects');
      // Renewals now wait for the lease row (as when the database cannot be reached)...
      await leaseLock.query('BEGIN');
      const { rows } = await leaseLock.query<{ expires: string }>('SELECT expires_at::text AS expires FROM alunite_leases WHERE name = $1 FOR UPDATE', [BLOB_GC_LEASE]);
      const expires = rows[0]!.expires;
      // ...until the lease has expired in the database (A's own deadline, counted from before it asked, is earlier).
      await eventually(() => dbPassed(db, expires), 'the lease expires in the database');
      await tables.query('COMMIT');
      // A gets its snapshot and must now see that it may not remove anything.
      await eventually(() => lines(a, 'blob-gc-stopped') === 1, 'A stops its collection');
      assert.match(a.stderr(), /"reason":"lease-not-renewed","tempFiles":0,"orphanBlobs":0,"msg":"blob-gc-stopped"/);
      assert.equal(remaining(orphans), ORPHANS, 'A removed nothing after its lease could have expired');
      // The database reachable again: a later run collects.
      await leaseLock.query('COMMIT');
      await eventually(() => remaining(orphans) === 0, 'a later run of A collects');
      await eventually(() => /"orphanBlobs":300,"msg":"removed unreferenced blob files"/.test(a.stderr()), 'A logs the collection');
    } finally {
      await tables.query('ROLLBACK').catch(() => undefined);
      await leaseLock.query('ROLLBACK').catch(() => undefined);
      for (const p of procs) await kill9(p.child);
      await Promise.all([db.end(), tables.end(), leaseLock.end()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
