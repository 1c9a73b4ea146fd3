// Evaluation of parsed SelectObject SQL (sql-parser.ts): expressions compiled once into closures over a
// record, SQL three-valued logic (null is unknown), implicit number conversion of text (CSV fields are text:
// `_3 > 44` compares numbers), integers exact in int64 (int64.ts), and aggregates that accumulate while the
// object streams by.
import { isDateTime } from '../util/time.js';
import type { AggregateName, CastType, Expr, PathPart } from './sql-parser.js';
import { EvalError } from './eval-error.js';
import { add, compareNum, divide, mean, multiply, negate, parseNumber, remainder, subtract, toInt64, type ArithOp, type Num } from './int64.js';
import { jsonText } from './json-text.js';

/** A timestamp value (milliseconds since the epoch). */
export class Timestamp {
  constructor(readonly ms: number) {}
  toString(): string {
    return new Date(this.ms).toISOString();
  }
}

/** A number is a double or an integer up to 2^53 - 1 in magnitude; a bigint an integer beyond, within int64 (int64.ts). */
export type Value = null | string | number | bigint | boolean | Timestamp | Value[] | { [k: string]: Value };


/** How a column path reads a record: resolved per input format (CSV: index or header; JSON: object path). */
export type ColumnReader = (path: PathPart[]) => (record: unknown) => Value;

export type Compiled = (record: unknown) => Value;

export interface Aggregator {
  name: AggregateName;
  add(record: unknown): void;
  result(): Value;
}

function toNumber(v: Value): Num | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? null : parseNumber(t);
  }
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Timestamp) return v.ms;
  return null;
}

/** A number as a double (string positions and lengths). */
function toDouble(v: Value): number | null {
  const n = toNumber(v);
  return n === null ? null : Number(n);
}

function toText(v: Value): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof Timestamp) return String(v);
  return jsonText(v);
}

function parseTimestamp(s: string): number | null {
  const t = s.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(t)) return null;
  const iso = t.replace(' ', 'T');
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(iso) || iso.length === 10 ? iso : `${iso}Z`;
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? ms : null;
}

function cast(v: Value, type: CastType): Value {
  if (v === null) return null;
  switch (type) {
    case 'string':
      return toText(v);
    case 'int': {
      const n = toNumber(v);
      if (n === null) throw new EvalError('A value cannot be cast to INT.');
      const i = toInt64(n, typeof v === 'string' ? v : null);
      if (i === null) throw new EvalError('A value cannot be cast to INT: it is beyond the 64-bit range.');
      return i;
    }
    case 'double':
    case 'decimal': {
      const n = toNumber(v);
      if (n === null) throw new EvalError(`A value cannot be cast to ${type.toUpperCase()}.`);
      // DECIMAL keeps an integer exact; DOUBLE is a double.
      return type === 'double' ? Number(n) : n;
    }
    case 'bool': {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'bigint') return true; // never 0: 0 is a number
      const t = String(toText(v)).trim().toLowerCase();
      if (t === 'true') return true;
      if (t === 'false') return false;
      throw new EvalError('A value cannot be cast to BOOL.');
    }
    case 'timestamp': {
      if (v instanceof Timestamp) return v;
      const ms = typeof v === 'number' ? v : parseTimestamp(String(toText(v)));
      // A time no Date holds has no date to write (toISOString threw: it was a 500).
      if (ms === null || !isDateTime(ms)) throw new EvalError('A value cannot be cast to TIMESTAMP.');
      return new Timestamp(ms);
    }
  }
}

/** Compares two values; null when they cannot be compared (unknown). */
function compare(a: Value, b: Value): number | null {
  if (a === null || b === null) return null;
  if (a instanceof Timestamp || b instanceof Timestamp) {
    const x = a instanceof Timestamp ? a.ms : typeof a === 'string' ? parseTimestamp(a) : null;
    const y = b instanceof Timestamp ? b.ms : typeof b === 'string' ? parseTimestamp(b) : null;
    return x === null || y === null ? null : Math.sign(x - y);
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = typeof a === 'boolean' ? a : cast(a, 'bool');
    const y = typeof b === 'boolean' ? b : cast(b, 'bool');
    return x === y ? 0 : x ? 1 : -1;
  }
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === null || y === null) return null;
  return typeof x === 'number' && typeof y === 'number' ? Math.sign(x - y) : compareNum(x, y); // two numbers inline: the common case
}

