import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { RequestObserver, RequestRecord } from '../audit/record.js';
import type { OssResponse } from '../oss/context.js';

/**
 * Hands the record to the observer once the response is out: at once for bodies written in one piece
 * (their length is the Content-Length just set), on `close` for streamed bodies, counting what was sent.
 */
export function observeResponse(rec: RequestRecord, req: IncomingMessage, res: ServerResponse, response: OssResponse, observe: RequestObserver): void {
  const body = response.body;
  if (body instanceof Readable && req.method !== 'HEAD') {
    let sent = 0;
    body.on('data', (chunk: Buffer) => {
      sent += chunk.length;
    });
    res.once('close', () => {
      // An event handler, outside the request's error boundary: an observer failure must not escape.
      try {
        rec.finish(response.status, sent);
        observe(rec);
      } catch {
        // the answer is out; a lost audit line or metric is all that is left to lose
      }
    });
    return;
  }
  rec.finish(response.status, req.method === 'HEAD' ? 0 : Number(res.getHeader('content-length') ?? 0));
  observe(rec);
}
