import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * MD5 and CRC-64 of upload bodies on worker threads, fed with 1 MiB blocks of shared memory: hashing a large body
 * costs ~2 ns of CPU per byte, which on the event loop capped uploads near one core's hashing speed and
 * stalled every other request meanwhile. The main thread copies socket chunks into a block once, hands it
 * to a worker and to the file write at the same time, and takes the slot back when both are done.
 */

/** Bytes per block: one file write and one message each. */
export const BLOCK_SIZE = 1024 * 1024;
/** Blocks of one body waiting for (or in) its worker; the producer waits beyond that (backpressure). */
const MAX_QUEUED_PER_JOB = 1;
/** Free blocks kept for reuse (not returned to the allocator): steady memory under steady load. */
const MAX_FREE_SLOTS = 16;

export type HasherRequest =
  | { t: 'open'; job: number }
  | { t: 'data'; job: number; sab: SharedArrayBuffer; len: number }
  | { t: 'end'; job: number }
  | { t: 'drop'; job: number };

export type HasherReply = { t: 'ack'; job: number } | { t: 'done'; job: number; md5: Uint8Array; crc64: bigint };

/** A reusable block of shared memory; free again when every holder (producer, writer, worker) let go. */
export class Slot {
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
  if (--slot.refs === 0 && freeSlots.length < MAX_FREE_SLOTS) freeSlots.push(slot);
}

export interface BodyDigests {
  md5: Buffer;
  crc64: bigint;
}

class HashThread {
  readonly worker: Worker;
  readonly jobs = new Map<number, HashJob>();
  dead = false;

  add(id: number, job: HashJob): void {
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(id, job);
  }

  remove(id: number): void {
    if (this.jobs.delete(id) && this.jobs.size === 0) this.worker.unref();
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
const threads: HashThread[] = [];
const THREADS = Math.max(1, Math.min(4, availableParallelism()));

function pickThread(): HashThread {
  if (threads.length < THREADS) {
    const t = new HashThread((dead) => threads.splice(threads.indexOf(dead), 1));
    threads.push(t);
    return t;
  }
  // Least loaded: a body's blocks all go to one thread (MD5 is sequential), bodies spread over threads.
  return threads.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
}

/** Hashes one body (MD5 and CRC-64), block by block, on a worker thread. */
export class HashJob {
  private readonly id = nextJob++;
  private readonly thread: HashThread;
  /** Blocks posted and not yet acknowledged, oldest first. */
  private readonly inFlight: Slot[] = [];
  private roomWaiter: (() => void) | null = null;
  private done: { resolve: (d: BodyDigests) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private closed = false;

  constructor() {
    this.thread = pickThread();
    this.thread.add(this.id, this);
    this.post({ t: 'open', job: this.id });
  }

  private post(m: HasherRequest): void {
    this.thread.worker.postMessage(m);
  }

  /** Resolves when another block may be submitted (rejects if the worker died). */
  room(): Promise<void> | null {
    if (this.failure) return Promise.reject(this.failure);
    if (this.inFlight.length < MAX_QUEUED_PER_JOB) return null;
    return new Promise((resolve, reject) => {
      this.roomWaiter = () => (this.failure ? reject(this.failure) : resolve());
    });
  }

  /** Hands the first `len` bytes of `slot` to the worker; the slot gains a holder until it is hashed. */
  submit(slot: Slot, len: number): void {
    if (this.failure) throw this.failure;
    slot.refs++;
    this.inFlight.push(slot);
    this.post({ t: 'data', job: this.id, sab: slot.sab, len });
  }

  /** The digests of everything submitted. */
  finish(): Promise<BodyDigests> {
    if (this.failure) return Promise.reject(this.failure);
    this.closed = true;
    return new Promise((resolve, reject) => {
      this.done = { resolve, reject };
      this.post({ t: 'end', job: this.id });
    });
  }

  /** Gives up (failed or aborted upload): the worker forgets the job; slots come back as it acknowledges. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.thread.dead) return;
    this.post({ t: 'drop', job: this.id });
    // Acks for blocks already posted still arrive (messages keep their order) and free their slots.
    if (this.inFlight.length === 0) this.thread.remove(this.id);
  }

  receive(m: HasherReply): void {
    if (m.t === 'ack') {
      releaseSlot(this.inFlight.shift()!);
      const w = this.roomWaiter;
      this.roomWaiter = null;
      w?.();
      if (this.closed && this.done === null && this.inFlight.length === 0) this.thread.remove(this.id);
      return;
    }
    this.thread.remove(this.id);
    this.done?.resolve({ md5: Buffer.from(m.md5.buffer, m.md5.byteOffset, m.md5.length), crc64: m.crc64 });
  }

  fail(err: Error): void {
    this.failure = err;
    // The dead worker will never read these blocks again: their slots can be reused.
    for (const slot of this.inFlight.splice(0)) releaseSlot(slot);
    const w = this.roomWaiter;
    this.roomWaiter = null;
    w?.();
    this.done?.reject(err);
  }
}
