import { AppError } from '../errors.js';

/** HTTP preconditions, already parsed from headers (dates in ms; absent or unparseable = undefined). */
export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: number;
  ifUnmodifiedSince?: number;
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((raw) => {
    const t = raw.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return t === '*' || t.toUpperCase() === etag.toUpperCase();
  });
}

/**
 * Evaluates preconditions against an object: 412 conditions first (If-Match, If-Unmodified-Since),
 * then 304 ones (If-None-Match, If-Modified-Since). `names` lets CopyObject report its own header names.
 */
export function checkPreconditions(
  obj: { etag: string; lastModified: number },
  pre: Preconditions,
  names: { ifMatch: string; ifNoneMatch: string; ifModifiedSince: string; ifUnmodifiedSince: string } = {
    ifMatch: 'If-Match',
    ifNoneMatch: 'If-None-Match',
    ifModifiedSince: 'If-Modified-Since',
    ifUnmodifiedSince: 'If-Unmodified-Since',
  },
): void {
  const lastModifiedSec = Math.floor(obj.lastModified / 1000) * 1000;
  if (pre.ifMatch !== undefined && !etagMatches(pre.ifMatch, obj.etag)) {
    throw new AppError('PreconditionFailed', undefined, { Condition: names.ifMatch });
  }
  if (pre.ifMatch === undefined && pre.ifUnmodifiedSince !== undefined && lastModifiedSec > pre.ifUnmodifiedSince) {
    throw new AppError('PreconditionFailed', undefined, { Condition: names.ifUnmodifiedSince });
  }
  if (pre.ifNoneMatch !== undefined) {
    if (etagMatches(pre.ifNoneMatch, obj.etag)) throw new AppError('NotModified');
    return;
  }
  if (pre.ifModifiedSince !== undefined && lastModifiedSec <= pre.ifModifiedSince) {
    throw new AppError('NotModified');
  }
}
