import type Database from 'better-sqlite3';
import { AppError } from '../../../errors.js';
import type { Bucket, ObjectRecord, ObjectSummary, PartRecord, UploadRecord, VersionRecord, VersionSummary, VersioningStatus } from '../../../domain/model.js';
import type {
  BucketConfigDecider, ConfigEntry, ConfigEntryDecider, BucketStatLine, BucketPatch, CompleteDecider, CompleteResult, DeleteOutcome, ListObjectsQuery, ListUploadsQuery, ListVersionsQuery,
  MetadataStore, NoncurrentCursor, ObjectDecider, ObjectWriteResult, RemovalGuard, VersionUpdater,
} from '../types.js';
import type { BucketIncarnation, BucketKeep, BucketListQuery, CapacityGuard, ObjectWriteOptions, ScanObjectsQuery } from '../types.js';
import { isIncarnation, KEY_CHECK_DOC } from '../types.js';
import {
  accountConfigKey, indexConfigKey, collectionConfigKey, collectionKeyRange, attrsColumn, currentAsVersion, objectColumnValues, toBucket, toObject, toPart, toUpload, toVersion, withConfig,
  type BucketRow, type UploadRow,
} from '../data-rows.js';
import { compareKeys } from '../key-order.js';
import { stampDefaultRule, type DefaultRuleText } from '../default-retention.js';
import { deleteMarkerRecord, newVersionId, nextSeq, NULL_VERSION, seqOfVersionId, unsharedSegments, VERSIONING_CONFIG, versioningOf } from '../versions.js';
import type { SqliteMetadataStoreOptions } from './base.js';
import { SqliteIdentityStore } from './identity.js';
import { RESET_TABLES } from './schema.js';
import { ObjectRecordCache } from './object-record-cache.js';
import { objectParams, objectRowOf, prepareStatements, removedRowOf, type InlineObjectRow, type ObjectRow, type Statements, type VersionRow } from './statements.js';

type VersionTuple = [key: string, size: number, etag: string, type: string, storageClass: string, lastModified: number, versionId: string | null, deleteMarker: number, noncurrentSince: number | null, encrypted: number];

type SummaryTuple = [key: string, size: number, etag: string, type: string, storageClass: string, lastModified: number];
/**
 * The smallest string greater (in UTF-8 byte order) than every string starting with `prefix`, or null
 * if there is none: the last code point incremented (UTF-8 preserves code point order), dropping
 * trailing U+10FFFF and stepping over the surrogate range.
 */
export function prefixSuccessor(prefix: string): string | null {
  const cps = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (cps.length > 0 && cps[cps.length - 1] === 0x10ffff) cps.pop();
  if (cps.length === 0) return null;
  let last = cps[cps.length - 1]! + 1;
  if (last === 0xd800) last = 0xe000;
  cps[cps.length - 1] = last;
  return String.fromCodePoint(...cps);
}

/**
 * What a decoded record keeps besides its inline bytes, estimated from the row's texts (read on a cache miss only):
 * a decoded segment (an object and its blob id) takes about twice its JSON.
 */
function recordWeight(r: InlineObjectRow): number {
  return 256 + r.key.length + r.headers.length + r.meta.length + r.tags.length + 2 * r.segments.length + (r.attrs?.length ?? 0);
}

/** The versioning status in a bucket row's aggregated configurations. */
function statusOf(row: BucketRow): VersioningStatus {
  if (row.configs === null || row.configs === '{}') return null;
  return versioningOf((JSON.parse(row.configs) as Record<string, string>)[VERSIONING_CONFIG]);
}

/** Encrypted: the attrs JSON holds an encryption entry (no row is parsed in JavaScript for it). */
const ENCRYPTED = "json_extract(attrs, '$.encryption') IS NOT NULL";
const VERSION_SUMMARY = `key, size, etag, type, storage_class, last_modified, version_id, delete_marker, noncurrent_since, ${ENCRYPTED}`;

