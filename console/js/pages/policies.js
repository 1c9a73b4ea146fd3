// @ts-check
// RAM policies: create with a live-validated editor, versions, attachments to users / groups / roles.
import { pop, ramArn } from '../api.js';
import { dangerButton, fill, field, h, list, notice, options, run, table } from '../dom.js';
import { policyEditor, renderPolicy, template } from '../policy-editor.js';
import { listGroups, listPolicies, listRoles, listUsers } from '../ram.js';

/** @type {Record<string, {param: string, list: () => Promise<any[]>, nameKey: string}>} */
const KINDS = {
  User: { param: 'UserName', list: listUsers, nameKey: 'UserName' },
  Group: { param: 'GroupName', list: listGroups, nameKey: 'GroupName' },
  Role: { param: 'RoleName', list: listRoles, nameKey: 'RoleName' },
};

/** @param {HTMLElement} root */
export async function render(root) {
  const listBox = h('div', { id: 'policy-list' });
  const detail = h('div', { id: 'policy-detail' });

  // create
  const name = h('input', { name: 'PolicyName', required: true, autocomplete: 'off' });
  const desc = h('input', { name: 'Description', autocomplete: 'off' });
  const create = h('button', { type: 'submit', id: 'create-policy' }, 'Create policy');
  const editor = policyEditor({ kind: 'identity', value: template('identity'), onChange: (ok) => { create.disabled = !ok; } });
  const form = h('form', { id: 'create-policy-form' }, h('div', { class: 'inline' }, field('PolicyName', name), field('Description', desc)), field('Policy document', editor.el), create);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!editor.valid) return;
    void run(create, async () => {
      const n = name.value.trim();
      await pop('ram', 'CreatePolicy', { PolicyName: n, Description: desc.value.trim(), PolicyDocument: editor.value }, ramArn('policy', n));
      notice(`Policy ${n} created.`);
      name.value = '';
      desc.value = '';
      await load();
      await show(n, 'Custom');
    });
  });

  const typeFilter = h('select', { name: 'PolicyType', 'aria-label': 'Policy type' }, options(['Custom', 'System'], 'All types'));
  typeFilter.addEventListener('change', () => void run(null, load));
  const load = async () => {
    const policies = await listPolicies(/** @type {'Custom' | 'System' | ''} */ (typeFilter.value));
    fill(listBox, table(
      ['Policy', 'Type', 'Default version', 'Attachments', 'Description', ''],
      policies.map((p) => [
        h('a', { href: '#/policies', class: 'policy-link', 'data-policy': p.PolicyName, onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => show(p.PolicyName, p.PolicyType)); } }, p.PolicyName),
        p.PolicyType, p.DefaultVersion ?? '', String(p.AttachmentCount ?? ''), p.Description ?? '',
        p.PolicyType === 'Custom'
          ? dangerButton('Delete', async () => {
            await pop('ram', 'DeletePolicy', { PolicyName: p.PolicyName }, ramArn('policy', p.PolicyName));
            fill(detail);
            await load();
          }, { 'data-delete-policy': p.PolicyName })
          : '',
      ]),
      'No policies.',
      { id: 'policies-table' },
    ));
  };

  /**
   * @param {string} policyName
   * @param {string} policyType
   */
  const show = async (policyName, policyType) => {
    const arn = ramArn('policy', policyName);
    const got = await pop('ram', 'GetPolicy', { PolicyName: policyName, PolicyType: policyType }, arn);
    const versionsBox = h('div');
    const entitiesBox = h('div');
    const docBox = h('div');
    const custom = policyType === 'Custom';

    const loadVersions = async () => {
      const r = await pop('ram', 'ListPolicyVersions', { PolicyName: policyName, PolicyType: policyType }, arn);
      const versions = list(r, 'PolicyVersions', 'PolicyVersion');
      const def = versions.find((v) => v.IsDefaultVersion);
      fill(docBox, def ? renderPolicy(def.PolicyDocument, []) : '');
      fill(versionsBox, table(
        ['Version', 'Default', 'Created', ''],
        versions.map((v) => [
          h('a', { href: '#/policies', onclick: (/** @type {Event} */ e) => { e.preventDefault(); fill(docBox, h('p', { class: 'muted' }, `Version ${v.VersionId}`), renderPolicy(v.PolicyDocument, [])); } }, v.VersionId),
          v.IsDefaultVersion ? 'default' : '',
          v.CreateDate ?? '',
          custom && !v.IsDefaultVersion
            ? h('span', { class: 'actions' },
              h('button', {
                type: 'button',
                'data-set-default': v.VersionId,
                onclick: (/** @type {Event} */ e) => void run(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
                  await pop('ram', 'SetDefaultPolicyVersion', { PolicyName: policyName, VersionId: v.VersionId }, arn);
                  await loadVersions();
                }),
              }, 'Set as default'),
              dangerButton('Delete', async () => {
                await pop('ram', 'DeletePolicyVersion', { PolicyName: policyName, VersionId: v.VersionId }, arn);
                await loadVersions();
              }, { 'data-delete-version': v.VersionId }))
            : '',
        ]),
        'No versions.',
        { id: 'versions-table' },
      ));
    };

    const loadEntities = async () => {
      const r = await pop('ram', 'ListEntitiesForPolicy', { PolicyName: policyName, PolicyType: policyType }, arn);
      /** @type {Array<[string, string]>} */
      const rows = [
        ...list(r, 'Users', 'User').map((u) => /** @type {[string, string]} */ (['User', u.UserName])),
        ...list(r, 'Groups', 'Group').map((g) => /** @type {[string, string]} */ (['Group', g.GroupName])),
        ...list(r, 'Roles', 'Role').map((x) => /** @type {[string, string]} */ (['Role', x.RoleName])),
      ];
      fill(entitiesBox, table(['Kind', 'Name', ''], rows.map(([kind, who]) => [kind, who,
        dangerButton('Detach', async () => {
          await pop('ram', `DetachPolicyFrom${kind}`, { PolicyName: policyName, PolicyType: policyType, [KINDS[kind].param]: who }, arn);
          await loadEntities();
        }, { 'data-detach': `${kind}:${who}` })]), 'Not attached to anyone.', { id: 'entities-table' }));
    };

    // attach
    const kind = h('select', { name: 'kind', 'aria-label': 'Attach to kind' }, options(['User', 'Group', 'Role']));
    const target = h('select', { name: 'target', 'aria-label': 'Attach to' });
    const fillTargets = async () => {
      const k = kind.value;
      const items = await KINDS[k].list();
      if (k !== kind.value) return; // the kind changed meanwhile; its own refill wins
      const keep = target.value;
      fill(target, options(items.map((x) => x[KINDS[k].nameKey]), `choose a ${k.toLowerCase()}`));
      target.value = keep; // a choice made while the list was loading stays (or '' when gone)
    };
    kind.addEventListener('change', () => void run(null, fillTargets));
    const attach = h('button', { type: 'submit', id: 'attach-policy' }, 'Attach');
    const attachForm = h('form', { class: 'inline', id: 'attach-form' }, field('Kind', kind), field('Name', target), attach);
    attachForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!target.value) return;
      void run(attach, async () => {
        await pop('ram', `AttachPolicyTo${kind.value}`, { PolicyName: policyName, PolicyType: policyType, [KINDS[kind.value].param]: target.value }, arn);
        notice(`${policyName} attached to ${kind.value.toLowerCase()} ${target.value}.`);
        await loadEntities();
      });
    });

    // new version
    /** @type {HTMLElement | null} */
    let versionForm = null;
    if (custom) {
      const setDefault = h('input', { type: 'checkbox', name: 'SetAsDefault', checked: true });
      const add = h('button', { type: 'submit' }, 'Create version');
      const vEditor = policyEditor({ kind: 'identity', value: got.DefaultPolicyVersion?.PolicyDocument ?? template('identity'), onChange: (ok) => { add.disabled = !ok; } });
      versionForm = h('form', { id: 'version-form' }, field('New version', vEditor.el), h('label', { class: 'check' }, setDefault, ' set as default'), add);
      versionForm.addEventListener('submit', (e) => {
        e.preventDefault();
        if (!vEditor.valid) return;
        void run(add, async () => {
          await pop('ram', 'CreatePolicyVersion', { PolicyName: policyName, PolicyDocument: vEditor.value, SetAsDefault: setDefault.checked }, arn);
          notice('Version created.');
          await loadVersions();
        });
      });
    }

    fill(detail, h('div', { class: 'card', 'data-policy-detail': policyName },
      h('h2', {}, `Policy ${policyName}`, ' ', h('span', { class: 'badge' }, policyType)),
      got.Policy?.Description ? h('p', {}, got.Policy.Description) : null,
      h('h3', {}, 'Document (default version)'), docBox,
      h('h3', {}, 'Versions'), versionsBox, versionForm,
      h('h3', {}, 'Attached to'), entitiesBox, attachForm));
    await Promise.all([run(null, loadVersions), run(null, loadEntities), run(null, fillTargets)]);
  };

  fill(root,
    h('h1', {}, 'Policies'),
    h('div', { class: 'card' }, h('h2', {}, 'Create a policy'), form),
    h('div', { class: 'card' }, h('h2', {}, 'Policies'), h('div', { class: 'inline' }, field('Show', typeFilter)), listBox),
    detail);
  await run(null, load);
}
