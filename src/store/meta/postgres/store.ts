import type pg from 'pg';
import type { PartRecord, UploadRecord } from '../../../domain/model.js';
import { AppError } from '../../../errors.js';
import type { CompleteDecider, CompleteResult, ListUploadsQuery, MetadataStore } from '../types.js';
import type { BucketIncarnation, ObjectWriteOptions } from '../types.js';
import { KEY_CHECK_DOC } from '../types.js';
import { attrsColumn, toPart, type PartRow } from '../data-rows.js';
import { PgBase, type PostgresStoreOptions } from './base.js';
import { keyRange, PgListingStore } from './listings.js';
import {
  beforeNul, hasNul, keptState, keyBytes, SQL, toObject, toUpload,
  type KeptRow, type ObjectRow, type PgUploadRow,
} from './statements.js';

export { bytesSuccessor, listObjectsSql } from './listings.js';

/**
 * PostgreSQL metadata store (pooled `pg`), for several Alunite processes sharing one database. Same
 * contract as the SQLite store: every conditional write is decided inside one transaction holding the
 * row lock (SELECT … FOR UPDATE; an insert race meets the primary key through ON CONFLICT DO NOTHING
 * and is decided again against the winner's row), so two processes racing on one key get one winner.
 * Listings are range scans of the (bucket, key) primary key with keyset bounds, never OFFSET.
 */
/** What `reset()` empties (replay nonces, leases, counters and the key-rotation history stay). */
/** How often each process folds the statistics rows of gone connections (bucket_stats), and at most how many per run. */
const STAT_FOLD_EVERY_MS = 60_000;
const STAT_FOLD_MAX_ROWS = 10_000;

const PG_RESET_TABLES = [
  'buckets', 'bucket_configs', 'objects', 'object_versions', 'uploads', 'parts', 'bucket_stats',
  'ram_users', 'ram_access_keys', 'ram_groups', 'ram_group_members', 'ram_roles', 'ram_policies', 'ram_policy_versions', 'ram_attachments',
  // RAM identity documents
  'ram_documents',
  // federation
  'ram_identity_providers',
] as const;

export class PostgresMetadataStore extends PgListingStore implements MetadataStore {
  private constructor(pool: pg.Pool) {
    super(pool);
    // Maintenance off the request path: reads of GetBucketStat only sum, they never write.
    this.statFolder = setInterval(() => {
      if (this.folding) return;
      this.folding = this.foldBucketStats().catch(() => 0).finally(() => {
        this.folding = null;
      });
    }, STAT_FOLD_EVERY_MS);
    this.statFolder.unref();
  }

  private readonly statFolder: NodeJS.Timeout;
  private folding: Promise<number> | null = null;

  override async close(): Promise<void> {
    clearInterval(this.statFolder);
    await this.folding;
    await super.close();
  }

