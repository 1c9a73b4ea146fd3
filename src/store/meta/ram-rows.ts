// Row shapes of the RAM tables and their decoding, shared by the SQLite and PostgreSQL engines (same
// column names; integers arrive as numbers from both, see the PostgreSQL int8 parser).
import type {
  AccessKeyStatus,
  PolicyType,
  RamAccessKey,
  RamAttachment,
  RamGroup,
  RamPolicy,
  RamPolicyVersion,
  RamPrincipalKind,
  RamRole,
  RamUser,
} from '../../ram/model.js';

export interface UserRow {
  user_id: string;
  name: string;
  display_name: string;
  mobile_phone: string;
  email: string;
  comments: string;
  created: number;
  updated: number;
}

export interface AccessKeyRow {
  access_key_id: string;
  user_id: string;
  sealed_secret: string;
  status: string;
  created: number;
}

export interface GroupRow {
  group_id: string;
  name: string;
  comments: string;
  created: number;
  updated: number;
}

export interface RoleRow {
  role_id: string;
  name: string;
  description: string;
  trust_policy: string;
  max_session_duration: number;
  created: number;
  updated: number;
}

export interface PolicyRow {
  name: string;
  description: string;
  default_version: string;
  created: number;
  updated: number;
}

export interface VersionRow {
  policy_name: string;
  version_num: number;
  document: string;
  created: number;
}

export interface AttachmentRow {
  principal_kind: string;
  principal_id: string;
  policy_type: string;
  policy_name: string;
  attached: number;
}

export function toUser(r: UserRow): RamUser {
  return {
    userId: r.user_id, userName: r.name, displayName: r.display_name, mobilePhone: r.mobile_phone, email: r.email,
    comments: r.comments, createDate: r.created, updateDate: r.updated,
  };
}

export function toAccessKey(r: AccessKeyRow): RamAccessKey {
  return { accessKeyId: r.access_key_id, userId: r.user_id, sealedSecret: r.sealed_secret, status: r.status as AccessKeyStatus, createDate: r.created };
}

export function toGroup(r: GroupRow): RamGroup {
  return { groupId: r.group_id, groupName: r.name, comments: r.comments, createDate: r.created, updateDate: r.updated };
}

export function toRole(r: RoleRow): RamRole {
  return {
    roleId: r.role_id, roleName: r.name, description: r.description, assumeRolePolicyDocument: r.trust_policy,
    maxSessionDuration: r.max_session_duration, createDate: r.created, updateDate: r.updated,
  };
}

export function toPolicy(r: PolicyRow): RamPolicy {
  return { policyName: r.name, description: r.description, defaultVersion: r.default_version, createDate: r.created, updateDate: r.updated };
}

export function toVersion(r: VersionRow): RamPolicyVersion {
  return { policyName: r.policy_name, versionId: `v${r.version_num}`, document: r.document, createDate: r.created };
}

export function toAttachment(r: AttachmentRow): RamAttachment {
  return {
    principalKind: r.principal_kind as RamPrincipalKind, principalId: r.principal_id, policyType: r.policy_type as PolicyType,
    policyName: r.policy_name, attachDate: r.attached,
  };
}

/** `v3` → 3; anything else → -1 (matches no row). Callers validate the format first. */
export function versionNumber(versionId: string): number {
  const m = /^v([1-9]\d{0,8})$/.exec(versionId);
  return m ? Number(m[1]) : -1;
}
