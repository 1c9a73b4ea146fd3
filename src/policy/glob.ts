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

/**
 * Characters the general matchers (patterns with a `*` between literals, or a `?`) may scan for one request's
 * authorization (docs/limits.md). Each such pattern costs a pass over the value it is matched against, so a policy of
 * thousands of `*ab*` StringLike patterns and a 15 KB User-Agent cost 20-odd million characters (~0.7 s of event
 * loop) per request. 2,000,000 is, say, 1,000 such patterns against a 1,000-character value, twice (a read of an
 * object is decided once before its ACL is read and once with it).
 */
export const MATCH_WORK_LIMIT = 2_000_000;

/** What one authorization has left of MATCH_WORK_LIMIT (policy/evaluate.ts keeps one per request view). */
export interface MatchMeter {
  left: number;
}

/** Thrown by a matcher when the meter it runs under is spent: the caller refuses (fails closed). */
export class MatchWorkExceeded extends Error {
  constructor() {
    super(`matching policy patterns exceeded ${MATCH_WORK_LIMIT} characters for one request`);
  }
}

/**
 * What each further check of one request adds (DeleteMultipleObjects authorizes up to 1,000 keys at once, each
 * against the same policies: before, a policy of 443 `*aab*` Resource patterns and 1,000 keys of 1 KB held the
 * event loop 3.2 s per request). 1,000 checks share ~4,000,000 characters.
 */
export const MATCH_WORK_PER_CHECK = 2048;

/** A meter for one request's `checks` authorizations (all their layers): they share the bound. */
export const newMatchMeter = (checks = 1): MatchMeter => ({ left: MATCH_WORK_LIMIT + Math.max(0, checks - 1) * MATCH_WORK_PER_CHECK });

/** The meter the matchers charge, set around an authorization's matching (runMetered); none: unmetered. */
let activeMeter: MatchMeter | null = null;

/** Runs `work` with its matchers charging `meter`; MatchWorkExceeded escapes once it is spent. */
export function runMetered<T>(meter: MatchMeter, work: () => T): T {
  const outer = swapMeter(meter);
  try {
    return work();
  } finally {
    activeMeter = outer;
  }
}

/**
 * Sets the meter the matchers charge and returns the one it replaces, which the caller puts back in a `finally`:
 * runMetered without its closure, for policy/evaluate.ts decide (one per decision).
 */
export function swapMeter(meter: MatchMeter | null): MatchMeter | null {
  const outer = activeMeter;
  activeMeter = meter;
  return outer;
}

