/** One entry of a delimited listing: an item, or a CommonPrefix that stands for all items under it. */
export type ListEntry<T> = { kind: 'item'; item: T } | { kind: 'prefix'; prefix: string };

export interface RollUpInput<T, C> {
  prefix: string;
  delimiter: string;
  /** The key listing resumes after (marker, start-after, key-marker); '' for none. */
  marker: string;
  limit: number;
  start: C;
  /** Reads up to `limit` items from the store, in key order, from `cursor`. */
  fetch: (cursor: C | { skipPrefix: string }, limit: number) => Promise<T[]>;
  keyOf: (item: T) => string;
  /** The cursor that resumes right after `item`. */
  after: (item: T) => C;
}

/**
 * S3/OSS listing semantics over a sorted store: items under `prefix`, keys with the delimiter after
 * the prefix rolled up into one CommonPrefix each (counted once toward the limit), a CommonPrefix
 * containing the marker skipped (it was returned on an earlier page). Each CommonPrefix is stepped
 * over with one range query instead of reading the keys beneath it.
 */
export interface RollUpResult<T> {
  items: T[];
  prefixes: string[];
  truncated: boolean;
  /** The last entry returned (where the next page starts); undefined for an empty page. */
  last: ListEntry<T> | undefined;
}

export async function rollUp<T, C>(input: RollUpInput<T, C>): Promise<RollUpResult<T>> {
  if (input.delimiter === '') {
    // Nothing rolls up: one read of limit + 1 items is the page and says whether another follows.
    const rows = await input.fetch(input.start, input.limit + 1);
    const truncated = rows.length > input.limit;
    if (truncated) rows.length = input.limit;
    const lastItem = rows[rows.length - 1];
    return { items: rows, prefixes: [], truncated, last: lastItem === undefined ? undefined : { kind: 'item', item: lastItem } };
  }
  const entries = await collect(input);
  const items: T[] = [];
  const prefixes: string[] = [];
  for (const e of entries.entries) {
    if (e.kind === 'item') items.push(e.item);
    else prefixes.push(e.prefix);
  }
  return { items, prefixes, truncated: entries.truncated, last: entries.entries[entries.entries.length - 1] };
}

async function collect<T, C>(input: RollUpInput<T, C>): Promise<{ entries: ListEntry<T>[]; truncated: boolean }> {
  const entries: ListEntry<T>[] = [];
  let cursor: C | { skipPrefix: string } = input.start;
  page: for (;;) {
    const rows = await input.fetch(cursor, Math.min(1000, input.limit - entries.length + 1));
    if (rows.length === 0) return { entries, truncated: false };
    for (const row of rows) {
      const key = input.keyOf(row);
      let common: string | null = null;
      if (input.delimiter !== '') {
        const idx = key.indexOf(input.delimiter, input.prefix.length);
        if (idx >= 0) common = key.slice(0, idx + input.delimiter.length);
      }
      if (common !== null && input.marker !== '' && input.marker.startsWith(common)) {
        cursor = { skipPrefix: common };
        continue page;
      }
      if (entries.length === input.limit) return { entries, truncated: true };
      if (common !== null) {
        entries.push({ kind: 'prefix', prefix: common });
        cursor = { skipPrefix: common };
        continue page;
      }
      entries.push({ kind: 'item', item: row });
      cursor = input.after(row);
    }
  }
}
