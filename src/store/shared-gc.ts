import type { BlobStore } from './blob/types.js';
import type { MetadataStore } from './meta/types.js';
import { PeriodicRun } from '../util/periodic-run.js';

/** The lease row every process competes for (created by PostgreSQL migration 2). */
export const BLOB_GC_LEASE = 'blob-gc';

/** Files written less than this long ago are never collected: longer than any upload may sit idle. */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;
export const DEFAULT_GC_INTERVAL_MS = 60 * 60 * 1000;
/**
 * The lease's length. Short, so that a holder killed mid-collection blocks the others only this long; a
 * live holder renews it every third of it (LeaseKeeper) for as long as it collects.
 */
export const DEFAULT_GC_LEASE_MS = 30 * 1000;
/** Blob files removed between two looks at the lease. */
const DELETE_BATCH = 64;

type SharedMeta = Pick<MetadataStore, 'referencedBlobIds'> & Required<Pick<MetadataStore, 'tryLease' | 'releaseLease'>>;

export interface SharedGcOptions {
  /** Names this process in the lease; unique per process. */
  holder: string;
  graceMs?: number;
  leaseMs?: number;
  /** Epoch ms now (tests). */
  now?: () => number;
  /** Events of a run: `blob-gc-started`, `blob-gc-skipped` (another holds the lease), `blob-gc-stopped` (the lease could run out). */
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** Why a run stopped before it was done: the lease was taken by another, or not renewed in time. */
export type GcStop = 'lease-lost' | 'lease-not-renewed';

/** `ran: false`: another process holds the lease; nothing was looked at. */
export type SharedGcResult = { ran: false } | { ran: true; tempFiles: number; orphanBlobs: number; stopped?: GcStop };

/**
 * Keeps the lease of one run: renews it every third of its length, and says whether the run may still
 * remove files. The run's own deadline is counted on this process's monotonic clock from the moment each
 * successful renewal was *sent*, so it ends before the database's `expires_at` (set when the statement ran,
 * later); the run stops a further third of the lease before that deadline, which leaves a batch of
 * deletions in progress time to end before another process can take the lease. A renewal that fails, hangs
 * or finds the lease taken therefore stops the run: two processes never remove files at the same time.
 */
class LeaseKeeper {
  private deadline: number;
  private lost = false;
  private inflight: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly meta: SharedMeta,
    private readonly holder: string,
    private readonly leaseMs: number,
    sentAt: number,
  ) {
    this.deadline = sentAt + leaseMs;
    this.timer = setInterval(() => this.renew(), Math.max(1, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  private renew(): void {
    if (this.inflight || this.lost) return;
    const sentAt = performance.now();
    this.inflight = this.meta
      .tryLease(BLOB_GC_LEASE, this.holder, this.leaseMs)
      .then(
        (ok) => {
          if (ok) this.deadline = Math.max(this.deadline, sentAt + this.leaseMs);
          else this.lost = true;
        },
        () => undefined, // not renewed: the deadline stays and runs out
      )
      .finally(() => {
        this.inflight = null;
      });
  }

  /** Whether files may still be removed now; null when they may, else why not. */
  check(): GcStop | null {
    if (this.lost) return 'lease-lost';
    return performance.now() < this.deadline - this.leaseMs / 3 ? null : 'lease-not-renewed';
  }

  /** Stops renewing and waits for a renewal in flight (so a release cannot be overtaken by it). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inflight;
  }
}

/**
 * Garbage collection of a blob directory shared by several processes on one database. One process at a
 * time (the lease, renewed while the run lasts; a run that cannot renew stops removing files before the
 * lease could expire); and, whoever runs it, only files that are both
 *  - older than the grace period (last written before now - grace): an upload in flight is still writing
 *    its temp file, or has renamed its blob into place moments before committing the row that references
 *    it; either is younger than the grace period unless the upload sat idle longer than that; and
 *  - (blobs) referenced by no object and no part in one database snapshot taken *after* the directory was
 *    listed: a reference committed before the snapshot is seen, and one committed after it can only come
 *    from an upload holding a blob older than the grace period, which the rule above excludes.
 */
export async function collectSharedGarbage(meta: SharedMeta, blobs: BlobStore, o: SharedGcOptions): Promise<SharedGcResult> {
  const leaseMs = o.leaseMs ?? DEFAULT_GC_LEASE_MS;
  const sentAt = performance.now();
  if (!(await meta.tryLease(BLOB_GC_LEASE, o.holder, leaseMs))) {
    o.log?.('blob-gc-skipped', { holder: o.holder });
    return { ran: false };
  }
  const lease = new LeaseKeeper(meta, o.holder, leaseMs, sentAt);
  let tempFiles = 0;
  let orphanBlobs = 0;
  const stop = (why: GcStop): SharedGcResult => {
    o.log?.('blob-gc-stopped', { holder: o.holder, reason: why, tempFiles, orphanBlobs });
    return { ran: true, tempFiles, orphanBlobs, stopped: why };
  };
  try {
    o.log?.('blob-gc-started', { holder: o.holder });
    const cutoff = (o.now ?? Date.now)() - (o.graceMs ?? DEFAULT_GC_GRACE_MS);
    let why: GcStop | null = null;
    tempFiles = await blobs.cleanTemp({ modifiedBefore: cutoff, mayGoOn: () => (why = lease.check()) === null });
    if (why !== null) return stop(why);
    const candidates: string[] = [];
    for await (const id of blobs.list({ modifiedBefore: cutoff })) candidates.push(id);
    const referenced = await meta.referencedBlobIds();
    const orphans = candidates.filter((id) => !referenced.has(id));
    for (let i = 0; i < orphans.length; i += DELETE_BATCH) {
      const now = lease.check();
      if (now !== null) return stop(now);
      const batch = orphans.slice(i, i + DELETE_BATCH);
      await blobs.delete(batch);
      orphanBlobs += batch.length;
    }
    return { ran: true, tempFiles, orphanBlobs };
  } finally {
    await lease.stop();
    await meta.releaseLease(BLOB_GC_LEASE, o.holder).catch(() => undefined);
  }
}

export interface BlobCollectorOptions extends SharedGcOptions {
  /** Run at start and then this often; 0: never on its own (call runOnce). */
  intervalMs?: number;
}

/** Runs collectSharedGarbage at start and periodically, one run at a time per process. */
export class BlobCollector {
  private readonly periodic = new PeriodicRun<SharedGcResult>(async () => {
    const r = await collectSharedGarbage(this.meta, this.blobs, this.opts);
    if (r.ran && r.tempFiles + r.orphanBlobs > 0) this.opts.log?.('blob-gc', { tempFiles: r.tempFiles, orphanBlobs: r.orphanBlobs });
    return r;
  }, () => ({ ran: false }));

  constructor(
    private readonly meta: SharedMeta,
    private readonly blobs: BlobStore,
    private readonly opts: BlobCollectorOptions,
  ) {}

  private retry: NodeJS.Timeout | null = null;

  start(): void {
    const log = (err: unknown): void => this.opts.log?.('blob-gc-failed', { err: String(err) });
    const intervalMs = this.opts.intervalMs ?? DEFAULT_GC_INTERVAL_MS;
    this.periodic.start(intervalMs, log, false);
    if (intervalMs > 0) this.atStart(log);
  }

  /**
   * The run at start, tried again a lease's length later for as long as the lease is held: a process restarted
   * after it was killed mid-collection finds its own dead lease, and would otherwise leave that crash's leftovers
   * for a whole interval (an hour by default) instead of until the lease runs out.
   */
  private atStart(log: (err: unknown) => void): void {
    this.periodic.runOnce().then((r) => {
      if (r.ran || this.periodic.stopped) return;
      this.retry = setTimeout(() => this.atStart(log), this.opts.leaseMs ?? DEFAULT_GC_LEASE_MS);
      this.retry.unref();
    }, log);
  }

  /** One collection now (joins one already running in this process). */
  runOnce(): Promise<SharedGcResult> {
    return this.periodic.runOnce();
  }

  /** Stops the timer and waits for a run in progress (before the stores close). */
  stop(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    return this.periodic.stop();
  }
}
