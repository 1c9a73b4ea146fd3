// @ts-check
// STS playground: AssumeRole as the signed-in principal, the credentials with a live expiry countdown,
// and a button to continue the console as that role session.
import { current, pop, signIn } from '../api.js';
import { countdown, fill, field, h, notice, onLeave, options, run } from '../dom.js';
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
  const form = h('form', { id: 'assume-form' },
    h('div', { class: 'inline' }, field('Role', role), field('or RoleArn', roleArn)),
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
      fill(out, h('div', { class: 'card sub' },
        h('h3', {}, 'Credentials'),
        h('p', {}, h('code', { id: 'sts-arn' }, r.AssumedRoleUser.Arn)),
        h('dl', { class: 'creds' },
          h('dt', {}, 'AccessKeyId'), h('dd', {}, h('code', { id: 'sts-ak' }, c.AccessKeyId)),
          h('dt', {}, 'AccessKeySecret'), h('dd', {}, h('code', { id: 'sts-secret' }, c.AccessKeySecret)),
          h('dt', {}, 'SecurityToken'), h('dd', {}, h('code', { id: 'sts-token', class: 'token' }, c.SecurityToken)),
          h('dt', {}, 'Expiration'), h('dd', {}, c.Expiration, ' · expires in ', left)),
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
  // Listing roles needs ram:ListRoles; without it, type the RoleArn.
  await run(null, async () => {
    const roles = await listRoles();
    fill(role, options(roles.map((r) => r.Arn), 'choose a role'));
  });
}
