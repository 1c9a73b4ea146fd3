// @ts-check
// Uploads from the console: one PutObject up to MULTIPART_THRESHOLD, multipart above it (parts of
// several MiB, a few at a time), with progress over all parts. A cancelled or failed multipart upload is
// aborted (AbortMultipartUpload), so no parts are left behind.
import { ApiError, oss, xml } from './api.js';

/** Files above this size go up in parts. */
export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
/** Part size: 5 MiB, more when a file would otherwise need over 10,000 parts (OSS's limit). */
export const PART_SIZE = 5 * 1024 * 1024;
/** Parts in flight at once. */
export const PARALLEL_PARTS = 4;
const MAX_PARTS = 10_000;

/**
 * @param {number} size
 */
export function partSizeFor(size) {
  const min = Math.ceil(size / MAX_PARTS);
  return Math.max(PART_SIZE, Math.ceil(min / (1024 * 1024)) * 1024 * 1024);
}

/**
 * @param {string} s
 */
function xmlEscape(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * @typedef {object} UploadResult
 * @property {string} etag the object's ETag as the server gave it (quoted)
 * @property {number} parts 0 for a single PutObject
 * @property {number} partSize 0 for a single PutObject
 */

/**
 * Uploads one file to bucket/key.
 * @param {{bucket: string, key: string, file: Blob, contentType: string, signal: AbortSignal,
 *   onProgress: (loaded: number, total: number) => void, onStart?: (info: {parts: number, partSize: number}) => void}} o
 * @returns {Promise<UploadResult>}
 */
export async function uploadFile(o) {
  const { bucket, key, file, signal } = o;
  if (file.size <= MULTIPART_THRESHOLD) {
    o.onStart?.({ parts: 0, partSize: 0 });
    const xhr = await oss({
      method: 'PUT', bucket, key, body: file, headers: { 'Content-Type': o.contentType }, action: 'oss:PutObject', signal,
      onProgress: (loaded) => o.onProgress(loaded, file.size),
    });
    o.onProgress(file.size, file.size);
    return { etag: xhr.getResponseHeader('ETag') ?? '', parts: 0, partSize: 0 };
  }

  const partSize = partSizeFor(file.size);
  const count = Math.ceil(file.size / partSize);
  o.onStart?.({ parts: count, partSize });
  const init = xml(await oss({ method: 'POST', bucket, key, query: [['uploads', '']], headers: { 'Content-Type': o.contentType }, action: 'oss:PutObject', signal }));
  const uploadId = init.getElementsByTagName('UploadId')[0]?.textContent ?? '';
  if (!uploadId) throw new ApiError('InvalidResponse', 'InitiateMultipartUpload answered without an UploadId.', 0, '', 'oss:PutObject', '');

  // One failing part stops the others: they share this controller, which the caller's signal also trips.
  const stop = new AbortController();
  const onCancel = () => stop.abort();
  signal.addEventListener('abort', onCancel);
  const loaded = new Array(count).fill(0);
  const report = () => o.onProgress(loaded.reduce((a, b) => a + b, 0), file.size);
  /** @type {string[]} */
  const etags = new Array(count).fill('');
  try {
    let next = 0;
    /** @type {unknown} */
    let firstError = null;
    const worker = async () => {
      while (next < count && !stop.signal.aborted) {
        const i = next++;
        const body = file.slice(i * partSize, Math.min(file.size, (i + 1) * partSize));
        try {
          const xhr = await oss({
            method: 'PUT', bucket, key, body, query: [['partNumber', String(i + 1)], ['uploadId', uploadId]], action: 'oss:PutObject', signal: stop.signal,
            onProgress: (n) => { loaded[i] = n; report(); },
          });
          loaded[i] = body.size;
          report();
          etags[i] = xhr.getResponseHeader('ETag') ?? '';
        } catch (e) {
          // The first failure is the one to show; the parts it aborts only fail with "Aborted".
          if (firstError === null) firstError = e;
          stop.abort();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
    if (signal.aborted) throw new ApiError('Aborted', 'The upload was cancelled.', 0, '', 'oss:PutObject', '');
    if (firstError !== null) throw firstError;
    const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(etag)}</ETag></Part>`).join('');
    const done = xml(await oss({
      method: 'POST', bucket, key, query: [['uploadId', uploadId]], headers: { 'Content-Type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`, action: 'oss:PutObject',
    }));
    return { etag: done.getElementsByTagName('ETag')[0]?.textContent ?? '', parts: count, partSize };
  } catch (e) {
    // Leave nothing behind; if even the abort fails, the first error is still the one to report.
    await oss({ method: 'DELETE', bucket, key, query: [['uploadId', uploadId]], action: 'oss:AbortMultipartUpload', quiet: true }).catch(() => undefined);
    throw e;
  } finally {
    signal.removeEventListener('abort', onCancel);
  }
}
