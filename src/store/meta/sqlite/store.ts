import type Database from 'better-sqlite3';
import { AppError } from '../../../errors.js';
import type { ObjectRecord, ObjectSummary, PartRecord, UploadRecord, VersionSummary } from '../../../domain/model.js';
import type {
  CompleteDecider, CompleteResult, ListObjectsQuery, ListUploadsQuery, ListVersionsQuery, MetadataStore, NoncurrentCursor,
} from '../types.js';
import type { BucketIncarnation, ObjectWriteOptions, ScanObjectsQuery } from '../types.js';
import { KEY_CHECK_DOC } from '../types.js';
import { attrsColumn, toObject, toPart, toUpload, type UploadRow } from '../data-rows.js';
import { compareKeys } from '../key-order.js';
import { NULL_VERSION, seqOfVersionId } from '../versions.js';
import { SqliteObjectStore } from './objects.js';
import { RESET_TABLES } from './schema.js';
import type { ObjectRow } from './statements.js';

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
 * The SQLite (better-sqlite3, WAL) metadata store: multipart uploads and listing here; objects and versions in
 * objects.ts, buckets and their configurations in buckets.ts, RAM identities in identity.ts, the database and group
 * commit in base.ts, the schema in schema.ts.
 */
export class SqliteMetadataStore extends SqliteObjectStore implements MetadataStore {
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
