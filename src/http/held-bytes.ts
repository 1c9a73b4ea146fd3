/**
 * Bytes of request bodies the process holds while reading them whole, across requests (before anything
 * authenticated them, or small ones after). Each body is bounded on its own; without a bound across them,
 * thousands of clients each sending a body up to its limit and then going silent filled the heap. A read that would go beyond is refused (each entry point
 * answers in its own protocol: 503 ServiceUnavailable).
 */
export class HeldBytes {
  private held = 0;
  private readonly heldBy = new Map<string, number>();

  /**
   * `perClient`: what one client (clientOf) may hold of `limit`, so that one client's stalled bodies cannot take the
   * whole budget and have every other client's refused; unset, only the whole is bounded.
   */
  constructor(public limit: number, public perClient?: number) {}

  /** Takes `n` bytes for `client`, or answers false (and takes nothing) when that would go beyond a limit. */
  take(n: number, client = ''): boolean {
    if (this.held + n > this.limit) return false;
    if (this.perClient !== undefined) {
      const mine = (this.heldBy.get(client) ?? 0) + n;
      if (mine > this.perClient) return false;
      this.heldBy.set(client, mine);
    }
    this.held += n;
    return true;
  }

  give(n: number, client = ''): void {
    this.held -= n;
    if (this.perClient === undefined) return;
    const left = (this.heldBy.get(client) ?? 0) - n;
    if (left > 0) this.heldBy.set(client, left);
    else this.heldBy.delete(client);
  }

  /** Bytes held now (tests, diagnostics). */
  get inUse(): number {
    return this.held;
  }
}

/**
 * What one client may hold of a budget of bodies read before anything authenticated them (a DeleteMultipleObjects
 * body, a POST form's fields, a RAM/STS body: each 64 MiB for the process). Without a share, one anonymous address
 * opening a few dozen connections and going silent mid-body had every other client's such request refused (503)
 * until its deadline, and again at once after it.
 */
export const PRE_AUTH_SHARE = 16 * 1024 * 1024;

/**
 * Whose share a held body or answer counts against (HeldBytes, http/held-answers.ts): the peer's address, an IPv6 one by its /64 (one host is given a whole /64, so
 * its addresses are one client).
 */
export function clientOf(address: string | undefined): string {
  const a = (address ?? '').toLowerCase();
  if (!a.includes(':') || a.startsWith('::ffff:')) return a;
  const [head = '', tail = ''] = a.split('::', 2) as [string, string?];
  const left = head === '' ? [] : head.split(':');
  const right = a.includes('::') && tail !== '' ? tail.split(':') : [];
  const groups = a.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

/** The client (clientOf) that sent a request body: its socket's peer (an IncomingMessage's). */
export function clientOfBody(body: object): string {
  return clientOf((body as { socket?: { remoteAddress?: string } }).socket?.remoteAddress);
}
