import type pg from 'pg';
import type { Bucket, ObjectRecord, ObjectSummary, PartRecord, UploadRecord } from '../../../domain/model.js';
import { AppError } from '../../../errors.js';
import type {
  BucketConfigDecider,
  BucketPatch,
  CompleteDecider,
  CompleteResult,
  ListObjectsQuery,
  ListUploadsQuery,
  MetadataStore,
  ObjectDecider,
  ObjectWriteResult,
} from '../types.js';
import { PgBase, type PostgresStoreOptions, type Queryable } from './base.js';
import { PgIdentityStore } from './identity.js';
import { attrsColumn, objectColumnValues, toBucket, toObject as toRecord, toPart, toUpload as toUploadRecord, type BucketRow, type ObjectRowBase, type PartRow, type UploadRow } from '../data-rows.js';

/** Keys are bytea here: decoded to strings before the shared decoders run. */
interface ObjectRow extends Omit<ObjectRowBase, 'key'> {
  key: Buffer;
  inline_data: Buffer | null;
}

interface PgUploadRow extends Omit<UploadRow, 'key'> {
  key: Buffer;
}

const keyBytes = (key: string): Buffer => Buffer.from(key, 'utf8');

/**
 * The smallest byte string greater than every string starting with `prefix`, or null if there is none
 * (all 0xFF): drop trailing 0xFF bytes, increment the last. Keys are bytea, so bounds are bytes too.
 */
export function bytesSuccessor(prefix: Buffer): Buffer | null {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return null;
  const next = Buffer.from(prefix.subarray(0, end));
  next[end - 1] = next[end - 1]! + 1;
  return next;
}

function toObject(r: ObjectRow): ObjectRecord {
  return toRecord({ ...r, key: r.key.toString('utf8') }, r.inline_data);
}

/** Columns 3.. of an object row ($1 bucket, $2 key). */
function objectValues(o: ObjectRecord): unknown[] {
  return [...objectColumnValues(o), o.inline, attrsColumn(o.attrs)];
}

function toUpload(r: PgUploadRow): UploadRecord {
  return toUploadRecord({ ...r, key: r.key.toString('utf8') });
}

const OBJECT_COLUMNS = `bucket, key, size, etag, crc64, content_md5, type, storage_class, acl, last_modified, headers, meta, tags,
  segments, symlink_target, inline_data, attrs`;

/** A bucket row with its configurations aggregated into one JSON object (name → document). */
const BUCKET_COLUMNS =
  "b.*, (SELECT coalesce(json_object_agg(c.name, c.document), '{}')::text FROM bucket_configs c WHERE c.bucket = b.name) AS configs";

const SQL = {
  getObject: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = $1 AND key = $2`,
  lockObject: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE`,
  insertObject: `INSERT INTO objects (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl, last_modified,
      headers, meta, tags, segments, symlink_target, inline_data, attrs)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (bucket, key) DO NOTHING`,
  updateObject: `UPDATE objects SET size = $3, etag = $4, crc64 = $5, content_md5 = $6, type = $7, storage_class = $8, acl = $9,
      last_modified = $10, headers = $11, meta = $12, tags = $13, segments = $14, symlink_target = $15, inline_data = $16, attrs = $17
    WHERE bucket = $1 AND key = $2`,
  deleteObject: `DELETE FROM objects WHERE bucket = $1 AND key = $2 RETURNING ${OBJECT_COLUMNS}`,
  getBucket: `SELECT ${BUCKET_COLUMNS} FROM buckets b WHERE name = $1`,
  lockBucket: `SELECT ${BUCKET_COLUMNS} FROM buckets b WHERE name = $1 FOR UPDATE`,
  getUpload: 'SELECT * FROM uploads WHERE upload_id = $1',
  lockUpload: 'SELECT * FROM uploads WHERE upload_id = $1 FOR UPDATE',
  // The weakest lock that conflicts with DeleteBucket's FOR UPDATE (not with bucket ACL/policy updates).
  keepBucket: 'SELECT 1 FROM buckets WHERE name = $1 FOR KEY SHARE',
} as const;

