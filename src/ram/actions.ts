// The RAM actions and, for each, every resource it touches (the RAM API reference's "RAM authorization"
// table, e.g. AttachPolicyToUser: the user and the policy). Authorization requires an Allow for each of
// them and refuses on any Deny, so an action is only as strong as its list here: RamService cannot
// authorize an action without going through this table, and the RPC action table is keyed by it (a new
// action without resources does not compile). docs/policy.md lists the same table.
import type { PolicyType, RamPrincipalKind } from './model.js';
import { ramArn } from './arn.js';

/** Builds the request ARNs of one account. */
export interface RamArns {
  user(name: string): string;
  group(name: string): string;
  role(name: string): string;
  /** Custom: `acs:ram::<account>:policy/<name>`; System: `acs:ram::system:policy/<name>`. */
  policy(type: PolicyType, name: string): string;
  /** A principal of the given kind. */
  principal(kind: RamPrincipalKind, name: string): string;
  /** `acs:ram::<account>:request/<id>` (ExplainRequest, an Alunite extension). */
  request(requestId: string): string;
  /** `acs:ram::<account>:mfa/<name>` (virtual MFA devices). */
  mfa(name: string): string;
  /** `acs:ram::<account>:*`: account-wide settings (alias, password policy, security preference, diagnostics). */
  account(): string;
}

export function ramArns(accountId: string): RamArns {
  const arns: RamArns = {
    user: (name) => ramArn.user(accountId, name),
    group: (name) => ramArn.group(accountId, name),
    role: (name) => ramArn.role(accountId, name),
    policy: (type, name) => ramArn.policy(accountId, type, name),
    principal: (kind, name) => (kind === 'User' ? arns.user(name) : kind === 'Group' ? arns.group(name) : arns.role(name)),
    request: (id) => `acs:ram::${accountId}:request/${id}`,
    mfa: (name) => `acs:ram::${accountId}:mfa/${name}`,
    account: () => `acs:ram::${accountId}:*`,
  };
  return arns;
}

type User = { userName: string };
type Group = { groupName: string };
type Role = { roleName: string };
type Policy = { policyType: PolicyType; policyName: string };
type Attachment = Policy & { principalName: string };

const attachment = (kind: RamPrincipalKind) => (a: RamArns, i: Attachment) => [a.principal(kind, i.principalName), a.policy(i.policyType, i.policyName)];
type Tagged = { resourceType: 'role' | 'policy'; resourceNames: readonly string[] };
const tagged = (a: RamArns, i: Tagged) => {
  const arn = (n: string) => (i.resourceType === 'role' ? a.role(n) : a.policy('Custom', n));
  return i.resourceNames.length > 0 ? i.resourceNames.map(arn) : [arn('*')];
};
const principal = (kind: RamPrincipalKind) => (a: RamArns, i: { principalName: string }) => [a.principal(kind, i.principalName)];

/**
 * Action name (without `ram:`) → its resources, from the action's input. A rename (UpdateUser,
 * UpdateGroup) also needs the new name: otherwise a Deny on `user/admin` would not stop another user
 * from being renamed into it.
 */
