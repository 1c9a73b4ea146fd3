// The alias index of domain/access-point.ts over a real SQLite store: aliases are found with one point read of
// the store-wide index (never a bucket scan, however many unknown aliases arrive), access points made before the
// index existed are entered once per store (a `.built` marker: a second process does not scan), a hit is
// confirmed on the bucket's current record (a deleted access point stops resolving at once), add/remove and
// DeleteBucket keep the index true, and what the view carries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALIAS_INDEX, AccessPointAliases, accessPointResource, unindexAccessPoints } from '../src/domain/access-point.js';
import type { Bucket } from '../src/domain/model.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';

function bucketWith(name: string, aps: Array<{ name: string; alias: string; policy?: string; block?: string }>): Bucket {
  const entries = aps.map((a) => ({
    AccessPointName: a.name, Alias: a.alias, NetworkOrigin: 'internet', AccessPointArn: `acs:oss:cn-hangzhou:111:accesspoint/${a.name}`,
    ...(a.policy !== undefined ? { Policy: a.policy } : {}),
    ...(a.block !== undefined ? { PublicAccessBlockConfiguration: { BlockPublicAccess: a.block } } : {}),
  }));
  return {
    name, ownerAccountId: '111', createdAt: 0, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS',
    policy: null, cors: null, configs: entries.length === 0 ? {} : { 'stored.access-point': JSON.stringify({ AccessPoint: entries }) },
  };
}

/** Writes a bucket record with its access point entries, as CreateAccessPoint of an earlier Alunite left it (not indexed). */
async function putBucket(meta: SqliteMetadataStore, b: Bucket): Promise<void> {
  await meta.createBucket({ ...b, configs: {} });
  const doc = b.configs['stored.access-point'];
  await meta.updateBucketConfig(b.name, 'stored.access-point', () => doc ?? null);
}

/** One process's alias index, counting its full scans and its index reads. */
function processOn(meta: SqliteMetadataStore): { aliases: AccessPointAliases; scans: () => number; reads: () => number } {
  let scans = 0;
  let reads = 0;
  const store = {
    getBucket: (n: string) => meta.getBucket(n),
    getIndexEntry: (index: string, key: string) => {
      reads++;
      return meta.getIndexEntry(index, key);
    },
    putIndexEntry: (index: string, key: string, value: string | null) => meta.putIndexEntry(index, key, value),
  };
  const aliases = new AccessPointAliases(store, async () => {
    scans++;
    return meta.listBuckets({ prefix: '', after: '', limit: 1000 });
  });
  return { aliases, scans: () => scans, reads: () => reads };
}

test('aliases: one point read per unknown alias, never a scan; older access points entered once per store', async () => {
  const meta = new SqliteMetadataStore({ path: ':memory:' });
  await putBucket(meta, bucketWith('b1', [{ name: 'ap-1', alias: 'ap-1-aaa-ossalias', policy: '{}', block: 'true' }]));
  const p1 = processOn(meta);

  // The first lookup in a store without the index enters the existing access points (one scan, once).
  const ap = await p1.aliases.resolve('ap-1-aaa-ossalias');
  assert.equal(p1.scans(), 1);
  assert.deepEqual(ap && { bucket: ap.bucket, name: ap.name, owner: ap.ownerAccountId, policy: ap.policy, block: ap.blockPublicAccess, kind: ap.kind }, { bucket: 'b1', name: 'ap-1', owner: '111', policy: '{}', block: true, kind: 'access-point' });
  assert.equal(accessPointResource(ap!, null), 'acs:oss:cn-hangzhou:111:accesspoint/ap-1');
  assert.equal(accessPointResource(ap!, 'a/b.txt'), 'acs:oss:cn-hangzhou:111:accesspoint/ap-1/object/a/b.txt');
  assert.equal(await meta.getIndexEntry(ALIAS_INDEX, 'ap-1-aaa-ossalias'), 'b1');

  // Unknown aliases: one index read each, no scan. Known ones are remembered (no read).
  const before = p1.reads();
  for (let i = 0; i < 50; i++) assert.equal(await p1.aliases.resolve(`nope-${i}-ossalias`), null);
  assert.equal(p1.scans(), 1);
  assert.equal(p1.reads() - before, 50);
  await p1.aliases.resolve('ap-1-aaa-ossalias');
  assert.equal(p1.reads() - before, 50);

  // Another process on the same store: the marker says the index is built, so it never scans.
  const p2 = processOn(meta);
  assert.equal(await p2.aliases.resolve('nope-ossalias'), null);
  assert.equal((await p2.aliases.resolve('ap-1-aaa-ossalias'))?.bucket, 'b1');
  assert.equal(p2.scans(), 0);

  // An alias made by one process (CreateAccessPoint: indexed, then stored) is found by the other at once.
  await p1.aliases.add('ap-2-bbb-ossalias', 'b2');
  await putBucket(meta, bucketWith('b2', [{ name: 'ap-2', alias: 'ap-2-bbb-ossalias' }]));
  assert.equal((await p2.aliases.resolve('ap-2-bbb-ossalias'))?.bucket, 'b2');
  assert.equal((await p2.aliases.resolve('ap-2-bbb-ossalias'))?.blockPublicAccess, false);

  // Deleted from the record (another process): the remembered alias is confirmed on the record and fails.
  await meta.updateBucketConfig('b1', 'stored.access-point', () => null);
  assert.equal(await p2.aliases.resolve('ap-1-aaa-ossalias'), null);
  // DeleteAccessPoint removes the entry; DeleteBucket removes its bucket's.
  await p1.aliases.remove('ap-1-aaa-ossalias');
  assert.equal(await meta.getIndexEntry(ALIAS_INDEX, 'ap-1-aaa-ossalias'), null);
  const b2 = (await meta.getBucket('b2'))!;
  assert.equal(await meta.deleteBucket('b2'), 'deleted');
  await unindexAccessPoints(meta, b2);
  assert.equal(await meta.getIndexEntry(ALIAS_INDEX, 'ap-2-bbb-ossalias'), null);
  assert.equal(await p1.aliases.resolve('ap-2-bbb-ossalias'), null);
  assert.equal(p1.scans() + p2.scans(), 1);
  // The index is no bucket: bucket listings do not show it.
  assert.deepEqual((await meta.listBuckets({ prefix: '', after: '', limit: 10 })).map((b) => b.name), ['b1']);
  await meta.close();
});
