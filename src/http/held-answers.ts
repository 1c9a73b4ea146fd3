import { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import type { OssResponse } from '../oss/context.js';

// Answers built whole in memory (listings, configurations, playlists: every OSS answer that is not a stream) wait there
// until their clients read them. XML escaping makes them larger than what they list: a key of 1,023 `&` is written as
// 5,115 bytes, so one anonymous ListObjects of a public bucket of such keys is a 5.4 MB answer, and a client that asks
// and never reads holds it until the idle timeout. 300 such clients kept +305 MB of the server (loopback, where the
// kernel's buffers take the most they can), the default connection cap (~9,000) some 9 GB, and more over a network
// whose clients shrink their receive windows. So the bytes of the larger answers not yet handed to their sockets are
// counted process-wide, and an answer that would take them past the bound is 503 ServiceUnavailable instead
// (docs/limits.md). Processed images have their own bound (oss/image-answers.ts), decided before a job starts.

/**
 * Whole answers larger than `countedOver` count against `maxBytes` for the process until sent; mutable for tests.
 * Inline objects (at most 64 KiB, LIMITS.inlineMaxSize) never are: a GET of one is handed over as it always was.
 */
export const HELD_ANSWERS = { countedOver: 64 * 1024, maxBytes: 256 * 1024 * 1024, perClientBytes: 32 * 1024 * 1024 };

/** Handed to the response a slice at a time, each a copy, so a stalled client never pins more than its last slices. */
const SLICE_BYTES = 256 * 1024;

/**
 * `bytes` as a response body handed over a copied slice at a time; `onClose` is called once when the body closes (sent,
 * or destroyed when its response ended otherwise: the listener destroys a body when its response closes).
 */
export function slicedBody(bytes: Buffer, onClose: () => void): Readable {
  // Nothing below keeps `bytes` itself once the last slice is copied out: the answer's memory can go.
  let rest: Buffer | null = bytes;
  const body = new Readable({
    read() {
      if (rest === null) {
        this.push(null);
        return;
      }
      // A copy: a view would keep the whole answer alive for as long as its last slice waits in the socket.
      const slice = Buffer.from(rest.subarray(0, SLICE_BYTES));
      rest = rest.length > SLICE_BYTES ? rest.subarray(SLICE_BYTES) : null;
      this.push(slice);
    },
  });
  body.once('close', () => {
    rest = null;
    onClose();
  });
  return body;
}

let held = 0;
/** Bytes held per client (clientOf): one client's stalled readers take at most HELD_ANSWERS.perClientBytes. */
const heldBy = new Map<string, number>();

/** Bytes of whole answers held now for their clients. */
export function heldAnswerBytes(): number {
  return held;
}

/**
 * A whole answer larger than HELD_ANSWERS.countedOver as a counted body (until it closes); null when it would take the
 * answers held past HELD_ANSWERS.maxBytes, or `client`'s (clientOf) past HELD_ANSWERS.perClientBytes (the caller
 * answers 503 instead), unless `always`: the answer of a request that has done what it asked (a write, a delete) is
 * counted and sent, never replaced by a refusal its client would retry. The caller leaves smaller answers as they are.
 * The share per client keeps one client's stalled readers from taking the whole bound: before, ~50 connections that
 * asked a 5 MB listing and never read made every other client's larger GET answers 503 until the idle timeout.
 */
export function holdAnswer(bytes: Buffer, client: string, always = false): Readable | null {
  if (!always && !fits(bytes.length, client)) return null;
  count(bytes.length, client);
  return slicedBody(bytes, () => count(-bytes.length, client));
}

/**
 * A response whose body is built whole, as it goes out: as it is when the body is at most HELD_ANSWERS.countedOver bytes
 * (a string encoded once when its size needs it), else with the body counted until sent (holdAnswer, `always` as there)
 * and its Content-Length; null when it would take a bound past its limit (the caller answers 503 instead).
 */
export function countedResponse(response: OssResponse, client: string, always: boolean): OssResponse | null {
  const body = response.body;
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return response;
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most answers are known to be small without encoding them here (and
  // an inline object's bytes, at most 64 KiB, are left as they are).
  if (typeof body === 'string' ? body.length * 3 <= HELD_ANSWERS.countedOver : body.length <= HELD_ANSWERS.countedOver) return response;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes.length <= HELD_ANSWERS.countedOver) return { ...response, body: bytes }; // encoded once: sent as it is
  const held = holdAnswer(bytes, client, always);
  return held === null ? null : { ...response, headers: { ...response.headers, 'Content-Length': String(bytes.length) }, body: held };
}

/** The refusal of an answer (or a write's room) past the bound: 503, as OSS answers a busy server. */
export function answersBusy(): AppError {
  return new AppError('ServiceUnavailable', 'Answers waiting for their clients take all the memory the server gives them; retry later.');
}

function fits(size: number, client: string): boolean {
  return held + size <= HELD_ANSWERS.maxBytes && (heldBy.get(client) ?? 0) + size <= HELD_ANSWERS.perClientBytes;
}

function count(size: number, client: string): void {
  held += size;
  const left = (heldBy.get(client) ?? 0) + size;
  if (left > 0) heldBy.set(client, left);
  else heldBy.delete(client);
}

/**
 * Room taken, before a write starts, for the answer it builds once done (DeleteMultipleObjects lists every key it
 * deleted: 1,000 keys of 1,019 `>` are a 1 MB request and a 4 MB answer). A done write's answer is always sent, so
 * without room taken first such answers had no bound at all: 300 anonymous connections to a public-read-write
 * bucket that asked and never read took the server from 110 MB to 850 MB resident. Past the bound the write is
 * refused (503) before it does anything.
 */
export interface AnswerRoom {
  /** The answer as a counted body (its own size replaces the room taken, until it is sent). */
  body(bytes: Buffer): Readable;
  /** Gives the room back (the write failed, or its answer turned out small); idempotent. */
  release(): void;
}

/** Room for an answer of at most `maxBytes` for `client` (clientOf); null when it would take a bound past its limit. */
export function answerRoom(maxBytes: number, client: string): AnswerRoom | null {
  if (!fits(maxBytes, client)) return null;
  count(maxBytes, client);
  let taken = maxBytes;
  const release = (): void => {
    count(-taken, client);
    taken = 0;
  };
  return {
    body(bytes) {
      release();
      return holdAnswer(bytes, client, true)!;
    },
    release,
  };
}
