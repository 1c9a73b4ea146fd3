import { AppError } from '../../../errors.js';
import type { PartRecord, UploadRecord } from '../../../domain/model.js';
import type { BucketIncarnation, CompleteDecider, CompleteResult, ListUploadsQuery, ObjectWriteOptions } from '../types.js';
import { attrsColumn, toPart, toUpload, type UploadRow } from '../data-rows.js';
import { rangeWhere, SqliteListingStore } from './listings.js';

/**
 * Multipart uploads: an upload's row in `uploads`, its parts in `parts`, and CompleteMultipartUpload, which writes the
 * object as putObject does (objects.ts) in the transaction that removes the upload. A layer of the SQLite
 * MetadataStore (store.ts), above listings.ts.
 */
export abstract class SqliteUploadStore extends SqliteListingStore {
  async createUpload(u: UploadRecord): Promise<void> {
    await this.write(() => {
      if (!this.stmts.getBucket.get(u.bucket)) throw new AppError('NoSuchBucket', undefined, { BucketName: u.bucket });
      this.stmts.insertUpload.run(
        u.uploadId, u.bucket, u.key, u.initiated, JSON.stringify(u.headers), JSON.stringify(u.userMeta),
        JSON.stringify(u.tags), u.acl, u.storageClass, attrsColumn(u.attrs),
      );
    });
  }

  async getUpload(uploadId: string): Promise<UploadRecord | null> {
    const row = this.stmts.getUpload.get(uploadId);
    return row ? toUpload(row) : null;
  }

  async putPart(p: PartRecord, opts: Pick<ObjectWriteOptions, 'capacity'> = {}): Promise<PartRecord | null> {
    return this.write((): PartRecord | null => {
      const upload = this.stmts.getUpload.get(p.uploadId);
      if (!upload) throw new AppError('NoSuchUpload', undefined, { UploadId: p.uploadId });
      return this.withinCapacity(upload.bucket, opts.capacity, () => {
        const old = this.stmts.getPart.get(p.uploadId, p.partNumber);
        this.stmts.upsertPart.run(p.uploadId, p.partNumber, p.size, p.etag, p.crc64, p.blobId, p.lastModified);
        return old ? toPart(old) : null;
      });
    });
  }

  async listParts(uploadId: string, q: { after: number; limit: number }): Promise<PartRecord[]> {
    return this.stmts.listParts.all(uploadId, q.after, q.limit).map(toPart);
  }

  async listUploads(bucket: string, q: ListUploadsQuery): Promise<UploadRecord[]> {
    const { where, params } = rangeWhere(q.prefix, undefined, q.skipPrefix);
    let marker = '';
    const markerParams: unknown[] = [];
    if (q.keyMarker !== undefined && q.keyMarker !== '') {
      if (q.uploadIdMarker) {
        marker = ' AND (key > ? OR (key = ? AND upload_id > ?))';
        markerParams.push(q.keyMarker, q.keyMarker, q.uploadIdMarker);
      } else {
        marker = ' AND key > ?';
        markerParams.push(q.keyMarker);
      }
    }
    const sql = `SELECT * FROM uploads WHERE bucket = ?${where}${marker} ORDER BY key, upload_id LIMIT ?`;
    return this.db.prepare<unknown[], UploadRow>(sql).all(bucket, ...params, ...markerParams, q.limit).map(toUpload);
  }

  async abortUpload(uploadId: string, sameBucket?: BucketIncarnation): Promise<PartRecord[] | null> {
    return this.write((): PartRecord[] | null => {
      const urow = this.stmts.getUpload.get(uploadId);
      if (!urow) return null;
      // Another bucket of the name than the one the caller listed the upload in: not this caller's to abort.
      if (sameBucket !== undefined && !this.isIncarnation(toUpload(urow).bucket, sameBucket)) return null;
      const parts = this.stmts.allParts.all(uploadId).map(toPart);
      this.stmts.deleteParts.run(uploadId);
      this.stmts.deleteUpload.run(uploadId);
      return parts;
    }, true);
  }

  async completeUpload(uploadId: string, decide: CompleteDecider, opts: Pick<ObjectWriteOptions, 'guardRemoved'> = {}): Promise<CompleteResult> {
    return this.write((): CompleteResult => {
      const urow = this.stmts.getUpload.get(uploadId);
      if (!urow) throw new AppError('NoSuchUpload', undefined, { UploadId: uploadId });
      const upload = toUpload(urow);
      const parts = this.stmts.allParts.all(uploadId).map(toPart);
      const state = this.writeState(upload.bucket) ?? { status: null, rule: null };
      const res = this.decideWrite(upload.bucket, upload.key, state, (current, versioning) => decide(upload, parts, current, versioning), opts);
      const used = new Set(res.record.segments.map((s) => s.blobId));
      this.stmts.deleteParts.run(uploadId);
      this.stmts.deleteUpload.run(uploadId);
      return { ...res, unusedParts: parts.filter((p) => !used.has(p.blobId)) };
    });
  }
}
