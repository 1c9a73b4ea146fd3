import { LIFECYCLE_LIMITS } from '../../domain/lifecycle.js';
import type { Handler } from '../context.js';
import { header } from '../headers.js';
import { lifecycleXml, parseLifecycleXml } from '../lifecycle.js';
import { xmlText } from '../xml.js';
import { empty, readCheckedBody, xmlResponse } from './common.js';

export const putBucketLifecycle: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const raw = await readCheckedBody(req, LIFECYCLE_LIMITS.maxBodyBytes);
  const allowSameActionOverlap = (header(req.headers, 'x-oss-allow-same-action-overlap') ?? '').trim().toLowerCase() === 'true';
  await req.services.lifecycle.put(req.op.bucket!, parseLifecycleXml(xmlText(raw)), { allowSameActionOverlap, sameBucket: written });
  return empty();
};

export const getBucketLifecycle: Handler = async (req) => xmlResponse(lifecycleXml(await req.services.lifecycle.get(req.op.bucket!)));

export const deleteBucketLifecycle: Handler = async (req) => {
  await req.services.lifecycle.delete(req.op.bucket!);
  return empty(204);
};
