import { AppError } from '../errors.js';
import { sessionPolicyOf } from './identity.js';
import { simulateIdentity, type Simulation, type SimulationDeps } from './simulate.js';
import { decideRamAction } from '../policy/ram-action.js';
import { policyCaller } from '../authz/caller.js';
import type { RamGroup, RamPrincipalKind, RamRole, RamUser } from './model.js';
import { checkField } from './names.js';
import { systemPolicy } from './system-policies.js';
import type { RamCaller } from './service-base.js';
import { checkPolicyType, RamPolicyService, type PolicyView } from './service-policies.js';

export type { RamCaller, RamServiceOptions, RamServiceRules } from './service-base.js';
export type { Page, Paging, TagPaging, Tagged } from './paging.js';
export type { ResolvedAccessKey } from './service-users.js';
export type { PolicyVersionView, PolicyView } from './service-policies.js';

export interface AttachedPolicyView extends PolicyView {
  attachDate: number;
}

export interface PolicyEntities {
  users: Array<{ user: RamUser; attachDate: number }>;
  groups: Array<{ group: RamGroup; attachDate: number }>;
  roles: Array<{ role: RamRole; attachDate: number }>;
}

const PRINCIPAL_NAME: Record<RamPrincipalKind, 'UserName' | 'GroupName' | 'RoleName'> = { User: 'UserName', Group: 'GroupName', Role: 'RoleName' };

/**
 * The RAM domain: users, AccessKeys, groups, roles, policies and attachments, with RAM's rules, limits and
 * error codes. Protocol-free: the RPC layer parses parameters and renders results. Every action is
 * authorized through the one `authorizeRam` hook first. Split by concern into layers, each a class extending the one
 * below: service-base.ts, service-users.ts (and AccessKeys), service-groups.ts, service-roles.ts, service-policies.ts;
 * here the attachments and the policy simulator.
 */
export class RamService extends RamPolicyService {
  /**
   * Alunite extension: the decision a user or a role (with an optional session policy) would get for an
   * action and resource against the server's current state, layer by layer (simulate.ts), with the
   * identity policies' applying statements and reasons — what the console's "why denied?" page and
   * `alunite policy simulate --user/--role` ask.
   */
  async simulatePrincipalPolicy(
    caller: RamCaller,
    input: { userName?: string; roleName?: string; action: string; resource: string; context: Record<string, string | string[]>; sessionPolicy?: string },
  ): Promise<Simulation> {
    if ((input.userName === undefined) === (input.roleName === undefined)) {
      throw new AppError('InvalidParameter', 'Exactly one of UserName and RoleName is required.');
    }
    if (!this.identity) throw new AppError('InvalidParameter', 'The policy simulator is not available on this server.');
    const identity = this.identity;
    const world: SimulationDeps = {
      buckets: this.simulationWorld,
      trustPolicyOf: async (roleName: string) => {
        const role = await this.store.getRole(roleName);
        return role === null ? null : { roleName: role.roleName, document: role.assumeRolePolicyDocument };
      },
      // A bucket or trust policy's statements are shown only to a caller who may read that policy.
      mayRead: async (action, resource) => {
        const p = caller.principal;
        const standing = p.type !== 'anonymous' && p.accountId === this.accountId;
        const d = decideRamAction({
          caller: policyCaller(p),
          accountId: this.accountId,
          identityPolicies: standing ? await identity.forPrincipal(p) : [],
          sessionPolicy: standing ? sessionPolicyOf(p) : null,
          action,
          resource,
          context: caller.context,
        });
        return d.result.decision === 'Allow';
      },
    };
    if (input.userName !== undefined) {
      checkField('UserName', input.userName);
      await this.authorize(caller, 'SimulatePrincipalPolicy', { userName: input.userName });
      return simulateIdentity(this.identity, this.accountId, { user: await this.mustUser(input.userName) }, input, world);
    }
    checkField('RoleName', input.roleName!);
    await this.authorize(caller, 'SimulatePrincipalPolicy', { roleName: input.roleName! });
    return simulateIdentity(this.identity, this.accountId, { role: await this.mustRole(input.roleName!) }, input, world);
  }

