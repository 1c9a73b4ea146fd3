import { createHash } from 'node:crypto';
import type { Bucket } from '../../../domain/model.js';
import type { BucketConfigDecider, BucketIncarnation, BucketKeep, BucketListQuery, BucketPatch, BucketStatLine, CapacityGuard, ConfigEntry, ConfigEntryDecider } from '../types.js';
import { isIncarnation } from '../types.js';
import { accountConfigKey, collectionConfigKey, collectionKeyRange, indexConfigKey, toBucket, withConfig, type BucketRow } from '../data-rows.js';
import type { Queryable } from './base.js';
import { PgIdentityStore } from './identity.js';
import { beforeNul, BUCKET_COLUMNS, hasNul, SQL } from './statements.js';

/** The advisory lock of a bucket's capacity-checked writes (its own namespace: no key lock id is made this way). */
function capacityLockId(bucket: string): string {
  return createHash('sha1').update('alunite:storage-capacity\0').update(bucket).digest().readBigInt64BE(0).toString();
}

/** One row's document of the generic bucket_configs store (null: none). */
async function getConfigRow(c: Queryable, key: string, name: string): Promise<string | null> {
  if (hasNul(name)) return null;
  const { rows } = await c.query<{ document: string }>('SELECT document FROM bucket_configs WHERE bucket = $1 AND name = $2', [key, name]);
  return rows[0]?.document ?? null;
}

/** Sets (or, null, removes) one row of the generic bucket_configs store. */
async function setConfigRow(c: Queryable, key: string, name: string, document: string | null): Promise<void> {
  if (document === null) await c.query('DELETE FROM bucket_configs WHERE bucket = $1 AND name = $2', [key, name]);
  else {
    await c.query(
      `INSERT INTO bucket_configs (bucket, name, document) VALUES ($1, $2, $3)
       ON CONFLICT (bucket, name) DO UPDATE SET document = EXCLUDED.document`,
      [key, name, document],
    );
  }
}

/**
 * Buckets and what `bucket_configs` holds (a bucket's configurations, an account's, the store-wide indexes, a bucket's
 * collections), the bucket records cached until a bucket write of any process moves the counter (base.ts), and a
 * write's capacity check: the first layer of the PostgreSQL MetadataStore (store.ts) above RAM identities.
 */
export abstract class PgBucketStore extends PgIdentityStore {
  async createBucket(b: Bucket): Promise<'created' | 'exists'> {
    return this.writeBucket(async (c) => {
      const res = await c.query(
        `INSERT INTO buckets (name, owner, created_at, region, acl, storage_class, redundancy, policy, cors)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING`,
        [b.name, b.ownerAccountId, b.createdAt, b.region, b.acl, b.storageClass, b.redundancyType, b.policy, b.cors === null ? null : JSON.stringify(b.cors)],
      );
      const created = res.rowCount === 1;
      return { result: created ? 'created' : 'exists', changed: created };
    });
  }

  /** Cached per name; the cache drops on this process's bucket writes and on other processes' (refreshSharedState). */
  cachedBucket(name: string): Bucket | null | undefined {
    return this.bucketCache.get(name) as Bucket | null | undefined;
  }

  async getBucket(name: string): Promise<Bucket | null> {
    // No bucket name holds U+0000 (statements.ts hasNul); one reaches here from a copy source's `%00`.
    if (hasNul(name)) return null;
    const hit = this.bucketCache.get(name) as Bucket | null | undefined;
    if (hit !== undefined) return hit;
    const generation = this.bucketGeneration();
    const { rows } = await this.pool.query<BucketRow>({ name: 'get-bucket', text: SQL.getBucket, values: [name] });
    const bucket = rows[0] ? toBucket(rows[0]) : null;
    // A write that committed while we read moved the generation: the row read may predate it.
    if (generation === this.bucketGeneration()) {
      if (this.bucketCache.size > 10_000) this.bucketCache.clear();
      this.bucketCache.set(name, bucket);
    }
    return bucket;
  }