export const RAM_ACTION_RESOURCES = {
  // users
  CreateUser: (a: RamArns, i: User) => [a.user(i.userName)],
  GetUser: (a: RamArns, i: User) => [a.user(i.userName)],
  UpdateUser: (a: RamArns, i: User & { newUserName?: string }) => [a.user(i.userName), ...(i.newUserName !== undefined ? [a.user(i.newUserName)] : [])],
  ListUsers: (a: RamArns, _: Record<string, never>) => [a.user('*')],
  DeleteUser: (a: RamArns, i: User) => [a.user(i.userName)],
  // AccessKeys: the user owning the key (the caller itself when UserName is omitted)
  CreateAccessKey: (a: RamArns, i: User) => [a.user(i.userName)],
  ListAccessKeys: (a: RamArns, i: User) => [a.user(i.userName)],
  UpdateAccessKey: (a: RamArns, i: User) => [a.user(i.userName)],
  DeleteAccessKey: (a: RamArns, i: User) => [a.user(i.userName)],
  // groups
  CreateGroup: (a: RamArns, i: Group) => [a.group(i.groupName)],
  GetGroup: (a: RamArns, i: Group) => [a.group(i.groupName)],
  UpdateGroup: (a: RamArns, i: Group & { newGroupName?: string }) => [a.group(i.groupName), ...(i.newGroupName !== undefined ? [a.group(i.newGroupName)] : [])],
  ListGroups: (a: RamArns, _: Record<string, never>) => [a.group('*')],
  DeleteGroup: (a: RamArns, i: Group) => [a.group(i.groupName)],
  AddUserToGroup: (a: RamArns, i: Group & User) => [a.group(i.groupName), a.user(i.userName)],
  RemoveUserFromGroup: (a: RamArns, i: Group & User) => [a.group(i.groupName), a.user(i.userName)],
  ListGroupsForUser: (a: RamArns, i: User) => [a.user(i.userName)],
  ListUsersForGroup: (a: RamArns, i: Group) => [a.group(i.groupName)],
  // roles
  CreateRole: (a: RamArns, i: Role) => [a.role(i.roleName)],
  GetRole: (a: RamArns, i: Role) => [a.role(i.roleName)],
  UpdateRole: (a: RamArns, i: Role) => [a.role(i.roleName)],
  ListRoles: (a: RamArns, _: Record<string, never>) => [a.role('*')],
  DeleteRole: (a: RamArns, i: Role) => [a.role(i.roleName)],
  // policies (System ones have the `system` account)
  CreatePolicy: (a: RamArns, i: { policyName: string }) => [a.policy('Custom', i.policyName)],
  GetPolicy: (a: RamArns, i: Policy) => [a.policy(i.policyType, i.policyName)],
  ListPolicies: (a: RamArns, _: Record<string, never>) => [a.policy('Custom', '*')],
  DeletePolicy: (a: RamArns, i: { policyName: string }) => [a.policy('Custom', i.policyName)],
  CreatePolicyVersion: (a: RamArns, i: { policyName: string }) => [a.policy('Custom', i.policyName)],
  GetPolicyVersion: (a: RamArns, i: Policy) => [a.policy(i.policyType, i.policyName)],
  ListPolicyVersions: (a: RamArns, i: Policy) => [a.policy(i.policyType, i.policyName)],
  SetDefaultPolicyVersion: (a: RamArns, i: { policyName: string }) => [a.policy('Custom', i.policyName)],
  DeletePolicyVersion: (a: RamArns, i: { policyName: string }) => [a.policy('Custom', i.policyName)],
  // attachments: the principal and the policy
  AttachPolicyToUser: attachment('User'),
  AttachPolicyToGroup: attachment('Group'),
  AttachPolicyToRole: attachment('Role'),
  DetachPolicyFromUser: attachment('User'),
  DetachPolicyFromGroup: attachment('Group'),
  DetachPolicyFromRole: attachment('Role'),
  ListPoliciesForUser: principal('User'),
  ListPoliciesForGroup: principal('Group'),
  ListPoliciesForRole: principal('Role'),
  ListEntitiesForPolicy: (a: RamArns, i: Policy) => [a.policy(i.policyType, i.policyName)],
  // Alunite extensions
  SimulatePrincipalPolicy: (a: RamArns, i: { userName: string } | { roleName: string }) => ['userName' in i ? a.user(i.userName) : a.role(i.roleName)],
  ExplainRequest: (a: RamArns, i: { requestId: string }) => [a.request(i.requestId)],
  // login profiles, AccessKey last use, virtual MFA, account settings, diagnostics (docs/ram.md)
  CreateLoginProfile: (a: RamArns, i: User) => [a.user(i.userName)],
  GetLoginProfile: (a: RamArns, i: User) => [a.user(i.userName)],
  UpdateLoginProfile: (a: RamArns, i: User) => [a.user(i.userName)],
  DeleteLoginProfile: (a: RamArns, i: User) => [a.user(i.userName)],
  ChangePassword: (a: RamArns, i: User) => [a.user(i.userName)],
  GetAccessKeyLastUsed: (a: RamArns, i: User) => [a.user(i.userName)],
  CreateVirtualMFADevice: (a: RamArns, i: { deviceName: string }) => [a.mfa(i.deviceName)],
  DeleteVirtualMFADevice: (a: RamArns, i: { deviceName: string }) => [a.mfa(i.deviceName)],
  ListVirtualMFADevices: (a: RamArns, _: Record<string, never>) => [a.mfa('*')],
  BindMFADevice: (a: RamArns, i: User & { deviceName: string }) => [a.user(i.userName), a.mfa(i.deviceName)],
  UnbindMFADevice: (a: RamArns, i: User) => [a.user(i.userName)],
  GetUserMFAInfo: (a: RamArns, i: User) => [a.user(i.userName)],
  UpdatePolicyDescription: (a: RamArns, i: { policyName: string }) => [a.policy('Custom', i.policyName)],
  SetAccountAlias: (a: RamArns, _: Record<string, never>) => [a.account()],
  GetAccountAlias: (a: RamArns, _: Record<string, never>) => [a.account()],
  ClearAccountAlias: (a: RamArns, _: Record<string, never>) => [a.account()],
  SetPasswordPolicy: (a: RamArns, _: Record<string, never>) => [a.account()],
  GetPasswordPolicy: (a: RamArns, _: Record<string, never>) => [a.account()],
  SetSecurityPreference: (a: RamArns, _: Record<string, never>) => [a.account()],
  GetSecurityPreference: (a: RamArns, _: Record<string, never>) => [a.account()],
  DecodeDiagnosticMessage: (a: RamArns, _: Record<string, never>) => [a.account()],
  // tags on roles and custom policies: each named resource, or all of the type when none is named
  TagResources: tagged,
  UntagResources: tagged,
  ListTagResources: tagged,
} satisfies Record<string, (a: RamArns, input: never) => readonly string[]>;

