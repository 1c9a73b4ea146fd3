// Comparing declared and stored documents regardless of key order (init apply).

/** JSON with object keys sorted, so documents that differ only in key order compare equal. */
export function canonicalJson(text: string): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  try {
    return JSON.stringify(sort(JSON.parse(text)));
  } catch {
    return text;
  }
}

/** Whether two values serialize to the same canonical JSON. */
export const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(JSON.stringify(a)) === canonicalJson(JSON.stringify(b));
