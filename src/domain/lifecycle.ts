import { randomUUID } from 'node:crypto';
import { requireXmlText } from '../util/xml-chars.js';
import { isDateTime } from '../util/time.js';
import { AppError, invalidArgument } from '../errors.js';
import { jsonConfig, readConfig } from './bucket-config.js';
import { lastAccessOf } from './access-monitor.js';
import type { Bucket, ObjectRecord, StorageClass, UploadRecord } from './model.js';
import { isTagText } from './objects.js';

// Bucket lifecycle rules (PutBucketLifecycle / GetBucketLifecycle / DeleteBucketLifecycle): the validated
// document, kept through the generic bucket configuration store, and what the rules mean for one object
// or upload (matching, when an action is due). The background worker (lifecycle-worker.ts) applies them.

/** The classes a rule may move objects to, in the only order OSS moves them (colder only). */
export const TRANSITION_CLASSES = ['IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
export type TransitionClass = (typeof TRANSITION_CLASSES)[number];

/** How cold a storage class is: transitions only ever go up this ladder. */
export function coldness(c: StorageClass): number {
  return ['Standard', ...TRANSITION_CLASSES].indexOf(c);
}

export interface LifecycleTag {
  key: string;
  value: string;
}

/** When an action applies: `days` after the last modification, or to objects modified before `createdBeforeDate`. */
export interface LifecycleWhen {
  days?: number;
  /** `yyyy-MM-ddT00:00:00.000Z` as sent. */
  createdBeforeDate?: string;
  /** Deprecated `Date` (old SDKs send it): from that day on the action applies to every matching object. */
  date?: string;
}

export interface LifecycleExpiration extends LifecycleWhen {
  /** Kept as sent (`false` is echoed back); true removes delete markers without noncurrent versions. */
  expiredObjectDeleteMarker?: boolean;
}

export interface TransitionOptions {
  isAccessTime?: boolean;
  returnToStdWhenVisit?: boolean;
  allowSmallFile?: boolean;
}

export interface LifecycleTransition extends LifecycleWhen, TransitionOptions {
  storageClass: TransitionClass;
}

export interface NoncurrentTransition extends TransitionOptions {
  noncurrentDays: number;
  storageClass: TransitionClass;
}

/** Objects the rule leaves alone: key starts with `prefix` and (when given) carries `tag`. */
export interface LifecycleNot {
  prefix: string;
  tag?: LifecycleTag;
}

export interface LifecycleFilter {
  not: LifecycleNot[];
  objectSizeGreaterThan?: number;
  objectSizeLessThan?: number;
}

export interface LifecycleRule {
  id: string;
  prefix: string;
  status: 'Enabled' | 'Disabled';
  tags: LifecycleTag[];
  filter?: LifecycleFilter;
  expiration?: LifecycleExpiration;
  transitions: LifecycleTransition[];
  abortMultipartUpload?: LifecycleWhen;
  noncurrentVersionExpiration?: { noncurrentDays: number };
  noncurrentVersionTransitions: NoncurrentTransition[];
}

export interface LifecycleConfig {
  rules: LifecycleRule[];
}

/** The bucket configuration kind (bucket_configs name 'lifecycle'). */
export const LIFECYCLE = jsonConfig<LifecycleConfig>('lifecycle');

export const LIFECYCLE_LIMITS = { maxRules: 1000, maxIdBytes: 255, maxBodyBytes: 1024 * 1024 } as const;

const DATE_FORM = /^(\d{4})-(\d{2})-(\d{2})T00:00:00\.000Z$/;

/** A CreatedBeforeDate in milliseconds; InvalidArgument unless it is a real date at 00:00:00 UTC. */
export function parseLifecycleDate(value: string, argument = 'CreatedBeforeDate'): number {
  const m = DATE_FORM.exec(value);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString() !== value) {
    throw invalidArgument(`${argument} must be a date at 00:00:00 UTC in ISO 8601 form, such as 2002-10-11T00:00:00.000Z.`, argument, value);
  }
  return ms;
}

const malformed = (detail: string, ec?: string): AppError => new AppError('MalformedXML', undefined, { ErrorDetail: detail }, ec);

/**
 * Checks a parsed configuration against OSS's rules; throws the first fault, changes nothing. Fills in missing IDs.
 * Whether the bucket tracks access, which rules on the last access time need, is assertAccessTracking's to judge
 * (where the bucket is held).
 */
