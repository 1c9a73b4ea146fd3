import type pg from 'pg';
import type { ObjectRecord } from '../../../domain/model.js';
import { AppError } from '../../../errors.js';
import type { BucketIncarnation, DeleteOutcome, RemovalGuard } from '../types.js';
import { deleteMarkerRecord, newVersionId, nextSeq, NULL_VERSION, unsharedSegments, versioningOf } from '../versions.js';
import { sendNow } from './base.js';
import { PgObjectStore } from './objects.js';
import {
  findVersionStatement, keptState, keyBytes, keySegmentsStatement, lockKeyStatement, OBJECT_COLUMNS, objectValues, promotion, segmentsOf, SQL, toObject,
  type KeptRow, type ObjectRow, type SegmentsRow, type VersionHead, type VersionRow,
} from './statements.js';

/**
 * Removals: DeleteObject without a version id (unversioned, one statement; versioned, a delete marker), with one (the
 * version's row gone, the next newest made current), each decided on rows read behind the key's lock and sent with the
 * COMMIT, and lifecycle's conditional batch deletes. A layer of the PostgreSQL MetadataStore (store.ts), above
 * objects.ts, whose supersede and unshared it shares.
 */
export abstract class PgRemovalStore extends PgObjectStore {
  async deleteObject(bucket: string, key: string, guard?: RemovalGuard): Promise<ObjectRecord | null> {
    return (await this.removeObject(bucket, key, Date.now(), undefined, guard)).removed;
  }

  // A guard sees rows locked inside the transaction (a racing overwrite cannot be deleted unchecked); when it
  // throws, the transaction rolls back.
  async removeObject(bucket: string, key: string, now: number, versionId?: string, guard?: RemovalGuard, sameBucket?: BucketIncarnation): Promise<DeleteOutcome> {
    const k = keyBytes(key);
    // Whether the key's lock will be taken whatever the versioning read says: a version is named, or the bucket was
    // just seen versioned (a versioning configuration is never removed, only its bucket).
    let keyed = versionId !== undefined;
    if (versionId === undefined && guard === undefined && sameBucket === undefined) {
      // Unversioned buckets: one statement, as before versioning existed.
      const { rows } = await this.pool.query<ObjectRow & { bucket_found: boolean; versioned: boolean }>({ name: 'delete-unversioned', text: SQL.deleteUnversioned, values: [bucket, k] });
      const row = rows[0]!;
      if (!row.bucket_found) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
      // Without versioning a missing key is answered here too (before, a transaction of four round trips found it gone).
      if (!row.versioned) return { removed: row.key === null ? null : toObject(row), versionId: null, deleteMarker: false };
      keyed = true;
    }
    return this.tx(async (c): Promise<DeleteOutcome> => {
      // One round trip: the bucket the caller judged, share-locked until the commit (NoSuchBucket if it is another
      // now), its versioning, the key's lock and, behind it, the key's current row and newest version entries (with a
      // version named, the two newest and that version's row). Versioning not yet known (a guarded or bucket-bound
      // delete), the row is read FOR UPDATE, which an unversioned delete needs and a versioned one, holding the key's
      // lock first as every versioned writer does, takes in the same order. (Should the bucket have lost its
      // versioning meanwhile, a deletion and a recreation, the key's lock is held in vain until the commit.)
      const reads: pg.QueryConfig[] = [
        { name: 'bucket-versioning', text: SQL.bucketVersioning, values: [bucket] },
        lockKeyStatement(bucket, k),
        keyed ? { name: 'get-object', text: SQL.getObject, values: [bucket, k] } : { name: 'lock-object', text: SQL.lockObject, values: [bucket, k] },
        { name: 'version-heads', text: SQL.versionHeads, values: [bucket, k] },
      ];
      if (sameBucket !== undefined) reads.unshift({ name: 'keep-bucket', text: SQL.keepBucket, values: [bucket] });
      const named = versionId === undefined ? undefined : findVersionStatement(bucket, k, versionId);
      if (named) reads.push(named);
      const results = await this.pipelined(c, reads);
      if (sameBucket !== undefined) keptState(results.shift()!.rows[0] as KeptRow | undefined, bucket, sameBucket);
      const [versioning, , cur, heads, namedRow] = results;
      const found = versioning!.rows[0] as { document: string | null } | undefined;
      if (found === undefined) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
      const status = versioningOf(found.document);
      const current = cur!.rows[0] ? toObject(cur!.rows[0] as ObjectRow) : null;
      const newest = heads!.rows as VersionHead[];
      const del: pg.QueryConfig = { name: 'delete-object', text: SQL.deleteObject, values: [bucket, k] };
      if (versionId === undefined && status === null) {
        // Unversioned: the row read FOR UPDATE above is the one deleted, its removal sent with the COMMIT.
        if (!current) return { removed: null, versionId: null, deleteMarker: false };
        guard?.(current);
        await this.writeAndCommit(c, del);
        return { removed: current, versionId: null, deleteMarker: false };
      }
      if (versionId === undefined) {
        // Enabled, nothing leaves the store and nothing written is read back: the writes go with the COMMIT.
        // Suspended, the null version they delete is judged by the guard before the COMMIT (read back when the
        // writes delete it).
        const sent: Promise<unknown>[] = [];
        const { replaced: replacing, newest: top } = this.supersede(c, bucket, k, status!, current, now, newest[0] ?? null, sent);
        const seq = nextSeq(top, now);
        const id = status === 'Enabled' ? newVersionId(seq) : NULL_VERSION;
        const marker = deleteMarkerRecord(bucket, key, now, id);
        const writes: pg.QueryConfig[] = [{ name: 'insert-marker', text: SQL.insertMarker, values: [bucket, k, seq, id, ...objectValues(marker).slice(0, 15)] }];
        if (current) writes.unshift(del);
        if (!(replacing instanceof Promise)) {
          if (replacing) guard?.(replacing);
          // Nothing to read back: the writes go with the COMMIT.
          if (replacing === null || replacing.segments.length === 0) {
            await this.writeAndCommit(c, writes[0]!, sent, writes.slice(1));
            return { removed: replacing, versionId: id, deleteMarker: true };
          }
        }
        for (const q of writes) sent.push(sendNow(c, q));
        const replaced = await this.afterWrites(sent, replacing);
        if (replaced && replacing instanceof Promise) guard?.(replaced);
        return { removed: replaced && (await this.unsharedEnding(c, replaced, true)), versionId: id, deleteMarker: true };
      }
      // A version named: decided on the rows read above (the key's lock held), then its removal, the promotion of the
      // next newest version and the read of the key's remaining segments sent with the COMMIT.
      if (current && (current.versionId ?? NULL_VERSION) === versionId) {
        guard?.(current);
        const removed = await this.removeAndCommit(c, [del, ...promotion(bucket, k, newest[0])], current);
        return { removed, versionId, deleteMarker: false };
      }
      const row = namedRow?.rows[0] as VersionRow | undefined;
      if (!row || row.version_id !== versionId) return { removed: null, versionId, deleteMarker: false, missingVersion: true };
      if (!row.delete_marker) guard?.(toObject(row));
      const writes: pg.QueryConfig[] = [{ name: 'delete-version', text: SQL.deleteVersion, values: [bucket, k, row.seq] }];
      // The latest entry (a current delete marker) gone, the next newest becomes current.
      if (row.noncurrent_since === null) writes.push(...promotion(bucket, k, newest.find((h) => h.seq !== row.seq)));
      const removed = await this.removeAndCommit(c, writes, row.delete_marker ? null : toObject(row));
      return { removed, versionId, deleteMarker: Boolean(row.delete_marker) };
    });
  }