  async listBuckets(q: BucketListQuery): Promise<Bucket[]> {
    const values: unknown[] = [q.after ?? ''];
    let where = 'name > $1';
    if (q.prefix !== '') {
      values.push(q.prefix);
      where += ` AND starts_with(name, $${values.length})`;
    }
    if (q.owner !== undefined) {
      values.push(q.owner);
      where += ` AND owner = $${values.length}`;
    }
    let columns = BUCKET_COLUMNS;
    if (q.configs !== undefined) {
      // Only the configurations asked for (BucketListQuery.configs).
      values.push([...q.configs]);
      columns = `b.*, (SELECT coalesce(json_object_agg(c.name, c.document), '{}')::text FROM bucket_configs c WHERE c.bucket IN (b.name, '/account/' || b.owner) AND c.name = ANY($${values.length}::text[])) AS configs`;
    }
    values.push(q.limit);
    const { rows } = await this.pool.query<BucketRow>(`SELECT ${columns} FROM buckets b WHERE ${where} ORDER BY name LIMIT $${values.length}`, values);
    return rows.map(toBucket);
  }

  /** The sum of the bucket's shards: a plain read (no row written or locked, whatever their number). */
  async bucketStats(bucket: string): Promise<BucketStatLine[]> {
    const { rows } = await this.pool.query<{ kind: BucketStatLine['kind']; storage_class: string; count: string; bytes: string; billed: string; updated: string }>(
      `SELECT kind, storage_class, sum(count) AS count, sum(bytes) AS bytes, sum(billed) AS billed, max(updated) AS updated
         FROM bucket_stats WHERE bucket = $1 GROUP BY kind, storage_class`,
      [bucket],
    );
    return rows.map((r) => ({ kind: r.kind, storageClass: r.storage_class, count: Number(r.count), bytes: Number(r.bytes), billed: Number(r.billed), updated: Number(r.updated) }));
  }

  async countBuckets(owner: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM buckets WHERE owner = $1', [owner]);
    return rows[0]!.n;
  }

  async updateBucket(name: string, patch: BucketPatch, sameBucket?: BucketIncarnation): Promise<Bucket | null> {
    const sets: string[] = [];
    const values: unknown[] = [name];
    if (patch.acl !== undefined) {
      values.push(patch.acl);
      sets.push(`acl = $${values.length}`);
    }
    if (patch.policy !== undefined) {
      values.push(patch.policy);
      sets.push(`policy = $${values.length}`);
    }
    if (patch.cors !== undefined) {
      values.push(patch.cors === null ? null : JSON.stringify(patch.cors));
      sets.push(`cors = $${values.length}`);
    }
    if (patch.redundancyType !== undefined) {
      values.push(patch.redundancyType);
      sets.push(`redundancy = $${values.length}`);
    }
    // Another bucket of the name (deleted and created again since the write was authorized) is none: the UPDATE
    // matches only that incarnation's row.
    const where = sameBucket === undefined ? '' : ` AND owner = $${values.push(sameBucket.ownerAccountId)} AND created_at = $${values.push(sameBucket.createdAt)}`;
    return this.writeBucket(async (c) => {
      const updated = sets.length > 0 ? (await c.query(`UPDATE buckets SET ${sets.join(', ')} WHERE name = $1${where}`, values)).rowCount ?? 0 : 0;
      const { rows } = await c.query<BucketRow>(SQL.getBucket, [name]);
      const bucket = rows[0] ? toBucket(rows[0]) : null;
      return { result: bucket !== null && isIncarnation(bucket, sameBucket) ? bucket : null, changed: updated > 0 };
    });
  }

  /** The bucket row is locked FOR UPDATE while deciding, so racing processes apply their changes one after another. */
  async updateBucketConfig(name: string, config: string, decide: BucketConfigDecider, sameBucket?: BucketIncarnation): Promise<Bucket | null> {
    return this.writeBucket(async (c) => {
      // Lock first, then read in a second statement: a statement that waited for the lock still sees the
      // bucket_configs rows of its own (older) snapshot, so a racing decider's change would be missed.
      const locked = await c.query('SELECT 1 FROM buckets WHERE name = $1 FOR UPDATE', [name]);
      if (locked.rows.length === 0) return { result: null, changed: false };
      const { rows } = await c.query<BucketRow>(SQL.getBucket, [name]);
      const bucket = toBucket(rows[0]!);
      // Another bucket of the name (deleted and created again since the write was authorized) is none.
      if (!isIncarnation(bucket, sameBucket)) return { result: null, changed: false };
      const current = bucket.configs[config] ?? null;
      const next = decide(current, bucket);
      if (next === current) return { result: bucket, changed: false };
      await setConfigRow(c, name, config, next);
      // A write: the record with this document in place, without reading and decoding every configuration again.
      if (next !== null) return { result: withConfig(bucket, config, next), changed: true };
      const after = await c.query<BucketRow>(SQL.getBucket, [name]);
      return { result: toBucket(after.rows[0]!), changed: true };
    });
  }