export function validateLifecycle(config: LifecycleConfig, opts: { allowSameActionOverlap: boolean }): LifecycleConfig {
  const { rules } = config;
  if (rules.length === 0) throw malformed('LifecycleConfiguration must contain at least one Rule.');
  if (rules.length > LIFECYCLE_LIMITS.maxRules) {
    throw invalidArgument(`One bucket not allow exceed one thousand items of LifecycleRules.`, 'Rule', String(rules.length));
  }
  const ids = new Set<string>();
  for (const rule of rules) {
    if (Buffer.byteLength(rule.id) > LIFECYCLE_LIMITS.maxIdBytes) throw invalidArgument('ID is longer than 255 bytes.', 'ID', rule.id);
    assertXmlText(rule.id, 'ID');
    if (rule.id !== '' && ids.has(rule.id)) throw invalidArgument('Rule ID must be unique.', 'ID', rule.id);
    if (rule.id !== '') ids.add(rule.id);
    validateRule(rule);
  }
  // An empty or missing ID gets a generated one (documented), unique among the others.
  const named = rules.map((r) => (r.id !== '' ? r : { ...r, id: uniqueId(ids) }));
  checkOverlaps(named, opts.allowSameActionOverlap);
  return { rules: named };
}

function uniqueId(taken: Set<string>): string {
  let id: string;
  do id = randomUUID(); while (taken.has(id));
  taken.add(id);
  return id;
}

function validateWhen(when: LifecycleWhen, element: string): void {
  const set = [when.days !== undefined, when.createdBeforeDate !== undefined, when.date !== undefined].filter(Boolean).length;
  if (set === 0) throw malformed(`${element} must contain Days or CreatedBeforeDate.`, element === 'Expiration' ? '0014-00000060' : undefined);
  if (set > 1) throw malformed(`${element} must contain only one of Days and CreatedBeforeDate.`);
  if (when.date !== undefined) parseLifecycleDate(when.date, 'Date');
  if (when.days !== undefined && (!Number.isSafeInteger(when.days) || when.days < 1)) {
    throw invalidArgument(`${element} Days must be a positive integer.`, 'Days', String(when.days));
  }
  if (when.createdBeforeDate !== undefined) parseLifecycleDate(when.createdBeforeDate);
}

/**
 * Every text of a rule is written back by GetBucketLifecycle, which has no `encoding-type`: a control character
 * XML 1.0 cannot carry (sent as `&#1;`) would make the whole configuration unreadable to strict XML readers
 * (the Go, Java and Python SDKs). So it is refused, in a Prefix too, although keys may hold such characters
 * (docs/compatibility.md): a shorter prefix, up to the control character, still selects those keys.
 */
function assertXmlText(text: string, name: string): void {
  requireXmlText(text, `${name} holds a control character that XML 1.0 cannot carry.`, name);
}

/**
 * A rule's tag: the characters of object tags, but no length limits. oss2's
 * test_lifecycle_object_tagging_exceptions_wrong_key/_wrong_value have OSS accept a 129-character key and a
 * 257-character value (such a rule matches no object) and refuse `%&` and `)%`.
 */
function validateTag(tag: LifecycleTag): void {
  if (tag.key === '') throw invalidArgument('The tag key must not be empty.', 'Key', tag.key);
  if (!isTagText(tag.key)) throw invalidArgument('A tag key may hold only letters, digits, spaces and + - = . _ : /.', 'Key', tag.key);
  if (!isTagText(tag.value)) throw invalidArgument('A tag value may hold only letters, digits, spaces and + - = . _ : /.', 'Value', tag.value);
  assertXmlText(tag.key, 'Key');
  assertXmlText(tag.value, 'Value');
}

/**
 * Rules on the last access time need the bucket's access tracking on (PutBucketAccessMonitor): while it is off OSS
 * answers MalformedXML (the Java SDK's testUnormalSetBucketLifecycleWithAccessMonitor).
 */
