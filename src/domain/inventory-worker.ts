import { createHash, randomUUID } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { jsonConfig, readConfig, updateConfig } from './bucket-config.js';
import type { DomainContext } from './context.js';
import type { Bucket, ObjectRecord, ObjectSummary, VersionSummary } from './model.js';
import type { ObjectService } from './objects.js';
import type { Json } from './stored-configs.js';
import { incarnationOf, isIncarnation, type BucketIncarnation } from '../store/meta/types.js';
import { PeriodicRun } from '../util/periodic-run.js';

/**
 * Bucket inventory files (docs/inventory.md): for every enabled inventory configuration that is due (Daily:
 * a day after its last run, Weekly: seven days), the source bucket is listed (current objects, or every
 * version) with the configuration's filters, and gzip CSV data files plus a manifest.json are written to the
 * destination bucket through ObjectService.put (the normal write path: admission, default encryption,
 * versioning, WORM), under `<prefix>/<source>/<id>/data/…` and `<prefix>/<source>/<id>/<YYYY-MM-DDTHH-MMZ>/`.
 *
 * A run is claimed inside the store's transaction (the `inventory-runs` configuration of the source bucket
 * records each configuration's last start), so with several processes on one database only one writes a given
 * run. Memory is bounded: one listing page and the gzip stream's buffers; a data file holds at most
 * `rowsPerFile` rows. The destination must belong to the source bucket's owner (and `AccountId` must name it);
 * the configured RoleArn is not assumed.
 */

export const RUNS_CONFIG = 'inventory-runs';
const runsKind = jsonConfig<Record<string, RunState>>(RUNS_CONFIG);

const DAY_MS = 24 * 3600 * 1000;
/**
 * A Running run of another process whose heartbeat is older than this was cut short (the process died): it is
 * claimed again. With several processes on one database (PostgreSQL) the writer renews its heartbeat every
 * HEARTBEAT_MS; with SQLite one process owns the database, so a Running run of another holder is a crashed one.
 */
export const STALE_RUN_MS = 10 * 60 * 1000;
const HEARTBEAT_MS = 60 * 1000;
const PAGE = 1000;
/** Most data files one run writes (keeps the manifest small): more rows than this allows fail the run. */
export const MAX_FILES = 10_000;

export const INVENTORY_DEFAULTS = { rowsPerFile: 1_000_000 } as const;

export interface RunState {
  /** When the last run started (ms). */
  startedAt: number;
  status: 'Running' | 'Done' | 'Failed';
  /** The process writing a Running run, and when it last said it still is (ms). */
  holder?: string;
  heartbeat?: number;
  manifest?: string;
  rows?: number;
  error?: string;
}

export interface InventoryPlan {
  id: string;
  enabled: boolean;
  frequency: 'Daily' | 'Weekly';
  destBucket: string;
  destPrefix: string;
  accountId: string;
  allVersions: boolean;
  fields: string[];
  filter: {
    prefix: string;
    modifiedFrom?: number;
    modifiedTo?: number;
    minSize?: number;
    maxSize?: number;
    classes?: ReadonlySet<string>;
  };
}

export interface RunResult {
  bucket: string;
  id: string;
  status: 'Done' | 'Failed';
  manifest?: string;
  files: string[];
  rows: number;
  error?: string;
}

