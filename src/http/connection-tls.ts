import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ConnectionTls } from '../oss/bucket-tls.js';

// What a request's connection negotiated, for the bucket's HTTPS configuration (oss/bucket-tls.ts): read here
// from node's TLS socket so that the check sees plain facts, never a socket.

/** Node's protocol names → PutBucketHttpsConfig's (`TLSv1` is TLS 1.0). */
const VERSIONS: Readonly<Record<string, string>> = { TLSv1: 'TLSv1.0', 'TLSv1.1': 'TLSv1.1', 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' };

/** The connection's TLS version and cipher suite; null over plain HTTP. Read once per connection. */
export function connectionTls(socket: Socket): ConnectionTls | null {
  if (!('encrypted' in socket) || socket.encrypted !== true) return null;
  const cached = known.get(socket);
  if (cached !== undefined) return cached;
  const tls = socket as TLSSocket;
  const protocol = tls.getProtocol() ?? '';
  const cipher = tls.getCipher();
  const out: ConnectionTls = {
    version: VERSIONS[protocol] ?? protocol,
    cipher: cipher?.name ?? '',
    ...(cipher?.standardName !== undefined ? { standardCipher: cipher.standardName } : {}),
  };
  known.set(socket, out);
  return out;
}

const known = new WeakMap<Socket, ConnectionTls>();
