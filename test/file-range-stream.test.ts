// Downloads of blob files with recycled buffers (src/store/blob/file-range-stream.ts): the bytes, their order,
// buffers never reused before the destination is done with them, descriptors closed on every ending, a
// server that keeps answering when clients leave in the middle of a download, and reads answered from the
// page cache on the event loop with the thread pool for the rest (src/util/cached-read.ts).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, constants as fsConstants, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { constants as osConstants, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FileRangeStream, READ_BLOCK, TruncatedBlobError, type FileRange } from '../src/store/blob/file-range-stream.js';
import {
  cachedReadAvailable, cachedReadStats, cachedSendAvailable, cachedSendStats, NO_CHECK, NOT_THIS_FILE, readCached, residentSpan, sendCached,
} from '../src/util/cached-read.js';
import { loadNativeCrc64 } from '../src/util/crc64-native.js';
import { isLoopback, loopbackPacingStats, unpaceLoopback } from '../src/http/loopback-pacing.js';
import { countTurns } from './helpers/loop-turns.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { eventually } from './helpers/eventually.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** A pipe's two descriptors [read, write] (node has no pipe(2); a child's stdio would do, this is simpler). */
function pipePair(): [number, number] {
  // /proc/self/fd of a FIFO made for the purpose: opened read-write first so neither open blocks.
  const fifo = join(tmpdir(), `alunite-fifo-${process.pid}-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  try {
    const rd = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    const wr = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    return [rd, wr];
  } finally {
    unlinkSync(fifo);
  }
}

/** Pumps `stream` into `dest`; resolves when the stream has closed (ended, failed or destroyed). */
function pumped(stream: FileRangeStream, dest: Writable): Promise<void> {
  const closed = new Promise<void>((ok) => stream.once('close', ok));
  stream.pumpTo(dest);
  return closed;
}

/**
 * A destination that completes each write only later (as a slow socket does) and checks the chunk's bytes
 * at that moment: a buffer reused before its write completed would show other bytes by then.
 */
function slowSink(expected: Buffer): Writable & { got: number; done: Promise<void> } {
  let got = 0;
  let finished!: () => void;
  let failed!: (err: Error) => void;
  const done = new Promise<void>((ok, fail) => {
    finished = ok;
    failed = fail;
  });
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      const at = got;
      got += chunk.length;
      setTimeout(() => {
        if (!chunk.equals(expected.subarray(at, at + chunk.length))) {
          failed(new Error(`bytes at ${at} changed before their write completed`));
          return cb();
        }
        cb();
      }, 2);
    },
    final(cb) {
      cb();
      if (got === expected.length) finished();
      else failed(new Error(`got ${got} of ${expected.length} bytes`));
    },
  }) as Writable & { got: number; done: Promise<void> };
  Object.defineProperty(sink, 'got', { get: () => got });
  sink.done = done;
  return sink;
}

describe('FileRangeStream', () => {
  let dir: string;
  let files: { path: string; data: Buffer }[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alunite-frs-'));
    // Sizes around the read block, so ranges end mid-block, on a block edge and one byte past it.
    const sizes = [3 * READ_BLOCK + 17, READ_BLOCK, READ_BLOCK + 1, 5];
    files = [];
    for (const [i, size] of sizes.entries()) {
      const data = randomBytes(size);
      const path = join(dir, `f${i}`);
      await writeFile(path, data);
      files.push({ path, data });
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const cases = (): { name: string; ranges: FileRange[]; expected: Buffer }[] => {
    const [a, b, c, d] = files as [{ path: string; data: Buffer }, { path: string; data: Buffer }, { path: string; data: Buffer }, { path: string; data: Buffer }];
    return [
      { name: 'one whole file', ranges: [{ path: a.path, start: 0, end: a.data.length }], expected: a.data },
      { name: 'one range inside a file', ranges: [{ path: a.path, start: 1000, end: 2 * READ_BLOCK + 3 }], expected: a.data.subarray(1000, 2 * READ_BLOCK + 3) },
      {
        name: 'several files, cut, with an empty range between',
        ranges: [
          { path: a.path, start: READ_BLOCK - 1, end: a.data.length },
          { path: b.path, start: 0, end: 0 },
          { path: b.path, start: 0, end: b.data.length },
          { path: c.path, start: 7, end: c.data.length },
          { path: d.path, start: 0, end: 5 },
        ],
        expected: Buffer.concat([a.data.subarray(READ_BLOCK - 1), b.data, c.data.subarray(7), d.data]),
      },
      { name: 'nothing', ranges: [], expected: Buffer.alloc(0) },
    ];
  };

  it('pumps every range in order into a slow destination, reusing no buffer before its write completed', async () => {
    const fds = openFds();
    for (const c of cases()) {
      // Twice in a row: the second pump runs on the first one's recycled buffers.
      for (let round = 0; round < 2; round++) {
        const sink = slowSink(c.expected);
        const stream = new FileRangeStream(c.ranges);
        const closed = pumped(stream, sink);
        await sink.done;
        await closed;
        assert.equal(sink.got, c.expected.length, c.name);
        // What the access log and metrics report as sent.
        assert.equal(stream.bytesPumped, c.expected.length, c.name);
        assert.equal(stream.bytesRead, c.expected.length, c.name);
      }
    }
    await eventually(() => openFds() === fds, 'every descriptor closed');
  });

  it('reads the same bytes as a Readable (fresh buffers the reader keeps)', async () => {
    for (const c of cases()) {
      const chunks: Buffer[] = [];
      for await (const chunk of new FileRangeStream(c.ranges)) chunks.push(chunk as Buffer);
      assert.ok(Buffer.concat(chunks).equals(c.expected), c.name);
    }
  });

  it('stops and closes its descriptor when destroyed mid-pump (a client that left)', async () => {
    const fds = openFds();
    const a = files[0]!;
    let writes = 0;
    const stream = new FileRangeStream([{ path: a.path, start: 0, end: a.data.length }]);
    const stuck = new Writable({
      write(_chunk, _enc, cb) {
        writes++;
        if (writes === 2) setImmediate(() => stream.destroy());
        setTimeout(cb, 5);
      },
    });
    await pumped(stream, stuck);
    assert.ok(writes <= 5, `the pump stopped (${writes} writes)`);
    await eventually(() => openFds() === fds, 'the descriptor closed');
  });

  it('reads nothing more once its destination is gone: destroyed before the pump, or mid-way', async () => {
    const a = files[0]!;
    const range = [{ path: a.path, start: 0, end: a.data.length }];
    // A client that left while the answer was prepared.
    const gone = new Writable({ write: (_c, _e, cb) => cb() });
    gone.destroy();
    const early = new FileRangeStream(range);
    await pumped(early, gone);
    assert.equal(early.bytesRead, 0);
    // A client that leaves after the first write: its failing write callbacks stop the pump.
    let writes = 0;
    const leaving: Writable = new Writable({
      write(_c, _e, cb) {
        writes++;
        if (writes === 1) setImmediate(() => leaving.destroy());
        setImmediate(cb);
      },
    });
    const late = new FileRangeStream(range);
    await pumped(late, leaving);
    assert.ok(late.bytesRead <= 3 * READ_BLOCK, `read ${late.bytesRead} of ${a.data.length} bytes after the client left`);
    assert.ok(late.bytesPumped <= 2 * READ_BLOCK);
  });

  it('closes a descriptor being opened or read when destroyed meanwhile (never under a pending read)', async () => {
    const fds = openFds();
    const a = files[0]!;
    for (let i = 0; i < 50; i++) {
      const s = new FileRangeStream([{ path: a.path, start: 0, end: a.data.length }]);
      const closed = pumped(s, new Writable({ write: (_c, _e, cb) => cb() }));
      // i even: during the open of the file; odd: one turn later, during or after the first read.
      if (i % 2 === 0) s.destroy();
      else setImmediate(() => s.destroy());
      await closed;
    }
    await eventually(() => openFds() === fds, `descriptors back to ${fds} (now ${openFds()})`);
  });

  it('fails, not ends short, on a missing file or one shorter than its range', async () => {
    const short = join(dir, 'short');
    await writeFile(short, randomBytes(READ_BLOCK + 10));
    await truncate(short, 100);
    for (const [ranges, want] of [
      [[{ path: join(dir, 'missing'), start: 0, end: 10 }], /ENOENT/],
      [[{ path: short, start: 0, end: READ_BLOCK + 10 }], TruncatedBlobError],
      [[{ path: files[3]!.path, start: 0, end: 5 }, { path: short, start: 50, end: 200 }], TruncatedBlobError],
    ] as [FileRange[], RegExp | typeof TruncatedBlobError][]) {
      const fds = openFds();
      const pumped = new FileRangeStream(ranges);
      const failed = new Promise<Error>((ok) => pumped.once('error', ok));
      pumped.pumpTo(new Writable({ write: (_c, _e, cb) => cb() }));
      const err = await failed;
      if (want instanceof RegExp) assert.match(err.message, want);
      else assert.ok(err instanceof want, err.message);
      await assert.rejects(async () => {
        for await (const _ of new FileRangeStream(ranges)) void _;
      }, want instanceof RegExp ? want : (e: unknown) => e instanceof want);
      await eventually(() => openFds() === fds, 'descriptors closed after the failure');
    }
  });

  it('openFirst reports a file missing or short before anything is read (the first by its descriptor, later ones by stat)', async () => {
    const short = join(dir, 'short-first');
    await writeFile(short, randomBytes(100));
    const whole = files[3]!;
    // Each stream is destroyed once it answered, as the listener does with one it does not send.
    const openFirst = (ranges: FileRange[]): Promise<Error | null> => new Promise((ok) => {
      const s = new FileRangeStream(ranges);
      s.openFirst((err) => {
        s.destroy();
        ok(err);
      });
    });
    const fds = openFds();
    assert.equal(await openFirst([{ path: whole.path, start: 0, end: whole.data.length }, { path: short, start: 0, end: 100 }]), null);
    assert.ok((await openFirst([{ path: short, start: 0, end: 101 }])) instanceof TruncatedBlobError);
    assert.ok((await openFirst([{ path: whole.path, start: 0, end: 5 }, { path: short, start: 50, end: 200 }])) instanceof TruncatedBlobError);
    assert.match(String(await openFirst([{ path: whole.path, start: 0, end: 5 }, { path: join(dir, 'gone'), start: 0, end: 1 }])), /ENOENT/);
    // Destroyed while the files are measured (a client that left): the descriptor is closed all the same.
    for (let i = 0; i < 20; i++) {
      const s = new FileRangeStream([{ path: whole.path, start: 0, end: 5 }, { path: short, start: 0, end: 100 }]);
      const closed = new Promise((ok) => s.once('close', ok));
      s.openFirst(() => undefined);
      if (i % 2 === 0) s.destroy();
      else setImmediate(() => s.destroy());
      await closed;
    }
    await eventually(() => openFds() === fds, `descriptors back to ${fds} (now ${openFds()})`);
  });
});

describe('GetObject through the recycled-buffer pump', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.client().putBucket('pump');
  });
  after(() => server.stop());

  it('serves a multipart object whole and in ranges across its parts (ali-oss)', async () => {
    const client = server.client({ bucket: 'pump' });
    const parts = [randomBytes(100 * 1024 + 3), randomBytes(READ_BLOCK * 2 + 1), randomBytes(4097)];
    const whole = Buffer.concat(parts);
    const { uploadId } = await client.initMultipartUpload('mp');
    const done: { number: number; etag: string }[] = [];
    for (const [i, part] of parts.entries()) {
      const r = await client.uploadPart('mp', uploadId, i + 1, part, 0, part.length);
      done.push({ number: i + 1, etag: r.etag });
    }
    await client.completeMultipartUpload('mp', uploadId, done);
    const got = await client.get('mp');
    assert.ok((got.content as Buffer).equals(whole));
    for (const [start, end] of [[0, 0], [100 * 1024, 100 * 1024 + 5], [50_000, whole.length - 2], [whole.length - 4097, whole.length - 1]] as const) {
      const r = await client.get('mp', undefined, { headers: { Range: `bytes=${start}-${end}` } });
      assert.equal(r.res.status, 206);
      assert.ok((r.content as Buffer).equals(whole.subarray(start, end + 1)), `bytes=${start}-${end}`);
    }
  });

  it('keeps serving, and closes what it opened, when downloads are abandoned midway', async () => {
    const client = server.client({ bucket: 'pump' });
    const big = randomBytes(8 * 1024 * 1024);
    await client.put('big', big);
    await client.get('big'); // opens what the first download of a server opens once
    const fds = openFds();
    const url = server.pathClient({ bucket: 'pump' }).signatureUrl('big', { expires: 600 });
    for (let i = 0; i < 8; i++) {
      await new Promise<void>((ok, fail) => {
        const req = request(url, (res) => {
          assert.equal(res.statusCode, 200);
          res.once('data', () => {
            req.destroy();
            ok();
          });
        });
        req.on('error', (err) => (req.destroyed ? ok() : fail(err)));
        req.end();
      });
    }
    const again = await client.get('big');
    assert.ok((again.content as Buffer).equals(big));
    await eventually(() => openFds() <= fds, `descriptors back to ${fds} (now ${openFds()})`);
  });
});

/**
 * Writes `data` (a multiple of 4 KiB) with O_DIRECT, so that (on most file systems) the page cache holds none
 * of the file. O_DIRECT wants memory aligned to the device's block size and JavaScript cannot ask for an
 * address, so the copy moves through a larger buffer until the write is accepted. False if it never is.
 */
function writeUncached(path: string, data: Buffer): boolean {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_DIRECT);
  } catch {
    return false;
  }
  try {
    return writeDirect(fd, data, 0);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` at `position` of a descriptor opened with O_DIRECT, from a buffer aligned as the file system needs; false if none is. */
function writeDirect(fd: number, data: Buffer, position: number): boolean {
  const scratch = Buffer.allocUnsafeSlow(data.length + 4096);
  for (let off = 0; off < 4096; off += 16) {
    const view = scratch.subarray(off, off + data.length);
    data.copy(view);
    try {
      writeSync(fd, view, 0, view.length, position);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }
  return false;
}

/**
 * What `ask` answers of a fresh 8 KiB file just written (so cached, where the file system caches), by its
 * descriptor. Synchronous: a descriptor held across an await would be counted by another test's descriptor check.
 */
function probeFile<T>(ask: (fd: number) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'alunite-probe-'));
  try {
    writeFileSync(join(dir, 'p'), Buffer.alloc(8192, 1));
    const fd = openSync(join(dir, 'p'), 'r');
    try {
      return ask(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why cached reads cannot be tested here (no addon, not Linux, a kernel without cachestat, tmpfs), or null. */
function cachedReadsUntestable(): string | null {
  if (!cachedReadAvailable()) return 'no page-cache reads in this process (not Linux, or the addon is not built)';
  if (probeFile((fd) => readCached(fd, Buffer.alloc(4096), 4096, 0, 0)) > 0) return null;
  return cachedReadAvailable() ? `${tmpdir()}'s file system cannot read without waiting (tmpfs?)` : 'this kernel has no cachestat (Linux < 6.5) or a sandbox refuses it';
}

describe('reads from the page cache (cached-read)', () => {
  const untestable = cachedReadsUntestable();
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alunite-cached-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('answers a file just written from the page cache, at any position, and 0 past its end or on a bad descriptor', { skip: untestable ?? false }, async () => {
    const data = randomBytes(3 * READ_BLOCK + 5);
    const path = join(dir, 'hot');
    await writeFile(path, data);
    const fd = openSync(path, 'r');
    try {
      const into = Buffer.alloc(READ_BLOCK);
      for (const at of [0, 1, READ_BLOCK - 3, 2 * READ_BLOCK + 100]) {
        const len = Math.min(into.length, data.length - at);
        const n = readCached(fd, into, len, at, at);
        assert.ok(n > 0, `bytes at ${at} come from the cache`);
        assert.ok(into.subarray(0, n).equals(data.subarray(at, at + n)), `the bytes at ${at}`);
      }
      // Into the middle of a view: the bytes land at its start, nothing before or after it is touched.
      const big = Buffer.alloc(64, 0xee);
      assert.equal(readCached(fd, big.subarray(8, 24), 16, 10, NO_CHECK), 16);
      assert.ok(big.subarray(8, 24).equals(data.subarray(10, 26)));
      assert.ok(big.subarray(0, 8).equals(Buffer.alloc(8, 0xee)) && big.subarray(24).equals(Buffer.alloc(40, 0xee)));
      // Past the end: nothing (the thread-pool read then reports the short file); across it, what there is.
      assert.equal(readCached(fd, into, 10, data.length, data.length), 0, 'past the end of the file');
      assert.equal(readCached(fd, into, 10, data.length - 5, data.length - 5), 5, 'a block reaching past the end');
      assert.ok(into.subarray(0, 5).equals(data.subarray(data.length - 5)));
    } finally {
      closeSync(fd);
    }
    assert.equal(readCached(2 ** 30, Buffer.alloc(8), 8, 0, 0), NOT_THIS_FILE, 'a bad descriptor: for the thread pool to report');
  });

  it('refuses arguments that would read outside the buffer (the addon itself)', { skip: cachedReadAvailable() ? false : 'no addon read here' }, () => {
    const raw = loadNativeCrc64()!.readCached!;
    const b = Buffer.alloc(16);
    for (const [args, kind] of [
      [[0, b, 17, 0, 0], RangeError],
      [[0, b, 0, 0, 0], RangeError],
      [[0, b, 1.5, 0, 0], RangeError],
      [[0, b, Number.NaN, 0, 0], RangeError],
      [[0, b, 4, -1, 0], RangeError],
      [[0, b, 4, 2 ** 53, 0], RangeError],
      [[0, b, 4, 2 ** 53 - 2, 0], RangeError],
      [[0, b, 4, 0, -2], RangeError],
      [[0, b, 4, 0, 0.5], RangeError],
      [[0, b, 4, 0, Infinity], RangeError],
      [[0, b, 4, 0, 2 ** 53], RangeError],
      [[-1, b, 4, 0, 0], RangeError],
      [[0.5, b, 4, 0, 0], RangeError],
      [[2 ** 32, b, 4, 0, 0], RangeError],
      [[0, new Uint16Array(8), 4, 0, 0], TypeError],
      [[0, 'x', 4, 0, 0], TypeError],
      [[0, b, 4, 0], TypeError],
    ] as [unknown[], typeof RangeError][]) {
      assert.throws(() => (raw as unknown as (...a: unknown[]) => number)(...args), kind, JSON.stringify(args.map(String)));
    }
  });

  it('pumps cached files without the thread pool, giving the event loop a turn every MiB or so, however many at once', { skip: untestable ?? false }, async () => {
    const hot = randomBytes(16 * READ_BLOCK);
    await writeFile(join(dir, 'hot2'), hot);
    for (const streams of [1, 4]) {
      const before = { ...cachedReadStats };
      const turning = countTurns();
      // Destinations that complete every write at once (readers that keep up): nothing else yields.
      const got: Buffer[][] = Array.from({ length: streams }, () => []);
      await Promise.all(got.map((chunks) => pumped(
        new FileRangeStream([{ path: join(dir, 'hot2'), start: 0, end: hot.length }]),
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            chunks.push(Buffer.from(chunk));
            cb();
          },
        }),
      )));
      const turns = turning.stop();
      for (const chunks of got) assert.ok(Buffer.concat(chunks).equals(hot));
      assert.equal(cachedReadStats.hits - before.hits, 16 * streams, 'every block read from the cache');
      assert.equal(cachedReadStats.misses - before.misses, 0);
      // 4 MiB per stream; per turn the whole process reads at most the 1 MiB budget plus one block for each
      // stream that waited (without the budget: 2 turns whatever the count, the open and the close).
      const least = Math.floor((streams * hot.length) / (1024 * 1024 + streams * READ_BLOCK));
      assert.ok(turns >= least, `${streams} downloads: the event loop turned ${turns} times (at least ${least})`);
    }
  });

  it('lets a download that waits for the budget through while a long one spends it in every turn', { skip: untestable ?? false }, async () => {
    const long = randomBytes(64 * READ_BLOCK);
    const short = randomBytes(3 * READ_BLOCK + 10);
    await writeFile(join(dir, 'long'), long);
    await writeFile(join(dir, 'short'), short);
    const order: string[] = [];
    const collect = (name: string, want: Buffer, hold: ((cb: () => void) => void) | null): Writable => {
      const chunks: Buffer[] = [];
      return new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(Buffer.from(chunk));
          if (hold) hold(() => cb());
          else cb();
        },
        final(cb) {
          assert.ok(Buffer.concat(chunks).equals(want), name);
          order.push(name);
          cb();
        },
      });
    };
    // Ordered by events and turns of the loop, not by time: first the short download opens its file and
    // reads its first two blocks (its first write held, as a slow client's is), then the long one starts and
    // reads in every turn, and only then is the short one's write let go, so its next block must wait for
    // the budget that the long one spends.
    const held: Array<() => void> = [];
    let released = false;
    let firstHeld!: () => void;
    const heldOne = new Promise<void>((ok) => (firstHeld = ok));
    const shortDone = pumped(new FileRangeStream([{ path: join(dir, 'short'), start: 0, end: short.length }]), collect('short', short, (cb) => {
      if (released) return cb();
      held.push(cb);
      firstHeld();
    }));
    await heldOne;
    const longStream = new FileRangeStream([{ path: join(dir, 'long'), start: 0, end: long.length }]);
    const longDone = pumped(longStream, collect('long', long, null));
    while (longStream.bytesRead === 0) await new Promise((r) => setImmediate(r));
    released = true;
    for (const cb of held.splice(0)) cb();
    await Promise.all([shortDone, longDone]);
    assert.deepEqual(order, ['short', 'long'], 'the short download did not wait for the long one to end');
  });

  it('reads through the thread pool a file the cache does not hold to its end, bytes intact', { skip: untestable ?? false }, async (t) => {
    const cold = randomBytes(4 * READ_BLOCK);
    const path = join(dir, 'cold');
    if (!writeUncached(path, cold)) return t.skip('no O_DIRECT on this file system: cannot make a file the cache does not hold');
    const fd = openSync(path, 'r');
    try {
      if (readCached(fd, Buffer.alloc(4096), 4096, 3 * READ_BLOCK, 3 * READ_BLOCK) !== 0) return t.skip('this file system caches O_DIRECT writes');
    } finally {
      closeSync(fd);
    }
    const before = { ...cachedReadStats };
    const sink = slowSink(cold);
    const stream = new FileRangeStream([{ path, start: 0, end: cold.length }]);
    await Promise.all([pumped(stream, sink), sink.done]);
    assert.equal(stream.bytesPumped, cold.length);
    assert.ok(cachedReadStats.misses - before.misses >= 1, 'asked, and refused: the thread pool read the first block');
  });

  it('reads a file with a hole in the cache on the loop but for the hole, bytes intact', { skip: untestable ?? false }, async (t) => {
    // A file the cache holds but for one block near its end (as when the kernel evicted a few pages): the
    // first read finds it not cached to its end; then each block asks how much of it is cached and filled.
    // Before, the hole ahead sent every block up to it to the thread pool (29 of 32 here).
    const data = randomBytes(32 * READ_BLOCK);
    const path = join(dir, 'holed');
    await writeFile(path, data);
    if (!punchCacheHole(path, data, 28 * READ_BLOCK, READ_BLOCK)) return t.skip('cannot evict part of a file from the cache here (O_DIRECT)');
    const before = { ...cachedReadStats };
    const sink = slowSink(data);
    const stream = new FileRangeStream([{ path, start: 0, end: data.length }]);
    await Promise.all([pumped(stream, sink), sink.done]);
    assert.equal(stream.bytesPumped, data.length);
    assert.ok(stream.bytesFromPool >= 4096, 'the hole was read by the thread pool');
    // The hole, and any pages the kernel evicts meanwhile (a machine short of memory does): not the file.
    assert.ok(stream.bytesFromPool <= 6 * READ_BLOCK, `the pool read ${stream.bytesFromPool / READ_BLOCK} blocks, not the blocks before the hole`);
    assert.ok(cachedReadStats.hits - before.hits >= 24, `the other blocks were read on the loop (${cachedReadStats.hits - before.hits})`);
  });

  it('residentSpan: the bytes the cache holds filled from a position, up to a hole, cut at the end of the file', { skip: untestable ?? false }, async (t) => {
    const data = randomBytes(8 * READ_BLOCK + 100);
    const path = join(dir, 'span');
    await writeFile(path, data);
    if (!punchCacheHole(path, data, 4 * READ_BLOCK, READ_BLOCK)) return t.skip('cannot evict part of a file from the cache here (O_DIRECT)');
    const fd = openSync(path, 'r');
    try {
      assert.equal(residentSpan(fd, 0, READ_BLOCK), READ_BLOCK, 'a cached block');
      assert.equal(residentSpan(fd, 3 * READ_BLOCK + 10, READ_BLOCK), READ_BLOCK - 10, 'up to the hole, from a position inside a page');
      assert.equal(residentSpan(fd, 4 * READ_BLOCK, READ_BLOCK), 0, 'in the hole');
      assert.equal(residentSpan(fd, 8 * READ_BLOCK, READ_BLOCK), 100, 'cut at the end of the file');
      assert.equal(residentSpan(fd, data.length, 10), 0, 'at the end of the file');
      assert.equal(residentSpan(fd, data.length + 5000, 10), 0, 'past the end of the file');
      assert.equal(residentSpan(2 ** 30, 0, 10), 0, 'a bad descriptor: for the thread pool to report');
    } finally {
      closeSync(fd);
    }
    const raw = loadNativeCrc64()!.residentSpan! as unknown as (...a: unknown[]) => number;
    for (const [args, kind] of [
      [[-1, 0, 4], RangeError],
      [[0, 0, 0], RangeError],
      [[0, -1, 4], RangeError],
      [[0, 2 ** 53 - 2, 4], RangeError],
      [[0, 0, 1.5], RangeError],
      [[0, 0], TypeError],
      [[0, 'x', 4], TypeError],
    ] as [unknown[], typeof RangeError][]) {
      assert.throws(() => raw(...args), kind, JSON.stringify(args.map(String)));
    }
  });

  it('residentSpan: 0 for a file the process may neither write nor owns (mincore then answers every page resident)', { skip: untestable ?? false }, async (t) => {
    // Linux answers mincore on such a file with every page resident (a side channel closed since 5.0), so a
    // block not cached at all was found filled, and sent with sendfile, which waits for the disk. A server
    // running as a user other than its blob files' owner (files restored by another user) meets this.
    if (process.getuid?.() !== 0) return t.skip('needs root, to ask as another user');
    const cold = randomBytes(2 * READ_BLOCK);
    const other = await mkdtemp(join(tmpdir(), 'alunite-owner-'));
    try {
      chmodSync(other, 0o755);
      const rootOwned = join(other, 'root-owned');
      if (!writeUncached(rootOwned, cold)) return t.skip('no O_DIRECT on this file system');
      chmodSync(rootOwned, 0o644);
      const fd = openSync(rootOwned, 'r');
      try {
        if (residentSpan(fd, 0, READ_BLOCK) !== 0) return t.skip('this file system caches O_DIRECT writes');
      } finally {
        closeSync(fd);
      }
      // The same bytes cached, in a file the other user owns: there mincore tells, and is believed.
      const theirs = join(other, 'theirs');
      writeFileSync(theirs, cold);
      chownSync(theirs, 65534, 65534);
      const addon = new URL('../src/util/crc64-native.js', import.meta.url).href;
      // Read again just before it is asked about: this host's kernel evicts unused pages within seconds.
      const script = `import { openSync, readFileSync } from 'node:fs'; const a = (await import(${JSON.stringify(addon)})).loadNativeCrc64();
        const ask = (p) => a.residentSpan(openSync(p, 'r'), 0, ${READ_BLOCK});
        const notOurs = ask(${JSON.stringify(rootOwned)}); readFileSync(${JSON.stringify(theirs)});
        console.log(JSON.stringify([notOurs, ask(${JSON.stringify(theirs)})]));`;
      let out: string;
      try {
        out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
      } catch (err) {
        return t.skip(`cannot run node as another user here: ${String(err).split('\n')[0]}`);
      }
      const [notOurs, ours] = JSON.parse(out) as [number, number];
      assert.ok(notOurs <= 0, `a block of a file not cached, not ours and not writable: ${notOurs} bytes found filled`);
      assert.equal(ours, READ_BLOCK, 'a cached block of a file the process owns');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

/**
 * Evicts `length` bytes at `offset` of a file from the page cache by writing the same bytes there with
 * O_DIRECT (a direct write drops the cached pages it covers). False where it cannot, or the pages stay.
 */
function punchCacheHole(path: string, data: Buffer, offset: number, length: number): boolean {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_DIRECT);
  } catch {
    return false;
  }
  try {
    if (!writeDirect(fd, data.subarray(offset, offset + length), offset)) return false;
  } finally {
    closeSync(fd);
  }
  const rd = openSync(path, 'r');
  try {
    // Still cached (a file system that caches direct writes): no hole to test with.
    return readCached(rd, Buffer.alloc(4096), 4096, offset, offset) === 0;
  } finally {
    closeSync(rd);
  }
}

/**
 * A GET answered by a raw request (no client library buffering in between), read at the pace `pace` sets:
 * it is called with the response once its head arrived and returns when reading may go on.
 */
function rawGet(url: string, pace: (res: IncomingMessage) => Promise<void>): Promise<{ status: number; body: Buffer }> {
  return new Promise((ok, fail) => {
    const req = request(url, { agent: false }, (res) => {
      res.pause();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', fail);
      pace(res).then(() => res.resume(), fail);
    });
    req.on('error', fail);
    req.end();
  });
}

/** Why sends of cached files cannot be tested here (as for cached reads, or sendfile refused), or null. */
function cachedSendsUntestable(): string | null {
  const reads = cachedReadsUntestable();
  if (reads !== null) return reads;
  if (!cachedSendAvailable()) return 'no sendCached in the addon';
  const [rd, wr] = pipePair();
  try {
    const n = probeFile((fd) => sendCached(wr, fd, 4096, 0));
    return n === 4096 ? null : `sendfile here answers ${String(n)}`;
  } finally {
    closeSync(rd);
    closeSync(wr);
  }
}

describe('downloads sent from the page cache to the socket (sendfile)', () => {
  const untestable = cachedSendsUntestable();
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.client().putBucket('send');
  });
  after(() => server.stop());

  it('sends cached objects whole, in ranges and across multipart parts, bytes intact, over one kept-alive connection', { skip: untestable ?? false }, async () => {
    const client = server.client({ bucket: 'send' });
    const big = randomBytes(8 * 1024 * 1024 + 3);
    await client.put('big', big);
    const parts = [randomBytes(5 * READ_BLOCK + 7), randomBytes(3 * READ_BLOCK), randomBytes(READ_BLOCK + 1)];
    const whole = Buffer.concat(parts);
    const { uploadId } = await client.initMultipartUpload('mp');
    const done: { number: number; etag: string }[] = [];
    for (const [i, part] of parts.entries()) done.push({ number: i + 1, etag: (await client.uploadPart('mp', uploadId, i + 1, part, 0, part.length)).etag });
    await client.completeMultipartUpload('mp', uploadId, done);
    const before = { ...cachedSendStats };
    assert.ok((await client.get('big')).content.equals(big));
    assert.ok(cachedSendStats.bytes - before.bytes > 0, 'some of the object went by sendfile');
    assert.ok((await client.get('mp')).content.equals(whole));
    for (const [start, end] of [[1, big.length - 2], [READ_BLOCK + 5, 4 * 1024 * 1024]] as const) {
      const r = await client.get('big', undefined, { headers: { Range: `bytes=${start}-${end}` } });
      assert.equal(r.res.status, 206);
      assert.ok((r.content as Buffer).equals(big.subarray(start, end + 1)), `big bytes=${start}-${end}`);
    }
    for (const [start, end] of [[READ_BLOCK, whole.length - 1], [100, parts[0]!.length + 2 * READ_BLOCK]] as const) {
      const r = await client.get('mp', undefined, { headers: { Range: `bytes=${start}-${end}` } });
      assert.equal(r.res.status, 206);
      assert.ok((r.content as Buffer).equals(whole.subarray(start, end + 1)), `mp bytes=${start}-${end}`);
    }
  });

  it('a reader that stops: the full socket gets the next block the usual way, then sends resume; bytes intact', { skip: untestable ?? false }, async () => {
    const client = server.client({ bucket: 'send' });
    // More than loopback's socket buffers hold, so a reader that stops makes the socket refuse a send.
    const big = randomBytes(48 * 1024 * 1024);
    await client.put('stall', big);
    const url = server.pathClient({ bucket: 'send' }).signatureUrl('stall', { expires: 600 });
    const before = { ...cachedSendStats };
    const got = await rawGet(url, async () => {
      await eventually(() => cachedSendStats.declined > before.declined, 'the socket refused a send while the reader stopped');
    });
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(big), 'the bytes sent and written in turn, in order');
    assert.ok(cachedSendStats.sends > before.sends);
  });

  it('counts sent bytes as activity: a download sent by sendfile for twice the idle timeout is not cut', { skip: untestable ?? false }, async () => {
    const idle = await startTestServer({ idleTimeoutMs: 2000 });
    try {
      await idle.client().putBucket('idle');
      const big = randomBytes(32 * 1024 * 1024);
      await idle.client({ bucket: 'idle' }).put('big', big);
      const url = idle.pathClient({ bucket: 'idle' }).signatureUrl('big', { expires: 600 });
      // The download runs ~1 MiB per turn of the loop (the budget), and each turn here is made 150 ms long, so
      // it lasts ~4.5 s, twice the timeout (a stall of the machine longer than the timeout between two turns
      // is what could fail this test); a reader in another process keeps up, so the socket never fills and
      // node itself writes nothing for the whole time.
      let slow = true;
      const turn = (): void => {
        const until = Date.now() + 150;
        while (Date.now() < until);
        if (slow) setImmediate(turn);
      };
      setImmediate(turn);
      const before = { ...cachedSendStats };
      const reader = `const h=require('node:crypto').createHash('sha256');let n=0;require('node:http').get(process.argv[1],(r)=>{r.on('data',(c)=>{n+=c.length;h.update(c)});r.on('end',()=>console.log(n,h.digest('hex')));r.on('error',()=>console.log(n,'cut'))}).on('error',()=>console.log(n,'cut'))`;
      const out = await new Promise<string>((ok, fail) => execFile(process.execPath, ['-e', reader, url], (err, stdout) => (err ? fail(err) : ok(stdout.trim()))));
      slow = false;
      assert.equal(out, `${big.length} ${createHash('sha256').update(big).digest('hex')}`, 'the whole object, not cut by the idle timeout');
      assert.ok(cachedSendStats.bytes - before.bytes > 16 * 1024 * 1024, 'most of it went by sendfile');
    } finally {
      await idle.stop();
    }
  });

  it('answers pipelined requests in order: a response waiting for the socket never sends under another', { skip: untestable ?? false }, async () => {
    const client = server.client({ bucket: 'send' });
    const a = randomBytes(4 * 1024 * 1024 + 1);
    const b = randomBytes(3 * 1024 * 1024 + 7);
    await client.put('pa', a);
    await client.put('pb', b);
    const paths = ['pa', 'pb', 'pa'].map((k) => new URL(server.pathClient({ bucket: 'send' }).signatureUrl(k, { expires: 600 })));
    const raw = await new Promise<Buffer>((ok, fail) => {
      const socket = connect(Number(paths[0]!.port), paths[0]!.hostname, () => {
        // All three requests at once: the second and third answers wait for the first to finish.
        socket.write(paths.map((u, i) => `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n${i === 2 ? 'Connection: close\r\n' : ''}\r\n`).join(''));
      });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => ok(Buffer.concat(chunks)));
      socket.on('error', fail);
    });
    let at = 0;
    for (const want of [a, b, a]) {
      const headEnd = raw.indexOf('\r\n\r\n', at);
      const head = raw.subarray(at, headEnd).toString('latin1');
      assert.match(head, /^HTTP\/1\.1 200 /);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
      assert.equal(length, want.length);
      assert.ok(raw.subarray(headEnd + 4, headEnd + 4 + length).equals(want), 'each body whole and in its place');
      at = headEnd + 4 + length;
    }
    assert.equal(at, raw.length, 'nothing after the third answer');
  });

  it('sends the bytes the cache holds, checking only those; tells a full pipe from a reader that left', { skip: untestable ?? false }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-send-'));
    try {
      const cold = randomBytes(128 * READ_BLOCK);
      const path = join(dir, 'cold');
      if (!writeUncached(path, cold)) return t.skip('no O_DIRECT on this file system');
      const fd = openSync(path, 'r');
      // A pipe stands in for the socket: sendfile writes to any descriptor.
      const pipe = pipePair();
      let rd = pipe[0];
      const wr = pipe[1];
      try {
        if (readCached(fd, Buffer.alloc(4096), 4096, 3 * READ_BLOCK, 3 * READ_BLOCK) !== 0) return t.skip('this file system caches O_DIRECT writes');
        assert.equal(sendCached(wr, fd, 4096, 0), 'not-cached');
        // Only the bytes sent are checked (the caller checked the rest of the file before its first send): a
        // cached head is sent though the tail is not cached (a read of the head caches a readahead window).
        readSync(fd, Buffer.alloc(4096), 0, 4096, 0);
        assert.equal(sendCached(wr, fd, 4096, 0), 4096, 'the cached head');
        assert.equal(readSync(rd, Buffer.alloc(4096), 0, 4096, null), 4096);
        assert.equal(sendCached(wr, fd, 4096, cold.length - 4096), 'not-cached', 'the tail the cache does not hold');
        await writeFile(join(dir, 'hot'), cold);
        const hot = openSync(join(dir, 'hot'), 'r');
        try {
          // Nothing there: the usual read then reports the file as shorter than its range.
          assert.equal(sendCached(wr, hot, 4096, cold.length), 'not-cached', 'at the end of the file');
          assert.equal(sendCached(wr, hot, 4096, 10), 4096);
          const back = Buffer.alloc(4096);
          assert.equal(readSync(rd, back, 0, 4096, null), 4096);
          assert.ok(back.equals(cold.subarray(10, 4106)));
          // A pipe that takes nothing more: full; nobody reading any more: the peer is gone (EPIPE).
          let sent = 0;
          for (let i = 0; i < 1000; i++) {
            const n = sendCached(wr, hot, 4096, 0);
            if (n === 'full') break;
            assert.equal(typeof n, 'number');
            sent += n as number;
          }
          assert.equal(sendCached(wr, hot, 4096, 0), 'full', `the pipe filled (after ${sent} bytes)`);
          closeSync(rd);
          rd = -1;
          assert.equal(sendCached(wr, hot, 4096, 0), 'gone');
        } finally {
          closeSync(hot);
        }
      } finally {
        closeSync(fd);
        if (rd >= 0) closeSync(rd);
        closeSync(wr);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sends a range with a hole in the cache but for the hole (read by the pool), bytes intact; a cached file is sent whole', { skip: untestable ?? false }, async (t) => {
    const client = server.client({ bucket: 'send' });
    const data = randomBytes(33 * READ_BLOCK);
    await client.put('holed', data);
    const blob = readdirSync(join(server.dataDir, 'blobs'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath ?? e.path, e.name))
      .find((p) => statSync(p).size === data.length);
    assert.ok(blob !== undefined, "the object's file");
    // A hole near the end: before, nothing of the range went by sendfile once it was found not cached to its
    // end. Now each block asks mincore what is cached and filled (a page the pool's readahead is still reading
    // in is not, so no send waits for the disk): all but the hole is sent.
    if (!punchCacheHole(blob, data, 29 * READ_BLOCK, READ_BLOCK)) return t.skip('cannot evict part of a file from the cache here (O_DIRECT)');
    const sends = { ...cachedSendStats };
    assert.ok((await client.get('holed')).content.equals(data));
    // The first block goes with the response's head (a read); pages evicted meanwhile go by the pool too.
    assert.ok(cachedSendStats.bytes - sends.bytes >= 20 * READ_BLOCK, `the blocks around the hole went by sendfile (${(cachedSendStats.bytes - sends.bytes) / READ_BLOCK} blocks)`);
    assert.ok((await client.get('holed')).content.equals(data));
  });

  it('refuses arguments out of range (the addon itself)', { skip: cachedSendAvailable() ? false : 'no sendCached here' }, () => {
    const raw = loadNativeCrc64()!.sendCached! as unknown as (...a: unknown[]) => number;
    for (const [args, kind] of [
      [[-1, 0, 4, 0], RangeError],
      [[0, 2 ** 31, 4, 0], RangeError],
      [[0, 0, 0, 0], RangeError],
      [[0, 0, 2 ** 30 + 1, 0], RangeError],
      [[0, 0, 1.5, 0], RangeError],
      [[0, 0, 4, -1], RangeError],
      [[0, 0, 4, 2 ** 53 - 2], RangeError],
      [[0, 0, 4, Number.NaN], RangeError],
      [[0, 0, 4], TypeError],
      [[0, 0, 'x', 0], TypeError],
    ] as [unknown[], typeof RangeError][]) {
      assert.throws(() => raw(...args), kind, JSON.stringify(args.map(String)));
    }
  });
});

