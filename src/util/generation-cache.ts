/**
 * A bounded map whose entries are valid only while a generation number has not moved (e.g. the store's
 * identity generation, bumped by every identity write): a changed generation empties it at once.
 */
export class GenerationCache<K, V> {
  private readonly entries = new Map<K, V>();
  private generation = Number.NaN;
  private weight = 0;

  /**
   * At most `maxEntries`, and with `bounds.weigh` (an estimate of an entry's bytes from lengths a client chose:
   * no work beyond that on a hit) at most `bounds.maxWeight` in all: a full cache is emptied and starts over.
   */
  constructor(
    private readonly currentGeneration: () => number,
    private readonly maxEntries = 10_000,
    private readonly bounds?: { readonly maxWeight: number; readonly weigh: (key: K, value: V) => number },
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
    if (this.entries.has(key)) {
      this.entries.set(key, value); // weighed once, when first added
      return;
    }
    const w = this.bounds?.weigh(key, value) ?? 0;
    const maxWeight = this.bounds?.maxWeight ?? Infinity;
    if (w > maxWeight) return;
    if (this.entries.size >= this.maxEntries || this.weight + w > maxWeight) this.clearEntries();
    this.entries.set(key, value);
    this.weight += w;
  }


  get size(): number {
    return this.entries.size;
  }

  /** The sum of the entries' weights (0 without `bounds.weigh`). */
  get totalWeight(): number {
    return this.weight;
  }

  private clearEntries(): void {
    this.entries.clear();
    this.weight = 0;
  }

  generationNow(): number {
    return this.currentGeneration();
  }

  private sync(): void {
    const g = this.currentGeneration();
    if (g !== this.generation) {
      this.clearEntries();
      this.generation = g;
    }
  }
}
