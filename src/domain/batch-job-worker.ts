import { DEFAULT_KMS_KEY, sseOf } from './encryption.js';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError, isAppError } from '../errors.js';
import type { DomainContext } from './context.js';
import { bucketNameOf, decodeJob, FINAL_STATUSES, JOB_INDEX, roleOfArn, TOKEN_INDEX, type BatchJob, type JobStatus } from './batch-jobs.js';
import type { ObjectService } from './objects.js';
import type { ArchiveService } from './restore.js';
import { incarnationOf } from '../store/meta/types.js';

/**
 * The worker that runs batch jobs (docs/batch-operations.md). Each round reads the jobs of every account and gives
 * each account, in turn (the account served first moves to the back each round), one bounded slice of work: its
 * first job it may take a step on, by priority within the account (then oldest), runs one page of tasks (or its
 * preparation) and is released. Priority never orders one account's jobs before another's, so no account, however
 * many jobs or whatever priorities it gives them, holds the worker from the others for more than a slice. Rounds
 * follow one another while any did work. A job's steps:
 *
 *   New (at least `startDelayMs` old) → Preparing: the role is looked up, the manifest read (a CSV object whose ETag
 *   must match) or the key prefix listed, the tasks counted → Suspended (ConfirmationRequired, until UpdateJobStatus
 *   Ready) or Ready → Active: each task is authorized as a session of the job's role (its attached policies, the
 *   buckets' policies and rules: the one authorization path) and applied through the domain services (tags, ACL,
 *   restore); counts and the position are saved after every page, with the page's report file → Complete, or
 *   Cancelled (a Cancelling job stops after its page), or Failed (the role or manifest is unusable, the report
 *   cannot be written) with FailureReasons.
 *
 * A job is taken inside the store's transaction (its entry names this process and a heartbeat, renewed with every
 * page), so with several processes on one database (PostgreSQL) only one works on a job at a time; a job whose
 * holder has not written for STALE_MS (a process that died) is taken over and goes on from its saved position. With
 * SQLite (one process per database) a job another process left is taken over at once (the server restarted).
 */

/** A holder that has not saved its job for this long is gone. */
export const STALE_MS = 10 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The statuses a slice moves on. */
const RUNNABLE: ReadonlySet<JobStatus> = new Set(['New', 'Preparing', 'Ready', 'Active', 'Cancelling']);

/** Manifests kept parsed between a job's slices (at most 4 MiB each); beyond, the oldest is read again when needed. */
const MANIFESTS_HELD = 8;

export const BATCH_WORKER_DEFAULTS = {
  /** How often the worker looks for work (ms). */
  intervalMs: 5_000,
  /**
   * How long a new job stays New before the worker prepares it: the cloud's jobs wait minutes, and its SDKs' tests
   * change a job's priority and cancel it right after creating it (the Go SDK v2's TestBatchOperations), which a job
   * already Complete would refuse [UNVERIFIED: the cloud's own delay is not published].
   */
  startDelayMs: 10_000,
  /** Tasks per page (one save and at most one report file per page). */
  pageSize: 1000,
  /**
   * A CSV manifest is read whole: at most this many bytes (Alunite's bound; beyond, the job fails ManifestTooLarge).
   * Its rows are scanned a slice at a time and parsed a page at a time (ManifestRows): up to ~1,000,000 short rows.
   */
  maxManifestBytes: 4 * 1024 * 1024,
  /**
   * How long an ended job (Complete, Cancelled, Failed) is kept, from its TerminationDate; then it and its
   * ClientRequestToken are forgotten [UNVERIFIED: S3 lists jobs that ended in the last 90 days; OSS publishes none].
   */
  retentionMs: 90 * DAY_MS,
  /** A job Suspended this long without UpdateJobStatus Ready fails (OSS's CreateJob page: "more than 14 days"). */
  suspendedMs: 14 * DAY_MS,
} as const;

/** What a task asks authorized: an action on an object (or a bucket, key null). */
export interface TaskCheck {
  action: string;
  bucket: string;
  key: string | null;
  versionId?: string;
  /** A kms: check on this key rather than on bucket/key (reading a KMS-encrypted manifest: kms:Decrypt). */
  kmsKeyId?: string;
}

export interface JobRole {
  accountId: string;
  roleId: string;
  roleName: string;
  /** Whether the role's trust policy admits the OSS service (`oss.aliyuncs.com`), which runs the job as the role. */
  trustsOss: boolean;
}

