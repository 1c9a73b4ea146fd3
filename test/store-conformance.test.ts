// One conformance suite for every store implementation: each MetadataStore and BlobStore must pass
// the same cases. New engines (PostgreSQL) add a factory to the lists below.
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { Bucket, ObjectRecord, PartRecord, UploadRecord } from '../src/domain/model.js';
import { AppError } from '../src/errors.js';
import { FLUSH_EVERY, FsBlobStore } from '../src/store/blob/fs.js';
import { MemoryBlobStore } from '../src/store/blob/memory.js';
import { RELOCATE_TRIES } from '../src/store/blob/relocating.js';
import type { BlobStore } from '../src/store/blob/types.js';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import type { IdentityStore, MetadataStore } from '../src/store/meta/types.js';
import { KEY_CHECK_DOC } from '../src/store/meta/types.js';
import { DEFAULT_RAM_LIMITS as L, type RamAccessKey, type RamGroup, type RamRole, type RamUser } from '../src/ram/model.js';
import { testPostgres } from './helpers/postgres.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'alunite-store-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const metaFactories: Array<[string, () => Promise<MetadataStore & IdentityStore>]> = [
  ['sqlite file', async () => new SqliteMetadataStore({ path: join(await tempDir(), 'm.sqlite') })],
  ['sqlite in-memory', async () => new SqliteMetadataStore({ path: ':memory:' })],
  // A real PostgreSQL server (test/helpers/postgres.ts), one fresh schema per store.
  ['postgres', async () => PostgresMetadataStore.open({ url: await (await testPostgres()).freshUrl(), durable: false })],
];

const blobFactories: Array<[string, () => Promise<BlobStore>]> = [
  ['filesystem', async () => FsBlobStore.open({ root: await tempDir() })],
  ['memory', async () => new MemoryBlobStore()],
];

