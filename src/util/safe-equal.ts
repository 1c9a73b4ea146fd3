import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time string comparison for signatures (length is not secret): every UTF-16 unit of both strings is
 * compared, whatever the first difference. No Buffers: two per call showed as ~2.8 k instructions of a signed GET
 * (docs/performance.md); comparing units is also exact where UTF-8 was not (two different lone surrogates both
 * encode as U+FFFD, so their Buffers were equal).
 */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Constant-time comparison of digests (MACs, password hashes); unequal lengths are simply unequal. */
export function safeEqualBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
