import type { Bucket, ObjectRecord, ObjectSummary, PartRecord, UploadRecord } from '../../domain/model.js';
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

/**
 * Decides the record to write from the one currently stored (null when absent). Runs inside the
 * store's transaction, so conditional writes (forbid-overwrite, append position, in-place copy) are
 * decided by the database even when several processes race. Throw an AppError to abort.
 */
export type ObjectDecider = (current: ObjectRecord | null) => ObjectRecord;

export interface ObjectWriteResult {
  record: ObjectRecord;
  /** The record that was replaced; its segments no longer referenced by `record` are garbage. */
  replaced: ObjectRecord | null;
}

export interface ListObjectsQuery {
  prefix: string;
  /** Exclusive lower bound (a key). */
  after?: string;
  /** Skip every key that starts with this string (used to step over a CommonPrefix). */
  skipPrefix?: string;
  limit: number;
}

export interface ListUploadsQuery {
  prefix: string;
  /** Uploads with key > keyMarker, or key == keyMarker and uploadId > uploadIdMarker. */
  keyMarker?: string;
  uploadIdMarker?: string;
  skipPrefix?: string;
  limit: number;
}

export interface BucketPatch {
  acl?: Bucket['acl'];
  policy?: string | null;
  cors?: Bucket['cors'];
}

export type CompleteDecider = (upload: UploadRecord, parts: PartRecord[], current: ObjectRecord | null) => ObjectRecord;

export interface CompleteResult extends ObjectWriteResult {
  /** Parts of the upload not used by the new object: their blobs are garbage. */
  unusedParts: PartRecord[];
}

/** Metadata persistence. Async so a networked engine (PostgreSQL) fits the same interface. */
export interface MetadataStore {
  // buckets
  createBucket(bucket: Bucket): Promise<'created' | 'exists'>;
  getBucket(name: string): Promise<Bucket | null>;
  listBuckets(q: { prefix: string; after?: string; limit: number }): Promise<Bucket[]>;
  countBuckets(ownerAccountId: string): Promise<number>;
  updateBucket(name: string, patch: BucketPatch): Promise<Bucket | null>;
  /** Deletes an empty bucket; refuses while objects or multipart uploads remain. */
  deleteBucket(name: string): Promise<'deleted' | 'missing' | 'not-empty'>;

  // objects
  getObject(bucket: string, key: string): Promise<ObjectRecord | null>;
  putObject(bucket: string, key: string, decide: ObjectDecider): Promise<ObjectWriteResult>;
  deleteObject(bucket: string, key: string): Promise<ObjectRecord | null>;
  listObjects(bucket: string, q: ListObjectsQuery): Promise<ObjectSummary[]>;

  // multipart
  createUpload(upload: UploadRecord): Promise<void>;
  getUpload(uploadId: string): Promise<UploadRecord | null>;
  /** Stores a part; returns the part it replaced (same number), or throws NoSuchUpload. */
  putPart(part: PartRecord): Promise<PartRecord | null>;
  listParts(uploadId: string, q: { after: number; limit: number }): Promise<PartRecord[]>;
  listUploads(bucket: string, q: ListUploadsQuery): Promise<UploadRecord[]>;
  /** Removes the upload and returns its parts (their blobs are garbage); null if unknown. */
  abortUpload(uploadId: string): Promise<PartRecord[] | null>;
  completeUpload(uploadId: string, decide: CompleteDecider): Promise<CompleteResult>;