function bucket(name: string, owner = '1234567890123456'): Bucket {
  return {
    name, ownerAccountId: owner, createdAt: 1_700_000_000_000, region: 'cn-hangzhou', acl: 'private',
    storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {},
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
      // With an owner, only that account's buckets count toward the limit (ListBuckets pages by it).
      await s.createBucket(bucket('b15', '9999999999999999'));
      assert.deepEqual((await s.listBuckets({ prefix: 'b', limit: 1, owner: '9999999999999999' })).map((b) => b.name), ['b15']);
      assert.deepEqual((await s.listBuckets({ prefix: '', limit: 10, owner: '9999999999999999' })).map((b) => b.name), ['b15', 'c3']);
      assert.deepEqual((await s.listBuckets({ prefix: '', after: 'b1', limit: 2, owner: '1234567890123456' })).map((b) => b.name), ['b2']);
      assert.deepEqual((await s.listBuckets({ prefix: 'b', limit: 10 })).map((b) => b.name), ['b1', 'b15', 'b2']);
      assert.deepEqual(await s.listBuckets({ prefix: '', limit: 10, owner: '5555555555555555' }), []);
      assert.equal(await s.deleteBucket('b15'), 'deleted');
      const updated = await s.updateBucket('b1', { acl: 'public-read', policy: '{"Statement":[]}', cors: { rules: [], responseVary: true } });
      assert.equal(updated?.acl, 'public-read');
      assert.equal(updated?.policy, '{"Statement":[]}');
      assert.deepEqual(updated?.cors, { rules: [], responseVary: true });
      assert.equal(await s.deleteBucket('b2'), 'deleted');
      assert.equal(await s.deleteBucket('b2'), 'missing');
      await s.close();
    });

    it('cachedObject answers what getObject would, or undefined, never a record older than the last write', async () => {
      const s = await make();
      if (!s.cachedObject) return void (await s.close());
      await s.createBucket(bucket('co1'));
      const seen = (key: string): string | null | undefined => {
        const o = s.cachedObject!('co1', key);
        return o === undefined ? undefined : o === null ? null : `${o.key}:${o.size}`;
      };
      await s.putObject('co1', 'k', () => object('co1', 'k', blobId(1), 3));
      assert.ok([undefined, 'k:3'].includes(seen('k') as string | undefined), String(seen('k')));
      assert.equal((await s.getObject('co1', 'k'))?.size, 3);
      assert.ok([undefined, 'k:3'].includes(seen('k') as string | undefined), String(seen('k')));
      await s.putObject('co1', 'k', () => object('co1', 'k', blobId(2), 7));
      assert.ok([undefined, 'k:7'].includes(seen('k') as string | undefined), String(seen('k')));
      assert.equal(await s.getObject('co1', 'gone'), null);
      assert.ok([undefined, null].includes(seen('gone') as null | undefined));
      await s.putObject('co1', 'gone', () => object('co1', 'gone', blobId(3), 5));
      assert.ok([undefined, 'gone:5'].includes(seen('gone') as string | undefined), String(seen('gone')));
      await s.close();
    });

    it('cachedBucket answers what getBucket would, or undefined, never a record older than the last write', async () => {
      const s = await make();
      if (!s.cachedBucket) return void (await s.close());
      await s.createBucket(bucket('cb1'));
      const seen = (name: string): string | null | undefined => {
        const b = s.cachedBucket!(name);
        return b === undefined ? undefined : b === null ? null : `${b.name}:${b.acl}`;
      };
      assert.equal((await s.getBucket('cb1'))?.name, 'cb1');
      assert.ok([undefined, 'cb1:private'].includes(seen('cb1') as string | undefined), String(seen('cb1')));
      assert.equal(await s.getBucket('cb-missing'), null);
      assert.ok([undefined, null].includes(seen('cb-missing') as null | undefined));
      await s.updateBucket('cb1', { acl: 'public-read' });
      assert.ok([undefined, 'cb1:public-read'].includes(seen('cb1') as string | undefined), String(seen('cb1')));
      await s.getBucket('cb1');
      assert.ok([undefined, 'cb1:public-read'].includes(seen('cb1') as string | undefined), String(seen('cb1')));
      await s.createBucket(bucket('cb-missing'));
      assert.ok([undefined, 'cb-missing:private'].includes(seen('cb-missing') as string | undefined), String(seen('cb-missing')));
      await s.deleteBucket('cb1');
      assert.ok([undefined, null].includes(seen('cb1') as null | undefined), String(seen('cb1')));
      await s.close();
    });

    // Store-wide lookup indexes (access point aliases).
    it('keeps store-wide index entries: point reads and writes, never in bucket records or listings, kept by DeleteBucket', async () => {
      const s = await make();
      await s.createBucket(bucket('ix1'));
      assert.equal(await s.getIndexEntry('access-point-alias', 'a-1-ossalias'), null);
      await s.putIndexEntry('access-point-alias', 'a-1-ossalias', 'ix1');
      await s.putIndexEntry('access-point-alias', 'a-2-ossalias', 'ix1');
      await s.putIndexEntry('other', 'a-1-ossalias', 'elsewhere');
      assert.equal(await s.getIndexEntry('access-point-alias', 'a-1-ossalias'), 'ix1');
      await s.putIndexEntry('access-point-alias', 'a-1-ossalias', 'ix2');
      assert.equal(await s.getIndexEntry('access-point-alias', 'a-1-ossalias'), 'ix2');
      assert.equal(await s.getIndexEntry('other', 'a-1-ossalias'), 'elsewhere');
      assert.deepEqual((await s.getBucket('ix1'))?.configs, {});
      assert.deepEqual((await s.listBuckets({ prefix: '', limit: 10 })).map((b) => b.name), ['ix1']);
      // Deleting a bucket leaves the index to its owner (the domain removes the bucket's entries).
      assert.equal(await s.deleteBucket('ix1'), 'deleted');
      assert.equal(await s.getIndexEntry('access-point-alias', 'a-2-ossalias'), 'ix1');
      await s.putIndexEntry('access-point-alias', 'a-2-ossalias', null);
      assert.equal(await s.getIndexEntry('access-point-alias', 'a-2-ossalias'), null);
      await s.putIndexEntry('access-point-alias', 'never-there', null);
      await s.close();
    });

    it('swaps an index entry only from the value it holds: one of two racing claims wins', async () => {
      const s = await make();
      // A swap that writes moves the index generation (what a cache of absent entries is keyed by); a refused one does not.
      let generation = s.indexGeneration();
      assert.equal(await s.swapIndexEntry('cname', 'cdn.example.com', 'x', 'b1'), false);
      assert.equal(s.indexGeneration(), generation);
      assert.equal(await s.getIndexEntry('cname', 'cdn.example.com'), null);
      const claims = await Promise.all([
        s.swapIndexEntry('cname', 'cdn.example.com', null, 'b1'),
        s.swapIndexEntry('cname', 'cdn.example.com', null, 'b2'),
      ]);
      assert.deepEqual(claims.filter((won) => won).length, 1, String(claims));
      const holder = claims[0] ? 'b1' : 'b2';
      assert.notEqual(s.indexGeneration(), generation);
      generation = s.indexGeneration();
      assert.equal(await s.getIndexEntry('cname', 'cdn.example.com'), holder);
      assert.equal(await s.swapIndexEntry('cname', 'cdn.example.com', null, 'b3'), false);
      assert.equal(await s.swapIndexEntry('cname', 'cdn.example.com', 'b3', null), false);
      assert.equal(await s.swapIndexEntry('cname', 'cdn.example.com', holder, 'b3'), true);
      assert.equal(await s.getIndexEntry('cname', 'cdn.example.com'), 'b3');
      assert.equal(await s.getIndexEntry('other', 'cdn.example.com'), null);
      assert.equal(await s.swapIndexEntry('cname', 'cdn.example.com', 'b3', null), true);
      assert.notEqual(s.indexGeneration(), generation);
      assert.equal(await s.getIndexEntry('cname', 'cdn.example.com'), null);
      assert.equal(await s.swapIndexEntry('cname', 'cdn.example.com', null, null), true);
      await s.close();
    });

    it('updates index entries by decider (racing deciders one after another, each seeing the last one\'s document) and pages them by prefix', async () => {
      const s = await make();
      // Twenty racing increments of one entry not yet written: none is lost (batch jobs, domain/batch-jobs.ts).
      await Promise.all(Array.from({ length: 20 }, () => s.updateIndexEntry('batch-job', 'acct1/j1', (cur) => String(Number(cur ?? '0') + 1))));
      assert.equal(await s.getIndexEntry('batch-job', 'acct1/j1'), '20');
      const generation = s.indexGeneration();
      for (const k of ['acct1/j2', 'acct1/j3', 'acct2/j1']) await s.updateIndexEntry('batch-job', k, () => k);
      assert.equal(s.indexGeneration(), generation, 'no generation moves');
      const ids = async (prefix: string, after: string, limit: number): Promise<string[]> => (await s.listIndexEntries('batch-job', { prefix, after, limit })).map((e) => e.id);
      assert.deepEqual(await ids('acct1/', '', 10), ['acct1/j1', 'acct1/j2', 'acct1/j3']);
      assert.deepEqual(await ids('acct1/', 'acct1/j1', 1), ['acct1/j2']);
      assert.deepEqual(await ids('', '', 10), ['acct1/j1', 'acct1/j2', 'acct1/j3', 'acct2/j1']);
      assert.deepEqual(await s.listIndexEntries('other', { prefix: '', after: '', limit: 10 }), []);
      // A decider returning the document held writes nothing; null removes; a throwing one changes nothing.
      await s.updateIndexEntry('batch-job', 'acct1/j2', (cur) => cur);
      await s.updateIndexEntry('batch-job', 'acct1/j2', () => null);
      await assert.rejects(s.updateIndexEntry('batch-job', 'acct1/j3', () => {
        throw new Error('refused');
      }), /refused/);
      assert.equal(await s.getIndexEntry('batch-job', 'acct1/j3'), 'acct1/j3');
      assert.deepEqual(await ids('acct1/', '', 10), ['acct1/j1', 'acct1/j3']);
      await s.close();
    });

    it('keeps bucket configurations in one generic store: set, replace, remove, abort, listed, gone with the bucket', async () => {
      const s = await make();
      await s.createBucket(bucket('gc1'));
      await s.createBucket(bucket('gc2'));
      assert.deepEqual((await s.getBucket('gc1'))?.configs, {});
      const seen: Array<string | null> = [];
      const set = (doc: string | null) => (current: string | null): string | null => {
        seen.push(current);
        return doc;
      };
      assert.deepEqual((await s.updateBucketConfig('gc1', 'versioning', set('{"status":"Enabled"}')))?.configs, { versioning: '{"status":"Enabled"}' });
      await s.updateBucketConfig('gc1', 'worm', set('{"days":1}'));
      await s.updateBucketConfig('gc1', 'versioning', set('{"status":"Suspended"}'));
      assert.deepEqual(seen, [null, null, '{"status":"Enabled"}']);
      // Read back uncached-equivalent state, other buckets untouched, other settings untouched.
      await s.updateBucket('gc1', { acl: 'public-read' });
      const b = await s.getBucket('gc1');
      assert.deepEqual(b?.configs, { versioning: '{"status":"Suspended"}', worm: '{"days":1}' });
      assert.equal(b?.acl, 'public-read');
      assert.deepEqual((await s.getBucket('gc2'))?.configs, {});
      // The decider sees the bucket; a throwing decider changes nothing.
      await assert.rejects(
        s.updateBucketConfig('gc1', 'worm', (cur, bk) => {
          assert.equal(bk.name, 'gc1');
          assert.equal(cur, '{"days":1}');
          throw new AppError('InvalidArgument', 'refused');
        }),
        (e: unknown) => e instanceof AppError && e.code === 'InvalidArgument',
      );
      assert.equal((await s.getBucket('gc1'))?.configs.worm, '{"days":1}');
      // Unicode and large documents survive.
      const big = JSON.stringify({ rules: Array.from({ length: 500 }, (_, i) => ({ id: `规则-${i}`, prefix: `p/${i}/` })) });
      await s.updateBucketConfig('gc1', 'lifecycle', set(big));
      assert.equal((await s.getBucket('gc1'))?.configs.lifecycle, big);
      // Listed buckets carry their configurations too.
      const listed = await s.listBuckets({ prefix: 'gc', limit: 10 });
      assert.deepEqual(listed.map((x) => Object.keys(x.configs).sort()), [['lifecycle', 'versioning', 'worm'], []]);
      // Removal, and a missing bucket.
      assert.deepEqual(Object.keys((await s.updateBucketConfig('gc1', 'worm', set(null)))!.configs).sort(), ['lifecycle', 'versioning']);
      assert.equal(await s.updateBucketConfig('nope', 'worm', set('{}')), null);
      // A deleted and re-created bucket starts with no configuration.
      assert.equal(await s.deleteBucket('gc1'), 'deleted');
      await s.createBucket(bucket('gc1'));
      assert.deepEqual((await s.getBucket('gc1'))?.configs, {});
      await s.close();
    });

    // A bucket's configuration collections (live channels).
    it('keeps collection entries one row each: point reads, ordered pages, counted deciders, never in bucket records, gone with the bucket', async () => {
      const s = await make();
      await s.createBucket(bucket('ce1'));
      await s.createBucket(bucket('ce10'));
      const put = (b: string, id: string, doc: string | null) => s.updateConfigEntry(b, 'live-channel', id, () => doc);
      assert.equal(await s.getConfigEntry('ce1', 'live-channel', 'a'), null);
      assert.deepEqual(await s.listConfigEntries('ce1', 'live-channel', { prefix: '', after: '', limit: 10 }), []);
      // Code point order (a page's order must not depend on the database's collation), Unicode kept.
      for (const id of ['b', 'a', 'B', 'a/x', 'é', '频道', '\u{1F600}', 'ab']) assert.equal(await put('ce1', id, JSON.stringify({ Name: id })), true);
      await put('ce10', 'a', '{"other":1}');
      await s.updateConfigEntry('ce1', 'other', 'a', () => '{"elsewhere":1}');
      const ids = async (q: { prefix: string; after: string; limit: number }, b = 'ce1'): Promise<string[]> => (await s.listConfigEntries(b, 'live-channel', q)).map((e) => e.id);
      assert.deepEqual(await ids({ prefix: '', after: '', limit: 100 }), ['B', 'a', 'a/x', 'ab', 'b', 'é', '频道', '\u{1F600}']);
      assert.deepEqual(await ids({ prefix: 'a', after: '', limit: 100 }), ['a', 'a/x', 'ab']);
      assert.deepEqual(await ids({ prefix: 'a', after: 'a/x', limit: 100 }), ['ab']);
      assert.deepEqual(await ids({ prefix: '', after: 'b', limit: 2 }), ['é', '频道']);
      assert.deepEqual(await ids({ prefix: '%', after: '', limit: 100 }), [], 'no pattern characters');
      assert.deepEqual(await ids({ prefix: '', after: '', limit: 100 }, 'ce10'), ['a']);
      // Counted per bucket and collection (GetBucketStat's LiveChannelCount).
      assert.deepEqual([await s.countConfigEntries('ce1', 'live-channel'), await s.countConfigEntries('ce1', 'other'), await s.countConfigEntries('ce10', 'live-channel'), await s.countConfigEntries('ce1', 'none')], [8, 1, 1, 0]);
      assert.equal(await s.getConfigEntry('ce1', 'live-channel', '频道'), JSON.stringify({ Name: '频道' }));
      assert.deepEqual((await s.listConfigEntries('ce1', 'live-channel', { prefix: 'é', after: '', limit: 1 }))[0], { id: 'é', document: '{"Name":"é"}' });
      // The decider sees the current document and the collection's count; throwing changes nothing.
      const seen: Array<[string | null, number]> = [];
      await s.updateConfigEntry('ce1', 'live-channel', 'b', (cur, n) => {
        seen.push([cur, n]);
        return '{"Name":"b","v":2}';
      });
      await assert.rejects(
        s.updateConfigEntry('ce1', 'live-channel', 'new', (cur, n) => {
          seen.push([cur, n]);
          throw new AppError('TooManyLiveChannel', 'full');
        }),
        (e: unknown) => e instanceof AppError && e.code === 'TooManyLiveChannel',
      );
      assert.deepEqual(seen, [['{"Name":"b"}', 8], [null, 8]]);
      assert.equal(await s.getConfigEntry('ce1', 'live-channel', 'new'), null);
      assert.equal(await s.getConfigEntry('ce1', 'live-channel', 'b'), '{"Name":"b","v":2}');
      // Removal; a missing bucket decides nothing.
      await put('ce1', 'B', null);
      assert.equal(await s.getConfigEntry('ce1', 'live-channel', 'B'), null);
      assert.equal(await s.updateConfigEntry('nope', 'live-channel', 'a', () => assert.fail('no bucket, no decision')), false);
      // Not carried in bucket records or listings.
      assert.deepEqual((await s.getBucket('ce1'))?.configs, {});
      assert.deepEqual((await s.listBuckets({ prefix: 'ce', limit: 10 })).map((b) => [b.name, b.configs]), [['ce1', {}], ['ce10', {}]]);
      // Gone with their bucket (every collection), and only theirs: ce10's stay.
      assert.equal(await s.deleteBucket('ce1'), 'deleted');
      await s.createBucket(bucket('ce1'));
      assert.deepEqual(await ids({ prefix: '', after: '', limit: 100 }), []);
      assert.equal(await s.getConfigEntry('ce1', 'other', 'a'), null);
      assert.equal(await s.countConfigEntries('ce1', 'live-channel'), 0);
      assert.deepEqual(await ids({ prefix: '', after: '', limit: 100 }, 'ce10'), ['a']);
      await s.close();
    });

    it('runs racing entry deciders one after another: a count limit holds', async () => {
      const s = await make();
      await s.createBucket(bucket('cer'));
      const limited = (cur: string | null, n: number): string => {
        if (cur === null && n >= 5) throw new AppError('TooManyLiveChannel', 'full');
        return '{}';
      };
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => s.updateConfigEntry('cer', 'live-channel', `c${n}`, limited)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
      assert.equal((await s.listConfigEntries('cer', 'live-channel', { prefix: '', after: '', limit: 100 })).length, 5);
      await s.close();
    });

    it('runs racing configuration deciders one after another, each seeing the last one\'s document', async () => {
      const s = await make();
      await s.createBucket(bucket('gcr'));
      // Each decider appends to what it sees: a decider that read a stale document would lose an entry.
      const add = (n: number) => (current: string | null): string => JSON.stringify([...(current === null ? [] : (JSON.parse(current) as number[])), n]);
      await Promise.all(Array.from({ length: 12 }, (_, n) => s.updateBucketConfig('gcr', 'race', add(n))));
      const doc = JSON.parse((await s.getBucket('gcr'))!.configs.race!) as number[];
      assert.deepEqual([...doc].sort((a, b) => a - b), Array.from({ length: 12 }, (_, n) => n));
      await s.close();
    });

    it('checks a storage capacity atomically with the write: concurrent writes are counted against each other (docs/storage-capacity.md)', async () => {
      const s = await make();
      await s.createBucket(bucket('cap'));
      await s.createBucket(bucket('cap-other'));
      const limit = 450;
      const seen: Array<[number, number]> = [];
      const capacity = {
        check(before: number, after: number): void {
          seen.push([before, after]);
          if (after > before && after > limit) throw new AppError('StorageCapacityExceeded', 'Bucket storage exceed max storage capacity.', { BucketName: 'cap' });
        },
      };
      const storage = async (b: string): Promise<number> => (await s.bucketStats(b)).filter((l) => l.kind === 'object' || l.kind === 'part').reduce((n, l) => n + l.bytes, 0);
      // Twelve writes of 100 bytes at once, each with room when it started: four fit.
      const writes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => s.putObject('cap', `k${i}`, () => object('cap', `k${i}`, blobId(100 + i), 100), { capacity })));
      const refused = writes.filter((w) => w.status === 'rejected');
      assert.equal(writes.length - refused.length, 4);
      for (const w of refused) assert.ok(w.reason instanceof AppError && w.reason.code === 'StorageCapacityExceeded');
      assert.equal(await storage('cap'), 400);
      assert.equal((await s.listObjects('cap', { prefix: '', limit: 100 })).length, 4);
      // Each check saw the Storage of its own moment: no two succeeded from the same figure.
      const okBefore = seen.filter(([b, a]) => a <= limit && a > b).map(([b]) => b).sort((x, y) => x - y);
      assert.deepEqual(okBefore, [0, 100, 200, 300]);
      // Parts count the same way (an upload's parts under its bucket): ten parts of 5 bytes fill the 50 left.
      await s.createUpload(upload('cap', 'mp', 'CAP-UP'));
      const parts = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => s.putPart(part('CAP-UP', i + 1, blobId(200 + i)), { capacity })));
      assert.equal(parts.filter((p) => p.status === 'fulfilled').length, 10);
      assert.equal(await storage('cap'), 450);
      // A write that adds nothing (a smaller overwrite) still goes through; so do writes without a guard, and other buckets.
      await s.putObject('cap', 'k-small', () => object('cap', 'k-small', blobId(300), 0), { capacity });
      await s.putObject('cap', 'no-guard', () => object('cap', 'no-guard', blobId(303), 7));
      await s.putObject('cap-other', 'x', () => object('cap-other', 'x', blobId(301), 100), { capacity });
      assert.equal(seen.at(-1)?.[0], 0, 'a guard is checked against the bucket written to');
      assert.equal(await storage('cap'), 457);
      // An in-place update (an append to the current version) is checked too.
      const cur = (await s.getObject('cap', 'k-small'))!;
      await assert.rejects(
        s.updateObjectVersion('cap', 'k-small', undefined, (c) => ({ ...c, size: 10, segments: [{ blobId: blobId(302), size: 10 }] }), { capacity }),
        (e: unknown) => e instanceof AppError && e.code === 'StorageCapacityExceeded',
      );
      assert.equal((await s.getObject('cap', 'k-small'))?.size, cur.size);
      await s.close();
    });

    it('deletes an object only when the guard lets it go, seeing the record inside the transaction', async () => {
      const s = await make();
      await s.createBucket(bucket('gd'));
      await s.putObject('gd', 'k', () => object('gd', 'k'));
      const refuse = (cur: ObjectRecord): void => {
        throw new AppError('FileImmutable', undefined, { Key: cur.key });
      };
      const objectCount = async (): Promise<number> => (await s.bucketStats('gd')).filter((l) => l.kind === 'object').reduce((n, l) => n + l.count, 0);
      assert.equal(await objectCount(), 1);
      // Refused in the same commit as a write that goes through: only the refused delete is undone, row and counters.
      const [refused, other] = await Promise.allSettled([s.deleteObject('gd', 'k', refuse), s.putObject('gd', 'k2', () => object('gd', 'k2'))]);
      assert.ok(refused.status === 'rejected' && refused.reason instanceof AppError && refused.reason.code === 'FileImmutable');
      assert.equal(other.status, 'fulfilled');
      assert.ok(await s.getObject('gd', 'k'));
      assert.equal(await objectCount(), 2);
      const seen: string[] = [];
      assert.equal((await s.deleteObject('gd', 'k', (cur) => seen.push(cur.key)))?.key, 'k');
      assert.deepEqual(seen, ['k']);
      assert.equal(await s.getObject('gd', 'k'), null);
      assert.equal(await objectCount(), 1);
      // No row: nothing to guard.
      assert.equal(await s.deleteObject('gd', 'k', refuse), null);
      await s.close();
    });

    it('stores a bucket CORS configuration with the bucket: set, replace, clear, no stale reads', async () => {
      const s = await make();
      await s.createBucket(bucket('cb'));
      assert.equal((await s.getBucket('cb'))?.cors, null);
      const cors = {
        rules: [
          { allowedOrigins: ['http://*.example.com', 'https://app.test'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['*'], exposeHeaders: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 600 },
          { allowedOrigins: ['*'], allowedMethods: ['HEAD'], allowedHeaders: [], exposeHeaders: [], maxAgeSeconds: null },
        ],
        responseVary: false,
      };
      assert.deepEqual((await s.updateBucket('cb', { cors }))?.cors, cors);
      assert.deepEqual((await s.getBucket('cb'))?.cors, cors);
      // Other settings are untouched by a CORS update, and the CORS rules by an ACL update.
      await s.updateBucket('cb', { acl: 'public-read' });
      const b = await s.getBucket('cb');
      assert.equal(b?.acl, 'public-read');
      assert.deepEqual(b?.cors, cors);
      const replaced = { rules: [cors.rules[1]!], responseVary: true };
      await s.updateBucket('cb', { cors: replaced });
      assert.deepEqual((await s.getBucket('cb'))?.cors, replaced);
      await s.updateBucket('cb', { cors: null });
      assert.equal((await s.getBucket('cb'))?.cors, null);
      assert.equal(await s.updateBucket('nope', { cors }), null);
      await s.close();
    });

    it('updateBucket, updateBucketConfig and updateConfigEntry with sameBucket write only into that bucket of the name', async () => {
      const s = await make();
      const first = bucket('inc', 'A');
      await s.createBucket(first);
      const was = { ownerAccountId: 'A', createdAt: first.createdAt };
      assert.equal((await s.updateBucket('inc', { policy: '{"Statement":[]}' }, was))?.policy, '{"Statement":[]}');
      assert.equal((await s.updateBucketConfig('inc', 'worm', () => '{"days":1}', was))?.configs.worm, '{"days":1}');
      assert.equal(await s.updateConfigEntry('inc', 'live-channel', 'a', () => '{"Name":"a"}', was), true);
      assert.equal(await s.getConfigEntry('inc', 'live-channel', 'a'), '{"Name":"a"}');
      // Deleted and created again by another account (or by A later): another bucket, treated as none.
      assert.equal(await s.deleteBucket('inc'), 'deleted');
      await s.createBucket({ ...bucket('inc', 'B'), createdAt: first.createdAt + 1 });
      assert.equal(await s.updateBucket('inc', { policy: '{"Statement":[{}]}', acl: 'public-read', cors: { rules: [], responseVary: true } }, was), null);
      let decided = false;
      assert.equal(await s.updateBucketConfig('inc', 'lifecycle', () => ((decided = true), '{}'), was), null);
      assert.equal(await s.updateConfigEntry('inc', 'live-channel', 'b', () => ((decided = true), '{"Name":"b"}'), was), false);
      assert.equal(decided, false);
      assert.equal(await s.getConfigEntry('inc', 'live-channel', 'b'), null);
      const now = await s.getBucket('inc');
      assert.deepEqual([now?.policy, now?.acl, now?.cors, now?.configs], [null, 'private', null, {}]);
      // The new one, named, and without sameBucket (any bucket of the name), is written.
      assert.equal((await s.updateBucket('inc', { acl: 'public-read' }, { ownerAccountId: 'B', createdAt: first.createdAt + 1 }))?.acl, 'public-read');
      assert.equal((await s.updateBucketConfig('inc', 'worm', () => '{"days":2}'))?.configs.worm, '{"days":2}');
      assert.equal(await s.updateConfigEntry('inc', 'live-channel', 'b', () => '{"Name":"b"}', { ownerAccountId: 'B', createdAt: first.createdAt + 1 }), true);
      assert.equal(await s.updateConfigEntry('inc', 'live-channel', 'c', () => '{"Name":"c"}'), true);
      assert.deepEqual((await s.listConfigEntries('inc', 'live-channel', { prefix: '', after: '', limit: 10 })).map((e) => e.id), ['b', 'c']);
      await s.close();
    });

    it('updateObjectVersion with sameBucket changes an object only in that bucket of the name (NoSuchBucket otherwise)', async () => {
      const s = await make();
      const first = bucket('incobj', 'A');
      await s.createBucket(first);
      const was = { ownerAccountId: 'A', createdAt: first.createdAt };
      await s.putObject('incobj', 'k', () => object('incobj', 'k', blobId(401), 3));
      const tagged = await s.updateObjectVersion('incobj', 'k', undefined, (cur) => ({ ...cur, tags: [['a', '1']] }), { sameBucket: was });
      assert.deepEqual(tagged?.tags, [['a', '1']]);
      await s.deleteObject('incobj', 'k');
      assert.equal(await s.deleteBucket('incobj'), 'deleted');
      await s.createBucket({ ...bucket('incobj', 'B'), createdAt: first.createdAt + 1 });
      await s.putObject('incobj', 'k', () => object('incobj', 'k', blobId(402), 3));
      let decided = false;
      await assert.rejects(
        s.updateObjectVersion('incobj', 'k', undefined, (cur) => ((decided = true), { ...cur, tags: [['a', '2']] }), { sameBucket: was }),
        (e: { code?: string }) => e.code === 'NoSuchBucket',
      );
      assert.equal(decided, false);
      assert.deepEqual((await s.getObject('incobj', 'k'))?.tags, [['k', 'v']], 'B\'s object as B wrote it');
      // Without sameBucket (any bucket of the name) the object is changed.
      assert.deepEqual((await s.updateObjectVersion('incobj', 'k', undefined, (cur) => ({ ...cur, tags: [['b', '1']] })))?.tags, [['b', '1']]);
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

    it('refuses objects and multipart uploads in a missing (or just deleted) bucket: NoSuchBucket, nothing written', async () => {
      const s = await make();
      await s.createBucket(bucket('gone'));
      assert.equal(await s.deleteBucket('gone'), 'deleted');
      for (const b of ['gone', 'never']) {
        await assert.rejects(s.putObject(b, 'k', () => object(b, 'k')), (e: unknown) => e instanceof AppError && e.code === 'NoSuchBucket');
        await assert.rejects(s.createUpload(upload(b, 'k', `U-${b}`)), (e: unknown) => e instanceof AppError && e.code === 'NoSuchBucket');
        assert.equal(await s.getObject(b, 'k'), null);
        assert.equal(await s.getUpload(`U-${b}`), null);
      }
      assert.deepEqual(await s.referencedBlobIds(), new Set());
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

    it('keeps per-object and per-upload feature state (attrs) through writes, reads and replacement', async () => {
      const s = await make();
      await s.createBucket(bucket('at'));
      const attrs = { restore: { requestedAt: 1_799_990_000_000, readyAt: 1_799_990_060_000, expiresAt: 1_800_000_000_000 }, sse: { algorithm: 'AES256', note: 'ü' } };
      await s.putObject('at', 'k', () => ({ ...object('at', 'k'), attrs }));
      assert.deepEqual((await s.getObject('at', 'k'))?.attrs, attrs);
      // The decider sees the stored attrs; a record without them clears them.
      await s.putObject('at', 'k', (cur) => {
        assert.deepEqual(cur?.attrs, attrs);
        return object('at', 'k');
      });
      assert.equal((await s.getObject('at', 'k'))?.attrs, undefined);
      await s.createUpload({ ...upload('at', 'm', 'u-attrs'), attrs: { sse: { algorithm: 'KMS', keyId: 'k1' } } });
      assert.deepEqual((await s.getUpload('u-attrs'))?.attrs, { sse: { algorithm: 'KMS', keyId: 'k1' } });
      assert.equal((await s.listUploads('at', { prefix: '', limit: 10 }))[0]?.attrs !== undefined, true);
      await s.createUpload(upload('at', 'n', 'u-plain'));
      assert.equal((await s.getUpload('u-plain'))?.attrs, undefined);
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

    // Metadata query (docs/meta-query.md).
    it('scans current objects with every field in UTF-8 key order, keyset-paged, without inline bytes', async () => {
      const s = await make();
      await s.createBucket(bucket('b1'));
      await s.createBucket(bucket('b2'));
      const keys = ['z', 'a', 'a/b', 'é', '😀', '\uE000', 'a/c'];
      for (const k of keys) {
        await s.putObject('b1', k, () => ({ ...object('b1', k), tags: [['t', k]], userMeta: { m: k }, attrs: { sealedTime: 7 } }));
      }
      await s.putObject('b1', 'small', () => ({ ...object('b1', 'small'), segments: [], inline: Buffer.from('abc') }));
      await s.putObject('b2', 'other', () => object('b2', 'other'));
      const all = [...keys, 'small'].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const full = await s.scanObjects('b1', { prefix: '', limit: 100 });
      assert.deepEqual(full.map((o) => o.key), all);
      const a = full.find((o) => o.key === 'a')!;
      assert.deepEqual(a, { ...object('b1', 'a'), tags: [['t', 'a']], userMeta: { m: 'a' }, attrs: { sealedTime: 7 } });
      assert.equal(full.find((o) => o.key === 'small')!.inline, null);
      // Keyset pages: after the last key of one page, the next; under a prefix only its range.
      const paged: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await s.scanObjects('b1', { prefix: '', ...(after !== undefined ? { after } : {}), limit: 3 });
        paged.push(...page.map((o) => o.key));
        if (page.length < 3) break;
        after = page[page.length - 1]!.key;
      }
      assert.deepEqual(paged, all);
      assert.deepEqual((await s.scanObjects('b1', { prefix: 'a/', limit: 100 })).map((o) => o.key), ['a/b', 'a/c']);
      assert.deepEqual((await s.scanObjects('b1', { prefix: 'a/', after: 'a/b', limit: 100 })).map((o) => o.key), ['a/c']);
      assert.deepEqual((await s.scanObjects('b2', { prefix: '', limit: 100 })).map((o) => o.key), ['other']);
      assert.deepEqual(await s.scanObjects('none', { prefix: '', limit: 100 }), []);
      await s.close();
    });
  });
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function ramUser(userName: string, userId = `1${userName.length}${'0'.repeat(14)}`.slice(0, 16)): RamUser {
  return { userId, userName, displayName: userName, mobilePhone: '', email: '', comments: '', createDate: 1000, updateDate: 1000 };
}
function ramGroup(groupName: string, groupId: string): RamGroup {
  return { groupId, groupName, comments: '', createDate: 1000, updateDate: 1000 };
}
function ramRole(roleName: string, roleId: string): RamRole {
  return { roleId, roleName, description: '', assumeRolePolicyDocument: '{}', maxSessionDuration: 3600, createDate: 1000, updateDate: 1000 };
}
function ramKey(accessKeyId: string): Omit<RamAccessKey, 'userId'> {
  return { accessKeyId, sealedSecret: `v1.sealed-${accessKeyId}`, status: 'Active', createDate: 1000 };
}

/** Runs `fn` and returns the AppError code it throws. */
async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err.code;
  }
  return 'no error';
}

for (const [name, make] of metaFactories) {
  describe(`IdentityStore conformance: ${name}`, () => {
    it('users: create, unique names, rename, page by name, limits', async () => {
      const s = await make();
      await s.createUser(ramUser('bob', '1000000000000002'), L.users);
      await s.createUser(ramUser('alice', '1000000000000001'), L.users);
      assert.equal(await codeOf(() => s.createUser(ramUser('alice', '1000000000000009'), L.users)), 'EntityAlreadyExists.User');
      assert.equal(await codeOf(() => s.createUser(ramUser('carol', '1000000000000003'), 2)), 'LimitExceeded.User');
      assert.equal((await s.getUser('alice'))?.userId, '1000000000000001');
      assert.equal(await s.getUser('ALICE'), null, 'user names are case-sensitive');
      assert.equal((await s.getUserById('1000000000000002'))?.userName, 'bob');
      assert.deepEqual((await s.listUsers({ limit: 10 })).map((u) => u.userName), ['alice', 'bob']);
      assert.deepEqual((await s.listUsers({ after: 'alice', limit: 10 })).map((u) => u.userName), ['bob']);
      assert.deepEqual((await s.listUsers({ limit: 1 })).map((u) => u.userName), ['alice']);
      const renamed = await s.updateUser('bob', { userName: 'bobby', comments: 'c' }, 2000);
      assert.equal(renamed.userName, 'bobby');
      assert.equal(renamed.updateDate, 2000);
      assert.equal((await s.getUserById('1000000000000002'))?.comments, 'c');
      assert.equal(await codeOf(() => s.updateUser('bobby', { userName: 'alice' }, 1)), 'EntityAlreadyExists.User');
      assert.equal(await codeOf(() => s.updateUser('nobody', {}, 1)), 'EntityNotExist.User');
      await s.deleteUser('bobby');
      assert.equal(await s.getUser('bobby'), null);
      assert.equal(await codeOf(() => s.deleteUser('bobby')), 'EntityNotExist.User');
      await s.close();
    });

    it('access keys: per-user limit, lookup by id, status, ownership, delete conflict', async () => {
      const s = await make();
      await s.createUser(ramUser('u1', '2000000000000001'), L.users);
      await s.createUser(ramUser('u2', '2000000000000002'), L.users);
      const k = await s.createAccessKey('u1', ramKey('LTAIaaaaaaaaaaaaaaaaaaaa'), 2);
      assert.equal(k.userId, '2000000000000001');
      await s.createAccessKey('u1', ramKey('LTAIbbbbbbbbbbbbbbbbbbbb'), 2);
      assert.equal(await codeOf(() => s.createAccessKey('u1', ramKey('LTAIcccccccccccccccccccc'), 2)), 'LimitExceeded.User.AccessKey');
      assert.equal(await codeOf(() => s.createAccessKey('nobody', ramKey('LTAIdddddddddddddddddddd'), 2)), 'EntityNotExist.User');
      assert.deepEqual(await s.getAccessKey('LTAIaaaaaaaaaaaaaaaaaaaa'), { ...ramKey('LTAIaaaaaaaaaaaaaaaaaaaa'), userId: '2000000000000001' });
      assert.equal(await s.getAccessKey('LTAIzzzzzzzzzzzzzzzzzzzz'), null);
      assert.equal((await s.listAccessKeys('u1')).length, 2);
      await s.updateAccessKey('u1', 'LTAIaaaaaaaaaaaaaaaaaaaa', 'Inactive');
      assert.equal((await s.getAccessKey('LTAIaaaaaaaaaaaaaaaaaaaa'))?.status, 'Inactive');
      assert.equal(await codeOf(() => s.updateAccessKey('u2', 'LTAIaaaaaaaaaaaaaaaaaaaa', 'Active')), 'EntityNotExist.User.AccessKey');
      assert.equal(await codeOf(() => s.deleteAccessKey('u2', 'LTAIaaaaaaaaaaaaaaaaaaaa')), 'EntityNotExist.User.AccessKey');
      assert.equal(await codeOf(() => s.deleteUser('u1')), 'DeleteConflict.User.AccessKey');
      await s.deleteAccessKey('u1', 'LTAIaaaaaaaaaaaaaaaaaaaa');
      await s.deleteAccessKey('u1', 'LTAIbbbbbbbbbbbbbbbbbbbb');
      await s.deleteUser('u1');
      await s.close();
    });

    it('access keys: a given AccessKeyId is unique across users (declared keys, docs/init.md)', async () => {
      const s = await make();
      await s.createUser(ramUser('u1', '2000000000000001'), L.users);
      await s.createUser(ramUser('u2', '2000000000000002'), L.users);
      await s.createAccessKey('u1', ramKey('LTAI5tFixedFixedFixed001'), 2);
      const gen = s.identityGeneration();
      assert.equal(await codeOf(() => s.createAccessKey('u2', ramKey('LTAI5tFixedFixedFixed001'), 2)), 'EntityAlreadyExists.AccessKey');
      assert.equal(await codeOf(() => s.createAccessKey('u1', ramKey('LTAI5tFixedFixedFixed001'), 2)), 'EntityAlreadyExists.AccessKey');
      assert.equal((await s.getAccessKey('LTAI5tFixedFixedFixed001'))?.userId, '2000000000000001');
      assert.deepEqual(await s.listAccessKeys('u2'), []);
      assert.equal(s.identityGeneration(), gen, 'a refused write changes nothing');
      await s.close();
    });

    it('reset: every bucket, object, upload and RAM entity removed in one go; their blob ids returned', async () => {
      const s = await make();
      await s.createBucket(bucket('rb'));
      await s.putObject('rb', 'blobbed', () => ({ ...object('rb', 'blobbed', blobId(41)) }));
      await s.putObject('rb', 'small', () => ({ ...object('rb', 'small', blobId(42)), segments: [], inline: Buffer.from('abc') }));
      await s.createUpload(upload('rb', 'mp', 'up-reset'));
      await s.putPart(part('up-reset', 1, blobId(43)));
      await s.createUser(ramUser('ru', '4000000000000001'), L.users);
      await s.createAccessKey('ru', ramKey('LTAI5tResetResetReset001'), 2);
      await s.createGroup(ramGroup('rg', '4100000000000001'), L.groups);
      await s.addUserToGroup('rg', 'ru', 5, 5);
      await s.createRole(ramRole('rr', '420000000000000001'), L.roles);
      await s.createPolicy({ policyName: 'rp', description: '', defaultVersion: 'v1', createDate: 1, updateDate: 1 }, '{}', L.customPolicies);
      await s.createPolicyVersion('rp', '{"v":2}', 2, { setAsDefault: false, rotate: false, maxVersions: 5 });
      await s.attachPolicy({ principalKind: 'User', principalId: '4000000000000001', policyType: 'Custom', policyName: 'rp', attachDate: 1 }, 10);
      assert.ok(await s.getBucket('rb')); // cached by engines that cache bucket rows
      assert.equal(await s.claimNonce('n-reset', 10_000, 1), true);
      const gen = s.identityGeneration();

      assert.deepEqual((await s.reset()).sort(), [blobId(41), blobId(43)]);
      assert.equal(await s.getBucket('rb'), null, 'no stale cached bucket');
      assert.equal(await s.getObject('rb', 'blobbed'), null);
      assert.equal(await s.getObject('rb', 'small'), null);
      assert.equal(await s.getUpload('up-reset'), null);
      assert.deepEqual(await s.listBuckets({ prefix: '', limit: 10 }), []);
      assert.equal((await s.referencedBlobIds()).size, 0);
      assert.deepEqual(await s.listUsers({ limit: 10 }), []);
      assert.deepEqual(await s.listGroups({ limit: 10 }), []);
      assert.deepEqual(await s.listRoles({ limit: 10 }), []);
      assert.deepEqual(await s.listPolicies({ limit: 10 }), []);
      assert.equal(await s.getAccessKey('LTAI5tResetResetReset001'), null);
      assert.deepEqual(await s.listAttachmentsForPolicy('Custom', 'rp'), []);
      assert.ok(s.identityGeneration() > gen, 'credential caches are invalidated');
      assert.equal(await s.claimNonce('n-reset', 10_000, 2), false, 'replay nonces survive a reset');

      // Everything can be created again under the same names.
      await s.createBucket(bucket('rb'));
      await s.createUser(ramUser('ru', '4000000000000001'), L.users);
      await s.createAccessKey('ru', ramKey('LTAI5tResetResetReset001'), 2);
      await s.createPolicy({ policyName: 'rp', description: '', defaultVersion: 'v1', createDate: 1, updateDate: 1 }, '{}', L.customPolicies);
      assert.deepEqual((await s.listPolicyVersions('rp')).map((v) => v.versionId), ['v1']);
      assert.deepEqual(await s.reset(), []);
      await s.close();
    });

    it('groups and membership', async () => {
      const s = await make();
      await s.createUser(ramUser('m', '3000000000000001'), L.users);
      await s.createGroup(ramGroup('g1', '3100000000000001'), L.groups);
      await s.createGroup(ramGroup('g2', '3100000000000002'), L.groups);
      assert.equal(await codeOf(() => s.createGroup(ramGroup('g1', '3100000000000009'), L.groups)), 'EntityAlreadyExists.Group');
      assert.equal(await codeOf(() => s.createGroup(ramGroup('g3', '3100000000000003'), 2)), 'LimitExceeded.Group');
      await s.addUserToGroup('g1', 'm', 5, 1);
      assert.equal(await codeOf(() => s.addUserToGroup('g1', 'm', 5, 5)), 'EntityAlreadyExists.User.Group');
      assert.equal(await codeOf(() => s.addUserToGroup('g2', 'm', 5, 1)), 'LimitExceeded.User.Group');
      assert.equal(await codeOf(() => s.addUserToGroup('g9', 'm', 5, 5)), 'EntityNotExist.Group');
      assert.deepEqual((await s.listGroupsForUser('m')).map((x) => [x.group.groupName, x.joinDate]), [['g1', 5]]);
      assert.deepEqual((await s.listUsersForGroup('g1', { limit: 10 })).map((x) => x.user.userName), ['m']);
      assert.equal(await codeOf(() => s.deleteGroup('g1')), 'DeleteConflict.Group.User');
      assert.equal(await codeOf(() => s.deleteUser('m')), 'DeleteConflict.User.Group');
      const renamed = await s.updateGroup('g1', { groupName: 'g1-new' }, 6);
      assert.equal(renamed.groupId, '3100000000000001');
      assert.equal((await s.getGroupById('3100000000000001'))?.groupName, 'g1-new');
      assert.deepEqual((await s.listGroupsForUser('m')).map((x) => x.group.groupName), ['g1-new'], 'membership follows the rename');
      await s.removeUserFromGroup('g1-new', 'm');
      assert.equal(await codeOf(() => s.removeUserFromGroup('g1-new', 'm')), 'EntityNotExist.User.Group');
      await s.deleteGroup('g1-new');
      assert.deepEqual((await s.listGroups({ limit: 10 })).map((g) => g.groupName), ['g2']);
      await s.close();
    });

    it('roles: case-insensitive names', async () => {
      const s = await make();
      await s.createRole(ramRole('Admin', '400000000000000001'), L.roles);
      assert.equal(await codeOf(() => s.createRole(ramRole('admin', '400000000000000002'), L.roles)), 'EntityAlreadyExists.Role');
      assert.equal((await s.getRole('ADMIN'))?.roleName, 'Admin');
      assert.equal((await s.getRoleById('400000000000000001'))?.roleName, 'Admin');
      const u = await s.updateRole('admin', { maxSessionDuration: 7200 }, 9);
      assert.equal(u.maxSessionDuration, 7200);
      assert.equal(await codeOf(() => s.updateRole('nope', {}, 9)), 'EntityNotExist.Role');
      assert.deepEqual((await s.listRoles({ limit: 5 })).map((r) => r.roleName), ['Admin']);
      await s.deleteRole('aDmIn');
      assert.equal(await s.getRole('Admin'), null);
      await s.close();
    });

    it('policies: versions numbered v1.., limit, rotation, default rules, delete conflicts', async () => {
      const s = await make();
      const v1 = await s.createPolicy({ policyName: 'p', description: 'd', defaultVersion: 'v1', createDate: 1, updateDate: 1 }, 'doc1', L.customPolicies);
      assert.equal(v1.versionId, 'v1');
      assert.equal(await codeOf(() => s.createPolicy({ policyName: 'p', description: '', defaultVersion: 'v1', createDate: 1, updateDate: 1 }, 'x', 10)),
        'EntityAlreadyExists.Policy');
      assert.equal(await codeOf(() => s.createPolicy({ policyName: 'q', description: '', defaultVersion: 'v1', createDate: 1, updateDate: 1 }, 'x', 1)),
        'LimitExceeded.Policy');
      const opts = { setAsDefault: false, rotate: false, maxVersions: 3 };
      assert.equal((await s.createPolicyVersion('p', 'doc2', 2, opts)).versionId, 'v2');
      assert.equal((await s.createPolicyVersion('p', 'doc3', 3, { ...opts, setAsDefault: true })).versionId, 'v3');
      assert.equal((await s.getPolicy('p'))?.defaultVersion, 'v3');
      assert.equal(await codeOf(() => s.createPolicyVersion('p', 'doc4', 4, opts)), 'LimitExceeded.Policy.Version');
      assert.equal((await s.createPolicyVersion('p', 'doc4', 4, { ...opts, rotate: true })).versionId, 'v4');
      assert.deepEqual((await s.listPolicyVersions('p')).map((v) => v.versionId), ['v4', 'v3', 'v2'], 'v1 (oldest non-default) rotated out');
      assert.equal((await s.getPolicyVersion('p', 'v2'))?.document, 'doc2');
      assert.equal(await s.getPolicyVersion('p', 'v1'), null);
      assert.equal(await codeOf(() => s.deletePolicyVersion('p', 'v3')), 'DeleteConflict.Policy.Version.Default');
      assert.equal(await codeOf(() => s.setDefaultPolicyVersion('p', 'v1', 5)), 'EntityNotExist.Policy.Version');
      await s.setDefaultPolicyVersion('p', 'v4', 5);
      assert.equal(await codeOf(() => s.deletePolicy('p')), 'DeleteConflict.Policy.Version');
      await s.deletePolicyVersion('p', 'v2');
      await s.deletePolicyVersion('p', 'v3');
      assert.equal((await s.createPolicyVersion('p', 'doc5', 6, opts)).versionId, 'v5', 'version ids are never reused');
      await s.deletePolicyVersion('p', 'v5');

      await s.createUser(ramUser('pu', '5000000000000001'), L.users);
      await s.attachPolicy({ principalKind: 'User', principalId: '5000000000000001', policyType: 'Custom', policyName: 'p', attachDate: 7 }, 1);
      assert.equal(await codeOf(() => s.attachPolicy({ principalKind: 'User', principalId: '5000000000000001', policyType: 'Custom', policyName: 'p', attachDate: 7 }, 5)),
        'EntityAlreadyExists.User.Policy');
      assert.equal(await codeOf(() => s.attachPolicy({ principalKind: 'User', principalId: '5000000000000001', policyType: 'Custom', policyName: 'zz', attachDate: 7 }, 5)),
        'EntityNotExist.Policy');
      await s.createPolicy({ policyName: 'p2', description: '', defaultVersion: 'v1', createDate: 1, updateDate: 1 }, 'x', L.customPolicies);
      assert.equal(await codeOf(() => s.attachPolicy({ principalKind: 'User', principalId: '5000000000000001', policyType: 'Custom', policyName: 'p2', attachDate: 7 }, 1)),
        'LimitExceeded.User.Policy');
      await s.attachPolicy({ principalKind: 'User', principalId: '5000000000000001', policyType: 'System', policyName: 'AdministratorAccess', attachDate: 8 }, 1);
      assert.equal(await codeOf(() => s.attachPolicy({ principalKind: 'Role', principalId: '0', policyType: 'System', policyName: 'X', attachDate: 8 }, 1)),
        'EntityNotExist.Role');
      assert.deepEqual((await s.listAttachments('User', '5000000000000001')).map((a) => `${a.policyType}:${a.policyName}`), ['Custom:p', 'System:AdministratorAccess']);
      assert.deepEqual((await s.listAttachmentsForPolicy('Custom', 'p')).map((a) => a.principalId), ['5000000000000001']);
      assert.equal(await s.countAttachments('System', 'AdministratorAccess'), 1);
      assert.equal(await codeOf(() => s.deletePolicy('p')), 'DeleteConflict.Policy.User');
      assert.equal(await codeOf(() => s.deleteUser('pu')), 'DeleteConflict.User.Policy');
      await s.detachPolicy('User', '5000000000000001', 'Custom', 'p');
      assert.equal(await codeOf(() => s.detachPolicy('User', '5000000000000001', 'Custom', 'p')), 'EntityNotExist.User.Policy');
      await s.deletePolicy('p');
      assert.equal(await s.getPolicy('p'), null);
      assert.deepEqual((await s.listPolicies({ limit: 10 })).map((p) => p.policyName), ['p2']);
      await s.close();
    });

    it('nonces: claimed once until they expire', async () => {
      const s = await make();
      assert.equal(await s.claimNonce('AK\nn1', 1000, 0), true);
      assert.equal(await s.claimNonce('AK\nn1', 1000, 500), false);
      assert.equal(await s.claimNonce('AK\nn2', 1000, 500), true);
      assert.equal(await s.claimNonce('AK\nn1', 3000, 1000), true, 'expired nonces are dropped');
      const concurrent = await Promise.all([s.claimNonce('race', 9000, 1001), s.claimNonce('race', 9000, 1001)]);
      assert.deepEqual(concurrent.sort(), [false, true]);
      // nonceLive reads what a claim would decide, and claims nothing.
      assert.equal(await s.claimNonce('AK\nlive', 5000, 1002), true);
      assert.equal(await s.nonceLive('AK\nlive', 4999), true);
      assert.equal(await s.nonceLive('AK\nlive', 5000), false, 'expired at its time');
      assert.equal(await s.nonceLive('AK\nnever', 0), false);
      assert.equal(await s.claimNonce('AK\nnever', 1000, 0), true, 'nonceLive claimed nothing');
      await s.close();
    });

    it('key rotations: re-seal and its audit row commit together; a failing re-seal changes and records nothing', async () => {
      const s = await make();
      assert.deepEqual(await s.listKeyRotations(), [], 'a new store has no history');
      await s.createUser(ramUser('u1', '3000000000000001'), L.users);
      await s.createAccessKey('u1', ramKey('LTAIaaaaaaaaaaaaaaaaaaaa'), 2);
      await s.createAccessKey('u1', { ...ramKey('LTAIbbbbbbbbbbbbbbbbbbbb'), sealedSecret: 'v2.already' }, 2);
      const audit = { keyFingerprint: '0123456789abcdef', previousFingerprints: ['fedcba9876543210', '00112233aabbccdd'], mode: 'file' as const, host: 'h1', pid: 4242 };
      const gen = s.identityGeneration();
      const toV2 = (id: string, sealed: string): string => (sealed.startsWith('v1.') ? `v2.${id}` : sealed);
      assert.equal(await s.resealAccessKeySecrets(toV2, audit), 1, 'only the secret whose sealed form changed counts');
      assert.equal((await s.getAccessKey('LTAIaaaaaaaaaaaaaaaaaaaa'))?.sealedSecret, 'v2.LTAIaaaaaaaaaaaaaaaaaaaa');
      assert.equal((await s.getAccessKey('LTAIbbbbbbbbbbbbbbbbbbbb'))?.sealedSecret, 'v2.already');
      assert.ok(s.identityGeneration() !== gen, 'caches of credentials are invalidated');
      const [first, ...rest] = await s.listKeyRotations();
      assert.equal(rest.length, 0);
      assert.ok(first);
      assert.ok(Math.abs(first.rotatedAt - Date.now()) < 10 * 60_000, `rotatedAt ${first.rotatedAt} is now (ms since the epoch)`);
      assert.deepEqual({ ...first, rotatedAt: 0, id: 0 }, { ...audit, id: 0, rotatedAt: 0, resealed: 1 });

      // The second key fails to re-seal: the first key's update and the audit row roll back with it.
      const failing = (id: string, sealed: string): string => {
        if (id === 'LTAIbbbbbbbbbbbbbbbbbbbb') throw new Error(`the secret of AccessKey ${id} opens with no known master key`);
        return `v3.${sealed}`;
      };
      await assert.rejects(s.resealAccessKeySecrets(failing, { ...audit, keyFingerprint: 'badbadbadbadbad0' }), /LTAIbbbbbbbbbbbbbbbbbbbb opens with no known master key/);
      assert.equal((await s.getAccessKey('LTAIaaaaaaaaaaaaaaaaaaaa'))?.sealedSecret, 'v2.LTAIaaaaaaaaaaaaaaaaaaaa');
      assert.deepEqual((await s.listKeyRotations()).map((r) => r.keyFingerprint), ['0123456789abcdef']);

      // Another rotation (environment mode, nothing to change): newest first, ids increasing.
      assert.equal(await s.resealAccessKeySecrets((_id, sealed) => sealed, { ...audit, keyFingerprint: '1111222233334444', previousFingerprints: [], mode: 'environment' }), 0);
      const all = await s.listKeyRotations();
      assert.deepEqual(all.map((r) => [r.keyFingerprint, r.mode, r.resealed, r.previousFingerprints]), [
        ['1111222233334444', 'environment', 0, []],
        ['0123456789abcdef', 'file', 1, ['fedcba9876543210', '00112233aabbccdd']],
      ]);
      assert.ok(all[0]!.id > all[1]!.id);
      assert.ok(all[0]!.rotatedAt >= all[1]!.rotatedAt);
      await s.close();
    });

    it('the master-key check document moves with the re-seal, or not at all; reset() keeps it', async () => {
      const s = await make();
      const read = async (): Promise<string | undefined> => (await s.readIdentityDocs(KEY_CHECK_DOC.kind, [KEY_CHECK_DOC.id])).get(KEY_CHECK_DOC.id);
      assert.equal(await s.anySealedSecret(), null);
      await s.createUser(ramUser('u1', '3000000000000001'), L.users);
      await s.createAccessKey('u1', ramKey('LTAIaaaaaaaaaaaaaaaaaaaa'), 2);
      assert.equal((await s.anySealedSecret())?.accessKeyId, 'LTAIaaaaaaaaaaaaaaaaaaaa');
      const audit = { keyFingerprint: '0123456789abcdef', previousFingerprints: [], mode: 'environment' as const, host: 'h1', pid: 1 };
      await s.resealAccessKeySecrets((_id, sealed) => sealed, audit, (cur) => (cur === null ? 'check-1' : assert.fail('absent at first')));
      assert.equal(await read(), 'check-1');
      // The re-seal fails: the check stays; the check decider refuses: the secrets stay and nothing is recorded.
      await assert.rejects(s.resealAccessKeySecrets(() => assert.fail('no key'), audit, () => 'check-2'), /no key/);
      assert.equal(await read(), 'check-1');
      await assert.rejects(s.resealAccessKeySecrets((id) => `v9.${id}`, audit, () => assert.fail('foreign store')), /foreign store/);
      assert.notEqual((await s.getAccessKey('LTAIaaaaaaaaaaaaaaaaaaaa'))?.sealedSecret, 'v9.LTAIaaaaaaaaaaaaaaaaaaaa');
      assert.equal((await s.listKeyRotations()).length, 1);
      await s.resealAccessKeySecrets((id) => `v9.${id}`, audit, (cur) => `${cur}+2`);
      assert.equal(await read(), 'check-1+2');
      assert.equal((await s.getAccessKey('LTAIaaaaaaaaaaaaaaaaaaaa'))?.sealedSecret, 'v9.LTAIaaaaaaaaaaaaaaaaaaaa');
      await s.reset();
      assert.equal(await read(), 'check-1+2', 'reset() empties the store, not the key check');
      assert.equal(await s.anySealedSecret(), null);
      await s.close();
    });
  });
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

    it('reads ranges of several blobs in order (an object\'s parts); fails on a missing blob or a range past its end', async () => {
      const s = await make();
      const a = Buffer.from('a'.repeat(300_000) + 'b'.repeat(300_000));
      const b = Buffer.from('0123456789');
      const { blobId: ida } = await s.put(Readable.from([a]));
      const { blobId: idb } = await s.put(Readable.from([b]));
      const got = await readAll(s.readRanges([{ blobId: ida, start: 299_990, end: a.length }, { blobId: idb, start: 3, end: 3 }, { blobId: idb, start: 2, end: 7 }, { blobId: ida, start: 0, end: 4 }]));
      assert.ok(got.equals(Buffer.concat([a.subarray(299_990), b.subarray(2, 7), a.subarray(0, 4)])));
      assert.equal((await readAll(s.readRanges([]))).length, 0);
      await assert.rejects(readAll(s.readRanges([{ blobId: idb, start: 0, end: 10 }, { blobId: 'f'.repeat(32), start: 0, end: 1 }])));
      await assert.rejects(readAll(s.readRanges([{ blobId: idb, start: 5, end: 11 }])));
      await s.close();
    });

    it('reads a missing blob\'s range from the blob its relocate names (a merged append segment), or fails as before', async () => {
      const s = await make();
      const a = Buffer.from('0123456789');
      const merged = Buffer.from('0123456789abc');
      const { blobId: ida } = await s.put(Readable.from([a]));
      const { blobId: idm } = await s.put(Readable.from([merged]));
      const gone = 'e'.repeat(32);
      let asked = 0;
      const relocate = async (): Promise<string | null> => (asked++ === 0 ? gone : idm); // the first answer is gone too
      const got = await readAll(s.readRanges([{ blobId: ida, start: 0, end: 4 }, { blobId: 'f'.repeat(32), start: 2, end: 10, relocate }]));
      assert.ok(got.equals(Buffer.concat([a.subarray(0, 4), merged.subarray(2, 10)])));
      assert.equal(asked, 2);
      await assert.rejects(readAll(s.readRanges([{ blobId: 'f'.repeat(32), start: 0, end: 1, relocate: async () => null }])), { code: 'ENOENT' });
      // A blob that is there is read without asking.
      assert.ok((await readAll(s.readRanges([{ blobId: ida, start: 1, end: 3, relocate: async () => assert.fail('asked') }]))).equals(a.subarray(1, 3)));
      await s.close();
    });

    it('asks relocate at most RELOCATE_TRIES times for a range, then fails with ENOENT; a relocate that rejects fails the read with its own error', async () => {
      const s = await make();
      let asked = 0;
      const gone = async (): Promise<string> => {
        asked++;
        return 'e'.repeat(32); // every answer is gone too (another process merging again and again)
      };
      await assert.rejects(readAll(s.readRanges([{ blobId: 'f'.repeat(32), start: 0, end: 1, relocate: gone }])), { code: 'ENOENT' });
      assert.equal(asked, RELOCATE_TRIES);
      // The record could not be read again: that failure is the read's, not a missing file's.
      const unreadable = new Error('the record could not be read');
      const failing = async (): Promise<string> => {
        throw unreadable;
      };
      await assert.rejects(readAll(s.readRanges([{ blobId: 'f'.repeat(32), start: 0, end: 1, relocate: failing }])), (err) => err === unreadable);
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

  // Made (0700) and synced at open, so no write pays a mkdir and an fsync of blobs/ before its rename.
  it('makes all 256 shard directories at open, private, keeping those there', async () => {
    const shards = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
    const fresh = await tempDir();
    await FsBlobStore.open({ root: fresh });
    assert.deepEqual((await readdir(join(fresh, 'blobs'))).sort(), shards);
    for (const sub of shards) assert.equal((await stat(join(fresh, 'blobs', sub))).mode & 0o777, 0o700);
    const older = await tempDir();
    const s = await FsBlobStore.open({ root: older });
    const { blobId } = await s.put(Readable.from([Buffer.from('kept')]));
    // A shard that is not the blob's (its id is random: 'ff' was removed 1 time in 256 under it, failing the chmod).
    const removed = blobId.startsWith('ff') ? 'fe' : 'ff';
    await rm(join(older, 'blobs', removed), { recursive: true });
    await chmod(join(older, 'blobs', blobId.slice(0, 2)), 0o755);
    await mkdir(join(older, 'blobs', 'not-a-shard'));
    const again = await FsBlobStore.open({ root: older, durable: false });
    assert.deepEqual((await readdir(join(older, 'blobs'))).filter((d) => d !== 'not-a-shard').sort(), shards);
    assert.equal((await stat(join(older, 'blobs', blobId.slice(0, 2)))).mode & 0o777, 0o700);
    const back: Buffer[] = [];
    for await (const c of again.read(blobId, 0, 4)) back.push(c as Buffer);
    assert.equal(Buffer.concat(back).toString(), 'kept');
  });

  it('keeps a shard directory open for the fsync after each rename into it, and closes it with the store', async () => {
    const root = await tempDir();
    const s = await FsBlobStore.open({ root });
    const blobs = join(root, 'blobs');
    /** This process's descriptors open on the store's shard directories, by directory. */
    const shardFds = (): string[] => readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return dirname(target) === blobs ? [target] : [];
      } catch {
        return []; // the descriptor readdir itself used, closed meanwhile
      }
    });
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) ids.push((await s.put(Readable.from([Buffer.from(`blob ${i}`)]))).blobId);
    // Each shard written into once or more: one descriptor each, kept (before: opened and closed for every blob).
    const shards = [...new Set(ids.map((id) => join(blobs, id.slice(0, 2))))].sort();
    assert.deepEqual(shardFds().sort(), shards);
    for (const [i, id] of ids.entries()) {
      const back: Buffer[] = [];
      for await (const c of s.read(id, 0, `blob ${i}`.length)) back.push(c as Buffer);
      assert.equal(Buffer.concat(back).toString(), `blob ${i}`);
    }
    await s.close();
    assert.deepEqual(shardFds(), []);
  });
});

