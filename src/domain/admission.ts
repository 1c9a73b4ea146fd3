import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';

/**
 * Write admission: every write that grows storage asks here first and is refused (InsufficientStorage,
 * 507) when the free space of the data or blob directory would drop below a floor. The floor is what
 * keeps deletes working on a filling disk; deletes never ask. See docs/operations.md.
 */

/** The floor: an absolute number of bytes, or a percentage of each filesystem's size. */
export type FreeSpaceFloor = { bytes: number } | { percent: number };

/** 1 GiB: room for SQLite's WAL, temp files and an operator's clean-up. */
export const DEFAULT_MIN_FREE_SPACE: FreeSpaceFloor = { bytes: 1024 ** 3 };

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1000, kb: 1000, m: 1000 ** 2, mb: 1000 ** 2, g: 1000 ** 3, gb: 1000 ** 3, t: 1000 ** 4, tb: 1000 ** 4,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** Parses `--min-free-space`: `0` (off), `123`, `512MiB`, `1GiB`, `2GB`, `5%`. Throws a one-line message. */
export function parseFreeSpace(text: string): FreeSpaceFloor {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent >= 100) throw new Error(`${JSON.stringify(text)}: a percentage must be below 100%.`);
    return { percent };
  }
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(t);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new Error(`${JSON.stringify(text)} is not a size: use bytes with an optional unit (KiB, MiB, GiB, TiB, KB, MB, GB, TB) or a percentage such as 5%.`);
  }
  return { bytes: Math.floor(Number(m[1]) * unit) };
}

export function describeFloor(floor: FreeSpaceFloor): string {
  return 'percent' in floor ? `${floor.percent}%` : `${floor.bytes} bytes`;
}

/** Free and total bytes of one directory's filesystem. */
export interface SpaceReading {
  path: string;
  available: number;
  total: number;
}

export interface WriteAdmissionOptions {
  /** Reads the filesystems of the data and blob directories. */
  read: () => Promise<SpaceReading[]>;
  floor: FreeSpaceFloor;
  /** How long a reading is trusted (default 1 s); writes admitted meanwhile are counted against it. */
  ttlMs?: number;
  /** After each reading: bytes above the floor (least over the directories), e.g. to refill a reserve. */
  onReading?: (spare: number) => void;
  log: (event: string, fields: Record<string, unknown>) => void;
}

/** One admitted write; `done()` when it has finished, committed or not. */
export interface WriteTicket {
  done(): void;
}

const NO_TICKET: WriteTicket = { done: () => undefined };

export class WriteAdmission {
  private reading: { at: number; spare: number; detail: Array<Record<string, unknown>> } | null = null;
  private refreshing: Promise<void> | null = null;
  /** Bytes of admitted writes still running. */
  private inFlight = 0;
  /** Bytes of writes finished since the current reading was taken (not yet in it). */
  private landed = 0;
  private refusing = false;
  private freedDuringRead = false;
  private freedTimer: NodeJS.Timeout | null = null;
  /** Deletes since the reading was taken: the next write reads the disk again. */
  private stale = false;
  private readonly ttlMs: number;

  constructor(private readonly opts: WriteAdmissionOptions) {
    this.ttlMs = opts.ttlMs ?? 1000;
  }

  /**
   * Admits a write of about `bytes` (0 when unknown or only metadata), or throws InsufficientStorage.
   * Admitted bytes count against the free space until a later reading includes them, so concurrent
   * uploads cannot together overshoot the floor. An admission on the current reading is synchronous
   * (a stale one is renewed in the background): a request body already streaming in must not wait on
   * the disk here. Only a refusal waits for a fresh reading, since deletes may have freed space meanwhile.
   */
  admit(bytes: number): WriteTicket | Promise<WriteTicket> {
    if (this.reading === null || this.stale || performance.now() - this.reading.at >= this.ttlMs) this.refreshSoon();
    if (this.reading !== null && this.fits(bytes)) return this.ticket(bytes);
    if (this.refreshing) return this.refreshing.then(() => this.decide(bytes));
    return this.decide(bytes);
  }

