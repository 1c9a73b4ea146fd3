// Bucket CORS in a real browser: headless Chromium loads a page from a tiny HTTP server on another origin,
// and the page fetch()es presigned PUT and GET URLs (ali-oss signatureUrl, made in this process) on
// Alunite. Allowed: both succeed and the page reads the exposed ETag. Not allowed: fetch() rejects
// (CORS-blocked TypeError) and the PUT never reaches the bucket.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from './helpers/browser.js';
import { expectOssError } from './helpers/oss.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>CORS test page</title></head>
<body><h1>Alunite CORS test page</h1><pre id="out">waiting</pre></body></html>`;

interface PageResult {
  put: { ok: boolean; status?: number; etag?: string | null; error?: string };
  get: { ok: boolean; status?: number; etag?: string | null; text?: string; requestId?: string | null; error?: string };
}

/** Runs in the page: PUT then GET through fetch(), reporting what a script can see. */
async function putThenGet(page: Page, putUrl: string, getUrl: string, content: string): Promise<PageResult> {
  return page.evaluate(
    async ({ putUrl, getUrl, content }) => {
      const out: PageResult = { put: { ok: false }, get: { ok: false } };
      try {
        // A byte body: fetch adds no Content-Type, so the presigned signature (none signed) still holds.
        const r = await fetch(putUrl, { method: 'PUT', body: new TextEncoder().encode(content) });
        out.put = { ok: true, status: r.status, etag: r.headers.get('etag') };
      } catch (e) {
        out.put = { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
      }
      try {
        const r = await fetch(getUrl);
        out.get = { ok: true, status: r.status, etag: r.headers.get('etag'), text: await r.text(), requestId: r.headers.get('x-oss-request-id') };
      } catch (e) {
        out.get = { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
      }
      document.getElementById('out')!.textContent = JSON.stringify(out, null, 2);
      return out;
    },
    { putUrl, getUrl, content },
  );
}

describe('bucket CORS in headless Chromium', () => {
  let srv: TestServer;
  let web: Server;
  let pageOrigin: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    srv = await startTestServer();
    web = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(`${pageOrigin}/`);
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => web.close(() => resolve()));
    await srv.stop();
  });

  /** Presigned URLs on the path-style endpoint (http://localhost:<port>, another origin than the page). */
  function urls(bucket: string, key: string): { putUrl: string; getUrl: string; client: OSS } {
    const client = srv.pathClient({ bucket });
    return {
      client,
      putUrl: client.signatureUrl(key, { method: 'PUT', expires: 600 }),
      getUrl: client.signatureUrl(key, { method: 'GET', expires: 600 }),
    };
  }

  it('allowed origin: presigned PUT and GET succeed and the page reads ETag and x-oss-request-id', async () => {
    await srv.client().putBucket('browser-allowed');
    await srv.client().putBucketCORS('browser-allowed', [
      { allowedOrigin: pageOrigin, allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: '60' },
    ] as unknown as OSS.CORSRule[]);
    const { putUrl, getUrl, client } = urls('browser-allowed', 'from-page.txt');
    assert.ok(new URL(putUrl).origin !== pageOrigin, 'the bucket is on another origin than the page');
    const result = await putThenGet(page, putUrl, getUrl, 'written by a browser page');
    await page.screenshot({ path: await screenshotPath('cors', 'allowed') });
    assert.equal(result.put.ok, true, result.put.error);
    assert.equal(result.put.status, 200);
    assert.match(result.put.etag ?? '', /^"[0-9A-F]{32}"$/);
    assert.equal(result.get.ok, true, result.get.error);
    assert.equal(result.get.status, 200);
    assert.equal(result.get.text, 'written by a browser page');
    assert.equal(result.get.etag, result.put.etag);
    assert.match(result.get.requestId ?? '', /^[0-9A-F]{24}$/);
    // The bytes really are in the bucket.
    const stored = await client.get('from-page.txt');
    assert.equal(String(stored.content), 'written by a browser page');
  });

  it('an exposed-header gap: without ExposeHeader the page cannot read ETag', async () => {
    await srv.client().putBucket('browser-noexpose');
    await srv.client().putBucketCORS('browser-noexpose', [{ allowedOrigin: '*', allowedMethod: ['GET', 'PUT'] }] as unknown as OSS.CORSRule[]);
    const { putUrl, getUrl } = urls('browser-noexpose', 'k.txt');
    const result = await putThenGet(page, putUrl, getUrl, 'x');
    assert.equal(result.put.status, 200, result.put.error);
    assert.equal(result.put.etag, null);
    assert.equal(result.get.text, 'x');
    assert.equal(result.get.etag, null);
  });

  it('origin not allowed: fetch() fails with a CORS TypeError and nothing is written', async () => {
    await srv.client().putBucket('browser-denied');
    await srv.client().putBucketCORS('browser-denied', [
      { allowedOrigin: 'http://somewhere-else.example', allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: 'ETag' },
    ] as unknown as OSS.CORSRule[]);
    const { putUrl, getUrl, client } = urls('browser-denied', 'blocked.txt');
    const result = await putThenGet(page, putUrl, getUrl, 'should never arrive');
    await page.screenshot({ path: await screenshotPath('cors', 'denied') });
    assert.equal(result.put.ok, false);
    assert.match(result.put.error ?? '', /^TypeError/);
    assert.equal(result.get.ok, false);
    assert.match(result.get.error ?? '', /^TypeError/);
    // The preflight was refused, so the PUT itself was never sent.
    await expectOssError(client.head('blocked.txt'), 'NoSuchKey', 404);
  });

  it('no CORS configuration: fetch() fails as well', async () => {
    await srv.client().putBucket('browser-nocors');
    const { putUrl, getUrl, client } = urls('browser-nocors', 'blocked.txt');
    const result = await putThenGet(page, putUrl, getUrl, 'nope');
    assert.match(result.put.error ?? '', /^TypeError/);
    assert.match(result.get.error ?? '', /^TypeError/);
    await expectOssError(client.head('blocked.txt'), 'NoSuchKey', 404);
  });
});
