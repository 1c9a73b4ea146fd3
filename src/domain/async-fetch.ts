import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, isAppError } from '../errors.js';
import type { ObjectRecord } from './model.js';
import type { ObjectService } from './objects.js';
import { MAX_STORED_BYTES, type Json, type StoredConfigService } from './stored-configs.js';
import { incarnationOf, type BucketIncarnation } from '../store/meta/types.js';

// Async fetch (PutAsyncFetchTask / GetAsyncFetchTask, docs/async-fetch.md): a task fetches one URL into one object
// of the bucket, in the background. Rules only, no HTTP: the bytes come from a FetchSource (oss/async-fetch-source.ts,
// the guarded outbound client) and the callback, when the task has one, is a closure the protocol side builds.
// The object is written through ObjectService.put, as PutObject writes (versioning, WORM retention, encryption
// defaults, disk admission, MD5/CRC-64 and Content-MD5 checks). Tasks are kept in the bucket's stored configuration
// `async-fetch` (domain/stored-configs.ts), bounded in number and bytes; a task does not survive its process: one
// left Running by a process that is gone (its heartbeat lapsed, with PostgreSQL) is settled by the next read, as
// Success when its object was committed (the record names the task), else Failed.

export type FetchState = 'Running' | 'Success' | 'Failed' | 'FetchSuccessCallbackFailed';

/** What a task was asked to do, given back by GetAsyncFetchTask as TaskInfo (empty strings where not given). */
export interface FetchTaskInfo {
  url: string;
  object: string;
  host: string;
  contentMd5: string;
  callback: string;
  storageClass: string;
  ignoreSameKey: boolean;
  /** The bucket's overwrite rules forbade the caller to replace this object when the task was submitted (not shown). */
  overwriteForbidden?: boolean;
}

export interface FetchTask {
  id: string;
  state: FetchState;
  errorMsg: string;
  info: FetchTaskInfo;
  /** Milliseconds since the epoch. */
  created: number;
  /** The process that runs it (FetchService's runner id). */
  runner: string;
  /** When a Running task is given up (created + maxTaskMs). */
  deadline: number;
  /** When its runner last said it was alive (ms; renewed while it runs or waits, in a shared store). */
  heartbeat: number;
}

/** A source opened for reading: its body streams, `length` as it declared it. */
export interface FetchedSource {
  body: Readable;
  length: number | undefined;
  contentType: string | undefined;
}

/** Where a task's bytes come from. Rejects with a FetchFailure (its message becomes the task's ErrorMsg). */
export interface FetchSource {
  /** `host`: the Host the source is asked with ('' for the URL's own); `timeLimitMs`: how long the whole fetch may take. */
  open(url: string, host: string, timeLimitMs: number): Promise<FetchedSource>;
  /** Ends every open fetch (server shutdown). */
  close(): void;
}

/** Why a source could not be fetched (the task's ErrorMsg). */
export class FetchFailure extends Error {}

/** Runs the task's callback for the stored object: null when it succeeded, else why it failed. */
export type FetchCallback = (object: ObjectRecord) => Promise<string | null>;

export const ASYNC_FETCH_LIMITS = {
  /** Tasks kept per bucket (finished ones pruned oldest first). */
  tasksPerBucket: 32,
  /** Fetches running at once in this process; more wait in line. */
  concurrent: 4,
  /** Tasks waiting in line in this process (beyond: ServiceUnavailable). */
  queued: 64,
  /** Tasks one account may have running or in line in this process (beyond: ServiceUnavailable for it alone). */
  perAccount: 16,
  /** Fetches of one account running at once: the others' tasks get the remaining slots. */
  runningPerAccount: 2,
  /** The longest a task may take, waiting included. */
  maxTaskMs: 60 * 60 * 1000,
  /**
   * A shared store's Running task whose heartbeat is older than this has lost its runner (killed): it is settled.
   * The runner renews it every quarter of this.
   */
  leaseMs: 60 * 1000,
  /** Url, bytes (UTF-8). */
  urlBytes: 4096,
  /** Host, characters. */
  hostChars: 255,
} as const;

export type AsyncFetchLimits = { -readonly [K in keyof typeof ASYNC_FETCH_LIMITS]: number };

const STORE_NAME = 'async-fetch';
/** Room kept in the stored document for what the store adds. */
const STORED_BUDGET = MAX_STORED_BYTES - 1024;
const STATES: ReadonlySet<string> = new Set<FetchState>(['Running', 'Success', 'Failed', 'FetchSuccessCallbackFailed']);

