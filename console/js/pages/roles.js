// @ts-check
// RAM roles: create with a trust-policy editor and a max session duration, delete, attached policies.
import { current, pop, ramArn } from '../api.js';
import { dangerButton, fill, field, h, list, notice, run, table } from '../dom.js';
import { policyEditor, renderPolicy, template } from '../policy-editor.js';
import { listRoles } from '../ram.js';

/** @param {HTMLElement} root */
export async function render(root) {
  const listBox = h('div', { id: 'role-list' });
  const detail = h('div', { id: 'role-detail' });
  const name = h('input', { name: 'RoleName', required: true, autocomplete: 'off' });
  const desc = h('input', { name: 'Description', autocomplete: 'off' });
  const maxDuration = h('input', { name: 'MaxSessionDuration', type: 'number', min: 3600, max: 43200, step: 60, value: 3600 });
  const create = h('button', { type: 'submit', id: 'create-role' }, 'Create role');
  const trust = policyEditor({ kind: 'trust', value: template('trust', current()?.identity.AccountId), rows: 10, onChange: (ok) => { create.disabled = !ok; } });
  const form = h('form', { id: 'create-role-form' },
    h('div', { class: 'inline' }, field('RoleName', name), field('Description', desc), field('Max session duration (s)', maxDuration, '3600–43200')),
    field('Trust policy (who may assume the role)', trust.el),
    create);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!trust.valid) return;
    void run(create, async () => {
      const n = name.value.trim();
      await pop('ram', 'CreateRole', { RoleName: n, Description: desc.value.trim(), AssumeRolePolicyDocument: trust.value, MaxSessionDuration: maxDuration.value }, ramArn('role', n));
      notice(`Role ${n} created.`);
      name.value = '';
      desc.value = '';
      await load();
      await show(n);
    });
  });

  const load = async () => {
    const roles = await listRoles();
    fill(listBox, table(['Role', 'Arn', 'Max session', 'Description', ''], roles.map((r) => [
      h('a', { href: '#/roles', 'data-role': r.RoleName, onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => show(r.RoleName)); } }, r.RoleName),
      h('code', {}, r.Arn), `${r.MaxSessionDuration ?? ''} s`, r.Description ?? '',
      dangerButton('Delete', async () => {
        await pop('ram', 'DeleteRole', { RoleName: r.RoleName }, ramArn('role', r.RoleName));
        fill(detail);
        await load();
      }, { 'data-delete-role': r.RoleName }),
    ]), 'No roles yet.', { id: 'roles-table' }));
  };

  /** @param {string} roleName */
  const show = async (roleName) => {
    const arn = ramArn('role', roleName);
    const r = await pop('ram', 'GetRole', { RoleName: roleName }, arn);
    const policiesBox = h('div');
    const loadPolicies = async () => {
      const p = await pop('ram', 'ListPoliciesForRole', { RoleName: roleName }, arn);
      fill(policiesBox, table(['Policy', 'Type', ''], list(p, 'Policies', 'Policy').map((x) => [x.PolicyName, x.PolicyType,
        dangerButton('Detach', async () => {
          await pop('ram', 'DetachPolicyFromRole', { RoleName: roleName, PolicyName: x.PolicyName, PolicyType: x.PolicyType }, arn);
          await loadPolicies();
        })]), 'No policies attached (attach them on the Policies page).'));
    };
    fill(detail, h('div', { class: 'card', 'data-role-detail': roleName },
      h('h2', {}, `Role ${roleName}`),
      h('p', {}, h('code', {}, r.Role.Arn), ` · max session ${r.Role.MaxSessionDuration} s`),
      h('h3', {}, 'Trust policy'), renderPolicy(r.Role.AssumeRolePolicyDocument ?? '', []),
      h('h3', {}, 'Policies'), policiesBox,
      h('p', {}, h('a', { href: '#/sts' }, 'Assume this role in the STS playground'))));
    await run(null, loadPolicies);
  };

  fill(root, h('h1', {}, 'RAM roles'), h('div', { class: 'card' }, h('h2', {}, 'Create a role'), form), h('div', { class: 'card' }, h('h2', {}, 'Roles'), listBox), detail);
  await run(null, load);
}
