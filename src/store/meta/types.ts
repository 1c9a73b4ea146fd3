import type { Bucket, ObjectRecord, ObjectSummary, PartRecord, UploadRecord, VersionRecord, VersionSummary, VersioningStatus } from '../../domain/model.js';
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
const landedMaybe = new WeakSet<object>();

/**
 * Marks the error of a write whose commit may have landed: SQLite committed it, then the WAL sync that makes it
 * durable failed. Its rows are visible to this process and may survive a crash, so the client gets an error
 * (it may retry) but nothing the rows reference may be dropped.
 */
export function commitOutcomeUnknown<E extends object>(err: E): E {
  landedMaybe.add(err);
  return err;
}

/**
 * Whether a failed store write may still have committed (commitOutcomeUnknown). Then the fresh blobs it wrote stay:
 * dropping them would leave a committed record pointing at deleted files. If the commit did not land, start-up
 * collection removes them as orphans.
 */
export function commitMayHaveLanded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && landedMaybe.has(err);
}

export type ObjectDecider = (current: ObjectRecord | null, versioning: VersioningStatus) => ObjectRecord;

export interface ObjectWriteResult {
  record: ObjectRecord;
  /**
   * The record that left the store (null when none did: nothing was there, or on a versioned bucket it
   * became a noncurrent version). Its `segments` are only those no other version of the key still uses,
   * so those not referenced by `record` either are garbage.
   */
  replaced: ObjectRecord | null;
}

/**
 * A retention check (WORM): sees, inside the delete's transaction, every object or version about to be removed
 * for good (not a delete marker being added) and may throw an AppError to keep it; then nothing changes.
 */
export type RemovalGuard = (removing: ObjectRecord) => void;

/** What a delete did (`removeObject`). */
export interface DeleteOutcome {
  /** The record that left the store, `segments` limited to blobs no other version uses (garbage), `inline` not read (null); null when none. */
  removed: ObjectRecord | null;
  /** The id of the version removed ('null' for the null version) or of the delete marker created; null on unversioned deletes. */
  versionId: string | null;
  /** The version removed was a delete marker, or a delete marker was created. */
  deleteMarker: boolean;
  /** A version id was given and no such version exists (nothing changed). */
  missingVersion?: boolean;
}

/** Changes a version in place (ACL, tags): no new version is created. Throw an AppError to abort. */
export type VersionUpdater = (current: ObjectRecord) => ObjectRecord;

export interface ListVersionsQuery {
  prefix: string;
  /**
   * Exclusive start: versions of keys after `key`, or, with `versionId`, the versions of `key` older than
   * that one, then the keys after it. An unknown `versionId` starts after `key`.
   */
  after?: { key: string; versionId?: string };
  skipPrefix?: string;
  limit: number;
}

/** Keyset position of a noncurrent-version scan (`listNoncurrentVersions`). */
export interface NoncurrentCursor {
  noncurrentSince: number;
  key: string;
  versionId: string;
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
  /** A finished data redundancy transition (domain/redundancy-worker.ts). */
  redundancyType?: Bucket['redundancyType'];
}

/**
 * Decides a bucket configuration's new document (JSON text) from the stored one (null when absent) and the
 * bucket; null removes it. Runs inside the store's transaction, so read-modify-write rules (a locked
 * retention that may only grow, a state machine) hold when several processes race. Throw an AppError to abort.
 */
export type BucketConfigDecider = (current: string | null, bucket: Bucket) => string | null;

/** One entry of a bucket's configuration collection (listConfigEntries). */
export interface ConfigEntry {
  id: string;
  document: string;
}

/**
 * Decides a collection entry's new document from the stored one (null when absent) and the number of entries the
 * collection holds now; null removes it. Runs inside the store's transaction (a count limit holds when several
 * processes race). Throw an AppError to abort.
 */
export type ConfigEntryDecider = (current: string | null, count: number) => string | null;

export type CompleteDecider = (upload: UploadRecord, parts: PartRecord[], current: ObjectRecord | null, versioning: VersioningStatus) => ObjectRecord;

