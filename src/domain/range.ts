import { AppError } from '../errors.js';

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * Resolves a `Range: bytes=…` header against an object size. OSS default behaviour: an invalid or
 * unsatisfiable range means "the whole object" (null); with `standard` behaviour (header
 * x-oss-range-behavior: standard) an end past the size is trimmed and a start past it is 416.
 * Only the first of several ranges is served.
 */
export function resolveRange(header: string | undefined, size: number, standard: boolean): ByteRange | null {
  if (header === undefined) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(?:,.*)?$/i.exec(header);
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    // suffix range: last n bytes
    const n = Number(b);
    if (n === 0) {
      if (standard) throw new AppError('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: String(size) });
      return null;
    }
    if (size === 0) return null;
    if (n > size) return standard ? { start: 0, end: size } : null;
    return { start: size - n, end: size };
  }
  const start = Number(a);
  if (b === '') {
    if (start >= size) {
      if (standard) throw new AppError('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: String(size) });
      return null;
    }
    return { start, end: size };
  }
  const last = Number(b);
  if (last < start) return null;
  if (start >= size) {
    if (standard) throw new AppError('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: String(size) });
    return null;
  }
  if (last >= size) return standard ? { start, end: size } : null;
  return { start, end: last + 1 };
}
