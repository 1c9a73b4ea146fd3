import { close, fstatSync, open, read, stat } from 'node:fs';
import { promisify } from 'node:util';
import { relocating, vanishedError } from './relocating.js';
import { Readable, type Writable } from 'node:stream';
import { cachedReadAvailable, cachedReadsSpent, NO_CHECK, NOT_THIS_FILE, readCached, residentSpan, sendCached } from '../../util/cached-read.js';
import type { OpensFirst } from '../../util/opens-first.js';
import type { DirectSink, RecyclingSource } from '../../util/recycling-source.js';

/** Bytes [start, end) of one file. */
export interface FileRange {
  path: string;
  start: number;
  end: number;
  /** The path of a file holding the same bytes, when this one is missing at its open (BlobRange.relocate). */
  relocate?: () => Promise<string | null>;
}

const openAsync = promisify(open);

/**
 * Opens the range's file; one found missing (ENOENT) is opened again where `relocate` says its bytes are now
 * (relocating.ts). `moved` takes the range's new path before its open. A range without `relocate` (all but an
 * Appendable object's last segment) is opened straight, with no promise in the way.
 */
function openRange(range: FileRange, moved: (path: string) => void, cb: (err: NodeJS.ErrnoException | null, fd: number) => void): void {
  if (range.relocate === undefined) return open(range.path, 'r', cb);
  const opened = relocating(range.path, range.relocate, async function* (path: string): AsyncGenerator<number> {
    if (path !== range.path) moved(path);
    yield await openAsync(path, 'r');
  });
  opened.next().then(
    (r) => (r.done ? cb(new Error(`no file opened for ${range.path}`), -1) : cb(null, r.value)),
    (err: NodeJS.ErrnoException) => cb(err, -1),
  );
}

// 256 KiB reads: 1 MiB ones showed no clear CPU gain on GET and held 4× the memory per slow reader.
export const READ_BLOCK = 256 * 1024;
/**
 * Writes a pump has handed to its destination and not yet seen completed: 512 KiB per download, what a stalled
 * client pins (2 and 4 gave the same GET throughput; 4 held twice the memory for clients that stop reading).
 */
const PUMP_IN_FLIGHT = 2;

/** Blocks kept for the next downloads once theirs are done (8 MiB); more are left to the GC. */
const POOL_MAX = 32;
const pool: Buffer[] = [];

const takeBlock = (): Buffer => pool.pop() ?? Buffer.allocUnsafeSlow(READ_BLOCK);
const giveBack = (block: Buffer): void => {
  if (pool.length < POOL_MAX) pool.push(block);
};

/** Ranges whose files openFirst measures before the head (the first by its descriptor, the rest by stat). */
const PRECHECKED_RANGES = 16;

/** A file that ended before the bytes the metadata promised: the answer must not be cut short silently. */
export class TruncatedBlobError extends Error {
  constructor(path: string, at: number) {
    super(`blob file ${path} ends at byte ${at}, before the range it was read for`);
  }
}

/**
 * Reads ranges of files one after the other (an object's segments), as a Readable (a new buffer per 256 KiB
 * read) or pumped into a destination with recycled buffers (RecyclingSource). One read is in flight at a
 * time, so bytes come out in order, and a descriptor is closed only when no read uses it. Bytes the page
 * cache holds (the file cached to its end, or found filled block by block: readFromCache) are read at once on
 * this thread (util/cached-read.ts), so its callback may run before next() returns, unless the turn's budget
 * of such reads is spent (then it waits for the next turn); any other block goes through the thread pool.
 */
export class FileRangeStream extends Readable implements RecyclingSource, OpensFirst {
  private readonly ranges: FileRange[];
  private index = 0;
  private pos: number;
  private fd: number | null = null;
  private busy = false;
  private pumping = false;
  private onIdle: (() => void) | null = null;
  private readTotal = 0;
  private pumpedTotal = 0;
  private poolTotal = 0;
  /** Whether blocks are tried in the page cache first (off once a file's system cannot: util/cached-read.ts). */
  private fromCache = cachedReadAvailable();
  /**
   * Whether the current range's file was found cached from the range's first read to its end: null not asked
   * yet, true found so (its next blocks are read or sent without asking again), false not (each next block
   * asks mincore how much of it the cache holds filled: that much is read or sent here, the rest by the pool).
   */
  private rangeCached: boolean | null = null;

  /** Bytes read from the files so far. */
  get bytesRead(): number {
    return this.readTotal;
  }

  /** Bytes the thread pool read (the rest came from the page cache on this thread, or went by sendfile). */
  get bytesFromPool(): number {
    return this.poolTotal;
  }

  /** Bytes whose write into the pump's destination completed. */
  get bytesPumped(): number {
    return this.pumpedTotal;
  }

