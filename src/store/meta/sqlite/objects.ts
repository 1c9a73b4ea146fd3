import { AppError } from '../../../errors.js';
import type { ObjectRecord, VersionRecord, VersioningStatus } from '../../../domain/model.js';
import type { BucketIncarnation, ObjectDecider, ObjectWriteOptions, ObjectWriteResult, VersionUpdater } from '../types.js';
import { attrsColumn, currentAsVersion, objectColumnValues, toObject, toVersion } from '../data-rows.js';
import { stampDefaultRule, type DefaultRuleText } from '../default-retention.js';
import { newVersionId, nextSeq, NULL_VERSION, seqOfVersionId, unsharedSegments, versioningOf } from '../versions.js';
import { SqliteBucketStore } from './buckets.js';
import { ObjectRecordCache } from './object-record-cache.js';
import { objectParams, objectRowOf, type InlineObjectRow, type ObjectRow, type VersionRow } from './statements.js';

/**
 * What a decoded record keeps besides its inline bytes, estimated from the row's texts (read on a cache miss only):
 * a decoded segment (an object and its blob id) takes about twice its JSON.
 */
function recordWeight(r: InlineObjectRow): number {
  return 256 + r.key.length + r.headers.length + r.meta.length + r.tags.length + 2 * r.segments.length + (r.attrs?.length ?? 0);
}

/**
 * Objects and their versions: a key's current record in `objects` (its inline bytes in `inline_data`), its noncurrent
 * versions and delete markers in `object_versions`; reads (with the records GET/HEAD read cached until the next write)
 * and conditional writes following the bucket's versioning status, and what a write and a removal (removals.ts) both
 * do to a key's versions. A layer of the SQLite MetadataStore (store.ts), above buckets.ts.
 */
export abstract class SqliteObjectStore extends SqliteBucketStore {
  /** Rows GetObject/HeadObject read, valid until the next write commits (object-record-cache.ts). */
  private readonly objectRecords = new ObjectRecordCache<ObjectRecord>();

  /** An object's row and, for a small object, its bytes. */
  protected readObject(bucket: string, key: string): { row: ObjectRow; record: ObjectRecord } | null {
    const raw = this.stmts.getObjectRaw.get(bucket, key);
    if (!raw) return null;
    const row = objectRowOf(raw);
    return { row, record: toObject(row, row.inline_data) };
  }

  /**
   * The bucket's versioning status and the default rule a version written now is stamped with
   * (store/meta/default-retention.ts), or undefined when there is no such bucket (inside a write), or when it is not
   * the one `expected` (ObjectWriteOptions.sameBucket: deleted and created again since).
   */
  protected writeState(bucket: string, expected?: BucketIncarnation): { status: VersioningStatus; rule: DefaultRuleText } | undefined {
    const v = this.stmts.bucketVersioning.get(bucket);
    if (v === undefined) return undefined;
    if (expected !== undefined && (v[1] !== expected.ownerAccountId || Number(v[2]) !== expected.createdAt)) return undefined;
    return { status: versioningOf(v[0]), rule: v[3] };
  }

  /** Writes `record` over `previous` (inside a transaction); the previous inline bytes go with it. */
  private writeObject(record: ObjectRecord, previous: ObjectRow | null): void {
    if (previous?.inline_id != null) this.stmts.deleteInline.run(previous.inline_id);
    const inlineId = record.inline === null ? null : Number(this.stmts.insertInline.run(record.inline).lastInsertRowid);
    this.stmts.upsertObject.run(...objectParams(record, inlineId));
  }

  cachedObject(bucket: string, key: string): ObjectRecord | null | undefined {
    return this.objectRecords.get(bucket, key, this.writeGeneration);
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    const cached = this.objectRecords.get(bucket, key, this.writeGeneration);
    if (cached !== undefined) return cached;
    const raw = this.stmts.getObjectRaw.get(bucket, key);
    const row = raw === undefined ? null : objectRowOf(raw);
    // better-sqlite3 hands out a fresh Buffer for the inline bytes: the record owns them.
    const record = row === null ? null : toObject(row, row.inline_data);
    this.objectRecords.set(bucket, key, record, this.writeGeneration, row === null ? 64 + key.length : recordWeight(row));
    return record;
  }

