// RFC 6238 (SHA-1, 6 digits, 30 s) written for the tests, independently of src/ram/totp.ts: a server bug cannot
// hide behind a test computing its codes with the same code.
import { createHmac } from 'node:crypto';

function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The code of a base32 seed at a time step. */
export function totp(seedBase32: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(seedBase32)).update(counter).digest();
  const o = mac[19]! & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** The code at a time (ms), `stepOffset` steps away. */
export const totpAt = (seedBase32: string, ms: number, stepOffset = 0): string => totp(seedBase32, Math.floor(ms / 30_000) + stepOffset);
