import type { DomainContext } from './context.js';
import type { Bucket } from './model.js';
import { storageOf } from './bucket-stat.js';
import { readConfig } from './bucket-config.js';
import { storedKind } from './stored-configs.js';
import { incarnationOf, type BucketIncarnation } from '../store/meta/types.js';
import { tasksJson, tasksOf, TRANSITION_CONFIG, type TransitionTask } from './redundancy-transition.js';
import { PeriodicRun } from '../util/periodic-run.js';

/**
 * The worker that carries out data redundancy transitions (docs/stored-configurations.md#data-redundancy-transition-implemented).
 *
 * Alunite keeps one copy of every byte whatever the redundancy type, so converting a bucket has no bytes to move; what
 * the worker reproduces is what a user of the cloud sees: a task leaves the queue (Processing, StartTime), advances at
 * `bytesPerSecond` through the bucket's size as it was when the task started, and then the bucket is ZRS and the task
 * Finished. Each step credits the time since the previous one (saved with the task, so a restart goes on from there)
 * and is decided inside the store's transaction on the task as stored.
 *
 * Every write names the bucket the task was read from (its incarnation): a bucket deleted and created again meanwhile
 * is another bucket, and neither its type nor its configurations are touched. One process works on a task at a time:
 * the task names its holder and a heartbeat, taken and renewed in the same transactions (PostgreSQL: several
 * processes), and taken over when stale (a process that died).
 */

export const REDUNDANCY_DEFAULTS = { intervalMs: 10_000, bytesPerSecond: 100 * 1024 * 1024 } as const;

/** A holder that has not saved a task for this long (or three of its intervals, if longer) is gone. */
export const REDUNDANCY_STALE_MS = 2 * 60 * 1000;

export interface RedundancyWorkerOptions {
  holder: string;
  /** 0: only when runOnce is called. */
  intervalMs: number;
  /** How fast a transition goes through the bucket's bytes. */
  bytesPerSecond: number;
  log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

const KIND = storedKind(TRANSITION_CONFIG);

export class RedundancyTransitionWorker {
  private readonly periodic = new PeriodicRun<void>(() => this.tick(), () => undefined);
  /** The tasks this process holds (bucket name → its incarnation), released on stop. */
  private readonly held = new Map<string, BucketIncarnation>();
  private readonly staleMs: number;

  constructor(private readonly ctx: DomainContext, private readonly opts: RedundancyWorkerOptions) {
    this.staleMs = Math.max(REDUNDANCY_STALE_MS, 3 * opts.intervalMs);
  }

  start(): void {
    this.periodic.start(this.opts.intervalMs, (err) => this.opts.log('warn', 'redundancy transition tick failed', { err: String(err) }));
  }

  /** One tick now (joins one already running in this process). */
  runOnce(): Promise<void> {
    return this.periodic.runOnce();
  }

  /** No tick starts from now on; the one in progress ends, and the tasks this process held are left for another. */
  async stop(): Promise<void> {
    await this.periodic.stop();
    for (const [name, incarnation] of this.held) {
      await this.write(name, incarnation, (t) => (t.holder === this.opts.holder ? { ...t, holder: '' } : t)).catch(() => undefined);
    }
    this.held.clear();
  }

  private async tick(): Promise<void> {
    await this.ctx.meta.refreshSharedState?.();
    let after: string | undefined;
    for (;;) {
      // Only this configuration of each bucket: a listing of every bucket must not parse all their configurations.
      const page = await this.ctx.meta.listBuckets({ prefix: '', ...(after !== undefined ? { after } : {}), limit: 1000, configs: [KIND.name] });
      for (const bucket of page) {
        if (this.periodic.stopped) return;
        try {
          await this.processBucket(bucket);
        } catch (err) {
          this.opts.log('warn', 'redundancy transition step failed', { bucket: bucket.name, err: String(err) });
        }
      }
      if (page.length < 1000) return;
      after = page[page.length - 1]!.name;
    }
  }

