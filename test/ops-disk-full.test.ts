// A full data disk, for real: a small tmpfs filled by uploads (refused at the --min-free-space floor), then
// to the last byte by another file. Writes get 507 InsufficientStorage with nothing half-written; deletes
// still commit (the delete reserve), even after a restart on the full disk; once space is freed, writes
// work again. Needs root (mount); skipped with a message otherwise.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { BIN, kill9, spawnServer } from './helpers/spawn.js';

const MiB = 1024 * 1024;

/** Mounts a tmpfs of `size` bytes on a fresh directory, or returns why it cannot. */
async function mountTmpfs(size: number): Promise<{ dir: string } | { skip: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'alunite-fs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs (needs root and mount(8)): ${String((err as Error).message).split('\n')[0]}` };
  }
}

async function unmount(dir: string): Promise<void> {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function available(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Appends to `path` until the filesystem refuses another byte (like another program filling the disk). */
function fillUp(path: string): void {
  const fd = openSync(path, 'a');
  try {
    for (const size of [MiB, 64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function status(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
    return { status: 200, code: '', message: '' };
  } catch (err) {
    const e = err as { status?: number; code?: string; message?: string };
    return { status: e.status ?? 0, code: e.code ?? '', message: e.message ?? '' };
  }
}

describe('a full data disk', () => {
  let mount: { dir: string } | { skip: string } | undefined;
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    if (mount && 'dir' in mount) await unmount(mount.dir);
  });

  it('refuses writes below the floor, answers ENOSPC/SQLITE_FULL cleanly, and deletes always work', async (t) => {
    mount = await mountTmpfs(64 * MiB);
    if ('skip' in mount) return t.skip(mount.skip);
    const dataDir = join(mount.dir, 'data');
    const floor = { bytes: 16 * MiB };
    const start = async (minFreeSpace: { bytes: number }): Promise<TestServer> => {
      const s = await startTestServer({ dataDir, minFreeSpace });
      servers.push(s);
      return s;
    };
    const body = (i: number): Buffer => Buffer.alloc(MiB, i % 251);

    // 1. Uploads until the floor refuses them.
    let server = await start(floor);
    let client = server.client({ bucket: 'full' });
    await client.putBucket('full');
    const stored: string[] = [];
    let refused: { status: number; code: string; message: string } | null = null;
    for (let i = 0; i < 100 && !refused; i++) {
      const r = await status(client.put(`k${i}`, body(i)));
      if (r.status === 200) stored.push(`k${i}`);
      else refused = r;
    }
    assert.ok(refused, 'a 64 MiB disk cannot take 100 MiB');
    assert.equal(refused.status, 507);
    assert.equal(refused.code, 'InsufficientStorage');
    assert.match(refused.message, /free disk space/);
    assert.ok(stored.length >= 30, `stored ${stored.length} MiB before the floor`);
    // The floor held: not overshot by more than one upload.
    assert.ok((await available(mount.dir)) >= floor.bytes - MiB, `available ${await available(mount.dir)}`);
    assert.equal((await status(client.head(`k${stored.length}`))).status, 404, 'the refused upload left no object');
    await servers.pop()!.stop();

    // 2. Something else takes the rest of the disk, to the last byte.
    fillUp(join(mount.dir, 'filler'));
    assert.ok((await available(mount.dir)) < 4096);

    // 3. With the floor off, writes meet the full disk itself: 507, nothing half-written, no temp files.
    server = await start({ bytes: 0 });
    client = server.client({ bucket: 'full' });
    for (const [key, size] of [['big', MiB], ['small', 1000]] as const) {
      const r = await status(client.put(key, Buffer.alloc(size, 7)));
      assert.equal(r.status, 507, `${key}: ${r.code} ${r.message}`);
      assert.equal(r.code, 'InsufficientStorage');
      assert.match(r.message, /disk filled up/);
      assert.equal((await status(client.head(key))).status, 404);
    }
    assert.deepEqual(await readdir(join(dataDir, 'tmp')), []);
    await servers.pop()!.stop();

    // 4. Restarted on the full disk with the floor: deletes commit (the reserve gives the WAL room) and free space.
    server = await start(floor);
    client = server.client({ bucket: 'full' });
    const before = await available(mount.dir);
    await client.delete(stored[0]!);
    assert.equal((await status(client.head(stored[0]!))).status, 404);
    const batch = stored.slice(1, 11);
    const res = await client.deleteMulti(batch, { quiet: true });
    assert.equal(res.res.status, 200);
    for (const key of batch) assert.equal((await status(client.head(key))).status, 404);
    assert.ok((await available(mount.dir)) >= before + 10 * MiB, 'deleting 11 MiB of objects freed the space');
    // Still below the floor: writes are refused, not failed half-way.
    assert.equal((await status(client.put('again', body(1)))).code, 'InsufficientStorage');
    // So are metadata-only writes that grow storage, and multipart uploads.
    assert.equal((await status(client.putBucketACL('full', 'public-read'))).code, 'InsufficientStorage');
    assert.equal((await status(client.initMultipartUpload('mp'))).code, 'InsufficientStorage');

    // 5. Deleting the rest brings the space back above the floor: writes work again, the data intact.
    await client.deleteMulti(stored.slice(11), { quiet: true });
    await client.put('again', body(3));
    assert.deepEqual((await client.get('again')).content, body(3));
    assert.equal((await client.list({ 'max-keys': 100 }, {})).objects?.length, 1);
  });
});

describe('--min-free-space / ALUNITE_MIN_FREE_SPACE', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a floor above what the disk has free refuses writes end to end; reads and deletes still work', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alunite-floor-'));
    dirs.push(dataDir);
    const s = await statfs(dataDir);
    // A percentage just above the free share of this disk: every write must be refused.
    const freePercent = (100 * s.bavail) / s.blocks;
    if (freePercent >= 99) return t.skip('the temp disk is more than 99% free: no floor percentage above it');
    const floor = `${Math.min(99, Math.ceil(freePercent) + 1)}%`;
    const first = await spawnServer(['--data', dataDir, '--min-free-space', '0']);
    const client = (url: string): OSS => new OSS({ endpoint: url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'floor' });
    try {
      await client(first.url).putBucket('floor');
      await client(first.url).put('kept', Buffer.from('kept'));
    } finally {
      await kill9(first.child);
    }
    const server = await spawnServer(['--data', dataDir], { ALUNITE_MIN_FREE_SPACE: floor });
    try {
      const c = client(server.url);
      const r = await status(c.put('new', Buffer.from('x')));
      assert.equal(r.status, 507, r.message);
      assert.equal(r.code, 'InsufficientStorage');
      assert.equal((await c.get('kept')).content.toString(), 'kept');
      await c.delete('kept');
      assert.equal((await status(c.head('kept'))).status, 404);
      assert.match(server.stderr(), /refusing writes: free disk space below --min-free-space/);
    } finally {
      await kill9(server.child);
    }
  });

  it('a bad size is refused at start, naming the flag or the variable', () => {
    const run = (args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } => {
      const r = spawnSync(process.execPath, [BIN, 'server', '--port', '0', '--in-memory', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
      return { status: r.status, stderr: r.stderr };
    };
    let r = run(['--min-free-space', '12XB']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--min-free-space.*"12XB" is not a size/);
    r = run(['--min-free-space', '100%']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /below 100%/);
    r = run([], { ALUNITE_MIN_FREE_SPACE: 'lots' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^error: ALUNITE_MIN_FREE_SPACE="lots": "lots" is not a size/m);
  });
});
