// The SQLite store's cache of object records read by GetObject/HeadObject (store/meta/sqlite/object-record-cache.ts):
// every kind of write in between is seen by the next read, and a reader cannot change what the next one gets.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Bucket, ObjectRecord } from '../src/domain/model.js';
import { AppError } from '../src/errors.js';
import { ObjectRecordCache } from '../src/store/meta/sqlite/object-record-cache.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import { VERSIONING_CONFIG } from '../src/store/meta/versions.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function fileStore(): Promise<SqliteMetadataStore> {
  const d = await mkdtemp(join(tmpdir(), 'alunite-rowcache-'));
  dirs.push(d);
  return new SqliteMetadataStore({ path: join(d, 'm.sqlite') });
}

function bucket(name: string): Bucket {
  return {
    name, ownerAccountId: '1234567890123456', createdAt: 1_700_000_000_000, region: 'cn-hangzhou', acl: 'private',
    storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {},
  };
}

function inlineObject(b: string, key: string, text: string, etag = 'E1'): ObjectRecord {
  const inline = Buffer.from(text);
  return {
    bucket: b, key, size: inline.length, etag, crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard',
    acl: 'default', lastModified: 1_700_000_000_000, headers: { contentType: 'text/plain' }, userMeta: {},
    tags: [], segments: [], inline, symlinkTarget: null,
  };
}

describe('SQLite object record cache', () => {
  it('a read after any write sees the write (put, overwrite, tag update, delete, put after a missing read)', async () => {
    const s = await fileStore();
    await s.createBucket(bucket('rc'));
    assert.equal(await s.getObject('rc', 'k'), null);
    assert.equal(await s.getObject('rc', 'k'), null); // cached as missing
    await s.putObject('rc', 'k', () => inlineObject('rc', 'k', 'one'));
    assert.equal((await s.getObject('rc', 'k'))?.inline?.toString(), 'one');
    assert.equal((await s.getObject('rc', 'k'))?.inline?.toString(), 'one'); // cached
    await s.putObject('rc', 'k', () => inlineObject('rc', 'k', 'two', 'E2'));
    const two = await s.getObject('rc', 'k');
    assert.equal(two?.inline?.toString(), 'two');
    assert.equal(two?.etag, 'E2');
    await s.updateObjectVersion('rc', 'k', undefined, (cur) => ({ ...cur, tags: [['a', 'b']] }));
    assert.deepEqual((await s.getObject('rc', 'k'))?.tags, [['a', 'b']]);
    await s.deleteObject('rc', 'k');
    assert.equal(await s.getObject('rc', 'k'), null);
  });

  it('a write to another key or bucket also refreshes the read (no stale row survives any commit)', async () => {
    const s = await fileStore();
    await s.createBucket(bucket('rc1'));
    await s.createBucket(bucket('rc2'));
    await s.putObject('rc1', 'a', () => inlineObject('rc1', 'a', 'a1'));
    assert.equal((await s.getObject('rc1', 'a'))?.inline?.toString(), 'a1');
    await s.putObject('rc2', 'b', () => inlineObject('rc2', 'b', 'b1'));
    assert.equal((await s.getObject('rc1', 'a'))?.inline?.toString(), 'a1');
    assert.equal((await s.getObject('rc2', 'b'))?.inline?.toString(), 'b1');
    const removed = await s.deleteObjectsIf('rc1', ['a'], () => true);
    assert.equal(removed.length, 1);
    assert.equal(await s.getObject('rc1', 'a'), null);
  });

  it('a hit hands out the cached record itself; a write hands out a new one and leaves the old one as it was', async () => {
    const s = await fileStore();
    await s.createBucket(bucket('rcb'));
    await s.putObject('rcb', 'k', () => ({ ...inlineObject('rcb', 'k', 'hello'), userMeta: { a: '1' }, tags: [['t', 'v']] }));
    const first = (await s.getObject('rcb', 'k'))!;
    assert.equal(await s.getObject('rcb', 'k'), first, 'a hit hands out the cached record');
    await s.putObject('rcb', 'k', () => inlineObject('rcb', 'k', 'bye', 'E2'));
    const next = (await s.getObject('rcb', 'k'))!;
    assert.notEqual(next, first);
    assert.equal(next.inline?.toString(), 'bye');
    assert.deepEqual([first.inline?.toString(), first.etag, first.userMeta, first.tags], ['hello', 'E1', { a: '1' }, [['t', 'v']]]);
  });

  it('versioning status read by writes: a delete on an Enabled bucket leaves a marker; writes to a missing bucket are refused', async () => {
    const s = await fileStore();
    await s.createBucket(bucket('rcv'));
    await s.updateBucketConfig('rcv', VERSIONING_CONFIG, () => JSON.stringify({ status: 'Enabled' }));
    const put = await s.putObject('rcv', 'k', (_cur, versioning) => {
      assert.equal(versioning, 'Enabled');
      return inlineObject('rcv', 'k', 'v1');
    });
    assert.ok(put.record.versionId);
    assert.equal((await s.getObject('rcv', 'k'))?.versionId, put.record.versionId);
    const del = await s.removeObject('rcv', 'k', Date.now());
    assert.equal(del.deleteMarker, true);
    assert.equal(await s.getObject('rcv', 'k'), null);
    assert.equal((await s.getObjectVersion('rcv', 'k', put.record.versionId))?.inline?.toString(), 'v1');
    await assert.rejects(s.putObject('nobucket', 'k', () => inlineObject('nobucket', 'k', 'x')), (e: unknown) => e instanceof AppError && e.code === 'NoSuchBucket');
    // A delete in no bucket is NoSuchBucket too (a bucket deleted after the request was authorized), as on PostgreSQL.
    await assert.rejects(s.removeObject('nobucket', 'k', Date.now()), (e: unknown) => e instanceof AppError && e.code === 'NoSuchBucket');
  });
});

