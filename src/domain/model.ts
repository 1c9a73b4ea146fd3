// Domain records: what the services and stores exchange. No HTTP, no XML here.
import type { SseState } from './encryption.js';

// `authenticated-read`: reads for any caller that signs, none for anonymous ones (not on OSS's pages; the Java SDK's
// CannedAccessControlList.AuthenticatedRead and its BucketInfoTest set it on a bucket; docs/compatibility.md).
export const BUCKET_ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read'] as const;
export type BucketAcl = (typeof BUCKET_ACLS)[number];
export const OBJECT_ACLS = ['default', ...BUCKET_ACLS] as const;
export type ObjectAcl = (typeof OBJECT_ACLS)[number];

export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

export const REDUNDANCY_TYPES = ['LRS', 'ZRS'] as const;
export type RedundancyType = (typeof REDUNDANCY_TYPES)[number];

export type ObjectType = 'Normal' | 'Multipart' | 'Appendable' | 'Symlink';

export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number | null;
}

export interface CorsConfig {
  rules: CorsRule[];
  responseVary: boolean;
}

export interface Bucket {
  name: string;
  ownerAccountId: string;
  createdAt: number;
  region: string;
  acl: BucketAcl;
  storageClass: StorageClass;
  redundancyType: RedundancyType;
  /** Bucket policy JSON text as stored, or null. */
  policy: string | null;
  cors: CorsConfig | null;
  /**
   * Every other bucket-level configuration (versioning, WORM, encryption, lifecycle, …): configuration name →
   * its validated document as JSON text, kept in one generic store (`MetadataStore.updateBucketConfig`).
   * Read them through `domain/bucket-config.ts`, which decodes each once per bucket record.
   */
  configs: Readonly<Record<string, string>>;
}

/** Standard HTTP headers stored with an object and returned on GET/HEAD. */
export interface ContentHeaders {
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
}

/** A run of bytes kept in the blob store. Objects are one or more segments in order. */
export interface Segment {
  blobId: string;
  size: number;
  /**
   * Set on a segment an append merged (domain/append-merge.ts): the blob its chain of merges started from. Every
   * later merge of it keeps the same origin and starts with its bytes, so a reader that finds a replaced segment
   * gone reads its bytes from the segment of the same origin in the object's record now.
   */
  origin?: string;
}

export interface ObjectRecord {
  bucket: string;
  key: string;
  size: number;
  /** Upper-case hex, without quotes. */
  etag: string;
  /** CRC-64/XZ of the whole object, unsigned decimal. */
  crc64: string;
  /** base64 MD5 of the whole object for Normal objects; null otherwise. */
  contentMd5: string | null;
  type: ObjectType;
  storageClass: StorageClass;
  acl: ObjectAcl;
  lastModified: number;
  headers: ContentHeaders;
  /** x-oss-meta-* without the prefix, names lower-case. */
  userMeta: Record<string, string>;
  tags: Array<[string, string]>;
  segments: Segment[];
  /** Bytes of a small object kept in the metadata row instead of a blob (then segments is empty). */
  inline: Buffer | null;
  symlinkTarget: string | null;
  /** Per-object state of features beyond the core columns (see ObjectAttrs); absent or {} when none. */
  attrs?: ObjectAttrs;
  /**
   * The version's id (docs/versioning.md); absent for the `null` version (objects written while the bucket
   * was unversioned or suspended). Set by the store on writes to a versioned bucket, never by the writer.
   */
  versionId?: string;
}

/** Versioning state of a bucket: null while it was never enabled (it never returns to null). */
export type VersioningStatus = 'Enabled' | 'Suspended' | null;

/** One version of a key (or a delete marker) as ListObjectVersions and version reads see it. */
export interface VersionSummary extends ObjectSummary {
  /** 'null' for the null version. */
  versionId: string;
  deleteMarker: boolean;
  isLatest: boolean;
  /** When the version stopped being the current one (ms); null while it is the latest. */
  noncurrentSince: number | null;
  /** Whether it is stored encrypted (attrs.encryption), read by the listing itself (inventory EncryptionStatus). */
  encrypted?: boolean;
}

/** A full version record (a delete marker's content fields are empty: size 0, no segments). */
export interface VersionRecord extends ObjectRecord {
  versionId: string;
  deleteMarker: boolean;
  isLatest: boolean;
  noncurrentSince: number | null;
}

