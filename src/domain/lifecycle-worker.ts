import { setImmediate as nextTurn } from 'node:timers/promises';
import { dropBlobs, garbageSegments, type DomainContext } from './context.js';
import type { DeleteOutcome, NoncurrentCursor } from '../store/meta/types.js';
import { VERSIONING_CONFIG } from '../store/meta/versions.js';
import { accessTrackingSince } from './access-monitor.js';
import { coldness, LIFECYCLE, lifecycleOf, matchWeight, objectActionDue, ruleMatches, scanPrefixes, uploadAbortDue, type LifecycleConfig, type LifecycleSubject, type ObjectAction, type TransitionClass } from './lifecycle.js';
import type { Bucket, ObjectRecord } from './model.js';
import { incarnationOf, isIncarnation } from '../store/meta/types.js';
import { AppError } from '../errors.js';
import { PeriodicRun } from '../util/periodic-run.js';

/**
 * The background worker that applies the buckets' lifecycle rules: expires current objects, moves them to
 * colder storage classes, aborts stale multipart uploads.
 *
 * Incremental and restart-safe: each bucket is walked in key order, one page at a time, through the key
 * ranges its rules cover (keyset paging on the (bucket, key) primary key, never OFFSET), and the position
 * is saved every few pages in the bucket's `lifecycle-progress` configuration (with the pass's counts). A
 * tick visits at most `tickBudget` objects per bucket and goes on where the last one stopped, in this
 * process or, after a restart, in the next; a bucket's pass ends with one summary log line, and the next
 * pass starts at the following tick. With a shared database (PostgreSQL) one process at a time runs the
 * worker: it holds the `lifecycle` lease, renewed on every page, until it stops.
 *
 * Every change is decided inside the store's transaction against the object as it is then (an object
 * rewritten since it was listed is judged again), and goes the way an API delete goes: blobs freed after the
 * commit, the free-space admission told. On a versioned bucket expiring adds a delete marker (the store's
 * removeObject, as DeleteObject without a version id), and the noncurrent versions and lone delete markers
 * are found through the store's version indexes.
 *
 * Only the bucket whose rules are applied is touched (red-team wave 16): a tick lists the buckets first and walks
 * them one by one, so the bucket of a name may have been deleted and created again, by any account, before the
 * worker gets there or between two of its pages. Each page re-reads the bucket and stops on another incarnation
 * (or on rules changed meanwhile: the next tick takes them); every removal, abort, transition and position write
 * carries the incarnation into the store, which refuses it inside its transaction on another bucket of the name.
 */

/** The lease row the processes sharing a database compete for (a PostgreSQL migration inserts its row). */
export const LIFECYCLE_LEASE = 'lifecycle';

/** The per-bucket position, kept through the bucket configuration store (not a lifecycle rule). */
export const PROGRESS_CONFIG = 'lifecycle-progress';

/** A pass walks these in order: current objects, noncurrent versions, current delete markers, uploads. */
const PHASES = ['objects', 'noncurrent', 'markers', 'uploads'] as const;
type Phase = (typeof PHASES)[number];

export interface PassCounts {
  scanned: number;
  expired: number;
  /** Noncurrent versions (and noncurrent delete markers) removed for good. */
  noncurrentExpired: number;
  noncurrentTransitioned: number;
  /** Current delete markers without other versions removed (ExpiredObjectDeleteMarker). */
  markersRemoved: number;
  transitioned: number;
  aborted: number;
  /** Objects a retention (WORM) hook kept. */
  retained: number;
}

interface Progress {
  pass: number;
  phase: Phase;
  /**
   * The unit being walked: a rule prefix ('' is also the whole bucket), or for 'noncurrent' a rule ID; and
   * the last key / upload (for 'noncurrent' a JSON NoncurrentCursor) done in it.
   */
  prefix: string;
  after: string;
  uploadId: string;
  startedAt: number;
  counts: PassCounts;
}

/**
 * Called, inside the delete's transaction, with an object or version about to be removed for good; throws (any
 * error) to keep it. The hook for WORM retention (`retentionGuard(ctx, bucket)?.(record)` in domain/retention.ts,
 * wired in server.ts). Adding a delete marker on an Enabled bucket removes nothing and is not checked; on a
 * Suspended one the marker replaces the key's null version, which is.
 */