function versionSummary([key, size, etag, type, storageClass, lastModified, versionId, deleteMarker, noncurrentSince, encrypted]: VersionTuple): VersionSummary {
  return {
    key, size, etag, type: type as ObjectSummary['type'], storageClass: storageClass as ObjectSummary['storageClass'], lastModified,
    versionId: versionId ?? NULL_VERSION, deleteMarker: deleteMarker === 1, isLatest: noncurrentSince === null, noncurrentSince, encrypted: encrypted === 1,
  };
}

/**
 * The SQLite (better-sqlite3, WAL) metadata store: buckets, objects, multipart uploads and listing here;
 * RAM identities in identity.ts, the database and group commit in base.ts, the schema in schema.ts.
 */
export class SqliteMetadataStore extends SqliteIdentityStore implements MetadataStore {
  private readonly stmts: Statements;

  constructor(opts: SqliteMetadataStoreOptions) {
    super(opts);
    this.stmts = prepareStatements(this.db);
  }

  // Every request reads its bucket (authorization, then the handler): keep decoded rows. This process
  // owns the file (exclusive locking), so its own bucket writes are the only invalidation needed.
  private readonly bucketCache = new Map<string, Bucket | null>();
  /** Rows GetObject/HeadObject read, valid until the next write commits (object-record-cache.ts). */
  private readonly objectRecords = new ObjectRecordCache<ObjectRecord>();

  private writeBucket<T>(fn: () => T, frees = false): Promise<T> {
    return this.write(fn, frees).finally(() => this.bucketCache.clear());
  }

  async createBucket(b: Bucket): Promise<'created' | 'exists'> {
    return this.writeBucket(() => {
      const res = this.stmts.insertBucket.run(
        b.name, b.ownerAccountId, b.createdAt, b.region, b.acl, b.storageClass, b.redundancyType, b.policy,
        b.cors === null ? null : JSON.stringify(b.cors),
      );
      return res.changes === 1 ? 'created' : 'exists';
    });
  }

  cachedBucket(name: string): Bucket | null | undefined {
    return this.bucketCache.get(name);
  }

  async getBucket(name: string): Promise<Bucket | null> {
    const hit = this.bucketCache.get(name);
    if (hit !== undefined) return hit;
    const row = this.stmts.getBucket.get(name);
    const bucket = row ? toBucket(row) : null;
    if (this.bucketCache.size > 10_000) this.bucketCache.clear();
    this.bucketCache.set(name, bucket);
    return bucket;
  }

  async listBuckets(q: BucketListQuery): Promise<Bucket[]> {
    const params = { after: q.after ?? '', prefix: q.prefix, limit: q.limit };
    if (q.configs !== undefined) {
      const named = { ...params, configs: JSON.stringify(q.configs) };
      const rows = q.owner === undefined ? this.stmts.listBucketsNamed.all(named) : this.stmts.listOwnBucketsNamed.all({ ...named, owner: q.owner });
      return rows.map(toBucket);
    }
    const rows = q.owner === undefined ? this.stmts.listBuckets.all(params) : this.stmts.listOwnBuckets.all({ ...params, owner: q.owner });
    return rows.map(toBucket);
  }

  async bucketStats(bucket: string): Promise<BucketStatLine[]> {
    const rows = this.sql('SELECT kind, storage_class, sum(count) AS count, sum(bytes) AS bytes, sum(billed) AS billed, max(updated) AS updated FROM bucket_stats WHERE bucket = ? GROUP BY kind, storage_class')
      .all(bucket) as Array<{ kind: BucketStatLine['kind']; storage_class: string; count: number; bytes: number; billed: number; updated: number }>;
    return rows.map((r) => ({ kind: r.kind, storageClass: r.storage_class, count: r.count, bytes: r.bytes, billed: r.billed, updated: r.updated }));
  }

  async countBuckets(owner: string): Promise<number> {
    return this.stmts.countBuckets.get(owner)!.n;
  }

