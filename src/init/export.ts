// The current state in the state file's format (`alunite init export`), read through the same services
// the apply uses. Secrets only when asked; object bytes only when a directory is given for them.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { RamCaller } from '../ram/service.js';
import type { ApplyDeps } from './apply.js';
import { exportProviders } from './providers.js';
import { exportOtherAccounts } from './accounts.js';
import { exportBucketConfigs } from './bucket-configs.js';
import { DAY_MS } from '../domain/lifecycle-service.js';

/** What an export reads through: the same services and store an apply writes through. */
export type ExportDeps = ApplyDeps;

export interface ExportOptions {
  /** Include the RAM AccessKey secrets (and the root key when `rootAccessKeySecret` is given). */
  withSecrets: boolean;
  rootAccessKeySecret?: string;
  /** Write objects' bytes under this directory (`<bucket>/<encoded key>`) and declare them. */
  objectsDir?: string;
  /** Where the state file will be written: object paths are made relative to its folder. */
  stateFile?: string;
}

type Doc = Record<string, unknown>;

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

async function allPages<T>(fetch: (marker: string | undefined) => Promise<{ items: T[]; isTruncated: boolean; marker?: string }>): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    out.push(...page.items);
    marker = page.isTruncated ? page.marker : undefined;
  } while (marker !== undefined);
  return out;
}

/** A file name for an object key: percent-encoded, dots too, so no key can name a path outside the directory. */
function objectFileName(key: string): string {
  return encodeURIComponent(key).replace(/\./g, '%2E');
}

