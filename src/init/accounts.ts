// `accounts:` in the state file (docs/accounts.md): accounts besides the server's own, each declared with its
// id, root AccessKey and, like a whole state file, its users, groups, policies, roles and buckets.
import { AccountError, ACCOUNT_ID_FORMAT, type AccountRegistry } from '../accounts/registry.js';
import { checkField } from '../ram/names.js';
import { applyState, type ApplyDeps } from './apply.js';
import { exportState, type ExportOptions } from './export.js';
import type { Checker, Json } from './load.js';
import { InitApplyError, type DeclaredOtherAccount, type InitState } from './state.js';

const ENTRY = ['id', 'name', 'rootAccessKey', 'users', 'groups', 'policies', 'roles', 'buckets', 'oidcProviders', 'samlProviders'] as const;

/** Validates `accounts:`; `checkState` checks each entry's users, …, buckets as a state file of its own. */
export function checkAccounts(c: Checker, value: Json, top: { [k: string]: Json }, checkState: (c: Checker, root: Json) => InitState): DeclaredOtherAccount[] {
  const ownAccount = top.account;
  const out: DeclaredOtherAccount[] = [];
  const states: Array<{ i: number; state: InitState; rootKeyId?: string }> = [];
  const ids = new Set<string>();
  const ownId = ownAccount !== null && typeof ownAccount === 'object' && !Array.isArray(ownAccount) ? ownAccount.id : undefined;
  c.list(value, ['accounts']).forEach((v, i) => {
    const path = ['accounts', i];
    const o = c.object(v, path, ENTRY, 'an account');
    if (!o) return;
    const id = c.string(o.id, [...path, 'id'], { required: true, env: true });
    if (id !== undefined) {
      if (!ACCOUNT_ID_FORMAT.test(id)) c.fault([...path, 'id'], 'must be 16 digits (quote it in YAML: id: "1234567890123456")');
      else if (ids.has(id)) c.fault([...path, 'id'], `account ${id} is declared twice`);
      else if (String(ownId) === id) c.fault([...path, 'id'], 'is the server\'s own account (declared under account:)');
      ids.add(id);
    }
    const name = c.string(o.name, [...path, 'name']);
    if (name !== undefined) {
      try {
        checkField('DisplayName', name);
      } catch {
        c.fault([...path, 'name'], 'must be 1 to 128 letters, digits, spaces and @._- characters');
      }
    }
    let rootAccessKey: DeclaredOtherAccount['rootAccessKey'] | undefined;
    if (o.rootAccessKey === undefined) c.fault([...path, 'rootAccessKey'], 'is required (each account signs with its own root AccessKey)');
    else {
      const k = c.object(o.rootAccessKey, [...path, 'rootAccessKey'], ['id', 'secret'], 'the root AccessKey');
      if (k) {
        const kid = c.string(k.id, [...path, 'rootAccessKey', 'id'], { required: true, env: true });
        const secret = c.string(k.secret, [...path, 'rootAccessKey', 'secret'], { required: true, env: true });
        if (kid !== undefined && !/^[A-Za-z0-9]{8,64}$/.test(kid)) c.fault([...path, 'rootAccessKey', 'id'], 'must be 8 to 64 letters or digits');
        if (secret !== undefined && !/^[\x21-\x7e]{8,128}$/.test(secret)) c.fault([...path, 'rootAccessKey', 'secret'], 'must be 8 to 128 printable characters without spaces');
        if (kid !== undefined && secret !== undefined) rootAccessKey = { id: kid, secret };
      }
    }
    const body: { [k: string]: Json } = {};
    for (const k of ['users', 'groups', 'policies', 'roles', 'buckets', 'oidcProviders', 'samlProviders'] as const) if (o[k] !== undefined) body[k] = o[k]!;
    const state = checkState(c.scoped(path), body);
    states.push({ i, state, ...(rootAccessKey ? { rootKeyId: rootAccessKey.id } : {}) });
    if (id !== undefined && rootAccessKey !== undefined) out.push({ id, ...(name !== undefined ? { name } : {}), rootAccessKey, state, at: c.where(path) });
  });
  // AccessKeyIds and bucket names are global: no two declarations may share one.
  const keys = new Map<string, string>();
  const buckets = new Set<string>();
  if (Array.isArray(top.buckets)) for (const b of top.buckets) if (b !== null && typeof b === 'object' && !Array.isArray(b) && typeof b.name === 'string') buckets.add(b.name);
  const own = ownAccount !== null && typeof ownAccount === 'object' && !Array.isArray(ownAccount) ? ownAccount.rootAccessKey : undefined;
  if (own !== null && typeof own === 'object' && !Array.isArray(own) && typeof own.id === 'string') keys.set(own.id, 'account.rootAccessKey');
  states.forEach(({ i, state, rootKeyId }) => {
    const claim = (id: string, field: (string | number)[]): void => {
      const prior = keys.get(id);
      if (prior !== undefined) c.fault(field, `AccessKey ${id} is also declared at ${prior}`);
      else keys.set(id, `accounts[${i}].${field.slice(2).join('.')}`);
    };
    if (rootKeyId !== undefined) claim(rootKeyId, ['accounts', i, 'rootAccessKey', 'id']);
    state.users.forEach((u, ui) => u.accessKeys.forEach((k, ki) => claim(k.id, ['accounts', i, 'users', ui, 'accessKeys', ki, 'id'])));
    state.buckets.forEach((b, bi) => {
      if (buckets.has(b.name)) c.fault(['accounts', i, 'buckets', bi, 'name'], `bucket ${b.name} is declared by another account too (bucket names are global)`);
      buckets.add(b.name);
    });
  });
  return out;
}

