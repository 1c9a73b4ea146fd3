import { AppError } from '../../../errors.js';
import type { ObjectRecord, VersioningStatus } from '../../../domain/model.js';
import type { BucketIncarnation, DeleteOutcome, RemovalGuard } from '../types.js';
import { isIncarnation } from '../types.js';
import { toObject, type BucketRow } from '../data-rows.js';
import { deleteMarkerRecord, newVersionId, nextSeq, NULL_VERSION, VERSIONING_CONFIG, versioningOf } from '../versions.js';
import { SqliteObjectStore } from './objects.js';
import { objectParams, removedRowOf } from './statements.js';

/** The versioning status in a bucket row's aggregated configurations. */
function statusOf(row: BucketRow): VersioningStatus {
  if (row.configs === null || row.configs === '{}') return null;
  return versioningOf((JSON.parse(row.configs) as Record<string, string>)[VERSIONING_CONFIG]);
}

/**
 * Removals: DeleteObject without a version id (unversioned, one read and the row's delete; versioned, a delete marker),
 * with one (the version's row gone, the next newest made current), and lifecycle's conditional batch deletes. A layer
 * of the SQLite MetadataStore (store.ts), above objects.ts, whose supersede and unshared it shares.
 */
export abstract class SqliteRemovalStore extends SqliteObjectStore {
  /** After the latest entry of a key went: the next newest version becomes current (inside a transaction). */
  private promote(bucket: string, key: string): void {
    const top = this.stmts.newestVersion.get(bucket, key);
    if (!top) return;
    if (top.delete_marker) {
      this.stmts.setNoncurrent.run(null, bucket, key, top.seq);
      return;
    }
    const record = toObject(top, null);
    this.stmts.upsertObject.run(...objectParams(record, top.inline_id));
    this.stmts.deleteVersion.run(bucket, key, top.seq);
  }

  async deleteObject(bucket: string, key: string, guard?: RemovalGuard): Promise<ObjectRecord | null> {
    return (await this.removeObject(bucket, key, Date.now(), undefined, guard)).removed;
  }

  // A guard that throws aborts this write's savepoint: nothing it changed stays. Not `async`: the write's own promise is
  // returned, without an async function's second promise resolved with it (two more microtask turns per DELETE).
  removeObject(bucket: string, key: string, now: number, versionId?: string, guard?: RemovalGuard, sameBucket?: BucketIncarnation): Promise<DeleteOutcome> {
    return this.write((): DeleteOutcome => {
      // The bucket deleted since the caller judged it (DeleteBucket between authorization and this write), or another
      // bucket of the name (deleted and created again since): NoSuchBucket, as PostgreSQL answers, not a 204 for a key
      // in no bucket.
      const state = versionId === undefined ? this.stmts.removalState.get(key, bucket) : undefined;
      const status = versionId !== undefined
        ? this.writeState(bucket, sameBucket)?.status
        : state !== undefined && isIncarnation({ ownerAccountId: state[1], createdAt: state[2] }, sameBucket) ? versioningOf(state[0]) : undefined;
      if (status === undefined) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
      if (state !== undefined && status === null) {
        const text = state[3];
        if (text === null) return { removed: null, versionId: null, deleteMarker: false };
        this.stmts.deleteObject.run(bucket, key);
        const { record: removed, inlineId } = removedRowOf(text);
        // A guard that refuses throws: this write's savepoint undoes the delete.
        guard?.(removed);
        if (inlineId !== null) this.stmts.deleteInline.run(inlineId);
        return { removed, versionId: null, deleteMarker: false };
      }
      const current = this.readObject(bucket, key);
      if (versionId === undefined) {
        const { replaced, previous, newest } = this.supersede(bucket, key, status!, current, now);
        if (replaced) guard?.(replaced);
        if (previous?.inline_id != null) this.stmts.deleteInline.run(previous.inline_id);
        if (current) this.stmts.deleteObject.run(bucket, key);
        const seq = nextSeq(newest, now);
        const id = status === 'Enabled' ? newVersionId(seq) : NULL_VERSION;
        this.insertVersion(deleteMarkerRecord(bucket, key, now, id), null, seq, true, null);
        return { removed: replaced && this.unshared(replaced), versionId: id, deleteMarker: true };
      }
      if (current && (current.record.versionId ?? NULL_VERSION) === versionId) {
        guard?.(current.record);
        if (current.row.inline_id !== null) this.stmts.deleteInline.run(current.row.inline_id);
        this.stmts.deleteObject.run(bucket, key);
        this.promote(bucket, key);
        return { removed: this.unshared(current.record), versionId, deleteMarker: false };
      }
      const row = this.findVersion(bucket, key, versionId);
      if (!row) return { removed: null, versionId, deleteMarker: false, missingVersion: true };
      if (!row.delete_marker) guard?.(toObject(row, null));
      this.dropVersionRow(row);
      if (row.noncurrent_since === null) this.promote(bucket, key);
      return { removed: row.delete_marker ? null : this.unshared(toObject(row, null)), versionId, deleteMarker: Boolean(row.delete_marker) };
      // Rerunnable: database reads and writes, and the guard's check (the lifecycle's records why it refused, the
      // same on a second run).
    }, true, true);
  }

  async deleteObjectsIf(bucket: string, keys: readonly string[], decide: (current: ObjectRecord) => boolean, sameBucket?: BucketIncarnation): Promise<ObjectRecord[]> {
    // One write (one savepoint) for the whole batch; the inline bytes are not read, only their row deleted.
    return this.write((): ObjectRecord[] => {
      const removed: ObjectRecord[] = [];
      // Only unversioned buckets: a versioned one keeps what is deleted (removeObject). Only the bucket judged.
      const brow = this.stmts.getBucket.get(bucket);
      if (!brow || statusOf(brow) !== null || !this.isIncarnation(bucket, sameBucket)) return removed;
      for (const key of keys) {
        const row = this.stmts.getObject.get(bucket, key);
        if (!row) continue;
        const record = toObject(row, null);
        if (!decide(record)) continue;
        if (row.inline_id !== null) this.stmts.deleteInline.run(row.inline_id);
        this.stmts.deleteObject.run(bucket, key);
        removed.push(record);
      }
      return removed;
    }, true);
  }
}
