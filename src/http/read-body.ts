import { IncomingMessage } from 'node:http';
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
/**
 * Destroys a body read no further as node's stream iterator did when its loop was left (its `destroyer`): a server
 * request is destroyed without its socket (the refusal is still answered on it); another stream is destroyed.
 */
function discard(body: Readable): void {
  if (body instanceof IncomingMessage) (body as { socket: unknown }).socket = null;
  body.destroy();
}

export function readBoundedBody(body: Readable, limit: number, tooLarge: () => Error, keepRequest = false, shared?: SharedReadBounds): Promise<Buffer> {
  // Read by 'data'/'end' listeners, not `for await`: the async iterator (its generator, an end-of-stream watcher, a
  // promise per chunk) was ~25 k instructions for the ~340-byte body of a POP AssumeRole (docs/performance.md).
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let taken = 0;
    // The client whose share of the budget the body counts against (a request's peer; HeldBytes.perClient).
    const client = shared?.budget.perClient === undefined ? '' : clientOfBody(body);
    const timer = shared === undefined ? null : setTimeout(() => body.destroy(), shared.deadlineMs);
    timer?.unref();
    const settle = (err: Error | null): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
      if (timer !== null) clearTimeout(timer);
      // Read whole or refused, the bytes are the caller's or garbage now: the budget is for reads in progress.
      shared?.budget.give(taken, client);
      taken = 0;
      if (err === null) resolve(Buffer.concat(chunks));
      else reject(err);
    };
    // A refusal of ours (too large, over budget) stops reading: the request is destroyed, or with keepRequest left
    // paused and intact for a writer that drains the rest.
    const refuse = (err: Error): void => {
      settle(err);
      if (keepRequest) body.pause();
      else discard(body);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) return refuse(tooLarge());
      if (shared !== undefined) {
        if (!shared.budget.take(chunk.length, client)) return refuse(shared.busy());
        taken += chunk.length;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(null);
    // The stream's own failure (the client left mid-body, a reset, the deadline) is the client's doing, never an
    // internal error: logged with its stack as one, any client could flood the log (a fuzz finding). An error with a
    // code of the catalogue is a verdict on the body (a signed payload hash that does not match, a traffic limit):
    // the caller's to answer as it is.
    const onError = (err: Error): void => settle(err instanceof AppError ? err : new BodyCutShort(err));
    const onClose = (): void => settle(new BodyCutShort(new Error('The request body ended before its end (premature close).')));
    if (body.readableEnded) return settle(null);
    if (body.destroyed) return settle(new BodyCutShort(body.errored ?? new Error('The request body was destroyed before it was read.')));
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    body.on('close', onClose);
    // A stream paused by someone before is not resumed by a 'data' listener.
    if (body.readableFlowing !== true) body.resume();
  });
}
