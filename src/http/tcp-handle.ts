import type { Server, Socket } from 'node:net';

/** What node's TCP handle (a listener's or a connection's) carries that the typings do not show. */
export interface TcpHandle {
  fd?: number;
  writeQueueSize?: number;
}

/** The TCP handle under a server or a socket (node internals), or null when it has none (closed, not yet open). */
export function tcpHandleOf(owner: Server | Socket): TcpHandle | null {
  return (owner as unknown as { _handle?: TcpHandle | null })._handle ?? null;
}

/** The handle's file descriptor, or null where node exposes none (closed, or a platform without one). */
export function descriptorOf(handle: TcpHandle | null): number | null {
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}
