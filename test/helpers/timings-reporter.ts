// A `node --test` reporter that writes, as JSON, the seconds each test file's top-level tests took (file name
// relative to dist/test → seconds): test/run.ts passes it alongside TAP, and test/fixtures/test-timings.json is a
// copy of what it wrote, which the next runs lay their processes out by (test/helpers/test-plan.ts).
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = fileURLToPath(new URL('..', import.meta.url));

interface TestEvent {
  type: string;
  data: { nesting?: number; file?: string; details?: { duration_ms?: number } };
}

export default async function* timingsReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const seconds = new Map<string, number>();
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0 || !event.data.file) continue;
    const file = relative(testDir, event.data.file);
    seconds.set(file, (seconds.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0) / 1000);
  }
  const sorted = [...seconds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  yield `${JSON.stringify(Object.fromEntries(sorted.map(([f, s]) => [f, Math.round(s * 10) / 10])), null, 1)}\n`;
}
