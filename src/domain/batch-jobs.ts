import { randomBytes } from 'node:crypto';
import { AppError, invalidArgument } from '../errors.js';
import type { MetadataStore } from '../store/meta/types.js';
import { parseObjectAcl, validateTags } from './objects.js';
import { roleOfArn } from '../policy/arn.js';

/**
 * OSS Batch Operations (docs/batch-operations.md): jobs that apply one operation (object tags, object ACL, restore)
 * to every object a manifest names (a CSV object, or a key prefix of a bucket). Rules and records only, no HTTP: the
 * handlers (oss/handlers/batch-jobs.ts) read the request into a JobSpec, the worker (domain/batch-job-worker.ts) runs
 * the job.
 *
 * Jobs belong to an account and are kept in the metadata store's generic configuration table as one store-wide index
 * entry each (`MetadataStore.updateIndexEntry`, index `batch-job`, key `<account>/<hex id>`; the hex id starts with the
 * creation time, so an account's jobs list in creation order). A ClientRequestToken is claimed in the index
 * `batch-job-token` (`<account>/<token>` → the job's id). Every change is a read-modify-write of the one entry inside
 * the store's transaction, so requests and the workers of several processes (PostgreSQL) never lose one another's.
 */

export const JOB_INDEX = 'batch-job';
export const TOKEN_INDEX = 'batch-job-token';
/** Per account (`<account>`), the hex ids of its jobs not known to have ended: what the per-account cap counts. */
export const UNFINISHED_INDEX = 'batch-job-unfinished';

export const JOB_STATUSES = [
  'New', 'Preparing', 'Suspended', 'Ready', 'Active', 'Pausing', 'Paused',
  'Complete', 'Completing', 'Cancelling', 'Cancelled', 'Failing', 'Failed',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job in one of these never changes again. */
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['Complete', 'Cancelled', 'Failed']);
/** UpdateJobStatus Cancelled is refused in these (OSS's UpdateJobStatus page). */
const NOT_CANCELLABLE: ReadonlySet<JobStatus> = new Set(['Cancelled', 'Cancelling', 'Complete', 'Completing', 'Failed', 'Failing']);
/** A worker is (or may be) on the job: a cancel waits for it (Cancelling), as OSS's "does not stop immediately". */
const RUNNING: ReadonlySet<JobStatus> = new Set(['Preparing', 'Active', 'Pausing']);

export type JobOperation =
  | { kind: 'PutObjectTagging'; tags: Array<[string, string]> }
  | { kind: 'AddObjectTagging'; tags: Array<[string, string]> }
  | { kind: 'DeleteObjectTagging' }
  | { kind: 'PutObjectAcl'; acl: string }
  | { kind: 'RestoreObject'; days?: number; tier?: string };

export interface JobReport {
  enabled: boolean;
  /** The bucket as given (a name, or `acs:oss:::<name>`: bucketNameOf). */
  bucket: string;
  prefix: string;
  scope: 'AllTasks' | 'FailedTasksOnly';
  /** Whether ReportScope was given (DescribeJob echoes what was sent). */
  scopeGiven: boolean;
}

export interface JobManifest {
  bucket: string;
  object: string;
  etag: string;
  versionId?: string;
  /** Spec.Fields as given (`Bucket,Key[,VersionId]`) and Spec.Format. */
  fields: string;
  format: string;
}

export interface JobSpec {
  confirmationRequired: boolean;
  operation: JobOperation;
  report: JobReport | null;
  clientRequestToken: string;
  manifest: JobManifest | null;
  keyPrefix: { sourceBucket: string; prefix: string } | null;
  description: string;
  priority: number;
  roleArn: string;
}