  /**
   * Sends a removal's writes, then (when `removed` has segments) the read of the key's remaining segments, then the
   * COMMIT: one round trip. Returns `removed` with only the segments nothing left references.
   */
  private async removeAndCommit(c: pg.PoolClient, writes: readonly pg.QueryConfig[], removed: ObjectRecord | null): Promise<ObjectRecord | null> {
    if (removed === null || removed.segments.length === 0) {
      await this.writeAndCommit(c, writes[0]!, [], writes.slice(1));
      return removed;
    }
    const sent = writes.map((w) => sendNow(c, w));
    const { rows } = await this.writeAndCommit<SegmentsRow>(c, keySegmentsStatement(removed), sent);
    return unsharedSegments(removed, rows.map(segmentsOf));
  }

  /**
   * The rows are locked FOR UPDATE while deciding, so a racing write is either seen by `decide` or waits.
   * Deletes nothing on a bucket that has versioning (use removeObject there).
   */
  async deleteObjectsIf(bucket: string, keys: readonly string[], decide: (current: ObjectRecord) => boolean, sameBucket?: BucketIncarnation): Promise<ObjectRecord[]> {
    if (keys.length === 0) return [];
    const wanted = keys.map(keyBytes);
    return this.tx(async (c) => {
      // Only unversioned buckets: a versioned one keeps what is deleted (removeObject); the status cannot
      // change before this transaction ends (keepBucket's lock). Only the bucket judged: none when it is another.
      const state = await this.keepBucket(c, bucket, sameBucket).catch((err: unknown) => {
        if (sameBucket !== undefined && err instanceof AppError && err.code === 'NoSuchBucket') return 'other' as const;
        throw err;
      });
      if (state === 'other' || state.status !== null) return [];
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
}
