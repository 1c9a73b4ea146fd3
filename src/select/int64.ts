// Numbers of SelectObject SQL (docs/select.md "Numbers"): an integer is exact in the 64-bit signed range, a
// double stays a double. A JS number holds a double, or an integer of magnitude up to 2^53 - 1 (the common case:
// no allocation, plain arithmetic); a bigint holds an integer beyond that, up to int64, and only such an integer,
// so every integer has one form and `===` stays equality. A number of magnitude 2^53 or more is a double.
import { EvalError } from './eval-error.js';

export type Num = number | bigint;
export type ArithOp = '+' | '-' | '*' | '/' | '%';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const INTEGER_TEXT = /^[+-]?\d+$/;
/** An integer or a decimal written in digits: CAST AS INT reads its integer part exactly. */
const DIGITS_TEXT = /^([+-]?\d+)(?:\.\d*)?$/;

/** An integer in its one form, or null when it is beyond int64. */
function fromBigInt(b: bigint): Num | null {
  if (b >= SAFE_MIN && b <= SAFE_MAX) return Number(b);
  return b < INT64_MIN || b > INT64_MAX ? null : b;
}

function overflow(): never {
  throw new EvalError('An integer result is beyond the 64-bit range.');
}

/** Whether the value is an integer (exact) rather than a double. */
export function isInt(x: Num): boolean {
  return typeof x === 'bigint' || Number.isSafeInteger(x);
}

/**
 * The number a trimmed, non-empty text stands for, or null when it is none. An integer written in decimal digits
 * is exact within int64; beyond it, and any other form (`1.5`, `1e3`), is a double, as `Number` reads it.
 */
export function parseNumber(t: string): Num | null {
  const n = Number(t);
  if (Number.isSafeInteger(n)) return n; // the common case, one check
  if (!Number.isFinite(n)) return null;
  // Only an integer-valued double past 2^53 may have lost digits.
  if (!Number.isInteger(n) || !INTEGER_TEXT.test(t)) return n;
  return fromBigInt(BigInt(t)) ?? n;
}

/**
 * CAST AS INT of x, read from `text` when it was one: an integer as it is, a double truncated toward zero (a
 * decimal or integer text by its digits, so `9007199254740993.5` is 9007199254740993 and `-9223372036854775809`,
 * whose double is -2^63 itself, is beyond the range); null when the result is beyond int64.
 */
export function toInt64(x: Num, text: string | null): Num | null {
  if (isInt(x)) return x;
  const m = text === null ? null : DIGITS_TEXT.exec(text.trim());
  if (m) return fromBigInt(BigInt(m[1]!));
  const t = Math.trunc(x as number);
  // Infinity and NaN (a double overflowed, or Infinity - Infinity) are no integer: refused as beyond the range.
  if (!Number.isFinite(t)) return null;
  return Number.isSafeInteger(t) ? t : fromBigInt(BigInt(t));
}

/** Unary minus; an error for -(-2^63). */
export function negate(x: Num): Num {
  return typeof x === 'number' ? -x : fromBigInt(-x) ?? overflow();
}

/*
 * `+ - * / %`: exact for two integers (`/` is integer division, truncated), an error when an integer result leaves
 * int64; a double when either side is one. Each operator is its own small function whose first lines serve two JS
 * numbers (small enough for V8 to inline into the evaluator's closures); the rest is `slow`.
 */

/**
 * Whether r, computed as x + y, x - y or x * y on two doubles, is the answer: a safe integer result is right whatever
 * the operands (for two integers the double result is exact exactly while it is safe), and with a non-integer operand
 * the answer is a double; only two integers with a result past 2^53 are computed again, exactly.
 */
function kept(r: number, x: number, y: number): boolean {
  return Number.isSafeInteger(r) || !Number.isSafeInteger(x) || !Number.isSafeInteger(y);
}

export function add(x: Num, y: Num): Num {
  if (typeof x === 'number' && typeof y === 'number' && kept(x + y, x, y)) return x + y;
  return slow('+', x, y);
}

export function subtract(x: Num, y: Num): Num {
  if (typeof x === 'number' && typeof y === 'number' && kept(x - y, x, y)) return x - y;
  return slow('-', x, y);
}

export function multiply(x: Num, y: Num): Num {
  if (typeof x === 'number' && typeof y === 'number' && kept(x * y, x, y)) return x * y;
  return slow('*', x, y);
}

export function divide(x: Num, y: Num): Num {
  if (typeof x === 'number' && typeof y === 'number' && y !== 0) {
    if (!Number.isSafeInteger(x) || !Number.isSafeInteger(y)) return x / y;
    // Below 2^52 the rounded quotient never reaches the next integer, so truncating it is exact; nearer 2^53
    // it may round up (x = n*y - 1), and x - x % y, a multiple of y, divides exactly.
    return x < 2 ** 52 && x > -(2 ** 52) ? Math.trunc(x / y) : (x - (x % y)) / y;
  }
  return slow('/', x, y);
}

export function remainder(x: Num, y: Num): Num {
  if (typeof x === 'number' && typeof y === 'number' && y !== 0) return x % y; // exact for doubles too
  return slow('%', x, y);
}

/** What the fast paths leave: a bigint on a side, an integer result past 2^53, or a division by zero. */
function slow(op: ArithOp, x: Num, y: Num): Num {
  if (isInt(x) && isInt(y)) return exactArith(op, BigInt(x), BigInt(y));
  const a = Number(x);
  const b = Number(y);
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default:
      if (b === 0) throw new EvalError('Division by zero.');
      return op === '/' ? a / b : a % b;
  }
}

function exactArith(op: ArithOp, a: bigint, b: bigint): Num {
  let r: bigint;
  switch (op) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    default:
      if (b === 0n) throw new EvalError('Division by zero.');
      r = op === '/' ? a / b : a % b;
  }
  return fromBigInt(r) ?? overflow();
}

/** The mean of `count` values adding up to `sum`: exact when it is an integer, else a double. */
export function mean(sum: Num, count: number): Num {
  if (typeof sum === 'number') return sum / count;
  const c = BigInt(count);
  const q = sum / c;
  const r = sum % c;
  return r === 0n ? fromBigInt(q)! : Number(q) + Number(r) / count;
}

/** Sign of x - y, exact across the two forms. */
export function compareNum(x: Num, y: Num): number {
  if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
  return typeof x === 'bigint' ? bigVsDouble(x, y as number) : -bigVsDouble(y as bigint, x);
}

/** Sign of b - d without rounding b; NaN for a NaN d, as Math.sign(x - NaN) is for two doubles. */
function bigVsDouble(b: bigint, d: number): number {
  if (!Number.isFinite(d)) return Number.isNaN(d) ? NaN : d > 0 ? -1 : 1;
  const f = Math.floor(d);
  const fb = BigInt(f); // exact: f is an integer-valued double
  if (b < fb) return -1;
  if (b > fb) return 1;
  return f === d ? 0 : -1;
}
