import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Principal } from '../auth/principal.js';
import type { DomainContext } from './context.js';
import type { JobRole, TaskCheck, TaskFacts } from './batch-job-worker.js';
import type { Bucket, ObjectRecord, ObjectSummary } from './model.js';
import type { ObjectService } from './objects.js';
import { bucketDefaultEncryption, DEFAULT_KMS_KEY, sseOf } from './encryption.js';
import { isIncarnation, incarnationOf } from '../store/meta/types.js';
import { decodeProgress, incarnationText, isReplicaOf, replicaMarkOf, REPLICATION_PROGRESS, replicationRulesOf, type ReplicationRule, type RuleProgress } from './replication.js';
import { PeriodicRun } from '../util/periodic-run.js';

/**
 * The worker that makes bucket replication rules take effect within this server (docs/replication.md).
 *
 * A rule is reconciled in passes rather than by a queue of writes: a pass walks the source bucket's objects under the
 * rule's prefixes in key order (keyset pages, never OFFSET) and copies each one the destination lacks or holds an
 * older copy of; with DELETE it then walks the destination under the same prefixes and removes the replicas of this
 * source whose key the source no longer has. Every step is judged against the objects as they are, so a pass that a
 * crash cut short is simply walked again from its saved position: nothing is lost, and nothing copied twice does
 * harm (a replica already in step is left alone). Bytes are streamed (ObjectService.replicate), one object at a time.
 *
 * Replicas keep the source's Last-Modified and ETag and carry `attrs.replica`: they are never replicated again (A→B
 * with B→A does not loop), and a destination object newer than the source's is never replaced. Only replicas of this
 * source bucket are ever deleted: the mark names its incarnation (owner and creation time), so a bucket of the name
 * made since never counts the replicas of the one before as its own.
 *
 * Authority: every read and write is authorized through the one authorization path, as the rule's SyncRole (a session
 * of that role, which must trust oss.aliyuncs.com) or, without one, as the rule's author (the caller of
 * PutBucketReplication: a deny on one key, in a bucket policy or the author's own policies, holds for replication
 * too), and then only into a bucket of the source bucket's owner. Either way only into the very bucket
 * PutBucketReplication checked (its incarnation), never one of the name made since.
 *
 * One process works on a rule at a time: the rule's progress entry names its holder and a heartbeat, taken and saved
 * inside the store's transaction (PostgreSQL: several processes), and taken over when stale (a process that died).
 */

/** A holder that has not saved a rule's progress for this long is gone. */
export const REPLICATION_STALE_MS = 2 * 60 * 1000;

/**
 * A rule's turn ends after `tickBudget` objects looked at or `tickBytes` bytes copied (one object larger than that is
 * still copied whole, then the turn ends); a tick ends after `tickObjectsTotal` objects or `tickBytesTotal` bytes over
 * all rules, and the next tick starts with the rule after the last one served. So one rule of huge objects, or
 * thousands of rules, neither starve the others nor keep a tick (and a stop waiting for it) going unbounded.
 */
export const REPLICATION_DEFAULTS = {
  intervalMs: 10_000, pageSize: 100, tickBudget: 2_000, tickBytes: 256 * 1024 * 1024, tickObjectsTotal: 20_000, tickBytesTotal: 1024 * 1024 * 1024,
} as const;

/** Who a rule's writes are decided as. */
export type ReplicationActor = { kind: 'role'; role: JobRole } | { kind: 'author'; principal: Principal };

export interface ReplicationWorkerDeps {
  ctx: DomainContext;
  objects: ObjectService;
  /** Authorizes checks as the principal (throws AccessDenied as a request would get). */
  authorize(principal: Principal, checks: readonly TaskCheck[], facts?: TaskFacts): Promise<void>;
  findRole(accountId: string, roleName: string): Promise<JobRole | null>;
  /**
   * Whether a rule's author could still sign a request (sts/credentials.ts `stands`): a deleted user, or a session
   * whose role or parent AccessKey is gone or disabled, writes nothing more.
   */
  authorStands(principal: Principal): Promise<boolean>;
  /** Whether the bucket's overwrite rules forbid the principal to replace an existing object at the key (oss/overwrite.ts). */
  overwriteForbidden(principal: Principal, bucket: Bucket, key: string): boolean;
}

