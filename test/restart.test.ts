// Crash safety: data written, server killed with SIGKILL (also mid-upload), restarted on the same
// --data: everything acknowledged is there, nothing partial is visible, leftovers are collected.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer } from './helpers/spawn.js';
import { signV1, stringToSignV1 } from '../src/auth/signature/v1.js';
import { LIMITS } from '../src/domain/context.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function client(url: string): OSS {
  return new OSS({ endpoint: url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'crash' });
}

async function blobFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of await readdir(dir)) out.push(...(await readdir(join(dir, sub))));
  return out;
}

/** Starts a signed PUT that sends `sent` bytes of a declared `declared`-byte body and never finishes. */
function hangingPut(port: number, key: string, declared: number, sent: Buffer): Promise<void> {
  const date = new Date().toUTCString();
  const headers: Record<string, string> = {
    host: 'crash.oss-cn-hangzhou.aliyuncs.com',
    'x-oss-date': date,
    'content-type': 'application/octet-stream',
    'content-length': String(declared),
  };
  const sts = stringToSignV1({ method: 'PUT', bucket: 'crash', key, query: [], headers }, date, false);
  headers.authorization = `OSS ${AK}:${signV1(SECRET, sts)}`;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: `/${encodeURIComponent(key)}`, headers });
    req.on('error', () => resolve());
    req.write(sent, () => setTimeout(resolve, 300));
  });
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('restart after SIGKILL', () => {
  it('keeps every acknowledged write and shows nothing partial', async () => {
    const data = await mkdtemp(join(tmpdir(), 'alunite-crash-'));
    dirs.push(data);
    let srv = await spawnServer(['--data', data]);
    let oss = client(srv.url);
    await oss.putBucket('crash');

    const objects = new Map<string, Buffer>();
    for (let i = 0; i < 20; i++) {
      const body = randomBytes(1000 + i * 5000);
      const key = `dir/obj-${i}.bin`;
      await oss.put(key, body);
      objects.set(key, body);
    }
    const victimV1 = randomBytes(50_000);
    await oss.put('victim.bin', victimV1);
    await oss.append('log.txt', Buffer.from('one,'));
    await oss.append('log.txt', Buffer.from('two,'), { position: '4' });
    const mp = await oss.initMultipartUpload('mp.bin');
    const part1 = randomBytes(200 * 1024);
    const p1 = await oss.uploadPart('mp.bin', mp.uploadId, 1, part1, 0, part1.length);

    // Kill while an overwrite of victim.bin and a new object are streaming in.
    await hangingPut(srv.port, 'victim.bin', 10_000_000, randomBytes(3_000_000));
    await hangingPut(srv.port, 'never.bin', 10_000_000, randomBytes(1_000_000));
    await kill9(srv.child);

    srv = await spawnServer(['--data', data]);
    oss = client(srv.url);
    try {
      for (const [key, body] of objects) {
        const got = await oss.get(key);
        assert.equal(sha(got.content as Buffer), sha(body), key);
      }
      assert.equal(sha((await oss.get('victim.bin')).content as Buffer), sha(victimV1), 'old version intact');
      await assert.rejects(oss.head('never.bin'), (e: { status?: number }) => e.status === 404);
      assert.equal(((await oss.get('log.txt')).content as Buffer).toString(), 'one,two,');
      const parts = await oss.listParts('mp.bin', mp.uploadId);
      // ali-oss passes <Part> through unparsed: an object for one part, an array for several.
      const partList = ([] as unknown[]).concat(parts.parts);
      assert.equal(partList.length, 1);
      const done = await oss.completeMultipartUpload('mp.bin', mp.uploadId, [{ number: 1, etag: p1.etag }]);
      assert.equal(done.res.status, 200);
      assert.equal(sha((await oss.get('mp.bin')).content as Buffer), sha(part1));

      // Leftovers of the killed uploads are gone: no temp files, and every blob file is referenced
      // (read the database once the server is gone: it holds the file exclusively).
      assert.deepEqual(await readdir(join(data, 'tmp')), []);
      await kill9(srv.child);
      const store = new SqliteMetadataStore({ path: join(data, 'metadata.sqlite') });
      const referenced = await store.referencedBlobIds();
      await store.close();
      assert.deepEqual(new Set(await blobFiles(join(data, 'blobs'))), referenced);
      // Objects above the inline threshold are blobs; small ones are inline. log.txt's two small appends are one blob
      // (the second merged with the first, domain/append-merge.ts), and the first's file is gone (the set above).
      const large = [...objects.values()].filter((b) => b.length > LIMITS.inlineMaxSize).length;
      assert.equal(referenced.size, large + 1 /* log.txt */ + 1 /* mp.bin */);
    } finally {
      await kill9(srv.child);
    }
  });
});
