import Database from 'better-sqlite3';
import { AppError } from '../../errors.js';
import type { Bucket, ObjectRecord, ObjectSummary, PartRecord, UploadRecord } from '../../domain/model.js';
import type {
  BucketPatch,
  CompleteDecider,
  CompleteResult,
  ListObjectsQuery,
  ListUploadsQuery,
  MetadataStore,
  ObjectDecider,
  ObjectWriteResult,
} from './types.js';

// Versioned migrations: index i brings the schema from version i to i+1. Never edit a shipped one.
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
     inline_data BLOB,
     PRIMARY KEY (bucket, key)
   ) WITHOUT ROWID;
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
];

export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

interface BucketRow {
  name: string;
  owner: string;
  created_at: number;
  region: string;
  acl: string;
  storage_class: string;
  redundancy: string;
  policy: string | null;
  cors: string | null;
}

interface ObjectRow {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  crc64: string;
  content_md5: string | null;
  type: string;
  storage_class: string;
  acl: string;
  last_modified: number;
  headers: string;
  meta: string;
  tags: string;
  segments: string;
  symlink_target: string | null;
  inline_data: Buffer | null;
}

type SummaryTuple = [key: string, size: number, etag: string, type: string, storageClass: string, lastModified: number];
interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  headers: string;
  meta: string;
  tags: string;
  acl: string;
  storage_class: string;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  crc64: string;
  blob_id: string;
  last_modified: number;
}

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

function toBucket(r: BucketRow): Bucket {
  return {
    name: r.name,
    ownerAccountId: r.owner,
    createdAt: r.created_at,
    region: r.region,
    acl: r.acl as Bucket['acl'],
    storageClass: r.storage_class as Bucket['storageClass'],
    redundancyType: r.redundancy as Bucket['redundancyType'],
    policy: r.policy,
    cors: r.cors === null ? null : (JSON.parse(r.cors) as Bucket['cors']),
  };
}

function toObject(r: ObjectRow): ObjectRecord {
  return {
    bucket: r.bucket,
    key: r.key,
    size: r.size,
    etag: r.etag,
    crc64: r.crc64,
    contentMd5: r.content_md5,
    type: r.type as ObjectRecord['type'],
    storageClass: r.storage_class as ObjectRecord['storageClass'],
    acl: r.acl as ObjectRecord['acl'],
    lastModified: r.last_modified,
    headers: JSON.parse(r.headers) as ObjectRecord['headers'],
    userMeta: JSON.parse(r.meta) as ObjectRecord['userMeta'],
    tags: JSON.parse(r.tags) as ObjectRecord['tags'],
    segments: JSON.parse(r.segments) as ObjectRecord['segments'],
    inline: r.inline_data,
    symlinkTarget: r.symlink_target,
  };
}

function objectParams(o: ObjectRecord): unknown[] {
  return [
    o.bucket, o.key, o.size, o.etag, o.crc64, o.contentMd5, o.type, o.storageClass, o.acl,
    o.lastModified, JSON.stringify(o.headers), JSON.stringify(o.userMeta), JSON.stringify(o.tags),
    JSON.stringify(o.segments), o.symlinkTarget, o.inline,
  ];
}

function toUpload(r: UploadRow): UploadRecord {
  return {
    uploadId: r.upload_id,
    bucket: r.bucket,
    key: r.key,
    initiated: r.initiated,
    headers: JSON.parse(r.headers) as UploadRecord['headers'],
    userMeta: JSON.parse(r.meta) as UploadRecord['userMeta'],
    tags: JSON.parse(r.tags) as UploadRecord['tags'],
    acl: r.acl as UploadRecord['acl'],
    storageClass: r.storage_class as UploadRecord['storageClass'],
  };
}

function toPart(r: PartRow): PartRecord {
  return {
    uploadId: r.upload_id,
    partNumber: r.part_number,
    size: r.size,
    etag: r.etag,
    crc64: r.crc64,
    blobId: r.blob_id,
    lastModified: r.last_modified,
  };
}

