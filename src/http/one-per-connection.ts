import type { RequestListener, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Runs the requests of one connection one after the other. Node parses pipelined requests as fast as they
 * arrive and emits each at once, queueing the answers behind the first; every handler then opens its
 * object and buffers its body in memory while it waits for the connection. One client that writes a few
 * hundred KB of pipelined GETs for a public 1 MiB object and never reads grew the server by 1 GB in ten
 * seconds (and one file descriptor per request). Here a request of a connection starts only once the
 * answer before it has finished, so a connection holds at most one body in flight; node stops reading the
 * connection while that answer cannot be sent, which bounds what is parsed ahead.
 */
interface Lane {
  busy: boolean;
  waiting: Array<() => void>;
}

/**
 * Queued requests at which node stops reading the connection, until the queue is shorter again. Node pauses
 * a connection only by the bytes its queued answers hold (`outgoingData` ≥ the socket's high-water mark); a
 * request waiting here has written nothing, so alone it never counted, and a client whose answer in progress
 * was slow but flowing (a GET under x-oss-traffic-limit) could pipeline without end: 400,000 one-line GETs
 * (17 MB) behind one traffic-limited GET of a public object grew the server by 650 MB. Each queued request
 * now counts 1/PIPELINE_PAUSE_AT of the high-water mark in node's own tally (`res._onPendingData`), so node's
 * pause and resume (socket and parser together) apply to it too.
 */
export const PIPELINE_PAUSE_AT = 16;
/**
 * Queued requests beyond which the connection is closed. A pause takes effect after the chunk being parsed
 * (64 KiB): that holds a few hundred requests of any real client (a signed request is hundreds of bytes),
 * thousands only of requests made as small as possible to fill this queue.
 */
export const PIPELINE_MAX_QUEUED = 1024;

/** Node's tally of bytes held by the answers of a connection (node's `_http_server`, bound per response). */
function pendingTally(res: ServerResponse): ((delta: number) => void) | null {
  const f = (res as ServerResponse & { _onPendingData?: unknown })._onPendingData;
  return typeof f === 'function' ? (f as (delta: number) => void) : null;
}

const lanes = new WeakMap<Socket, Lane>();

export function onePerConnection(handler: RequestListener): RequestListener {
  return (req, res) => {
    const socket = req.socket;
    let lane = lanes.get(socket);
    if (lane === undefined) {
      lane = { busy: false, waiting: [] };
      lanes.set(socket, lane);
    }
    const l = lane;
    const run = (): void => {
      l.busy = true;
      let done = false;
      const next = (): void => {
        if (done) return;
        done = true;
        l.busy = false;
        // A connection that is closing (an answer with Connection: close, a client gone) runs none of the
        // requests queued on it.
        if (socket.destroyed || !socket.writable) l.waiting.length = 0;
        l.waiting.shift()?.();
      };
      // 'close' follows every answer, finished or cut (node emits it a tick after 'finish'): one listener
      // rather than once() on both, which cost two wrappers per request.
      res.on('close', next);
      // The next request starts from the previous answer's event: a handler that threw synchronously there
      // would end the process. The handlers answer their own errors, so this only cuts the connection.
      try {
        handler(req, res);
      } catch {
        socket.destroy();
      }
    };
    if (!l.busy) {
      run();
      return;
    }
    // A request parsed from bytes read before the connection was closed below: never run.
    if (socket.destroyed) return;
    if (l.waiting.length >= PIPELINE_MAX_QUEUED) {
      l.waiting.length = 0;
      socket.destroy();
      return;
    }
    const tally = pendingTally(res);
    const weight = Math.ceil(socket.writableHighWaterMark / PIPELINE_PAUSE_AT);
    tally?.(weight);
    l.waiting.push(() => {
      tally?.(-weight);
      run();
    });
  };
}