// A durable file store flushes a temp file in the background while it grows (FLUSH_EVERY), one flush at a
// time, so the commit's own fdatasync only waits for the tail. Counted on the real file handle.
describe('FsBlobStore early flushes', () => {
  const MiB = 1024 * 1024;
  async function writeThrough(s: FsBlobStore, chunks: number, datasync: (real: () => Promise<void>) => Promise<void>) {
    const file = await s.create();
    const real = file.fh.datasync.bind(file.fh);
    const seen = { calls: 0, inFlight: 0, maxInFlight: 0, beforeCommit: 0 };
    file.fh.datasync = async () => {
      seen.calls++;
      seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight);
      try {
        await datasync(real);
      } finally {
        seen.inFlight--;
      }
    };
    const chunk = Buffer.alloc(MiB, 0x61);
    for (let i = 0; i < chunks; i++) {
      chunk[0] = i;
      await file.fh.write(chunk, 0, chunk.length);
      file.wrote(chunk.length);
      // Give a started flush the chance to finish, as a streaming body would.
      await new Promise((r) => setImmediate(r));
    }
    seen.beforeCommit = seen.calls;
    return { file, seen, size: chunks * MiB };
  }

  it('starts background flushes while the file grows, one at a time, and keeps every byte', async () => {
    const root = await tempDir();
    const s = await FsBlobStore.open({ root });
    const chunks = (3 * FLUSH_EVERY) / MiB + 1;
    const { file, seen, size } = await writeThrough(s, chunks, (real) => real());
    assert.ok(seen.beforeCommit >= 1, `a flush started before the commit (${seen.beforeCommit})`);
    assert.ok(seen.beforeCommit <= 3, `at most one flush per ${FLUSH_EVERY} bytes (${seen.beforeCommit})`);
    const { blobId } = await file.commit(size);
    assert.equal(seen.calls, seen.beforeCommit + 1, 'the commit syncs the tail itself');
    assert.equal(seen.maxInFlight, 1);
    const back: Buffer[] = [];
    for await (const c of s.read(blobId, 0, size)) back.push(c as Buffer);
    const all = Buffer.concat(back);
    assert.equal(all.length, size);
    for (let i = 0; i < chunks; i++) assert.equal(all[i * MiB], i);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
  });

  it('does not flush when the store is not durable', async () => {
    const s = await FsBlobStore.open({ root: await tempDir(), durable: false });
    const { file, seen, size } = await writeThrough(s, (2 * FLUSH_EVERY) / MiB + 1, (real) => real());
    await file.commit(size);
    assert.equal(seen.calls, 0);
  });

  it('fails the commit with an early flush error and keeps nothing', async () => {
    const root = await tempDir();
    const s = await FsBlobStore.open({ root });
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    // Linux reports a write-back error once: the commit's own sync would succeed.
    let failed = false;
    const { file, seen, size } = await writeThrough(s, FLUSH_EVERY / MiB + 1, async (real) => {
      if (!failed) {
        failed = true;
        throw eio;
      }
      await real();
    });
    assert.ok(seen.beforeCommit >= 1);
    await assert.rejects(file.commit(size), (err: NodeJS.ErrnoException) => err.code === 'EIO');
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual((await readdir(join(root, 'blobs'), { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory()), []);
  });
});

describe('SqliteMetadataStore inline bytes', () => {
  it('keeps one inline row per small object: replaced and deleted objects leave none behind', async () => {
    const path = join(await tempDir(), 'm.sqlite');
    const s = new SqliteMetadataStore({ path });
    await s.createBucket(bucket('b1'));
    const small = (key: string, text: string): ObjectRecord => ({ ...object('b1', key), segments: [], inline: Buffer.from(text) });
    await s.putObject('b1', 'a', () => small('a', 'one'));
    await s.putObject('b1', 'a', () => small('a', 'two'));
    await s.putObject('b1', 'b', () => small('b', 'three'));
    await s.putObject('b1', 'b', () => object('b1', 'b')); // now blob-backed
    await s.putObject('b1', 'c', () => small('c', 'four'));
    await s.deleteObject('b1', 'c');
    assert.deepEqual((await s.getObject('b1', 'a'))?.inline, Buffer.from('two'));
    assert.equal((await s.getObject('b1', 'b'))?.inline, null);
    await s.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path, { readonly: true });
    assert.equal((db.prepare('SELECT count(*) AS n FROM inline_data').get() as { n: number }).n, 1);
    db.close();
  });
});

