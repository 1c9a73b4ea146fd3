import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

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
  remove(): void;
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number, connections: unknown): void;
}

interface ParserBinding {
  HTTPParser: { REQUEST: number; kLenientChunkedLength?: number };
}

// node's own parser class (the module node:http uses); no public API selects a single llhttp leniency.
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as ParserBinding;

export function acceptChunkedWithLength(server: Server): void {
  const lenient = HTTPParser.kLenientChunkedLength;
  if (lenient === undefined) return;
  const event = server instanceof HttpsServer ? 'secureConnection' : 'connection';
  server.on(event, (socket: Socket & { parser?: NodeParser | null }) => {
    const parser = socket.parser;
    if (!parser || typeof parser.initialize !== 'function' || typeof parser.remove !== 'function') return;
    // node's connection listener ran first (it is registered when the server is made) and initialised the
    // parser; nothing has been read yet. Take it out of the server's connection list, re-initialise it the
    // same way plus the one leniency, and put it back (the list tracks headers/request timeouts).
    const connections = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections');
    parser.remove();
    parser.initialize(
      HTTPParser.REQUEST,
      { type: 'HTTPINCOMINGMESSAGE', socket },
      (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? 0,
      lenient,
      connections === undefined ? undefined : (server as unknown as Record<symbol, unknown>)[connections],
    );
  });
}

/** Connections that answer one last request (one that had both headers) and then close. */
const closing = new WeakSet<Socket>();

/**
 * Called for every request before anything else. A request with both `Content-Length` and
 * `Transfer-Encoding` loses its Content-Length (the parser read the body as chunked) and is answered with `Connection: close` and its connection closed after the response;
 * a request that arrives on such a connection behind it (pipelined, or hidden in a body that a
 * Content-Length-reading proxy forwarded as one request) is never handled. True: drop this request.
 */
export function guardChunkedLength(req: IncomingMessage, res: ServerResponse): boolean {
  const socket = req.socket;
  if (closing.has(socket)) {
    req.resume();
    return true;
  }
  if (req.headers['content-length'] !== undefined && req.headers['transfer-encoding'] !== undefined) {
    // The chunked framing is the body's length (RFC 9112 §6.3): what follows must not check the body
    // against, or size its storage by, a Content-Length the parser did not use.
    delete req.headers['content-length'];
    closing.add(socket);
    res.shouldKeepAlive = false;
    res.setHeader('Connection', 'close');
  }
  return false;
}