export type RamActionName = keyof typeof RAM_ACTION_RESOURCES;
export type RamActionInput<A extends RamActionName> = Parameters<(typeof RAM_ACTION_RESOURCES)[A]>[1];

/** Every RAM action (here), in table order. */
export const RAM_ACTION_NAMES = Object.keys(RAM_ACTION_RESOURCES) as RamActionName[];

/** The resources `ram:<action>` touches with this input; never empty. */
export function ramActionResources<A extends RamActionName>(accountId: string, action: A, input: RamActionInput<A>): string[] {
  const of = RAM_ACTION_RESOURCES[action] as (a: RamArns, i: RamActionInput<A>) => readonly string[];
  return [...of(ramArns(accountId), input)];
}

// ---- federation: IMS identity-provider actions (Version 2019-08-15), authorized as `ram:<Action>` through the
// same hook (ram/authorize.ts). A table of its own so the RAM RPC table above stays as it is.
export const ramProviderArn = {
  oidc: (accountId: string, name: string): string => `acs:ram::${accountId}:oidc-provider/${name}`,
  saml: (accountId: string, name: string): string => `acs:ram::${accountId}:saml-provider/${name}`,
};
type Oidc = { accountId: string; name: string };
export const IMS_ACTION_RESOURCES = {
  CreateOIDCProvider: (i: Oidc) => [ramProviderArn.oidc(i.accountId, i.name)],
  GetOIDCProvider: (i: Oidc) => [ramProviderArn.oidc(i.accountId, i.name)],
  ListOIDCProviders: (i: { accountId: string }) => [ramProviderArn.oidc(i.accountId, '*')],
  UpdateOIDCProvider: (i: Oidc) => [ramProviderArn.oidc(i.accountId, i.name)],
  DeleteOIDCProvider: (i: Oidc) => [ramProviderArn.oidc(i.accountId, i.name)],
  AddFingerprintToOIDCProvider: (i: Oidc) => [ramProviderArn.oidc(i.accountId, i.name)],
  RemoveFingerprintFromOIDCProvider: (i: Oidc) => [ramProviderArn.oidc(i.accountId, i.name)],
  CreateSAMLProvider: (i: Oidc) => [ramProviderArn.saml(i.accountId, i.name)],
  GetSAMLProvider: (i: Oidc) => [ramProviderArn.saml(i.accountId, i.name)],
  ListSAMLProviders: (i: { accountId: string }) => [ramProviderArn.saml(i.accountId, '*')],
  UpdateSAMLProvider: (i: Oidc) => [ramProviderArn.saml(i.accountId, i.name)],
  DeleteSAMLProvider: (i: Oidc) => [ramProviderArn.saml(i.accountId, i.name)],
} satisfies Record<string, (input: never) => readonly string[]>;

export type ImsActionName = keyof typeof IMS_ACTION_RESOURCES;
