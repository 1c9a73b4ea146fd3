import { createHmac } from 'node:crypto';

// Virtual MFA (docs/ram.md): RFC 4648 base32 seeds and RFC 6238 TOTP codes (HMAC-SHA1, 6 digits, 30 s).

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    const i = ALPHABET.indexOf(ch);
    if (i < 0) throw new Error('not base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export const TOTP_STEP_SECONDS = 30;

/** The time step of an instant (epoch milliseconds). */
export function totpStep(ms: number): number {
  return Math.floor(ms / 1000 / TOTP_STEP_SECONDS);
}

/** The 6-digit code of `step` (RFC 4226 dynamic truncation). */
export function totpCode(seed: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', seed).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(bin % 1_000_000).padStart(6, '0');
}

/**
 * BindMFADevice: the step of `code1` when `code1`, `code2` are the codes of two consecutive steps, the second
 * being the current step or one step off (clock drift); null otherwise.
 */
export function consecutiveCodesStep(seed: Buffer, code1: string, code2: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code1) || !/^\d{6}$/.test(code2)) return null;
  const now = totpStep(nowMs);
  for (let s = now - 2; s <= now; s++) {
    if (totpCode(seed, s) === code1 && totpCode(seed, s + 1) === code2) return s;
  }
  return null;
}
