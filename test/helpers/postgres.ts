// A real PostgreSQL server for the test run: initdb into a temporary directory, started on a free
// loopback port (socket in the same directory) as an unprivileged user, stopped and removed when the
// test process exits. One database per test process (freshUrl) and per caller of createDatabase().
// `npm test` (test/run.ts) starts one server for the whole run and names it in ALUNITE_TEST_PG_PORT: each test
// process then uses that one instead of its own (initdb and start-up cost ~1 CPU s and ~2 s each, times ~80 files).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { portForLater } from './ports.js';

const run = promisify(execFile);
const SUPERUSER = 'alunite';

export interface TestPostgres {
  port: number;
  /** Creates an empty database and returns its URL (slow: about half a second). */
  createDatabase(prefix?: string): Promise<string>;
  /**
   * A URL whose connections see only a fresh, empty schema (search_path) in this process's database:
   * an empty metadata store in milliseconds.
   */
  freshUrl(): Promise<string>;
  /** Server version, e.g. "15.8". */
  version: string;
}

/** Directory holding initdb and pg_ctl: from PATH, else the newest /usr/lib/postgresql/<n>/bin. */
function findBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const initdb = join(dir, 'initdb');
    if (dir && existsSync(initdb)) {
      const real = dirname(realpathSync(initdb));
      if (existsSync(join(real, 'pg_ctl'))) return real;
    }
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length > 0) return join(root, versions[0]!, 'bin');
  throw new Error(
    'PostgreSQL is not installed: initdb was found neither in PATH nor in /usr/lib/postgresql/*/bin. ' +
      'Install the Debian package `postgresql` (.ci/run does) to run the PostgreSQL tests.',
  );
}

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` system user (created if missing). */
function runAsArgs(): { prefix: string[]; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  let ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (ids.status !== 0) {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  }
  const uid = Number(ids.stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
}

/** What `npm test`'s runner sets: the port of the run's shared server (test/run.ts). */
export const SHARED_PORT_ENV = 'ALUNITE_TEST_PG_PORT';

/** A started server, and how to stop and remove it (its owner's job; at the latest when the process exits). */
export interface OwnedPostgres extends TestPostgres {
  stop(): void;
}

/** Starts a server of its own for the caller: test/run.ts for a whole run, testPostgres() for one test process. */
export async function startPostgres(): Promise<OwnedPostgres> {
  const bin = findBinDir();
  const as = runAsArgs();
  const dir = await mkdtemp(join(tmpdir(), 'alunite-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (as) await chown(dir, as.uid, as.gid);
  const tool = (name: string, args: string[]): Promise<{ stdout: string }> => {
    const cmd = [...(as?.prefix ?? []), join(bin, name), ...args];
    return run(cmd[0]!, cmd.slice(1), { env: { ...process.env, LC_ALL: 'C' }, timeout: 120_000 });
  };
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    const cmd = [...(as?.prefix ?? []), join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
    spawnSync(cmd[0]!, cmd.slice(1), { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  try {
    await tool('initdb', ['-D', data, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await portForLater();
      const options = [
        `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
        // A throwaway cluster: durability off, small memory.
        // Connections: a test process may hold a few servers' pools of 20, and a run shares the server between two.
        '-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB -c max_connections=400',
      ].join(' ');
      try {
        await tool('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start']);
        break;
      } catch (err) {
        // Another process may have taken the port between our probe and the server's bind.
        if (attempt >= 3) throw new Error(`pg_ctl start failed: ${(err as Error).message}\n${await readFile(log, 'utf8').catch(() => '')}`);
      }
    }
    return { ...(await attach(port)), stop };
  } catch (err) {
    stop();
    throw err;
  }
}

/** Databases on the server at `port`, named for this process. */
async function attach(port: number): Promise<TestPostgres> {
  const admin = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' });
  await admin.connect();
  const version = ((await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version).split(' ')[0]!;
  await admin.end();
  // A run's shared server outlives its test processes, and pids are reused within a run: the name is the pid's and a random tag's.
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  let n = 0;
  let processDb: Promise<string> | null = null;
  const createDatabase = async (prefix = 'alunite'): Promise<string> => {
    const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${tag}_${++n}`;
    const c = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
  };
  return {
    port,
    version,
    createDatabase,
    async freshUrl() {
      processDb ??= createDatabase('alunite');
      const url = await processDb;
      const schema = `s${++n}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await c.end();
      }
      return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    },
  };
}

let shared: Promise<TestPostgres> | null = null;

/**
 * The test process's PostgreSQL server: the run's shared one when test/run.ts named it, else one started on first
 * use. Rejects (a failing test) when PostgreSQL is not installed.
 */
export function testPostgres(): Promise<TestPostgres> {
  const port = Number(process.env[SHARED_PORT_ENV] ?? '');
  shared ??= port > 0 ? attach(port) : startPostgres();
  return shared;
}
