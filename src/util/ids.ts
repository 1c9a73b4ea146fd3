import { randomBytes, randomInt } from 'node:crypto';

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

/** `length` characters drawn uniformly from `alphabet` (default: base62), for key ids and secrets. */
export function randomString(length: number, alphabet = ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
