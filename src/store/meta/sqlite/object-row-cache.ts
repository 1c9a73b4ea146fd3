/**
 * Object rows that reads (GetObject, HeadObject) fetched, kept until the next write commits. SQLite is
 * owned by this one process (locking_mode EXCLUSIVE) and every write goes through SqliteBase.commitBatch,
 * which bumps the write generation before its transaction runs: a row cached under an older generation
 * is never returned, so a hit is exactly what the database would answer now. A read-heavy stream of small
 * GETs skips the statement, the row's conversion and (for inline objects) the copy out of SQLite.
 * Bounded by entries and inline bytes; when full it keeps what it has (until the next write) and adds nothing.
 */
export const OBJECT_ROW_CACHE_MAX_ENTRIES = 4096;
export const OBJECT_ROW_CACHE_MAX_BYTES = 16 * 1024 * 1024;

export class ObjectRowCache<R extends { inline_data: Buffer | null }> {
  private readonly buckets = new Map<string, Map<string, R | null>>();
  private generation = -1;
  private entries = 0;
  private bytes = 0;

  constructor(private readonly maxEntries = OBJECT_ROW_CACHE_MAX_ENTRIES, private readonly maxBytes = OBJECT_ROW_CACHE_MAX_BYTES) {}

  /** The row cached for the key (null: known missing), or undefined when not cached under `generation`. */
  get(bucket: string, key: string, generation: number): R | null | undefined {
    if (generation !== this.generation) {
      this.clear(generation);
      return undefined;
    }
    return this.buckets.get(bucket)?.get(key);
  }

  set(bucket: string, key: string, row: R | null, generation: number): void {
    if (generation !== this.generation) this.clear(generation);
    const size = row?.inline_data?.length ?? 0;
    // Full: what is in stays until the next write, and this row is not kept. (Emptying and refilling would
    // keep nothing for a read stream over more keys than fit, and churn the old generation of the heap.)
    if (this.entries >= this.maxEntries || this.bytes + size > this.maxBytes) return;
    let rows = this.buckets.get(bucket);
    if (rows === undefined) {
      rows = new Map();
      this.buckets.set(bucket, rows);
    }
    if (rows.has(key)) return;
    rows.set(key, row);
    this.entries++;
    this.bytes += size;
  }

  get size(): number {
    return this.entries;
  }

  private clear(generation: number): void {
    if (this.entries > 0) this.buckets.clear();
    this.entries = 0;
    this.bytes = 0;
    this.generation = generation;
  }
}
