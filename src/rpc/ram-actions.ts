import { AppError, type ErrorCode } from '../errors.js';
import type { RamActionName } from '../ram/actions.js';
import { ramArn } from '../ram/arn.js';
import type { RamAccessKey, RamGroup, RamPrincipalKind, RamRole, RamUser } from '../ram/model.js';
import type { AttachedPolicyView, Page, PolicyVersionView, PolicyView, RamCaller, RamService } from '../ram/service.js';
import type { Tag, TagFilter } from '../ram/tags.js';
import { boolParam, optParam, tagListParam, tagsToSetParam, type RpcParams } from './encoding.js';
import { traceWire } from './trace-wire.js';
import type { RamExtraActionName } from './ram-extra-actions.js';
import type { WireObject } from './response.js';
import { isoSeconds } from '../util/time.js';

// RAM (Version 2015-05-01) over POP RPC: parameters → RamService call → response body. Shapes follow the
// RAM API reference (PascalCase keys, lists as {Users: {User: [...]}}, dates `2015-01-23T12:33:18Z`).

export const RAM_VERSION = '2015-05-01';

type Required = 'UserName' | 'GroupName' | 'RoleName' | 'PolicyName' | 'PolicyType' | 'PolicyDocument' | 'AssumeRolePolicyDocument' | 'VersionId' | 'UserAccessKeyId' | 'Status';

const MISSING: Record<Required, ErrorCode> = {
  UserName: 'MissingUserName',
  GroupName: 'MissingGroupName',
  RoleName: 'MissingRoleName',
  PolicyName: 'MissingPolicyName',
  PolicyType: 'MissingPolicyType',
  PolicyDocument: 'MissingPolicyDocument',
  AssumeRolePolicyDocument: 'MissingAssumeRolePolicyDocument',
  VersionId: 'MissingVersionId',
  UserAccessKeyId: 'MissingUserAccessKeyId',
  Status: 'MissingStatus',
};

/** Typed access to request parameters; empty values count as absent, as the SDKs never send them. */
class Params {
  constructor(private readonly p: RpcParams) {}

  opt(name: string): string | undefined {
    return optParam(this.p, name);
  }

  req(name: Required): string {
    const v = this.opt(name);
    if (v === undefined) throw new AppError(MISSING[name]);
    return v;
  }

