/**
 * A copy of `s` that shares no memory with the string it was cut from. V8 makes `slice()`, `split()` and regexp
 * captures of 13 characters or more views of their parent, so a kept piece keeps its whole parent alive: an
 * AccessKeyId cut from a 16 KiB Authorization header, or the 1,024-character cut of a 900 KB message. For what a
 * cache or ring keeps past the request, on its insert path only (a miss), never on a hit.
 */
export function detached(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
