// Applies a validated state (load.ts) through the domain services, as API calls would: RamService for
// identities (names, ids, limits, sealed secrets), BucketService / ObjectService for buckets and objects.
// Idempotent: what already matches is not touched (no new ids, no new timestamps), what differs is
// updated, and nothing the file does not declare is removed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { BucketService } from '../domain/buckets.js';
import type { CorsConfig } from '../domain/model.js';
import type { ObjectService } from '../domain/objects.js';
import { isAppError } from '../errors.js';
import type { RamPrincipalKind } from '../ram/model.js';
import type { RamCaller, RamService } from '../ram/service.js';
import type { MetadataStore } from '../store/meta/types.js';
import { applyStep, InitApplyError, type InitState, type PolicyRef } from './state.js';
import type { AccountRegistry } from '../accounts/registry.js';
import { applyDeclaredAccounts } from './accounts.js';
import type { ImsService } from '../ims/service.js';
import { applyProviders } from './providers.js';
import { applyBucketConfigs, type BucketConfigServices } from './bucket-configs.js';
import { canonicalJson } from './canonical-json.js';

export interface ApplyDeps {
  ram: RamService;
  buckets: BucketService;
  objects: ObjectService;
  meta: MetadataStore;
  accountId: string;
  /** Root AccessKeyId of the account (the caller the services see). */
  rootAccessKeyId: string;
  /** The server's accounts, for a state file's `accounts:` (docs/accounts.md); without it they cannot be applied. */
  accounts?: AccountRegistry;
  /** The account's IMS identity providers (`oidcProviders:`, `samlProviders:`); without it they are not applied or exported. */
  ims?: ImsService;
  /** Buckets' lifecycle, WORM and encryption (init/bucket-configs.ts); without them those cannot be applied. */
  bucketConfigs?: BucketConfigServices;
}

/** What an apply changed, one line per change (`created user ci`, `updated bucket photos: acl`…). */
export interface ApplyResult {
  changes: string[];
}

export { canonicalJson } from './canonical-json.js';

const sameCors = (a: CorsConfig | null, b: CorsConfig): boolean => a !== null && canonicalJson(JSON.stringify(a)) === canonicalJson(JSON.stringify(b));

async function md5Hex(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex').toUpperCase();
}

const step = applyStep;

