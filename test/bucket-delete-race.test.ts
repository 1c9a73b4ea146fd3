// DeleteBucket racing writes into the same bucket: an object or multipart upload must never survive in a
// deleted bucket. The domain checks the bucket before the body arrives; the store checks it again inside
// the write's transaction (SQLite: its write transaction; PostgreSQL: the bucket row share-locked against
// DeleteBucket's FOR UPDATE), on one server and on two servers sharing one PostgreSQL database.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { expectOssError } from './helpers/oss.js';
import { startSharedServers, startTestServer, type TestServer } from './helpers/server.js';

/** Starts a PUT whose body is half sent, and resolves once the server is writing its temp file. */
async function halfSentPut(c: OSS, key: string, tmpDir: string): Promise<{ finish(): Promise<unknown> }> {
  const before = new Set(await readdir(tmpDir));
  const stream = new PassThrough();
  const body = randomBytes(400_000);
  stream.write(body.subarray(0, 200_000));
  const put = c.putStream(key, stream);
  put.catch(() => undefined); // observed by finish()
  for (let i = 0; i < 400; i++) {
    if ((await readdir(tmpDir)).some((n) => !before.has(n))) {
      return {
        finish() {
          stream.end(body.subarray(200_000));
          return put;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the PUT never reached the blob store');
}

/** Objects and uploads the store still holds in buckets of `names` that no longer exist. */
async function orphans(srv: TestServer, names: string[]): Promise<number> {
  const existing = new Set((await srv.meta.listBuckets({ prefix: 'race', limit: 1000 })).map((b) => b.name));
  let n = 0;
  for (const name of names.filter((x) => !existing.has(x))) {
    n += (await srv.meta.listObjects(name, { prefix: '', limit: 10 })).length;
    n += (await srv.meta.listUploads(name, { prefix: '', limit: 10 })).length;
  }
  return n;
}

/** Shared cases: `writer` and `deleter` are two servers (or the same one). */
function raceCases(servers: () => { writer: TestServer; deleter: TestServer }): void {
  const created: string[] = [];
  it('a DeleteBucket committed while a PUT body is still arriving: the PUT fails NoSuchBucket and leaves no object, no blob', async () => {
    const { writer, deleter } = servers();
    const name = `race-put-${randomBytes(3).toString('hex')}`;
    await writer.client().putBucket(name);
    created.push(name);
    const put = await halfSentPut(writer.client({ bucket: name }), 'late.bin', join(writer.dataDir, 'tmp'));
    await deleter.client().deleteBucket(name); // empty so far: deleted
    await expectOssError(put.finish(), 'NoSuchBucket', 404);
    await expectOssError(deleter.client().getBucketInfo(name), 'NoSuchBucket', 404);
    await expectOssError(writer.client().getBucketInfo(name), 'NoSuchBucket', 404);
    assert.equal(await orphans(writer, created), 0);
    // The fresh blob was dropped with the failed write; no temp file is left either.
    assert.deepEqual(await readdir(join(writer.dataDir, 'tmp')), []);
    const blobFiles = (await readdir(join(writer.dataDir, 'blobs'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const referenced = await writer.meta.referencedBlobIds();
    assert.deepEqual(blobFiles.map((e) => e.name).filter((n) => !referenced.has(n)), []);
  });

  it('DeleteBucket racing PUTs and InitiateMultipartUpload, 15 rounds: a write acknowledged means the delete failed BucketNotEmpty, and nothing outlives its bucket', async () => {
    const { writer, deleter } = servers();
    for (let round = 0; round < 15; round++) {
      const name = `race-${round}-${randomBytes(3).toString('hex')}`;
      await writer.client().putBucket(name);
      created.push(name);
      const w = writer.client({ bucket: name });
      const [put, init, del] = await Promise.allSettled([
        w.put(`k${round}`, randomBytes(round % 2 === 0 ? 100 : 100_000)),
        w.initMultipartUpload(`m${round}`),
        deleter.client().deleteBucket(name),
      ]);
      const code = (r: PromiseSettledResult<unknown>): string => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code);
      const outcome = `put ${code(put)}, init ${code(init)}, delete ${code(del)}`;
      if (del.status === 'fulfilled') {
        assert.equal(code(put), 'NoSuchBucket', outcome);
        assert.equal(code(init), 'NoSuchBucket', outcome);
        await expectOssError(writer.client().getBucketInfo(name), 'NoSuchBucket', 404);
      } else {
        assert.equal(code(del), 'BucketNotEmpty', outcome);
        assert.ok(put.status === 'fulfilled' || init.status === 'fulfilled', outcome);
        for (const r of [put, init]) assert.ok(['ok', 'NoSuchBucket'].includes(code(r)), outcome);
      }
    }
    assert.equal(await orphans(writer, created), 0);
  });

  it('a DeleteObject whose bucket is deleted between its authorization and the store\'s delete: 404 NoSuchBucket, not 204', async () => {
    const { writer, deleter } = servers();
    for (const versioned of [false, true]) {
      const name = `race-del-${randomBytes(3).toString('hex')}`;
      await writer.client().putBucket(name);
      if (versioned) await (writer.client() as OSS & { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning(name, 'Enabled');
      // The race made deterministic: the writer's store deletes, as its first act, through the other server's DeleteBucket.
      const meta = writer.meta;
      const removeObject = meta.removeObject.bind(meta);
      let raced = 0;
      meta.removeObject = async (...args: Parameters<typeof meta.removeObject>) => {
        if (args[0] === name) {
          raced++;
          await deleter.client().deleteBucket(name);
        }
        return removeObject(...args);
      };
      try {
        await expectOssError(writer.client({ bucket: name }).delete('never-written.txt'), 'NoSuchBucket', 404);
      } finally {
        delete (meta as { removeObject?: unknown }).removeObject; // the prototype's again
      }
      assert.equal(raced, 1, versioned ? 'versioned' : 'unversioned');
      await expectOssError(writer.client().getBucketInfo(name), 'NoSuchBucket', 404);
      // The store's transaction path (a version named, or a removal guard) answers the same.
      await assert.rejects(writer.meta.removeObject(name, 'k', Date.now(), 'null'), { code: 'NoSuchBucket' });
      await assert.rejects(writer.meta.removeObject(name, 'k', Date.now(), undefined, () => undefined), { code: 'NoSuchBucket' });
    }
  });
}

describe('DeleteBucket racing writes: SQLite (one process)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ meta: 'sqlite' });
  });
  after(async () => s?.stop());
  raceCases(() => ({
    writer: s,
    deleter: s,
  }));
});

describe('DeleteBucket racing writes: two servers on one PostgreSQL database', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    ({ a, b } = await startSharedServers());
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });
  raceCases(() => ({
    writer: a,
    deleter: b,
  }));
});
