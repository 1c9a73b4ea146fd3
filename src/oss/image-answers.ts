import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import { slicedBody } from '../http/held-answers.js';

// Processed images wait in memory until their clients have read them. A 250-megapixel source turned into a PNG of
// noise is some 350 MB, made in seconds, and a client that asks and never reads holds it until the idle timeout (5
// minutes): an anonymous reader of one public image could stack gigabytes that way. So the bytes of processed answers
// not yet handed to their sockets are counted process-wide, and a new job does not start past the bound (docs/limits.md).

/** Bytes of processed answers the process holds for their clients at most before refusing new jobs; mutable for tests. */
export const IMAGE_ANSWERS = { maxBytesInFlight: 512 * 1024 * 1024 };

let held = 0;

/** Bytes of processed answers held now. */
export function imageAnswerBytesHeld(): number {
  return held;
}

/** Refuses to start a job while the answers held reach the bound (503, as OSS answers a busy server). */
export function assertImageAnswerRoom(): void {
  if (held >= IMAGE_ANSWERS.maxBytesInFlight) {
    throw new AppError('ServiceUnavailable', `Processed images of ${held} bytes are waiting for their clients to read them; retry later.`);
  }
}

/**
 * `bytes` as a response body that counts against the bound until it has been handed to the socket or the response
 * ends otherwise (the listener destroys a body when its response closes).
 */
export function heldImageAnswer(bytes: Buffer): Readable {
  const size = bytes.length;
  held += size;
  return slicedBody(bytes, () => {
    held -= size;
  });
}
