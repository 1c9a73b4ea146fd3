import type { Principal } from '../auth/principal.js';
import { AppError } from '../errors.js';
import type { IdentityStore, NamePage } from '../store/meta/types.js';
import { open, seal } from '../util/secret-box.js';
import type { Clock } from '../util/time.js';
import { ramActionResources, type RamActionInput, type RamActionName } from './actions.js';
import { authorizeRootOnly, type RamAuthorizer } from './authorize.js';
import type { AuthzTrace } from '../authz/outcome.js';
import { sessionPolicyOf, type IdentityPolicies } from './identity.js';
import { simulateIdentity, type Simulation, type SimulationDeps, type SimulationWorld } from './simulate.js';
import { decideRamAction } from '../policy/ram-action.js';
import { policyCaller } from '../authz/caller.js';
import type { ConditionContext } from '../policy/index.js';
import { ACCESS_KEY_ID_FORMAT, ACCESS_KEY_SECRET_FORMAT, newAccessKeyId, newAccessKeySecret, newNumericId } from './ids.js';
import {
  DEFAULT_RAM_LIMITS,
  type AccessKeyStatus,
  type PolicyType,
  type RamAccessKey,
  type RamGroup,
  type RamLimits,
  type RamPolicyVersion,
  type RamPrincipalKind,
  type RamRole,
  type RamUser,
} from './model.js';
import { checkField, checkMaxSessionDuration, checkVersionId, MIN_SESSION_DURATION } from './names.js';
import { validatePolicyDocument } from './policy-document.js';
import { SYSTEM_POLICIES, systemPolicy } from './system-policies.js';
import { checkTagFilters, checkTags, policyTagId, readTagMaps, roleTagId, tagList, tagsMatch, writeNewTags, type Tag, type TagFilter, type TagMap } from './tags.js';

/** Who calls a RAM action. */
export interface RamCaller {
  principal: Principal;
  /** Condition keys of the request (acs:SourceIp, acs:CurrentTime, …) for identity-policy conditions. */
  context?: ConditionContext;
  /** Receives the authorization outcome of the call (audit log, ExplainRequest). */
  trace?: AuthzTrace;
}

export interface Paging {
  marker?: string;
  maxItems?: number;
}

/** ListRoles / ListPolicies: the paging and the Tag filter (every filter must match). */
export interface TagPaging extends Paging {
  tags?: TagFilter[];
}

/** A listed role or policy with its tags (sorted by key). */
export type Tagged<T> = T & { tags: Tag[] };

export interface Page<T> {
  items: T[];
  isTruncated: boolean;
  /** Pass back as `marker` for the next page; present when truncated. */
  marker?: string;
}

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

export interface AttachedPolicyView extends PolicyView {
  attachDate: number;
}

export interface PolicyEntities {
  users: Array<{ user: RamUser; attachDate: number }>;
  groups: Array<{ group: RamGroup; attachDate: number }>;
  roles: Array<{ role: RamRole; attachDate: number }>;
}

/** What an AccessKeyId stands for: the credential lookup the CredentialResolver for RAM users builds on. */
export interface ResolvedAccessKey {
  user: RamUser;
  accessKeyId: string;
  secret: string;
  status: AccessKeyStatus;
}

export interface RamServiceOptions {
  store: IdentityStore;
  accountId: string;
  clock: Clock;
  /** Seals AccessKey secrets at rest (AES-256-GCM, 32 bytes). */
  masterKey: Buffer;
  /** Keys `alunite keys rotate` replaced; secrets sealed under them still open. */
  previousMasterKeys?: readonly Buffer[];
  limits?: Partial<RamLimits>;
  authorize?: RamAuthorizer;
  /** Identity policies, for the policy simulator; without it SimulatePrincipalPolicy is unavailable. */
  identity?: IdentityPolicies;
  /** Buckets, so the simulator decides OSS actions with their bucket policy, owner and ACL. */
  simulationWorld?: SimulationWorld;
  /** Account rules kept by ram/extras.ts (security preference, login profiles, MFA; docs/ram.md). */
  rules?: RamServiceRules;
}

/** Checks RamService runs for rules whose state lives in ram/extras.ts. */
export interface RamServiceRules {
  /** Before a RAM user creates, updates or deletes AccessKeys of `userName` (the security preference). */
  accessKeySelfService(caller: RamCaller, userName: string): Promise<void>;
  /** Before a user is deleted: refuses while it has a login profile or an MFA device. */
  beforeDeleteUser(userId: string): Promise<void>;
}