export interface BatchJob {
  id: string;
  accountId: string;
  spec: JobSpec;
  status: JobStatus;
  statusUpdateReason: string;
  /** UpdateJobStatus Ready while Preparing: run without stopping in Suspended. */
  confirmed: boolean;
  /** Milliseconds since the epoch. */
  created: number;
  terminated?: number;
  total: number;
  succeeded: number;
  failed: number;
  /** Time spent Active before `activeSince` (ms), and since when it is Active now. */
  activeMs: number;
  activeSince?: number;
  failure?: { code: string; reason: string };
  /**
   * When Preparing listed the key prefix: its tasks are the objects written by then (the job's own report files, and
   * objects written while it runs, are not among them).
   */
  preparedAt?: number;
  /** When Preparing left it Suspended (ConfirmationRequired): a job not confirmed in time fails (the worker). */
  suspendedAt?: number;
  /** Where the tasks go on: the last key done (a key prefix) or the number of manifest rows done. */
  cursor: string;
  /** Report result files written so far (`results/<n>.csv`). */
  reportParts: number;
  /** The worker process on the job, and when it last said so (ms). */
  holder?: string;
  heartbeat?: number;
}

/** Bounds (the cloud's where published, else Alunite's; docs/batch-operations.md). */
export const BATCH_LIMITS = {
  /** targetPriority / Priority: 0 to 2147483647 (OSS's UpdateJobPriority page). */
  maxPriority: 2_147_483_647,
  /** statusUpdateReason: 1 to 256 characters (OSS's UpdateJobStatus page). */
  reasonChars: 256,
  /** Description [UNVERIFIED: S3's bound]. */
  descriptionChars: 256,
  /** ClientRequestToken [UNVERIFIED: S3's bound]. */
  tokenChars: 64,
  /** ListJobs max-keys: 1 to 1,000, 100 by default (OSS's ListJobs page). */
  maxListKeys: 1000,
  defaultListKeys: 100,
  /** continuation-token: 1 to 1,024 characters (OSS's ListJobs page). */
  tokenMaxChars: 1024,
  /**
   * Jobs of one account not yet ended (any status but Complete, Cancelled, Failed); CreateJob beyond is refused
   * TooManyJobs (OSS's error 0017-00001003, "more batch jobs than the account quota allows") [UNVERIFIED: OSS
   * publishes no number; Alunite's default, `--batch-max-jobs`].
   */
  maxUnfinishedJobs: 1000,
} as const;

/** A reservation whose job entry is still missing this long after its creation time was a create that never finished. */
const RESERVATION_GRACE_MS = 60_000;

// The RoleArn parser lives with the other ARNs (policy/arn.ts): authorization reads it too (ram:PassRole).
export { roleOfArn };

/** A bucket as a job names it: a plain name or `acs:oss:::<name>`. */
export function bucketNameOf(given: string): string {
  return given.startsWith('acs:oss:::') ? given.slice('acs:oss:::'.length) : given;
}

/** The job id the API shows (44 characters, OSS's form) of its hex id, and back (null: not one of ours). */
export function jobIdOf(hex: string): string {
  return Buffer.from(hex, 'latin1').toString('base64');
}
function hexOfJobId(id: string): string | null {
  const hex = Buffer.from(id, 'base64').toString('latin1');
  return /^[0-9a-f]{32}$/.test(hex) && jobIdOf(hex) === id ? hex : null;
}

/** A batchJobId parameter: 44 characters of letters, digits and `=` (OSS's pages), else InvalidArgument. */
export function assertJobIdForm(id: string): void {
  if (!/^[A-Za-z0-9+/=]{44}$/.test(id)) throw invalidArgument('The batchJobId must be 44 characters of letters and digits.', 'batchJobId', id);
}

const jobKey = (accountId: string, hex: string): string => `${accountId}/${hex}`;
const statusOf = (s: string): JobStatus | undefined => (JOB_STATUSES as readonly string[]).includes(s) ? (s as JobStatus) : undefined;

