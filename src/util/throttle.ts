import { Readable, Transform, type TransformCallback } from 'node:stream';

/**
 * A stream that passes bytes on no faster than `bitsPerSecond` (x-oss-traffic-limit): each slice is
 * released when the bytes released so far, this slice included, are due at that rate since the first
 * byte. Nothing is buffered beyond the stream's own high-water marks: while a slice waits, `_transform`
 * has not called back, so the source is not read (backpressure does the rest).
 */
export class Throttle extends Transform {
  private readonly bytesPerMs: number;
  /** Released in slices of about 1/20 s of traffic, so the rate holds within a short window too. */
  private readonly slice: number;
  private started = 0;
  private sent = 0;
  private timer: NodeJS.Timeout | null = null;
  private waited = 0;

  constructor(bitsPerSecond: number) {
    super();
    this.bytesPerMs = bitsPerSecond / 8 / 1000;
    this.slice = Math.max(1024, Math.floor(bitsPerSecond / 8 / 20));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.started === 0) this.started = performance.now();
    this.release(chunk, 0, cb);
  }

  private release(chunk: Buffer, off: number, cb: TransformCallback): void {
    while (off < chunk.length) {
      const n = Math.min(this.slice, chunk.length - off);
      const due = this.started + (this.sent + n) / this.bytesPerMs;
      const wait = due - performance.now();
      if (wait > 0) {
        const from = performance.now();
        this.timer = setTimeout(() => {
          this.timer = null;
          this.waited += performance.now() - from;
          this.release(chunk, off, cb);
        }, Math.ceil(wait));
        return;
      }
      this.sent += n;
      this.push(off === 0 && n === chunk.length ? chunk : chunk.subarray(off, off + n));
      off += n;
    }
    cb();
  }

  /** How long the stream has held bytes back so far, in ms (x-oss-qos-delay-time of an upload). */
  get delayedMs(): number {
    return Math.round(this.waited);
  }

  /** The delay, in ms, that `bytes` sent at `bitsPerSecond` meet: every slice is released when it is due at the rate. */
  static delayFor(bytes: number, bitsPerSecond: number): number {
    return Math.max(0, Math.round((bytes * 8 * 1000) / bitsPerSecond));
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    cb(err);
  }
}

/**
 * `source` throttled. Its failure (or a request's abort) fails the throttled stream; destroying the
 * throttled stream (a client gone) destroys the source, so a blob file is never left open.
 */
export function throttled(source: Readable | Buffer, bitsPerSecond: number, abortError: () => Error = () => new Error('aborted')): Throttle {
  const t = new Throttle(bitsPerSecond);
  if (Buffer.isBuffer(source)) {
    t.end(source);
    return t;
  }
  if (source.destroyed) {
    t.destroy(source.errored ?? abortError());
    return t;
  }
  source.on('error', (err) => t.destroy(err));
  source.on('aborted', () => t.destroy(abortError()));
  t.on('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  source.pipe(t);
  return t;
}
