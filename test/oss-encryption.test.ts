// Server-side encryption at rest (docs/encryption.md): the x-oss-server-side-* headers on every write, the
// bucket default encryption, the echoes OSS sends, the bytes on disk really encrypted (blob files and the
// metadata row of small objects), range reads across chunk boundaries, and tampering detected.
// Runs on SQLite, and on PostgreSQL through test/pg-encryption.test.ts.
import assert from 'node:assert/strict';
import { rotateKeys } from '../src/cli/keys.js';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';
import { CHUNK_SIZE } from '../src/util/chunk-cipher.js';
import OSS from 'ali-oss';
import { expectOssError, headersOf, rawObjectRequest, userMeta } from './helpers/oss.js';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseErrorXml, v1Authorization } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'sse-bucket';
const KiB = 1024;
const onPostgres = process.env.ALUNITE_TEST_META === 'postgres';

/** Every blob file's bytes under the data directory. */
async function blobFiles(dataDir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const root = join(dataDir, 'blobs');
  for (const sub of await readdir(root)) {
    for (const name of await readdir(join(root, sub)).catch(() => [] as string[])) out.push(await readFile(join(root, sub, name)));
  }
  return out;
}

async function blobPaths(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const root = join(dataDir, 'blobs');
  for (const sub of await readdir(root)) for (const name of await readdir(join(root, sub)).catch(() => [] as string[])) out.push(join(root, sub, name));
  return out;
}

