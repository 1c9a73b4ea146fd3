/**
 * What one small request costs PostgreSQL, per build: round trips (counted on the wire by a proxy in front of the
 * server, test/helpers/pg-round-trips.ts), statements sent and run by triggers, their execution time (pg_stat_statements),
 * PostgreSQL's CPU and Alunite's, per 4 KiB PUT, HEAD, GET and DELETE (of the keys just written), then DELETE of
 * missing keys. Counts are exact however busy the machine is; CPU figures carry its load, so the builds take turns,
 * phase by phase, round by round.
 *
 *   node dist/bench/pg-statements.js --url postgres://USER@127.0.0.1:PORT/postgres --roots /a,/b [--ops 3000] [--rounds 3]
 *
 * The server must load the extension (`-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all`,
 * `track=all` to count what triggers run); the URL's user must create databases. Each root is a built checkout; its
 * server gets a database of its own (dropped at the end). PostgreSQL's CPU is read from /proc when the server runs here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Target, type BenchRequest } from './client.js';
import { roundTripProxy, type RoundTripProxy } from '../test/helpers/pg-round-trips.js';
import { postmasterOf, treeCpuSeconds } from './postgres.js';
import { cpuSeconds, positiveArg, startProcess, type ServerProcess } from './proc.js';

const CREDS = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const OPS = ['PUT', 'HEAD', 'GET', 'DELETE', 'DELETE-MISSING'] as const;
type Op = (typeof OPS)[number];
const BODY = Buffer.alloc(4096, 0x79);
const BUCKET = 'bench-statements';
const keyOf = (i: number): string => `k/${String(i).padStart(7, '0')}`;
const request = (op: Op, i: number): BenchRequest => {
  if (op === 'PUT') return { method: 'PUT', bucket: BUCKET, key: keyOf(i), body: BODY };
  // The keys of the last DELETE phase, already gone.
  return { method: op === 'DELETE-MISSING' ? 'DELETE' : op, bucket: BUCKET, key: keyOf(i) };
};

interface Tally {
  n: number;
  /** Wall seconds the phases took (ops/s: n / seconds; the machine's load moves it). */
  seconds: number;
  roundTrips: number;
  alunite: number;
  postgres: number;
  /** Statements the client sent (top level) and those run inside them (triggers, functions). */
  sent: number;
  nested: number;
  execMs: number;
}