  // maintenance
  /** Every blob id referenced by an object or a part (for garbage collection). */
  referencedBlobIds(): Promise<Set<string>>;
  /**
   * `POST /-/reset` (docs/init.md): removes every bucket, object, multipart upload and RAM entity in one
   * transaction (replay nonces and the key-rotation history stay) and returns the blob ids they referenced,
   * for the caller to delete once the transaction has committed.
   */
  reset(): Promise<string[]>;
  /**
   * Present on engines shared by several processes (PostgreSQL): catches up with identity and bucket
   * changes other processes committed, dropping stale caches. The server calls it as each request arrives.
   */
  refreshSharedState?(): Promise<void>;
  /**
   * Present on engines shared by several processes: a named lease held by one process at a time until it
   * expires or is released (the database's clock), for background jobs such as blob garbage collection.
   */
  tryLease?(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease?(name: string, holder: string): Promise<void>;
  /**
   * Present on engines whose commits become visible before they are durable (SQLite: the WAL is fsync'd
   * off the event loop after the commit): `commitMark()` as a request starts, and before its answer
   * `settled(mark)` (null when already durable) so that no answer shows a write a power loss could undo.
   */
  commitMark?(): number;
  settled?(mark: number): Promise<void> | null;
  close(): Promise<void>;
}

/** One page of a name-ordered listing: names strictly after `after`, at most `limit`. */
export interface NamePage {
  after?: string;
  limit: number;
}

export interface UserPatch {
  userName?: string;
  displayName?: string;
  mobilePhone?: string;
  email?: string;
  comments?: string;
}

export interface GroupPatch {
  groupName?: string;
  comments?: string;
}

export interface RolePatch {
  assumeRolePolicyDocument?: string;
  maxSessionDuration?: number;
  description?: string;
}

export interface CreateVersionOptions {
  setAsDefault: boolean;
  /** At the version limit, delete the oldest non-default version instead of refusing. */
  rotate: boolean;
  maxVersions: number;
}

/** How the rotated key was given: `<data>/master.key` rotated by the command, or ALUNITE_MASTER_KEY. */
export type KeyRotationMode = 'file' | 'environment';

/** What `alunite keys rotate` records about itself; never a key, only fingerprints (masterKeyFingerprint). */
export interface KeyRotationAudit {
  /** Fingerprint of the key every secret is sealed under afterwards. */
  keyFingerprint: string;
  /** Fingerprints of the older keys secrets could be opened with, newest first. */
  previousFingerprints: string[];
  mode: KeyRotationMode;
  /** Host name and process id of the process that ran the rotation. */
  host: string;
  pid: number;
}

/** One row of the `key_rotations` history. */
export interface KeyRotation extends KeyRotationAudit {
  id: number;
  /** Milliseconds since the epoch (PostgreSQL: the database's clock). */
  rotatedAt: number;
  /** AccessKey secrets whose sealed form changed (were sealed under an older key). */
  resealed: number;
}

/**
 * RAM identities (users, AccessKeys, groups, roles, custom policies, attachments) and RPC replay nonces.
 * Implemented by the same class as MetadataStore. Methods whose rule spans several rows (limits, delete
 * conflicts, uniqueness) decide it inside one transaction and throw the RAM AppError (`EntityNotExist.*`,
 * `EntityAlreadyExists.*`, `DeleteConflict.*`, `LimitExceeded.*`). Role names are unique and looked up
 * case-insensitively; every other name is case-sensitive.
 */
export interface IdentityStore {
  /** Changes whenever any identity entity changes (cache invalidation). */
  identityGeneration(): number;
  // users
  createUser(user: RamUser, maxUsers: number): Promise<void>;
  getUser(userName: string): Promise<RamUser | null>;
  getUserById(userId: string): Promise<RamUser | null>;
  updateUser(userName: string, patch: UserPatch, now: number): Promise<RamUser>;
  listUsers(page: NamePage): Promise<RamUser[]>;
  /** Refuses while the user has AccessKeys, groups or attached policies. */
  deleteUser(userName: string): Promise<void>;