/** Longest LIKE pattern accepted. */
export const MAX_LIKE_PATTERN = 256;
/** Longest string an expression may produce (`||`, UPPER, ...): the CSV record limit, 1 MiB. */
export const MAX_VALUE_CHARS = 1024 * 1024;
/**
 * Most character comparisons the LIKEs of a query may spend on one record. The segment matcher below is linear for
 * patterns without `_` runs that repeat the text; an adversarial pattern over a long value ends here, with
 * an error, instead of holding the event loop (about 10-50 ms of work).
 */
export const MAX_LIKE_STEPS = 16 * 1024 * 1024;

/** A string an expression produced, refused when longer than MAX_VALUE_CHARS. */
function bounded(s: string): string {
  if (s.length > MAX_VALUE_CHARS) tooLong();
  return s;
}

function tooLong(): never {
  throw new EvalError(`An expression would produce a string longer than ${MAX_VALUE_CHARS} characters.`);
}

/** Code points of a string, counted without copying it. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** UTF-16 width of the code point at i (1 or 2). */
function cpWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** UTF-16 width of the code point ending just before i (1 or 2). */
function cpWidthBefore(s: string, i: number): number {
  const d = s.charCodeAt(i - 1);
  if (d >= 0xdc00 && d <= 0xdfff && i >= 2) {
    const c = s.charCodeAt(i - 2);
    if (c >= 0xd800 && c <= 0xdbff) return 2;
  }
  return 1;
}

/** A run of the pattern between `%`s: literal texts and `_` (one code point). */
type Segment = Array<string | typeof ANY_ONE>;
const ANY_ONE = Symbol('_');
/** A LIKE pattern: its segments, and whether it had any `%` (otherwise the one segment is the whole text). */
interface LikePattern {
  segments: Segment[];
  open: boolean;
}

function likePattern(pattern: string): LikePattern {
  if (codePointLength(pattern) > MAX_LIKE_PATTERN) throw new EvalError(`A LIKE pattern may be at most ${MAX_LIKE_PATTERN} characters.`);
  const segments: Segment[] = [[]];
  for (const ch of pattern) {
    const seg = segments[segments.length - 1]!;
    if (ch === '%') segments.push([]);
    else if (ch === '_') seg.push(ANY_ONE);
    else {
      const last = seg[seg.length - 1];
      if (typeof last === 'string') seg[seg.length - 1] = last + ch;
      else seg.push(ch);
    }
  }
  return { segments, open: segments.length > 1 };
}

/**
 * The LIKE steps spent on the current record, shared by every LIKE of the query (so 100 LIKEs do not get
 * 100 budgets). Evaluation of one record is synchronous, so one counter serves all requests: the scan calls
 * newRecord() before each record.
 */
let recordSteps = 0;
export function newRecord(): void {
  recordSteps = 0;
}

class LikeBudget {
  spend(n: number): void {
    recordSteps += n;
    if (recordSteps > MAX_LIKE_STEPS) {
      recordSteps = 0;
      throw new EvalError(`LIKE needs more than ${MAX_LIKE_STEPS} steps on one record; use a simpler pattern.`);
    }
  }
}

/** Where the segment ends when it matches at i (forwards), or -1. */
function matchAt(text: string, i: number, seg: Segment, budget: LikeBudget): number {
  for (const el of seg) {
    if (el === ANY_ONE) {
      if (i >= text.length) return -1;
      i += cpWidth(text, i);
      budget.spend(1);
    } else {
      budget.spend(el.length);
      if (!text.startsWith(el, i)) return -1;
      i += el.length;
    }
  }
  return i;
}

/** Where the segment starts when it matches ending at `end` (backwards), or -1; not before `floor`. */
function matchBefore(text: string, end: number, seg: Segment, floor: number, budget: LikeBudget): number {
  let i = end;
  for (let k = seg.length - 1; k >= 0; k--) {
    const el = seg[k]!;
    if (el === ANY_ONE) {
      if (i <= floor) return -1;
      i -= cpWidthBefore(text, i);
      budget.spend(1);
    } else {
      budget.spend(el.length);
      if (i - el.length < floor || !text.startsWith(el, i - el.length)) return -1;
      i -= el.length;
    }
  }
  return i < floor ? -1 : i;
}

/**
 * LIKE without regular expressions or backtracking: the first segment is anchored at the start, the last
 * at the end, and each middle one is matched at its leftmost place (leftmost is always right for `%`).
 * Literal-led segments jump with indexOf; the step budget bounds what is left.
 */
