/**
 * Page-cache priming before a large transfer. This machine is a Firecracker guest with free page reporting
 * (virtio_balloon, order 9): guest memory freed for ~2 s is handed back to the host, and the first write to
 * such a page costs a host page fault. Writing into the page cache is where a large PUT takes fresh pages,
 * so whichever server wrote into "cold" memory paid ~5–8 ms of CPU per MiB that no software change can
 * remove (measured: the same 1 MiB writeSync loop costs 7 ms/MiB cold and 0.5 ms/MiB right after another
 * file's pages were freed). Before every measured large transfer, of every server alike, the bench writes
 * and unlinks a file a little larger than the transfer, so the pages the transfer takes are warm ones.
 * `--no-prime` turns it off to show the raw effect.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = Buffer.alloc(1024 * 1024, 0x5a);
let dir: string | null = null;

/** Where priming files go (the scratch directory); null turns priming off. */
export function setPrimeDir(path: string | null): void {
  dir = path;
}

/** Writes `bytes` (+ 64 MiB) into the page cache and frees them again; a no-op when priming is off. */
export function primePageCache(bytes: number): void {
  if (dir === null) return;
  const path = join(dir, `prime-${process.pid}`);
  const fd = openSync(path, 'w');
  try {
    for (let left = bytes + 64 * 1024 * 1024; left > 0; left -= CHUNK.length) writeSync(fd, CHUNK, 0, Math.min(left, CHUNK.length));
  } finally {
    closeSync(fd);
    // Unlinked before write-back: the dirty pages are dropped, and they go back to the free lists warm.
    unlinkSync(path);
  }
}
