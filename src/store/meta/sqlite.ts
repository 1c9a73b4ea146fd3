import Database from 'better-sqlite3';
import { AppError } from '../../errors.js';
import { diskFullError, isDiskFull } from '../disk-space.js';
import { createPrivateFileSync, privateFileSync } from '../file-modes.js';
import { changedSecrets, toKeyRotation, type KeyRotationRow } from './key-rotations.js';
import type { Bucket, ObjectRecord, ObjectSummary, PartRecord, UploadRecord } from '../../domain/model.js';
import type {
  AccessKeyStatus,
  PolicyType,
  RamAccessKey,
  RamAttachment,
  RamGroup,
  RamPolicy,
  RamPolicyVersion,
  RamPrincipalKind,
  RamRole,
  RamUser,
} from '../../ram/model.js';
import type {
  BucketPatch,
  CompleteDecider,
  CompleteResult,
  CreateVersionOptions,
  GroupPatch,
  IdentityStore,
  KeyRotation,
  KeyRotationAudit,
  ListObjectsQuery,
  ListUploadsQuery,
  MetadataStore,
  NamePage,
  ObjectDecider,
  ObjectWriteResult,
  RolePatch,
  UserPatch,
} from './types.js';
import {
  toAccessKey,
  toAttachment,
  toGroup,
  toPolicy,
  toRole,
  toUser,
  toVersion,
  versionNumber,
  type AccessKeyRow,
  type AttachmentRow,
  type GroupRow,
  type PolicyRow,
  type RoleRow,
  type UserRow,
  type VersionRow,
} from './ram-rows.js';
import { objectColumnValues, toBucket, toObject, toPart, toUpload, type BucketRow, type ObjectRowBase, type PartRow, type UploadRow } from './data-rows.js';

// Versioned migrations: index i brings the schema from version i to i+1 (recorded as version i+1 in
// schema_migrations). Never edit a shipped one; add a new entry.
const MIGRATIONS: string[] = [
  `CREATE TABLE buckets (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     region TEXT NOT NULL,
     acl TEXT NOT NULL,
     storage_class TEXT NOT NULL,
     redundancy TEXT NOT NULL,
     policy TEXT,
     cors TEXT
   );
   -- Keys are TEXT in a UTF-8 database with BINARY collation (memcmp), so ORDER BY and range scans
   -- follow UTF-8 byte order, as OSS listings do.
   CREATE TABLE objects (
     bucket TEXT NOT NULL,
     key TEXT NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     crc64 TEXT NOT NULL,
     content_md5 TEXT,
     type TEXT NOT NULL,
     storage_class TEXT NOT NULL,
     acl TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     headers TEXT NOT NULL,
     meta TEXT NOT NULL,
     tags TEXT NOT NULL,
     segments TEXT NOT NULL,
     symlink_target TEXT,
     inline_id INTEGER,
     PRIMARY KEY (bucket, key)
   ) WITHOUT ROWID;
   -- Bytes of small objects, apart from their rows: WITHOUT ROWID rows should stay small (a 4 KiB row
   -- spills to overflow pages and makes every lookup about twice as slow).
   CREATE TABLE inline_data (
     id INTEGER PRIMARY KEY,
     data BLOB NOT NULL
   );
   CREATE TABLE uploads (
     upload_id TEXT PRIMARY KEY,
     bucket TEXT NOT NULL,
     key TEXT NOT NULL,
     initiated INTEGER NOT NULL,
     headers TEXT NOT NULL,
     meta TEXT NOT NULL,
     tags TEXT NOT NULL,
     acl TEXT NOT NULL,
     storage_class TEXT NOT NULL
   );
   CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
   CREATE TABLE parts (
     upload_id TEXT NOT NULL,
     part_number INTEGER NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     crc64 TEXT NOT NULL,
     blob_id TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     PRIMARY KEY (upload_id, part_number)
   ) WITHOUT ROWID;`,
  // 2: RAM identities and RPC replay nonces.
  `CREATE TABLE ram_users (
     user_id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     display_name TEXT NOT NULL,
     mobile_phone TEXT NOT NULL,
     email TEXT NOT NULL,
     comments TEXT NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE ram_access_keys (
     access_key_id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     sealed_secret TEXT NOT NULL,
     status TEXT NOT NULL,
     created INTEGER NOT NULL
   );
   CREATE INDEX ram_access_keys_by_user ON ram_access_keys (user_id, created);
   CREATE TABLE ram_groups (
     group_id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     comments TEXT NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE ram_group_members (
     group_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     joined INTEGER NOT NULL,
     PRIMARY KEY (group_id, user_id)
   ) WITHOUT ROWID;
   CREATE INDEX ram_group_members_by_user ON ram_group_members (user_id);
   CREATE TABLE ram_roles (
     role_id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     name_key TEXT NOT NULL UNIQUE,
     description TEXT NOT NULL,
     trust_policy TEXT NOT NULL,
     max_session_duration INTEGER NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE ram_policies (
     name TEXT PRIMARY KEY,
     description TEXT NOT NULL,
     default_version TEXT NOT NULL,
     next_version INTEGER NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE ram_policy_versions (
     policy_name TEXT NOT NULL,
     version_num INTEGER NOT NULL,
     document TEXT NOT NULL,
     created INTEGER NOT NULL,
     PRIMARY KEY (policy_name, version_num)
   ) WITHOUT ROWID;
   CREATE TABLE ram_attachments (
     principal_kind TEXT NOT NULL,
     principal_id TEXT NOT NULL,
     policy_type TEXT NOT NULL,
     policy_name TEXT NOT NULL,
     attached INTEGER NOT NULL,
     PRIMARY KEY (principal_kind, principal_id, policy_type, policy_name)
   ) WITHOUT ROWID;
   CREATE INDEX ram_attachments_by_policy ON ram_attachments (policy_type, policy_name);
   CREATE TABLE rpc_nonces (
     nonce TEXT PRIMARY KEY,
     expires INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX rpc_nonces_by_expiry ON rpc_nonces (expires);`,
  // 3: the history of master-key rotations, appended in the transaction that re-seals the RAM secrets
  // (fingerprints only, never keys; previous_fingerprints is a JSON array). AUTOINCREMENT: ids are never reused.
  `CREATE TABLE key_rotations (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     rotated_at INTEGER NOT NULL,
     key_fingerprint TEXT NOT NULL,
     previous_fingerprints TEXT NOT NULL,
     resealed INTEGER NOT NULL,
     mode TEXT NOT NULL,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL
   );`,
];