// MaxItems bounds as the published metadata gives them: 1–1000 for ListUsers, ListUsersForGroup, ListRoles and
// ListPolicies, 1–100 for ListGroups; 100 by default everywhere.
const MAX_ITEMS_LIMIT = 1000;
const MAX_GROUP_ITEMS = 100;
const DEFAULT_MAX_ITEMS = 100;

// Markers are opaque to clients: a tagged name, so a made-up value (`Marker=abc`) is refused instead of
// silently answering an empty page.
const MARKER_TAG = 'm1:';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function encodeMarker(s: string): string {
  return Buffer.from(MARKER_TAG + s, 'utf8').toString('base64url');
}

function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined || marker === '') return undefined;
  const bad = new AppError('InvalidParameter.Marker');
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw bad;
  const bytes = Buffer.from(marker, 'base64url');
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw bad;
  }
  if (!text.startsWith(MARKER_TAG) || bytes.toString('base64url') !== marker) throw bad;
  return text.slice(MARKER_TAG.length);
}

function pageSize(maxItems: number | undefined, max: number = MAX_ITEMS_LIMIT): number {
  if (maxItems === undefined) return DEFAULT_MAX_ITEMS;
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > max) {
    throw new AppError('InvalidParameter.MaxItems', `The parameter - "MaxItems" must be between 1 and ${max}.`);
  }
  return maxItems;
}

/** Fetches one item more than asked to tell whether the listing goes on. */
async function paged<T>(paging: Paging, nameOf: (t: T) => string, fetch: (p: NamePage) => Promise<T[]>, max: number = MAX_ITEMS_LIMIT): Promise<Page<T>> {
  const limit = pageSize(paging.maxItems, max);
  const after = decodeMarker(paging.marker);
  const rows = await fetch({ ...(after !== undefined ? { after } : {}), limit: limit + 1 });
  if (rows.length <= limit) return { items: rows, isTruncated: false };
  const items = rows.slice(0, limit);
  return { items, isTruncated: true, marker: encodeMarker(nameOf(items[items.length - 1]!)) };
}

const PRINCIPAL_NAME: Record<RamPrincipalKind, 'UserName' | 'GroupName' | 'RoleName'> = { User: 'UserName', Group: 'GroupName', Role: 'RoleName' };

function checkPolicyType(value: string): PolicyType {
  if (value !== 'System' && value !== 'Custom') throw new AppError('InvalidParameter.PolicyType');
  return value;
}

/**
 * The RAM domain: users, AccessKeys, groups, roles, policies and attachments, with RAM's rules, limits and
 * error codes. Protocol-free: the RPC layer parses parameters and renders results. Every action is
 * authorized through the one `authorizeRam` hook first.
 */
export class RamService {
  readonly accountId: string;
  private readonly store: IdentityStore;
  private readonly clock: Clock;
  private readonly masterKey: Buffer;
  private readonly previousMasterKeys: readonly Buffer[];
  private readonly limits: RamLimits;
  private readonly authorizeHook: RamAuthorizer;
  private readonly identity: IdentityPolicies | undefined;
  private readonly simulationWorld: SimulationWorld | undefined;
  private readonly rules: RamServiceRules | undefined;

  constructor(opts: RamServiceOptions) {
    this.rules = opts.rules;
    this.store = opts.store;
    this.identity = opts.identity;
    this.simulationWorld = opts.simulationWorld;
    this.accountId = opts.accountId;
    this.clock = opts.clock;
    this.masterKey = opts.masterKey;
    this.previousMasterKeys = opts.previousMasterKeys ?? [];
    this.limits = { ...DEFAULT_RAM_LIMITS, ...opts.limits };
    this.authorizeHook = opts.authorize ?? authorizeRootOnly;
  }

  /** Authorizes `ram:<action>` on every resource the action table declares for this input. */
  private async authorize<A extends RamActionName>(caller: RamCaller, action: A, input: RamActionInput<A>): Promise<void> {
    const resources = ramActionResources(this.accountId, action, input);
    await this.authorizeHook({ principal: caller.principal, action: `ram:${action}`, resources, accountId: this.accountId, context: caller.context, trace: caller.trace });
  }

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