export function assertAccessTracking(config: LifecycleConfig, tracking: boolean): void {
  if (tracking) return;
  for (const rule of config.rules) {
    const element = rule.transitions.some((t) => t.isAccessTime === true) ? 'Transition'
      : rule.noncurrentVersionTransitions.some((t) => t.isAccessTime === true) ? 'NoncurrentVersionTransition' : null;
    if (element !== null) throw malformed(`${element} IsAccessTime requires access tracking (PutBucketAccessMonitor), which is not enabled on this bucket.`);
  }
}

/** A transition to IA on the last access time that a read undoes (ReturnToStdWhenVisit true). */
export function returnsOnRead(t: TransitionOptions & { storageClass: string }): boolean {
  return t.storageClass === 'IA' && t.isAccessTime === true && t.returnToStdWhenVisit === true;
}

function validateTransitionOptions(t: TransitionOptions & LifecycleWhen, element: string, filter: LifecycleFilter | undefined): void {
  if (t.isAccessTime === true) {
    // Days since the last access only (OSS's EC page 0014-00000047), and ReturnToStdWhenVisit said (0014-00000052).
    if (t.createdBeforeDate !== undefined || t.date !== undefined) throw malformed(`${element} IsAccessTime true takes Days, not CreatedBeforeDate.`, '0014-00000047');
    if (t.returnToStdWhenVisit === undefined) throw malformed(`${element} IsAccessTime true needs ReturnToStdWhenVisit.`, '0014-00000052');
  } else if (t.returnToStdWhenVisit !== undefined) {
    throw malformed(`${element} ReturnToStdWhenVisit is only valid with IsAccessTime true.`, '0014-00000052');
  }
  if (t.allowSmallFile !== undefined && (filter?.objectSizeGreaterThan !== undefined || filter?.objectSizeLessThan !== undefined)) {
    throw malformed('AllowSmallFile cannot be combined with Filter ObjectSizeGreaterThan or ObjectSizeLessThan.');
  }
}

/** Longest object key, in UTF-8 bytes (domain/names.ts): a rule prefix may be no longer. */
const MAX_PREFIX_BYTES = 1023;

function assertPrefix(prefix: string): void {
  if (Buffer.byteLength(prefix, 'utf8') > MAX_PREFIX_BYTES) throw invalidArgument(`A lifecycle rule Prefix may be at most ${MAX_PREFIX_BYTES} bytes long.`, 'Prefix', prefix.slice(0, 64));
  assertXmlText(prefix, 'Prefix');
}