export type RetentionCheck = (bucket: Bucket, record: ObjectRecord, now: number) => void;

export interface LifecycleWorkerOptions {
  /** Names this process in the lease (unique per process). */
  holder: string;
  /** Length of a lifecycle "day" in ms. */
  dayMs: number;
  /** Tick every this many ms; 0: only when runOnce / runPass is called. */
  intervalMs: number;
  /** Objects (or uploads) per page. */
  pageSize?: number;
  /** Objects (or uploads) one tick visits per bucket before moving on. */
  tickBudget?: number;
  leaseMs?: number;
  retention?: RetentionCheck;
  /** One line per finished bucket pass (`lifecycle pass`) and failures. */
  log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

/** Pages between saves of a bucket's position (and always when a tick leaves the bucket). */
const SAVE_EVERY_PAGES = 10;

export const LIFECYCLE_DEFAULTS = { pageSize: 1000, tickBudget: 100_000, leaseMs: 60_000 } as const;

/**
 * Characters one page may compare judging its objects against the rules (matchWeight per object): a page is judged
 * in one turn of the event loop, its expirations once more inside one store transaction, so its objects are as many
 * as keep that to a few milliseconds (rules as written: the full pageSize; a 1 MiB configuration of long matching
 * prefixes: a few objects).
 */
export const MATCH_CHARS_PER_PAGE = 4_000_000;

const zero = (): PassCounts => ({ scanned: 0, expired: 0, noncurrentExpired: 0, noncurrentTransitioned: 0, markersRemoved: 0, transitioned: 0, aborted: 0, retained: 0 });

/** Thrown by a decider to leave an object as it is (it changed since it was listed). */
class Keep extends Error {}

/** The store's refusal of a write carrying the incarnation of a bucket that is another one now. */
const isNoSuchBucket = (err: unknown): boolean => err instanceof AppError && err.code === 'NoSuchBucket';

export interface TickResult {
  ran: boolean;
  /** Buckets whose pass ended during this tick. */
  finished: Array<{ bucket: string } & PassCounts>;
  /** Whether every lifecycle bucket was left mid-pass (more work waits for the next tick). */
  pending: boolean;
}

export class LifecycleWorker {
  private readonly periodic = new PeriodicRun<TickResult>(() => this.tick(), () => ({ ran: false, finished: [], pending: false }));
  private readonly pageSize: number;
  private readonly tickBudget: number;
  private readonly leaseMs: number;

  constructor(
    private readonly ctx: DomainContext,
    private readonly opts: LifecycleWorkerOptions,
  ) {
    this.pageSize = opts.pageSize ?? LIFECYCLE_DEFAULTS.pageSize;
    this.tickBudget = opts.tickBudget ?? LIFECYCLE_DEFAULTS.tickBudget;
    this.leaseMs = opts.leaseMs ?? LIFECYCLE_DEFAULTS.leaseMs;
  }

  start(): void {
    this.periodic.start(this.opts.intervalMs, (err) => this.opts.log('warn', 'lifecycle tick failed', { err: String(err) }));
  }

  /** One tick now (joins one already running in this process). */
  runOnce(): Promise<TickResult> {
    return this.periodic.runOnce();
  }

  /** Ticks until no bucket is left mid-pass (benchmarks, tests). */
  async runPass(): Promise<TickResult['finished']> {
    const finished: TickResult['finished'] = [];
    for (;;) {
      const r = await this.runOnce();
      finished.push(...r.finished);
      if (!r.ran || !r.pending) return finished;
    }
  }

  /** Stops ticking, waits for a tick in progress and gives the lease up (another process may take over at once). */
  async stop(): Promise<void> {
    await this.periodic.stop();
    await this.ctx.meta.releaseLease?.(LIFECYCLE_LEASE, this.opts.holder).catch(() => undefined);
  }

