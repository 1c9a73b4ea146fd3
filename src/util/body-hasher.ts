import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ChunkCipherName, CipherSpec } from './chunk-cipher.js';
import { md5LanesAvailable } from './md5-lanes.js';

/**
 * MD5, CRC-64 (and, for signed V4 bodies, SHA-256) of upload bodies on worker threads, fed with 512 KiB blocks
 * of shared memory; given a file descriptor, the worker also writes each block to it right after hashing it
 * (the bytes are still in its cache). The event loop then only copies socket chunks into a block and posts
 * its index: hashing (~1 ns/byte for MD5), the write syscalls and their completions all leave the loop.
 *
 * A block's shared memory is posted to a worker once (then known there by its index): posting a
 * SharedArrayBuffer per block made the worker create an object for a block of external memory each time,
 * and the garbage collections that followed cost more than the hashing.
 */

/**
 * Bytes per block: one message, one hash update and one write each. 512 KiB: an upload holds at most two
 * blocks (one filling, one with its worker), so 16 parallel uploads hold 16 MiB rather than 32 (the 5 GiB
 * soak's RSS growth fell from +40 to +26 MiB); hashing and writing cost the same per byte.
 */
export const BLOCK_SIZE = 512 * 1024;
/** Blocks of one body waiting for (or in) its worker; the producer waits beyond that (backpressure). */
const MAX_QUEUED_PER_JOB = 1;
/** Free blocks kept for reuse (not returned to the allocator): steady memory under steady load. */
const MAX_FREE_SLOTS = 16;

export type HasherRequest =
  | { t: 'slot'; slot: number; sab: SharedArrayBuffer }
  | { t: 'forget'; slot: number }
  | { t: 'open'; job: number; fd: number | null; sha256: boolean; seal: WorkerSeal | null }
  | { t: 'data'; job: number; slot: number; len: number }
  | { t: 'end'; job: number }
  | { t: 'drop'; job: number }
  // Reading a sealed blob (util/sealed-reader.ts): the worker reads chunks from `fd` and opens them.
  | { t: 'ropen'; job: number; fd: number; cipher: ChunkCipherName; dataKey: Uint8Array; plainSize: number }
  | { t: 'rread'; job: number; first: number; count: number };

/** A job's sealing (encryption at rest): the worker seals each block after hashing it and writes the sealed form. */
export interface WorkerSeal {
  cipher: ChunkCipherName;
  dataKey: Uint8Array;
  /** The blob's header, written first. */
  header: Uint8Array;
}

export type HasherReply =
  | { t: 'ack'; job: number }
  /** `corrupt`: stored bytes failed authentication (CorruptCiphertextError), not an I/O error. */
  | { t: 'fail'; job: number; code: string | undefined; message: string; corrupt?: boolean }
  | { t: 'dropped'; job: number }
  | { t: 'done'; job: number; md5: Uint8Array; crc64: bigint; sha256: string | null }
  | { t: 'plain'; job: number; first: number; data: Uint8Array };

/** What a thread routes its replies to. */
export interface ThreadJob {
  receive(m: HasherReply): void;
  fail(err: Error): void;
}

let nextSlotId = 1;

/** A reusable block of shared memory; free again when every holder (producer, writer, worker) let go. */
export class Slot {
  readonly id = nextSlotId++;
  readonly sab = new SharedArrayBuffer(BLOCK_SIZE);
  readonly buf = Buffer.from(this.sab);
  refs = 1;
}

const freeSlots: Slot[] = [];

export function acquireSlot(): Slot {
  const slot = freeSlots.pop() ?? new Slot();
  slot.refs = 1;
  return slot;
}

export function releaseSlot(slot: Slot): void {
  if (--slot.refs !== 0) return;
  if (freeSlots.length < MAX_FREE_SLOTS) {
    freeSlots.push(slot);
    return;
  }
  // Dropped for good: the workers that know it let go of it too.
  for (const t of threads) if (t.known.delete(slot.id)) t.worker.postMessage({ t: 'forget', slot: slot.id } satisfies HasherRequest);
}

