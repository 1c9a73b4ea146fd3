// `alunite keys history`: every `alunite keys rotate` is recorded in the metadata store (SQLite and
// PostgreSQL), in the transaction that re-seals the RAM secrets, by key fingerprint only; the server logs
// the fingerprint of the key it uses, so an operator can match processes with the history.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { masterKeyFingerprint } from '../src/util/master-key.js';
import { testPostgres } from './helpers/postgres.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer } from './helpers/server.js';
import { BIN, spawnServer, type SpawnedServer } from './helpers/spawn.js';

const exec = promisify(execFile);
const FIXTURES = new URL('../../test/fixtures/', import.meta.url);
const b64 = (k: Buffer): string => k.toString('base64');

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'alunite-keys-history-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `alunite keys …` with exactly these master-key variables (none unless given). */
async function keys(args: string[], vars: Record<string, string> = {}): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars };
  for (const name of ['ALUNITE_MASTER_KEY', 'ALUNITE_MASTER_KEY_PREVIOUS', 'ALUNITE_META', 'ALUNITE_DATA']) if (!(name in vars)) delete env[name];
  try {
    return { ...(await exec(process.execPath, [BIN, 'keys', ...args], { env })), code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

interface JsonRotation {
  id: number;
  rotatedAt: string;
  keyFingerprint: string;
  previousFingerprints: string[];
  resealed: number;
  mode: string;
  host: string;
  pid: number;
}

async function history(args: string[], vars: Record<string, string> = {}): Promise<JsonRotation[]> {
  const r = await keys(['history', ...args, '--json'], vars);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { rotations: JsonRotation[] }).rotations;
}

const readKey = async (dir: string, file = 'master.key'): Promise<Buffer> => Buffer.from((await readFile(join(dir, file), 'utf8')).trim(), 'base64');

/** The fingerprints a server logged at start (`{"msg":"master key","keyFingerprint":…}`). */
function loggedFingerprints(srv: SpawnedServer): { keyFingerprint: string; previousKeyFingerprints: string[] } {
  const line = srv.stderr().split('\n').find((l) => l.includes('"msg":"master key"'));
  assert.ok(line, `no master-key log line in:\n${srv.stderr()}`);
  return JSON.parse(line) as { keyFingerprint: string; previousKeyFingerprints: string[] };
}

async function stopSpawned(srv: SpawnedServer): Promise<void> {
  if (srv.child.exitCode !== null) return;
  const exited = new Promise((resolve) => srv.child.once('exit', resolve));
  srv.child.kill('SIGTERM');
  await exited;
}

/** No form of `key` (bytes, base64, hex, or an 8-byte slice of either) appears in `text`. */
function assertNoKey(text: string | Buffer, key: Buffer, what: string): void {
  const haystack = Buffer.isBuffer(text) ? text : Buffer.from(text);
  assert.equal(haystack.indexOf(key), -1, `${what} holds the key bytes`);
  for (const form of [b64(key), key.toString('hex'), b64(key).slice(0, 16), key.toString('hex').slice(0, 16), key.toString('hex').slice(16, 32)]) {
    assert.equal(haystack.indexOf(form), -1, `${what} holds ${form}`);
  }
}

describe('master-key fingerprints', () => {
  it('16 hex characters of a labelled SHA-256: stable, distinct per key, never the key or a slice of it', () => {
    const zero = Buffer.alloc(32);
    assert.match(masterKeyFingerprint(zero), /^[0-9a-f]{16}$/);
    assert.notEqual(masterKeyFingerprint(zero), '0'.repeat(16));
    for (let i = 0; i < 50; i++) {
      const key = randomBytes(32);
      const fp = masterKeyFingerprint(key);
      assert.equal(fp, masterKeyFingerprint(Buffer.from(key)), 'stable');
      assert.notEqual(fp, masterKeyFingerprint(randomBytes(32)));
      assert.ok(!key.toString('hex').includes(fp), 'not a slice of the key in hex');
      assert.ok(!b64(key).includes(fp), 'not a slice of the key in base64');
      assertNoKey(fp, key, 'the fingerprint');
    }
  });
});

describe('alunite keys history (SQLite --data)', () => {
  it('keys rotate records each rotation with fingerprints, newest first; the server logs the fingerprint it uses; no key is stored', async () => {
    const first = await startTestServer(); // the key is created in <data>/master.key
    const dataDir = first.dataDir;
    dirs.push(dataDir);
    try {
      await first.client().putBucket('rot');
      await new Ram(first).userWith('alice', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:rot/*' }));
    } finally {
      await first.close();
    }
    const k1 = await readKey(dataDir);
    const empty = await keys(['history', '--data', dataDir]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, 'no master-key rotation recorded\n');
    assert.deepEqual(await history(['--data', dataDir]), []);

    const before = await spawnServer(['--data', dataDir, '--log-level', 'info'], { ALUNITE_MASTER_KEY: '', ALUNITE_MASTER_KEY_PREVIOUS: '' });
    try {
      const logged = loggedFingerprints(before);
      assert.equal(logged.keyFingerprint, masterKeyFingerprint(k1));
      assert.deepEqual(logged.previousKeyFingerprints, []);
      assertNoKey(before.stderr(), k1, 'the server log');
      // The server owns the file: history refuses cleanly instead of reading under it.
      const busy = await keys(['history', '--data', dataDir]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /metadata\.sqlite is in use by another alunite process/);
    } finally {
      await stopSpawned(before);
    }

    const r1 = await keys(['rotate', '--data', dataDir]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, /1 RAM AccessKey secret\(s\) re-sealed/);
    const k2 = await readKey(dataDir);
    const [one, ...none] = await history(['--data', dataDir]);
    assert.equal(none.length, 0);
    assert.ok(one);
    assert.deepEqual(
      { ...one, id: 0, rotatedAt: '', pid: 0 },
      { id: 0, rotatedAt: '', keyFingerprint: masterKeyFingerprint(k2), previousFingerprints: [masterKeyFingerprint(k1)], resealed: 1, mode: 'file', host: hostname(), pid: 0 },
    );
    assert.ok(Number.isInteger(one.pid) && one.pid > 0 && one.pid !== process.pid, 'the pid of the rotating process');
    assert.ok(!Number.isNaN(Date.parse(one.rotatedAt)) && one.rotatedAt.endsWith('Z'));

    const r2 = await keys(['rotate', '--data', dataDir]);
    assert.equal(r2.code, 0, r2.stderr);
    const k3 = await readKey(dataDir);
    const both = await history(['--data', dataDir]);
    assert.deepEqual(both.map((r) => [r.keyFingerprint, r.previousFingerprints]), [
      [masterKeyFingerprint(k3), [masterKeyFingerprint(k2), masterKeyFingerprint(k1)]],
      [masterKeyFingerprint(k2), [masterKeyFingerprint(k1)]],
    ]);
    assert.ok(both[0]!.id > both[1]!.id);
    const table = await keys(['history', '--data', dataDir]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+ROTATED AT\s+KEY\s+PREVIOUS KEYS\s+RESEALED\s+MODE\s+HOST:PID$/);
    assert.equal(lines.length, 3);
    assert.ok(lines[1]!.includes(masterKeyFingerprint(k3)) && lines[1]!.includes(`${masterKeyFingerprint(k2)},${masterKeyFingerprint(k1)}`));
    assert.ok(lines[2]!.startsWith(String(both[1]!.id)));

    // Neither the database file nor any output holds a key, in any form.
    const db = await readFile(join(dataDir, 'metadata.sqlite'));
    const wal = existsSync(join(dataDir, 'metadata.sqlite-wal')) ? await readFile(join(dataDir, 'metadata.sqlite-wal')) : Buffer.alloc(0);
    for (const k of [k1, k2, k3]) {
      assertNoKey(Buffer.concat([db, wal]), k, 'metadata.sqlite');
      assertNoKey(table.stdout + JSON.stringify(both) + r1.stdout + r2.stdout, k, 'the command output');
    }

    // A server on the rotated files logs the newest recorded fingerprint.
    const afterwards = await spawnServer(['--data', dataDir, '--log-level', 'info'], { ALUNITE_MASTER_KEY: '', ALUNITE_MASTER_KEY_PREVIOUS: '' });
    try {
      const logged = loggedFingerprints(afterwards);
      assert.equal(logged.keyFingerprint, both[0]!.keyFingerprint);
      // Every replaced key is kept, newest first: what any of them sealed stays readable.
      assert.deepEqual(logged.previousKeyFingerprints, [masterKeyFingerprint(k2), masterKeyFingerprint(k1)]);
    } finally {
      await stopSpawned(afterwards);
    }
  });

  it('a 0.1.0 database migrates with an empty history, then records its first rotation', async () => {
    const dir = await tempDir();
    await copyFile(new URL('metadata-release-0.1.0.sqlite', FIXTURES), join(dir, 'metadata.sqlite'));
    const k1 = randomBytes(32);
    await writeFile(join(dir, 'master.key'), `${b64(k1)}\n`, { mode: 0o600 });
    assert.deepEqual(await history(['--data', dir]), []);
    const r = await keys(['rotate', '--data', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /0 RAM AccessKey secret\(s\) re-sealed/);
    const rows = await history(['--data', dir]);
    assert.deepEqual(rows.map((x) => [x.keyFingerprint, x.previousFingerprints, x.resealed, x.mode]), [
      [masterKeyFingerprint(await readKey(dir)), [masterKeyFingerprint(k1)], 0, 'file'],
    ]);
  });

  it('bad input: no store named or an unknown one (exit 2), a directory without metadata.sqlite (not created)', async () => {
    const none = await keys(['history']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error: required option '--data <dir>' \(or --meta postgres:\/\/…\) not specified/);
    const mysql = await keys(['history', '--meta', 'mysql://root@localhost/db']);
    assert.equal(mysql.code, 2);
    assert.match(mysql.stderr, /--meta must be "sqlite" or a postgres:\/\/ URL/);
    const dir = await tempDir();
    const missing = await keys(['history', '--data', dir]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `error: ${join(dir, 'metadata.sqlite')} does not exist: no metadata store in ${dir}.\n`);
    assert.ok(!existsSync(join(dir, 'metadata.sqlite')), 'history never creates a database');
  });
});

describe('alunite keys history (PostgreSQL --meta)', () => {
  it('records environment-mode rotations; a refused rotation records nothing; servers log the fingerprint the history shows', async () => {
    const url = await (await testPostgres()).freshUrl();
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const srv = await startTestServer({ meta: url, masterKey: k1 });
    dirs.push(srv.dataDir);
    try {
      await new Ram(srv).userWith('alice', policyDoc({ Effect: 'Allow', Action: 'oss:ListBuckets', Resource: '*' }));
    } finally {
      await srv.close();
    }
    const empty = await keys(['history', '--meta', url]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, 'no master-key rotation recorded\n');

    // Keys that sealed nothing: refused, nothing recorded.
    const wrong = await keys(['rotate', '--meta', url], { ALUNITE_MASTER_KEY: b64(randomBytes(32)), ALUNITE_MASTER_KEY_PREVIOUS: b64(randomBytes(32)) });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /opens with no known master key/);
    assert.deepEqual(await history(['--meta', url]), []);

    const ok = await keys(['rotate', '--meta', url], { ALUNITE_MASTER_KEY: b64(k2), ALUNITE_MASTER_KEY_PREVIOUS: b64(k1) });
    assert.equal(ok.code, 0, ok.stderr);
    const again = await keys(['rotate', '--meta', url], { ALUNITE_MASTER_KEY: b64(k2) });
    assert.equal(again.code, 0, again.stderr);
    // ALUNITE_META works as --meta.
    const rows = await history([], { ALUNITE_META: url });
    assert.deepEqual(rows.map((r) => [r.keyFingerprint, r.previousFingerprints, r.resealed, r.mode, r.host]), [
      [masterKeyFingerprint(k2), [], 0, 'environment', hostname()],
      [masterKeyFingerprint(k2), [masterKeyFingerprint(k1)], 1, 'environment', hostname()],
    ]);
    assert.ok(rows[0]!.id > rows[1]!.id);
    assert.ok(Date.parse(rows[0]!.rotatedAt) >= Date.parse(rows[1]!.rotatedAt));
    for (const k of [k1, k2]) assertNoKey(JSON.stringify(rows) + ok.stdout + again.stdout, k, 'the command output');

    // A process on the new key logs the fingerprint the history shows (PostgreSQL: while others run).
    const p = await spawnServer(['--meta', url, '--data', await tempDir(), '--log-level', 'info'], { ALUNITE_MASTER_KEY: b64(k2), ALUNITE_MASTER_KEY_PREVIOUS: b64(k1) });
    try {
      assert.deepEqual(
        [loggedFingerprints(p).keyFingerprint, loggedFingerprints(p).previousKeyFingerprints],
        [rows[0]!.keyFingerprint, [masterKeyFingerprint(k1)]],
      );
      assertNoKey(p.stderr(), k2, 'the server log');
      assert.equal((await history(['--meta', url])).length, 2, 'history reads a database servers are using');
    } finally {
      await stopSpawned(p);
    }
  });
});
