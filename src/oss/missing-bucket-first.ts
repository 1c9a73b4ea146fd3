import { AppError, isAppError } from '../errors.js';

/**
 * OSS finds the bucket before it looks up the AccessKeyId: a request with an AccessKeyId that does not exist,
 * on a bucket that does not exist either, is 404 NoSuchBucket, except for the two PUTs that may create the
 * bucket (PutBucket, and PutBucketAcl, once a way to create one), which stay 403 InvalidAccessKeyId. The
 * Python V2 SDK's integration tests expect exactly this of OSS with their invalid-AccessKeyId client
 * (tests/integration/test_client.py: test_get_bucket_acl_fail, test_list_objects_v2_fail,
 * test_get_bucket_stat_fail, test_get_bucket_location_fail, test_get_bucket_info_fail,
 * test_put_bucket_versioning_fail, test_get_bucket_versioning_fail, test_list_object_versions_fail → 404
 * NoSuchBucket; test_put_bucket_fail, test_put_bucket_acl_fail → 403 InvalidAccessKeyId). Anonymous requests
 * already learn whether a bucket exists, so this tells an unknown key nothing more.
 */
const MAY_CREATE: ReadonlySet<string> = new Set(['PutBucket', 'PutBucketAcl']);

export async function missingBucketFirst(
  err: unknown,
  operation: string,
  bucket: string | null,
  getBucket: (name: string) => unknown,
): Promise<unknown> {
  if (!isAppError(err) || err.code !== 'InvalidAccessKeyId' || bucket === null || MAY_CREATE.has(operation)) return err;
  if ((await getBucket(bucket)) !== null) return err;
  return new AppError('NoSuchBucket', undefined, { BucketName: bucket });
}
