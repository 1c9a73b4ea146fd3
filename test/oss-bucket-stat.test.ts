// GetBucketStat through ali-oss: every figure follows the writes that change it (overwrites, deletes,
// versions and delete markers, storage classes and their billed sizes, multipart uploads and their parts,
// re-uploaded parts, aborts and completes), from statistics the store keeps as rows change.
// Runs on SQLite, and on PostgreSQL through test/pg-bucket-stat.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { expectOssError, rawObjectRequest } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

type Stat = Record<string, string>;

interface StatClient {
  getBucketStat(name: string): Promise<{ stat: Stat }>;
  putBucketVersioning?(name: string, status: string): Promise<unknown>;
}

const statOf = async (c: OSS, bucket: string): Promise<Record<string, number>> => {
  const { stat } = await (c as unknown as StatClient).getBucketStat(bucket);
  return Object.fromEntries(Object.entries(stat).map(([k, v]) => [k, Number(v)]));
};

interface BucketRequestClient {
  _bucketRequestParams(method: string, bucket: string, subres: string, options?: object): { content?: Buffer; mime?: string; successStatuses?: number[] };
  request(params: object): Promise<unknown>;
}

describe('GetBucketStat', () => {
  let srv: TestServer;
  let c: OSS;
  const B = 'stat-bucket';

  before(async () => {
    srv = await startTestServer();
    c = srv.client({ bucket: B });
    await c.putBucket(B);
  });
  after(async () => {
    await srv?.stop();
  });

  test('a new bucket: zeros, every published field present in order', async () => {
    const { stat } = await (c as unknown as StatClient).getBucketStat(B);
    const fields = Object.keys(stat);
    assert.deepEqual(fields.slice(0, 7), ['Storage', 'ObjectCount', 'MultipartUploadCount', 'LiveChannelCount', 'MultipartPartCount', 'DeleteMarkerCount', 'LastModifiedTime']);
    for (const f of ['StandardStorage', 'InfrequentAccessRealStorage', 'ArchiveObjectCount', 'ColdArchiveStorage', 'DeepColdArchiveRealStorage', 'MultipartPartStorage', 'InfrequentMultipartPartCount', 'DeepColdArchiveMultipartPartStorage']) {
      assert.ok(fields.includes(f), f);
    }
    const s = await statOf(c, B);
    assert.equal(s.Storage, 0);
    assert.equal(s.ObjectCount, 0);
    // The bucket's creation for a bucket nothing has changed yet (the Go and Python SDK v2's newer
    // TestGetBucketStat / test_get_bucket_stat: "An empty bucket reports its creation time here, not 0").
    const info = await c.getBucketInfo(B);
    assert.equal(s.LastModifiedTime, Math.floor(Date.parse(info.bucket.CreationDate) / 1000));
  });

  test('objects: puts, overwrites, deletes, classes and billed sizes', async () => {
    await c.put('a', Buffer.alloc(1000));
    await c.put('b', Buffer.alloc(3000));
    await c.put('a', Buffer.alloc(500)); // overwrite: replaces, does not add
    await c.put('ia', Buffer.alloc(100), { headers: { 'x-oss-storage-class': 'IA' } });
    await c.put('arch', Buffer.alloc(200 * 1024), { headers: { 'x-oss-storage-class': 'Archive' } });
    let s = await statOf(c, B);
    assert.ok(s.LastModifiedTime! > 1_700_000_000, 'the last change, in epoch seconds');
    assert.equal(s.ObjectCount, 4);
    assert.equal(s.Storage, 500 + 3000 + 100 + 200 * 1024);
    assert.equal(s.StandardObjectCount, 2);
    assert.equal(s.StandardStorage, 3500);
    assert.equal(s.InfrequentAccessObjectCount, 1);
    assert.equal(s.InfrequentAccessRealStorage, 100);
    assert.equal(s.InfrequentAccessStorage, 64 * 1024, 'IA bills at least 64 KiB');
    assert.equal(s.ArchiveRealStorage, 200 * 1024);
    assert.equal(s.ArchiveStorage, 200 * 1024);
    // A copy that changes the class moves the figures.
    await c.copy('ia', 'ia', { headers: { 'x-oss-storage-class': 'Standard', 'x-oss-metadata-directive': 'REPLACE' } });
    s = await statOf(c, B);
    assert.equal(s.InfrequentAccessObjectCount, 0);
    assert.equal(s.StandardObjectCount, 3);
    await c.delete('a');
    await c.deleteMulti(['b', 'ia']);
    s = await statOf(c, B);
    assert.equal(s.ObjectCount, 1);
    assert.equal(s.Storage, 200 * 1024);
    assert.equal(s.StandardStorage, 0);
    await c.delete('arch');
    s = await statOf(c, B);
    assert.equal(s.ObjectCount, 0);
    assert.equal(s.Storage, 0);
  });

  test('multipart: uploads and parts counted until completed or aborted; a re-uploaded part replaces', async () => {
    const part = Buffer.alloc(100 * 1024, 1);
    const up = await c.initMultipartUpload('mp');
    const p1 = await c.uploadPart('mp', up.uploadId, 1, part, 0, part.length);
    await c.uploadPart('mp', up.uploadId, 2, part, 0, 5000);
    await c.uploadPart('mp', up.uploadId, 2, part, 0, 7000); // same part number again
    let s = await statOf(c, B);
    assert.equal(s.MultipartUploadCount, 1);
    assert.equal(s.MultipartPartCount, 2);
    assert.equal(s.MultipartPartStorage, part.length + 7000);
    assert.equal(s.StandardMultipartPartCount, 2);
    assert.equal(s.Storage, part.length + 7000, 'parts are stored bytes');
    const up2 = await c.initMultipartUpload('mp2', { headers: { 'x-oss-storage-class': 'IA' } });
    await c.uploadPart('mp2', up2.uploadId, 1, part, 0, 1234);
    s = await statOf(c, B);
    assert.equal(s.MultipartUploadCount, 2);
    assert.equal(s.InfrequentMultipartPartCount, 1);
    assert.equal(s.InfrequentMultipartPartStorage, 1234);
    await c.abortMultipartUpload('mp2', up2.uploadId);
    const p2etag = (await c.listParts('mp', up.uploadId)).parts.find((p) => String(p.PartNumber) === '2')!.ETag;
    await c.completeMultipartUpload('mp', up.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2etag }]);
    s = await statOf(c, B);
    assert.equal(s.MultipartUploadCount, 0);
    assert.equal(s.MultipartPartCount, 0);
    assert.equal(s.MultipartPartStorage, 0);
    assert.equal(s.ObjectCount, 1);
    assert.equal(s.Storage, part.length + 7000);
    await c.delete('mp');
  });

  test('versioning: noncurrent versions count and hold storage; delete markers counted apart', async () => {
    const V = 'stat-versioned';
    const v = srv.client({ bucket: V });
    await v.putBucket(V);
    const raw = v as unknown as BucketRequestClient;
    const params = raw._bucketRequestParams('PUT', V, 'versioning', {});
    params.content = Buffer.from('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>');
    params.mime = 'xml';
    params.successStatuses = [200];
    await raw.request(params);
    await v.put('k', Buffer.alloc(10));
    const second = await v.put('k', Buffer.alloc(20));
    await v.delete('k'); // a delete marker
    let s = await statOf(v, V);
    assert.equal(s.ObjectCount, 2);
    assert.equal(s.Storage, 30);
    assert.equal(s.DeleteMarkerCount, 1);
    const vid = (second.res.headers as Record<string, string>)['x-oss-version-id']!;
    await rawObjectRequest(v, 'DELETE', 'k', { subres: { versionId: vid }, successStatuses: [204] });
    s = await statOf(v, V);
    assert.equal(s.ObjectCount, 1);
    assert.equal(s.Storage, 10);
  });

  test('LiveChannelCount: the bucket\'s live channels, counted as they are put and deleted (only this bucket\'s)', async () => {
    type Rtmp = { putChannel(id: string, conf: object): Promise<unknown>; deleteChannel(id: string): Promise<unknown> };
    const L = 'stat-live';
    const l = srv.client({ bucket: L });
    await l.putBucket(L);
    const conf = { Description: '', Status: 'enabled', Target: { Type: 'HLS' } };
    for (const id of ['cam-1', 'cam-2', 'cam-3']) await (l as unknown as Rtmp).putChannel(id, conf);
    await (c as unknown as Rtmp).putChannel('elsewhere', conf);
    await (l as unknown as Rtmp).putChannel('cam-1', conf); // put again: replaces, does not add
    assert.equal((await statOf(l, L)).LiveChannelCount, 3);
    await (l as unknown as Rtmp).deleteChannel('cam-2');
    assert.equal((await statOf(l, L)).LiveChannelCount, 2);
    assert.equal((await statOf(c, B)).LiveChannelCount, 1);
    await (c as unknown as Rtmp).deleteChannel('elsewhere');
    assert.equal((await statOf(c, B)).LiveChannelCount, 0);
  });

  test('a deleted and re-created bucket starts from zero', async () => {
    const D = 'stat-recreated';
    const d = srv.client({ bucket: D });
    await d.putBucket(D);
    await d.put('x', Buffer.alloc(10));
    await d.delete('x');
    await d.deleteBucket(D);
    await expectOssError((d as unknown as StatClient).getBucketStat(D), 'NoSuchBucket', 404);
    await d.putBucket(D);
    const s = await statOf(d, D);
    assert.equal(s.ObjectCount, 0);
    assert.equal(s.Storage, 0);
  });

  test('authorized as oss:GetBucketStat: an explicit Deny refuses it', async () => {
    const ram = new Ram(srv);
    const denied = await ram.userWith('stat-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:GetBucketStat'], Resource: ['acs:oss:*:*:*'] },
    ));
    const allowed = await ram.userWith('stat-allowed', policyDoc({ Effect: 'Allow', Action: ['oss:GetBucketStat'], Resource: [`acs:oss:*:*:${B}`] }));
    await expectOssError((denied.oss(B) as unknown as StatClient).getBucketStat(B), 'AccessDenied', 403);
    assert.equal((await statOf(allowed.oss(B), B)).ObjectCount, 0);
  });
});
