// The vend demo page in headless Chromium: served by the vending service (another origin than Alunite, so
// the bucket has CORS for it), strict CSP without violations, log-in, upload with a progress bar through
// ali-oss's browser build with credentials from /sts/token, listing, download with equal bytes, and another
// user's file refused by the server with AccessDenied.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from './helpers/browser.js';
import { appWorld, AUTHORIZER, BUCKET, configDoc, startVendFor, usersFile, type AppWorld, type Vend } from './helpers/vend.js';

describe('vend demo page in headless Chromium', () => {
  let world: AppWorld;
  let vend: Vend;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const data = randomBytes(350 * 1024 + 17);

  before(async () => {
    world = await appWorld();
    await usersFile(world.dir, { usr001: undefined, usr002: undefined });
    vend = await startVendFor(world, configDoc(world, { mode: 'users', usersFile: 'users.json' }));
    assert.notEqual(new URL(vend.url).origin, new URL(world.srv.url).origin);
    await world.srv.client().putBucketCORS(BUCKET, [
      {
        allowedOrigin: new URL(vend.url).origin,
        allowedMethod: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'],
        allowedHeader: '*',
        exposeHeader: ['ETag', 'x-oss-request-id'],
        maxAgeSeconds: '60',
      },
    ] as unknown as OSS.CORSRule[]);
    await world.srv.client({ bucket: BUCKET }).put('usr002/secret.txt', Buffer.from('usr002 secret'));
    browser = await launchBrowser();
    const context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  });
  after(async () => {
    await browser?.close();
    await vend?.close();
    await world.stop();
  });

  it('serves the page with a strict Content-Security-Policy and no inline script', async () => {
    const res = await fetch(`${vend.url}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
    assert.ok(csp.includes(`connect-src 'self' ${new URL(world.srv.url).origin}`), csp);
    const html = await res.text();
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), 'no inline <script>');
    assert.ok(!/\son[a-z]+=/.test(html), 'no inline event handlers');
    assert.ok(!/style=/.test(html), 'no inline styles');
    const sdk = await fetch(`${vend.url}/demo/aliyun-oss-sdk.min.js`);
    assert.equal(sdk.status, 200);
    assert.equal((await sdk.arrayBuffer()).byteLength, (await readFile(new URL('../../node_modules/ali-oss/dist/aliyun-oss-sdk.min.js', import.meta.url))).length);
  });

  it('wrong password shows the service error; then log-in, upload with progress, list, download (bytes equal)', async () => {
    await page.goto(vend.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#username', 'usr001');
    await page.fill('#password', 'wrong');
    await page.click('#login-button');
    await page.waitForFunction(() => document.getElementById('login-error')!.textContent !== '');
    assert.match((await page.textContent('#login-error')) ?? '', /^InvalidCredentials: /);
    await page.fill('#password', 'pw-usr001');
    await page.screenshot({ path: await screenshotPath('demo', 'login') });
    await page.click('#login-button');
    await page.waitForSelector('#app-section:not([hidden])');
    assert.equal(await page.textContent('#who'), 'usr001');

    // Record every value the progress bar takes.
    await page.evaluate(() => {
      const bar = document.getElementById('progress') as HTMLProgressElement;
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver(() => seen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
    });
    await page.setInputFiles('#file', { name: 'photo.bin', mimeType: 'application/octet-stream', buffer: data });
    await page.click('#upload-button');
    await page.waitForFunction(() => /^Uploaded /.test(document.getElementById('upload-status')!.textContent ?? ''), undefined, { timeout: 60_000 });
    assert.equal(await page.textContent('#upload-status'), 'Uploaded usr001/photo.bin (350.0 KiB)');
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    assert.ok(seen.some((v) => v > 0 && v < 1), `intermediate progress values: ${JSON.stringify(seen)}`);
    assert.equal(seen[seen.length - 1], 1);
    const stored = await world.srv.client({ bucket: BUCKET }).get('usr001/photo.bin');
    assert.ok(Buffer.compare(stored.content as Buffer, data) === 0, 'the bucket holds the uploaded bytes');

    await page.waitForSelector('button.download[data-key="usr001/photo.bin"]');
    assert.match((await page.textContent('#list-status')) ?? '', /^1 file\(s\)\.$/);
    await page.screenshot({ path: await screenshotPath('demo', 'uploaded') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button.download[data-key="usr001/photo.bin"]')]);
    assert.equal(download.suggestedFilename(), 'photo.bin');
    const got = await readFile((await download.path())!);
    assert.ok(Buffer.compare(got, data) === 0, 'downloaded bytes equal the uploaded ones');
  });

  it("another user's file: the server refuses with AccessDenied, shown on the page", async () => {
    // Filled in at log-in: "Try to read" works at once (a placeholder only, and the browser asked to fill the field).
    assert.equal(await page.inputValue('#other-key'), 'usr002/secret.txt');
    await page.click('#other-button');
    await page.waitForFunction(() => document.getElementById('other-status')!.textContent !== '');
    const text = (await page.textContent('#other-status')) ?? '';
    await page.screenshot({ path: await screenshotPath('demo', 'denied') });
    assert.ok(text.startsWith('AccessDenied: '), text);
    assert.ok(text.includes(AUTHORIZER), text);
    // The only failed loads are the wrong password (401) and the refused read (403): no CSP violation,
    // no script error, no missing file.
    const expected = /^console: Failed to load resource: the server responded with a status of (401 \(Unauthorized\)|403 \(Forbidden\))$/;
    assert.deepEqual(problems.filter((p) => !expected.test(p)), [], 'no CSP violations or script errors');
    assert.ok(problems.some((p) => p.includes('403')), 'the refused read reached the server');
  });

  it('without a CORS rule for the page, the page says so and names the origin to allow (not just "XHR error")', async () => {
    await world.srv.client({ bucket: BUCKET }).deleteBucketCORS(BUCKET);
    await page.click('#refresh-button');
    await page.waitForFunction(() => /^Listing failed: /.test(document.getElementById('list-status')!.textContent ?? ''), undefined, { timeout: 30_000 });
    const text = (await page.textContent('#list-status')) ?? '';
    await page.screenshot({ path: await screenshotPath('demo', 'no-cors') });
    const origin = new URL(vend.url).origin;
    assert.ok(text.includes(`bucket ${BUCKET} needs a CORS rule allowing the origin ${origin}`), text);
    assert.ok(text.includes(`alunite oss bucket cors put oss://${BUCKET}`), text);
    assert.ok(!text.includes('XHR error'), text);
  });

  it('with the server stopped, the page says OSS cannot be reached', async () => {
    await world.srv.stop();
    world.srv.stop = async () => {}; // stopped here already; after() stops the world
    await page.fill('#other-key', 'usr001/photo.bin');
    await page.click('#other-button');
    await page.waitForFunction(() => document.getElementById('other-status')!.textContent !== '', undefined, { timeout: 30_000 });
    const text = (await page.textContent('#other-status')) ?? '';
    assert.equal(text, `Cannot reach OSS at ${new URL(world.srv.url).origin} from this page: is the server running there?`);
  });
});
