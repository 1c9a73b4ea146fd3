// Temp folders for tests, removed when the test file's process exits: a test that fails half-way, or keeps a
// folder for a restarted server, must not leave it in /tmp (a CI host runs the suite many times).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
let hooked = false;

/** A fresh folder under the system temp dir, named `<prefix>XXXXXX`, removed at exit if still there. */
export function tempDirSync(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** tempDirSync for async callers (same folder, same clean-up). */
export async function tempDir(prefix: string): Promise<string> {
  return tempDirSync(prefix);
}
