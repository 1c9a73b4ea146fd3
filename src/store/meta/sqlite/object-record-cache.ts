import { deepFreeze } from '../../../util/deep-freeze.js';

/**
 * Object records that reads (GetObject, HeadObject) fetched, kept until the next write commits. SQLite is
 * owned by this one process (locking_mode EXCLUSIVE) and every write goes through SqliteBase.commitBatch,
 * which bumps the write generation before its transaction runs: a record cached under an older generation
 * is never returned, so a hit is exactly what the database would answer now. A read-heavy stream of small
 * GETs skips the statement and the row's decoding.
 *
 * Hits hand out the same record, inline bytes included: records from reads are read-only by contract
 * (MetadataStore.getObject). A per-hit copy cost ~5 µs of a ~100 µs GET. Freezing them would enforce the
 * contract but costs more than the copy: frozen and unfrozen records give V8 two shapes for every property
 * access downstream (GET 154 → 196 µs of server CPU in the bench). So records are frozen only where
 * `ALUNITE_CHECK_READONLY=1` (`npm test` sets it: the whole suite runs with them frozen, and a caller that
 * changed one would throw there instead of corrupting the next read). A Buffer cannot be frozen, so in that
 * mode the cache also keeps a copy of each record's inline bytes and a hit whose bytes differ throws.
 * Bounded by entries and inline bytes; when full it keeps what it has (until the next write) and adds nothing.
 */
export const OBJECT_RECORD_CACHE_MAX_ENTRIES = 4096;
export const OBJECT_RECORD_CACHE_MAX_BYTES = 16 * 1024 * 1024;
/**
 * The rest of the records (key, metadata, tags, segments, headers as the row holds them, estimated by the caller):
 * a writer chooses 8 KB of metadata and an appender one segment per append, so 4,096 records of 8 KB metadata
 * kept ~34 MB besides their bytes. Records as clients write them (~0.5-1 KB) still fit 4,096.
 */
export const OBJECT_RECORD_CACHE_MAX_OTHER_BYTES = 8 * 1024 * 1024;
const CHECK_READONLY = process.env.ALUNITE_CHECK_READONLY === '1';

export class ObjectRecordCache<R extends { inline: Buffer | null }> {
  private readonly buckets = new Map<string, Map<string, R | null>>();
  private generation = -1;
  private entries = 0;
  private bytes = 0;
  private otherBytes = 0;
  /** Check mode only: the inline bytes each cached record had when it was cached. */
  private readonly inlineAtCache = new WeakMap<object, Buffer>();

  constructor(
    private readonly maxEntries = OBJECT_RECORD_CACHE_MAX_ENTRIES,
    private readonly maxBytes = OBJECT_RECORD_CACHE_MAX_BYTES,
    private readonly checkReadOnly = CHECK_READONLY,
    private readonly maxOtherBytes = OBJECT_RECORD_CACHE_MAX_OTHER_BYTES,
  ) {}

  /** The record cached for the key (null: known missing), or undefined when not cached under `generation`. */
  get(bucket: string, key: string, generation: number): R | null | undefined {
    if (generation !== this.generation) {
      this.clear(generation);
      return undefined;
    }
    const hit = this.buckets.get(bucket)?.get(key);
    if (this.checkReadOnly && hit != null) this.assertBytesUnchanged(hit, bucket, key);
    return hit;
  }

  /** `other`: the caller's estimate of the record's bytes besides its inline bytes. */
  set(bucket: string, key: string, row: R | null, generation: number, other = 0): void {
    if (generation !== this.generation) this.clear(generation);
    const size = row?.inline?.length ?? 0;
    // Full: what is in stays until the next write, and this row is not kept. (Emptying and refilling would
    // keep nothing for a read stream over more keys than fit, and churn the old generation of the heap.)
    if (this.entries >= this.maxEntries || this.bytes + size > this.maxBytes || this.otherBytes + other > this.maxOtherBytes) return;
    let rows = this.buckets.get(bucket);
    if (rows === undefined) {
      rows = new Map();
      this.buckets.set(bucket, rows);
    }
    if (rows.has(key)) return;
    if (row !== null && this.checkReadOnly) {
      deepFreeze(row);
      if (row.inline !== null) this.inlineAtCache.set(row, Buffer.from(row.inline));
    }
    rows.set(key, row);
    this.entries++;
    this.bytes += size;
    this.otherBytes += other;
  }

  get size(): number {
    return this.entries;
  }

  private assertBytesUnchanged(hit: R, bucket: string, key: string): void {
    const was = this.inlineAtCache.get(hit);
    if (was !== undefined && (hit.inline === null || !was.equals(hit.inline))) {
      throw new Error(`a reader changed the cached inline bytes of ${bucket}/${key} (records from getObject are read-only)`);
    }
  }

  private clear(generation: number): void {
    if (this.entries > 0) this.buckets.clear();
    this.entries = 0;
    this.bytes = 0;
    this.otherBytes = 0;
    this.generation = generation;
  }
}