/**
 * PostgreSQL metadata store (pooled `pg`), for several Alunite processes sharing one database. Same
 * contract as the SQLite store: every conditional write is decided inside one transaction holding the
 * row lock (SELECT … FOR UPDATE; an insert race meets the primary key through ON CONFLICT DO NOTHING
 * and is decided again against the winner's row), so two processes racing on one key get one winner.
 * Listings are range scans of the (bucket, key) primary key with keyset bounds, never OFFSET.
 */
/** What `reset()` empties (replay nonces, leases, counters and the key-rotation history stay). */
const PG_RESET_TABLES = [
  'buckets', 'bucket_configs', 'objects', 'uploads', 'parts',
  'ram_users', 'ram_access_keys', 'ram_groups', 'ram_group_members', 'ram_roles', 'ram_policies', 'ram_policy_versions', 'ram_attachments',
] as const;

export class PostgresMetadataStore extends PgIdentityStore implements MetadataStore {
  private constructor(pool: pg.Pool) {
    super(pool);
  }

  /** Connects (a clear error when the URL is wrong or the server unreachable) and migrates. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresMetadataStore> {
    return new PostgresMetadataStore(await PgBase.connect(opts));
  }

  // ---- buckets ----

  async createBucket(b: Bucket): Promise<'created' | 'exists'> {
    return this.writeBucket(async (c) => {
      const res = await c.query(
        `INSERT INTO buckets (name, owner, created_at, region, acl, storage_class, redundancy, policy, cors)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING`,
        [b.name, b.ownerAccountId, b.createdAt, b.region, b.acl, b.storageClass, b.redundancyType, b.policy, b.cors === null ? null : JSON.stringify(b.cors)],
      );
      const created = res.rowCount === 1;
      return { result: created ? 'created' : 'exists', changed: created };
    });
  }

  /** Cached per name; the cache drops on this process's bucket writes and on other processes' (refreshSharedState). */
  async getBucket(name: string): Promise<Bucket | null> {
    const hit = this.bucketCache.get(name) as Bucket | null | undefined;
    if (hit !== undefined) return hit;
    const generation = this.bucketGeneration();
    const { rows } = await this.pool.query<BucketRow>({ name: 'get-bucket', text: SQL.getBucket, values: [name] });
    const bucket = rows[0] ? toBucket(rows[0]) : null;
    // A write that committed while we read moved the generation: the row read may predate it.
    if (generation === this.bucketGeneration()) {
      if (this.bucketCache.size > 10_000) this.bucketCache.clear();
      this.bucketCache.set(name, bucket);
    }
    return bucket;
  }

  async listBuckets(q: { prefix: string; after?: string; limit: number }): Promise<Bucket[]> {
    const values: unknown[] = [q.after ?? ''];
    let where = 'name > $1';
    if (q.prefix !== '') {
      values.push(q.prefix);
      where += ` AND starts_with(name, $${values.length})`;
    }
    values.push(q.limit);
    const { rows } = await this.pool.query<BucketRow>(`SELECT ${BUCKET_COLUMNS} FROM buckets b WHERE ${where} ORDER BY name LIMIT $${values.length}`, values);
    return rows.map(toBucket);
  }

  async countBuckets(owner: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM buckets WHERE owner = $1', [owner]);
    return rows[0]!.n;
  }

