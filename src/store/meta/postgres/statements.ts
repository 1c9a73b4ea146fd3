import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ObjectRecord, UploadRecord, VersionRecord, VersioningStatus } from '../../../domain/model.js';
import { AppError } from '../../../errors.js';
import type { BucketIncarnation } from '../types.js';
import { OBJECT_WORM_CONFIG, type DefaultRuleText } from '../default-retention.js';
import { NULL_VERSION, seqOfVersionId, VERSIONING_CONFIG, versioningOf } from '../versions.js';
import {
  attrsColumn, objectColumnValues, toObject as toRecord, toUpload as toUploadRecord, toVersion as toVersionRecord,
  type ObjectRowBase, type UploadRow, type VersionRowFields,
} from '../data-rows.js';

// The PostgreSQL data plane's SQL (`SQL`, mostly sent as named statements, which a connection prepares once) and the
// builders of statements, with the row shapes and decoders that go with their column lists and what text parameters
// cannot hold (U+0000). The concern modules (buckets.ts, objects.ts, listings.ts, uploads.ts) run them.

/** Keys and symlink targets are bytea here (UTF-8): decoded to strings before the shared decoders run. */
export interface ObjectRow extends Omit<ObjectRowBase, 'key' | 'symlink_target'> {
  key: Buffer;
  symlink_target: Buffer | null;
  inline_data: Buffer | null;
}

export interface PgUploadRow extends Omit<UploadRow, 'key'> {
  key: Buffer;
}

export const keyBytes = (key: string): Buffer => Buffer.from(key, 'utf8');

const textOf = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));

export function toObject(r: ObjectRow): ObjectRecord {
  return toRecord({ ...r, key: r.key.toString('utf8'), symlink_target: textOf(r.symlink_target) }, r.inline_data);
}

export type VersionRow = ObjectRow & VersionRowFields;

export function toVersion(r: VersionRow): VersionRecord {
  return toVersionRecord({ ...r, key: r.key.toString('utf8'), symlink_target: textOf(r.symlink_target) }, r.inline_data);
}

/** Columns 3.. of an object row ($1 bucket, $2 key); the symlink target (the shared values' last) as bytes. */
export function objectValues(o: ObjectRecord): unknown[] {
  const target = o.symlinkTarget === null ? null : Buffer.from(o.symlinkTarget, 'utf8');
  return [...objectColumnValues(o).slice(0, -1), target, o.inline, attrsColumn(o.attrs), o.versionId ?? null];
}

/** The bucket row keepBucket reads (share-locked). */
export interface KeptRow {
  versioning: string | null;
  worm_rule: DefaultRuleText;
  owner: string;
  created_at: string | number;
}

/** What a write follows: the bucket's versioning status and the default rule its version is stamped with. */
export interface WriteState {
  status: VersioningStatus;
  rule: DefaultRuleText;
}

/** The write state of a kept bucket row; NoSuchBucket when there is none, or it is not the `expected` bucket. */
export function keptState(row: KeptRow | undefined, bucket: string, expected: BucketIncarnation | undefined): WriteState {
  if (row === undefined || (expected !== undefined && (row.owner !== expected.ownerAccountId || Number(row.created_at) !== expected.createdAt))) {
    throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
  }
  return { status: versioningOf(row.versioning), rule: row.worm_rule };
}

/** What a versioned write needs to know of a key's newest version row. */
export interface VersionHead {
  seq: number;
  version_id: string;
  delete_marker: boolean;
  noncurrent_since: number | null;
}

/** Takes the key's lock (keyLockId) until the transaction ends. */
export function lockKeyStatement(bucket: string, k: Buffer): pg.QueryConfig {
  return { name: 'lock-key', text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [keyLockId(bucket, k)] };
}

/** The segments of every remaining version of `removed`'s key, current object included (`segments`: JSON text, one row each). */
export function keySegmentsStatement(removed: ObjectRecord): pg.QueryConfig {
  return { name: 'key-segments', text: SQL.keySegments, values: [removed.bucket, keyBytes(removed.key)] };
}

export interface SegmentsRow {
  segments: string;
}
export const segmentsOf = (r: SegmentsRow): ObjectRecord['segments'] => JSON.parse(r.segments) as ObjectRecord['segments'];

/** Reads the version row `versionId` names ('null': the null version; its id is to be compared); none for an id no version can have. */
export function findVersionStatement(bucket: string, k: Buffer, versionId: string): pg.QueryConfig | undefined {
  if (versionId === NULL_VERSION) return { name: 'null-version', text: SQL.nullVersion, values: [bucket, k] };
  const seq = seqOfVersionId(versionId);
  return seq === null ? undefined : { name: 'version-by-seq', text: SQL.versionBySeq, values: [bucket, k, seq] };
}

/**
 * After the latest entry of a key went (key lock held), the writes that make `next`, the newest version entry
 * remaining, current: a delete marker stays a version entry and becomes the current one; an object moves to `objects`.
 */
