import { readConfig } from './bucket-config.js';
import type { Bucket } from './model.js';
import { storedKind } from './stored-configs.js';

// Real-time access of Archive objects (PutBucketArchiveDirectRead, docs/data-protection.md): while the bucket's
// switch is on, the bytes of its Archive objects are read without a RestoreObject (GetObject, ranges, image
// processing, SelectObject, and as the source of CopyObject / UploadPartCopy). OSS offers it for Archive only:
// ColdArchive and DeepColdArchive objects still need a restore. The switch is the stored configuration
// `archive-direct-read` (the validated ArchiveDirectReadConfiguration document), read from the cached bucket
// record, so checking it costs no query; it is looked at only when a frozen Archive object is read
// (restore.ts, ObjectService.assertReadable). Nothing is kept per object: switching it off makes the frozen
// Archive objects unreadable again at once, as they were before it was on. Protocol-free.

/** The stored configuration's name (`bucket_configs` name `stored.archive-direct-read`). */
export const ARCHIVE_DIRECT_READ = 'archive-direct-read';
const KIND = storedKind(ARCHIVE_DIRECT_READ);

/** Whether the bucket reads its Archive objects without a restore (PutBucketArchiveDirectRead `Enabled` true). */
export function archiveDirectRead(bucket: Bucket): boolean {
  const doc = readConfig(bucket, KIND);
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && doc.Enabled === 'true';
}
