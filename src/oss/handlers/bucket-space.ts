import { bucketOwnBlock } from '../../domain/access-rules.js';
import { AGENTIC_SUFFIX, SPACE_SUFFIX, agenticStatusOf, defaultQuotaOf, reservedSuffixOf, spaceParentOf } from '../../domain/agentic-buckets.js';
import { bucketDefaultEncryption } from '../../domain/encryption.js';
import type { Bucket } from '../../domain/model.js';
import { STORAGE_QUOTA } from '../../domain/storage-capacity.js';
import { versioningStatus } from '../../domain/versioning.js';
import { AppError, invalidArgument } from '../../errors.js';
import type { OssRequest } from '../context.js';
import { header } from '../headers.js';
import { el, type XmlChild } from '../xml.js';

// Bucket spaces (docs/agentic-buckets.md): buckets PutBucket creates under an agentic bucket, taking its template.
// Apart from oss/handlers/agentic.ts, which runs general bucket handlers, so that bucket.ts can use these.

const nameOf = (req: OssRequest): string => req.op.bucket!;

/**
 * PutBucket of a bucket space (`x-oss-agentic-bucket`: the full name of its agentic bucket, of the caller's account and
 * Enabled): that agentic bucket, whose template the new space takes; null for a general bucket. The reserved endings
 * are refused without the header: `-ab-apsr` is CreateAgenticBucket's, `-bs-apsr` needs its agentic bucket [UNVERIFIED:
 * the codes].
 */
export async function bucketSpaceParent(req: OssRequest): Promise<Bucket | null> {
  const name = nameOf(req);
  const parent = header(req.headers, 'x-oss-agentic-bucket')?.trim() ?? '';
  const reserved = reservedSuffixOf(name);
  if (parent === '') {
    if (reserved === AGENTIC_SUFFIX) throw new AppError('InvalidBucketName', 'A name ending with -ab-apsr is an agentic bucket\'s: create it with CreateAgenticBucket.', { BucketName: name });
    if (reserved === SPACE_SUFFIX) throw invalidArgument('A bucket space is created with the full name of its agentic bucket in x-oss-agentic-bucket.', 'x-oss-agentic-bucket', '');
    return null;
  }
  return req.services.agentic.templateFor(name, parent, req.accountId);
}

/**
 * What a new bucket space takes from its agentic bucket besides its storage class, redundancy and ACL (given to
 * PutBucket): versioning, default encryption, Block Public Access and the default storage quota, then the mark that
 * makes it a space of that bucket.
 */
export async function applySpaceTemplate(req: OssRequest, space: string, parent: Bucket): Promise<void> {
  const { services } = req;
  if (versioningStatus(parent) === 'Enabled') await services.buckets.putVersioning(space, 'Enabled');
  const sse = bucketDefaultEncryption(parent);
  if (sse !== null && bucketDefaultEncryption(await services.buckets.get(space)) === null) await services.encryption.set(space, sse);
  if (bucketOwnBlock(parent)) await services.accessRules.putPublicAccessBlock(space, true);
  const quota = defaultQuotaOf(parent);
  if (quota !== null) await services.stored.update(space, STORAGE_QUOTA, () => ({ StorageQuota: quota.StorageQuota, Mode: quota.Mode }));
  await services.agentic.markSpace(space, parent.name);
}

/** GetBucketInfo's fields of an agentic bucket or a bucket space [UNVERIFIED: the element names of the space's parent]. */
export function agenticInfoFields(b: Bucket): XmlChild[] {
  const parent = spaceParentOf(b);
  if (parent !== null) return [el('BucketResourceType', 'AgenticBucketSpace'), el('AgenticBucketName', parent)];
  return [agenticStatusOf(b) !== null && el('BucketResourceType', 'AgenticBucket')];
}
