import type Database from 'better-sqlite3';
import type { ObjectRecord, ObjectSummary, VersionSummary } from '../../../domain/model.js';
import type { ListObjectsQuery, ListVersionsQuery, NoncurrentCursor, ScanObjectsQuery } from '../types.js';
import { toObject } from '../data-rows.js';
import { mergeVersions, NULL_VERSION, seqOfVersionId } from '../versions.js';
import { SqliteRemovalStore } from './removals.js';
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
 * Listings: objects and versions (ListObjects, ListObjectVersions), what lifecycle rules page through (noncurrent
 * versions, current delete markers) and the metadata query's scan, keyset-paged within the key bounds `rangeWhere`
 * makes (ListMultipartUploads uses them too). A layer of the SQLite MetadataStore (store.ts), above removals.ts.
 */
export abstract class SqliteListingStore extends SqliteRemovalStore {
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

  // Metadata query (docs/meta-query.md): full current records in key order, without inline bytes.
  async scanObjects(bucket: string, q: ScanObjectsQuery): Promise<ObjectRecord[]> {
    const { where, params } = rangeWhere(q.prefix, q.after, undefined);
    const rows = this.sql<ObjectRow>(`SELECT * FROM objects WHERE bucket = ?${where} ORDER BY key LIMIT ?`).all(bucket, ...params, q.limit);
    return rows.map((row) => toObject(row, null));
  }
}

/** Range conditions on `key` for a prefix, an exclusive start and a skipped sub-prefix. */
export function rangeWhere(prefix: string, after: string | undefined, skipPrefix: string | undefined): { where: string; params: unknown[] } {
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
