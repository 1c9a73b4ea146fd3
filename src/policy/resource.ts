/**
 * Resource matching, segment-aware. A pattern `acs:<svc>:<region>:<account>:<relative>` is matched
 * segment by segment against the request ARN split on its first four colons: a `*` in the service,
 * region or account segment stays inside that segment, and only the relative part is globbed as a
 * whole (it may hold `/` and `:`, object keys can). A whole-string glob would let
 * `acs:oss:*:*:photos/*` match `acs:oss:r:uid:other/x:photos/y` (an object of bucket `other` whose
 * key contains `:photos/`), which no user expects. Patterns with fewer segments (`*`, `acs:oss:*`)
 * are whole-string globs, which is what they say.
 */
import { compileGlob, compileGlobAt, startsAt, type Matcher, type TailMatcher } from './glob.js';

/**
 * The request ARN with the positions of its first four colons, computed once per request (fields, not an
 * array: one allocation per split).
 */
export interface RequestArn {
  readonly s: string;
  /** Index of the 1st..4th `:`; c4 is -1 if the ARN has fewer than four. */
  readonly c1: number;
  readonly c2: number;
  readonly c3: number;
  readonly c4: number;
  /** The index key (see keyConstraints): first `/`-part of the relative id; null without one. */
  readonly key: string | null;
}

/** The index of the (i+1)-th colon (i in 0..3). */
function colon(r: RequestArn, i: number): number {
  return i === 0 ? r.c1 : i === 1 ? r.c2 : i === 2 ? r.c3 : r.c4;
}

/**
 * Split once per request view (policy/evaluate.ts RequestView.arn), which the layers of one decision share. No cache of
 * the last ARN: a request's ARN is a new string, and comparing it with the last one's text (same length, a shared
 * prefix) flattened both and cost more than the split (docs/performance.md, issue 15).
 */
export function splitArn(s: string): RequestArn {
  const c1 = s.indexOf(':');
  const c2 = c1 < 0 ? -1 : s.indexOf(':', c1 + 1);
  const c3 = c2 < 0 ? -1 : s.indexOf(':', c2 + 1);
  const c4 = c3 < 0 ? -1 : s.indexOf(':', c3 + 1);
  if (c4 < 0) return { s, c1, c2, c3, c4: -1, key: null };
  const slash = s.indexOf('/', c4 + 1);
  return { s, c1, c2, c3, c4, key: slash < 0 ? s.slice(c4 + 1) : s.slice(c4 + 1, slash) };
}

export type ResourceMatcher = (r: RequestArn) => boolean;

type SegmentMatcher = (s: string, start: number, end: number) => boolean;

function compileSegment(seg: string): SegmentMatcher | null {
  if (seg === '*') return null;
  if (!seg.includes('*') && !seg.includes('?')) return (s, start, end) => end - start === seg.length && startsAt(s, seg, start);
  const m: Matcher = compileGlob(seg);
  return (s, start, end) => m(s.slice(start, end));
}

/**
 * Role names are case-insensitive in RAM (one role per name whatever its case) and request ARNs carry
 * them lower-cased (policy/arn.ts ramRoleArn), while the RAM docs write `role/AdminRole`: a pattern
 * naming a role also matches a RAM request ARN in its lower-cased form, or a Deny written that way would
 * never apply. Only RAM ARNs: an OSS object `role/Admin` (bucket `role`) keeps its case-sensitive key.
 */
function compileTail(rel: string): TailMatcher {
  const exact = compileGlobAt(rel);
  const lowerRel = loweredRoleTail(rel);
  if (lowerRel === null) return exact;
  const lower = compileGlobAt(lowerRel);
  return (s, from) => exact(s, from) || (startsAt(s, 'acs:ram:', 0) && lower(s, from));
}

/**
 * The relative id a role pattern also matches RAM ARNs by (compileTail): `rel` lower-cased when it names a role
 * (`role/…`, the type in any case) and is not lower-case already; else null. keyConstraints reads it too, so the
 * statement index never drops a statement this matcher would apply (`Role/AdminRole` is keyed `Role`, but matches
 * the request key `role`).
 */
