// Real-time access of Archive objects (PutBucketArchiveDirectRead, docs/data-protection.md) through ali-oss
// against a real server: with the bucket's switch on, a frozen Archive object's bytes are read without a
// RestoreObject by GetObject (ranges, symlinks), image processing, SelectObject, and as the source of CopyObject
// and UploadPartCopy; ColdArchive and DeepColdArchive still need a restore; HEAD is unchanged; switching it off
// refuses again (a restored object is readable either way); a website's index and error documents are never read in real time; authorization comes first.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import sharp from 'sharp';
import { startTestServer, type TestServer } from './helpers/server.js';
import { bucketXml } from './helpers/bucket-xml.js';
import { expectOssError, rawObjectRequest, sendVerbatim, xmlText } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';

const BUCKET = 'direct-read';
const PLAIN = 'no-direct-read';

const directRead = (c: OSS, bucket: string, enabled: boolean) =>
  bucketXml(c, 'PUT', bucket, 'bucketArchiveDirectRead', `<ArchiveDirectReadConfiguration><Enabled>${enabled}</Enabled></ArchiveDirectReadConfiguration>`);

/** An anonymous GET, path style (the website's visitors). */
function anonymousGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

describe('real-time access of Archive objects (PutBucketArchiveDirectRead)', () => {
  let srv: TestServer;
  let c: OSS;
  let other: OSS;
  const putIn = (client: OSS, key: string, cls: string, body: Buffer | string) =>
    client.put(key, Buffer.isBuffer(body) ? body : Buffer.from(body), { headers: { 'x-oss-storage-class': cls } } as OSS.PutObjectOptions);

  before(async () => {
    // Restores finish at once: a restored object is readable as soon as RestoreObject answers.
    srv = await startTestServer({ timing: { restoreDelayMs: 0 } });
    await srv.client().putBucket(BUCKET);
    await srv.client().putBucket(PLAIN);
    c = srv.client({ bucket: BUCKET });
    other = srv.client({ bucket: PLAIN });
    await putIn(c, 'frozen.txt', 'Archive', 'archived bytes');
    await putIn(c, 'cold.txt', 'ColdArchive', 'cold bytes');
    await putIn(c, 'deep.txt', 'DeepColdArchive', 'deep bytes');
    await putIn(other, 'elsewhere.txt', 'Archive', 'archived elsewhere');
    await c.putSymlink('link.txt', 'frozen.txt');
  });
  after(async () => {
    await srv?.stop();
  });

  it('GetObject of a frozen Archive object: refused until the switch is on, then read whole, by range and through a symlink', async () => {
    await expectOssError(c.get('frozen.txt'), 'InvalidObjectState', 403);
    await directRead(c, BUCKET, true);
    const got = await c.get('frozen.txt');
    assert.equal(got.content.toString(), 'archived bytes');
    const ranged = await c.get('frozen.txt', { headers: { Range: 'bytes=0-7' } } as OSS.GetObjectOptions);
    assert.equal(ranged.res.status, 206);
    assert.equal(ranged.content.toString(), 'archived');
    assert.equal((await c.get('link.txt')).content.toString(), 'archived bytes');
    // HEAD describes the object as it is: still Archive, not restored (no x-oss-restore), nothing added.
    const head = (await c.head('frozen.txt')).res.headers as Record<string, string>;
    assert.equal(head['x-oss-storage-class'], 'Archive');
    assert.equal(head['x-oss-restore'], undefined);
    assert.equal((got.res.headers as Record<string, string>)['x-oss-restore'], undefined);
    // Archive only: ColdArchive and DeepColdArchive still need a restore.
    await expectOssError(c.get('cold.txt'), 'InvalidObjectState', 403);
    await expectOssError(c.get('deep.txt'), 'InvalidObjectState', 403);
  });

  it('CopyObject and UploadPartCopy read the source in real time when the source bucket does', async () => {
    await directRead(c, BUCKET, true);
    await c.copy('copy.txt', 'frozen.txt', { headers: { 'x-oss-storage-class': 'Standard' } } as OSS.CopyObjectOptions);
    assert.equal((await c.get('copy.txt')).content.toString(), 'archived bytes');
    // Into a bucket without the switch: the source's bucket decides.
    await other.copy('from-direct.txt', `/${BUCKET}/frozen.txt`);
    assert.equal((await other.get('from-direct.txt')).content.toString(), 'archived bytes');
    // Out of a bucket without it, into one with it: refused.
    await expectOssError(c.copy('from-plain.txt', `/${PLAIN}/elsewhere.txt`), 'InvalidObjectState', 403);

    const up = await c.initMultipartUpload('parts.bin');
    const part = await sendVerbatim(c, srv.port, 'PUT', 'parts.bin', {
      subres: { partNumber: '1', uploadId: up.uploadId },
      headers: { 'x-oss-copy-source': `/${BUCKET}/frozen.txt`, 'x-oss-copy-source-range': 'bytes=9-13' },
    });
    assert.equal(part.status, 200, part.body.toString());
    const etag = xmlText(part.body.toString(), 'ETag')!.replace(/&quot;/g, '"');
    await c.completeMultipartUpload('parts.bin', up.uploadId, [{ number: 1, etag }]);
    assert.equal((await c.get('parts.bin')).content.toString(), 'bytes');
  });

  it('image processing and SelectObject read the bytes in real time too', async () => {
    await directRead(c, BUCKET, true);
    await putIn(c, 'photo.png', 'Archive', await sharp({ create: { width: 40, height: 20, channels: 3, background: '#3366CC' } }).png().toBuffer());
    const small = await c.get('photo.png', { process: 'image/resize,w_10' } as OSS.GetObjectOptions);
    const meta = await sharp(small.content as Buffer).metadata();
    assert.deepEqual([meta.width, meta.height], [10, 5]);

    await putIn(c, 'rows.csv', 'Archive', 'a,1\nb,2\n');
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const select = `<SelectRequest><Expression>${b64('select _1 from ossobject where _2 = 2')}</Expression>` +
      '<InputSerialization><CSV><FileHeaderInfo>None</FileHeaderInfo></CSV></InputSerialization>' +
      '<OutputSerialization><CSV/><OutputRawData>true</OutputRawData></OutputSerialization></SelectRequest>';
    const res = await rawObjectRequest(c, 'POST', 'rows.csv', { subres: { 'x-oss-process': 'csv/select' }, content: Buffer.from(select), mime: 'application/xml', successStatuses: [200, 206] });
    assert.equal((res.data as Buffer).toString(), 'b\n');
  });

  it('switched off, frozen Archive objects are refused again; a restored one stays readable either way', async () => {
    await directRead(c, BUCKET, true);
    assert.equal((await c.get('frozen.txt')).content.toString(), 'archived bytes');
    await directRead(c, BUCKET, false);
    const got = await bucketXml(c, 'GET', BUCKET, 'bucketArchiveDirectRead');
    assert.equal((got.data as { Enabled?: string }).Enabled, 'false');
    await expectOssError(c.get('frozen.txt'), 'InvalidObjectState', 403);
    await expectOssError(c.get('link.txt'), 'InvalidObjectState', 403);
    await putIn(c, 'restored.txt', 'Archive', 'restored bytes');
    await (c as unknown as { restore(k: string): Promise<unknown> }).restore('restored.txt');
    assert.equal((await c.get('restored.txt')).content.toString(), 'restored bytes');
    await directRead(c, BUCKET, true);
    assert.equal((await c.get('restored.txt')).content.toString(), 'restored bytes');
    await directRead(c, BUCKET, false);
  });

  it('a static website never serves its index or error document from a frozen Archive object; other pages are read in real time', async () => {
    const site = 'direct-site';
    const s = srv.client({ bucket: site });
    await srv.client().putBucket(site);
    await s.putBucketACL(site, 'public-read');
    await putIn(s, 'index.html', 'Archive', 'archived index');
    await putIn(s, 'page.html', 'Archive', 'archived page');
    await putIn(s, 'error.html', 'Archive', 'archived error page');
    await s.putBucketWebsite(site, { index: 'index.html', error: 'error.html' } as never);
    await directRead(s, site, true);
    assert.deepEqual(await anonymousGet(srv.port, `/${site}/page.html`), { status: 200, body: 'archived page' });
    const root = await anonymousGet(srv.port, `/${site}/`);
    assert.equal(root.status, 403);
    assert.equal(xmlText(root.body, 'Code'), 'InvalidObjectState');
    // The error document cannot be read either: the missing key's own 404 stands.
    const missing = await anonymousGet(srv.port, `/${site}/nope.html`);
    assert.equal(missing.status, 404);
    assert.equal(xmlText(missing.body, 'Code'), 'NoSuchKey');
  });

  it('authorization comes first: a caller not allowed to read gets AccessDenied, not the object\'s state', async () => {
    await directRead(c, BUCKET, true);
    const ram = new Ram(srv);
    const lister = await ram.userWith('direct-lister', policyDoc({ Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}`] }));
    await expectOssError(lister.oss(BUCKET).get('frozen.txt'), 'AccessDenied', 403);
    await expectOssError(lister.oss(BUCKET).get('cold.txt'), 'AccessDenied', 403);
    const reader = await ram.userWith('direct-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }));
    assert.equal((await reader.oss(BUCKET).get('frozen.txt')).content.toString(), 'archived bytes');
    // Turning the switch is the owner's (or a policy's) to do: a reader may not.
    await expectOssError(directRead(reader.oss(BUCKET), BUCKET, false), 'AccessDenied', 403);
  });
});
