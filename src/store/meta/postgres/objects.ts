import type pg from 'pg';
import type { ObjectRecord, VersionRecord } from '../../../domain/model.js';
import type { BucketIncarnation, ObjectDecider, ObjectWriteOptions, ObjectWriteResult, VersionUpdater } from '../types.js';
import { attrsColumn, currentAsVersion } from '../data-rows.js';
import { stampDefaultRule } from '../default-retention.js';
import { newVersionId, nextSeq, NULL_VERSION, seqOfVersionId, unsharedSegments, versioningOf } from '../versions.js';
import { RERUN, sendNow, type Queryable } from './base.js';
import { PgBucketStore } from './buckets.js';
import {
  CONTENT_COLUMNS, findVersionStatement, keptState, keyBytes, keySegmentsStatement, lockKeyStatement, objectValues, segmentsOf,
  SQL, toObject, toVersion, type KeptRow, type ObjectRow, type SegmentsRow, type VersionHead, type VersionRow, type WriteState,
} from './statements.js';

/** The unique violation of an object's primary key (bucket, key): another transaction has that key now. */
function isObjectKeyTaken(err: unknown): boolean {
  const e = err as { code?: unknown; table?: unknown };
  return e.code === '23505' && e.table === 'objects';
}

/**
 * Objects and their versions: a key's current record in `objects`, its noncurrent versions and delete markers in
 * `object_versions`; reads and conditional writes following the bucket's versioning status, each decided in one
 * transaction under the row lock (unversioned) or the key's advisory lock (versioned), its last writes sent with the
 * COMMIT, and what a write and a removal (removals.ts) both do to a key's versions. A layer of the PostgreSQL
 * MetadataStore (store.ts), above buckets.ts.
 */