/** What `reset()` empties: the data plane and the RAM identities (nonces and key_rotations stay). */
const RESET_TABLES = [
  'objects', 'inline_data', 'parts', 'uploads', 'buckets',
  'ram_access_keys', 'ram_group_members', 'ram_attachments', 'ram_policy_versions', 'ram_policies', 'ram_users', 'ram_groups', 'ram_roles',
] as const;

interface PendingWrite {
  fn: () => unknown;
  frees: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface ObjectRow extends ObjectRowBase {
  inline_id: number | null;
}

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

function objectParams(o: ObjectRecord, inlineId: number | null): unknown[] {
  return [o.bucket, o.key, ...objectColumnValues(o), inlineId];
}

export interface SqliteMetadataStoreOptions {
  /** Database file path, or ':memory:'. */
  path: string;
  /** PRAGMA synchronous=FULL (durable on power loss) rather than NORMAL (default true). */
  durable?: boolean;
  /**
   * Called when a batch of writes failed because the disk is full: frees reserved space (store/disk-space.ts
   * SpaceReserve) and says whether it did, so the batch's deletes can be retried. Writes that grow storage
   * are refused either way.
   */
  onDiskFull?: () => boolean;
}

/**
 * SQLite (better-sqlite3, WAL) metadata store. better-sqlite3 is synchronous, which is what makes
 * each decider run atomically inside one transaction; the async signatures are for other engines.
 */
export class SqliteMetadataStore implements MetadataStore, IdentityStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly batchTxn: (run: () => void) => void;
  private readonly savepoint: (fn: () => unknown) => unknown;
  private readonly onDiskFull: () => boolean;