export function promotion(bucket: string, k: Buffer, next: VersionHead | undefined): pg.QueryConfig[] {
  if (!next) return [];
  if (next.delete_marker) return [{ name: 'set-noncurrent', text: SQL.setNoncurrent, values: [bucket, k, next.seq, null] }];
  return [
    { name: 'promote-version', text: SQL.promoteVersion, values: [bucket, k, next.seq] },
    { name: 'delete-version', text: SQL.deleteVersion, values: [bucket, k, next.seq] },
  ];
}

/** The transaction-scoped advisory lock id serializing versioned writes of one key across processes. */
function keyLockId(bucket: string, key: Buffer): string {
  return createHash('sha1').update(bucket).update('\0').update(key).digest().readBigInt64BE(0).toString();
}

export const CONTENT_COLUMNS = 'size, etag, crc64, content_md5, type, storage_class, acl, last_modified, headers, meta, tags, segments, symlink_target, inline_data, attrs';

export function toUpload(r: PgUploadRow): UploadRecord {
  return toUploadRecord({ ...r, key: r.key.toString('utf8') });
}

export const OBJECT_COLUMNS = `bucket, key, size, etag, crc64, content_md5, type, storage_class, acl, last_modified, headers, meta, tags,
  segments, symlink_target, inline_data, attrs, version_id`;

/** A bucket row with its configurations aggregated into one JSON object (name → document). */
export const BUCKET_COLUMNS =
  "b.*, (SELECT coalesce(json_object_agg(c.name, c.document), '{}')::text FROM bucket_configs c WHERE c.bucket IN (b.name, '/account/' || b.owner)) AS configs";

/** The bucket's ObjectWorm default rule as a write reads it (DefaultRuleText: null, 'null' or the rule's JSON). */
const wormRule = (bucket: string): string => `(SELECT coalesce((c.document::jsonb -> 'defaultRetention')::text, 'null') FROM bucket_configs c
      WHERE c.bucket = ${bucket} AND c.name = '${OBJECT_WORM_CONFIG}') AS worm_rule`;
/** keepBucket's statement for the bucket the SQL expression `bucket` names. */
const keptBucket = (bucket: string): string => `SELECT (SELECT document FROM bucket_configs c WHERE c.bucket = ${bucket} AND c.name = '${VERSIONING_CONFIG}') AS versioning,
      ${wormRule(bucket)}, owner, created_at FROM buckets WHERE name = ${bucket} FOR KEY SHARE`;

const INSERT_OBJECT = `INSERT INTO objects (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl, last_modified,
      headers, meta, tags, segments, symlink_target, inline_data, attrs, version_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`;

