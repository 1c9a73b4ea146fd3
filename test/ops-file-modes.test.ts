// The data directory is private to the server's user whatever the umask: directories 0700, files 0600
// (small objects live in metadata.sqlite and its WAL, larger ones in blob files, secrets in master.key),
// and looser modes left by older releases are tightened at start. A data directory that cannot be
// written stops start-up with one line naming it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startTestServer } from './helpers/server.js';
import { BIN } from './helpers/spawn.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'alunite-modes-'));
  dirs.push(d);
  return d;
}

const mode = async (p: string): Promise<string> => ((await stat(p)).mode & 0o777).toString(8).padStart(4, '0');

/** Modes of everything the server keeps in `dataDir`, by relative path (blob files and their folders collapsed). */
async function modes(dataDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = { '.': await mode(dataDir) };
  for (const name of await readdir(dataDir)) out[name] = await mode(join(dataDir, name));
  for (const sub of await readdir(join(dataDir, 'blobs'))) {
    out['blobs/<xx>'] = await mode(join(dataDir, 'blobs', sub));
    for (const f of await readdir(join(dataDir, 'blobs', sub))) out['blobs/<xx>/<blob>'] = await mode(join(dataDir, 'blobs', sub, f));
  }
  return out;
}

const PRIVATE = {
  '.': '0700',
  'master.key': '0600',
  'callback-key.pem': '0600',
  'metadata.sqlite': '0600',
  'metadata.sqlite-wal': '0600',
  'reserve.space': '0600',
  blobs: '0700',
  'blobs/<xx>': '0700',
  'blobs/<xx>/<blob>': '0600',
  tmp: '0700',
};

describe('file modes of the data directory', () => {
  it('creates directories 0700 and files 0600 even with umask 0', async () => {
    const dataDir = join(await fresh(), 'data');
    const old = process.umask(0);
    try {
      const server = await startTestServer({ dataDir, minFreeSpace: { bytes: 4 * 1024 * 1024 } });
      try {
        const client = server.client({ bucket: 'modes' });
        await client.putBucket('modes');
        await client.put('small', Buffer.from('inline bytes live in metadata.sqlite'));
        await client.put('large', Buffer.alloc(200 * 1024, 1));
        assert.deepEqual(await modes(dataDir), PRIVATE);
      } finally {
        await server.stop();
      }
    } finally {
      process.umask(old);
    }
  });

  it('tightens looser modes left by an older release at start', async () => {
    const dataDir = join(await fresh(), 'data');
    let server = await startTestServer({ dataDir, minFreeSpace: { bytes: 4 * 1024 * 1024 } });
    const client = server.client({ bucket: 'modes' });
    await client.putBucket('modes');
    await client.put('large', Buffer.alloc(200 * 1024, 1));
    // A refusal (an anonymous read of a private bucket), so the stop keeps one in kept-refusals.jsonl.
    assert.equal((await fetch(`${server.url}/modes/large`, { headers: { host: new URL(server.url).host } })).status, 403);
    await server.stop();
    await writeFile(join(dataDir, 'metadata.sqlite-wal'), '');
    await writeFile(join(dataDir, 'master.key.previous'), `${Buffer.alloc(32, 9).toString('base64')}\n`);
    for (const [p, m] of Object.entries({ '.': 0o755, 'master.key': 0o644, 'callback-key.pem': 0o644, 'master.key.previous': 0o644, 'metadata.sqlite': 0o644, 'metadata.sqlite-wal': 0o666, 'kept-refusals.jsonl': 0o644, blobs: 0o755, tmp: 0o777 })) {
      await chmod(join(dataDir, p), m);
    }
    for (const sub of await readdir(join(dataDir, 'blobs'))) await chmod(join(dataDir, 'blobs', sub), 0o755);
    server = await startTestServer({ dataDir, minFreeSpace: { bytes: 4 * 1024 * 1024 } });
    try {
      assert.deepEqual(await modes(dataDir), { ...PRIVATE, 'master.key.previous': '0600', 'kept-refusals.jsonl': '0600' });
      assert.equal((await server.client({ bucket: 'modes' }).get('large')).content.length, 200 * 1024);
    } finally {
      await server.stop();
    }
  });
});

/** Runs `alunite server` to its exit; it must not start. */
function startFails(dataDir: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--data', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('a data directory that cannot be written', () => {
  it('names the path when a parent is a file', async () => {
    const base = await fresh();
    await writeFile(join(base, 'file'), 'x');
    const dataDir = join(base, 'file', 'data');
    const r = await startFails(dataDir);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /listening/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`the directory ${dataDir.replace(/[/.]/g, '\\$&')} is not writable: a parent is not a directory \\(ENOTDIR\\)`));
  });

  it('names the path on a read-only filesystem, existing or to be created (root: a read-only tmpfs)', async (t) => {
    const mnt = await fresh();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (err) {
      return t.skip(`cannot mount a tmpfs (needs root and mount(8)): ${String((err as Error).message).split('\n')[0]}`);
    }
    try {
      await mkdir(join(mnt, 'data'));
      execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'pipe' });
      for (const dataDir of [join(mnt, 'data'), join(mnt, 'new', 'data')]) {
        const r = await startFails(dataDir);
        assert.notEqual(r.code, 0);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, /is not writable: the filesystem is read-only \(EROFS\)/);
        assert.ok(r.stderr.includes(dataDir) || r.stderr.includes(join(mnt, 'new')), r.stderr);
        assert.doesNotMatch(r.stderr, /disk I\/O error|ENOENT/);
      }
    } finally {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    }
  });
});