export async function exportState(deps: ExportDeps, opts: ExportOptions): Promise<Doc> {
  const caller: RamCaller = { principal: { type: 'root', accountId: deps.accountId, accessKeyId: deps.rootAccessKeyId } };
  const { ram } = deps;
  const doc: Doc = { version: 1 };
  const account: Doc = { id: deps.accountId };
  if (opts.withSecrets && opts.rootAccessKeySecret !== undefined) account.rootAccessKey = { id: deps.rootAccessKeyId, secret: opts.rootAccessKeySecret };
  doc.account = account;

  const policies = (await allPages((marker) => ram.listPolicies(caller, { policyType: 'Custom', ...(marker !== undefined ? { marker } : {}) })));
  const policyDocs: Doc[] = [];
  for (const p of policies) {
    const { defaultVersion } = await ram.getPolicy(caller, { policyName: p.policyName, policyType: 'Custom' });
    policyDocs.push({ name: p.policyName, ...(p.description !== '' ? { description: p.description } : {}), document: parseJson(defaultVersion.document) });
  }
  const attachments = async (kind: 'User' | 'Group' | 'Role', name: string): Promise<Doc> => {
    const list = await ram.listPoliciesFor(caller, kind, name);
    // A bare name is resolved the same way on apply: custom when declared, else system.
    return list.length === 0 ? {} : { policies: list.map((a) => (a.policyType === 'Custom' ? a.policyName : { name: a.policyName, type: 'System' })) };
  };

  const users: Doc[] = [];
  for (const u of await allPages((marker) => ram.listUsers(caller, marker !== undefined ? { marker } : {}))) {
    const keys: Doc[] = [];
    for (const k of await ram.listAccessKeys(caller, { userName: u.userName })) {
      const key: Doc = { id: k.accessKeyId };
      if (opts.withSecrets) key.secret = (await ram.resolveAccessKey(k.accessKeyId))?.secret;
      if (k.status !== 'Active') key.status = k.status;
      keys.push(key);
    }
    users.push({
      name: u.userName,
      ...(u.displayName !== u.userName ? { displayName: u.displayName } : {}),
      ...(u.comments !== '' ? { comments: u.comments } : {}),
      ...(u.email !== '' ? { email: u.email } : {}),
      ...(u.mobilePhone !== '' ? { mobilePhone: u.mobilePhone } : {}),
      ...(keys.length > 0 ? { accessKeys: keys } : {}),
      ...(await attachments('User', u.userName)),
    });
  }

  const groups: Doc[] = [];
  for (const g of await allPages((marker) => ram.listGroups(caller, marker !== undefined ? { marker } : {}))) {
    const members = await allPages((marker) => ram.listUsersForGroup(caller, g.groupName, marker !== undefined ? { marker } : {}));
    groups.push({
      name: g.groupName,
      ...(g.comments !== '' ? { comments: g.comments } : {}),
      ...(members.length > 0 ? { members: members.map((m) => m.user.userName) } : {}),
      ...(await attachments('Group', g.groupName)),
    });
  }

  const roles: Doc[] = [];
  for (const r of await allPages((marker) => ram.listRoles(caller, marker !== undefined ? { marker } : {}))) {
    roles.push({
      name: r.roleName,
      ...(r.description !== '' ? { description: r.description } : {}),
      maxSessionDuration: r.maxSessionDuration,
      trustPolicy: parseJson(r.assumeRolePolicyDocument),
      ...(await attachments('Role', r.roleName)),
    });
  }

  const buckets: Doc[] = [];
  let after = '';
  for (;;) {
    const { buckets: page, truncated } = await deps.buckets.list(deps.accountId, { prefix: '', marker: after, maxKeys: 1000 });
    for (const b of page) {
      const bucket: Doc = { name: b.name, acl: b.acl, storageClass: b.storageClass, redundancyType: b.redundancyType };
      if (b.policy !== null) bucket.policy = parseJson(b.policy);
      if (b.cors !== null) bucket.cors = b.cors;
      const record = await deps.meta.getBucket(b.name);
      if (record !== null) Object.assign(bucket, exportBucketConfigs(record, Date.now(), deps.bucketConfigs?.retention.dayMs ?? DAY_MS));
      if (opts.objectsDir !== undefined) {
        const objects: Doc[] = [];
        let marker = '';
        for (;;) {
          const listed = await deps.objects.list(b.name, { prefix: '', delimiter: '', after: marker, maxKeys: 1000 });
          for (const s of listed.objects) {
            const { meta, data } = await deps.objects.readView(b.name, s.key);
            if (meta.symlinkTarget !== null) continue; // symlinks are not declared by the state file
            const file = join(opts.objectsDir, b.name, objectFileName(s.key));
            await mkdir(dirname(file), { recursive: true });
            const inline = deps.objects.inlineBytes(data, null);
            await writeFile(file, inline ?? deps.objects.openRead(data, null));
            const base = opts.stateFile !== undefined ? dirname(opts.stateFile) : process.cwd();
            objects.push({ key: s.key, file: relative(base, file), contentType: meta.headers.contentType });
          }
          if (!listed.truncated) break;
          if (listed.last === null) break;
          marker = listed.last;
        }
        if (objects.length > 0) bucket.objects = objects;
      }
      buckets.push(bucket);
    }
    if (!truncated || page.length === 0) break;
    after = page[page.length - 1]!.name;
  }

  if (users.length > 0) doc.users = users;
  if (groups.length > 0) doc.groups = groups;
  if (policyDocs.length > 0) doc.policies = policyDocs;
  if (roles.length > 0) doc.roles = roles;
  if (buckets.length > 0) doc.buckets = buckets;
  // IMS identity providers (init/providers.ts).
  if (deps.ims) Object.assign(doc, await exportProviders(deps.ims, caller));
  // Several accounts (docs/accounts.md): the other accounts, each in the same form.
  if (deps.accounts) {
    const others = await exportOtherAccounts({ ...deps, accounts: deps.accounts }, opts);
    if (others.length > 0) doc.accounts = others;
  }
  return doc;
}

export async function exportYaml(doc: Doc, withSecrets: boolean): Promise<string> {
  // yaml is imported here, not with the module: the server exports documents (accounts.ts) but never writes YAML.
  const { stringify } = await import('yaml');
  const head = withSecrets
    ? '# alunite state (docs/init.md), exported WITH SECRETS: keep this file private.\n'
    : '# alunite state (docs/init.md), exported without secrets: add each AccessKey\'s secret (e.g. secret: ${MY_SECRET}) before applying.\n';
  return head + stringify(doc, { lineWidth: 0 });
}