function charge(chars: number): void {
  if (activeMeter !== null && (activeMeter.left -= chars) < 0) throw new MatchWorkExceeded();
}

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
  const middle = parts.slice(1, -1).filter((p) => p !== '').map(segmentFinder);
  const min = parts.reduce((n, p) => n + p.length, 0);
  return (s, from) => {
    if (s.length - from < min) return false;
    if (!segmentAt(s, from, first)) return false;
    const end = s.length - last.length;
    if (!segmentAt(s, end, last)) return false;
    let pos = from + first.length;
    // The segments between stars are searched for in one pass over what lies between the ends.
    if (middle.length > 0) charge(end - pos);
    for (const seg of middle) {
      const at = seg.find(s, pos, end);
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

/** One segment between stars: its length (every match has it) and how to find it. */
interface SegmentFinder {
  readonly length: number;
  /** The leftmost match in `s` starting at or after `from` and ending at or before `end` (-1: none). */
  find(s: string, from: number, end: number): number;
}

/**
 * A finder for one segment between stars. Without `?`: indexOf (V8's Boyer-Moore search, linear). With `?`, the
 * positions where the segment's longest literal run occurs are candidates (indexOf again), each verified by its
 * other literal runs; once the candidates have cost an eighth of the text's length, the rest is scanned with the
 * bit-parallel Shift-And (one pass updating ⌈length/32⌉ words per character). Before, every start was tried with a
 * comparison of the whole segment there (length × positions): a 16 KiB bucket policy of `*???…?x*` StringLike
 * patterns against a 15 KB User-Agent held the event loop ~1 s per anonymous request (docs/limits.md).
 */
function segmentFinder(seg: string): SegmentFinder {
  const m = seg.length;
  const finder = (find: SegmentFinder['find']): SegmentFinder => ({ length: m, find });
  if (!seg.includes('?')) {
    return finder((s, from, end) => {
      const at = s.indexOf(seg, from);
      return at >= 0 && at + m <= end ? at : -1;
    });
  }
  // The literal runs between the `?`s, with their offsets in the segment.
  const runs: Array<{ at: number; text: string }> = [];
  for (const match of seg.matchAll(/[^?]+/g)) runs.push({ at: match.index, text: match[0] });
  if (runs.length === 0) return finder((_s, from, end) => (from + m <= end ? from : -1)); // only `?`: any m characters
  const anchor = runs.reduce((a, b) => (b.text.length > a.text.length ? b : a));
  const others = runs.filter((r) => r !== anchor);
  const scan = shiftAnd(seg);
  return finder((s, from, end) => {
    // Each candidate costs a call into indexOf and its checks: at most one per 8 characters, then the scan.
    let budget = (end - from) / 8 + m;
    for (let pos = from; ;) {
      const a = s.indexOf(anchor.text, pos + anchor.at);
      const start = a - anchor.at;
      if (a < 0 || start + m > end) return -1;
      let ok = true;
      budget -= 1;
      for (let i = 0; i < others.length && ok; i++) {
        const r = others[i]!;
        budget -= r.text.length;
        ok = startsAt(s, r.text, start + r.at);
      }
      if (ok) return start;
      pos = start + 1;
      if (budget <= 0) {
        charge((end - pos) * Math.ceil(m / 32));
        return scan(s, pos, end);
      }
    }
  });
}

/** Shift-And over `s` from `from`: the leftmost start of `seg` (which holds `?`s) ending at or before `end`, or -1. */
function shiftAnd(seg: string): (s: string, from: number, end: number) => number {
  const m = seg.length;
  const words = Math.ceil(m / 32);
  // Bit i of a mask: segment position i accepts the character. `?` accepts any; a literal only itself.
  const any = new Uint32Array(words);
  for (let i = 0; i < m; i++) if (seg.charCodeAt(i) === 63 /* ? */) any[i >>> 5]! |= 1 << (i & 31);
  const ascii: Uint32Array[] = [];
  for (let c = 0; c < 128; c++) ascii.push(any);
  const other = new Map<number, Uint32Array>();
  for (let i = 0; i < m; i++) {
    const c = seg.charCodeAt(i);
    if (c === 63) continue;
    let mask = c < 128 ? (ascii[c] === any ? undefined : ascii[c]) : other.get(c);
    if (mask === undefined) {
      mask = Uint32Array.from(any);
      if (c < 128) ascii[c] = mask;
      else other.set(c, mask);
    }
    mask[i >>> 5]! |= 1 << (i & 31);
  }
  const lastWord = words - 1;
  const lastBit = 1 << ((m - 1) & 31);
  const state = new Uint32Array(words);
  return (s, from, end) => {
    state.fill(0);
    // Words above `top` are all zero: the state grows by at most one bit per character.
    let top = 0;
    for (let j = from; j < end; j++) {
      const c = s.charCodeAt(j);
      const mask = c < 128 ? ascii[c]! : other.get(c) ?? any;
      let carry = 1;
      const upTo = top < lastWord ? top + 1 : lastWord;
      let high = -1;
      for (let w = 0; w <= upTo; w++) {
        const d = state[w]!;
        const next = (((d << 1) | carry) & mask[w]!) >>> 0;
        carry = d >>> 31;
        state[w] = next;
        if (next !== 0) high = w;
      }
      top = high < 0 ? 0 : high;
      if ((state[lastWord]! & lastBit) !== 0) return j - m + 1;
    }
    return -1;
  };
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