export interface CompleteResult extends ObjectWriteResult {
  /** Parts of the upload not used by the new object: their blobs are garbage. */
  unusedParts: PartRecord[];
}

/**
 * One line of a bucket's statistics (GetBucketStat), kept by the stores in the transaction of every write:
 * object versions (current and noncurrent) and parts per storage class, delete markers and uploads.
 */
export interface BucketStatLine {
  kind: 'object' | 'marker' | 'upload' | 'part';
  /** '' for markers and uploads. */
  storageClass: string;
  count: number;
  bytes: number;
  /** Bytes as billed: at least 64 KiB per IA and archive-class object. */
  billed: number;
  /** Epoch seconds of the last change. */
  updated: number;
}

export interface BucketListQuery {
  prefix: string;
  after?: string;
  limit: number;
  /** Only the buckets this account owns. */
  owner?: string;
  /**
   * Only these configurations in the records' `configs` (by stored name, e.g. `stored.bucket-tags`); absent: all of
   * them. A bucket's configurations may take megabytes (a 1,000-rule lifecycle, 1,000 inventories), so a listing
   * that needs none of them (ListBuckets) must not read and parse them for every bucket it lists.
   */
  configs?: readonly string[];
}

/** Which bucket of a name a write was authorized on: a name deleted and created again is another bucket. */
export interface BucketIncarnation {
  ownerAccountId: string;
  createdAt: number;
}

/** The incarnation a bucket record is (what a write captures before its body, to pass as `sameBucket`). */
export function incarnationOf(b: Bucket): BucketIncarnation {
  return { ownerAccountId: b.ownerAccountId, createdAt: b.createdAt };
}

/** Whether `b` is the bucket `expected` names (absent: any bucket of the name is). */
export function isIncarnation(b: BucketIncarnation, expected: BucketIncarnation | undefined): boolean {
  return expected === undefined || (b.ownerAccountId === expected.ownerAccountId && Number(b.createdAt) === expected.createdAt);
}

/** How putObject (and completeUpload) write the current object. */
export interface ObjectWriteOptions {
  /**
   * The bucket the write was authorized on, checked inside the write's transaction: a bucket of that name with another
   * owner or creation time (the one written to was deleted while the body arrived, and its name taken again, by any
   * account) is NoSuchBucket, as a deleted one is. Absent: any bucket of that name.
   */
  sameBucket?: BucketIncarnation;
  /**
   * On an Enabled bucket the write still makes the null version (replacing any other null version of the key), as
   * on a Suspended one: the object AppendObject creates (OSS answers `x-oss-version-id: null` for it).
   */
  nullVersion?: boolean;
  /**
   * Called inside the write's transaction on the object the write removes for good (the replaced current one, or the
   * noncurrent null version a Suspended or null-version write drops); throwing refuses the write, nothing changed.
   * The retention guard: a protected null version must not go with a write to its key.
   */
  guardRemoved?: (removed: ObjectRecord) => void;
  /** The bucket's storage capacity, checked in the write's transaction (CapacityGuard). */
  capacity?: CapacityGuard;
}

/**
 * A bucket's storage capacity, enforced atomically with a write's commit (docs/storage-capacity.md): the store
 * holds off the bucket's other capacity-checked writes from before it reads the bucket's Storage (the bytes of
 * its object versions and uploaded parts) until the commit (SQLite: its one writer; PostgreSQL: a per-bucket
 * transaction lock, taken only by writes that carry a guard), and calls `check` with that figure before and after
 * the write's own changes. Throwing refuses the write: nothing of it is committed.
 */
export interface CapacityGuard {
  check(before: number, after: number): void;
}

/** A bucket configuration that keeps its bucket from being deleted while `holds` says so (MetadataStore.deleteBucket). */
export interface BucketKeep {
  /** The configuration's name in bucket_configs (e.g. `stored.redundancy-transition`). */
  readonly config: string;
  holds(document: string): boolean;
}

