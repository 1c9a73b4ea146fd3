import { WEBSITE_LIMITS } from '../../domain/website.js';
import type { Handler } from '../context.js';
import { parseWebsiteXml, websiteXml } from '../website-xml.js';
import { xmlText } from '../xml.js';
import { empty, readCheckedBody, xmlResponse } from './common.js';

// Put/Get/DeleteBucketWebsite (docs/website.md). Serving a configured site is oss/website.ts.

export const putBucketWebsite: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const raw = await readCheckedBody(req, WEBSITE_LIMITS.maxBodyBytes);
  await req.services.website.put(req.op.bucket!, parseWebsiteXml(xmlText(raw)), written);
  return empty();
};

export const getBucketWebsite: Handler = async (req) => xmlResponse(websiteXml(await req.services.website.get(req.op.bucket!)));

export const deleteBucketWebsite: Handler = async (req) => {
  await req.services.website.delete(req.op.bucket!);
  return empty(204);
};
