// Objects a browser would run as pages (HTML, XHTML, SVG, by type or key extension) are served as downloads:
// the web console shares this origin. As OSS does on its default domains: `Content-Disposition: attachment`
// and `x-oss-force-download: true`, which neither the stored disposition nor response-content-disposition
// (or a response-content-type of text/html) can undo. Every object answer carries `X-Content-Type-Options: nosniff`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'pages';
let server: TestServer;

before(async () => {
  server = await startTestServer();
  const client = server.client({ bucket: BUCKET });
  await client.putBucket(BUCKET);
  const put = (key: string, type: string, extra: Record<string, string> = {}): Promise<unknown> =>
    client.put(key, Buffer.from(`<html><script>alert(document.cookie)</script>${key}</html>`), {
      headers: { 'Content-Type': type, 'x-oss-object-acl': 'public-read', ...extra },
    });
  await put('page', 'text/html; charset=utf-8');
  await put('dir/index.html', 'text/plain');
  await put('UPPER.HTM', 'application/octet-stream');
  await put('inline-page', 'text/html', { 'Content-Disposition': 'inline' });
  await put('named', 'text/html', { 'Content-Disposition': 'attachment; filename="named.html"' });
  await put('doc.xhtml', 'application/xhtml+xml');
  await put('pic', 'image/svg+xml');
  await put('notes.txt', 'text/plain');
  // XML documents run script too (an XHTML-namespace <script>, or an XSLT sheet producing HTML), as does a
  // multipart/x-mixed-replace stream of HTML parts; a comma list is read by browsers as its last type.
  await put('feed', 'text/xml');
  await put('data', 'Application/XML; charset=utf-8');
  await put('rss', 'application/rss+xml');
  await put('sheet', 'text/xsl');
  await put('listed', 'text/plain, text/html');
  await put('stream', 'multipart/x-mixed-replace; boundary=x');
  await client.putSymlink('link', 'page', { headers: { 'x-oss-object-acl': 'public-read' } } as never);
});
after(() => server.stop());

const get = (key: string, method = 'GET'): ReturnType<typeof rawRequest> =>
  rawRequest(server.port, { method, path: `/${BUCKET}/${key}`, headers: { Host: `127.0.0.1:${server.port}` } });

describe('active content is served as a download', () => {
  for (const [key, why] of [
    ['page', 'text/html with parameters'],
    ['dir/index.html', '.html key whatever the type'],
    ['UPPER.HTM', 'extension in upper case'],
    ['inline-page', 'stored Content-Disposition: inline'],
    ['doc.xhtml', 'application/xhtml+xml'],
    ['pic', 'image/svg+xml'],
    ['link', 'a symlink to an HTML object'],
    ['feed', 'text/xml'],
    ['data', 'application/xml with mixed case and parameters'],
    ['rss', 'any +xml type'],
    ['sheet', 'text/xsl'],
    ['listed', 'a comma list ending in text/html'],
    ['stream', 'multipart/x-mixed-replace'],
  ] as const) {
    it(`${key}: ${why}`, async () => {
      for (const method of ['GET', 'HEAD']) {
        const r = await get(key, method);
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-disposition'], 'attachment', method);
        assert.equal(r.headers['x-oss-force-download'], 'true');
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
      }
      assert.match((await get(key)).body.toString(), /<html>/, 'the bytes are unchanged');
    });
  }

  it('keeps a stored attachment disposition with its file name', async () => {
    const r = await get('named');
    assert.equal(r.headers['content-disposition'], 'attachment; filename="named.html"');
    assert.equal(r.headers['x-oss-force-download'], 'true');
  });

  it('leaves other content inline, with nosniff', async () => {
    const r = await get('notes.txt');
    assert.equal(r.headers['content-disposition'], undefined);
    assert.equal(r.headers['x-oss-force-download'], undefined);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
  });

  it('response-content-disposition and response-content-type cannot undo it (presigned GET)', async () => {
    const client = server.pathClient({ bucket: BUCKET });
    const cases: Array<[string, Record<string, string>]> = [
      ['page', { 'content-disposition': 'inline' }],
      ['notes.txt', { 'content-type': 'text/html' }],
      ['notes.txt', { 'content-type': 'image/svg+xml', 'content-disposition': 'inline; filename="x.svg"' }],
      ['notes.txt', { 'content-type': 'text/plain,text/html' }],
      ['notes.txt', { 'content-type': 'application/xml' }],
    ];
    for (const [key, response] of cases) {
      const url = client.signatureUrl(key, { expires: 600, response });
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-disposition'), 'attachment', `${key} ${JSON.stringify(response)}`);
      assert.equal(res.headers.get('x-oss-force-download'), 'true');
      await res.arrayBuffer();
    }
    // An override that is not active content still applies.
    const res = await fetch(client.signatureUrl('notes.txt', { expires: 600, response: { 'content-disposition': 'inline; filename="n.txt"' } }));
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="n.txt"');
    await res.arrayBuffer();
  });
});
