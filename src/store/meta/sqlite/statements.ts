import type Database from 'better-sqlite3';
import type { ObjectRecord } from '../../../domain/model.js';
import { attrsColumn, objectColumnValues, type BucketRow, type ObjectRowBase, type PartRow, type UploadRow, type VersionRowFields } from '../data-rows.js';
import { OBJECT_WORM_CONFIG, type DefaultRuleText } from '../default-retention.js';
import { NULL_VERSION, VERSIONING_CONFIG } from '../versions.js';

// The SQLite data plane's prepared statements (buckets and their configurations, objects and versions, uploads and
// parts), prepared once per store in one table (`stmts`), and the row shapes and positional decoders that go with
// their column lists. The concern modules (buckets.ts, objects.ts, listings.ts, uploads.ts) run them.

export interface ObjectRow extends ObjectRowBase {
  inline_id: number | null;
}

export type VersionRow = ObjectRow & VersionRowFields;

/** A bucket row with its configurations aggregated into one JSON object (json_group_object gives '{}' for none). */
const BUCKET_COLUMNS =
  "b.*, (SELECT json_group_object(c.name, c.document) FROM bucket_configs c WHERE c.bucket IN (b.name, '/account/' || b.owner)) AS configs";
/** BUCKET_COLUMNS with only the configurations named in the JSON array `@configs` (BucketListQuery.configs). */
const BUCKET_COLUMNS_NAMED =
  "b.*, (SELECT json_group_object(c.name, c.document) FROM bucket_configs c WHERE c.bucket IN (b.name, '/account/' || b.owner) AND c.name IN (SELECT value FROM json_each(@configs))) AS configs";

/** upsertObject's parameters for `o`, its inline bytes in inline_data row `inlineId` (null: none). */
export function objectParams(o: ObjectRecord, inlineId: number | null): unknown[] {
  return [o.bucket, o.key, ...objectColumnValues(o), inlineId, attrsColumn(o.attrs), o.versionId ?? null];
}

/** The objects columns in ObjectRow order (readObjectRow maps them by position). */
const OBJECT_ROW_COLUMNS =
  'o.bucket, o.key, o.size, o.etag, o.crc64, o.content_md5, o.type, o.storage_class, o.acl, o.last_modified, o.headers, o.meta, o.tags, o.segments, o.symlink_target, o.inline_id, o.attrs, o.version_id';

export type InlineObjectRow = ObjectRow & { inline_data: Buffer | null };

/**
 * The row an unversioned delete removes (no inline bytes) as one JSON array text, its JSON columns embedded as JSON
 * (json()), so one JSON.parse decodes it all: better-sqlite3 builds a raw row with one V8 API call per column
 * (~1 k instructions each), and toObject parses the five JSON columns apart (docs/performance.md). No column is a
 * BLOB (json_array refuses those); TEXT, INTEGER, REAL and NULL come back as JSON.parse gives them.
 */
const REMOVED_ROW_JSON =
  'json_array(o.bucket, o.key, o.size, o.etag, o.crc64, o.content_md5, o.type, o.storage_class, o.acl, o.last_modified, ' +
  'json(o.headers), json(o.meta), json(o.tags), json(o.segments), o.symlink_target, o.inline_id, json(o.attrs), o.version_id)';

/** A REMOVED_ROW_JSON text's record (as toObject makes it from the row) and inline_id. */
export function removedRowOf(text: string): { record: ObjectRecord; inlineId: number | null } {
  const v = JSON.parse(text) as unknown[];
  const attrs = v[16] as ObjectRecord['attrs'] | null;
  const versionId = v[17] as string | null;
  const record: ObjectRecord = {
    bucket: v[0] as string, key: v[1] as string, size: v[2] as number, etag: v[3] as string, crc64: v[4] as string,
    contentMd5: v[5] as string | null, type: v[6] as ObjectRecord['type'], storageClass: v[7] as ObjectRecord['storageClass'],
    acl: v[8] as ObjectRecord['acl'], lastModified: v[9] as number, headers: v[10] as ObjectRecord['headers'],
    userMeta: v[11] as ObjectRecord['userMeta'], tags: v[12] as ObjectRecord['tags'], segments: v[13] as ObjectRecord['segments'],
    inline: null, symlinkTarget: v[14] as string | null,
    ...(attrs === null ? {} : { attrs }),
    ...(versionId === null || versionId === NULL_VERSION ? {} : { versionId }),
  };
  return { record, inlineId: v[15] as number | null };
}

