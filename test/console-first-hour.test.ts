// The console's first hour in Chromium (issue 14): signed in as a RAM user it lands without an error and
// offers the buckets its policies name and a field to type one; errors replace each other (one per area)
// and can be dismissed; an empty role picker says what is needed; a folder made in the console can be
// deleted with everything under it (then its bucket); at 390×844 nothing overflows and every button can be
// clicked; STS credentials can be copied and exported; large files go up in parts (and a cancelled
// upload is aborted); the development keys sign in with one click, only when the server runs with them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { DEV_DEFAULTS } from '../src/server.js';
import { launchBrowser, screenshotPath } from './helpers/browser.js';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));
const TEAM = 'team-data';
const OTHER = 'other-bucket';

describe('console: the first hour (RAM user, folders, narrow screens, STS export, multipart, dev keys)', { timeout: 300_000 }, () => {
  let srv: TestServer;
  let ram: Ram;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let alice: RamUserHandle;
  let bob: RamUserHandle;
  const problems: string[] = [];
  /** While a test makes a request fail on purpose, the browser's own report of it is expected. */
  let failingOnPurpose = false;

  /** The test running, named in each problem (a CSP report alone does not say which step caused it). */
  let current = '';
  beforeEach((t) => { current = t.name; });

  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
      if (failingOnPurpose && /^Failed to load resource: net::ERR_FAILED/.test(m.text())) return;
      problems.push(`console.${m.type()}: ${m.text()} [${current}; page ${p.url()}]`);
    });
    p.on('pageerror', (e) => problems.push(`page error: ${e.message} [${current}; page ${p.url()}]`));
  };
  const newPage = async (viewport: { width: number; height: number }) => {
    context = await browser.newContext({ viewport, acceptDownloads: true });
    // Copy buttons use the async Clipboard API; the test reads it back.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} in ${e.documentURI} at ${e.sourceFile}:${e.lineNumber} sample ${JSON.stringify(e.sample)}`));
    });
    page = await context.newPage();
    watch(page);
    return page;
  };
  const shot = async (name: string) => page.screenshot({ path: await screenshotPath('console-first-hour', name), fullPage: true });
  const signIn = async (ak: string, secret: string) => {
    await page.goto(`${srv.url}/-/console/`);
    await page.waitForSelector('#sign-in');
    await page.fill('input[name=accessKeyId]', ak);
    await page.fill('input[name=accessKeySecret]', secret);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#whoami');
  };
  const go = async (name: string) => {
    await page.click(`#nav a[href="#/${name}"]`);
    await page.waitForSelector(`#page-${name}`);
  };
  const errorCount = () => page.locator('#messages .error').count();

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await srv.client().putBucket(TEAM);
    await srv.client().putBucket(OTHER);
    // alice may use one bucket (not list them all), read her own policies, and assume roles.
    alice = await ram.userWith('alice', policyDoc(
      { Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${TEAM}`, `acs:oss:*:*:${TEAM}/*`] },
      { Effect: 'Allow', Action: ['ram:ListPoliciesForUser', 'ram:ListGroupsForUser', 'ram:GetPolicy'], Resource: '*' },
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' },
    ));
    // bob has no policy at all.
    bob = await ram.user('bob');
    await ram.call('CreateRole', {
      RoleName: 'uploader',
      AssumeRolePolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }),
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('a RAM user without ListBuckets lands on Buckets without an error, with its policies\' buckets offered', async () => {
    await newPage({ width: 1280, height: 900 });
    await signIn(alice.accessKeyId, alice.accessKeySecret);
    await page.waitForSelector('#page-buckets #list-buckets-denied');
    assert.match(await page.textContent('#list-buckets-denied') ?? '', /ListBuckets: AccessDenied/);
    await page.waitForSelector(`[data-policy-bucket="${TEAM}"]`);
    assert.deepEqual(await page.$$eval('[data-policy-bucket]', (as) => as.map((a) => a.getAttribute('data-policy-bucket'))), [TEAM]);
    assert.equal(await errorCount(), 0);
    await shot('01-ram-user-landing');
    await page.click(`[data-policy-bucket="${TEAM}"]`);
    await page.waitForSelector(`[data-open-bucket="${TEAM}"] #objects`);
    await page.waitForSelector('#bucket-acl');
    assert.equal(await errorCount(), 0);
  });

  it('errors replace each other (one visible), can be dismissed, and a successful action clears them', async () => {
    await page.fill('#open-bucket-name', OTHER);
    await page.click('#open-bucket');
    await page.waitForSelector('#messages .error[data-code="AccessDenied"]');
    await page.fill('#open-bucket-name', 'no-such-bucket-here');
    await page.click('#open-bucket');
    await page.waitForSelector('#messages .error[data-code="NoSuchBucket"]');
    assert.equal(await errorCount(), 1);
    await page.fill('#open-bucket-name', OTHER);
    await page.click('#open-bucket');
    await page.waitForSelector('#messages .error[data-code="AccessDenied"]');
    assert.equal(await errorCount(), 1);
    await page.click('#messages .error button.close');
    assert.equal(await errorCount(), 0);
    await page.fill('#open-bucket-name', OTHER);
    await page.click('#open-bucket');
    await page.waitForSelector('#messages .error[data-code="AccessDenied"]');
    // Typing a bucket the user may use opens it, and the stale error goes.
    await page.fill('#open-bucket-name', TEAM);
    await page.click('#open-bucket');
    await page.waitForSelector(`[data-open-bucket="${TEAM}"] #objects`);
    await page.waitForFunction(() => document.querySelectorAll('#messages .error').length === 0);
    await context.close();
  });

  it('a user with no policy: no error on landing, and an empty role picker explains what is needed', async () => {
    await newPage({ width: 1280, height: 900 });
    await signIn(bob.accessKeyId, bob.accessKeySecret);
    await page.waitForSelector('#page-buckets #list-buckets-denied');
    assert.equal(await page.$('[data-policy-bucket]'), null);
    assert.equal(await errorCount(), 0);
    await go('sts');
    await page.waitForSelector('#sts-no-roles');
    const hint = await page.textContent('#sts-no-roles') ?? '';
    assert.match(hint, /ListRoles: NoPermission/);
    assert.match(hint, /trust policy admits you/);
    assert.match(hint, new RegExp(`acs:ram::${ACCOUNT_ID}:user/bob`));
    assert.match(hint, /sts:AssumeRole/);
    assert.equal(await errorCount(), 0);
    await shot('02-empty-role-picker');
    await context.close();
  });

  it('deletes a folder made in the console with everything under it (paged, batched), then its bucket', async () => {
    await newPage({ width: 1280, height: 900 });
    await signIn(AK, SECRET);
    await page.waitForSelector('#page-buckets #buckets-table');
    await page.fill('#create-bucket input[name=BucketName]', 'folders');
    await page.click('#create-bucket button[type=submit]');
    await page.waitForSelector('[data-open-bucket="folders"] #folder-form');
    await page.fill('#folder-form input', 'docs');
    await page.click('#folder-form button');
    await page.waitForSelector('a[data-folder="docs/"]');
    // More than one listing page and one DeleteMultipleObjects batch (1000) under the folder.
    const client = srv.client({ bucket: 'folders' });
    const keys = Array.from({ length: 1004 }, (_, i) => `docs/${i % 2 === 0 ? 'sub/' : ''}f${i}.txt`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => client.put(k, Buffer.from(k))));
    await client.put('keep.txt', Buffer.from('kept'));
    await page.click('[data-delete-folder="docs/"]');
    await page.waitForSelector('#confirm-folder-delete');
    assert.equal(await page.getAttribute('#confirm-folder-delete', 'data-count'), '1005');
    assert.match(await page.textContent('#folder-delete-question') ?? '', /Delete folder docs\/\? This deletes 1005 objects under it \(the folder marker included\)/);
    await shot('03-folder-delete-confirm');
    await page.click('#confirm-folder-delete');
    await page.waitForFunction(() => document.querySelector('a[data-folder="docs/"]') === null && document.querySelector('[data-key="keep.txt"]') !== null);
    const left = await client.list({ prefix: 'docs/', 'max-keys': 10 }, {});
    assert.deepEqual(left.objects ?? [], []);
    assert.equal(await errorCount(), 0);
    // Only keep.txt is left: delete it, then the bucket.
    await page.click('[data-delete-object="keep.txt"]');
    await page.click('[data-delete-object="keep.txt"]');
    await page.waitForSelector('#objects .empty');
    await page.click('[data-delete-bucket="folders"]');
    await page.click('[data-delete-bucket="folders"]');
    await page.waitForFunction(() => document.querySelector('[data-delete-bucket="folders"]') === null);
    assert.equal(await errorCount(), 0);
    await assert.rejects(srv.client().getBucketInfo('folders'), /NoSuchBucket|does not exist/);
    await context.close();
  });

  it('uploads a 20 MiB file in parts (same ETag and bytes), and a cancelled one is aborted', async () => {
    await newPage({ width: 1280, height: 900 });
    await signIn(AK, SECRET);
    await page.click(`a[data-bucket="${TEAM}"]`);
    await page.waitForSelector(`[data-open-bucket="${TEAM}"] #upload-form`);
    const big = randomBytes(20 * 1024 * 1024 + 12345);
    // From a file: the browser reads it itself (a 20 MiB buffer would go through the protocol).
    const dir = await mkdtemp(join(tmpdir(), 'console-upload-'));
    await writeFile(join(dir, 'big.bin'), big);
    await writeFile(join(dir, 'cancelled.bin'), big);
    await page.setInputFiles('#upload-file', join(dir, 'big.bin'));
    await page.click('#upload');
    await page.waitForSelector('#upload-progress[data-state="done"]', { timeout: 120_000 });
    const p = await page.$eval('#upload-progress', (el) => ({
      partSize: (el as HTMLElement).dataset.partSize, parts: (el as HTMLElement).dataset.parts, etag: (el as HTMLElement).dataset.etag, value: (el as HTMLProgressElement).value,
    }));
    const partSize = Number(p.partSize);
    assert.ok(partSize >= 5 * 1024 * 1024, `part size ${partSize}`);
    assert.equal(Number(p.parts), Math.ceil(big.length / partSize));
    assert.ok(Number(p.parts) >= 2);
    assert.equal(p.value, big.length);
    const head = await srv.client({ bucket: TEAM }).head('big.bin');
    const etag = (head.res.headers as Record<string, string>).etag;
    // A multipart object's ETag, as the console got it from CompleteMultipartUpload and as HEAD gives it.
    assert.match(etag, new RegExp(`^"[0-9A-F]{32}-${p.parts}"$`));
    assert.equal(p.etag, etag);
    assert.deepEqual(Buffer.from((await srv.client({ bucket: TEAM }).get('big.bin')).content), big);
    assert.deepEqual((await srv.client({ bucket: TEAM }).listUploads({})).uploads ?? [], []);
    await page.waitForSelector('[data-key="big.bin"]');

    // Cancel: part 2 is held until the user cancels; then nothing of the upload is left.
    let held: Route | undefined;
    let heldSeen!: () => void;
    const seen = new Promise<void>((resolve) => { heldSeen = resolve; });
    await page.route(/partNumber=2&/, async (route) => {
      held = route;
      heldSeen();
    });
    await page.setInputFiles('#upload-file', join(dir, 'cancelled.bin'));
    await page.click('#upload');
    await seen;
    assert.equal(await page.isVisible('#upload-cancel'), true);
    await page.click('#upload-cancel');
    await page.waitForSelector('#upload-progress[data-state="cancelled"]', { timeout: 60_000 });
    await held?.abort().catch(() => undefined);
    await page.unroute(/partNumber=2&/);
    assert.equal(await errorCount(), 0);
    assert.deepEqual((await srv.client({ bucket: TEAM }).listUploads({})).uploads ?? [], []);
    await assert.rejects(srv.client({ bucket: TEAM }).head('cancelled.bin'), /NoSuchKey|404|Object not exists/);

    // A failing part stops the upload: the error is shown and the multipart upload is aborted.
    failingOnPurpose = true;
    await page.route(/partNumber=3&/, (route) => route.abort('failed'));
    await page.setInputFiles('#upload-file', join(dir, 'cancelled.bin'));
    await page.click('#upload');
    await page.waitForSelector('#upload-progress[data-state="failed"]', { timeout: 60_000 });
    await page.unroute(/partNumber=3&/);
    failingOnPurpose = false;
    assert.equal(await page.getAttribute('#messages .error', 'data-code'), 'NetworkError');
    assert.equal(await errorCount(), 1);
    assert.deepEqual((await srv.client({ bucket: TEAM }).listUploads({})).uploads ?? [], []);
    await assert.rejects(srv.client({ bucket: TEAM }).head('cancelled.bin'), /NoSuchKey|404|Object not exists/);
    await context.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('at 390×844 no page overflows and every action button is on screen and clickable', async () => {
    await newPage({ width: 390, height: 844 });
    const client = srv.client({ bucket: TEAM });
    await client.put('a/rather/long/folder/name/with-a-very-long-object-name-that-goes-on-and-on.txt', Buffer.from('x'));
    /** Fails with the offending elements when anything is wider than the viewport or a button is off screen. */
    const check = async (what: string) => {
      const r = await page.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const off = [...document.querySelectorAll('button, a, input, select, textarea, table, pre')]
          .filter((el) => (el as HTMLElement).offsetParent !== null && !el.classList.contains('offscreen'))
          .map((el) => ({ el, r: el.getBoundingClientRect() }))
          .filter(({ el, r }) => r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5) && !el.closest('pre'))
          .map(({ el, r }) => `${el.tagName.toLowerCase()}#${el.id}[${el.textContent?.slice(0, 30)}] ${Math.round(r.left)}..${Math.round(r.right)}`);
        return { scroll: document.documentElement.scrollWidth, vw, off };
      });
      assert.ok(r.scroll <= r.vw, `${what}: the document is ${r.scroll}px wide in a ${r.vw}px viewport`);
      assert.deepEqual(r.off, [], `${what}: outside the viewport`);
      for (const b of await page.locator('main button:visible, header button:visible').all()) {
        await b.click({ trial: true, timeout: 10_000 });
      }
    };
    await page.goto(`${srv.url}/-/console/`);
    await page.waitForSelector('#sign-in');
    await check('sign-in');
    await signIn(AK, SECRET);
    await page.waitForSelector('#page-buckets #buckets-table');
    await check('buckets');
    await page.click(`a[data-bucket="${TEAM}"]`);
    await page.waitForSelector(`[data-open-bucket="${TEAM}"] #objects-table`);
    await page.click('[data-details="big.bin"]');
    await page.waitForSelector('#object-acl:text("now:")');
    await page.click('#presign');
    await page.waitForFunction(() => (document.querySelector('#presigned-url') as HTMLInputElement | null)?.value.includes('Signature='));
    await check('bucket browser');
    await shot('04-narrow-buckets');
    await page.click('a[data-folder="a/"]');
    await page.waitForSelector(`[data-open-bucket="${TEAM}"][data-prefix="a/"]`);
    await check('folder');
    for (const name of ['users', 'groups', 'roles', 'policies', 'sts', 'why']) {
      await page.click('#nav a[href="#/' + name + '"]');
      await page.waitForSelector(`#page-${name}`);
      await page.waitForLoadState('networkidle');
      await check(name);
    }
    await page.click('#nav a[href="#/users"]');
    await page.click('#users-table a[data-user="alice"]');
    await page.waitForSelector('[data-user-detail="alice"]');
    await check('user detail');
    await shot('05-narrow-user');
    await page.click('#nav a[href="#/roles"]');
    await page.click('a[data-role="uploader"]');
    await page.waitForSelector('[data-role-detail="uploader"]');
    await check('role detail');
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in');
  });

  it('STS credentials: copy each field, copy as shell exports (which a shell reads back) and as JSON', async () => {
    // Still 390 px wide: the credentials must fit too.
    await signIn(alice.accessKeyId, alice.accessKeySecret);
    await page.click('#nav a[href="#/sts"]');
    await page.waitForSelector('#sts-no-roles');
    await page.fill('#sts-role-arn', `acs:ram::${ACCOUNT_ID}:role/uploader`);
    await page.click('#assume-role');
    await page.waitForSelector('#sts-countdown');
    const ak = (await page.textContent('#sts-ak')) ?? '';
    const secret = (await page.textContent('#sts-secret')) ?? '';
    const token = (await page.textContent('#sts-token')) ?? '';
    assert.match(ak, /^STS\./);
    const clip = () => page.evaluate(() => navigator.clipboard.readText());
    for (const [field, want] of [['AccessKeyId', ak], ['AccessKeySecret', secret], ['SecurityToken', token]] as const) {
      await page.click(`[data-copy="${field}"]`);
      await page.waitForSelector(`.notice:text("${field} copied.")`);
      assert.equal(await clip(), want, field);
    }
    await page.click('#copy-shell');
    const shell = await clip();
    assert.match(shell, /^export ALIBABA_CLOUD_ACCESS_KEY_ID='STS\./m);
    assert.equal(shell, await page.textContent('#sts-export-shell'));
    const { stdout } = await promisify(execFile)('bash', ['-c', `${shell}\nprintf '%s\\n' "$ALIBABA_CLOUD_ACCESS_KEY_ID" "$ALIBABA_CLOUD_ACCESS_KEY_SECRET" "$ALIBABA_CLOUD_SECURITY_TOKEN" "$ALUNITE_ENDPOINT"`]);
    assert.deepEqual(stdout.split('\n').slice(0, 4), [ak, secret, token, srv.url]);
    await page.click('#copy-json');
    const json = JSON.parse(await clip()) as Record<string, string>;
    assert.deepEqual({ ...json, Expiration: undefined }, { AccessKeyId: ak, AccessKeySecret: secret, SecurityToken: token, Expiration: undefined });
    assert.match(json.Expiration ?? '', /^\d{4}-\d\d-\d\dT/);
    const vw = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, vw: document.documentElement.clientWidth }));
    assert.ok(vw.scroll <= vw.vw, `sts credentials: ${vw.scroll}px in ${vw.vw}px`);
    await shot('06-narrow-sts-export');
    await context.close();
  });

  it('one-click sign-in with the development keys only when the server runs with them', async () => {
    // This server has other keys: the config says no, and gives no key.
    const cfg = await fetch(`${srv.url}/-/console/config`);
    assert.equal(cfg.status, 200);
    assert.equal(cfg.headers.get('cache-control'), 'no-store');
    const text = await cfg.text();
    assert.deepEqual(JSON.parse(text), { devKeys: false });
    assert.doesNotMatch(text, new RegExp(`${AK}|${SECRET}`));
    await newPage({ width: 1280, height: 900 });
    await page.goto(`${srv.url}/-/console/`);
    await page.waitForSelector('#sign-in');
    await page.waitForLoadState('networkidle');
    assert.equal(await page.$('#dev-sign-in'), null);
    await context.close();

    const dev = await startTestServer({ accountId: DEV_DEFAULTS.accountId, rootAccessKeyId: DEV_DEFAULTS.accessKeyId, rootAccessKeySecret: DEV_DEFAULTS.accessKeySecret });
    try {
      assert.deepEqual(await (await fetch(`${dev.url}/-/console/config`)).json(),
        { devKeys: true, accessKeyId: DEV_DEFAULTS.accessKeyId, accessKeySecret: DEV_DEFAULTS.accessKeySecret });
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      watch(page);
      await page.goto(`${dev.url}/-/console/`);
      await page.waitForSelector('#dev-sign-in');
      await shot('07-dev-keys');
      await page.click('#dev-sign-in');
      await page.waitForSelector('#whoami');
      assert.equal(await page.textContent('#whoami'), `acs:ram::${DEV_DEFAULTS.accountId}:root`);
      await page.waitForSelector('#page-buckets #buckets-table, #page-buckets .empty');
      assert.equal(new URL(page.url()).hash, '#/buckets');
      // Still memory only.
      assert.equal(await page.evaluate(() => JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage }, c: document.cookie })), '{"l":{},"s":{},"c":""}');
      await context.close();
    } finally {
      await dev.stop();
    }
  });

  it('the console\'s MD5 (Content-MD5 of DeleteMultipleObjects) equals node\'s', async () => {
    const { contentMd5 } = await import(pathToFileURL(join(CONSOLE_DIR, 'js/md5.js')).href) as { contentMd5: (t: string) => string };
    for (const t of ['', 'a', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(65), '<Key>é 中 😀</Key>'.repeat(700)]) {
      assert.equal(contentMd5(t), createHash('md5').update(t, 'utf8').digest('base64'), `length ${t.length}`);
    }
  });

  it('had no CSP violation, page error or unexpected console error', () => {
    assert.deepEqual(problems, []);
  });
});
