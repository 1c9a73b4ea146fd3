// A port to listen on a little later (a child process started seconds after it is chosen).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Whether a port can be listened on now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A port for a server a test starts seconds later (the documents' vend service, PostgreSQL). Not one the kernel
 * hands out (port 0 or the local port of an outgoing connection, from ip_local_port_range): a busy suite took such
 * a port in between (the vend service of docs/vend.md: EADDRINUSE). Below that range nothing is assigned by the kernel; a random one there is free unless someone
 * chose it on purpose.
 */
export async function portForLater(): Promise<number> {
  let low = 32768;
  try {
    low = Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual default
  }
  const floor = 10_000;
  for (let i = 0; i < 200 && low > floor + 100; i++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (await bindable(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

