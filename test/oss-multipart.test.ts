// Multipart uploads driven through the real ali-oss client against a real server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import type { Readable } from 'node:stream';
import { eventually } from './helpers/eventually.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { crc64, expectOssError, extras, headersOf, md5Hex, rawObjectRequest, sha256, statusOf, userMeta } from './helpers/oss.js';

const BUCKET = 'multipart-bucket';
const SOURCE_BUCKET = 'multipart-source';
const KiB = 1024;
const MiB = 1024 * KiB;

interface ListedPart {
  PartNumber: string;
  ETag: string;
  Size: string;
  LastModified: string;
}

const partsOf = (res: { parts: unknown }): ListedPart[] => {
  const p = res.parts as ListedPart | ListedPart[];
  return Array.isArray(p) ? p : [p];
};

interface ListUploads {
  uploads: Array<{ name: string; uploadId: string; initiated: string }>;
  nextKeyMarker: string;
  nextUploadIdMarker: string;
  isTruncated: boolean;
  bucket: string;
}

const lpq = (q: Record<string, string> = {}): OSS.ListPartsQuery => q as unknown as OSS.ListPartsQuery;

const listUploads = async (client: OSS, query: Record<string, string | number>): Promise<ListUploads> =>
  (await client.listUploads(query as OSS.ListUploadsQuery)) as unknown as ListUploads;