/** Why connections cannot be seen left unpaced here: no addon with the socket options, or a default other than BBR. */
function pacingUntestable(): string | null {
  const addon = loadNativeCrc64();
  if (typeof addon?.tcpCongestion !== 'function') return 'no tcpCongestion in the addon here';
  let system = '';
  try {
    system = readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
  } catch {
    return 'no /proc/sys/net/ipv4/tcp_congestion_control';
  }
  return system.startsWith('bbr') ? null : `the system's congestion control is ${system}, not BBR: nothing to change`;
}

/** The congestion control of the server's side of each connection, asked when it is accepted. */
function recordCc(server: TcpServer): string[] {
  const seen: string[] = [];
  const addon = loadNativeCrc64()!;
  server.on('connection', (socket: Socket) => {
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    seen.push(String(addon.tcpCongestion!(fd)));
  });
  return seen;
}

describe('connections from this host go unpaced under BBR (loopback-pacing)', () => {
  const untestable = pacingUntestable();

  it('a GET over loopback: the connection runs reno, not the paced default; bytes intact and still sent by sendfile', { skip: untestable ?? false }, async () => {
    const server = await startTestServer();
    try {
      const seen = recordCc(server.server);
      const client = server.client({ bucket: 'unpaced' });
      await server.client().putBucket('unpaced');
      const big = randomBytes(16 * 1024 * 1024 + 5);
      await client.put('big', big);
      const before = { ...loopbackPacingStats };
      const sent = cachedSendStats.bytes;
      const got = await client.get('big');
      assert.ok((got.content as Buffer).equals(big), 'the object, byte for byte');
      assert.ok(seen.length > 0 && seen.every((cc) => cc === 'reno'), `server-side congestion control: ${seen.join(', ')}`);
      assert.ok(loopbackPacingStats.unpaced > 0, 'connections counted as unpaced');
      assert.equal(loopbackPacingStats.failed, before.failed);
      if (cachedSendsUntestable() === null) assert.ok(cachedSendStats.bytes > sent, 'the body still went by sendfile');
    } finally {
      await server.stop();
    }
  });

  it('with keepLoopbackPacing (--keep-loopback-pacing) a loopback connection keeps the system default', { skip: untestable ?? false }, async () => {
    const system = readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
    const server = await startTestServer({ keepLoopbackPacing: true });
    try {
      const seen = recordCc(server.server);
      const before = { ...loopbackPacingStats };
      await server.client().putBucket('paced');
      assert.ok(seen.length > 0 && seen.every((cc) => cc === system), `server-side congestion control: ${seen.join(', ')}`);
      assert.deepEqual(loopbackPacingStats, before, 'nothing counted: the listener was left alone');
    } finally {
      await server.stop();
    }
  });

  it('a connection from another address of this host gets the system default back; one over loopback keeps reno', { skip: untestable ?? false }, async (t) => {
    const own = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    if (own === undefined) return t.skip('no non-loopback IPv4 address here');
    const system = readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
    const server = createTcpServer((socket) => socket.end('x'));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    try {
      assert.equal(unpaceLoopback(server), true);
      const seen = recordCc(server);
      const port = (server.address() as { port: number }).port;
      const before = { ...loopbackPacingStats };
      for (const host of ['127.0.0.1', own]) {
        await new Promise<void>((resolve, reject) => {
          const c = connect(port, host);
          c.on('error', reject).on('close', () => resolve()).resume();
        });
      }
      assert.deepEqual(seen, ['reno', system]);
      assert.equal(loopbackPacingStats.unpaced - before.unpaced, 1);
      assert.equal(loopbackPacingStats.restored - before.restored, 1);
    } finally {
      server.close();
    }
  });

  it('tells loopback peers from others', () => {
    for (const a of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
    for (const a of [undefined, '10.0.0.1', '::ffff:10.0.0.1', '::2', '1.127.0.0', '2001:db8::1']) assert.equal(isLoopback(a), false, String(a));
  });

  it('the addon checks its arguments and answers errors as negative errnos', { skip: typeof loadNativeCrc64()?.tcpCongestion === 'function' ? false : 'no tcpCongestion in the addon here' }, async () => {
    const addon = loadNativeCrc64()!;
    const raw = addon as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const [fn, args, kind] of [
      ['tcpCongestion', [], TypeError],
      ['tcpCongestion', ['3'], TypeError],
      ['tcpCongestion', [-1], RangeError],
      ['tcpCongestion', [1.5], RangeError],
      ['setTcpCongestion', [3], TypeError],
      ['setTcpCongestion', [3, 5], TypeError],
      ['setTcpCongestion', [3, ''], TypeError],
      ['setTcpCongestion', [3, 'x'.repeat(16)], TypeError],
      ['setTcpCongestion', [2 ** 31, 'reno'], RangeError],
    ] as [string, unknown[], typeof TypeError][]) {
      assert.throws(() => raw[fn]!(...args), kind, `${fn}(${args.map(String).join(', ')})`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'alunite-cc-'));
    const file = openSync(join(dir, 'f'), 'w');
    try {
      assert.equal(addon.tcpCongestion!(file), -osConstants.errno.ENOTSOCK);
      assert.equal(addon.setTcpCongestion!(file, 'reno'), -osConstants.errno.ENOTSOCK);
    } finally {
      closeSync(file);
      rmSync(dir, { recursive: true, force: true });
    }
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      assert.equal(typeof addon.tcpCongestion!(fd), 'string');
      assert.equal(addon.setTcpCongestion!(fd, 'no-such-cc'), -osConstants.errno.ENOENT);
      assert.equal(addon.setTcpCongestion!(fd, 'reno'), 0);
      assert.equal(addon.tcpCongestion!(fd), 'reno');
    } finally {
      server.close();
    }
  });
});
