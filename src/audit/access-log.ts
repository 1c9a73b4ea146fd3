import { ACCESS_LOG_FLUSH_SECONDS } from '../defaults.js';
import { loggingOf } from '../domain/logging.js';
import type { Bucket } from '../domain/model.js';
import { isAppError } from '../errors.js';
import { redactUrl } from '../log.js';
import { uriEncode } from '../util/uri-encode.js';
import type { RequestRecord } from './record.js';

// Bucket access logging (docs/logging.md): every finished OSS request on a bucket whose logging is on
// becomes one line in OSS's access log format, batched per source bucket and written as an object
// `<TargetPrefix><SourceBucket>YYYY-mm-DD-HH-MM-SS-0001` into the target bucket through the normal write
// path (quota, versioning, encryption and WORM of the target apply). Recording never waits for anything:
// the request is answered before its line exists. Log objects are written by the server itself, not over
// HTTP, so they produce no requests and are never logged themselves. Like OSS, a line may be lost (a
// crash before a flush, a full disk, a target deleted since); nothing is retried forever.

export interface AccessLogDeps {
  getBucket(name: string): Promise<Bucket | null>;
  /** The bucket as the store holds it in memory (undefined: not without a read); MetadataStore.cachedBucket. */
  cachedBucket?(name: string): Bucket | null | undefined;
  /**
   * Writes one log object (never overwriting one: false when the name is taken). Throws the store's
   * AppError when the target refuses it.
   */
  write(bucket: string, key: string, body: Buffer): Promise<boolean>;
  clock: () => number;
  log: (event: string, fields: Record<string, unknown>) => void;
}

export interface AccessLogOptions {
  /**
   * A batch is written this many milliseconds after its first line (default an hour, ACCESS_LOG_FLUSH_SECONDS, as
   * OSS generates its log files hourly; development: shorter, e.g. for tests). Counted per batch, not on a clock
   * shared by all: a line is never written sooner than this after its request. The Go SDK's own TestSetBucketLogging
   * turns logging on and off and deletes the target bucket seconds later, which a shared tick could fill in between;
   * the Java SDK's testNormalSetBucketLogging deletes both buckets 70 s after its first logged request.
   */
  flushIntervalMs?: number;
  /** Flush a batch as soon as it holds this many lines (default 1,000). */
  maxRecords?: number;
}

interface Batch {
  source: string;
  target: string;
  prefix: string;
  lines: string[];
  /** Characters of `lines`. */
  chars: number;
  /** When its first line came (deps.clock()). */
  since: number;
  /** Full, and queued to be written alone. */
  queued?: boolean;
}

/** A batch holding this many times maxRecords while a flush is slow drops further lines (memory stays bounded). */
const BACKLOG_FACTOR = 10;

/**
 * Bytes of lines that start a flush of their batch, and bytes of lines held in all (batches gathering and being
 * written): past it further lines are dropped (counted in `dropped`). A line quotes the request's URL, Referer and
 * User-Agent, up to ~16 KiB of headers and more once percent-encoded, so 1,000 lines could be 16-50 MB and the
 * backlog of a slow target 10 times that, per logged bucket, for anonymous requests.
 */
export const ACCESS_LOG_FLUSH_CHARS = 1024 * 1024;
export const ACCESS_LOG_HELD_MAX_CHARS = 16 * 1024 * 1024;

export class AccessLogWriter {
  private readonly batches = new Map<string, Batch>();
  private readonly flushIntervalMs: number;
  private readonly maxRecords: number;
  private timer: NodeJS.Timeout | null = null;
  /** Flushes run one after another (so names and order stay sane). */
  private chain: Promise<void> = Promise.resolve();
  /** Lookups and formatting in progress, awaited by flush() so a flush sees every finished request. */
  private readonly pending = new Set<Promise<void>>();
  private lastStamp = '';
  private sequence = 0;
  /** Characters of the lines in batches and in writes not yet finished. */
  private held = 0;
  dropped = 0;