  /** Takes or renews the lease; true without one (SQLite: this process owns the database). */
  private async lease(): Promise<boolean> {
    const meta = this.ctx.meta;
    return meta.tryLease ? meta.tryLease(LIFECYCLE_LEASE, this.opts.holder, this.leaseMs) : true;
  }

  private async tick(): Promise<TickResult> {
    if (!(await this.lease())) return { ran: false, finished: [], pending: false };
    const result: TickResult = { ran: true, finished: [], pending: false };
    let after: string | undefined;
    for (;;) {
      const page = await this.ctx.meta.listBuckets({ prefix: '', ...(after !== undefined ? { after } : {}), limit: 1000 });
      for (const bucket of page) {
        const config = lifecycleOf(bucket);
        if (!config || this.periodic.stopped) continue;
        let outcome: Awaited<ReturnType<LifecycleWorker['processBucket']>>;
        try {
          outcome = await this.processBucket(bucket, config);
        } catch (err) {
          // The page is not done and its position not saved: the next tick tries it again.
          this.opts.log('warn', 'lifecycle page failed', { bucket: bucket.name, err: String(err) });
          continue;
        }
        if (outcome === 'lost-lease') return { ...result, ran: false };
        if (outcome === 'gone') continue;
        if (outcome === 'pending') result.pending = true;
        else result.finished.push({ bucket: bucket.name, ...outcome });
      }
      if (page.length < 1000) return result;
      after = page[page.length - 1]!.name;
    }
  }

  private readProgress(bucket: Bucket, config: LifecycleConfig): Progress {
    const text = bucket.configs[PROGRESS_CONFIG];
    if (text !== undefined) {
      try {
        return JSON.parse(text) as Progress;
      } catch {
        // unreadable: start a new pass
      }
    }
    return this.fresh(config, 1);
  }

  private fresh(config: LifecycleConfig, pass: number): Progress {
    return { pass, phase: 'objects', prefix: scanPrefixes(config, 'objects')[0] ?? '', after: '', uploadId: '', startedAt: this.ctx.clock(), counts: zero() };
  }


  private async saveProgress(bucket: Bucket, p: Progress): Promise<void> {
    const text = JSON.stringify(p);
    // Into the bucket walked only: never a position (or a first write of the configuration) on another of the name.
    await this.ctx.meta.updateBucketConfig(bucket.name, PROGRESS_CONFIG, () => text, incarnationOf(bucket));
  }

  /**
   * The bucket as it is now when it is still the one walked (`walked`: its name, owner and creation time) and its
   * rules are still `rulesText`; null otherwise. On a shared database the other processes' bucket changes are
   * caught up with first (the worker answers no request, which would).
   */
  private async stillWalked(walked: Bucket, rulesText: string | undefined): Promise<Bucket | null> {
    await this.ctx.meta.refreshSharedState?.();
    const now = await this.ctx.meta.getBucket(walked.name);
    if (now === null || !isIncarnation(now, incarnationOf(walked)) || now.configs[LIFECYCLE.name] !== rulesText) return null;
    return now;
  }

  /** The units a phase walks (see Progress.prefix); versions only on a bucket that has versioning. */
  private units(bucket: Bucket, config: LifecycleConfig, phase: Phase): string[] {
    const versioned = bucket.configs[VERSIONING_CONFIG] !== undefined;
    switch (phase) {
      case 'objects':
      case 'uploads':
        return scanPrefixes(config, phase);
      case 'noncurrent':
        return versioned ? config.rules.filter((r) => r.status === 'Enabled' && (r.noncurrentVersionExpiration || r.noncurrentVersionTransitions.length > 0)).map((r) => r.id) : [];
      case 'markers':
        return versioned ? scanPrefixes(config, 'markers') : [];
    }
  }

  private firstUnit(bucket: Bucket, config: LifecycleConfig, phase: Phase): string {
    return this.units(bucket, config, phase)[0] ?? '';
  }