/** Metadata persistence. Async so a networked engine (PostgreSQL) fits the same interface. */
export interface MetadataStore {
  // buckets
  createBucket(bucket: Bucket): Promise<'created' | 'exists'>;
  getBucket(name: string): Promise<Bucket | null>;
  /**
   * What getBucket would answer now without reading anything: the record (or null) the store keeps in memory,
   * undefined when it keeps none. For per-request checks that must not cost a lookup (access logging).
   */
  cachedBucket?(name: string): Bucket | null | undefined;
  /**
   * Buckets in name order after `after`, starting with `prefix`; with `owner`, only that account's (filtered
   * in the query, so `limit` counts the account's buckets: ListBuckets pages by it).
   */
  listBuckets(q: BucketListQuery): Promise<Bucket[]>;
  countBuckets(ownerAccountId: string): Promise<number>;
  /**
   * `sameBucket`: the bucket the write was authorized on (ObjectWriteOptions.sameBucket), checked in the write's
   * transaction; another bucket of that name is treated as none: nothing written, null.
   */
  updateBucket(name: string, patch: BucketPatch, sameBucket?: BucketIncarnation): Promise<Bucket | null>;
  /**
   * The one generic store of bucket configurations: (bucket, name) → document. Returns the bucket as it is
   * after the change (with `configs`), or null when the bucket does not exist (or is not `sameBucket`, as for
   * updateBucket: the decider is not called). A decider returning the current document unchanged writes nothing.
   */
  updateBucketConfig(bucket: string, name: string, decide: BucketConfigDecider, sameBucket?: BucketIncarnation): Promise<Bucket | null>;
  /** The bucket's statistics (no scan: the stores keep them as rows change). */
  bucketStats(bucket: string): Promise<BucketStatLine[]>;
  /**
   * Account-level configurations (docs/access-rules.md), kept in the same generic store under the account's
   * reserved key and carried in `configs` of every bucket the account owns (configuration names must not clash
   * with bucket-level ones). A write drops every cached bucket record, in every process.
   */
  getAccountConfig(accountId: string, name: string): Promise<string | null>;
  putAccountConfig(accountId: string, name: string, document: string | null): Promise<void>;
  // Store-wide lookup indexes (access point alias → bucket, docs/access-points.md).
  /**
   * One entry of a store-wide index, kept in the same generic store under the reserved key `/index/<index>`
   * (no bucket name contains `/`): a point read, never carried in bucket records; a write moves no cache.
   */
  getIndexEntry(index: string, key: string): Promise<string | null>;
  putIndexEntry(index: string, key: string, value: string | null): Promise<void>;
  /**
   * Compare-and-set of one index entry, atomic across processes: sets `value` (null removes the entry) only if the
   * entry holds `expected` (null: no entry) at that moment; false, nothing written, otherwise. What makes a claim
   * unique store-wide (a CNAME domain bound to one bucket of any account, docs/stored-configurations.md).
   */
  swapIndexEntry(index: string, key: string, expected: string | null, value: string | null): Promise<boolean>;
  /**
   * Moves, in this process, once a swapIndexEntry that wrote has committed in any process (seen by a request that
   * arrives after the commit; it may move for other writes too): what a cache of index reads, absent entries
   * included, is keyed by.
   */
  indexGeneration(): number;
  /** Entries of a store-wide index in key order (code point order) after `after`, starting with `prefix`, at most `limit`. */
  listIndexEntries(index: string, q: { prefix: string; after: string; limit: number }): Promise<ConfigEntry[]>;
  /**
   * Read-modify-write of one index entry, atomic across processes (the decider runs inside the store's transaction,
   * the entry locked); null removes it, the current document writes nothing. Unlike swapIndexEntry it moves no
   * generation: for indexes no process caches reads of (batch jobs, domain/batch-jobs.ts).
   */
  updateIndexEntry(index: string, key: string, decide: (current: string | null) => string | null): Promise<void>;
  /**
   * A bucket's configuration collections (live channels by name): each entry one row of the same generic store,
   * under the reserved key `<bucket>/<collection>` (store/meta/data-rows.ts), never carried in bucket records. A
   * write touches one entry, not a document of them all, and drops no cached bucket record.
   */
  getConfigEntry(bucket: string, collection: string, id: string): Promise<string | null>;
  /** Entries in id order (code point order) after `after`, starting with `prefix`, at most `limit`. */
  listConfigEntries(bucket: string, collection: string, q: { prefix: string; after: string; limit: number }): Promise<ConfigEntry[]>;
  /** How many entries the collection holds (one counting query: GetBucketStat's LiveChannelCount). */
  countConfigEntries(bucket: string, collection: string): Promise<number>;
  /**
   * Read-modify-write of one entry; false when the bucket does not exist, or is not `sameBucket` (as for
   * updateBucketConfig; checked in the transaction), nothing decided. A decider returning the current document writes
   * nothing.
   */
  updateConfigEntry(bucket: string, collection: string, id: string, decide: ConfigEntryDecider, sameBucket?: BucketIncarnation): Promise<boolean>;
  /**
   * Deletes an empty bucket (and its configurations); refuses while objects, versions, delete markers or multipart uploads
   * remain, and ('kept') while `keep` says the bucket's configuration of that name holds it, decided in the same transaction.
   */
  deleteBucket(name: string, keep?: BucketKeep): Promise<'deleted' | 'missing' | 'not-empty' | 'kept'>;