  /**
   * Advances the bucket's unfinished task by the time since its last step, and finishes it once its bytes are done.
   * `listed`: the bucket record the task was read from; only that incarnation of the name is written.
   */
  async processBucket(listed: Bucket): Promise<void> {
    const pending = tasksOf(readConfig(listed, KIND)).find((t) => t.status !== 'Finished');
    if (pending === undefined) return;
    const sameBucket = incarnationOf(listed);
    // The work a queued task takes on: the bucket's size now (the stores keep it; no scan).
    const totalBytes = pending.status === 'Queueing' ? storageOf(await this.ctx.meta.bucketStats(listed.name)) : 0;
    const now = this.ctx.clock();
    const stepped = await this.write(listed.name, sameBucket, (t) => (t.taskId === pending.taskId ? this.step(t, now, totalBytes) : t));
    const task = stepped?.find((t) => t.taskId === pending.taskId);
    if (task === undefined || task.holder !== this.opts.holder || task.status !== 'Processing') {
      this.held.delete(listed.name);
      return;
    }
    this.held.set(listed.name, sameBucket);
    if ((task.doneBytes ?? 0) < (task.totalBytes ?? 0)) return;
    // Converted: the bucket is ZRS first, then the task Finished. A crash between the two leaves a task at 100 % that
    // the next step finishes (setting ZRS again changes nothing).
    if ((await this.ctx.meta.updateBucket(listed.name, { redundancyType: 'ZRS' }, sameBucket)) === null) return;
    const ended = this.ctx.clock();
    await this.write(listed.name, sameBucket, (t) => (t.taskId === task.taskId && t.status === 'Processing' && t.holder === this.opts.holder
      ? { ...t, status: 'Finished', endedAt: ended, doneBytes: t.totalBytes ?? 0, steppedAt: ended, holder: '', heartbeat: ended }
      : t));
    this.held.delete(listed.name);
    this.opts.log('info', 'redundancy transition finished', { bucket: listed.name, taskId: task.taskId, bytes: task.totalBytes ?? 0 });
  }

  /** One step of a task as stored; the task unchanged when another live process holds it. */
  private step(t: TransitionTask, now: number, totalBytes: number): TransitionTask {
    if (t.status === 'Finished') return t;
    // Held by another process that saved lately: its. With SQLite one process owns the database, so a holder left in
    // the task is a process that died (the server restarted): taken over at once.
    const shared = typeof this.ctx.meta.tryLease === 'function';
    if (shared && t.holder !== undefined && t.holder !== '' && t.holder !== this.opts.holder && (t.heartbeat ?? 0) > now - this.staleMs) return t;
    const mine = { holder: this.opts.holder, heartbeat: now, steppedAt: now };
    if (t.status === 'Queueing') return { ...t, status: 'Processing', startedAt: now, totalBytes, doneBytes: 0, ...mine };
    const total = t.totalBytes ?? 0;
    const credit = (Math.max(0, now - (t.steppedAt ?? now)) * this.opts.bytesPerSecond) / 1000;
    return { ...t, doneBytes: Math.min(total, (t.doneBytes ?? 0) + credit), ...mine };
  }

  /**
   * Rewrites the bucket's tasks through `change` inside the store's transaction, only on that incarnation of the
   * bucket. Answers the tasks as written, or null when the bucket is gone (or is another of the name).
   */
  private async write(name: string, sameBucket: BucketIncarnation, change: (t: TransitionTask) => TransitionTask): Promise<TransitionTask[] | null> {
    let written: TransitionTask[] = [];
    const after = await this.ctx.meta.updateBucketConfig(name, KIND.name, (text) => {
      if (text === null) return null;
      const before = tasksOf(KIND.decode(text));
      written = before.map(change);
      if (written.every((t, i) => t === before[i])) return text; // unchanged: nothing written
      const json = tasksJson(written);
      return json === null ? null : KIND.encode(json);
    }, sameBucket);
    return after === null ? null : written;
  }
}