export interface InventoryWorkerOptions {
  /** Checks for due inventories every this many ms; 0: only when runOnce is called. */
  intervalMs: number;
  rowsPerFile?: number;
  /** Length of a "day" in ms (development and tests only: shortens Daily and Weekly). */
  dayMs?: number;
  /** Objects (or versions) listed per step (default 1,000; tests use fewer). */
  pageSize?: number;
  log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

// ---- reading a stored configuration (the validated document of PutBucketInventory) ----------------------

type Obj = { [k: string]: Json };
const isObj = (v: Json | undefined): v is Obj => v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
const text = (o: Obj | undefined, name: string): string | undefined => (o !== undefined && typeof o[name] === 'string' ? (o[name] as string) : undefined);
const sub = (o: Obj | undefined, name: string): Obj | undefined => (o !== undefined && isObj(o[name]) ? (o[name] as Obj) : undefined);
const list = (o: Obj | undefined, name: string): Json[] => {
  const v = o?.[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
const int = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

/** The destination bucket's name from `acs:oss:::<bucket>` (or a bare name). */
export function destinationBucketName(arn: string): string {
  return arn.startsWith('acs:oss:::') ? arn.slice('acs:oss:::'.length) : arn;
}

/** The bucket configuration collection (MetadataStore.getConfigEntry) of inventories, by Id. */
export const INVENTORY_COLLECTION = 'inventory';

export function plansOf(value: Json | null): InventoryPlan[] {
  if (!isObj(value ?? undefined)) return [];
  return list(value as Obj, 'InventoryConfiguration').filter(isObj).map((c) => {
    const dest = sub(sub(c, 'Destination'), 'OSSBucketDestination');
    const filter = sub(c, 'Filter');
    const classes = text(filter, 'StorageClass');
    return {
      id: text(c, 'Id') ?? '',
      enabled: text(c, 'IsEnabled') === 'true',
      frequency: text(sub(c, 'Schedule'), 'Frequency') === 'Weekly' ? 'Weekly' : 'Daily',
      destBucket: destinationBucketName(text(dest, 'Bucket') ?? ''),
      destPrefix: text(dest, 'Prefix') ?? '',
      accountId: text(dest, 'AccountId') ?? '',
      allVersions: text(c, 'IncludedObjectVersions') === 'All',
      fields: list(sub(c, 'OptionalFields'), 'Field').filter((f): f is string => typeof f === 'string'),
      filter: {
        prefix: text(filter, 'Prefix') ?? '',
        ...(int(text(filter, 'LastModifyBeginTimeStamp')) !== undefined ? { modifiedFrom: int(text(filter, 'LastModifyBeginTimeStamp'))! } : {}),
        ...(int(text(filter, 'LastModifyEndTimeStamp')) !== undefined ? { modifiedTo: int(text(filter, 'LastModifyEndTimeStamp'))! } : {}),
        ...(int(text(filter, 'LowerSizeBound')) !== undefined ? { minSize: int(text(filter, 'LowerSizeBound'))! } : {}),
        ...(int(text(filter, 'UpperSizeBound')) !== undefined ? { maxSize: int(text(filter, 'UpperSizeBound'))! } : {}),
        ...(classes !== undefined && classes.trim() !== '' ? { classes: new Set(classes.split(',').map((s) => s.trim())) } : {}),
      },
    };
  });
}

// ---- the CSV --------------------------------------------------------------------------------------------

/** `YYYY-MM-DDTHH-MMZ` of a time (the manifest's folder). */
export function runLabel(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace(':', '-') + 'Z';
}

const quote = (v: string): string => `"${v.replace(/"/g, '""')}"`;

export function fileSchema(plan: InventoryPlan): string[] {
  return ['Bucket', 'Key', ...(plan.allVersions ? ['VersionId', 'IsLatest', 'IsDeleteMarker'] : []), ...plan.fields];
}

function matches(plan: InventoryPlan, o: ObjectSummary): boolean {
  const f = plan.filter;
  const seconds = Math.floor(o.lastModified / 1000);
  if (f.modifiedFrom !== undefined && seconds < f.modifiedFrom) return false;
  if (f.modifiedTo !== undefined && seconds > f.modifiedTo) return false;
  if (f.minSize !== undefined && o.size < f.minSize) return false;
  if (f.maxSize !== undefined && o.size > f.maxSize) return false;
  if (f.classes !== undefined && !f.classes.has(o.storageClass)) return false;
  return true;
}

// ---- the worker -------------------------------------------------------------------------------------------

/** Where a configuration's files go: `<prefix>/<source>/<id>` (PutBucketInventory authorizes writes under it). */
export function inventoryBase(destPrefix: string, source: string, id: string): string {
  // Trailing slashes cut by a loop: `replace(/\/+$/, '')` scans each run of slashes from each of its starts.
  let end = destPrefix.length;
  while (end > 0 && destPrefix.charCodeAt(end - 1) === 0x2f) end--;
  const prefix = destPrefix.slice(0, end);
  return `${prefix === '' ? '' : `${prefix}/`}${source}/${id}`;
}

export class InventoryWorker {
  private readonly periodic = new PeriodicRun<RunResult[]>(() => this.round(), () => []);
  private readonly rowsPerFile: number;
  private readonly pageSize: number;
  /** Names this process in the Running runs it writes. */
  private readonly holder = `${process.pid}-${randomUUID()}`;

  constructor(
    private readonly ctx: DomainContext,
    private readonly objects: ObjectService,
    private readonly opts: InventoryWorkerOptions,
  ) {
    this.rowsPerFile = opts.rowsPerFile ?? INVENTORY_DEFAULTS.rowsPerFile;
    this.pageSize = opts.pageSize ?? PAGE;
  }

  start(): void {
    this.periodic.start(this.opts.intervalMs, (err) => this.opts.log('warn', 'inventory tick failed', { err: String(err) }));
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** Runs every due inventory now (joins a round already running in this process). */
  runOnce(): Promise<RunResult[]> {
    return this.periodic.runOnce();
  }

  private async round(): Promise<RunResult[]> {
    const results: RunResult[] = [];
    // Several processes on one database: what this one remembers of buckets (owners, configurations) catches up
    // with the others' writes first, as a request does (http/shared-state.ts).
    await this.ctx.meta.refreshSharedState?.();
    let after: string | undefined;
    for (;;) {
      const page = await this.ctx.meta.listBuckets({ prefix: '', ...(after !== undefined ? { after } : {}), limit: 1000 });
      for (const bucket of page) {
        const plans = await this.plansOfBucket(bucket.name);
        const live = new Set(plans.map((p) => p.id));
        for (const plan of plans) {
          if (this.periodic.stopped) return results;
          if (!plan.enabled || !this.due(bucket, plan)) continue;
          try {
            const result = await this.runPlan(bucket, plan, live);
            if (result !== null) results.push(result);
          } catch (err) {
            // The claim itself failed (the bucket went away, the store is down): the next round tries again.
            this.opts.log('warn', 'inventory claim failed', { bucket: bucket.name, id: plan.id, err: String(err) });
          }
        }
      }
      if (page.length < 1000) return results;
      after = page[page.length - 1]!.name;
    }
  }

  /** The bucket's inventory configurations (at most MAX_INVENTORIES: one read). */
  private async plansOfBucket(bucket: string): Promise<InventoryPlan[]> {
    const entries = await this.ctx.meta.listConfigEntries(bucket, INVENTORY_COLLECTION, { prefix: '', after: '', limit: 1000 });
    return plansOf({ InventoryConfiguration: entries.map((e) => JSON.parse(e.document) as Json) });
  }

  private period(plan: InventoryPlan): number {
    const day = this.opts.dayMs ?? DAY_MS;
    return plan.frequency === 'Weekly' ? 7 * day : day;
  }

  private due(bucket: Bucket, plan: InventoryPlan): boolean {
    return this.claimable(readConfig(bucket, runsKind)?.[plan.id], plan, this.ctx.clock());
  }

  /**
   * No run yet, the period elapsed, or a run left Running by a process that died (a kill mid-run): without the
   * last, a cut-short run stayed Running and was not written again before the next period.
   */
  private claimable(last: RunState | undefined, plan: InventoryPlan, now: number): boolean {
    if (last === undefined || now - last.startedAt >= this.period(plan)) return true;
    if (last.status !== 'Running' || last.holder === this.holder) return false;
    const shared = typeof this.ctx.meta.tryLease === 'function';
    return !shared || now - (last.heartbeat ?? last.startedAt) >= STALE_RUN_MS;
  }

  /** Claims the run in the store's transaction (null: another process or round has it), writes it, records the outcome. */
  private async runPlan(bucket: Bucket, plan: InventoryPlan, live: ReadonlySet<string>): Promise<RunResult | null> {
    const started = this.ctx.clock();
    let claimed = false;
    await updateConfig(this.ctx, bucket.name, runsKind, (current) => {
      if (!this.claimable(current?.[plan.id], plan, started)) return current;
      claimed = true;
      const running: RunState = { startedAt: started, status: 'Running', holder: this.holder, heartbeat: started };
      // States of deleted configurations are dropped here, so the record stays as small as the configurations.
      const kept = Object.entries(current ?? {}).filter(([id]) => live.has(id));
      return { ...Object.fromEntries(kept), [plan.id]: running };
    });
    if (!claimed) return null;
    let result: RunResult;
    // Other processes see the run alive while the heartbeat moves (claimable above).
    const beat = setInterval(() => {
      updateConfig(this.ctx, bucket.name, runsKind, (current) => {
        const mine = current?.[plan.id];
        if (mine?.status !== 'Running' || mine.holder !== this.holder) return current;
        return { ...current, [plan.id]: { ...mine, heartbeat: this.ctx.clock() } };
      }).catch(() => undefined);
    }, HEARTBEAT_MS);
    beat.unref();
    try {
      result = await this.write(bucket, plan, started);
    } catch (err) {
      result = { bucket: bucket.name, id: plan.id, status: 'Failed', files: [], rows: 0, error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearInterval(beat);
    }
    const state: RunState = {
      startedAt: started, status: result.status,
      ...(result.manifest !== undefined ? { manifest: result.manifest } : {}), rows: result.rows,
      ...(result.error !== undefined ? { error: result.error } : {}),
    };
    await updateConfig(this.ctx, bucket.name, runsKind, (current) => ({ ...(current ?? {}), [plan.id]: state })).catch(() => undefined);
    this.opts.log(result.status === 'Done' ? 'info' : 'warn', 'inventory run', { bucket: bucket.name, id: plan.id, status: result.status, rows: result.rows, files: result.files.length, ...(result.error ? { error: result.error } : {}) });
    return result;
  }

  private async write(source: Bucket, plan: InventoryPlan, started: number): Promise<RunResult> {
    const dest = await this.ctx.meta.getBucket(plan.destBucket);
    if (dest === null) throw new Error(`the destination bucket ${plan.destBucket} does not exist`);
    // Same owner only: the cloud writes as the configured role; Alunite does not assume it (docs/inventory.md).
    if (dest.ownerAccountId !== source.ownerAccountId || plan.accountId !== source.ownerAccountId) {
      throw new Error('the destination bucket must belong to the source bucket\'s owner (AccountId)');
    }
    // Every file goes to the bucket checked here: one deleted meanwhile and created again (by another account,
    // perhaps) is not written to (NoSuchBucket), nor does a listing continue into a new bucket of the source's name.
    const destIs = incarnationOf(dest);
    const base = inventoryBase(plan.destPrefix, source.name, plan.id);
    const label = runLabel(started);
    const rows = this.rows(source, plan)[Symbol.asyncIterator]();
    let next = await rows.next();
    const files: Array<{ key: string; size: number; MD5checksum: string }> = [];
    let count = 0;
    while (!next.done) {
      if (files.length >= MAX_FILES) throw new Error(`more than ${MAX_FILES} data files`);
      const key = `${base}/data/${label}-${String(files.length).padStart(5, '0')}.csv.gz`;
      let inFile = 0;
      const limit = this.rowsPerFile;
      const lines = async function* (): AsyncGenerator<string> {
        while (!next.done && inFile < limit) {
          yield next.value;
          inFile += 1;
          next = await rows.next();
        }
      };
      const md5 = createHash('md5');
      let size = 0;
      // The compressed bytes are hashed on their way into the store; backpressure runs through the whole chain.
      const hasher = new Transform({
        transform(chunk: Buffer, _enc, done) {
          md5.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      // pipeline (not pipe): a failing listing or store destroys the whole chain, so the put ends with the error.
      pipeline(Readable.from(lines()), createGzip(), hasher, (err) => {
        if (err) hasher.destroy(err);
      });
      try {
        await this.objects.put({
          bucket: dest.name, key, body: hasher, expect: {}, forbidOverwrite: false, sameBucket: destIs,
          headers: { contentType: 'application/x-gzip' }, userMeta: {},
        });
      } catch (err) {
        hasher.destroy(); // ends the listing the body was reading
        throw err;
      }
      count += inFile;
      files.push({ key, size, MD5checksum: md5.digest('hex').toUpperCase() });
    }
    const manifestKey = `${base}/${label}/manifest.json`;
    const manifest = Buffer.from(JSON.stringify({
      creationTimestamp: String(Math.floor(started / 1000)),
      destinationBucket: dest.name,
      fileFormat: 'CSV',
      fileSchema: fileSchema(plan).join(', '),
      files,
      sourceBucket: source.name,
      version: '2019-09-01',
    }, null, 2), 'utf8');
    await this.objects.put({
      bucket: dest.name, key: manifestKey, body: Readable.from([manifest]), expect: { length: manifest.length }, forbidOverwrite: false, sameBucket: destIs,
      headers: { contentType: 'application/json' }, userMeta: {},
    });
    return { bucket: source.name, id: plan.id, status: 'Done', manifest: manifestKey, files: files.map((f) => f.key), rows: count };
  }

  /**
   * After each listing step: the source is still the bucket the run started on. Asked after the step, not before, so
   * rows read from a bucket of the same name created meanwhile (by another account, perhaps) are never written into
   * the run's inventory: a name deleted and created again is another bucket (a new creation time), even by its owner.
   */
  private async sameSource(name: string, started: BucketIncarnation): Promise<void> {
    const now = await this.ctx.meta.getBucket(name);
    if (now === null || !isIncarnation(now, started)) throw new Error('the source bucket no longer exists');
  }

  /** The CSV lines of the run, one listing page at a time. */
  private async *rows(source: Bucket, plan: InventoryPlan): AsyncGenerator<string> {
    // The encryption state comes with each row (scanObjects' full records, the version listing's `encrypted`):
    // no read per listed object.
    // ObjectAcl, TaggingCount, ObjectType and Crc64 need the whole record: scanObjects gives it; a version listing
    // does not, so each listed version is read when one of them is asked for.
    const needsRecord = plan.fields.some((f) => f === 'ObjectAcl' || f === 'TaggingCount' || f === 'Crc64');
    const sourceIs = incarnationOf(source);
    const line = (o: ObjectSummary, encrypted: boolean, version?: VersionSummary, full?: ObjectRecord | null): string => {
      const cells = [source.name, encodeURIComponent(o.key)];
      if (plan.allVersions && version !== undefined) cells.push(version.versionId, String(version.isLatest), String(version.deleteMarker));
      for (const f of plan.fields) {
        switch (f) {
          case 'Size': cells.push(String(o.size)); break;
          case 'LastModifiedDate': cells.push(new Date(o.lastModified).toISOString()); break;
          case 'ETag': cells.push(o.etag); break;
          case 'StorageClass': cells.push(o.storageClass); break;
          case 'IsMultipartUploaded': cells.push(String(o.type === 'Multipart')); break;
          case 'EncryptionStatus': cells.push(String(encrypted)); break;
          case 'ObjectType': cells.push(version?.deleteMarker ? '' : o.type); break;
          case 'ObjectAcl': cells.push(full?.acl ?? ''); break;
          case 'TaggingCount': cells.push(full ? String(full.tags.length) : ''); break;
          case 'Crc64': cells.push(full?.crc64 ?? ''); break;
          // When lifecycle last moved the object to Cold Archive or Deep Cold Archive: not recorded here, so empty,
          // as for an object never moved [UNVERIFIED: OSS's format] (docs/inventory.md).
          case 'TransitionTime': cells.push(''); break;
          default: cells.push('');
        }
      }
      return `${cells.map(quote).join(',')}\n`;
    };
    if (!plan.allVersions) {
      let after: string | undefined;
      for (;;) {
        if (this.periodic.stopped) throw new Error('stopped');
        // scanObjects, unlike a listing, does not ask whether the bucket exists: a source deleted during the
        // run must fail it, not end it as a complete (empty or cut) inventory (sameSource).
        const page = await this.ctx.meta.scanObjects(source.name, { prefix: plan.filter.prefix, ...(after !== undefined ? { after } : {}), limit: this.pageSize });
        await this.sameSource(source.name, sourceIs);
        for (const o of page) if (matches(plan, o)) yield line(o, o.attrs?.encryption !== undefined, undefined, o);
        if (page.length < this.pageSize) return;
        after = page[page.length - 1]!.key;
      }
    }
    let keyMarker = '';
    let versionIdMarker = '';
    for (;;) {
      if (this.periodic.stopped) throw new Error('stopped');
      const page = await this.objects.listVersions(source.name, { prefix: plan.filter.prefix, delimiter: '', keyMarker, versionIdMarker, maxKeys: this.pageSize });
      await this.sameSource(source.name, sourceIs);
      for (const v of page.versions) {
        if (!v.deleteMarker && !matches(plan, v)) continue;
        const full = needsRecord && !v.deleteMarker ? await this.ctx.meta.getObjectVersion(source.name, v.key, v.versionId) : null;
        yield line(v, v.encrypted === true, v, full);
      }
      if (!page.truncated || page.next === null) return;
      keyMarker = page.next.key;
      versionIdMarker = page.next.versionId ?? '';
    }
  }
}
