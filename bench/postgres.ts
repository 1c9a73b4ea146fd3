/**
 * PostgreSQL for `npm run bench -- --meta …`: a URL the user gives (the bench creates one schema per
 * Alunite server or process group in that database and drops them at the end), or `--meta postgres`:
 * a throwaway local server started like the tests' (test/helpers/postgres.ts: initdb, fsync off).
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { testPostgres } from '../test/helpers/postgres.js';
import { clockTicks } from './proc.js';

function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  const options = [u.searchParams.get('options'), `-c search_path=${schema}`].filter(Boolean).join(' ');
  u.searchParams.set('options', options);
  return u.toString();
}

export interface BenchPostgres {
  /** Printable description (password hidden). */
  label: string;
  /** A URL whose connections see a fresh, empty schema. */
  freshUrl(): Promise<string>;
  close(): Promise<void>;
  /** CPU seconds used so far by the server's processes (postmaster and backends); only for the throwaway server. */
  cpuSeconds?: () => number;
}

function pids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

/** The postmaster started with `-p <port>` (the throwaway server's command line), or null. */
export function postmasterOf(port: number): number | null {
  for (const pid of pids()) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
      const i = argv.indexOf('-p');
      if (i >= 0 && argv[i + 1] === String(port) && /postgres$/.test(argv[0]!)) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/**
 * user+sys CPU seconds of `root` and its children (PostgreSQL's backends are the postmaster's children),
 * exited ones included: a reaped child's time is in the parent's cutime/cstime.
 */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of pids()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // rest[1] is ppid; rest[11..14] utime, stime, cutime, cstime.
      if (pid === root) ticks += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
      else if (Number(rest[1]) === root) ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // exited between the listing and the read: counted in the postmaster's cutime from now on
    }
  }
  return ticks / clockTicks();
}

export async function benchPostgres(meta: string): Promise<BenchPostgres> {
  if (meta === 'postgres') {
    const server = await testPostgres();
    const postmaster = postmasterOf(server.port);
    return {
      ...(postmaster !== null ? { cpuSeconds: () => treeCpuSeconds(postmaster) } : {}),
      label: `a throwaway local PostgreSQL ${server.version} (initdb; fsync=off, synchronous_commit=off) on port ${server.port}`,
      freshUrl: () => server.freshUrl(),
      async close() {}, // stopped when this process exits
    };
  }
  const admin = new pg.Client({ connectionString: meta });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`cannot connect to PostgreSQL for the benchmark: ${(err as Error).message}`);
  }
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const schemas: string[] = [];
  const u = new URL(meta);
  if (u.password) u.password = '***';
  return {
    label: `PostgreSQL ${version} at ${u.toString()}`,
    async freshUrl() {
      const schema = `alunite_bench_${process.pid}_${schemas.length + 1}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      schemas.push(schema);
      return withSearchPath(meta, schema);
    },
    async close() {
      for (const s of schemas) await admin.query(`DROP SCHEMA ${s} CASCADE`).catch(() => undefined);
      await admin.end();
    },
  };
}
