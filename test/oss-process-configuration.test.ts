// PutProcessConfiguration acting on image reads (docs/image-processing.md#access-settings): style delimiters
// (`<key>!<style>`) and source image protection, through ali-oss (signed) and plain fetch (anonymous) against a real
// server. Runs on SQLite and, with ALUNITE_TEST_META=postgres, on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import sharp from 'sharp';
import { rawBucketRequest, xmlText } from './helpers/oss.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'proc-conf';

const conf = (protect: boolean, suffix: string, delimiters: string): string =>
  `<BucketProcessConfiguration><CompliedHost>Both</CompliedHost><SourceFileProtect>${protect ? 'Enabled' : 'Disabled'}</SourceFileProtect>` +
  `<SourceFileProtectSuffix>${suffix}</SourceFileProtectSuffix><StyleDelimiters>${delimiters}</StyleDelimiters></BucketProcessConfiguration>`;

describe('PutProcessConfiguration: style delimiters and source image protection', () => {
  let srv: TestServer;
  let c: OSS;
  /** An anonymous GET of a key (path style), its query as given. */
  const anon = (key: string, query = ''): Promise<Response> => fetch(`${srv.url}/${BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}${query}`);
  const width = async (res: Response): Promise<number> => (await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width ?? 0;
  const putConf = (body: string): Promise<unknown> => rawBucketRequest(c, 'PUT', BUCKET, 'processConfiguration', body);

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET, { acl: 'public-read' } as OSS.PutBucketOptions);
    await srv.client().putBucket(`${BUCKET}-private`);
    c = srv.client({ bucket: BUCKET });
    const jpeg = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#3366CC' } }).jpeg().toBuffer();
    await c.put('photo.jpg', jpeg);
    await c.put('notes.txt', Buffer.from('plain text'));
    await c.put('raw!nostyle', Buffer.from('a key with a delimiter'));
    await rawBucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'thumb' }, '<Style><Content>image/resize,w_50</Content></Style>');
    const priv = srv.client({ bucket: `${BUCKET}-private` });
    await priv.put('pub.jpg', jpeg);
    await priv.putACL('pub.jpg', 'public-read');
    await rawBucketRequest(priv, 'PUT', `${BUCKET}-private`, { style: '', styleName: 'thumb' }, '<Style><Content>image/resize,w_50</Content></Style>');
    await rawBucketRequest(priv, 'PUT', `${BUCKET}-private`, 'processConfiguration', conf(false, '', '!'));
  });
  after(async () => {
    await srv.stop();
  });

  test('without a configuration a delimiter is part of the key, and nothing is protected', async () => {
    assert.equal((await anon('photo.jpg!thumb')).status, 404);
    const plain = await anon('photo.jpg');
    assert.equal(plain.status, 200);
    assert.equal(await width(plain), 200);
  });

  test('a style after a configured delimiter is that style\'s processing of the key before it', async () => {
    await putConf(conf(false, '', '!,-'));
    for (const key of ['photo.jpg!thumb', 'photo.jpg-thumb']) {
      const res = await anon(key);
      assert.equal(res.status, 200, key);
      assert.equal(res.headers.get('content-type'), 'image/jpeg');
      assert.equal(await width(res), 50, key);
    }
    // Signed (ali-oss), the same.
    const signed = await c.get('photo.jpg!thumb');
    assert.equal((await sharp(signed.content as Buffer).metadata()).width, 50);
    // A delimiter not configured, a name that is no style: the key as it is.
    assert.equal((await anon('photo.jpg_thumb')).status, 404);
    assert.equal(await (await anon('raw!nostyle')).text(), 'a key with a delimiter');
    // Authorized as a read of the key before the delimiter: its public-read ACL in a private bucket.
    const viaAcl = await fetch(`${srv.url}/${BUCKET}-private/pub.jpg!thumb`);
    assert.equal(viaAcl.status, 200);
    assert.equal(await width(viaAcl), 50);
  });

  test('an object whose own name is `<key>!<style>` is read as it is; the style is for names no object has', async () => {
    await putConf(conf(false, '', '!'));
    // Uploaded under its literal name by a signed PUT (writes are never rewritten).
    await c.put('photo.jpg!thumb', Buffer.from('literal object'), { mime: 'text/plain' });
    const literal = await anon('photo.jpg!thumb');
    assert.equal(literal.status, 200);
    assert.equal(await literal.text(), 'literal object');
    assert.equal((await c.get('photo.jpg!thumb')).content.toString(), 'literal object');
    // Another name with the style is still its processing; removing the literal object gives the style back.
    await c.copy('other.jpg', 'photo.jpg');
    assert.equal(await width(await anon('other.jpg!thumb')), 50);
    await c.delete('photo.jpg!thumb');
    assert.equal(await width(await anon('photo.jpg!thumb')), 50);
  });

  test('on a bucket hosting a website, an anonymous `<key>!<style>` is the style too, and protection holds', async () => {
    const site = `${BUCKET}-site`;
    await srv.client().putBucket(site, { acl: 'public-read' } as OSS.PutBucketOptions);
    const sc = srv.client({ bucket: site });
    await sc.putBucketWebsite(site, { index: 'index.html' });
    await sc.put('index.html', Buffer.from('<p>home</p>'));
    await sc.put('photo.jpg', (await c.get('photo.jpg')).content as Buffer);
    await rawBucketRequest(sc, 'PUT', site, { style: '', styleName: 'thumb' }, '<Style><Content>image/resize,w_50</Content></Style>');
    await rawBucketRequest(sc, 'PUT', site, 'processConfiguration', conf(true, 'jpg', '!'));
    const styled = await fetch(`${srv.url}/${site}/photo.jpg!thumb`);
    assert.equal(styled.status, 200);
    assert.equal(await width(styled), 50);
    assert.equal((await fetch(`${srv.url}/${site}/photo.jpg`)).status, 403);
    assert.equal(await (await fetch(`${srv.url}/${site}/`)).text(), '<p>home</p>');
  });

  test('on a website bucket, a missing `<key>!<style>` is the error document (404), served unprocessed', async () => {
    const site = `${BUCKET}-site404`;
    await srv.client().putBucket(site, { acl: 'public-read' } as OSS.PutBucketOptions);
    const sc = srv.client({ bucket: site });
    await sc.putBucketWebsite(site, { index: 'index.html', error: 'error.html' });
    await sc.put('error.html', Buffer.from('<p>not here</p>'), { mime: 'text/html' });
    await rawBucketRequest(sc, 'PUT', site, { style: '', styleName: 'thumb' }, '<Style><Content>image/resize,w_50</Content></Style>');
    await rawBucketRequest(sc, 'PUT', site, 'processConfiguration', conf(false, '', '!'));
    // The style is the missing key's, not the error document's: it was applied to error.html (not an image), and the
    // bare NoSuchKey answered instead of the page.
    const missing = await fetch(`${srv.url}/${site}/missing.jpg!thumb`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), '<p>not here</p>');
    assert.equal((await fetch(`${srv.url}/${site}/missing.jpg`)).status, 404);
  });

  test('source image protection: anonymous callers get protected images only through a style', async () => {
    await putConf(conf(true, 'jpg,png', '!'));
    const plain = await anon('photo.jpg');
    assert.equal(plain.status, 403);
    assert.equal(xmlText(await plain.text(), 'Code'), 'AccessDenied');
    const processed = await anon('photo.jpg', '?x-oss-process=image/resize,w_10');
    assert.equal(processed.status, 403);
    const body = await processed.text();
    assert.equal(xmlText(body, 'Code'), 'AccessDenied');
    assert.equal(xmlText(body, 'EC'), '0040-00000031');
    const styled = await anon('photo.jpg', '?x-oss-process=style/thumb');
    assert.equal(styled.status, 200);
    assert.equal(await width(styled), 50);
    const delimited = await anon('photo.jpg!thumb');
    assert.equal(delimited.status, 200);
    assert.equal(await width(delimited), 50);
    // Another extension is not protected; signed requests never are.
    assert.equal(await (await anon('notes.txt')).text(), 'plain text');
    assert.equal((await sharp((await c.get('photo.jpg')).content as Buffer).metadata()).width, 200);
    assert.equal((await sharp((await c.get('photo.jpg', { process: 'image/resize,w_10' })).content as Buffer).metadata()).width, 10);
    // The bytes of a protected image reached under another name: an unprotected link to it, a watermark image on
    // an unprotected one (cropped back, the original's pixels), a select of it. Each handed out the original before.
    await c.putSymlink('latest', 'photo.jpg');
    assert.equal((await anon('latest')).status, 403);
    assert.equal((await anon('latest', '?x-oss-process=image/resize,w_200')).status, 403);
    assert.equal(await width(await anon('latest', '?x-oss-process=style/thumb')), 50);
    await c.put('canvas.webp', await sharp({ create: { width: 400, height: 400, channels: 3, background: '#000000' } }).webp().toBuffer());
    const mark = Buffer.from('photo.jpg').toString('base64url');
    const composite = await anon('canvas.webp', `?x-oss-process=image/watermark,image_${mark},t_100,g_nw,x_0,y_0/crop,x_0,y_0,w_200,h_100`);
    assert.equal(composite.status, 403);
    assert.equal(xmlText(await composite.text(), 'EC'), '0040-00000031');
    assert.equal((await anon('canvas.webp', '?x-oss-process=image/resize,w_10')).status, 200);
    const select = `<SelectRequest><Expression>${Buffer.from('select * from ossobject').toString('base64')}</Expression><InputSerialization><CSV/></InputSerialization><OutputSerialization><CSV/></OutputSerialization></SelectRequest>`;
    const selected = await fetch(`${srv.url}/${BUCKET}/photo.jpg?x-oss-process=csv/select`, { method: 'POST', body: select });
    assert.equal(selected.status, 403);
    // A public-read-write bucket: an anonymous copy (CopyObject, UploadPartCopy) of a protected image, directly or
    // through a link, is refused as its GET is; a copy of an unprotected object is not.
    const rw = `${BUCKET}-rw`;
    await srv.client().putBucket(rw, { acl: 'public-read-write' } as OSS.PutBucketOptions);
    const rc = srv.client({ bucket: rw });
    await rc.put('photo.jpg', (await c.get('photo.jpg')).content as Buffer);
    await rc.put('notes.txt', Buffer.from('plain text'));
    await rc.putSymlink('latest', 'photo.jpg');
    await rawBucketRequest(rc, 'PUT', rw, 'processConfiguration', conf(true, 'jpg', ''));
    const copy = (to: string, from: string, query = ''): Promise<Response> =>
      fetch(`${srv.url}/${rw}/${to}${query}`, { method: 'PUT', headers: { 'x-oss-copy-source': `/${rw}/${from}` } });
    assert.equal((await copy('copy.bin', 'photo.jpg')).status, 403);
    assert.equal((await copy('copy.bin', 'latest')).status, 403);
    assert.equal((await copy('copy.txt', 'notes.txt')).status, 200);
    const { uploadId } = await rc.initMultipartUpload('part.bin');
    assert.equal((await copy('part.bin', 'photo.jpg', `?partNumber=1&uploadId=${uploadId}`)).status, 403);
    assert.equal((await copy('part.bin', 'notes.txt', `?partNumber=1&uploadId=${uploadId}`)).status, 200);
    await rc.copy('signed-copy.jpg', 'photo.jpg');
    // Signed, all of them as before.
    assert.equal((await sharp((await c.get('latest')).content as Buffer).metadata()).width, 200);
    assert.equal((await c.get('canvas.webp', { process: `image/watermark,image_${mark},t_100,g_nw,x_0,y_0` })).res.status, 200);
    // `*` protects every key; turning protection off ends it at the next request.
    await putConf(conf(true, '*', ''));
    assert.equal((await anon('notes.txt')).status, 403);
    await putConf(conf(false, 'jpg', ''));
    assert.equal((await anon('photo.jpg')).status, 200);
    assert.equal((await anon('notes.txt')).status, 200);
  });

  test('source image protection: an anonymous HEAD or GetObjectMeta of a protected image is refused as its GET is', async () => {
    await putConf(conf(true, 'jpg', '!'));
    await c.putSymlink('head-link', 'photo.jpg');
    const head = (key: string, query = ''): Promise<Response> => fetch(`${srv.url}/${BUCKET}/${key}${query}`, { method: 'HEAD' });
    for (const [key, query] of [['photo.jpg', ''], ['photo.jpg', '?objectMeta'], ['head-link', ''], ['head-link', '?objectMeta']] as const) {
      assert.equal((await head(key, query)).status, 403, `HEAD ${key}${query}`);
    }
    // oss2 and the Java SDK send GetObjectMeta as GET ?objectMeta.
    const viaGet = await anon('photo.jpg', '?objectMeta');
    assert.equal(viaGet.status, 403);
    assert.equal(xmlText(await viaGet.text(), 'Code'), 'AccessDenied');
    // What is not protected, and signed callers, as before.
    assert.equal((await head('notes.txt')).status, 200);
    assert.equal((await c.head('photo.jpg')).status, 200);
    assert.equal((await (c as unknown as { getObjectMeta(key: string): Promise<{ status: number }> }).getObjectMeta('photo.jpg')).status, 200);
    await putConf(conf(false, 'jpg', ''));
    assert.equal((await head('photo.jpg')).status, 200);
  });
});
