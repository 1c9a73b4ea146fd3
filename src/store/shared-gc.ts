import type { BlobStore } from './blob/types.js';
import type { MetadataStore } from './meta/types.js';

/** The lease row every process competes for (created by PostgreSQL migration 2). */
export const BLOB_GC_LEASE = 'blob-gc';

/** Files written less than this long ago are never collected: longer than any upload may sit idle. */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;
export const DEFAULT_GC_INTERVAL_MS = 60 * 60 * 1000;
/** How long one collection may hold the lease before others may take it (a crashed holder frees it then). */
export const DEFAULT_GC_LEASE_MS = 10 * 60 * 1000;

type SharedMeta = Pick<MetadataStore, 'referencedBlobIds'> & Required<Pick<MetadataStore, 'tryLease' | 'releaseLease'>>;

export interface SharedGcOptions {
  /** Names this process in the lease; unique per process. */
  holder: string;
  graceMs?: number;
  leaseMs?: number;
  /** Epoch ms now (tests). */
  now?: () => number;
}

/** `ran: false`: another process holds the lease; nothing was looked at. */
export type SharedGcResult = { ran: false } | { ran: true; tempFiles: number; orphanBlobs: number };

/**
 * Garbage collection of a blob directory shared by several processes on one database. One process at a
 * time (the lease); and, whoever runs it, only files that are both
 *  - older than the grace period (last written before now - grace): an upload in flight is still writing
 *    its temp file, or has renamed its blob into place moments before committing the row that references
 *    it; either is younger than the grace period unless the upload sat idle longer than that; and
 *  - (blobs) referenced by no object and no part in one database snapshot taken *after* the directory was
 *    listed: a reference committed before the snapshot is seen, and one committed after it can only come
 *    from an upload holding a blob older than the grace period, which the rule above excludes.
 * Deleting is therefore safe even if two collections overlapped (a lease that expired mid-run): the lease
 * saves work, it does not carry the safety.
 */
export async function collectSharedGarbage(meta: SharedMeta, blobs: BlobStore, o: SharedGcOptions): Promise<SharedGcResult> {
  const leaseMs = o.leaseMs ?? DEFAULT_GC_LEASE_MS;
  if (!(await meta.tryLease(BLOB_GC_LEASE, o.holder, leaseMs))) return { ran: false };
  try {
    const cutoff = (o.now ?? Date.now)() - (o.graceMs ?? DEFAULT_GC_GRACE_MS);
    const tempFiles = await blobs.cleanTemp({ modifiedBefore: cutoff });
    const candidates: string[] = [];
    for await (const id of blobs.list({ modifiedBefore: cutoff })) candidates.push(id);
    const referenced = await meta.referencedBlobIds();
    const orphans = candidates.filter((id) => !referenced.has(id));
    await blobs.delete(orphans);
    return { ran: true, tempFiles, orphanBlobs: orphans.length };
  } finally {
    await meta.releaseLease(BLOB_GC_LEASE, o.holder).catch(() => undefined);
  }
}

export interface BlobCollectorOptions extends SharedGcOptions {
  /** Run at start and then this often; 0: never on its own (call runOnce). */
  intervalMs?: number;
  /** Reports each run that removed something, and failures. */
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** Runs collectSharedGarbage at start and periodically, one run at a time per process. */
export class BlobCollector {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SharedGcResult> | null = null;
  private stopped = false;

  constructor(
    private readonly meta: SharedMeta,
    private readonly blobs: BlobStore,
    private readonly opts: BlobCollectorOptions,
  ) {}

  start(): void {
    const interval = this.opts.intervalMs ?? DEFAULT_GC_INTERVAL_MS;
    if (interval <= 0) return;
    const tick = (): void => {
      this.runOnce().catch((err: unknown) => this.opts.log?.('blob-gc-failed', { err: String(err) }));
    };
    tick();
    this.timer = setInterval(tick, interval);
    this.timer.unref();
  }

  /** One collection now (joins one already running in this process). */
  runOnce(): Promise<SharedGcResult> {
    if (this.stopped) return Promise.resolve({ ran: false });
    this.running ??= collectSharedGarbage(this.meta, this.blobs, this.opts)
      .then((r) => {
        if (r.ran && r.tempFiles + r.orphanBlobs > 0) this.opts.log?.('blob-gc', { tempFiles: r.tempFiles, orphanBlobs: r.orphanBlobs });
        return r;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Stops the timer and waits for a run in progress (before the stores close). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