export interface ReplicationWorkerOptions {
  holder: string;
  /** 0: only when runOnce is called. */
  intervalMs: number;
  pageSize?: number;
  /** Objects one rule's turn looks at before moving on (REPLICATION_DEFAULTS). */
  tickBudget?: number;
  /** Bytes one rule's turn copies before moving on. */
  tickBytes?: number;
  /** Objects one tick looks at over all rules. */
  tickObjectsTotal?: number;
  /** Bytes one tick copies over all rules. */
  tickBytesTotal?: number;
  log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

/** The rule's progress is another process's (or the bucket changed): this one leaves it. */
class Lost extends Error {}

/** What a turn or a tick may still do: objects looked at, bytes copied. */
interface Budget {
  objects: number;
  bytes: number;
}

/** Where the next tick starts: the rule at `index` of the bucket's rules (replicationRulesOf). */
interface RuleCursor {
  bucket: string;
  index: number;
}

export class ReplicationWorker {
  private readonly periodic = new PeriodicRun<void>(() => this.tick(), () => undefined);
  private readonly pageSize: number;
  private readonly turn: Budget;
  private readonly total: Budget;
  /** The first rule the next tick serves (null: the first of all). */
  private cursor: RuleCursor | null = null;

  constructor(private readonly deps: ReplicationWorkerDeps, private readonly opts: ReplicationWorkerOptions) {
    const d = REPLICATION_DEFAULTS;
    this.pageSize = opts.pageSize ?? d.pageSize;
    this.turn = { objects: opts.tickBudget ?? d.tickBudget, bytes: opts.tickBytes ?? d.tickBytes };
    this.total = { objects: opts.tickObjectsTotal ?? d.tickObjectsTotal, bytes: opts.tickBytesTotal ?? d.tickBytesTotal };
  }

  start(): void {
    this.periodic.start(this.opts.intervalMs, (err) => this.opts.log('warn', 'replication tick failed', { err: String(err) }));
  }

