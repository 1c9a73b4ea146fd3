import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** Room V8 leaves above the live heap before its next major collection: at least this, and at least the live heap. */
const MIN_HEADROOM = 64 * 1024 * 1024;
const MIN_PERCENT = 100;
/** At most a limit of 7 × live (a live heap under ~11 MiB gets less than 64 MiB of room). */
const MAX_PERCENT = 600;
const STEP_PERCENT = 25;

/**
 * Gives the server's heap room above what is live before V8 starts a major collection: the old generation's
 * limit after each major collection becomes live + max(live, 64 MiB) (at most 7 × live), set through V8's growing factor
 * (`--heap-growing-percent`, recomputed after every major collection; at most 7 × live), unless node was given
 * a factor.
 *
 * Why: V8 counts the external memory (Buffers) allocated since its last major collection against that limit,
 * and large transfers allocate a Buffer per socket read (node's HTTP parser copies each body piece) that lives
 * only until the next minor collection. When little JavaScript reaches the old generation, as in a server
 * moving bytes, V8's own factor falls to its floor of 1.1 (and a fresh heap's limit is small anyway), so a few
 * MiB of such short-lived Buffers start a major collection, whose marking costs as much as the live heap is
 * large. In `npm run bench` that was a major collection every ~100 ms of a large transfer and 37 % of the
 * server's CPU in it; a multipart upload of 1 GiB into a fresh server ran 63 of them (docs/operations.md).
 * The cost: up to max(live, 64 MiB) of garbage may wait for its collection.
 */
export function widenHeapHeadroom(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('heap-growing-percent') || a.includes('heap_growing_percent'));
  if (given) return;
  let current = 0;
  const retune = (): void => {
    // Read just after a major collection: about what survived it. (After a minor one the heap in use includes
    // old garbage, which would shrink the factor just before the collection that applies it.) The factor is
    // applied at the next major collection, to the heap live then: the cap bounds the overshoot when the live
    // heap grew a lot in between.
    const live = Math.max(getHeapStatistics().used_heap_size, 1024 * 1024);
    const wanted = Math.max(MIN_PERCENT, Math.min(MAX_PERCENT, (100 * MIN_HEADROOM) / live));
    const percent = Math.ceil(wanted / STEP_PERCENT) * STEP_PERCENT; // in steps: the flag is set only when it moves
    if (percent === current) return;
    current = percent;
    setFlagsFromString(`--heap-growing-percent=${percent}`);
  };
  retune();
  new PerformanceObserver((list) => {
    const major = (e: PerformanceEntry): boolean => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
    if (list.getEntries().some(major)) retune();
  }).observe({ entryTypes: ['gc'] });
}
