import { readConfig } from './bucket-config.js';
import type { Bucket } from './model.js';
import { storedKind } from './stored-configs.js';

// Transfer acceleration (docs/stored-configurations.md#transfer-acceleration-implemented): PutBucketTransferAcceleration's
// switch, read from the bucket record (no query), decides whether the acceleration endpoints serve the bucket.

/** Whether the bucket's transfer acceleration is on: the stored `transfer-acceleration` document says `Enabled` true. */
export function accelerationEnabled(b: Bucket): boolean {
  const doc = readConfig(b, storedKind('transfer-acceleration'));
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && doc.Enabled === 'true';
}
