// Several accounts share the identity tables: an account other than the server's default one keeps its RAM
// entities under names qualified by its id, `<accountId>/<name>`. `/` is in no RAM name's character set
// (ram/names.ts), so a qualified name can never be created, looked up or listed through another account's
// view, and the default account's entities keep their plain names (existing data and tests unchanged). Each
// account's RamService, StsService and identity policies read through the view of its own account.
import { AppError } from '../errors.js';
import type { PolicyType, RamAttachment, RamGroup, RamPolicy, RamPolicyVersion, RamRole, RamUser } from '../ram/model.js';
import type { IdentityStore, NamePage } from '../store/meta/types.js';
import type { ProviderStore } from '../store/meta/providers.js';

/** A stored name no view ever maps a valid name to: what invalid names (empty, holding `/`) are looked up as. */
const NO_SUCH_NAME = '/';

/** The row that stands for an account (other than the default): a user named `<accountId>/` holding the root AccessKey. */
export function accountMarkerName(accountId: string): string {
  return `${accountId}/`;
}

/** Which account a stored name belongs to (null: the default account) and the name inside it ('' for an account's marker row). */
export function splitStoredName(stored: string): { accountId: string | null; name: string } {
  const slash = stored.indexOf('/');
  return slash < 0 ? { accountId: null, name: stored } : { accountId: stored.slice(0, slash), name: stored.slice(slash + 1) };
}

class NameScope {
  private readonly prefix: string;
  constructor(readonly accountId: string | null) {
    this.prefix = accountId === null ? '' : accountMarkerName(accountId);
  }

  /** The stored form of a name of this account. */
  in(name: string): string {
    if (name === '' || name.includes('/')) return NO_SUCH_NAME;
    return this.prefix + name;
  }

  /** The name inside this account, or null when the stored name is another account's (or a marker row). */
  out(stored: string): string | null {
    if (this.accountId === null) return stored.includes('/') ? null : stored;
    return stored.startsWith(this.prefix) && stored.length > this.prefix.length ? stored.slice(this.prefix.length) : null;
  }

  /** Where a name-ordered page of this account starts in the shared table. */
  after(after: string | undefined): string {
    return this.prefix + (after ?? '');
  }

  /** Past this account's range of a name-ordered table: every later stored name is another account's. */
  beyond(stored: string): boolean {
    return this.accountId !== null && !stored.startsWith(this.prefix);
  }

  /** A stored name of this account (the account-name conditions of store/meta/account-names.ts select by one). */
  member(): string {
    return this.in('x');
  }

  policy(type: PolicyType, name: string): string {
    return type === 'System' ? name : this.in(name);
  }
}

/**
 * Collects one page of this account's rows from a shared name-ordered table: a page of the raw table may
 * hold rows of other accounts (skipped for the default account; the end of the range for the others).
 */
async function scan<T>(scope: NameScope, page: NamePage, fetch: (p: NamePage) => Promise<T[]>, nameOf: (row: T) => string, map: (row: T) => T | null): Promise<T[]> {
  const out: T[] = [];
  let after = scope.after(page.after);
  for (;;) {
    const rows = await fetch({ after, limit: page.limit });
    for (const row of rows) {
      if (scope.beyond(nameOf(row))) return out;
      const mapped = map(row);
      if (mapped !== null) out.push(mapped);
      if (out.length === page.limit) return out;
    }
    if (rows.length < page.limit) return out;
    after = nameOf(rows[rows.length - 1]!);
  }
}

/**
 * The identity store as one account sees it (`accountId` null: the default account). Methods this view does
 * not know (added to IdentityStore later) reach the shared store unchanged for the default account and fail
 * for the others, so nothing new can read across accounts by accident.
 */