// Versions (docs/versioning.md): `objects` holds the current version, noncurrent versions and delete markers
// live apart; every engine must give the same answers.
for (const [name, make] of metaFactories) {
  describe(`MetadataStore versions: ${name}`, () => {
    const setStatus = (s: MetadataStore, b: string, status: 'Enabled' | 'Suspended') =>
      s.updateBucketConfig(b, 'versioning', () => JSON.stringify({ status }));
    const blob = (n: number) => n.toString(16).padStart(32, '0');

    it('keeps every version, adds and removes delete markers, promotes the next newest', async () => {
      const s = await make();
      await s.createBucket(bucket('v'));
      await setStatus(s, 'v', 'Enabled');
      const one = await s.putObject('v', 'k', (cur, status) => {
        assert.equal(status, 'Enabled');
        assert.equal(cur, null);
        return { ...object('v', 'k', blob(1)), lastModified: 1_700_000_000_000 };
      });
      assert.equal(one.replaced, null);
      assert.match(one.record.versionId ?? '', /^[A-Za-z0-9_-]{64}$/);
      const two = await s.putObject('v', 'k', () => ({ ...object('v', 'k'), segments: [], inline: Buffer.from('two'), etag: 'TWO', lastModified: 1_700_000_000_000 }));
      assert.equal(two.replaced, null, 'the first version stays');
      assert.notEqual(two.record.versionId, one.record.versionId);
      assert.equal((await s.getObject('v', 'k'))?.versionId, two.record.versionId);
      const v1 = await s.getObjectVersion('v', 'k', one.record.versionId);
      assert.equal(v1?.etag, 'ABC');
      assert.equal(v1?.isLatest, false);
      assert.equal(typeof v1?.noncurrentSince, 'number');
      assert.deepEqual(await s.referencedBlobIds(), new Set([blob(1)]));
      let list = await s.listObjectVersions('v', { prefix: '', limit: 10 });
      assert.deepEqual(list.map((e) => [e.versionId, e.isLatest, e.deleteMarker]), [
        [two.record.versionId, true, false], [one.record.versionId, false, false],
      ]);
      // A delete without version id adds a marker: the key is gone for plain reads, its versions stay.
      const del = await s.removeObject('v', 'k', 1_700_000_001_000);
      assert.equal(del.deleteMarker, true);
      assert.equal(del.removed, null);
      assert.equal(await s.getObject('v', 'k'), null);
      assert.equal((await s.getObjectVersion('v', 'k'))?.deleteMarker, true);
      assert.deepEqual(await s.listObjects('v', { prefix: '', limit: 10 }), []);
      list = await s.listObjectVersions('v', { prefix: '', limit: 10 });
      assert.deepEqual(list.map((e) => [e.versionId, e.isLatest, e.deleteMarker]), [
        [del.versionId, true, true], [two.record.versionId, false, false], [one.record.versionId, false, false],
      ]);
      assert.equal(await s.deleteBucket('v'), 'not-empty');
      const markers = await s.listCurrentDeleteMarkers('v', { limit: 10 });
      assert.deepEqual(markers.map((m) => [m.key, m.onlyVersion]), [['k', false]]);
      // Removing the marker makes the newest version current again (with its inline bytes).
      const undo = await s.removeObject('v', 'k', 1_700_000_002_000, del.versionId!);
      assert.deepEqual([undo.deleteMarker, undo.removed], [true, null]);
      const back = await s.getObject('v', 'k');
      assert.equal(back?.versionId, two.record.versionId);
      assert.deepEqual(back?.inline, Buffer.from('two'));
      // Removing the current version for good promotes the previous one, blob and all.
      const gone = await s.removeObject('v', 'k', 1_700_000_003_000, two.record.versionId!);
      assert.equal(gone.removed?.etag, 'TWO');
      assert.equal((await s.getObject('v', 'k'))?.versionId, one.record.versionId);
      assert.equal((await s.getObject('v', 'k'))?.segments[0]?.blobId, blob(1));
      assert.equal((await s.removeObject('v', 'k', 1, 'AAAAAAAAAAAAAAAAAAAAAA')).missingVersion, true);
      assert.equal((await s.removeObject('v', 'k', 1, 'nonsense')).missingVersion, true);
      const last = await s.removeObject('v', 'k', 1, one.record.versionId!);
      assert.deepEqual(last.removed?.segments.map((x) => x.blobId), [blob(1)]);
      assert.deepEqual(await s.listObjectVersions('v', { prefix: '', limit: 10 }), []);
      assert.equal(await s.deleteBucket('v'), 'deleted');
      await s.close();
    });

    it('gives objects written before versioning and while suspended the null version, which a suspended write replaces', async () => {
      const s = await make();
      await s.createBucket(bucket('n'));
      await s.putObject('n', 'k', () => object('n', 'k', blob(1)));
      await setStatus(s, 'n', 'Enabled');
      const v = await s.putObject('n', 'k', () => object('n', 'k', blob(2)));
      assert.deepEqual((await s.listObjectVersions('n', { prefix: '', limit: 10 })).map((e) => e.versionId), [v.record.versionId, 'null']);
      assert.equal((await s.getObjectVersion('n', 'k', 'null'))?.segments[0]?.blobId, blob(1));
      await setStatus(s, 'n', 'Suspended');
      // Suspended: the new object is the null version; the old null version is garbage, the versioned one stays.
      const w = await s.putObject('n', 'k', (_cur, status) => {
        assert.equal(status, 'Suspended');
        return object('n', 'k', blob(3));
      });
      assert.equal(w.record.versionId, undefined);
      assert.deepEqual(w.replaced?.segments.map((x) => x.blobId), [blob(1)]);
      assert.deepEqual((await s.listObjectVersions('n', { prefix: '', limit: 10 })).map((e) => e.versionId), ['null', v.record.versionId]);
      // A second suspended write replaces the current null version.
      const again = await s.putObject('n', 'k', () => object('n', 'k', blob(4)));
      assert.deepEqual(again.replaced?.segments.map((x) => x.blobId), [blob(3)]);
      // A suspended delete: a null delete marker replacing the null version.
      const del = await s.removeObject('n', 'k', 1_700_000_005_000);
      assert.deepEqual([del.versionId, del.deleteMarker, del.removed?.segments.map((x) => x.blobId)], ['null', true, [blob(4)]]);
      assert.deepEqual((await s.listObjectVersions('n', { prefix: '', limit: 10 })).map((e) => [e.versionId, e.deleteMarker]), [['null', true], [v.record.versionId, false]]);
      assert.deepEqual(await s.referencedBlobIds(), new Set([blob(2)]));
      await s.close();
    });

    it('frees a removed version only of blobs no other version of the key uses; ACL and tags change a version in place', async () => {
      const s = await make();
      await s.createBucket(bucket('sh'));
      await setStatus(s, 'sh', 'Enabled');
      const a = await s.putObject('sh', 'k', () => object('sh', 'k', blob(7)));
      // An in-place copy (new metadata, same bytes) shares the blob.
      const b = await s.putObject('sh', 'k', (cur) => ({ ...cur!, userMeta: { x: 'y' } }));
      assert.notEqual(a.record.versionId, b.record.versionId);
      assert.deepEqual((await s.removeObject('sh', 'k', 1, a.record.versionId!)).removed?.segments, []);
      assert.deepEqual(await s.referencedBlobIds(), new Set([blob(7)]));
      const c = await s.putObject('sh', 'k', () => object('sh', 'k', blob(8)));
      const updated = await s.updateObjectVersion('sh', 'k', b.record.versionId, (r) => ({ ...r, acl: 'public-read', tags: [['t', '1']] }));
      assert.equal(updated?.acl, 'public-read');
      const bv = await s.getObjectVersion('sh', 'k', b.record.versionId);
      assert.deepEqual([bv?.acl, bv?.tags, bv?.userMeta], ['public-read', [['t', '1']], { x: 'y' }]);
      assert.equal((await s.getObject('sh', 'k'))?.acl, 'default', 'the current version is untouched');
      assert.equal((await s.updateObjectVersion('sh', 'k', undefined, (r) => ({ ...r, acl: 'private' })))?.versionId, c.record.versionId);
      assert.equal((await s.listObjectVersions('sh', { prefix: '', limit: 10 })).length, 2, 'no version was added');
      assert.equal(await s.updateObjectVersion('sh', 'k', 'AAAAAAAAAAAAAAAAAAAAAA', (r) => r), null);
      await s.close();
    });

    it('lists versions in key order, newest first, resuming exactly at (key-marker, version-id-marker)', async () => {
      const s = await make();
      await s.createBucket(bucket('l'));
      await s.putObject('l', 'a', () => object('l', 'a', blob(1)));
      await setStatus(s, 'l', 'Enabled');
      const keys = ['a', 'b/1', 'b/2', 'c', '\u{1F600}', '\uFFFD'];
      for (const k of keys) for (let i = 0; i < 3; i++) await s.putObject('l', k, () => object('l', k, blob(100 + i)));
      await s.removeObject('l', 'c', 1_800_000_000_000);
      const all = await s.listObjectVersions('l', { prefix: '', limit: 1000 });
      assert.equal(all.length, 1 + keys.length * 3 + 1);
      // Key order is UTF-8 byte order: U+FFFD before U+1F600.
      assert.deepEqual([...new Set(all.map((e) => e.key))], ['a', 'b/1', 'b/2', 'c', '\uFFFD', '\u{1F600}']);
      assert.deepEqual(all.filter((e) => e.isLatest).map((e) => e.key), ['a', 'b/1', 'b/2', 'c', '\uFFFD', '\u{1F600}']);
      assert.equal(all.find((e) => e.key === 'c' && e.isLatest)?.deleteMarker, true);
      assert.equal(all.filter((e) => e.key === 'a').at(-1)?.versionId, 'null');
      for (const size of [1, 2, 3, 5]) {
        const paged: typeof all = [];
        let after: { key: string; versionId: string } | undefined;
        for (;;) {
          const page = await s.listObjectVersions('l', { prefix: '', after, limit: size });
          paged.push(...page);
          if (page.length < size) break;
          const last = page.at(-1)!;
          after = { key: last.key, versionId: last.versionId };
        }
        assert.deepEqual(paged, all, `page size ${size}`);
      }
      assert.deepEqual((await s.listObjectVersions('l', { prefix: 'b/', limit: 100 })).map((e) => e.key), ['b/1', 'b/1', 'b/1', 'b/2', 'b/2', 'b/2']);
      assert.deepEqual((await s.listObjectVersions('l', { prefix: '', skipPrefix: 'b/', after: { key: 'a' }, limit: 2 })).map((e) => e.key), ['c', 'c']);
      // Noncurrent versions by age, keyset-paged.
      const old = await s.listNoncurrentVersions('l', { before: Number.MAX_SAFE_INTEGER, limit: 1000 });
      assert.equal(old.length, all.filter((e) => !e.isLatest).length);
      const firstTwo = await s.listNoncurrentVersions('l', { before: Number.MAX_SAFE_INTEGER, limit: 2 });
      const next = await s.listNoncurrentVersions('l', {
        before: Number.MAX_SAFE_INTEGER, limit: 1000,
        after: { noncurrentSince: firstTwo[1]!.noncurrentSince!, key: firstTwo[1]!.key, versionId: firstTwo[1]!.versionId },
      });
      assert.deepEqual([...firstTwo, ...next], old);
      await s.close();
    });
  });
}

describe('PostgreSQL: a swap of an index entry moves the index generation of every process', () => {
  it('the other process sees it once it catches up (as each request does)', async () => {
    const url = await (await testPostgres()).freshUrl();
    const one = await PostgresMetadataStore.open({ url, durable: false });
    const two = await PostgresMetadataStore.open({ url, durable: false });
    try {
      await two.refreshSharedState();
      const seen = two.indexGeneration();
      assert.equal(await one.swapIndexEntry('cname', 'pg.example.com', null, 'b1'), true);
      await two.refreshSharedState();
      assert.notEqual(two.indexGeneration(), seen);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
