import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import { clientOfBody, type HeldBytes } from './held-bytes.js';

/**
 * Bounds across requests of the bodies an entry point reads whole (readBoundedBody's `shared`): those read before
 * their request is authenticated or authorized, and the small ones read after (oss/handlers/common.ts).
 */
export interface SharedReadBounds {
  /** The process-wide bytes such reads may hold at once; a read beyond throws `busy()`. */
  budget: HeldBytes;
  busy: () => Error;
  /** The time the whole body may take; past it the request is destroyed (no answer: the client stalled). */
  deadlineMs: number;
}

/** A body that ended before its end (the client aborted or stalled): each entry point answers it in its protocol. */
export class BodyCutShort extends Error {
  constructor(readonly reason: unknown) {
    super('The request body was cut short.');
    this.name = 'BodyCutShort';
  }
}

/** A body cut short as the catalogue answers it (OSS, RPC, the accounts API): IncompleteBody, a 400 nobody reads. */
export function cutShortAsIncomplete(err: unknown): never {
  if (err instanceof BodyCutShort) throw new AppError('IncompleteBody', 'The request body was cut short.');
  throw err;
}

/**
 * Reads a small request body whole, up to `limit` bytes; past it, throws what `tooLarge` makes (each entry point
 * answers in its own protocol's error). `keepRequest`: stopping at the limit leaves the request intact, so a
 * writer that drains the rest keeps the connection (OSS); otherwise the request is destroyed. With `shared`, the
 * body also counts against a process-wide budget while it is read and has a deadline.
 */
export async function readBoundedBody(body: Readable, limit: number, tooLarge: () => Error, keepRequest = false, shared?: SharedReadBounds): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let taken = 0;
  const timer = shared === undefined ? null : setTimeout(() => body.destroy(), shared.deadlineMs);
  // The client whose share of the budget the body counts against (a request's peer; HeldBytes.perClient).
  const client = shared?.budget.perClient === undefined ? '' : clientOfBody(body);
  timer?.unref();
  let refusal: Error | null = null;
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: !keepRequest }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw (refusal = tooLarge());
      if (shared !== undefined) {
        if (!shared.budget.take(chunk.length, client)) throw (refusal = shared.busy());
        taken += chunk.length;
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  } catch (err) {
    // The stream's own failure (the client left mid-body, a reset, the deadline) is the client's doing, never an
    // internal error: logged with its stack as one, any client could flood the log (a fuzz finding).
    // An error with a code of the catalogue is a verdict on the body (a signed payload hash that does not match,
    // a traffic limit): the caller's to answer as it is.
    if (err === refusal || err instanceof AppError) throw err;
    throw new BodyCutShort(err);
  } finally {
    if (timer !== null) clearTimeout(timer);
    // Read whole or refused, the bytes are the caller's or garbage now: the budget is for reads in progress.
    shared?.budget.give(taken, client);
  }
}
