import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { AppError } from '../errors.js';
import { acquireSlot, BLOCK_SIZE, HashJob, releaseSlot, type BodyDigests, type Slot } from '../util/body-hasher.js';
import { Crc64 } from '../util/crc64.js';
import type { BlobStore } from '../store/blob/types.js';
import type { Segment } from './model.js';

/** What the client claimed about a body; every claim is checked before the blob is kept. */
export interface BodyExpectations {
  /** Declared length (Content-Length); undefined for chunked bodies. */
  length?: number;
  /** Raw MD5 from Content-MD5. */
  md5?: Buffer;
  /** Decimal CRC-64 the client sent in x-oss-hash-crc64ecma. */
  crc64?: string;
  /** Largest body accepted (EntityTooLarge beyond). */
  maxSize: number;
}

/** Verified bytes: in one new blob, or (small bodies) in memory for the metadata row. */
export interface IngestedBody {
  size: number;
  md5: Buffer;
  /** CRC-64/XZ of the body (unsigned). */
  crc64: bigint;
  blobId: string | null;
  inline: Buffer | null;
}

/** The segments an object made of this body has (none when inline). */
export function segmentsOf(body: IngestedBody): Segment[] {
  return body.blobId === null ? [] : [{ blobId: body.blobId, size: body.size }];
}

/** Blobs written for this body: to drop if the metadata commit fails. */
export function freshBlobs(body: IngestedBody): string[] {
  return body.blobId === null ? [] : [body.blobId];
}

/**
 * The claims about a body, checked as its bytes pass (the size limit, the declared length) and at its end
 * (the declared length; with `hash`, Content-MD5 and x-oss-hash-crc64ecma against the MD5 and CRC-64 computed
 * here). Shared by BodyChecker (streamed bodies) and readInline (small ones), so both answer the same errors
 * in the same order.
 */
class BodyTally {
  size = 0;
  private readonly md5: Hash | null;
  private readonly crc: Crc64 | null;
  /** The MD5 and CRC-64 once end() found them matching the claims (hashed tallies only). */
  digest?: Buffer;
  crc64?: bigint;

  constructor(private readonly exp: BodyExpectations, hash: boolean) {
    this.md5 = hash ? createHash('md5') : null;
    this.crc = hash ? new Crc64() : null;
  }

  /** Counts (and hashes) a chunk: the error once the body is longer than allowed or declared, else null. */
  add(chunk: Buffer): AppError | null {
    this.size += chunk.length;
    if (this.size > this.exp.maxSize) return new AppError('EntityTooLarge');
    if (this.exp.length !== undefined && this.size > this.exp.length) return new AppError('IncompleteBody');
    this.md5?.update(chunk);
    this.crc?.update(chunk);
    return null;
  }

  /** At the end of the body: the error if it is shorter than declared or its digests contradict the claims. */
  end(): AppError | null {
    if (this.exp.length !== undefined && this.size !== this.exp.length) return new AppError('IncompleteBody');
    if (this.md5 === null) return null;
    const md5 = this.md5.digest();
    const crc64 = this.crc!.digest();
    const problem = verifyDigests(this.exp, md5, crc64);
    if (problem) return problem;
    this.digest = md5;
    this.crc64 = crc64;
    return null;
  }
}

/**
 * Counts bytes on their way to the blob store and checks the claims about them (BodyTally); fails the stream
 * on any broken one. With `hash` it also computes MD5 and CRC-64 here and checks them at the end (small
 * bodies); without, the caller hashes off the event loop (see blocksOf) and checks the digests itself.
 */
class BodyChecker extends Transform {
  readonly tally: BodyTally;

  constructor(exp: BodyExpectations, hash: boolean) {
    super();
    this.tally = new BodyTally(exp, hash);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const err = this.tally.add(chunk);
    if (err) return cb(err);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(this.tally.end());
  }
}

