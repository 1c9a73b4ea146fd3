import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { safeEqualBytes } from '../util/safe-equal.js';

// Password hashes for the users file: `scrypt$N$r$p$<salt base64>$<hash base64>` (node:crypto scrypt).

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const HASH_RE = /^scrypt\$(\d{1,7})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]{16,})\$([A-Za-z0-9+/=]{16,})$/;

export function isPasswordHash(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = HASH_RE.exec(value);
  if (!m) return false;
  const n = Number(m[1]);
  // A power of two, within what one login may cost (memory 128·N·r bytes).
  return n >= 1024 && n <= 1 << 20 && (n & (n - 1)) === 0 && Number(m[2]) >= 1 && Number(m[2]) <= 32 && Number(m[3]) >= 1 && Number(m[3]) <= 16;
}

/** A fixed hash compared against when the user does not exist, so both failures cost the same. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('base64'));
  return dummy;
}

export { PasswordCheckSlots } from '../util/password-check-slots.js';

/** Constant-time check of `password` against a stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = HASH_RE.exec(stored);
  if (!m || !isPasswordHash(stored)) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const actual = await scryptAsync(password, Buffer.from(m[4]!, 'base64'), expected.length, {
    N: Number(m[1]),
    r: Number(m[2]),
    p: Number(m[3]),
    maxmem: 256 * Number(m[1]) * Number(m[2]),
  });
  return safeEqualBytes(actual, expected);
}
