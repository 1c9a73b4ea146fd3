import type pg from 'pg';
import type { MetadataStore } from '../types.js';
import { KEY_CHECK_DOC } from '../types.js';
import { addSegmentBlobIds } from '../data-rows.js';
import { PgBase, type PostgresStoreOptions } from './base.js';
import { PgUploadStore } from './uploads.js';

export { bytesSuccessor, listObjectsSql } from './listings.js';

/** How often each process folds the statistics rows of gone connections (bucket_stats), and at most how many per run. */
const STAT_FOLD_EVERY_MS = 60_000;
const STAT_FOLD_MAX_ROWS = 10_000;

/** What `reset()` empties (replay nonces, leases, counters and the key-rotation history stay). */
const PG_RESET_TABLES = [
  'buckets', 'bucket_configs', 'objects', 'object_versions', 'uploads', 'parts', 'bucket_stats',
  'ram_users', 'ram_access_keys', 'ram_groups', 'ram_group_members', 'ram_roles', 'ram_policies', 'ram_policy_versions', 'ram_attachments',
  // RAM identity documents
  'ram_documents',
  // federation
  'ram_identity_providers',
] as const;

/**
 * PostgreSQL metadata store (pooled `pg`), for several Alunite processes sharing one database. Same
 * contract as the SQLite store: every conditional write is decided inside one transaction holding the
 * row lock (SELECT … FOR UPDATE; an insert race meets the primary key through ON CONFLICT DO NOTHING
 * and is decided again against the winner's row), so two processes racing on one key get one winner.
 * Listings are range scans of the (bucket, key) primary key with keyset bounds, never OFFSET.
 *
 * Split by concern into layers as the SQLite store is, each a class extending the one below: the pool, transactions
 * and shared counters (base.ts), RAM identities (users.ts, groups.ts, roles.ts,
 * policies.ts, identity-providers.ts, identity.ts), buckets and their configurations (buckets.ts), objects
 * and versions (objects.ts), removals (removals.ts), listings (listings.ts), multipart uploads (uploads.ts), their SQL
 * in statements.ts; here what spans them all (opening, the statistics fold, the blob ids in use, reset), and the
 * MetadataStore interface the whole implements. The schema is in schema.ts.
 */
export class PostgresMetadataStore extends PgUploadStore implements MetadataStore {
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
      for (const [segments] of vsegs.rows) addSegmentBlobIds(ids, segments);
      for (const [segments] of segs.rows) addSegmentBlobIds(ids, segments);
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
      for (const [segments] of segs.rows) addSegmentBlobIds(out, segments);
      const vsegs = await c.query<[string]>({ text: 'DELETE FROM object_versions RETURNING segments', rowMode: 'array' });
      for (const [segments] of vsegs.rows) addSegmentBlobIds(out, segments);
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
}
