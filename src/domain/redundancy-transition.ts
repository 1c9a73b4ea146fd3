import { randomBytes } from 'node:crypto';
import { AppError, invalidArgument } from '../errors.js';
import type { Bucket } from './model.js';
import { incarnationOf, type BucketKeep } from '../store/meta/types.js';
import type { DomainContext } from './context.js';
import { requireBucket } from './context.js';
import { StoredConfigService, type Json } from './stored-configs.js';

/**
 * Data redundancy transitions (docs/stored-configurations.md#data-redundancy-transition-implemented): a bucket's task
 * to become ZRS, kept in its `stored.redundancy-transition` configuration and moved Queueing → Processing → Finished
 * by the worker (domain/redundancy-worker.ts), which sets the bucket's redundancy type to ZRS when the task ends.
 * Protocol-free: oss/stored/redundancy.ts renders the tasks.
 */

/** The stored configuration's name (without `stored.`). */
export const TRANSITION_CONFIG = 'redundancy-transition';

export type TransitionStatus = 'Queueing' | 'Processing' | 'Finished';

export interface TransitionTask {
  taskId: string;
  status: TransitionStatus;
  /** Epoch ms. */
  createdAt: number;
  /** When the worker took it from the queue (Processing and Finished). */
  startedAt?: number;
  /** When it finished (Finished). */
  endedAt?: number;
  /** The bucket's size when the task started: the work to do. */
  totalBytes?: number;
  /** The work done so far (bytes converted, at the configured rate). */
  doneBytes?: number;
  /** When the worker last advanced it: the next step credits the time since. */
  steppedAt?: number;
  /** The process working on it ('' or absent: none) and when it last saved: one process at a time on a shared store. */
  holder?: string;
  heartbeat?: number;
}

const STATUSES: readonly TransitionStatus[] = ['Queueing', 'Processing', 'Finished'];

const num = (v: Json | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function taskOf(v: Json): TransitionTask | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const taskId = str(v.taskId);
  const status = str(v.status) as TransitionStatus | undefined;
  const createdAt = num(v.createdAt);
  if (taskId === undefined || status === undefined || !STATUSES.includes(status) || createdAt === undefined) return null;
  const t: TransitionTask = { taskId, status, createdAt };
  for (const f of ['startedAt', 'endedAt', 'totalBytes', 'doneBytes', 'steppedAt', 'heartbeat'] as const) {
    const n = num(v[f]);
    if (n !== undefined) t[f] = n;
  }
  const holder = str(v.holder);
  if (holder !== undefined) t.holder = holder;
  return t;
}

/**
 * The tasks of a stored value. Earlier versions kept each task in its published shape (`BucketDataRedundancyTransition`
 * list, state Queueing for ever): read as queued tasks, which the worker then takes.
 */
export function tasksOf(value: Json | null): TransitionTask[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  if (Array.isArray(value.tasks)) return value.tasks.map(taskOf).filter((t): t is TransitionTask => t !== null);
  const legacy = value.BucketDataRedundancyTransition;
  const items = Array.isArray(legacy) ? legacy : legacy !== undefined ? [legacy] : [];
  const tasks: TransitionTask[] = [];
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    const taskId = str(item.TaskId);
    const created = Date.parse(str(item.CreateTime) ?? '');
    if (taskId !== undefined) tasks.push({ taskId, status: 'Queueing', createdAt: Number.isFinite(created) ? created : 0 });
  }
  return tasks;
}

export function tasksJson(tasks: readonly TransitionTask[]): Json | null {
  return tasks.length === 0 ? null : { tasks: tasks.map((t) => ({ ...t })) };
}

/** What a task shows: its progress in percent and the hours left (Processing and Finished only). */
export interface TaskView {
  task: TransitionTask;
  percentage?: number;
  remainingHours?: number;
}

