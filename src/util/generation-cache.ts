/**
 * A bounded map whose entries are valid only while a generation number has not moved (e.g. the store's
 * identity generation, bumped by every identity write): a changed generation empties it at once.
 */
export class GenerationCache<K, V> {
  private readonly entries = new Map<K, V>();
  private generation = Number.NaN;

  constructor(
    private readonly currentGeneration: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: K): V | undefined {
    this.sync();
    return this.entries.get(key);
  }

  /**
   * The cached value, without a promise (callers await either: a hit costs no microtask turn), or `load()`'s,
   * remembered under the generation read before loading.
   */
  getOrLoad(key: K, load: () => Promise<V>): V | Promise<V> {
    const generation = this.currentGeneration();
    this.sync();
    if (this.entries.has(key)) return this.entries.get(key) as V;
    return load().then((value) => {
      this.setAt(generation, key, value);
      return value;
    });
  }

  /** Remembers `value` if the generation is still the one read before it was computed. */
  setAt(generation: number, key: K, value: V): void {
    this.sync();
    if (generation !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, value);
  }

  generationNow(): number {
    return this.currentGeneration();
  }

  private sync(): void {
    const g = this.currentGeneration();
    if (g !== this.generation) {
      this.entries.clear();
      this.generation = g;
    }
  }
}