  private async mustUser(userName: string): Promise<RamUser> {
    const u = await this.store.getUser(userName);
    if (!u) throw new AppError('EntityNotExist.User');
    return u;
  }

  private async mustGroup(groupName: string): Promise<RamGroup> {
    const g = await this.store.getGroup(groupName);
    if (!g) throw new AppError('EntityNotExist.Group');
    return g;
  }

  private async mustRole(roleName: string): Promise<RamRole> {
    const r = await this.store.getRole(roleName);
    if (!r) throw new AppError('EntityNotExist.Role');
    return r;
  }

  // ---------------------------------------------------------------- users

  async createUser(
    caller: RamCaller,
    input: { userName: string; displayName?: string; mobilePhone?: string; email?: string; comments?: string },
  ): Promise<RamUser> {
    checkField('UserName', input.userName);
    await this.authorize(caller, 'CreateUser', { userName: input.userName });
    const now = this.clock();
    const user: RamUser = {
      userId: newNumericId(16),
      userName: input.userName,
      displayName: input.displayName !== undefined ? checkField('DisplayName', input.displayName) : input.userName,
      mobilePhone: input.mobilePhone !== undefined ? checkField('MobilePhone', input.mobilePhone) : '',
      email: input.email !== undefined ? checkField('Email', input.email) : '',
      comments: input.comments !== undefined ? checkField('Comments', input.comments) : '',
      createDate: now,
      updateDate: now,
    };
    await this.store.createUser(user, this.limits.users);
    return user;
  }

  async getUser(caller: RamCaller, userName: string): Promise<RamUser> {
    checkField('UserName', userName);
    await this.authorize(caller, 'GetUser', { userName });
    return this.mustUser(userName);
  }

  async updateUser(
    caller: RamCaller,
    input: { userName: string; newUserName?: string; newDisplayName?: string; newMobilePhone?: string; newEmail?: string; newComments?: string },
  ): Promise<RamUser> {
    checkField('UserName', input.userName);
    if (input.newUserName !== undefined) checkField('UserName', input.newUserName);
    await this.authorize(caller, 'UpdateUser', { userName: input.userName, ...(input.newUserName !== undefined ? { newUserName: input.newUserName } : {}) });
    return this.store.updateUser(
      input.userName,
      {
        ...(input.newUserName !== undefined ? { userName: checkField('UserName', input.newUserName) } : {}),
        ...(input.newDisplayName !== undefined ? { displayName: checkField('DisplayName', input.newDisplayName) } : {}),
        ...(input.newMobilePhone !== undefined ? { mobilePhone: checkField('MobilePhone', input.newMobilePhone) } : {}),
        ...(input.newEmail !== undefined ? { email: checkField('Email', input.newEmail) } : {}),
        ...(input.newComments !== undefined ? { comments: checkField('Comments', input.newComments) } : {}),
      },
      this.clock(),
    );
  }

  async listUsers(caller: RamCaller, paging: Paging): Promise<Page<RamUser>> {
    await this.authorize(caller, 'ListUsers', {});
    return paged(paging, (u) => u.userName, (p) => this.store.listUsers(p));
  }

  async deleteUser(caller: RamCaller, userName: string): Promise<void> {
    checkField('UserName', userName);
    await this.authorize(caller, 'DeleteUser', { userName });
    const user = this.rules ? await this.store.getUser(userName) : null;
    if (user) await this.rules!.beforeDeleteUser(user.userId);
    await this.store.deleteUser(userName);
  }

  // ---------------------------------------------------------------- AccessKeys

  /** The user an AccessKey action targets; omitted = the caller itself (a RAM user), which root is not. */
  private keyOwner(caller: RamCaller, userName: string | undefined): string {
    if (userName === undefined) {
      if (caller.principal.type === 'user') return caller.principal.userName;
      throw new AppError('MissingUserName');
    }
    return checkField('UserName', userName);
  }

  /** Creates a key; the plain secret is returned here and never again. */
  async createAccessKey(caller: RamCaller, input: { userName?: string }): Promise<{ key: RamAccessKey; secret: string }> {
    const userName = this.keyOwner(caller, input.userName);
    await this.authorize(caller, 'CreateAccessKey', { userName });
    await this.rules?.accessKeySelfService(caller, userName);
    const accessKeyId = newAccessKeyId();
    const secret = newAccessKeySecret();
    const key = await this.withKeyLimit(userName, this.store.createAccessKey(
      userName,
      { accessKeyId, sealedSecret: seal(this.masterKey, secret, accessKeyId), status: 'Active', createDate: this.clock() },
      this.limits.accessKeysPerUser,
    ));
    return { key, secret };
  }

