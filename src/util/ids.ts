import { randomBytes } from 'node:crypto';

/** OSS request ids are 24 upper-case hex characters. */
export function newRequestId(): string {
  return randomBytes(12).toString('hex').toUpperCase();
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
