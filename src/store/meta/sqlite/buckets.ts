import type { Bucket } from '../../../domain/model.js';
import type { BucketConfigDecider, BucketIncarnation, BucketKeep, BucketListQuery, BucketPatch, BucketStatLine, CapacityGuard, ConfigEntry, ConfigEntryDecider } from '../types.js';
import { isIncarnation } from '../types.js';
import { accountConfigKey, collectionConfigKey, collectionKeyRange, indexConfigKey, toBucket, withConfig } from '../data-rows.js';
import type { SqliteMetadataStoreOptions } from './base.js';
import { SqliteIdentityStore } from './identity.js';
import { prepareStatements, type Statements } from './statements.js';

/**
 * Buckets and what `bucket_configs` holds (a bucket's configurations, an account's, the store-wide indexes, a bucket's
 * collections), the decoded bucket records every request reads, and a write's capacity check: the first layer of the
 * SQLite MetadataStore (store.ts), which prepares the data plane's statements (statements.ts) for the layers above.
 */
export abstract class SqliteBucketStore extends SqliteIdentityStore {
  protected readonly stmts: Statements;

  constructor(opts: SqliteMetadataStoreOptions) {
    super(opts);
    this.stmts = prepareStatements(this.db);
  }

  // Every request reads its bucket (authorization, then the handler): keep decoded rows. This process
  // owns the file (exclusive locking), so its own bucket writes are the only invalidation needed.
  protected readonly bucketCache = new Map<string, Bucket | null>();

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

  /** One row's document of the generic bucket_configs store (null: none). */
  private configRow(key: string, name: string): string | null {
    return this.stmts.getConfig.get(key, name)?.document ?? null;
  }

  /** Sets (or, null, removes) one row of the generic bucket_configs store (inside a write). */
  private setConfigRow(key: string, name: string, document: string | null): void {
    if (document === null) this.stmts.deleteConfig.run(key, name);
    else this.stmts.upsertConfig.run(key, name, document);
  }

  async getAccountConfig(accountId: string, name: string): Promise<string | null> {
    return this.configRow(accountConfigKey(accountId), name);
  }

  async putAccountConfig(accountId: string, name: string, document: string | null): Promise<void> {
    await this.writeBucket(() => {
      this.setConfigRow(accountConfigKey(accountId), name, document);
    }, document === null);
  }

  // Store-wide lookup indexes (access point aliases): not in bucket records, so no bucket cache is dropped.
  async getIndexEntry(index: string, key: string): Promise<string | null> {
    return this.configRow(indexConfigKey(index), key);
  }

  async putIndexEntry(index: string, key: string, value: string | null): Promise<void> {
    await this.write(() => {
      this.setConfigRow(indexConfigKey(index), key, value);
    }, value === null);
  }

  /** One write transaction: SQLite's single writer makes the read and the write one step. */
  async swapIndexEntry(index: string, key: string, expected: string | null, value: string | null): Promise<boolean> {
    const swapped = await this.write(() => {
      const held = this.configRow(indexConfigKey(index), key);
      if (held !== expected) return false;
      if (value === null || value !== held) this.setConfigRow(indexConfigKey(index), key, value);
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
      const current = this.configRow(at, key);
      const next = decide(current);
      if (next === current) return;
      this.setConfigRow(at, key, next);
    });
  }

  private indexGen = 0;

  indexGeneration(): number {
    return this.indexGen;
  }

  // A bucket's configuration collections: rows of their own, not in bucket records, so no bucket cache is dropped.
  async getConfigEntry(bucket: string, collection: string, id: string): Promise<string | null> {
    return this.configRow(collectionConfigKey(bucket, collection), id);
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
      const current = this.configRow(key, id);
      const next = decide(current, this.stmts.countConfigs.get(key)!.n);
      if (next === current) return true;
      this.setConfigRow(key, id, next);
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

  /** Whether the bucket of that name is the one expected (inside a write; ObjectWriteOptions.sameBucket). */
  protected isIncarnation(bucket: string, expected: BucketIncarnation | undefined): boolean {
    if (expected === undefined) return true;
    const row = this.stmts.bucketIncarnation.get(bucket);
    return row !== undefined && row.owner === expected.ownerAccountId && Number(row.created_at) === expected.createdAt;
  }

  /**
   * Runs a write (inside the write transaction) between two readings of the bucket's Storage, handed to the
   * capacity guard when there is one: this store's writes are serialized, so nothing lands between them.
   */
  protected withinCapacity<T>(bucket: string, capacity: CapacityGuard | undefined, fn: () => T): T {
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
}