  constructor(opts: SqliteMetadataStoreOptions) {
    this.onDiskFull = opts.onDiskFull ?? (() => false);
    if (opts.path !== ':memory:') {
      // Small objects' bytes live in this file: 0600 whatever the umask (SQLite gives its WAL the same mode).
      createPrivateFileSync(opts.path);
      for (const suffix of ['-wal', '-shm', '-journal']) privateFileSync(opts.path + suffix);
    }
    // No busy wait: the file is held exclusively by one process, so waiting for it cannot help.
    this.db = new Database(opts.path, { timeout: 0 });
    try {
      if (opts.path !== ':memory:') {
        // One server process owns the file (several processes share PostgreSQL instead); exclusive
        // locking spares every statement its file-lock system calls, and waiting for it is pointless.
        this.db.pragma('locking_mode = EXCLUSIVE');
        this.db.pragma('journal_mode = WAL');
      }
      this.db.pragma(`synchronous = ${opts.durable === false ? 'NORMAL' : 'FULL'}`);
      this.db.pragma('foreign_keys = OFF');
      this.migrate();
    } catch (err) {
      this.db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new Error(`${opts.path} is in use by another alunite process (one process owns a data directory); stop it first.`);
      }
      throw err;
    }
    const db = this.db;
    const outer = db.transaction((run: () => void) => run());
    this.batchTxn = (run) => outer.immediate(run);
    this.savepoint = db.transaction((fn: () => unknown) => fn());
    this.stmts = {
      insertBucket: db.prepare(
        `INSERT INTO buckets (name, owner, created_at, region, acl, storage_class, redundancy, policy, cors)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      ),
      getBucket: db.prepare<[string], BucketRow>('SELECT * FROM buckets WHERE name = ?'),
      listBuckets: db.prepare<[{ after: string; prefix: string; limit: number }], BucketRow>(
        'SELECT * FROM buckets WHERE name > @after AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit',
      ),
      countBuckets: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM buckets WHERE owner = ?'),
      deleteBucket: db.prepare('DELETE FROM buckets WHERE name = ?'),
      anyObject: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM objects WHERE bucket = ? LIMIT 1'),
      anyUpload: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM uploads WHERE bucket = ? LIMIT 1'),
      getObject: db.prepare<[string, string], ObjectRow>('SELECT * FROM objects WHERE bucket = ? AND key = ?'),
      upsertObject: db.prepare(
        `INSERT OR REPLACE INTO objects (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl,
           last_modified, headers, meta, tags, segments, symlink_target, inline_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteObject: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?'),
      getInline: db.prepare<[number], { data: Buffer }>('SELECT data FROM inline_data WHERE id = ?'),
      insertInline: db.prepare('INSERT INTO inline_data (data) VALUES (?)'),
      deleteInline: db.prepare('DELETE FROM inline_data WHERE id = ?'),
      insertUpload: db.prepare(
        `INSERT INTO uploads (upload_id, bucket, key, initiated, headers, meta, tags, acl, storage_class)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getUpload: db.prepare<[string], UploadRow>('SELECT * FROM uploads WHERE upload_id = ?'),
      deleteUpload: db.prepare('DELETE FROM uploads WHERE upload_id = ?'),
      getPart: db.prepare<[string, number], PartRow>('SELECT * FROM parts WHERE upload_id = ? AND part_number = ?'),
      upsertPart: db.prepare(
        `INSERT OR REPLACE INTO parts (upload_id, part_number, size, etag, crc64, blob_id, last_modified)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      listParts: db.prepare<[string, number, number], PartRow>(
        'SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
      ),
      allParts: db.prepare<[string], PartRow>('SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number'),
      deleteParts: db.prepare('DELETE FROM parts WHERE upload_id = ?'),
      objectSegments: db.prepare<[], { segments: string }>('SELECT segments FROM objects'),
      partBlobs: db.prepare<[], { blob_id: string }>('SELECT blob_id FROM parts'),
    };
  }

  // Group commit: writes that arrive in the same event-loop turn share one transaction, so one fsync
  // (synchronous=FULL) acknowledges them all. Each runs in its own savepoint: a write whose decider
  // throws is rolled back alone and rejects alone; the others commit.
  private pending: PendingWrite[] = [];

  /**
   * Incremented by every committed identity write (users, keys, groups, roles, policies, attachments), so
   * in-process caches of credentials and compiled identity policies know when to refresh. (One process
   * owns this file; the PostgreSQL store keeps the counter in the database for several processes.)
   */
  private identityGen = 0;

  identityGeneration(): number {
    return this.identityGen;
  }

  private writeIdentity<T>(fn: () => T): Promise<T> {
    // Only a committed write changes anything (a refused one rolled back its savepoint).
    return this.write(fn).then((value) => {
      this.identityGen++;
      return value;
    });
  }

  /** `frees`: the write only removes rows (deletes), so it may use the reserved space when the disk is full. */
  private write<T>(fn: () => T, frees = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, frees, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (this.commitBatch(batch) !== 'disk-full') return;
    // Nothing of the batch was committed. Even a DELETE needs room in the WAL: free the reserve and retry
    // the deletes alone; writes that would grow storage are refused.
    const deletes = batch.filter((item) => item.frees);
    for (const item of batch) if (!item.frees) item.reject(diskFullError());
    if (deletes.length === 0) return;
    if (!this.onDiskFull() || this.commitBatch(deletes) === 'disk-full') {
      for (const item of deletes) item.reject(diskFullError('delete'));
    }
  }

  /** Runs the writes in one transaction and settles them, unless the disk was full (then none is settled). */
  private commitBatch(batch: PendingWrite[]): 'done' | 'disk-full' {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      this.batchTxn(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.savepoint(item.fn) });
          } catch (err) {
            // SQLite may have rolled the whole transaction back: undo all of it, answer below.
            if (isDiskFull(err)) throw err;
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      if (isDiskFull(err)) return 'disk-full';
      for (const item of batch) item.reject(err);
      return 'done';
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.err);
    });
    return 'done';
  }

  /**
   * Applies the migrations this file has not seen, each in its own transaction, recording them in
   * `schema_migrations` (version, applied_at). A database from release 0.1.0 has no such table but its
   * version in PRAGMA user_version: those versions are stamped as applied, never re-run. user_version
   * is kept equal to the newest version so 0.1.0 still refuses a database newer than it understands.
   */
  private migrate(): void {
    const db = this.db;
    const hasTable = (name: string): boolean =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    const record = { run: (v: number, at: number) => db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(v, at) };
    db.transaction(() => {
      if (hasTable('schema_migrations')) return;
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
      let legacy = db.pragma('user_version', { simple: true }) as number;
      if (legacy === 0 && hasTable('buckets')) legacy = 1;
      for (let v = 1; v <= Math.min(legacy, MIGRATIONS.length); v++) record.run(v, Date.now());
      if (legacy > MIGRATIONS.length) record.run(legacy, Date.now());
    }).immediate();
    const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    if (version > MIGRATIONS.length) {
      throw new Error(`metadata schema version ${version} is newer than this release understands (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        record.run(v + 1, Date.now());
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  }

  /** Versions recorded in `schema_migrations`, oldest first (tests, diagnostics). */
  appliedMigrations(): number[] {
    return (this.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version);
  }

  // Every request reads its bucket (authorization, then the handler): keep decoded rows. This process
  // owns the file (exclusive locking), so its own bucket writes are the only invalidation needed.
  private readonly bucketCache = new Map<string, Bucket | null>();

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

  async getBucket(name: string): Promise<Bucket | null> {
    const hit = this.bucketCache.get(name);
    if (hit !== undefined) return hit;
    const row = this.stmts.getBucket.get(name);
    const bucket = row ? toBucket(row) : null;
    if (this.bucketCache.size > 10_000) this.bucketCache.clear();
    this.bucketCache.set(name, bucket);
    return bucket;
  }

  async listBuckets(q: { prefix: string; after?: string; limit: number }): Promise<Bucket[]> {
    return this.stmts.listBuckets.all({ after: q.after ?? '', prefix: q.prefix, limit: q.limit }).map(toBucket);
  }

  async countBuckets(owner: string): Promise<number> {
    return this.stmts.countBuckets.get(owner)!.n;
  }

  async updateBucket(name: string, patch: BucketPatch): Promise<Bucket | null> {
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
    // Removing a policy or CORS configuration only shrinks the row: allowed to use the reserve on a full disk.
    const changes = [patch.policy, patch.cors].filter((v) => v !== undefined);
    const removesOnly = patch.acl === undefined && changes.length > 0 && changes.every((v) => v === null);
    return this.writeBucket(() => {
      if (sets.length > 0) this.db.prepare(`UPDATE buckets SET ${sets.join(', ')} WHERE name = ?`).run(...params, name);
      const row = this.stmts.getBucket.get(name);
      return row ? toBucket(row) : null;
    }, removesOnly);
  }

  async deleteBucket(name: string): Promise<'deleted' | 'missing' | 'not-empty'> {
    return this.writeBucket((): 'deleted' | 'missing' | 'not-empty' => {
      if (!this.stmts.getBucket.get(name)) return 'missing';
      if (this.stmts.anyObject.get(name) || this.stmts.anyUpload.get(name)) return 'not-empty';
      this.stmts.deleteBucket.run(name);
      return 'deleted';
    }, true);
  }

  /** An object's row and, for a small object, its bytes. */
  private readObject(bucket: string, key: string): { row: ObjectRow; record: ObjectRecord } | null {
    const row = this.stmts.getObject.get(bucket, key);
    if (!row) return null;
    const inline = row.inline_id === null ? null : (this.stmts.getInline.get(row.inline_id)?.data ?? null);
    return { row, record: toObject(row, inline) };
  }

  /** Writes `record` over `previous` (inside a transaction); the previous inline bytes go with it. */
  private writeObject(record: ObjectRecord, previous: ObjectRow | null): void {
    if (previous?.inline_id != null) this.stmts.deleteInline.run(previous.inline_id);
    const inlineId = record.inline === null ? null : Number(this.stmts.insertInline.run(record.inline).lastInsertRowid);
    this.stmts.upsertObject.run(...objectParams(record, inlineId));
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    return this.readObject(bucket, key)?.record ?? null;
  }

  /**
   * The bucket is checked inside the write transaction: the domain's earlier check is separated from this
   * write by the body upload, during which a DeleteBucket of the then empty bucket may have committed.
   */
  async putObject(bucket: string, key: string, decide: ObjectDecider): Promise<ObjectWriteResult> {
    return this.write((): ObjectWriteResult => {
      if (!this.stmts.getBucket.get(bucket)) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
      const current = this.readObject(bucket, key);
      const record = decide(current?.record ?? null);
      this.writeObject(record, current?.row ?? null);
      return { record, replaced: current?.record ?? null };
    });
  }

  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    return this.write((): ObjectRecord | null => {
      const current = this.readObject(bucket, key);
      if (!current) return null;
      if (current.row.inline_id !== null) this.stmts.deleteInline.run(current.row.inline_id);
      this.stmts.deleteObject.run(bucket, key);
      return current.record;
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
  private readonly listStatements = new Map<string, Database.Statement<unknown[], SummaryTuple>>();
  private listStatement(sql: string): Database.Statement<unknown[], SummaryTuple> {
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<unknown[], SummaryTuple>(sql).raw(true);
      this.listStatements.set(sql, stmt);
    }
    return stmt;
  }

  async createUpload(u: UploadRecord): Promise<void> {
    await this.write(() => {
      if (!this.stmts.getBucket.get(u.bucket)) throw new AppError('NoSuchBucket', undefined, { BucketName: u.bucket });
      this.stmts.insertUpload.run(
        u.uploadId, u.bucket, u.key, u.initiated, JSON.stringify(u.headers), JSON.stringify(u.userMeta),
        JSON.stringify(u.tags), u.acl, u.storageClass,
      );
    });
  }

  async getUpload(uploadId: string): Promise<UploadRecord | null> {
    const row = this.stmts.getUpload.get(uploadId);
    return row ? toUpload(row) : null;
  }

  async putPart(p: PartRecord): Promise<PartRecord | null> {
    return this.write((): PartRecord | null => {
      if (!this.stmts.getUpload.get(p.uploadId)) throw new AppError('NoSuchUpload', undefined, { UploadId: p.uploadId });
      const old = this.stmts.getPart.get(p.uploadId, p.partNumber);
      this.stmts.upsertPart.run(p.uploadId, p.partNumber, p.size, p.etag, p.crc64, p.blobId, p.lastModified);
      return old ? toPart(old) : null;
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

  async abortUpload(uploadId: string): Promise<PartRecord[] | null> {
    return this.write((): PartRecord[] | null => {
      if (!this.stmts.getUpload.get(uploadId)) return null;
      const parts = this.stmts.allParts.all(uploadId).map(toPart);
      this.stmts.deleteParts.run(uploadId);
      this.stmts.deleteUpload.run(uploadId);
      return parts;
    }, true);
  }

  async completeUpload(uploadId: string, decide: CompleteDecider): Promise<CompleteResult> {
    return this.write((): CompleteResult => {
      const urow = this.stmts.getUpload.get(uploadId);
      if (!urow) throw new AppError('NoSuchUpload', undefined, { UploadId: uploadId });
      const upload = toUpload(urow);
      const parts = this.stmts.allParts.all(uploadId).map(toPart);
      const existing = this.readObject(upload.bucket, upload.key);
      const current = existing?.record ?? null;
      const record = decide(upload, parts, current);
      const used = new Set(record.segments.map((s) => s.blobId));
      this.writeObject(record, existing?.row ?? null);
      this.stmts.deleteParts.run(uploadId);
      this.stmts.deleteUpload.run(uploadId);
      return { record, replaced: current, unusedParts: parts.filter((p) => !used.has(p.blobId)) };
    });
  }

  async referencedBlobIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const row of this.stmts.objectSegments.iterate()) {
      for (const s of JSON.parse(row.segments) as Array<{ blobId: string }>) ids.add(s.blobId);
    }
    for (const row of this.stmts.partBlobs.iterate()) ids.add(row.blob_id);
    return ids;
  }

  async reset(): Promise<string[]> {
    // One transaction reads the references and empties the tables: no write can fall in between.
    return this.writeIdentity(() => {
      const ids = new Set<string>();
      for (const row of this.stmts.objectSegments.iterate()) {
        for (const s of JSON.parse(row.segments) as Array<{ blobId: string }>) ids.add(s.blobId);
      }
      for (const row of this.stmts.partBlobs.iterate()) ids.add(row.blob_id);
      for (const table of RESET_TABLES) this.sql(`DELETE FROM ${table}`).run();
      return [...ids];
    }).finally(() => this.bucketCache.clear());
  }

  // ---- RAM identities (IdentityStore) ----

  private readonly identityStatements = new Map<string, Database.Statement<unknown[], unknown>>();
  /** A prepared statement, cached by its SQL text. */
  private sql<Row = unknown>(text: string): Database.Statement<unknown[], Row> {
    let stmt = this.identityStatements.get(text);
    if (!stmt) {
      stmt = this.db.prepare<unknown[], unknown>(text);
      this.identityStatements.set(text, stmt);
    }
    return stmt as Database.Statement<unknown[], Row>;
  }

  private count(text: string, ...params: unknown[]): number {
    return this.sql<{ n: number }>(text).get(...params)!.n;
  }

  private userRow(userName: string): RamUser | null {
    const row = this.sql<UserRow>('SELECT * FROM ram_users WHERE name = ?').get(userName);
    return row ? toUser(row) : null;
  }

  private mustUser(userName: string): RamUser {
    const u = this.userRow(userName);
    if (!u) throw new AppError('EntityNotExist.User');
    return u;
  }

  private groupRow(groupName: string): RamGroup | null {
    const row = this.sql<GroupRow>('SELECT * FROM ram_groups WHERE name = ?').get(groupName);
    return row ? toGroup(row) : null;
  }

  private mustGroup(groupName: string): RamGroup {
    const g = this.groupRow(groupName);
    if (!g) throw new AppError('EntityNotExist.Group');
    return g;
  }

  private roleRow(roleName: string): RamRole | null {
    const row = this.sql<RoleRow>('SELECT * FROM ram_roles WHERE name_key = ?').get(roleName.toLowerCase());
    return row ? toRole(row) : null;
  }

  private mustRole(roleName: string): RamRole {
    const r = this.roleRow(roleName);
    if (!r) throw new AppError('EntityNotExist.Role');
    return r;
  }

  private policyRow(policyName: string): RamPolicy | null {
    const row = this.sql<PolicyRow>('SELECT * FROM ram_policies WHERE name = ?').get(policyName);
    return row ? toPolicy(row) : null;
  }

  private mustPolicy(policyName: string): RamPolicy {
    const p = this.policyRow(policyName);
    if (!p) throw new AppError('EntityNotExist.Policy');
    return p;
  }

  async createUser(u: RamUser, maxUsers: number): Promise<void> {
    await this.writeIdentity(() => {
      if (this.userRow(u.userName)) throw new AppError('EntityAlreadyExists.User');
      if (this.count('SELECT count(*) AS n FROM ram_users') >= maxUsers) throw new AppError('LimitExceeded.User');
      this.sql('INSERT INTO ram_users (user_id, name, display_name, mobile_phone, email, comments, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(u.userId, u.userName, u.displayName, u.mobilePhone, u.email, u.comments, u.createDate, u.updateDate);
    });
  }

  async getUser(userName: string): Promise<RamUser | null> {
    return this.userRow(userName);
  }

  async getUserById(userId: string): Promise<RamUser | null> {
    const row = this.sql<UserRow>('SELECT * FROM ram_users WHERE user_id = ?').get(userId);
    return row ? toUser(row) : null;
  }

  async updateUser(userName: string, patch: UserPatch, now: number): Promise<RamUser> {
    return this.writeIdentity((): RamUser => {
      const u = this.mustUser(userName);
      if (patch.userName !== undefined && patch.userName !== u.userName && this.userRow(patch.userName)) {
        throw new AppError('EntityAlreadyExists.User');
      }
      const next: RamUser = {
        ...u,
        userName: patch.userName ?? u.userName,
        displayName: patch.displayName ?? u.displayName,
        mobilePhone: patch.mobilePhone ?? u.mobilePhone,
        email: patch.email ?? u.email,
        comments: patch.comments ?? u.comments,
        updateDate: now,
      };
      this.sql('UPDATE ram_users SET name = ?, display_name = ?, mobile_phone = ?, email = ?, comments = ?, updated = ? WHERE user_id = ?')
        .run(next.userName, next.displayName, next.mobilePhone, next.email, next.comments, now, u.userId);
      return next;
    });
  }

  async listUsers(page: NamePage): Promise<RamUser[]> {
    return this.sql<UserRow>('SELECT * FROM ram_users WHERE name > ? ORDER BY name LIMIT ?').all(page.after ?? '', page.limit).map(toUser);
  }

  async deleteUser(userName: string): Promise<void> {
    await this.writeIdentity(() => {
      const u = this.mustUser(userName);
      if (this.count('SELECT count(*) AS n FROM ram_access_keys WHERE user_id = ?', u.userId) > 0) throw new AppError('DeleteConflict.User.AccessKey');
      if (this.count('SELECT count(*) AS n FROM ram_group_members WHERE user_id = ?', u.userId) > 0) throw new AppError('DeleteConflict.User.Group');
      if (this.count("SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'User' AND principal_id = ?", u.userId) > 0) {
        throw new AppError('DeleteConflict.User.Policy');
      }
      this.sql('DELETE FROM ram_users WHERE user_id = ?').run(u.userId);
    });
  }

  async createAccessKey(userName: string, key: Omit<RamAccessKey, 'userId'>, maxPerUser: number): Promise<RamAccessKey> {
    return this.writeIdentity((): RamAccessKey => {
      const u = this.mustUser(userName);
      if (this.count('SELECT count(*) AS n FROM ram_access_keys WHERE user_id = ?', u.userId) >= maxPerUser) {
        throw new AppError('LimitExceeded.User.AccessKey');
      }
      if (this.count('SELECT count(*) AS n FROM ram_access_keys WHERE access_key_id = ?', key.accessKeyId) > 0) {
        throw new AppError('EntityAlreadyExists.AccessKey');
      }
      const record: RamAccessKey = { ...key, userId: u.userId };
      this.sql('INSERT INTO ram_access_keys (access_key_id, user_id, sealed_secret, status, created) VALUES (?, ?, ?, ?, ?)')
        .run(record.accessKeyId, record.userId, record.sealedSecret, record.status, record.createDate);
      return record;
    });
  }

  async getAccessKey(accessKeyId: string): Promise<RamAccessKey | null> {
    const row = this.sql<AccessKeyRow>('SELECT * FROM ram_access_keys WHERE access_key_id = ?').get(accessKeyId);
    return row ? toAccessKey(row) : null;
  }

  async listAccessKeys(userName: string): Promise<RamAccessKey[]> {
    const u = this.mustUser(userName);
    return this.sql<AccessKeyRow>('SELECT * FROM ram_access_keys WHERE user_id = ? ORDER BY created, access_key_id').all(u.userId).map(toAccessKey);
  }

  private mustUserKey(userName: string, accessKeyId: string): RamUser {
    const u = this.mustUser(userName);
    const row = this.sql<AccessKeyRow>('SELECT * FROM ram_access_keys WHERE access_key_id = ?').get(accessKeyId);
    if (!row || row.user_id !== u.userId) throw new AppError('EntityNotExist.User.AccessKey');
    return u;
  }

  async updateAccessKey(userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void> {
    await this.writeIdentity(() => {
      this.mustUserKey(userName, accessKeyId);
      this.sql('UPDATE ram_access_keys SET status = ? WHERE access_key_id = ?').run(status, accessKeyId);
    });
  }

  async deleteAccessKey(userName: string, accessKeyId: string): Promise<void> {
    await this.writeIdentity(() => {
      this.mustUserKey(userName, accessKeyId);
      this.sql('DELETE FROM ram_access_keys WHERE access_key_id = ?').run(accessKeyId);
    });
  }

  async createGroup(g: RamGroup, maxGroups: number): Promise<void> {
    await this.writeIdentity(() => {
      if (this.groupRow(g.groupName)) throw new AppError('EntityAlreadyExists.Group');
      if (this.count('SELECT count(*) AS n FROM ram_groups') >= maxGroups) throw new AppError('LimitExceeded.Group');
      this.sql('INSERT INTO ram_groups (group_id, name, comments, created, updated) VALUES (?, ?, ?, ?, ?)')
        .run(g.groupId, g.groupName, g.comments, g.createDate, g.updateDate);
    });
  }

  async getGroup(groupName: string): Promise<RamGroup | null> {
    return this.groupRow(groupName);
  }

  async getGroupById(groupId: string): Promise<RamGroup | null> {
    const row = this.sql<GroupRow>('SELECT * FROM ram_groups WHERE group_id = ?').get(groupId);
    return row ? toGroup(row) : null;
  }

  async updateGroup(groupName: string, patch: GroupPatch, now: number): Promise<RamGroup> {
    return this.writeIdentity((): RamGroup => {
      const g = this.mustGroup(groupName);
      if (patch.groupName !== undefined && patch.groupName !== g.groupName && this.groupRow(patch.groupName)) {
        throw new AppError('EntityAlreadyExists.Group');
      }
      const next: RamGroup = { ...g, groupName: patch.groupName ?? g.groupName, comments: patch.comments ?? g.comments, updateDate: now };
      this.sql('UPDATE ram_groups SET name = ?, comments = ?, updated = ? WHERE group_id = ?').run(next.groupName, next.comments, now, g.groupId);
      return next;
    });
  }

  async listGroups(page: NamePage): Promise<RamGroup[]> {
    return this.sql<GroupRow>('SELECT * FROM ram_groups WHERE name > ? ORDER BY name LIMIT ?').all(page.after ?? '', page.limit).map(toGroup);
  }

  async deleteGroup(groupName: string): Promise<void> {
    await this.writeIdentity(() => {
      const g = this.mustGroup(groupName);
      if (this.count('SELECT count(*) AS n FROM ram_group_members WHERE group_id = ?', g.groupId) > 0) throw new AppError('DeleteConflict.Group.User');
      if (this.count("SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'Group' AND principal_id = ?", g.groupId) > 0) {
        throw new AppError('DeleteConflict.Group.Policy');
      }
      this.sql('DELETE FROM ram_groups WHERE group_id = ?').run(g.groupId);
    });
  }

  async addUserToGroup(groupName: string, userName: string, now: number, maxGroupsPerUser: number): Promise<void> {
    await this.writeIdentity(() => {
      const g = this.mustGroup(groupName);
      const u = this.mustUser(userName);
      if (this.count('SELECT count(*) AS n FROM ram_group_members WHERE group_id = ? AND user_id = ?', g.groupId, u.userId) > 0) {
        throw new AppError('EntityAlreadyExists.User.Group');
      }
      if (this.count('SELECT count(*) AS n FROM ram_group_members WHERE user_id = ?', u.userId) >= maxGroupsPerUser) {
        throw new AppError('LimitExceeded.User.Group');
      }
      this.sql('INSERT INTO ram_group_members (group_id, user_id, joined) VALUES (?, ?, ?)').run(g.groupId, u.userId, now);
    });
  }

  async removeUserFromGroup(groupName: string, userName: string): Promise<void> {
    await this.writeIdentity(() => {
      const g = this.mustGroup(groupName);
      const u = this.mustUser(userName);
      const res = this.sql('DELETE FROM ram_group_members WHERE group_id = ? AND user_id = ?').run(g.groupId, u.userId);
      if (res.changes === 0) throw new AppError('EntityNotExist.User.Group');
    });
  }

  async listGroupsForUser(userName: string): Promise<Array<{ group: RamGroup; joinDate: number }>> {
    const u = this.mustUser(userName);
    return this.sql<GroupRow & { joined: number }>(
      'SELECT g.*, m.joined FROM ram_group_members m JOIN ram_groups g ON g.group_id = m.group_id WHERE m.user_id = ? ORDER BY g.name',
    ).all(u.userId).map((r) => ({ group: toGroup(r), joinDate: r.joined }));
  }

  async listUsersForGroup(groupName: string, page: NamePage): Promise<Array<{ user: RamUser; joinDate: number }>> {
    const g = this.mustGroup(groupName);
    return this.sql<UserRow & { joined: number }>(
      'SELECT u.*, m.joined FROM ram_group_members m JOIN ram_users u ON u.user_id = m.user_id WHERE m.group_id = ? AND u.name > ? ORDER BY u.name LIMIT ?',
    ).all(g.groupId, page.after ?? '', page.limit).map((r) => ({ user: toUser(r), joinDate: r.joined }));
  }

  async createRole(r: RamRole, maxRoles: number): Promise<void> {
    await this.writeIdentity(() => {
      if (this.roleRow(r.roleName)) throw new AppError('EntityAlreadyExists.Role');
      if (this.count('SELECT count(*) AS n FROM ram_roles') >= maxRoles) throw new AppError('LimitExceeded.Role');
      this.sql(
        `INSERT INTO ram_roles (role_id, name, name_key, description, trust_policy, max_session_duration, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.roleId, r.roleName, r.roleName.toLowerCase(), r.description, r.assumeRolePolicyDocument, r.maxSessionDuration, r.createDate, r.updateDate);
    });
  }

  /** Re-seals every RAM AccessKey secret and records the rotation, in one transaction (see IdentityStore). */
  async resealAccessKeySecrets(reseal: (accessKeyId: string, sealedSecret: string) => string, audit: KeyRotationAudit): Promise<number> {
    return this.writeIdentity((): number => {
      const changed = changedSecrets(this.sql<AccessKeyRow>('SELECT * FROM ram_access_keys').all(), reseal);
      const update = this.sql('UPDATE ram_access_keys SET sealed_secret = ? WHERE access_key_id = ?');
      for (const c of changed) update.run(c.sealed, c.accessKeyId);
      this.sql(
        `INSERT INTO key_rotations (rotated_at, key_fingerprint, previous_fingerprints, resealed, mode, host, pid)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(Date.now(), audit.keyFingerprint, JSON.stringify(audit.previousFingerprints), changed.length, audit.mode, audit.host, audit.pid);
      return changed.length;
    });
  }

  async listKeyRotations(): Promise<KeyRotation[]> {
    return this.sql<Omit<KeyRotationRow, 'previous_fingerprints'> & { previous_fingerprints: string }>('SELECT * FROM key_rotations ORDER BY id DESC')
      .all()
      .map((r) => toKeyRotation({ ...r, previous_fingerprints: JSON.parse(r.previous_fingerprints) as string[] }));
  }

  async getRole(roleName: string): Promise<RamRole | null> {
    return this.roleRow(roleName);
  }

  async getRoleById(roleId: string): Promise<RamRole | null> {
    const row = this.sql<RoleRow>('SELECT * FROM ram_roles WHERE role_id = ?').get(roleId);
    return row ? toRole(row) : null;
  }

  async updateRole(roleName: string, patch: RolePatch, now: number): Promise<RamRole> {
    return this.writeIdentity((): RamRole => {
      const r = this.mustRole(roleName);
      const next: RamRole = {
        ...r,
        assumeRolePolicyDocument: patch.assumeRolePolicyDocument ?? r.assumeRolePolicyDocument,
        maxSessionDuration: patch.maxSessionDuration ?? r.maxSessionDuration,
        description: patch.description ?? r.description,
        updateDate: now,
      };
      this.sql('UPDATE ram_roles SET trust_policy = ?, max_session_duration = ?, description = ?, updated = ? WHERE role_id = ?')
        .run(next.assumeRolePolicyDocument, next.maxSessionDuration, next.description, now, r.roleId);
      return next;
    });
  }

  async listRoles(page: NamePage): Promise<RamRole[]> {
    return this.sql<RoleRow>('SELECT * FROM ram_roles WHERE name > ? ORDER BY name LIMIT ?').all(page.after ?? '', page.limit).map(toRole);
  }

  async deleteRole(roleName: string): Promise<void> {
    await this.writeIdentity(() => {
      const r = this.mustRole(roleName);
      if (this.count("SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = 'Role' AND principal_id = ?", r.roleId) > 0) {
        throw new AppError('DeleteConflict.Role.Policy');
      }
      this.sql('DELETE FROM ram_roles WHERE role_id = ?').run(r.roleId);
    });
  }

  async createPolicy(p: RamPolicy, document: string, maxPolicies: number): Promise<RamPolicyVersion> {
    return this.writeIdentity((): RamPolicyVersion => {
      if (this.policyRow(p.policyName)) throw new AppError('EntityAlreadyExists.Policy');
      if (this.count('SELECT count(*) AS n FROM ram_policies') >= maxPolicies) throw new AppError('LimitExceeded.Policy');
      this.sql('INSERT INTO ram_policies (name, description, default_version, next_version, created, updated) VALUES (?, ?, ?, ?, ?, ?)')
        .run(p.policyName, p.description, 'v1', 2, p.createDate, p.updateDate);
      this.sql('INSERT INTO ram_policy_versions (policy_name, version_num, document, created) VALUES (?, ?, ?, ?)').run(p.policyName, 1, document, p.createDate);
      return { policyName: p.policyName, versionId: 'v1', document, createDate: p.createDate };
    });
  }

  async getPolicy(policyName: string): Promise<RamPolicy | null> {
    return this.policyRow(policyName);
  }

  async listPolicies(page: NamePage): Promise<RamPolicy[]> {
    return this.sql<PolicyRow>('SELECT * FROM ram_policies WHERE name > ? ORDER BY name LIMIT ?').all(page.after ?? '', page.limit).map(toPolicy);
  }

  async deletePolicy(policyName: string): Promise<void> {
    await this.writeIdentity(() => {
      const p = this.mustPolicy(policyName);
      for (const [kind, code] of [['User', 'DeleteConflict.Policy.User'], ['Group', 'DeleteConflict.Policy.Group'], ['Role', 'DeleteConflict.Policy.Role']] as const) {
        const n = this.count("SELECT count(*) AS n FROM ram_attachments WHERE policy_type = 'Custom' AND policy_name = ? AND principal_kind = ?", policyName, kind);
        if (n > 0) throw new AppError(code);
      }
      if (this.count('SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = ?', policyName) > 1) throw new AppError('DeleteConflict.Policy.Version');
      this.sql('DELETE FROM ram_policy_versions WHERE policy_name = ?').run(p.policyName);
      this.sql('DELETE FROM ram_policies WHERE name = ?').run(p.policyName);
    });
  }

  async createPolicyVersion(policyName: string, document: string, now: number, opts: CreateVersionOptions): Promise<RamPolicyVersion> {
    return this.writeIdentity((): RamPolicyVersion => {
      const p = this.mustPolicy(policyName);
      const row = this.sql<{ next_version: number }>('SELECT next_version FROM ram_policies WHERE name = ?').get(policyName)!;
      if (this.count('SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = ?', policyName) >= opts.maxVersions) {
        const defaultNum = versionNumber(p.defaultVersion);
        const oldest = this.sql<{ version_num: number }>(
          'SELECT version_num FROM ram_policy_versions WHERE policy_name = ? AND version_num != ? ORDER BY version_num LIMIT 1',
        ).get(policyName, defaultNum);
        if (!opts.rotate || !oldest) throw new AppError('LimitExceeded.Policy.Version');
        this.sql('DELETE FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?').run(policyName, oldest.version_num);
      }
      const num = row.next_version;
      this.sql('INSERT INTO ram_policy_versions (policy_name, version_num, document, created) VALUES (?, ?, ?, ?)').run(policyName, num, document, now);
      const versionId = `v${num}`;
      this.sql('UPDATE ram_policies SET next_version = ?, updated = ?, default_version = ? WHERE name = ?')
        .run(num + 1, now, opts.setAsDefault ? versionId : p.defaultVersion, policyName);
      return { policyName, versionId, document, createDate: now };
    });
  }

  async getPolicyVersion(policyName: string, versionId: string): Promise<RamPolicyVersion | null> {
    const num = versionNumber(versionId);
    const row = this.sql<VersionRow>('SELECT * FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?').get(policyName, num);
    return row ? toVersion(row) : null;
  }

  async listPolicyVersions(policyName: string): Promise<RamPolicyVersion[]> {
    return this.sql<VersionRow>('SELECT * FROM ram_policy_versions WHERE policy_name = ? ORDER BY version_num DESC').all(policyName).map(toVersion);
  }

  async setDefaultPolicyVersion(policyName: string, versionId: string, now: number): Promise<void> {
    await this.writeIdentity(() => {
      this.mustPolicy(policyName);
      if (this.count('SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?', policyName, versionNumber(versionId)) === 0) {
        throw new AppError('EntityNotExist.Policy.Version');
      }
      this.sql('UPDATE ram_policies SET default_version = ?, updated = ? WHERE name = ?').run(versionId, now, policyName);
    });
  }

  async deletePolicyVersion(policyName: string, versionId: string): Promise<void> {
    await this.writeIdentity(() => {
      const p = this.mustPolicy(policyName);
      const num = versionNumber(versionId);
      if (this.count('SELECT count(*) AS n FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?', policyName, num) === 0) {
        throw new AppError('EntityNotExist.Policy.Version');
      }
      if (p.defaultVersion === versionId) throw new AppError('DeleteConflict.Policy.Version.Default');
      this.sql('DELETE FROM ram_policy_versions WHERE policy_name = ? AND version_num = ?').run(policyName, num);
    });
  }

  async attachPolicy(a: RamAttachment, limit: number): Promise<void> {
    await this.writeIdentity(() => {
      const table = { User: ['ram_users', 'user_id'], Group: ['ram_groups', 'group_id'], Role: ['ram_roles', 'role_id'] }[a.principalKind];
      if (this.count(`SELECT count(*) AS n FROM ${table[0]} WHERE ${table[1]} = ?`, a.principalId) === 0) {
        throw new AppError(`EntityNotExist.${a.principalKind}`);
      }
      if (a.policyType === 'Custom') this.mustPolicy(a.policyName);
      const existing = this.count(
        'SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = ? AND principal_id = ? AND policy_type = ? AND policy_name = ?',
        a.principalKind, a.principalId, a.policyType, a.policyName,
      );
      if (existing > 0) throw new AppError(`EntityAlreadyExists.${a.principalKind}.Policy`);
      const n = this.count(
        'SELECT count(*) AS n FROM ram_attachments WHERE principal_kind = ? AND principal_id = ? AND policy_type = ?',
        a.principalKind, a.principalId, a.policyType,
      );
      if (n >= limit) throw new AppError(`LimitExceeded.${a.principalKind}.Policy`);
      this.sql('INSERT INTO ram_attachments (principal_kind, principal_id, policy_type, policy_name, attached) VALUES (?, ?, ?, ?, ?)')
        .run(a.principalKind, a.principalId, a.policyType, a.policyName, a.attachDate);
    });
  }

  async detachPolicy(kind: RamPrincipalKind, principalId: string, policyType: PolicyType, policyName: string): Promise<void> {
    await this.writeIdentity(() => {
      const res = this.sql('DELETE FROM ram_attachments WHERE principal_kind = ? AND principal_id = ? AND policy_type = ? AND policy_name = ?')
        .run(kind, principalId, policyType, policyName);
      if (res.changes === 0) throw new AppError(`EntityNotExist.${kind}.Policy`);
    });
  }

  async listAttachments(kind: RamPrincipalKind, principalId: string): Promise<RamAttachment[]> {
    return this.sql<AttachmentRow>('SELECT * FROM ram_attachments WHERE principal_kind = ? AND principal_id = ? ORDER BY attached, policy_type, policy_name')
      .all(kind, principalId).map(toAttachment);
  }

  async listAttachmentsForPolicy(policyType: PolicyType, policyName: string): Promise<RamAttachment[]> {
    return this.sql<AttachmentRow>('SELECT * FROM ram_attachments WHERE policy_type = ? AND policy_name = ? ORDER BY attached, principal_kind, principal_id')
      .all(policyType, policyName).map(toAttachment);
  }

  async countAttachments(policyType: PolicyType, policyName: string): Promise<number> {
    return this.count('SELECT count(*) AS n FROM ram_attachments WHERE policy_type = ? AND policy_name = ?', policyType, policyName);
  }

  async claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    return this.write((): boolean => {
      this.sql('DELETE FROM rpc_nonces WHERE expires <= ?').run(now);
      const res = this.sql('INSERT INTO rpc_nonces (nonce, expires) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING').run(nonce, expiresAt);
      return res.changes === 1;
    });
  }

  async close(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    if (this.db.open) this.db.close();
  }
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