/** A raw `getObjectRaw` row as an ObjectRow: one object literal of fixed shape. */
export function objectRowOf(v: unknown[]): InlineObjectRow {
  return {
    bucket: v[0] as string, key: v[1] as string, size: v[2] as number, etag: v[3] as string, crc64: v[4] as string,
    content_md5: v[5] as string | null, type: v[6] as string, storage_class: v[7] as string, acl: v[8] as string,
    last_modified: v[9] as number, headers: v[10] as string, meta: v[11] as string, tags: v[12] as string,
    segments: v[13] as string, symlink_target: v[14] as string | null, inline_id: v[15] as number | null,
    attrs: v[16] as string | null, version_id: v[17] as string | null, inline_data: (v[18] ?? null) as Buffer | null,
  };
}

/** Prepares the statements on `db` (the store's connection). */
export function prepareStatements(db: Database.Database) {
  return {
    insertBucket: db.prepare(
      `INSERT INTO buckets (name, owner, created_at, region, acl, storage_class, redundancy, policy, cors)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
    ),
    getBucket: db.prepare<[string], BucketRow>(`SELECT ${BUCKET_COLUMNS} FROM buckets b WHERE name = ?`),
    listBuckets: db.prepare<[{ after: string; prefix: string; limit: number }], BucketRow>(
      `SELECT ${BUCKET_COLUMNS} FROM buckets b WHERE name > @after AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit`,
    ),
    listOwnBuckets: db.prepare<[{ after: string; prefix: string; limit: number; owner: string }], BucketRow>(
      `SELECT ${BUCKET_COLUMNS} FROM buckets b WHERE owner = @owner AND name > @after AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit`,
    ),
    listBucketsNamed: db.prepare<[{ after: string; prefix: string; limit: number; configs: string }], BucketRow>(
      `SELECT ${BUCKET_COLUMNS_NAMED} FROM buckets b WHERE name > @after AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit`,
    ),
    listOwnBucketsNamed: db.prepare<[{ after: string; prefix: string; limit: number; owner: string; configs: string }], BucketRow>(
      `SELECT ${BUCKET_COLUMNS_NAMED} FROM buckets b WHERE owner = @owner AND name > @after AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit`,
    ),
    upsertConfig: db.prepare('INSERT OR REPLACE INTO bucket_configs (bucket, name, document) VALUES (?, ?, ?)'),
    deleteConfig: db.prepare('DELETE FROM bucket_configs WHERE bucket = ? AND name = ?'),
    deleteConfigs: db.prepare('DELETE FROM bucket_configs WHERE bucket = ?'),
    deleteCollections: db.prepare<[string, string]>('DELETE FROM bucket_configs WHERE bucket >= ? AND bucket < ?'),
    getConfig: db.prepare<[string, string], { document: string }>('SELECT document FROM bucket_configs WHERE bucket = ? AND name = ?'),
    countConfigs: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM bucket_configs WHERE bucket = ?'),
    listConfigs: db.prepare<[{ key: string; prefix: string; after: string; limit: number }], { id: string; document: string }>(
      `SELECT name AS id, document FROM bucket_configs WHERE bucket = @key AND name > @after AND name >= @prefix
         AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit`,
    ),
    bucketExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM buckets WHERE name = ?'),
    bucketIncarnation: db.prepare<[string], { owner: string; created_at: number }>('SELECT owner, created_at FROM buckets WHERE name = ?'),
    countBuckets: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM buckets WHERE owner = ?'),
    deleteBucket: db.prepare('DELETE FROM buckets WHERE name = ?'),
    anyObject: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM objects WHERE bucket = ? LIMIT 1'),
    anyUpload: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM uploads WHERE bucket = ? LIMIT 1'),
    // The row alone, for writes that need its segments, version or attributes (reads use getObjectRaw, which
    // brings an inline object's bytes with it).
    getObject: db.prepare<[string, string], ObjectRow>('SELECT * FROM objects WHERE bucket = ? AND key = ?'),
    // The same row as getObject, as an array (readObjectRow): no per-row column-name strings (perf.md).
    getObjectRaw: db.prepare<[string, string], unknown[]>(
      `SELECT ${OBJECT_ROW_COLUMNS}, d.data FROM objects o LEFT JOIN inline_data d ON d.id = o.inline_id WHERE o.bucket = ? AND o.key = ?`,
    ).raw(true),
    // A write's bucket check (which bucket of the name: owner, creation time), versioning status and ObjectWorm
    // default rule (DefaultRuleText), in one read, without aggregating every configuration (getBucket).
    bucketVersioning: db.prepare<[string], [string | null, string, number, DefaultRuleText]>(
      `SELECT (SELECT document FROM bucket_configs c WHERE c.bucket = b.name AND c.name = '${VERSIONING_CONFIG}'), b.owner, b.created_at,
         (SELECT coalesce(json_extract(c.document, '$.defaultRetention'), 'null') FROM bucket_configs c WHERE c.bucket = b.name AND c.name = '${OBJECT_WORM_CONFIG}')
       FROM buckets b WHERE b.name = ?`,
    ).raw(true),
    upsertObject: db.prepare(
      `INSERT OR REPLACE INTO objects (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl,
         last_modified, headers, meta, tags, segments, symlink_target, inline_id, attrs, version_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertVersion: db.prepare(
      `INSERT INTO object_versions (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl,
         last_modified, headers, meta, tags, segments, symlink_target, inline_id, attrs, version_id, seq, delete_marker, noncurrent_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    newestVersion: db.prepare<[string, string], VersionRow>('SELECT * FROM object_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1'),
    versionBySeq: db.prepare<[string, string, number], VersionRow>('SELECT * FROM object_versions WHERE bucket = ? AND key = ? AND seq = ?'),
    nullVersion: db.prepare<[string, string], VersionRow>("SELECT * FROM object_versions WHERE bucket = ? AND key = ? AND version_id = 'null'"),
    keySegments: db.prepare<[string, string], { segments: string }>('SELECT segments FROM object_versions WHERE bucket = ? AND key = ?'),
    deleteVersion: db.prepare('DELETE FROM object_versions WHERE bucket = ? AND key = ? AND seq = ?'),
    setNoncurrent: db.prepare('UPDATE object_versions SET noncurrent_since = ? WHERE bucket = ? AND key = ? AND seq = ?'),
    updateVersion: db.prepare(
      `UPDATE object_versions SET storage_class = ?, acl = ?, headers = ?, meta = ?, tags = ?, attrs = ? WHERE bucket = ? AND key = ? AND seq = ?`,
    ),
    anyVersion: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM object_versions WHERE bucket = ? LIMIT 1'),
    versionSegments: db.prepare<[], { segments: string }>("SELECT segments FROM object_versions WHERE segments <> '[]'"),
    deleteObject: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?'),
    getInline: db.prepare<[number], { data: Buffer }>('SELECT data FROM inline_data WHERE id = ?'),
    insertInline: db.prepare('INSERT INTO inline_data (data) VALUES (?)'),
    deleteInline: db.prepare('DELETE FROM inline_data WHERE id = ?'),
    // The row an unversioned delete removes, without the inline bytes (then deleteObject). Not `DELETE … RETURNING`:
    // SQLite collects RETURNING rows in a temporary B-tree opened and closed per statement, which costs more
    // than this second seek of pages the first one just read (docs/performance.md).
    // DeleteObject without a version id, in one read: the bucket (versioning document, owner, creation time) and the
    // key's row as one JSON array text (REMOVED_ROW_JSON), null when there is none; no row at all for no bucket.
    removalState: db.prepare<[string, string], [string | null, string, number, string | null]>(
      `SELECT (SELECT document FROM bucket_configs c WHERE c.bucket = b.name AND c.name = '${VERSIONING_CONFIG}'), b.owner, b.created_at,
         (SELECT ${REMOVED_ROW_JSON} FROM objects o WHERE o.bucket = b.name AND o.key = ?)
       FROM buckets b WHERE b.name = ?`,
    ).raw(true),
    insertUpload: db.prepare(
      `INSERT INTO uploads (upload_id, bucket, key, initiated, headers, meta, tags, acl, storage_class, attrs)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    getUpload: db.prepare<[string], UploadRow>('SELECT * FROM uploads WHERE upload_id = ?'),
    deleteUpload: db.prepare('DELETE FROM uploads WHERE upload_id = ?'),
    getPart: db.prepare<[string, number], PartRow>('SELECT * FROM parts WHERE upload_id = ? AND part_number = ?'),
    upsertPart: db.prepare(
      `INSERT OR REPLACE INTO parts (upload_id, part_number, size, etag, crc64, blob_id, last_modified)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    listParts: db.prepare<[string, number, number], PartRow>(
      'SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
    ),
    allParts: db.prepare<[string], PartRow>('SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number'),
    deleteParts: db.prepare('DELETE FROM parts WHERE upload_id = ?'),
    objectSegments: db.prepare<[], { segments: string }>('SELECT segments FROM objects'),
    partBlobs: db.prepare<[], { blob_id: string }>('SELECT blob_id FROM parts'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