/** Checks what no XML schema says (bounds, names, one operation); the handler has read the document. */
export function validateSpec(spec: JobSpec): void {
  const { operation } = spec;
  if (operation.kind === 'PutObjectTagging' || operation.kind === 'AddObjectTagging') validateTags(operation.tags);
  if (operation.kind === 'PutObjectAcl') parseObjectAcl(operation.acl);
  if (operation.kind === 'RestoreObject') {
    if (operation.days !== undefined && !(operation.days >= 1 && operation.days <= 365)) throw invalidArgument('RestoreObject.Days must be 1 to 365.', 'Operation.RestoreObject.Days', String(operation.days));
    if (operation.tier !== undefined && !['Expedited', 'Standard', 'Bulk'].includes(operation.tier)) throw invalidArgument('RestoreObject.Tier must be Expedited, Standard or Bulk.', 'Operation.RestoreObject.Tier', operation.tier);
  }
  if ((spec.manifest === null) === (spec.keyPrefix === null)) {
    throw invalidArgument('A job names its objects with exactly one of Manifest and KeyPrefixManifestGenerator.', 'Manifest');
  }
  if (spec.manifest !== null) {
    const fields = spec.manifest.fields.split(',').map((f) => f.trim());
    const named = fields.filter((f) => f !== 'Ignore');
    if (!fields.every((f) => ['Ignore', 'Bucket', 'Key', 'VersionId'].includes(f)) || !named.includes('Bucket') || !named.includes('Key') || new Set(named).size !== named.length) {
      throw invalidArgument('Manifest.Spec.Fields must name Bucket and Key (and may name VersionId, Ignore), comma separated.', 'Manifest.Spec.Fields', spec.manifest.fields);
    }
    if (spec.manifest.bucket === '' || spec.manifest.object === '' || spec.manifest.etag === '') throw invalidArgument('Manifest.Location needs Bucket, Object and ETag.', 'Manifest.Location');
  }
  if (spec.keyPrefix !== null && spec.keyPrefix.sourceBucket === '') throw invalidArgument('KeyPrefixManifestGenerator needs a SourceBucket.', 'KeyPrefixManifestGenerator.SourceBucket');
  if (spec.report !== null && spec.report.enabled && spec.report.bucket === '') throw invalidArgument('An enabled Report needs a Bucket.', 'Report.Bucket');
  if (!(Number.isInteger(spec.priority) && spec.priority >= 0 && spec.priority <= BATCH_LIMITS.maxPriority)) throw invalidArgument('Priority must be 0 to 2147483647.', 'Priority', String(spec.priority));
  if ([...spec.description].length > BATCH_LIMITS.descriptionChars) throw invalidArgument('Description is at most 256 characters.', 'Description');
  if ([...spec.clientRequestToken].length > BATCH_LIMITS.tokenChars) throw invalidArgument('ClientRequestToken is at most 64 characters.', 'ClientRequestToken');
  if (roleOfArn(spec.roleArn) === null) throw invalidArgument('RoleArn must be acs:ram::<account id>:role/<role name>.', 'RoleArn', spec.roleArn);
}

export interface ListJobsInput {
  statuses: ReadonlySet<JobStatus> | null;
  maxKeys: number;
  /** The last job id of the previous page (continuation-token). */
  after: string;
}

/** ListJobs' batchJobStatuses: names separated by `|` or `,` (spaces ignored), each a job status. */
export function parseStatuses(raw: string): ReadonlySet<JobStatus> {
  const out = new Set<JobStatus>();
  for (const part of raw.split(/[|,]/)) {
    const name = part.trim();
    if (name === '') continue;
    const s = statusOf(name);
    if (s === undefined) throw invalidArgument(`${name} is not a job status.`, 'batchJobStatuses', raw);
    out.add(s);
  }
  return out;
}

export interface BatchJobStoreView {
  meta: Pick<MetadataStore, 'getIndexEntry' | 'listIndexEntries' | 'updateIndexEntry' | 'getBucket'>;
  clock: () => number;
  /** BATCH_LIMITS.maxUnfinishedJobs unless given. */
  maxUnfinishedJobs?: number;
}

const idsOf = (text: string | null): string[] => {
  if (text === null) return [];
  try {
    const ids: unknown = JSON.parse(text);
    return Array.isArray(ids) ? ids.filter((h): h is string => typeof h === 'string') : [];
  } catch {
    return [];
  }
};

/** Reads a stored job (null when the text is not one: never thrown at a request). */
export function decodeJob(text: string | null): BatchJob | null {
  if (text === null) return null;
  try {
    const j = JSON.parse(text) as BatchJob;
    return typeof j === 'object' && j !== null && typeof j.id === 'string' ? j : null;
  } catch {
    return null;
  }
}

/** The jobs service the handlers call: create, describe, list, priority, status. */
export class BatchJobService {
  constructor(private readonly deps: BatchJobStoreView, private readonly wake: () => void = () => undefined) {}