  /** `vanished`: asked for the error to report instead of a file found missing (ReadRangesOptions). */
  constructor(ranges: readonly FileRange[], private readonly vanished?: () => Promise<Error | null>) {
    super({ highWaterMark: READ_BLOCK });
    this.ranges = ranges.filter((r) => r.end > r.start);
    this.pos = this.ranges[0]?.start ?? 0;
  }

  /** Bytes the next read may take from the current range (0 when all are done). */
  private want(max: number): number {
    const r = this.ranges[this.index];
    return r === undefined ? 0 : Math.min(max, r.end - this.pos);
  }

  /**
   * Counts `n` bytes of the current range as read (or sent). At the range's end, moves to the next range and
   * answers the descriptor to close: the caller stays busy until it is closed. Null while the range goes on.
   */
  private advance(n: number): number | null {
    this.pos += n;
    this.readTotal += n;
    if (this.pos < this.ranges[this.index]!.end) return null;
    const fd = this.fd;
    this.fd = null;
    this.rangeCached = null;
    this.index++;
    this.pos = this.ranges[this.index]?.start ?? 0;
    return fd;
  }

  /** A read, close or wait is over: true if a destroy waited for it (and now goes on), else the caller goes on. */
  private idleAgain(): boolean {
    this.busy = false;
    const idle = this.onIdle;
    this.onIdle = null;
    idle?.();
    return idle !== null;
  }

  /**
   * Reads what the page cache holds of the next `len` bytes of the current range, here and now; 0 when the
   * thread pool must read this block. The first read asks whether the file is cached to its end (cachestat);
   * after a no, each block asks how much of it is cached and filled (mincore: util/cached-read.ts): a file
   * with a few evicted pages is read here but for those, where before one hole anywhere ahead sent the rest of
   * the file to the pool. [accepted] A filled page that carries a readahead mark (the pool's read of a hole
   * put it there) starts the kernel's next readahead window from this thread: pages allocated and reads
   * submitted for what is missing in it, without waiting for them.
   */
  private readFromCache(fd: number, into: Buffer, len: number): number {
    if (this.rangeCached !== false) {
      const n = readCached(fd, into, len, this.pos, this.rangeCached ? NO_CHECK : this.pos);
      if (n > 0) {
        // A short read: a page went (or is still being read in) since the check; block by block from now on.
        this.rangeCached = n === len;
        return n;
      }
      if (n === NOT_THIS_FILE) {
        this.fromCache = false;
        return 0;
      }
      this.rangeCached = false;
    }
    const span = residentSpan(fd, this.pos, len);
    return span > 0 ? Math.max(readCached(fd, into, span, this.pos, NO_CHECK), 0) : 0;
  }

  /** The current range's file was relocated (openRange): its bytes are read from `path`, at the same offsets. */
  private moved(path: string): void {
    this.ranges[this.index] = { ...this.ranges[this.index]!, path };
  }

  /** Reads up to `into.length` bytes of the current range; 0 once every range is done. */
  private next(into: Buffer, done: (err: Error | null, n: number) => void): void {
    const range = this.ranges[this.index];
    if (range === undefined) return done(null, 0);
    this.busy = true;
    const finish = (err: Error | null, n: number): void => {
      if (!this.idleAgain()) done(err, n);
    };
    const got = (n: number): void => {
      const spent = this.advance(n);
      if (spent === null) finish(null, n);
      else close(spent, () => finish(null, n));
    };
    const readAt = (fd: number, waited = false): void => {
      const len = this.want(into.length);
      if (this.fromCache) {
        // The process's cached reads for this turn are spent: this one waits for the next turn (still busy,
        // so a destroy meanwhile waits for it too), and then reads one block whatever the budget says: else
        // the downloads that spend the budget first in every turn would starve the others.
        if (!waited && cachedReadsSpent()) {
          setImmediate(() => (this.destroyed ? finish(null, 0) : readAt(fd, true)));
          return;
        }
        const n = this.readFromCache(fd, into, len);
        if (n > 0) return got(n);
      }
      // The disk's turn: on the thread pool.
      read(fd, into, 0, len, this.pos, (err, n) => {
        if (err) return finish(err, 0);
        if (n === 0) return finish(new TruncatedBlobError(range.path, this.pos), 0);
        this.poolTotal += n;
        got(n);
      });
    };
    if (this.fd !== null) return readAt(this.fd);
    openRange(range, (path) => this.moved(path), (err, fd) => {
      if (err) return void vanishedError(err, this.vanished).then((why) => finish(why, 0));
      this.fd = fd;
      if (this.destroyed) return finish(null, 0);
      readAt(fd);
    });
  }

