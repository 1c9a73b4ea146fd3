// The bucket storage quota (`?quota`, the Go SDK v2's Put/Get/DeleteBucketStorageQuota, docs/storage-capacity.md)
// enforced on writes, with the `?qos` storage capacity, the tighter of the two: a Strict quota refuses every write
// that would take the bucket's Storage over it (PutObject declared and chunked, AppendObject, CopyObject, PostObject,
// UploadPart, UploadPartCopy; CompleteMultipartUpload when over already), nothing stored; a Warning quota refuses
// nothing; an overwrite counts only what it adds (old versions of a versioned bucket still count); deleting the
// quota or raising it lets writes through; GetBucketStorageQuota's CurrentUsage follows the writes. The quota is set
// as the Go SDK v2 sends it (V4-signed, Content-MD5, its XML), the objects written with ali-oss, against a real server
// (SQLite; PostgreSQL: pg-storage-quota-enforced.test.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { parseErrorXml, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { signHeader } from './helpers/sdk-v2-signer.js';
import { failsWith, signedRequest, succeeds, type SignedReply } from './helpers/signed.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { chunkedPart, declaredOnly, postForm } from './helpers/storage-writes.js';
import { strictTexts } from './helpers/strict-xml.js';

const QUOTA_CODE = 'BucketStorageQuotaExceeded';

interface OssError {
  code?: string;
  status?: number;
}

async function refused(call: Promise<unknown>, code = QUOTA_CODE): Promise<void> {
  await assert.rejects(call, (err: OssError) => {
    assert.equal(err.code, code);
    assert.equal(err.status, 403);
    return true;
  });
}

function refusedReply(r: SignedReply, code = QUOTA_CODE): void {
  failsWith(r, code, 403);
}