export const SQL = {
  getObject: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = $1 AND key = $2`,
  lockObject: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE`,
  insertObject: `${INSERT_OBJECT} ON CONFLICT (bucket, key) DO NOTHING`,
  // Sent with the COMMIT (and what follows it in the transaction): a row another transaction committed meanwhile
  // must abort the transaction (unique_violation), not let the rest commit.
  insertNewObject: INSERT_OBJECT,
  updateObject: `UPDATE objects SET size = $3, etag = $4, crc64 = $5, content_md5 = $6, type = $7, storage_class = $8, acl = $9,
      last_modified = $10, headers = $11, meta = $12, tags = $13, segments = $14, symlink_target = $15, inline_data = $16, attrs = $17,
      version_id = $18
    WHERE bucket = $1 AND key = $2`,
  upsertObject: `INSERT INTO objects (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl, last_modified,
      headers, meta, tags, segments, symlink_target, inline_data, attrs, version_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
    ON CONFLICT (bucket, key) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag, crc64 = EXCLUDED.crc64,
      content_md5 = EXCLUDED.content_md5, type = EXCLUDED.type, storage_class = EXCLUDED.storage_class, acl = EXCLUDED.acl,
      last_modified = EXCLUDED.last_modified, headers = EXCLUDED.headers, meta = EXCLUDED.meta, tags = EXCLUDED.tags,
      segments = EXCLUDED.segments, symlink_target = EXCLUDED.symlink_target, inline_data = EXCLUDED.inline_data,
      attrs = EXCLUDED.attrs, version_id = EXCLUDED.version_id`,
  // An unversioned delete in one statement; a versioned bucket (a 'versioning' configuration) deletes nothing here.
  // One row always: whether the bucket exists (a delete that finds none is NoSuchBucket, not "no such key": the
  // bucket may have been deleted since the request was authorized), whether it has versioning, and the deleted row's
  // columns (null: no such key). One snapshot: a bucket it does not see has no objects in it either.
  deleteUnversioned: `WITH v AS (SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $1) AS bucket_found,
      EXISTS (SELECT 1 FROM bucket_configs WHERE bucket = $1 AND name = '${VERSIONING_CONFIG}') AS versioned),
    d AS (DELETE FROM objects WHERE bucket = $1 AND key = $2 AND NOT (SELECT versioned FROM v) RETURNING ${OBJECT_COLUMNS})
    SELECT v.bucket_found, v.versioned, d.* FROM v LEFT JOIN d ON true`,
  // The bucket's versioning document (null: none); no row: no such bucket.
  bucketVersioning: `SELECT (SELECT document FROM bucket_configs c WHERE c.bucket = $1 AND c.name = '${VERSIONING_CONFIG}') AS document
    FROM buckets WHERE name = $1`,
  versionHead: 'SELECT seq, version_id, delete_marker, noncurrent_since FROM object_versions WHERE bucket = $1 AND key = $2 ORDER BY seq DESC LIMIT 1',
  // The two newest: a delete of the newest entry knows the one it makes current.
  versionHeads: 'SELECT seq, version_id, delete_marker, noncurrent_since FROM object_versions WHERE bucket = $1 AND key = $2 ORDER BY seq DESC LIMIT 2',
  versionBySeq: `SELECT bucket, key, seq, version_id, delete_marker, noncurrent_since, ${CONTENT_COLUMNS} FROM object_versions WHERE bucket = $1 AND key = $2 AND seq = $3`,
  nullVersion: `SELECT bucket, key, seq, version_id, delete_marker, noncurrent_since, ${CONTENT_COLUMNS} FROM object_versions WHERE bucket = $1 AND key = $2 AND version_id = 'null'`,
  setNoncurrent: 'UPDATE object_versions SET noncurrent_since = $4 WHERE bucket = $1 AND key = $2 AND seq = $3',
  deleteVersion: 'DELETE FROM object_versions WHERE bucket = $1 AND key = $2 AND seq = $3',
  // The current object becomes a noncurrent version: copied inside the database, inline bytes included.
  moveCurrent: `INSERT INTO object_versions (bucket, key, seq, version_id, delete_marker, noncurrent_since, ${CONTENT_COLUMNS})
    SELECT bucket, key, $3, coalesce(version_id, 'null'), false, $4, ${CONTENT_COLUMNS} FROM objects WHERE bucket = $1 AND key = $2`,
  // The newest version becomes the current object.
  promoteVersion: `INSERT INTO objects (bucket, key, ${CONTENT_COLUMNS}, version_id)
    SELECT bucket, key, ${CONTENT_COLUMNS}, nullif(version_id, 'null') FROM object_versions WHERE bucket = $1 AND key = $2 AND seq = $3`,
  insertMarker: `INSERT INTO object_versions (bucket, key, seq, version_id, delete_marker, noncurrent_since, ${CONTENT_COLUMNS})
    VALUES ($1, $2, $3, $4, true, NULL, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
  keySegments: `SELECT segments FROM objects WHERE bucket = $1 AND key = $2 UNION ALL SELECT segments FROM object_versions WHERE bucket = $1 AND key = $2`,
  versioningOf: `SELECT document FROM bucket_configs WHERE bucket = $1 AND name = '${VERSIONING_CONFIG}'`,
  deleteObject: `DELETE FROM objects WHERE bucket = $1 AND key = $2 RETURNING ${OBJECT_COLUMNS}`,
  getBucket: `SELECT ${BUCKET_COLUMNS} FROM buckets b WHERE name = $1`,
  getUpload: 'SELECT * FROM uploads WHERE upload_id = $1',
  lockUpload: 'SELECT * FROM uploads WHERE upload_id = $1 FOR UPDATE',
  // The weakest lock that conflicts with DeleteBucket's and updateBucketConfig's FOR UPDATE (not with bucket
  // ACL/policy updates); it reads the versioning status and ObjectWorm's default rule (DefaultRuleText), which cannot
  // change before this transaction ends.
  keepBucket: keptBucket('$1'),
  // keepBucket and, when the bucket has no versioning configuration, lockObject: one round trip for a PUT. A versioned
  // bucket's key is locked by its advisory lock first (lockKey), so its object row is not locked here.
  keepBucketLockObject: `SELECT k.versioning, k.worm_rule, k.owner, k.created_at, o.* FROM (${keptBucket('$1')}) k
    LEFT JOIN LATERAL (SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = $1 AND key = $2 AND k.versioning IS NULL FOR UPDATE) o ON true`,
  // The same for the bucket and key of the upload $1 (whose row the transaction has locked already).
  keepUploadBucketLockObject: `SELECT k.versioning, k.worm_rule, k.owner, k.created_at, o.* FROM uploads u CROSS JOIN LATERAL (${keptBucket('u.bucket')}) k
    LEFT JOIN LATERAL (SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = u.bucket AND key = u.key AND k.versioning IS NULL FOR UPDATE) o ON true
    WHERE u.upload_id = $1`,
} as const;

// PostgreSQL text cannot hold U+0000 (a parameter holding one fails the whole query), so no id or name stored in a
// text column has one, and a request naming one (`?uploadId=%00`, a ListLiveChannel marker, ...) was answered 500
// InternalError. As SQLite answers it: an id holding U+0000 names nothing, a prefix holding one starts no name, and a
// marker `p\0...` sorts after `p` and before every longer name that starts with `p`, so `name > p\0...` is `name > p`.
export const hasNul = (text: string): boolean => text.includes('\u0000');
export const beforeNul = (text: string): string => {
  const at = text.indexOf('\u0000');
  return at < 0 ? text : text.slice(0, at);
};
