import type { Bucket, ObjectRecord, ObjectSummary, PartRecord, UploadRecord } from '../../domain/model.js';

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
  close(): Promise<void>;
}