  /**
   * Opens the first range's file before anything is read (OpensFirst) and checks that every file
   * holds its range: a blob file that is missing, cannot be opened or is shorter than the record says is
   * reported here, while the answer can still be an error instead of a head followed by a cut connection. The
   * first file is measured through the descriptor its first read uses (one fstat, here); the later ones (the other
   * segments a read touches) by one stat each, in parallel, up to PRECHECKED_RANGES of them: past that a file
   * lost after them is still found only when it is reached (the body is then cut).
   */
  openFirst(done: (err: Error | null) => void): void {
    const range = this.ranges[this.index];
    if (range === undefined || this.fd !== null || this.busy || this.destroyed) return done(null);
    this.busy = true;
    // A file found missing may be an object deleted since: reported as vanished says.
    const report = (err: Error | null): void => {
      if (err === null) return done(null);
      void vanishedError(err, this.vanished).then((why) => this.destroyed || done(why));
    };
    openRange(range, (path) => this.moved(path), (err, fd) => {
      if (err) {
        // A destroy meanwhile (the client left) closes nothing and nothing more is reported.
        if (!this.idleAgain()) report(err);
        return;
      }
      this.fd = fd;
      const later = this.ranges.slice(this.index + 1, this.index + PRECHECKED_RANGES);
      let waiting = 1 + later.length;
      let failure: Error | null = null;
      const checked = (err: Error | null): void => {
        failure ??= err;
        if (--waiting > 0) return;
        // A destroy meanwhile closes the descriptor now and nothing more is reported.
        if (!this.idleAgain()) report(failure);
      };
      const short = (r: FileRange, size: number): Error | null => (size < r.end ? new TruncatedBlobError(r.path, size) : null);
      // The file just opened: its inode is in memory, so this fstat costs a system call, not a hop to the pool.
      let first: Error | null;
      try {
        first = short(range, fstatSync(fd).size);
      } catch (err) {
        first = err as Error;
      }
      checked(first);
      // A relocatable file found missing is relocated when its turn comes.
      for (const r of later) stat(r.path, (err, st) => checked(err?.code === 'ENOENT' && r.relocate ? null : err ?? short(r, st.size)));
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

  /**
   * With a `direct` sink, a range found cached to its file's end (its first block read the usual way, with the
   * response's head) goes on with sendfile whenever nothing else waits in the socket's queue; a socket that is
   * full gets the next block the usual way, whose write completing says it has room again.
   */
  pumpTo(dest: Writable, direct: DirectSink | null = null): void {
    this.pumping = true;
    let inFlight = 0;
    let ended = false;
    let sendable = direct !== null;
    /**
     * Sends what it can of the current range (open, found cached to its end); true when step() should write
     * the next block the usual way. `waited`: this download waited a turn for the budget, as a read does
     * (readAt), so it sends once whatever the budget says.
     */
    const send = (sink: DirectSink, fd: number, waited: boolean): boolean => {
      for (;;) {
        if (!sink.idle()) {
          // Nothing of ours is in flight, yet the socket's queue is not empty: someone else writes to it.
          sendable = false;
          return true;
        }
        if (!waited && cachedReadsSpent()) {
          // The turn's budget (shared with cached reads) is spent: busy until the next turn, like a read.
          this.busy = true;
          setImmediate(() => {
            if (!this.idleAgain()) step(true);
          });
          return false;
        }
        waited = false;
        // A file found cached to its end sends whole blocks; else what mincore finds filled of the next one.
        const len = this.rangeCached ? this.want(READ_BLOCK) : residentSpan(fd, this.pos, this.want(READ_BLOCK));
        if (len === 0) return true;
        const n = sendCached(sink.fd, fd, len, this.pos);
        if (typeof n === 'number' && n > 0) {
          this.pumpedTotal += n;
          // Bytes went out around node's stream: they are activity all the same (the idle timeout).
          sink.sent();
          const spent = this.advance(n);
          if (spent === null) continue;
          this.busy = true;
          close(spent, () => {
            if (!this.idleAgain()) step();
          });
          return false;
        }
        if (n === 'gone' || n instanceof Error) {
          // The peer left (the response cannot be finished), or the file or the system failed: reported as a
          // failed read is, by the stream's error (the listener then cuts the connection).
          this.destroy(n === 'gone' ? undefined : n);
          dest.destroy();
          return false;
        }
        if (n === 'not-cached') this.rangeCached = false;
        else if (n !== 'full') sendable = false; // unsupported here (or 0: a short file, which the usual read reports)
        return true;
      }
    };
    // A destination gone (the client left, even before the pump started) ends the pump: nothing more is read.
    const gone = (): boolean => {
      if (!dest.destroyed) return false;
      this.destroy();
      return true;
    };
    const step = (waited = false): void => {
      if (this.destroyed || this.busy || ended || inFlight >= PUMP_IN_FLIGHT || gone()) return;
      if (this.want(READ_BLOCK) === 0) {
        ended = true;
        dest.end(() => this.destroy());
        return;
      }
      if (sendable && this.fd !== null && this.rangeCached !== null) {
        // Sent bytes must not overtake written ones: a send waits for the writes in flight to complete.
        if (inFlight > 0 || !send(direct!, this.fd, waited)) return;
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