  /**
   * Advances one bucket's pass by up to tickBudget objects; its counts when the pass ended. Each page is followed by
   * a turn of the event loop: the store may answer without one (SQLite is synchronous), and a tick that read
   * 100,000 objects of a bucket without letting requests run held the loop for seconds (10 s for 2,000 objects under
   * 1,000 rules of long prefixes); pages are sized by what judging their objects costs (MATCH_CHARS_PER_PAGE).
   */
  private async processBucket(listed: Bucket, listedConfig: LifecycleConfig): Promise<PassCounts | 'pending' | 'lost-lease' | 'gone'> {
    // The bucket as it is now: the listing may be minutes old (the buckets before it were walked first).
    const rulesText = listed.configs[LIFECYCLE.name];
    const found = await this.stillWalked(listed, rulesText);
    if (found === null) return 'gone';
    let bucket: Bucket = found;
    const config = lifecycleOf(bucket) ?? listedConfig;
    const p = this.readProgress(bucket, config);
    if (!PHASES.includes(p.phase)) Object.assign(p, { phase: 'objects', prefix: this.firstUnit(bucket, config, 'objects'), after: '', uploadId: '' });
    let budget = this.tickBudget;
    let pages = 0;
    const pageSize = Math.max(1, Math.min(this.pageSize, Math.floor(MATCH_CHARS_PER_PAGE / Math.max(1, matchWeight(config)))));
    // The units of each phase, computed once (a sort of the rules' prefixes) rather than on every page.
    const unitsOf = new Map<Phase, string[]>();
    const unitsNow = (phase: Phase): string[] => {
      let u = unitsOf.get(phase);
      if (u === undefined) unitsOf.set(phase, (u = this.units(bucket, config, phase)));
      return u;
    };
    const nextPhase = (): boolean => {
      const next = PHASES[PHASES.indexOf(p.phase) + 1];
      if (next === undefined) return false;
      Object.assign(p, { phase: next, prefix: this.firstUnit(bucket, config, next), after: '', uploadId: '' });
      return true;
    };
    while (budget > 0) {
      if (this.periodic.stopped) break;
      if (pages > 0) {
        // Between pages: still that bucket, with those rules (its WORM retention read afresh for the next page).
        const now = await this.stillWalked(bucket, rulesText);
        if (now === null) {
          // Rules changed: the position is kept for the next tick, which reads them; another bucket: nothing kept.
          if (pages % SAVE_EVERY_PAGES !== 0) await this.saveProgress(bucket, p).catch(() => undefined);
          return 'gone';
        }
        bucket = now;
      }
      const units = unitsNow(p.phase);
      let i = units.indexOf(p.prefix);
      if (i < 0) {
        // The rules changed under a saved position: walk this phase again from its first unit.
        i = 0;
        p.after = '';
        p.uploadId = '';
      }
      if (i >= units.length) {
        if (nextPhase()) continue;
        return this.finishPass(bucket, config, p);
      }
      const unit = units[i]!;
      p.prefix = unit;
      const limit = Math.min(pageSize, budget);
      const done = await this.page(bucket, config, p, unit, limit);
      budget -= Math.max(1, done.visited);
      await nextTurn();
      if (done.end) {
        const next = units[i + 1];
        if (next !== undefined) Object.assign(p, { prefix: next, after: '', uploadId: '' });
        else if (!nextPhase()) return this.finishPass(bucket, config, p);
      }
      // Renew the lease on every page; the position is saved every few pages and when the tick leaves the
      // bucket (a crash in between only walks those pages again: every action is judged afresh).
      if (!(await this.lease())) return 'lost-lease';
      if (++pages % SAVE_EVERY_PAGES === 0) await this.saveProgress(bucket, p);
    }
    if (pages % SAVE_EVERY_PAGES !== 0) await this.saveProgress(bucket, p);
    return 'pending';
  }

  private page(bucket: Bucket, config: LifecycleConfig, p: Progress, unit: string, limit: number): Promise<{ visited: number; end: boolean }> {
    switch (p.phase) {
      case 'objects':
        return this.objectPage(bucket, config, p, unit, limit);
      case 'noncurrent':
        return this.noncurrentPage(bucket, config, p, unit, limit);
      case 'markers':
        return this.markerPage(bucket, p, unit, limit);
      case 'uploads':
        return this.uploadPage(bucket, config, p, unit, limit);
    }
  }