/** Creates (or brings up to date) each declared account, then applies its own state through its own services. */
export async function applyDeclaredAccounts(accounts: DeclaredOtherAccount[], deps: ApplyDeps & { accounts: AccountRegistry }): Promise<string[]> {
  const changes: string[] = [];
  for (const a of accounts) {
    try {
      if (a.id === deps.accountId) throw new AccountError(`account ${a.id} is the server's own account`);
      if (await deps.accounts.exists(a.id)) {
        const changed = await deps.accounts.update(a.id, { ...(a.name !== undefined ? { name: a.name } : {}), accessKeyId: a.rootAccessKey.id, accessKeySecret: a.rootAccessKey.secret });
        for (const what of changed) changes.push(`updated account ${a.id}: ${what}`);
      } else {
        await deps.accounts.create({ accountId: a.id, ...(a.name !== undefined ? { name: a.name } : {}), accessKeyId: a.rootAccessKey.id, accessKeySecret: a.rootAccessKey.secret });
        changes.push(`created account ${a.id}`);
      }
    } catch (err) {
      throw new InitApplyError(a.at, err);
    }
    const own = await applyState(a.state, { ...deps, ram: deps.accounts.ramFor(a.id), accountId: a.id, rootAccessKeyId: a.rootAccessKey.id, ...(deps.ims ? { ims: deps.accounts.imsFor(a.id) } : {}) });
    for (const change of own.changes) changes.push(`account ${a.id}: ${change}`);
  }
  return changes;
}

/** `accounts:` of an export: every account besides the server's own, in the form `checkAccounts` reads. */
export async function exportOtherAccounts(deps: ApplyDeps & { accounts: AccountRegistry }, opts: ExportOptions): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for (const info of await deps.accounts.list()) {
    if (info.isDefault) continue;
    const entry: Record<string, unknown> = { id: info.accountId };
    if (info.name !== '') entry.name = info.name;
    const secret = opts.withSecrets ? (await deps.accounts.resolveKey(info.accessKeyId))?.secret : undefined;
    entry.rootAccessKey = { id: info.accessKeyId, secret: secret ?? '${ACCOUNT_' + info.accountId + '_ROOT_SECRET}' };
    const { accounts: _all, ...one } = deps;
    const doc = await exportState({ ...one, ram: deps.accounts.ramFor(info.accountId), accountId: info.accountId, rootAccessKeyId: info.accessKeyId, ...(deps.ims ? { ims: deps.accounts.imsFor(info.accountId) } : {}) }, { ...opts, withSecrets: opts.withSecrets });
    delete doc.version;
    delete doc.account;
    out.push({ ...entry, ...doc });
  }
  return out;
}
