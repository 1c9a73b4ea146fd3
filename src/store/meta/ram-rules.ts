// What both engines' RAM identity layers (sqlite/ and postgres/ users.ts … policies.ts) decide alike, apart from
// their SQL: the record an update leaves, the tables a principal kind lives in, what blocks DeletePolicy, and a new
// policy's first version.
import type { RamGroup, RamPolicy, RamPolicyVersion, RamPrincipalKind, RamRole, RamUser } from '../../ram/model.js';
import type { GroupPatch, RolePatch, UserPatch } from './types.js';

/** The user UpdateUser leaves: each field the patch gives, the others as they were. */
export function patchedUser(u: RamUser, patch: UserPatch, now: number): RamUser {
  return {
    ...u,
    userName: patch.userName ?? u.userName,
    displayName: patch.displayName ?? u.displayName,
    mobilePhone: patch.mobilePhone ?? u.mobilePhone,
    email: patch.email ?? u.email,
    comments: patch.comments ?? u.comments,
    updateDate: now,
  };
}

/** The group UpdateGroup leaves. */
export function patchedGroup(g: RamGroup, patch: GroupPatch, now: number): RamGroup {
  return { ...g, groupName: patch.groupName ?? g.groupName, comments: patch.comments ?? g.comments, updateDate: now };
}

/** The role UpdateRole leaves. */
export function patchedRole(r: RamRole, patch: RolePatch, now: number): RamRole {
  return {
    ...r,
    assumeRolePolicyDocument: patch.assumeRolePolicyDocument ?? r.assumeRolePolicyDocument,
    maxSessionDuration: patch.maxSessionDuration ?? r.maxSessionDuration,
    description: patch.description ?? r.description,
    updateDate: now,
  };
}

/** The table of each principal kind and its id column (AttachPolicy checks the principal exists). */
export const PRINCIPAL_TABLES: Readonly<Record<RamPrincipalKind, readonly [table: string, idColumn: string]>> = {
  User: ['ram_users', 'user_id'],
  Group: ['ram_groups', 'group_id'],
  Role: ['ram_roles', 'role_id'],
};

/** DeletePolicy refuses while the policy is attached to a principal of a kind, with that kind's code, in this order. */
export const POLICY_ATTACHED_CONFLICTS = [
  ['User', 'DeleteConflict.Policy.User'],
  ['Group', 'DeleteConflict.Policy.Group'],
  ['Role', 'DeleteConflict.Policy.Role'],
] as const;

/** A new policy's first version: v1, the default; the next one CreatePolicyVersion makes is v2. */
export const FIRST_VERSION = { versionId: 'v1', num: 1, next: 2 } as const;

export function firstVersion(p: RamPolicy, document: string): RamPolicyVersion {
  return { policyName: p.policyName, versionId: FIRST_VERSION.versionId, document, createDate: p.createDate };
}
