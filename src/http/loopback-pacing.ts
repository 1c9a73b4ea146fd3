import type { Server, Socket } from 'node:net';
import { loadNativeCrc64 } from '../util/crc64-native.js';
import { descriptorOf, tcpHandleOf } from './tcp-handle.js';
import { isLoopback } from '../util/loopback.js';

/**
 * Connections from this host (loopback) without TCP pacing, where the system's congestion control is BBR.
 *
 * BBR makes every TCP socket pace itself when no fq qdisc does it (tcp_bbr.c bbr_init: SK_PACING_NEEDED):
 * tcp_write_xmit stops at each pacing gap and arms an hrtimer (tcp_pacing_check) that sends the next
 * packets when it fires. On loopback a 64 KiB packet's gap is a few microseconds, so a large download armed
 * and took ~6 such timers per MiB, 2.4× the bare node:http server (whose 1 MiB writes leave most sending to
 * the ACKs); in a virtual machine each is a write of the timer's deadline register and a timer interrupt,
 * both exits to the hypervisor. That was the largest item of a cached 256 MiB GET's server CPU (38% of its
 * samples, inside tcp_write_xmit), for nothing: loopback has no bottleneck to pace for. Measured with reno on
 * loopback connections: server CPU 0.31 → 0.16 ms/MiB, 2,460 → 3,060 MiB/s (npm run bench -- --big-only).
 *
 * A socket keeps its pacing once BBR set it up, even under another congestion control, so the choice is made
 * on the listener: it gets "reno", which its connections inherit (tcp_ca_openreq_child keeps a congestion
 * control set on the listener with setsockopt), and a connection from another host is set back to the
 * system's default, before anything is read from or sent to it ('connection' runs at accept). Both reno and
 * the default are allowed to any user. A default other than BBR (cubic paces nothing here) leaves everything
 * as it is, as does a platform without the addon. If a connection cannot be set back, the listener is too,
 * and this stops: that one connection goes on with reno (a standard, unpaced congestion control), the later
 * ones get the system's choice.
 */

/** Connections left unpaced (from loopback), set back to the default (from elsewhere), or that could not be. */
export const loopbackPacingStats = { unpaced: 0, restored: 0, failed: 0 };

const addon = loadNativeCrc64();
const getCc = typeof addon?.tcpCongestion === 'function' ? addon.tcpCongestion.bind(addon) : null;
const setCc = typeof addon?.setTcpCongestion === 'function' ? addon.setTcpCongestion.bind(addon) : null;

/** The loopback congestion control: no pacing of its own, allowed to every user (tcp_cong.c tcp_reno). */
const LOOPBACK_CC = 'reno';

// Peer addresses are tested by the one loopback predicate (util/loopback.ts, also the CLI's listen-address check).
export { isLoopback };

const fdOf = (owner: Server | Socket): number | null => descriptorOf(tcpHandleOf(owner));

/**
 * Leaves the connections a listening server accepts from this host unpaced (see above). Call once the server
 * listens (TCP, plain or TLS). Answers whether it did anything: false when the system's default is not BBR,
 * the server is not a TCP listener, or the platform or the kernel refuses.
 */
export function unpaceLoopback(server: Server): boolean {
  if (getCc === null || setCc === null) return false;
  const listenerFd = fdOf(server);
  if (listenerFd === null) return false;
  const system = getCc(listenerFd);
  if (typeof system !== 'string' || !system.startsWith('bbr')) return false;
  if (setCc(listenerFd, LOOPBACK_CC) !== 0) return false;
  let on = true;
  // First among the listeners, so nothing of the connection is read or sent before its choice is made.
  server.prependListener('connection', (socket: Socket) => {
    if (!on) return;
    if (isLoopback(socket.remoteAddress)) {
      loopbackPacingStats.unpaced++;
      return;
    }
    const fd = fdOf(socket);
    if (fd !== null && setCc(fd, system) === 0) {
      loopbackPacingStats.restored++;
      return;
    }
    // The default refused now (a sandbox, a module gone): no later connection gets reno.
    loopbackPacingStats.failed++;
    on = false;
    const again = fdOf(server);
    if (again !== null) setCc(again, system);
  });
  return true;
}
