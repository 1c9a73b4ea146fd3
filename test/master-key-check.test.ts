// Start-up refuses a master key that is not the database's (util/key-check.ts): two real processes on one
// PostgreSQL with different master.key files, two first starts racing, `keys rotate` then restarts, a
// database from before the check (with and without a sealed secret), and a SQLite data directory given the
// wrong master.key.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import { KEY_CHECK_DOC } from '../src/store/meta/types.js';
import { masterKeyCheckValue } from '../src/util/key-check.js';
import { masterKeyFingerprint } from '../src/util/master-key.js';
import { testPostgres } from './helpers/postgres.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer } from './helpers/server.js';
import { BIN, spawnServer, type SpawnedServer } from './helpers/spawn.js';

const run = promisify(execFile);
const FIXTURES = fileURLToPath(new URL('../../test/fixtures', import.meta.url));

/** Env without master-key variables: the processes read `<data>/master.key`. */
function keyFileEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ALUNITE_')) env[k] = v;
  return env;
}

async function writeKey(dir: string, key: Buffer): Promise<void> {
  await writeFile(join(dir, 'master.key'), `${key.toString('base64')}\n`, { mode: 0o600 });
}

async function keyOf(dir: string): Promise<Buffer> {
  return Buffer.from((await readFile(join(dir, 'master.key'), 'utf8')).trim(), 'base64');
}

/** Starts `alunite server` on `url` with `dir` as its data directory; rejects with everything it wrote when it exits instead. */
function serve(url: string, dir: string, blobs: string): Promise<SpawnedServer> {
  return spawnServer(['--meta', url, '--data', dir, '--blobs', blobs, '--gc-interval', '0', '--lifecycle-interval', '0', '--inventory-interval', '0'], {
    ...keyFileEnv(),
    ALUNITE_MASTER_KEY: '',
    ALUNITE_MASTER_KEY_PREVIOUS: '',
  });
}

async function stop(s: SpawnedServer): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
  });
}

async function storedCheck(url: string): Promise<{ check: string; fingerprint: string } | null> {
  const s = await PostgresMetadataStore.open({ url });
  try {
    const doc = (await s.readIdentityDocs(KEY_CHECK_DOC.kind, [KEY_CHECK_DOC.id])).get(KEY_CHECK_DOC.id);
    return doc === undefined ? null : (JSON.parse(doc) as { check: string; fingerprint: string });
  } finally {
    await s.close();
  }
}