  /** Reads the disk now (start-up, so that the first write has a reading). */
  async prime(): Promise<void> {
    this.refreshSoon();
    await this.refreshing;
  }

  /** Space was freed (deletes): read the disk again (which also lets the delete reserve be refilled). */
  freed(): void {
    // A reading already under way may have started before the delete: it reads once more.
    if (this.refreshing !== null) {
      this.freedDuringRead = true;
      return;
    }
    const age = this.reading === null ? Infinity : performance.now() - this.reading.at;
    if (age >= this.ttlMs) {
      this.refreshSoon();
      return;
    }
    // Deletes come by the thousand a second, and a disk reading (statfs on the thread pool) each cost more
    // than the delete itself. Within the TTL the reading is only marked stale, so the next write reads the
    // disk before it is admitted, and one reading follows when the TTL is up (it refills the delete reserve).
    this.stale = true;
    this.freedTimer ??= setTimeout(() => {
      this.freedTimer = null;
      this.refreshSoon();
    }, this.ttlMs - age).unref();
  }

  private fits(bytes: number): boolean {
    return this.reading!.spare - this.inFlight - this.landed - bytes >= 0;
  }

  private decide(bytes: number): WriteTicket {
    if (this.reading !== null && this.fits(bytes)) return this.ticket(bytes);
    if (!this.refusing) {
      this.refusing = true;
      // No reading at all (statfs failed since start-up) is said as such, not as a full disk.
      const why = this.reading === null ? 'free disk space could not be read' : 'free disk space below --min-free-space';
      this.opts.log(`refusing writes: ${why}`, { floor: describeFloor(this.opts.floor), directories: this.reading?.detail });
    }
    throw new AppError('InsufficientStorage');
  }

  private ticket(bytes: number): WriteTicket {
    if (this.refusing) {
      this.refusing = false;
      this.opts.log('accepting writes again: free disk space above --min-free-space', { directories: this.reading?.detail });
    }
    if (bytes <= 0) return NO_TICKET;
    this.inFlight += bytes;
    let open = true;
    return {
      done: () => {
        if (!open) return;
        open = false;
        this.inFlight -= bytes;
        this.landed += bytes;
      },
    };
  }

  private refreshSoon(): void {
    this.refreshing ??= this.refresh()
      .catch((err: unknown) => this.opts.log('free disk space unreadable', { err: String(err) }))
      .finally(() => (this.refreshing = null));
  }

  private async refresh(): Promise<void> {
    let usage: SpaceReading[];
    let at: number;
    this.stale = false;
    do {
      this.freedDuringRead = false;
      const landedBefore = this.landed;
      at = performance.now();
      usage = await this.opts.read();
      this.landed -= landedBefore;
    } while (this.freedDuringRead);
    let spare = Infinity;
    const detail: Array<Record<string, unknown>> = [];
    for (const u of usage) {
      const floor = 'percent' in this.opts.floor ? Math.ceil((u.total * this.opts.floor.percent) / 100) : this.opts.floor.bytes;
      spare = Math.min(spare, u.available - floor);
      detail.push({ path: u.path, availableBytes: u.available, floorBytes: floor });
    }
    this.reading = { at, spare, detail };
    this.opts.onReading?.(spare);
  }
}

/** Admission for a write of `bytes` through the context's admission (none configured: always admitted). */
export function admit(ctx: { admission?: WriteAdmission }, bytes = 0): WriteTicket | Promise<WriteTicket> {
  return ctx.admission ? ctx.admission.admit(bytes) : NO_TICKET;
}

/** Admits a metadata-only write (ACLs, tags, configurations, new buckets and uploads). */
export async function admitSmall(ctx: { admission?: WriteAdmission }): Promise<void> {
  (await admit(ctx, 0)).done();
}

/** Admits a request body's declared length; a refused body is drained so the answer can be sent. */
export async function admitBody(ctx: { admission?: WriteAdmission }, body: Readable, length: number | undefined): Promise<WriteTicket> {
  try {
    return await admit(ctx, length ?? 0);
  } catch (err) {
    body.resume();
    throw err;
  }
}