function validateRule(rule: LifecycleRule): void {
  const hasAction =
    rule.expiration !== undefined || rule.transitions.length > 0 || rule.abortMultipartUpload !== undefined ||
    rule.noncurrentVersionExpiration !== undefined || rule.noncurrentVersionTransitions.length > 0;
  if (!hasAction) throw malformed(`Rule ${rule.id} must contain Expiration, Transition, AbortMultipartUpload, NoncurrentVersionExpiration or NoncurrentVersionTransition.`, '0014-00000026');
  // A prefix longer than the longest key selects nothing; bounding it bounds what is stored and echoed.
  assertPrefix(rule.prefix);
  for (const not of rule.filter?.not ?? []) assertPrefix(not.prefix);
  const keys = new Set<string>();
  for (const tag of rule.tags) {
    validateTag(tag);
    if (keys.has(tag.key)) throw invalidArgument('Cannot provide multiple Tags with the same key.', 'Key', tag.key);
    keys.add(tag.key);
  }
  if (rule.tags.length > 0 && rule.abortMultipartUpload !== undefined) {
    throw invalidArgument('Tag cannot be used with AbortMultipartUpload: uploads have no tags.', 'Tag');
  }
  const f = rule.filter;
  if (f) {
    for (const not of f.not) {
      // An empty Prefix is no prefix: the Go SDK always writes the element, and its own
      // TestBucketLifecycleWithFilterSize puts a Not of only a Tag (`<Prefix></Prefix><Tag>…`). A Not of nothing is refused.
      if (not.prefix === '' && not.tag === undefined) throw malformed('Filter Not must contain a non-empty Prefix or a Tag.');
      if (not.prefix !== '' && !not.prefix.startsWith(rule.prefix)) throw invalidArgument('The Prefix of Filter Not must start with the Prefix of its Rule.', 'Prefix', not.prefix);
      if (not.tag === undefined && not.prefix === rule.prefix) throw invalidArgument('The Prefix of Filter Not without a Tag must differ from the Prefix of its Rule.', 'Prefix', not.prefix);
      if (not.tag) validateTag(not.tag);
    }
    for (const [name, v] of [['ObjectSizeGreaterThan', f.objectSizeGreaterThan], ['ObjectSizeLessThan', f.objectSizeLessThan]] as const) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw invalidArgument(`${name} must be a non-negative integer.`, name, String(v));
    }
    if (f.objectSizeGreaterThan !== undefined && f.objectSizeLessThan !== undefined && f.objectSizeGreaterThan >= f.objectSizeLessThan) {
      throw invalidArgument('ObjectSizeGreaterThan must be smaller than ObjectSizeLessThan.', 'ObjectSizeLessThan', String(f.objectSizeLessThan));
    }
  }
  const e = rule.expiration;
  if (e) {
    if (e.expiredObjectDeleteMarker === true) {
      if (e.days !== undefined || e.createdBeforeDate !== undefined || e.date !== undefined) throw malformed('Expiration ExpiredObjectDeleteMarker true cannot be combined with Days or CreatedBeforeDate.');
    } else {
      validateWhen(e, 'Expiration');
    }
  }
  if (rule.abortMultipartUpload) validateWhen(rule.abortMultipartUpload, 'AbortMultipartUpload');
  const classes = new Set<string>();
  for (const t of rule.transitions) {
    validateWhen(t, 'Transition');
    validateTransitionOptions(t, 'Transition', f);
    if (classes.has(t.storageClass)) throw invalidArgument(`Rule ${rule.id} has more than one Transition to ${t.storageClass}.`, 'StorageClass', t.storageClass);
    classes.add(t.storageClass);
  }
  checkLadder(rule);
  if (rule.noncurrentVersionExpiration) positiveDays(rule.noncurrentVersionExpiration.noncurrentDays);
  const ncClasses = new Set<string>();
  for (const t of rule.noncurrentVersionTransitions) {
    positiveDays(t.noncurrentDays);
    validateTransitionOptions(t, 'NoncurrentVersionTransition', f);
    if (ncClasses.has(t.storageClass)) throw invalidArgument(`Rule ${rule.id} has more than one NoncurrentVersionTransition to ${t.storageClass}.`, 'StorageClass', t.storageClass);
    ncClasses.add(t.storageClass);
  }
  const nc = [...rule.noncurrentVersionTransitions].sort((a, b) => coldness(a.storageClass) - coldness(b.storageClass));
  for (let i = 1; i < nc.length; i++) {
    if (nc[i]!.noncurrentDays <= nc[i - 1]!.noncurrentDays) {
      throw invalidArgument(`The NoncurrentDays of the transition to ${nc[i]!.storageClass} must be greater than that of the transition to ${nc[i - 1]!.storageClass}.`, 'NoncurrentDays', String(nc[i]!.noncurrentDays));
    }
  }
  const last = nc[nc.length - 1];
  if (rule.noncurrentVersionExpiration && last && rule.noncurrentVersionExpiration.noncurrentDays <= last.noncurrentDays) {
    throw invalidArgument('The NoncurrentDays of NoncurrentVersionExpiration must be greater than those of every NoncurrentVersionTransition.', 'NoncurrentDays', String(rule.noncurrentVersionExpiration.noncurrentDays));
  }
}

function positiveDays(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw invalidArgument('NoncurrentDays must be a positive integer.', 'NoncurrentDays', String(n));
}

/**
 * Within a rule: colder classes after more Days, and the expiration after every transition; Days and dates are
 * not mixed (OSS: InvalidRequest, EC 0014-00000080). CreatedBeforeDate steps are not ordered: each names the
 * objects created before its date, so an Expiration at an earlier date than a Transition is coherent (the oldest
 * objects expire, the next ones change class). OSS accepts both orders: oss2's test_lifecycle_storage_transitions_date
 * puts an Expiration at 2016-12-25 after an IA Transition at 2016-12-20, ali-oss's own "should put the lifecycle
 * with Transition" an Expiration at 2020-02-17 before an IA Transition at 2020-02-18 (docs/lifecycle.md).
 */