  /** The clock the jobs' times are read against (ElapsedTimeInActiveSeconds of an Active job). */
  now(): number {
    return this.deps.clock();
  }

  /**
   * Creates a job (status New; the worker prepares it). The buckets it reads must exist (NoSuchBucket); whether its
   * role exists and may act is the worker's question, as the cloud's (a job whose role cannot act fails). A token
   * the account has used before answers that job's id, creating nothing.
   */
  async create(accountId: string, spec: JobSpec): Promise<string> {
    validateSpec(spec);
    for (const b of [spec.keyPrefix?.sourceBucket, spec.manifest?.bucket, spec.report?.enabled === true ? spec.report.bucket : undefined]) {
      if (b === undefined) continue;
      const name = bucketNameOf(b);
      if ((await this.deps.meta.getBucket(name)) === null) throw new AppError('NoSuchBucket', undefined, { BucketName: name });
    }
    const now = this.deps.clock();
    const hex = (Math.floor(now).toString(16).padStart(12, '0') + randomBytes(10).toString('hex')).slice(0, 32);
    const id = jobIdOf(hex);
    // A token used before answers its job even at the cap (read first; claimed below, after the reservation).
    const tokenKey = `${accountId}/${spec.clientRequestToken}`;
    const known = spec.clientRequestToken === '' ? null : await this.deps.meta.getIndexEntry(TOKEN_INDEX, tokenKey);
    if (known !== null) return known;
    await this.reserve(accountId, hex, now);
    if (spec.clientRequestToken !== '') {
      let held: string | null = null;
      await this.deps.meta.updateIndexEntry(TOKEN_INDEX, tokenKey, (cur) => {
        held = cur;
        return cur ?? id;
      });
      if (held !== null) {
        await this.deps.meta.updateIndexEntry(UNFINISHED_INDEX, accountId, (cur) => JSON.stringify(idsOf(cur).filter((h) => h !== hex)));
        return held;
      }
    }
    const job: BatchJob = {
      id, accountId, spec, status: 'New', statusUpdateReason: '', confirmed: false, created: now,
      total: 0, succeeded: 0, failed: 0, activeMs: 0, cursor: '', reportParts: 0,
    };
    await this.deps.meta.updateIndexEntry(JOB_INDEX, jobKey(accountId, hex), () => JSON.stringify(job));
    this.wake();
    return id;
  }

  /**
   * Counts the new job (`hex`) among the account's unfinished ones, or refuses it TooManyJobs at the cap, in one
   * transaction of the account's entry, so concurrent creates cannot pass the cap together. Only at the cap are the
   * listed jobs read, to drop those that ended (an ended job never runs again, so dropping it is safe whatever
   * happens meanwhile) and those whose create never finished.
   */
  private async reserve(accountId: string, hex: string, now: number): Promise<void> {
    const cap = this.deps.maxUnfinishedJobs ?? BATCH_LIMITS.maxUnfinishedJobs;
    const listed = idsOf(await this.deps.meta.getIndexEntry(UNFINISHED_INDEX, accountId));
    const ended = new Set<string>();
    if (listed.length >= cap) {
      for (const h of listed) {
        const job = decodeJob(await this.deps.meta.getIndexEntry(JOB_INDEX, jobKey(accountId, h)));
        const abandoned = job === null && now - parseInt(h.slice(0, 12), 16) >= RESERVATION_GRACE_MS;
        if (abandoned || (job !== null && FINAL_STATUSES.has(job.status))) ended.add(h);
      }
    }
    let refused = false;
    await this.deps.meta.updateIndexEntry(UNFINISHED_INDEX, accountId, (cur) => {
      const ids = idsOf(cur).filter((h) => !ended.has(h));
      if (ids.length >= cap) {
        refused = true;
        return ended.size > 0 ? JSON.stringify(ids) : cur;
      }
      return JSON.stringify([...ids, hex]);
    });
    if (refused) {
      throw new AppError('TooManyJobs', `The account has ${cap} batch jobs that have not ended; wait for some to end (or cancel them) before creating more.`);
    }
  }

