// Failed console sign-ins counted in memory (docs/console.md): per source address, a fixed budget of failures
// per window, whatever names they try (each process its own). The map is bounded: past MAX_KEYS, the oldest
// unlocked entries go. Per user (MaxLoginAttemps failures within an hour lock the user for an hour), the
// counts are shared by every process through the metadata store (shared-attempts.ts), by the same rule
// (`noteFailure`).

import { parseIp } from '../policy/ip.js';

export const HOUR_MS = 60 * 60 * 1000;
/** Keys kept per map (users, addresses); an entry is a few dozen bytes. */
export const MAX_KEYS = 10_000;

export interface Entry {
  /** Times of the failures inside the window, oldest first (at most `limit` kept). */
  times: number[];
  /** The key is refused until then (0: not locked). */
  lockedUntil: number;
}

/**
 * The rule of one counter, shared by the in-memory counters here and the shared ones (shared-attempts.ts): a
 * failure while locked is not counted; otherwise it joins the failures inside the window, and the `limit`-th of
 * them locks the key for `lockMs` (limit 0: never).
 */
export function noteFailure(e: Entry, now: number, limit: number, windowMs: number, lockMs: number): void {
  if (limit <= 0 || e.lockedUntil > now) return;
  e.times = [...e.times.filter((t) => t > now - windowMs), now].slice(-limit);
  if (e.times.length >= limit) {
    e.lockedUntil = now + lockMs;
    e.times = [];
  }
}

export class AttemptCounter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly windowMs: number,
    private readonly lockMs: number,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  /** Whether `key` is locked at `now`. */
  locked(key: string, now: number): boolean {
    const e = this.entries.get(key);
    return e !== undefined && e.lockedUntil > now;
  }

  /** Notes a failure; locks the key when `limit` failures fall inside the window (limit 0: never). */
  fail(key: string, now: number, limit: number): void {
    let e = this.entries.get(key);
    if (e === undefined) {
      this.makeRoom(now);
      e = { times: [], lockedUntil: 0 };
    } else {
      this.entries.delete(key); // re-inserted below: the map's order is last use
    }
    this.entries.set(key, e);
    noteFailure(e, now, limit, this.windowMs, this.lockMs);
  }

  /** A successful sign-in forgets the key's failures. */
  clear(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxKeys) return;
    // Least recently failed first; locked keys stay while any unlocked one can go.
    for (const [k, e] of this.entries) {
      if (e.lockedUntil <= now) {
        this.entries.delete(k);
        return;
      }
    }
    const first = this.entries.keys().next();
    if (!first.done) this.entries.delete(first.value);
  }
}

/**
 * The key a source address is counted under: an IPv4 address itself, an IPv6 address its /64 (one host usually
 * holds a whole /64, so counting single addresses would give it 2^64 budgets).
 */
export function addressKey(ip: string): string {
  const g = parseIp(ip);
  if (g === null) return ip;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  }
  return `${g.slice(0, 4).map((n) => n.toString(16)).join(':')}::/64`;
}

/** Failures per source address, counted by `addressKey`. */
export class AddressAttempts extends AttemptCounter {
  override locked(ip: string, now: number): boolean {
    return super.locked(addressKey(ip), now);
  }

  override fail(ip: string, now: number, limit: number): void {
    super.fail(addressKey(ip), now, limit);
  }
}