function likeMatch(text: string, p: LikePattern): boolean {
  const budget = new LikeBudget();
  const segs = p.segments;
  if (!p.open) return matchAt(text, 0, segs[0]!, budget) === text.length;
  let pos = matchAt(text, 0, segs[0]!, budget);
  if (pos < 0) return false;
  const lastStart = matchBefore(text, text.length, segs[segs.length - 1]!, pos, budget);
  if (lastStart < 0) return false;
  for (let k = 1; k < segs.length - 1; k++) {
    const seg = segs[k]!;
    if (seg.length === 0) continue;
    const lead = seg[0];
    let found = -1;
    let i = pos;
    while (i <= lastStart) {
      if (typeof lead === 'string') {
        const at = text.indexOf(lead, i);
        budget.spend(1);
        if (at < 0 || at > lastStart) break;
        i = at;
      }
      const end = matchAt(text, i, seg, budget);
      if (end >= 0 && end <= lastStart) {
        found = end;
        break;
      }
      if (i >= text.length) break;
      i += cpWidth(text, i);
    }
    if (found < 0) return false;
    pos = found;
  }
  return true;
}

function truth(v: Value): boolean | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return true; // never 0: 0 is a number
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
    throw new EvalError('A text value is not a boolean.');
  }
  throw new EvalError('The value is not a boolean.');
}

/** `+ - * / %` of two values read as numbers (null when either is none); a call per operator, each inlinable. */
function arithmetic(op: ArithOp, a: Value, b: Value): Value {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === null || y === null) return null;
  switch (op) {
    case '+': return add(x, y);
    case '-': return subtract(x, y);
    case '*': return multiply(x, y);
    case '/': return divide(x, y);
    default: return remainder(x, y);
  }
}

class AggregateState implements Aggregator {
  private count = 0;
  private sum: Num = 0;
  private best: Value = null;

  constructor(readonly name: AggregateName, private readonly arg: Compiled | null) {}

  add(record: unknown): void {
    if (this.arg === null) {
      this.count++;
      return;
    }
    const v = this.arg(record);
    if (v === null) return;
    if (this.name === 'count') {
      this.count++;
      return;
    }
    if (this.name === 'min' || this.name === 'max') {
      const n = toNumber(v);
      const value: Value = n !== null && typeof v === 'string' ? n : v;
      if (this.best === null) this.best = value;
      else {
        const c = compare(value, this.best);
        if (c !== null && ((this.name === 'min' && c < 0) || (this.name === 'max' && c > 0))) this.best = value;
      }
      this.count++;
      return;
    }
    const n = toNumber(v);
    if (n === null) throw new EvalError(`${this.name.toUpperCase()} of a value that is not a number.`);
    this.sum = add(this.sum, n);
    this.count++;
  }

  result(): Value {
    switch (this.name) {
      case 'count': return this.count;
      case 'sum': return this.count === 0 ? null : this.sum;
      case 'avg': return this.count === 0 ? null : mean(this.sum, this.count);
      default: return this.best;
    }
  }
}

/**
 * Compiles an expression. Aggregates are registered in `aggregates` and read their result: the select list
 * of an aggregate query is evaluated once, after every record was added.
 */
