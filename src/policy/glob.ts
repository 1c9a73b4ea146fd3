/**
 * Glob for Action, Resource, StringLike and Principal (spec ram-sts §1.5): `*` matches any run of
 * characters (including `/` and `:`), `?` exactly one; everything else is literal. Patterns are
 * compiled once into a closure with fast paths for the common shapes; the general case is matched
 * segment by segment (greedy leftmost), which is linear-ish and cannot blow up the way a
 * backtracking RegExp can on patterns like `*a*a*a*b`. Matchers take an offset so ARN matching can
 * apply them to the tail of a string without slicing it.
 */
export type Matcher = (s: string) => boolean;
/** Matches `s` from index `from` to its end. */
export type TailMatcher = (s: string, from: number) => boolean;

const always = (): boolean => true;

/** `s.startsWith(head, from)`, as a loop V8 inlines (the builtin call dominated profiles). */
export function startsAt(s: string, head: string, from: number): boolean {
  const n = head.length;
  if (from + n > s.length) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(from + i) !== head.charCodeAt(i)) return false;
  return true;
}

export function compileGlobAt(pattern: string): TailMatcher {
  if (pattern === '*') return always;
  const hasQ = pattern.includes('?');
  const star = pattern.indexOf('*');
  if (!hasQ) {
    if (star < 0) return (s, from) => s.length - from === pattern.length && startsAt(s, pattern, from);
    if (star === pattern.lastIndexOf('*')) {
      const head = pattern.slice(0, star);
      const tail = pattern.slice(star + 1);
      if (tail === '') return (s, from) => startsAt(s, head, from);
      if (head === '') return (s, from) => s.length - from >= tail.length && s.endsWith(tail);
      const min = head.length + tail.length;
      return (s, from) => s.length - from >= min && startsAt(s, head, from) && s.endsWith(tail);
    }
  }
  if (star < 0) return (s, from) => s.length - from === pattern.length && segmentAt(s, from, pattern);
  const parts = pattern.split('*');
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  const min = parts.reduce((n, p) => n + p.length, 0);
  return (s, from) => {
    if (s.length - from < min) return false;
    if (!segmentAt(s, from, first)) return false;
    const end = s.length - last.length;
    if (!segmentAt(s, end, last)) return false;
    let pos = from + first.length;
    for (const seg of middle) {
      const at = findSegment(s, seg, pos, end);
      if (at < 0) return false;
      pos = at + seg.length;
    }
    return pos <= end;
  };
}

export function compileGlob(pattern: string): Matcher {
  if (pattern === '*') return always;
  const m = compileGlobAt(pattern);
  return (s) => m(s, 0);
}

/** Does `seg` (which may hold `?`) match `s` at `at`? */
function segmentAt(s: string, at: number, seg: string): boolean {
  if (at < 0 || at + seg.length > s.length) return false;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== s.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Leftmost position >= from where `seg` matches and ends at or before `end`, or -1. */
function findSegment(s: string, seg: string, from: number, end: number): number {
  if (!seg.includes('?')) {
    const at = s.indexOf(seg, from);
    return at >= 0 && at + seg.length <= end ? at : -1;
  }
  for (let at = from; at + seg.length <= end; at++) if (segmentAt(s, at, seg)) return at;
  return -1;
}

/** Several patterns, any of which may match; exact strings go through one Set lookup. */
export function compileGlobs(patterns: readonly string[]): Matcher {
  if (patterns.includes('*')) return always;
  const exact = new Set<string>();
  const globs: Matcher[] = [];
  for (const p of patterns) {
    if (p.includes('*') || p.includes('?')) globs.push(compileGlob(p));
    else exact.add(p);
  }
  if (globs.length === 0) {
    if (exact.size === 1) {
      const only = patterns[0] as string;
      return (s) => s === only;
    }
    return (s) => exact.has(s);
  }
  if (exact.size === 0 && globs.length === 1) return globs[0] as Matcher;
  return (s) => {
    if (exact.has(s)) return true;
    for (const g of globs) if (g(s)) return true;
    return false;
  };
}
