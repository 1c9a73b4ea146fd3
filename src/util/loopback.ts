/** Whether an IP address is this host's loopback: 127.0.0.0/8, ::1, or 127.x mapped into IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '::1';
}
