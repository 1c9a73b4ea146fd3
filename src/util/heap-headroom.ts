import { setFlagsFromString } from 'node:v8';

/**
 * Fixes V8's old-generation growing factor for the server process at 2 (limit = live heap × 2 after each major
 * collection) unless node was given one (`--heap-growing-percent`).
 *
 * Why: V8 counts the external memory (Buffers) allocated since its last major collection against the old
 * generation's limit, and large transfers allocate a Buffer per socket read (node's HTTP parser copies each
 * body piece) that lives only until the next minor collection. When little JavaScript reaches the old
 * generation, as in a server moving bytes, V8's dynamic factor falls to its floor of 1.1, so a few MiB of such
 * short-lived Buffers start a major collection, whose marking costs as much as the live heap is large. After
 * the small-request phases of `npm run bench` (live heap ~35 MB) that was a major collection every ~100 ms
 * of a large transfer and 37 % of the server's CPU in it (perf, docs/operations.md).
 * The cost: the heap may grow to twice what is live before it is collected.
 */
export function widenHeapHeadroom(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('heap-growing-percent') || a.includes('heap_growing_percent'));
  if (!given) setFlagsFromString('--heap-growing-percent=100');
}
