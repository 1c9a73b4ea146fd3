// @ts-check
// STS playground: AssumeRole as the signed-in principal, the credentials with a live expiry countdown,
// copy / export buttons (shell lines, JSON), and a button to continue the console as that role session.
import { current, pop, signIn } from '../api.js';
import { copyButton, countdown, fill, field, h, notice, onLeave, options, run } from '../dom.js';
import { policyEditor } from '../policy-editor.js';
import { listRoles } from '../ram.js';

/** @param {HTMLElement} root */
export async function render(root) {
  const role = h('select', { name: 'RoleArn', 'aria-label': 'Role', id: 'sts-role' });
  const roleArn = h('input', { name: 'RoleArnText', class: 'wide', autocomplete: 'off', placeholder: 'acs:ram::<account>:role/<name>', id: 'sts-role-arn' });
  role.addEventListener('change', () => { roleArn.value = role.value; });
  const session = h('input', { name: 'RoleSessionName', value: 'console', autocomplete: 'off', id: 'sts-session-name' });
  const duration = h('input', { name: 'DurationSeconds', type: 'number', min: 900, max: 43200, step: 60, value: 3600, id: 'sts-duration' });
  const assume = h('button', { type: 'submit', id: 'assume-role' }, 'AssumeRole');
  const policy = policyEditor({ kind: 'session', optional: true, rows: 8, name: 'session-policy', onChange: (ok) => { assume.disabled = !ok; } });
  const out = h('div', { id: 'sts-result' });
  const roleHint = h('div', { id: 'sts-role-hint' });
  const form = h('form', { id: 'assume-form' },
    h('div', { class: 'inline' }, field('Role', role), field('or RoleArn', roleArn)),
    roleHint,
    h('div', { class: 'inline' }, field('RoleSessionName', session), field('DurationSeconds', duration, '900 up to the role\'s max session duration')),
    field('Session policy (optional; narrows the role\'s permissions)', policy.el),
    assume);
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  onLeave(() => clearInterval(timer));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!policy.valid) return;
    void run(assume, async () => {
      const r = await pop('sts', 'AssumeRole', {
        RoleArn: roleArn.value.trim(),
        RoleSessionName: session.value.trim(),
        DurationSeconds: duration.value,
        Policy: policy.value.trim(),
      }, roleArn.value.trim());
      const c = r.Credentials;
      const expiration = Date.parse(c.Expiration);
      const left = h('strong', { id: 'sts-countdown' });
      clearInterval(timer);
      const tick = () => { left.textContent = countdown(expiration); };
      tick();
      timer = setInterval(tick, 1000);
      const cont = h('button', { type: 'button', id: 'continue-as-session', onclick: () => void run(cont, async () => {
        clearInterval(timer);
        await signIn({ accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken }, expiration);
        notice(`You are now ${r.AssumedRoleUser.Arn}.`);
        location.hash = '#/buckets';
      }) }, 'Continue the console as this session');
      const shell = exportShell(c);
      const json = exportJson(c);
      const copy = (/** @type {string} */ field, /** @type {string} */ value) => copyButton('Copy', () => value, field, { 'data-copy': field, 'aria-label': `Copy ${field}` });
      fill(out, h('div', { class: 'card sub' },
        h('h3', {}, 'Credentials'),
        h('p', {}, h('code', { id: 'sts-arn' }, r.AssumedRoleUser.Arn)),
        h('dl', { class: 'creds' },
          h('dt', {}, 'AccessKeyId'), h('dd', {}, h('code', { id: 'sts-ak' }, c.AccessKeyId), ' ', copy('AccessKeyId', c.AccessKeyId)),
          h('dt', {}, 'AccessKeySecret'), h('dd', {}, h('code', { id: 'sts-secret' }, c.AccessKeySecret), ' ', copy('AccessKeySecret', c.AccessKeySecret)),
          h('dt', {}, 'SecurityToken'), h('dd', {}, h('code', { id: 'sts-token', class: 'token' }, c.SecurityToken), ' ', copy('SecurityToken', c.SecurityToken)),
          h('dt', {}, 'Expiration'), h('dd', {}, c.Expiration, ' · expires in ', left)),
        h('h3', {}, 'Export'),
        h('p', { class: 'muted' }, 'For a shell (eval or paste; the Alibaba Cloud SDKs and the alunite CLI read these variables) or as JSON.'),
        h('pre', { class: 'export', id: 'sts-export-shell' }, shell),
        h('div', { class: 'actions' },
          copyButton('Copy as shell exports', () => shell, 'Shell exports', { id: 'copy-shell' }),
          copyButton('Copy as JSON', () => json, 'JSON credentials', { id: 'copy-json' })),
        h('pre', { class: 'export', id: 'sts-export-json' }, json),
        cont));
    });
  });

  fill(root,
    h('h1', {}, 'STS playground'),
    h('p', { class: 'muted' }, `AssumeRole as ${current()?.identity.Arn ?? ''}. The role's trust policy must admit you, and your own policies must allow sts:AssumeRole.`),
    current()?.identity.IdentityType === 'Account'
      ? h('p', { class: 'warn' }, 'The account root cannot assume roles (as in Alibaba Cloud): sign in as a RAM user with sts:AssumeRole to use the playground.')
      : null,
    h('div', { class: 'card' }, form),
    out);
  // Listing roles needs ram:ListRoles; without it (quietly) or without any role, say what is needed.
  /** @type {string[]} */
  let arns = [];
  /** @type {string} */
  let why = '';
  try {
    arns = (await listRoles({ quiet: true })).map((r) => r.Arn);
  } catch (e) {
    why = e instanceof Error && 'code' in e ? String(e.code) : String(e);
  }
  fill(role, options(arns, arns.length > 0 ? 'choose a role' : 'no role to choose'));
  if (arns.length === 0) {
    const me = current()?.identity.Arn ?? 'you';
    fill(roleHint, h('div', { class: 'warn', id: 'sts-no-roles' },
      h('p', {}, why
        ? `The roles cannot be listed for you (ListRoles: ${why}), so type the RoleArn above.`
        : 'There is no role in this account yet.'),
      h('p', {}, 'To assume a role you need:'),
      h('ul', {},
        h('li', {}, 'a role whose trust policy admits you (', h('code', {}, me), ', or your account root ', h('code', {}, `acs:ram::${current()?.identity.AccountId ?? '<account>'}:root`), ', which admits all its RAM users);'),
        h('li', {}, 'sts:AssumeRole allowed to you by your own policies (e.g. the system policy AliyunSTSAssumeRoleAccess), on that role\'s ARN.')),
      h('p', { class: 'muted' }, 'The account root creates roles on the Roles page; listing them here needs ram:ListRoles (e.g. AliyunRAMReadOnlyAccess).')));
  }
}

/**
 * @param {string} v
 */
function shellQuote(v) {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * `export` lines for the credentials: the Alibaba Cloud SDKs' variables and the alunite CLI's.
 * @param {{AccessKeyId: string, AccessKeySecret: string, SecurityToken: string, Expiration: string}} c
 */
export function exportShell(c) {
  return [
    ['ALIBABA_CLOUD_ACCESS_KEY_ID', c.AccessKeyId],
    ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', c.AccessKeySecret],
    ['ALIBABA_CLOUD_SECURITY_TOKEN', c.SecurityToken],
    ['ALUNITE_ENDPOINT', location.origin],
    ['ALUNITE_ACCESS_KEY_ID', c.AccessKeyId],
    ['ALUNITE_ACCESS_KEY_SECRET', c.AccessKeySecret],
    ['ALUNITE_SECURITY_TOKEN', c.SecurityToken],
  ].map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n') + `\n# expires ${c.Expiration}\n`;
}

/**
 * @param {{AccessKeyId: string, AccessKeySecret: string, SecurityToken: string, Expiration: string}} c
 */
export function exportJson(c) {
  return `${JSON.stringify({ AccessKeyId: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken, Expiration: c.Expiration }, null, 2)}\n`;
}