function checkLadder(rule: LifecycleRule): void {
  const steps: Array<{ what: string; when: LifecycleWhen; order: number }> = [...rule.transitions]
    .sort((a, b) => coldness(a.storageClass) - coldness(b.storageClass))
    .map((t) => ({ what: `Transition for StorageClass ${t.storageClass}`, when: t, order: coldness(t.storageClass) }));
  const e = rule.expiration;
  if (e && (e.days !== undefined || e.createdBeforeDate !== undefined)) steps.push({ what: 'Expiration', when: e, order: 99 });
  // The deprecated Date is a moment, not an age: it is not ordered against the others.
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i]!.when.date !== undefined) steps.splice(i, 1);
  const byDays = steps.filter((s) => s.when.days !== undefined);
  const byDate = steps.filter((s) => s.when.createdBeforeDate !== undefined);
  if (byDays.length > 0 && byDate.length > 0) {
    throw new AppError('InvalidRequest', `Found mixed CreatedBeforeDate and Days based ${byDate[0]!.what.split(' ')[0]} and ${byDays[0]!.what} actions`, {}, '0014-00000080');
  }
  for (let i = 1; i < byDays.length; i++) {
    const [a, b] = [byDays[i - 1]!, byDays[i]!];
    if (!(b.when.days! > a.when.days!)) throw invalidArgument(`The ${b.what} must take effect later than the ${a.what}.`, b.what.split(' ')[0], String(b.when.days));
  }
}

/** The action types two rules with overlapping prefixes may not share (without x-oss-allow-same-action-overlap). */
function actionTypes(rule: LifecycleRule): string[] {
  const out: string[] = [];
  if (rule.expiration) out.push('Expiration');
  if (rule.abortMultipartUpload) out.push('AbortMultipartUpload');
  if (rule.noncurrentVersionExpiration) out.push('NoncurrentVersionExpiration');
  for (const t of rule.transitions) out.push(`Transition ${t.storageClass}`);
  for (const t of rule.noncurrentVersionTransitions) out.push(`NoncurrentVersionTransition ${t.storageClass}`);
  return out;
}

/**
 * Rules whose prefixes overlap (one starts with the other; an empty prefix overlaps every rule) may not
 * share an action type unless the header allows it; AbortMultipartUpload never (OSS's documented limit).
 */
function checkOverlaps(rules: LifecycleRule[], allowSameAction: boolean): void {
  const sorted = [...rules].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  // Sorted by prefix, every rule whose prefix starts another's comes before it: a stack of open prefixes.
  const open: LifecycleRule[] = [];
  /** Open rules with an AbortMultipartUpload (the one type the header does not let overlapping rules share). */
  let openAborts = 0;
  const sameType = (type: string): AppError => {
    const name = type.split(' ')[0]!;
    return new AppError('InvalidRequest', `Overlap for same action type ${name}.`, {}, name.startsWith('Transition') ? '0014-00000079' : '0014-00000084');
  };
  for (const rule of sorted) {
    while (open.length > 0 && !rule.prefix.startsWith(open[open.length - 1]!.prefix)) {
      if (open.pop()!.abortMultipartUpload) openAborts--;
    }
    const mine = actionTypes(rule);
    if (allowSameAction) {
      // Nested rules may share every other type: one count decides, not a pass over the open rules (1,000 rules
      // each nested in the one before, as the header allows, were 500,000 passes, ~0.3 s of event loop).
      if (rule.abortMultipartUpload && openAborts > 0) throw sameType('AbortMultipartUpload');
    } else {
      // Without the header no two open rules share a type and every rule has one: at most one open rule per type.
      for (const other of open) {
        const theirs = new Set(actionTypes(other));
        for (const type of mine) if (theirs.has(type)) throw sameType(type);
        checkMixedOverlap(other, rule);
      }
    }
    open.push(rule);
    if (rule.abortMultipartUpload) openAborts++;
  }
}

/** Overlapping rules must time their object actions the same way (Days or CreatedBeforeDate). */
function checkMixedOverlap(a: LifecycleRule, b: LifecycleRule): void {
  const kinds = (r: LifecycleRule): Array<{ what: string; days: boolean }> => [
    ...r.transitions.map((t) => ({ what: `Transition for StorageClass ${t.storageClass}`, days: t.days !== undefined })),
    ...(r.expiration && !r.expiration.expiredObjectDeleteMarker && r.expiration.date === undefined ? [{ what: 'Expiration', days: r.expiration.days !== undefined }] : []),
  ];
  const all = [...kinds(a), ...kinds(b)];
  const d = all.find((k) => k.days);
  const c = all.find((k) => !k.days);
  if (d && c) throw new AppError('InvalidRequest', `Found mixed CreatedBeforeDate and Days based ${c.what} and ${d.what} actions`, {}, '0014-00000080');
}