  /**
   * The store's LimitExceeded.User.AccessKey with the limit and the way out added to the cloud's text, which says
   * neither (a newcomer re-running an example that creates a key meets it on the third run).
   */
  private async withKeyLimit<T>(userName: string, created: Promise<T>): Promise<T> {
    try {
      return await created;
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'LimitExceeded.User.AccessKey') throw err;
      const max = this.limits.accessKeysPerUser;
      throw new AppError('LimitExceeded.User.AccessKey', `${err.message} ${userName} has ${max} AccessKey${max === 1 ? '' : 's'}, the most a user may have: delete one (DeleteAccessKey) to create another.`);
    }
  }

  /**
   * Alunite extension for declared state (docs/init.md): a key with a given id and secret, so CI runs get
   * the same credentials every time. Same authorization, limit and sealing as CreateAccessKey.
   */
  async importAccessKey(caller: RamCaller, input: { userName: string; accessKeyId: string; secret: string; status?: AccessKeyStatus }): Promise<RamAccessKey> {
    const userName = checkField('UserName', input.userName);
    if (!ACCESS_KEY_ID_FORMAT.test(input.accessKeyId)) throw new AppError('InvalidParameter', 'The AccessKeyId must be "LTAI" and 20 letters or digits (or a legacy 16-character id).');
    if (!ACCESS_KEY_SECRET_FORMAT.test(input.secret)) throw new AppError('InvalidParameter', 'The AccessKeySecret must be 30 letters or digits.');
    await this.authorize(caller, 'CreateAccessKey', { userName });
    await this.rules?.accessKeySelfService(caller, userName);
    return this.withKeyLimit(userName, this.store.createAccessKey(
      userName,
      { accessKeyId: input.accessKeyId, sealedSecret: seal(this.masterKey, input.secret, input.accessKeyId), status: input.status ?? 'Active', createDate: this.clock() },
      this.limits.accessKeysPerUser,
    ));
  }

  async listAccessKeys(caller: RamCaller, input: { userName?: string }): Promise<RamAccessKey[]> {
    const userName = this.keyOwner(caller, input.userName);
    await this.authorize(caller, 'ListAccessKeys', { userName });
    return this.store.listAccessKeys(userName);
  }

  async updateAccessKey(caller: RamCaller, input: { userName?: string; userAccessKeyId: string; status: string }): Promise<void> {
    const userName = this.keyOwner(caller, input.userName);
    if (input.status !== 'Active' && input.status !== 'Inactive') throw new AppError('InvalidParameter.Status');
    await this.authorize(caller, 'UpdateAccessKey', { userName });
    await this.rules?.accessKeySelfService(caller, userName);
    await this.store.updateAccessKey(userName, input.userAccessKeyId, input.status);
  }

  async deleteAccessKey(caller: RamCaller, input: { userName?: string; userAccessKeyId: string }): Promise<void> {
    const userName = this.keyOwner(caller, input.userName);
    await this.authorize(caller, 'DeleteAccessKey', { userName });
    await this.rules?.accessKeySelfService(caller, userName);
    await this.store.deleteAccessKey(userName, input.userAccessKeyId);
  }

  /**
   * Credential lookup for request authentication (no authorization: the caller is the signature check):
   * AccessKeyId → owning user, plain secret, status; null when no RAM user has this key.
   */
  async resolveAccessKey(accessKeyId: string): Promise<ResolvedAccessKey | null> {
    const key = await this.store.getAccessKey(accessKeyId);
    if (!key) return null;
    const user = await this.store.getUserById(key.userId);
    if (!user) return null;
    return { user, accessKeyId, secret: this.unseal(key.sealedSecret, accessKeyId), status: key.status };
  }

  /** Opens a sealed secret with the current master key, else with a previous one (before a re-seal). */
  private unseal(sealed: string, accessKeyId: string): string {
    for (const key of [this.masterKey, ...this.previousMasterKeys]) {
      try {
        return open(key, sealed, accessKeyId);
      } catch {
        // try the next key of the ring
      }
    }
    // The master key was replaced without `alunite keys rotate`: a server fault, not the client's.
    throw new AppError('InternalError', `The secret of AccessKey ${accessKeyId} cannot be opened with the configured master key(s); restore the previous key as ALUNITE_MASTER_KEY_PREVIOUS or master.key.previous.`);
  }

  // ---------------------------------------------------------------- groups

  async createGroup(caller: RamCaller, input: { groupName: string; comments?: string }): Promise<RamGroup> {
    checkField('GroupName', input.groupName);
    if (input.comments !== undefined) checkField('Comments', input.comments);
    await this.authorize(caller, 'CreateGroup', { groupName: input.groupName });
    const now = this.clock();
    const group: RamGroup = { groupId: newNumericId(16), groupName: input.groupName, comments: input.comments ?? '', createDate: now, updateDate: now };
    await this.store.createGroup(group, this.limits.groups);
    return group;
  }

  async getGroup(caller: RamCaller, groupName: string): Promise<RamGroup> {
    checkField('GroupName', groupName);
    await this.authorize(caller, 'GetGroup', { groupName });
    return this.mustGroup(groupName);
  }

  async updateGroup(caller: RamCaller, input: { groupName: string; newGroupName?: string; newComments?: string }): Promise<RamGroup> {
    checkField('GroupName', input.groupName);
    if (input.newGroupName !== undefined) checkField('GroupName', input.newGroupName);
    await this.authorize(caller, 'UpdateGroup', { groupName: input.groupName, ...(input.newGroupName !== undefined ? { newGroupName: input.newGroupName } : {}) });
    return this.store.updateGroup(
      input.groupName,
      {
        ...(input.newGroupName !== undefined ? { groupName: checkField('GroupName', input.newGroupName) } : {}),
        ...(input.newComments !== undefined ? { comments: checkField('Comments', input.newComments) } : {}),
      },
      this.clock(),
    );
  }

  async listGroups(caller: RamCaller, paging: Paging): Promise<Page<RamGroup>> {
    await this.authorize(caller, 'ListGroups', {});
    return paged(paging, (g) => g.groupName, (p) => this.store.listGroups(p), MAX_GROUP_ITEMS);
  }

  async deleteGroup(caller: RamCaller, groupName: string): Promise<void> {
    checkField('GroupName', groupName);
    await this.authorize(caller, 'DeleteGroup', { groupName });
    await this.store.deleteGroup(groupName);
  }

  async addUserToGroup(caller: RamCaller, input: { groupName: string; userName: string }): Promise<void> {
    checkField('GroupName', input.groupName);
    checkField('UserName', input.userName);
    await this.authorize(caller, 'AddUserToGroup', { groupName: input.groupName, userName: input.userName });
    await this.store.addUserToGroup(input.groupName, input.userName, this.clock(), this.limits.groupsPerUser);
  }

  async removeUserFromGroup(caller: RamCaller, input: { groupName: string; userName: string }): Promise<void> {
    checkField('GroupName', input.groupName);
    checkField('UserName', input.userName);
    await this.authorize(caller, 'RemoveUserFromGroup', { groupName: input.groupName, userName: input.userName });
    await this.store.removeUserFromGroup(input.groupName, input.userName);
  }

  async listGroupsForUser(caller: RamCaller, userName: string): Promise<Array<{ group: RamGroup; joinDate: number }>> {
    checkField('UserName', userName);
    await this.authorize(caller, 'ListGroupsForUser', { userName });
    return this.store.listGroupsForUser(userName);
  }

  async listUsersForGroup(caller: RamCaller, groupName: string, paging: Paging): Promise<Page<{ user: RamUser; joinDate: number }>> {
    checkField('GroupName', groupName);
    await this.authorize(caller, 'ListUsersForGroup', { groupName });
    return paged(paging, (m) => m.user.userName, (p) => this.store.listUsersForGroup(groupName, p));
  }

  // ---------------------------------------------------------------- roles

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
  private async tagCreated(id: string, tags: readonly Tag[], undo: () => Promise<void>): Promise<void> {
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
  private async taggedPage<T>(
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

  // ---------------------------------------------------------------- policies

  /** A policy of either type as the API shows it, or null. */
  private async findPolicy(type: PolicyType, name: string): Promise<PolicyView | null> {
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

  private async mustPolicy(type: PolicyType, name: string): Promise<PolicyView> {
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

  // ---------------------------------------------------------------- attachments

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
