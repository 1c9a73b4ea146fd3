import { readConfig } from './bucket-config.js';
import type { Bucket, ObjectRecord } from './model.js';
import { storedKind, type Json } from './stored-configs.js';

// Access tracking (PutBucketAccessMonitor / GetBucketAccessMonitor, docs/lifecycle.md "Rules on the last
// access time"): the bucket's switch, kept as the stored configuration `access-monitor` (the validated
// AccessMonitorConfiguration document), and what an object's last access time is. Protocol-free; the
// service that writes the switch and records reads is access-monitor-service.ts.

/** The stored configuration's name (`bucket_configs` name `stored.access-monitor`). */
export const ACCESS_MONITOR = 'access-monitor';
/** Its kind, looked up once (every GetObject reads it). */
export const ACCESS_MONITOR_KIND = storedKind(ACCESS_MONITOR);

/**
 * The key under which the stored document keeps when tracking was last switched on (milliseconds, as text).
 * Not an element of the published document: GetBucketAccessMonitor renders only the schema's elements.
 */
export const MONITOR_SINCE = 'since';

/** A stored document as a plain record (null when it is not one). */
export function monitorDoc(value: Json | null): { [k: string]: Json } | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

/**
 * Since when access tracking is on for the bucket (ms), or null while it is off. A document stored before the
 * time was kept (an older Alunite) counts as on since 0: its objects' last access is their last modification.
 */
export function accessTrackingSince(bucket: Bucket): number | null {
  const doc = monitorDoc(readConfig(bucket, ACCESS_MONITOR_KIND));
  if (doc === null || doc.Status !== 'Enabled') return null;
  const since = Number(doc[MONITOR_SINCE]);
  return Number.isFinite(since) ? since : 0;
}

/**
 * An object's last access time while tracking is on since `since`: its last recorded read (GetObject), its
 * last write (a PutObject, CopyObject or CompleteMultipartUpload over it makes a new record, which OSS counts
 * as an access), or the time tracking was switched on (OSS: "the time when access tracking is enabled" is the
 * initial last access time of the objects already there), whichever is latest.
 */
export function lastAccessOf(obj: Pick<ObjectRecord, 'lastModified' | 'attrs'>, since: number): number {
  const read = obj.attrs?.lastAccess;
  return Math.max(obj.lastModified, since, typeof read === 'number' ? read : 0);
}