  async updateBucket(name: string, patch: BucketPatch): Promise<Bucket | null> {
    const sets: string[] = [];
    const values: unknown[] = [name];
    if (patch.acl !== undefined) {
      values.push(patch.acl);
      sets.push(`acl = $${values.length}`);
    }
    if (patch.policy !== undefined) {
      values.push(patch.policy);
      sets.push(`policy = $${values.length}`);
    }
    if (patch.cors !== undefined) {
      values.push(patch.cors === null ? null : JSON.stringify(patch.cors));
      sets.push(`cors = $${values.length}`);
    }
    return this.writeBucket(async (c) => {
      const updated = sets.length > 0 ? (await c.query(`UPDATE buckets SET ${sets.join(', ')} WHERE name = $1`, values)).rowCount ?? 0 : 0;
      const { rows } = await c.query<BucketRow>(SQL.getBucket, [name]);
      return { result: rows[0] ? toBucket(rows[0]) : null, changed: updated > 0 };
    });
  }

  /** The bucket row is locked FOR UPDATE while deciding, so racing processes apply their changes one after another. */
  async updateBucketConfig(name: string, config: string, decide: BucketConfigDecider): Promise<Bucket | null> {
    return this.writeBucket(async (c) => {
      const { rows } = await c.query<BucketRow>(SQL.lockBucket, [name]);
      if (!rows[0]) return { result: null, changed: false };
      const bucket = toBucket(rows[0]);
      const current = bucket.configs[config] ?? null;
      const next = decide(current, bucket);
      if (next === current) return { result: bucket, changed: false };
      if (next === null) await c.query('DELETE FROM bucket_configs WHERE bucket = $1 AND name = $2', [name, config]);
      else {
        await c.query(
          `INSERT INTO bucket_configs (bucket, name, document) VALUES ($1, $2, $3)
           ON CONFLICT (bucket, name) DO UPDATE SET document = EXCLUDED.document`,
          [name, config, next],
        );
      }
      const after = await c.query<BucketRow>(SQL.getBucket, [name]);
      return { result: toBucket(after.rows[0]!), changed: true };
    });
  }

  async deleteBucket(name: string): Promise<'deleted' | 'missing' | 'not-empty'> {
    return this.writeBucket(async (c) => {
      const { rows } = await c.query('SELECT 1 FROM buckets WHERE name = $1 FOR UPDATE', [name]);
      if (rows.length === 0) return { result: 'missing' as const, changed: false };
      const busy = await c.query('SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = $1) OR EXISTS (SELECT 1 FROM uploads WHERE bucket = $1) AS busy', [name]);
      if ((busy.rows[0] as { busy: boolean }).busy) return { result: 'not-empty' as const, changed: false };
      await c.query('DELETE FROM bucket_configs WHERE bucket = $1', [name]);
      await c.query('DELETE FROM buckets WHERE name = $1', [name]);
      return { result: 'deleted' as const, changed: true };
    });
  }

  // ---- objects ----

