// A tiny DNS server on 127.0.0.1 (UDP) that answers TXT questions from a table the test fills, and NXDOMAIN for
// everything else: what a server in `dns` CNAME verification mode asks (docs/stored-configurations.md#cnames-implemented).
import { createSocket, type Socket } from 'node:dgram';

export interface TxtServer {
  /** `host:port`, for the server's `cname.dnsServer`. */
  address: string;
  /** TXT records of a name (lower-case, without the final dot); an empty list removes the name. */
  set(name: string, values: string[]): void;
  /** How many questions were asked for a name. */
  asked(name: string): number;
  close(): Promise<void>;
}

const TYPE_TXT = 16;

/** The question's name (labels joined by dots) and the offset after its type and class; null when malformed. */
function question(msg: Buffer): { name: string; type: number; end: number } | null {
  let at = 12;
  const labels: string[] = [];
  while (at < msg.length) {
    const len = msg[at]!;
    if (len === 0) break;
    if (len > 63 || at + 1 + len > msg.length) return null;
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('latin1'));
    at += 1 + len;
  }
  if (at + 5 > msg.length) return null;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(at + 1), end: at + 5 };
}

function answer(msg: Buffer, q: { type: number; end: number }, values: string[] | undefined): Buffer {
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2); // the id
  const found = values !== undefined && values.length > 0;
  // QR, the question's RD, RA; rcode 3 (NXDOMAIN) for a name without records.
  header.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | (found ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  const records = found && q.type === TYPE_TXT ? values : [];
  header.writeUInt16BE(records.length, 6);
  const parts = [header, msg.subarray(12, q.end)];
  for (const value of records) {
    const text = Buffer.from(value, 'utf8');
    const chunks: Buffer[] = [];
    for (let i = 0; i < text.length || i === 0; i += 255) {
      const piece = text.subarray(i, i + 255);
      chunks.push(Buffer.from([piece.length]), piece);
      if (text.length === 0) break;
    }
    const rdata = Buffer.concat(chunks);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(TYPE_TXT, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(0, 6); // TTL
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

export async function startTxtServer(): Promise<TxtServer> {
  const records = new Map<string, string[]>();
  const counts = new Map<string, number>();
  const socket: Socket = createSocket('udp4');
  socket.on('message', (msg, peer) => {
    if (msg.length < 12) return;
    const q = question(msg);
    if (q === null) return;
    counts.set(q.name, (counts.get(q.name) ?? 0) + 1);
    socket.send(answer(msg, q, records.get(q.name)), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    set(name, values) {
      if (values.length === 0) records.delete(name.toLowerCase());
      else records.set(name.toLowerCase(), values);
    },
    asked: (name) => counts.get(name.toLowerCase()) ?? 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