interface Build {
  root: string;
  db: string;
  oid: number;
  data: string;
  server: ServerProcess;
  proxy: RoundTripProxy;
  target: Target;
  tally: Map<Op, Tally>;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function run(b: Build, op: Op, from: number, count: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < count; i = next++) {
      const res = await b.target.send(request(op, from + i));
      if (res.status >= 300) throw new Error(`${b.root} ${op}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    }
  }));
}

async function main(): Promise<void> {
  const url = option('--url');
  const roots = option('--roots')?.split(',').filter((r) => r !== '');
  if (url === undefined || roots === undefined || roots.length === 0) throw new Error('usage: --url postgres://… --roots DIR[,DIR…] [--ops N] [--rounds N] [--concurrency N]');
  const ops = positiveArg('--ops', 3000);
  const rounds = positiveArg('--rounds', 3);
  const concurrency = positiveArg('--concurrency', 8);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const host = new URL(url);
  const postmaster = host.hostname === '127.0.0.1' || host.hostname === 'localhost' ? postmasterOf(Number(host.port || 5432)) : null;
  const pgCpu = (): number => (postmaster === null ? NaN : treeCpuSeconds(postmaster));
  const env: NodeJS.ProcessEnv = { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: CREDS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: CREDS.accessKeySecret, ALUNITE_ACCOUNT_ID: '1234567890123456' };
  const builds: Build[] = [];
  try {
    for (const [i, root] of roots.entries()) {
      const db = `alunite_statements_${process.pid}_${i}`;
      await admin.query(`CREATE DATABASE ${db}`);
      const u = new URL(url);
      u.pathname = `/${db}`;
      const proxy = await roundTripProxy(u.hostname, Number(u.port || 5432));
      u.hostname = '127.0.0.1';
      u.port = String(proxy.port);
      const data = mkdtempSync(join(tmpdir(), 'alunite-statements-'));
      const server = await startProcess(`build${i}`, [join(root, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', data, '--log-level', 'warn', '--meta', u.toString()], env, root);
      const oid = (await admin.query<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [db])).rows[0]!.oid;
      builds.push({ root, db, oid, data, server, proxy, target: new Target(server.url, CREDS, concurrency), tally: new Map() });
    }
    for (const b of builds) {
      const res = await b.target.send({ method: 'PUT', bucket: BUCKET, key: null, body: Buffer.alloc(0) });
      if (res.status !== 200) throw new Error(`create bucket: HTTP ${res.status} ${res.text}`);
      // Warm-up (JIT, pool, prepared statements, the triggers' plans), unmeasured.
      for (const op of OPS) await run(b, op, 50_000_000, 500, concurrency);
    }
    const per = Math.floor(ops / rounds);
    for (let r = 0; r < rounds; r++) {
      for (const op of OPS) {
        for (const b of r % 2 === 0 ? builds : [...builds].reverse()) {
          await admin.query('SELECT pg_stat_statements_reset()');
          b.proxy.reset();
          const a0 = cpuSeconds(b.server.pid);
          const p0 = pgCpu();
          const t0 = process.hrtime.bigint();
          await run(b, op, r * per, per, concurrency);
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          const alunite = cpuSeconds(b.server.pid) - a0;
          const postgres = pgCpu() - p0;
          const { rows } = await admin.query<{ toplevel: boolean; calls: string; ms: number }>(
            'SELECT toplevel, sum(calls)::text AS calls, sum(total_exec_time) AS ms FROM pg_stat_statements WHERE dbid = $1 GROUP BY toplevel',
            [b.oid],
          );
          const t = b.tally.get(op) ?? { n: 0, seconds: 0, roundTrips: 0, alunite: 0, postgres: 0, sent: 0, nested: 0, execMs: 0 };
          t.n += per;
          t.seconds += seconds;
          t.roundTrips += b.proxy.counts().roundTrips;
          t.alunite += alunite;
          t.postgres += postgres;
          for (const row of rows) {
            if (row.toplevel) {
              t.sent += Number(row.calls);
              t.execMs += row.ms;
            } else t.nested += Number(row.calls);
          }
          b.tally.set(op, t);
        }
      }
    }
    process.stdout.write(`per request: ${ops} requests per kind, ${rounds} rounds, ${concurrency} in flight (statements sent include the counters query)\n`);
    for (const op of OPS) {
      for (const b of builds) {
        const t = b.tally.get(op)!;
        const us = (s: number): string => (Number.isNaN(s) ? '?' : ((s * 1e6) / t.n).toFixed(0));
        process.stdout.write(
          `${op.padEnd(14)} ${b.root}: round trips ${(t.roundTrips / t.n).toFixed(2)}, statements sent ${(t.sent / t.n).toFixed(2)}, run by triggers ${(t.nested / t.n).toFixed(2)}, ` +
            `execution ${((t.execMs * 1000) / t.n).toFixed(0)} µs, PostgreSQL CPU ${us(t.postgres)} µs, Alunite CPU ${us(t.alunite)} µs, ${(t.n / t.seconds).toFixed(0)} ops/s\n`,
        );
      }
    }
  } finally {
    for (const b of builds) {
      b.target.close();
      await b.server.stop();
      await b.proxy.close();
      rmSync(b.data, { recursive: true, force: true });
      await admin.query(`DROP DATABASE IF EXISTS ${b.db}`).catch(() => undefined);
    }
    await admin.end();
  }
}

await main();
