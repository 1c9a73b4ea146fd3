// A server killed (SIGKILL) at any moment must start again on the same data directory. These cases kill
// it at the points where files it creates on first start appear.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OSS from 'ali-oss';
import Database from 'better-sqlite3';
import { removeKeptRefusalLeftovers } from '../src/audit/kept-refusals.js';
import { startServer, type ServerOptions } from '../src/server.js';
import { rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, ACCOUNT_ID, SECRET } from './helpers/server.js';
import { BIN, kill9, spawnServer } from './helpers/spawn.js';

const KEY_FILES = ['master.key', 'callback-key.pem'];

/** Starts a server on `dir` and SIGKILLs it as soon as `file` appears in `dir` (inotify); resolves when it is gone. */
async function killWhenCreated(dir: string, file: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--log-level', 'warn', '--data', dir], {
    env: { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: AK, ALUNITE_ROOT_ACCESS_KEY_SECRET: SECRET, ALUNITE_ACCOUNT_ID: ACCOUNT_ID },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const watcher = watch(dir, (_event, name) => {
    if (name === file) child.kill('SIGKILL');
  });
  try {
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  } finally {
    watcher.close();
  }
}

async function assertKeyFilesWhole(dir: string): Promise<void> {
  const master = await readFile(join(dir, 'master.key'), 'utf8');
  assert.equal(Buffer.from(master.trim(), 'base64').length, 32);
  assert.match(await readFile(join(dir, 'callback-key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
  assert.deepEqual((await readdir(dir)).filter((f) => /\.tmp$|\.empty-/.test(f)), []);
}

describe('restart after a kill during first start', () => {
  for (const file of KEY_FILES) {
    it(`killed the moment ${file} appears: the next start succeeds and the key is whole`, async () => {
      for (let round = 0; round < 3; round++) {
        const dir = await mkdtemp(join(tmpdir(), 'alunite-killkey-'));
        try {
          await killWhenCreated(dir, file);
          const srv = await spawnServer(['--data', dir]);
          await kill9(srv.child);
          await assertKeyFilesWhole(dir);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    });

    it(`an empty ${file} (left by such a kill in an earlier version) is created anew at start`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'alunite-emptykey-'));
      try {
        await writeFile(join(dir, file), '', { mode: 0o600 });
        const srv = await spawnServer(['--data', dir]);
        await kill9(srv.child);
        await assertKeyFilesWhole(dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('a key created once is kept across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-keepkey-'));
    try {
      await kill9((await spawnServer(['--data', dir])).child);
      const before = await Promise.all(KEY_FILES.map((f) => readFile(join(dir, f), 'utf8')));
      await kill9((await spawnServer(['--data', dir])).child);
      assert.deepEqual(await Promise.all(KEY_FILES.map((f) => readFile(join(dir, f), 'utf8'))), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// A kill during an inventory run leaves its claim `Running` (the final state is written after the files). The
// next process must run it again, not wait for the next period (a day or a week).
describe('an inventory run cut short by a kill', () => {
  const SRC = 'crash-inv-src';
  const DEST = 'crash-inv-dest';
  const t0 = Date.now();
  let now = t0;
  const options = (dataDir: string): ServerOptions => ({
    host: '127.0.0.1', port: 0, dataDir, inMemory: false, region: 'cn-hangzhou', accountId: ACCOUNT_ID,
    rootAccessKeyId: AK, rootAccessKeySecret: SECRET, logLevel: 'silent', durable: true, clock: () => now,
    inventory: { intervalMs: 0 },
  });

  async function putInventory(port: number): Promise<void> {
    const xml = `<InventoryConfiguration><Id>daily</Id><IsEnabled>true</IsEnabled><Destination><OSSBucketDestination><Format>CSV</Format>`
      + `<AccountId>${ACCOUNT_ID}</AccountId><RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${DEST}</Bucket>`
      + `</OSSBucketDestination></Destination><Schedule><Frequency>Daily</Frequency></Schedule>`
      + `<IncludedObjectVersions>Current</IncludedObjectVersions><OptionalFields></OptionalFields></InventoryConfiguration>`;
    const query: Array<[string, string]> = [['inventory', ''], ['inventoryId', 'daily']];
    const headers: Record<string, string> = { host: `localhost:${port}`, 'x-oss-date': new Date().toUTCString(), 'content-length': String(Buffer.byteLength(xml)) };
    headers.authorization = v1Authorization({ method: 'PUT', bucket: SRC, key: null, query, headers }, AK, SECRET).authorization;
    const res = await rawRequest(port, { method: 'PUT', path: `/${SRC}/?inventory&inventoryId=daily`, headers, body: xml });
    assert.equal(res.status, 200, res.body.toString());
  }

  /** Rewrites the stored run state as the claim of a process killed mid-run left it (server stopped). */
  function leaveRunning(dataDir: string, startedAt: number, holder?: string): void {
    const db = new Database(join(dataDir, 'metadata.sqlite'));
    try {
      const row = db.prepare("SELECT document FROM bucket_configs WHERE bucket = ? AND name = 'inventory-runs'").get(SRC) as { document: string };
      const runs = JSON.parse(row.document) as Record<string, Record<string, unknown>>;
      runs.daily = { startedAt, status: 'Running', ...(holder !== undefined ? { holder, heartbeat: startedAt } : {}) };
      db.prepare("UPDATE bucket_configs SET document = ? WHERE bucket = ? AND name = 'inventory-runs'").run(JSON.stringify(runs), SRC);
    } finally {
      db.close();
    }
  }

  for (const holder of [undefined, '999999-a-process-that-died']) {
    it(`is run again by the next process (${holder === undefined ? 'state of an earlier version' : 'with a holder'})`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'alunite-crash-inv-'));
      try {
        let srv = await startServer(options(dataDir));
        const client = new OSS({ region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, endpoint: srv.url, timeout: 60_000 } as OSS.Options);
        await client.putBucket(SRC);
        await client.putBucket(DEST);
        client.useBucket(SRC);
        await client.put('a.txt', Buffer.from('a'));
        await putInventory(srv.port);
        const first = await srv.inventory!.runOnce();
        assert.deepEqual(first.map((r) => r.status), ['Done']);
        await srv.close();

        now = t0 + 60_000;
        leaveRunning(dataDir, now, holder);
        now += 1000;
        srv = await startServer(options(dataDir));
        try {
          const again = await srv.inventory!.runOnce();
          assert.deepEqual(again.map((r) => r.status), ['Done'], 'the cut-short run was not run again');
          // Once done, it is not due again before its period.
          assert.deepEqual(await srv.inventory!.runOnce(), []);
        } finally {
          await srv.close();
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});

// A graceful stop writes `kept-refusals.jsonl` through a temporary file (up to 16 MiB; ~0.5 s for 11 MB). A kill
// during that write left the temporary file for good: nothing ever read, replaced or removed it.
describe('a stop killed while it wrote the kept refusals', () => {
  it('the next start removes the temporary files it left, and keeps the last complete file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-kept-leftover-'));
    try {
      // A graceful stop after a refused request writes the real file; the leftovers are named as its writer names them.
      const first = await spawnServer(['--data', dir]);
      const denied = await rawRequest(first.port, { method: 'GET', path: '/no-such-bucket-here/x', headers: { host: `localhost:${first.port}` } });
      assert.ok(denied.status >= 400);
      await new Promise<void>((resolve) => {
        first.child.once('exit', () => resolve());
        first.child.kill('SIGTERM');
      });
      const kept = await readFile(join(dir, 'kept-refusals.jsonl'), 'utf8');
      assert.ok(kept.length > 0);
      const leftovers = ['kept-refusals.jsonl.4242.0a1b2c3d4e5f.tmp', 'kept-refusals.jsonl.1.ffeeddccbbaa.tmp'];
      for (const name of leftovers) await writeFile(join(dir, name), kept.slice(0, Math.floor(kept.length / 2)), { mode: 0o600 });
      const second = await spawnServer(['--data', dir]);
      try {
        assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('kept-refusals.jsonl.')), []);
        assert.equal(await readFile(join(dir, 'kept-refusals.jsonl'), 'utf8'), kept);
      } finally {
        await kill9(second.child);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with a shared directory (PostgreSQL), only temporary files untouched for the given time are removed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-kept-shared-'));
    try {
      await writeFile(join(dir, 'kept-refusals.jsonl.77.aaaaaaaaaaaa.tmp'), 'old');
      await writeFile(join(dir, 'kept-refusals.jsonl.78.bbbbbbbbbbbb.tmp'), 'being written');
      await writeFile(join(dir, 'kept-refusals.jsonl'), 'complete');
      const hourAgo = new Date(Date.now() - 3600_000);
      await utimes(join(dir, 'kept-refusals.jsonl.77.aaaaaaaaaaaa.tmp'), hourAgo, hourAgo);
      assert.equal(await removeKeptRefusalLeftovers(dir, Date.now() - 60_000), 1);
      assert.deepEqual((await readdir(dir)).sort(), ['kept-refusals.jsonl', 'kept-refusals.jsonl.78.bbbbbbbbbbbb.tmp']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