  async describe(accountId: string, id: string): Promise<BatchJob> {
    const hex = this.hexOf(id);
    const job = decodeJob(await this.deps.meta.getIndexEntry(JOB_INDEX, jobKey(accountId, hex)));
    if (job === null) throw noSuchJob(id);
    return job;
  }

  async list(accountId: string, q: ListJobsInput): Promise<{ jobs: BatchJob[]; next: string | null }> {
    let after = `${accountId}/`;
    if (q.after !== '') {
      const hex = hexOfJobId(q.after);
      if (hex === null) throw invalidArgument('The continuation-token is not one ListJobs gave.', 'continuation-token', q.after);
      after = jobKey(accountId, hex);
    }
    const jobs: BatchJob[] = [];
    for (;;) {
      const page = await this.deps.meta.listIndexEntries(JOB_INDEX, { prefix: `${accountId}/`, after, limit: 1000 });
      for (const e of page) {
        after = e.id;
        const job = decodeJob(e.document);
        if (job === null || (q.statuses !== null && q.statuses.size > 0 && !q.statuses.has(job.status))) continue;
        if (jobs.length === q.maxKeys) return { jobs, next: jobs[jobs.length - 1]!.id };
        jobs.push(job);
      }
      if (page.length < 1000) return { jobs, next: null };
    }
  }

  async updatePriority(accountId: string, id: string, priority: number): Promise<BatchJob> {
    if (!(Number.isInteger(priority) && priority >= 0 && priority <= BATCH_LIMITS.maxPriority)) throw invalidArgument('targetPriority must be 0 to 2147483647.', 'targetPriority', String(priority));
    return this.change(accountId, id, (job) => ({ ...job, spec: { ...job.spec, priority } }));
  }

  /**
   * Cancelled: refused once the job is ending or ended; a job a worker may be on is Cancelling until the worker stops
   * it, any other is Cancelled at once. Ready: only from Suspended (run it) or Preparing (run it once prepared).
   */
  async updateStatus(accountId: string, id: string, requested: string, reason: string | undefined): Promise<BatchJob> {
    if (requested !== 'Cancelled' && requested !== 'Ready') throw invalidArgument('requestedJobStatus must be Cancelled or Ready.', 'requestedJobStatus', requested);
    if (reason !== undefined && (reason === '' || [...reason].length > BATCH_LIMITS.reasonChars)) throw invalidArgument('statusUpdateReason must be 1 to 256 characters.', 'statusUpdateReason', reason);
    const job = await this.change(accountId, id, (cur) => {
      const withReason = reason === undefined ? cur : { ...cur, statusUpdateReason: reason };
      if (requested === 'Cancelled') {
        if (NOT_CANCELLABLE.has(cur.status)) throw badTransition(cur.status, requested);
        if (RUNNING.has(cur.status)) return { ...withReason, status: 'Cancelling' };
        return { ...withReason, status: 'Cancelled', terminated: this.deps.clock() };
      }
      if (cur.status === 'Suspended') return { ...withReason, status: 'Ready' };
      if (cur.status === 'Preparing') return { ...withReason, confirmed: true };
      throw badTransition(cur.status, requested);
    });
    this.wake();
    return job;
  }

  private hexOf(id: string): string {
    assertJobIdForm(id);
    const hex = hexOfJobId(id);
    if (hex === null) throw noSuchJob(id);
    return hex;
  }

  /** One read-modify-write of the job inside the store's transaction; NoSuchJob when it is not the account's. */
  private async change(accountId: string, id: string, decide: (job: BatchJob) => BatchJob): Promise<BatchJob> {
    const hex = this.hexOf(id);
    let after: BatchJob | null = null;
    await this.deps.meta.updateIndexEntry(JOB_INDEX, jobKey(accountId, hex), (cur) => {
      const job = decodeJob(cur);
      if (job === null) return cur;
      after = decide(job);
      return JSON.stringify(after);
    });
    if (after === null) throw noSuchJob(id);
    return after;
  }
}

function noSuchJob(id: string): AppError {
  return new AppError('NoSuchJob', undefined, { JobId: id });
}

function badTransition(from: JobStatus, to: string): AppError {
  return new AppError('InvalidRequest', `The job is ${from}: it cannot be made ${to}.`, { CurrentStatus: from, RequestedJobStatus: to });
}
