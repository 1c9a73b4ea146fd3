// The console's "Why denied?" page in headless Chromium: the trace of a session-policy implicit deny and
// of a bucket-policy explicit Deny drawn as layers in evaluation order (boxes, verdict colours, the
// failing part of each statement marked), and a role simulated with a session policy. Fails on any CSP
// violation or page error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from './helpers/browser.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const BUCKET = 'why-demo';
const ONLY_PUT = policyDoc({ Effect: 'Allow', Action: 'oss:PutObject', Resource: '*' });

describe('console "Why denied?" draws the trace', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const ids = { session: '', bucket: '' };
  const worker = { id: '', secret: '' };

  const shot = async (name: string) => page.screenshot({ path: await screenshotPath('console-why', name), fullPage: true });
  const explain = async (id: string) => {
    await page.fill('#explain-request-id', id);
    await page.click('#explain');
    await page.waitForSelector(`[data-explained="${id}"] #trace`);
  };
  const layerSel = (name: string) => `#explain-result .trace-layer[data-layer="${name}"]`;

  before(async () => {
    srv = await startTestServer();
    const ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('a.txt', Buffer.from('a'));
    await srv.client({ bucket: BUCKET }).put('locked/x.txt', Buffer.from('x'));
    await srv.client({ bucket: BUCKET }).putBucketPolicy(BUCKET, {
      Version: '1',
      Statement: [{ Sid: 'LockedAway', Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:${ACCOUNT_ID}:${BUCKET}/locked/*`] }],
    } as never);
    const w = await ram.userWith('worker', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }, { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
    await ram.call('CreateRole', { RoleName: 'writer', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('CreatePolicy', { PolicyName: 'writer-all', PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }) });
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'writer-all', RoleName: 'writer' });
    const creds = (await assumeRole(stsClient(srv, w.accessKeyId, w.accessKeySecret), { RoleArn: roleArn('writer'), RoleSessionName: 'narrow', Policy: ONLY_PUT })).Credentials as StsCredentials;
    ids.session = (await expectOssError(ossWith(srv, creds, BUCKET).get('a.txt'), 'AccessDenied', 403)).requestId!;
    ids.bucket = (await expectOssError(w.oss(BUCKET).get('locked/x.txt'), 'AccessDenied', 403)).requestId!;

    worker.id = w.accessKeyId;
    worker.secret = w.accessKeySecret;
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
      problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} in ${e.documentURI} at ${e.sourceFile}:${e.lineNumber} sample ${JSON.stringify(e.sample)}`));
    });
    await page.goto(`${srv.url}/-/console/`);
    await page.waitForSelector('#sign-in');
    await page.fill('input[name=accessKeyId]', AK);
    await page.fill('input[name=accessKeySecret]', SECRET);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#whoami');
    await page.click('#nav a[href="#/why"]');
    await page.waitForSelector('#page-why');
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('a session-policy implicit deny: the session box refused (coloured), the later boxes not consulted, the failing part marked', async () => {
    await explain(ids.session);
    const layers = await page.$$eval('#explain-result .trace-layer', (els) => els.map((e) => [e.getAttribute('data-layer'), e.getAttribute('data-verdict')]));
    assert.deepEqual(layers, [['session', 'NoMatch'], ['identity', 'NotConsulted'], ['bucket', 'NotConsulted'], ['owner', 'NotConsulted'], ['acl', 'NotConsulted']]);
    assert.ok(await page.isVisible(`${layerSel('session')}.deciding`));
    assert.match(await page.textContent(`${layerSel('session')} .trace-verdict`) ?? '', /no statement matched/);
    assert.equal(await page.textContent(`${layerSel('session')} .trace-statement[data-statement="0"] .trace-failed-part`), 'Action');
    assert.match(await page.textContent('#explain-result .trace-summary') ?? '', /decided by the Session policy layer/);
    // A diagram, not a table: boxes stacked in evaluation order, coloured by verdict (the stylesheet loads under the CSP).
    assert.equal(await page.$$eval('#explain-result table', (t) => t.length), 0);
    const tops = await page.$$eval('#explain-result .trace-layer', (els) => els.map((e) => e.getBoundingClientRect().top));
    assert.deepEqual([...tops].sort((a, b) => a - b), tops);
    const style = (sel: string) => page.$eval(sel, (e) => ({ border: getComputedStyle(e).borderTopColor, line: getComputedStyle(e).borderTopStyle }));
    const refused = await style(layerSel('session'));
    const skipped = await style(layerSel('identity'));
    assert.equal(refused.border, 'rgb(230, 195, 106)');
    assert.equal(skipped.line, 'dashed');
    await shot('01-session-implicit-deny');
  });

  it('a bucket-policy explicit Deny: identity allows, the bucket box denies with its statement highlighted', async () => {
    await explain(ids.bucket);
    assert.equal(await page.getAttribute(layerSel('identity'), 'data-verdict'), 'Allow');
    assert.equal(await page.getAttribute(layerSel('bucket'), 'data-verdict'), 'ExplicitDeny');
    assert.ok(await page.isVisible(`${layerSel('bucket')}.deciding`));
    const deciding = page.locator(`${layerSel('bucket')} .trace-statement.deciding`);
    assert.equal(await deciding.count(), 1);
    assert.match(await deciding.textContent() ?? '', /Statement\[0\] "LockedAway" Deny applies/);
    assert.equal((await page.$eval(layerSel('bucket'), (e) => getComputedStyle(e).borderTopColor)), 'rgb(224, 138, 131)');
    assert.equal((await page.$eval(layerSel('identity'), (e) => getComputedStyle(e).borderTopColor)), 'rgb(124, 197, 146)');
    assert.match(await page.textContent(`${layerSel('bucket')} .trace-policy-name`) ?? '', new RegExp(`bucket policy of ${BUCKET}`));
    await shot('02-bucket-explicit-deny');
  });

  it('simulating a role with a session policy draws the same diagram', async () => {
    await page.selectOption('#sim-kind', 'Role');
    assert.ok(await page.isVisible('#sim-session-policy'));
    await page.fill('#sim-principal', 'writer');
    await page.fill('#sim-action', 'oss:GetObject');
    await page.fill('#sim-resource', `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${BUCKET}/a.txt`);
    await page.fill('#sim-session-policy', ONLY_PUT);
    await page.click('#simulate');
    await page.waitForSelector('#simulate-result #trace');
    assert.equal(await page.textContent('#simulate-result #decision'), 'ImplicitDeny');
    assert.equal(await page.getAttribute('#simulate-result .trace-layer[data-layer="session"]', 'data-verdict'), 'NoMatch');
    assert.equal(await page.getAttribute('#simulate-result .trace-layer[data-layer="identity"]', 'data-verdict'), 'NotConsulted');
    await shot('03-simulate-role-session');
    await page.selectOption('#sim-kind', 'User');
    assert.equal(await page.isVisible('#sim-session-policy'), false);
  });

  it('a RAM user without ram:ExplainRequest is told what explaining needs, not sent back to the page that failed', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    try {
      await p.goto(`${srv.url}/-/console/`);
      await p.waitForSelector('#sign-in');
      await p.fill('input[name=accessKeyId]', worker.id);
      await p.fill('input[name=accessKeySecret]', worker.secret);
      await p.click('#sign-in button[type=submit]');
      await p.waitForSelector('#whoami');
      await p.click('#nav a[href="#/why"]');
      await p.waitForSelector('#page-why');
      await p.fill('#explain-request-id', ids.bucket);
      await p.click('#explain');
      const hint = await p.waitForSelector('#explain-result .why-hint');
      assert.match((await hint.textContent()) ?? '', /needs ram:ExplainRequest allowed to you.*administrator.*root/);
      assert.equal(await p.locator('#explain-result .why-link').count(), 0, 'no link back to this page');
      assert.equal(await p.locator('#explain-result .err-code').textContent(), 'NoPermission');
    } finally {
      await context.close();
    }
  });

  it('had no CSP violation, page error or unexpected console error', () => {
    assert.deepEqual(problems, []);
  });
});
