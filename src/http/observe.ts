import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { RequestObserver, RequestRecord } from '../audit/record.js';
import type { OssResponse } from '../oss/context.js';
import { isRecyclingSource } from '../util/recycling-source.js';

/**
 * Hands the record to the observer once the response is out: at once for bodies written in one piece
 * (`promised`: the body bytes write() sent, 0 for HEAD), on `close` for streamed bodies, counting what was sent.
 */
export function observeResponse(rec: RequestRecord, req: IncomingMessage, res: ServerResponse, response: OssResponse, promised: number, observe: RequestObserver): void {
  const body = response.body;
  if (body instanceof Readable && req.method !== 'HEAD') {
    // A pumped body (a blob file, util/recycling-source.ts) counts its own bytes and must not be read here.
    const pumped = isRecyclingSource(body) ? body : null;
    let sent = 0;
    if (pumped === null) {
      body.on('data', (chunk: Buffer) => {
        sent += chunk.length;
      });
    }
    const done = (): void => {
      // An event handler, outside the request's error boundary: an observer failure must not escape.
      try {
        rec.finish(response.status, pumped === null ? sent : pumped.bytesPumped);
        observe(rec);
      } catch {
        // the answer is out; a lost audit line or metric is all that is left to lose
      }
    };
    // A client that left before the answer was written: its 'close' has passed already.
    if (res.destroyed) done();
    else res.once('close', done);
    return;
  }
  rec.finish(response.status, promised);
  observe(rec);
}