  // objects
  /** The current object. Read-only: an engine may hand the same record, bytes included, to every reader (frozen, and its bytes checked, only under ALUNITE_CHECK_READONLY=1). */
  getObject(bucket: string, key: string): Promise<ObjectRecord | null>;
  /** What getObject would answer now without reading anything (as cachedBucket); undefined: not held in memory. */
  cachedObject?(bucket: string, key: string): ObjectRecord | null | undefined;
  /** Writes the current object, following the bucket's versioning status (see ObjectWriteOptions). */
  putObject(bucket: string, key: string, decide: ObjectDecider, opts?: ObjectWriteOptions): Promise<ObjectWriteResult>;
  /**
   * Deletes the current object as DeleteObject without versionId does (`removeObject`); returns the record
   * removed, null when none was (or a delete marker was added). `guard`: see removeObject.
   */
  deleteObject(bucket: string, key: string, guard?: RemovalGuard): Promise<ObjectRecord | null>;
  /**
   * Deletes each of `keys` that exists and for which `decide(current)`, run inside one transaction, says so
   * (background deletes such as lifecycle expiration, which must not remove an object rewritten since it was
   * looked at). Returns the removed records, without their inline bytes (`inline` null). Deletes nothing on a
   * bucket that has versioning (Enabled or Suspended): `removeObject` keeps versions there. `sameBucket`: the
   * bucket the caller judged (its rules); deletes nothing when the bucket of that name is another now.
   */
  deleteObjectsIf(bucket: string, keys: readonly string[], decide: (current: ObjectRecord) => boolean, sameBucket?: BucketIncarnation): Promise<ObjectRecord[]>;
  listObjects(bucket: string, q: ListObjectsQuery): Promise<ObjectSummary[]>;