  /**
   * NoncurrentVersionExpiration / NoncurrentVersionTransition of one rule: the store's index of versions by
   * the time they became noncurrent yields exactly those due (oldest first); each is removed for good (blobs
   * no other version uses are freed) or moved to a colder class in place.
   */
  private async noncurrentPage(bucket: Bucket, config: LifecycleConfig, p: Progress, ruleId: string, limit: number): Promise<{ visited: number; end: boolean }> {
    const rule = config.rules.find((r) => r.id === ruleId);
    if (!rule) return { visited: 0, end: true };
    const now = this.ctx.clock();
    const days = [rule.noncurrentVersionExpiration?.noncurrentDays, ...rule.noncurrentVersionTransitions.map((t) => t.noncurrentDays)].filter((d): d is number => d !== undefined);
    const before = now - Math.min(...days) * this.opts.dayMs;
    const after = p.after !== '' ? (JSON.parse(p.after) as NoncurrentCursor) : undefined;
    const page = await this.ctx.meta.listNoncurrentVersions(bucket.name, { before, prefix: rule.prefix, ...(after ? { after } : {}), limit });
    const needsTags = rule.tags.length > 0 || (rule.filter?.not.some((n) => n.tag !== undefined) ?? false);
    for (const v of page) {
      const since = v.noncurrentSince ?? now;
      let subject: LifecycleSubject = { ...v, tags: [] };
      if (needsTags) {
        const full = await this.ctx.meta.getObjectVersion(bucket.name, v.key, v.versionId);
        if (!full) continue;
        subject = full;
      }
      if (!ruleMatches(rule, subject)) continue;
      const exp = rule.noncurrentVersionExpiration;
      if (exp && since + exp.noncurrentDays * this.opts.dayMs <= now) {
        // Only the version judged here goes: the key's null version may have been replaced meanwhile (a
        // PutObject on a Suspended bucket writes a new, current null version), and its id still names it.
        // A delete marker holds no data: nothing to judge.
        const res = await this.removeJudged(bucket, v.key, now, v.versionId, v.deleteMarker ? null : (r) => r.lastModified === v.lastModified && r.etag === v.etag);
        if (res === 'retained') p.counts.retained++;
        if (typeof res === 'string') continue;
        const out = res;
        if (out.removed || out.deleteMarker) p.counts.noncurrentExpired++;
        await dropBlobs(this.ctx, garbageSegments(out.removed, null));
        continue;
      }
      if (v.deleteMarker) continue;
      let target: TransitionClass | null = null;
      for (const t of rule.noncurrentVersionTransitions) {
        if (since + t.noncurrentDays * this.opts.dayMs > now || coldness(t.storageClass) <= coldness(v.storageClass)) continue;
        if (target === null || coldness(t.storageClass) > coldness(target)) target = t.storageClass;
      }
      if (target !== null) {
        const to = target;
        const done = await this.ctx.meta.updateObjectVersion(bucket.name, v.key, v.versionId, (cur) => {
          if (coldness(cur.storageClass) >= coldness(to)) throw new Keep();
          return { ...cur, storageClass: to };
        }, { sameBucket: incarnationOf(bucket) }).catch((err: unknown) => {
          if (err instanceof Keep || isNoSuchBucket(err)) return null;
          throw err;
        });
        if (done) p.counts.noncurrentTransitioned++;
      }
    }
    p.counts.scanned += page.length;
    const last = page[page.length - 1];
    if (last) p.after = JSON.stringify({ noncurrentSince: last.noncurrentSince ?? now, key: last.key, versionId: last.versionId } satisfies NoncurrentCursor);
    this.ctx.admission?.freed();
    return { visited: page.length, end: page.length < limit };
  }