export function scopedIdentityStore(raw: IdentityStore, accountId: string | null): IdentityStore {
  const s = new NameScope(accountId);
  const docAccount = documentAccount(accountId);
  const user = (u: RamUser | null): RamUser | null => {
    const name = u ? s.out(u.userName) : null;
    return u && name !== null ? { ...u, userName: name } : null;
  };
  const group = (g: RamGroup | null): RamGroup | null => {
    const name = g ? s.out(g.groupName) : null;
    return g && name !== null ? { ...g, groupName: name } : null;
  };
  const role = (r: RamRole | null): RamRole | null => {
    const name = r ? s.out(r.roleName) : null;
    return r && name !== null ? { ...r, roleName: name } : null;
  };
  const policy = (p: RamPolicy | null): RamPolicy | null => {
    const name = p ? s.out(p.policyName) : null;
    return p && name !== null ? { ...p, policyName: name } : null;
  };
  const version = (v: RamPolicyVersion): RamPolicyVersion => ({ ...v, policyName: s.out(v.policyName) ?? v.policyName });
  const attachment = (a: RamAttachment): RamAttachment | null => {
    if (a.policyType === 'System') return a;
    const name = s.out(a.policyName);
    return name === null ? null : { ...a, policyName: name };
  };
  const attachments = (list: RamAttachment[]): RamAttachment[] => list.map(attachment).filter((a): a is RamAttachment => a !== null);
  const must = <T>(v: T | null, code: 'EntityNotExist.User' | 'EntityNotExist.Group' | 'EntityNotExist.Role'): T => {
    if (v === null) throw new AppError(code);
    return v;
  };

  const view: IdentityStore = {
    identityGeneration: () => raw.identityGeneration(),
    createUser: (u, max) => raw.createUser({ ...u, userName: s.in(u.userName) }, max),
    getUser: async (n) => user(await raw.getUser(s.in(n))),
    getUserById: async (id) => user(await raw.getUserById(id)),
    updateUser: async (n, patch, now) => must(user(await raw.updateUser(s.in(n), patch.userName === undefined ? patch : { ...patch, userName: s.in(patch.userName) }, now)), 'EntityNotExist.User'),
    listUsers: (page) => scan(s, page, (p) => raw.listUsers(p), (u) => u.userName, user),
    deleteUser: (n) => raw.deleteUser(s.in(n)),
    createAccessKey: (n, key, max) => raw.createAccessKey(s.in(n), key, max),
    getAccessKey: (id) => raw.getAccessKey(id),
    listAccessKeys: (n) => raw.listAccessKeys(s.in(n)),
    updateAccessKey: (n, id, status) => raw.updateAccessKey(s.in(n), id, status),
    deleteAccessKey: (n, id) => raw.deleteAccessKey(s.in(n), id),
    createGroup: (g, max) => raw.createGroup({ ...g, groupName: s.in(g.groupName) }, max),
    getGroup: async (n) => group(await raw.getGroup(s.in(n))),
    getGroupById: async (id) => group(await raw.getGroupById(id)),
    updateGroup: async (n, patch, now) => must(group(await raw.updateGroup(s.in(n), patch.groupName === undefined ? patch : { ...patch, groupName: s.in(patch.groupName) }, now)), 'EntityNotExist.Group'),
    listGroups: (page) => scan(s, page, (p) => raw.listGroups(p), (g) => g.groupName, group),
    deleteGroup: (n) => raw.deleteGroup(s.in(n)),
    addUserToGroup: (g, u, now, max) => raw.addUserToGroup(s.in(g), s.in(u), now, max),
    removeUserFromGroup: (g, u) => raw.removeUserFromGroup(s.in(g), s.in(u)),
    listGroupsForUser: async (n) => (await raw.listGroupsForUser(s.in(n))).flatMap((x) => {
      const g = group(x.group);
      return g ? [{ group: g, joinDate: x.joinDate }] : [];
    }),
    listUsersForGroup: async (n, page) => {
      // Members are users of the group's own account: their stored names share its prefix.
      const rows = await raw.listUsersForGroup(s.in(n), { after: s.after(page.after), limit: page.limit });
      return rows.flatMap((x) => {
        const u = user(x.user);
        return u ? [{ user: u, joinDate: x.joinDate }] : [];
      });
    },
    createRole: (r, max) => raw.createRole({ ...r, roleName: s.in(r.roleName) }, max),
    getRole: async (n) => role(await raw.getRole(s.in(n))),
    getRoleById: async (id) => role(await raw.getRoleById(id)),
    updateRole: async (n, patch, now) => must(role(await raw.updateRole(s.in(n), patch, now)), 'EntityNotExist.Role'),
    listRoles: (page) => scan(s, page, (p) => raw.listRoles(p), (r) => r.roleName, role),
    deleteRole: (n) => raw.deleteRole(s.in(n)),
    createPolicy: async (p, doc, max) => version(await raw.createPolicy({ ...p, policyName: s.in(p.policyName) }, doc, max)),
    getPolicy: async (n) => policy(await raw.getPolicy(s.in(n))),
    listPolicies: (page) => scan(s, page, (p) => raw.listPolicies(p), (p) => p.policyName, policy),
    deletePolicy: (n) => raw.deletePolicy(s.in(n)),
    createPolicyVersion: async (n, doc, now, opts) => version(await raw.createPolicyVersion(s.in(n), doc, now, opts)),
    getPolicyVersion: async (n, id) => {
      const v = await raw.getPolicyVersion(s.in(n), id);
      return v ? version(v) : null;
    },
    listPolicyVersions: async (n) => (await raw.listPolicyVersions(s.in(n))).map(version),
    setDefaultPolicyVersion: (n, id, now) => raw.setDefaultPolicyVersion(s.in(n), id, now),
    deletePolicyVersion: (n, id) => raw.deletePolicyVersion(s.in(n), id),
    attachPolicy: (a, limit) => raw.attachPolicy({ ...a, policyName: s.policy(a.policyType, a.policyName) }, limit),
    detachPolicy: (kind, id, type, name) => raw.detachPolicy(kind, id, type, s.policy(type, name)),
    listAttachments: async (kind, id) => attachments(await raw.listAttachments(kind, id)),
    // A System policy's attachment rows are of every account: counted and listed for this one only (its
    // AttachmentCount used to count other accounts' users, groups and roles, and showed their changes).
    listAttachmentsForPolicy: async (type, name) => attachments(await raw.listAttachmentsForPolicy(type, s.policy(type, name), type === 'System' ? s.member() : undefined)),
    countAttachments: (type, name) => raw.countAttachments(type, s.policy(type, name), type === 'System' ? s.member() : undefined),
    resealAccessKeySecrets: (reseal, audit, keyCheck) => raw.resealAccessKeySecrets(reseal, audit, keyCheck),
    anySealedSecret: () => raw.anySealedSecret(),
    listKeyRotations: () => raw.listKeyRotations(),
    claimNonce: (nonce, expiresAt, now) => raw.claimNonce(nonce, expiresAt, now),
    nonceLive: (nonce, now) => raw.nonceLive(nonce, now),
    // Login profiles, MFA devices, account settings, tags (docs/ram.md): the documents of this account only,
    // whatever account a caller names.
    readIdentityDocs: (kind, ids) => raw.readIdentityDocs(kind, ids, docAccount),
    listIdentityDocs: (kind) => raw.listIdentityDocs(kind, docAccount),
    updateIdentityDocs: (keys, decide) => raw.updateIdentityDocs(keys, decide, docAccount),
    updatePolicyDescription: async (n, description, now) => {
      const p = policy(await raw.updatePolicyDescription(s.in(n), description, now));
      if (p === null) throw new AppError('EntityNotExist.Policy');
      return p;
    },
  };
  return new Proxy(view, {
    get(target, prop, receiver) {
      if (Reflect.has(target, prop)) return Reflect.get(target, prop, receiver) as unknown;
      const inner = (raw as unknown as Record<PropertyKey, unknown>)[prop];
      if (typeof inner !== 'function') return inner;
      if (accountId === null) return (inner as (...a: unknown[]) => unknown).bind(raw);
      return () => Promise.reject(new Error(`identity operation ${String(prop)} is not available to account ${accountId} yet`));
    },
  });
}

/** The `account` key of an account's documents and identity providers ('' the default account, as before accounts). */
export function documentAccount(accountId: string | null): string {
  return accountId ?? '';
}

/** The identity providers (OIDC, SAML) as one account sees them: its own only, names unique per account. */
export function scopedProviderStore(raw: ProviderStore, accountId: string | null): ProviderStore {
  const a = documentAccount(accountId);
  return {
    createProvider: (record, max) => raw.createProvider(record, max, a),
    getProvider: (kind, name) => raw.getProvider(kind, name, a),
    updateProvider: (kind, name, decide, now) => raw.updateProvider(kind, name, decide, now, a),
    listProviders: (kind, page) => raw.listProviders(kind, page, a),
    deleteProvider: (kind, name) => raw.deleteProvider(kind, name, a),
  };
}