/** The error for a body whose digests contradict the client's claims, or null. */
function verifyDigests(exp: BodyExpectations, md5: Buffer, crc: bigint): AppError | null {
  if (exp.md5 && !exp.md5.equals(md5)) return new AppError('InvalidDigest');
  if (exp.crc64 !== undefined && exp.crc64 !== crc.toString(10)) return new AppError('InvalidCRC64');
  return null;
}

/**
 * The request body as every reader sees it when the client signed its SHA-256 (V4 `x-oss-content-sha256`):
 * the same bytes, failing with XOssContentSHA256Mismatch at their end if they are not the signed ones.
 * Whole-body readers (policies, CORS, tagging, Complete, DeleteMultipleObjects…) get the error before
 * they parse anything, streamed uploads before the blob is kept; so a captured signed request cannot be
 * replayed with another body. The request is piped in only when a reader first asks for bytes, so that a
 * large upload can take the hashing over before any byte passed (`takeOver`: SHA-256 on a worker thread).
 */
export class SignedBody extends Transform {
  private readonly hash = createHash('sha256');
  readonly expected: string;
  private started = false;

  constructor(readonly source: Readable, sha256Hex: string) {
    super();
    this.expected = sha256Hex.toLowerCase();
    // A handler that never reads the body (or stops early) must not turn a mismatch into an unhandled
    // 'error' event; readers still get the error through their own listeners.
    this.on('error', () => undefined);
  }

  /**
   * For a reader that hashes the body itself: the raw request and the SHA-256 its bytes must have, or
   * null if bytes already went through here (then read this stream, which checks them).
   */
  takeOver(): { source: Readable; sha256: string } | null {
    if (this.started) return null;
    this.started = true;
    return { source: this.source, sha256: this.expected };
  }

  override _read(size: number): void {
    if (!this.started) {
      this.started = true;
      follow(this.source, this);
    }
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(this.hash.digest('hex') === this.expected ? null : new AppError('XOssContentSHA256Mismatch'));
  }
}

export function signedBody(body: Readable, sha256Hex: string): Readable {
  return new SignedBody(body, sha256Hex);
}

/**
 * Pipes `src` into `dst` so that they fail together. A source that failed before this call (a client
 * gone while the request was authenticated, a PostObject size check that ran as the form streamed in)
 * has already emitted its events: piping it would leave `dst` waiting forever, so `dst` fails at once.
 */
function follow<T extends Writable & Readable>(src: Readable, dst: T): T {
  if (src.destroyed) {
    dst.destroy(src.errored ? asBodyError(src.errored) : new AppError('IncompleteBody'));
    return dst;
  }
  src.on('error', (err) => dst.destroy(asBodyError(err)));
  src.on('aborted', () => dst.destroy(new AppError('IncompleteBody')));
  src.pipe(dst);
  return dst;
}

/**
 * A body's failure as its answer sees it. node destroys a request whose client went away mid-body (the connection
 * closed, or cut after a chunk framing node refused) with `Error('aborted')`, code ECONNRESET, and without the
 * 'aborted' event when the request was destroyed before its handler read it (while the handler awaited a
 * lookup, as a PostgreSQL one): a body cut short, the client's doing, never an internal error (a fuzz finding).
 */
