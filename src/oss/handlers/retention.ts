import { AppError } from '../../errors.js';
import type { Handler, OssRequest } from '../context.js';
import { el, text } from '../xml.js';
import { empty, readConfigXml, xmlResponse } from './common.js';

// Bucket WORM (retention) policies: Initiate/Abort/Complete/Extend/GetBucketWorm. The state machine and the
// enforcement live in domain/retention.ts; this is only their wire form.

const bucketOf = (req: OssRequest): string => req.op.bucket!;

/** GetBucketWorm's dates: `2020-10-15T15:50:32` (UTC, to the second, no zone), as OSS writes them. */
const wormDate = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);

/** RetentionPeriodInDays of an Initiate/ExtendWormConfiguration body, as sent (validated by the domain). */
async function retentionDays(req: OssRequest, root: string): Promise<string | undefined> {
  return text((await readConfigXml(req, root, 64 * 1024)).RetentionPeriodInDays, 'RetentionPeriodInDays');
}

function wormIdOf(req: OssRequest): string {
  const id = req.query.get('wormId') ?? '';
  if (id === '') throw new AppError('NoSuchWORMConfiguration', 'The specified WORM ID does not exist.', { WormId: id });
  return id;
}

export const initiateBucketWorm: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not lock a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(bucketOf(req));
  const days = await retentionDays(req, 'InitiateWormConfiguration');
  const wormId = await req.services.retention.initiate(bucketOf(req), days, written);
  return empty(200, { 'x-oss-worm-id': wormId });
};

export const abortBucketWorm: Handler = async (req) => {
  req.body.resume();
  await req.services.retention.abort(bucketOf(req));
  return empty(204);
};

export const completeBucketWorm: Handler = async (req) => {
  req.body.resume();
  await req.services.retention.complete(bucketOf(req), wormIdOf(req));
  return empty(200);
};

export const extendBucketWorm: Handler = async (req) => {
  const wormId = wormIdOf(req);
  const written = await req.services.buckets.incarnation(bucketOf(req)); // before the body, as InitiateBucketWorm's
  const days = await retentionDays(req, 'ExtendWormConfiguration');
  await req.services.retention.extend(bucketOf(req), wormId, days, written);
  return empty(200);
};

export const getBucketWorm: Handler = async (req) => {
  const { policy, lapsesAt } = await req.services.retention.get(bucketOf(req));
  return xmlResponse(
    el('WormConfiguration', [
      el('WormId', policy.wormId),
      el('State', policy.state),
      el('RetentionPeriodInDays', policy.days),
      el('CreationDate', wormDate(policy.createdAt)),
      lapsesAt !== null && el('ExpirationDate', wormDate(lapsesAt)),
    ]),
  );
};