  // AccessKeys
  createAccessKey(userName: string, key: Omit<RamAccessKey, 'userId'>, maxPerUser: number): Promise<RamAccessKey>;
  /** The credential lookup: AccessKeyId → key (sealed secret, status, owning userId), or null. */
  getAccessKey(accessKeyId: string): Promise<RamAccessKey | null>;
  listAccessKeys(userName: string): Promise<RamAccessKey[]>;
  updateAccessKey(userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void>;
  deleteAccessKey(userName: string, accessKeyId: string): Promise<void>;

  // groups
  createGroup(group: RamGroup, maxGroups: number): Promise<void>;
  getGroup(groupName: string): Promise<RamGroup | null>;
  getGroupById(groupId: string): Promise<RamGroup | null>;
  updateGroup(groupName: string, patch: GroupPatch, now: number): Promise<RamGroup>;
  listGroups(page: NamePage): Promise<RamGroup[]>;
  /** Refuses while the group has members or attached policies. */
  deleteGroup(groupName: string): Promise<void>;
  addUserToGroup(groupName: string, userName: string, now: number, maxGroupsPerUser: number): Promise<void>;
  removeUserFromGroup(groupName: string, userName: string): Promise<void>;
  listGroupsForUser(userName: string): Promise<Array<{ group: RamGroup; joinDate: number }>>;
  listUsersForGroup(groupName: string, page: NamePage): Promise<Array<{ user: RamUser; joinDate: number }>>;

  // roles
  createRole(role: RamRole, maxRoles: number): Promise<void>;
  getRole(roleName: string): Promise<RamRole | null>;
  getRoleById(roleId: string): Promise<RamRole | null>;
  updateRole(roleName: string, patch: RolePatch, now: number): Promise<RamRole>;
  listRoles(page: NamePage): Promise<RamRole[]>;
  /** Refuses while the role has attached policies. */
  deleteRole(roleName: string): Promise<void>;

  // custom policies and their versions
  createPolicy(policy: RamPolicy, document: string, maxPolicies: number): Promise<RamPolicyVersion>;
  getPolicy(policyName: string): Promise<RamPolicy | null>;
  listPolicies(page: NamePage): Promise<RamPolicy[]>;
  /** Refuses while the policy is attached or has versions besides the default. */
  deletePolicy(policyName: string): Promise<void>;
  createPolicyVersion(policyName: string, document: string, now: number, opts: CreateVersionOptions): Promise<RamPolicyVersion>;
  getPolicyVersion(policyName: string, versionId: string): Promise<RamPolicyVersion | null>;
  /** Newest first. */
  listPolicyVersions(policyName: string): Promise<RamPolicyVersion[]>;
  setDefaultPolicyVersion(policyName: string, versionId: string, now: number): Promise<void>;
  deletePolicyVersion(policyName: string, versionId: string): Promise<void>;

  // attachments (a custom policy must exist; system policies are checked by the caller)
  /** `limit` counts attachments of the same PolicyType on the principal. */
  attachPolicy(attachment: RamAttachment, limit: number): Promise<void>;
  detachPolicy(kind: RamPrincipalKind, principalId: string, policyType: PolicyType, policyName: string): Promise<void>;
  listAttachments(kind: RamPrincipalKind, principalId: string): Promise<RamAttachment[]>;
  listAttachmentsForPolicy(policyType: PolicyType, policyName: string): Promise<RamAttachment[]>;
  countAttachments(policyType: PolicyType, policyName: string): Promise<number>;

  // master-key rotation (`alunite keys rotate`, `alunite keys history`)
  /**
   * Re-seals every RAM AccessKey secret in one transaction: `reseal` gets the AccessKeyId and the sealed
   * secret and returns the sealed form to keep (throw to abort: nothing changes). The same transaction
   * appends `audit` to `key_rotations`, so a rotation is recorded exactly when it took effect. Returns how
   * many secrets changed.
   */
  resealAccessKeySecrets(reseal: (accessKeyId: string, sealedSecret: string) => string, audit: KeyRotationAudit): Promise<number>;
  /** The recorded rotations, newest first. */
  listKeyRotations(): Promise<KeyRotation[]>;

  // RPC replay protection
  /** Records a nonce until `expiresAt`; false when it is already recorded (a replay). Drops expired ones. */
  claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean>;
}
