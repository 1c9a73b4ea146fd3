// Bucket CORS in a real browser: headless Chromium loads a page from a tiny HTTP server on another origin,
// and the page fetch()es presigned PUT and GET URLs (ali-oss signatureUrl, made in this process) on
// Alunite. Allowed: both succeed and the page reads the exposed ETag. Not allowed: fetch() rejects
// (CORS-blocked TypeError) and the PUT never reaches the bucket. Then ali-oss's browser build itself
// (put, multipartUpload, get) from the page, with and without ExposeHeader ETag.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from './helpers/browser.js';
import { expectOssError } from './helpers/oss.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

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

// ali-oss's own browser build, loaded by the page from the page's origin, talking to Alunite with the
// account key (in a real app: STS credentials from a token vending service).
const SDK_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>ali-oss browser build</title>
<script src="/aliyun-oss-sdk.min.js"></script></head><body><h1>ali-oss browser build</h1><pre id="out">waiting</pre></body></html>`;
const SDK_FILE = new URL('../../node_modules/ali-oss/dist/aliyun-oss-sdk.min.js', import.meta.url);

interface SdkResult {
  put?: { status: number; etag: string | undefined };
  multipart?: { status: number; name: string; etag: string | undefined };
  get?: { size: number; first: number; last: number };
  error?: { name: string; message: string; code?: string };
}

describe('ali-oss browser build against Alunite in headless Chromium', () => {
  let srv: TestServer;
  let web: Server;
  let pageOrigin: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    srv = await startTestServer();
    const sdk = await readFile(SDK_FILE);
    web = createServer((req, res) => {
      if (req.url === '/aliyun-oss-sdk.min.js') {
        res.writeHead(200, { 'Content-Type': 'text/javascript' });
        res.end(sdk);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(SDK_PAGE);
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

  /** put + multipartUpload (3 parts of 100 KiB) + get from the page, with ali-oss's browser build. */
  function runSdk(bucket: string): Promise<SdkResult> {
    return page.evaluate(
      async ({ endpoint, bucket, accessKeyId, accessKeySecret }) => {
        const out: SdkResult = {};
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the browser build's global
        const OSSCtor = (window as any).OSS;
        const client = new OSSCtor({ region: 'oss-cn-hangzhou', endpoint, bucket, accessKeyId, accessKeySecret, secure: false });
        try {
          const put = await client.put('sdk/small.txt', new Blob(['small from the browser SDK']));
          out.put = { status: put.res.status, etag: put.res.headers.etag };
          const bytes = new Uint8Array(250 * 1024).map((_, i) => i % 251);
          const file = new File([bytes], 'big.bin');
          const mp = await client.multipartUpload('sdk/big.bin', file, { partSize: 100 * 1024, parallel: 2 });
          out.multipart = { status: mp.res.status, name: mp.name, etag: mp.etag };
          const got = await client.get('sdk/big.bin');
          const content = got.content as Uint8Array;
          out.get = { size: content.length, first: content[1]!, last: content[content.length - 1]! };
        } catch (e) {
          const err = e as { name: string; message: string; code?: string };
          out.error = { name: err.name, message: err.message, code: err.code };
        }
        document.getElementById('out')!.textContent = JSON.stringify(out, null, 2);
        return out;
      },
      { endpoint: `http://localhost:${srv.port}`, bucket, accessKeyId: AK, accessKeySecret: SECRET },
    );
  }

  const rule = (expose: string[]) =>
    [{ allowedOrigin: pageOrigin, allowedMethod: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'], allowedHeader: '*', exposeHeader: expose }] as unknown as OSS.CORSRule[];

  it('with ExposeHeader ETag and x-oss-request-id: put, multipartUpload and get work', async () => {
    await srv.client().putBucket('sdk-allowed');
    await srv.client().putBucketCORS('sdk-allowed', rule(['ETag', 'x-oss-request-id']));
    const r = await runSdk('sdk-allowed');
    await page.screenshot({ path: await screenshotPath('cors', 'sdk-allowed') });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.put?.status, 200);
    assert.match(r.put?.etag ?? '', /^"[0-9A-F]{32}"$/);
    assert.equal(r.multipart?.status, 200);
    assert.match(r.multipart?.etag ?? '', /^"[0-9A-F]{32}-3"$/);
    assert.deepEqual(r.get, { size: 250 * 1024, first: 1, last: (250 * 1024 - 1) % 251 });
    const head = await srv.client({ bucket: 'sdk-allowed' }).head('sdk/big.bin');
    assert.equal((head.res.headers as Record<string, string>)['content-length'], String(250 * 1024));
  });

  it('without ExposeHeader ETag: multipartUpload fails with ali-oss\'s expose-headers error', async () => {
    await srv.client().putBucket('sdk-noetag');
    await srv.client().putBucketCORS('sdk-noetag', rule(['x-oss-request-id']));
    const r = await runSdk('sdk-noetag');
    assert.equal(r.put?.status, 200);
    assert.equal(r.put?.etag, undefined);
    assert.match(r.error?.message ?? '', /Please set the etag of expose-headers in OSS/);
  });
});
