import type { BlobStore } from '../store/blob/types.js';
import type { MetadataStore } from '../store/meta/types.js';
import type { Clock } from '../util/time.js';
import { AppError } from '../errors.js';
import type { Bucket, ObjectRecord, Segment } from './model.js';
import type { WriteAdmission } from './admission.js';
import type { SseKeys } from './encryption.js';

/** What every domain service needs; built once per server. */
export interface DomainContext {
  meta: MetadataStore;
  blobs: BlobStore;
  clock: Clock;
  region: string;
  log: (event: string, fields: Record<string, unknown>) => void;
  /** Refuses writes that grow storage below the free-space floor (absent: no floor, e.g. in memory). */
  admission?: WriteAdmission;
  /** Development knobs shortening retention days and restores (docs/data-protection.md); absent: the cloud's. */
  timing?: Partial<ProtectionTiming>;
  /** Master key ring and KMS key registry for encryption at rest (absent: encrypted writes are refused). */
  sse?: SseKeys;
}

/** How long the time-based data-protection features take (milliseconds). */
export interface ProtectionTiming {
  /** A "day" of WORM retention (RetentionPeriodInDays, the 24 h an unlocked policy lives). */
  retentionDayMs: number;
  /** A "day" of a restored copy of an archived object (RestoreRequest Days). */
  restoreDayMs: number;
  /** How long a RestoreObject takes before the object can be read. */
  restoreDelayMs: number;
  /** How long an opened metadata index reports Ready (being prepared) before Running (GetMetaQueryStatus). */
  metaQueryReadyMs?: number;
}

const DAY_MS = 86_400_000;

/** The context's timing, defaults filled: real days, and restores that finish after one second. */
export function timingOf(ctx: Pick<DomainContext, 'timing'>): ProtectionTiming {
  return { retentionDayMs: DAY_MS, restoreDayMs: DAY_MS, restoreDelayMs: 1000, ...ctx.timing };
}

export const LIMITS = {
  maxObjectSize: 5 * 1024 ** 3,
  maxPartSize: 5 * 1024 ** 3,
  minPartSize: 100 * 1024,
  maxPartNumber: 10000,
  maxBucketsPerAccount: 100,
  maxUserMetaBytes: 8 * 1024,
  /**
   * The most bytes an object's stored headers and user metadata may take as header lines of its GET/HEAD answer:
   * node's HTTP client (ali-oss) reads at most 16 KiB of head, and the server's own headers need room.
   */
  maxEchoedHeaderBytes: 14 * 1024,
  maxListKeys: 1000,
  maxDeleteKeys: 1000,
  maxTags: 10,
  maxCopySize: 5 * 1024 ** 3,
  /** Objects up to this size live in their metadata row, not in a blob file. */
  inlineMaxSize: 64 * 1024,
} as const;

/**
 * Appends one Appendable object may take (docs/limits.md). Each append adds a blob segment to the object's record,
 * which every later append reads and writes whole, so the n-th append costs O(n) of the event loop and a GET opens n
 * files: 12,500 one-byte appends took ~80 ms each (the 20,000th would take more), and a GET of the 12,500-byte
 * object 3.6 s. The bound is the most parts a multipart object may have, so an appended object costs no more than
 * one of those. Mutable for tests only.
 */
export const APPEND_LIMITS = { maxSegments: 10_000 };

/** A bucket's record (null: none); without a promise when the store holds it in memory (await either). */
export function bucketNow(meta: Pick<MetadataStore, 'getBucket' | 'cachedBucket'>, name: string): Bucket | null | Promise<Bucket | null> {
  const known = meta.cachedBucket?.(name);
  return known !== undefined ? known : meta.getBucket(name);
}

/** The bucket, or NoSuchBucket; without a promise when the store holds its record in memory (await either). */
export function requireBucket(ctx: DomainContext, name: string): Bucket | Promise<Bucket> {
  const b = bucketNow(ctx.meta, name);
  return b instanceof Promise ? b.then((found) => existing(found, name)) : existing(b, name);
}

function existing(bucket: Bucket | null, name: string): Bucket {
  if (!bucket) throw new AppError('NoSuchBucket', undefined, { BucketName: name });
  return bucket;
}

/** Blob ids referenced by `before` but not by `after`: safe to delete once `after` is committed. */
export function garbageSegments(before: ObjectRecord | null, after: ObjectRecord | null): string[] {
  // Most objects replaced or deleted have no blob (small ones are inline): no Set, no arrays.
  if (!before || before.segments.length === 0) return [];
  const keep = new Set((after?.segments ?? []).map((s: Segment) => s.blobId));
  return before.segments.map((s) => s.blobId).filter((id) => !keep.has(id));
}

/** Deletes garbage blobs after a commit. Failure only leaves orphans, which start-up GC removes. */
export async function dropBlobs(ctx: DomainContext, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    await ctx.blobs.delete(ids);
  } catch (err) {
    ctx.log('blob-delete-failed', { ids, err: String(err) });
  }
}
