import { CHUNK_SIZE, CorruptCiphertextError, type CipherSpec } from './chunk-cipher.js';
import { newJobId, pickThread, workerError, type HashThread, type HasherReply, type ThreadJob } from './body-hasher.js';

// Reads of sealed blobs with the decryption on a worker thread: the worker reads a run of chunks from the
// blob's descriptor, authenticates and decrypts them, and transfers the plaintext (no copy back). The event
// loop only writes it to the socket. Two runs are asked for ahead, so the worker decrypts the next one while
// the socket drains this one.

/** Chunks per request: 1 MiB of plaintext. */
const RUN = 16;
/** Runs requested ahead of the consumer. */
const AHEAD = 2;

class ReadJob implements ThreadJob {
  readonly id = newJobId();
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private readonly arrived = new Map<number, Buffer>();
  private failure: Error | null = null;
  private released: (() => void) | null = null;
  private gone = false;

  constructor(private readonly thread: HashThread, fd: number, cipher: CipherSpec, plainSize: number) {
    thread.add(this.id, this);
    thread.post({ t: 'ropen', job: this.id, fd, cipher: cipher.name, dataKey: cipher.dataKey, plainSize });
  }

  request(first: number, count: number): void {
    this.thread.post({ t: 'rread', job: this.id, first, count });
  }

  /** The plaintext of the run starting at chunk `first` (requested before). */
  take(first: number): Promise<Buffer> {
    const got = this.arrived.get(first);
    if (got !== undefined) {
      this.arrived.delete(first);
      return Promise.resolve(got);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.set(first, { resolve, reject }));
  }

  receive(m: HasherReply): void {
    switch (m.t) {
      case 'plain': {
        const buf = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.length);
        const w = this.waiting.get(m.first);
        if (w) {
          this.waiting.delete(m.first);
          w.resolve(buf);
        } else {
          this.arrived.set(m.first, buf);
        }
        return;
      }
      case 'fail':
        this.fail(m.corrupt === true ? new CorruptCiphertextError(m.message.replace(/^encrypted data failed authentication: /, '')) : workerError(m.code, m.message));
        return;
      case 'dropped':
        this.end();
        return;
    }
  }

  fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    if (this.thread.dead) this.end();
  }

  /** Resolves once the worker will not touch the descriptor again (then it may be closed). */
  close(): Promise<void> {
    if (this.gone || this.thread.dead) {
      this.end();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.released = resolve;
      this.thread.post({ t: 'drop', job: this.id });
    });
  }

  private end(): void {
    if (this.gone) return;
    this.gone = true;
    this.arrived.clear();
    this.thread.remove(this.id);
    this.released?.();
  }
}

/**
 * Plaintext bytes [start, end) of a sealed blob of `plainSize` bytes open at `fd`, decrypted on a worker
 * thread. The caller closes `fd` after the generator finished (normally, by error or by return).
 */
export async function* readSealedOffLoop(fd: number, cipher: CipherSpec, plainSize: number, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const first = Math.floor(start / CHUNK_SIZE);
  const last = Math.floor((end - 1) / CHUNK_SIZE);
  if (last >= Math.ceil(plainSize / CHUNK_SIZE)) throw new RangeError('range beyond the blob');
  const job = new ReadJob(pickThread(), fd, cipher, plainSize);
  const runs: number[] = [];
  for (let i = first; i <= last; i += RUN) runs.push(i);
  try {
    let asked = 0;
    for (let r = 0; r < runs.length; r++) {
      while (asked < runs.length && asked <= r + AHEAD - 1) {
        const at = runs[asked++]!;
        job.request(at, Math.min(RUN, last + 1 - at));
      }
      const at = runs[r]!;
      const plain = await job.take(at);
      const base = at * CHUNK_SIZE;
      const a = Math.max(start, base) - base;
      const b = Math.min(end, base + plain.length) - base;
      yield a === 0 && b === plain.length ? plain : plain.subarray(a, b);
    }
  } finally {
    await job.close();
  }
}