/**
 * Per-object (and per-upload) state that features add without a schema change: one JSON column (`attrs`)
 * in both engines. Each feature adds its own optional field here; keep values plain data.
 */
export interface ObjectAttrs {
  /** Archive classes: the object's restored copy, if one was requested (domain/restore.ts). */
  restore?: RestoreAttrs;
  [feature: string]: unknown;
  /** Server-side encryption: the algorithm as echoed and the sealed data key (domain/encryption.ts). */
  encryption?: SseState;
  /** SealAppendObject: when an Appendable object was first sealed (ms); it takes no appends after. */
  sealedTime?: number;
  /**
   * Access tracking (PutBucketAccessMonitor): when a GetObject last read the object (ms), written at most once a
   * lifecycle day per object (domain/access-monitor.ts); absent: never read while tracking was on.
   */
  lastAccess?: number;
  /**
   * Set when the lifecycle moved the object to IA by a rule on the last access time with ReturnToStdWhenVisit:
   * its next GetObject moves it back to Standard (domain/access-monitor-service.ts). Objects stored as IA have none.
   */
  returnToStandard?: boolean;
  /** An upload initiated with `?sequential`: its completed object gets the Content-MD5 of its whole body (uploads only). */
  sequential?: boolean;
  /** CreateSelectObjectMeta's results, one per input format (docs/select.md "The meta is stored"). */
  selectMeta?: Partial<Record<SelectMetaFormat, SelectMetaAttrs>>;
  /** Written by bucket replication (docs/replication.md): never replicated again. */
  replica?: ReplicaMark;
  /**
   * ObjectWorm: the bucket's default rule when this version was written (null: none), stamped by the store in the
   * write's transaction (store/meta/default-retention.ts); absent on versions written before stamping, and in buckets
   * without ObjectWorm. Counted from the version's Last-Modified (domain/object-worm.ts effectiveRetention).
   */
  defaultRetention?: DefaultRetentionStamp | null;
  /** The async fetch task that wrote this version (domain/async-fetch.ts: its state after a crash). */
  asyncFetchTask?: string;
}

/** A default retention rule as stamped on a version: a mode and one of days and years. */
export interface DefaultRetentionStamp {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  days?: number;
  years?: number;
}

/**
 * A replica's mark (`ObjectAttrs.replica`): the bucket it was replicated from, that incarnation of the name (its owner
 * and creation time; absent on replicas written before marks named it, which no source counts as its own).
 */
export interface ReplicaMark {
  bucket: string;
  ownerAccountId?: string;
  createdAt?: number;
}

export type SelectMetaFormat = 'csv' | 'json';

/** A CreateSelectObjectMeta result as stored with the object it describes (the ETag and size it was made of). */
export interface SelectMetaAttrs {
  splits: number;
  rows: number;
  /** CSV only (0 for JSON). */
  columns: number;
  /** Bytes the scan read (the meta end frame's scanned size). */
  scanned: number;
  etag: string;
  size: number;
}

export const RESTORE_TIERS = ['Expedited', 'Standard', 'Bulk'] as const;
export type RestoreTier = (typeof RESTORE_TIERS)[number];

/**
 * A RestoreObject's times (milliseconds since the epoch): the copy is being made until `readyAt`, readable
 * until `expiresAt`, frozen again after. Whether it is done is computed from the clock; nothing updates it.
 */
export interface RestoreAttrs {
  requestedAt: number;
  readyAt: number;
  expiresAt: number;
  /** ColdArchive / DeepColdArchive: the priority asked for. */
  tier?: RestoreTier;
  /** The batch job that started the restore (its id), when one did. */
  job?: string;
}

/** What a listing shows of an object (listings read only these columns). */
export type ObjectSummary = Pick<ObjectRecord, 'key' | 'size' | 'etag' | 'type' | 'storageClass' | 'lastModified'>;

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  headers: ContentHeaders;
  userMeta: Record<string, string>;
  tags: Array<[string, string]>;
  acl: ObjectAcl;
  storageClass: StorageClass;
  /** Per-upload feature state (ObjectAttrs), carried to the completed object as the feature decides. */
  attrs?: ObjectAttrs;
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  size: number;
  /** Upper-case hex MD5 of the part, without quotes. */
  etag: string;
  crc64: string;
  blobId: string;
  lastModified: number;
}
