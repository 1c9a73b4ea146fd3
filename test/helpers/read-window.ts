// A deterministic window for races between two servers: one server's next metadata read returns only after
// `meanwhile` (typically a write through the other server) ran. Used by vanished-read and redteam-wave24.
import type { TestServer } from './server.js';

/** Runs `meanwhile` after `reader`'s next call of `method` for `match` has read, before it returns (the window). */
export function staleNext<K extends 'getObject' | 'listParts'>(reader: TestServer, method: K, match: (...args: unknown[]) => boolean, meanwhile: () => Promise<void>): () => boolean {
  const meta = reader.meta as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = meta[method]!;
  let fired = false;
  meta[method] = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const got = await original.apply(this, args);
    if (!fired && match(...args)) {
      fired = true;
      meta[method] = original;
      await meanwhile();
    }
    return got;
  };
  return () => fired;
}
