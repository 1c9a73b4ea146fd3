import { AppError } from '../errors.js';
import type { PolicyType, RamPolicyVersion } from './model.js';
import { checkField, checkVersionId } from './names.js';
import { decodeMarker, encodeMarker, pageSize, type Page, type TagPaging, type Tagged } from './paging.js';
import { validatePolicyDocument } from './policy-document.js';
import type { RamCaller } from './service-base.js';
import { RamRoleService } from './service-roles.js';
import { SYSTEM_POLICIES, systemPolicy } from './system-policies.js';
import { checkTagFilters, checkTags, policyTagId, type Tag } from './tags.js';

/** A policy as the API shows it (system or custom). */
export interface PolicyView {
  policyName: string;
  policyType: PolicyType;
  description: string;
  defaultVersion: string;
  createDate: number;
  updateDate: number;
  attachmentCount: number;
}

export interface PolicyVersionView extends RamPolicyVersion {
  isDefaultVersion: boolean;
}

export function checkPolicyType(value: string): PolicyType {
  if (value !== 'System' && value !== 'Custom') throw new AppError('InvalidParameter.PolicyType');
  return value;
}

/** RAM policies (system and custom) and custom policies' versions. */
export abstract class RamPolicyService extends RamRoleService {
  /** A policy of either type as the API shows it, or null. */
  protected async findPolicy(type: PolicyType, name: string): Promise<PolicyView | null> {
    if (type === 'System') {
      const p = systemPolicy(name);
      if (!p) return null;
      return {
        policyName: p.policyName, policyType: 'System', description: p.description, defaultVersion: 'v1', createDate: p.createDate,
        updateDate: p.createDate, attachmentCount: await this.store.countAttachments('System', name),
      };
    }
    const p = await this.store.getPolicy(name);
    if (!p) return null;
    return { ...p, policyType: 'Custom', attachmentCount: await this.store.countAttachments('Custom', name) };
  }

  protected async mustPolicy(type: PolicyType, name: string): Promise<PolicyView> {
    const p = await this.findPolicy(type, name);
    if (!p) throw new AppError('EntityNotExist.Policy');
    return p;
  }

  /** PolicyType when given; otherwise Custom if such a custom policy exists, else System. */
  private async resolveType(name: string, policyType: string | undefined): Promise<PolicyType> {
    if (policyType !== undefined) return checkPolicyType(policyType);
    return (await this.store.getPolicy(name)) ? 'Custom' : 'System';
  }

  async createPolicy(caller: RamCaller, input: { policyName: string; policyDocument: string; description?: string; tags?: Tag[] }): Promise<PolicyView> {
    checkField('PolicyName', input.policyName);
    if (input.description !== undefined) checkField('Description', input.description);
    validatePolicyDocument(input.policyDocument, 'identity', this.limits.policyDocumentLength);
    const tags = input.tags ?? [];
    checkTags(tags, true);
    await this.authorize(caller, 'CreatePolicy', { policyName: input.policyName });
    if (tags.length > 0) await this.authorize(caller, 'TagResources', { resourceType: 'policy', resourceNames: [input.policyName] });
    if (systemPolicy(input.policyName)) throw new AppError('EntityAlreadyExists.Policy');
    const now = this.clock();
    const policy = { policyName: input.policyName, description: input.description ?? '', defaultVersion: 'v1', createDate: now, updateDate: now };
    await this.store.createPolicy(policy, input.policyDocument, this.limits.customPolicies);
    if (tags.length > 0) await this.tagCreated(policyTagId(policy), tags, () => this.store.deletePolicy(policy.policyName));
    return { ...policy, policyType: 'Custom', attachmentCount: 0 };
  }

  async getPolicy(caller: RamCaller, input: { policyName: string; policyType?: string }): Promise<{ policy: PolicyView; defaultVersion: PolicyVersionView }> {
    checkField('PolicyName', input.policyName);
    const type = await this.resolveType(input.policyName, input.policyType);
    await this.authorize(caller, 'GetPolicy', { policyType: type, policyName: input.policyName });
    const policy = await this.mustPolicy(type, input.policyName);
    const version = await this.findVersion(type, input.policyName, policy.defaultVersion);
    if (!version) throw new AppError('EntityNotExist.Policy.Version');
    return { policy, defaultVersion: { ...version, isDefaultVersion: true } };
  }

  private async findVersion(type: PolicyType, name: string, versionId: string): Promise<RamPolicyVersion | null> {
    if (type === 'System') {
      const p = systemPolicy(name);
      return p && versionId === 'v1' ? { policyName: name, versionId: 'v1', document: p.document, createDate: p.createDate } : null;
    }
    return this.store.getPolicyVersion(name, versionId);
  }

