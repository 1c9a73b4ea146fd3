import { validateHeaderName, validateHeaderValue, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { AppError, isAppError } from '../errors.js';
import type { OssResponse } from '../oss/context.js';
import { ossErrorResponse } from '../oss/error-response.js';
import { formWasRead } from '../oss/post-form.js';
import { opensFirst } from '../util/opens-first.js';
import { isRecyclingSource } from '../util/recycling-source.js';
import { directSinkOf } from './direct-sink.js';

// Writing an answer for the listener (listener.ts): the head in one writeHead, the body, an unread request body
// drained or its connection closed, and the check of the headers node would refuse to send.

/** Node writes header strings as latin1 bytes; a character beyond U+00FF can only go out as UTF-8. */
function wireValue(v: string): string {
  return /[^\x00-\xff]/.test(v) ? Buffer.from(v, 'utf8').toString('latin1') : v;
}

/**
 * The HostId of an error answer: the Host the client used, as it sent it, a port included (OSS's clients never
 * send one; the C++ SDK's EndpointTest.CnameTest compares HostId with its endpoint's authority, `<bucket>.host:port`
 * for a server on another port).
 */
export function hostIdOf(req: IncomingMessage): string {
  return req.headers.host ?? '';
}

/**
 * Writes the answer; returns the body bytes it promised (Content-Length; for a stream, what the stream sends
 * is counted where it ends). `ossRequestId` null: a POP response, which carries its own request id and no
 * OSS headers. The head goes out in one writeHead with a flat list: node's per-header bookkeeping
 * (setHeader's lowercased map) costs a few µs per request, and checkHeaders() checked every value already.
 */
export function write(
  req: IncomingMessage, res: ServerResponse, response: OssResponse, ossRequestId: string | null, started: bigint,
  plainHeaders: boolean, bodyFailed: (err: Error, answered: boolean) => void,
): number {
  // A client gone mid-answer makes writes fail; the connection is already over, nothing to do.
  res.on('error', () => undefined);
  const body = response.body;
  const bodyless = body === undefined || req.method === 'HEAD' || response.headOnly === true;
  // A body in one piece: its bytes, and their count is the Content-Length (a HEAD says what a GET would send).
  const bytes = body === undefined || body instanceof Readable ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let length = bytes === undefined ? undefined : String(bytes.length);
  const head: string[] = [];
  // The lower-cased name of each pair in `head`, in order: names differing only in case are one header, the last
  // one set wins (as res.setHeader would have it). An answer has a few dozen at most: a scan, no Set per answer.
  const lowers: string[] = [];
  const set = (name: string, value: string): void => {
    const lower = lowerName(name);
    const at = lowers.indexOf(lower);
    if (at >= 0) {
      lowers.splice(at, 1);
      head.splice(at * 2, 2);
    }
    lowers.push(lower);
    head.push(name, value);
  };
  // Date: node adds it (res.sendDate), formatted once per second.
  if (ossRequestId !== null) {
    set('Server', 'AliyunOSS');
    set('x-oss-request-id', ossRequestId);
    set('x-oss-server-time', String(Number((process.hrtime.bigint() - started) / 1_000_000n)));
  }
  const headers = response.headers;
  let chunked = false;
  // An HTTP/1.0 client knows no chunked coding (RFC 9112 §6.1: a server must not send Transfer-Encoding to it):
  // a body of unknown length goes to it as it is, ended by the connection's close (node does that unasked).
  const http10 = req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1);
  for (const k in headers) {
    const lower = lowerName(k);
    // checkHeaders() found every value printable ASCII: wireValue would return each unchanged.
    const value = plainHeaders ? headers[k]! : wireValue(headers[k]!);
    if (lower === 'content-length') length ??= headers[k];
    else if (lower === 'transfer-encoding') {
      chunked = true;
      if (!http10) set(k, value);
    } else set(k, value);
  }
  // A body of unknown length goes out chunked. An answer that says it is chunked (a gzip-compressed object,
  // oss/compression.ts) has no length, for a HEAD too, which says what the GET would send.
  if (!chunked && (length !== undefined || bodyless)) set('Content-Length', length ?? '0');
  const openFirst = !bodyless && body instanceof Readable && opensFirst(body) && ossRequestId !== null ? body.openFirst.bind(body) : undefined;
  if (openFirst !== undefined && ossRequestId !== null && body instanceof Readable) {
    // A blob file is opened (and measured, or its first encrypted chunk read) before the head goes out: the first
    // read would open it anyway, and node sends the head with the first bytes. One missing, short or undecryptable
    // is an InternalError answer, not a 200 head and a cut connection (util/opens-first.ts).
    const first = body;
    res.on('close', () => first.destroy());
    openFirst((err) => {
      if (err === null) return void sendHead(req, res, response, head, set, bodyless, bytes, bodyFailed);
      first.destroy();
      bodyFailed(err, true);
      // The error document replaces the answer in place: the request's record reads its status from it. An object
      // deleted by another process since its record was read is answered as a GET after the delete (NoSuchKey).
      const failed = ossErrorResponse(isAppError(err) ? err : new AppError('InternalError'), ossRequestId, hostIdOf(req), req.method ?? 'GET');
      response.status = failed.status;
      response.headers = failed.headers;
      response.body = failed.body;
      delete response.headOnly;
      write(req, res, response, ossRequestId, started, false, bodyFailed);
    });
    return 0;
  }
  return sendHead(req, res, response, head, set, bodyless, bytes, bodyFailed);
}