  /**
   * The bucket is checked inside the write transaction: the domain's earlier check is separated from this
   * write by the body upload, during which a DeleteBucket of the then empty bucket may have committed.
   */
  putObject(bucket: string, key: string, decide: ObjectDecider, opts: ObjectWriteOptions = {}): Promise<ObjectWriteResult> {
    return this.write((): ObjectWriteResult => {
      const state = this.writeState(bucket, opts.sameBucket);
      if (state === undefined) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
      return this.withinCapacity(bucket, opts.capacity, () => this.decideWrite(bucket, key, state, decide, opts));
      // Rerunnable (a batch of PUTs then commits without a savepoint each): database reads and writes, the decider (pure,
      // as PostgreSQL's reruns need too) and the retention guard (a check that throws). Not with a capacity guard: its
      // caller sees each check (store-conformance counts them), which a rerun would repeat.
    }, false, opts.capacity === undefined);
  }

  /** Decides and writes the current object (inside a transaction), following the versioning status. */
  protected decideWrite(
    bucket: string, key: string, { status, rule }: { status: VersioningStatus; rule: DefaultRuleText }, decide: ObjectDecider, opts: ObjectWriteOptions = {},
  ): ObjectWriteResult {
    const current = this.readObject(bucket, key);
    const record = stampDefaultRule(decide(current?.record ?? null, status), rule);
    if (status === null) {
      if (current && opts.guardRemoved) opts.guardRemoved(current.record);
      this.writeObject(record, current?.row ?? null);
      return { record, replaced: current?.record ?? null };
    }
    // The null version is written as a Suspended bucket writes it.
    const mode = opts.nullVersion === true ? 'Suspended' : status;
    const { replaced, previous, newest } = this.supersede(bucket, key, mode, current, record.lastModified);
    // Thrown inside the transaction: the dropped version comes back.
    if (replaced && opts.guardRemoved) opts.guardRemoved(replaced);
    const written: ObjectRecord = { ...record };
    delete written.versionId;
    if (mode === 'Enabled') written.versionId = newVersionId(nextSeq(newest, record.lastModified));
    this.writeObject(written, previous);
    return { record: written, replaced: replaced && this.unshared(replaced, written) };
  }

  /**
   * Makes room for a new latest entry of a versioned key (inside a transaction): the current object
   * becomes a noncurrent version (or, suspended, the null version it is goes), a current delete marker
   * becomes noncurrent, and when suspended any noncurrent null version goes. Returns the record that left
   * the store, the objects row to overwrite (null: keep its inline bytes, now the version's) and the newest seq.
   */
  protected supersede(
    bucket: string, key: string, status: 'Enabled' | 'Suspended', current: { row: ObjectRow; record: ObjectRecord } | null, now: number,
  ): { replaced: ObjectRecord | null; previous: ObjectRow | null; newest: number | null } {
    const suspended = status === 'Suspended';
    let replaced: ObjectRecord | null = null;
    let previous: ObjectRow | null = null;
    const top = this.stmts.newestVersion.get(bucket, key);
    let newest = top?.seq ?? null;
    if (top && top.noncurrent_since === null) {
      if (suspended && top.version_id === NULL_VERSION) this.dropVersionRow(top);
      else this.stmts.setNoncurrent.run(now, bucket, key, top.seq);
    }
    if (current) {
      if (suspended && current.record.versionId === undefined) {
        replaced = current.record;
        previous = current.row;
      } else {
        const id = current.record.versionId;
        const seq = id !== undefined ? seqOfVersionId(id)! : nextSeq(newest, current.record.lastModified);
        this.insertVersion(current.record, current.row.inline_id, seq, false, now);
        newest = Math.max(newest ?? seq, seq);
      }
    }
    if (suspended && replaced === null) {
      const old = this.stmts.nullVersion.get(bucket, key);
      if (old) {
        if (!old.delete_marker) replaced = toObject(old, null);
        this.dropVersionRow(old);
      }
    }
    return { replaced, previous, newest };
  }