export interface AsyncFetchDeps {
  stored: StoredConfigService;
  objects: ObjectService;
  source: FetchSource;
  clock: () => number;
  /** Several processes share the store (PostgreSQL): another process's Running task may be alive. */
  shared: boolean;
  limits?: Partial<AsyncFetchLimits>;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** A task id: 32 upper-case hex digits [UNVERIFIED: OSS's format]. */
export const TASK_ID = /^[0-9A-F]{32}$/;

export class AsyncFetchService {
  /** This process, as the runner of the tasks it starts. */
  private readonly runner = randomUUID();
  private readonly limits: AsyncFetchLimits;
  /** Running fetches and live tasks by account (the caller's), for the per-account bounds. */
  private readonly runningBy = new Map<string, number>();
  private readonly liveBy = new Map<string, number>();
  private readonly waiting: Array<{ account: string; go: () => void }> = [];
  /** Tasks this process is running or has in line, with their buckets. */
  private readonly live = new Map<string, string>();
  private readonly runs = new Set<Promise<void>>();
  private closed = false;
  /** Renews the heartbeats of the live tasks (shared store only: a lone process knows its own tasks). */
  private readonly renewer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AsyncFetchDeps) {
    this.limits = { ...ASYNC_FETCH_LIMITS, ...deps.limits };
    if (deps.shared) this.renewer = setInterval(() => void this.renew(), this.limits.leaseMs / 4).unref();
  }

  /**
   * Stores a new Running task and starts it in the background; the caller has validated `info` and authorized the
   * write. With IgnoreSameKey, an existing object refuses the task (400 ObjectAlreadyExists).
   */
  async submit(bucket: string, info: FetchTaskInfo, callback: FetchCallback | null, account: string): Promise<string> {
    if (this.closed || this.live.size >= this.limits.concurrent + this.limits.queued) {
      throw new AppError('ServiceUnavailable', 'Too many async fetch tasks are running on this server; retry later.');
    }
    // One account cannot take every place in line (a slow source holds its slot for up to the task's hour).
    if ((this.liveBy.get(account) ?? 0) >= this.limits.perAccount) {
      throw new AppError('ServiceUnavailable', `This account already has ${this.limits.perAccount} async fetch tasks running or waiting on this server; retry later.`);
    }
    if (info.ignoreSameKey && (await this.exists(bucket, info.object))) throw new AppError('ObjectAlreadyExists');
    const now = this.deps.clock();
    const task: FetchTask = {
      id: randomBytes(16).toString('hex').toUpperCase(),
      state: 'Running',
      errorMsg: '',
      info,
      created: now,
      runner: this.runner,
      deadline: now + this.limits.maxTaskMs,
      heartbeat: now,
    };
    // Live before it is stored: a GetAsyncFetchTask in between must not read it as a task whose runner is gone.
    this.live.set(task.id, bucket);
    bump(this.liveBy, account, 1);
    try {
      await this.deps.stored.update(bucket, STORE_NAME, (current) => toJson(this.withTask(tasksOf(current), task)));
    } catch (err) {
      this.live.delete(task.id);
      bump(this.liveBy, account, -1);
      throw err;
    }
    const run = this.run(bucket, task, callback, account).finally(() => {
      this.live.delete(task.id);
      bump(this.liveBy, account, -1);
      this.runs.delete(run);
    });
    this.runs.add(run);
    return task.id;
  }

  /** A task as GetAsyncFetchTask shows it (404 NoSuchAsyncFetchTask when the bucket has none by that id). */
  async get(bucket: string, id: string): Promise<FetchTask> {
    const { value } = await this.deps.stored.get(bucket, STORE_NAME);
    const task = tasksOf(value).find((t) => t.id === id);
    if (task === undefined) throw new AppError('NoSuchAsyncFetchTask', undefined, { TaskId: id });
    return this.isGone(task) ? await this.settle(bucket, task) : task;
  }

  /** Ends the running fetches (they fail) and waits for their tasks to be written. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewer);
    this.deps.source.close();
    // Woken with their slot taken, as release() hands them out: each then fails and gives it back.
    for (const w of this.waiting.splice(0)) {
      this.take(w.account);
      w.go();
    }
    await Promise.allSettled([...this.runs]);
  }

  /**
   * A Running task no process runs any more (docs/async-fetch.md: tasks do not survive their process): this one's
   * own, any with the SQLite store (one process owns it), past its hour, or one whose runner's heartbeat lapsed (it
   * was killed). Before, a shared store's task of a killed process read Running for the rest of its hour.
   */
  private isGone(task: FetchTask): boolean {
    if (task.state !== 'Running' || this.live.has(task.id)) return false;
    const now = this.deps.clock();
    return task.runner === this.runner || !this.deps.shared || now > task.deadline || now - task.heartbeat > this.limits.leaseMs;
  }

  /**
   * A gone task's end, recorded: its object committed (the current version names the task, in the same commit as its
   * bytes) is Success, as the fetch did succeed; a callback was perhaps never sent (FetchSuccessCallbackFailed). Else
   * Failed. Before, a task killed between its object's commit and its state's update read Failed with its object there.
   */
  private async settle(bucket: string, task: FetchTask): Promise<FetchTask> {
    const obj = await this.current(bucket, task.info.object);
    const stored = obj?.attrs?.asyncFetchTask === task.id;
    const end: Pick<FetchTask, 'state' | 'errorMsg'> = !stored
      ? { state: 'Failed', errorMsg: 'The task was interrupted: the server that ran it stopped or restarted.' }
      : task.info.callback === ''
        ? { state: 'Success', errorMsg: '' }
        : { state: 'FetchSuccessCallbackFailed', errorMsg: 'The object was stored; the server that ran the task stopped before its callback was answered.' };
    // Written only over a task still gone: a runner that was only slow to renew records its own end.
    await this.record(bucket, task.id, end, (t) => this.isGone(t));
    return { ...task, ...end };
  }

  /** Writes a task's end (none when it was pruned meanwhile, or `when` refuses it); a deleted bucket is logged. */
  private async record(bucket: string, id: string, end: Pick<FetchTask, 'state' | 'errorMsg'>, when: (t: FetchTask) => boolean = () => true): Promise<void> {
    try {
      await this.deps.stored.update(bucket, STORE_NAME, (current) => {
        const tasks = tasksOf(current);
        const i = tasks.findIndex((t) => t.id === id);
        if (i < 0 || !when(tasks[i]!)) return current;
        tasks[i] = { ...tasks[i]!, ...end };
        return toJson(tasks);
      });
    } catch (err) {
      // The bucket was deleted meanwhile (or the store is closing): the task is gone with it.
      this.deps.log?.('async fetch: task state not recorded', { bucket, task: id, error: messageOf(err) });
    }
  }

  /** Tells the other processes that this one's live tasks still run (their heartbeat). */
  private async renew(): Promise<void> {
    const buckets = new Set(this.live.values());
    for (const bucket of buckets) {
      const now = this.deps.clock();
      await this.deps.stored.update(bucket, STORE_NAME, (current) => {
        const tasks = tasksOf(current);
        const mine = tasks.filter((t) => t.runner === this.runner && t.state === 'Running' && this.live.has(t.id));
        if (mine.length === 0) return current;
        for (const t of mine) t.heartbeat = now;
        return toJson(tasks);
      }).catch((err: unknown) => this.deps.log?.('async fetch: heartbeat not renewed', { bucket, error: messageOf(err) }));
    }
  }

  /**
   * The tasks with `task` added: finished ones pruned oldest first to stay within the count and byte bounds (gone
   * ones count as finished; their states are left for a read to settle).
   */
  private withTask(current: FetchTask[], task: FetchTask): FetchTask[] {
    const tasks = current.sort((a, b) => a.created - b.created);
    const fits = (list: FetchTask[]): boolean => list.length < this.limits.tasksPerBucket && Buffer.byteLength(JSON.stringify(toJson([...list, task]))) <= STORED_BUDGET;
    while (!fits(tasks)) {
      const i = tasks.findIndex((t) => t.state !== 'Running' || this.isGone(t));
      if (i < 0) throw new AppError('ServiceUnavailable', 'The bucket has too many unfinished async fetch tasks; retry later.');
      tasks.splice(i, 1);
    }
    return [...tasks, task];
  }

  private async exists(bucket: string, key: string): Promise<boolean> {
    return (await this.current(bucket, key)) !== null;
  }

  /** The key's current object, null when there is none. */
  private async current(bucket: string, key: string): Promise<ObjectRecord | null> {
    try {
      return await this.deps.objects.head(bucket, key);
    } catch (err) {
      if (isAppError(err) && err.code === 'NoSuchKey') return null;
      throw err;
    }
  }

  /** The bucket whose task list holds the task (its incarnation: the only bucket the task writes into). */
  private async assertStillTask(bucket: string, id: string): Promise<BucketIncarnation> {
    const held = await this.deps.stored.get(bucket, STORE_NAME).catch(() => null);
    if (held === null || !tasksOf(held.value).some((t) => t.id === id)) throw new FetchFailure('The bucket was deleted while the task waited.');
    return incarnationOf(held.bucket);
  }

  /** Fetches running in this process: the sum over accounts (few: each holds a slot). */
  private get active(): number {
    let n = 0;
    for (const running of this.runningBy.values()) n += running;
    return n;
  }

  private canRun(account: string): boolean {
    return this.active < this.limits.concurrent && (this.runningBy.get(account) ?? 0) < this.limits.runningPerAccount;
  }

  private take(account: string): void {
    bump(this.runningBy, account, 1);
  }

  /**
   * A fetch slot: at most `concurrent` in all and `runningPerAccount` per account, handed out in line order to the
   * first tasks that may run. A task of another account does not wait behind an account at its own limit (it did:
   * it queued whenever anyone was in line, and only a release let it through).
   */
  private async slot(account: string): Promise<void> {
    await new Promise<void>((go) => {
      this.waiting.push({ account, go });
      this.dispatch();
    });
  }

  /** Frees a slot and hands out what is free. */
  private release(account: string): void {
    bump(this.runningBy, account, -1);
    this.dispatch();
  }

  /** Hands slots to the first tasks in line that may run (taken for them before they wake). */
  private dispatch(): void {
    for (let i = 0; i < this.waiting.length && this.active < this.limits.concurrent;) {
      const next = this.waiting[i]!;
      if (!this.canRun(next.account)) {
        i += 1;
        continue;
      }
      this.waiting.splice(i, 1);
      this.take(next.account);
      next.go();
    }
  }

  private async run(bucket: string, task: FetchTask, callback: FetchCallback | null, account: string): Promise<void> {
    let state: FetchState = 'Failed';
    let errorMsg = '';
    let source: FetchedSource | null = null;
    await this.slot(account);
    try {
      if (this.closed) throw new FetchFailure('The server stopped before the task ran.');
      if (this.deps.clock() > task.deadline) throw new FetchFailure('The task waited too long to run.');
      const { info } = task;
      await this.assertStillTask(bucket, task.id);
      source = await this.deps.source.open(info.url, info.host, task.deadline - this.deps.clock());
      // The bucket may have been deleted (and its name taken again) while the task waited or connected: its task
      // list went with it, so a task no longer in its bucket's list writes nothing; and the write lands only in the
      // bucket that held the task (sameBucket), not one of the name made between this look and the write.
      const sameBucket = await this.assertStillTask(bucket, task.id);
      const obj = await this.deps.objects.put({
        bucket,
        sameBucket,
        key: info.object,
        body: source.body,
        expect: {
          ...(source.length !== undefined ? { length: source.length } : {}),
          ...(info.contentMd5 !== '' ? { md5: Buffer.from(info.contentMd5, 'base64') } : {}),
        },
        headers: { contentType: source.contentType ?? 'application/octet-stream' },
        userMeta: {},
        ...(info.storageClass !== '' ? { storageClass: info.storageClass } : {}),
        forbidOverwrite: info.ignoreSameKey || info.overwriteForbidden === true,
        fetchTask: task.id,
      });
      state = 'Success';
      if (callback !== null) {
        const failed = await callback(obj);
        if (failed !== null) {
          state = 'FetchSuccessCallbackFailed';
          errorMsg = failed;
        }
      }
    } catch (err) {
      state = 'Failed';
      errorMsg = messageOf(err);
    } finally {
      // A write refused before it read the body leaves the connection to the source open: closed here.
      source?.body.destroy();
      this.release(account);
    }
    await this.record(bucket, task.id, { state, errorMsg });
  }
}

/** A failure as the task's ErrorMsg: OSS's code and message for what the write refused, else the reason. */
function messageOf(err: unknown): string {
  if (isAppError(err)) return `${err.code}: ${err.message}`;
  if (err instanceof FetchFailure) return err.message;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return `The source could not be read${code ? ` (${code})` : ''}.`;
}

function toJson(tasks: readonly FetchTask[]): Json {
  return { tasks: tasks.map((t) => ({ ...t, info: { ...t.info } })) };
}

/** The stored tasks (anything malformed dropped). */
function tasksOf(value: Json | null): FetchTask[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const list = value.tasks;
  if (!Array.isArray(list)) return [];
  const out: FetchTask[] = [];
  for (const item of list) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    const info = item.info;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) continue;
    const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');
    const num = (v: Json | undefined): number => (typeof v === 'number' ? v : 0);
    const state = str(item.state);
    if (!STATES.has(state) || !TASK_ID.test(str(item.id))) continue;
    out.push({
      id: str(item.id),
      state: state as FetchState,
      errorMsg: str(item.errorMsg),
      info: {
        url: str(info.url), object: str(info.object), host: str(info.host), contentMd5: str(info.contentMd5),
        callback: str(info.callback), storageClass: str(info.storageClass), ignoreSameKey: info.ignoreSameKey === true,
        ...(info.overwriteForbidden === true ? { overwriteForbidden: true } : {}),
      },
      created: num(item.created),
      runner: str(item.runner),
      deadline: num(item.deadline),
      // Tasks stored before heartbeats: their creation.
      heartbeat: typeof item.heartbeat === 'number' ? item.heartbeat : num(item.created),
    });
  }
  return out;
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
