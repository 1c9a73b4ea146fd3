import { randomBytes, randomFillSync, randomInt } from 'node:crypto';

// Request ids only need to be unique: a random per-process prefix and a counter, no entropy per request.
const requestIdPrefix = randomBytes(6).toString('hex').toUpperCase();
let requestCounter = 0;

/** OSS request ids are 24 upper-case hex characters. */
export function newRequestId(): string {
  requestCounter = (requestCounter + 1) % 0x1000000000000;
  return requestIdPrefix + requestCounter.toString(16).toUpperCase().padStart(12, '0');
}

/**
 * Multipart upload ids: 32 upper-case hex, URL-safe and opaque to clients. They start with the
 * initiation time so that sorting by id sorts uploads of one key by initiation, as OSS lists them.
 */
export function newUploadId(now: number): string {
  return now.toString(16).padStart(12, '0').slice(-12).toUpperCase() + randomBytes(10).toString('hex').toUpperCase();
}

/** Blob ids name files in the blob store; never derived from object keys. */
export function newBlobId(): string {
  return randomBytes(16).toString('hex');
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

// Bytes from the CSPRNG, each used once, refilled 4 KiB at a time: randomInt per character (a call into node's own
// cache of random bytes each) was ~450 instructions a character, 11 k for an AssumeRole's `STS.` key id
// (docs/performance.md). The pool is no weaker than randomInt's cache, which also holds CSPRNG bytes in memory.
const bytePool = Buffer.alloc(4096);
let bytePoolAt = bytePool.length;

/** `length` characters drawn uniformly from `alphabet` (default: base62), for key ids and secrets. */
export function randomString(length: number, alphabet = ALNUM): string {
  const n = alphabet.length;
  if (n > 256) {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[randomInt(n)];
    return out;
  }
  // Uniform: a byte at or above the largest multiple of n below 256 is drawn again (for base62, 248..255).
  const below = 256 - (256 % n);
  let out = '';
  for (let i = 0; i < length; ) {
    if (bytePoolAt === bytePool.length) {
      randomFillSync(bytePool);
      bytePoolAt = 0;
    }
    const b = bytePool[bytePoolAt++]!;
    if (b < below) {
      out += alphabet[b % n];
      i++;
    }
  }
  return out;
}
