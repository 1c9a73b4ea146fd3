import type { ObjectRecord, ObjectSummary, VersionSummary } from '../../../domain/model.js';
import type { ListObjectsQuery, ListVersionsQuery, NoncurrentCursor, ScanObjectsQuery } from '../types.js';
import { mergeVersions, NULL_VERSION } from '../versions.js';
import { PgRemovalStore } from './removals.js';
import { keyBytes, OBJECT_COLUMNS, toObject, type ObjectRow } from './statements.js';

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
 * Listings: objects and versions (ListObjects, ListObjectVersions), what lifecycle rules page through (noncurrent
 * versions, current delete markers) and the metadata query's scan, keyset-paged (never OFFSET) within the key bounds
 * `keyRange` makes (ListMultipartUploads uses them too). A layer of the PostgreSQL MetadataStore (store.ts), above
 * removals.ts.
 */
export abstract class PgListingStore extends PgRemovalStore {
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
    const merged = mergeVersions(objs.rows.map(versionSummary), vers, rest, (a, b) => Buffer.compare(a.keyBytes, b.keyBytes));
    return [...sameKey, ...merged.map(({ keyBytes: _, ...entry }) => entry)];
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

  async listObjects(bucket: string, q: ListObjectsQuery): Promise<ObjectSummary[]> {
    // Rows as arrays (no object per row), key bytes decoded once.
    const res = await this.pool.query<[Buffer, number, string, string, string, number]>({ ...listObjectsSql(bucket, q), rowMode: 'array' });
    return res.rows.map(([key, size, etag, type, storageClass, lastModified]) => ({
      key: key.toString('utf8'), size, etag, type: type as ObjectSummary['type'], storageClass: storageClass as ObjectSummary['storageClass'], lastModified,
    }));
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
export function keyRange(values: unknown[], prefix: string, after: string | undefined, skipPrefix: string | undefined): { where: string; values: unknown[] } {
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