// ---- what the rules mean for one object ----

/** The bucket's lifecycle rules, or null (no query: decoded from the bucket record). */
export function lifecycleOf(bucket: Bucket): LifecycleConfig | null {
  return readConfig(bucket, LIFECYCLE);
}

const hasTag = (tags: ReadonlyArray<[string, string]>, t: LifecycleTag): boolean => tags.some(([k, v]) => k === t.key && v === t.value);

/**
 * What judging one object against every rule may cost, in characters compared (ruleMatches: the rule's prefix, its
 * Not prefixes, its tags against up to 10 object tags), plus a constant per rule: at most ~2 per byte of the
 * configuration. A page of the lifecycle worker takes as many objects as keep this within a bound (a 1 MiB
 * configuration of long, matching prefixes costs ~1-2 ms per object).
 */
export function matchWeight(config: LifecycleConfig): number {
  const tagWeight = (t: LifecycleTag): number => 16 + 10 * (t.key.length + t.value.length);
  let weight = 0;
  for (const rule of config.rules) {
    weight += 32 + rule.prefix.length;
    for (const t of rule.tags) weight += tagWeight(t);
    for (const n of rule.filter?.not ?? []) weight += 16 + n.prefix.length + (n.tag === undefined ? 0 : tagWeight(n.tag));
  }
  return weight;
}

/**
 * Whether an enabled rule selects an object (prefix, every tag, size bounds, and none of its Not conditions).
 * `assumeTags`: judge without the object's tags (a listing has none), as if every tag condition held; a
 * superset of the objects the rule selects.
 */
export function ruleMatches(rule: LifecycleRule, obj: Pick<ObjectRecord, 'key' | 'size' | 'tags'>, assumeTags = false): boolean {
  if (rule.status !== 'Enabled' || !obj.key.startsWith(rule.prefix)) return false;
  if (!assumeTags) for (const t of rule.tags) if (!hasTag(obj.tags, t)) return false;
  const f = rule.filter;
  if (f) {
    if (f.objectSizeGreaterThan !== undefined && !(obj.size > f.objectSizeGreaterThan)) return false;
    if (f.objectSizeLessThan !== undefined && !(obj.size < f.objectSizeLessThan)) return false;
    for (const not of f.not) {
      if (obj.key.startsWith(not.prefix) && (not.tag === undefined ? true : !assumeTags && hasTag(obj.tags, not.tag))) return false;
    }
  }
  return true;
}

/**
 * When an action applies to something last modified (or initiated) at `since`: `days` later (a day is
 * `dayMs`, shortened by --lifecycle-day-seconds), or, for a CreatedBeforeDate, at once (`since`) when it is
 * older than the date, never otherwise. `announce`: for a CreatedBeforeDate, the date itself (what
 * `x-oss-expiration` shows).
 */
export function dueAt(when: LifecycleWhen, since: number, dayMs: number, announce = false): number | null {
  if (when.days !== undefined) {
    // Past the last date a Date holds, never (x-oss-expiration said "Invalid Date" for Days 999999999999999).
    const at = since + when.days * dayMs;
    return isDateTime(at) ? at : null;
  }
  if (when.createdBeforeDate !== undefined) {
    const date = parseLifecycleDate(when.createdBeforeDate);
    return since < date ? (announce ? date : since) : null;
  }
  if (when.date !== undefined) return parseLifecycleDate(when.date, 'Date');
  return null;
}

export type ObjectAction =
  | { kind: 'expire'; rule: string }
  /** `returnOnRead`: an IA transition on the last access time with ReturnToStdWhenVisit (a read moves it back). */
  | { kind: 'transition'; rule: string; storageClass: TransitionClass; returnOnRead: boolean };

/** What the rules look at in an object (a listing row with empty tags and no attrs will do, see assumeTags). */
export type LifecycleSubject = Pick<ObjectRecord, 'key' | 'size' | 'tags' | 'lastModified' | 'storageClass' | 'type' | 'attrs'>;

