import { randomBytes } from 'node:crypto';
import type { ObjectRecord, VersioningStatus } from '../../domain/model.js';
import { compareKeys } from './key-order.js';

// Versioning rules both engines share: where the status is stored, version ids and their ordering.

/** The bucket configuration (`bucket_configs.name`) holding `{"status":"Enabled"|"Suspended"}` (domain/versioning.ts). */
export const VERSIONING_CONFIG = 'versioning';

/** The status from the configuration document (null: never enabled). */
export function versioningOf(document: string | null | undefined): VersioningStatus {
  if (document == null) return null;
  const status = (JSON.parse(document) as { status?: string }).status;
  return status === 'Enabled' || status === 'Suspended' ? status : null;
}

/** The id of the null version, as clients send and see it. */
export const NULL_VERSION = 'null';

// A version's place among its key's versions is `seq`, microseconds since the epoch made strictly
// increasing per key (a version written in the same microsecond as the previous one, or under a clock that
// went back, takes previous + 1). Ids carry their seq (8 bytes, big-endian) and 40 random bytes, base64url:
// 64 characters as OSS's ids are (the Java SDK's ObjectVersionTest checks the length), opaque, URL-safe,
// unguessable, and a lookup by id is a primary-key lookup (bucket, key, seq). Ids of 22 characters (8 random
// bytes) were written before and are still read.
const RANDOM_BYTES = 40;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

function randomPart(): Buffer {
  if (randomOffset + RANDOM_BYTES > randomPool.length) {
    randomPool = randomBytes(RANDOM_BYTES * 128);
    randomOffset = 0;
  }
  const out = randomPool.subarray(randomOffset, randomOffset + RANDOM_BYTES);
  randomOffset += RANDOM_BYTES;
  return out;
}

export function newVersionId(seq: number): string {
  const b = Buffer.alloc(8 + RANDOM_BYTES);
  b.writeBigUInt64BE(BigInt(seq), 0);
  randomPart().copy(b, 8);
  return b.toString('base64url');
}

/** The seq a version id carries, or null when the text is no id of ours ('null' included). */
export function seqOfVersionId(id: string): number | null {
  if ((id.length !== 64 && id.length !== 22) || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
  const b = Buffer.from(id, 'base64url');
  if (b.length !== (id.length === 64 ? 8 + RANDOM_BYTES : 16)) return null;
  const seq = b.readBigUInt64BE(0);
  return seq > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(seq);
}

/** The next seq for a key whose newest version has `newest` (null: none), written at `nowMs`. */
export function nextSeq(newest: number | null, nowMs: number): number {
  const micros = Math.floor(nowMs) * 1000;
  return newest !== null && newest >= micros ? newest + 1 : micros;
}

/** A delete marker's record: no bytes, no headers (its fields are what ListObjectVersions shows). */
export function deleteMarkerRecord(bucket: string, key: string, now: number, versionId: string | undefined): ObjectRecord {
  return {
    bucket, key, size: 0, etag: '', crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
    lastModified: now, headers: { contentType: '' }, userMeta: {}, tags: [], segments: [], inline: null, symlinkTarget: null,
    ...(versionId === undefined ? {} : { versionId }),
  };
}

/** Blob ids of `removed` that none of `others` (the key's remaining versions) references. */
export function unsharedSegments(removed: ObjectRecord, others: Iterable<ObjectRecord['segments']>): ObjectRecord {
  if (removed.segments.length === 0) return removed;
  const used = new Set<string>();
  for (const segs of others) for (const s of segs) used.add(s.blobId);
  return { ...removed, segments: removed.segments.filter((s) => !used.has(s.blobId)) };
}

const byKey = (a: { key: string }, b: { key: string }): number => compareKeys(a.key, b.key);

/**
 * Merges the current objects (each the latest of its key) with version rows, both in key order, into
 * ListObjectVersions order: key, then newest first (the current object before its key's older versions).
 * `compare` orders two entries by key in UTF-8 byte order (by default their key strings; PostgreSQL compares the
 * key bytes it read).
 */
export function mergeVersions<T extends { key: string }>(current: readonly T[], versions: readonly T[], limit: number, compare: (a: T, b: T) => number = byKey): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < current.length || j < versions.length)) {
    if (j >= versions.length || (i < current.length && compare(current[i]!, versions[j]!) <= 0)) out.push(current[i++]!);
    else out.push(versions[j++]!);
  }
  return out;
}
