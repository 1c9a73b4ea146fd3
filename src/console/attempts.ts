// The rule of failed console sign-ins (docs/console.md): per user, MaxLoginAttemps failures within an hour lock
// the user for an hour; per source address, a fixed budget of failures per window, whatever names it tries.
// Both are counted by every process together in the metadata store (shared-attempts.ts), by `noteFailure`.

import { parseIp } from '../policy/ip.js';

export const HOUR_MS = 60 * 60 * 1000;
export interface Entry {
  /** Times of the failures inside the window, oldest first (at most `limit` kept). */
  times: number[];
  /** The key is refused until then (0: not locked). */
  lockedUntil: number;
}

/**
 * The rule of one counter (shared-attempts.ts keeps them): a failure while locked is not counted; otherwise it
 * joins the failures inside the window, and the `limit`-th of them locks the key for `lockMs` (limit 0: never).
 */
export function noteFailure(e: Entry, now: number, limit: number, windowMs: number, lockMs: number): void {
  if (limit <= 0 || e.lockedUntil > now) return;
  e.times = [...e.times.filter((t) => t > now - windowMs), now].slice(-limit);
  if (e.times.length >= limit) {
    e.lockedUntil = now + lockMs;
    e.times = [];
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