export function viewOf(task: TransitionTask, bytesPerSecond: number): TaskView {
  if (task.status === 'Queueing') return { task };
  if (task.status === 'Finished') return { task, percentage: 100, remainingHours: 0 };
  const total = task.totalBytes ?? 0;
  const done = Math.min(total, task.doneBytes ?? 0);
  const percentage = total === 0 ? 100 : Math.floor((done * 100) / total);
  // Whole hours, rounded up: a task not yet done never shows 0 hours left.
  const remainingHours = Math.ceil((total - done) / bytesPerSecond / 3600);
  return { task, percentage, remainingHours };
}

/**
 * DeleteBucket's refusal while a task is Queueing or Processing (the cloud's EC 0015-00000304), decided in the store's
 * transaction that would delete the bucket. A Finished task does not hold it. The code is not published: 409
 * BucketDataRedundancyTransitionTaskStatusConflict, the conflict the task's own Delete answers [UNVERIFIED].
 */
export const TRANSITION_KEEPS_BUCKET: BucketKeep = {
  config: `stored.${TRANSITION_CONFIG}`,
  holds: (document) => tasksOf(JSON.parse(document) as Json).some((t) => t.status !== 'Finished'),
};

export const transitionKeepsBucket = (bucket: string): AppError =>
  new AppError('BucketDataRedundancyTransitionTaskStatusConflict', 'The bucket has a data redundancy transition task that is not finished; it cannot be deleted until the task ends (a Queueing task may be deleted first).', { BucketName: bucket }, '0015-00000304');

const TARGET = 'x-oss-target-redundancy-type';

/** The service the OSS operations call: the rules of creating, reading and deleting tasks. */
export class RedundancyTransitionService {
  private readonly stored: StoredConfigService;

  constructor(private readonly ctx: DomainContext, private readonly bytesPerSecond: number) {
    this.stored = new StoredConfigService(ctx);
  }

  /** A new task for the bucket (only LRS → ZRS; one task per bucket): queued for the worker. */
  async create(bucketName: string, target: string): Promise<TransitionTask> {
    if (target !== 'ZRS') throw invalidArgument('x-oss-target-redundancy-type must be ZRS (only LRS buckets can be converted, to ZRS).', TARGET, target.slice(0, 16));
    const bucket = await requireBucket(this.ctx, bucketName);
    const task: TransitionTask = { taskId: randomBytes(16).toString('hex'), status: 'Queueing', createdAt: this.ctx.clock() };
    await this.stored.update(bucketName, TRANSITION_CONFIG, (current, now) => {
      // Decided on the bucket as it is in the transaction: a transition that finished meanwhile made it ZRS.
      if (now.redundancyType !== 'LRS') throw invalidArgument('The bucket is already ZRS.', TARGET, target);
      if (tasksOf(current).length > 0) throw new AppError('BucketDataRedundancyTransitionTaskIsExist');
      return tasksJson([task]);
    }, false, incarnationOf(bucket));
    return task;
  }

  async get(bucketName: string, taskId: string): Promise<TaskView> {
    const found = (await this.list(bucketName)).find((v) => v.task.taskId === taskId);
    if (found === undefined) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: taskId });
    return found;
  }

  async list(bucketName: string): Promise<TaskView[]> {
    const { value } = await this.stored.get(bucketName, TRANSITION_CONFIG);
    return tasksOf(value).map((t) => viewOf(t, this.bytesPerSecond));
  }

  /** The tasks of these buckets (ListUserDataRedundancyTransition), read from the records, no query. */
  tasksIn(bucket: Bucket): TaskView[] {
    return tasksOf(this.stored.valueOf(bucket, TRANSITION_CONFIG)).map((t) => viewOf(t, this.bytesPerSecond));
  }

  /** Deletes a task; one the worker is converting (Processing) is refused. */
  async delete(bucketName: string, taskId: string): Promise<void> {
    await this.stored.update(bucketName, TRANSITION_CONFIG, (current) => {
      const all = tasksOf(current);
      const task = all.find((t) => t.taskId === taskId);
      if (task === undefined) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: taskId });
      if (task.status === 'Processing') throw new AppError('BucketDataRedundancyTransitionTaskStatusConflict', undefined, { TaskId: taskId, Status: task.status });
      return tasksJson(all.filter((t) => t.taskId !== taskId));
    }, true);
  }
}