  async getObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    const { rows } = await this.pool.query<ObjectRow>({ name: 'get-object', text: SQL.getObject, values: [bucket, keyBytes(key)] });
    return rows[0] ? toObject(rows[0]) : null;
  }

  /**
   * Decides and writes one object inside the caller's transaction. The current row is read FOR UPDATE;
   * when there is none, the insert may still meet a row a concurrent transaction just committed
   * (ON CONFLICT DO NOTHING inserts nothing): then read it, locked, and decide again.
   */
  private async decideObject(c: Queryable, bucket: string, key: Buffer, decide: ObjectDecider): Promise<ObjectWriteResult> {
    for (;;) {
      const { rows } = await c.query<ObjectRow>({ name: 'lock-object', text: SQL.lockObject, values: [bucket, key] });
      const current = rows[0] ? toObject(rows[0]) : null;
      const record = decide(current);
      if (current) {
        await c.query({ name: 'update-object', text: SQL.updateObject, values: [bucket, key, ...objectValues(record)] });
        return { record, replaced: current };
      }
      const ins = await c.query({ name: 'insert-object', text: SQL.insertObject, values: [bucket, key, ...objectValues(record)] });
      if (ins.rowCount === 1) return { record, replaced: null };
    }
  }

  /**
   * Writes an object into a bucket that exists until the commit: the bucket row is share-locked first, so
   * a racing DeleteBucket (FOR UPDATE, then the emptiness check) either sees this object or has removed the
   * bucket before this write looks, which then fails NoSuchBucket.
   */
  async putObject(bucket: string, key: string, decide: ObjectDecider): Promise<ObjectWriteResult> {
    const k = keyBytes(key);
    return this.tx(async (c) => {
      await this.keepBucket(c, bucket);
      return this.decideObject(c, bucket, k, decide);
    });
  }

  /** Share-locks the bucket's row until the transaction ends; NoSuchBucket if it is gone. */
  private async keepBucket(c: Queryable, bucket: string): Promise<void> {
    const { rows } = await c.query({ name: 'keep-bucket', text: SQL.keepBucket, values: [bucket] });
    if (rows.length === 0) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
  }

  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    const { rows } = await this.pool.query<ObjectRow>({ name: 'delete-object', text: SQL.deleteObject, values: [bucket, keyBytes(key)] });
    return rows[0] ? toObject(rows[0]) : null;
  }

  /** The rows are locked FOR UPDATE while deciding, so a racing write is either seen by `decide` or waits. */
  async deleteObjectsIf(bucket: string, keys: readonly string[], decide: (current: ObjectRecord) => boolean): Promise<ObjectRecord[]> {
    if (keys.length === 0) return [];
    const wanted = keys.map(keyBytes);
    return this.tx(async (c) => {
      // Locked in key order, as every batch takes them: two batches never wait on each other in a cycle.
      const { rows } = await c.query<ObjectRow>({
        name: 'lock-objects-batch',
        text: `SELECT ${OBJECT_COLUMNS.replace('inline_data', 'NULL::bytea AS inline_data')} FROM objects WHERE bucket = $1 AND key = ANY($2::bytea[]) ORDER BY key FOR UPDATE`,
        values: [bucket, wanted],
      });
      const removed = rows.map(toObject).filter((r) => decide(r));
      if (removed.length > 0) {
        await c.query({ name: 'delete-objects-batch', text: 'DELETE FROM objects WHERE bucket = $1 AND key = ANY($2::bytea[])', values: [bucket, removed.map((r) => keyBytes(r.key))] });
      }
      return removed;
    });
  }

  async listObjects(bucket: string, q: ListObjectsQuery): Promise<ObjectSummary[]> {
    // Rows as arrays (no object per row), key bytes decoded once.
    const res = await this.pool.query<[Buffer, number, string, string, string, number]>({ ...listObjectsSql(bucket, q), rowMode: 'array' });
    return res.rows.map(([key, size, etag, type, storageClass, lastModified]) => ({
      key: key.toString('utf8'), size, etag, type: type as ObjectSummary['type'], storageClass: storageClass as ObjectSummary['storageClass'], lastModified,
    }));
  }

  // ---- multipart ----

  /** Like putObject, holds the bucket row so a racing DeleteBucket cannot leave the upload behind. */
  async createUpload(u: UploadRecord): Promise<void> {
    await this.tx(async (c) => {
      await this.keepBucket(c, u.bucket);
      await c.query(
        `INSERT INTO uploads (upload_id, bucket, key, initiated, headers, meta, tags, acl, storage_class, attrs)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [u.uploadId, u.bucket, keyBytes(u.key), u.initiated, JSON.stringify(u.headers), JSON.stringify(u.userMeta), JSON.stringify(u.tags), u.acl, u.storageClass, attrsColumn(u.attrs)],
      );
    });
  }

  async getUpload(uploadId: string): Promise<UploadRecord | null> {
    const { rows } = await this.pool.query<PgUploadRow>({ name: 'get-upload', text: SQL.getUpload, values: [uploadId] });
    return rows[0] ? toUpload(rows[0]) : null;
  }

  /**
   * The upload's row lock serializes its part writes with each other and with complete/abort, so the
   * part replaced is the one really replaced, and no part lands in an upload being completed.
   */
  async putPart(p: PartRecord): Promise<PartRecord | null> {
    return this.tx(async (c) => {
      const { rows } = await c.query({ name: 'lock-upload-nk', text: 'SELECT 1 FROM uploads WHERE upload_id = $1 FOR NO KEY UPDATE', values: [p.uploadId] });
      if (rows.length === 0) throw new AppError('NoSuchUpload', undefined, { UploadId: p.uploadId });
      const old = await c.query<PartRow>({ name: 'get-part', text: 'SELECT * FROM parts WHERE upload_id = $1 AND part_number = $2', values: [p.uploadId, p.partNumber] });
      await c.query({
        name: 'upsert-part',
        text: `INSERT INTO parts (upload_id, part_number, size, etag, crc64, blob_id, last_modified) VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (upload_id, part_number) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag, crc64 = EXCLUDED.crc64,
                 blob_id = EXCLUDED.blob_id, last_modified = EXCLUDED.last_modified`,
        values: [p.uploadId, p.partNumber, p.size, p.etag, p.crc64, p.blobId, p.lastModified],
      });
      return old.rows[0] ? toPart(old.rows[0]) : null;
    });
  }

  async listParts(uploadId: string, q: { after: number; limit: number }): Promise<PartRecord[]> {
    const { rows } = await this.pool.query<PartRow>('SELECT * FROM parts WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3', [
      uploadId, q.after, q.limit,
    ]);
    return rows.map(toPart);
  }

  async listUploads(bucket: string, q: ListUploadsQuery): Promise<UploadRecord[]> {
    const { where, values } = keyRange([bucket], q.prefix, undefined, q.skipPrefix);
    let marker = '';
    if (q.keyMarker !== undefined && q.keyMarker !== '') {
      values.push(keyBytes(q.keyMarker));
      const k = `$${values.length}`;
      if (q.uploadIdMarker) {
        values.push(q.uploadIdMarker);
        marker = ` AND (key, upload_id) > (${k}, $${values.length})`;
      } else {
        marker = ` AND key > ${k}`;
      }
    }
    values.push(q.limit);
    const { rows } = await this.pool.query<PgUploadRow>(
      `SELECT * FROM uploads WHERE bucket = $1${where}${marker} ORDER BY key, upload_id LIMIT $${values.length}`,
      values,
    );
    return rows.map(toUpload);
  }

  async abortUpload(uploadId: string): Promise<PartRecord[] | null> {
    return this.tx(async (c) => {
      const gone = await c.query('DELETE FROM uploads WHERE upload_id = $1', [uploadId]);
      if (gone.rowCount === 0) return null;
      const { rows } = await c.query<PartRow>('DELETE FROM parts WHERE upload_id = $1 RETURNING *', [uploadId]);
      return rows.map(toPart).sort((a, b) => a.partNumber - b.partNumber);
    });
  }

  async completeUpload(uploadId: string, decide: CompleteDecider): Promise<CompleteResult> {
    return this.tx(async (c) => {
      const { rows } = await c.query<PgUploadRow>({ name: 'lock-upload', text: SQL.lockUpload, values: [uploadId] });
      if (!rows[0]) throw new AppError('NoSuchUpload', undefined, { UploadId: uploadId });
      const upload = toUpload(rows[0]);
      const parts = (await c.query<PartRow>('SELECT * FROM parts WHERE upload_id = $1 ORDER BY part_number', [uploadId])).rows.map(toPart);
      const res = await this.decideObject(c, upload.bucket, keyBytes(upload.key), (current) => decide(upload, parts, current));
      const used = new Set(res.record.segments.map((s) => s.blobId));
      await c.query('DELETE FROM parts WHERE upload_id = $1', [uploadId]);
      await c.query('DELETE FROM uploads WHERE upload_id = $1', [uploadId]);
      return { ...res, unusedParts: parts.filter((p) => !used.has(p.blobId)) };
    });
  }

  // ---- maintenance ----

  /**
   * Objects' and parts' blob ids as of one snapshot (REPEATABLE READ): a CompleteMultipartUpload moving
   * references from parts to its object commits atomically, so it is seen either before or after, never
   * with its blobs in neither table.
   */
  async referencedBlobIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const segs = await c.query<[string]>({ text: "SELECT segments FROM objects WHERE segments <> '[]'", rowMode: 'array' });
      const parts = await c.query<[string]>({ text: 'SELECT blob_id FROM parts', rowMode: 'array' });
      await c.query('COMMIT');
      for (const [segments] of segs.rows) for (const s of JSON.parse(segments) as Array<{ blobId: string }>) ids.add(s.blobId);
      for (const [id] of parts.rows) ids.add(id);
      return ids;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw err;
    } finally {
      c.release(broken);
    }
  }

  /**
   * Empties the data plane and the RAM tables in one transaction. The tables are locked first (ACCESS
   * EXCLUSIVE): writes of other processes in progress finish before, later ones wait until the commit and
   * then find nothing (NoSuchBucket, …), so no object can be left behind in a bucket that is gone.
   */
  async reset(): Promise<string[]> {
    let identity = 0;
    let buckets = 0;
    const ids = await this.tx(async (c) => {
      await c.query(`LOCK TABLE ${PG_RESET_TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      const out = new Set<string>();
      const segs = await c.query<[string]>({ text: 'DELETE FROM objects RETURNING segments', rowMode: 'array' });
      for (const [segments] of segs.rows) for (const s of JSON.parse(segments) as Array<{ blobId: string }>) out.add(s.blobId);
      const parts = await c.query<[string]>({ text: 'DELETE FROM parts RETURNING blob_id', rowMode: 'array' });
      for (const [id] of parts.rows) out.add(id);
      for (const table of PG_RESET_TABLES) if (table !== 'objects' && table !== 'parts') await c.query(`DELETE FROM ${table}`);
      identity = await this.bump(c, 'identity');
      buckets = await this.bump(c, 'buckets');
      return [...out];
    });
    this.observeReset(identity, buckets);
    return ids;
  }

  /** Versions recorded in `schema_migrations`, oldest first (tests, diagnostics). */
  async appliedMigrations(): Promise<number[]> {
    const { rows } = await this.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    return rows.map((r) => r.version);
  }
}

/** The listing query: a range scan of the (bucket, key) primary key, keyset-paged (exported for the plan test). */
export function listObjectsSql(bucket: string, q: ListObjectsQuery): { text: string; values: unknown[] } {
  const { where, values } = keyRange([bucket], q.prefix, q.after, q.skipPrefix);
  values.push(q.limit);
  return {
    text: `SELECT key, size, etag, type, storage_class, last_modified FROM objects WHERE bucket = $1${where} ORDER BY key LIMIT $${values.length}`,
    values,
  };
}

/**
 * Range conditions on `key` (bytea) for a prefix, an exclusive start and a skipped sub-prefix, as
 * parameters after `values`: they bound an index range scan, no expression hides the column.
 */
function keyRange(values: unknown[], prefix: string, after: string | undefined, skipPrefix: string | undefined): { where: string; values: unknown[] } {
  let where = '';
  const add = (op: string, v: Buffer): void => {
    values.push(v);
    where += ` AND key ${op} $${values.length}`;
  };
  if (prefix !== '') {
    const p = keyBytes(prefix);
    add('>=', p);
    const hi = bytesSuccessor(p);
    if (hi) add('<', hi);
  }
  if (after !== undefined && after !== '') add('>', keyBytes(after));
  if (skipPrefix !== undefined) {
    const hi = bytesSuccessor(keyBytes(skipPrefix));
    if (hi) add('>=', hi);
    else where += ' AND false';
  }
  return { where, values };
}
