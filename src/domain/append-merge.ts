import type { ObjectRecord, Segment } from './model.js';

/**
 * Appends below this size are small: a small append whose object ends in a small segment is merged with that segment
 * into one new blob (domain/objects.ts append), so no two neighbouring segments of an Appendable object are both small.
 * A GET opens one file per segment (~0.1 ms of CPU each, on the libuv pool every blob read and write shares), so an
 * object of 10,000 one-byte appends cost ~0.7 s of CPU per 10 KB GET. Now an object has at most two segments per
 * SMALL_APPEND bytes (plus one), and a GET opens about as many files as its bytes would fill anyway. Each merge copies
 * less than twice SMALL_APPEND.
 *
 * The replaced segment is removed right after the commit, while a reader that read the record before it may not have
 * opened its file yet: a GET in another process sharing the blob directory, or a copy in this one that awaits between
 * the record and the bytes. Only a record's last segment, and only a small one, can go that way: such a read asks,
 * when it finds that blob missing, for the segment of the same origin in the record as it is now (`successorOf`),
 * which starts with the same bytes (BlobRange.relocate). A merge commits before it removes anything, so the record
 * read after a missing file always holds the successor.
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

/** The segment of a merge: `blob` holds `replaces`'s bytes and the appended ones after them. */
export function mergedSegment(replaces: Segment, blob: { blobId: string; size: number }): Segment {
  return { blobId: blob.blobId, size: blob.size, origin: replaces.origin ?? replaces.blobId };
}

/** The segment of `obj` a later append's merge may replace (and remove): an Appendable object's last, when small. */
export function mergeableTail(obj: ObjectRecord): Segment | null {
  const last = obj.segments[obj.segments.length - 1];
  return obj.type === 'Appendable' && last !== undefined && last.size < SMALL_APPEND ? last : null;
}

/**
 * The segment of `now` (the object's record read again) that holds `seg`'s bytes at the same offsets since merges
 * replaced it: of the same origin and no shorter. Null when there is none (the object was overwritten or deleted).
 */
export function successorOf(now: ObjectRecord | null, seg: Segment): Segment | null {
  const origin = seg.origin ?? seg.blobId;
  return now?.segments.find((s) => s.origin === origin && s.size >= seg.size) ?? null;
}