/** The SQLite database and its WAL, where inline objects live. */
async function sqliteBytes(dataDir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const f of ['metadata.sqlite', 'metadata.sqlite-wal']) parts.push(await readFile(join(dataDir, f)).catch(() => Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** ali-oss's bucket encryption calls (not in @types/ali-oss). */
interface EncryptionCalls {
  putBucketEncryption(name: string, opts: { SSEAlgorithm: string; KMSMasterKeyID?: string }): Promise<unknown>;
  getBucketEncryption(name: string): Promise<{ encryption: Record<string, string> }>;
  deleteBucketEncryption(name: string): Promise<unknown>;
}
const enc = (c: OSS): EncryptionCalls => c as unknown as EncryptionCalls;

interface BucketRequestClient {
  _bucketRequestParams(method: string, bucket: string, subres: string, options?: object): { content?: Buffer; mime?: string; successStatuses?: number[] };
  request(params: object): Promise<unknown>;
}

/** PutBucketEncryption with a body of our choosing, signed by ali-oss. */
function putEncryptionXml(client: OSS, bucket: string, xml: string): Promise<unknown> {
  const raw = client as unknown as BucketRequestClient;
  const params = raw._bucketRequestParams('PUT', bucket, 'encryption', {});
  params.content = Buffer.from(xml);
  params.mime = 'xml';
  params.successStatuses = [200];
  return raw.request(params);
}

describe('server-side encryption', () => {
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer({ kmsKeys: ['app-key', 'team/other'] });
    await srv.client().putBucket(BUCKET);
  });
  after(async () => {
    await srv.stop();
  });

  const client = () => srv.client({ bucket: BUCKET });

  test('PutObject with AES256, KMS (named, default), KMS+SM4 and SM4: echoed on PUT/GET/HEAD, bytes back intact', async () => {
    const cases: Array<{ req: Record<string, string>; echo: Record<string, string | undefined> }> = [
      { req: { 'x-oss-server-side-encryption': 'AES256' }, echo: { 'x-oss-server-side-encryption': 'AES256', 'x-oss-server-side-encryption-key-id': undefined } },
      {
        req: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'app-key' },
        echo: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'app-key', 'x-oss-server-side-data-encryption': undefined },
      },
      { req: { 'x-oss-server-side-encryption': 'KMS' }, echo: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'alunite/oss-default' } },
      {
        req: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'team/other', 'x-oss-server-side-data-encryption': 'SM4' },
        echo: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'team/other', 'x-oss-server-side-data-encryption': 'SM4' },
      },
      { req: { 'x-oss-server-side-encryption': 'SM4' }, echo: { 'x-oss-server-side-encryption': 'SM4', 'x-oss-server-side-data-encryption': undefined } },
      // Key id and data encryption only apply to KMS (documented); with AES256 they are ignored.
      { req: { 'x-oss-server-side-encryption': 'AES256', 'x-oss-server-side-encryption-key-id': 'app-key' }, echo: { 'x-oss-server-side-encryption': 'AES256', 'x-oss-server-side-encryption-key-id': undefined } },
    ];
    for (const [i, c] of cases.entries()) {
      for (const size of [5, 200 * KiB + 7]) {
        const key = `put/${i}-${size}`;
        const data = randomBytes(size);
        const put = await client().put(key, data, { headers: c.req });
        const got = await client().get(key);
        const head = await client().head(key);
        for (const h of [headersOf(put), headersOf(got), headersOf(head)]) {
          for (const [name, value] of Object.entries(c.echo)) assert.equal(h[name], value, `${key} ${name}`);
        }
        assert.ok(data.equals(got.content as Buffer), key);
        // ETag, Content-MD5 and CRC-64 are those of the plaintext, as OSS.
        assert.equal(headersOf(got)['content-md5'], (await import('node:crypto')).createHash('md5').update(data).digest('base64'));
      }
    }
    // A plain object says nothing about encryption.
    const plain = await client().put('put/plain', Buffer.from('x'));
    assert.equal(headersOf(plain)['x-oss-server-side-encryption'], undefined);
    assert.equal(headersOf(await client().head('put/plain'))['x-oss-server-side-encryption'], undefined);
  });

  test('bad values get the documented errors and store nothing', async () => {
    const bad: Array<[Record<string, string>, string, number]> = [
      [{ 'x-oss-server-side-encryption': 'aes256' }, 'InvalidEncryptionAlgorithmError', 400],
      [{ 'x-oss-server-side-encryption': 'DES' }, 'InvalidEncryptionAlgorithmError', 400],
      [{ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'no-such-key' }, 'InvalidArgument', 400],
      [{ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'AES128' }, 'InvalidArgument', 400],
      // Customer-provided keys (SSE-C) are not an OSS feature: refused, never stored as if honoured.
      [{ 'x-oss-server-side-encryption-customer-algorithm': 'AES256' }, 'NotImplemented', 501],
    ];
    for (const [headers, code, status] of bad) {
      await expectOssError(client().put('bad', Buffer.from('secret'), { headers }), code, status);
      await expectOssError(client().head('bad'), 'NoSuchKey', 404);
      await expectOssError(client().append('bad-append', Buffer.from('secret'), { headers }), code, status);
      await expectOssError(client().head('bad-append'), 'NoSuchKey', 404);
      await expectOssError(client().initMultipartUpload('bad-multi', { headers }), code, status);
    }
    assert.equal((await client().listUploads({ prefix: 'bad-multi' })).uploads.length, 0);
    const err = await expectOssError(client().put('bad', Buffer.from('secret'), { headers: { 'x-oss-server-side-encryption': 'DES' } }), 'InvalidEncryptionAlgorithmError', 400);
    assert.match(err.message, /AES256\/KMS\/SM4/);
  });

  test('the bytes on disk are not the plaintext: blob files and the small-object row', async () => {
    const marker = Buffer.from(`PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}-`);
    const big = Buffer.concat(Array.from({ length: 4000 }, () => marker)); // > 64 KiB: a blob file
    const small = Buffer.concat([marker, marker]); // inline in the metadata row
    await client().put('disk/big', big, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    await client().put('disk/small', small, { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'app-key' } });
    await client().put('disk/small-sm4', small, { headers: { 'x-oss-server-side-encryption': 'SM4' } });
    for (const blob of await blobFiles(srv.dataDir)) assert.equal(blob.includes(marker), false, 'a blob file holds the plaintext');
    for (const key of ['disk/small', 'disk/small-sm4']) {
      const rec = await srv.meta.getObject(BUCKET, key);
      assert.ok(rec?.inline, 'small objects stay inline');
      assert.equal(rec.inline.includes(marker), false, 'the inline row holds the plaintext');
      assert.equal(rec.attrs?.encryption?.algorithm, key.endsWith('sm4') ? 'SM4' : 'KMS');
    }
    if (!onPostgres) assert.equal((await sqliteBytes(srv.dataDir)).includes(marker), false, 'the SQLite files hold the plaintext');
    // Control: the same bytes unencrypted are found, so the checks above can fail.
    await client().put('disk/plain-big', big);
    await client().put('disk/plain-small', small);
    assert.ok((await blobFiles(srv.dataDir)).some((b) => b.includes(marker)));
    assert.ok((await srv.meta.getObject(BUCKET, 'disk/plain-small'))?.inline?.includes(marker));
    assert.ok((await client().get('disk/big')).content.equals(big));
    assert.ok((await client().get('disk/small')).content.equals(small));
    assert.ok((await client().get('disk/small-sm4')).content.equals(small));
  });

  test('sizes around the chunk size, with a declared length and streamed (chunked) bodies', async () => {
    const { Readable } = await import('node:stream');
    for (const size of [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 5 * CHUNK_SIZE + 3]) {
      const data = randomBytes(size);
      for (const algorithm of ['AES256', 'SM4']) {
        const headers = { 'x-oss-server-side-encryption': algorithm };
        await client().put(`sizes/${size}-${algorithm}`, data, { headers });
        assert.ok(data.equals((await client().get(`sizes/${size}-${algorithm}`)).content as Buffer), `${size} ${algorithm}`);
        // No Content-Length: always a blob, even when small.
        const streamed = await client().putStream(`sizes/${size}-${algorithm}-stream`, Readable.from([data]), { headers } as never);
        assert.equal(headersOf(streamed)['x-oss-server-side-encryption'], algorithm);
        const back = await client().get(`sizes/${size}-${algorithm}-stream`);
        assert.ok(data.equals(back.content as Buffer), `${size} ${algorithm} streamed`);
        assert.equal(headersOf(back)['x-oss-server-side-encryption'], algorithm);
      }
    }
  });

  test('range reads across chunk boundaries (AES256 and SM4, blob and inline)', async () => {
    const size = 3 * CHUNK_SIZE + 1234;
    const data = randomBytes(size);
    const small = randomBytes(60 * KiB);
    await client().put('range/aes', data, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    await client().put('range/sm4', data, { headers: { 'x-oss-server-side-encryption': 'SM4' } });
    await client().put('range/small', small, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    const ranges: Array<[number, number]> = [
      [0, 0], [0, CHUNK_SIZE - 1], [CHUNK_SIZE - 5, CHUNK_SIZE + 5], [CHUNK_SIZE, 2 * CHUNK_SIZE - 1], [100, 3 * CHUNK_SIZE + 10],
      [2 * CHUNK_SIZE + 17, size - 1], [size - 1, size - 1], [3 * CHUNK_SIZE, size - 1],
    ];
    for (const key of ['range/aes', 'range/sm4']) {
      for (const [a, b] of ranges) {
        const got = await client().get(key, { headers: { Range: `bytes=${a}-${b}` } });
        assert.equal(got.res.status, 206);
        assert.ok(data.subarray(a, b + 1).equals(got.content as Buffer), `${key} ${a}-${b}`);
      }
    }
    for (const [a, b] of [[0, 9], [30000, 40000], [small.length - 3, small.length - 1]] as const) {
      const got = await client().get('range/small', { headers: { Range: `bytes=${a}-${b}` } });
      assert.ok(small.subarray(a, b + 1).equals(got.content as Buffer));
    }
  });

  test('large objects: sealed as the worker writes them, opened on a worker; ranges across 1 MiB runs; tampering still caught', async () => {
    // Past the 256 KiB off-loop threshold on both sides, with a partial last block and last chunk.
    const size = 2 * 1024 * KiB + 5 * CHUNK_SIZE + 777;
    const marker = Buffer.from('ALUNITE-PLAINTEXT-MARKER-0123456789');
    const data = randomBytes(size);
    for (let off = 0; off + marker.length < size; off += 200 * KiB) marker.copy(data, off);
    for (const [key, algorithm] of [['big/aes', 'AES256'], ['big/sm4', 'SM4']] as const) {
      const before = new Set(await blobPaths(srv.dataDir));
      await client().put(key, data, { headers: { 'x-oss-server-side-encryption': algorithm } });
      const fresh = (await blobPaths(srv.dataDir)).filter((p) => !before.has(p));
      assert.equal(fresh.length, 1);
      const stored = await readFile(fresh[0]!);
      assert.equal(stored.length, 16 + size + Math.ceil(size / CHUNK_SIZE) * 16, `${key}: sealed size`);
      assert.equal(stored.indexOf(marker), -1, `${key}: plaintext on disk`);
      const whole = await client().get(key);
      assert.ok(data.equals(whole.content as Buffer), `${key} whole`);
      const MiB = 1024 * KiB;
      const ranges: Array<[number, number]> = [
        [0, MiB - 1], [MiB - 3, MiB + 2], [1000, size - 1000], [MiB + CHUNK_SIZE - 1, 2 * MiB + CHUNK_SIZE], [2 * MiB, size - 1], [300 * KiB, 700 * KiB],
      ];
      for (const [a, b] of ranges) {
        const got = await client().get(key, { headers: { Range: `bytes=${a}-${b}` } });
        assert.ok(data.subarray(a, b + 1).equals(got.content as Buffer), `${key} ${a}-${b}`);
      }
      // One flipped byte in the second 1 MiB run: a read through it fails, the first run still reads.
      const damaged = Buffer.from(stored);
      damaged[16 + 20 * (CHUNK_SIZE + 16) + 5]! ^= 0x40;
      await writeFile(fresh[0]!, damaged);
      await assert.rejects(client().get(key));
      await assert.rejects(client().get(key, { headers: { Range: `bytes=${MiB}-${2 * MiB - 1}` } }));
      const head = await client().get(key, { headers: { Range: `bytes=0-${MiB - 1}` } });
      assert.ok(data.subarray(0, MiB).equals(head.content as Buffer), `${key}: undamaged run`);
      // Cut after the second run: reads past it fail, never short success.
      await writeFile(fresh[0]!, stored.subarray(0, 16 + 32 * (CHUNK_SIZE + 16)));
      await assert.rejects(client().get(key, { headers: { Range: `bytes=${2 * MiB}-${size - 1}` } }));
      await writeFile(fresh[0]!, stored);
      const again = await client().get(key, { headers: { Range: `bytes=${2 * MiB}-${size - 1}` } });
      assert.ok(data.subarray(2 * MiB).equals(again.content as Buffer), `${key}: restored`);
    }
  });

  test('multipart: Initiate/UploadPart/Complete echo the encryption; parts and the object are encrypted', async () => {
    const headers = { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'app-key', 'x-oss-server-side-data-encryption': 'SM4' };
    const init = await client().initMultipartUpload('mp/obj', { headers });
    assert.equal(headersOf(init)['x-oss-server-side-encryption'], 'KMS');
    assert.equal(headersOf(init)['x-oss-server-side-encryption-key-id'], 'app-key');
    assert.equal(headersOf(init)['x-oss-server-side-data-encryption'], 'SM4');
    const p1 = randomBytes(150 * KiB + 3);
    const p2 = randomBytes(70 * KiB);
    const r1 = await client().uploadPart('mp/obj', init.uploadId, 1, p1, 0, p1.length);
    assert.equal(headersOf(r1)['x-oss-server-side-encryption'], 'KMS');
    assert.equal(headersOf(r1)['x-oss-server-side-encryption-key-id'], 'app-key');
    const r2 = await client().uploadPart('mp/obj', init.uploadId, 2, p2, 0, p2.length);
    // A part copied from an encrypted source is decrypted and sealed under the upload's key.
    await client().put('mp/src', p2, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    // The encryption header on UploadPart or Complete is refused (the upload's encryption applies).
    await expectOssError(rawObjectRequest(client(), 'PUT', 'mp/obj', { subres: { partNumber: '3', uploadId: init.uploadId }, headers: { 'x-oss-server-side-encryption': 'AES256' }, content: Buffer.from('x') }), 'InvalidArgument', 400);
    const completeXml = Buffer.from(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${r1.etag}</ETag></Part></CompleteMultipartUpload>`);
    await expectOssError(rawObjectRequest(client(), 'POST', 'mp/obj', { subres: { uploadId: init.uploadId }, headers: { 'x-oss-server-side-encryption': 'KMS' }, content: completeXml, mime: 'xml' }), 'InvalidArgument', 400);
    const done = await client().completeMultipartUpload('mp/obj', init.uploadId, [{ number: 1, etag: r1.etag }, { number: 2, etag: r2.etag }]);
    assert.equal(headersOf(done)['x-oss-server-side-encryption'], 'KMS');
    assert.equal(headersOf(done)['x-oss-server-side-encryption-key-id'], 'app-key');
    const all = Buffer.concat([p1, p2]);
    const got = await client().get('mp/obj');
    assert.ok(all.equals(got.content as Buffer));
    assert.equal(headersOf(got)['x-oss-server-side-data-encryption'], 'SM4');
    // A range over the boundary of the two parts (two blobs, each with its own nonce prefix).
    const a = p1.length - 100;
    const b = p1.length + 100;
    const ranged = await client().get('mp/obj', { headers: { Range: `bytes=${a}-${b}` } });
    assert.ok(all.subarray(a, b + 1).equals(ranged.content as Buffer));
    for (const blob of await blobFiles(srv.dataDir)) assert.equal(blob.includes(p1.subarray(1000, 1064)), false);

    const init2 = await client().initMultipartUpload('mp/copy', { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    const c1 = await client().uploadPartCopy('mp/copy', init2.uploadId, 1, '', { sourceKey: 'mp/obj', sourceBucketName: BUCKET }, {});
    assert.equal(headersOf(c1)['x-oss-server-side-encryption'], 'AES256');
    await client().completeMultipartUpload('mp/copy', init2.uploadId, [{ number: 1, etag: c1.etag }]);
    assert.ok(all.equals((await client().get('mp/copy')).content as Buffer));
  });

  test('AppendObject: the first append sets the encryption, later appends are sealed under the same key', async () => {
    const a = randomBytes(100 * KiB + 1);
    const b = randomBytes(3);
    const r1 = await client().append('app/obj', a, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    assert.equal(headersOf(r1)['x-oss-server-side-encryption'], 'AES256');
    const r2 = await client().append('app/obj', b, { position: String(a.length) });
    assert.equal(headersOf(r2)['x-oss-server-side-encryption'], 'AES256');
    const got = await client().get('app/obj');
    assert.ok(Buffer.concat([a, b]).equals(got.content as Buffer));
    const tail = await client().get('app/obj', { headers: { Range: `bytes=${a.length - 2}-${a.length + 2}` } });
    assert.ok(Buffer.concat([a, b]).subarray(a.length - 2, a.length + 3).equals(tail.content as Buffer));
  });

  test('CopyObject: the destination takes the request\'s encryption, never the source\'s; re-encryption onto itself', async () => {
    const data = randomBytes(90 * KiB);
    await client().put('cp/src', data, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    // No header: the copy is not encrypted (documented), bytes intact.
    const c1 = await client().copy('cp/plain', 'cp/src');
    assert.equal(headersOf(c1)['x-oss-server-side-encryption'], undefined);
    assert.equal((await srv.meta.getObject(BUCKET, 'cp/plain'))?.attrs?.encryption, undefined);
    assert.ok(data.equals((await client().get('cp/plain')).content as Buffer));
    // Another setting: re-encrypted under it.
    const c2 = await client().copy('cp/kms', 'cp/src', { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'app-key' } });
    assert.equal(headersOf(c2)['x-oss-server-side-encryption'], 'KMS');
    assert.equal(headersOf(c2)['x-oss-server-side-encryption-key-id'], 'app-key');
    const g2 = await client().get('cp/kms');
    assert.ok(data.equals(g2.content as Buffer));
    assert.equal(headersOf(g2)['x-oss-server-side-encryption-key-id'], 'app-key');
    // Onto itself: plain → SM4 re-encrypts the bytes; the ETag stays the plaintext's.
    await client().put('cp/self', data);
    const before = await srv.meta.getObject(BUCKET, 'cp/self');
    const c3 = await client().copy('cp/self', 'cp/self', { headers: { 'x-oss-server-side-encryption': 'SM4' } });
    assert.equal(headersOf(c3)['x-oss-server-side-encryption'], 'SM4');
    const afterRec = await srv.meta.getObject(BUCKET, 'cp/self');
    assert.equal(afterRec?.etag, before?.etag);
    assert.notDeepEqual(afterRec?.segments, before?.segments);
    assert.ok(data.equals((await client().get('cp/self')).content as Buffer));
    // Onto itself with the same setting: metadata only, the bytes (blobs) and their data key stay.
    await client().copy('cp/self', 'cp/self', { headers: { 'x-oss-server-side-encryption': 'SM4' }, meta: userMeta({ a: '1' }) });
    const same = await srv.meta.getObject(BUCKET, 'cp/self');
    assert.deepEqual(same?.segments, afterRec?.segments);
    assert.equal(same?.userMeta.a, '1');
    assert.ok(data.equals((await client().get('cp/self')).content as Buffer));
  });

  test('bucket default encryption: Put/Get/DeleteBucketEncryption, applied to writes that do not ask, GetBucketInfo', async () => {
    const name = 'sse-default';
    await srv.client().putBucket(name);
    const c = srv.client({ bucket: name });
    await expectOssError(enc(c).getBucketEncryption(name), 'NoSuchServerSideEncryptionRule', 404);
    await enc(c).putBucketEncryption(name, { SSEAlgorithm: 'AES256' });
    const got = await enc(c).getBucketEncryption(name);
    assert.equal(got.encryption.SSEAlgorithm, 'AES256');
    assert.equal(((await c.getBucketInfo(name)).bucket as { ServerSideEncryptionRule: { SSEAlgorithm: string } }).ServerSideEncryptionRule.SSEAlgorithm, 'AES256');
    const data = randomBytes(70 * KiB);
    const put = await c.put('default/obj', data);
    assert.equal(headersOf(put)['x-oss-server-side-encryption'], 'AES256');
    assert.equal(headersOf(await c.head('default/obj'))['x-oss-server-side-encryption'], 'AES256');
    // The write's own setting wins over the default.
    const own = await c.put('default/kms', data, { headers: { 'x-oss-server-side-encryption': 'KMS' } });
    assert.equal(headersOf(own)['x-oss-server-side-encryption'], 'KMS');
    const init = await c.initMultipartUpload('default/mp');
    assert.equal(headersOf(init)['x-oss-server-side-encryption'], 'AES256');
    await c.abortMultipartUpload('default/mp', init.uploadId);

    await enc(c).putBucketEncryption(name, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'app-key' });
    const kms = await enc(c).getBucketEncryption(name);
    assert.deepEqual(kms.encryption, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'app-key' });
    const p2 = await c.put('default/obj2', Buffer.from('x'));
    assert.equal(headersOf(p2)['x-oss-server-side-encryption-key-id'], 'app-key');

    // Bad rules: documented errors, the stored rule unchanged.
    await expectOssError(enc(c).putBucketEncryption(name, { SSEAlgorithm: 'DES' }), 'InvalidEncryptionAlgorithmError', 400);
    await expectOssError(enc(c).putBucketEncryption(name, { SSEAlgorithm: 'AES256', KMSMasterKeyID: 'app-key' }), 'InvalidArgument', 400);
    const raw = (xml: string) => putEncryptionXml(c, name, xml);
    await expectOssError(raw('<ServerSideEncryptionRule></ServerSideEncryptionRule>'), 'MalformedXML', 400);
    await expectOssError(raw('<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>'), 'MalformedXML', 400);
    const rule = (inner: string) => `<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault>${inner}</ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>`;
    await expectOssError(raw(rule('<SSEAlgorithm>KMS</SSEAlgorithm><KMSDataEncryption>SM3</KMSDataEncryption>')), 'InvalidArgument', 400);
    // A key id that a header cannot carry (it would be echoed in every write's headers) is refused when set.
    for (const id of ['has space', 'x'.repeat(129), 'caf\u00e9']) {
      await expectOssError(raw(rule(`<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>${id}</KMSMasterKeyID>`)), 'InvalidArgument', 400);
      await expectOssError(c.put('default/bad-key-id', Buffer.from('x'), { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': encodeURIComponent(id) === id ? id : 'bad\tid' } }), 'InvalidArgument', 400);
    }
    await expectOssError(c.head('default/bad-key-id'), 'NoSuchKey', 404);

    assert.deepEqual((await enc(c).getBucketEncryption(name)).encryption, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'app-key' });
    // KMS with SM4 data encryption (raw XML: ali-oss's putBucketEncryption cannot send KMSDataEncryption).
    await putEncryptionXml(c, name, rule('<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID></KMSMasterKeyID><KMSDataEncryption>SM4</KMSDataEncryption>'));
    assert.deepEqual((await enc(c).getBucketEncryption(name)).encryption, { SSEAlgorithm: 'KMS', KMSDataEncryption: 'SM4' });
    const p3 = await c.put('default/obj3', Buffer.from('x'));
    assert.equal(headersOf(p3)['x-oss-server-side-data-encryption'], 'SM4');
    assert.equal(headersOf(p3)['x-oss-server-side-encryption-key-id'], 'alunite/oss-default');

    // As OSS: KMSDataEncryption with AES256 or SM4 is accepted and ignored.
    await putEncryptionXml(c, name, rule('<SSEAlgorithm>SM4</SSEAlgorithm><KMSDataEncryption>SM4</KMSDataEncryption>'));
    assert.deepEqual((await enc(c).getBucketEncryption(name)).encryption, { SSEAlgorithm: 'SM4' });
    // A KMS key id is not looked up when the rule is set (OSS takes any id); a write under it fails then, storing nothing.
    await enc(c).putBucketEncryption(name, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'not-registered' });
    assert.equal((await enc(c).getBucketEncryption(name)).encryption.KMSMasterKeyID, 'not-registered');
    await expectOssError(c.put('default/unregistered', Buffer.from('x')), 'InvalidArgument', 400);
    await expectOssError(c.head('default/unregistered'), 'NoSuchKey', 404);

    // OSS's own masked example, as the Java and Python SDK v2 tests put it with SM4 (testBucketEncryption_default).
    const masked = '9468da86-3509-4f8d-a61e-6eab1eac****';
    await putEncryptionXml(c, name, rule(`<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>${masked}</KMSMasterKeyID><KMSDataEncryption>SM4</KMSDataEncryption>`));
    assert.deepEqual((await enc(c).getBucketEncryption(name)).encryption, { SSEAlgorithm: 'KMS', KMSMasterKeyID: masked, KMSDataEncryption: 'SM4' });
    await expectOssError(c.put('default/masked', Buffer.from('x')), 'InvalidArgument', 400);

    await enc(c).deleteBucketEncryption(name);
    await expectOssError(enc(c).getBucketEncryption(name), 'NoSuchServerSideEncryptionRule', 404);
    assert.equal(((await c.getBucketInfo(name)).bucket as { ServerSideEncryptionRule: { SSEAlgorithm: string } }).ServerSideEncryptionRule.SSEAlgorithm, 'None');
    assert.equal(headersOf(await c.put('default/after', Buffer.from('x')))['x-oss-server-side-encryption'], undefined);
    // Objects written under the old default still read.
    assert.ok(data.equals((await c.get('default/obj')).content as Buffer));
  });

  test('PutBucket with encryption headers sets the default encryption (as ossutil mb --meta); bad ones create nothing', async () => {
    const put = (name: string, headers: Record<string, string>) => srv.client().putBucket(name, { headers } as never);
    await put('sse-mb-kms', { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'app-key', 'x-oss-server-side-data-encryption': 'SM4' });
    assert.deepEqual((await enc(srv.client()).getBucketEncryption('sse-mb-kms')).encryption, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'app-key', KMSDataEncryption: 'SM4' });
    const obj = await srv.client({ bucket: 'sse-mb-kms' }).put('o', Buffer.from('x'));
    assert.equal(headersOf(obj)['x-oss-server-side-data-encryption'], 'SM4');
    await put('sse-mb-aes', { 'x-oss-server-side-encryption': 'AES256' });
    assert.deepEqual((await enc(srv.client()).getBucketEncryption('sse-mb-aes')).encryption, { SSEAlgorithm: 'AES256' });
    const bad: Array<[Record<string, string>, string, number]> = [
      [{ 'x-oss-server-side-encryption': 'DES' }, 'InvalidEncryptionAlgorithmError', 400],
      [{ 'x-oss-server-side-encryption': 'AES256', 'x-oss-server-side-encryption-key-id': 'app-key' }, 'InvalidArgument', 400],
      [{ 'x-oss-server-side-encryption-customer-algorithm': 'AES256' }, 'NotImplemented', 501],
    ];
    for (const [headers, code, status] of bad) {
      await expectOssError(put('sse-new-bucket', headers), code, status);
      await expectOssError(srv.client().getBucketInfo('sse-new-bucket'), 'NoSuchBucket', 404);
    }
  });

  test('Put/Get/DeleteBucketEncryption are authorized as their own RAM actions', async () => {
    const ram = new Ram(srv);
    const writer = await ram.userWith('sse-writer', policyDoc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject', 'oss:GetBucketEncryption'], Resource: ['acs:oss:*:*:*'] }));
    const admin = await ram.userWith('sse-admin', policyDoc({ Effect: 'Allow', Action: ['oss:PutBucketEncryption', 'oss:GetBucketEncryption', 'oss:DeleteBucketEncryption'], Resource: ['acs:oss:*:*:sse-ram'] }));
    await srv.client().putBucket('sse-ram');
    await expectOssError(enc(writer.oss('sse-ram')).putBucketEncryption('sse-ram', { SSEAlgorithm: 'AES256' }), 'AccessDenied', 403);
    await enc(admin.oss('sse-ram')).putBucketEncryption('sse-ram', { SSEAlgorithm: 'AES256' });
    assert.equal((await enc(writer.oss('sse-ram')).getBucketEncryption('sse-ram')).encryption.SSEAlgorithm, 'AES256');
    // A write allowed by oss:PutObject is encrypted by the bucket default without any other permission.
    const put = await writer.oss('sse-ram').put('o', Buffer.from('x'));
    assert.equal(headersOf(put)['x-oss-server-side-encryption'], 'AES256');
    await expectOssError(enc(writer.oss('sse-ram')).deleteBucketEncryption('sse-ram'), 'AccessDenied', 403);
    await enc(admin.oss('sse-ram')).deleteBucketEncryption('sse-ram');
    await expectOssError(enc(admin.oss('sse-ram')).getBucketEncryption('sse-ram'), 'NoSuchServerSideEncryptionRule', 404);
  });

  test('PostObject with encryption form fields: stored encrypted and echoed; unsupported fields refused', async () => {
    const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [['starts-with', '$key', '']] })).toString('base64');
    const post = async (key: string, extra: Array<[string, string]>): Promise<Response> => {
      const fd = new FormData();
      for (const [k, v] of [['key', key], ['OSSAccessKeyId', AK], ['policy', policy], ['Signature', signPostPolicyV1(SECRET, policy)], ...extra]) fd.append(k!, v!);
      fd.append('file', new Blob([new Uint8Array(Buffer.from('posted secret'))]), 'f.txt');
      return fetch(`${srv.url}/${BUCKET}/`, { method: 'POST', body: fd });
    };
    const ok = await post('posted', [['x-oss-server-side-encryption', 'KMS'], ['x-oss-server-side-encryption-key-id', 'app-key']]);
    assert.equal(ok.status, 204, await ok.text());
    assert.equal(ok.headers.get('x-oss-server-side-encryption'), 'KMS');
    assert.equal(ok.headers.get('x-oss-server-side-encryption-key-id'), 'app-key');
    assert.equal((await client().get('posted')).content.toString(), 'posted secret');
    // A form's file part has no declared length: it goes to a blob file.
    assert.equal((await srv.meta.getObject(BUCKET, 'posted'))?.attrs?.encryption?.kmsKeyId, 'app-key');
    for (const blob of await blobFiles(srv.dataDir)) assert.equal(blob.includes(Buffer.from('posted secret')), false);
    const bad = await post('posted-bad', [['x-oss-server-side-encryption', 'rot13']]);
    const text = await bad.text();
    assert.equal(bad.status, 400, text);
    assert.equal(parseErrorXml(text).Code, 'InvalidEncryptionAlgorithmError');
    const sseC = await post('posted-bad', [['x-oss-server-side-encryption-customer-algorithm', 'AES256']]);
    assert.equal(sseC.status, 501, await sseC.text());
    await expectOssError(client().head('posted-bad'), 'NoSuchKey', 404);
  });

  test('an encrypted upload cut mid-body stores nothing and leaves no temp file; the server lives', async () => {
    const length = 2 * 1024 * KiB;
    const h: Record<string, string> = { date: new Date().toUTCString(), 'content-type': 'application/octet-stream', 'x-oss-server-side-encryption': 'AES256' };
    const { authorization } = v1Authorization({ method: 'PUT', bucket: BUCKET, key: 'cut', headers: h }, AK, SECRET);
    const head = [`PUT /${BUCKET}/cut HTTP/1.1`, `host: 127.0.0.1:${srv.port}`, `content-length: ${length}`, `authorization: ${authorization}`, ...Object.entries(h).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
    const tmp = join(srv.dataDir, 'tmp');
    const waitFor = async (cond: () => Promise<boolean>): Promise<void> => {
      for (let i = 0; i < 1200 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 50));
    };
    const sock = connect(srv.port, '127.0.0.1');
    sock.on('error', () => undefined);
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write(head);
    sock.write(randomBytes(700 * KiB));
    // The body is being sealed into a temp file (the rest never comes); then the client goes away.
    await waitFor(async () => (await readdir(tmp)).length > 0);
    assert.equal((await readdir(tmp)).length, 1);
    sock.destroy();
    // The server notices the cut asynchronously: wait (up to a minute on a busy machine) for the temp file to go.
    await waitFor(async () => (await readdir(tmp)).length === 0);
    assert.deepEqual(await readdir(tmp), []);
    await expectOssError(client().head('cut'), 'NoSuchKey', 404);
    assert.equal((await client().put('cut', Buffer.from('after'), { headers: { 'x-oss-server-side-encryption': 'AES256' } })).res.status, 200);
  });

  test('a tampered blob or inline row is an error, never different bytes; untouched chunks still read', async () => {
    const data = randomBytes(3 * CHUNK_SIZE);
    const before = new Set(await blobPaths(srv.dataDir));
    await client().put('tamper/big', data, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    const fresh = (await blobPaths(srv.dataDir)).filter((p) => !before.has(p));
    assert.equal(fresh.length, 1);
    const file = await readFile(fresh[0]!);
    // Flip one byte inside the second chunk's ciphertext.
    file[16 + (CHUNK_SIZE + 16) + 100]! ^= 0x01;
    await writeFile(fresh[0]!, file);
    await assert.rejects(client().get('tamper/big'));
    await assert.rejects(client().get('tamper/big', { headers: { Range: `bytes=${CHUNK_SIZE}-${CHUNK_SIZE + 10}` } }));
    // The first and third chunks are independent of the damaged one.
    const first = await client().get('tamper/big', { headers: { Range: `bytes=0-99` } });
    assert.ok(data.subarray(0, 100).equals(first.content as Buffer));
    const third = await client().get('tamper/big', { headers: { Range: `bytes=${2 * CHUNK_SIZE}-${3 * CHUNK_SIZE - 1}` } });
    assert.ok(data.subarray(2 * CHUNK_SIZE).equals(third.content as Buffer));
    // A cut blob (last chunk gone) is an error too.
    await writeFile(fresh[0]!, file.subarray(0, 16 + 2 * (CHUNK_SIZE + 16)));
    await assert.rejects(client().get('tamper/big', { headers: { Range: `bytes=${2 * CHUNK_SIZE}-${2 * CHUNK_SIZE + 5}` } }));

    // Inline: one byte of the stored row changed.
    await client().put('tamper/small', Buffer.from('small secret'), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    const rec = (await srv.meta.getObject(BUCKET, 'tamper/small'))!;
    const inline = Buffer.from(rec.inline!);
    inline[20]! ^= 0x80;
    await srv.meta.putObject(BUCKET, 'tamper/small', () => ({ ...rec, inline }));
    await expectOssError(client().get('tamper/small'), 'InternalError', 500);
    // The sealed data key edited to claim another algorithm does not open either.
    await client().put('tamper/claim', Buffer.from('small secret'), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    const rec2 = (await srv.meta.getObject(BUCKET, 'tamper/claim'))!;
    await srv.meta.putObject(BUCKET, 'tamper/claim', () => ({ ...rec2, attrs: { encryption: { ...rec2.attrs!.encryption!, algorithm: 'SM4' as const } } }));
    await expectOssError(client().get('tamper/claim'), 'InternalError', 500);
  });
});

describe('encrypted objects and master key rotation', () => {
  test('readable under the previous master key; CopyObject onto itself re-seals the data key under the current one', async () => {
    if (onPostgres) return; // the restarts reuse the SQLite file; PostgreSQL schemas are per test server
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const first = await startTestServer({ masterKey: oldKey });
    const dataDir = first.dataDir;
    const data = randomBytes(100 * KiB);
    const h = { 'x-oss-server-side-encryption': 'AES256' };
    try {
      await first.client().putBucket(BUCKET);
      await first.client({ bucket: BUCKET }).put('rot', data, { headers: h });
      await first.client({ bucket: BUCKET }).put('rot-other', data, { headers: h });
      await first.close();
      const second = await startTestServer({ dataDir, masterKey: newKey, previousMasterKeys: [oldKey] });
      try {
        const c = second.client({ bucket: BUCKET });
        assert.ok(data.equals((await c.get('rot')).content as Buffer));
        await c.copy('rot', 'rot', { headers: h });
      } finally {
        await second.close();
      }
      // `keys rotate` under ALUNITE_MASTER_KEY moves the database to the new key (its check value with it), then
      // the old key forgotten: the re-sealed object reads, the other one is refused (never garbage).
      await rotateKeys(dataDir, { ALUNITE_MASTER_KEY: newKey.toString('base64'), ALUNITE_MASTER_KEY_PREVIOUS: oldKey.toString('base64') });
      const third = await startTestServer({ dataDir, masterKey: newKey });
      try {
        const c = third.client({ bucket: BUCKET });
        assert.ok(data.equals((await c.get('rot')).content as Buffer));
        await expectOssError(c.get('rot-other'), 'InternalError', 500);
      } finally {
        await third.stop();
      }
    } finally {
      await first.close().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('encrypted objects survive any number of `alunite keys rotate`', () => {
  test('rotated twice (and three times) without re-sealing: every object still reads', async () => {
    if (onPostgres) return; // rotates the SQLite data directory's key files
    const first = await startTestServer({ masterKey: undefined });
    const dataDir = first.dataDir;
    const data = randomBytes(100 * KiB);
    const small = Buffer.from('small sealed object');
    try {
      await first.client().putBucket(BUCKET);
      await first.client({ bucket: BUCKET }).put('big', data, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
      await first.client({ bucket: BUCKET }).put('small', small, { headers: { 'x-oss-server-side-encryption': 'KMS' } });
      await first.close();
      for (let i = 0; i < 3; i++) await rotateKeys(dataDir, {});
      const after = await startTestServer({ dataDir, masterKey: undefined });
      try {
        const c = after.client({ bucket: BUCKET });
        assert.ok(data.equals((await c.get('big')).content as Buffer));
        assert.ok(small.equals((await c.get('small')).content as Buffer));
      } finally {
        await after.close();
      }
    } finally {
      await first.close().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('alunite init export --objects opens encrypted objects', () => {
  test('the exported files are the plaintext', async () => {
    if (onPostgres) return; // the command reads the stopped server's SQLite data directory
    const srv = await startTestServer();
    const data = randomBytes(100 * KiB);
    const small = Buffer.from('small exported secret');
    try {
      await srv.client().putBucket(BUCKET);
      await srv.client({ bucket: BUCKET }).put('big', data, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
      await srv.client({ bucket: BUCKET }).put('small', small, { headers: { 'x-oss-server-side-encryption': 'SM4' } });
      await srv.close();
      const out = join(srv.dataDir, 'export-out');
      const bin = fileURLToPath(new URL('../../bin/alunite', import.meta.url));
      const res = spawnSync(process.execPath, [bin, 'init', 'export', '--data', srv.dataDir, '--objects', out], { env: { ...process.env, ALUNITE_ACCOUNT_ID: ACCOUNT_ID }, encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
      const files: Buffer[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          if (e.isDirectory()) await walk(join(dir, e.name));
          else files.push(await readFile(join(dir, e.name)));
        }
      };
      await walk(out);
      assert.ok(files.some((f) => f.equals(data)), 'the big object exported as its plaintext');
      assert.ok(files.some((f) => f.equals(small)), 'the small object exported as its plaintext');
    } finally {
      await srv.close().catch(() => undefined);
      await rm(srv.dataDir, { recursive: true, force: true });
    }
  });
});

describe('encrypted objects survive a restart (the master key on disk)', () => {
  test('written, server restarted on the same data directory, read back', async () => {
    if (onPostgres) return; // the restart reuses the SQLite file; PostgreSQL schemas are per test server
    const first = await startTestServer({ kmsKeys: ['app-key'] });
    const dataDir = first.dataDir;
    const data = randomBytes(100 * KiB);
    try {
      await first.client().putBucket(BUCKET);
      await first.client({ bucket: BUCKET }).put('keep', data, { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'app-key' } });
      await first.client({ bucket: BUCKET }).put('keep-small', data.subarray(0, 100), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
      await first.close();
      const second = await startTestServer({ dataDir, kmsKeys: ['app-key'] });
      try {
        assert.ok(data.equals((await second.client({ bucket: BUCKET }).get('keep')).content as Buffer));
        assert.ok(data.subarray(0, 100).equals((await second.client({ bucket: BUCKET }).get('keep-small')).content as Buffer));
      } finally {
        await second.stop(); // removes only its own (unused) temp directory
      }
    } finally {
      await first.close().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
