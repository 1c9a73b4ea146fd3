import type { NamePage } from '../store/meta/types.js';
import { newNumericId } from './ids.js';
import type { RamRole } from './model.js';
import { checkField, checkMaxSessionDuration, MIN_SESSION_DURATION } from './names.js';
import { decodeMarker, encodeMarker, pageSize, type Page, type TagPaging, type Tagged } from './paging.js';
import { validatePolicyDocument } from './policy-document.js';
import type { RamCaller } from './service-base.js';
import { RamGroupService } from './service-groups.js';
import { checkTagFilters, checkTags, readTagMaps, roleTagId, tagList, tagsMatch, writeNewTags, type Tag, type TagFilter, type TagMap } from './tags.js';

/** RAM roles, and the tagging on create and the tag-filtered pages that roles and policies share. */
export abstract class RamRoleService extends RamGroupService {
  async createRole(
    caller: RamCaller,
    input: { roleName: string; assumeRolePolicyDocument: string; description?: string; maxSessionDuration?: number; tags?: Tag[] },
  ): Promise<RamRole> {
    checkField('RoleName', input.roleName);
    if (input.description !== undefined) checkField('Description', input.description);
    const maxSessionDuration = input.maxSessionDuration !== undefined ? checkMaxSessionDuration(input.maxSessionDuration) : MIN_SESSION_DURATION;
    validatePolicyDocument(input.assumeRolePolicyDocument, 'trust');
    const tags = input.tags ?? [];
    checkTags(tags, true);
    await this.authorize(caller, 'CreateRole', { roleName: input.roleName });
    // The tags it writes are TagResources' to allow, as OSS asks PutObjectTagging of a write with x-oss-tagging.
    if (tags.length > 0) await this.authorize(caller, 'TagResources', { resourceType: 'role', resourceNames: [input.roleName] });
    const now = this.clock();
    const role: RamRole = {
      roleId: newNumericId(18),
      roleName: input.roleName,
      description: input.description ?? '',
      assumeRolePolicyDocument: input.assumeRolePolicyDocument,
      maxSessionDuration,
      createDate: now,
      updateDate: now,
    };
    await this.store.createRole(role, this.limits.roles);
    if (tags.length > 0) await this.tagCreated(roleTagId(role.roleId), tags, () => this.store.deleteRole(role.roleName));
    return role;
  }

  /** Writes the tags of a role or policy just created; when that fails, the resource is removed again and the error stands. */
  protected async tagCreated(id: string, tags: readonly Tag[], undo: () => Promise<void>): Promise<void> {
    try {
      await writeNewTags(this.store, id, tags);
    } catch (err) {
      await undo().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Pages of a listing filtered by tags: reads the store in batches after the marker until one item more than the
   * page (IsTruncated) has matched or the store is exhausted, so a filter never shortens a page that has more to show.
   */
  protected async taggedPage<T>(
    limit: number,
    after: string | undefined,
    filters: readonly TagFilter[],
    fetch: (p: NamePage) => Promise<T[]>,
    nameOf: (t: T) => string,
    tagId: (t: T) => string,
  ): Promise<Array<Tagged<T>>> {
    const out: Array<Tagged<T>> = [];
    // Unfiltered, one more than the page is all that is needed; filtered, larger batches cut the round trips.
    const batch = filters.length === 0 ? limit + 1 : Math.max(limit + 1, 100);
    let cursor = after;
    for (;;) {
      const rows = await fetch({ ...(cursor !== undefined ? { after: cursor } : {}), limit: batch });
      const tags = await readTagMaps(this.store, rows.map(tagId));
      for (const row of rows) {
        const t: TagMap = tags.get(tagId(row)) ?? {};
        if (!tagsMatch(t, filters)) continue;
        out.push({ ...row, tags: tagList(t) });
        if (out.length > limit) return out;
      }
      if (rows.length < batch) return out;
      cursor = nameOf(rows[rows.length - 1]!);
    }
  }

  async getRole(caller: RamCaller, roleName: string): Promise<RamRole> {
    checkField('RoleName', roleName);
    await this.authorize(caller, 'GetRole', { roleName });
    return this.mustRole(roleName);
  }

  async updateRole(
    caller: RamCaller,
    input: { roleName: string; newAssumeRolePolicyDocument?: string; newMaxSessionDuration?: number; newDescription?: string },
  ): Promise<RamRole> {
    checkField('RoleName', input.roleName);
    if (input.newDescription !== undefined) checkField('Description', input.newDescription);
    if (input.newMaxSessionDuration !== undefined) checkMaxSessionDuration(input.newMaxSessionDuration);
    if (input.newAssumeRolePolicyDocument !== undefined) validatePolicyDocument(input.newAssumeRolePolicyDocument, 'trust');
    await this.authorize(caller, 'UpdateRole', { roleName: input.roleName });
    return this.store.updateRole(
      input.roleName,
      {
        ...(input.newAssumeRolePolicyDocument !== undefined ? { assumeRolePolicyDocument: input.newAssumeRolePolicyDocument } : {}),
        ...(input.newMaxSessionDuration !== undefined ? { maxSessionDuration: input.newMaxSessionDuration } : {}),
        ...(input.newDescription !== undefined ? { description: input.newDescription } : {}),
      },
      this.clock(),
    );
  }

  async listRoles(caller: RamCaller, paging: TagPaging): Promise<Page<Tagged<RamRole>>> {
    const filters = paging.tags ?? [];
    checkTagFilters(filters);
    const limit = pageSize(paging.maxItems);
    const after = decodeMarker(paging.marker);
    await this.authorize(caller, 'ListRoles', {});
    const rows = await this.taggedPage(limit, after, filters, (p) => this.store.listRoles(p), (r) => r.roleName, (r) => roleTagId(r.roleId));
    if (rows.length <= limit) return { items: rows, isTruncated: false };
    const items = rows.slice(0, limit);
    return { items, isTruncated: true, marker: encodeMarker(items[items.length - 1]!.roleName) };
  }

  async deleteRole(caller: RamCaller, roleName: string): Promise<void> {
    checkField('RoleName', roleName);
    await this.authorize(caller, 'DeleteRole', { roleName });
    await this.store.deleteRole(roleName);
  }
}
