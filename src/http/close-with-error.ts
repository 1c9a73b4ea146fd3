import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppError } from '../errors.js';
import { ossErrorResponse } from '../oss/error-response.js';
import { newRequestId } from '../util/ids.js';

/**
 * Answers a request outside the normal pipeline (refused framing, a failure in answering itself) with an
 * OSS error document, then ends its connection: whatever the client still sends is never read as a
 * next request.
 */
export function closeWithError(req: IncomingMessage, res: ServerResponse, err: AppError, requestId: string = newRequestId()): void {
  const answer = ossErrorResponse(err, requestId, '', req.method ?? 'GET');
  const body = req.method === 'HEAD' || typeof answer.body !== 'string' ? '' : answer.body;
  res.statusCode = answer.status;
  res.setHeader('Server', 'AliyunOSS');
  res.setHeader('x-oss-request-id', requestId);
  for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.setHeader('Connection', 'close');
  const socket = res.socket ?? req.socket;
  res.on('finish', () => socket?.destroy());
  res.end(body);
}
