/**
 * Round trips between Alunite and PostgreSQL, counted on the wire: a TCP proxy in front of the server that reads the
 * frontend/backend protocol's message framing. A client message that asks for an answer (Query `Q`, Sync `S`) is
 * awaited until the server's ReadyForQuery (`Z`); a round trip is a client send that starts while nothing is
 * awaited, so statements sent together (pipelined) count once and each wait counts once, whatever the driver does.
 * Plain TCP only (no SSLRequest handling); the startup message has no type byte and is skipped.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** Reads length-prefixed protocol messages from a byte stream; `typed` false for the first (startup) message. */
class Framer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private startup: boolean, private readonly onMessage: (type: number) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const head = this.startup ? 0 : 1;
      if (this.buf.length < head + 4) return;
      const len = this.buf.readInt32BE(head);
      if (this.buf.length < head + len) return;
      if (!this.startup) this.onMessage(this.buf[0]!);
      this.startup = false;
      this.buf = this.buf.subarray(head + len);
    }
  }
}

export interface RoundTripProxy {
  /** Port the Alunite server connects to instead of PostgreSQL's. */
  port: number;
  /** Round trips and answer-asking messages (Q + S) counted since the last reset. */
  counts(): { roundTrips: number; syncs: number };
  reset(): void;
  close(): Promise<void>;
}

export async function roundTripProxy(pgHost: string, pgPort: number): Promise<RoundTripProxy> {
  let roundTrips = 0;
  let syncs = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(pgPort, pgHost);
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let awaited = 0;
    const Q = 0x51, S = 0x53, Z = 0x5a;
    const fromClient = new Framer(true, (type) => {
      if (type !== Q && type !== S) return;
      if (awaited === 0) roundTrips++;
      awaited++;
      syncs++;
    });
    const fromServer = new Framer(false, (type) => {
      if (type === Z && awaited > 0) awaited--;
    });
    client.on('data', (d: Buffer) => {
      fromClient.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      fromServer.push(d);
      client.write(d);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    counts: () => ({ roundTrips, syncs }),
    reset() {
      roundTrips = 0;
      syncs = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
