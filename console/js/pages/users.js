// @ts-check
// RAM users: list / create / delete; per user: AccessKeys (the secret is shown once), groups, policies.
import { pop, ramArn } from '../api.js';
import { dangerButton, fill, field, h, list, notice, run, table } from '../dom.js';
import { listUsers } from '../ram.js';

/** @param {HTMLElement} root */
export async function render(root) {
  const listBox = h('div', { id: 'user-list' });
  const detail = h('div', { id: 'user-detail' });
  const name = h('input', { name: 'UserName', required: true, autocomplete: 'off', placeholder: 'alice' });
  const display = h('input', { name: 'DisplayName', autocomplete: 'off' });
  const create = h('button', { type: 'submit' }, 'Create user');
  const form = h('form', { class: 'inline', id: 'create-user' }, field('UserName', name), field('DisplayName', display), create);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run(create, async () => {
      await pop('ram', 'CreateUser', { UserName: name.value.trim(), DisplayName: display.value.trim() }, ramArn('user', name.value.trim()));
      notice(`User ${name.value.trim()} created.`);
      const created = name.value.trim();
      name.value = '';
      display.value = '';
      await load();
      await showUser(created);
    });
  });

  const load = async () => {
    const users = await listUsers();
    fill(listBox, table(
      ['UserName', 'DisplayName', 'Created', ''],
      users.map((u) => [
        h('a', { href: '#/users', class: 'user-link', 'data-user': u.UserName, onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => showUser(u.UserName)); } }, u.UserName),
        u.DisplayName ?? '',
        u.CreateDate ?? '',
        dangerButton('Delete', async () => {
          await pop('ram', 'DeleteUser', { UserName: u.UserName }, ramArn('user', u.UserName));
          notice(`User ${u.UserName} deleted.`);
          fill(detail);
          await load();
        }, { 'data-delete-user': u.UserName }),
      ]),
      'No RAM users yet.',
      { id: 'users-table' },
    ));
  };

  /** @param {string} userName */
  const showUser = async (userName) => {
    const keysBox = h('div', { class: 'keys' });
    const secretBox = h('div', { class: 'secret-once' });
    const groupsBox = h('div');
    const policiesBox = h('div');
    const loadKeys = async () => {
      const r = await pop('ram', 'ListAccessKeys', { UserName: userName }, ramArn('user', userName));
      fill(keysBox, table(
        ['AccessKeyId', 'Status', 'Created', ''],
        list(r, 'AccessKeys', 'AccessKey').map((k) => [
          h('code', {}, k.AccessKeyId),
          h('span', { class: `status ${k.Status}` }, k.Status),
          k.CreateDate ?? '',
          h('span', { class: 'actions' },
            h('button', {
              type: 'button',
              'data-toggle-key': k.AccessKeyId,
              onclick: (/** @type {Event} */ e) => void run(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
                await pop('ram', 'UpdateAccessKey', { UserName: userName, UserAccessKeyId: k.AccessKeyId, Status: k.Status === 'Active' ? 'Inactive' : 'Active' }, ramArn('user', userName));
                await loadKeys();
              }),
            }, k.Status === 'Active' ? 'Deactivate' : 'Activate'),
            dangerButton('Delete', async () => {
              await pop('ram', 'DeleteAccessKey', { UserName: userName, UserAccessKeyId: k.AccessKeyId }, ramArn('user', userName));
              await loadKeys();
            }, { 'data-delete-key': k.AccessKeyId })),
        ]),
        'No AccessKeys.',
      ));
    };
    const newKey = h('button', {
      type: 'button',
      id: 'create-key',
      onclick: () => void run(newKey, async () => {
        const r = await pop('ram', 'CreateAccessKey', { UserName: userName }, ramArn('user', userName));
        const k = r.AccessKey;
        fill(secretBox,
          h('div', { class: 'warn', role: 'alert' },
            h('strong', {}, 'Save the secret now: it is shown this once and cannot be retrieved later.'),
            h('dl', {},
              h('dt', {}, 'AccessKeyId'), h('dd', {}, h('code', { id: 'new-key-id' }, k.AccessKeyId)),
              h('dt', {}, 'AccessKeySecret'), h('dd', {}, h('code', { id: 'new-key-secret' }, k.AccessKeySecret))),
            h('button', { type: 'button', onclick: () => fill(secretBox) }, 'I have saved it — hide')));
        await loadKeys();
      }),
    }, 'Create AccessKey');
    const loadGroups = async () => {
      const r = await pop('ram', 'ListGroupsForUser', { UserName: userName }, ramArn('user', userName));
      fill(groupsBox, table(['Group', 'Joined'], list(r, 'Groups', 'Group').map((g) => [g.GroupName, g.JoinDate ?? '']), 'Not in any group.'));
    };
    const loadPolicies = async () => {
      const r = await pop('ram', 'ListPoliciesForUser', { UserName: userName }, ramArn('user', userName));
      fill(policiesBox, table(
        ['Policy', 'Type', 'Attached', ''],
        list(r, 'Policies', 'Policy').map((p) => [p.PolicyName, p.PolicyType, p.AttachDate ?? '',
          dangerButton('Detach', async () => {
            await pop('ram', 'DetachPolicyFromUser', { UserName: userName, PolicyName: p.PolicyName, PolicyType: p.PolicyType }, ramArn('user', userName));
            await loadPolicies();
          })]),
        'No policies attached (attach them on the Policies page).',
      ));
    };
    fill(detail,
      h('div', { class: 'card', 'data-user-detail': userName },
        h('h2', {}, `User ${userName}`),
        h('p', { class: 'muted' }, h('code', {}, ramArn('user', userName))),
        h('h3', {}, 'AccessKeys'), newKey, secretBox, keysBox,
        h('h3', {}, 'Groups'), groupsBox,
        h('h3', {}, 'Policies'), policiesBox));
    await Promise.all([
      run(null, loadKeys),
      run(null, loadGroups),
      run(null, loadPolicies),
    ]);
  };

  fill(root, h('h1', {}, 'RAM users'), h('div', { class: 'card' }, h('h2', {}, 'Create a user'), form), h('div', { class: 'card' }, h('h2', {}, 'Users'), listBox), detail);
  await run(null, load);
}