  /**
   * System policies (sorted) first, then custom ones (sorted); PolicyType filters. A Tag filter leaves the system
   * policies out (they carry no tags: TagResources tags custom policies only).
   */
  async listPolicies(caller: RamCaller, input: TagPaging & { policyType?: string }): Promise<Page<Tagged<PolicyView>>> {
    const type = input.policyType !== undefined ? checkPolicyType(input.policyType) : undefined;
    const filters = input.tags ?? [];
    checkTagFilters(filters);
    const limit = pageSize(input.maxItems);
    const marker = decodeMarker(input.marker);
    await this.authorize(caller, 'ListPolicies', {});
    // Marker: "S:<name>" or "C:<name>", the last policy of the previous page.
    let afterType: PolicyType | undefined;
    let afterName = '';
    if (marker !== undefined) {
      if (!/^[SC]:/.test(marker)) throw new AppError('InvalidParameter.Marker');
      afterType = marker[0] === 'S' ? 'System' : 'Custom';
      afterName = marker.slice(2);
    }
    const out: Array<Tagged<PolicyView>> = [];
    if (type !== 'Custom' && afterType !== 'Custom' && filters.length === 0) {
      for (const p of SYSTEM_POLICIES) {
        if (p.policyName <= afterName && afterType === 'System') continue;
        out.push({ ...(await this.findPolicy('System', p.policyName))!, tags: [] });
        if (out.length > limit) break;
      }
    }
    if (type !== 'System' && out.length <= limit) {
      const after = afterType === 'Custom' ? afterName : '';
      const rows = await this.taggedPage(limit - out.length, after !== '' ? after : undefined, filters,
        (p) => this.store.listPolicies(p), (p) => p.policyName, (p) => policyTagId(p));
      for (const p of rows) out.push({ ...p, policyType: 'Custom', attachmentCount: await this.store.countAttachments('Custom', p.policyName) });
    }
    if (out.length <= limit) return { items: out, isTruncated: false };
    const items = out.slice(0, limit);
    const last = items[items.length - 1]!;
    return { items, isTruncated: true, marker: encodeMarker(`${last.policyType === 'System' ? 'S' : 'C'}:${last.policyName}`) };
  }

  async deletePolicy(caller: RamCaller, policyName: string): Promise<void> {
    checkField('PolicyName', policyName);
    await this.authorize(caller, 'DeletePolicy', { policyName });
    await this.store.deletePolicy(policyName);
  }

  async createPolicyVersion(
    caller: RamCaller,
    input: { policyName: string; policyDocument: string; setAsDefault?: boolean; rotateStrategy?: string },
  ): Promise<PolicyVersionView> {
    checkField('PolicyName', input.policyName);
    const rotate = input.rotateStrategy ?? 'None';
    if (rotate !== 'None' && rotate !== 'DeleteOldestNonDefaultVersionWhenLimitExceeded') throw new AppError('InvalidParameter.RotateStrategy');
    validatePolicyDocument(input.policyDocument, 'identity', this.limits.policyDocumentLength);
    await this.authorize(caller, 'CreatePolicyVersion', { policyName: input.policyName });
    const setAsDefault = input.setAsDefault ?? false;
    const v = await this.store.createPolicyVersion(input.policyName, input.policyDocument, this.clock(), {
      setAsDefault,
      rotate: rotate !== 'None',
      maxVersions: this.limits.versionsPerPolicy,
    });
    return { ...v, isDefaultVersion: setAsDefault };
  }

  async getPolicyVersion(caller: RamCaller, input: { policyName: string; policyType?: string; versionId: string }): Promise<PolicyVersionView> {
    checkField('PolicyName', input.policyName);
    checkVersionId(input.versionId);
    const type = await this.resolveType(input.policyName, input.policyType);
    await this.authorize(caller, 'GetPolicyVersion', { policyType: type, policyName: input.policyName });
    const policy = await this.mustPolicy(type, input.policyName);
    const v = await this.findVersion(type, input.policyName, input.versionId);
    if (!v) throw new AppError('EntityNotExist.Policy.Version');
    return { ...v, isDefaultVersion: v.versionId === policy.defaultVersion };
  }

  async listPolicyVersions(caller: RamCaller, input: { policyName: string; policyType?: string }): Promise<PolicyVersionView[]> {
    checkField('PolicyName', input.policyName);
    const type = await this.resolveType(input.policyName, input.policyType);
    await this.authorize(caller, 'ListPolicyVersions', { policyType: type, policyName: input.policyName });
    const policy = await this.mustPolicy(type, input.policyName);
    const versions = type === 'System'
      ? [(await this.findVersion('System', input.policyName, 'v1'))!]
      : await this.store.listPolicyVersions(input.policyName);
    return versions.map((v) => ({ ...v, isDefaultVersion: v.versionId === policy.defaultVersion }));
  }

  async setDefaultPolicyVersion(caller: RamCaller, input: { policyName: string; versionId: string }): Promise<void> {
    checkField('PolicyName', input.policyName);
    checkVersionId(input.versionId);
    await this.authorize(caller, 'SetDefaultPolicyVersion', { policyName: input.policyName });
    await this.store.setDefaultPolicyVersion(input.policyName, input.versionId, this.clock());
  }

  async deletePolicyVersion(caller: RamCaller, input: { policyName: string; versionId: string }): Promise<void> {
    checkField('PolicyName', input.policyName);
    checkVersionId(input.versionId);
    await this.authorize(caller, 'DeletePolicyVersion', { policyName: input.policyName });
    await this.store.deletePolicyVersion(input.policyName, input.versionId);
  }
}
