import type { Principal } from '../auth/principal.js';
import type { Bucket, ObjectRecord, ReplicaMark } from './model.js';

/**
 * Bucket replication rules as the worker reads them (docs/replication.md). PutBucketReplication keeps them in the
 * `stored.replication` configuration (oss/stored/replication.ts), with fields of its own that no request can set:
 * when the rule was made (`CreatedAt`, ms), the destination bucket whose writes the caller was authorized for
 * (`DestinationChecked`: its owner and creation time; the only bucket the rule ever writes) and, for a rule without a
 * SyncRole, who put it (`Author`).
 */

/** The configuration that holds the rules (a stored configuration, docs/stored-configurations.md). */
export const REPLICATION_CONFIG = 'stored.replication';

/** The collection of per-rule progress entries (one per rule ID) on the source bucket. */
export const REPLICATION_PROGRESS = 'replication-progress';

/** Internal rule fields (not in the published shape, so never rendered, and replaced on every Put). */
export const CREATED_AT = 'CreatedAt';
export const DESTINATION_CHECKED = 'DestinationChecked';
export const AUTHOR = 'Author';

export interface ReplicationRule {
  id: string;
  /** Key prefixes the rule covers ('' alone: the whole bucket). */
  prefixes: string[];
  /** Action ALL or PUT: writes are replicated. */
  put: boolean;
  /** Action ALL or DELETE: deletes are replicated. */
  delete: boolean;
  historical: boolean;
  destBucket: string;
  /** `oss-<region>`. */
  destLocation: string;
  storageClass?: string;
  syncRole?: string;
  createdAt: number;
  destinationChecked?: string;
  author?: Principal;
}

type JsonDoc = { [k: string]: unknown };

const isDoc = (v: unknown): v is JsonDoc => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (d: JsonDoc, k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
const many = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The incarnation text DESTINATION_CHECKED holds. */
export const incarnationText = (b: Pick<Bucket, 'ownerAccountId' | 'createdAt'>): string => `${b.ownerAccountId}/${b.createdAt}`;

/** The mark a replica of `source` carries: the bucket's name and incarnation. */
export const replicaMarkOf = (source: Bucket): ReplicaMark => ({ bucket: source.name, ownerAccountId: source.ownerAccountId, createdAt: source.createdAt });

/**
 * Whether `r` is a replica of that very source bucket (its incarnation, not merely its name): a bucket of the name
 * made since, by any account, neither deletes nor replaces the replicas of the one before.
 */
export function isReplicaOf(r: ObjectRecord, source: Bucket): boolean {
  const m = r.attrs?.replica;
  if (m === undefined || m.bucket !== source.name) return false;
  // A mark of the name only (replicas written before marks named the incarnation): a replica carries its source
  // object's Last-Modified, and every object of an earlier bucket of the name was written before that bucket was
  // deleted, so before this one was made. Written since this bucket was made: this bucket's.
  if (m.ownerAccountId === undefined && m.createdAt === undefined) return r.lastModified >= source.createdAt;
  return m.ownerAccountId === source.ownerAccountId && m.createdAt !== undefined && Number(m.createdAt) === Number(source.createdAt);
}

/** The bucket's rules that are not being deleted (a closing rule replicates nothing more). */
export function replicationRulesOf(bucket: Bucket): ReplicationRule[] {
  const raw = bucket.configs[REPLICATION_CONFIG];
  if (raw === undefined) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!isDoc(doc)) return [];
  const rules: ReplicationRule[] = [];
  for (const r of many(doc.Rule)) {
    const rule = isDoc(r) && text(r, 'Status') !== 'closing' ? ruleOf(r) : null;
    // A rule kept before replication acted on rules (no CreatedAt) was never authorized: it stays stored only.
    if (rule !== null && rule.id !== '' && Number.isFinite(rule.createdAt)) rules.push(rule);
  }
  return rules;
}

/** One stored rule (or a rule as PutBucketReplication reads it, without the internal fields) as the worker reads it. */
export function ruleOf(r: { [k: string]: unknown }): ReplicationRule {
  const dest = isDoc(r.Destination) ? r.Destination : {};
  const actions = (text(r, 'Action') ?? 'ALL').split(',').map((a) => a.trim());
  const prefixes = isDoc(r.PrefixSet) ? many(r.PrefixSet.Prefix).filter((p): p is string => typeof p === 'string') : [];
  const rule: ReplicationRule = {
    id: text(r, 'ID') ?? '',
    prefixes: prefixes.length === 0 || prefixes.includes('') ? [''] : [...new Set(prefixes)].sort(),
    put: actions.includes('ALL') || actions.includes('PUT'),
    delete: actions.includes('ALL') || actions.includes('DELETE'),
    historical: text(r, 'HistoricalObjectReplication') !== 'disabled',
    destBucket: text(dest, 'Bucket') ?? '',
    destLocation: text(dest, 'Location') ?? '',
    createdAt: Number(text(r, CREATED_AT) ?? NaN),
  };
  const sc = text(r, 'StorageClass') ?? text(dest, 'StorageClass');
  if (sc !== undefined && sc !== '') rule.storageClass = sc;
  const role = text(r, 'SyncRole');
  if (role !== undefined && role !== '') rule.syncRole = role;
  const checked = text(r, DESTINATION_CHECKED);
  if (checked !== undefined) rule.destinationChecked = checked;
  const author = text(r, AUTHOR);
  if (author !== undefined) {
    try {
      rule.author = JSON.parse(author) as Principal;
    } catch {
      // unreadable: no author, the rule acts as no one (without a role, it replicates nothing)
    }
  }
  return rule;
}

/** Where the worker is in a rule's passes, kept as the rule's entry of REPLICATION_PROGRESS. */
export interface RuleProgress {
  /** The rule this is the progress of (a rule deleted and put again under its ID starts over). */
  ruleCreatedAt: number;
  pass: number;
  phase: 'copy' | 'delete';
  /** Index into the rule's prefixes, and the last key done under it. */
  unit: number;
  after: string;
  passStartedAt: number;
  /** Source objects looked at in this pass (the historical percentage while the first pass runs). */
  scanned: number;
  /** Start of the last finished pass: every write before it has been replicated (GetBucketReplicationProgress NewObject). */
  newObjectTime?: number;
  replicated: number;
  deleted: number;
  failed: number;
  /** The process working on the rule and when it last saved (one claimer at a time, taken over when stale). */
  holder: string;
  heartbeat: number;
}

export function decodeProgress(text: string | null): RuleProgress | null {
  if (text === null) return null;
  try {
    const p = JSON.parse(text) as RuleProgress;
    return typeof p === 'object' && p !== null && typeof p.pass === 'number' ? p : null;
  } catch {
    return null;
  }
}

/**
 * GetBucketReplicationProgress's figures: HistoricalObject, the share of the existing objects copied (the first
 * pass's position against the bucket's object count; 1.00 once it has finished; 0.00 when historical objects are
 * not replicated) and NewObject, up to when new objects are replicated.
 */
export function progressFigures(rule: Pick<ReplicationRule, 'historical'>, p: RuleProgress | null, objectCount: number): { historical: string; newObject?: number } {
  if (p === null) return { historical: '0.00' };
  const done = p.newObjectTime !== undefined;
  const share = !rule.historical ? 0 : done ? 1 : Math.min(0.99, objectCount > 0 ? p.scanned / objectCount : 0);
  return { historical: share.toFixed(2), ...(done ? { newObject: p.newObjectTime! } : {}) };
}