export interface BodyDigests {
  md5: Buffer;
  crc64: bigint;
  /** Hex SHA-256, when the job was opened with `sha256`. */
  sha256: string | null;
}

export interface HashJobOptions {
  /** Write every block to this descriptor (in order, at its current offset) after hashing it. */
  fd?: number;
  /** Also compute SHA-256 (a signed V4 body). */
  sha256?: boolean;
  /** With `fd`: write the blocks sealed with this cipher (header first), hashing the plaintext. */
  seal?: { cipher: CipherSpec; header: Buffer };
}

export class HashThread {
  readonly worker: Worker;
  readonly jobs = new Map<number, ThreadJob>();
  /** Ids of the slots whose memory this worker holds. */
  readonly known = new Set<number>();
  dead = false;

  add(id: number, job: ThreadJob): void {
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(id, job);
  }

  remove(id: number): void {
    if (this.jobs.delete(id) && this.jobs.size === 0) this.worker.unref();
  }

  post(m: HasherRequest): void {
    this.worker.postMessage(m);
  }

  constructor(private readonly onDeath: (t: HashThread) => void) {
    this.worker = new Worker(new URL('./hash-worker.js', import.meta.url));
    this.worker.on('message', (m: HasherReply) => this.jobs.get(m.job)?.receive(m));
    // An idle worker must not keep a CLI or test process alive: referenced only while it has jobs.
    this.worker.unref();
    const die = (err: Error): void => {
      if (this.dead) return;
      this.dead = true;
      this.onDeath(this);
      for (const job of this.jobs.values()) job.fail(err);
      this.jobs.clear();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`hash worker exited (code ${code})`)));
  }
}

let nextJob = 1;
/** A new job id (unique across every kind of job on the threads). */
export const newJobId = (): number => nextJob++;
const threads: HashThread[] = [];
const THREADS = Math.max(1, Math.min(4, availableParallelism()));

/**
 * Uploads one thread takes before the next is started, when their blocks can be hashed together (MD5 lanes,
 * util/md5-lanes.ts): four uploads' MD5 on one thread cost about what 1.7 cost one at a time, and one
 * thread hashes and writes ~1 GB/s. Only where CPU is scarce (≤ 2 cores, which the server's own thread, the
 * kernel's copies and the clients share): with more cores, uploads spread over the threads for throughput
 * (two packed on one thread hashed 630 MiB/s, spread over two 870), and lanes still form once uploads
 * outnumber the threads.
 */
const PACK = md5LanesAvailable && availableParallelism() <= 2 ? 4 : 1;

/**
 * A worker thread (started on demand) for a job: an upload (`pack`) joins the first thread with room for
 * its lanes; otherwise, or when all are full, the least loaded thread.
 */
export function pickThread(pack = false): HashThread {
  if (pack) {
    const roomy = threads.find((t) => t.jobs.size < PACK);
    if (roomy !== undefined) return roomy;
  }
  if (threads.length < THREADS) {
    const t = new HashThread((dead) => threads.splice(threads.indexOf(dead), 1));
    threads.push(t);
    return t;
  }
  // Least loaded: a body's blocks all go to one thread (MD5 is sequential).
  return threads.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
}

/** An error the worker met writing (its errno code kept, so a full disk is still recognised). */
export function workerError(code: string | undefined, message: string): Error {
  const err = new Error(message) as NodeJS.ErrnoException;
  if (code !== undefined) err.code = code;
  return err;
}

