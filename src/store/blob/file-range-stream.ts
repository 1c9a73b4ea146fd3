import { close, open, read } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { cachedReadAvailable, NOT_THIS_FILE, readCached } from '../../util/cached-read.js';
import type { RecyclingSource } from '../../util/recycling-source.js';

/** Bytes [start, end) of one file. */
export interface FileRange {
  path: string;
  start: number;
  end: number;
}

// 256 KiB reads: 1 MiB ones showed no clear CPU gain on GET and held 4× the memory per slow reader.
export const READ_BLOCK = 256 * 1024;
/**
 * Writes a pump has handed to its destination and not yet seen completed: 512 KiB per download, what a stalled
 * client pins (2 and 4 gave the same GET throughput; 4 held twice the memory for clients that stop reading).
 */
const PUMP_IN_FLIGHT = 2;
/** Bytes after the block that must be cached too before it is read on the event loop: a read reaching the
 * kernel's readahead mark starts the next window from the reading thread, which must then have nothing to do. */
const LOOKAHEAD = 512 * 1024;
/** Bytes read from the page cache in a row before the stream lets the event loop take a turn (~0.3 ms here). */
const SYNC_RUN_MAX = 1024 * 1024;
/** Blocks kept for the next downloads once theirs are done (8 MiB); more are left to the GC. */
const POOL_MAX = 32;
const pool: Buffer[] = [];

const takeBlock = (): Buffer => pool.pop() ?? Buffer.allocUnsafeSlow(READ_BLOCK);
const giveBack = (block: Buffer): void => {
  if (pool.length < POOL_MAX) pool.push(block);
};

/** A file that ended before the bytes the metadata promised: the answer must not be cut short silently. */
export class TruncatedBlobError extends Error {
  constructor(path: string, at: number) {
    super(`blob file ${path} ends at byte ${at}, before the range it was read for`);
  }
}

/**
 * Reads ranges of files one after the other (an object's segments), as a Readable (a new buffer per 256 KiB
 * read) or pumped into a destination with recycled buffers (RecyclingSource). One read is in flight at a
 * time, so bytes come out in order, and a descriptor is closed only when no read uses it. A block the page
 * cache holds is read at once on this thread (util/cached-read.ts), so its callback may run before next()
 * returns (every SYNC_RUN_MAX bytes it waits for the next turn instead); any other goes through the thread pool.
 */
export class FileRangeStream extends Readable implements RecyclingSource {
  private readonly ranges: FileRange[];
  private index = 0;
  private pos: number;
  private fd: number | null = null;
  private busy = false;
  private pumping = false;
  private onIdle: (() => void) | null = null;
  private readTotal = 0;
  private pumpedTotal = 0;
  /** Whether blocks are tried in the page cache first (off once a file's system cannot: util/cached-read.ts). */
  private fromCache = cachedReadAvailable();
  /** Bytes read from the cache since the event loop last had a turn (as far as this stream knows). */
  private syncRun = 0;
  /** Where the bytes of the current range found cached end: each read asks only about the ones after it. */
  private cachedTo = 0;

  /** Bytes read from the files so far. */
  get bytesRead(): number {
    return this.readTotal;
  }

  /** Bytes whose write into the pump's destination completed. */
  get bytesPumped(): number {
    return this.pumpedTotal;
  }

  constructor(ranges: readonly FileRange[]) {
    super({ highWaterMark: READ_BLOCK });
    this.ranges = ranges.filter((r) => r.end > r.start);
    this.pos = this.ranges[0]?.start ?? 0;
  }

  /** Bytes the next read may take from the current range (0 when all are done). */
  private want(max: number): number {
    const r = this.ranges[this.index];
    return r === undefined ? 0 : Math.min(max, r.end - this.pos);
  }

