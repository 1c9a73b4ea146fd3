import { open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { newBlobId } from '../../util/ids.js';
import { diskFullError, isDiskFull } from '../disk-space.js';
import { privateDir } from '../file-modes.js';
import { FileRangeStream, type FileRange } from './file-range-stream.js';
import type { AgeFilter, BlobFile, BlobRange, BlobStore, BlobWriteResult, ReadRangesOptions } from './types.js';

export interface FsBlobStoreOptions {
  /** Directory that holds `blobs/` and `tmp/`. */
  root: string;
  /** fsync file and directory before a write is acknowledged (default true). */
  durable?: boolean;
}

/** The shard directories: a blob's is the first two hex digits of its id. */
const SHARDS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Blobs as files: `blobs/<id[0..2]>/<id>`. A write goes to `tmp/` first, is fsynced, then renamed into
 * place, so a crash leaves either no blob or a whole one; orphans are collected by the caller's GC.
 */
export class FsBlobStore implements BlobStore {
  private readonly blobDir: string;
  private readonly tmpDir: string;
  readonly durable: boolean;
  /**
   * Blobs being read, with how many reads hold each. A read opens an object's segment files one after the
   * other, so a delete or overwrite during a download of a multipart object would unlink segments it has not
   * opened yet and cut the answer short: such files are unlinked when their last read lets go
   * (`unlinkLater`). One process only: with a shared directory, another process's delete is not held back.
   */
  private readonly reading = new Map<string, number>();
  private readonly unlinkLater = new Set<string>();
  /**
   * Shard directories kept open once a blob went into them, for the fsync after each rename: one thread-pool hop
   * per blob instead of three (open, fsync, close); at most 256 descriptors, closed with the store.
   */
  private readonly shardHandles = new Map<string, Promise<FileHandle>>();
  /** Set by close: a commit still in flight then syncs its shard with a handle of its own (nothing would close a kept one). */
  private closed = false;

  private constructor(opts: FsBlobStoreOptions) {
    this.blobDir = join(opts.root, 'blobs');
    this.tmpDir = join(opts.root, 'tmp');
    this.durable = opts.durable ?? true;
  }

  static async open(opts: FsBlobStoreOptions): Promise<FsBlobStore> {
    const store = new FsBlobStore(opts);
    // 0700 whatever the umask, tightened if looser: blob files are the objects' bytes.
    await privateDir(opts.root);
    await privateDir(store.blobDir);
    await privateDir(store.tmpDir);
    // Every shard directory is made (or tightened) here, and their entries synced once (a power loss must not
    // take a shard directory, and the blobs in it, after rows referencing them committed), instead of on the
    // first write into each: that write paid a mkdir, a mode check and an fsync of blobs/ before its rename, in
    // every process (the first ~256 blobs after a start, e.g. a fresh server's multipart parts;
    // docs/performance.md, "Multipart uploads").
    await Promise.all(SHARDS.map((sub) => privateDir(join(store.blobDir, sub))));
    if (store.durable) await syncDir(store.blobDir);
    return store;
  }

  private pathOf(blobId: string): string {
    if (!/^[0-9a-f]{32}$/.test(blobId)) throw new Error(`invalid blob id ${JSON.stringify(blobId)}`);
    return join(this.blobDir, blobId.slice(0, 2), blobId);
  }

  async put(source: AsyncIterable<Buffer>): Promise<BlobWriteResult> {
    const file = await this.create();
    let size = 0;
    try {
      // Each chunk is written before the next is pulled (the source may reuse its memory then).
      for await (const chunk of source) {
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await file.fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
        size += chunk.length;
        file.wrote(chunk.length);
      }
    } catch (err) {
      throw await file.abort(err);
    }
    return file.commit(size);
  }

  async create(): Promise<FsBlobFile> {
    const blobId = newBlobId();
    const tmp = join(this.tmpDir, `${blobId}.tmp`);
    try {
      return new FsBlobFile(this, blobId, tmp, await open(tmp, 'w', 0o600));
    } catch (err) {
      throw isDiskFull(err) ? diskFullError() : err;
    }
  }

  /**
   * Moves a written (and synced) temp file into place, durably; removes it if that fails. `closing`: the temp
   * file's close, run meanwhile (closing is not what makes it durable; its data was synced before), awaited before
   * the answer; should it fail the blob placed is removed again.
   */
  async place(blobId: string, tmp: string, closing: Promise<void> = Promise.resolve()): Promise<void> {
    // The shard directory was made, and its entry synced, at open.
    const shard = blobId.slice(0, 2);
    const path = this.pathOf(blobId);
    const [renamed, closed] = await Promise.allSettled([rename(tmp, path), closing]);
    if (renamed.status === 'rejected' || closed.status === 'rejected') {
      await unlink(renamed.status === 'rejected' ? tmp : path).catch(() => undefined);
      throw renamed.status === 'rejected' ? renamed.reason : (closed as PromiseRejectedResult).reason;
    }
    if (this.durable) await this.syncShard(shard);
  }

  /** fsync of a shard directory (the rename into it made durable), through its kept handle. */
  private async syncShard(shard: string): Promise<void> {
    if (this.closed) return syncDir(join(this.blobDir, shard));
    let handle = this.shardHandles.get(shard);
    if (handle === undefined) {
      handle = open(join(this.blobDir, shard), 'r');
      this.shardHandles.set(shard, handle);
      // A failed open is not kept: the next blob tries again.
      handle.catch(() => this.shardHandles.delete(shard));
    }
    try {
      await (await handle).sync();
    } catch (err) {
      // Taken before close() and closed by it meanwhile: the rename is made durable all the same.
      if (!this.closed) throw err;
      await syncDir(join(this.blobDir, shard));
    }
  }

  read(blobId: string, start: number, end: number): Readable {
    return this.readRanges([{ blobId, start, end }]);
  }

  readRanges(ranges: readonly BlobRange[], opts: ReadRangesOptions = {}): Readable {
    const releases = [this.hold(ranges.map((r) => r.blobId))];
    const fileRange = (r: BlobRange): FileRange => {
      const range: FileRange = { path: this.pathOf(r.blobId), start: r.start, end: r.end };
      const relocate = r.relocate;
      if (relocate === undefined) return range;
      // The blob found in its place is held as the others are, before its open.
      range.relocate = async () => {
        const blobId = await relocate();
        if (blobId === null) return null;
        releases.push(this.hold([blobId]));
        return this.pathOf(blobId);
      };
      return range;
    };
    const stream = new FileRangeStream(ranges.map(fileRange), opts.vanished);
    // Held until the stream closes: read to its end (autoDestroy) or destroyed.
    stream.once('close', () => {
      for (const release of releases) release();
    });
    return stream;
  }

  async openRead(blobId: string): Promise<{ fd: number; close(): Promise<void> }> {
    const release = this.hold([blobId]);
    let fh: FileHandle;
    try {
      fh = await open(this.pathOf(blobId), 'r');
    } catch (err) {
      release();
      throw err;
    }
    return { fd: fh.fd, close: () => fh.close().finally(release) };
  }

  /** Marks blobs as being read; the function returned lets go of them (once, whatever calls it later). */
  hold(blobIds: Iterable<string>): () => void {
    const ids = [...new Set(blobIds)];
    for (const id of ids) this.reading.set(id, (this.reading.get(id) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      for (const id of ids) {
        const left = this.reading.get(id)! - 1;
        if (left > 0) {
          this.reading.set(id, left);
          continue;
        }
        this.reading.delete(id);
        // A file that cannot be removed now is an orphan the next collection takes (store/gc.ts).
        if (this.unlinkLater.delete(id)) unlink(this.pathOf(id)).catch(() => undefined);
      }
    };
  }

  async delete(blobIds: Iterable<string>): Promise<void> {
    for (const id of blobIds) {
      if (this.reading.has(id)) {
        this.pathOf(id); // an invalid id throws here, as the unlink below would
        this.unlinkLater.add(id);
        continue;
      }
      try {
        await unlink(this.pathOf(id));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  async *list(opts: AgeFilter = {}): AsyncIterable<string> {
    for (const sub of await readdir(this.blobDir)) {
      let names: string[];
      try {
        names = await readdir(join(this.blobDir, sub));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!/^[0-9a-f]{32}$/.test(name)) continue;
        if (opts.modifiedBefore === undefined || (await modifiedBefore(join(this.blobDir, sub, name), opts.modifiedBefore))) yield name;
      }
    }
  }

  /**
   * Removes temp files. With `modifiedBefore`, only files not written since then: another process may be
   * streaming into a younger one. Removing a file a writer still holds only fails that write (its rename
   * finds nothing), never a stored blob.
   */
  async cleanTemp(opts: AgeFilter = {}): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      if (opts.modifiedBefore !== undefined && !(await modifiedBefore(path, opts.modifiedBefore))) continue;
      if (opts.mayGoOn && !opts.mayGoOn()) break;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    // Reads still holding blobs at shutdown end with the process; their deletes are done now.
    for (const id of this.unlinkLater) await unlink(this.pathOf(id)).catch(() => undefined);
    this.unlinkLater.clear();
    this.closed = true;
    const handles = [...this.shardHandles.values()];
    this.shardHandles.clear();
    await Promise.allSettled(handles.map(async (h) => (await h).close()));
  }
}

/**
 * Early flushes: once this many bytes are written since the last one started, a background fdatasync starts
 * writing them to disk (one at a time per file). Small enough that a multipart part (commonly 5–16 MiB) is
 * mostly on disk when its body ends: at 16 MiB an 8 MiB part's commit waited 9–17 ms for its whole fsync,
 * while the upload's other parts waited behind it; at 2 MiB, ~3 ms (docs/operations.md, "Eighth pass").
 */
export const FLUSH_EVERY = 2 * 1024 * 1024;

/**
 * A temp file being written. A durable store flushes it in the background while it grows, so the fsync
 * before the commit only waits for the tail: disk writes overlap the receive instead of following it.
 */
class FsBlobFile implements BlobFile {
  private unflushed = 0;
  private flushing: Promise<void> | null = null;
  /** An early flush's error: Linux reports a write-back error once per file, so the commit must fail with it. */
  private flushError: unknown = null;

  constructor(private readonly store: FsBlobStore, private readonly blobId: string, private readonly tmp: string, readonly fh: FileHandle) {}

  get fd(): number {
    return this.fh.fd;
  }

  wrote(bytes: number): void {
    this.unflushed += bytes;
    if (!this.store.durable || this.flushing !== null || this.unflushed < FLUSH_EVERY) return;
    this.unflushed = 0;
    this.flushing = this.fh.datasync().then(
      () => { this.flushing = null; },
      (err: unknown) => { this.flushError ??= err; this.flushing = null; },
    );
  }

  async commit(size: number): Promise<BlobWriteResult> {
    try {
      await this.flushing;
      if (this.flushError !== null) throw this.flushError;
      // fdatasync: the data and what reading it back needs (size, blocks); not the timestamps.
      if (this.store.durable) await this.fh.datasync();
    } catch (err) {
      throw await this.abort(err);
    }
    try {
      // The rename need not wait for the close (the data is synced): both on the thread pool at once.
      await this.store.place(this.blobId, this.tmp, this.fh.close());
    } catch (err) {
      throw isDiskFull(err) ? diskFullError() : err;
    }
    return { blobId: this.blobId, size };
  }

  async abort(cause: unknown): Promise<unknown> {
    await this.flushing;
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
    return isDiskFull(cause) ? diskFullError() : cause;
  }
}

/** fsync a directory: what makes a rename or an unlink in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Whether the file was last written before `cutoff` (epoch ms); a file gone meanwhile is not. */
async function modifiedBefore(path: string, cutoff: number): Promise<boolean> {
  try {
    return (await stat(path)).mtimeMs < cutoff;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
