import type { Handler, OssRequest } from '../context.js';
import { header } from '../headers.js';
import { parseXmlBody, text } from '../xml.js';
import { checkMd5, empty, readSmallBody } from './common.js';

// RestoreObject and CleanRestoredObject of archived objects (domain/restore.ts).

const target = (req: OssRequest): { bucket: string; key: string } => ({ bucket: req.op.bucket!, key: req.op.key! });

export const restoreObject: Handler = async (req) => {
  const { bucket, key } = target(req);
  const raw = await readSmallBody(req.body, 64 * 1024);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  let days: string | undefined;
  let tier: string | undefined;
  let jobParameters = false;
  // The body is optional: without it, one day (and the Standard priority for the cold classes).
  if (raw.toString('utf8').trim() !== '') {
    const doc = parseXmlBody(raw.toString('utf8'), 'RestoreRequest');
    days = text(doc.Days);
    const job = doc.JobParameters;
    jobParameters = job !== undefined;
    if (typeof job === 'object' && job !== null) tier = text((job as Record<string, unknown>).Tier);
  }
  const input = { ...(days !== undefined ? { days } : {}), ...(tier !== undefined ? { tier } : {}), jobParameters };
  const res = await req.services.archive.restore(bucket, key, input, req.query.get('versionId'));
  return empty(res.started ? 202 : 200, res.tier !== undefined ? { 'x-oss-object-restore-priority': res.tier } : {});
};

export const cleanRestoredObject: Handler = async (req) => {
  const { bucket, key } = target(req);
  req.body.resume();
  await req.services.archive.clean(bucket, key, req.query.get('versionId'));
  return empty(200);
};