  // versions (docs/versioning.md). `objects` holds the current version of each key; noncurrent versions and
  // delete markers live apart, so unversioned reads and listings never see them. putObject, deleteObject and
  // completeUpload follow the bucket's versioning status, read inside their transaction.
  /**
   * One version (or delete marker) of a key; without `versionId`, the latest entry, which may be a delete
   * marker (the current object is `getObject`). null when there is none. 'null' names the null version.
   */
  getObjectVersion(bucket: string, key: string, versionId?: string): Promise<VersionRecord | null>;
  /**
   * DeleteObject with versioning: without `versionId`, an unversioned bucket removes the object and a
   * versioned one adds a delete marker (suspended: the null-version marker, replacing any null version);
   * with `versionId`, that version is removed for good and, when it was the latest, the next newest becomes
   * current. `now` is the time recorded on a marker and on versions made noncurrent. `guard` sees each
   * object or version removed for good before it goes (a suspended bucket's replaced null version included).
   * `sameBucket`: the bucket the caller judged; NoSuchBucket, nothing removed, when the bucket of that name is
   * another now (deleted and created again since: the lifecycle worker's rules are the old bucket's).
   */
  removeObject(bucket: string, key: string, now: number, versionId?: string, guard?: RemovalGuard, sameBucket?: BucketIncarnation): Promise<DeleteOutcome>;
  /** Changes one version (the current object without `versionId`) in place; null when it does not exist or is a delete marker. */
  updateObjectVersion(bucket: string, key: string, versionId: string | undefined, update: VersionUpdater, opts?: Pick<ObjectWriteOptions, 'capacity' | 'sameBucket'>): Promise<ObjectRecord | null>;
  /** ListObjectVersions: key order, then newest first; delete markers included; keyset-paged. */
  listObjectVersions(bucket: string, q: ListVersionsQuery): Promise<VersionSummary[]>;
  /**
   * Noncurrent versions and delete markers that became noncurrent before `before` (ms), oldest first, then by
   * key and version (lifecycle NoncurrentVersionExpiration / transitions): an index range, keyset-paged.
   */
  listNoncurrentVersions(bucket: string, q: { before: number; prefix?: string; after?: NoncurrentCursor; limit: number }): Promise<VersionSummary[]>;
  /**
   * Current delete markers in key order after `after` (lifecycle ExpiredObjectDeleteMarker); `onlyVersion`
   * tells whether no other version of the key remains.
   */
  listCurrentDeleteMarkers(bucket: string, q: { prefix?: string; after?: string; limit: number }): Promise<Array<VersionSummary & { onlyVersion: boolean }>>;

  // multipart
  createUpload(upload: UploadRecord): Promise<void>;
  getUpload(uploadId: string): Promise<UploadRecord | null>;
  /** Stores a part; returns the part it replaced (same number), or throws NoSuchUpload. */
  putPart(part: PartRecord, opts?: Pick<ObjectWriteOptions, 'capacity'>): Promise<PartRecord | null>;
  listParts(uploadId: string, q: { after: number; limit: number }): Promise<PartRecord[]>;
  listUploads(bucket: string, q: ListUploadsQuery): Promise<UploadRecord[]>;
  /**
   * Removes the upload and returns its parts (their blobs are garbage); null if unknown, or, with `sameBucket`,
   * when the upload's bucket is not that one (deleted and created again since the caller listed it).
   */
  abortUpload(uploadId: string, sameBucket?: BucketIncarnation): Promise<PartRecord[] | null>;
  completeUpload(uploadId: string, decide: CompleteDecider, opts?: Pick<ObjectWriteOptions, 'guardRemoved'>): Promise<CompleteResult>;

  // maintenance
  /** Every blob id referenced by an object, a noncurrent version or a part (for garbage collection). */
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
  /**
   * Present on the same engines: the failed sync that stopped all writes (null while writes are accepted). After a
   * failed fsync the kernel may have dropped the unwritten pages and a later fsync of the same file succeeds, so no
   * later commit could be acknowledged as durable; the process refuses writes until it is restarted (/-/health 503).
   */
  writeFailure?(): Error | null;
  close(): Promise<void>;
  // Metadata query (docs/meta-query.md).
  /**
   * Current objects with every field (tags, user metadata, attrs; `inline` always null) in key order after
   * `after`, under `prefix`, at most `limit`: one keyset page of an index range scan.
   */
  scanObjects(bucket: string, q: ScanObjectsQuery): Promise<ObjectRecord[]>;
}

