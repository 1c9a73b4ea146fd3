// The console's RAM-user sign-in form in headless Chromium (docs/console.md): logon name + password, the MFA
// code step, the forced new password, then the console acting as that user; the accounts and identity
// providers page as that user (providers allowed, accounts not) and as the operator. Fails on any CSP
// violation or page error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from './helpers/browser.js';
import { ims } from './helpers/federation.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { totp } from './helpers/totp.js';

const PASSWORD = 'Browser-Pass-1';
const NEW_PASSWORD = 'Browser-Pass-2';

const stepNow = () => Math.floor(Date.now() / 30_000);

describe('console sign-in form in Chromium', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  let seed = '';
  let tenant = '';
  const problems: string[] = [];
  const shot = async (name: string) => page.screenshot({ path: await screenshotPath('console-signin', name), fullPage: true });

  before(async () => {
    srv = await startTestServer();
    const ram = new Ram(srv);
    await ram.call('CreateUser', { UserName: 'ursula' });
    await ram.call('CreateLoginProfile', { UserName: 'ursula', Password: PASSWORD, PasswordResetRequired: true });
    await ram.call('CreatePolicy', { PolicyName: 'providers-read', PolicyDocument: policyDoc({ Effect: 'Allow', Action: ['ram:ListOIDCProviders', 'ram:ListSAMLProviders'], Resource: '*' }) });
    await ram.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'providers-read', UserName: 'ursula' });
    const dev = await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'ursula-phone' });
    seed = dev.VirtualMFADevice.Base32StringSeed as string;
    // Past steps, so the current one stays free for the sign-in below. The server takes pairs up to two steps
    // old: if a 30 s boundary passes between here and its check (a busy machine), bind again with new codes.
    const bind = (s: number) => ram.call('BindMFADevice', { UserName: 'ursula', SerialNumber: dev.VirtualMFADevice.SerialNumber, AuthenticationCode1: totp(seed, s - 2), AuthenticationCode2: totp(seed, s - 1) });
    await bind(stepNow()).catch(() => bind(stepNow()));
    await ram.call('CreateUser', { UserName: 'vera' });
    await ram.call('CreateLoginProfile', { UserName: 'vera', Password: PASSWORD, MFABindRequired: true });
    tenant = (await srv.accounts.create({ name: 'tenant-b' })).accountId;
    await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: 'corp-idp', IssuerUrl: 'https://idp.corp.example', ClientIds: 'console', Fingerprints: 'AB'.repeat(20) });

    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
      problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} in ${e.documentURI} at ${e.sourceFile}:${e.lineNumber} sample ${JSON.stringify(e.sample)}`));
    });
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('refuses a wrong password with the uniform answer', async () => {
    await page.goto(`${srv.url}/-/console/`);
    await page.waitForSelector('#user-sign-in');
    await page.fill('#user-sign-in input[name=logonName]', `ursula@${ACCOUNT_ID}.onaliyun.com`);
    await page.fill('#user-sign-in input[name=password]', 'Wrong-Pass-9');
    await page.click('#user-sign-in button[type=submit]');
    await page.waitForSelector('.error');
    assert.equal(await page.textContent('.error .err-code'), 'SignInFailed');
  });

  it('signs in with password, MFA code and a new password, then acts as the user', async () => {
    await page.fill('#user-sign-in input[name=password]', PASSWORD);
    await page.click('#user-sign-in button[type=submit]');
    await page.waitForSelector('input[name=mfaCode]');
    await shot('01-mfa-step');
    await page.fill('input[name=mfaCode]', totp(seed, stepNow()));
    await page.click('#mfa-submit');
    await page.waitForSelector('input[name=newPassword]');
    await page.fill('input[name=newPassword]', NEW_PASSWORD);
    await page.fill('input[name=newPassword2]', NEW_PASSWORD);
    await page.click('#new-password-submit');
    await page.waitForSelector('#whoami');
    assert.equal(await page.textContent('#whoami'), `acs:ram::${ACCOUNT_ID}:user/ursula`);
    assert.match(await page.textContent('#who .expiry') ?? '', /session expires in/);
    const stored = await page.evaluate(() => JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage }, c: document.cookie }));
    assert.equal(stored, '{"l":{},"s":{},"c":""}');
    // The server holds the new password now.
    const r = await fetch(`${srv.url}/-/console/api/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logonName: 'ursula', password: NEW_PASSWORD }) });
    assert.equal(((await r.json()) as { Status: string }).Status, 'MFARequired');
  });

  it('binds an MFA device at sign-in when the profile requires one', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#user-sign-in');
    await page.fill('#user-sign-in input[name=logonName]', 'vera');
    await page.fill('#user-sign-in input[name=password]', PASSWORD);
    await page.click('#user-sign-in button[type=submit]');
    await page.waitForSelector('#mfa-seed');
    const veraSeed = (await page.textContent('#mfa-seed')) ?? '';
    assert.match(veraSeed, /^[A-Z2-7]{32}$/);
    assert.match(await page.textContent('#mfa-uri') ?? '', /^otpauth:\/\/totp\//);
    await shot('02-mfa-bind');
    const s = stepNow();
    await page.fill('input[name=mfaCode1]', totp(veraSeed, s - 1));
    await page.fill('input[name=mfaCode2]', totp(veraSeed, s));
    await page.click('#mfa-bind-submit');
    await page.waitForSelector('#whoami');
    assert.equal(await page.textContent('#whoami'), `acs:ram::${ACCOUNT_ID}:user/vera`);
    await page.click('#sign-out');
    await page.waitForSelector('#user-sign-in');
    // Back to ursula for the next step.
    await page.fill('#user-sign-in input[name=logonName]', 'ursula');
    await page.fill('#user-sign-in input[name=password]', NEW_PASSWORD);
    await page.click('#user-sign-in button[type=submit]');
    await page.waitForSelector('input[name=mfaCode]');
    await page.fill('input[name=mfaCode]', totp(seed, stepNow() + 1));
    await page.click('#mfa-submit');
    await page.waitForSelector('#whoami');
  });

  it('shows the account\'s identity providers to the user, and no accounts', async () => {
    await page.click('#nav a[href="#/providers"]');
    await page.waitForSelector('#oidc-table');
    assert.match(await page.textContent('#oidc-table') ?? '', /corp-idp/);
    assert.match(await page.textContent('#oidc-table') ?? '', /https:\/\/idp\.corp\.example/);
    assert.match(await page.textContent('#accounts-list') ?? '', /Only the server's own account root/);
    await shot('03-providers-as-user');
  });

  it('shows the server\'s accounts to the operator', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in');
    await page.fill('input[name=accessKeyId]', AK);
    await page.fill('input[name=accessKeySecret]', SECRET);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#whoami');
    await page.click('#nav a[href="#/providers"]');
    await page.waitForSelector('#accounts-table');
    const accounts = await page.textContent('#accounts-table') ?? '';
    assert.match(accounts, new RegExp(ACCOUNT_ID));
    assert.match(accounts, new RegExp(`${tenant}.*tenant-b`));
    assert.match(await page.textContent('#oidc-table') ?? '', /corp-idp/);
    await shot('04-providers-as-operator');
    assert.deepEqual(problems, []);
  });
});