/**
 * What the equivalent request would carry, for the rules and condition keys that read it: PutObjectAcl's
 * `x-oss-object-acl` (Block Public Access, `oss:x-oss-object-acl`), a listing's `prefix` (`oss:Prefix`), tags written.
 */
export interface TaskFacts {
  requestTags?: ReadonlyArray<readonly [string, string]>;
  headers?: Readonly<Record<string, string>>;
  query?: ReadonlyArray<readonly [string, string]>;
}

/** Authorizes checks as a session of the role (throws the AppError a request would get, AccessDenied). */
export type RoleAuthorizer = (role: JobRole, checks: readonly TaskCheck[], facts?: TaskFacts) => Promise<void>;

export interface BatchWorkerDeps {
  ctx: DomainContext;
  objects: ObjectService;
  archive: ArchiveService;
  authorize: RoleAuthorizer;
  /** The role of that name in the account, null when there is none (or no such account). */
  findRole(accountId: string, roleName: string): Promise<JobRole | null>;
}

export interface BatchWorkerOptions {
  /** 0: only when runOnce is called (no timer, no wake-up on a new job). */
  intervalMs: number;
  startDelayMs: number;
  /** Tasks per page, the slice a job runs before the worker turns to the next account. */
  pageSize?: number;
  maxManifestBytes?: number;
  retentionMs?: number;
  suspendedMs?: number;
  log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

/** Why a job failed (its FailureReasons); thrown inside the worker. */
class JobFailure extends Error {
  constructor(readonly code: string, reason: string) {
    super(reason);
  }
}

/** The job was taken over by another process (or removed): this one stops touching it. */
class Lost extends Error {}

interface Task {
  bucket: string;
  key: string;
  versionId?: string;
}

interface TaskResult {
  task: Task;
  ok: boolean;
  code: string;
  status: number;
  message: string;
}

const quote = (v: string): string => `"${v.replace(/"/g, '""')}"`;

/**
 * One CSV line of a manifest, with `"` quoting: its first `max` cells (the columns Spec.Fields names; any further ones
 * are not read). Linear in the line whatever it holds: a quoted cell is found by its closing quote and its `""` turned
 * into `"` at once (they were appended one by one: a 4 MiB cell of `""` took 1.2 s).
 */
function csvCells(line: string, max: number): string[] {
  const cells: string[] = [];
  let i = 0;
  while (cells.length < max) {
    let cell: string;
    if (line[i] === '"') {
      const from = i + 1;
      let close = -1;
      for (let q = line.indexOf('"', from); q >= 0; q = line.indexOf('"', q + 2)) {
        if (line.charCodeAt(q + 1) !== 0x22) {
          close = q;
          break;
        }
      }
      // An unclosed quote takes the rest of the line, as it always did. (split/join: a regular expression's replace
      // of two million `""` took 0.4 s.)
      const quoted = line.slice(from, close < 0 ? line.length : close);
      cell = quoted.includes('""') ? quoted.split('""').join('"') : quoted;
      const comma = close < 0 ? -1 : line.indexOf(',', close + 1);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      cell = comma < 0 ? line.slice(i) : line.slice(i, comma);
      i = comma < 0 ? line.length + 1 : comma + 1;
    }
    cells.push(cell);
    if (i > line.length) break;
  }
  return cells;
}

/** A key as a manifest writes it: URL-encoded (as inventory files write keys), else as it stands [UNVERIFIED]. */
function manifestKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The characters String.prototype.trim removes: a line of only these is a blank line of the manifest. */
function isTrimmed(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)
    || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Lines scanned between two turns of the event loop. */
const SCAN_SLICE = 8_192;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A CSV manifest's rows, kept as where each non-blank line starts and ends in the text and parsed a page at a time
 * (tasks). The text is scanned once, handing the event loop back every SCAN_SLICE lines. Before, it was split and
 * parsed whole in one turn: a 4 MiB manifest of one million short rows (`b,k`) held every request of the server for
 * 2-3 s, each time a job was prepared or went on, with ~110 MB of task objects (docs/batch-operations.md).
 */
export class ManifestRows {
  private constructor(
    private readonly text: string,
    /** Start and end (exclusive, without a `\r`) of each row, two entries a row. */
    private readonly bounds: Uint32Array,
    readonly length: number,
    private readonly names: readonly string[],
  ) {}