export async function applyState(state: InitState, deps: ApplyDeps): Promise<ApplyResult> {
  const changes: string[] = [];
  const caller: RamCaller = { principal: { type: 'root', accountId: deps.accountId, accessKeyId: deps.rootAccessKeyId } };
  const { ram } = deps;
  const missing = async <T>(fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      if (isAppError(err) && err.code.startsWith('EntityNotExist')) return null;
      throw err;
    }
  };

  for (const p of state.policies) {
    await step(p.at, async () => {
      const current = await missing(() => ram.getPolicy(caller, { policyName: p.name, policyType: 'Custom' }));
      if (!current) {
        await ram.createPolicy(caller, { policyName: p.name, policyDocument: p.document, ...(p.description !== undefined ? { description: p.description } : {}) });
        changes.push(`created policy ${p.name}`);
      } else if (canonicalJson(current.defaultVersion.document) !== canonicalJson(p.document)) {
        // As CreatePolicyVersion with SetAsDefault; the oldest non-default version makes room at the limit.
        const v = await ram.createPolicyVersion(caller, {
          policyName: p.name, policyDocument: p.document, setAsDefault: true, rotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
        });
        changes.push(`updated policy ${p.name}: new default version ${v.versionId}`);
      }
    });
  }

  for (const u of state.users) {
    await step(u.at, async () => {
      const current = await missing(() => ram.getUser(caller, u.name));
      if (!current) {
        await ram.createUser(caller, {
          userName: u.name,
          ...(u.displayName !== undefined ? { displayName: u.displayName } : {}),
          ...(u.comments !== undefined ? { comments: u.comments } : {}),
          ...(u.email !== undefined ? { email: u.email } : {}),
          ...(u.mobilePhone !== undefined ? { mobilePhone: u.mobilePhone } : {}),
        });
        changes.push(`created user ${u.name}`);
        return;
      }
      const patch = {
        ...(u.displayName !== undefined && u.displayName !== current.displayName ? { newDisplayName: u.displayName } : {}),
        ...(u.comments !== undefined && u.comments !== current.comments ? { newComments: u.comments } : {}),
        ...(u.email !== undefined && u.email !== current.email ? { newEmail: u.email } : {}),
        ...(u.mobilePhone !== undefined && u.mobilePhone !== current.mobilePhone ? { newMobilePhone: u.mobilePhone } : {}),
      };
      if (Object.keys(patch).length > 0) {
        await ram.updateUser(caller, { userName: u.name, ...patch });
        changes.push(`updated user ${u.name}: ${Object.keys(patch).map((k) => k.slice(3, 4).toLowerCase() + k.slice(4)).join(', ')}`);
      }
    });
    for (const k of u.accessKeys) {
      await step(k.at, async () => {
        const current = await ram.resolveAccessKey(k.id);
        if (current && current.user.userName !== u.name) {
          throw new Error(`AccessKey ${k.id} belongs to user ${current.user.userName}`);
        }
        if (current && current.secret !== k.secret) {
          // A key's secret never changes in RAM: the declared key replaces the stored one.
          await ram.deleteAccessKey(caller, { userName: u.name, userAccessKeyId: k.id });
          await ram.importAccessKey(caller, { userName: u.name, accessKeyId: k.id, secret: k.secret, status: k.status });
          changes.push(`replaced AccessKey ${k.id} of user ${u.name} (new secret)`);
        } else if (!current) {
          await ram.importAccessKey(caller, { userName: u.name, accessKeyId: k.id, secret: k.secret, status: k.status });
          changes.push(`created AccessKey ${k.id} for user ${u.name}`);
        } else if (current.status !== k.status) {
          await ram.updateAccessKey(caller, { userName: u.name, userAccessKeyId: k.id, status: k.status });
          changes.push(`updated AccessKey ${k.id} of user ${u.name}: status ${k.status}`);
        }
      });
    }
  }

  for (const g of state.groups) {
    await step(g.at, async () => {
      const current = await missing(() => ram.getGroup(caller, g.name));
      if (!current) {
        await ram.createGroup(caller, { groupName: g.name, ...(g.comments !== undefined ? { comments: g.comments } : {}) });
        changes.push(`created group ${g.name}`);
      } else if (g.comments !== undefined && g.comments !== current.comments) {
        await ram.updateGroup(caller, { groupName: g.name, newComments: g.comments });
        changes.push(`updated group ${g.name}: comments`);
      }
      const members = new Set<string>();
      let marker: string | undefined;
      do {
        const page = await ram.listUsersForGroup(caller, g.name, marker !== undefined ? { marker } : {});
        for (const m of page.items) members.add(m.user.userName);
        marker = page.isTruncated ? page.marker : undefined;
      } while (marker !== undefined);
      for (const m of g.members) {
        if (members.has(m)) continue;
        await ram.addUserToGroup(caller, { groupName: g.name, userName: m });
        changes.push(`added user ${m} to group ${g.name}`);
      }
    });
  }

  for (const r of state.roles) {
    await step(r.at, async () => {
      const current = await missing(() => ram.getRole(caller, r.name));
      if (!current) {
        await ram.createRole(caller, {
          roleName: r.name,
          assumeRolePolicyDocument: r.trustPolicy,
          ...(r.description !== undefined ? { description: r.description } : {}),
          ...(r.maxSessionDuration !== undefined ? { maxSessionDuration: r.maxSessionDuration } : {}),
        });
        changes.push(`created role ${r.name}`);
        return;
      }
      const patch = {
        ...(canonicalJson(current.assumeRolePolicyDocument) !== canonicalJson(r.trustPolicy) ? { newAssumeRolePolicyDocument: r.trustPolicy } : {}),
        ...(r.maxSessionDuration !== undefined && r.maxSessionDuration !== current.maxSessionDuration ? { newMaxSessionDuration: r.maxSessionDuration } : {}),
        ...(r.description !== undefined && r.description !== current.description ? { newDescription: r.description } : {}),
      };
      if (Object.keys(patch).length > 0) {
        await ram.updateRole(caller, { roleName: r.name, ...patch });
        changes.push(`updated role ${r.name}: ${Object.keys(patch).map((k) => k.slice(3)).join(', ')}`);
      }
    });
  }

  const attach = async (kind: RamPrincipalKind, name: string, refs: PolicyRef[]): Promise<void> => {
    if (refs.length === 0) return;
    const attached = await ram.listPoliciesFor(caller, kind, name);
    for (const ref of refs) {
      if (attached.some((a) => a.policyName === ref.name && a.policyType === ref.type)) continue;
      await step(ref.at, () => ram.attachPolicy(caller, kind, { policyType: ref.type, policyName: ref.name, principalName: name }));
      changes.push(`attached ${ref.type.toLowerCase()} policy ${ref.name} to ${kind.toLowerCase()} ${name}`);
    }
  };
  for (const u of state.users) await step(u.at, () => attach('User', u.name, u.policies));
  for (const g of state.groups) await step(g.at, () => attach('Group', g.name, g.policies));
  for (const r of state.roles) await step(r.at, () => attach('Role', r.name, r.policies));

  for (const b of state.buckets) {
    await step(b.at, async () => {
      let current = await deps.meta.getBucket(b.name);
      if (!current || current.ownerAccountId !== deps.accountId) {
        // Another account's bucket: create answers BucketAlreadyExists, as the API does.
        ({ bucket: current } = await deps.buckets.create({
          name: b.name,
          ownerAccountId: deps.accountId,
          ...(b.acl !== undefined ? { acl: b.acl } : {}),
          ...(b.storageClass !== undefined ? { storageClass: b.storageClass } : {}),
          ...(b.redundancyType !== undefined ? { redundancyType: b.redundancyType } : {}),
        }));
        changes.push(`created bucket ${b.name}`);
      } else {
        if (b.storageClass !== undefined && b.storageClass !== current.storageClass) {
          throw new Error(`the storage class of an existing bucket cannot change (bucket ${b.name} is ${current.storageClass})`);
        }
        if (b.redundancyType !== undefined && b.redundancyType !== current.redundancyType) {
          throw new Error(`the redundancy type of an existing bucket cannot change (bucket ${b.name} is ${current.redundancyType})`);
        }
        if (b.acl !== undefined && b.acl !== current.acl) {
          await deps.buckets.setAcl(b.name, b.acl);
          changes.push(`updated bucket ${b.name}: acl ${b.acl}`);
        }
      }
      if (b.policy !== undefined && (current.policy === null || canonicalJson(current.policy) !== canonicalJson(b.policy))) {
        await deps.buckets.putPolicy(b.name, b.policy);
        changes.push(`updated bucket ${b.name}: policy`);
      }
      if (b.cors !== undefined && !sameCors(current.cors, b.cors)) {
        await deps.buckets.putCors(b.name, b.cors);
        changes.push(`updated bucket ${b.name}: cors`);
      }
      changes.push(...(await applyBucketConfigs(current, b, {
        ...(deps.bucketConfigs !== undefined ? { services: deps.bucketConfigs } : {}),
        putVersioning: (name, status) => deps.buckets.putVersioning(name, status),
      })));
    });
    for (const o of b.objects) {
      await step(o.at, async () => {
        const current = await deps.meta.getObject(b.name, o.key);
        const md5 = await md5Hex(o.file);
        // Only the declared properties count: the same bytes and Content-Type leave the object as it is.
        if (current && current.type === 'Normal' && current.etag === md5 && current.headers.contentType === o.contentType) return;
        const size = (await stat(o.file)).size;
        await deps.objects.put({
          bucket: b.name,
          key: o.key,
          body: createReadStream(o.file),
          expect: { length: size, md5: Buffer.from(md5, 'hex') },
          headers: { contentType: o.contentType },
          userMeta: {},
          forbidOverwrite: false,
        });
        changes.push(`${current ? 'updated' : 'created'} object ${b.name}/${o.key}`);
      });
    }
  }
  // IMS identity providers (init/providers.ts).
  if ((state.oidcProviders?.length ?? 0) + (state.samlProviders?.length ?? 0) > 0) {
    const where = (state.oidcProviders ?? state.samlProviders)![0]!.at;
    if (!deps.ims) throw new InitApplyError(where, new Error('this server has no identity providers'));
    changes.push(...(await applyProviders(state, deps.ims, caller)));
  }
  // Several accounts (docs/accounts.md): each declared account and its own state, after the server's own.
  if (state.accounts !== undefined && state.accounts.length > 0) {
    const accounts = deps.accounts;
    if (!accounts) throw new InitApplyError(state.accounts[0]!.at, new Error('this server cannot hold other accounts'));
    changes.push(...(await applyDeclaredAccounts(state.accounts, { ...deps, accounts })));
  }
  return { changes };
}
