// AppendObject's small-append merge (domain/append-merge.ts) replaces an Appendable object's last small segment with a
// new blob and removes the old one right after its commit. A reader that read the object's record before that commit
// and opens the segment after it finds the file gone: a GET served by another process on the same blob directory
// (PostgreSQL), or, in one process, CopyObject, UploadPartCopy and the other readers that await between reading the
// record and opening its files. Such a read now takes the bytes from the segment of the same origin in the record
// read again (BlobRange.relocate), so it gets the bytes of the record it read, whole.
//
// The window is made deterministic by a hook in the test only: the next read of the object's record is answered
// with the record as read, after an append through the (other) server has merged its last segment and removed it.
// Run with ALUNITE_TEST_META=postgres for PostgreSQL (the two-server cases need it and are skipped on SQLite).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { rawBucketRequest } from './helpers/oss.js';
import { startSharedServers, startTestServer, type TestServer } from './helpers/server.js';
import { SMALL_APPEND } from '../src/domain/append-merge.js';
import type { ObjectRecord } from '../src/domain/model.js';

const onPostgres = process.env.ALUNITE_TEST_META === 'postgres';
const SSE_RULE = '<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>';

/**
 * Makes the next read of `bucket`/`key`'s record through `reader` (its metadata store's getObject) return the record
 * as read, but only after `meanwhile` ran: the window between a reader's record and its open of the files.
 */
function staleNextRead(reader: TestServer, bucket: string, key: string, meanwhile: () => Promise<void>, nth = 1): { fired: () => boolean; reads: () => number; restore: () => void } {
  const meta = reader.meta;
  const original = meta.getObject;
  const cached = meta.cachedObject;
  let fired = false;
  let reads = 0;
  // The record a store holds in memory (SQLite) is answered without getObject: not this one until the hook ran.
  if (cached !== undefined) meta.cachedObject = (b, k) => (!fired && b === bucket && k === key ? undefined : cached.call(meta, b, k));
  meta.getObject = async function (this: typeof meta, b: string, k: string): Promise<ObjectRecord | null> {
    const rec = await original.call(this, b, k);
    if (!fired && b === bucket && k === key && ++reads === nth) {
      fired = true;
      await meanwhile();
    }
    return rec;
  };
  return {
    fired: () => fired,
    reads: () => reads,
    restore: () => {
      meta.getObject = original;
      if (cached !== undefined) meta.cachedObject = cached;
    },
  };
}

/** Writes `parts` as appends (each its own AppendObject); answers the bytes. */
async function appendAll(client: OSS, key: string, parts: Buffer[], from = 0): Promise<Buffer> {
  let pos = from;
  for (const p of parts) {
    await client.append(key, p, { position: String(pos) });
    pos += p.length;
  }
  return Buffer.concat(parts);
}

/** Every blob the server's store holds. */
async function storedBlobs(srv: TestServer): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const id of srv.blobs.list()) ids.add(id);
  return ids;
}

/**
 * The cases, for a reader server and a writer server (the same one, or two on one database and blob directory).
 * `pair` is called in `before`.
 */
