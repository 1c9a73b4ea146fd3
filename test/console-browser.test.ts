// The web console in headless Chromium against an in-process server: sign in as root, manage users,
// keys, policies, groups, roles, assume a role, buckets and objects; then as a restricted user see a
// denial (Code, Message, RequestId) and explain it. Fails on any CSP violation or page error.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PopClient } from '../src/client/pop.js';
import { launchBrowser, screenshotPath } from './helpers/browser.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'console-demo';
const READER_POLICY = {
  Version: '1',
  Statement: [
    { Effect: 'Allow', Action: ['oss:ListBuckets', 'oss:ListObjects', 'oss:GetObject', 'oss:GetBucketAcl', 'oss:GetObjectAcl'], Resource: '*' },
    { Effect: 'Deny', Action: ['oss:PutObject', 'oss:DeleteObject'], Resource: `acs:oss:*:*:${BUCKET}/*` },
  ],
};

describe('web console in Chromium', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const reader = { id: '', secret: '' };
  const payload = randomBytes(3 * 1024 * 1024 + 17);
  let deniedRequestId = '';

  const rootPop = () => new PopClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: AK, accessKeySecret: SECRET });
  const shot = async (name: string) => page.screenshot({ path: await screenshotPath('console', name), fullPage: true });
  const go = async (hash: string) => {
    await page.click(`#nav a[href="#/${hash}"]`);
    await page.waitForSelector(`#page-${hash}`);
  };
  /** Two clicks: dangerous buttons ask for confirmation. */
  const confirmClick = async (selector: string) => {
    await page.click(selector);
    await page.click(selector);
  };
  const signIn = async (ak: string, secret: string, token = '') => {
    await page.waitForSelector('#sign-in');
    await page.fill('input[name=accessKeyId]', ak);
    await page.fill('input[name=accessKeySecret]', secret);
    await page.fill('textarea[name=securityToken]', token);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#whoami');
  };
  const signOut = async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in');
  };

  before(async () => {
    srv = await startTestServer();
    browser = await launchBrowser();
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      // Refused API calls show up as "Failed to load resource: … status of 403"; those are expected.
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
      problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // Belt and braces: CSP violations as DOM events, whatever the console says about them.
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} in ${e.documentURI} at ${e.sourceFile}:${e.lineNumber} sample ${JSON.stringify(e.sample)}`);
      });
    });
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('loads from /-/console (redirect) and signs in as the account root', async () => {
    await page.goto(`${srv.url}/-/console`);
    assert.equal(new URL(page.url()).pathname, '/-/console/');
    await page.waitForSelector('#sign-in');
    assert.match(await page.textContent('footer') ?? '', /memory only/);
    await shot('01-sign-in');
    // A wrong secret is refused with the server's answer.
    await page.fill('input[name=accessKeyId]', AK);
    await page.fill('input[name=accessKeySecret]', 'wrong-secret');
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('.error');
    assert.equal(await page.textContent('.error .err-code'), 'SignatureDoesNotMatch');
    assert.match(await page.textContent('.error .err-request-id') ?? '', /\S/);
    await signIn(AK, SECRET);
    assert.equal(await page.textContent('#whoami'), `acs:ram::${ACCOUNT_ID}:root`);
    // Nothing of the secret is kept in storage.
    const stored = await page.evaluate(() => JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage }, c: document.cookie }));
    assert.equal(stored, '{"l":{},"s":{},"c":""}');
  });

  it('creates a user and an AccessKey whose secret is shown once', async () => {
    await go('users');
    await page.fill('#create-user input[name=UserName]', 'reader');
    await page.fill('#create-user input[name=DisplayName]', 'Read only');
    await page.click('#create-user button[type=submit]');
    await page.waitForSelector('[data-user-detail="reader"]');
    assert.ok(await page.isVisible('#users-table a[data-user="reader"]'));
    await page.click('#create-key');
    await page.waitForSelector('#new-key-secret');
    reader.id = (await page.textContent('#new-key-id')) ?? '';
    reader.secret = (await page.textContent('#new-key-secret')) ?? '';
    assert.match(reader.id, /^LTAI/);
    assert.ok(reader.secret.length >= 30);
    await page.waitForSelector(`[data-toggle-key="${reader.id}"]`);
    await shot('02-users-key-created');
    // Shown once: reopening the user lists the key but not its secret.
    await page.click('#users-table a[data-user="reader"]');
    await page.waitForSelector(`[data-toggle-key="${reader.id}"]`);
    assert.equal(await page.$('#new-key-secret'), null);
    assert.doesNotMatch(await page.textContent('body') ?? '', new RegExp(reader.secret));
    // Deactivate and activate again.
    await page.click(`[data-toggle-key="${reader.id}"]`);
    await page.waitForSelector(`[data-toggle-key="${reader.id}"]:text("Activate")`);
    await page.click(`[data-toggle-key="${reader.id}"]`);
    await page.waitForSelector(`[data-toggle-key="${reader.id}"]:text("Deactivate")`);
    // A duplicate user is the server's error, shown with its code.
    await page.fill('#create-user input[name=UserName]', 'reader');
    await page.click('#create-user button[type=submit]');
    await page.waitForSelector('.error[data-code="EntityAlreadyExists.User"]');
  });

  it('creates a policy: a validation error is shown live, then fixed; attaches it to the user', async () => {
    await go('policies');
    await page.fill('#create-policy-form input[name=PolicyName]', 'reader-policy');
    const bad = JSON.stringify({ ...READER_POLICY, Statement: [{ ...READER_POLICY.Statement[0], Effect: 'allow' }, READER_POLICY.Statement[1]] }, null, 2);
    await page.fill('#create-policy-form textarea', bad);
    await page.waitForSelector('#create-policy-form .validation.bad');
    assert.equal(await page.textContent('#create-policy-form .validation'), 'Statement[0].Effect must be "Allow" or "Deny", got "allow"');
    assert.equal(await page.isDisabled('#create-policy'), true);
    await shot('03-policy-invalid');
    await page.fill('#create-policy-form textarea', '{"Version": "1", "Statement": [');
    await page.waitForSelector('#create-policy-form .validation.bad');
    assert.match(await page.textContent('#create-policy-form .validation') ?? '', /not valid JSON.*line \d+/);
    await page.fill('#create-policy-form textarea', JSON.stringify(READER_POLICY, null, 2));
    await page.waitForSelector('#create-policy-form .validation.ok');
    assert.equal(await page.isDisabled('#create-policy'), false);
    await page.click('#create-policy');
    await page.waitForSelector('[data-policy-detail="reader-policy"]');
    await page.waitForSelector('#versions-table');
    await page.selectOption('#attach-form select[name=kind]', 'User');
    await page.waitForSelector('#attach-form select[name=target] option[value="reader"]', { state: 'attached' });
    await page.selectOption('#attach-form select[name=target]', 'reader');
    await page.click('#attach-policy');
    await page.waitForSelector('[data-detach="User:reader"]');
    // A second version, made default, then the first made default again and the second deleted.
    await page.fill('#version-form textarea', JSON.stringify(READER_POLICY));
    await page.click('#version-form button[type=submit]');
    await page.waitForSelector('[data-set-default="v1"]');
    await page.click('[data-set-default="v1"]');
    await page.waitForSelector('[data-delete-version="v2"]');
    await confirmClick('[data-delete-version="v2"]');
    await page.waitForFunction(() => document.querySelector('[data-delete-version="v2"]') === null && document.querySelector('#versions-table') !== null);
    await shot('04-policies');
    const attached = await rootPop().request<{ Policies: { Policy: Array<{ PolicyName: string }> } }>('ListPoliciesForUser', { UserName: 'reader' });
    assert.deepEqual(attached.Policies.Policy.map((p) => p.PolicyName), ['reader-policy']);
  });

  it('creates a group with the user as a member', async () => {
    await go('groups');
    await page.fill('#create-group input[name=GroupName]', 'readers');
    await page.click('#create-group button[type=submit]');
    await page.waitForSelector('[data-group-detail="readers"]');
    await page.waitForSelector('#add-member option[value="reader"]', { state: 'attached' });
    await page.selectOption('#add-member select', 'reader');
    await page.click('#add-member button[type=submit]');
    await page.waitForSelector('[data-remove-member="reader"]');
    await shot('05-groups');
  });

  it('creates a role with a trust policy and, as a RAM user, assumes it in the STS playground', async () => {
    // The account root may not call AssumeRole (as in Alibaba Cloud): an operator user does.
    await go('users');
    await page.fill('#create-user input[name=UserName]', 'operator');
    await page.click('#create-user button[type=submit]');
    await page.waitForSelector('[data-user-detail="operator"]');
    await page.click('#create-key');
    const operator = { id: (await page.textContent('#new-key-id')) ?? '', secret: (await page.textContent('#new-key-secret')) ?? '' };

    await go('roles');
    await page.fill('#create-role-form input[name=RoleName]', 'console-role');
    await page.fill('#create-role-form input[name=MaxSessionDuration]', '7200');
    await page.waitForSelector('#create-role-form .validation.ok');
    await page.click('#create-role');
    await page.waitForSelector('[data-role-detail="console-role"]');
    assert.match(await page.textContent('[data-role-detail="console-role"]') ?? '', /max session 7200 s/);
    assert.match(await page.textContent('[data-role-detail="console-role"] .policy-view') ?? '', new RegExp(`acs:ram::${ACCOUNT_ID}:root`));
    await shot('06-roles');

    // System policies: the operator may assume roles and list them; the role may use OSS.
    await go('policies');
    await page.selectOption('#page-policies select[name=PolicyType]', 'System');
    for (const [policy, kind, name] of [['AliyunSTSAssumeRoleAccess', 'User', 'operator'], ['AliyunRAMReadOnlyAccess', 'User', 'operator'], ['AliyunOSSFullAccess', 'Role', 'console-role']] as const) {
      await page.click(`a[data-policy="${policy}"]`);
      await page.waitForSelector(`[data-policy-detail="${policy}"]`);
      await page.selectOption('#attach-form select[name=kind]', kind);
      await page.waitForSelector(`#attach-form select[name=target] option[value="${name}"]`, { state: 'attached' });
      await page.selectOption('#attach-form select[name=target]', name);
      await page.click('#attach-policy');
      await page.waitForSelector(`[data-detach="${kind}:${name}"]`);
    }
    await signOut();

    await signIn(operator.id, operator.secret);
    await go('sts');
    const arn = `acs:ram::${ACCOUNT_ID}:role/console-role`;
    await page.waitForSelector(`#sts-role option[value="${arn}"]`, { state: 'attached' });
    await page.selectOption('#sts-role', arn);
    await page.fill('#sts-session-name', 'play');
    await page.fill('#sts-duration', '900');
    // An invalid session policy blocks the call until fixed.
    await page.fill('#assume-form textarea', '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*"}]}');
    await page.waitForSelector('#assume-form .validation.bad');
    assert.match(await page.textContent('#assume-form .validation') ?? '', /Statement\[0\].*Resource/);
    assert.equal(await page.isDisabled('#assume-role'), true);
    await page.fill('#assume-form textarea', '');
    await page.waitForSelector('#assume-form .validation.ok');
    await page.click('#assume-role');
    await page.waitForSelector('#sts-countdown');
    assert.match(await page.textContent('#sts-ak') ?? '', /^STS\./);
    assert.match(await page.textContent('#sts-countdown') ?? '', /^1[45]m \d\ds$/);
    const first = await page.textContent('#sts-countdown');
    await page.waitForFunction((before) => document.querySelector('#sts-countdown')?.textContent !== before, first, { timeout: 10_000 });
    await shot('07-sts-playground');
    await page.click('#continue-as-session');
    await page.waitForFunction(() => document.querySelector('#whoami')?.textContent?.includes('assumed-role/console-role/play'));
    assert.match(await page.textContent('#who .expiry') ?? '', /session expires in \d+m \d\ds/);
    // The session acts with the role's permissions: OSS yes (an empty list, no error), RAM no.
    await page.waitForSelector('#page-buckets #bucket-list');
    assert.equal(await page.$('.error'), null);
    await shot('08-as-role-session');
    await signOut();
    assert.equal(await page.$('#whoami'), null);
  });

  it('creates a bucket, uploads with progress, downloads the same bytes, shares a presigned URL', async () => {
    await signIn(AK, SECRET);
    await go('buckets');
    await page.fill('#create-bucket input[name=BucketName]', BUCKET);
    await page.click('#create-bucket button[type=submit]');
    await page.waitForSelector(`[data-open-bucket="${BUCKET}"]`);
    await page.waitForSelector('#bucket-acl');
    await page.fill('#folder-form input', 'docs');
    await page.click('#folder-form button');
    await page.waitForSelector('a[data-folder="docs/"]');
    await page.setInputFiles('#upload-file', { name: 'file.bin', mimeType: 'application/octet-stream', buffer: payload });
    await page.click('#upload');
    await page.waitForSelector('#upload-progress[data-state="done"]');
    const progress = await page.$eval('#upload-progress', (p) => ({ value: (p as HTMLProgressElement).value, max: (p as HTMLProgressElement).max, events: Number((p as HTMLElement).dataset.events) }));
    assert.equal(progress.max, payload.length);
    assert.equal(progress.value, payload.length);
    assert.ok(progress.events >= 1);
    await page.waitForSelector('[data-key="file.bin"]');
    await shot('09-buckets-uploaded');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="file.bin"]')]);
    assert.equal(download.suggestedFilename(), 'file.bin');
    assert.deepEqual(await readFile((await download.path())!), payload);
    // What the server stored is the same too.
    assert.deepEqual(Buffer.from(await (await srv.pathClient({ bucket: BUCKET }).get('file.bin')).content), payload);

    await page.click('[data-details="file.bin"]');
    await page.waitForSelector('#object-acl:text("now: default")');
    await page.selectOption('select[name=expires]', '900');
    await page.click('#presign');
    await page.waitForFunction(() => (document.querySelector('#presigned-url') as HTMLInputElement | null)?.value.includes('Signature='));
    const url = await page.$eval('#presigned-url', (i) => (i as HTMLInputElement).value);
    const expires = Number(new URL(url).searchParams.get('Expires'));
    assert.ok(Math.abs(expires - (Date.now() / 1000 + 900)) < 120);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), payload);
    // Object ACL, then bucket ACL.
    await page.selectOption('select[name=object-acl]', 'public-read');
    await page.click('[data-object="file.bin"] button:text("Set object ACL")');
    await page.waitForSelector('#object-acl:text("now: public-read")');
    assert.equal(await (await fetch(`${srv.url}/${BUCKET}/file.bin`)).status, 200);
    await page.selectOption('select[name=bucket-acl]', 'public-read');
    await page.click('button:text("Set bucket ACL")');
    await page.waitForSelector('#bucket-acl:text("now: public-read")');
    await page.selectOption('select[name=bucket-acl]', 'private');
    await page.click('button:text("Set bucket ACL")');
    await page.waitForSelector('#bucket-acl:text("now: private")');
    await page.click('a[data-folder="docs/"]');
    await page.waitForSelector(`[data-open-bucket="${BUCKET}"][data-prefix="docs/"]`);
    await shot('10-buckets-folder');
    await signOut();
  });

  it('as the restricted user: reads work, writes are denied with Code, Message and RequestId', async () => {
    await signIn(reader.id, reader.secret);
    assert.equal(await page.textContent('#whoami'), `acs:ram::${ACCOUNT_ID}:user/reader`);
    // The console lands on Buckets, which the reader may list: no error.
    await page.waitForSelector('#page-buckets #buckets-table');
    assert.equal(await page.$('.error'), null);
    // RAM is not theirs to manage: the list fails with the server's refusal.
    await go('users');
    await page.waitForSelector('.error[data-code="NoPermission"]');
    await go('buckets');
    await page.click(`a[data-bucket="${BUCKET}"]`);
    await page.waitForSelector('[data-key="file.bin"]');
    await page.setInputFiles('#upload-file', { name: 'blocked.txt', mimeType: 'text/plain', buffer: Buffer.from('no') });
    await page.click('#upload');
    await page.waitForSelector('.error[data-code="AccessDenied"]');
    assert.equal(await page.getAttribute('#upload-progress', 'data-state'), 'failed');
    const box = page.locator('.error[data-code="AccessDenied"]').first();
    assert.equal(await box.locator('.err-message').textContent(), 'Access denied by bucket policy.');
    deniedRequestId = (await box.locator('.err-request-id').textContent()) ?? '';
    assert.match(deniedRequestId, /^[0-9A-F]{24}$/);
    assert.equal(await box.locator('.muted').textContent(), `while calling oss:PutObject on acs:oss:cn-hangzhou:${ACCOUNT_ID}:${BUCKET}/blocked.txt`);
    await shot('11-denied');
    // "Why was this denied?" comes pre-filled with that request.
    await box.locator('.why-link').click();
    await page.waitForSelector('#page-why');
    assert.equal(await page.inputValue('#explain-request-id'), deniedRequestId);
    assert.equal(await page.inputValue('#sim-principal'), 'reader');
    assert.equal(await page.inputValue('#sim-action'), 'oss:PutObject');
    assert.equal(await page.inputValue('#sim-resource'), `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${BUCKET}/blocked.txt`);
    assert.equal(await srv.meta.getObject(BUCKET, 'blocked.txt'), null);
    await signOut();
  });

  it('"why denied?": describing the request highlights the deciding statement', async () => {
    await signIn(AK, SECRET);
    await go('why');
    await page.selectOption('#sim-kind', 'User');
    await page.fill('#sim-principal', 'reader');
    await page.fill('#sim-action', 'oss:PutObject');
    await page.fill('#sim-resource', `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${BUCKET}/blocked.txt`);
    await page.click('#simulate');
    await page.waitForSelector('#decision');
    assert.equal(await page.textContent('#decision'), 'ExplicitDeny');
    const deciding = page.locator('.policy-block[data-policy="reader-policy"] .statement.deciding');
    assert.equal(await deciding.count(), 1);
    assert.equal(await deciding.getAttribute('data-statement'), '1');
    assert.match(await deciding.textContent() ?? '', /"Effect": "Deny"/);
    assert.match(await page.textContent('#simulate-result .reasons') ?? '', /Statement\[1\]/);
    await shot('12-why-describe');
    // An allowed request: the Allow statement decides.
    await page.fill('#sim-action', 'oss:GetObject');
    await page.click('#simulate');
    await page.waitForSelector('#decision:text("Allow")');
    assert.equal(await page.getAttribute('.policy-block[data-policy="reader-policy"] .statement.deciding', 'data-statement'), '0');
  });

  // ExplainRequest comes from branch `ops`; until it is merged this reports TODO, then it runs by itself.
  it('"why denied?": pasting the request id of the denial explains it (ExplainRequest)', async (t) => {
    const probe = await rootPop().request('ExplainRequest', { RequestId: 'probe' }).catch((e: { code?: string }) => e);
    if ((probe as { code?: string }).code === 'InvalidAction.NotFound') {
      t.todo('ExplainRequest (branch ops) is not on this branch yet');
      return;
    }
    await page.fill('#explain-request-id', 'NOSUCHREQUEST0000000000');
    await page.click('#explain');
    await page.waitForSelector('#explain-result .error[data-code="EntityNotExist.Request"]');
    await page.fill('#explain-request-id', deniedRequestId);
    await page.click('#explain');
    await page.waitForSelector(`[data-explained="${deniedRequestId}"]`);
    const shown = await page.textContent('#explain-result') ?? '';
    assert.match(shown, /ExplicitDeny/);
    assert.match(shown, /oss:PutObject/);
    assert.match(shown, /AccessDenied/);
    const deciding = page.locator('#explain-result .statement.deciding');
    assert.equal(await deciding.count(), 1);
    assert.match(await deciding.textContent() ?? '', /"Effect": "Deny"/);
    await shot('13-why-explain');
  });

  it('had no CSP violation, page error or unexpected console error', () => {
    assert.deepEqual(problems, []);
  });
});
