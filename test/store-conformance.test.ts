// One conformance suite for every store implementation: each MetadataStore and BlobStore must pass
// the same cases. New engines (PostgreSQL) add a factory to the lists below.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { Bucket, ObjectRecord, PartRecord, UploadRecord } from '../src/domain/model.js';
import { AppError } from '../src/errors.js';
import { FsBlobStore } from '../src/store/blob/fs.js';
import { MemoryBlobStore } from '../src/store/blob/memory.js';
import type { BlobStore } from '../src/store/blob/types.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite.js';
import type { MetadataStore } from '../src/store/meta/types.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'alunite-store-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const metaFactories: Array<[string, () => Promise<MetadataStore>]> = [
  ['sqlite file', async () => new SqliteMetadataStore({ path: join(await tempDir(), 'm.sqlite') })],
  ['sqlite in-memory', async () => new SqliteMetadataStore({ path: ':memory:' })],
];

const blobFactories: Array<[string, () => Promise<BlobStore>]> = [
  ['filesystem', async () => FsBlobStore.open({ root: await tempDir() })],
  ['memory', async () => new MemoryBlobStore()],
];

function bucket(name: string, owner = '1234567890123456'): Bucket {
  return {
    name, ownerAccountId: owner, createdAt: 1_700_000_000_000, region: 'cn-hangzhou', acl: 'private',
    storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null,
  };
}

function object(b: string, key: string, blobId = `${'0'.repeat(31)}1`, size = 3): ObjectRecord {
  return {
    bucket: b, key, size, etag: 'ABC', crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard',
    acl: 'default', lastModified: 1_700_000_000_000, headers: { contentType: 'text/plain' }, userMeta: { a: 'é' },
    tags: [['k', 'v']], segments: [{ blobId, size }], inline: null, symlinkTarget: null,
  };
}

function upload(b: string, key: string, uploadId: string): UploadRecord {
  return {
    uploadId, bucket: b, key, initiated: 1_700_000_000_000, headers: { contentType: 'x/y' }, userMeta: {}, tags: [],
    acl: 'default', storageClass: 'Standard',
  };
}

function part(uploadId: string, n: number, blobId: string): PartRecord {
  return { uploadId, partNumber: n, size: 5, etag: 'E'.repeat(32), crc64: '1', blobId, lastModified: 1 };
}

const blobId = (n: number): string => n.toString(16).padStart(32, '0');

