// @ts-check
// RAM groups: create / delete, members, attached policies.
import { pop, ramArn } from '../api.js';
import { dangerButton, fill, field, h, list, notice, options, run, table } from '../dom.js';
import { listAll, listGroups, listUsers } from '../ram.js';

/** @param {HTMLElement} root */
export async function render(root) {
  const listBox = h('div', { id: 'group-list' });
  const detail = h('div', { id: 'group-detail' });
  const name = h('input', { name: 'GroupName', required: true, autocomplete: 'off' });
  const comments = h('input', { name: 'Comments', autocomplete: 'off' });
  const create = h('button', { type: 'submit' }, 'Create group');
  const form = h('form', { class: 'inline', id: 'create-group' }, field('GroupName', name), field('Comments', comments), create);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run(create, async () => {
      const n = name.value.trim();
      await pop('ram', 'CreateGroup', { GroupName: n, Comments: comments.value.trim() }, ramArn('group', n));
      notice(`Group ${n} created.`);
      name.value = '';
      comments.value = '';
      await load();
      await show(n);
    });
  });

  const load = async () => {
    const groups = await listGroups();
    fill(listBox, table(['Group', 'Comments', 'Created', ''], groups.map((g) => [
      h('a', { href: '#/groups', 'data-group': g.GroupName, onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => show(g.GroupName)); } }, g.GroupName),
      g.Comments ?? '', g.CreateDate ?? '',
      dangerButton('Delete', async () => {
        await pop('ram', 'DeleteGroup', { GroupName: g.GroupName }, ramArn('group', g.GroupName));
        fill(detail);
        await load();
      }, { 'data-delete-group': g.GroupName }),
    ]), 'No groups yet.', { id: 'groups-table' }));
  };

  /** @param {string} groupName */
  const show = async (groupName) => {
    const arn = ramArn('group', groupName);
    const membersBox = h('div');
    const policiesBox = h('div');
    const loadMembers = async () => {
      const members = await listAll('ListUsersForGroup', 'Users', 'User', { GroupName: groupName }, arn);
      fill(membersBox, table(['User', 'Joined', ''], members.map((m) => [m.UserName, m.JoinDate ?? '',
        dangerButton('Remove', async () => {
          await pop('ram', 'RemoveUserFromGroup', { GroupName: groupName, UserName: m.UserName }, arn);
          await loadMembers();
        }, { 'data-remove-member': m.UserName })]), 'No members.', { id: 'members-table' }));
    };
    const loadPolicies = async () => {
      const r = await pop('ram', 'ListPoliciesForGroup', { GroupName: groupName }, arn);
      fill(policiesBox, table(['Policy', 'Type', ''], list(r, 'Policies', 'Policy').map((p) => [p.PolicyName, p.PolicyType,
        dangerButton('Detach', async () => {
          await pop('ram', 'DetachPolicyFromGroup', { GroupName: groupName, PolicyName: p.PolicyName, PolicyType: p.PolicyType }, arn);
          await loadPolicies();
        })]), 'No policies attached (attach them on the Policies page).'));
    };
    const user = h('select', { name: 'UserName', 'aria-label': 'User to add' });
    const add = h('button', { type: 'submit' }, 'Add member');
    const addForm = h('form', { class: 'inline', id: 'add-member' }, field('User', user), add);
    addForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!user.value) return;
      void run(add, async () => {
        await pop('ram', 'AddUserToGroup', { GroupName: groupName, UserName: user.value }, arn);
        await loadMembers();
      });
    });
    fill(detail, h('div', { class: 'card', 'data-group-detail': groupName },
      h('h2', {}, `Group ${groupName}`),
      h('h3', {}, 'Members'), membersBox, addForm,
      h('h3', {}, 'Policies'), policiesBox));
    await Promise.all([
      run(null, loadMembers),
      run(null, loadPolicies),
      run(null, async () => fill(user, options((await listUsers()).map((u) => u.UserName), 'choose a user'))),
    ]);
  };

  fill(root, h('h1', {}, 'RAM groups'), h('div', { class: 'card' }, h('h2', {}, 'Create a group'), form), h('div', { class: 'card' }, h('h2', {}, 'Groups'), listBox), detail);
  await run(null, load);
}
