import { AppError } from '../errors.js';

/** HTTP preconditions, already parsed from headers (dates in ms; absent or unparseable = undefined). */
export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: number;
  ifUnmodifiedSince?: number;
  /** How the caller names the 412 conditions in errors (`<Condition>`): the protocol layer's header names. */
  names?: { ifMatch: string; ifUnmodifiedSince: string };
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((raw) => {
    const t = raw.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return t === '*' || t.toUpperCase() === etag.toUpperCase();
  });
}

/**
 * Evaluates preconditions against an object: 412 conditions first (If-Match, If-Unmodified-Since),
 * then 304 ones (If-None-Match, If-Modified-Since). Several sets (a copy's plain and `x-oss-copy-source-`
 * headers) are evaluated together: every set's 412 conditions before any 304 one.
 */
export function checkPreconditions(obj: { etag: string; lastModified: number }, conditions: Preconditions | readonly Preconditions[]): void {
  const sets: readonly Preconditions[] = Array.isArray(conditions) ? conditions : [conditions as Preconditions];
  const lastModifiedSec = Math.floor(obj.lastModified / 1000) * 1000;
  for (const pre of sets) {
    if (pre.ifMatch !== undefined && !etagMatches(pre.ifMatch, obj.etag)) {
      throw new AppError('PreconditionFailed', undefined, { Condition: pre.names?.ifMatch ?? 'ifMatch' });
    }
    if (pre.ifMatch === undefined && pre.ifUnmodifiedSince !== undefined && lastModifiedSec > pre.ifUnmodifiedSince) {
      throw new AppError('PreconditionFailed', undefined, { Condition: pre.names?.ifUnmodifiedSince ?? 'ifUnmodifiedSince' });
    }
  }
  for (const pre of sets) {
    if (pre.ifNoneMatch !== undefined) {
      if (etagMatches(pre.ifNoneMatch, obj.etag)) throw new AppError('NotModified');
      continue;
    }
    if (pre.ifModifiedSince !== undefined && lastModifiedSec <= pre.ifModifiedSince) {
      throw new AppError('NotModified');
    }
  }
}
