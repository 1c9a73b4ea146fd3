import type { RequestListener } from 'node:http';
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
    if (l.busy) l.waiting.push(run);
    else run();
  };
}