  async getAccountConfig(accountId: string, name: string): Promise<string | null> {
    return getConfigRow(this.pool, accountConfigKey(accountId), name);
  }

  /** Moves the bucket counter, so every process drops its cached bucket records (they carry the account's configurations). */
  async putAccountConfig(accountId: string, name: string, document: string | null): Promise<void> {
    await this.writeBucket(async (c) => {
      const key = accountConfigKey(accountId);
      await setConfigRow(c, key, name, document);
      return { result: undefined, changed: true };
    });
  }

  // Store-wide lookup indexes (access point aliases): single statements; not in bucket records, so no counter moves.
  async getIndexEntry(index: string, key: string): Promise<string | null> {
    return getConfigRow(this.pool, indexConfigKey(index), key);
  }

  async putIndexEntry(index: string, key: string, value: string | null): Promise<void> {
    await setConfigRow(this.pool, indexConfigKey(index), key, value);
  }

  /**
   * One statement each way, so the comparison and the write are atomic: an insert that yields to any existing row,
   * an update or delete conditioned on the document held. A swap that wrote moves the `buckets` counter in its
   * transaction, so every process sees it before its next request (indexGeneration); swaps are rare (PutCname).
   */
  async swapIndexEntry(index: string, key: string, expected: string | null, value: string | null): Promise<boolean> {
    if (hasNul(key)) return false;
    const at = indexConfigKey(index);
    if (expected === null && value === null) return (await getConfigRow(this.pool, at, key)) === null;
    return this.writeBucket(async (c) => {
      const r = expected === null
        ? await c.query('INSERT INTO bucket_configs (bucket, name, document) VALUES ($1, $2, $3) ON CONFLICT (bucket, name) DO NOTHING', [at, key, value])
        : value === null
          ? await c.query('DELETE FROM bucket_configs WHERE bucket = $1 AND name = $2 AND document = $3', [at, key, expected])
          : await c.query('UPDATE bucket_configs SET document = $4 WHERE bucket = $1 AND name = $2 AND document = $3', [at, key, expected, value]);
      const swapped = r.rowCount === 1;
      return { result: swapped, changed: swapped };
    });
  }

  indexGeneration(): number {
    return this.bucketGeneration();
  }

  async listIndexEntries(index: string, q: { prefix: string; after: string; limit: number }): Promise<ConfigEntry[]> {
    return this.listConfigRows(indexConfigKey(index), q);
  }

