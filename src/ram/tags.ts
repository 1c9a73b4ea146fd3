import { AppError } from '../errors.js';
import type { IdentityStore } from '../store/meta/types.js';
import { authorizeAction, DOC, type ExtrasContext } from './extras-context.js';
import type { RamCaller } from './service.js';

// TagResources / UntagResources / ListTagResources (RAM 2015-05-01, newer metadata; docs/ram.md): tags on
// RAM roles and custom policies. One identity document per tagged resource, keyed by what survives a
// rename and dies with the resource: `role:<RoleId>`, `policy:<name>@<CreateDate>` (a policy deleted and
// created again under the same name does not inherit the old tags).

export type TagResourceType = 'role' | 'policy';

/** A tag as given (TagResources, CreateRole, CreatePolicy). */
export interface Tag {
  key: string;
  value: string;
}

/** A tag filter (ListTagResources, ListRoles, ListPolicies): the key, and the value when given. */
export interface TagFilter {
  key: string;
  value?: string;
}

/** A resource's tags, key → value. */
export type TagMap = Record<string, string>;

export interface TagRow {
  resourceType: TagResourceType;
  resourceName: string;
  key: string;
  value: string;
}

const KIND = DOC.tags;
export const MAX_TAGS_PER_RESOURCE = 20;
export const MAX_RESOURCE_NAMES = 50;
const MAX_KEY = 128;
// Key ≤ 128 and value ≤ 256 characters, ≤ 20 tags a request: the RAM API reference for TagResources and ListTagResources.
const MAX_VALUE = 256;
const MAX_PAGE = 100;

export function checkResourceType(value: string): TagResourceType {
  if (value !== 'role' && value !== 'policy') throw new AppError('InvalidParameter.ResourceType');
  return value;
}

function checkNames(names: readonly string[]): void {
  if (names.length > MAX_RESOURCE_NAMES) throw new AppError('InvalidParameter', `The parameter - "ResourceNames" may name at most ${MAX_RESOURCE_NAMES} resources.`);
  if (names.some((n) => n === '' || n.length > 128)) throw new AppError('InvalidParameter', 'The parameter - "ResourceNames" holds an invalid name.');
}

function checkTagKey(key: string): void {
  if (key === '' || key.length > MAX_KEY || /^(aliyun|acs:)/i.test(key) || /^https?:\/\//.test(key)) {
    throw new AppError('InvalidParameter.Tag', 'A tag key must be 1 to 128 characters and must not start with "aliyun", "acs:", "http://" or "https://".');
  }
}

/** The tags of TagResources, CreateRole and CreatePolicy: 1–20 (0 allowed when `optional`), valid keys and values. */
export function checkTags(tags: readonly Tag[], optional = false): void {
  if ((!optional && tags.length === 0) || tags.length > MAX_TAGS_PER_RESOURCE) {
    throw new AppError('InvalidParameter.Tag', `Between 1 and ${MAX_TAGS_PER_RESOURCE} tags are required.`);
  }
  for (const t of tags) {
    checkTagKey(t.key);
    if (t.value.length > MAX_VALUE) throw new AppError('InvalidParameter.Tag', `A tag value must be at most ${MAX_VALUE} characters.`);
  }
}

/** The Tag filter of ListTagResources, ListRoles and ListPolicies: at most 20. */
export function checkTagFilters(filters: readonly TagFilter[]): void {
  if (filters.length > MAX_TAGS_PER_RESOURCE) throw new AppError('InvalidParameter.Tag', `At most ${MAX_TAGS_PER_RESOURCE} tag filters.`);
}

/** Whether a resource's tags pass every filter (all must match): the key present, with the value when one is given. */
export function tagsMatch(tags: TagMap, filters: readonly TagFilter[]): boolean {
  return filters.every((f) => Object.hasOwn(tags, f.key) && (f.value === undefined || tags[f.key] === f.value));
}

/** A resource's tags as a list sorted by key. */
export function tagList(tags: TagMap): Tag[] {
  return Object.keys(tags).sort().map((key) => ({ key, value: tags[key]! }));
}

/** The tag document id of a role: by RoleId, so a renamed role keeps its tags. */
export function roleTagId(roleId: string): string {
  return `role:${roleId}`;
}

/** The tag document id of a custom policy: by name and creation time, so a policy created again starts untagged. */
export function policyTagId(policy: { policyName: string; createDate: number }): string {
  return `policy:${policy.policyName}@${policy.createDate}`;
}

/** The tags of several resources by document id (absent ids: no tags). */
export async function readTagMaps(store: IdentityStore, ids: readonly string[]): Promise<Map<string, TagMap>> {
  const out = new Map<string, TagMap>();
  if (ids.length === 0) return out;
  for (const [id, doc] of await store.readIdentityDocs(KIND, ids)) out.set(id, JSON.parse(doc) as TagMap);
  return out;
}

/** The tags of a resource just created (CreateRole, CreatePolicy): replaces whatever document the id had. */
export async function writeNewTags(store: IdentityStore, id: string, tags: readonly Tag[]): Promise<void> {
  const doc: TagMap = {};
  for (const t of tags) doc[t.key] = t.value;
  await store.updateIdentityDocs([{ kind: KIND, id }], () => [JSON.stringify(doc)]);
}

export class RamTags {
  constructor(private readonly ctx: ExtrasContext) {}

