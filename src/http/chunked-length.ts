import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { AppError } from '../errors.js';
import { closeWithError } from './close-with-error.js';

/**
 * Requests that carry both `Content-Length` and `Transfer-Encoding: chunked` (ali-oss sends them for a stream
 * with a caller-set length). OSS reads such a body as chunked, and RFC 9112 §6.1 lets a server do so if it
 * closes the connection after the response, which also leaves nothing behind the body to be smuggled in as
 * a second request. node's HTTP parser (llhttp) refuses them with 400 unless told otherwise; rather than
 * `insecureHTTPParser`, which relaxes every rule (bare LF, spaces in headers, data after close, …), each
 * server connection's parser is re-initialised with exactly one leniency, llhttp's "chunked length": with
 * both headers, chunked wins. Every other malformation is still refused. `guardChunkedLength` does the rest.
 */

interface NodeParser {
  /** The request being parsed (node's own field). */
  incoming?: IncomingMessage | null;
  remove(): void;
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number, connections: unknown): void;
}

interface ParserBinding {
  HTTPParser: { REQUEST: number; kLenientChunkedLength?: number };
}

// node's own parser class (the module node:http uses); no public API selects a single llhttp leniency.
// Absent (another runtime): such requests keep getting node's 400, nothing else changes.
const binding = ((): ParserBinding | null => {
  try {
    return createRequire(import.meta.url)('_http_common') as ParserBinding;
  } catch {
    return null;
  }
})();

export function acceptChunkedWithLength(server: Server): void {
  const HTTPParser = binding?.HTTPParser;
  const lenient = HTTPParser?.kLenientChunkedLength;
  if (HTTPParser === undefined || lenient === undefined) return;
  const event = server instanceof HttpsServer ? 'secureConnection' : 'connection';
  server.on(event, (socket: Socket & { parser?: NodeParser | null }) => {
    const parser = socket.parser;
    if (!parser || typeof parser.initialize !== 'function' || typeof parser.remove !== 'function') return;
    // The server's connection list (made when it starts listening) tracks headers/request timeouts: without
    // it a re-initialised parser would drop out of that sweep, so leave node's parser alone (such requests
    // keep node's 400).
    const connections = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections');
    if (connections === undefined) return;
    // node's connection listener ran first (it is registered when the server is made) and initialised the
    // parser; nothing has been read yet. Take it out of the server's connection list, re-initialise it the
    // same way plus the one leniency, and put it back.
    parser.remove();
    parser.initialize(
      HTTPParser.REQUEST,
      { type: 'HTTPINCOMINGMESSAGE', socket },
      (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? 0,
      lenient,
      (server as unknown as Record<symbol, unknown>)[connections],
    );
    // The leniency has a second effect in llhttp: a request whose Transfer-Encoding does not end in a coding it
    // reads as chunked (`gzip`, or `chunked<TAB>`, which node shows as `chunked`) is read to the end of the
    // connection instead of refused. Its body ends only at EOF, where node's own 'end' listener would let the
    // parser complete it: behind a proxy that shares upstream connections, other clients' requests would be
    // stored as its bytes. A request still incomplete at EOF is aborted first (as node's strict parser would
    // refuse it), so no body is ever delimited by the connection's end.
    socket.prependListener('end', () => {
      const incoming = parser.incoming;
      if (incoming && !incoming.complete && !incoming.destroyed) {
        incoming.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      }
    });
  });
}

/** Connections that answer one last request (one that had both headers) and then close. */
const closing = new WeakSet<Socket>();

/**
 * Called for every request before anything else. A request with both `Content-Length` and
 * `Transfer-Encoding: chunked` loses its Content-Length (the parser read the body as chunked), is answered
 * with `Connection: close`, and its connection is closed after the response; any other coding (with or without
 * a Content-Length) is refused with 400.
 * A request that arrives on such a connection behind it (pipelined, or hidden in a body
 * that a Content-Length-reading proxy forwarded as one request) is never handled. True: drop this request.
 */
export function guardChunkedLength(req: IncomingMessage, res: ServerResponse): boolean {
  const socket = req.socket;
  if (closing.has(socket)) {
    req.resume();
    return true;
  }
  const te = req.headers['transfer-encoding'];
  if (te === undefined) return false;
  const chunked = te.trim().toLowerCase() === 'chunked';
  if (chunked && req.headers['content-length'] === undefined) return false;
  closing.add(socket);
  res.shouldKeepAlive = false;
  res.setHeader('Connection', 'close');
  if (!chunked) {
    // The leniency also lets through another coding (`gzip`, `xchunked`, `chunked;q=1`), with or without a
    // Content-Length, which node's strict parser refuses and whose body would run to the end of the
    // connection: refuse it as before.
    req.resume();
    closeWithError(req, res, new AppError('InvalidRequest', 'Transfer-Encoding must be chunked.'));
    return true;
  }
  // The chunked framing is the body's length (RFC 9112 §6.3): what follows must not check the body
  // against, or size its storage by, a Content-Length the parser did not use.
  delete req.headers['content-length'];
  return false;
}
