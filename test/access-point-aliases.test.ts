// The alias index of domain/access-point.ts: found by a scan of the bucket records, a miss rescans at most once a
// second (unknown aliases from the network cannot make it scan more), a hit is confirmed on the bucket's current
// record (a deleted access point stops resolving at once), and what the view carries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessPointAliases, accessPointResource } from '../src/domain/access-point.js';
import type { Bucket } from '../src/domain/model.js';

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

test('aliases: scan on a miss (at most once a second), confirmed on the current record', async () => {
  let now = 10_000;
  let scans = 0;
  const buckets = new Map<string, Bucket>([['b1', bucketWith('b1', [{ name: 'ap-1', alias: 'ap-1-aaa-ossalias', policy: '{}', block: 'true' }])]]);
  const aliases = new AccessPointAliases(async () => {
    scans += 1;
    return [...buckets.values()];
  }, async (n) => buckets.get(n) ?? null, () => now);

  const ap = await aliases.resolve('ap-1-aaa-ossalias');
  assert.equal(scans, 1);
  assert.deepEqual(ap && { bucket: ap.bucket, name: ap.name, owner: ap.ownerAccountId, policy: ap.policy, block: ap.blockPublicAccess, kind: ap.kind }, { bucket: 'b1', name: 'ap-1', owner: '111', policy: '{}', block: true, kind: 'access-point' });
  assert.equal(accessPointResource(ap!, null), 'acs:oss:cn-hangzhou:111:accesspoint/ap-1');
  assert.equal(accessPointResource(ap!, 'a/b.txt'), 'acs:oss:cn-hangzhou:111:accesspoint/ap-1/object/a/b.txt');

  // Known aliases resolve without scanning; unknown ones scan at most once a second.
  await aliases.resolve('ap-1-aaa-ossalias');
  for (let i = 0; i < 20; i++) assert.equal(await aliases.resolve(`nope-${i}-ossalias`), null);
  assert.equal(scans, 1);
  now += 1001;
  assert.equal(await aliases.resolve('nope-ossalias'), null);
  assert.equal(scans, 2);

  // Made since the last scan (another process): found by the next allowed scan.
  buckets.set('b2', bucketWith('b2', [{ name: 'ap-2', alias: 'ap-2-bbb-ossalias' }]));
  assert.equal(await aliases.resolve('ap-2-bbb-ossalias'), null);
  now += 1001;
  assert.equal((await aliases.resolve('ap-2-bbb-ossalias'))?.bucket, 'b2');
  assert.equal((await aliases.resolve('ap-2-bbb-ossalias'))?.blockPublicAccess, false);

  // Deleted: the index still names the bucket, but the record no longer has it.
  buckets.set('b1', bucketWith('b1', []));
  assert.equal(await aliases.resolve('ap-1-aaa-ossalias'), null);
});
