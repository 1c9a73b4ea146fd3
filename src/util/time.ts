/** A clock the server reads; tests inject a fixed one, production uses Date.now. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/** The farthest instant from the epoch a Date holds (ECMAScript: 100,000,000 days); past it toISOString throws. */
export const MAX_DATE_MS = 8.64e15;

/** Whether `ms` is a time a Date can hold and the formatters below can write. */
export function isDateTime(ms: number): boolean {
  return Math.abs(ms) <= MAX_DATE_MS;
}

// Each request formats "now" (Date header, acs:CurrentTime) and most seconds see many requests: the
// formatters remember their last second (the text depends on nothing else).
let httpSecond = NaN;
let httpText = '';
let isoSecond = NaN;
let isoText = '';
let isoDateSecond = NaN;
let isoDateText = '';

/** RFC 1123 (HTTP Date / Last-Modified), second precision. */
export function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== httpSecond) {
    httpText = new Date(ms).toUTCString();
    httpSecond = second;
  }
  return httpText;
}

/** ISO 8601 with milliseconds, as OSS writes timestamps inside XML. */
export function isoDate(ms: number): string {
  // Listings format one per key, and keys written together share their second.
  const second = Math.floor(ms / 1000);
  if (second !== isoDateSecond) {
    isoDateText = new Date(second * 1000).toISOString();
    isoDateSecond = second;
  }
  return isoDateText;
}

/** ISO 8601 UTC to the second, `2026-11-22T04:21:11Z`: RAM/STS dates, error details, acs:CurrentTime. */
export function isoSeconds(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    isoSecond = second;
  }
  return isoText;
}

/** Parses an RFC 1123 / RFC 850 / asctime date; NaN when it is not a date. */
let parsedHttpText = '';
let parsedHttpTime = NaN;

export function parseHttpDate(value: string): number {
  // Every signed request carries one, and a client's requests within a second carry the same text.
  if (value === parsedHttpText) return parsedHttpTime;
  // Date.parse accepts far more than HTTP allows (e.g. "1"), so require a weekday-or-digit shape.
  // HTTP dates are GMT (RFC 9110 §5.6.7); Date.parse would read one without a zone in the server's time zone.
  const zoned = /(?:\b(?:GMT|UTC|UT|Z)|[+-]\d{4})\s*$/i.test(value) ? value : `${value.trimEnd()} GMT`;
  const time = /^[A-Za-z]{3},? |^[A-Za-z]+, \d/.test(value.trim()) ? Date.parse(zoned) : NaN;
  parsedHttpText = value;
  parsedHttpTime = time;
  return time;
}

/** ISO 8601 basic format to the second, `20261122T042113Z` (V4 x-oss-date); parsed by parseIsoBasic. */
export function isoBasic(ms: number): string {
  return isoSeconds(ms).replace(/[-:]/g, '');
}

/** Parses ISO 8601 basic format `20261122T042113Z` (V4 x-oss-date). */
export function parseIsoBasic(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}
