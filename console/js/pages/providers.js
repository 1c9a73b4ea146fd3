// @ts-check
// Accounts and identity providers (docs/console.md): the server's accounts for the operator (the default
// account's root, GET /-/accounts), and the OIDC and SAML providers of the signed-in principal's account
// (IMS 2019-08-15 on the POP endpoint: whoever its policies allow ims:List*), with delete for those allowed.
import { ApiError, current, listAccounts, pop } from '../api.js';
import { dangerButton, fill, h, list, run, table } from '../dom.js';

/** @param {HTMLElement} root */
export async function render(root) {
  const accountsBox = h('div', { id: 'accounts-list' });
  const oidcBox = h('div', { id: 'oidc-providers' });
  const samlBox = h('div', { id: 'saml-providers' });
  const s = current();
  const isRoot = s?.identity.IdentityType === 'Account';

  const loadAccounts = async () => {
    if (!isRoot) {
      fill(accountsBox, h('p', { class: 'muted' }, 'Only the server\'s own account root (the operator) sees the list of accounts.'));
      return;
    }
    try {
      const accounts = await listAccounts();
      fill(accountsBox, table(['Account', 'Name', 'Root AccessKeyId', 'Created', ''], accounts.map((a) => [
        h('code', {}, a.accountId), a.name, h('code', {}, a.accessKeyId), a.createDate ?? '', a.default ? h('span', { class: 'badge' }, 'default') : '',
      ]), 'No accounts.', { id: 'accounts-table' }));
    } catch (e) {
      // Another account's root: the operator's API says no; that is the answer, not an error to report.
      if (e instanceof ApiError && e.status === 403) {
        fill(accountsBox, h('p', { class: 'muted' }, 'Only the server\'s own account root (the operator) sees the list of accounts.'));
        return;
      }
      throw e;
    }
  };

  const loadOidc = async () => {
    const r = await pop('ims', 'ListOIDCProviders', {});
    fill(oidcBox, table(['Name', 'Issuer', 'Client ids', 'Arn', ''], list(r, 'OIDCProviders', 'OIDCProvider').map((p) => [
      p.OIDCProviderName, h('code', {}, p.IssuerUrl), p.ClientIds, h('code', {}, p.Arn),
      dangerButton('Delete', async () => {
        await pop('ims', 'DeleteOIDCProvider', { OIDCProviderName: p.OIDCProviderName }, p.Arn);
        await loadOidc();
      }, { 'data-delete-oidc': p.OIDCProviderName }),
    ]), 'No OIDC providers.', { id: 'oidc-table' }));
  };

  const loadSaml = async () => {
    const r = await pop('ims', 'ListSAMLProviders', {});
    fill(samlBox, table(['Name', 'Description', 'Arn', ''], list(r, 'SAMLProviders', 'SAMLProvider').map((p) => [
      p.SAMLProviderName, p.Description ?? '', h('code', {}, p.Arn),
      dangerButton('Delete', async () => {
        await pop('ims', 'DeleteSAMLProvider', { SAMLProviderName: p.SAMLProviderName }, p.Arn);
        await loadSaml();
      }, { 'data-delete-saml': p.SAMLProviderName }),
    ]), 'No SAML providers.', { id: 'saml-table' }));
  };

  fill(root,
    h('h1', {}, 'Accounts and identity providers'),
    h('div', { class: 'card' }, h('h2', {}, 'Accounts on this server'), accountsBox),
    h('div', { class: 'card' }, h('h2', {}, 'OIDC providers'), oidcBox),
    h('div', { class: 'card' }, h('h2', {}, 'SAML providers'), samlBox));
  await run(null, loadAccounts);
  await run(null, loadOidc);
  await run(null, loadSaml);
}