function loweredRoleTail(rel: string): string | null {
  return /^role\//i.test(rel) && rel !== rel.toLowerCase() ? rel.toLowerCase() : null;
}

function compileResource(pattern: string): ResourceMatcher {
  if (pattern === '*') return () => true;
  const parts = pattern.split(':');
  // Service and region names are lower-case in every request ARN. The grammar takes them in any case (as it takes
  // actions, which match case-insensitively), so `acs:OSS:*:*:b/secret/*` names the same resources: before, it
  // matched none, and a Deny written so never applied (test/redteam-wave14.test.ts).
  for (const i of [1, 2]) if (parts[i] !== undefined) parts[i] = parts[i]!.toLowerCase();
  if (parts.length < 5) {
    const whole = compileGlob(parts.join(':'));
    return (r) => whole(r.s);
  }
  const tail = compileTail(parts.slice(4).join(':'));
  // Leading literal segments (`acs:oss:`) are checked as one prefix; the rest one by one.
  let lit = 0;
  while (lit < 4 && !/[*?]/.test(parts[lit] as string)) lit++;
  const prefix = lit > 0 ? `${parts.slice(0, lit).join(':')}:` : '';
  const rest = parts.slice(lit, 4).map((seg, i) => ({ at: lit + i, m: compileSegment(seg) })).filter((x): x is { at: number; m: SegmentMatcher } => x.m !== null);
  return (r) => {
    if (r.c4 < 0) return false;
    const s = r.s;
    if (lit > 0 && (colon(r, lit - 1) !== prefix.length - 1 || !startsAt(s, prefix, 0))) return false;
    for (let i = 0; i < rest.length; i++) {
      const { at, m } = rest[i]!;
      if (!m(s, at === 0 ? 0 : colon(r, at - 1) + 1, colon(r, at))) return false;
    }
    return tail(s, r.c4 + 1);
  };
}

export function compileResources(patterns: readonly string[]): ResourceMatcher {
  if (patterns.includes('*')) return () => true;
  const ms = patterns.map(compileResource);
  if (ms.length === 1) return ms[0] as ResourceMatcher;
  return (r) => {
    for (const m of ms) if (m(r)) return true;
    return false;
  };
}

/**
 * What a request key (see splitArn) tells about one pattern without matching it: `{ exact }` — only
 * that key can match; `{ prefix }` — only keys starting with it can (the relative id's literal start
 * holds no `/`, so it lies inside the key); null — any key might (short forms, a wildcard first).
 */
export type KeyConstraint = { readonly exact: string } | { readonly prefix: string };

/**
 * Every constraint a pattern's matches obey, one of which each request key it matches meets: the pattern's own and,
 * for a role pattern, its lower-cased form's (compileTail matches both); null when some key may match unconstrained.
 */
export function keyConstraints(pattern: string): KeyConstraint[] | null {
  const parts = pattern.split(':');
  if (parts.length < 5) return null;
  const rel = parts.slice(4).join(':');
  const own = relativeConstraint(rel);
  if (own === null) return null;
  const lowerRel = loweredRoleTail(rel);
  if (lowerRel === null) return [own];
  const lower = relativeConstraint(lowerRel);
  if (lower === null) return null;
  const same = 'exact' in own ? 'exact' in lower && lower.exact === own.exact : 'prefix' in lower && lower.prefix === own.prefix;
  return same ? [own] : [own, lower];
}

function relativeConstraint(rel: string): KeyConstraint | null {
  const wild = rel.search(/[*?]/);
  const lit = wild < 0 ? rel : rel.slice(0, wild);
  const slash = lit.indexOf('/');
  if (slash >= 0) return { exact: lit.slice(0, slash) };
  if (wild < 0) return { exact: lit };
  return lit === '' ? null : { prefix: lit };
}

/** Can a pattern under `c` match a request ARN whose key is `key`? (false is certain, true is "maybe"). */
export function keyMayMatch(c: KeyConstraint, key: string): boolean {
  return 'exact' in c ? key === c.exact : key.startsWith(c.prefix);
}