  constructor(
    private readonly deps: AccessLogDeps,
    opts: AccessLogOptions = {},
  ) {
    this.flushIntervalMs = opts.flushIntervalMs ?? ACCESS_LOG_FLUSH_SECONDS * 1000;
    this.maxRecords = opts.maxRecords ?? 1000;
  }

  start(): void {
    if (this.timer !== null) return;
    // Batches are looked at four times per interval, so one is written between 1 and 1.25 intervals after its first line.
    this.timer = setInterval(() => void this.flushRipe(), Math.max(10, Math.floor(this.flushIntervalMs / 4)));
    this.timer.unref();
  }

  /**
   * False when requests on `bucket` are known not to be logged (no such bucket, or no logging configured, as
   * the store holds its record now): the request path then gathers no access-log facts at all.
   */
  mayLog(bucket: string): boolean {
    // Most buckets log nothing, and the store usually holds their record: then no lookup, no promise.
    const known = this.deps.cachedBucket?.(bucket);
    if (known === null) return false;
    if (known === undefined) return true;
    try {
      return loggingOf(known) !== null;
    } catch {
      // A stored configuration that does not parse: enqueue() meets it again and reports it, as before.
      return true;
    }
  }

  /** Called for every finished request; returns at once and never throws. */
  record(rec: RequestRecord): void {
    if (rec.service !== 'oss' || rec.access === undefined || !this.mayLog(rec.access.bucket)) return;
    const p = this.enqueue(rec)
      .catch((err: unknown) => this.deps.log('access log record failed', { err: String(err) }))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async enqueue(rec: RequestRecord): Promise<void> {
    const source = rec.access!.bucket;
    const bucket = await this.deps.getBucket(source);
    const config = bucket ? loggingOf(bucket) : null;
    if (!bucket || !config) return;
    const id = `${config.targetBucket}\n${config.targetPrefix}\n${source}`;
    let batch = this.batches.get(id);
    if (!batch) {
      batch = { source, target: config.targetBucket, prefix: config.targetPrefix, lines: [], chars: 0, since: this.deps.clock() };
      this.batches.set(id, batch);
    }
    if (batch.lines.length >= this.maxRecords * BACKLOG_FACTOR || this.held >= ACCESS_LOG_HELD_MAX_CHARS) {
      this.dropped++;
      return;
    }
    const line = accessLogLine(rec, bucket);
    batch.lines.push(line);
    batch.chars += line.length;
    this.held += line.length;
    if (!batch.queued && (batch.lines.length >= this.maxRecords || batch.chars >= ACCESS_LOG_FLUSH_CHARS)) {
      // A full batch is written at once, alone: the others keep their age.
      const full = batch;
      full.queued = true;
      const run = (): Promise<void> => this.writeBatches((b) => b === full);
      this.chain = this.chain.then(run, run);
    }
  }

  /** Characters of log lines held now (gathering or being written). */
  get heldChars(): number {
    return this.held;
  }

  /** Writes every batch now (lines of requests still being looked up included). */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      await Promise.all([...this.pending]);
      await this.writeBatches(() => true);
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  /** Writes the batches whose first line is at least one interval old (the timer's flush). */
  private flushRipe(): void {
    const due = this.deps.clock() - this.flushIntervalMs;
    if (![...this.batches.values()].some((b) => b.since <= due)) return;
    const run = (): Promise<void> => this.writeBatches((b) => b.since <= due);
    this.chain = this.chain.then(run, run);
  }

  private async writeBatches(take: (b: Batch) => boolean): Promise<void> {
    const batches: Batch[] = [];
    for (const [id, b] of this.batches) {
      if (!take(b)) continue;
      this.batches.delete(id);
      if (b.lines.length > 0) batches.push(b);
    }
    for (const batch of batches) await this.writeBatch(batch);
  }

  private async writeBatch(batch: Batch): Promise<void> {
    try {
      await this.writeLines(batch);
    } finally {
      this.held -= batch.chars;
    }
  }