describe('ali-oss multipart uploads', () => {
  let srv: TestServer;
  let dir: string;
  let client: OSS;

  before(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'alunite-mp-'));
    await srv.client().putBucket(BUCKET);
    await srv.client().putBucket(SOURCE_BUCKET);
    client = srv.client({ bucket: BUCKET });
  });
  after(async () => {
    await srv.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes `data` to a temp file (uploadPart reads parts from a file path). */
  async function file(name: string, data: Buffer): Promise<string> {
    const p = join(dir, name);
    await writeFile(p, data);
    return p;
  }

  it('multipartUpload of a 25 MiB file in 5 MiB parts (IP+V1 and path+V4)', async () => {
    const data = randomBytes(25 * MiB);
    const path = await file('big.bin', data);
    const digest = sha256(data);
    for (const [i, c] of [srv.client({ bucket: BUCKET }), srv.pathClient({ bucket: BUCKET, authorizationV4: true })].entries()) {
      const key = `big/${i}/file.bin`;
      const progress: number[] = [];
      const res = (await c.multipartUpload(key, path, {
        partSize: 5 * MiB,
        parallel: 3,
        meta: userMeta({ purpose: 'big' }),
        progress: (p: number) => {
          progress.push(p);
        },
      } as OSS.MultipartUploadOptions)) as unknown as { etag: string; res: { status: number } };
      assert.equal(res.res.status, 200);
      assert.match(res.etag, /^"[0-9A-F]{32}-5"$/, `multipart ETag: ${res.etag}`);
      assert.equal(progress.at(-1), 1);

      const h = await c.head(key);
      const hh = headersOf(h);
      assert.equal(hh['content-length'], String(data.length));
      assert.equal(hh['x-oss-object-type'], 'Multipart');
      assert.equal(hh.etag, res.etag);
      assert.equal((h as unknown as { meta: Record<string, string> }).meta.purpose, 'big');

      const out = join(dir, `download-${i}.bin`);
      const got = await c.get(key, out);
      assert.equal(statusOf(got), 200);
      const downloaded = await readFile(out);
      assert.equal(downloaded.length, data.length);
      assert.equal(sha256(downloaded), digest, 'downloaded bytes equal the uploaded file');
      await rm(out);

      const ranged = (await c.get(key, { headers: { Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` } } as OSS.GetObjectOptions)) as unknown as { content: Buffer; res: { status: number } };
      assert.equal(ranged.res.status, 206);
      assert.deepEqual(ranged.content, data.subarray(5 * MiB - 10, 5 * MiB + 10), 'range across a part boundary');
    }
  });

  it('initMultipartUpload + uploadPart + completeMultipartUpload by hand: ETag, CRC, metadata', async () => {
    const p1 = randomBytes(120 * KiB);
    const p2 = randomBytes(100 * KiB);
    const p3 = randomBytes(7 * KiB);
    const whole = Buffer.concat([p1, p2, p3]);
    const path = await file('hand.bin', whole);
    for (const [i, c] of [srv.client({ bucket: BUCKET, authorizationV4: true }), srv.pathClient({ bucket: BUCKET })].entries()) {
      const key = `hand/${i}/объект.bin`;
      const init = await c.initMultipartUpload(key, {
        meta: userMeta({ who: 'hand' }),
        headers: { 'Content-Type': 'application/x-hand', 'Cache-Control': 'no-cache', 'x-oss-object-acl': 'public-read' },
      } as unknown as OSS.InitMultipartUploadOptions);
      assert.equal(init.bucket, BUCKET);
      assert.equal(init.name, key);
      assert.match(init.uploadId, /^[A-Za-z0-9_-]+$/);

      const r1 = await c.uploadPart(key, init.uploadId, 1, path, 0, p1.length);
      const r2 = await c.uploadPart(key, init.uploadId, 2, path, p1.length, p1.length + p2.length);
      const r3 = await c.uploadPart(key, init.uploadId, 3, path, p1.length + p2.length, whole.length);
      assert.equal(r1.etag, `"${md5Hex(p1)}"`);
      assert.equal(r2.etag, `"${md5Hex(p2)}"`);
      assert.equal(headersOf(r3)['x-oss-hash-crc64ecma'], crc64(p3), 'part CRC');

      const done = await c.completeMultipartUpload(key, init.uploadId, [
        { number: 1, etag: r1.etag },
        { number: 2, etag: r2.etag },
        { number: 3, etag: r3.etag },
      ], i === 1 ? { headers: { 'x-oss-object-acl': 'public-read' } } as OSS.CompleteMultipartUploadOptions : undefined);
      assert.equal(statusOf(done), 200);
      const etag = (done as unknown as { etag: string }).etag;
      assert.match(etag, /^"[0-9A-F]{32}-3"$/);
      const expectedEtag = `"${md5Hex([p1, p2, p3].map((p) => md5Hex(p)).join(''))}-3"`;
      assert.equal(etag, expectedEtag, 'MD5 of the part ETags as upper-case hex text, dash, part count (OSS, not S3)');
      assert.equal(headersOf(done)['x-oss-hash-crc64ecma'], crc64(whole), 'CRC of the whole object');

      const got = (await c.get(key)) as unknown as { content: Buffer; res: { headers: Record<string, string> } };
      assert.deepEqual(got.content, whole);
      assert.equal(got.res.headers['content-type'], 'application/x-hand');
      assert.equal(got.res.headers['cache-control'], 'no-cache');
      assert.equal(got.res.headers['x-oss-meta-who'], 'hand');
      assert.equal(got.res.headers['x-oss-hash-crc64ecma'], crc64(whole));
      // OSS ignores x-oss-object-acl on InitiateMultipartUpload (the Go SDK 1.5.0's TestUploadFile expects `default`
      // after initiating with public-read); CompleteMultipartUpload's sets it.
      assert.equal((await c.getACL(key)).acl, i === 1 ? 'public-read' : 'default');

      await expectOssError(c.listParts(key, init.uploadId, lpq()), 'NoSuchUpload', 404);
      await expectOssError(c.uploadPart(key, init.uploadId, 4, path, 0, 10), 'NoSuchUpload', 404);
    }
  });

  it('parts may be skipped, re-uploaded and need not be contiguous', async () => {
    const a = randomBytes(110 * KiB);
    const b = randomBytes(50 * KiB);
    const path = await file('sparse.bin', Buffer.concat([a, b]));
    const key = 'sparse.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    await client.uploadPart(key, uploadId, 5, path, a.length, a.length + b.length); // replaced below
    const first = await client.uploadPart(key, uploadId, 2, path, 0, a.length);
    const last = await client.uploadPart(key, uploadId, 7, path, a.length, a.length + b.length);
    await client.uploadPart(key, uploadId, 5, path, 0, 1000); // not completed: dropped
    await client.completeMultipartUpload(key, uploadId, [
      { number: 2, etag: first.etag },
      { number: 7, etag: last.etag },
    ]);
    const got = (await client.get(key)) as unknown as { content: Buffer; res: { headers: Record<string, string> } };
    assert.deepEqual(got.content, Buffer.concat([a, b]));
    assert.match(got.res.headers.etag ?? '', /-2"$/);
  });

  it('EntityTooSmall when a non-last part is under 100 KiB', async () => {
    const small = randomBytes(60 * KiB);
    const path = await file('small.bin', small);
    const key = 'too-small.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    const r1 = await client.uploadPart(key, uploadId, 1, path, 0, small.length);
    const r2 = await client.uploadPart(key, uploadId, 2, path, 0, small.length);
    await expectOssError(
      client.completeMultipartUpload(key, uploadId, [
        { number: 1, etag: r1.etag },
        { number: 2, etag: r2.etag },
      ]),
      'EntityTooSmall',
      400,
    );
    // The upload survives a failed Complete; a single small part is fine (it is the last).
    const ok = await client.completeMultipartUpload(key, uploadId, [{ number: 2, etag: r2.etag }]);
    assert.equal(statusOf(ok), 200);
    assert.deepEqual(((await client.get(key)) as unknown as { content: Buffer }).content, small);
  });

  it('InvalidPart for a wrong ETag or a part never uploaded', async () => {
    const data = randomBytes(10 * KiB);
    const path = await file('invalid-part.bin', data);
    const key = 'invalid-part.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    const r1 = await client.uploadPart(key, uploadId, 1, path, 0, data.length);
    await expectOssError(client.completeMultipartUpload(key, uploadId, [{ number: 1, etag: '"0123456789ABCDEF0123456789ABCDEF"' }]), 'InvalidPart', 400);
    await expectOssError(
      client.completeMultipartUpload(key, uploadId, [
        { number: 1, etag: r1.etag },
        { number: 2, etag: r1.etag },
      ]),
      'InvalidPart',
      400,
    );
    // ETags compare without quotes and case-insensitively.
    const ok = await client.completeMultipartUpload(key, uploadId, [{ number: 1, etag: r1.etag.replace(/"/g, '').toLowerCase() }]);
    assert.equal(statusOf(ok), 200);
  });

  it('InvalidPartOrder when the Complete body lists parts out of order', async () => {
    const a = randomBytes(101 * KiB);
    const path = await file('order.bin', a);
    const key = 'order.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    const r1 = await client.uploadPart(key, uploadId, 1, path, 0, a.length);
    const r2 = await client.uploadPart(key, uploadId, 2, path, 0, a.length);
    // completeMultipartUpload sorts parts itself, so send the body by hand (signed by ali-oss).
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n<Part>\n<PartNumber>2</PartNumber>\n<ETag>${r2.etag}</ETag>\n</Part>\n<Part>\n<PartNumber>1</PartNumber>\n<ETag>${r1.etag}</ETag>\n</Part>\n</CompleteMultipartUpload>`;
    await expectOssError(rawObjectRequest(client, 'POST', key, { subres: { uploadId }, content: Buffer.from(xml), mime: 'xml' }), 'InvalidPartOrder', 400);
    const dup = xml.replace('<PartNumber>1</PartNumber>', '<PartNumber>2</PartNumber>').replace(r1.etag, r2.etag);
    await expectOssError(rawObjectRequest(client, 'POST', key, { subres: { uploadId }, content: Buffer.from(dup), mime: 'xml' }), 'InvalidPartOrder', 400);
    await expectOssError(rawObjectRequest(client, 'POST', key, { subres: { uploadId }, content: Buffer.from('<CompleteMultipartUpload><Part>'), mime: 'xml' }), 'MalformedXML', 400);
    await expectOssError(client.head(key), 'NoSuchKey', 404);
  });

  it('uploadPartCopy with ranges, from this and from another bucket', async () => {
    const src = randomBytes(300 * KiB);
    await srv.client({ bucket: SOURCE_BUCKET }).put('source.bin', src);
    await client.put('local-source.bin', src);
    for (const [i, c] of [srv.client({ bucket: BUCKET }), srv.pathClient({ bucket: BUCKET, authorizationV4: true })].entries()) {
      const key = `copied/${i}.bin`;
      const { uploadId } = await c.initMultipartUpload(key);
      const c1 = await c.uploadPartCopy(key, uploadId, 1, `0-${150 * KiB - 1}`, { sourceKey: 'source.bin', sourceBucketName: SOURCE_BUCKET }, {});
      assert.equal(c1.etag, `"${md5Hex(src.subarray(0, 150 * KiB))}"`);
      const c2 = await c.uploadPartCopy(key, uploadId, 2, `${150 * KiB}-${src.length - 1}`, { sourceKey: 'local-source.bin', sourceBucketName: BUCKET }, {});
      const c3 = await c.uploadPartCopy(key, uploadId, 3, '', { sourceKey: 'source.bin', sourceBucketName: SOURCE_BUCKET }, {});
      assert.equal(c3.etag, `"${md5Hex(src)}"`, 'no range copies the whole source');
      const parts = partsOf(await c.listParts(key, uploadId, lpq()));
      assert.deepEqual(parts.map((p) => [p.PartNumber, p.Size]), [['1', String(150 * KiB)], ['2', String(src.length - 150 * KiB)], ['3', String(src.length)]]);
      await c.completeMultipartUpload(key, uploadId, [
        { number: 1, etag: c1.etag },
        { number: 2, etag: c2.etag },
        { number: 3, etag: c3.etag },
      ]);
      const got = (await c.get(key)) as unknown as { content: Buffer };
      assert.deepEqual(got.content, Buffer.concat([src, src]));
    }
    const { uploadId } = await client.initMultipartUpload('copied/bad.bin');
    await expectOssError(client.uploadPartCopy('copied/bad.bin', uploadId, 1, '0-9', { sourceKey: 'missing.bin', sourceBucketName: SOURCE_BUCKET }, {}), 'NoSuchKey', 404);
    await client.abortMultipartUpload('copied/bad.bin', uploadId);
  });

  it('an empty condition header is no condition: multipartUploadCopy with copyheaders {x-oss-copy-source-if-match: ""}, CopyObject, GET', async () => {
    // ali-oss's own "should multipart upload copy with callback" passes copyheaders this way and expects 200.
    const src = randomBytes(250 * KiB);
    await client.put('empty-cond/src.bin', src);
    const r = await client.multipartUploadCopy('empty-cond/dst.bin', { sourceKey: 'empty-cond/src.bin', sourceBucketName: BUCKET, copyheaders: { 'x-oss-copy-source-if-match': '' } } as unknown as OSS.MultipartUploadCopySourceData, { partSize: 100 * KiB });
    assert.equal(statusOf(r), 200);
    assert.deepEqual(((await client.get('empty-cond/dst.bin')) as unknown as { content: Buffer }).content, src);
    await client.copy('empty-cond/copy.bin', 'empty-cond/src.bin', { headers: { 'x-oss-copy-source-if-match': '', 'x-oss-copy-source-if-none-match': ' ' } } as OSS.CopyObjectOptions);
    const got = (await client.get('empty-cond/copy.bin', { headers: { 'If-Match': '', 'If-None-Match': '' } } as OSS.GetObjectOptions)) as unknown as { res: { status: number } };
    assert.equal(got.res.status, 200);
    // A value that does not match still refuses.
    await expectOssError(client.copy('empty-cond/no.bin', 'empty-cond/src.bin', { headers: { 'x-oss-copy-source-if-match': '"0000"' } } as OSS.CopyObjectOptions), 'PreconditionFailed', 412);
  });

  it('uploadPartCopy: a valid x-oss-copy-source-range answers Content-Range; one that does not fit copies the whole source, without it', async () => {
    // api-docs UploadPartCopy (x-oss-copy-source-range): "当指定的范围不符合规范时，则拷贝整个源Object，并且不在结果中提及Content-Range".
    const src = Buffer.from('0123456789');
    await client.put('range/ten.bin', src);
    for (const [i, c] of [srv.client({ bucket: BUCKET }), srv.pathClient({ bucket: BUCKET, authorizationV4: true })].entries()) {
      const key = `range/${i}.bin`;
      const { uploadId } = await c.initMultipartUpload(key);
      const copy = (n: number, range: string) => c.uploadPartCopy(key, uploadId, n, range, { sourceKey: 'range/ten.bin', sourceBucketName: BUCKET }, {});
      const valid = await copy(1, '2-5');
      assert.equal(valid.etag, `"${md5Hex(src.subarray(2, 6))}"`);
      assert.equal(headersOf(valid)['content-range'], 'bytes 2-5/10');
      const open = await copy(2, '7-');
      assert.equal(open.etag, `"${md5Hex(src.subarray(7))}"`);
      assert.equal(headersOf(open)['content-range'], 'bytes 7-9/10');
      // As GetObject's Range (its api-docs say the same words): the last n bytes [UNVERIFIED for copies].
      const suffix = await copy(3, '-4');
      assert.equal(suffix.etag, `"${md5Hex(src.subarray(6))}"`);
      assert.equal(headersOf(suffix)['content-range'], 'bytes 6-9/10');
      // The Go SDK's UploadPartCopy(imur, bucket, "src", 0, 100, 1) on a 10-byte object: bytes=0-99.
      let n = 4;
      for (const bad of ['0-99', '0-10', '5-2', 'abc', '10-', '10-12', '99-']) {
        const whole = await copy(n++, bad);
        assert.equal(whole.etag, `"${md5Hex(src)}"`, bad);
        assert.equal(headersOf(whole)['content-range'], undefined, bad);
      }
      const parts = partsOf(await c.listParts(key, uploadId, lpq()));
      assert.deepEqual(parts.map((p) => p.Size), ['4', '3', '4', ...Array(7).fill('10')]);
      await c.abortMultipartUpload(key, uploadId);
    }
  });

  it('uploadPartCopy from an Appendable source: 400 InvalidArgument, no part stored (CopyObject still copies it)', async () => {
    // api-docs UploadPartCopy: objects uploaded with AppendObject cannot be copied this way.
    await client.append('appendable/src.log', Buffer.from('appended bytes'));
    await client.putSymlink('appendable/link', 'appendable/src.log');
    const { uploadId } = await client.initMultipartUpload('appendable/dst.bin');
    for (const sourceKey of ['appendable/src.log', 'appendable/link']) {
      for (const range of ['', '0-3']) {
        await expectOssError(client.uploadPartCopy('appendable/dst.bin', uploadId, 1, range, { sourceKey, sourceBucketName: BUCKET }, {}), 'InvalidArgument', 400);
      }
    }
    assert.equal(partsOf(await client.listParts('appendable/dst.bin', uploadId, lpq())).filter(Boolean).length, 0);
    await client.abortMultipartUpload('appendable/dst.bin', uploadId);
    assert.equal(statusOf(await client.copy('appendable/copy.log', 'appendable/src.log')), 200);
    assert.equal(((await client.get('appendable/copy.log')) as unknown as { content: Buffer }).content.toString(), 'appended bytes');
  });

  it('multipartUploadCopy copies a whole object from another bucket part by part', async () => {
    const src = randomBytes(350 * KiB);
    await srv.client({ bucket: SOURCE_BUCKET }).put('mpc-source.bin', src, { meta: userMeta({ from: 'source' }) });
    for (const [i, c] of [srv.client({ bucket: BUCKET }), srv.pathClient({ bucket: BUCKET, authorizationV4: true })].entries()) {
      const key = `mpc/${i}.bin`;
      const res = (await (c as unknown as { multipartUploadCopy: (n: string, s: object, o: object) => Promise<{ res: { status: number; headers: Record<string, string> } }> }).multipartUploadCopy(
        key,
        { sourceKey: 'mpc-source.bin', sourceBucketName: SOURCE_BUCKET },
        { partSize: 100 * KiB },
      ));
      assert.equal(res.res.status, 200);
      const got = (await c.get(key)) as unknown as { content: Buffer; res: { headers: Record<string, string> } };
      assert.deepEqual(got.content, src);
      assert.match(got.res.headers.etag ?? '', /-4"$/, '350 KiB in 100 KiB parts = 4 parts');
      assert.equal(got.res.headers['x-oss-hash-crc64ecma'], crc64(src));
    }
  });

  it('listParts with max-parts and part-number-marker', async () => {
    const data = randomBytes(5 * KiB);
    const path = await file('lp.bin', data);
    const key = 'list-parts.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    for (const n of [1, 2, 3, 10]) await client.uploadPart(key, uploadId, n, path, 0, data.length);
    const all = await client.listParts(key, uploadId, lpq());
    assert.equal(all.uploadId, uploadId);
    assert.equal(all.name, key);
    assert.equal(all.bucket, BUCKET);
    assert.equal(String(all.isTruncated), 'false');
    const parts = partsOf(all);
    assert.deepEqual(parts.map((p) => p.PartNumber), ['1', '2', '3', '10']);
    for (const p of parts) {
      assert.equal(p.ETag, `"${md5Hex(data)}"`);
      assert.equal(p.Size, String(data.length));
      assert.ok(!Number.isNaN(Date.parse(p.LastModified)));
    }
    const page1 = await client.listParts(key, uploadId, lpq({ 'max-parts': '2' }));
    assert.deepEqual(partsOf(page1).map((p) => p.PartNumber), ['1', '2']);
    assert.equal(String(page1.isTruncated), 'true');
    assert.equal(String(page1.nextPartNumberMarker), '2');
    const page2 = await client.listParts(key, uploadId, lpq({ 'max-parts': '2', 'part-number-marker': String(page1.nextPartNumberMarker) }));
    assert.deepEqual(partsOf(page2).map((p) => p.PartNumber), ['3', '10']);
    assert.equal(String(page2.isTruncated), 'false');
    await client.abortMultipartUpload(key, uploadId);
  });

  it('listUploads with prefix, max-uploads and markers', async () => {
    const c = srv.pathClient({ bucket: BUCKET, authorizationV4: true });
    const keys = ['lu/a.bin', 'lu/b.bin', 'lu/b.bin', 'lu/c/d.bin'];
    const ids: string[] = [];
    for (const k of keys) ids.push((await c.initMultipartUpload(k)).uploadId);
    const all = await listUploads(c, { prefix: 'lu/' });
    assert.equal(all.bucket, BUCKET);
    assert.equal(all.isTruncated, false);
    assert.deepEqual(all.uploads.map((u) => u.name), keys);
    assert.deepEqual(new Set(all.uploads.map((u) => u.uploadId)), new Set(ids));
    for (const u of all.uploads) assert.ok(!Number.isNaN(Date.parse(u.initiated)), u.initiated);
    // Empty parameters (ali-oss V4 signs them as `prefix=`) behave like absent ones.
    const everything = await listUploads(c, { prefix: '', 'key-marker': '' });
    for (const id of ids) assert.ok(everything.uploads.some((u) => u.uploadId === id), id);

    const seen: string[] = [];
    let query: Record<string, string | number> = { prefix: 'lu/', 'max-uploads': 2 };
    for (let page = 0; page < 5; page++) {
      const res = await listUploads(c, query);
      seen.push(...res.uploads.map((u) => `${u.name} ${u.uploadId}`));
      if (!res.isTruncated) break;
      assert.equal(res.uploads.length, 2);
      query = { prefix: 'lu/', 'max-uploads': 2, 'key-marker': res.nextKeyMarker, 'upload-id-marker': res.nextUploadIdMarker };
    }
    assert.deepEqual(seen, all.uploads.map((u) => `${u.name} ${u.uploadId}`), 'pages cover every upload once, in order');

    const delimited = (await c.listUploads({ prefix: 'lu/', delimiter: '/' } as OSS.ListUploadsQuery)) as unknown as ListUploads & { res: { data: Buffer } };
    assert.deepEqual(delimited.uploads.map((u) => u.name), ['lu/a.bin', 'lu/b.bin', 'lu/b.bin']);
    assert.match(delimited.res.data.toString(), /<CommonPrefixes><Prefix>lu\/c\/<\/Prefix><\/CommonPrefixes>/);

    for (const [i, k] of keys.entries()) await c.abortMultipartUpload(k, ids[i]!);
    assert.deepEqual((await listUploads(c, { prefix: 'lu/' })).uploads, []);
  });

  it('abortMultipartUpload, then every use of the upload id is NoSuchUpload', async () => {
    const data = randomBytes(2 * KiB);
    const path = await file('abort.bin', data);
    const key = 'abort.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    const r1 = await client.uploadPart(key, uploadId, 1, path, 0, data.length);
    const abort = await client.abortMultipartUpload(key, uploadId);
    assert.equal(statusOf(abort), 204);
    await expectOssError(client.abortMultipartUpload(key, uploadId), 'NoSuchUpload', 404);
    await expectOssError(client.uploadPart(key, uploadId, 2, path, 0, data.length), 'NoSuchUpload', 404);
    await expectOssError(client.listParts(key, uploadId, lpq()), 'NoSuchUpload', 404);
    await expectOssError(client.completeMultipartUpload(key, uploadId, [{ number: 1, etag: r1.etag }]), 'NoSuchUpload', 404);
    await expectOssError(client.head(key), 'NoSuchKey', 404);
    await expectOssError(client.abortMultipartUpload(key, 'NOT-A-REAL-UPLOAD-ID'), 'NoSuchUpload', 404);
    // An upload id only belongs to its own key.
    const other = await client.initMultipartUpload('abort-other.bin');
    await expectOssError(client.uploadPart(key, other.uploadId, 1, path, 0, data.length), 'NoSuchUpload', 404);
    await client.abortMultipartUpload('abort-other.bin', other.uploadId);
  });

  it('uploadPart rejects part numbers outside 1..10000', async () => {
    const data = randomBytes(1024);
    const path = await file('pn.bin', data);
    const { uploadId } = await client.initMultipartUpload('pn.bin');
    await expectOssError(client.uploadPart('pn.bin', uploadId, 10001, path, 0, data.length), 'InvalidArgument', 400);
    await expectOssError(client.uploadPart('pn.bin', uploadId, 0, path, 0, data.length), 'InvalidArgument', 400);
    const ok = await client.uploadPart('pn.bin', uploadId, 10000, path, 0, data.length);
    assert.equal(ok.etag, `"${md5Hex(data)}"`);
    await client.abortMultipartUpload('pn.bin', uploadId);
  });

  it('x-oss-forbid-overwrite on initiate and complete → FileAlreadyExists', async () => {
    const data = randomBytes(1024);
    const path = await file('fo.bin', data);
    await client.put('mp-fo.bin', Buffer.from('existing'));
    await expectOssError(client.initMultipartUpload('mp-fo.bin', { headers: { 'x-oss-forbid-overwrite': 'true' } } as unknown as OSS.InitMultipartUploadOptions), 'FileAlreadyExists', 409);
    const { uploadId } = await client.initMultipartUpload('mp-fo.bin');
    const r = await client.uploadPart('mp-fo.bin', uploadId, 1, path, 0, data.length);
    await expectOssError(
      client.completeMultipartUpload('mp-fo.bin', uploadId, [{ number: 1, etag: r.etag }], { headers: { 'x-oss-forbid-overwrite': 'true' } } as unknown as OSS.CompleteMultipartUploadOptions),
      'FileAlreadyExists',
      409,
    );
    assert.equal(((await client.get('mp-fo.bin')) as unknown as { content: Buffer }).content.toString(), 'existing');
    await client.abortMultipartUpload('mp-fo.bin', uploadId);
  });

  it('getObjectMeta of a multipart object', async () => {
    const data = randomBytes(3 * KiB);
    const path = await file('meta.bin', data);
    const { uploadId } = await client.initMultipartUpload('meta.bin');
    const r = await client.uploadPart('meta.bin', uploadId, 1, path, 0, data.length);
    const done = await client.completeMultipartUpload('meta.bin', uploadId, [{ number: 1, etag: r.etag }]);
    const meta = await extras(client).getObjectMeta('meta.bin');
    assert.equal(meta.res.headers['content-length'], String(data.length));
    assert.equal(meta.res.headers.etag, (done as unknown as { etag: string }).etag);
  });
});

// A download opens an object's segment files one after the other: a delete or overwrite while it runs must not
// unlink the segments it has not opened yet (the answer was cut at the next part's boundary, after a 200).
describe('a download of a multipart object outlives a delete or overwrite of it', () => {
  let srv: TestServer;
  let dir: string;
  before(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'alunite-mp-outlive-'));
    await srv.client().putBucket(BUCKET);
  });
  after(async () => {
    await srv.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Blob files on disk (32 hex digits, anywhere under the data directory). */
  async function blobFiles(): Promise<number> {
    const names = await readdir(srv.dataDir, { recursive: true });
    return names.filter((n) => /(^|\/)[0-9a-f]{32}$/.test(n)).length;
  }

  for (const [what, sse] of [['delete', false], ['overwrite', false], ['delete', true]] as const) {
    it(`${what}${sse ? ' (SSE-OSS)' : ''} while the GET is under way`, async () => {
      const c = srv.client({ bucket: BUCKET });
      const key = `outlive/${what}-${sse}`;
      const part = (i: number): Buffer => Buffer.concat([randomBytes(2 * MiB), Buffer.alloc(2 * MiB, i)]);
      const parts = [1, 2, 3, 4].map(part);
      const whole = Buffer.concat(parts);
      const init = await c.initMultipartUpload(key, sse ? ({ headers: { 'x-oss-server-side-encryption': 'AES256' } } as unknown as OSS.InitMultipartUploadOptions) : undefined);
      const path = join(dir, `${what}-${sse}.bin`);
      await writeFile(path, whole);
      const done: Array<{ number: number; etag: string }> = [];
      for (let i = 0; i < parts.length; i++) done.push({ number: i + 1, etag: (await c.uploadPart(key, init.uploadId, i + 1, path, i * 4 * MiB, (i + 1) * 4 * MiB)).etag });
      await c.completeMultipartUpload(key, init.uploadId, done);
      const before = await blobFiles();

      const { stream } = (await c.getStream(key)) as unknown as { stream: Readable };
      const got: Buffer[] = [];
      let n = 0;
      let acted: Promise<unknown> | null = null;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        got.push(chunk);
        n += chunk.length;
        // After the first MiB, and before the rest is read: the object goes while its answer is being sent.
        if (acted === null && n >= MiB) {
          acted = what === 'delete' ? c.delete(key) : c.put(key, Buffer.from('new bytes'));
          await acted;
        }
      }
      assert.ok(acted !== null, 'the object was changed during the download');
      assert.equal(n, whole.length, 'the whole object arrived');
      assert.equal(md5Hex(Buffer.concat(got)), md5Hex(whole));
      // The change took effect, and the old parts' files go once the download has let go of them.
      if (what === 'delete') await expectOssError(c.get(key), 'NoSuchKey', 404);
      else assert.equal((await c.get(key)).content.toString(), 'new bytes');
      await eventually(async () => (await blobFiles()) <= before - 4, 'the replaced parts are unlinked after the download');
    });
  }
});
