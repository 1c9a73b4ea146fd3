import type { Segment } from './model.js';

/**
 * Appends below this size are small: a small append whose object ends in a small segment is merged with that segment
 * into one new blob (domain/objects.ts append), so no two neighbouring segments of an Appendable object are both small.
 * A GET opens one file per segment (~0.1 ms of CPU each, on the libuv pool every blob read and write shares), so an
 * object of 10,000 one-byte appends cost ~0.7 s of CPU per 10 KB GET. Now an object has at most two segments per
 * SMALL_APPEND bytes (plus one), and a GET opens about as many files as its bytes would fill anyway. Each merge copies
 * less than twice SMALL_APPEND. Not on a blob directory shared with other processes (DomainContext.sharedBlobs): a GET
 * there holds the segment a merge replaces in its own process only, and would lose it to the unlink.
 */
export const SMALL_APPEND = 64 * 1024;

/** A merge prepared for an append: the object's last segment and the one blob that holds it and the appended bytes. */
export interface AppendMerge {
  readonly replaces: Segment;
  readonly segment: Segment;
}

/** Whether an append of `added` bytes to an object whose last segment is `last` merges the two. */
export function mergesWith(last: Segment | undefined, added: number): last is Segment {
  return last !== undefined && last.size < SMALL_APPEND && added < SMALL_APPEND;
}

/**
 * The segments of the object after the append: the merged blob in place of the last segment when the object still
 * ends in the segment the merge read (a racing append may have changed it), else the appended segments after them.
 */
export function appendedSegments(segments: readonly Segment[], added: readonly Segment[], merge: AppendMerge | null): Segment[] {
  const last = segments[segments.length - 1];
  if (merge !== null && last !== undefined && last.blobId === merge.replaces.blobId && last.size === merge.replaces.size) {
    return [...segments.slice(0, -1), merge.segment];
  }
  return [...segments, ...added];
}

/** Blobs the append wrote that the committed segments do not hold (the merged blob, or the appended one). */
export function unusedAppendBlobs(committed: readonly Segment[], written: readonly string[]): string[] {
  const held = new Set(committed.map((s) => s.blobId));
  return written.filter((id) => !held.has(id));
}
