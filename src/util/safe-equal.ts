import { timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison for signatures (length is not secret). */
export function safeEqual(a: string, b: string): boolean {
  return safeEqualBytes(Buffer.from(a), Buffer.from(b));
}

/** Constant-time comparison of digests (MACs, password hashes); unequal lengths are simply unequal. */
export function safeEqualBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
