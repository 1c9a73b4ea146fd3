import type { Bucket, ObjectAttrs, ObjectRecord, PartRecord, UploadRecord, VersionRecord } from '../../domain/model.js';

// Bucket, object, upload and part rows as both SQL engines store them (same column names, JSON text for
// structured fields), and their decoding into domain records. Engine differences stay in the engines:
// SQLite keeps keys as TEXT and inline bytes in a side table; PostgreSQL keeps keys as bytea (decoded to a
// string before these run) and inline bytes in the row.

export interface BucketRow {
  name: string;
  owner: string;
  created_at: number;
  region: string;
  acl: string;
  storage_class: string;
  redundancy: string;
  policy: string | null;
  cors: string | null;
  /** The bucket's rows of `bucket_configs` as one JSON object (name → document text), aggregated by the query. */
  configs: string | null;
}

export interface ObjectRowBase {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  crc64: string;
  content_md5: string | null;
  type: string;
  storage_class: string;
  acl: string;
  last_modified: number;
  headers: string;
  meta: string;
  tags: string;
  segments: string;
  symlink_target: string | null;
  attrs: string | null;
  /** Null (or 'null' in object_versions) for the null version. */
  version_id?: string | null;
}

/** A row of `object_versions`: an object row plus its place among the key's versions. */
export interface VersionRowFields {
  seq: number;
  version_id: string;
  delete_marker: number | boolean;
  noncurrent_since: number | null;
}

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  headers: string;
  meta: string;
  tags: string;
  acl: string;
  storage_class: string;
  attrs: string | null;
}

export interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  crc64: string;
  blob_id: string;
  last_modified: number;
}

export function toBucket(r: BucketRow): Bucket {
  return {
    name: r.name,
    ownerAccountId: r.owner,
    createdAt: r.created_at,
    region: r.region,
    acl: r.acl as Bucket['acl'],
    storageClass: r.storage_class as Bucket['storageClass'],
    redundancyType: r.redundancy as Bucket['redundancyType'],
    policy: r.policy,
    cors: r.cors === null ? null : (JSON.parse(r.cors) as Bucket['cors']),
    configs: r.configs === null ? {} : (JSON.parse(r.configs) as Record<string, string>),
  };
}

/** `bucket` with its configuration `name` set to `document` (a new record: bucket records are never changed in place). */
export function withConfig(bucket: Bucket, name: string, document: string): Bucket {
  return { ...bucket, configs: { ...bucket.configs, [name]: document } };
}

export function toObject(r: ObjectRowBase, inline: Buffer | null): ObjectRecord {
  return {
    bucket: r.bucket,
    key: r.key,
    size: r.size,
    etag: r.etag,
    crc64: r.crc64,
    contentMd5: r.content_md5,
    type: r.type as ObjectRecord['type'],
    storageClass: r.storage_class as ObjectRecord['storageClass'],
    acl: r.acl as ObjectRecord['acl'],
    lastModified: r.last_modified,
    headers: JSON.parse(r.headers) as ObjectRecord['headers'],
    userMeta: JSON.parse(r.meta) as ObjectRecord['userMeta'],
    tags: JSON.parse(r.tags) as ObjectRecord['tags'],
    segments: JSON.parse(r.segments) as ObjectRecord['segments'],
    inline,
    symlinkTarget: r.symlink_target,
    ...(r.attrs === null ? {} : { attrs: JSON.parse(r.attrs) as ObjectAttrs }),
    ...(r.version_id == null || r.version_id === 'null' ? {} : { versionId: r.version_id }),
  };
}

/** A version row's record (ObjectRecord with its version fields). */
export function toVersion(r: ObjectRowBase & VersionRowFields, inline: Buffer | null): VersionRecord {
  return {
    ...toObject(r, inline),
    versionId: r.version_id,
    deleteMarker: Boolean(r.delete_marker),
    isLatest: r.noncurrent_since === null,
    noncurrentSince: r.noncurrent_since === null ? null : Number(r.noncurrent_since),
  };
}

/** The current object as a version record. */
export function currentAsVersion(o: ObjectRecord): VersionRecord {
  return { ...o, versionId: o.versionId ?? 'null', deleteMarker: false, isLatest: true, noncurrentSince: null };
}

/** Adds to `ids` the blob ids a `segments` column (JSON text) references (the garbage collector's and reset's reads). */
export function addSegmentBlobIds(ids: Set<string>, segments: string): void {
  for (const s of JSON.parse(segments) as Array<{ blobId: string }>) ids.add(s.blobId);
}

/** The `attrs` column's value: null when there is no feature state (most objects). */
export function attrsColumn(a: ObjectAttrs | undefined): string | null {
  return a === undefined || Object.keys(a).length === 0 ? null : JSON.stringify(a);
}

/** The object columns after bucket and key, in table order, ending with symlink_target (the engine appends its inline column, then attrs). */
export function objectColumnValues(o: ObjectRecord): unknown[] {
  return [
    o.size, o.etag, o.crc64, o.contentMd5, o.type, o.storageClass, o.acl, o.lastModified, JSON.stringify(o.headers),
    JSON.stringify(o.userMeta), JSON.stringify(o.tags), JSON.stringify(o.segments), o.symlinkTarget,
  ];
}

export function toUpload(r: UploadRow): UploadRecord {
  return {
    uploadId: r.upload_id,
    bucket: r.bucket,
    key: r.key,
    initiated: r.initiated,
    headers: JSON.parse(r.headers) as UploadRecord['headers'],
    userMeta: JSON.parse(r.meta) as UploadRecord['userMeta'],
    tags: JSON.parse(r.tags) as UploadRecord['tags'],
    acl: r.acl as UploadRecord['acl'],
    storageClass: r.storage_class as UploadRecord['storageClass'],
    ...(r.attrs === null ? {} : { attrs: JSON.parse(r.attrs) as ObjectAttrs }),
  };
}

export function toPart(r: PartRow): PartRecord {
  return {
    uploadId: r.upload_id,
    partNumber: r.part_number,
    size: r.size,
    etag: r.etag,
    crc64: r.crc64,
    blobId: r.blob_id,
    lastModified: r.last_modified,
  };
}

/**
 * Account-level configurations (Block Public Access for the whole account, docs/access-rules.md) live in
 * bucket_configs under this key, which no bucket name can take (`/` is not allowed in bucket names); the
 * bucket query carries them on every bucket record of the account, so the request path reads them for free.
 */
export function accountConfigKey(accountId: string): string {
  return `/account/${accountId}`;
}

/** Store-wide indexes (`getIndexEntry`) live in bucket_configs under this key (no bucket or account key is one). */
export function indexConfigKey(index: string): string {
  return `/index/${index}`;
}

/**
 * A bucket's configuration collection (`getConfigEntry`) lives in bucket_configs under `<bucket>/<collection>`: no
 * bucket name holds `/`, so it is neither a bucket's key (bucket records do not carry it) nor an account's or an
 * index's (both start with `/`).
 */
export function collectionConfigKey(bucket: string, collection: string): string {
  return `${bucket}/${collection}`;
}

/** The keys of every collection of a bucket are those in [`<bucket>/`, `<bucket>0`) ('0' follows '/'). */
export function collectionKeyRange(bucket: string): [string, string] {
  return [`${bucket}/`, `${bucket}0`];
}