describe('master key check on PostgreSQL', () => {
  it('a second process with another master.key refuses to start, naming its key file and what to do; the same key starts', async () => {
    const url = await (await testPostgres()).freshUrl();
    const [dirA, dirB, dirC, blobs] = await Promise.all([0, 1, 2, 3].map(() => mkdtemp(join(tmpdir(), 'alunite-keycheck-'))));
    const running: SpawnedServer[] = [];
    try {
      const a = await serve(url, dirA!, blobs!);
      running.push(a);
      const keyA = await keyOf(dirA!);
      assert.deepEqual(await storedCheck(url), { v: 1, check: masterKeyCheckValue(keyA), fingerprint: masterKeyFingerprint(keyA) } as unknown);
      // The stored value is a MAC, never the key (nor its base64 or hex).
      const raw = JSON.stringify(await storedCheck(url));
      for (const form of [keyA.toString('base64'), keyA.toString('hex')]) assert.ok(!raw.includes(form));

      const keyB = randomBytes(32);
      await writeKey(dirB!, keyB);
      await assert.rejects(serve(url, dirB!, blobs!), (err: Error) => {
        assert.match(err.message, /server exited with 1/);
        assert.match(err.message, new RegExp(`master key mismatch: ${join(dirB!, 'master.key').replace(/[/.]/g, '\\$&')} \\(key fingerprint ${masterKeyFingerprint(keyB)}\\)`));
        assert.match(err.message, new RegExp(`is not the master key of the metadata store postgres://.*\\(key fingerprint ${masterKeyFingerprint(keyA)}\\)`));
        assert.match(err.message, /copy master\.key from the data directory of a process that uses this database/);
        return true;
      });
      // A copy of the first process's key file: starts, and both serve.
      await copyFile(join(dirA!, 'master.key'), join(dirC!, 'master.key'));
      running.push(await serve(url, dirC!, blobs!));
      for (const s of running) assert.equal((await fetch(`${s.url}/-/health`)).status, 200);
    } finally {
      for (const s of running) await stop(s);
      for (const d of [dirA, dirB, dirC, blobs]) await rm(d!, { recursive: true, force: true });
    }
  });

  it('two first processes racing on a fresh database with different keys: exactly one starts; with one key both do', async () => {
    const pgs = await testPostgres();
    for (const sameKey of [false, true]) {
      const url = await pgs.freshUrl();
      const dirs = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'alunite-keycheck-'))));
      const key = randomBytes(32);
      await writeKey(dirs[0]!, key);
      await writeKey(dirs[1]!, sameKey ? key : randomBytes(32));
      const outcomes = await Promise.allSettled([serve(url, dirs[0]!, dirs[2]!), serve(url, dirs[1]!, dirs[2]!)]);
      try {
        const started = outcomes.filter((o) => o.status === 'fulfilled');
        if (sameKey) assert.equal(started.length, 2, outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')).join('\n'));
        else {
          assert.equal(started.length, 1);
          const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
          assert.match(String(refused.reason), /master key mismatch/);
        }
      } finally {
        for (const o of outcomes) if (o.status === 'fulfilled') await stop(o.value);
        for (const d of dirs) await rm(d, { recursive: true, force: true });
      }
    }
  });

  it('keys rotate (files) moves the check value with the re-seal: the new key files start, the old key is refused', async () => {
    const url = await (await testPostgres()).freshUrl();
    const [dir, oldDir, blobs] = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'alunite-keycheck-'))));
    try {
      const first = await serve(url, dir!, blobs!);
      await stop(first);
      await copyFile(join(dir!, 'master.key'), join(oldDir!, 'master.key'));
      const before = await keyOf(dir!);
      const r = await run(process.execPath, [BIN, 'keys', 'rotate', '--meta', url, '--data', dir!], { env: keyFileEnv() });
      assert.match(r.stdout, /master key rotated/);
      const after = await keyOf(dir!);
      assert.ok(!after.equals(before));
      assert.equal((await storedCheck(url))?.check, masterKeyCheckValue(after), 'the re-seal transaction wrote the new check value');
      const next = await serve(url, dir!, blobs!);
      await stop(next);
      // A process still given only the key from before the rotation is refused at start.
      await assert.rejects(serve(url, oldDir!, blobs!), new RegExp(`master key mismatch: .*\\(key fingerprint ${masterKeyFingerprint(before)}\\).*\\(key fingerprint ${masterKeyFingerprint(after)}\\)`));
      // A rotation given keys the database was never under is refused before any file changes.
      const strange = await mkdtemp(join(tmpdir(), 'alunite-keycheck-'));
      try {
        await writeKey(strange, randomBytes(32));
        const keyBefore = await keyOf(strange);
        await assert.rejects(run(process.execPath, [BIN, 'keys', 'rotate', '--meta', url, '--data', strange], { env: keyFileEnv() }), /is none of the keys given/);
        assert.ok((await keyOf(strange)).equals(keyBefore), 'master.key untouched');
      } finally {
        await rm(strange, { recursive: true, force: true });
      }
    } finally {
      for (const d of [dir, oldDir, blobs]) await rm(d!, { recursive: true, force: true });
    }
  });

  it('a database from before the check: the first start proves its key on an existing secret, then records the value', async () => {
    const url = await (await testPostgres()).freshUrl();
    const key = randomBytes(32);
    const srv = await startTestServer({ meta: url, masterKey: key });
    let accessKeyId: string;
    try {
      accessKeyId = (await new Ram(srv).userWith('alice', policyDoc({ Effect: 'Allow', Action: 'oss:ListBuckets', Resource: '*' }))).accessKeyId;
    } finally {
      await srv.stop();
    }
    // What a database written before this change looks like: the same rows, no check document.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rowCount } = await c.query('DELETE FROM ram_documents WHERE kind = $1', [KEY_CHECK_DOC.kind]);
      assert.equal(rowCount, 1);
    } finally {
      await c.end();
    }
    // Another key does not open alice's secret: refused, and nothing recorded.
    await assert.rejects(startTestServer({ meta: url, masterKey: randomBytes(32) }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MasterKeyOpensNoSecret');
      assert.match(err.message, new RegExp(`does not open the RAM AccessKey secrets in the metadata store .*\\(AccessKey ${accessKeyId}\\)`));
      return true;
    });
    assert.equal(await storedCheck(url), null);
    // The right key (during a rotation: given as the previous one) is proven on the secret and recorded.
    const newer = randomBytes(32);
    const ok = await startTestServer({ meta: url, masterKey: newer, previousMasterKeys: [key] });
    await ok.stop();
    assert.equal((await storedCheck(url))?.fingerprint, masterKeyFingerprint(key), 'the key that opened the secret, not the newer one');
    await assert.rejects(startTestServer({ meta: url, masterKey: newer }), /master key mismatch/);
    await (await startTestServer({ meta: url, masterKey: key })).stop();
  });
});

describe('master key check on SQLite', () => {
  it('a data directory moved with the wrong master.key refuses to start; a 0.1.0 database is adopted and gets its check value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-keycheck-'));
    try {
      await copyFile(join(FIXTURES, 'metadata-release-0.1.0.sqlite'), join(dir, 'metadata.sqlite'));
      const key = randomBytes(32);
      await writeKey(dir, key);
      const first = await startTestServer({ dataDir: dir, masterKey: undefined });
      await first.close();
      const s = new SqliteMetadataStore({ path: join(dir, 'metadata.sqlite') });
      try {
        const doc = (await s.readIdentityDocs(KEY_CHECK_DOC.kind, [KEY_CHECK_DOC.id])).get(KEY_CHECK_DOC.id);
        assert.equal((JSON.parse(doc!) as { check: string }).check, masterKeyCheckValue(key));
        // POST /-/reset empties the store, not the check.
        await s.reset();
        assert.ok((await s.readIdentityDocs(KEY_CHECK_DOC.kind, [KEY_CHECK_DOC.id])).has(KEY_CHECK_DOC.id));
      } finally {
        await s.close();
      }
      const wrong = randomBytes(32);
      await writeKey(dir, wrong);
      await assert.rejects(
        startTestServer({ dataDir: dir, masterKey: undefined }),
        new RegExp(`master key mismatch: ${join(dir, 'master.key').replace(/[/.]/g, '\\$&')} \\(key fingerprint ${masterKeyFingerprint(wrong)}\\) is not the master key of the metadata store ${join(dir, 'metadata.sqlite').replace(/[/.]/g, '\\$&')}`),
      );
      // `alunite account create` seals a root key in the store: it checks the key as a server does.
      await assert.rejects(run(process.execPath, [BIN, 'account', 'create', '--data', dir, '--id', '2000000000000002'], { env: keyFileEnv() }), /master key mismatch/);
      await writeKey(dir, key);
      await (await startTestServer({ dataDir: dir, masterKey: undefined })).close();
      await run(process.execPath, [BIN, 'account', 'create', '--data', dir, '--id', '2000000000000002'], { env: keyFileEnv() });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