/** Whether any rule (enabled or not) moves objects by their last access time (IsAccessTime true). */
export function usesAccessTime(config: LifecycleConfig | null): boolean {
  return config !== null && config.rules.some((r) => [...r.transitions, ...r.noncurrentVersionTransitions].some((t) => t.isAccessTime === true));
}

/**
 * What the rules do to a current object now: expire it (wins), move it to the coldest due class, or nothing.
 * `accessSince`: since when the bucket tracks access (domain/access-monitor.ts), null when it does not; a
 * transition with IsAccessTime counts its Days from the object's last access (lastAccessOf), every other
 * action from the last modification. A listing row has no attrs: its last access is then at most what the
 * record says, so the row is judged due no later than the record (a superset, judged again on the record).
 */
export function objectActionDue(config: LifecycleConfig, obj: LifecycleSubject, now: number, dayMs: number, opts: { assumeTags?: boolean; accessSince?: number | null } = {}): ObjectAction | null {
  const accessed = lastAccessOf(obj, opts.accessSince ?? 0);
  let transition: { rule: string; storageClass: TransitionClass; returnOnRead: boolean } | null = null;
  for (const rule of config.rules) {
    if (!ruleMatches(rule, obj, opts.assumeTags === true)) continue;
    const e = rule.expiration;
    if (e && !e.expiredObjectDeleteMarker) {
      const at = dueAt(e, obj.lastModified, dayMs);
      if (at !== null && at <= now) return { kind: 'expire', rule: rule.id };
    }
    // Symlinks have no bytes to move.
    if (obj.type === 'Symlink') continue;
    for (const t of rule.transitions) {
      const at = dueAt(t, t.isAccessTime === true ? accessed : obj.lastModified, dayMs);
      if (at === null || at > now) continue;
      if (coldness(t.storageClass) <= coldness(obj.storageClass)) continue;
      if (!transition || coldness(t.storageClass) > coldness(transition.storageClass)) {
        transition = { rule: rule.id, storageClass: t.storageClass, returnOnRead: returnsOnRead(t) };
      }
    }
  }
  return transition ? { kind: 'transition', ...transition } : null;
}

/** The earliest expiration any rule sets for an object (`x-oss-expiration`), or null. */
export function expirationOf(config: LifecycleConfig, obj: ObjectRecord, dayMs: number): { at: number; rule: string } | null {
  let best: { at: number; rule: string } | null = null;
  for (const rule of config.rules) {
    const e = rule.expiration;
    if (!e || e.expiredObjectDeleteMarker || !ruleMatches(rule, obj)) continue;
    const at = dueAt(e, obj.lastModified, dayMs, true);
    if (at !== null && (best === null || at < best.at)) best = { at, rule: rule.id };
  }
  return best;
}

/** Whether an AbortMultipartUpload rule applies to an upload now (tags never: rules with tags have none). */
export function uploadAbortDue(config: LifecycleConfig, upload: UploadRecord, now: number, dayMs: number): string | null {
  for (const rule of config.rules) {
    const a = rule.abortMultipartUpload;
    if (!a || rule.status !== 'Enabled' || !upload.key.startsWith(rule.prefix)) continue;
    if (rule.filter?.not.some((n) => n.tag === undefined && upload.key.startsWith(n.prefix))) continue;
    const at = dueAt(a, upload.initiated, dayMs);
    if (at !== null && at <= now) return rule.id;
  }
  return null;
}

/**
 * The key ranges the worker has to visit: the prefixes of enabled rules with an object or upload action,
 * without those inside another (sorted; [''] when a rule covers the whole bucket).
 */
export function scanPrefixes(config: LifecycleConfig, what: 'objects' | 'uploads' | 'markers'): string[] {
  const wanted = (r: LifecycleRule): boolean =>
    what === 'uploads' ? r.abortMultipartUpload !== undefined
      : what === 'markers' ? r.expiration?.expiredObjectDeleteMarker === true
        : (r.expiration !== undefined && r.expiration.expiredObjectDeleteMarker !== true) || r.transitions.length > 0;
  const prefixes = config.rules
    .filter((r) => r.status === 'Enabled' && wanted(r))
    .map((r) => r.prefix)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: string[] = [];
  for (const p of prefixes) if (out.length === 0 || !p.startsWith(out[out.length - 1]!)) out.push(p);
  return out;
}
