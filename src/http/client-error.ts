import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError } from '../errors.js';
import { ossErrorResponse } from '../oss/error-response.js';
import { newRequestId } from '../util/ids.js';

/**
 * Requests node's HTTP parser refuses before any handler runs (headers over the size limit, a
 * malformed Content-Length, …) still get an OSS error document instead of a bare status line.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const answering = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (answering) {
    // Bad bytes pipelined behind complete requests: their answers go out whole first (node keeps sending
    // them), then this one in its place. Written now, it would land inside an answer's body.
    if (answering.req.complete) {
      answering.once('close', () => setImmediate(() => answerClientError(err, socket)));
      return;
    }
    // The request being answered is itself cut (its body ended early, e.g. the client half-closed): its
    // handler waits for bytes that will not come. An answer already begun cannot take another one inside it:
    // the connection is cut; else the 400 below goes out and ends it, which ends that request too.
    if (answering.headersSent) {
      socket.destroy();
      return;
    }
  }
  const message = err.code === 'HPE_HEADER_OVERFLOW'
    ? 'The request headers are larger than the server accepts (16 KiB in all).'
    : 'The request is not valid HTTP/1.1.';
  const requestId = newRequestId();
  // A HEAD's answer has no body: one after its head is garbage to the client ("Data after Connection: close"), so
  // its error goes in x-oss-err as for any HEAD. node hands the bytes it failed on (rawPacket, the socket read
  // holding them); when they do not begin with the request's line the method is unknown and the body is sent.
  const method = isHeadRequest(err) ? 'HEAD' : 'GET';
  const response = ossErrorResponse(new AppError('InvalidRequest', message), requestId, '', method);
  const body = Buffer.from(typeof response.body === 'string' ? response.body : '', 'utf8');
  const head = [
    `HTTP/1.1 ${response.status} Bad Request`,
    'Server: AliyunOSS',
    `x-oss-request-id: ${requestId}`,
    ...Object.entries(response.headers).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${body.length}`,
    'Connection: close',
  ];
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
}

const HEAD_LINE = Buffer.from('HEAD ', 'latin1');

/** Whether the bytes node's parser failed on begin with a HEAD request line. */
function isHeadRequest(err: Error): boolean {
  const raw = (err as Error & { rawPacket?: unknown }).rawPacket;
  return Buffer.isBuffer(raw) && raw.length >= HEAD_LINE.length && raw.subarray(0, HEAD_LINE.length).equals(HEAD_LINE);
}
