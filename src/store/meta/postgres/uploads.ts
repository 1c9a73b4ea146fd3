import type pg from 'pg';
import type { PartRecord, UploadRecord } from '../../../domain/model.js';
import { AppError } from '../../../errors.js';
import type { BucketIncarnation, CompleteDecider, CompleteResult, ListUploadsQuery, ObjectWriteOptions } from '../types.js';
import { attrsColumn, toPart, type PartRow } from '../data-rows.js';
import { keyRange, PgListingStore } from './listings.js';
import { beforeNul, hasNul, keptState, keyBytes, SQL, toObject, toUpload, type KeptRow, type ObjectRow, type PgUploadRow } from './statements.js';

/**
 * Multipart uploads: an upload's row in `uploads`, its parts in `parts` (written under the upload's row lock), and
 * CompleteMultipartUpload, which writes the object as putObject does (objects.ts) in the transaction that removes the
 * upload. A layer of the PostgreSQL MetadataStore (store.ts), above listings.ts.
 */
export abstract class PgUploadStore extends PgListingStore {
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
}
