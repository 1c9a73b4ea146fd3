import { AppError } from '../errors.js';

const BUCKET_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_RE.test(name);
}

export function assertBucketName(name: string): void {
  if (!isValidBucketName(name)) throw new AppError('InvalidBucketName', undefined, { BucketName: name });
}

/** OSS keys: 1–1023 bytes of UTF-8, not starting with `/` or `\`. */
export function assertObjectKey(key: string): void {
  if (key.length === 0) throw new AppError('InvalidObjectName', 'The Object name can not be empty.');
  if (Buffer.byteLength(key, 'utf8') > 1023) {
    throw new AppError('InvalidObjectName', 'The Length of Object name must be less than 1024.', { ObjectName: key.slice(0, 64) });
  }
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw new AppError('InvalidObjectName', 'The specified object is not valid.', { ObjectName: key });
  }
  if (/[\uD800-\uDFFF]/.test(key) && !isWellFormed(key)) {
    throw new AppError('InvalidObjectName', 'The specified object is not valid.', { ObjectName: key });
  }
}

function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