/** Hashes one body (and, with an fd, writes it), block by block, on a worker thread. */
export class HashJob implements ThreadJob {
  private readonly id = newJobId();
  private readonly thread: HashThread;
  /** Blocks posted and not yet acknowledged, oldest first. */
  private readonly inFlight: Array<{ slot: Slot; len: number }> = [];
  private roomWaiter: (() => void) | null = null;
  private done: { resolve: (d: BodyDigests) => void; reject: (e: Error) => void } | null = null;
  private released: (() => void) | null = null;
  private failure: Error | null = null;
  private closed = false;
  private gone = false;
  /** Called with the length of every block the worker acknowledged. */
  onAck: ((bytes: number) => void) | null = null;

  constructor(opts: HashJobOptions = {}) {
    this.thread = pickThread(true);
    this.thread.add(this.id, this);
    const seal = opts.seal === undefined ? null : { cipher: opts.seal.cipher.name, dataKey: opts.seal.cipher.dataKey, header: opts.seal.header };
    this.thread.post({ t: 'open', job: this.id, fd: opts.fd ?? null, sha256: opts.sha256 === true, seal });
  }

  /** Resolves when another block may be submitted (rejects if the worker failed or died). */
  room(): Promise<void> | null {
    if (this.failure) return Promise.reject(this.failure);
    if (this.inFlight.length < MAX_QUEUED_PER_JOB) return null;
    return new Promise((resolve, reject) => {
      this.roomWaiter = () => (this.failure ? reject(this.failure) : resolve());
    });
  }

  /** Hands the first `len` bytes of `slot` to the worker; the slot gains a holder until it is done with it. */
  submit(slot: Slot, len: number): void {
    if (this.failure) throw this.failure;
    slot.refs++;
    this.inFlight.push({ slot, len });
    if (!this.thread.known.has(slot.id)) {
      this.thread.known.add(slot.id);
      this.thread.post({ t: 'slot', slot: slot.id, sab: slot.sab });
    }
    this.thread.post({ t: 'data', job: this.id, slot: slot.id, len });
  }

  /** The digests of everything submitted (all of it written, with an fd). */
  finish(): Promise<BodyDigests> {
    if (this.failure) return Promise.reject(this.failure);
    this.closed = true;
    return new Promise((resolve, reject) => {
      this.done = { resolve, reject };
      this.thread.post({ t: 'end', job: this.id });
    });
  }

  /**
   * Gives up (failed or aborted upload): the worker forgets the job. Resolves once it will not touch the
   * job's fd again, so the caller may close it (a closed fd number could be reused by another file).
   */
  abandon(): Promise<void> {
    if (this.gone || this.thread.dead) return Promise.resolve();
    if (this.closed && this.done === null) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      this.released = resolve;
      this.thread.post({ t: 'drop', job: this.id });
    });
  }

  receive(m: HasherReply): void {
    switch (m.t) {
      case 'ack': {
        const { slot, len } = this.inFlight.shift()!;
        releaseSlot(slot);
        this.onAck?.(len);
        this.wake();
        return;
      }
      case 'fail':
        this.failure ??= workerError(m.code, m.message);
        this.wake();
        this.done?.reject(this.failure);
        return;
      case 'dropped':
        this.end();
        return;
      case 'done':
        this.end();
        if (this.failure) return this.done?.reject(this.failure);
        this.done?.resolve({ md5: Buffer.from(m.md5.buffer, m.md5.byteOffset, m.md5.length), crc64: m.crc64, sha256: m.sha256 });
    }
  }

  private wake(): void {
    const w = this.roomWaiter;
    this.roomWaiter = null;
    w?.();
  }

  /** The worker is done with this job (it will not touch its blocks or fd again). */
  private end(): void {
    this.gone = true;
    for (const { slot } of this.inFlight.splice(0)) releaseSlot(slot);
    this.thread.remove(this.id);
    this.released?.();
  }

  fail(err: Error): void {
    this.failure = err;
    this.gone = true;
    // The dead worker will never read these blocks again: their slots can be reused.
    for (const { slot } of this.inFlight.splice(0)) releaseSlot(slot);
    this.wake();
    this.done?.reject(err);
    this.released?.();
  }
}
