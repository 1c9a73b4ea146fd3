import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.js';
import { Crc64 } from '../util/crc64.js';
import type { BlobStore } from '../store/blob/types.js';

/** What the client claimed about a body; every claim is checked before the blob is kept. */
export interface BodyExpectations {
  /** Declared length (Content-Length); undefined for chunked bodies. */
  length?: number;
  /** Raw MD5 from Content-MD5. */
  md5?: Buffer;
  /** Hex SHA-256 from a signed V4 payload hash. */
  sha256?: string;
  /** Decimal CRC-64 the client sent in x-oss-hash-crc64ecma. */
  crc64?: string;
  /** Largest body accepted (EntityTooLarge beyond). */
  maxSize: number;
}

export interface IngestedBlob {
  blobId: string;
  size: number;
  md5: Buffer;
  crc64: Crc64;
}

/** Hashes and counts bytes on their way to the blob store; fails the stream on any broken claim. */
class BodyChecker extends Transform {
  readonly md5: Hash = createHash('md5');
  readonly crc = new Crc64();
  readonly sha?: Hash;
  size = 0;

  constructor(private readonly exp: BodyExpectations) {
    super();
    if (exp.sha256) this.sha = createHash('sha256');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.exp.maxSize) return cb(new AppError('EntityTooLarge'));
    if (this.exp.length !== undefined && this.size > this.exp.length) return cb(new AppError('IncompleteBody'));
    this.md5.update(chunk);
    this.crc.update(chunk);
    this.sha?.update(chunk);
    cb(null, chunk);
  }

  digest?: Buffer;

  override _flush(cb: TransformCallback): void {
    if (this.exp.length !== undefined && this.size !== this.exp.length) return cb(new AppError('IncompleteBody'));
    this.digest = this.md5.digest();
    if (this.exp.md5 && !this.exp.md5.equals(this.digest)) return cb(new AppError('InvalidDigest'));
    if (this.sha && this.sha.digest('hex') !== this.exp.sha256!.toLowerCase()) {
      return cb(new AppError('XOssContentSHA256Mismatch'));
    }
    if (this.exp.crc64 !== undefined && this.exp.crc64 !== this.crc.digestDecimal()) {
      return cb(new AppError('InvalidCRC64'));
    }
    cb();
  }
}

/** Streams a body into the blob store, verifying it; nothing is kept if any check fails. */
export async function ingest(blobs: BlobStore, body: Readable, exp: BodyExpectations): Promise<IngestedBlob> {
  if (exp.length !== undefined && exp.length > exp.maxSize) {
    body.resume();
    throw new AppError('EntityTooLarge');
  }
  const checker = new BodyChecker(exp);
  // A small body can fail its checks (e.g. Content-MD5) before the blob store starts reading; without a
  // listener that 'error' event would be unhandled and crash the process. The failure still reaches
  // blobs.put: iterating an errored stream throws its error.
  checker.on('error', () => undefined);
  body.on('error', (err) => checker.destroy(err));
  body.on('aborted', () => checker.destroy(new AppError('IncompleteBody')));
  const written = body.pipe(checker);
  const { blobId, size } = await blobs.put(written);
  return { blobId, size, md5: checker.digest!, crc64: checker.crc };
}