export abstract class PgObjectStore extends PgBucketStore {
  async getObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    const { rows } = await this.pool.query<ObjectRow>({ name: 'get-object', text: SQL.getObject, values: [bucket, keyBytes(key)] });
    return rows[0] ? toObject(rows[0]) : null;
  }

  /**
   * Decides and writes one object inside the caller's transaction. The current row is read FOR UPDATE;
   * when there is none, the insert may still meet a row a concurrent transaction just committed
   * (ON CONFLICT DO NOTHING inserts nothing): then read it, locked, and decide again.
   */
  private async decideObject(
    c: pg.PoolClient, bucket: string, key: Buffer, decide: (current: ObjectRecord | null) => ObjectRecord, locked?: ObjectRecord | null, last?: readonly pg.QueryConfig[],
  ): Promise<ObjectWriteResult> {
    // `locked`: the row as the caller already read it FOR UPDATE (null: none), saving the first read. `last`: the
    // write ends the transaction, sent with the statements given to follow it and the COMMIT (writeAndCommit).
    for (let first = locked; ; first = undefined) {
      const current = first !== undefined ? first : await this.lockedRow(c, bucket, key);
      const record = decide(current);
      const values = [bucket, key, ...objectValues(record)];
      if (current) {
        const update = { name: 'update-object', text: SQL.updateObject, values };
        await (last ? this.writeAndCommit(c, update, [], last) : c.query(update));
        return { record, replaced: current };
      }
      if (last) {
        // A row committed meanwhile by another transaction fails the insert and rolls back what was sent with it:
        // decide again in a new transaction, against the row that won.
        await this.writeAndCommit(c, { name: 'insert-object', text: SQL.insertNewObject, values }, [], last).catch((err: unknown) => {
          throw isObjectKeyTaken(err) ? RERUN : err;
        });
        return { record, replaced: null };
      }
      const ins = await c.query({ name: 'insert-object-if-new', text: SQL.insertObject, values });
      if (ins.rowCount === 1) return { record, replaced: null };
    }
  }

  /**
   * Writes an object into a bucket that exists until the commit: the bucket row is share-locked first, so
   * a racing DeleteBucket (FOR UPDATE, then the emptiness check) either sees this object or has removed the
   * bucket before this write looks, which then fails NoSuchBucket.
   */
  async putObject(bucket: string, key: string, decide: ObjectDecider, opts: ObjectWriteOptions = {}): Promise<ObjectWriteResult> {
    const k = keyBytes(key);
    return this.tx(async (c) => {
      if (opts.capacity === undefined) {
        // The bucket kept and (unversioned) the object row locked in one statement, in the order keepBucket then
        // decideObject take them. With a capacity the capacity lock comes between the two, so they stay apart.
        const { rows } = await c.query<KeptRow & ObjectRow>({ name: 'keep-bucket-lock-object', text: SQL.keepBucketLockObject, values: [bucket, k] });
        const state = keptState(rows[0], bucket, opts.sameBucket);
        const locked = rows[0]!.versioning === null ? (rows[0]!.key === null ? null : toObject(rows[0]!)) : undefined;
        // Unversioned, the object's write is the transaction's last statement: it goes with the COMMIT.
        return this.writeCurrent(c, bucket, k, state, decide, opts, locked, []);
      }
      const state = await this.keepBucket(c, bucket, opts.sameBucket);
      return this.withinCapacity(c, bucket, opts.capacity, () => this.writeCurrent(c, bucket, k, state, decide, opts));
    });
  }

  /**
   * Decides and writes the current object inside the caller's transaction, following the versioning status.
   * `locked`: the unversioned object row as already read FOR UPDATE (null: none). `last`: the write ends the
   * transaction, followed only by these statements (whose results are not read) and the COMMIT.
   */
  protected async writeCurrent(
    c: pg.PoolClient, bucket: string, k: Buffer, { status, rule }: WriteState, decide: ObjectDecider, opts: ObjectWriteOptions = {}, locked?: ObjectRecord | null,
    last?: readonly pg.QueryConfig[],
  ): Promise<ObjectWriteResult> {
    if (status === null) {
      return this.decideObject(c, bucket, k, (cur) => {
        const record = stampDefaultRule(decide(cur, null), rule);
        // After the decider, as in SQLite: its own refusals (FileAlreadyExists) come first.
        if (cur && opts.guardRemoved) opts.guardRemoved(cur);
        return record;
      }, locked, last);
    }
    // The key's lock, then its current object and newest version entry, read behind it: one round trip.
    const [, cur, head] = await this.pipelined(c, [
      lockKeyStatement(bucket, k),
      { name: 'get-object', text: SQL.getObject, values: [bucket, k] },
      { name: 'version-head', text: SQL.versionHead, values: [bucket, k] },
    ]);
    const current = cur!.rows[0] ? toObject(cur!.rows[0] as ObjectRow) : null;
    const record = stampDefaultRule(decide(current, status), rule);
    // The null version is written as a Suspended bucket writes it.
    const mode = opts.nullVersion === true ? 'Suspended' : status;
    // The writes are sent without waiting for one another. Enabled, nothing leaves the store and nothing written is
    // read back: when the write ends the transaction, they go with the COMMIT. Suspended, the null version they delete
    // is read back (and judged by the guard) once all are done, before the COMMIT.
    const sent: Promise<unknown>[] = [];
    const { replaced: replacing, newest } = this.supersede(c, bucket, k, mode, current, record.lastModified, (head!.rows[0] ?? null) as VersionHead | null, sent);
    const written: ObjectRecord = { ...record };
    delete written.versionId;
    if (mode === 'Enabled') written.versionId = newVersionId(nextSeq(newest, record.lastModified));
    const upsert = { name: 'upsert-object', text: SQL.upsertObject, values: [bucket, k, ...objectValues(written)] };
    // Thrown inside the transaction, before the COMMIT: the dropped version comes back.
    const judge = (r: ObjectRecord | null): void => {
      if (r && opts.guardRemoved) opts.guardRemoved(r);
    };
    if (!(replacing instanceof Promise)) {
      judge(replacing);
      // Nothing to read back: the writes go with the COMMIT.
      if (last !== undefined && (replacing === null || replacing.segments.length === 0)) {
        await this.writeAndCommit(c, upsert, sent, last);
        return { record: written, replaced: replacing };
      }
    }
    for (const q of [upsert, ...(last ?? [])]) sent.push(sendNow(c, q));
    const replaced = await this.afterWrites(sent, replacing);
    if (replacing instanceof Promise) judge(replaced);
    return { record: written, replaced: replaced && (await this.unsharedEnding(c, replaced, last !== undefined, written)) };
  }

  /** Waits for writes sent together (the first to fail is the error), then for what they removed. */
  protected async afterWrites(sent: readonly Promise<unknown>[], replaced: Promise<ObjectRecord | null> | ObjectRecord | null): Promise<ObjectRecord | null> {
    for (const p of sent) await p;
    return replaced;
  }

  /** unshared(); `last`: the read ends the transaction, sent with the COMMIT (writeAndCommit). */
  protected async unsharedEnding(c: pg.PoolClient, removed: ObjectRecord, last: boolean, also?: ObjectRecord): Promise<ObjectRecord> {
    if (!last || removed.segments.length === 0) return this.unshared(c, removed, also);
    const { rows } = await this.writeAndCommit<SegmentsRow>(c, keySegmentsStatement(removed));
    const others = rows.map(segmentsOf);
    if (also) others.push(also.segments);
    return unsharedSegments(removed, others);
  }

  /** Share-locks the bucket's row until the transaction ends and reads its versioning status; NoSuchBucket if it is gone. */
  /** `expected`: the bucket must be that one (ObjectWriteOptions.sameBucket), else NoSuchBucket as when there is none. */
  protected async keepBucket(c: Queryable, bucket: string, expected?: BucketIncarnation): Promise<WriteState> {
    const { rows } = await c.query<KeptRow>({ name: 'keep-bucket', text: SQL.keepBucket, values: [bucket] });
    return keptState(rows[0], bucket, expected);
  }

  /** The object row, read FOR UPDATE (null: none). */
  private async lockedRow(c: Queryable, bucket: string, k: Buffer): Promise<ObjectRecord | null> {
    const { rows } = await c.query<ObjectRow>({ name: 'lock-object', text: SQL.lockObject, values: [bucket, k] });
    return rows[0] ? toObject(rows[0]) : null;
  }

  /** Serializes versioned writes of one key across processes until the transaction ends. */
  private async lockKey(c: Queryable, bucket: string, k: Buffer): Promise<void> {
    await c.query(lockKeyStatement(bucket, k));
  }

  protected async currentRow(c: Queryable, bucket: string, k: Buffer): Promise<ObjectRecord | null> {
    const { rows } = await c.query<ObjectRow>({ name: 'get-object', text: SQL.getObject, values: [bucket, k] });
    return rows[0] ? toObject(rows[0]) : null;
  }

  /**
   * Makes room for a new latest entry of a versioned key (key lock held): the current object becomes a
   * noncurrent version (or, suspended, the null version it is is replaced), a current delete marker becomes
   * noncurrent, and when suspended any noncurrent null version goes. The writes are sent without waiting (sendNow)
   * and their promises pushed to `sent`, for the caller to wait for (or send with its COMMIT: writeAndCommit).
   * Returns the record that leaves the store (the current one stays in `objects` for the caller to overwrite or
   * delete), a promise when it is the null version a write in `sent` deletes, and the newest seq. `top`: the newest
   * version entry as read (null: none).
   */
  protected supersede(
    c: pg.PoolClient, bucket: string, k: Buffer, status: 'Enabled' | 'Suspended', current: ObjectRecord | null, now: number,
    top: VersionHead | null, sent: Promise<unknown>[],
  ): { replaced: Promise<ObjectRecord | null> | ObjectRecord | null; newest: number | null } {
    const suspended = status === 'Suspended';
    const write = (q: pg.QueryConfig): void => {
      sent.push(sendNow(c, q));
    };
    let newest = top?.seq ?? null;
    if (top && top.noncurrent_since === null) {
      if (suspended && top.version_id === NULL_VERSION) write({ name: 'delete-version', text: SQL.deleteVersion, values: [bucket, k, top.seq] });
      else write({ name: 'set-noncurrent', text: SQL.setNoncurrent, values: [bucket, k, top.seq, now] });
    }
    if (current) {
      if (suspended && current.versionId === undefined) return { replaced: current, newest };
      const seq = current.versionId !== undefined ? seqOfVersionId(current.versionId)! : nextSeq(newest, current.lastModified);
      write({ name: 'move-current', text: SQL.moveCurrent, values: [bucket, k, seq, now] });
      newest = Math.max(newest ?? seq, seq);
    }
    if (!suspended) return { replaced: null, newest };
    const gone = sendNow<VersionRow>(c, {
      name: 'delete-null-version',
      text: `DELETE FROM object_versions WHERE bucket = $1 AND key = $2 AND version_id = 'null' RETURNING bucket, key, seq, version_id, delete_marker, noncurrent_since, ${CONTENT_COLUMNS}`,
      values: [bucket, k],
    });
    sent.push(gone);
    const replaced = gone.then(({ rows }) => (rows[0] && !rows[0].delete_marker ? toObject(rows[0]) : null));
    replaced.catch(() => undefined); // its failure is `gone`'s, reported through `sent`
    return { replaced, newest };
  }

  /** `removed` with only the segments no remaining version of its key (nor `also`) references. */
  private async unshared(c: Queryable, removed: ObjectRecord, also?: ObjectRecord): Promise<ObjectRecord> {
    if (removed.segments.length === 0) return removed;
    const { rows } = await c.query<SegmentsRow>(keySegmentsStatement(removed));
    const others = rows.map(segmentsOf);
    if (also) others.push(also.segments);
    return unsharedSegments(removed, others);
  }

  /** A version row by id ('null' for the null version), or undefined. */
  protected async findVersion(c: Queryable, bucket: string, k: Buffer, versionId: string): Promise<VersionRow | undefined> {
    const q = findVersionStatement(bucket, k, versionId);
    const row = q && (await c.query<VersionRow>(q)).rows[0];
    return row && row.version_id === versionId ? row : undefined;
  }

  async getObjectVersion(bucket: string, key: string, versionId?: string): Promise<VersionRecord | null> {
    const k = keyBytes(key);
    const current = await this.currentRow(this.pool, bucket, k);
    if (current && (versionId === undefined || (current.versionId ?? NULL_VERSION) === versionId)) return currentAsVersion(current);
    if (versionId === undefined) {
      const { rows } = await this.pool.query<VersionRow>({
        name: 'newest-version',
        text: `SELECT bucket, key, seq, version_id, delete_marker, noncurrent_since, ${CONTENT_COLUMNS} FROM object_versions WHERE bucket = $1 AND key = $2 ORDER BY seq DESC LIMIT 1`,
        values: [bucket, k],
      });
      return rows[0] && rows[0].noncurrent_since === null ? toVersion(rows[0]) : null;
    }
    const row = await this.findVersion(this.pool, bucket, k, versionId);
    return row ? toVersion(row) : null;
  }

  async updateObjectVersion(bucket: string, key: string, versionId: string | undefined, update: VersionUpdater, opts: Pick<ObjectWriteOptions, 'capacity' | 'sameBucket'> = {}): Promise<ObjectRecord | null> {
    const k = keyBytes(key);
    return this.tx(async (c) => {
      // The bucket the write was authorized on, share-locked until the commit (NoSuchBucket if it is another now);
      // first, as putObject takes it, so the locks come in the same order.
      if (opts.sameBucket !== undefined) await this.keepBucket(c, bucket, opts.sameBucket);
      return this.withinCapacity(c, bucket, opts.capacity, async () => {
        const doc = (await c.query<{ document: string }>({ name: 'versioning-of', text: SQL.versioningOf, values: [bucket] })).rows[0];
        if (versioningOf(doc?.document) !== null) await this.lockKey(c, bucket, k);
        const { rows } = await c.query<ObjectRow>({ name: 'lock-object', text: SQL.lockObject, values: [bucket, k] });
        const current = rows[0] ? toObject(rows[0]) : null;
        if (current && (versionId === undefined || (current.versionId ?? NULL_VERSION) === versionId)) {
          const record = { ...update(current), bucket, key };
          if (current.versionId === undefined) delete record.versionId;
          else record.versionId = current.versionId;
          await c.query({ name: 'update-object', text: SQL.updateObject, values: [bucket, k, ...objectValues(record)] });
          return record;
        }
        if (versionId === undefined) return null;
        const row = await this.findVersion(c, bucket, k, versionId);
        if (!row || row.delete_marker) return null;
        const r = update(toVersion(row));
        await c.query(
          'UPDATE object_versions SET storage_class = $4, acl = $5, headers = $6, meta = $7, tags = $8, attrs = $9 WHERE bucket = $1 AND key = $2 AND seq = $3',
          [bucket, k, row.seq, r.storageClass, r.acl, JSON.stringify(r.headers), JSON.stringify(r.userMeta), JSON.stringify(r.tags), attrsColumn(r.attrs)],
        );
        return { ...r, bucket, key, versionId };
      });
    });
  }
}
