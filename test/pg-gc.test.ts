// Blob garbage collection with several processes on one PostgreSQL database and one blob directory: one
// collector at a time (a lease row), only files older than the grace period and referenced by no object
// or part; an upload in flight on another process, committed objects and open multipart parts survive.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { BLOB_GC_LEASE } from '../src/store/shared-gc.js';
import { eventually } from './helpers/eventually.js';
import { testPostgres } from './helpers/postgres.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

const BUCKET = 'gc-bucket';
const HOUR = 60 * 60 * 1000;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const blobId = (): string => randomBytes(16).toString('hex');

/** Every file under `dir` (relative paths). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  }
  return out.sort();
}

/** Sets every file's modification time `ms` into the past. */
async function age(paths: string[], ms: number): Promise<void> {
  const t = new Date(Date.now() - ms);
  for (const p of paths) await utimes(p, t, t);
}

/** Writes a file that looks like a blob (or temp file) no row references, last modified `ms` ago. */
async function plant(path: string, ms: number): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, randomBytes(1000));
  await age([path], ms);
  return path;
}

describe('blob garbage collection shared by two servers on one PostgreSQL database', () => {
  let a: TestServer;
  let b: TestServer;
  let url: string;
  let root: string;
  before(async () => {
    url = await (await testPostgres()).freshUrl();
    const masterKey = randomBytes(32);
    // intervalMs 0: no collection on its own; the test runs them.
    a = await startTestServer({ meta: url, masterKey, blobGc: { intervalMs: 0 } });
    b = await startTestServer({ meta: url, masterKey, blobsDir: a.dataDir, blobGc: { intervalMs: 0 } });
    root = a.dataDir;
    await a.client().putBucket(BUCKET);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('the lease goes to exactly one of many processes asking at once, and to another once released or expired', async () => {
    const stores = await Promise.all([1, 2, 3].map(() => PostgresMetadataStore.open({ url, durable: false })));
    try {
      const asks = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 3]!.tryLease(BLOB_GC_LEASE, `holder-${i}`, 60_000)));
      assert.equal(asks.filter(Boolean).length, 1, JSON.stringify(asks));
      const winner = `holder-${asks.indexOf(true)}`;
      assert.equal(await stores[0]!.tryLease(BLOB_GC_LEASE, 'someone-else', 60_000), false);
      assert.equal(await stores[1]!.tryLease(BLOB_GC_LEASE, winner, 60_000), true, 'the holder renews its own lease');
      await stores[2]!.releaseLease(BLOB_GC_LEASE, 'someone-else'); // not the holder: no effect
      assert.equal(await stores[0]!.tryLease(BLOB_GC_LEASE, 'someone-else', 60_000), false);
      await stores[2]!.releaseLease(BLOB_GC_LEASE, winner);
      assert.equal(await stores[0]!.tryLease(BLOB_GC_LEASE, 'next', 1), true);
      await new Promise((r) => setTimeout(r, 50)); // a 1 ms lease has expired: a crashed holder frees it
      assert.equal(await stores[1]!.tryLease(BLOB_GC_LEASE, 'after-expiry', 60_000), true);
      await stores[1]!.releaseLease(BLOB_GC_LEASE, 'after-expiry');
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('collects old orphans once, and spares committed objects, open multipart parts, young files and an upload in flight on the other server', async () => {
    const ca = a.client({ bucket: BUCKET });
    const cb = b.client({ bucket: BUCKET });
    // Committed objects through both servers (above the 64 KiB inline limit: blob files) and an open multipart upload's part.
    const committed = new Map<string, Buffer>();
    for (const [i, c] of [ca, cb, ca].entries()) {
      const body = randomBytes(100_000 + i);
      await c.put(`committed-${i}.bin`, body);
      committed.set(`committed-${i}.bin`, body);
    }
    const partBody = randomBytes(150_000);
    const partFile = join(root, 'part.bin');
    await writeFile(partFile, partBody);
    const init = await cb.initMultipartUpload('multipart.bin');
    const part = await ca.uploadPart('multipart.bin', init.uploadId, 1, partFile, 0, partBody.length);
    // Everything stored so far is made old: only its references protect it now.
    const stored = await filesUnder(join(root, 'blobs'));
    assert.equal(stored.length, 4);
    await age(stored, 2 * HOUR);
    // Crash leftovers: old orphan blobs and an old temp file; and young ones another process may still be committing.
    const oldOrphans = await Promise.all([1, 2, 3].map(() => {
      const id = blobId();
      return plant(join(root, 'blobs', id.slice(0, 2), id), 2 * HOUR);
    }));
    const oldTemp = await plant(join(root, 'tmp', `${blobId()}.tmp`), 2 * HOUR);
    const youngId = blobId();
    const youngOrphan = await plant(join(root, 'blobs', youngId.slice(0, 2), youngId), 10 * 60 * 1000);
    const youngTemp = await plant(join(root, 'tmp', `${blobId()}.tmp`), 10 * 60 * 1000);

    // An upload in flight through B: its temp file exists, the body is not finished.
    const tmpBefore = new Set(await readdir(join(root, 'tmp')));
    const stream = new PassThrough();
    const inflightBody = randomBytes(600_000);
    stream.write(inflightBody.subarray(0, 300_000));
    const inflight = cb.putStream('inflight.bin', stream);
    let inflightTemp: string | undefined;
    for (let i = 0; i < 200 && inflightTemp === undefined; i++) {
      inflightTemp = (await readdir(join(root, 'tmp'))).find((n) => !tmpBefore.has(n));
      if (inflightTemp === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(inflightTemp, 'the upload in flight has a temp file');

    // A crashed process holds the lease: nobody collects, nothing is touched.
    const other = await PostgresMetadataStore.open({ url, durable: false });
    try {
      assert.equal(await other.tryLease(BLOB_GC_LEASE, 'crashed-process', 60 * 60_000), true);
      assert.deepEqual(await Promise.all([a.blobGc!.runOnce(), b.blobGc!.runOnce()]), [{ ran: false }, { ran: false }]);
      for (const p of [...oldOrphans, oldTemp]) assert.ok(existsSync(p), `${p} untouched while the lease is held elsewhere`);
      await other.releaseLease(BLOB_GC_LEASE, 'crashed-process');
    } finally {
      await other.close();
    }

    // Both servers try at once: whoever runs, the orphans are removed once in total.
    const runs = await Promise.all([a.blobGc!.runOnce(), b.blobGc!.runOnce()]);
    const ran = runs.filter((r) => r.ran);
    assert.ok(ran.length >= 1, JSON.stringify(runs));
    assert.equal(ran.reduce((n, r) => n + (r.ran ? r.orphanBlobs : 0), 0), 3, JSON.stringify(runs));
    assert.equal(ran.reduce((n, r) => n + (r.ran ? r.tempFiles : 0), 0), 1, JSON.stringify(runs));
    for (const p of [...oldOrphans, oldTemp]) assert.ok(!existsSync(p), `${p} collected`);
    for (const p of [...stored, youngOrphan, youngTemp, join(root, 'tmp', inflightTemp)]) assert.ok(existsSync(p), `${p} spared`);
    // A later run finds nothing more.
    assert.deepEqual(await b.blobGc!.runOnce(), { ran: true, tempFiles: 0, orphanBlobs: 0 });

    // The upload in flight finishes whole; committed objects and the part are intact, through both servers.
    stream.end(inflightBody.subarray(300_000));
    await inflight;
    for (const c of [ca, cb]) {
      assert.equal(md5((await c.get('inflight.bin')).content as Buffer), md5(inflightBody));
      for (const [key, body] of committed) assert.equal(md5((await c.get(key)).content as Buffer), md5(body), key);
    }
    await ca.completeMultipartUpload('multipart.bin', init.uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal(md5((await cb.get('multipart.bin')).content as Buffer), md5(partBody));
  });
});

describe('blob garbage collection by real bin/alunite processes', () => {
  it('two processes starting on one database and directory remove old orphans at start and keep committed blobs and young temp files', async () => {
    const url = await (await testPostgres()).freshUrl();
    const shared = await mkdtemp(join(tmpdir(), 'alunite-gc-'));
    const blobs = join(shared, 'blobs');
    const env = { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') };
    const args = (name: string, extra: string[]): string[] => ['--data', join(shared, name), '--meta', url, '--blobs', blobs, '--no-fsync', ...extra];
    const procs: SpawnedServer[] = [];
    const client = (p: SpawnedServer): OSS =>
      new OSS({ endpoint: p.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'gc-procs' } as OSS.Options);
    try {
      const first = await spawnServer(args('p0', ['--gc-interval', '0']), env);
      procs.push(first);
      await client(first).putBucket('gc-procs');
      const body = randomBytes(200_000);
      await client(first).put('kept.bin', body);
      await kill9(first.child);
      const stored = await filesUnder(join(blobs, 'blobs'));
      assert.equal(stored.length, 1);
      await age(stored, 3 * HOUR);
      const orphans = await Promise.all([1, 2].map(() => {
        const id = blobId();
        return plant(join(blobs, 'blobs', id.slice(0, 2), id), 3 * HOUR);
      }));
      const oldTemp = await plant(join(blobs, 'tmp', `${blobId()}.tmp`), 3 * HOUR);
      const youngTemp = await plant(join(blobs, 'tmp', `${blobId()}.tmp`), 60_000);

      procs.push(...(await Promise.all([spawnServer(args('p1', []), env), spawnServer(args('p2', ['--gc-grace', '7200']), env)])));
      // The start-up collection runs in the background: wait for the orphans to go.
      await eventually(() => ![...orphans, oldTemp].some((p) => existsSync(p)), 'the start-up collection removes the old orphans and temp file');
      for (const p of [...stored, youngTemp]) assert.ok(existsSync(p), `${p} spared`);
      for (const p of procs.slice(1)) assert.equal(md5((await client(p).get('kept.bin')).content as Buffer), md5(body));
    } finally {
      for (const p of procs) await kill9(p.child);
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('refuses a grace period under a minute and a negative interval, naming the flag or variable', async () => {
    await assert.rejects(spawnServer(['--in-memory', '--gc-grace', '5']), /--gc-grace.*must be a number of seconds >= 60/s);
    await assert.rejects(spawnServer(['--in-memory'], { ALUNITE_GC_INTERVAL: '-1' }), /ALUNITE_GC_INTERVAL="-1": must be a number of seconds >= 0/);
  });
});