for (const [name, make] of metaFactories) {
  describe(`MetadataStore conformance: ${name}`, () => {
    it('creates, reads, lists, updates and deletes buckets', async () => {
      const s = await make();
      assert.equal(await s.createBucket(bucket('b1')), 'created');
      assert.equal(await s.createBucket(bucket('b1')), 'exists');
      await s.createBucket(bucket('b2'));
      await s.createBucket(bucket('c3', '9999999999999999'));
      assert.deepEqual((await s.getBucket('b1'))?.name, 'b1');
      assert.equal(await s.getBucket('nope'), null);
      assert.deepEqual((await s.listBuckets({ prefix: 'b', limit: 10 })).map((b) => b.name), ['b1', 'b2']);
      assert.deepEqual((await s.listBuckets({ prefix: '', after: 'b1', limit: 1 })).map((b) => b.name), ['b2']);
      assert.equal(await s.countBuckets('1234567890123456'), 2);
      const updated = await s.updateBucket('b1', { acl: 'public-read', policy: '{"Statement":[]}', cors: { rules: [], responseVary: true } });
      assert.equal(updated?.acl, 'public-read');
      assert.equal(updated?.policy, '{"Statement":[]}');
      assert.deepEqual(updated?.cors, { rules: [], responseVary: true });
      assert.equal(await s.deleteBucket('b2'), 'deleted');
      assert.equal(await s.deleteBucket('b2'), 'missing');
      await s.close();
    });

    it('refuses to delete a bucket with objects or multipart uploads', async () => {
      const s = await make();
      await s.createBucket(bucket('b1'));
      await s.putObject('b1', 'k', () => object('b1', 'k'));
      assert.equal(await s.deleteBucket('b1'), 'not-empty');
      await s.deleteObject('b1', 'k');
      await s.createUpload(upload('b1', 'k', 'U1'));
      assert.equal(await s.deleteBucket('b1'), 'not-empty');
      await s.abortUpload('U1');
      assert.equal(await s.deleteBucket('b1'), 'deleted');
      await s.close();
    });

    it('round-trips every object field and decides writes atomically', async () => {
      const s = await make();
      await s.createBucket(bucket('b1'));
      const first = await s.putObject('b1', 'k', (cur) => {
        assert.equal(cur, null);
        return object('b1', 'k');
      });
      assert.equal(first.replaced, null);
      assert.deepEqual(await s.getObject('b1', 'k'), object('b1', 'k'));
      const second = await s.putObject('b1', 'k', (cur) => ({ ...cur!, size: 9, etag: 'DEF' }));
      assert.equal(second.replaced?.etag, 'ABC');
      assert.equal((await s.getObject('b1', 'k'))?.etag, 'DEF');
      // A decider that throws leaves the stored object untouched.
      await assert.rejects(
        s.putObject('b1', 'k', () => {
          throw new AppError('FileAlreadyExists');
        }),
        (e: unknown) => e instanceof AppError && e.code === 'FileAlreadyExists',
      );
      assert.equal((await s.getObject('b1', 'k'))?.etag, 'DEF');
      const small = await s.putObject('b1', 'small', () => ({ ...object('b1', 'small'), segments: [], inline: Buffer.from('abc') }));
      assert.deepEqual((await s.getObject('b1', 'small'))?.inline, Buffer.from('abc'));
      assert.deepEqual(small.record.segments, []);
      assert.equal((await s.deleteObject('b1', 'k'))?.etag, 'DEF');
      assert.equal(await s.deleteObject('b1', 'k'), null);
      await s.close();
    });

    it('commits concurrent writes independently: one failing decider does not undo the others', async () => {
      const s = await make();
      await s.createBucket(bucket('b1'));
      const writes = Array.from({ length: 10 }, (_, i) =>
        s.putObject('b1', `k${i}`, () => {
          if (i === 5) throw new AppError('FileAlreadyExists');
          return object('b1', `k${i}`);
        }),
      );
      // Two racing create-if-absent writes on one key: exactly one wins.
      const racers = [0, 1].map(() =>
        s.putObject('b1', 'race', (cur) => {
          if (cur) throw new AppError('FileAlreadyExists');
          return object('b1', 'race');
        }),
      );
      const results = await Promise.allSettled([...writes, ...racers]);
      assert.deepEqual(results.slice(0, 10).map((r) => r.status), [...Array(5).fill('fulfilled'), 'rejected', ...Array(4).fill('fulfilled')]);
      assert.equal(results.slice(10).filter((r) => r.status === 'fulfilled').length, 1);
      const keys = (await s.listObjects('b1', { prefix: 'k', limit: 100 })).map((o) => o.key);
      assert.deepEqual(keys, ['k0', 'k1', 'k2', 'k3', 'k4', 'k6', 'k7', 'k8', 'k9']);
      await s.close();
    });

    it('lists keys in UTF-8 byte order with prefix, after and skipPrefix', async () => {
      const s = await make();
      await s.createBucket(bucket('b1'));
      const keys = ['z', 'a', 'a/b', 'a/c/d', 'ab', 'é', '😀', 'Z', 'a/b/c', '../../etc/passwd', 'a\u0001', 'a\u0000b', '\uD7FFx', '\uE000', 'q\u{10FFFF}', 'q\u{10FFFF}z', 'r'];
      for (const k of keys) await s.putObject('b1', k, () => object('b1', k));
      const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual((await s.listObjects('b1', { prefix: '', limit: 100 })).map((o) => o.key), sorted);
      assert.deepEqual((await s.listObjects('b1', { prefix: 'a/', limit: 100 })).map((o) => o.key), ['a/b', 'a/b/c', 'a/c/d']);
      assert.deepEqual((await s.listObjects('b1', { prefix: 'a/', after: 'a/b', limit: 100 })).map((o) => o.key), ['a/b/c', 'a/c/d']);
      assert.deepEqual((await s.listObjects('b1', { prefix: 'a', skipPrefix: 'a/', limit: 100 })).map((o) => o.key), ['ab']);
      assert.deepEqual((await s.listObjects('b1', { prefix: '', limit: 2 })).map((o) => o.key), sorted.slice(0, 2));
      assert.deepEqual((await s.listObjects('b1', { prefix: 'é', limit: 100 })).map((o) => o.key), ['é']);
      // Prefix bounds at the edges of the code point range.
      assert.deepEqual((await s.listObjects('b1', { prefix: '\uD7FF', limit: 100 })).map((o) => o.key), ['\uD7FFx']);
      assert.deepEqual((await s.listObjects('b1', { prefix: 'q\u{10FFFF}', limit: 100 })).map((o) => o.key), ['q\u{10FFFF}', 'q\u{10FFFF}z']);
      assert.deepEqual((await s.listObjects('b1', { prefix: 'q', skipPrefix: 'q\u{10FFFF}', limit: 100 })).map((o) => o.key), []);
      assert.deepEqual((await s.listObjects('b1', { prefix: 'a', skipPrefix: 'a', limit: 100 })).map((o) => o.key), []);
      await s.close();
    });

    it('keeps multipart uploads and parts, and completes atomically', async () => {
      const s = await make();
      await s.createBucket(bucket('b1'));
      await assert.rejects(s.putPart(part('NOPE', 1, blobId(1))), (e: unknown) => e instanceof AppError && e.code === 'NoSuchUpload');
      await s.createUpload(upload('b1', 'k', 'U1'));
      await s.createUpload(upload('b1', 'k', 'U2'));
      await s.createUpload(upload('b1', 'j/x', 'U3'));
      assert.equal(await s.putPart(part('U1', 2, blobId(2))), null);
      assert.equal(await s.putPart(part('U1', 1, blobId(1))), null);
      assert.equal((await s.putPart(part('U1', 1, blobId(11))))?.blobId, blobId(1));
      assert.deepEqual((await s.listParts('U1', { after: 0, limit: 10 })).map((p) => [p.partNumber, p.blobId]), [[1, blobId(11)], [2, blobId(2)]]);
      assert.deepEqual((await s.listParts('U1', { after: 1, limit: 10 })).map((p) => p.partNumber), [2]);
      assert.deepEqual((await s.listUploads('b1', { prefix: '', limit: 10 })).map((u) => u.uploadId), ['U3', 'U1', 'U2']);
      assert.deepEqual((await s.listUploads('b1', { prefix: '', keyMarker: 'k', uploadIdMarker: 'U1', limit: 10 })).map((u) => u.uploadId), ['U2']);
      assert.deepEqual((await s.listUploads('b1', { prefix: '', skipPrefix: 'j/', limit: 10 })).map((u) => u.uploadId), ['U1', 'U2']);
      assert.deepEqual(await s.referencedBlobIds(), new Set([blobId(11), blobId(2)]));

      const res = await s.completeUpload('U1', (u, parts, cur) => {
        assert.equal(u.key, 'k');
        assert.equal(parts.length, 2);
        assert.equal(cur, null);
        return { ...object('b1', 'k'), segments: [{ blobId: parts[0]!.blobId, size: 5 }] };
      });
      assert.deepEqual(res.unusedParts.map((p) => p.blobId), [blobId(2)]);
      assert.equal(await s.getUpload('U1'), null);
      assert.deepEqual(await s.listParts('U1', { after: 0, limit: 10 }), []);
      await assert.rejects(s.completeUpload('U1', () => object('b1', 'k')), (e: unknown) => e instanceof AppError && e.code === 'NoSuchUpload');
      // A failing decider leaves the upload in place.
      await s.putPart(part('U2', 1, blobId(5)));
      await assert.rejects(s.completeUpload('U2', () => {
        throw new AppError('InvalidPart');
      }));
      assert.ok(await s.getUpload('U2'));
      assert.deepEqual((await s.abortUpload('U2'))?.map((p) => p.blobId), [blobId(5)]);
      assert.equal(await s.abortUpload('U2'), null);
      assert.deepEqual(await s.referencedBlobIds(), new Set([blobId(11)]));
      await s.close();
    });
  });
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

for (const [name, make] of blobFactories) {
  describe(`BlobStore conformance: ${name}`, () => {
    it('stores, reads ranges, lists and deletes', async () => {
      const s = await make();
      const data = Buffer.from('0123456789'.repeat(100_000));
      const { blobId: id, size } = await s.put(Readable.from([data.subarray(0, 300_000), data.subarray(300_000)]));
      assert.equal(size, data.length);
      assert.ok((await readAll(s.read(id, 0, data.length))).equals(data));
      assert.ok((await readAll(s.read(id, 5, 17))).equals(data.subarray(5, 17)));
      assert.equal((await readAll(s.read(id, 3, 3))).length, 0);
      const empty = await s.put(Readable.from([]));
      assert.equal(empty.size, 0);
      const listed: string[] = [];
      for await (const b of s.list()) listed.push(b);
      assert.deepEqual(listed.sort(), [id, empty.blobId].sort());
      await s.delete([id]);
      const after: string[] = [];
      for await (const b of s.list()) after.push(b);
      assert.deepEqual(after, [empty.blobId]);
      await s.close();
    });

    it('keeps nothing when the source fails midway', async () => {
      const s = await make();
      async function* failing(): AsyncGenerator<Buffer> {
        yield Buffer.alloc(1000, 1);
        throw new Error('client went away');
      }
      await assert.rejects(s.put(Readable.from(failing())), /client went away/);
      const listed: string[] = [];
      for await (const b of s.list()) listed.push(b);
      assert.deepEqual(listed, []);
      assert.equal(await s.cleanTemp(), 0);
      await s.close();
    });
  });
}

describe('FsBlobStore layout', () => {
  it('names files by blob id only and removes temp files on cleanTemp', async () => {
    const root = await tempDir();
    const s = await FsBlobStore.open({ root });
    const { blobId: id } = await s.put(Readable.from([Buffer.from('x')]));
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.deepEqual(await readdir(join(root, 'blobs', id.slice(0, 2))), [id]);
    assert.throws(() => s.read('../../etc/passwd', 0, 1), /invalid blob id/);
  });
});