export function compile(e: Expr, column: ColumnReader, aggregates: Aggregator[]): Compiled {
  const c = (x: Expr): Compiled => compile(x, column, aggregates);
  switch (e.kind) {
    case 'literal': {
      const v = e.value;
      return () => v;
    }
    case 'column':
      return column(e.path);
    case 'unary': {
      const arg = c(e.arg);
      if (e.op === '-') return (r) => { const n = toNumber(arg(r)); return n === null ? null : negate(n); };
      return (r) => { const t = truth(arg(r)); return t === null ? null : !t; };
    }
    case 'binary': {
      const left = c(e.left);
      const right = c(e.right);
      switch (e.op) {
        case 'and':
          return (r) => {
            const a = truth(left(r));
            if (a === false) return false;
            const b = truth(right(r));
            if (b === false) return false;
            return a === null || b === null ? null : true;
          };
        case 'or':
          return (r) => {
            const a = truth(left(r));
            if (a === true) return true;
            const b = truth(right(r));
            if (b === true) return true;
            return a === null || b === null ? null : false;
          };
        case '||':
          return (r) => {
            const a = toText(left(r));
            const b = toText(right(r));
            if (a === null || b === null) return null;
            if (a.length + b.length > MAX_VALUE_CHARS) tooLong(); // checked before the copy is made
            return a + b;
          };
        case '=': return (r) => { const k = compare(left(r), right(r)); return k === null ? null : k === 0; };
        case '!=': return (r) => { const k = compare(left(r), right(r)); return k === null ? null : k !== 0; };
        case '<': return (r) => { const k = compare(left(r), right(r)); return k === null ? null : k < 0; };
        case '<=': return (r) => { const k = compare(left(r), right(r)); return k === null ? null : k <= 0; };
        case '>': return (r) => { const k = compare(left(r), right(r)); return k === null ? null : k > 0; };
        case '>=': return (r) => { const k = compare(left(r), right(r)); return k === null ? null : k >= 0; };
        default: {
          const op = e.op;
          return (r) => arithmetic(op, left(r), right(r));
        }
      }
    }
    case 'like': {
      const arg = c(e.arg);
      const pattern = c(e.pattern);
      const negated = e.negated;
      const constant = e.pattern.kind === 'literal' && typeof e.pattern.value === 'string' ? likePattern(e.pattern.value) : null;
      return (r) => {
        const s = toText(arg(r));
        if (s === null) return null;
        let p = constant;
        if (p === null) {
          const text = toText(pattern(r));
          if (text === null) return null;
          p = likePattern(text);
        }
        return likeMatch(s, p) !== negated;
      };
    }
    case 'in': {
      const arg = c(e.arg);
      const list = e.list.map(c);
      const negated = e.negated;
      return (r) => {
        const v = arg(r);
        if (v === null) return null;
        let unknown = false;
        for (const item of list) {
          const k = compare(v, item(r));
          if (k === 0) return !negated;
          if (k === null) unknown = true;
        }
        return unknown ? null : negated;
      };
    }
    case 'between': {
      const arg = c(e.arg);
      const low = c(e.low);
      const high = c(e.high);
      const negated = e.negated;
      return (r) => {
        const v = arg(r);
        const a = compare(v, low(r));
        const b = compare(v, high(r));
        if (a === null || b === null) return null;
        return (a >= 0 && b <= 0) !== negated;
      };
    }
    case 'isnull': {
      const arg = c(e.arg);
      const negated = e.negated;
      return (r) => (arg(r) === null) !== negated;
    }
    case 'cast': {
      const arg = c(e.arg);
      const type = e.type;
      return (r) => cast(arg(r), type);
    }
    case 'call': {
      const args = e.args.map(c);
      switch (e.name) {
        case 'lower': return (r) => { const t = toText(args[0]!(r)); return t === null ? null : bounded(t.toLowerCase()); };
        case 'upper': return (r) => { const t = toText(args[0]!(r)); return t === null ? null : bounded(t.toUpperCase()); };
        case 'trim': return (r) => toText(args[0]!(r))?.trim() ?? null;
        case 'char_length': return (r) => { const s = toText(args[0]!(r)); return s === null ? null : codePointLength(s); };
        case 'substring':
          return (r) => {
            const s = toText(args[0]!(r));
            const start = toDouble(args[1]!(r));
            const len = args[2] === undefined ? null : toDouble(args[2](r));
            if (s === null || start === null || (args[2] !== undefined && len === null)) return null;
            // SQL positions are 1-based; a start before 1 eats into the length. Walks code points, no copy.
            const from = Math.trunc(start) - 1;
            const to = len === null ? Number.POSITIVE_INFINITY : from + Math.max(0, Math.trunc(len));
            const lo = Math.max(0, from);
            if (to <= lo) return '';
            let i = 0;
            let cp = 0;
            for (; cp < lo && i < s.length; cp++) i += cpWidth(s, i);
            let j = i;
            for (; cp < to && j < s.length; cp++) j += cpWidth(s, j);
            return s.slice(i, j);
          };
      }
      break;
    }
    case 'aggregate': {
      const state = new AggregateState(e.name, e.arg === '*' ? null : c(e.arg));
      aggregates.push(state);
      return () => state.result();
    }
  }
  throw new Error('unreachable: every expression kind and function is compiled above');
}

/** Whether a WHERE result keeps the record (only true does). */
export function keeps(v: Value): boolean {
  return truth(v) === true;
}

/** A value as CSV output text (null is empty). */
export function csvText(v: Value): string {
  return v === null ? '' : (toText(v) ?? '');
}

/** A value as JSON (timestamps as ISO text). */
export function jsonValue(v: Value): unknown {
  if (v instanceof Timestamp) return v.toString();
  return v;
}