/** A page of `scanObjects` (docs/meta-query.md). */
export interface ScanObjectsQuery {
  prefix: string;
  /** Exclusive lower bound (a key). */
  after?: string;
  limit: number;
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

/**
 * The master-key check document (util/key-check.ts), an identity document of the default account kept out
 * of `reset()`: given the stored document (null: none yet), the one to store; throw to abort the transaction.
 * `resealAccessKeySecrets` runs it in the re-seal transaction, so the check value follows a rotation atomically.
 */
export type KeyCheckDecider = (current: string | null) => string;

/** Where the key check document lives (account '', never reset). */
export const KEY_CHECK_DOC: IdentityDocKey = { kind: 'master-key-check', id: 'store' };

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
  /**
   * `inAccountOf`: only the rows whose principal is an entity of that stored name's account (a System policy's rows
   * are of every account); absent, every row.
   */
  listAttachmentsForPolicy(policyType: PolicyType, policyName: string, inAccountOf?: string): Promise<RamAttachment[]>;
  countAttachments(policyType: PolicyType, policyName: string, inAccountOf?: string): Promise<number>;

  // master-key rotation (`alunite keys rotate`, `alunite keys history`)
  /**
   * Re-seals every RAM AccessKey secret in one transaction: `reseal` gets the AccessKeyId and the sealed
   * secret and returns the sealed form to keep (throw to abort: nothing changes). The same transaction
   * appends `audit` to `key_rotations`, so a rotation is recorded exactly when it took effect. Returns how
   * many secrets changed.
   */
  resealAccessKeySecrets(reseal: (accessKeyId: string, sealedSecret: string) => string, audit: KeyRotationAudit, keyCheck?: KeyCheckDecider): Promise<number>;
  /**
   * One sealed AccessKey secret of any account (the oldest by id), or null when the store holds none: what
   * start-up opens to confirm its master key before recording the key check value (util/key-check.ts).
   */
  anySealedSecret(): Promise<{ accessKeyId: string; sealedSecret: string } | null>;
  /** The recorded rotations, newest first. */
  listKeyRotations(): Promise<KeyRotation[]>;

  // RPC replay protection
  /** Records a nonce until `expiresAt`; false when it is already recorded (a replay). Drops expired ones. */
  claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean>;
  /** Whether the nonce is recorded and live at `now` (a claim would be refused); reads only. */
  nonceLive(nonce: string, now: number): Promise<boolean>;

  // RAM identity documents (docs/ram.md): login profiles, virtual MFA devices, account settings, AccessKey
  // last use. One generic (account, kind, id) → JSON store, like bucket_configs; writes do not move identityGeneration.
  // `account`: whose documents ('' or omitted: the server's default account; an account's view
  // (accounts/scoped-identity.ts) always passes its own and ignores the caller's).
  /** The documents of `kind` with these ids (absent ones left out). */
  readIdentityDocs(kind: string, ids: readonly string[], account?: string): Promise<Map<string, string>>;
  /** Every document of `kind`, by id (small kinds only: MFA devices of the account). */
  listIdentityDocs(kind: string, account?: string): Promise<Map<string, string>>;
  /**
   * Reads the documents at `keys` (null when absent) and writes what `decide` returns (null deletes), all in
   * one transaction, so rules spanning several documents (one MFA device per user) hold across processes.
   * Throw an AppError from `decide` to abort: nothing changes. A write touching a login profile
   * (`LOGIN_PROFILE_DOC`) moves the identity generation like any identity write: console sessions are
   * verified against the profile (sts/credentials.ts), so every process must drop what it verified.
   */
  updateIdentityDocs(keys: readonly IdentityDocKey[], decide: (current: Array<string | null>) => Array<string | null>, account?: string): Promise<void>;
  /** UpdatePolicyDescription: the custom policy's description and update time (EntityNotExist.Policy). */
  updatePolicyDescription(policyName: string, description: string, now: number): Promise<RamPolicy>;
}

/** The identity document kind of login profiles (id: userId); see `updateIdentityDocs`. */
export const LOGIN_PROFILE_DOC = 'login-profile';

/** Whether a write to these documents must move the identity generation (it changes who may sign in). */
export function movesIdentityGeneration(keys: readonly IdentityDocKey[]): boolean {
  return keys.some((k) => k.kind === LOGIN_PROFILE_DOC);
}

/** Where one RAM identity document lives. */
export interface IdentityDocKey {
  kind: string;
  id: string;
}

