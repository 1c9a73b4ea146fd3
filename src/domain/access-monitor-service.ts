import { AppError } from '../errors.js';
import { updateConfig } from './bucket-config.js';
import type { DomainContext } from './context.js';
import { ACCESS_MONITOR_KIND, accessTrackingSince, lastAccessOf, monitorDoc, MONITOR_SINCE } from './access-monitor.js';
import { lifecycleOf, returnsOnRead, ruleMatches, usesAccessTime } from './lifecycle.js';
import type { Bucket, ObjectRecord } from './model.js';
import type { Json } from './stored-configs.js';
import type { BucketIncarnation } from '../store/meta/types.js';

// Access tracking (docs/lifecycle.md "Rules on the last access time"): PutBucketAccessMonitor's rules, and
// the reads it records. OSS records a read asynchronously, at most once in 24 hours per object ("only the
// first access operation on the object within the period updates the last access time"); here the first
// GetObject after a lifecycle day (so --lifecycle-day-seconds shortens it too) writes the time into the
// object's attrs, after the answer has started, without delaying it.

/** Thrown inside an update to leave the record as it is. */
class Unchanged extends Error {}

export class AccessMonitorService {
  /** Reads being recorded now (bucket NUL key): one write per object at a time however many GETs arrive. */
  private readonly recording = new Set<string>();

  constructor(
    private readonly ctx: DomainContext,
    /** A lifecycle day (ms): the window in which later reads of an object are not recorded again. */
    private readonly dayMs: number,
    private readonly log: (msg: string, fields: Record<string, unknown>) => void = () => undefined,
  ) {}

  /**
   * PutBucketAccessMonitor with the validated document. Switching tracking off while a lifecycle rule is on the
   * last access time is AccessMonitorDisableNotAllowed (its API page; the Go SDK v1's TestBucketAccessMonitor and
   * the Java SDK's BucketAccessMonitorTest expect the refusal). Switching it on keeps the time it was first
   * switched on while it stays on (the Go SDK's test puts Enabled twice). Decided inside the store's transaction,
   * which holds the bucket, as PutBucketLifecycle's check of the switch is; `sameBucket`: the bucket the request was
   * authorized on, captured before its body (ConfigWriteOptions).
   */
  async put(bucket: string, document: Json, sameBucket?: BucketIncarnation): Promise<void> {
    const requested = monitorDoc(document) ?? {};
    const now = this.ctx.clock();
    await updateConfig(this.ctx, bucket, ACCESS_MONITOR_KIND, (current, b) => {
      if (requested.Status !== 'Enabled') {
        if (usesAccessTime(lifecycleOf(b))) throw new AppError('AccessMonitorDisableNotAllowed', undefined, { BucketName: bucket });
        return requested;
      }
      const before = monitorDoc(current);
      const since = before?.Status === 'Enabled' && typeof before[MONITOR_SINCE] === 'string' ? before[MONITOR_SINCE] : String(now);
      return { ...requested, [MONITOR_SINCE]: since };
    }, { sameBucket });
  }

  /** The object's last access time while the bucket tracks access (x-oss-last-access-time), else null. */
  lastAccess(bucket: Bucket, obj: Pick<ObjectRecord, 'lastModified' | 'attrs'>): number | null {
    const since = accessTrackingSince(bucket);
    return since === null ? null : lastAccessOf(obj, since);
  }

  /**
   * A GetObject read `obj`'s bytes (through a symlink: the target's, as OSS counts it). Records the time when
   * the bucket tracks access and the last access is a lifecycle day old or more; and, when a rule on the last
   * access time moved it to IA with ReturnToStdWhenVisit true, moves it back to Standard. Never waits or fails
   * the read: the write runs on its own, and a failed one is only logged.
   */
  noteRead(bucket: Bucket, obj: ObjectRecord): void {
    const since = accessTrackingSince(bucket);
    if (since === null) return;
    const now = this.ctx.clock();
    const back = this.returnsToStandard(bucket, obj);
    if (!back && now - lastAccessOf(obj, since) < this.dayMs) return;
    const id = `${bucket.name}\0${obj.key}`;
    if (this.recording.has(id)) return;
    this.recording.add(id);
    const write = this.ctx.meta.updateObjectVersion(bucket.name, obj.key, obj.versionId, (current) => {
      // Rewritten meanwhile: the new record is an access of its own.
      if (current.etag !== obj.etag || current.lastModified !== obj.lastModified) throw new Unchanged();
      // Moved meanwhile (IA → Archive by another rule): the class stays; the read is still recorded.
      const returning = back && current.storageClass === 'IA' && current.attrs?.returnToStandard === true;
      const { returnToStandard: _, ...attrs } = current.attrs ?? {};
      return returning
        ? { ...current, storageClass: 'Standard' as const, attrs: { ...attrs, lastAccess: now } }
        : { ...current, attrs: { ...current.attrs, lastAccess: now } };
    });
    void write
      .catch((err: unknown) => {
        if (!(err instanceof Unchanged)) this.log('access time not recorded', { bucket: bucket.name, key: obj.key, error: String(err) });
      })
      .finally(() => this.recording.delete(id));
  }

  /**
   * Whether reading an IA object returns it to Standard: the lifecycle moved it there by a rule on the last access
   * time with ReturnToStdWhenVisit, and an enabled rule that selects it still says so (OSS: only objects "converted
   * from Standard to IA based on a lifecycle rule" go back).
   */
  private returnsToStandard(bucket: Bucket, obj: ObjectRecord): boolean {
    // Only what a rule on the last access time moved to IA (the worker marks it), not what was stored as IA.
    if (obj.storageClass !== 'IA' || obj.attrs?.returnToStandard !== true) return false;
    const config = lifecycleOf(bucket);
    if (config === null) return false;
    return config.rules.some((r) => ruleMatches(r, obj) && r.transitions.some(returnsOnRead));
  }
}