  /** Connects (a clear error when the URL is wrong or the server unreachable) and migrates. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresMetadataStore> {
    return new PostgresMetadataStore(await PgBase.connect(opts));
  }

  /**
   * Folds the statistics rows of connections that are gone into shard 0 of their bucket, kind and class
   * (live connections keep adding to their own rows, which this never touches), so the rows a read sums
   * stay near the number of live connections. Exact: one statement moves what it deletes, and a fold
   * racing another (from any process) finds the rows already moved. Run every minute by each process;
   * at most `max` rows per run. Returns how many rows were folded.
   */
  async foldBucketStats(max = STAT_FOLD_MAX_ROWS): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM bucket_stats WHERE ctid IN (
           SELECT ctid FROM bucket_stats WHERE shard > 1 AND shard NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL) LIMIT $1)
         RETURNING *),
       moved AS (
         INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
           SELECT bucket, kind, storage_class, 0, sum(count), sum(bytes), sum(billed), max(updated) FROM gone GROUP BY bucket, kind, storage_class
         ON CONFLICT (bucket, kind, storage_class, shard) DO UPDATE SET count = bucket_stats.count + excluded.count,
           bytes = bucket_stats.bytes + excluded.bytes, billed = bucket_stats.billed + excluded.billed, updated = greatest(bucket_stats.updated, excluded.updated))
       SELECT count(*) AS n FROM gone`,
      [max],
    );
    return rows[0]?.n ?? 0;
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
    if (hasNul(uploadId)) return null;
    const { rows } = await this.pool.query<PgUploadRow>({ name: 'get-upload', text: SQL.getUpload, values: [uploadId] });
    return rows[0] ? toUpload(rows[0]) : null;
  }

  /**
   * The upload's row lock serializes its part writes with each other and with complete/abort, so the
   * part replaced is the one really replaced, and no part lands in an upload being completed.
   */
  async putPart(p: PartRecord, opts: Pick<ObjectWriteOptions, 'capacity'> = {}): Promise<PartRecord | null> {
    if (hasNul(p.uploadId)) throw new AppError('NoSuchUpload', undefined, { UploadId: p.uploadId });
    return this.tx(async (c) => {
      // The capacity lock before the upload's row lock, as every write takes it first.
      if (opts.capacity !== undefined) {
        const up = await c.query<{ bucket: string }>({ name: 'upload-bucket', text: 'SELECT bucket FROM uploads WHERE upload_id = $1', values: [p.uploadId] });
        if (up.rows.length === 0) throw new AppError('NoSuchUpload', undefined, { UploadId: p.uploadId });
        return this.withinCapacity(c, up.rows[0]!.bucket, opts.capacity, () => this.putPartNow(c, p));
      }
      // Without a capacity the part's write is the transaction's last statement: it goes with the COMMIT.
      return this.putPartNow(c, p, true);
    });
  }

  /** `last`: the write ends the transaction (writeAndCommit). Two round trips then: BEGIN and the reads, the write and COMMIT. */
  private async putPartNow(c: pg.PoolClient, p: PartRecord, last = false): Promise<PartRecord | null> {
    // The part replaced is read by its own statement behind the upload's lock (one round trip for both): a
    // statement's snapshot taken with the lock already held sees a racing UploadPart of the same number committed.
    const [upload, old] = await this.pipelined(c, [
      { name: 'lock-upload-nk', text: 'SELECT 1 FROM uploads WHERE upload_id = $1 FOR NO KEY UPDATE', values: [p.uploadId] },
      { name: 'get-part', text: 'SELECT * FROM parts WHERE upload_id = $1 AND part_number = $2', values: [p.uploadId, p.partNumber] },
    ]);
    if (upload!.rows.length === 0) throw new AppError('NoSuchUpload', undefined, { UploadId: p.uploadId });
    const upsert: pg.QueryConfig = {
      name: 'upsert-part',
      text: `INSERT INTO parts (upload_id, part_number, size, etag, crc64, blob_id, last_modified) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (upload_id, part_number) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag, crc64 = EXCLUDED.crc64,
               blob_id = EXCLUDED.blob_id, last_modified = EXCLUDED.last_modified`,
      values: [p.uploadId, p.partNumber, p.size, p.etag, p.crc64, p.blobId, p.lastModified],
    };
    if (last) await this.writeAndCommit(c, upsert);
    else await c.query(upsert);
    return old!.rows[0] ? toPart(old!.rows[0] as PartRow) : null;
  }

  async listParts(uploadId: string, q: { after: number; limit: number }): Promise<PartRecord[]> {
    if (hasNul(uploadId)) return [];
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
        values.push(beforeNul(q.uploadIdMarker));
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

  async abortUpload(uploadId: string, sameBucket?: BucketIncarnation): Promise<PartRecord[] | null> {
    if (hasNul(uploadId)) return null;
    return this.tx(async (c) => {
      if (sameBucket !== undefined) {
        // Only an upload of the bucket the caller listed it in (share-locked: it cannot be replaced meanwhile).
        const { rows } = await c.query<{ bucket: string }>('SELECT bucket FROM uploads WHERE upload_id = $1', [uploadId]);
        if (rows[0] === undefined) return null;
        const same = await this.keepBucket(c, rows[0].bucket, sameBucket).then(() => true, (err: unknown) => {
          if (err instanceof AppError && err.code === 'NoSuchBucket') return false;
          throw err;
        });
        if (!same) return null;
      }
      const gone = await c.query('DELETE FROM uploads WHERE upload_id = $1', [uploadId]);
      if (gone.rowCount === 0) return null;
      const { rows } = await c.query<PartRow>('DELETE FROM parts WHERE upload_id = $1 RETURNING *', [uploadId]);
      return rows.map(toPart).sort((a, b) => a.partNumber - b.partNumber);
    });
  }

  async completeUpload(uploadId: string, decide: CompleteDecider, opts: Pick<ObjectWriteOptions, 'guardRemoved'> = {}): Promise<CompleteResult> {
    if (hasNul(uploadId)) throw new AppError('NoSuchUpload', undefined, { UploadId: uploadId });
    return this.tx(async (c) => {
      // The upload's lock, then its parts, the bucket's share lock and (unversioned) the object's row lock, each
      // read behind the one before: one round trip. The upload's removal then goes with the write and the COMMIT.
      const [locked, partRows, kept] = await this.pipelined(c, [
        { name: 'lock-upload', text: SQL.lockUpload, values: [uploadId] },
        { name: 'upload-parts', text: 'SELECT * FROM parts WHERE upload_id = $1 ORDER BY part_number', values: [uploadId] },
        { name: 'keep-upload-bucket-lock-object', text: SQL.keepUploadBucketLockObject, values: [uploadId] },
      ]);
      const row = locked!.rows[0] as PgUploadRow | undefined;
      if (!row) throw new AppError('NoSuchUpload', undefined, { UploadId: uploadId });
      const upload = toUpload(row);
      const parts = (partRows!.rows as PartRow[]).map(toPart);
      const keptRow = kept!.rows[0] as (KeptRow & ObjectRow) | undefined;
      const state = keptState(keptRow, upload.bucket, undefined);
      const current = keptRow!.versioning === null ? (keptRow!.key === null ? null : toObject(keptRow!)) : undefined;
      const removal: pg.QueryConfig[] = [
        { name: 'delete-upload-parts', text: 'DELETE FROM parts WHERE upload_id = $1', values: [uploadId] },
        { name: 'delete-upload', text: 'DELETE FROM uploads WHERE upload_id = $1', values: [uploadId] },
      ];
      const res = await this.writeCurrent(c, upload.bucket, keyBytes(upload.key), state, (cur, versioning) => decide(upload, parts, cur, versioning), opts, current, removal);
      const used = new Set(res.record.segments.map((s) => s.blobId));
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
      const vsegs = await c.query<[string]>({ text: "SELECT segments FROM object_versions WHERE segments <> '[]'", rowMode: 'array' });
      const parts = await c.query<[string]>({ text: 'SELECT blob_id FROM parts', rowMode: 'array' });
      await c.query('COMMIT');
      for (const [segments] of vsegs.rows) for (const s of JSON.parse(segments) as Array<{ blobId: string }>) ids.add(s.blobId);
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
      const vsegs = await c.query<[string]>({ text: 'DELETE FROM object_versions RETURNING segments', rowMode: 'array' });
      for (const [segments] of vsegs.rows) for (const s of JSON.parse(segments) as Array<{ blobId: string }>) out.add(s.blobId);
      const parts = await c.query<[string]>({ text: 'DELETE FROM parts RETURNING blob_id', rowMode: 'array' });
      for (const [id] of parts.rows) out.add(id);
      for (const table of PG_RESET_TABLES) {
        if (table === 'objects' || table === 'parts' || table === 'object_versions') continue;
        // The master-key check stays: it describes the key, not the state (util/key-check.ts).
        if (table === 'ram_documents') await c.query('DELETE FROM ram_documents WHERE NOT (account = $1 AND kind = $2)', ['', KEY_CHECK_DOC.kind]);
        else await c.query(`DELETE FROM ${table}`);
      }
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
