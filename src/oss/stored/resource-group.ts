import { AppError } from '../../errors.js';
import type { Handler } from '../context.js';
import { empty } from '../handlers/common.js';
import { asJson, bucketBeforeBody, bucketOf, readDocument } from './common.js';
import { textOf } from './schema.js';
import { DEFAULT_RESOURCE_GROUP } from './bucket-info.js';

// PutBucketResourceGroup (docs/stored-configurations.md): the group a bucket is in, shown by
// GetBucketResourceGroup and GetBucketInfo (`DEFAULT_RESOURCE_GROUP` while none is stored).

/** A resource group ID as Alunite accepts one (it keeps no list of groups): `rg-` and lower-case letters and digits. */
const GROUP_ID = /^rg-[a-z0-9]{1,61}$/;

/** Whether `id` names a resource group Alunite accepts: the default group's own ID, or one shaped like a group's. */
export const isResourceGroupId = (id: string): boolean => id === DEFAULT_RESOURCE_GROUP || GROUP_ID.test(id);

/**
 * An empty `<ResourceGroupId></ResourceGroupId>` (or the default group's ID) puts the bucket back in the default resource group, as OSS does
 * (the Go SDK's TestBucketResourceGroup: after it GetBucketResourceGroup answers the default group's ID again);
 * the stored group is removed. Any other ID must look like one, else 400 ResourceGroupIdPreCheckError.
 */
export const putBucketResourceGroup: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'PutBucketResourceGroup', { required: ['ResourceGroupId'], maxLength: { ResourceGroupId: 64 } });
  const id = (textOf(doc, 'ResourceGroupId') ?? '').trim();
  // The default group's own ID (`rg-default-id`, which does not look like another group's) says the same.
  if (id === '' || id === DEFAULT_RESOURCE_GROUP) {
    await req.services.stored.update(bucketOf(req), 'resource-group', () => null, true, written);
    return empty();
  }
  if (!GROUP_ID.test(id)) {
    throw new AppError('ResourceGroupIdPreCheckError', undefined, { ArgumentName: 'ResourceGroupId', ArgumentValue: id.slice(0, 64) });
  }
  await req.services.stored.update(bucketOf(req), 'resource-group', () => asJson({ ResourceGroupId: id }), false, written);
  return empty();
};
