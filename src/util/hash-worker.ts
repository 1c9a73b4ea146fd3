// Worker thread of body-hasher.ts: MD5, CRC-64 (the addon's, when built) and optionally SHA-256 of upload
// bodies, and, given a file descriptor, the write of each block right after hashing it (sealed first when
// the object is encrypted), so the event loop only moves bytes from the socket into shared memory. Blocks
// arrive in order per job as indexes of slots (shared memory posted once); each is acknowledged once hashed
// and written, which hands its slot back. Blocks that arrived together (from different uploads) are hashed
// together (util/md5-lanes.ts; in SIMD lanes when the addon has them): every block that came in before the
// worker turns to them is in the batch, and any other message first finishes the batch, so order per job
// holds. It also opens sealed blobs for reads (util/sealed-reader.ts): reads chunks from a descriptor,
// authenticates and decrypts them, and transfers the plaintext back.
import { createHash, type Hash } from 'node:crypto';
import { readSync, writeSync, writevSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { CHUNK_SIZE, ChunkCipher, CorruptCiphertextError, HEADER_SIZE, sealedOffset, sealedSize, TAG_SIZE } from './chunk-cipher.js';
import { Crc64 } from './crc64.js';
import type { HasherReply, HasherRequest } from './body-hasher.js';
import { Md5Lane, md5Together, MAX_LANES } from './md5-lanes.js';

interface Job {
  md5: Md5Lane;
  crc: Crc64;
  sha256: Hash | null;
  fd: number | null;
  seal: { cipher: ChunkCipher; header: Buffer; next: number } | null;
  /** A write failed: the job only acknowledges from then on (the main thread gives it up). */
  failed: boolean;
}

interface ReadJob {
  fd: number;
  cipher: ChunkCipher;
  plainSize: number;
  header: Buffer | null;
}

const readJobs = new Map<number, ReadJob>();

const slots = new Map<number, Uint8Array>();
const jobs = new Map<number, Job>();
const port = parentPort!;

function reply(m: HasherReply): void {
  port.postMessage(m);
}

/** Writes all of `view` at the fd's offset (a write may be partial). */
function writeAll(fd: number, view: Uint8Array): void {
  let off = 0;
  while (off < view.length) off += writeSync(fd, view, off, view.length - off);
}

/** Writes the buffers in order, in one system call when it takes them all. */
function writevAll(fd: number, bufs: Buffer[]): void {
  let done = writevSync(fd, bufs);
  for (const b of bufs) {
    if (done >= b.length) {
      done -= b.length;
      continue;
    }
    writeAll(fd, b.subarray(done));
    done = 0;
  }
}

/** Reads exactly `len` bytes at `pos` (short only at the end of the file). */
function readAt(fd: number, len: number, pos: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}

/** Plaintext of chunks [first, first + count) of a sealed blob, in one fresh (transferable) buffer. */
function openChunks(job: ReadJob, first: number, count: number): Uint8Array {
  if (job.header === null) {
    const header = readAt(job.fd, HEADER_SIZE, 0);
    job.cipher.checkHeader(header);
    job.header = header;
  }
  const from = sealedOffset(first);
  const to = Math.min(sealedOffset(first + count), sealedSize(job.plainSize));
  const sealed = readAt(job.fd, to - from, from);
  if (sealed.length < to - from) throw new CorruptCiphertextError(`blob is cut (chunk ${first})`);
  const plainEnd = Math.min((first + count) * CHUNK_SIZE, job.plainSize);
  const out = new Uint8Array(new ArrayBuffer(plainEnd - first * CHUNK_SIZE));
  for (let i = 0, off = 0; off < sealed.length; i++) {
    const n = Math.min(CHUNK_SIZE + TAG_SIZE, sealed.length - off);
    out.set(job.cipher.open(job.header, first + i, sealed.subarray(off, off + n)), i * CHUNK_SIZE);
    off += n;
  }
  return out;
}

/** Blocks waiting for their MD5 lanes (at most one batch's worth: each job has one block in flight). */
const pending: Array<{ id: number; job: Job; view: Uint8Array }> = [];
let drainScheduled = false;

function drain(): void {
  drainScheduled = false;
  while (pending.length > 0) {
    // One block per job per batch (a job's blocks are hashed in order), at most MAX_LANES of them.
    const batch: typeof pending = [];
    const rest: typeof pending = [];
    for (const p of pending) (batch.length < MAX_LANES && !batch.some((b) => b.job === p.job) ? batch : rest).push(p);
    pending.length = 0;
    pending.push(...rest);
    const live = batch.filter((b) => !b.job.failed);
    md5Together(live.map((b) => ({ lane: b.job.md5, blocks: b.job.md5.take(b.view) })));
    for (const b of batch) {
      if (!b.job.failed) finishBlock(b.id, b.job, b.view);
      reply({ t: 'ack', job: b.id });
    }
  }
}

/** CRC-64, SHA-256 and the write of a block whose MD5 is done. */
function finishBlock(id: number, job: Job, view: Uint8Array): void {
  job.crc.update(view);
  job.sha256?.update(view);
  const fd = job.fd;
  if (fd === null) return;
  const seal = job.seal;
  if (seal === null) {
    write(id, job, () => writeAll(fd, view));
  } else {
    // Blocks are whole chunks (512 KiB = 8 × 64 KiB) but the last: chunk numbers continue across blocks.
    write(id, job, () => writevAll(fd, seal.cipher.sealRun(seal.header, seal.next, view)));
    seal.next += Math.ceil(view.length / CHUNK_SIZE);
  }
}

port.on('message', (m: HasherRequest) => {
  // Anything but a block first finishes the blocks before it (an end must not overtake its job's data).
  if (m.t !== 'data' && pending.length > 0) drain();
  switch (m.t) {
    case 'slot':
      slots.set(m.slot, new Uint8Array(m.sab));
      return;
    case 'forget':
      slots.delete(m.slot);
      return;
    case 'open': {
      const seal = m.seal === null ? null : { cipher: new ChunkCipher(m.seal.cipher, Buffer.from(m.seal.dataKey)), header: Buffer.from(m.seal.header), next: 0 };
      const job: Job = { md5: new Md5Lane(), crc: new Crc64(), sha256: m.sha256 ? createHash('sha256') : null, fd: m.fd, seal, failed: false };
      jobs.set(m.job, job);
      if (seal !== null && m.fd !== null) write(m.job, job, () => writeAll(m.fd!, seal.header));
      return;
    }
    case 'data': {
      const job = jobs.get(m.job);
      if (job === undefined || job.failed) {
        reply({ t: 'ack', job: m.job });
        return;
      }
      pending.push({ id: m.job, job, view: slots.get(m.slot)!.subarray(0, m.len) });
      if (!drainScheduled) {
        drainScheduled = true;
        setImmediate(drain);
      }
      return;
    }
    case 'end': {
      const job = jobs.get(m.job);
      jobs.delete(m.job);
      if (!job) return;
      const md5 = job.md5.digest();
      reply({
        t: 'done',
        job: m.job,
        md5: new Uint8Array(md5.buffer, md5.byteOffset, md5.length),
        crc64: job.crc.digest(),
        sha256: job.sha256 ? job.sha256.digest('hex') : null,
      });
      return;
    }
    case 'drop':
      jobs.delete(m.job);
      readJobs.delete(m.job);
      reply({ t: 'dropped', job: m.job });
      return;
    case 'ropen':
      readJobs.set(m.job, { fd: m.fd, cipher: new ChunkCipher(m.cipher, Buffer.from(m.dataKey)), plainSize: m.plainSize, header: null });
      return;
    case 'rread': {
      const job = readJobs.get(m.job);
      if (!job) return;
      try {
        const data = openChunks(job, m.first, m.count);
        port.postMessage({ t: 'plain', job: m.job, first: m.first, data } satisfies HasherReply, [data.buffer as ArrayBuffer]);
      } catch (err) {
        readJobs.delete(m.job);
        const e = err as NodeJS.ErrnoException;
        reply({ t: 'fail', job: m.job, code: e.code, message: e.message, corrupt: err instanceof CorruptCiphertextError });
      }
      return;
    }
  }
});

/** Runs a write of the job; a failure is reported once and the job only acknowledges from then on. */
function write(id: number, job: Job, fn: () => void): void {
  if (job.failed) return;
  try {
    fn();
  } catch (err) {
    job.failed = true;
    const e = err as NodeJS.ErrnoException;
    reply({ t: 'fail', job: id, code: e.code, message: e.message });
  }
}