describe('the bucket storage quota, enforced', () => {
  let srv: TestServer;
  let n = 0;
  const send = (method: string, bucket: string, key: string | null, query: Array<[string, string]>, opts: Parameters<typeof signedRequest>[5] = {}) =>
    signedRequest(srv.port, method, bucket, key, query, opts);
  /** A quota request as the Go SDK v2 sends it: V4-signed, Content-MD5 and an XML content type on the Put. */
  const goSdk = async (method: string, bucket: string, body?: string): Promise<RawResponse> => {
    const headers = body === undefined ? undefined : { 'content-md5': createHash('md5').update(body).digest('base64'), 'content-type': 'application/xml' };
    const s = signHeader({ method, bucket, key: null, params: [['quota', '']], ...(headers ? { headers } : {}), ...(body !== undefined ? { body } : {}) }, { ak: AK, secret: SECRET });
    return rawRequest(srv.port, { method, path: s.path, headers: { ...s.headers, host: `127.0.0.1:${srv.port}`, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, body });
  };
  const putQuota = async (bucket: string, bytes: number, mode?: 'Strict' | 'Warning'): Promise<void> => {
    const r = await goSdk('PUT', bucket, `<QuotaConfiguration><StorageQuota>${bytes}</StorageQuota>${mode ? `<Mode>${mode}</Mode>` : ''}</QuotaConfiguration>`);
    assert.equal(r.status, 200, r.body.toString());
  };
  const deleteQuota = async (bucket: string): Promise<void> => {
    const r = await goSdk('DELETE', bucket);
    assert.equal(r.status, 204, r.body.toString());
  };
  const currentUsage = async (bucket: string): Promise<number> => {
    const r = await goSdk('GET', bucket);
    assert.equal(r.status, 200, r.body.toString());
    return Number(strictTexts(r.body.toString('utf8'), 'CurrentUsage')[0]);
  };
  const storage = async (bucket: string): Promise<number> => Number(/<Storage>(\d+)<\/Storage>/.exec(succeeds(await send('GET', bucket, null, [['stat', '']])).text)?.[1]);
  const freshBucket = async (): Promise<string> => {
    const name = `quota-enforced-${++n}`;
    await srv.client().putBucket(name);
    return name;
  };
  const gone = async (bucket: string, keys: string[]): Promise<void> => {
    const c = srv.client({ bucket });
    for (const key of keys) await assert.rejects(c.head(key), (err: OssError) => err.status === 404, key);
  };

  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  test('Strict (the default Mode): the write that would go over is refused, 403, nothing stored; up to the quota exactly fits; CurrentUsage follows', async () => {
    const bucket = await freshBucket();
    const c = srv.client({ bucket });
    await putQuota(bucket, 100);
    await c.put('a', Buffer.alloc(60, 1));
    assert.equal(await currentUsage(bucket), 60);
    await refused(c.put('b', Buffer.alloc(41, 2)));
    await gone(bucket, ['b']);
    assert.equal(await currentUsage(bucket), 60);
    await c.put('b', Buffer.alloc(40, 2));
    assert.equal(await currentUsage(bucket), 100);
    assert.equal(await storage(bucket), 100, 'CurrentUsage is GetBucketStat\'s Storage');
    // Full: one more byte by any write is refused.
    await refused(c.put('c', Buffer.from('x')));
    await refused(c.putStream('chunked', Readable.from([Buffer.from('chunked body')])));
    await refused(c.append('appended', Buffer.from('x')));
    await refused(c.copy('copy-of-a', 'a'));
    const posted = await postForm(srv.url, bucket, 'form/f.txt', 'form body');
    assert.equal(posted.status, 403, posted.text);
    assert.equal(parseErrorXml(posted.text).Code, QUOTA_CODE);
    const upload = (await c.initMultipartUpload('mp')) as { uploadId: string };
    refusedReply(await send('PUT', bucket, 'mp', [['partNumber', '1'], ['uploadId', upload.uploadId]], { body: 'part-one' }));
    refusedReply(await send('PUT', bucket, 'mp', [['partNumber', '2'], ['uploadId', upload.uploadId]], { headers: { 'x-oss-copy-source': `/${bucket}/a` } }));
    refusedReply(await chunkedPart(srv.port, bucket, 'mp', upload.uploadId, 'chunked part'));
    const declared = await declaredOnly(srv.port, bucket, 'declared', [], 1000);
    assert.equal(declared.status, 403, declared.text);
    assert.equal(parseErrorXml(declared.text).Code, QUOTA_CODE);
    // Nothing of any of them was kept.
    assert.equal(await currentUsage(bucket), 100);
    await gone(bucket, ['c', 'chunked', 'appended', 'copy-of-a', 'form/f.txt', 'declared']);
    assert.ok(!succeeds(await send('GET', bucket, 'mp', [['uploadId', upload.uploadId]])).text.includes('<Part>'));
    // Writes that add no bytes and deletes still work.
    await c.putACL('a', 'public-read');
    await c.put('empty', Buffer.alloc(0));
    await c.delete('b');
    assert.equal(await currentUsage(bucket), 60);
    await c.put('c', Buffer.alloc(40, 3));
    assert.deepEqual([...(await c.get('a')).content as Buffer], [...Buffer.alloc(60, 1)], 'the stored object untouched');
  });

  test('uploaded parts count: UploadPart is refused once they fill the quota; CompleteMultipartUpload only when the bucket is over it', async () => {
    const bucket = await freshBucket();
    const c = srv.client({ bucket });
    await putQuota(bucket, 20, 'Strict');
    const upload = (await c.initMultipartUpload('mp')) as { uploadId: string };
    const part1 = succeeds(await send('PUT', bucket, 'mp', [['partNumber', '1'], ['uploadId', upload.uploadId]], { body: 'a'.repeat(15) }));
    assert.equal(await currentUsage(bucket), 15);
    refusedReply(await send('PUT', bucket, 'mp', [['partNumber', '2'], ['uploadId', upload.uploadId]], { body: 'b'.repeat(6) }));
    // Lowered below what the bucket holds: even the Complete, which adds nothing, is refused, and the upload stays.
    await putQuota(bucket, 10);
    await refused(c.completeMultipartUpload('mp', upload.uploadId, [{ number: 1, etag: String(part1.headers.etag) }]));
    await gone(bucket, ['mp']);
    assert.equal(await currentUsage(bucket), 15);
    // Raised: the Complete goes through, the part's bytes now the object's.
    await putQuota(bucket, 15);
    await c.completeMultipartUpload('mp', upload.uploadId, [{ number: 1, etag: String(part1.headers.etag) }]);
    assert.equal(((await c.get('mp')).content as Buffer).toString(), 'a'.repeat(15));
    assert.equal(await currentUsage(bucket), 15);
  });

  test('an overwrite counts only the bytes it adds; in a versioned bucket the old version still counts', async () => {
    const bucket = await freshBucket();
    const c = srv.client({ bucket });
    await putQuota(bucket, 100);
    await c.put('a', Buffer.alloc(60, 1));
    // 60 + 60 is over 100, but the old 60 go: 60 held after (before, the early check refused it).
    await c.put('a', Buffer.alloc(60, 2));
    await c.putStream('a', Readable.from([Buffer.alloc(90, 3)]));
    assert.equal(await currentUsage(bucket), 90);
    await c.copy('a', 'a', { headers: { 'x-oss-metadata-directive': 'REPLACE' } });
    await refused(c.put('a', Buffer.alloc(101, 4)));
    assert.deepEqual([...(await c.get('a')).content as Buffer], [...Buffer.alloc(90, 3)]);
    await c.put('b', Buffer.alloc(10, 5));
    // CopyObject onto an existing key replaces it too: 90 bytes onto 10 would hold 180; 10 onto 10 holds 20.
    await refused(c.copy('b', 'a'));
    await c.put('a', Buffer.alloc(10, 6));
    await c.copy('b', 'a');
    assert.equal(await currentUsage(bucket), 20);

    const versioned = await freshBucket();
    const v = srv.client({ bucket: versioned });
    succeeds(await send('PUT', versioned, null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    await putQuota(versioned, 100);
    await v.put('k', Buffer.alloc(60, 1));
    await refused(v.put('k', Buffer.alloc(60, 2)));
    await refused(v.putStream('k', Readable.from([Buffer.alloc(60, 2)])));
    assert.equal(await currentUsage(versioned), 60);
    await v.put('k', Buffer.alloc(40, 3));
    assert.equal(await currentUsage(versioned), 100);
  });

  test('Warning refuses nothing; Delete of the quota lifts it; raising it lets the write through', async () => {
    const bucket = await freshBucket();
    const c = srv.client({ bucket });
    await putQuota(bucket, 10, 'Warning');
    await c.put('big', Buffer.alloc(100, 1));
    await c.append('appended', Buffer.alloc(50, 2));
    assert.equal(await currentUsage(bucket), 150, 'over a Warning quota');

    await putQuota(bucket, 10, 'Strict');
    await refused(c.put('more', Buffer.from('x')));
    await deleteQuota(bucket);
    await c.put('more', Buffer.from('x'));

    await putQuota(bucket, 151);
    await refused(c.put('two', Buffer.from('xx')));
    await putQuota(bucket, 153);
    await c.put('two', Buffer.from('xx'));
    assert.equal(await currentUsage(bucket), 153);
  });

  test('with the ?qos storage capacity: the tighter of the two refuses, with its own error', async () => {
    const bucket = await freshBucket();
    const c = srv.client({ bucket });
    const capacity = (gb: number) => send('PUT', bucket, null, [['qos', '']], { body: `<BucketUserQos><StorageCapacity>${gb}</StorageCapacity></BucketUserQos>` });
    // Capacity 0 GB, quota 1 GB in Warning mode: the capacity refuses.
    succeeds(await capacity(0));
    await putQuota(bucket, 2 ** 30, 'Warning');
    await refused(c.put('a', Buffer.from('x')), 'StorageCapacityExceeded');
    // Capacity 1 GB, Strict quota 5 bytes: the quota refuses.
    succeeds(await capacity(1));
    await putQuota(bucket, 5);
    await c.put('a', Buffer.from('12345'));
    await refused(c.put('b', Buffer.from('x')));
    // Quota 2 GB, capacity 1 GB: the capacity is the tighter.
    await putQuota(bucket, 2 * 2 ** 30);
    const r = await declaredOnly(srv.port, bucket, 'big', [], 2 ** 30);
    assert.equal(r.status, 403, r.text);
    assert.equal(parseErrorXml(r.text).Code, 'StorageCapacityExceeded');
    succeeds(await capacity(-1));
    await c.put('b', Buffer.from('x'));
    assert.equal(await currentUsage(bucket), 6);
  });

  test('writes racing into the last room are counted against each other at their commit', async () => {
    const bucket = await freshBucket();
    const c = srv.client({ bucket });
    await putQuota(bucket, 450);
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => c.put(`race-${i}`, Buffer.alloc(100, i))));
    const landed = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(landed, 4, JSON.stringify(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as OssError).code)));
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as OssError).code, QUOTA_CODE);
    assert.equal(await currentUsage(bucket), 400);
  });
});