  /** One tick now (joins one already running in this process). */
  runOnce(): Promise<void> {
    return this.periodic.runOnce();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private get ctx(): DomainContext {
    return this.deps.ctx;
  }

  /**
   * Serves the rules in turn, from the one after the last rule the previous tick served, round the buckets once,
   * until the tick's budget is spent (then the next tick goes on from the next rule).
   */
  private async tick(): Promise<void> {
    await this.ctx.meta.refreshSharedState?.();
    const left: Budget = { ...this.total };
    const start = this.cursor;
    const served = async (bucket: Bucket, from: number, to: number): Promise<boolean> => {
      const rules = replicationRulesOf(bucket);
      for (let i = from; i < Math.min(to, rules.length); i++) {
        if (this.periodic.stopped) return false;
        if (left.objects <= 0 || left.bytes <= 0) {
          this.cursor = { bucket: bucket.name, index: i };
          return false;
        }
        const given: Budget = { objects: Math.min(this.turn.objects, left.objects), bytes: Math.min(this.turn.bytes, left.bytes) };
        const turn = { ...given };
        try {
          await this.processRule(bucket, rules[i]!, turn);
        } catch (err) {
          if (!(err instanceof Lost)) this.opts.log('warn', 'replication page failed', { bucket: bucket.name, rule: rules[i]!.id, err: String(err) });
        }
        // At least one object's worth per turn, so a tick of many idle rules ends too.
        left.objects -= Math.max(1, given.objects - turn.objects);
        left.bytes -= given.bytes - turn.bytes;
      }
      return true;
    };
    // From the cursor to the last bucket, then from the first bucket up to the cursor's rule.
    if (start !== null) {
      const first = await this.ctx.meta.getBucket(start.bucket);
      if (first !== null && !(await served(first, start.index, Number.POSITIVE_INFINITY))) return;
    }
    if (!(await this.eachBucket(start?.bucket, undefined, (b) => served(b, 0, Number.POSITIVE_INFINITY)))) return;
    if (start !== null) {
      if (!(await this.eachBucket(undefined, start.bucket, (b) => served(b, 0, Number.POSITIVE_INFINITY)))) return;
      const first = await this.ctx.meta.getBucket(start.bucket);
      if (first !== null && !(await served(first, 0, start.index))) return;
    }
    this.cursor = null;
  }

  /** Calls `visit` on each bucket after `after` and before `before` in name order while it answers true. */
  private async eachBucket(after: string | undefined, before: string | undefined, visit: (b: Bucket) => Promise<boolean>): Promise<boolean> {
    for (;;) {
      const page = await this.ctx.meta.listBuckets({ prefix: '', ...(after !== undefined ? { after } : {}), limit: 1000 });
      for (const bucket of page) {
        if (before !== undefined && bucket.name >= before) return true;
        if (!(await visit(bucket))) return false;
      }
      if (page.length < 1000) return true;
      after = page[page.length - 1]!.name;
    }
  }

  /** Who the rule's writes are decided as; null when it cannot act (other region, no such bucket or role). */
  private async actorOf(source: Bucket, rule: ReplicationRule): Promise<{ actor: ReplicationActor; dest: Bucket } | null> {
    // Same-region replication only: a destination in another region is stored and reported, not acted on.
    if (rule.destLocation !== `oss-${this.ctx.region}`) return null;
    const dest = await this.ctx.meta.getBucket(rule.destBucket);
    if (dest === null || dest.name === source.name) return null;
    // Only into the bucket PutBucketReplication checked, not one of the name made since (by any account: one whose
    // policy lets a role or everyone write would otherwise receive the source's objects).
    if (rule.destinationChecked !== incarnationText(dest)) return null;
    if (rule.syncRole !== undefined) {
      const role = await this.deps.findRole(source.ownerAccountId, rule.syncRole);
      if (role === null || !role.trustsOss) return null;
      return { actor: { kind: 'role', role }, dest };
    }
    // Without a role: only into the owner's own bucket, each write decided as the rule's author (an STS session's rule
    // ends with the session).
    const author = rule.author;
    if (author === undefined || dest.ownerAccountId !== source.ownerAccountId) return null;
    if (author.type === 'session' && author.expiration <= this.ctx.clock()) return null;
    // Revoked as a request's credentials are (docs/sts.md "Revoking sessions"): the rule acts no longer than its author.
    if (!(await this.deps.authorStands(author))) return null;
    return { actor: { kind: 'author', principal: author }, dest };
  }

  private principalOf(actor: ReplicationActor): Principal {
    if (actor.kind === 'author') return actor.principal;
    const r = actor.role;
    return { type: 'session', accountId: r.accountId, roleId: r.roleId, roleName: r.roleName, sessionName: 'oss-replication', accessKeyId: '', sessionPolicy: null, expiration: Number.MAX_SAFE_INTEGER };
  }

  /** Takes the rule (or renews it) and answers its progress; Lost when another process holds it. */
  private async claim(source: Bucket, rule: ReplicationRule): Promise<RuleProgress> {
    const now = this.ctx.clock();
    const shared = typeof this.ctx.meta.tryLease === 'function';
    let taken: RuleProgress | null = null;
    const ok = await this.ctx.meta.updateConfigEntry(source.name, REPLICATION_PROGRESS, rule.id, (current) => {
      const p = decodeProgress(current);
      // Held by another process that saved lately: its. With SQLite one process owns the database, so a holder left
      // in the entry is a process that died (the server restarted): taken over at once.
      if (p !== null && p.holder !== this.opts.holder && p.holder !== '' && shared && p.heartbeat > now - REPLICATION_STALE_MS) return current;
      const base: RuleProgress = p !== null && p.ruleCreatedAt === rule.createdAt ? p : {
        ruleCreatedAt: rule.createdAt, pass: 1, phase: 'copy', unit: 0, after: '', passStartedAt: now, scanned: 0, replicated: 0, deleted: 0, failed: 0, holder: '', heartbeat: 0,
      };
      taken = { ...base, holder: this.opts.holder, heartbeat: now };
      return JSON.stringify(taken);
    }, incarnationOf(source));
    if (!ok || taken === null) throw new Lost();
    return taken;
  }

  /** Saves the progress if this process still holds the rule. */
  private async save(source: Bucket, rule: ReplicationRule, p: RuleProgress, release = false): Promise<void> {
    p.heartbeat = this.ctx.clock();
    let lost = false;
    await this.ctx.meta.updateConfigEntry(source.name, REPLICATION_PROGRESS, rule.id, (current) => {
      const cur = decodeProgress(current);
      if (cur === null || cur.holder !== this.opts.holder || cur.ruleCreatedAt !== rule.createdAt) {
        lost = true;
        return current;
      }
      return JSON.stringify({ ...p, holder: release ? '' : this.opts.holder });
    }, incarnationOf(source));
    if (lost) throw new Lost();
  }

  /** Advances one rule's pass within `budget` (what it uses is taken off). */
  private async processRule(listed: Bucket, rule: ReplicationRule, budget: Budget): Promise<void> {
    const source = await this.ctx.meta.getBucket(listed.name);
    if (source === null || !isIncarnation(source, incarnationOf(listed))) return;
    const acting = await this.actorOf(source, rule);
    if (acting === null) return;
    const p = await this.claim(source, rule);
    let pages = 0;
    while (budget.objects > 0 && budget.bytes > 0 && !this.periodic.stopped) {
      // Between pages: still that bucket with that rule (deleted or put again meanwhile: left for the next tick).
      if (pages++ > 0 && !(await this.stillThere(source, rule))) break;
      const prefix = rule.prefixes[p.unit];
      if (prefix === undefined) {
        if (p.phase === 'copy' && rule.delete) {
          Object.assign(p, { phase: 'delete', unit: 0, after: '' });
          continue;
        }
        // The pass is over: every write from before its start is in the destination.
        this.opts.log('info', 'replication pass', { bucket: source.name, rule: rule.id, pass: p.pass, replicated: p.replicated, deleted: p.deleted, failed: p.failed });
        Object.assign(p, { newObjectTime: p.passStartedAt, pass: p.pass + 1, phase: 'copy', unit: 0, after: '', scanned: 0, passStartedAt: this.ctx.clock() });
        await this.save(source, rule, p, true);
        return;
      }
      const walked = p.phase === 'copy' ? source.name : acting.dest.name;
      const limit = Math.min(this.pageSize, budget.objects);
      const page = await this.ctx.meta.listObjects(walked, { prefix, ...(p.after !== '' ? { after: p.after } : {}), limit });
      let done = 0;
      for (const s of page) {
        try {
          if (p.phase === 'copy') {
            p.scanned++;
            const copied = rule.put ? await this.copyOne(source, acting, rule, s) : null;
            if (copied !== null) {
              p.replicated++;
              budget.bytes -= copied;
            }
          } else if (await this.deleteOne(source, acting, s.key)) p.deleted++;
        } catch (err) {
          p.failed++;
          this.opts.log('warn', 'replication of an object failed', { bucket: source.name, rule: rule.id, key: s.key, err: String(err) });
        }
        p.after = s.key;
        done++;
        // The turn's bytes are spent: the rest of the page waits for the rule's next turn.
        if (budget.bytes <= 0) break;
      }
      budget.objects -= Math.max(1, done);
      if (done === page.length && page.length < limit) Object.assign(p, { unit: p.unit + 1, after: '' });
      await this.save(source, rule, p);
      await nextTurn();
    }
    await this.save(source, rule, p, true);
  }

  private async stillThere(source: Bucket, rule: ReplicationRule): Promise<boolean> {
    await this.ctx.meta.refreshSharedState?.();
    const now = await this.ctx.meta.getBucket(source.name);
    return now !== null && isIncarnation(now, incarnationOf(source)) && replicationRulesOf(now).some((r) => r.id === rule.id && r.createdAt === rule.createdAt);
  }

  /** Replicates one source object when the destination lacks it or holds an older one; its size when written, else null. */
  private async copyOne(source: Bucket, acting: { actor: ReplicationActor; dest: Bucket }, rule: ReplicationRule, s: ObjectSummary): Promise<number | null> {
    if (!rule.historical && s.lastModified < rule.createdAt) return null;
    const destName = acting.dest.name;
    const there = await this.ctx.meta.getObject(destName, s.key);
    if (there !== null && (there.lastModified > s.lastModified || (there.lastModified === s.lastModified && there.etag === s.etag))) return null;
    const src = await this.ctx.meta.getObject(source.name, s.key);
    // Changed since listed (the next pass takes it), a replica itself (never replicated again), a symlink, or
    // KMS-encrypted (replicated by OSS only with a role allowed the key; not here) [UNVERIFIED for symlinks].
    if (src === null || src.etag !== s.etag || src.attrs?.replica !== undefined || src.symlinkTarget !== null || sseOf(src)?.algorithm === 'KMS') return null;
    const principal = this.principalOf(acting.actor);
    // The destination as it is now (its overwrite rules), still the bucket the rule was checked for.
    const destNow = await this.ctx.meta.getBucket(destName);
    if (destNow === null || !isIncarnation(destNow, incarnationOf(acting.dest))) return null;
    const headers: Record<string, string> = src.acl !== 'default' ? { 'x-oss-object-acl': src.acl } : {};
    await this.deps.authorize(principal, [
      { action: 'oss:GetObject', bucket: source.name, key: src.key },
      { action: 'oss:PutObject', bucket: destName, key: src.key },
      ...(src.tags.length > 0 ? [{ action: 'oss:PutObjectTagging', bucket: destName, key: src.key }] : []),
      ...(src.acl !== 'default' ? [{ action: 'oss:PutObjectAcl', bucket: destName, key: src.key }] : []),
      // The replica takes the destination's default encryption: under KMS the writer needs the key, as PutObject does.
      ...kmsWriteChecks(destNow, src.key),
    ], { headers, ...(src.tags.length > 0 ? { requestTags: src.tags } : {}) });
    // The destination's overwrite rules bind replication as they bind the writer's own PutObject: an existing object
    // they protect is not replaced (FileAlreadyExists, counted as failed).
    const forbidOverwrite = this.deps.overwriteForbidden(principal, destNow, src.key);
    const written = await this.deps.objects.replicate(src, acting.dest, { storageClass: rule.storageClass, mark: replicaMarkOf(source), forbidOverwrite }, (current) =>
      current === null || current.lastModified < src.lastModified || (current.lastModified === src.lastModified && current.etag !== src.etag && isReplicaOf(current, source)));
    return written !== null ? src.size : null;
  }

  /** DELETE: removes this source's replica of a key the source no longer has; true when removed. */
  private async deleteOne(source: Bucket, acting: { actor: ReplicationActor; dest: Bucket }, key: string): Promise<boolean> {
    if ((await this.ctx.meta.getObject(source.name, key)) !== null) return false;
    const isOurs = (r: ObjectRecord): boolean => isReplicaOf(r, source);
    const there = await this.ctx.meta.getObject(acting.dest.name, key);
    if (there === null || !isOurs(there)) return false;
    await this.deps.authorize(this.principalOf(acting.actor), [{ action: 'oss:DeleteObject', bucket: acting.dest.name, key }]);
    return this.deps.objects.deleteReplica(acting.dest, key, isOurs);
  }
}

/** kms:GenerateDataKey and kms:Decrypt on the key a write into `bucket` encrypts with by default (none: not KMS). */
function kmsWriteChecks(bucket: Bucket, key: string): TaskCheck[] {
  const sse = bucketDefaultEncryption(bucket);
  if (sse?.algorithm !== 'KMS') return [];
  const kmsKeyId = sse.kmsKeyId ?? DEFAULT_KMS_KEY;
  return [
    { action: 'kms:GenerateDataKey', bucket: bucket.name, key, kmsKeyId },
    { action: 'kms:Decrypt', bucket: bucket.name, key, kmsKeyId },
  ];
}