describe('ObjectRecordCache bounds', () => {
  const row = (n: number): { inline: Buffer | null; n: number } => ({ inline: Buffer.alloc(n), n });

  it('a new generation empties it', () => {
    const c = new ObjectRecordCache<{ inline: Buffer | null; n: number }>(10, 1000);
    c.set('b', 'k', row(1), 1);
    assert.equal(c.get('b', 'k', 1)?.n, 1);
    assert.equal(c.get('b', 'k', 2), undefined);
    assert.equal(c.get('b', 'k', 1), undefined);
  });

  it('freezing (ALUNITE_CHECK_READONLY=1, as npm test runs): a cached record is frozen all the way down, its bytes excepted', () => {
    type Rec = { inline: Buffer | null; headers: { contentType: string }; tags: Array<[string, string]>; attrs?: { retention: { until: number } } };
    const make = (): Rec => ({ inline: Buffer.from('abc'), headers: { contentType: 'text/plain' }, tags: [['t', 'v']], attrs: { retention: { until: 5 } } });
    const frozen = new ObjectRecordCache<Rec>(10, 1000, true);
    frozen.set('b', 'k', make(), 1);
    const r = frozen.get('b', 'k', 1)!;
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.headers) && Object.isFrozen(r.tags) && Object.isFrozen(r.tags[0]) && Object.isFrozen(r.attrs!.retention));
    assert.throws(() => { r.headers.contentType = 'x/changed'; }, TypeError);
    assert.throws(() => { r.tags[0]![1] = 'w'; }, TypeError);
    assert.throws(() => { r.attrs!.retention.until = 9; }, TypeError);
    assert.equal(Object.isFrozen(r.inline), false, 'a Buffer cannot be frozen: its bytes stay read-only by contract');
    assert.equal(frozen.get('b', 'k', 1), r, 'unchanged bytes: the hit is handed out');
    r.inline![0] = 0x41;
    assert.throws(() => frozen.get('b', 'k', 1), /changed the cached inline bytes of b\/k/, 'check mode catches a write into the bytes');
    const plain = new ObjectRecordCache<Rec>(10, 1000, false);
    plain.set('b', 'k', make(), 1);
    const p = plain.get('b', 'k', 1)!;
    assert.equal(Object.isFrozen(p), false);
    p.inline![0] = 0x41;
    assert.equal(plain.get('b', 'k', 1), p, 'without check mode nothing is compared (the contract alone holds)');
  });

  it('never holds more than its entries or bytes', () => {
    const c = new ObjectRecordCache<{ inline: Buffer | null; n: number }>(3, 100);
    for (let i = 0; i < 10; i++) {
      c.set('b', `k${i}`, row(10), 1);
      assert.ok(c.size <= 3);
    }
    // Full: the first rows stay, later ones are not kept.
    assert.equal(c.get('b', 'k0', 1)?.n, 10);
    assert.equal(c.get('b', 'k9', 1), undefined);
    const d = new ObjectRecordCache<{ inline: Buffer | null; n: number }>(10, 100);
    d.set('b', 'big1', row(60), 1);
    d.set('b', 'big2', row(60), 1);
    assert.equal(d.get('b', 'big1', 1)?.n, 60);
    assert.equal(d.get('b', 'big2', 1), undefined);
    assert.equal(d.size, 1);
  });
});
