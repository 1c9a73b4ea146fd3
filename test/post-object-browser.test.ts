// PostObject from a real browser: headless Chromium submits a classic HTML form
// (<form method=post enctype=multipart/form-data>) served by a tiny page server to Alunite, which
// answers 303 to success_action_redirect back on the page server; the object is then read with ali-oss.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';
import { launchBrowser, screenshotPath } from './helpers/browser.js';
import { md5Hex } from './helpers/oss.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'browser-post';

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

describe('PostObject from headless Chromium (classic HTML form)', () => {
  let srv: TestServer;
  let pages: Server;
  let pageOrigin = '';
  let browser: Browser;
  const redirects: URL[] = [];

  /** The upload page: hidden policy fields, then the file input last (as OSS requires). */
  function formPage(): string {
    const policy = Buffer.from(JSON.stringify({
      expiration: new Date(Date.now() + 3600_000).toISOString(),
      conditions: [{ bucket: BUCKET }, ['starts-with', '$key', 'browser/'], ['content-length-range', 1, 1024 * 1024], ['starts-with', '$success_action_redirect', pageOrigin]],
    })).toString('base64');
    const hidden: Array<[string, string]> = [
      ['key', 'browser/${filename}'],
      ['OSSAccessKeyId', AK],
      ['policy', policy],
      ['Signature', signPostPolicyV1(SECRET, policy)],
      ['success_action_redirect', `${pageOrigin}/done`],
      ['x-oss-meta-from', 'chromium'],
    ];
    return `<!doctype html><html><head><meta charset="utf-8"><title>Upload</title></head><body>
<h1>Upload to ${BUCKET}</h1>
<form id="upload" method="post" action="${srv.url}/${BUCKET}/" enctype="multipart/form-data">
${hidden.map(([n, v]) => `<input type="hidden" name="${n}" value="${escapeHtml(v)}">`).join('\n')}
<input type="file" name="file" id="file">
<button type="submit" id="send">Upload</button>
</form></body></html>`;
  }

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
    pages = createServer((req, res) => {
      const url = new URL(req.url ?? '/', pageOrigin);
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (url.pathname === '/done') {
        redirects.push(url);
        res.end(`<!doctype html><html><body><h1>Uploaded</h1><p id="key">${escapeHtml(url.searchParams.get('key') ?? '')}</p><p id="etag">${escapeHtml(url.searchParams.get('etag') ?? '')}</p></body></html>`);
        return;
      }
      res.end(formPage());
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const address = pages.address();
    assert.ok(address !== null && typeof address === 'object');
    pageOrigin = `http://127.0.0.1:${address.port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => pages.close(() => resolve()));
    await srv.stop();
  });

  it('the form posts the file, Alunite redirects (303) back to the page server, the object is readable', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${pageOrigin}/`);
      const content = Buffer.from('uploaded from a real browser form\n');
      await page.setInputFiles('#file', { name: 'hello browser.txt', mimeType: 'text/plain', buffer: content });
      await page.screenshot({ path: await screenshotPath('postobject', '1-form') });
      await Promise.all([page.waitForURL(`${pageOrigin}/done?**`), page.click('#send')]);
      await page.screenshot({ path: await screenshotPath('postobject', '2-redirected') });

      assert.equal(redirects.length, 1);
      const done = redirects[0]!;
      assert.equal(done.searchParams.get('bucket'), BUCKET);
      assert.equal(done.searchParams.get('key'), 'browser/hello browser.txt');
      assert.equal(done.searchParams.get('etag'), `"${md5Hex(content)}"`);
      assert.equal(await page.textContent('#key'), 'browser/hello browser.txt');

      const got = await srv.client({ bucket: BUCKET }).get('browser/hello browser.txt');
      assert.equal(got.content.toString(), content.toString());
      assert.equal((got.res.headers as Record<string, string>)['content-type'], 'text/plain');
      assert.equal((got.res.headers as Record<string, string>)['x-oss-meta-from'], 'chromium');
    } finally {
      await page.close();
    }
  });
});
