// JSON text of SelectObject values: JSON.stringify's, except that an exact integer beyond 2^53 (a bigint,
// int64.ts) is written as its digits and a number read with ParseJsonNumberAsString (NumberText) as the number
// it was. JSON.stringify refuses bigints, so it is tried first (the common case, native speed) and the
// walk below serves the values it refuses.
import { NumberText } from './json-reader.js';

/**
 * JSON text of a value, bigints as their digits; a NumberText as JSON.stringify writes it (its toJSON string). The
 * two never share a value: NumberTexts come with ParseJsonNumberAsString, bigints from records read without it.
 */
export function jsonText(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch (err) {
    if (err instanceof TypeError) return rawJson(v); // a bigint
    throw err;
  }
}

/** JSON text with bigints as their digits and NumberTexts as the numbers they were, digit for digit. */
export function rawJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof NumberText) return v.text;
  if (Array.isArray(v)) return `[${v.map((x: unknown) => (x === undefined ? 'null' : rawJson(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${rawJson(x)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
