// @ts-check
// Boot, sign-in / sign-out and hash routing (#/users, #/policies, …).
import { current, onSessionChange, signIn, signInStep, signOut } from './api.js';
import { clearMessages, copyButton, countdown, fill, field, h, leavePage, onLeave, report, run } from './dom.js';
import * as buckets from './pages/buckets.js';
import * as groups from './pages/groups.js';
import * as policies from './pages/policies.js';
import * as providers from './pages/providers.js';
import * as roles from './pages/roles.js';
import * as sts from './pages/sts.js';
import * as users from './pages/users.js';
import * as why from './pages/why.js';

/** @type {Record<string, {title: string, render: (main: HTMLElement) => Promise<void>}>} */
const PAGES = {
  users: { title: 'Users', render: users.render },
  groups: { title: 'Groups', render: groups.render },
  roles: { title: 'Roles', render: roles.render },
  policies: { title: 'Policies', render: policies.render },
  buckets: { title: 'Buckets', render: buckets.render },
  sts: { title: 'STS playground', render: sts.render },
  why: { title: 'Why denied?', render: why.render },
  providers: { title: 'Accounts and providers', render: providers.render },
};

/** The page after sign-in: Buckets, which every principal can use (or open a bucket by name) without RAM rights. */
const LANDING = 'buckets';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const who = /** @type {HTMLElement} */ (document.getElementById('who'));
/** @type {ReturnType<typeof setInterval> | undefined} */
let whoTimer;

function signInPage() {
  const ak = h('input', { name: 'accessKeyId', autocomplete: 'off', spellcheck: 'false', required: true });
  const secret = h('input', { name: 'accessKeySecret', type: 'password', autocomplete: 'off', required: true });
  const token = h('textarea', { name: 'securityToken', rows: 3, autocomplete: 'off', spellcheck: 'false' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const devBox = h('div', { id: 'dev-keys' });
  const form = h(
    'form',
    { class: 'card narrow', id: 'sign-in' },
    h('h1', {}, 'Sign in with an AccessKey'),
    devBox,
    h('p', {}, 'Use an AccessKey pair: the account root\'s, a RAM user\'s, or STS credentials (with their SecurityToken). The console acts as that principal, with exactly its permissions.'),
    field('AccessKeyId', ak),
    field('AccessKeySecret', secret),
    field('SecurityToken (STS credentials only)', token),
    submit,
    // The page's footer says where the secret is kept (memory only): said once, not twice on this page.
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run(submit, async () => {
      const tok = token.value.trim();
      await signIn({ accessKeyId: ak.value.trim(), accessKeySecret: secret.value.trim(), ...(tok ? { securityToken: tok } : {}) });
      secret.value = '';
      token.value = '';
      landed();
    });
  });
  fill(main, userSignInForm(), form);
  void offerDevKeys(devBox);
}

/**
 * A RAM user's sign-in (docs/console.md): logon name and password, then a TOTP code when the user has an MFA
 * device, then a new password when the profile requires one. The server answers with credentials that act as
 * the user; like AccessKeys they stay in this page's memory only. The password is kept in this closure only
 * until the last step (ChangePassword needs the old one), then dropped.
 */
function userSignInForm() {
  const logon = h('input', { name: 'logonName', autocomplete: 'username', spellcheck: 'false', required: true, placeholder: 'user@<account alias or id>.onaliyun.com' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const step = h('div', { id: 'sign-in-step' });
  const form = h('form', { class: 'card narrow', id: 'user-sign-in' },
    h('h1', {}, 'Sign in as a RAM user'),
    h('p', {}, 'Your logon name is ', h('code', {}, 'user@<account alias or id>.onaliyun.com'), ' (the bare user name for this server\'s own account).'),
    field('Logon name', logon),
    field('Password', password),
    submit,
    step);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const pw = password.value;
    void run(submit, async () => next(await signInStep('', { logonName: logon.value.trim(), password: pw }), pw));
  });
  /**
   * @param {import('./api.js').SignInStep} r
   * @param {string} pw
   */
  const next = async (r, pw) => {
    if (r.Status === 'OK') {
      const c = r.Credentials;
      password.value = '';
      await signIn({ accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken }, Date.parse(c.Expiration));
      landed();
      return;
    }
    const ticket = r.Ticket;
    if (r.Status === 'MFARequired') {
      const code = h('input', { name: 'mfaCode', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, required: true });
      const go = h('button', { type: 'button', id: 'mfa-submit' }, 'Verify');
      const verify = () => void run(go, async () => next(await signInStep('/mfa', { ticket, code: code.value.trim() }), pw));
      go.addEventListener('click', verify);
      code.addEventListener('keydown', (/** @type {KeyboardEvent} */ ev) => { if (ev.key === 'Enter') { ev.preventDefault(); verify(); } });
      fill(step, h('div', { class: 'card sub' }, h('p', {}, 'Enter the 6-digit code of your MFA device.'), field('MFA code', code), go));
      code.focus();
      return;
    }
    if (r.Status === 'MFABindRequired') {
      const code1 = h('input', { name: 'mfaCode1', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, required: true });
      const code2 = h('input', { name: 'mfaCode2', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, required: true });
      const go = h('button', { type: 'button', id: 'mfa-bind-submit' }, 'Bind and sign in');
      go.addEventListener('click', () => void run(go, async () => next(await signInStep('/bind-mfa', { ticket, code1: code1.value.trim(), code2: code2.value.trim() }), pw)));
      fill(step, h('div', { class: 'card sub' },
        h('p', {}, 'Your account requires an MFA device. Add this key to your authenticator app (TOTP, 6 digits, 30 seconds), then enter two consecutive codes.'),
        h('p', {}, 'Key: ', h('code', { id: 'mfa-seed' }, r.Base32StringSeed), ' ', copyButton('Copy', () => r.Base32StringSeed, 'MFA key')),
        h('p', {}, 'Or the URI: ', h('code', { id: 'mfa-uri' }, r.QRCodeUri), ' ', copyButton('Copy', () => r.QRCodeUri, 'MFA URI')),
        h('p', { class: 'muted' }, 'Device: ', h('code', {}, r.SerialNumber)),
        h('div', { class: 'inline' }, field('First code', code1), field('Next code', code2)),
        go));
      code1.focus();
      return;
    }
    const first = h('input', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true });
    const again = h('input', { name: 'newPassword2', type: 'password', autocomplete: 'new-password', required: true });
    const go = h('button', { type: 'button', id: 'new-password-submit' }, 'Set password and sign in');
    go.addEventListener('click', () => void run(go, async () => {
      if (first.value !== again.value) throw new Error('The two new passwords differ.');
      await next(await signInStep('/password', { ticket, oldPassword: pw, newPassword: first.value }), pw);
    }));
    fill(step, h('div', { class: 'card sub' }, h('p', {}, 'Your password must be changed before you go on.'), field('New password', first), field('New password again', again), go));
    first.focus();
  };
  queueMicrotask(() => logon.focus());
  return form;
}