function asBodyError(err: Error): Error {
  return !(err instanceof AppError) && (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? new AppError('IncompleteBody') : err;
}

/** Pipes a body through a checker; both fail together. */
function checked(body: Readable, exp: BodyExpectations, hash: boolean): BodyChecker {
  const checker = new BodyChecker(exp, hash);
  // A small body can fail its checks (e.g. Content-MD5) before anyone reads the checker; without a
  // listener that 'error' event would be unhandled and crash the process. Readers still get the error.
  checker.on('error', () => undefined);
  return follow(body, checker);
}

function refuseOversize(body: Readable, exp: BodyExpectations): void {
  if (exp.length !== undefined && exp.length > exp.maxSize) {
    body.resume();
    throw new AppError('EntityTooLarge');
  }
}

/** Bodies declared shorter than this are hashed on the event loop: a worker round trip would cost more. */
const OFF_THREAD_MIN = 256 * 1024;

/**
 * The body as blocks (BLOCK_SIZE) of shared memory, each handed to the job's worker (which hashes it, and writes
 * it when the job has an fd) and then yielded. A yielded block is valid until the consumer pulls the next
 * one (then its slot is reused). The caller finishes or abandons the job.
 *
 * The chunks of a block are kept as they arrive and copied into a slot only once the block is whole (or the body
 * ends), so an upload holds a slot only while it hands one on: a client that sends a large Content-Length and then
 * trickles holds the bytes it sent, not 512 KiB. Before, each such upload took a slot at its first byte: 1,000
 * anonymous PUTs of one byte each to a public-read-write bucket held +523 MB of shared memory (docs/limits.md).
 */
export async function* blocksOf(checker: AsyncIterable<Buffer>, job: HashJob): AsyncGenerator<Buffer> {
  const pending: Buffer[] = [];
  let fill = 0;
  let slot: Slot | null = null;
  const submit = async (): Promise<Buffer> => {
    await job.room();
    slot = acquireSlot();
    let at = 0;
    // fill() with a buffer of the range's length is one memcpy; copy() and set() into shared memory take
    // V8's relaxed (atomic-safe) byte loop, ~4× slower: it was the loop's largest cost after the socket reads.
    for (const c of pending) {
      slot.buf.fill(c, at, at + c.length);
      at += c.length;
    }
    pending.length = 0;
    job.submit(slot, fill);
    return slot.buf.subarray(0, fill);
  };
  try {
    for await (const chunk of checker) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(chunk.length - off, BLOCK_SIZE - fill);
        pending.push(n === chunk.length ? chunk : chunk.subarray(off, off + n));
        fill += n;
        off += n;
        if (fill === BLOCK_SIZE) {
          yield await submit();
          releaseSlot(slot!);
          slot = null;
          fill = 0;
        }
      }
    }
    if (fill > 0) yield await submit();
  } finally {
    if (slot) releaseSlot(slot);
  }
}

/** The job's digests once every block is in, checked against the claims (the signed SHA-256 first, as SignedBody does). */
async function verifiedDigests(job: HashJob, exp: BodyExpectations, sha256: string | undefined): Promise<BodyDigests> {
  const d = await job.finish();
  if (sha256 !== undefined && d.sha256 !== sha256) throw new AppError('XOssContentSHA256Mismatch');
  const problem = verifyDigests(exp, d.md5, d.crc64);
  if (problem) throw problem;
  return d;
}

/**
 * A large body into a new blob, hashed off the event loop. With a file store the worker also writes each
 * block to the temp file (`BlobStore.create`), and the store flushes it in the background as it grows; other
 * stores get the blocks through `put`. A signed V4 body's SHA-256 is computed in the same worker pass.
 * Nothing is kept when a claim is broken: the digests are checked before the commit.
 */
async function ingestOffLoop(blobs: BlobStore, body: Readable, exp: BodyExpectations): Promise<IngestedBody & { blobId: string }> {
  const signed = body instanceof SignedBody ? body.takeOver() : null;
  const checker = checked(signed?.source ?? body, exp, false);
  const sha256 = signed?.sha256;
  if (blobs.create === undefined) {
    const job = new HashJob({ sha256: sha256 !== undefined });
    let digests: BodyDigests | null = null;
    const source = async function* (): AsyncGenerator<Buffer> {
      try {
        yield* blocksOf(checker, job);
        digests = await verifiedDigests(job, exp, sha256);
      } finally {
        if (digests === null) void job.abandon();
      }
    };
    try {
      const { blobId, size } = await blobs.put(source());
      const d = digests as BodyDigests | null;
      return { size, md5: d!.md5, crc64: d!.crc64, blobId, inline: null };
    } finally {
      // A store that failed before pulling the source never ran the generator's own cleanup.
      if (digests === null) void job.abandon();
    }
  }
  const file = await blobs.create();
  // An encrypting store's file: the worker seals each block after hashing the plaintext.
  const job = new HashJob({ fd: file.fd, sha256: sha256 !== undefined, ...(file.seal === undefined ? {} : { seal: file.seal }) });
  job.onAck = (bytes) => file.wrote(bytes);
  let size = 0;
  let digests: BodyDigests;
  try {
    for await (const block of blocksOf(checker, job)) size += block.length;
    digests = await verifiedDigests(job, exp, sha256);
  } catch (err) {
    // The worker lets go of the fd before the store closes it (a closed fd number can be reused at once).
    await job.abandon();
    throw await file.abort(err);
  }
  const { blobId } = await file.commit(size);
  return { size, md5: digests.md5, crc64: digests.crc64, blobId, inline: null };
}