  static async scan(text: string, fields: string): Promise<ManifestRows> {
    let bounds = new Uint32Array(2048);
    let rows = 0;
    let seen = 0;
    for (let start = 0; start <= text.length;) {
      const nl = text.indexOf('\n', start);
      const next = nl < 0 ? text.length + 1 : nl + 1;
      let end = nl < 0 ? text.length : nl;
      if (end > start && text.charCodeAt(end - 1) === 0x0d) end--;
      let blank = true;
      for (let i = start; i < end && blank; i++) blank = isTrimmed(text.charCodeAt(i));
      if (!blank) {
        if (rows * 2 === bounds.length) {
          const grown = new Uint32Array(bounds.length * 2);
          grown.set(bounds);
          bounds = grown;
        }
        bounds[rows * 2] = start;
        bounds[rows * 2 + 1] = end;
        rows++;
      }
      start = next;
      if (++seen % SCAN_SLICE === 0) await nextTurn();
    }
    return new ManifestRows(text, bounds, rows, fields.split(',').map((f) => f.trim()));
  }

  /** The tasks of rows [from, to). */
  tasks(from: number, to: number): Task[] {
    const at = (n: string): number => this.names.indexOf(n);
    const b = at('Bucket');
    const k = at('Key');
    const v = at('VersionId');
    const out: Task[] = [];
    for (let r = from; r < Math.min(to, this.length); r++) {
      const cells = csvCells(this.text.slice(this.bounds[r * 2]!, this.bounds[r * 2 + 1]!), this.names.length);
      const versionId = v >= 0 ? cells[v] ?? '' : '';
      out.push({ bucket: cells[b] ?? '', key: manifestKey(cells[k] ?? ''), ...(versionId !== '' ? { versionId } : {}) });
    }
    return out;
  }
}

/** The tasks of a CSV manifest (Spec.Fields names the columns), all at once: for tests. */
export async function manifestTasks(text: string, fields: string): Promise<Task[]> {
  const rows = await ManifestRows.scan(text, fields);
  return rows.tasks(0, rows.length);
}

export class BatchJobWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Names this process in the jobs it holds. */
  private readonly holder = `${process.pid}-${randomUUID()}`;
  private readonly pageSize: number;
  /** Manifests read for the jobs running (by job id, oldest read first): read again after a restart. */
  private readonly manifests = new Map<string, ManifestRows>();
  /** Rounds run: where the next round starts in the accounts' order. */
  private turn = 0;

