import type { Handler, OssRequest } from '../context.js';
import { AppError } from '../../errors.js';
import { childText, parseXmlBody, xmlText } from '../xml.js';
import { empty, readCheckedBody } from './common.js';

// RestoreObject and CleanRestoredObject of archived objects (domain/restore.ts).

const target = (req: OssRequest): { bucket: string; key: string } => ({ bucket: req.op.bucket!, key: req.op.key! });

export const restoreObject: Handler = async (req) => {
  const { bucket, key } = target(req);
  // The bucket authorized on, before the body: a slow body must not restore an object of another bucket of the name.
  const written = await req.services.buckets.incarnation(bucket);
  const raw = await readCheckedBody(req, 64 * 1024);
  let days: string | undefined;
  let tier: string | undefined;
  let jobParameters = false;
  // The body is optional: without it, one day (and the Standard priority for the cold classes).
  if (raw.toString('utf8').trim() !== '') {
    const doc = parseXmlBody(xmlText(raw), 'RestoreRequest');
    // A Days or Tier that is not text (children, repeated) is malformed, never the default.
    days = childText(doc, 'Days');
    const job = doc.JobParameters;
    jobParameters = job !== undefined;
    if (typeof job === 'object' && job !== null && !Array.isArray(job)) tier = childText(job as Record<string, unknown>, 'Tier');
    else if (Array.isArray(job)) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'JobParameters must appear once.' });
  }
  const input = { ...(days !== undefined ? { days } : {}), ...(tier !== undefined ? { tier } : {}), jobParameters };
  const res = await req.services.archive.restore(bucket, key, input, req.query.get('versionId'), written);
  return empty(res.started ? 202 : 200, {
    ...(res.tier !== undefined ? { 'x-oss-object-restore-priority': res.tier } : {}),
    ...(res.versionId !== undefined ? { 'x-oss-version-id': res.versionId } : {}),
  });
};

export const cleanRestoredObject: Handler = async (req) => {
  const { bucket, key } = target(req);
  req.body.resume();
  await req.services.archive.clean(bucket, key, req.query.get('versionId'));
  return empty(200);
};
