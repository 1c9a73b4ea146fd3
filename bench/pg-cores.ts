/**
 * Where the cores go with 1, 2 and 3 Alunite processes on one PostgreSQL database: per 4 KiB PUT and GET, the CPU
 * (user + sys from /proc, not wall time) of the group's Alunite processes, of PostgreSQL's processes (the postmaster's
 * tree), and of this client, over a fixed request count; and PostgreSQL transactions per request (pg_stat_database
 * xact_commit: a request's own statement or transaction, plus the shared counters read, each its own transaction).
 * CPU per request is what a saturated machine divides its cores by; it moves less with the machine's load than ops/s.
 *
 *   node dist/bench/pg-cores.js [--ops 3000] [--rounds 2] [--concurrency 8]
 *
 * Starts a throwaway PostgreSQL as the tests do (test/helpers/postgres.ts: fsync off); the groups run one at a time.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Target, type BenchRequest } from './client.js';
import { postmasterOf, treeCpuSeconds } from './postgres.js';
import { cpuSeconds, positiveArg, startProcess, type ServerProcess } from './proc.js';
import { testPostgres } from '../test/helpers/postgres.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CREDS = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const BODY = Buffer.alloc(4096, 0x79);
const BUCKET = 'bench-cores';
const key = (i: number): string => `c/${String(i).padStart(7, '0')}`;

interface Tally { n: number; seconds: number; alunite: number; postgres: number; client: number; xacts: number }

async function xactsOf(admin: pg.Client, db: string): Promise<number> {
  // The statistics are flushed by each backend at most once a second when it goes idle.
  await new Promise((r) => setTimeout(r, 1500));
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<{ n: string }>('SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1', [db]);
  return Number(rows[0]!.n);
}

async function spread(targets: Target[], from: number, count: number, concurrency: number, make: (i: number) => BenchRequest): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < count; i = next++) {
      const res = await targets[(from + i) % targets.length]!.send(make(from + i));
      if (res.status !== 200) throw new Error(`HTTP ${res.status} ${res.text.slice(0, 200)}`);
    }
  }));
}

async function main(): Promise<void> {
  const ops = positiveArg('--ops', 3000);
  const rounds = positiveArg('--rounds', 2);
  const concurrency = positiveArg('--concurrency', 8);
  const server = await testPostgres();
  const postmaster = postmasterOf(server.port);
  if (postmaster === null) throw new Error('cannot find the PostgreSQL postmaster');
  const base = await server.freshUrl();
  const db = new URL(base).pathname.slice(1);
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  const env: NodeJS.ProcessEnv = { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: CREDS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: CREDS.accessKeySecret, ALUNITE_ACCOUNT_ID: '1234567890123456',
    ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') };
  const tallies = new Map<string, Tally>();
  const dirs: string[] = [];
  let from = 0;
  for (let r = 0; r < rounds; r++) {
    for (const n of r % 2 === 0 ? [1, 2, 3] : [3, 2, 1]) {
      const url = await server.freshUrl();
      const blobs = mkdtempSync(join(tmpdir(), 'alunite-cores-'));
      dirs.push(blobs);
      const procs: ServerProcess[] = [];
      for (let i = 0; i < n; i++) {
        procs.push(await startProcess(`p${n}.${i}`, [join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(blobs, `d${i}`),
          '--blobs', join(blobs, 'blobs'), '--log-level', 'warn', '--meta', url], env, ROOT));
      }
      const targets = procs.map((p) => new Target(p.url, CREDS, concurrency));
      try {
        const res = await targets[0]!.send({ method: 'PUT', bucket: BUCKET, key: null, body: Buffer.alloc(0) });
        if (res.status !== 200) throw new Error(`create bucket: HTTP ${res.status} ${res.text}`);
        for (const op of ['PUT', 'GET'] as const) {
          const make = (i: number): BenchRequest => (op === 'PUT' ? { method: 'PUT', bucket: BUCKET, key: key(i), body: BODY } : { method: 'GET', bucket: BUCKET, key: key(i) });
          await spread(targets, 50_000_000, 300 * n, concurrency, make); // warm-up: JIT, pools, prepared statements
          const x0 = await xactsOf(admin, db);
          const a0 = procs.reduce((s, p) => s + cpuSeconds(p.pid), 0);
          const p0 = treeCpuSeconds(postmaster);
          const c0 = process.cpuUsage();
          const t0 = process.hrtime.bigint();
          await spread(targets, from, ops, concurrency, make);
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          const c = process.cpuUsage(c0);
          const t = tallies.get(`${n} ${op}`) ?? { n: 0, seconds: 0, alunite: 0, postgres: 0, client: 0, xacts: 0 };
          t.alunite += procs.reduce((s, p) => s + cpuSeconds(p.pid), 0) - a0;
          t.postgres += treeCpuSeconds(postmaster) - p0;
          t.client += (c.user + c.system) / 1e6;
          t.n += ops;
          t.seconds += seconds;
          t.xacts += (await xactsOf(admin, db)) - x0 - 2; // less the two statistics reads' own snapshots
          tallies.set(`${n} ${op}`, t);
        }
        from += ops;
      } finally {
        for (const t of targets) t.close();
        for (const p of procs) await p.stop();
      }
    }
  }
  await admin.end();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  process.stdout.write(`per request (${ops} × ${rounds} per group and op, ${concurrency} in flight, round-robin over the group's processes):\n`);
  for (const op of ['PUT', 'GET']) {
    for (const n of [1, 2, 3]) {
      const t = tallies.get(`${n} ${op}`)!;
      const us = (s: number): string => ((s * 1e6) / t.n).toFixed(0).padStart(5);
      const sum = t.alunite + t.postgres + t.client;
      process.stdout.write(`${op} ${n} process${n > 1 ? 'es' : '  '}: alunite ${us(t.alunite)} µs, postgres ${us(t.postgres)} µs, client ${us(t.client)} µs, ` +
        `sum ${us(sum)} µs; PostgreSQL transactions ${(t.xacts / t.n).toFixed(2)}; ${(t.n / t.seconds).toFixed(0)} ops/s, cores used ${(sum / t.seconds).toFixed(2)}\n`);
    }
  }
}

await main();
process.exit(0);