  /**
   * The entry's key is locked for the transaction (an advisory lock on its hash, so an entry not yet written is locked
   * too): updates of one entry apply one after another across processes. No counter moves (nothing caches these).
   */
  async updateIndexEntry(index: string, key: string, decide: (current: string | null) => string | null): Promise<void> {
    if (hasNul(key)) throw new Error('an index key cannot hold NUL');
    const at = indexConfigKey(index);
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${at}\n${key}`]);
      const current = await getConfigRow(c, at, key);
      const next = decide(current);
      if (next !== current) await setConfigRow(c, at, key, next);
    });
  }

  // A bucket's configuration collections: rows of their own, not in bucket records, so no counter moves.
  async getConfigEntry(bucket: string, collection: string, id: string): Promise<string | null> {
    return getConfigRow(this.pool, collectionConfigKey(bucket, collection), id);
  }

  async listConfigEntries(bucket: string, collection: string, q: { prefix: string; after: string; limit: number }): Promise<ConfigEntry[]> {
    return this.listConfigRows(collectionConfigKey(bucket, collection), q);
  }

  /** The rows of one bucket_configs key in name order (a collection's entries, an index's). */
  private async listConfigRows(key: string, q: { prefix: string; after: string; limit: number }): Promise<ConfigEntry[]> {
    if (hasNul(q.prefix)) return [];
    const { rows } = await this.pool.query<ConfigEntry>(
      `SELECT name AS id, document FROM bucket_configs WHERE bucket = $1 AND name > $2 AND name >= $3
         AND left(name, char_length($3)) = $3 ORDER BY name LIMIT $4`,
      [key, beforeNul(q.after), q.prefix, q.limit],
    );
    return rows;
  }

  async countConfigEntries(bucket: string, collection: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM bucket_configs WHERE bucket = $1', [collectionConfigKey(bucket, collection)]);
    return Number(rows[0]!.n);
  }

  /**
   * The bucket row is locked FOR NO KEY UPDATE while deciding: updates of a bucket's entries apply one after another
   * across processes (a count limit holds), without blocking object writes' key-share locks.
   */
  async updateConfigEntry(bucket: string, collection: string, id: string, decide: ConfigEntryDecider, sameBucket?: BucketIncarnation): Promise<boolean> {
    const key = collectionConfigKey(bucket, collection);
    return this.tx(async (c) => {
      const locked = await c.query<{ owner: string; created_at: string | number }>('SELECT owner, created_at FROM buckets WHERE name = $1 FOR NO KEY UPDATE', [bucket]);
      const row = locked.rows[0];
      if (row === undefined) return false;
      // Another bucket of the name (deleted and created again since the write was authorized) is none.
      if (!isIncarnation({ ownerAccountId: row.owner, createdAt: Number(row.created_at) }, sameBucket)) return false;
      const { rows } = await c.query<{ document: string | null; n: string }>(
        'SELECT (SELECT document FROM bucket_configs WHERE bucket = $1 AND name = $2) AS document, (SELECT count(*) FROM bucket_configs WHERE bucket = $1) AS n',
        [key, id],
      );
      const current = rows[0]!.document;
      const next = decide(current, Number(rows[0]!.n));
      if (next === current) return true;
      await setConfigRow(c, key, id, next);
      return true;
    });
  }

  async deleteBucket(name: string, keep?: BucketKeep): Promise<'deleted' | 'missing' | 'not-empty' | 'kept'> {
    return this.writeBucket(async (c) => {
      const { rows } = await c.query('SELECT 1 FROM buckets WHERE name = $1 FOR UPDATE', [name]);
      if (rows.length === 0) return { result: 'missing' as const, changed: false };
      const busy = await c.query(`SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = $1) OR EXISTS (SELECT 1 FROM object_versions WHERE bucket = $1)
          OR EXISTS (SELECT 1 FROM uploads WHERE bucket = $1) AS busy`, [name]);
      if ((busy.rows[0] as { busy: boolean }).busy) return { result: 'not-empty' as const, changed: false };
      // Read under the bucket row's lock: a configuration write (which locks the row too) cannot slip in between.
      const kept = keep === undefined ? null : await getConfigRow(c, name, keep.config);
      if (kept !== null && keep!.holds(kept)) return { result: 'kept' as const, changed: false };
      await c.query('DELETE FROM bucket_configs WHERE bucket = $1', [name]);
      await c.query('DELETE FROM bucket_configs WHERE bucket >= $1 AND bucket < $2', collectionKeyRange(name));
      await c.query('DELETE FROM buckets WHERE name = $1', [name]);
      return { result: 'deleted' as const, changed: true };
    });
  }

  /**
   * Runs a write between two readings of the bucket's Storage, handed to the capacity guard when there is one. The
   * bucket's capacity lock, taken first (before any key lock, so lock order is the same in every write), holds off
   * its other capacity-checked writes until this transaction ends; their shards' rows are committed (or not) by
   * then, and each statement under READ COMMITTED sees what they committed. Writes of other buckets, and of
   * buckets without a capacity, take no such lock.
   */
  protected async withinCapacity<T>(c: Queryable, bucket: string, capacity: CapacityGuard | undefined, fn: () => Promise<T>): Promise<T> {
    if (capacity === undefined) return fn();
    await c.query({ name: 'lock-capacity', text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [capacityLockId(bucket)] });
    const before = await this.storageNow(c, bucket);
    const out = await fn();
    capacity.check(before, await this.storageNow(c, bucket));
    return out;
  }

  /** The bucket's Storage (object versions' and uploaded parts' bytes, all shards) as this statement sees it. */
  private async storageNow(c: Queryable, bucket: string): Promise<number> {
    const { rows } = await c.query<{ b: string }>({
      name: 'storage-now', text: "SELECT coalesce(sum(bytes), 0)::text AS b FROM bucket_stats WHERE bucket = $1 AND kind IN ('object', 'part')", values: [bucket],
    });
    return Number(rows[0]?.b ?? 0);
  }
}