  private async writeLines(batch: Batch): Promise<void> {
    const body = Buffer.from(`${batch.lines.join('\n')}\n`, 'utf8');
    try {
      // The target was checked to be the source's owner's when logging was set; a bucket of that name may since
      // have been deleted and created by another account: its lines never go there.
      const [source, target] = await Promise.all([this.deps.getBucket(batch.source), this.deps.getBucket(batch.target)]);
      if (!source || !target || source.ownerAccountId !== target.ownerAccountId) throw new Error('the target bucket is missing or no longer the source owner\'s');
      // A name taken (another process, the same second) moves on to the next sequence number.
      for (let attempt = 0; attempt < 100; attempt++) {
        if (await this.deps.write(batch.target, this.objectName(batch), body)) return;
      }
      throw new Error('no free log object name');
    } catch (err) {
      this.deps.log('access log not written', {
        source: batch.source, target: batch.target, lines: batch.lines.length, err: isAppError(err) ? err.code : String(err),
      });
    }
  }

  private objectName(batch: Batch): string {
    const d = new Date(this.deps.clock());
    const two = (n: number): string => String(n).padStart(2, '0');
    const stamp = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${two(d.getUTCHours())}-${two(d.getUTCMinutes())}-${two(d.getUTCSeconds())}`;
    if (stamp !== this.lastStamp) [this.lastStamp, this.sequence] = [stamp, 0];
    this.sequence++;
    return `${batch.prefix}${batch.source}${stamp}-${String(this.sequence).padStart(4, '0')}`;
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[02/May/2012:00:00:04 +0000]`: when the request arrived, in UTC. */
function logTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `[${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000]`;
}

/** A quoted field: `"` and `\`, controls and spaces-that-are-not-spaces percent-encoded, so a line always splits the same way. */
function quoted(v: string | undefined): string {
  if (v === undefined || v === '') return '"-"';
  // C1 controls (U+0080–U+009F: NEL is a line break to some readers) and the Unicode line/paragraph separators too.
  return `"${v.replace(/["\\\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => encodeURIComponent(c))}"`;
}

function requesterId(rec: RequestRecord): string | undefined {
  const p = rec.principal;
  if (p === null || p.type === 'anonymous') return undefined;
  if (p.type === 'user') return p.userId;
  return p.accountId;
}

/**
 * One line of OSS's access log format: the fields in the documented order, space-separated; text fields
 * quoted, numbers bare, `-` for what does not apply (docs/logging.md lists them).
 */
export function accessLogLine(rec: RequestRecord, bucket: Bucket): string {
  const a = rec.access!;
  const ms = Math.max(0, Math.round(rec.latencyMs));
  const upload = a.method === 'PUT' || a.method === 'POST';
  return [
    rec.sourceIp || '-',
    '-',
    '-',
    logTime(rec.time),
    quoted(`${a.method} ${redactUrl(a.url)} HTTP/${a.httpVersion}`),
    String(rec.status),
    String(rec.bytesOut),
    String(ms),
    quoted(a.referer),
    quoted(a.userAgent),
    quoted(a.host),
    quoted(rec.requestId),
    quoted('true'),
    quoted(requesterId(rec)),
    quoted(rec.operation),
    quoted(a.bucket),
    quoted(a.key === null ? undefined : uriEncode(a.key, true)),
    a.objectSize !== undefined ? String(a.objectSize) : '-',
    String(ms),
    quoted(rec.errorCode),
    String(a.headerBytes + rec.bytesIn),
    quoted(bucket.ownerAccountId),
    upload && rec.status < 300 ? String(rec.bytesIn) : '-',
    quoted(undefined),
    quoted(undefined),
    quoted(undefined),
    quoted(undefined),
    quoted(a.accessKeyId),
    quoted(`acs:oss:*:${bucket.ownerAccountId}:${a.bucket}`),
  ].join(' ');
}
