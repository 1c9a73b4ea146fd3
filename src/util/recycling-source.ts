import type { Readable, Writable } from 'node:stream';

/**
 * A body that can also write itself into a destination with a few buffers it reuses, instead of a new
 * buffer per read as a Readable must (a pushed chunk belongs to whoever reads it). The HTTP layer uses it
 * for downloads: fresh buffers are external memory to V8, and a stream of them starts major collections
 * whose cost grows with the heap (docs/operations.md, "Large objects").
 */
export interface RecyclingSource {
  /**
   * Writes everything into `dest` (with `write(chunk, callback)`; a buffer is reused only after its callback),
   * then ends it. Call it instead of reading the stream, never after. A failure destroys the stream with the
   * error, as reading it would; destroying the stream stops the pump.
   */
  pumpTo(dest: Writable, direct?: DirectSink | null): void;
  /** Bytes whose write into the destination completed (a pumped stream emits no 'data' to count). */
  readonly bytesPumped: number;
}

/**
 * The descriptor under a destination, for a source that can send file bytes to it without copying them
 * (sendfile: src/util/cached-read.ts). Bytes sent that way pass the destination's own queue, so they may
 * only go when nothing of its own waits to be written before them.
 */
export interface DirectSink {
  readonly fd: number;
  /** Everything written to the destination so far (its head included) is in the kernel's hands. */
  idle(): boolean;
  /** Bytes went out: the destination's idle timeout starts again, as it does after its own writes. */
  sent(): void;
}

export function isRecyclingSource(body: Readable): body is Readable & RecyclingSource {
  return typeof (body as Partial<RecyclingSource>).pumpTo === 'function';
}