/** After signing in: the page asked for, else the landing page (Buckets: every principal has some use for it). */
function landed() {
  if (location.hash === '' || location.hash === '#/') location.hash = `#/${LANDING}`;
  else void route();
}

/**
 * A one-click sign-in, when the server says it runs with its well-known development keys (it tells
 * nothing otherwise). The keys still live in this page's memory only.
 * @param {HTMLElement} box
 */
async function offerDevKeys(box) {
  /** @type {{devKeys?: boolean, accessKeyId?: string, accessKeySecret?: string}} */
  let config;
  try {
    const res = await fetch('config', { credentials: 'omit', cache: 'no-store' });
    if (!res.ok) return;
    config = await res.json();
  } catch {
    return; // an older server without the config: the form is all there is
  }
  const { accessKeyId, accessKeySecret } = config;
  if (config.devKeys !== true || !accessKeyId || !accessKeySecret) return;
  const btn = h('button', { type: 'button', id: 'dev-sign-in', onclick: () => void run(btn, async () => {
    await signIn({ accessKeyId, accessKeySecret });
    landed();
  }) }, 'Sign in with the development keys');
  fill(box, h('div', { class: 'card sub dev' },
    h('p', {}, 'This server runs with its well-known development keys (', h('code', {}, accessKeyId), ', the account root). They are printed at start and are not secret.'),
    btn));
}

function renderWho() {
  clearInterval(whoTimer);
  const s = current();
  nav.hidden = s === null;
  if (!s) {
    fill(who);
    return;
  }
  const expiry = h('span', { class: 'expiry' });
  const tick = () => {
    if (s.expiration !== undefined) expiry.textContent = ` · session expires in ${countdown(s.expiration)}`;
  };
  tick();
  if (s.expiration !== undefined) whoTimer = setInterval(tick, 1000);
  fill(
    who,
    h('span', { class: 'identity', title: s.identity.Arn }, h('span', { class: 'badge' }, s.identity.IdentityType), ' ', h('code', { id: 'whoami' }, s.identity.Arn)),
    expiry,
    ' ',
    // The address goes back to #/ without a hash change: signing out routes once (onSessionChange), where a hash
    // change routed again and its second, empty sign-in form could replace the one being filled in.
    h('button', { type: 'button', id: 'sign-out', onclick: () => { history.replaceState(null, '', '#/'); signOut(); } }, 'Sign out'),
  );
}

async function route() {
  leavePage();
  clearMessages();
  if (!current()) {
    signInPage();
    return;
  }
  const asked = location.hash.replace(/^#\/?/, '').split('/')[0] || LANDING;
  const name = PAGES[asked] ? asked : LANDING;
  const page = PAGES[name];
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.getAttribute('href') === `#/${name}`);
  document.title = `${page.title} · Alunite console`;
  fill(main, h('p', { class: 'muted' }, 'Loading…'));
  let alive = true;
  onLeave(() => { alive = false; });
  const section = h('section', { class: 'page', id: `page-${name}` });
  try {
    await page.render(section);
  } catch (e) {
    report(e);
  } finally {
    if (alive) fill(main, section);
  }
}

onSessionChange(() => {
  renderWho();
  if (!current()) void route();
});
window.addEventListener('hashchange', () => void route());
renderWho();
void route();
