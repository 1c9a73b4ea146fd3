import type pg from 'pg';
import type { ObjectRecord, ObjectSummary, PartRecord, UploadRecord, VersionRecord, VersionSummary } from '../../../domain/model.js';
import { AppError } from '../../../errors.js';
import type {
  CompleteDecider,
  CompleteResult,
  DeleteOutcome,
  ListObjectsQuery,
  ListUploadsQuery,
  ListVersionsQuery,
  MetadataStore,
  NoncurrentCursor,
  ObjectDecider,
  ObjectWriteResult,
  RemovalGuard,
  VersionUpdater,
} from '../types.js';
import type { BucketIncarnation, ObjectWriteOptions, ScanObjectsQuery } from '../types.js';
import { KEY_CHECK_DOC } from '../types.js';
import { stampDefaultRule } from '../default-retention.js';
import { deleteMarkerRecord, newVersionId, nextSeq, NULL_VERSION, seqOfVersionId, unsharedSegments, versioningOf } from '../versions.js';
import { attrsColumn, currentAsVersion, toPart, type PartRow } from '../data-rows.js';
import { PgBase, RERUN, sendNow, type PostgresStoreOptions, type Queryable } from './base.js';
import { PgBucketStore } from './buckets.js';
import {
  beforeNul, CONTENT_COLUMNS, findVersionStatement, hasNul, keptState, keyBytes, keySegmentsStatement, lockKeyStatement, OBJECT_COLUMNS,
  objectValues, promotion, segmentsOf, SQL, toObject, toUpload, toVersion,
  type KeptRow, type ObjectRow, type PgUploadRow, type SegmentsRow, type VersionHead, type VersionRow, type WriteState,
} from './statements.js';

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

/** The unique violation of an object's primary key (bucket, key): another transaction has that key now. */
function isObjectKeyTaken(err: unknown): boolean {
  const e = err as { code?: unknown; table?: unknown };
  return e.code === '23505' && e.table === 'objects';
}

type VersionTuple = [key: Buffer, size: number, etag: string, type: string, storageClass: string, lastModified: number, versionId: string | null, deleteMarker: boolean, noncurrentSince: number | null, encrypted: boolean];

function versionSummary([key, size, etag, type, storageClass, lastModified, versionId, deleteMarker, noncurrentSince, encrypted]: VersionTuple): VersionSummary & { keyBytes: Buffer } {
  return {
    key: key.toString('utf8'), keyBytes: key, size, etag, type: type as ObjectSummary['type'], storageClass: storageClass as ObjectSummary['storageClass'],
    lastModified, versionId: versionId ?? NULL_VERSION, deleteMarker, isLatest: noncurrentSince === null, noncurrentSince, encrypted,
  };
}

/** Encrypted: the attrs JSON holds an encryption entry (attrs is text; only rows that have attrs are parsed). */
const ENCRYPTED = "(attrs IS NOT NULL AND attrs::jsonb ? 'encryption')";
const VERSION_SUMMARY = `key, size, etag, type, storage_class, last_modified, version_id, delete_marker, noncurrent_since, ${ENCRYPTED}`;
/** How many columns VERSION_SUMMARY selects (the length of a VersionTuple). */
const VERSION_SUMMARY_COLUMNS: VersionTuple['length'] = 10;

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