/** Streams a body into one new blob, verifying it; nothing is kept if any check fails. */
export async function ingestToBlob(blobs: BlobStore, body: Readable, exp: BodyExpectations): Promise<IngestedBody & { blobId: string }> {
  refuseOversize(body, exp);
  if (exp.length !== undefined && exp.length < OFF_THREAD_MIN) {
    const checker = checked(body, exp, true);
    const { blobId, size } = await blobs.put(checker);
    return { size, md5: checker.tally.digest!, crc64: checker.tally.crc64!, blobId, inline: null };
  }
  return ingestOffLoop(blobs, body, exp);
}

/**
 * Like ingestToBlob, but a body whose declared length is at most `inlineMax` is kept in memory, to be
 * stored in the metadata row: a small object then costs one database write and no file.
 */
export async function ingest(blobs: BlobStore, body: Readable, exp: BodyExpectations, inlineMax: number): Promise<IngestedBody> {
  if (exp.length === undefined || exp.length > inlineMax) return ingestToBlob(blobs, body, exp);
  refuseOversize(body, exp);
  return readInline(body, exp);
}

/**
 * A small body read whole into memory and checked as BodyChecker does (BodyTally: the same errors, in the
 * same order), but from the body's own events: a pipe into a Transform read through an async iterator cost
 * more than the hashing of a few KiB, on every small PUT.
 */
function readInline(body: Readable, exp: BodyExpectations): Promise<IngestedBody> {
  return new Promise<IngestedBody>((resolve, reject) => {
    // A body that failed before this call (a client gone while the request was authenticated) has already
    // emitted its events: waiting for them would wait forever.
    if (body.destroyed) return reject(body.errored ? asBodyError(body.errored) : new AppError('IncompleteBody'));
    const tally = new BodyTally(exp, true);
    const chunks: Buffer[] = [];
    const stop = (err: Error): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('aborted', onAborted);
      // What is left of the body stays unread: the listener drains it or closes the connection.
      body.pause();
      reject(err);
    };
    const onData = (piece: Buffer | string): void => {
      // Bytes, whatever the source (a Readable of strings counts their UTF-8 bytes, as a pipe would).
      const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
      const err = tally.add(chunk);
      if (err) return stop(err);
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const problem = tally.end();
      if (problem) return reject(problem);
      // A copy, as before: a chunk may be a view into a larger buffer that the record must not keep alive.
      resolve({ size: tally.size, md5: tally.digest!, crc64: tally.crc64!, blobId: null, inline: Buffer.concat(chunks, tally.size) });
    };
    const onAborted = (): void => stop(new AppError('IncompleteBody'));
    // A body that already ended (and was kept): no event will come; it is as long as what was left in it, nothing.
    if (body.readableEnded) return onEnd();
    // Kept for good: an 'error' after the promise settled (the socket closing later) must still be handled.
    body.on('error', (err) => stop(asBodyError(err)));
    body.on('aborted', onAborted);
    body.on('data', onData);
    body.once('end', onEnd);
  });
}