  protected insertVersion(r: ObjectRecord, inlineId: number | null, seq: number, deleteMarker: boolean, noncurrentSince: number | null): void {
    this.stmts.insertVersion.run(
      r.bucket, r.key, ...objectColumnValues(r), inlineId, attrsColumn(r.attrs), r.versionId ?? NULL_VERSION, seq, deleteMarker ? 1 : 0, noncurrentSince,
    );
  }

  protected dropVersionRow(row: VersionRow): void {
    if (row.inline_id !== null) this.stmts.deleteInline.run(row.inline_id);
    this.stmts.deleteVersion.run(row.bucket, row.key, row.seq);
  }

  /** `removed` with only the segments no remaining version of its key (nor `also`) references. */
  protected unshared(removed: ObjectRecord, also?: ObjectRecord): ObjectRecord {
    if (removed.segments.length === 0) return removed;
    const others: Array<ObjectRecord['segments']> = [];
    if (also) others.push(also.segments);
    const cur = this.stmts.getObject.get(removed.bucket, removed.key);
    if (cur) others.push(JSON.parse(cur.segments) as ObjectRecord['segments']);
    for (const row of this.stmts.keySegments.iterate(removed.bucket, removed.key)) others.push(JSON.parse(row.segments) as ObjectRecord['segments']);
    return unsharedSegments(removed, others);
  }

  /** A version row by id ('null' for the null version), or undefined. */
  protected findVersion(bucket: string, key: string, versionId: string): VersionRow | undefined {
    if (versionId === NULL_VERSION) return this.stmts.nullVersion.get(bucket, key);
    const seq = seqOfVersionId(versionId);
    if (seq === null) return undefined;
    const row = this.stmts.versionBySeq.get(bucket, key, seq);
    return row && row.version_id === versionId ? row : undefined;
  }

  private readVersion(row: VersionRow): VersionRecord {
    const inline = row.inline_id === null ? null : (this.stmts.getInline.get(row.inline_id)?.data ?? null);
    return toVersion(row, inline);
  }

  async getObjectVersion(bucket: string, key: string, versionId?: string): Promise<VersionRecord | null> {
    const current = this.readObject(bucket, key);
    if (current && (versionId === undefined || (current.record.versionId ?? NULL_VERSION) === versionId)) return currentAsVersion(current.record);
    if (versionId === undefined) {
      const top = this.stmts.newestVersion.get(bucket, key);
      return top && top.noncurrent_since === null ? this.readVersion(top) : null;
    }
    const row = this.findVersion(bucket, key, versionId);
    return row ? this.readVersion(row) : null;
  }

  async updateObjectVersion(bucket: string, key: string, versionId: string | undefined, update: VersionUpdater, opts: Pick<ObjectWriteOptions, 'capacity' | 'sameBucket'> = {}): Promise<ObjectRecord | null> {
    return this.write((): ObjectRecord | null => {
      // Another bucket of the name (deleted and created again since the write was authorized): NoSuchBucket.
      if (!this.isIncarnation(bucket, opts.sameBucket)) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
      return this.withinCapacity(bucket, opts.capacity, () => this.updateVersionNow(bucket, key, versionId, update));
    });
  }

  private updateVersionNow(bucket: string, key: string, versionId: string | undefined, update: VersionUpdater): ObjectRecord | null {
    const current = this.readObject(bucket, key);
    if (current && (versionId === undefined || (current.record.versionId ?? NULL_VERSION) === versionId)) {
      const record = { ...update(current.record), bucket, key };
      if (current.record.versionId === undefined) delete record.versionId;
      else record.versionId = current.record.versionId;
      this.writeObject(record, current.row);
      return record;
    }
    if (versionId === undefined) return null;
    const row = this.findVersion(bucket, key, versionId);
    if (!row || row.delete_marker) return null;
    const r = update(this.readVersion(row));
    this.stmts.updateVersion.run(
      r.storageClass, r.acl, JSON.stringify(r.headers), JSON.stringify(r.userMeta), JSON.stringify(r.tags), attrsColumn(r.attrs), bucket, key, row.seq,
    );
    return { ...r, bucket, key, versionId };
  }
}