  /** The principal's id, after checking its name and that it exists. */
  private async principalId(kind: RamPrincipalKind, name: string): Promise<string> {
    if (kind === 'User') return (await this.mustUser(checkField('UserName', name))).userId;
    if (kind === 'Group') return (await this.mustGroup(checkField('GroupName', name))).groupId;
    return (await this.mustRole(checkField('RoleName', name))).roleId;
  }

  private customLimit(kind: RamPrincipalKind): number {
    if (kind === 'User') return this.limits.customPoliciesPerUser;
    if (kind === 'Group') return this.limits.customPoliciesPerGroup;
    return this.limits.customPoliciesPerRole;
  }

  async attachPolicy(caller: RamCaller, kind: RamPrincipalKind, input: { policyType: string; policyName: string; principalName: string }): Promise<void> {
    const type = checkPolicyType(input.policyType);
    checkField('PolicyName', input.policyName);
    checkField(PRINCIPAL_NAME[kind], input.principalName);
    await this.authorize(caller, `AttachPolicyTo${kind}`, { principalName: input.principalName, policyType: type, policyName: input.policyName });
    const id = await this.principalId(kind, input.principalName);
    if (type === 'System' && !systemPolicy(input.policyName)) throw new AppError('EntityNotExist.Policy');
    await this.store.attachPolicy(
      { principalKind: kind, principalId: id, policyType: type, policyName: input.policyName, attachDate: this.clock() },
      type === 'System' ? this.limits.systemPoliciesPerPrincipal : this.customLimit(kind),
    );
  }

  async detachPolicy(caller: RamCaller, kind: RamPrincipalKind, input: { policyType: string; policyName: string; principalName: string }): Promise<void> {
    const type = checkPolicyType(input.policyType);
    checkField('PolicyName', input.policyName);
    checkField(PRINCIPAL_NAME[kind], input.principalName);
    await this.authorize(caller, `DetachPolicyFrom${kind}`, { principalName: input.principalName, policyType: type, policyName: input.policyName });
    const id = await this.principalId(kind, input.principalName);
    if (!(await this.findPolicy(type, input.policyName))) throw new AppError('EntityNotExist.Policy');
    await this.store.detachPolicy(kind, id, type, input.policyName);
  }

  async listPoliciesFor(caller: RamCaller, kind: RamPrincipalKind, principalName: string): Promise<AttachedPolicyView[]> {
    checkField(PRINCIPAL_NAME[kind], principalName);
    await this.authorize(caller, `ListPoliciesFor${kind}`, { principalName });
    const id = await this.principalId(kind, principalName);
    const out: AttachedPolicyView[] = [];
    for (const a of await this.store.listAttachments(kind, id)) {
      const p = await this.findPolicy(a.policyType, a.policyName);
      if (p) out.push({ ...p, attachDate: a.attachDate });
    }
    return out;
  }

  async listEntitiesForPolicy(caller: RamCaller, input: { policyType: string; policyName: string }): Promise<PolicyEntities> {
    const type = checkPolicyType(input.policyType);
    checkField('PolicyName', input.policyName);
    await this.authorize(caller, 'ListEntitiesForPolicy', { policyType: type, policyName: input.policyName });
    await this.mustPolicy(type, input.policyName);
    const out: PolicyEntities = { users: [], groups: [], roles: [] };
    for (const a of await this.store.listAttachmentsForPolicy(type, input.policyName)) {
      if (a.principalKind === 'User') {
        const user = await this.store.getUserById(a.principalId);
        if (user) out.users.push({ user, attachDate: a.attachDate });
      } else if (a.principalKind === 'Group') {
        const group = await this.store.getGroupById(a.principalId);
        if (group) out.groups.push({ group, attachDate: a.attachDate });
      } else {
        const role = await this.store.getRoleById(a.principalId);
        if (role) out.roles.push({ role, attachDate: a.attachDate });
      }
    }
    return out;
  }
}