/** write()'s second half: the head (with the Connection header decided now), then the body. */
function sendHead(
  req: IncomingMessage, res: ServerResponse, response: OssResponse, head: string[], set: (name: string, value: string) => void,
  bodyless: boolean, bytes: Buffer | undefined, bodyFailed: (err: Error, answered: boolean) => void,
): number {
  const body = response.body;
  if (drainOrClose(req, res)) set('Connection', 'close');
  else if (response.headOnly === true && req.method !== 'HEAD') closeAfterHead(req, res, set);
  res.writeHead(response.status, head);
  if (bodyless) {
    if (body instanceof Readable) body.destroy();
    res.end();
    return 0;
  }
  if (!(body instanceof Readable)) {
    const sent = bytes ?? Buffer.alloc(0);
    res.end(sent);
    return sent.length;
  }
  body.on('error', (err: Error) => {
    // Bytes were already promised; the only honest signal left is to cut the connection.
    res.destroy();
    bodyFailed(err, false);
  });
  // A client that left while the answer was prepared: its 'close' is past, so nothing would stop the body.
  if (res.destroyed) {
    body.destroy();
    return 0;
  }
  res.on('close', () => body.destroy());
  // A file body writes itself with reused buffers (no new external memory per read: see util/recycling-source.ts).
  // On a plain TCP socket, cached file bytes may go to it with sendfile (http/direct-sink.ts).
  if (isRecyclingSource(body)) body.pumpTo(res, directSinkOf(res));
  else body.pipe(res);
  return 0;
}

/** The most of an unread request body drained to keep its connection; beyond it the connection closes. */
export const DRAIN_MAX_BYTES = 1024 * 1024;

/**
 * A request body the handler did not read to its end (refused early, or a reader that stopped at its
 * limit): the connection can serve the next request only once the rest of this body is consumed. A
 * small declared rest is drained; a big or chunked one, or one whose reader destroyed the request
 * (nothing can drain it then), ends the connection with `Connection: close` after this answer.
 */
function drainOrClose(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.complete && req.readableEnded) return false;
  const declared = Number(req.headers['content-length'] ?? '0');
  // A PostObject form's rest is not drained (oss/post-form.ts formWasRead): its client may trickle it forever.
  const drainable = !req.destroyed && req.headers['transfer-encoding'] === undefined && declared <= DRAIN_MAX_BYTES && !formWasRead(req);
  const close = !req.complete && !drainable;
  if (close) {
    // Node ends the connection after an answer saying `Connection: close`; destroying the socket as
    // well makes sure unread bytes are not parsed as a next request. Taken now: req/res detach from it.
    const socket = res.socket ?? req.socket;
    res.on('finish', () => socket?.destroy());
  }
  if (!req.destroyed) {
    req.unpipe();
    req.resume();
  }
  return close;
}

/**
 * An answer whose Content-Length promises bytes it does not send (OssResponse.headOnly on a GET): `Connection:
 * close`, and the socket destroyed once the head is out, so nothing after it on the connection is read as those
 * bytes or answered.
 */
function closeAfterHead(req: IncomingMessage, res: ServerResponse, set: (name: string, value: string) => void): void {
  set('Connection', 'close');
  const socket = res.socket ?? req.socket;
  res.on('finish', () => socket?.destroy());
}

/** Printable ASCII and tab: a value node sends as is (and wireValue leaves alone). */
const PLAIN_HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/**
 * Response header names node already accepted (a small set: the answers' own names and x-oss-meta-*), each with
 * its lower-cased form (write() compares names case-insensitively; a lower-casing per name and answer cost more
 * than the lookup), at most 4,096 of at most 128 characters: a name is an object's metadata name, which its
 * writer chooses (up to the 8 KB of user metadata), so remembering any name let 4,096 objects' names keep ~32 MB.
 * A longer name is validated each time, as an unseen one is.
 */
const acceptedNames = new Map<string, string>(
  // The names write() sets itself.
  ['Server', 'x-oss-request-id', 'x-oss-server-time', 'Content-Length', 'Connection'].map((n) => [n, n.toLowerCase()]),
);
const ACCEPTED_NAME_MAX_CHARS = 128;

/** A response header name lower-cased (remembered for the names node accepted). */
function lowerName(name: string): string {
  return acceptedNames.get(name) ?? name.toLowerCase();
}

/**
 * What the listener found of an answer's headers: `true` when every value is printable ASCII (sent as is: write()
 * skips wireValue's scan of each), `null` when all can be sent but some need wireValue, else the first header
 * node would refuse to send (name or value).
 */
export type HeaderCheck = true | null | string;

export function checkHeaders(headers: Record<string, string>): HeaderCheck {
  let plain = true;
  // for…in rather than Object.entries: no array of pairs per answer.
  for (const k in headers) {
    const v = headers[k]!;
    // The common case, checked once per request rather than through node's validators.
    if (acceptedNames.has(k) && PLAIN_HEADER_VALUE.test(v)) continue;
    plain = false;
    try {
      validateHeaderName(k);
      validateHeaderValue(k, wireValue(v));
    } catch {
      return k;
    }
    if (acceptedNames.size < 4096 && k.length <= ACCEPTED_NAME_MAX_CHARS) acceptedNames.set(k, k.toLowerCase());
  }
  return plain ? true : null;
}
