import { randomBytes } from 'node:crypto';
import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest } from '../context.js';
import { empty, limitParam } from '../handlers/common.js';
import { listOf, textOf, type Doc } from './schema.js';
import { asDoc, asJson, bucketOf, respond } from './common.js';

// Data redundancy transition tasks (stored in state Queueing; the bucket's type does not change).

// Alunite keeps one copy of every byte whatever the bucket's redundancy type, so a transition has nothing to
// do: its task is stored in state Queueing and stays there until deleted (docs/stored-configurations.md).
function tasksOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'BucketDataRedundancyTransition') as Doc[]);
}

const TASK_ID = /^[0-9a-f]{32}$/;

function taskIdOf(req: OssRequest): string {
  const id = req.query.get('x-oss-redundancy-transition-taskid') ?? '';
  if (!TASK_ID.test(id)) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: id.slice(0, 64) });
  return id;
}

export const createBucketDataRedundancyTransition: Handler = async (req) => {
  const target = req.query.get('x-oss-target-redundancy-type') ?? '';
  if (target !== 'ZRS') throw invalidArgument('x-oss-target-redundancy-type must be ZRS (only LRS buckets can be converted, to ZRS).', 'x-oss-target-redundancy-type', target.slice(0, 16));
  const { bucket } = await req.services.stored.get(bucketOf(req), 'redundancy-transition');
  if (bucket.redundancyType !== 'LRS') throw invalidArgument('The bucket is already ZRS.', 'x-oss-target-redundancy-type', target);
  const task: Doc = { Bucket: bucket.name, TaskId: randomBytes(16).toString('hex'), Status: 'Queueing', CreateTime: isoDate(req.services.stored.now()) };
  await req.services.stored.update(bucketOf(req), 'redundancy-transition', (current) => {
    if (tasksOf(current).length > 0) throw new AppError('BucketDataRedundancyTransitionTaskIsExist');
    return asJson({ BucketDataRedundancyTransition: [task] });
  });
  return respond('CreateBucketDataRedundancyTransition', task);
};

export const getBucketDataRedundancyTransition: Handler = async (req) => {
  const id = taskIdOf(req);
  const { value } = await req.services.stored.get(bucketOf(req), 'redundancy-transition');
  const task = tasksOf(value).find((t) => textOf(t, 'TaskId') === id);
  if (task === undefined) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: id });
  return respond('GetBucketDataRedundancyTransition', task);
};

export const listBucketDataRedundancyTransition: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'redundancy-transition');
  return respond('ListBucketDataRedundancyTransition', { BucketDataRedundancyTransition: tasksOf(value) });
};

export const listUserDataRedundancyTransition: Handler = async (req) => {
  const maxKeys = limitParam(req.query, 'max-keys', 100, 100);
  const after = req.query.get('continuation-token') ?? '';
  const tasks: Doc[] = [];
  for (const b of await req.services.stored.accountBuckets(req.accountId)) {
    if (b.name > after) tasks.push(...tasksOf(req.services.stored.valueOf(b, 'redundancy-transition')));
  }
  const page = tasks.slice(0, maxKeys);
  const truncated = tasks.length > page.length;
  return respond('ListUserDataRedundancyTransition', {
    IsTruncated: String(truncated),
    ...(truncated ? { NextContinuationToken: textOf(page[page.length - 1]!, 'Bucket')! } : {}),
    BucketDataRedundancyTransition: page,
  });
};

export const deleteBucketDataRedundancyTransition: Handler = async (req) => {
  const id = taskIdOf(req);
  await req.services.stored.update(bucketOf(req), 'redundancy-transition', (current) => {
    const all = tasksOf(current);
    if (!all.some((t) => textOf(t, 'TaskId') === id)) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: id });
    const kept = all.filter((t) => textOf(t, 'TaskId') !== id);
    return kept.length === 0 ? null : asJson({ BucketDataRedundancyTransition: kept });
  }, true);
  return empty(204);
};