  /** ExpiredObjectDeleteMarker: current delete markers that are the only version left of their key are removed. */
  private async markerPage(bucket: Bucket, p: Progress, prefix: string, limit: number): Promise<{ visited: number; end: boolean }> {
    const page = await this.ctx.meta.listCurrentDeleteMarkers(bucket.name, { prefix, ...(p.after !== '' ? { after: p.after } : {}), limit });
    const now = this.ctx.clock();
    for (const m of page) {
      if (!m.onlyVersion) continue;
      // Only a delete marker goes (the store calls the guard on nothing else): on a Suspended bucket a PutObject
      // since the listing replaces the null marker with a null version of the same id, which must stay.
      const out = await this.removeJudged(bucket, m.key, now, m.versionId, () => false);
      if (typeof out !== 'string' && out.deleteMarker) p.counts.markersRemoved++;
    }
    p.counts.scanned += page.length;
    if (page.length > 0) p.after = page[page.length - 1]!.key;
    return { visited: page.length, end: page.length < limit };
  }

  private async finishPass(bucket: Bucket, config: LifecycleConfig, p: Progress): Promise<PassCounts> {
    const counts = p.counts;
    this.opts.log('info', 'lifecycle pass', { bucket: bucket.name, pass: p.pass, ...counts, ms: this.ctx.clock() - p.startedAt });
    await this.saveProgress(bucket, this.fresh(config, p.pass + 1));
    return counts;
  }

  private async objectPage(bucket: Bucket, config: LifecycleConfig, p: Progress, prefix: string, limit: number): Promise<{ visited: number; end: boolean }> {
    const page = await this.ctx.meta.listObjects(bucket.name, { prefix, ...(p.after !== '' ? { after: p.after } : {}), limit });
    const now = this.ctx.clock();
    // Transitions on the last access time count from it (docs/lifecycle.md); tracking cannot be switched off while such a rule exists.
    const accessSince = accessTrackingSince(bucket);
    const exact = (current: ObjectRecord): ObjectAction | null => objectActionDue(config, current, now, this.opts.dayMs, { accessSince });
    const expire: string[] = [];
    const transition: string[] = [];
    for (const s of page) {
      // Listings carry no tags: a rule's tag conditions are assumed met here and checked on the real record.
      const action = objectActionDue(config, { ...s, tags: [] }, now, this.opts.dayMs, { assumeTags: true, accessSince });
      if (action?.kind === 'expire') expire.push(s.key);
      else if (action?.kind === 'transition') transition.push(s.key);
    }
    if (bucket.configs[VERSIONING_CONFIG] !== undefined) {
      await Promise.all(expire.map((key) => this.expireVersioned(bucket, key, exact, now, p.counts)));
    } else if (expire.length > 0) {
      // One transaction for the page; each object is judged again as it is inside it.
      const verdicts = new Map<string, 'retained' | 'transition'>();
      const removed = await this.ctx.meta.deleteObjectsIf(bucket.name, expire, (current) => {
        const action = exact(current);
        if (action?.kind !== 'expire') {
          if (action?.kind === 'transition') verdicts.set(current.key, 'transition');
          return false;
        }
        try {
          this.opts.retention?.(bucket, current, now);
        } catch {
          verdicts.set(current.key, 'retained');
          return false;
        }
        return true;
      }, incarnationOf(bucket));
      p.counts.expired += removed.length;
      for (const [key, v] of verdicts) {
        if (v === 'retained') p.counts.retained++;
        else transition.push(key);
      }
      await dropBlobs(this.ctx, removed.flatMap((r) => garbageSegments(r, null)));
    }
    // Started together: SQLite commits them in one transaction (group commit).
    await Promise.all(transition.map((key) => this.transition(bucket, key, exact, p.counts)));
    p.counts.scanned += page.length;
    if (page.length > 0) p.after = page[page.length - 1]!.key;
    this.ctx.admission?.freed();
    return { visited: page.length, end: page.length < limit };
  }

  /**
   * removeObject with what it removes for good judged inside its transaction: `judged(record)` false (the record
   * changed since the worker looked) keeps it ('changed'), and so does the retention hook ('retained'). `judged`
   * null: nothing is judged (a delete marker holds no data).
   */
  private async removeJudged(
    bucket: Bucket, key: string, now: number, versionId: string | undefined, judged: ((removing: ObjectRecord) => boolean) | null,
  ): Promise<DeleteOutcome | 'changed' | 'retained'> {
    let kept: 'changed' | 'retained' | null = null;
    const guard = (removing: ObjectRecord): void => {
      if (!judged!(removing)) kept = 'changed';
      else {
        try {
          this.opts.retention?.(bucket, removing, now);
        } catch {
          kept = 'retained';
        }
      }
      if (kept !== null) throw new Keep();
    };
    try {
      return await this.ctx.meta.removeObject(bucket.name, key, now, versionId, judged === null ? undefined : guard, incarnationOf(bucket));
    } catch (err) {
      if (err instanceof Keep && kept !== null) return kept;
      // Another bucket of the name now: nothing of it is this bucket's rules' to remove.
      if (isNoSuchBucket(err)) return 'changed';
      throw err;
    }
  }