  /** The document id of a resource that exists (EntityNotExist.Role / .Policy otherwise). */
  private async docId(type: TagResourceType, name: string): Promise<string> {
    if (type === 'role') {
      const role = await this.ctx.store.getRole(name);
      if (!role) throw new AppError('EntityNotExist.Role');
      return roleTagId(role.roleId);
    }
    const policy = await this.ctx.store.getPolicy(name);
    if (!policy) throw new AppError('EntityNotExist.Policy');
    return policyTagId(policy);
  }

  /** The current name of a tagged resource, or null when it is gone. */
  private async nameOf(id: string): Promise<{ type: TagResourceType; name: string } | null> {
    if (id.startsWith('role:')) {
      const role = await this.ctx.store.getRoleById(id.slice(5));
      return role ? { type: 'role', name: role.roleName } : null;
    }
    const m = /^policy:(.+)@(\d+)$/.exec(id);
    if (!m) return null;
    const policy = await this.ctx.store.getPolicy(m[1]!);
    return policy && String(policy.createDate) === m[2] ? { type: 'policy', name: policy.policyName } : null;
  }

  async tag(caller: RamCaller, input: { resourceType: string; resourceNames: string[]; tags: Tag[] }): Promise<void> {
    const type = checkResourceType(input.resourceType);
    checkNames(input.resourceNames);
    if (input.resourceNames.length === 0) throw new AppError('InvalidParameter', 'The parameter - "ResourceNames" is mandatory for this action.');
    checkTags(input.tags);
    await authorizeAction(this.ctx, caller, 'TagResources', { resourceType: type, resourceNames: input.resourceNames });
    const ids = [];
    for (const name of input.resourceNames) ids.push(await this.docId(type, name));
    await this.ctx.store.updateIdentityDocs(ids.map((id) => ({ kind: KIND, id })), (cur) => cur.map((doc) => {
      const tags = { ...(doc ? (JSON.parse(doc) as Record<string, string>) : {}) };
      for (const t of input.tags) tags[t.key] = t.value;
      if (Object.keys(tags).length > MAX_TAGS_PER_RESOURCE) throw new AppError('LimitExceeded.Tag');
      return JSON.stringify(tags);
    }));
  }

  async untag(caller: RamCaller, input: { resourceType: string; resourceNames: string[]; tagKeys: string[]; all: boolean }): Promise<void> {
    const type = checkResourceType(input.resourceType);
    checkNames(input.resourceNames);
    if (input.resourceNames.length === 0) throw new AppError('InvalidParameter', 'The parameter - "ResourceNames" is mandatory for this action.');
    if (!input.all && input.tagKeys.length === 0) throw new AppError('InvalidParameter.Tag', 'TagKeys or All=true is required.');
    if (input.tagKeys.length > MAX_TAGS_PER_RESOURCE) throw new AppError('InvalidParameter.Tag', `At most ${MAX_TAGS_PER_RESOURCE} tag keys.`);
    await authorizeAction(this.ctx, caller, 'UntagResources', { resourceType: type, resourceNames: input.resourceNames });
    const ids = [];
    for (const name of input.resourceNames) ids.push(await this.docId(type, name));
    await this.ctx.store.updateIdentityDocs(ids.map((id) => ({ kind: KIND, id })), (cur) => cur.map((doc) => {
      if (doc === null || input.all) return null;
      const tags = JSON.parse(doc) as Record<string, string>;
      for (const k of input.tagKeys) delete tags[k];
      return Object.keys(tags).length === 0 ? null : JSON.stringify(tags);
    }));
  }

  /** Tags of the named resources (all tagged resources of the type when none are named), filtered by `tags`, paged. */
  async list(
    caller: RamCaller,
    input: { resourceType: string; resourceNames: string[]; tags: TagFilter[]; pageSize?: number; nextToken?: string },
  ): Promise<{ rows: TagRow[]; nextToken?: string }> {
    const type = checkResourceType(input.resourceType);
    checkNames(input.resourceNames);
    checkTagFilters(input.tags);
    const size = input.pageSize ?? MAX_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw new AppError('InvalidParameter', `The parameter - "PageSize" must be between 1 and ${MAX_PAGE}.`);
    let start = 0;
    if (input.nextToken !== undefined) {
      if (!/^\d{1,9}$/.test(input.nextToken)) throw new AppError('InvalidParameter', 'The parameter - "NextToken" is invalid.');
      start = Number(input.nextToken);
    }
    await authorizeAction(this.ctx, caller, 'ListTagResources', { resourceType: type, resourceNames: input.resourceNames });
    const resources: Array<{ name: string; tags: Record<string, string> }> = [];
    if (input.resourceNames.length > 0) {
      for (const name of input.resourceNames) {
        const id = await this.docId(type, name);
        const doc = (await this.ctx.store.readIdentityDocs(KIND, [id])).get(id);
        resources.push({ name, tags: doc ? (JSON.parse(doc) as Record<string, string>) : {} });
      }
    } else {
      for (const [id, doc] of await this.ctx.store.listIdentityDocs(KIND)) {
        const r = await this.nameOf(id);
        if (r && r.type === type) resources.push({ name: r.name, tags: JSON.parse(doc) as Record<string, string> });
      }
    }
    const rows: TagRow[] = [];
    for (const r of resources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!tagsMatch(r.tags, input.tags)) continue;
      for (const key of Object.keys(r.tags).sort()) rows.push({ resourceType: type, resourceName: r.name, key, value: r.tags[key]! });
    }
    const page = rows.slice(start, start + size);
    return start + size < rows.length ? { rows: page, nextToken: String(start + size) } : { rows: page };
  }
}
