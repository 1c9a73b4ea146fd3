import { AppError } from '../../errors.js';
import type { TaskView } from '../../domain/redundancy-transition.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest } from '../context.js';
import { empty, limitParam } from '../handlers/common.js';
import type { Doc } from './schema.js';
import { bucketOf, respond } from './common.js';

// Data redundancy transition tasks: the OSS side of domain/redundancy-transition.ts (the worker moves them
// Queueing → Processing → Finished and makes the bucket ZRS; docs/stored-configurations.md).

const TASK_ID = /^[0-9a-f]{32}$/;

function taskIdOf(req: OssRequest): string {
  const id = req.query.get('x-oss-redundancy-transition-taskid') ?? '';
  if (!TASK_ID.test(id)) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: id.slice(0, 64) });
  return id;
}

/** A task in its published shape: StartTime, ProcessPercentage and EstimatedRemainingTime (hours) once it started, EndTime once it finished. */
function taskDoc(bucket: string, v: TaskView): Doc {
  const t = v.task;
  return {
    Bucket: bucket,
    TaskId: t.taskId,
    Status: t.status,
    CreateTime: isoDate(t.createdAt),
    ...(t.startedAt !== undefined ? { StartTime: isoDate(t.startedAt) } : {}),
    ...(t.endedAt !== undefined ? { EndTime: isoDate(t.endedAt) } : {}),
    ...(v.percentage !== undefined ? { ProcessPercentage: String(v.percentage) } : {}),
    ...(v.remainingHours !== undefined ? { EstimatedRemainingTime: String(v.remainingHours) } : {}),
  };
}

export const createBucketDataRedundancyTransition: Handler = async (req) => {
  const task = await req.services.redundancy.create(bucketOf(req), req.query.get('x-oss-target-redundancy-type') ?? '');
  return respond('CreateBucketDataRedundancyTransition', { TaskId: task.taskId });
};

export const getBucketDataRedundancyTransition: Handler = async (req) => {
  const view = await req.services.redundancy.get(bucketOf(req), taskIdOf(req));
  return respond('GetBucketDataRedundancyTransition', taskDoc(bucketOf(req), view));
};

export const listBucketDataRedundancyTransition: Handler = async (req) => {
  const views = await req.services.redundancy.list(bucketOf(req));
  return respond('ListBucketDataRedundancyTransition', { BucketDataRedundancyTransition: views.map((v) => taskDoc(bucketOf(req), v)) });
};

export const listUserDataRedundancyTransition: Handler = async (req) => {
  const maxKeys = limitParam(req.query, 'max-keys', 100, 100);
  const after = req.query.get('continuation-token') ?? '';
  const tasks: Doc[] = [];
  for (const b of await req.services.stored.accountBuckets(req.accountId)) {
    if (b.name > after) tasks.push(...req.services.redundancy.tasksIn(b).map((v) => taskDoc(b.name, v)));
  }
  const page = tasks.slice(0, maxKeys);
  const truncated = tasks.length > page.length;
  return respond('ListUserDataRedundancyTransition', {
    IsTruncated: String(truncated),
    ...(truncated ? { NextContinuationToken: page[page.length - 1]!.Bucket as string } : {}),
    BucketDataRedundancyTransition: page,
  });
};

export const deleteBucketDataRedundancyTransition: Handler = async (req) => {
  await req.services.redundancy.delete(bucketOf(req), taskIdOf(req));
  return empty(204);
};