  constructor(private readonly deps: BatchWorkerDeps, private readonly opts: BatchWorkerOptions) {
    this.pageSize = opts.pageSize ?? BATCH_WORKER_DEFAULTS.pageSize;
  }

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => this.wake(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** A job was created or made Ready: run a round soon (with a timer only; tests call runOnce). */
  wake(): void {
    if (this.opts.intervalMs <= 0 || this.stopped) return;
    this.runOnce().catch((err: unknown) => this.opts.log('warn', 'batch job round failed', { err: String(err) }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Runs a round now (a round asked for while one runs follows it). Resolves when no round is left to run. */
  runOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    const loop = async (): Promise<void> => {
      let worked: boolean;
      do {
        this.again = false;
        worked = await this.round();
      } while ((this.again || worked) && !this.stopped);
    };
    this.running = loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * One round: ended jobs past their retention are forgotten, Suspended ones past their time fail, and each account
   * in turn gets one slice for its first job that can go on. Whether any slice ran (another round then follows).
   */
  private async round(): Promise<boolean> {
    const now = this.deps.ctx.clock();
    const byAccount = new Map<string, Array<{ key: string; job: BatchJob }>>();
    let after = '';
    for (;;) {
      const page = await this.deps.ctx.meta.listIndexEntries(JOB_INDEX, { prefix: '', after, limit: 1000 });
      for (const e of page) {
        const job = decodeJob(e.document);
        if (job === null) continue;
        if (FINAL_STATUSES.has(job.status)) {
          if (now - (job.terminated ?? job.created) >= (this.opts.retentionMs ?? BATCH_WORKER_DEFAULTS.retentionMs)) await this.forget(e.id, job);
          continue;
        }
        if (job.status === 'Suspended') {
          if (now - (job.suspendedAt ?? job.preparedAt ?? job.created) >= (this.opts.suspendedMs ?? BATCH_WORKER_DEFAULTS.suspendedMs)) await this.expireSuspended(e.id, now);
          continue;
        }
        // Statuses no API sets (Pausing, Paused, Completing, Failing) are never worked on: a slice would change nothing.
        if (!RUNNABLE.has(job.status)) continue;
        const list = byAccount.get(job.accountId) ?? [];
        list.push({ key: e.id, job });
        byAccount.set(job.accountId, list);
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]!.id;
    }
    // Manifests of jobs no longer running are dropped.
    const running = new Set([...byAccount.values()].flat().map((t) => t.job.id));
    for (const id of this.manifests.keys()) if (!running.has(id)) this.manifests.delete(id);
    const accounts = [...byAccount.keys()].sort();
    const start = accounts.length === 0 ? 0 : this.turn++ % accounts.length;
    let worked = false;
    for (const account of [...accounts.slice(start), ...accounts.slice(0, start)]) {
      // Priority orders the account's own jobs only (then the oldest first).
      const jobs = byAccount.get(account)!.sort((a, b) => b.job.spec.priority - a.job.spec.priority || a.job.created - b.job.created);
      for (const { key, job } of jobs) {
        if (this.stopped) return false;
        let took = false;
        try {
          took = await this.advance(key, job);
        } catch (err) {
          if (!(err instanceof Lost)) this.opts.log('warn', 'batch job step failed', { job: job.id, err: String(err) });
        }
        if (took) {
          worked = true;
          break;
        }
      }
    }
    return worked;
  }

  /** Forgets an ended job past its retention, and its ClientRequestToken (first: a token never names a job forgotten). */
  private async forget(key: string, seen: BatchJob): Promise<void> {
    if (seen.spec.clientRequestToken !== '') {
      await this.deps.ctx.meta.updateIndexEntry(TOKEN_INDEX, `${seen.accountId}/${seen.spec.clientRequestToken}`, (cur) => (cur === seen.id ? null : cur));
    }
    await this.deps.ctx.meta.updateIndexEntry(JOB_INDEX, key, (text) => {
      const cur = decodeJob(text);
      return cur !== null && FINAL_STATUSES.has(cur.status) ? null : text;
    });
    this.manifests.delete(seen.id);
  }

  /** A Suspended job never confirmed fails (decided again in the transaction: an UpdateJobStatus Ready may have come). */
  private async expireSuspended(key: string, now: number): Promise<void> {
    const suspendedMs = this.opts.suspendedMs ?? BATCH_WORKER_DEFAULTS.suspendedMs;
    const failed = await this.update(key, (cur) => {
      if (cur.status !== 'Suspended' || now - (cur.suspendedAt ?? cur.preparedAt ?? cur.created) < suspendedMs) return null;
      const days = Math.round(suspendedMs / DAY_MS);
      return { ...cur, status: 'Failed', terminated: now, failure: { code: 'SuspendedTimeout', reason: `The job was Suspended for ${days} days without being confirmed (UpdateJobStatus Ready).` } };
    });
    if (failed !== null) this.opts.log('warn', 'batch job ended', { job: failed.id, account: failed.accountId, status: 'Failed', failure: 'SuspendedTimeout' });
  }

  private mayTake(job: BatchJob, now: number): boolean {
    if (FINAL_STATUSES.has(job.status) || job.status === 'Suspended' || job.status === 'Paused') return false;
    if (job.status === 'New' && now - job.created < this.opts.startDelayMs) return false;
    if (job.holder === undefined || job.holder === this.holder) return true;
    // With SQLite one process owns the database: a job another holder left is a dead process's (a restart), taken at
    // once. Processes sharing PostgreSQL wait for its heartbeat to go stale.
    const shared = typeof this.deps.ctx.meta.tryLease === 'function';
    return !shared || now - (job.heartbeat ?? 0) >= STALE_MS;
  }

  /**
   * Takes the job (in the store's transaction), runs one slice of it and releases it; whether it was taken and the
   * slice ran (a step that threw otherwise is tried again next round, by this process or another).
   */
  private async advance(key: string, seen: BatchJob): Promise<boolean> {
    const now = this.deps.ctx.clock();
    if (!this.mayTake(seen, now)) return false;
    const job = await this.update(key, (cur) => {
      if (!this.mayTake(cur, now)) return null;
      return { ...cur, holder: this.holder, heartbeat: now, ...(cur.status === 'New' ? { status: 'Preparing' as const } : {}) };
    });
    if (job === null) return false;
    try {
      await this.run(key, job);
    } catch (err) {
      if (err instanceof JobFailure) {
        await this.finish(key, 'Failed', { code: err.code, reason: err.message });
        return true;
      }
      throw err;
    }
    return true;
  }

  /** Lets go of a job between slices: the next may be taken by any process (a job it no longer holds is left alone). */
  private async release(key: string): Promise<void> {
    await this.update(key, (cur) => {
      if (cur.holder !== this.holder) return null;
      const { holder: _h, heartbeat: _b, ...rest } = cur;
      return rest;
    });
  }

  private async run(key: string, taken: BatchJob): Promise<void> {
    let job = taken;
    if (job.status === 'Cancelling') return this.finish(key, 'Cancelled');
    // Each slice (one page) is decided on the state as it is now, in every process: a role deleted or no longer
    // trusting OSS fails the job, a policy detached or a Block Public Access switched on refuses the tasks that follow.
    await this.catchUp();
    const role = await this.roleOf(job);
    if (job.status === 'Preparing') {
      const preparedAt = this.deps.ctx.clock();
      const total = await this.count(job, role, preparedAt);
      job = await this.save(key, (cur) => {
        if (cur.status !== 'Preparing') return { ...cur, total, preparedAt };
        const hold = cur.spec.confirmationRequired && !cur.confirmed;
        const { holder: _h, heartbeat: _b, ...rest } = cur;
        return hold ? { ...rest, total, preparedAt, status: 'Suspended', suspendedAt: this.deps.ctx.clock() } : { ...cur, total, preparedAt, status: 'Ready' };
      });
      if (job.status === 'Cancelling') return this.finish(key, 'Cancelled');
      // Preparing is a slice of its own (Suspended already let go of the job).
      return job.status === 'Ready' ? this.release(key) : undefined;
    }
    if (job.status === 'Ready') {
      const now = this.deps.ctx.clock();
      job = await this.save(key, (cur) => (cur.status === 'Ready' ? { ...cur, status: 'Active', activeSince: now } : cur));
      if (job.status === 'Cancelling') return this.finish(key, 'Cancelled');
    }
    if (job.status !== 'Active' || this.stopped) return this.release(key);
    // One page per slice: the worker then turns to the next account's job.
    const page = await this.tasksAfter(job, role);
    const results: TaskResult[] = [];
    for (const task of page.tasks) results.push(await this.runTask(job, role, task));
    const ok = results.filter((r) => r.ok).length;
    let parts = job.reportParts;
    const report = job.spec.report;
    const kept = report?.enabled === true ? results.filter((r) => report.scope === 'AllTasks' || !r.ok) : [];
    if (kept.length > 0) {
      await this.writeReport(job, role, `results/${String(parts).padStart(6, '0')}.csv`, reportCsv(kept), 'text/csv');
      parts++;
    }
    const now = this.deps.ctx.clock();
    job = await this.save(key, (cur) => ({
      ...cur, succeeded: cur.succeeded + ok, failed: cur.failed + results.length - ok, cursor: page.cursor, reportParts: parts, heartbeat: now,
    }));
    if (job.status === 'Cancelling') return this.finish(key, 'Cancelled');
    if (page.done) return this.finish(key, 'Complete');
    return this.release(key);
  }

  /**
   * Catches this process's caches up with what other processes committed (PostgreSQL; a no-op on SQLite, whose one
   * process sees its own writes), as the server does when a request arrives and the lifecycle worker before each
   * bucket. A worker serves no request: without this, a process that received none since kept deciding tasks on the
   * bucket records and identity policies it had cached (a Block Public Access switched on, or a policy detached from
   * the job's role, through another process did not stop a running job's tasks).
   */
  private async catchUp(): Promise<void> {
    await this.deps.ctx.meta.refreshSharedState?.();
  }

  /** The job's role: in the job's account, by the name its RoleArn gives. */
  private async roleOf(job: BatchJob): Promise<JobRole> {
    const named = roleOfArn(job.spec.roleArn);
    if (named === null || named.accountId !== job.accountId) {
      throw new JobFailure('InvalidRoleArn', `The role ${job.spec.roleArn} is not a role of the job's account.`);
    }
    const role = await this.deps.findRole(job.accountId, named.roleName);
    if (role === null) throw new JobFailure('RoleNotFound', `The role ${job.spec.roleArn} does not exist.`);
    // The service assumes the role, as for any service role: its trust policy must admit oss.aliyuncs.com.
    if (!role.trustsOss) throw new JobFailure('RoleNotTrusted', `The trust policy of ${job.spec.roleArn} does not allow the OSS service (oss.aliyuncs.com) to assume it.`);
    return role;
  }

  /** Counts the tasks (reading the manifest, or listing the prefix as the role may: the objects written by `at`). */
  private async count(job: BatchJob, role: JobRole, at: number): Promise<number> {
    if (job.spec.manifest !== null) return (await this.manifestOf(job, role)).length;
    const kp = job.spec.keyPrefix!;
    const bucket = bucketNameOf(kp.sourceBucket);
    await this.asRole(role, [{ action: 'oss:ListObjects', bucket, key: null }], 'SourceBucketAccessDenied', { query: [['prefix', kp.prefix]] });
    let n = 0;
    let after: string | undefined;
    for (;;) {
      if ((await this.deps.ctx.meta.getBucket(bucket)) === null) throw new JobFailure('NoSuchBucket', `The source bucket ${bucket} does not exist.`);
      const page = await this.deps.ctx.meta.scanObjects(bucket, { prefix: kp.prefix, ...(after !== undefined ? { after } : {}), limit: 1000 });
      for (const o of page) if (o.lastModified <= at) n++;
      if (page.length < 1000) return n;
      after = page[page.length - 1]!.key;
    }
  }

  /** The next page of tasks after the job's cursor. */
  private async tasksAfter(job: BatchJob, role: JobRole): Promise<{ tasks: Task[]; cursor: string; done: boolean }> {
    if (job.spec.manifest !== null) {
      const all = await this.manifestOf(job, role);
      const from = job.cursor === '' ? 0 : Number(job.cursor);
      const to = Math.min(from + this.pageSize, all.length);
      return { tasks: all.tasks(from, to), cursor: String(to), done: to >= all.length };
    }
    const kp = job.spec.keyPrefix!;
    const bucket = bucketNameOf(kp.sourceBucket);
    if ((await this.deps.ctx.meta.getBucket(bucket)) === null) throw new JobFailure('NoSuchBucket', `The source bucket ${bucket} does not exist.`);
    const page = await this.deps.ctx.meta.scanObjects(bucket, { prefix: kp.prefix, ...(job.cursor !== '' ? { after: job.cursor } : {}), limit: this.pageSize });
    const at = job.preparedAt ?? Number.POSITIVE_INFINITY;
    return {
      tasks: page.filter((o) => o.lastModified <= at).map((o) => ({ bucket, key: o.key })),
      cursor: page.length > 0 ? page[page.length - 1]!.key : job.cursor,
      done: page.length < this.pageSize,
    };
  }

  /** The manifest's tasks: the object read as the role may (GetObject), its ETag the one the job names. */
  private async manifestOf(job: BatchJob, role: JobRole): Promise<ManifestRows> {
    const held = this.manifests.get(job.id);
    if (held !== undefined) return held;
    const m = job.spec.manifest!;
    const bucket = bucketNameOf(m.bucket);
    await this.asRole(role, [{ action: m.versionId !== undefined ? 'oss:GetObjectVersion' : 'oss:GetObject', bucket, key: m.object, ...(m.versionId !== undefined ? { versionId: m.versionId } : {}) }], 'ManifestAccessDenied');
    let text: string;
    try {
      const obj = await this.deps.objects.head(bucket, m.object, m.versionId, 'NoSuchKey');
      const unquoted = (s: string): string => s.replace(/^"|"$/g, '').toUpperCase();
      if (unquoted(obj.etag) !== unquoted(m.etag)) throw new JobFailure('ManifestETagMismatch', `The manifest's ETag is ${obj.etag}, not ${m.etag}.`);
      const limit = this.opts.maxManifestBytes ?? BATCH_WORKER_DEFAULTS.maxManifestBytes;
      if (obj.size > limit) throw new JobFailure('ManifestTooLarge', `The manifest is larger than ${limit} bytes.`);
      // Read as GetObject reads: a frozen Archive object needs a restore, a KMS-encrypted one kms:Decrypt for the role.
      const readable = this.deps.objects.assertReadable(obj, bucket, true);
      if (readable !== undefined) await readable;
      const sse = sseOf(obj);
      if (sse?.algorithm === 'KMS') {
        await this.asRole(role, [{ action: 'kms:Decrypt', bucket, key: m.object, kmsKeyId: sse.kmsKeyId ?? DEFAULT_KMS_KEY }], 'ManifestAccessDenied');
      }
      const chunks: Buffer[] = [];
      for await (const chunk of this.deps.objects.openRead(obj, null)) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (err instanceof JobFailure) throw err;
      throw new JobFailure('ManifestNotReadable', `The manifest ${bucket}/${m.object} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
    const rows = await ManifestRows.scan(text, m.fields);
    this.manifests.set(job.id, rows);
    if (this.manifests.size > MANIFESTS_HELD) this.manifests.delete(this.manifests.keys().next().value!);
    return rows;
  }

  private async asRole(role: JobRole, checks: readonly TaskCheck[], code: string, facts?: TaskFacts): Promise<void> {
    try {
      await this.deps.authorize(role, checks, facts);
    } catch (err) {
      throw new JobFailure(code, `The role ${role.roleName} may not ${checks[0]!.action} on ${checks[0]!.bucket}${checks[0]!.key !== null ? `/${checks[0]!.key}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** One task: authorized as the role, then applied as the API would apply it. */
  private async runTask(job: BatchJob, role: JobRole, task: Task): Promise<TaskResult> {
    const { bucket, key, versionId } = task;
    const op = job.spec.operation;
    const v = versionId !== undefined ? { versionId } : {};
    const check = (action: string, versioned: string): TaskCheck => ({ action: versionId !== undefined ? versioned : action, bucket, key, ...v });
    try {
      // The bucket as it is before the task is authorized: the write lands only in it (inside the store's
      // transaction), not in a bucket of the name deleted and created again since (by any account) that the role's
      // authorization never judged.
      const target = await this.deps.ctx.meta.getBucket(bucket);
      if (target === null) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
      const sameBucket = incarnationOf(target);
      switch (op.kind) {
        case 'PutObjectAcl':
          await this.deps.authorize(role, [check('oss:PutObjectAcl', 'oss:PutObjectVersionAcl')], { headers: { 'x-oss-object-acl': op.acl } });
          await this.deps.objects.setAcl(bucket, key, op.acl, versionId, sameBucket);
          break;
        case 'PutObjectTagging':
          await this.deps.authorize(role, [check('oss:PutObjectTagging', 'oss:PutObjectVersionTagging')], { requestTags: op.tags });
          await this.deps.objects.setTags(bucket, key, op.tags, versionId, sameBucket);
          break;
        case 'AddObjectTagging': {
          // Read, merge, write: not atomic, as OSS's CreateJob page says of AddObjectTagging.
          await this.deps.authorize(role, [check('oss:GetObjectTagging', 'oss:GetObjectVersionTagging'), check('oss:PutObjectTagging', 'oss:PutObjectVersionTagging')], { requestTags: op.tags });
          const cur = await this.deps.objects.head(bucket, key, versionId, 'NoSuchKey');
          const merged = new Map(cur.tags);
          for (const [k, val] of op.tags) merged.set(k, val);
          await this.deps.objects.setTags(bucket, key, [...merged], versionId, sameBucket);
          break;
        }
        case 'DeleteObjectTagging':
          await this.deps.authorize(role, [check('oss:DeleteObjectTagging', 'oss:DeleteObjectVersionTagging')]);
          await this.deps.objects.setTags(bucket, key, [], versionId, sameBucket);
          break;
        case 'RestoreObject':
          await this.deps.authorize(role, [check('oss:RestoreObject', 'oss:RestoreObjectVersion')]);
          await this.deps.archive.restore(bucket, key, {
            ...(op.days !== undefined ? { days: String(op.days) } : {}),
            ...(op.tier !== undefined ? { tier: op.tier } : {}),
            jobParameters: op.tier !== undefined,
            job: job.id,
          }, versionId, sameBucket);
          break;
      }
      return { task, ok: true, code: '', status: 200, message: 'Successful' };
    } catch (err) {
      if (isAppError(err)) return { task, ok: false, code: err.code, status: err.status, message: err.message };
      return { task, ok: false, code: 'InternalError', status: 500, message: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Writes one report object under `<Report.Prefix>/job-<id>/`, as the role may (PutObject). */
  private async writeReport(job: BatchJob, role: JobRole, name: string, body: string, contentType: string): Promise<void> {
    const report = job.spec.report!;
    const bucket = bucketNameOf(report.bucket);
    const base = report.prefix === '' || report.prefix.endsWith('/') ? report.prefix : `${report.prefix}/`;
    const key = `${base}job-${job.id}/${name}`;
    // Captured before the check: the report lands only in the bucket the role was authorized on.
    const target = await this.deps.ctx.meta.getBucket(bucket);
    await this.asRole(role, [{ action: 'oss:PutObject', bucket, key }], 'ReportAccessDenied');
    const bytes = Buffer.from(body, 'utf8');
    // A run cut short by a kill after this file was written runs its page again: the same file is kept, not written
    // again (a WORM or overwrite-protected report bucket would refuse it and fail the job).
    const there = await Promise.resolve().then(() => this.deps.objects.head(bucket, key)).catch(() => null);
    if (there !== null && there.etag.replace(/"/g, '').toLowerCase() === createHash('md5').update(bytes).digest('hex')) return;
    try {
      await this.deps.objects.put({
        bucket, key, body: Readable.from([bytes]), expect: { length: bytes.length }, forbidOverwrite: false,
        headers: { contentType }, userMeta: {}, ...(target !== null ? { sameBucket: incarnationOf(target) } : {}),
      });
    } catch (err) {
      throw new JobFailure('ReportWriteFailed', `The report ${bucket}/${key} cannot be written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Ends the job: Complete, Cancelled or Failed, with the time it spent Active. A job that ran tasks (or completed)
   * and asks for a report gets the report's manifest.json; a report that cannot be written fails a completing job.
   */
  private async finish(key: string, status: Extract<JobStatus, 'Complete' | 'Cancelled' | 'Failed'>, failure?: { code: string; reason: string }): Promise<void> {
    const job = await this.save(key, (cur) => cur);
    this.manifests.delete(job.id);
    let outcome: { status: JobStatus; failure?: { code: string; reason: string } } = { status, ...(failure ? { failure } : {}) };
    const ran = job.activeSince !== undefined || job.activeMs > 0;
    if (job.spec.report?.enabled === true && (ran || status === 'Complete')) {
      try {
        const role = await this.roleOf(job);
        const parts = Array.from({ length: job.reportParts }, (_, i) => `results/${String(i).padStart(6, '0')}.csv`);
        await this.writeReport(job, role, 'manifest.json', JSON.stringify({
          Format: 'Report_CSV', ReportCreationDate: new Date(this.deps.ctx.clock()).toISOString(), JobId: job.id, Status: status,
          TotalNumberOfTasks: job.total, NumberOfTasksSucceeded: job.succeeded, NumberOfTasksFailed: job.failed,
          ReportSchema: 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage', Results: parts,
        }, null, 2), 'application/json');
      } catch (err) {
        if (status === 'Complete') outcome = { status: 'Failed', failure: err instanceof JobFailure ? { code: err.code, reason: err.message } : { code: 'ReportWriteFailed', reason: String(err) } };
      }
    }
    const now = this.deps.ctx.clock();
    await this.save(key, (cur) => {
      const { holder: _h, heartbeat: _b, activeSince, ...rest } = cur;
      return {
        ...rest, status: outcome.status, terminated: now, activeMs: cur.activeMs + (activeSince !== undefined ? now - activeSince : 0),
        ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
      };
    });
    this.opts.log(outcome.status === 'Complete' ? 'info' : 'warn', 'batch job ended', {
      job: job.id, account: job.accountId, status: outcome.status, total: job.total, succeeded: job.succeeded, failed: job.failed,
      ...(outcome.failure ? { failure: outcome.failure.code } : {}),
    });
  }

  /** A change of the job this process holds (Lost when another process took it, or it is gone). */
  private async save(key: string, decide: (job: BatchJob) => BatchJob): Promise<BatchJob> {
    const next = await this.update(key, (cur) => (cur.holder === this.holder ? decide(cur) : null));
    if (next === null) throw new Lost();
    return next;
  }

  /** One read-modify-write of the job's entry; null when the decider declines (or the job is gone). */
  private async update(key: string, decide: (job: BatchJob) => BatchJob | null): Promise<BatchJob | null> {
    let out: BatchJob | null = null;
    await this.deps.ctx.meta.updateIndexEntry(JOB_INDEX, key, (text) => {
      const cur = decodeJob(text);
      if (cur === null) return text;
      const next = decide(cur);
      if (next === null) return text;
      out = next;
      return JSON.stringify(next);
    });
    return out;
  }
}

/** The report's CSV lines: bucket, key (URL-encoded), version, succeeded/failed, error code, HTTP status, message. */
function reportCsv(results: readonly TaskResult[]): string {
  return results.map((r) => [
    r.task.bucket, encodeURIComponent(r.task.key), r.task.versionId ?? '', r.ok ? 'succeeded' : 'failed', r.code, String(r.status), r.message,
  ].map(quote).join(',') + '\n').join('');
}