  /** On a versioned bucket expiring adds a delete marker (removeObject): judge the record as it is now first. */
  private async expireVersioned(bucket: Bucket, key: string, exact: (current: ObjectRecord) => ObjectAction | null, now: number, counts: PassCounts): Promise<void> {
    const current = await this.ctx.meta.getObject(bucket.name, key);
    const action = current ? exact(current) : null;
    if (!current || !action) return;
    if (action.kind === 'transition') return this.transition(bucket, key, exact, counts);
    // DeleteObject without a version id: a delete marker on top (the store follows the bucket's status). On a
    // Suspended bucket that marker replaces the key's null version (current or not) for good: the store hands
    // what it removes to the retention hook inside its transaction, and a protected one is kept.
    // What goes must be the object judged, or an older (noncurrent) null version behind it, not a null version
    // written since (a PutObject on the Suspended bucket between the look and the delete).
    const res = await this.removeJudged(bucket, key, now, undefined, (r) =>
      (r.lastModified === current.lastModified && r.etag === current.etag) || r.lastModified < current.lastModified);
    if (res === 'retained') counts.retained++;
    if (typeof res === 'string') return;
    const out = res;
    await dropBlobs(this.ctx, garbageSegments(out.removed, null));
    counts.expired++;
  }

  /**
   * Moves an object to the coldest class its rules make due now, in place (no new version on a versioned
   * bucket; the bytes stay, the class is metadata here).
   */
  private async transition(bucket: Bucket, key: string, exact: (current: ObjectRecord) => ObjectAction | null, counts: PassCounts): Promise<void> {
    try {
      const done = await this.ctx.meta.updateObjectVersion(bucket.name, key, undefined, (current) => {
        const action = exact(current);
        if (action?.kind !== 'transition') throw new Keep();
        // Marked when a read is to bring it back to Standard (ReturnToStdWhenVisit): only objects a rule on the
        // last access time moved to IA go back, not those stored as IA or moved by another rule (OSS).
        const { returnToStandard: _, ...attrs } = current.attrs ?? {};
        return { ...current, storageClass: action.storageClass, attrs: action.returnOnRead ? { ...attrs, returnToStandard: true } : attrs };
      }, { sameBucket: incarnationOf(bucket) });
      if (done) counts.transitioned++;
    } catch (err) {
      if (!(err instanceof Keep) && !isNoSuchBucket(err)) throw err;
    }
  }

  private async uploadPage(bucket: Bucket, config: LifecycleConfig, p: Progress, prefix: string, limit: number): Promise<{ visited: number; end: boolean }> {
    const page = await this.ctx.meta.listUploads(bucket.name, {
      prefix,
      ...(p.after !== '' || p.uploadId !== '' ? { keyMarker: p.after, uploadIdMarker: p.uploadId } : {}),
      limit,
    });
    const now = this.ctx.clock();
    const work: Array<Promise<void>> = [];
    for (const u of page) {
      if (uploadAbortDue(config, u, now, this.opts.dayMs) === null) continue;
      work.push(
        this.ctx.meta.abortUpload(u.uploadId, incarnationOf(bucket)).then(async (parts) => {
          if (!parts) return;
          p.counts.aborted++;
          await dropBlobs(this.ctx, parts.map((part) => part.blobId));
        }),
      );
    }
    await Promise.all(work);
    if (page.length > 0) {
      p.after = page[page.length - 1]!.key;
      p.uploadId = page[page.length - 1]!.uploadId;
    }
    this.ctx.admission?.freed();
    return { visited: page.length, end: page.length < limit };
  }
}