export interface SqliteMetadataStoreOptions {
  /** Database file path, or ':memory:'. */
  path: string;
  /** PRAGMA synchronous=FULL (durable on power loss) rather than NORMAL (default true). */
  durable?: boolean;
}

/**
 * SQLite (better-sqlite3, WAL) metadata store. better-sqlite3 is synchronous, which is what makes
 * each decider run atomically inside one transaction; the async signatures are for other engines.
 */
export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly batchTxn: (run: () => void) => void;
  private readonly savepoint: (fn: () => unknown) => unknown;

  constructor(opts: SqliteMetadataStoreOptions) {
    this.db = new Database(opts.path);
    if (opts.path !== ':memory:') {
      // One server process owns the file (several processes share PostgreSQL instead); exclusive
      // locking spares every statement its file-lock system calls.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
    }
    this.db.pragma(`synchronous = ${opts.durable === false ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('foreign_keys = OFF');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
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
           last_modified, headers, meta, tags, segments, symlink_target, inline_data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteObject: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?'),
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
  private pending: Array<{ fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];

  private write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      this.batchTxn(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.savepoint(item.fn) });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.err);
    });
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(`metadata schema version ${version} is newer than this release understands (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  }

  async createBucket(b: Bucket): Promise<'created' | 'exists'> {
    return this.write(() => {
      const res = this.stmts.insertBucket.run(
        b.name, b.ownerAccountId, b.createdAt, b.region, b.acl, b.storageClass, b.redundancyType, b.policy,
        b.cors === null ? null : JSON.stringify(b.cors),
      );
      return res.changes === 1 ? 'created' : 'exists';
    });
  }

  async getBucket(name: string): Promise<Bucket | null> {
    const row = this.stmts.getBucket.get(name);
    return row ? toBucket(row) : null;
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
    return this.write(() => {
      if (sets.length > 0) this.db.prepare(`UPDATE buckets SET ${sets.join(', ')} WHERE name = ?`).run(...params, name);
      const row = this.stmts.getBucket.get(name);
      return row ? toBucket(row) : null;
    });
  }

  async deleteBucket(name: string): Promise<'deleted' | 'missing' | 'not-empty'> {
    return this.write((): 'deleted' | 'missing' | 'not-empty' => {
      if (!this.stmts.getBucket.get(name)) return 'missing';
      if (this.stmts.anyObject.get(name) || this.stmts.anyUpload.get(name)) return 'not-empty';
      this.stmts.deleteBucket.run(name);
      return 'deleted';
    });
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    const row = this.stmts.getObject.get(bucket, key);
    return row ? toObject(row) : null;
  }

  async putObject(bucket: string, key: string, decide: ObjectDecider): Promise<ObjectWriteResult> {
    return this.write((): ObjectWriteResult => {
      const row = this.stmts.getObject.get(bucket, key);
      const current = row ? toObject(row) : null;
      const record = decide(current);
      this.stmts.upsertObject.run(...objectParams(record));
      return { record, replaced: current };
    });
  }

  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    return this.write((): ObjectRecord | null => {
      const row = this.stmts.getObject.get(bucket, key);
      if (!row) return null;
      this.stmts.deleteObject.run(bucket, key);
      return toObject(row);
    });
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
    });
  }

  async completeUpload(uploadId: string, decide: CompleteDecider): Promise<CompleteResult> {
    return this.write((): CompleteResult => {
      const urow = this.stmts.getUpload.get(uploadId);
      if (!urow) throw new AppError('NoSuchUpload', undefined, { UploadId: uploadId });
      const upload = toUpload(urow);
      const parts = this.stmts.allParts.all(uploadId).map(toPart);
      const orow = this.stmts.getObject.get(upload.bucket, upload.key);
      const current = orow ? toObject(orow) : null;
      const record = decide(upload, parts, current);
      const used = new Set(record.segments.map((s) => s.blobId));
      this.stmts.upsertObject.run(...objectParams(record));
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
