import { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { cachedSendAvailable } from '../util/cached-read.js';
import type { DirectSink } from '../util/recycling-source.js';
import { descriptorOf, tcpHandleOf } from './tcp-handle.js';

/** What node's HTTP socket carries that the typings do not show. */
type HttpSocket = Socket & { _httpMessage?: unknown; _unrefTimer?: () => void };

/**
 * A response's socket as a DirectSink, when file bytes may be sent to it with sendfile: a plain TCP socket
 * (TLS encrypts in this process) whose descriptor node exposes, on a platform with the addon's sendCached.
 * Null otherwise: the body is then written through the response as usual.
 */
export function directSinkOf(res: ServerResponse): DirectSink | null {
  if (!cachedSendAvailable()) return null;
  // Chunked framing is added by node around each write: sent bytes would arrive unframed.
  if ((res as ServerResponse & { chunkedEncoding?: boolean }).chunkedEncoding !== false) return null;
  const socket = res.socket as HttpSocket | null;
  if (socket === null || !(socket instanceof Socket) || socket instanceof TLSSocket) return null;
  const handle = tcpHandleOf(socket);
  const fd = descriptorOf(handle);
  if (handle === null || fd === null) return null;
  return {
    fd,
    // The head was handed to the socket, this response still owns it (a pipelined answer waits for it), and
    // neither node's stream buffer nor libuv's write queue holds anything that sent bytes would overtake.
    idle: () =>
      res.headersSent && !socket.destroyed && tcpHandleOf(socket) === handle && socket._httpMessage === res &&
      socket.writableLength === 0 && handle.writeQueueSize === 0,
    // What node does after each of its own reads and writes (restarts the timer of socket.setTimeout, which
    // the server's idle timeout sets); without it a download sent this way was cut mid-body once the
    // timeout passed with no write of node's own. setTimeout again where node lacks the internal method.
    sent: typeof socket._unrefTimer === 'function'
      ? () => socket._unrefTimer!()
      : () => {
          if (socket.timeout !== undefined && socket.timeout > 0) socket.setTimeout(socket.timeout);
        },
  };
}