  async updateBucket(name: string, patch: BucketPatch, sameBucket?: BucketIncarnation): Promise<Bucket | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    if (patch.acl !== undefined) {
      sets.push('acl = ?');
      params.push(patch.acl);
    }
    if (patch.policy !== undefined) {
      sets.push('policy = ?');
      params.push(patch.policy);
    }
    if (patch.cors !== undefined) {
      sets.push('cors = ?');
      params.push(patch.cors === null ? null : JSON.stringify(patch.cors));
    }
    if (patch.redundancyType !== undefined) {
      sets.push('redundancy = ?');
      params.push(patch.redundancyType);
    }
    // Removing a policy or CORS configuration only shrinks the row: allowed to use the reserve on a full disk.
    const changes = [patch.policy, patch.cors].filter((v) => v !== undefined);
    const removesOnly = patch.acl === undefined && patch.redundancyType === undefined && changes.length > 0 && changes.every((v) => v === null);
    return this.writeBucket(() => {
      // Another bucket of the name (deleted and created again since the write was authorized) is none.
      if (!this.isIncarnation(name, sameBucket)) return null;
      if (sets.length > 0) this.db.prepare(`UPDATE buckets SET ${sets.join(', ')} WHERE name = ?`).run(...params, name);
      const row = this.stmts.getBucket.get(name);
      return row ? toBucket(row) : null;
    }, removesOnly);
  }

  async updateBucketConfig(name: string, config: string, decide: BucketConfigDecider, sameBucket?: BucketIncarnation): Promise<Bucket | null> {
    return this.writeBucket((): Bucket | null => {
      const row = this.stmts.getBucket.get(name);
      if (!row) return null;
      const bucket = toBucket(row);
      if (!isIncarnation(bucket, sameBucket)) return null;
      const current = bucket.configs[config] ?? null;
      const next = decide(current, bucket);
      if (next === current) return bucket;
      if (next === null) {
        this.stmts.deleteConfig.run(name, config);
        return toBucket(this.stmts.getBucket.get(name)!);
      }
      this.stmts.upsertConfig.run(name, config, next);
      // The record after is the one read with this document in place: not read and decoded again (every
      // configuration of the bucket, up to a 1 MiB lifecycle, aggregated and parsed once more).
      return withConfig(bucket, config, next);
    });
  }

  async getAccountConfig(accountId: string, name: string): Promise<string | null> {
    return this.stmts.getConfig.get(accountConfigKey(accountId), name)?.document ?? null;
  }

  async putAccountConfig(accountId: string, name: string, document: string | null): Promise<void> {
    await this.writeBucket(() => {
      if (document === null) this.stmts.deleteConfig.run(accountConfigKey(accountId), name);
      else this.stmts.upsertConfig.run(accountConfigKey(accountId), name, document);
    }, document === null);
  }

  // Store-wide lookup indexes (access point aliases): not in bucket records, so no bucket cache is dropped.
  async getIndexEntry(index: string, key: string): Promise<string | null> {
    return this.stmts.getConfig.get(indexConfigKey(index), key)?.document ?? null;
  }

  async putIndexEntry(index: string, key: string, value: string | null): Promise<void> {
    await this.write(() => {
      if (value === null) this.stmts.deleteConfig.run(indexConfigKey(index), key);
      else this.stmts.upsertConfig.run(indexConfigKey(index), key, value);
    }, value === null);
  }

  /** One write transaction: SQLite's single writer makes the read and the write one step. */
  async swapIndexEntry(index: string, key: string, expected: string | null, value: string | null): Promise<boolean> {
    const swapped = await this.write(() => {
      const held = this.stmts.getConfig.get(indexConfigKey(index), key)?.document ?? null;
      if (held !== expected) return false;
      if (value === null) this.stmts.deleteConfig.run(indexConfigKey(index), key);
      else if (value !== held) this.stmts.upsertConfig.run(indexConfigKey(index), key, value);
      return true;
    }, value === null);
    if (swapped) this.indexGen++; // committed: one process owns the file
    return swapped;
  }

  async listIndexEntries(index: string, q: { prefix: string; after: string; limit: number }): Promise<ConfigEntry[]> {
    return this.stmts.listConfigs.all({ key: indexConfigKey(index), prefix: q.prefix, after: q.after, limit: q.limit });
  }

  /** One write transaction: SQLite's single writer makes the read, the decision and the write one step. */
  async updateIndexEntry(index: string, key: string, decide: (current: string | null) => string | null): Promise<void> {
    const at = indexConfigKey(index);
    await this.write(() => {
      const current = this.stmts.getConfig.get(at, key)?.document ?? null;
      const next = decide(current);
      if (next === current) return;
      if (next === null) this.stmts.deleteConfig.run(at, key);
      else this.stmts.upsertConfig.run(at, key, next);
    });
  }

  private indexGen = 0;

  indexGeneration(): number {
    return this.indexGen;
  }

  // A bucket's configuration collections: rows of their own, not in bucket records, so no bucket cache is dropped.
  async getConfigEntry(bucket: string, collection: string, id: string): Promise<string | null> {
    return this.stmts.getConfig.get(collectionConfigKey(bucket, collection), id)?.document ?? null;
  }

  async listConfigEntries(bucket: string, collection: string, q: { prefix: string; after: string; limit: number }): Promise<ConfigEntry[]> {
    return this.stmts.listConfigs.all({ key: collectionConfigKey(bucket, collection), prefix: q.prefix, after: q.after, limit: q.limit });
  }

  async countConfigEntries(bucket: string, collection: string): Promise<number> {
    return this.stmts.countConfigs.get(collectionConfigKey(bucket, collection))!.n;
  }

  async updateConfigEntry(bucket: string, collection: string, id: string, decide: ConfigEntryDecider, sameBucket?: BucketIncarnation): Promise<boolean> {
    const key = collectionConfigKey(bucket, collection);
    return this.write((): boolean => {
      // Another bucket of the name (deleted and created again since the write was authorized) is none.
      if (sameBucket === undefined ? !this.stmts.bucketExists.get(bucket) : !this.isIncarnation(bucket, sameBucket)) return false;
      const current = this.stmts.getConfig.get(key, id)?.document ?? null;
      const next = decide(current, this.stmts.countConfigs.get(key)!.n);
      if (next === current) return true;
      if (next === null) this.stmts.deleteConfig.run(key, id);
      else this.stmts.upsertConfig.run(key, id, next);
      return true;
    });
  }

  async deleteBucket(name: string, keep?: BucketKeep): Promise<'deleted' | 'missing' | 'not-empty' | 'kept'> {
    return this.writeBucket((): 'deleted' | 'missing' | 'not-empty' | 'kept' => {
      if (!this.stmts.getBucket.get(name)) return 'missing';
      if (this.stmts.anyObject.get(name) || this.stmts.anyVersion.get(name) || this.stmts.anyUpload.get(name)) return 'not-empty';
      const kept = keep === undefined ? undefined : this.stmts.getConfig.get(name, keep.config)?.document;
      if (kept !== undefined && keep!.holds(kept)) return 'kept';
      this.stmts.deleteConfigs.run(name);
      this.stmts.deleteCollections.run(...collectionKeyRange(name));
      this.stmts.deleteBucket.run(name);
      return 'deleted';
    }, true);
  }

  /** An object's row and, for a small object, its bytes. */
  private readObject(bucket: string, key: string): { row: ObjectRow; record: ObjectRecord } | null {
    const raw = this.stmts.getObjectRaw.get(bucket, key);
    if (!raw) return null;
    const row = objectRowOf(raw);
    return { row, record: toObject(row, row.inline_data) };
  }

  /** Whether the bucket of that name is the one expected (inside a write; ObjectWriteOptions.sameBucket). */
  private isIncarnation(bucket: string, expected: BucketIncarnation | undefined): boolean {
    if (expected === undefined) return true;
    const row = this.stmts.bucketIncarnation.get(bucket);
    return row !== undefined && row.owner === expected.ownerAccountId && Number(row.created_at) === expected.createdAt;
  }

  /**
   * The bucket's versioning status and the default rule a version written now is stamped with
   * (store/meta/default-retention.ts), or undefined when there is no such bucket (inside a write), or when it is not
   * the one `expected` (ObjectWriteOptions.sameBucket: deleted and created again since).
   */
  private writeState(bucket: string, expected?: BucketIncarnation): { status: VersioningStatus; rule: DefaultRuleText } | undefined {
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
  private decideWrite(
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
  private supersede(
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

  private insertVersion(r: ObjectRecord, inlineId: number | null, seq: number, deleteMarker: boolean, noncurrentSince: number | null): void {
    this.stmts.insertVersion.run(
      r.bucket, r.key, ...objectColumnValues(r), inlineId, attrsColumn(r.attrs), r.versionId ?? NULL_VERSION, seq, deleteMarker ? 1 : 0, noncurrentSince,
    );
  }

  private dropVersionRow(row: VersionRow): void {
    if (row.inline_id !== null) this.stmts.deleteInline.run(row.inline_id);
    this.stmts.deleteVersion.run(row.bucket, row.key, row.seq);
  }

  /** `removed` with only the segments no remaining version of its key (nor `also`) references. */
  private unshared(removed: ObjectRecord, also?: ObjectRecord): ObjectRecord {
    if (removed.segments.length === 0) return removed;
    const others: Array<ObjectRecord['segments']> = [];
    if (also) others.push(also.segments);
    const cur = this.stmts.getObject.get(removed.bucket, removed.key);
    if (cur) others.push(JSON.parse(cur.segments) as ObjectRecord['segments']);
    for (const row of this.stmts.keySegments.iterate(removed.bucket, removed.key)) others.push(JSON.parse(row.segments) as ObjectRecord['segments']);
    return unsharedSegments(removed, others);
  }

  /** A version row by id ('null' for the null version), or undefined. */
  private findVersion(bucket: string, key: string, versionId: string): VersionRow | undefined {
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

  /**
   * Runs a write (inside the write transaction) between two readings of the bucket's Storage, handed to the
   * capacity guard when there is one: this store's writes are serialized, so nothing lands between them.
   */
  private withinCapacity<T>(bucket: string, capacity: CapacityGuard | undefined, fn: () => T): T {
    if (capacity === undefined) return fn();
    const before = this.storageNow(bucket);
    const out = fn();
    capacity.check(before, this.storageNow(bucket));
    return out;
  }

  /** The bucket's Storage (GetBucketStat's: object versions' and uploaded parts' bytes) as this transaction sees it. */
  private storageNow(bucket: string): number {
    return this.sql<{ b: number }>("SELECT coalesce(sum(bytes), 0) AS b FROM bucket_stats WHERE bucket = ? AND kind IN ('object', 'part')").get(bucket)!.b;
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

  async listObjectVersions(bucket: string, q: ListVersionsQuery): Promise<VersionSummary[]> {
    const { where, params } = rangeWhere(q.prefix, undefined, q.skipPrefix);
    const limit = q.limit;
    let currentAfter: string | undefined;
    // Versions of the marker's key older than the marker come first, then keys after the marker.
    let sameKey: VersionSummary[] = [];
    let versionsFrom: { op: '>' | '>='; key: string } | undefined;
    if (q.after !== undefined) {
      const { key, versionId } = q.after;
      currentAfter = key;
      versionsFrom = { op: '>', key };
      if (versionId !== undefined) {
        const current = this.stmts.getObject.get(bucket, key);
        if (current && (current.version_id ?? NULL_VERSION) === versionId) versionsFrom = { op: '>=', key };
        else {
          const row = this.findVersion(bucket, key, versionId);
          if (row) {
            sameKey = this.listStatement<VersionTuple>(
              `SELECT ${VERSION_SUMMARY} FROM object_versions WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
            ).all(bucket, key, row.seq, limit).map(versionSummary);
          }
        }
      }
    }
    const objs = this.listStatement<VersionTuple>(
      `SELECT key, size, etag, type, storage_class, last_modified, version_id, 0, NULL, ${ENCRYPTED} FROM objects WHERE bucket = ?${where}${currentAfter !== undefined && currentAfter !== '' ? ' AND key > ?' : ''} ORDER BY key LIMIT ?`,
    ).all(bucket, ...params, ...(currentAfter !== undefined && currentAfter !== '' ? [currentAfter] : []), limit).map(versionSummary);
    const rest = limit - sameKey.length;
    const from = versionsFrom !== undefined && versionsFrom.key !== '' ? versionsFrom : undefined;
    const vers = rest <= 0 ? [] : this.listStatement<VersionTuple>(
      `SELECT ${VERSION_SUMMARY} FROM object_versions WHERE bucket = ?${where}${from ? ` AND key ${from.op} ?` : ''} ORDER BY key, seq DESC LIMIT ?`,
    ).all(bucket, ...params, ...(from ? [from.key] : []), rest).map(versionSummary);
    return [...sameKey, ...mergeVersions(objs, vers, rest)];
  }

  async listNoncurrentVersions(bucket: string, q: { before: number; prefix?: string; after?: NoncurrentCursor; limit: number }): Promise<VersionSummary[]> {
    const { where, params } = rangeWhere(q.prefix ?? '', undefined, undefined);
    let cursor = '';
    const cparams: unknown[] = [];
    if (q.after) {
      const seq = q.after.versionId === NULL_VERSION ? null : seqOfVersionId(q.after.versionId);
      const row = this.findVersion(bucket, q.after.key, q.after.versionId);
      const s = row?.seq ?? seq ?? Number.MAX_SAFE_INTEGER;
      cursor = ' AND (noncurrent_since > ? OR (noncurrent_since = ? AND (key > ? OR (key = ? AND seq > ?))))';
      cparams.push(q.after.noncurrentSince, q.after.noncurrentSince, q.after.key, q.after.key, s);
    }
    return this.listStatement<VersionTuple>(
      `SELECT ${VERSION_SUMMARY} FROM object_versions WHERE bucket = ? AND noncurrent_since < ?${where}${cursor} ORDER BY noncurrent_since, key, seq LIMIT ?`,
    ).all(bucket, q.before, ...params, ...cparams, q.limit).map(versionSummary);
  }

  async listCurrentDeleteMarkers(bucket: string, q: { prefix?: string; after?: string; limit: number }): Promise<Array<VersionSummary & { onlyVersion: boolean }>> {
    const { where, params } = rangeWhere(q.prefix ?? '', q.after, undefined);
    const rows = this.listStatement<VersionTuple>(
      `SELECT ${VERSION_SUMMARY} FROM object_versions WHERE bucket = ? AND noncurrent_since IS NULL${where} ORDER BY key LIMIT ?`,
    ).all(bucket, ...params, q.limit).map(versionSummary);
    return rows.map((r) => {
      const older = this.sql<{ n: number }>('SELECT count(*) AS n FROM (SELECT 1 FROM object_versions WHERE bucket = ? AND key = ? LIMIT 2)').get(bucket, r.key)!.n;
      return { ...r, onlyVersion: older === 1 };
    });
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

  async listObjects(bucket: string, q: ListObjectsQuery): Promise<ObjectSummary[]> {
    const { where, params } = rangeWhere(q.prefix, q.after, q.skipPrefix);
    const sql = `SELECT key, size, etag, type, storage_class, last_modified FROM objects WHERE bucket = ?${where} ORDER BY key LIMIT ?`;
    // Raw rows (arrays) skip building an object per row: listings read thousands of them.
    const rows = this.listStatement(sql).all(bucket, ...params, q.limit);
    return rows.map(([key, size, etag, type, storageClass, lastModified]) => ({
      key, size, etag, type: type as ObjectSummary['type'], storageClass: storageClass as ObjectSummary['storageClass'], lastModified,
    }));
  }

  // Listing SQL varies only by which range bounds are present: cache the few prepared shapes.
  private readonly listStatements = new Map<string, Database.Statement<unknown[], unknown>>();
  private listStatement<T = SummaryTuple>(sql: string): Database.Statement<unknown[], T> {
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<unknown[], unknown>(sql).raw(true);
      this.listStatements.set(sql, stmt);
    }
    return stmt as Database.Statement<unknown[], T>;
  }

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

  /** Every blob id an object, a version or a part references (read inside the caller's transaction, if any). */
  private blobIdsInUse(): Set<string> {
    const ids = new Set<string>();
    for (const stmt of [this.stmts.objectSegments, this.stmts.versionSegments]) {
      for (const row of stmt.iterate()) {
        for (const s of JSON.parse(row.segments) as Array<{ blobId: string }>) ids.add(s.blobId);
      }
    }
    for (const row of this.stmts.partBlobs.iterate()) ids.add(row.blob_id);
    return ids;
  }

  async referencedBlobIds(): Promise<Set<string>> {
    return this.blobIdsInUse();
  }

  async reset(): Promise<string[]> {
    // One transaction reads the references and empties the tables: no write can fall in between.
    return this.writeIdentity(() => {
      const ids = this.blobIdsInUse();
      for (const table of RESET_TABLES) {
        // The master-key check stays: it describes the key, not the state (util/key-check.ts).
        if (table === 'ram_documents') this.sql('DELETE FROM ram_documents WHERE NOT (account = ? AND kind = ?)').run('', KEY_CHECK_DOC.kind);
        else this.sql(`DELETE FROM ${table}`).run();
      }
      return [...ids];
    }).finally(() => this.bucketCache.clear());
  }

  // Metadata query (docs/meta-query.md): full current records in key order, without inline bytes.
  async scanObjects(bucket: string, q: ScanObjectsQuery): Promise<ObjectRecord[]> {
    const { where, params } = rangeWhere(q.prefix, q.after, undefined);
    const rows = this.sql<ObjectRow>(`SELECT * FROM objects WHERE bucket = ?${where} ORDER BY key LIMIT ?`).all(bucket, ...params, q.limit);
    return rows.map((row) => toObject(row, null));
  }
}

/**
 * Merges the current objects (each the latest of its key) with version rows, both in key order, into
 * ListObjectVersions order: key, then newest first (the current object before its key's older versions).
 */
export function mergeVersions(current: VersionSummary[], versions: VersionSummary[], limit: number): VersionSummary[] {
  const out: VersionSummary[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < current.length || j < versions.length)) {
    if (j >= versions.length || (i < current.length && compareKeys(current[i]!.key, versions[j]!.key) <= 0)) out.push(current[i++]!);
    else out.push(versions[j++]!);
  }
  return out;
}

/** Range conditions on `key` for a prefix, an exclusive start and a skipped sub-prefix. */
function rangeWhere(prefix: string, after: string | undefined, skipPrefix: string | undefined): { where: string; params: unknown[] } {
  let where = '';
  const params: unknown[] = [];
  if (prefix !== '') {
    const p = prefix;
    where += ' AND key >= ?';
    params.push(p);
    const hi = prefixSuccessor(p);
    if (hi) {
      where += ' AND key < ?';
      params.push(hi);
    }
  }
  if (after !== undefined && after !== '') {
    where += ' AND key > ?';
    params.push(after);
  }
  if (skipPrefix !== undefined) {
    const hi = prefixSuccessor(skipPrefix);
    if (hi) {
      where += ' AND key >= ?';
      params.push(hi);
    } else {
      where += ' AND 0';
    }
  }
  return { where, params };
}