  int(name: string, invalid: ErrorCode): number | undefined {
    const v = this.opt(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw new AppError(invalid);
    return Number(v);
  }

  bool(name: string): boolean | undefined {
    return boolParam(this.p, name);
  }

  /** `Tag` of CreateRole / CreatePolicy, as TagResources reads it. */
  tags(): Tag[] {
    return tagsToSetParam(this.p);
  }

  /** `Tag` of ListRoles / ListPolicies: filters by key, or by key and value. */
  tagFilters(): TagFilter[] {
    return tagListParam(this.p);
  }

  paging(): { marker?: string; maxItems?: number } {
    const marker = this.opt('Marker');
    const maxItems = this.int('MaxItems', 'InvalidParameter.MaxItems');
    return { ...(marker !== undefined ? { marker } : {}), ...(maxItems !== undefined ? { maxItems } : {}) };
  }
}


function userWire(u: RamUser): WireObject {
  return {
    UserId: u.userId, UserName: u.userName, DisplayName: u.displayName, MobilePhone: u.mobilePhone, Email: u.email,
    Comments: u.comments, CreateDate: isoSeconds(u.createDate), UpdateDate: isoSeconds(u.updateDate),
  };
}

function groupWire(g: RamGroup): WireObject {
  return { GroupId: g.groupId, GroupName: g.groupName, Comments: g.comments, CreateDate: isoSeconds(g.createDate), UpdateDate: isoSeconds(g.updateDate) };
}

function keyWire(k: RamAccessKey): WireObject {
  return { AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: isoSeconds(k.createDate) };
}

/** `Tags: {Tag: [{TagKey, TagValue}]}` of the ListRoles and ListPolicies items (the SDK models' shape). */
function tagsWire(tags: readonly Tag[]): WireObject {
  return { Tags: { Tag: tags.map((t) => ({ TagKey: t.key, TagValue: t.value })) } };
}

function policyWire(p: PolicyView): WireObject {
  return {
    PolicyName: p.policyName, PolicyType: p.policyType, Description: p.description, DefaultVersion: p.defaultVersion,
    CreateDate: isoSeconds(p.createDate), UpdateDate: isoSeconds(p.updateDate), AttachmentCount: p.attachmentCount,
  };
}

function attachedWire(p: AttachedPolicyView): WireObject {
  return { PolicyName: p.policyName, PolicyType: p.policyType, Description: p.description, DefaultVersion: p.defaultVersion, AttachDate: isoSeconds(p.attachDate) };
}

function versionWire(v: PolicyVersionView): WireObject {
  return { VersionId: v.versionId, IsDefaultVersion: v.isDefaultVersion, PolicyDocument: v.document, CreateDate: isoSeconds(v.createDate) };
}

function pageWire<T>(page: Page<T>, wrap: (items: T[]) => WireObject): WireObject {
  return { IsTruncated: page.isTruncated, ...(page.marker !== undefined ? { Marker: page.marker } : {}), ...wrap(page.items) };
}

type Action = (svc: RamService, caller: RamCaller, p: Params) => Promise<WireObject>;

function roleWire(svc: RamService, r: RamRole, full = true): WireObject {
  return {
    RoleId: r.roleId, RoleName: r.roleName, Arn: ramArn.role(svc.accountId, r.roleName), Description: r.description,
    ...(full ? { AssumeRolePolicyDocument: r.assumeRolePolicyDocument } : {}),
    MaxSessionDuration: r.maxSessionDuration, CreateDate: isoSeconds(r.createDate), UpdateDate: isoSeconds(r.updateDate),
  };
}

const NAME_PARAM: Record<RamPrincipalKind, 'UserName' | 'GroupName' | 'RoleName'> = { User: 'UserName', Group: 'GroupName', Role: 'RoleName' };

function attach(kind: RamPrincipalKind): Action {
  return async (svc, caller, p) => {
    await svc.attachPolicy(caller, kind, { policyType: p.req('PolicyType'), policyName: p.req('PolicyName'), principalName: p.req(NAME_PARAM[kind]) });
    return {};
  };
}

function detach(kind: RamPrincipalKind): Action {
  return async (svc, caller, p) => {
    await svc.detachPolicy(caller, kind, { policyType: p.req('PolicyType'), policyName: p.req('PolicyName'), principalName: p.req(NAME_PARAM[kind]) });
    return {};
  };
}

function listPoliciesFor(kind: RamPrincipalKind): Action {
  return async (svc, caller, p) => {
    const list = await svc.listPoliciesFor(caller, kind, p.req(NAME_PARAM[kind]));
    return { Policies: { Policy: list.map(attachedWire) } };
  };
}

// Keyed by the RAM action table (ram/actions.ts), which declares each action's resources: an action
// cannot be added here without them. ExplainRequest is dispatched on its own (rpc/explain-action.ts).
// The actions of ram/extras.ts have their own table (rpc/ram-extra-actions.ts).
const ACTIONS: Record<Exclude<RamActionName, 'ExplainRequest' | RamExtraActionName>, Action> = {
  // users
  CreateUser: async (svc, caller, p) => {
    const u = await svc.createUser(caller, {
      userName: p.req('UserName'),
      ...opt('displayName', p.opt('DisplayName')),
      ...opt('mobilePhone', p.opt('MobilePhone')),
      ...opt('email', p.opt('Email')),
      ...opt('comments', p.opt('Comments')),
    });
    return { User: userWire(u) };
  },
  GetUser: async (svc, caller, p) => ({ User: userWire(await svc.getUser(caller, p.req('UserName'))) }),
  UpdateUser: async (svc, caller, p) => {
    const u = await svc.updateUser(caller, {
      userName: p.req('UserName'),
      ...opt('newUserName', p.opt('NewUserName')),
      ...opt('newDisplayName', p.opt('NewDisplayName')),
      ...opt('newMobilePhone', p.opt('NewMobilePhone')),
      ...opt('newEmail', p.opt('NewEmail')),
      ...opt('newComments', p.opt('NewComments')),
    });
    return { User: userWire(u) };
  },
  ListUsers: async (svc, caller, p) => pageWire(await svc.listUsers(caller, p.paging()), (users) => ({ Users: { User: users.map(userWire) } })),
  DeleteUser: async (svc, caller, p) => {
    await svc.deleteUser(caller, p.req('UserName'));
    return {};
  },

  // AccessKeys
  CreateAccessKey: async (svc, caller, p) => {
    const { key, secret } = await svc.createAccessKey(caller, opt('userName', p.opt('UserName')));
    return { AccessKey: { AccessKeyId: key.accessKeyId, AccessKeySecret: secret, Status: key.status, CreateDate: isoSeconds(key.createDate) } };
  },
  ListAccessKeys: async (svc, caller, p) => {
    const keys = await svc.listAccessKeys(caller, opt('userName', p.opt('UserName')));
    return { AccessKeys: { AccessKey: keys.map(keyWire) } };
  },
  UpdateAccessKey: async (svc, caller, p) => {
    await svc.updateAccessKey(caller, { ...opt('userName', p.opt('UserName')), userAccessKeyId: p.req('UserAccessKeyId'), status: p.req('Status') });
    return {};
  },
  DeleteAccessKey: async (svc, caller, p) => {
    await svc.deleteAccessKey(caller, { ...opt('userName', p.opt('UserName')), userAccessKeyId: p.req('UserAccessKeyId') });
    return {};
  },

  // groups
  CreateGroup: async (svc, caller, p) => ({
    Group: groupWire(await svc.createGroup(caller, { groupName: p.req('GroupName'), ...opt('comments', p.opt('Comments')) })),
  }),
  GetGroup: async (svc, caller, p) => ({ Group: groupWire(await svc.getGroup(caller, p.req('GroupName'))) }),
  UpdateGroup: async (svc, caller, p) => ({
    Group: groupWire(await svc.updateGroup(caller, {
      groupName: p.req('GroupName'), ...opt('newGroupName', p.opt('NewGroupName')), ...opt('newComments', p.opt('NewComments')),
    })),
  }),
  ListGroups: async (svc, caller, p) => pageWire(await svc.listGroups(caller, p.paging()), (groups) => ({ Groups: { Group: groups.map(groupWire) } })),
  DeleteGroup: async (svc, caller, p) => {
    await svc.deleteGroup(caller, p.req('GroupName'));
    return {};
  },
  AddUserToGroup: async (svc, caller, p) => {
    await svc.addUserToGroup(caller, { groupName: p.req('GroupName'), userName: p.req('UserName') });
    return {};
  },
  RemoveUserFromGroup: async (svc, caller, p) => {
    await svc.removeUserFromGroup(caller, { groupName: p.req('GroupName'), userName: p.req('UserName') });
    return {};
  },
  ListGroupsForUser: async (svc, caller, p) => {
    const list = await svc.listGroupsForUser(caller, p.req('UserName'));
    return { Groups: { Group: list.map((m) => ({ GroupName: m.group.groupName, Comments: m.group.comments, JoinDate: isoSeconds(m.joinDate) })) } };
  },
  ListUsersForGroup: async (svc, caller, p) => pageWire(
    await svc.listUsersForGroup(caller, p.req('GroupName'), p.paging()),
    (members) => ({ Users: { User: members.map((m) => ({ UserName: m.user.userName, DisplayName: m.user.displayName, JoinDate: isoSeconds(m.joinDate) })) } }),
  ),

  // roles
  CreateRole: async (svc, caller, p) => {
    const r = await svc.createRole(caller, {
      roleName: p.req('RoleName'),
      assumeRolePolicyDocument: p.req('AssumeRolePolicyDocument'),
      ...opt('description', p.opt('Description')),
      ...opt('maxSessionDuration', p.int('MaxSessionDuration', 'InvalidParameter.MaxSessionDuration')),
      tags: p.tags(),
    });
    return { Role: roleWire(svc, r) };
  },
  GetRole: async (svc, caller, p) => ({ Role: roleWire(svc, await svc.getRole(caller, p.req('RoleName'))) }),
  UpdateRole: async (svc, caller, p) => {
    const r = await svc.updateRole(caller, {
      roleName: p.req('RoleName'),
      ...opt('newAssumeRolePolicyDocument', p.opt('NewAssumeRolePolicyDocument')),
      ...opt('newMaxSessionDuration', p.int('NewMaxSessionDuration', 'InvalidParameter.MaxSessionDuration')),
      ...opt('newDescription', p.opt('NewDescription')),
    });
    return { Role: roleWire(svc, r) };
  },
  ListRoles: async (svc, caller, p) => pageWire(
    await svc.listRoles(caller, { ...p.paging(), tags: p.tagFilters() }),
    (roles) => ({ Roles: { Role: roles.map((r) => ({ ...roleWire(svc, r, false), ...tagsWire(r.tags) })) } }),
  ),
  DeleteRole: async (svc, caller, p) => {
    await svc.deleteRole(caller, p.req('RoleName'));
    return {};
  },

  // policies
  CreatePolicy: async (svc, caller, p) => {
    const policy = await svc.createPolicy(caller, {
      policyName: p.req('PolicyName'), policyDocument: p.req('PolicyDocument'), ...opt('description', p.opt('Description')), tags: p.tags(),
    });
    return { Policy: policyWire(policy) };
  },
  GetPolicy: async (svc, caller, p) => {
    const { policy, defaultVersion } = await svc.getPolicy(caller, { policyName: p.req('PolicyName'), ...opt('policyType', p.opt('PolicyType')) });
    return { Policy: policyWire(policy), DefaultPolicyVersion: versionWire(defaultVersion) };
  },
  ListPolicies: async (svc, caller, p) => pageWire(
    await svc.listPolicies(caller, { ...p.paging(), ...opt('policyType', p.opt('PolicyType')), tags: p.tagFilters() }),
    (policies) => ({ Policies: { Policy: policies.map((x) => ({ ...policyWire(x), ...tagsWire(x.tags) })) } }),
  ),
  DeletePolicy: async (svc, caller, p) => {
    await svc.deletePolicy(caller, p.req('PolicyName'));
    return {};
  },
  CreatePolicyVersion: async (svc, caller, p) => {
    const v = await svc.createPolicyVersion(caller, {
      policyName: p.req('PolicyName'),
      policyDocument: p.req('PolicyDocument'),
      ...opt('setAsDefault', p.bool('SetAsDefault')),
      ...opt('rotateStrategy', p.opt('RotateStrategy')),
    });
    return { PolicyVersion: versionWire(v) };
  },
  GetPolicyVersion: async (svc, caller, p) => ({
    PolicyVersion: versionWire(await svc.getPolicyVersion(caller, {
      policyName: p.req('PolicyName'), versionId: p.req('VersionId'), ...opt('policyType', p.opt('PolicyType')),
    })),
  }),
  ListPolicyVersions: async (svc, caller, p) => {
    const versions = await svc.listPolicyVersions(caller, { policyName: p.req('PolicyName'), ...opt('policyType', p.opt('PolicyType')) });
    return { PolicyVersions: { PolicyVersion: versions.map(versionWire) } };
  },
  SetDefaultPolicyVersion: async (svc, caller, p) => {
    await svc.setDefaultPolicyVersion(caller, { policyName: p.req('PolicyName'), versionId: p.req('VersionId') });
    return {};
  },
  DeletePolicyVersion: async (svc, caller, p) => {
    await svc.deletePolicyVersion(caller, { policyName: p.req('PolicyName'), versionId: p.req('VersionId') });
    return {};
  },

  // attachments
  AttachPolicyToUser: attach('User'),
  AttachPolicyToGroup: attach('Group'),
  AttachPolicyToRole: attach('Role'),
  DetachPolicyFromUser: detach('User'),
  DetachPolicyFromGroup: detach('Group'),
  DetachPolicyFromRole: detach('Role'),
  ListPoliciesForUser: listPoliciesFor('User'),
  ListPoliciesForGroup: listPoliciesFor('Group'),
  ListPoliciesForRole: listPoliciesFor('Role'),
  // Alunite extension (not in Alibaba Cloud RAM): the policy simulator for an admin or the console.
  SimulatePrincipalPolicy: async (svc, caller, p) => {
    const action = p.opt('ActionName');
    const resource = p.opt('Resource');
    if (action === undefined) throw new AppError('InvalidParameter', 'The parameter - "ActionName" is mandatory.');
    if (resource === undefined) throw new AppError('InvalidParameter', 'The parameter - "Resource" is mandatory.');
    let context: Record<string, string | string[]> = {};
    const raw = p.opt('Context');
    if (raw !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new AppError('InvalidParameter', 'The parameter - "Context" must be a JSON object of condition keys.');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) ||
        !Object.values(parsed).every((v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) {
        throw new AppError('InvalidParameter', 'The parameter - "Context" must map condition keys to strings or string arrays.');
      }
      context = parsed as Record<string, string | string[]>;
    }
    const sessionPolicy = p.opt('SessionPolicy');
    const { identity: r, trace, message, rule } = await svc.simulatePrincipalPolicy(caller, { userName: p.opt('UserName'), roleName: p.opt('RoleName'), action, resource, context, ...(sessionPolicy !== undefined ? { sessionPolicy } : {}) });
    // Decision is the whole decision (session policy, bucket policy, owner, ACL included); MatchedStatements
    // and Reasons stay those of the identity policies, as before; Trace has every layer.
    const deciding = trace.layers.find((l) => l.layer === trace.decidingLayer);
    return {
      EvaluationResult: {
        Decision: trace.decision,
        // An OSS request refused: the AccessDenied message it would get (absent when this account cannot know it).
        ...(message !== undefined ? { Message: message } : {}),
        IdentityDecision: r.decision,
        MatchedStatements: { Statement: r.matched.map((m) => ({ PolicyName: m.policy, StatementIndex: m.statement, Effect: m.effect })) },
        Reasons: {
          Reason: rule !== undefined ? [`${rule}: ${message ?? ''}`, ...r.reasons]
            : deciding && deciding.layer !== 'identity' ? [`${deciding.layer}: ${deciding.reason}`, ...r.reasons] : r.reasons,
        },
        Trace: traceWire(trace),
      },
    };
  },
  ListEntitiesForPolicy: async (svc, caller, p) => {
    const e = await svc.listEntitiesForPolicy(caller, { policyType: p.req('PolicyType'), policyName: p.req('PolicyName') });
    return {
      Users: { User: e.users.map((x) => ({ UserId: x.user.userId, UserName: x.user.userName, DisplayName: x.user.displayName, AttachDate: isoSeconds(x.attachDate) })) },
      Groups: { Group: e.groups.map((x) => ({ GroupName: x.group.groupName, Comments: x.group.comments, AttachDate: isoSeconds(x.attachDate) })) },
      Roles: {
        Role: e.roles.map((x) => ({
          RoleId: x.role.roleId, RoleName: x.role.roleName, Arn: ramArn.role(svc.accountId, x.role.roleName), Description: x.role.description,
          AttachDate: isoSeconds(x.attachDate),
        })),
      },
    };
  },
};

/** `{key: value}` when value is defined, else `{}` (optional inputs stay absent, not undefined). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Whether RAM (here) has this action. */
export function isRamAction(action: string): action is keyof typeof ACTIONS {
  return Object.hasOwn(ACTIONS, action);
}

/** Runs one RAM action; InvalidAction.NotFound for a name RAM does not have. */
export async function runRamAction(svc: RamService, caller: RamCaller, action: string, params: RpcParams): Promise<WireObject> {
  if (!isRamAction(action)) throw new AppError('InvalidAction.NotFound');
  return ACTIONS[action](svc, caller, new Params(params));
}
