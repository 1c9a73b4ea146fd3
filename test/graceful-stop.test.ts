// A graceful stop (SIGTERM) during uploads: the stop closes the connections, and the uploads it cut must clean up
// after themselves before the process exits (temp file removed, nothing stored), instead of leaving their files
// for the next start's collection (with PostgreSQL, for the grace period: an hour by default).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OSS from 'ali-oss';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer } from './helpers/spawn.js';
import { eventually } from './helpers/eventually.js';

async function blobCount(dir: string): Promise<number> {
  let n = 0;
  for (const shard of await readdir(join(dir, 'blobs'))) n += (await readdir(join(dir, 'blobs', shard))).length;
  return n;
}

describe('a graceful stop during uploads', () => {
  it('the uploads it cuts remove their temp files before the process exits; stored objects stay', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-graceful-'));
    const sockets: Socket[] = [];
    const srv = await spawnServer(['--data', dir, '--min-free-space', '0']);
    try {
      const base = { region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'graceful', timeout: 120_000 };
      const client = new OSS({ ...base, endpoint: srv.url } as OSS.Options);
      const pathClient = new OSS({ ...base, endpoint: `http://localhost:${srv.port}`, sldEnable: true } as OSS.Options);
      await client.putBucket('graceful');
      await client.put('kept', Buffer.alloc(300_000, 7));
      assert.equal(await blobCount(dir), 1);
      // Uploads that stop sending halfway (large bodies, the off-loop path, and small ones, on the loop).
      for (const [i, size] of [8 << 20, 8 << 20, 1 << 20, 100_000].entries()) {
        const url = new URL(pathClient.signatureUrl(`cut-${i}`, { method: 'PUT', expires: 3600 }));
        const socket = connect(srv.port, '127.0.0.1');
        socket.on('error', () => undefined);
        sockets.push(socket);
        socket.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: localhost:${srv.port}\r\nContent-Length: ${size}\r\nContent-Type: \r\n\r\n`);
        socket.write(Buffer.alloc(Math.floor(size / 2), 1));
      }
      // Each has its temp file open (the small one's bytes may still be in memory, with no file yet).
      await eventually(async () => (await readdir(join(dir, 'tmp'))).length >= 3, 'the uploads\' temp files', 60_000);
      const exited = new Promise<number | null>((resolve) => srv.child.once('exit', (code) => resolve(code)));
      srv.child.kill('SIGTERM');
      assert.equal(await exited, 0);
      // It says it is stopping, then that it stopped (a user who pressed Ctrl-C is not left with a silent terminal).
      assert.match(srv.stdout(), /alunite: SIGTERM, stopping \(in-flight requests are cut; SIGINT exits at once\)\n(.|\n)*alunite stopped\n$/);
      assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'temp files of the cut uploads');
      assert.equal(await blobCount(dir), 1, 'only the stored object keeps a blob file');
      // The next start finds nothing to collect, and the stored object is whole.
      const again = await spawnServer(['--data', dir, '--min-free-space', '0', '--log-level', 'info']);
      try {
        assert.doesNotMatch(again.stderr(), /removed crash leftovers/);
        const c2 = new OSS({ ...base, endpoint: again.url } as OSS.Options);
        assert.deepEqual((await c2.get('kept')).content, Buffer.alloc(300_000, 7));
        assert.equal(await c2.get('cut-0').then(() => 200, (e: { status: number }) => e.status), 404);
      } finally {
        await kill9(again.child);
      }
    } finally {
      for (const s of sockets) s.destroy();
      await kill9(srv.child);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C says that it is stopping, then that it stopped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-graceful-'));
    const srv = await spawnServer(['--data', dir, '--min-free-space', '0']);
    try {
      const exited = new Promise<number | null>((resolve) => srv.child.once('exit', (code) => resolve(code)));
      srv.child.kill('SIGINT');
      assert.equal(await exited, 0);
      assert.match(srv.stdout(), /alunite: SIGINT, stopping \(in-flight requests are cut; Ctrl-C again exits at once\)\nalunite stopped\n$/);
    } finally {
      await kill9(srv.child);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
