import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { stat, statfs, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../errors.js';

/** Free and total bytes of the filesystem holding `path` (what an unprivileged writer may use). */
export interface DiskUsage {
  path: string;
  available: number;
  total: number;
}

/** Reads the filesystems of the given directories (the same filesystem may appear twice; harmless). */
export async function diskUsage(paths: readonly string[]): Promise<DiskUsage[]> {
  return Promise.all(
    paths.map(async (path) => {
      const s = await statfs(path);
      return { path, available: s.bavail * s.bsize, total: s.blocks * s.bsize };
    }),
  );
}

/** Whether an error says the disk (or the user's quota) is full: ENOSPC / EDQUOT from fs, SQLITE_FULL from SQLite. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/** The client's answer for a write the full disk made fail: nothing of it was kept. */
export function diskFullError(kind: 'write' | 'delete' = 'write'): AppError {
  return new AppError('InsufficientStorage', kind === 'delete'
    ? 'The disk is full, and its reserve for deletes is used up; nothing was changed. Free disk space on the server, then try again.'
    : 'The disk filled up while storing this request; nothing of it was stored. Delete objects (deletes always work) or add disk space, then try again.');
}

/**
 * A file of `size` bytes kept in the data directory so that deletes can always commit: when the disk is
 * full, SQLite's WAL cannot grow and even a DELETE fails with SQLITE_FULL. The metadata store releases
 * this file then and retries the deletes (`releaseSync`); the space is reclaimed (`refill`) once deletes
 * have freed enough.
 */
export class SpaceReserve {
  private present = false;
  private refilling: Promise<void> | null = null;

  constructor(
    readonly path: string,
    readonly size: number,
  ) {}

  get missing(): boolean {
    return !this.present;
  }

  /**
   * Writes the file unless it is there with its full size. Refuses (returns false) unless `size` plus
   * `keepFree` bytes are available, so the reserve never takes the last bytes itself; a full disk met
   * meanwhile removes the partial file.
   */
  async refill(keepFree: number): Promise<boolean> {
    if (this.present) return true;
    this.refilling ??= this.write(keepFree).finally(() => (this.refilling = null));
    await this.refilling;
    return this.present;
  }

  private async write(keepFree: number): Promise<void> {
    const [usage] = await diskUsage([dirname(this.path)]);
    // An existing full-size file counts as available space: it is ours.
    const own = await existingSize(this.path);
    if (own >= this.size) {
      this.present = true;
      return;
    }
    if (usage!.available + own < this.size + keepFree) return;
    // Synchronous writes: the event loop cannot interleave a releaseSync() with a half-written file.
    let fd: number | null = null;
    try {
      fd = openSync(this.path, 'w', 0o600);
      const chunk = Buffer.alloc(1024 * 1024);
      for (let written = 0; written < this.size; ) {
        written += writeSync(fd, chunk, 0, Math.min(chunk.length, this.size - written));
      }
      closeSync(fd);
      fd = null;
      this.present = true;
    } catch (err) {
      if (fd !== null) closeSync(fd);
      await unlink(this.path).catch(() => undefined);
      if (!isDiskFull(err)) throw err;
    }
  }

  /** Frees the reserved space now (called inside a failing write); true if there was any to free. */
  releaseSync(): boolean {
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const had = this.present;
      this.present = false;
      return had;
    }
    this.present = false;
    return true;
  }
}

async function existingSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