  /** Reads up to `into.length` bytes of the current range; 0 once every range is done. */
  private next(into: Buffer, done: (err: Error | null, n: number) => void): void {
    const range = this.ranges[this.index];
    if (range === undefined) return done(null, 0);
    this.busy = true;
    const finish = (err: Error | null, n: number): void => {
      this.busy = false;
      const idle = this.onIdle;
      this.onIdle = null;
      if (idle) return idle(); // destroyed meanwhile: _destroy waited for this read
      done(err, n);
    };
    const got = (fd: number, n: number): void => {
      this.pos += n;
      this.readTotal += n;
      if (this.pos >= range.end) {
        this.fd = null;
        this.cachedTo = 0;
        this.index++;
        this.pos = this.ranges[this.index]?.start ?? 0;
        close(fd, () => finish(null, n));
        return;
      }
      finish(null, n);
    };
    const readAt = (fd: number): void => {
      const len = this.want(into.length);
      // Bytes the page cache holds (with the lookahead after them) are copied here and now; the rest waits
      // for the disk on the thread pool.
      const checkTo = Math.min(this.pos + len + LOOKAHEAD, range.end);
      const cached = this.fromCache ? readCached(fd, into, len, this.pos, Math.max(this.pos, this.cachedTo), checkTo) : 0;
      if (cached > 0) {
        this.cachedTo = checkTo;
        // A reader that keeps up completes each write at once, so cached reads could chain for a whole
        // download without the event loop getting a turn: after SYNC_RUN_MAX bytes, continue on the next one.
        this.syncRun += cached;
        if (this.syncRun < SYNC_RUN_MAX) return got(fd, cached);
        this.syncRun = 0;
        setImmediate(() => got(fd, cached));
        return;
      }
      if (cached === NOT_THIS_FILE) this.fromCache = false;
      read(fd, into, 0, len, this.pos, (err, n) => {
        this.syncRun = 0;
        if (err) return finish(err, 0);
        if (n === 0) return finish(new TruncatedBlobError(range.path, this.pos), 0);
        got(fd, n);
      });
    };
    if (this.fd !== null) return readAt(this.fd);
    open(range.path, 'r', (err, fd) => {
      if (err) return finish(err, 0);
      this.fd = fd;
      if (this.destroyed) return finish(null, 0);
      readAt(fd);
    });
  }

  override _read(): void {
    if (this.pumping) return;
    const len = this.want(READ_BLOCK);
    if (len === 0) {
      this.push(null);
      return;
    }
    // Pushed chunks belong to the reader: a new buffer each time.
    const block = Buffer.allocUnsafeSlow(len);
    this.next(block, (err, n) => {
      if (err) return this.destroy(err);
      this.push(n === block.length ? block : block.subarray(0, n));
    });
  }

  pumpTo(dest: Writable): void {
    this.pumping = true;
    let inFlight = 0;
    let ended = false;
    // A destination gone (the client left, even before the pump started) ends the pump: nothing more is read.
    const gone = (): boolean => {
      if (!dest.destroyed) return false;
      this.destroy();
      return true;
    };
    const step = (): void => {
      if (this.destroyed || this.busy || ended || inFlight >= PUMP_IN_FLIGHT || gone()) return;
      if (this.want(READ_BLOCK) === 0) {
        ended = true;
        dest.end(() => this.destroy());
        return;
      }
      const block = takeBlock();
      this.next(block, (err, n) => {
        if (err) {
          giveBack(block);
          this.destroy(err);
          return;
        }
        if (this.destroyed || gone()) return giveBack(block);
        inFlight++;
        dest.write(n === block.length ? block : block.subarray(0, n), (writeErr) => {
          inFlight--;
          // A failed write may leave the bytes referenced by the socket: that block is not reused, and the pump stops.
          if (writeErr) return void this.destroy();
          this.pumpedTotal += n;
          giveBack(block);
          step();
        });
        step();
      });
    };
    step();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    const closeFd = (): void => {
      const fd = this.fd;
      this.fd = null;
      if (fd === null) return cb(err);
      close(fd, () => cb(err));
    };
    // A descriptor closed under a pending read could be reused by another open() and read from there.
    if (this.busy) this.onIdle = closeFd;
    else closeFd();
  }
}
