// Preloaded into a spawned server (`--expose-gc --import <this file>`, see heapProbeFlags): on SIGUSR2 the
// process collects garbage fully and prints its heap, so a test can measure what the server keeps across
// requests without any test hook in the server itself.
const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`heap-probe ${JSON.stringify({ heapUsed: m.heapUsed, external: m.external, rss: m.rss })}\n`);
});
