// RAM records as the metadata store keeps them. Times are epoch milliseconds; names are stored as given.
import { DEFAULT_MAX_LENGTH } from '../policy/index.js';

export interface RamUser {
  userId: string;
  userName: string;
  displayName: string;
  mobilePhone: string;
  email: string;
  comments: string;
  createDate: number;
  updateDate: number;
}

export type AccessKeyStatus = 'Active' | 'Inactive';

export interface RamAccessKey {
  accessKeyId: string;
  userId: string;
  /** The secret sealed with the master key (`secret-box.ts`); never the plain text. */
  sealedSecret: string;
  status: AccessKeyStatus;
  createDate: number;
}

export interface RamGroup {
  groupId: string;
  groupName: string;
  comments: string;
  createDate: number;
  updateDate: number;
}

export interface RamRole {
  roleId: string;
  roleName: string;
  description: string;
  assumeRolePolicyDocument: string;
  maxSessionDuration: number;
  createDate: number;
  updateDate: number;
}

export type PolicyType = 'System' | 'Custom';

/** A custom policy (system policies live in code, `system-policies.ts`). */
export interface RamPolicy {
  policyName: string;
  description: string;
  defaultVersion: string;
  createDate: number;
  updateDate: number;
}

export interface RamPolicyVersion {
  policyName: string;
  /** `v1`, `v2`, … never reused within a policy. */
  versionId: string;
  document: string;
  createDate: number;
}

export type RamPrincipalKind = 'User' | 'Group' | 'Role';

export interface RamAttachment {
  principalKind: RamPrincipalKind;
  /** UserId, GroupId or RoleId: renames keep attachments. */
  principalId: string;
  policyType: PolicyType;
  policyName: string;
  attachDate: number;
}

export interface GroupMembership {
  groupId: string;
  userId: string;
  joinDate: number;
}

/** Account limits (spec §1.8); the store enforces them atomically with the write they constrain. */
export interface RamLimits {
  users: number;
  groups: number;
  roles: number;
  customPolicies: number;
  accessKeysPerUser: number;
  groupsPerUser: number;
  versionsPerPolicy: number;
  /** Custom policies attached per principal (system policies have their own count). */
  customPoliciesPerUser: number;
  customPoliciesPerGroup: number;
  customPoliciesPerRole: number;
  systemPoliciesPerPrincipal: number;
  policyDocumentLength: number;
}

export const DEFAULT_RAM_LIMITS: RamLimits = {
  users: 1000,
  groups: 50,
  roles: 1000,
  customPolicies: 1500,
  accessKeysPerUser: 2,
  groupsPerUser: 5,
  versionsPerPolicy: 5,
  customPoliciesPerUser: 10,
  customPoliciesPerGroup: 5,
  customPoliciesPerRole: 5,
  systemPoliciesPerPrincipal: 20,
  policyDocumentLength: DEFAULT_MAX_LENGTH.identity,
};