export class PostgresMetadataStore extends PgBucketStore implements MetadataStore {
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
  private async writeCurrent(
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
  private async afterWrites(sent: readonly Promise<unknown>[], replaced: Promise<ObjectRecord | null> | ObjectRecord | null): Promise<ObjectRecord | null> {
    for (const p of sent) await p;
    return replaced;
  }

  /** unshared(); `last`: the read ends the transaction, sent with the COMMIT (writeAndCommit). */
  private async unsharedEnding(c: pg.PoolClient, removed: ObjectRecord, last: boolean, also?: ObjectRecord): Promise<ObjectRecord> {
    if (!last || removed.segments.length === 0) return this.unshared(c, removed, also);
    const { rows } = await this.writeAndCommit<SegmentsRow>(c, keySegmentsStatement(removed));
    const others = rows.map(segmentsOf);
    if (also) others.push(also.segments);
    return unsharedSegments(removed, others);
  }

  /** Share-locks the bucket's row until the transaction ends and reads its versioning status; NoSuchBucket if it is gone. */
  /** `expected`: the bucket must be that one (ObjectWriteOptions.sameBucket), else NoSuchBucket as when there is none. */
  private async keepBucket(c: Queryable, bucket: string, expected?: BucketIncarnation): Promise<WriteState> {
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

  private async currentRow(c: Queryable, bucket: string, k: Buffer): Promise<ObjectRecord | null> {
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
  private supersede(
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
  private async findVersion(c: Queryable, bucket: string, k: Buffer, versionId: string): Promise<VersionRow | undefined> {
    const q = findVersionStatement(bucket, k, versionId);
    const row = q && (await c.query<VersionRow>(q)).rows[0];
    return row && row.version_id === versionId ? row : undefined;
  }

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

  async listObjectVersions(bucket: string, q: ListVersionsQuery): Promise<VersionSummary[]> {
    const limit = q.limit;
    let sameKey: VersionSummary[] = [];
    let currentAfter: string | undefined;
    let versionsFrom: { op: '>' | '>='; key: string } | undefined;
    if (q.after !== undefined && q.after.key !== '') {
      const { key, versionId } = q.after;
      const k = keyBytes(key);
      currentAfter = key;
      versionsFrom = { op: '>', key };
      if (versionId !== undefined) {
        const current = await this.currentRow(this.pool, bucket, k);
        if (current && (current.versionId ?? NULL_VERSION) === versionId) versionsFrom = { op: '>=', key };
        else {
          const row = await this.findVersion(this.pool, bucket, k, versionId);
          if (row) {
            const res = await this.pool.query<VersionTuple>({
              text: `SELECT ${VERSION_SUMMARY} FROM object_versions WHERE bucket = $1 AND key = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`,
              values: [bucket, k, row.seq, limit],
              rowMode: 'array',
            });
            sameKey = res.rows.map((t) => {
              const { keyBytes: _, ...e } = versionSummary(t);
              return e;
            });
          }
        }
      }
    }
    const cur = keyRange([bucket], q.prefix, currentAfter, q.skipPrefix);
    cur.values.push(limit);
    const objs = await this.pool.query<VersionTuple>({
      text: `SELECT key, size, etag, type, storage_class, last_modified, version_id, false, NULL::bigint, ${ENCRYPTED} FROM objects WHERE bucket = $1${cur.where} ORDER BY key LIMIT $${cur.values.length}`,
      values: cur.values,
      rowMode: 'array',
    });
    const rest = limit - sameKey.length;
    let vers: Array<VersionSummary & { keyBytes: Buffer }> = [];
    if (rest > 0) {
      const v = keyRange([bucket], q.prefix, undefined, q.skipPrefix);
      if (versionsFrom) {
        v.values.push(keyBytes(versionsFrom.key));
        v.where += ` AND key ${versionsFrom.op} $${v.values.length}`;
      }
      v.values.push(rest);
      const res = await this.pool.query<VersionTuple>({
        text: `SELECT ${VERSION_SUMMARY} FROM object_versions WHERE bucket = $1${v.where} ORDER BY key, seq DESC LIMIT $${v.values.length}`,
        values: v.values,
        rowMode: 'array',
      });
      vers = res.rows.map(versionSummary);
    }
    const current = objs.rows.map(versionSummary);
    const out: VersionSummary[] = [...sameKey];
    let i = 0;
    let j = 0;
    while (out.length < limit && (i < current.length || j < vers.length)) {
      const pick = j >= vers.length || (i < current.length && Buffer.compare(current[i]!.keyBytes, vers[j]!.keyBytes) <= 0) ? current[i++]! : vers[j++]!;
      const { keyBytes: _, ...entry } = pick;
      out.push(entry);
    }
    return out;
  }

  async listNoncurrentVersions(bucket: string, q: { before: number; prefix?: string; after?: NoncurrentCursor; limit: number }): Promise<VersionSummary[]> {
    const r = keyRange([bucket, q.before], q.prefix ?? '', undefined, undefined);
    if (q.after) {
      const k = keyBytes(q.after.key);
      const row = await this.findVersion(this.pool, bucket, k, q.after.versionId);
      r.values.push(q.after.noncurrentSince, k, row?.seq ?? Number.MAX_SAFE_INTEGER);
      const n = r.values.length;
      r.where += ` AND (noncurrent_since, key, seq) > ($${n - 2}, $${n - 1}, $${n})`;
    }
    r.values.push(q.limit);
    const res = await this.pool.query<VersionTuple>({
      text: `SELECT ${VERSION_SUMMARY} FROM object_versions WHERE bucket = $1 AND noncurrent_since < $2${r.where} ORDER BY noncurrent_since, key, seq LIMIT $${r.values.length}`,
      values: r.values,
      rowMode: 'array',
    });
    return res.rows.map(versionSummary).map(({ keyBytes: _, ...e }) => e);
  }

  async listCurrentDeleteMarkers(bucket: string, q: { prefix?: string; after?: string; limit: number }): Promise<Array<VersionSummary & { onlyVersion: boolean }>> {
    const r = keyRange([bucket], q.prefix ?? '', q.after, undefined);
    r.values.push(q.limit);
    const res = await this.pool.query<[...VersionTuple, boolean]>({
      text: `SELECT ${VERSION_SUMMARY}, NOT EXISTS (SELECT 1 FROM object_versions o WHERE o.bucket = v.bucket AND o.key = v.key AND o.seq < v.seq)
        FROM object_versions v WHERE bucket = $1 AND noncurrent_since IS NULL${r.where} ORDER BY key LIMIT $${r.values.length}`,
      values: r.values,
      rowMode: 'array',
    });
    // The last column is onlyVersion: cut at the summary's own length (a column added to VERSION_SUMMARY once
    // shifted a fixed index onto it, and lone markers were never removed).
    const n = VERSION_SUMMARY_COLUMNS;
    return res.rows.map((t) => {
      const { keyBytes: _, ...e } = versionSummary(t.slice(0, n) as VersionTuple);
      return { ...e, onlyVersion: t[n] as boolean };
    });
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

  // Metadata query (docs/meta-query.md): full current records in key order, without inline bytes.
  async scanObjects(bucket: string, q: ScanObjectsQuery): Promise<ObjectRecord[]> {
    const { where, values } = keyRange([bucket], q.prefix, q.after, undefined);
    values.push(q.limit);
    const text = `SELECT ${OBJECT_COLUMNS.replace('inline_data', 'NULL::bytea AS inline_data')} FROM objects WHERE bucket = $1${where} ORDER BY key LIMIT $${values.length}`;
    const { rows } = await this.pool.query<ObjectRow>({ text, values });
    return rows.map(toObject);
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