function readerCases(title: string, pair: () => Promise<{ reader: TestServer; writer: TestServer; stop(): Promise<void> }>, skip: boolean): void {
  describe(title, { skip }, () => {
    let reader: TestServer;
    let writer: TestServer;
    let stop: () => Promise<void>;
    const plain = 'merge-shared';
    const sealed = 'merge-shared-sse';
    before(async () => {
      ({ reader, writer, stop } = await pair());
      for (const b of [plain, sealed]) await reader.client().putBucket(b);
      await rawBucketRequest(reader.client({ bucket: sealed }), 'PUT', sealed, 'encryption', SSE_RULE);
    });
    after(async () => {
      await stop?.();
    });

    /**
     * An object of a large first segment and a small last one; `read` reads it (the record read first, then a
     * small append through the writer merges and removes the last segment); answers the bytes before the append.
     */
    async function withMergeInWindow(bucket: string, key: string, read: () => Promise<void>): Promise<{ before: Buffer; after: Buffer }> {
      const w = writer.client({ bucket });
      // How many times the reader reads the record: the last read is the one its bytes are opened from.
      await appendAll(w, key, [randomBytes(10)]);
      const count = staleNextRead(reader, bucket, key, async () => undefined, Infinity);
      try {
        await read();
      } finally {
        count.restore();
      }
      await w.delete(key);
      const before = await appendAll(w, key, [randomBytes(SMALL_APPEND + 1000), randomBytes(700), randomBytes(9)]);
      const last = (await writer.meta.getObject(bucket, key))!.segments.at(-1)!;
      const tail = randomBytes(33);
      const hook = staleNextRead(reader, bucket, key, async () => {
        await w.append(key, tail, { position: String(before.length) });
      }, count.reads());
      try {
        await read();
      } finally {
        hook.restore();
      }
      assert.ok(hook.fired(), 'the reader read the record through the hook');
      // The merge happened: the record's last segment is a new blob and the one the reader's record names is gone.
      const now = (await writer.meta.getObject(bucket, key))!;
      assert.equal(now.segments.length, 2);
      assert.notEqual(now.segments[1]!.blobId, last.blobId);
      assert.equal((await storedBlobs(writer)).has(last.blobId), false, 'the replaced segment was removed');
      return { before, after: Buffer.concat([before, tail]) };
    }

    for (const bucket of [plain, sealed]) {
      it(`${bucket}: a GET gets the whole object of the record it read, though a merge removed its last segment`, async () => {
        const got: { body?: Buffer } = {};
        const { before, after } = await withMergeInWindow(bucket, 'get.log', async () => {
          got.body = (await reader.client({ bucket }).get('get.log')).content as Buffer;
        });
        assert.equal(got.body?.length, before.length, 'was: the GET failed (ENOENT) or ended short');
        assert.ok(got.body.equals(before));
        // The object reads whole, the append included, through both servers.
        for (const srv of [reader, writer]) assert.ok(((await srv.client({ bucket }).get('get.log')).content as Buffer).equals(after));
      });

      it(`${bucket}: a range GET of the last bytes reads them from the merged segment`, async () => {
        const got: { body?: Buffer } = {};
        const { before } = await withMergeInWindow(bucket, 'range.log', async () => {
          got.body = (await reader.client({ bucket }).get('range.log', undefined, { headers: { Range: 'bytes=-5' } })).content as Buffer;
        });
        assert.ok(got.body?.equals(before.subarray(before.length - 5)));
      });

      it(`${bucket}: CopyObject copies the object it read`, async () => {
        const { before } = await withMergeInWindow(bucket, 'copy.log', async () => {
          await reader.client({ bucket }).copy('copied.log', 'copy.log');
        });
        const copied = (await reader.client({ bucket }).get('copied.log')).content as Buffer;
        assert.equal(copied.length, before.length);
        assert.ok(copied.equals(before), 'was: the copy failed (the source\'s last segment gone)');
      });
    }

    it('a reader never takes another object\'s bytes: the object deleted and written again in the window fails the read', async () => {
      const bucket = plain;
      const key = 'rewritten.log';
      const w = writer.client({ bucket });
      const first = await appendAll(w, key, [randomBytes(20)]);
      const hook = staleNextRead(reader, bucket, key, async () => {
        await w.delete(key);
        await appendAll(w, key, [randomBytes(20), randomBytes(20)]);
      });
      let body: Buffer | null = null;
      try {
        body = (await reader.client({ bucket }).get(key)).content as Buffer;
      } catch {
        // The read fails, as it did before merges: its object is gone.
      } finally {
        hook.restore();
      }
      assert.ok(hook.fired());
      assert.ok(body === null || body.equals(first), 'the GET served bytes of the object it did not read');
    });
  });
}

readerCases('append merge: a reader in the same process', async () => {
  const srv = await startTestServer();
  return { reader: srv, writer: srv, stop: () => srv.stop() };
}, false);

readerCases('append merge: a reader in another process on one database and blob directory', async () => {
  const { a, b } = await startSharedServers();
  return { reader: a, writer: b, stop: async () => { await b.stop(); await a.stop(); } };
}, !onPostgres);

describe('append merge on a blob store in memory', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ inMemory: true, meta: undefined });
    await srv.client().putBucket('merge-memory');
  });
  after(async () => {
    await srv?.stop();
  });

  it('a GET gets the object of the record it read', async () => {
    const w = srv.client({ bucket: 'merge-memory' });
    const before = await appendAll(w, 'm.log', [randomBytes(SMALL_APPEND), randomBytes(3), randomBytes(4)]);
    const hook = staleNextRead(srv, 'merge-memory', 'm.log', async () => {
      await w.append('m.log', randomBytes(5), { position: String(before.length) });
    });
    let body: Buffer;
    try {
      body = (await w.get('m.log')).content as Buffer;
    } finally {
      hook.restore();
    }
    assert.ok(hook.fired());
    assert.ok(body.equals(before));
  });
});
