import { randomUUID } from 'node:crypto';
import { AppError, invalidArgument, isAppError } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler } from '../context.js';
import { empty } from '../handlers/common.js';
import { child, listOf, textOf, type Doc } from './schema.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, readDocument, respond } from './common.js';
import { knownRegions } from './computed.js';
import { AUTHOR, CREATED_AT, DESTINATION_CHECKED, decodeProgress, incarnationText, progressFigures, REPLICATION_PROGRESS, ruleOf } from '../../domain/replication.js';
import { ramRoleArn } from '../../policy/arn.js';
import type { OssRequest } from '../context.js';
import type { AuthzCheck } from '../operations.js';
import { httpDate } from '../../util/time.js';

// Replication rules and RTC, kept as one list per bucket. Rules to a bucket of this server's region are acted on by
// the replication worker (domain/replication-worker.ts, docs/replication.md); others are stored and returned only.

const MAX_REPLICATION_RULES = 100;

/**
 * How long a deleted rule stays listed as `closing`. OSS keeps a deleted rule, status closing, while it cleans up
 * (DeleteBucketReplication's documentation); the Java SDK's BucketReplicationTest and oss2's
 * test_replication_with_full_parameter read it back as closing right after the delete. Alunite has nothing to
 * clean up, so the rule goes after this long [UNVERIFIED: how long OSS takes].
 */
export const REPLICATION_CLOSING_MS = 60_000;

/** The internal field that keeps when a rule was deleted (not in the published shape, so never rendered). */
const CLOSING_SINCE = 'ClosingSince';

/** The bucket's rules, without the deleted ones whose closing time is over. */
function rulesOf(value: Json | null, now: number): Doc[] {
  const doc = asDoc(value);
  if (doc === null) return [];
  return (listOf(doc, 'Rule') as Doc[]).filter((r) => {
    const since = Number(textOf(r, CLOSING_SINCE) ?? NaN);
    return !(since <= now - REPLICATION_CLOSING_MS);
  });
}

const isClosing = (r: Doc): boolean => textOf(r, 'Status') === 'closing';

/** Whether the configuration holds a rule that is not being deleted (GetBucketInfo's CrossRegionReplication). */
export const hasActiveRule = (value: Json | null): boolean => {
  const doc = asDoc(value);
  return doc !== null && (listOf(doc, 'Rule') as Doc[]).some((r) => !isClosing(r));
};

const destinationOf = (r: Doc): string => {
  const d = child(r, 'Destination');
  return d === undefined ? '' : `${textOf(d, 'Location') ?? ''}/${textOf(d, 'Bucket') ?? ''}`;
};

/**
 * What OSS keeps of a rule's KMS settings: without a SyncRole none of them (OSS needs the role to use the key;
 * oss2's test_put_replica_without_sync_role reads no ReplicaKmsKeyID and no SseKmsEncryptedObjects status back),
 * and no ReplicaKmsKeyID when KMS-encrypted objects are not replicated (test_kms_encrypted_status_disabled).
 */
function keptKmsSettings(rule: Doc): Doc {
  const out: Doc = { ...rule };
  if (textOf(out, 'SyncRole') === undefined || textOf(out, 'SyncRole') === '') {
    delete out.EncryptionConfiguration;
    delete out.SourceSelectionCriteria;
    return out;
  }
  const sse = child(child(out, 'SourceSelectionCriteria') ?? {}, 'SseKmsEncryptedObjects');
  if (sse === undefined || textOf(sse, 'Status') !== 'Enabled') delete out.EncryptionConfiguration;
  return out;
}

/** A replication rule ID that a response header carries as it is. */
const RULE_ID = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

export const putBucketReplication: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'PutBucketReplication', { maxLength: { 'Rule.ID': 255 }, required: ['Rule', 'Rule.Destination', 'Rule.Destination.Bucket', 'Rule.Destination.Location'] });
  const rule = child(doc, 'Rule')!;
  const action = textOf(rule, 'Action');
  if (action !== undefined && !action.split(',').every((a) => ['ALL', 'PUT', 'DELETE', 'ABORT'].includes(a.trim()))) {
    throw invalidArgument('Action must be ALL or a list of PUT, DELETE, ABORT.', 'Action', action);
  }
  const given = textOf(rule, 'ID');
  // The ID goes back in the x-oss-replication-rule-id header: only text a header carries unchanged (printable
  // ASCII, no space at either end) is taken, checked before anything is stored. Empty or absent: a new UUID.
  if (given !== undefined && given !== '' && !RULE_ID.test(given)) {
    throw invalidArgument('ID must be printable ASCII without leading or trailing spaces.', 'ID', given.slice(0, 64));
  }
  // "The source bucket and the destination bucket cannot have the same name" (PutBucketReplication's documentation):
  // bucket names are unique, so that would be the bucket replicating into itself [UNVERIFIED: OSS's code].
  const destination = textOf(child(rule, 'Destination')!, 'Bucket');
  if (destination === bucketOf(req)) throw invalidArgument('The destination bucket must not be the source bucket.', 'Bucket', destination);
  const id = given === undefined || given === '' ? randomUUID() : given;
  // New rules start: OSS shows a rule as "starting" until its first pass is done.
  const stored: Doc = { ...keptKmsSettings(rule), ID: id, Status: 'starting' };
  // The internal fields are the server's own: whatever a body names so is dropped.
  delete stored[CREATED_AT];
  delete stored[DESTINATION_CHECKED];
  delete stored[CLOSING_SINCE];
  delete stored[AUTHOR];
  const checked = await authorizeReplication(req, stored);
  stored[CREATED_AT] = String(req.services.stored.now());
  if (checked !== null) {
    stored[DESTINATION_CHECKED] = checked;
    // A rule with a SyncRole writes as the role; only one without is decided as its author.
    if (textOf(stored, 'SyncRole') === undefined || textOf(stored, 'SyncRole') === '') stored[AUTHOR] = JSON.stringify(req.principal);
  }
  if (stored.HistoricalObjectReplication === undefined) stored.HistoricalObjectReplication = 'enabled';
  if (stored.Action === undefined) stored.Action = 'ALL';
  const now = req.services.stored.now();
  await req.services.stored.update(bucketOf(req), 'replication', (current) => {
    const rules = rulesOf(current, now);
    if (rules.some((r) => textOf(r, 'ID') === id)) throw new AppError('BucketReplicationAlreadyExist', `A replication rule with ID ${id} already exists.`);
    // One rule per destination bucket (EC 0031-00000044: one rule between a source and a destination bucket):
    // oss2's test_put_multi_replica_rule adds a second rule (another ID) to the same destination and expects
    // BucketReplicationAlreadyExist. A closing rule still holds its destination.
    if (rules.some((r) => destinationOf(r) === destinationOf(stored))) {
      throw new AppError('BucketReplicationAlreadyExist', 'A replication rule to this destination bucket already exists.', undefined, '0031-00000044');
    }
    if (rules.length >= MAX_REPLICATION_RULES) throw new AppError('TooManyReplicationRules', `A bucket may have at most ${MAX_REPLICATION_RULES} replication rules.`);
    return asJson({ Rule: [...rules, stored] });
  }, false, written);
  return empty(200, { 'x-oss-replication-rule-id': id });
};

/**
 * Replication writes into the destination bucket (docs/replication.md): whoever configures a rule must be allowed to
 * read what it copies and to write (and with DELETE, delete) where it copies to, so that no one gets writes into a
 * bucket they could not make themselves [UNVERIFIED: OSS decides through the rule's role]. With a SyncRole the caller
 * must be allowed to hand that role over (ram:PassRole, as for a batch job's role), and the worker decides each write
 * as the role; without one, only a bucket of the source bucket's owner is written. Either way only the bucket checked
 * here is ever written (its incarnation, answered for the rule to keep; null when the destination is not a bucket of
 * this server's region): a bucket of the name made later, by another account perhaps, whose policy lets anyone in,
 * must not receive the source's objects.
 */
async function authorizeReplication(req: OssRequest, rule: Doc): Promise<string | null> {
  const source = bucketOf(req);
  const destination = child(rule, 'Destination')!;
  const destName = textOf(destination, 'Bucket') ?? '';
  const syncRole = textOf(rule, 'SyncRole');
  const owner = (await req.services.buckets.incarnation(source)).ownerAccountId;
  if (syncRole !== undefined && syncRole !== '') {
    await req.authorize([{ action: 'ram:PassRole', bucket: null, key: null, acl: 'none', passRole: ramRoleArn(owner, syncRole) }]);
  }
  if (textOf(destination, 'Location') !== `oss-${req.services.stored.region}`) return null;
  const dest = await Promise.resolve(req.services.buckets.get(destName)).catch((err: unknown) => {
    if (isAppError(err)) return null; // no such bucket (or no valid name): nothing here to replicate into
    throw err;
  });
  if (dest === null) return null;
  const parsed = ruleOf(rule);
  const checks: AuthzCheck[] = [];
  for (const prefix of parsed.prefixes) {
    checks.push({ action: 'oss:GetObject', bucket: source, key: prefix, acl: 'read' });
    if (parsed.put) checks.push({ action: 'oss:PutObject', bucket: destName, key: prefix, acl: 'write' });
    if (parsed.delete) checks.push({ action: 'oss:DeleteObject', bucket: destName, key: prefix, acl: 'write' });
  }
  await req.authorize(checks);
  if (syncRole !== undefined && syncRole !== '') return incarnationText(dest);
  // Without a role, OSS replicates only between buckets of one account [UNVERIFIED: its error code].
  if (dest.ownerAccountId !== owner) throw new AppError('AccessDenied', 'Replication into a bucket of another account needs a SyncRole.');
  return incarnationText(dest);
}

export const getBucketReplication: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'replication');
  const rules = rulesOf(value, req.services.stored.now());
  if (rules.length === 0) throw new AppError('NoSuchReplicationConfiguration', undefined, { BucketName: bucketOf(req) });
  // A rule whose first pass is done reads "doing" (the worker's progress entries, one query).
  const entries = await req.services.stored.entries(bucketOf(req), REPLICATION_PROGRESS, { prefix: '', after: '', limit: 1000 });
  const passed = new Set(entries.filter((e) => {
    const p = decodeProgress(JSON.stringify(e.value));
    return p?.newObjectTime !== undefined && rules.some((r) => textOf(r, 'ID') === e.id && Number(textOf(r, CREATED_AT) ?? NaN) === p.ruleCreatedAt);
  }).map((e) => e.id));
  return respond('GetBucketReplication', { Rule: rules.map((r) => asShown(r, passed.has(textOf(r, 'ID') ?? ''))) });
};

/**
 * A rule as the Gets answer it once the worker's first pass is done (`passed`): `starting` reads `doing`. RTC turned
 * on reads `enabling` until then, `enabled` after: PutBucketRTC's page says enabling while historical data is being
 * replicated or the rule has not taken effect (a rule the worker does not act on, another region or no such bucket,
 * never does), enabled once both hold. A closing rule is shown as stored.
 */
function asShown(r: Doc, passed: boolean): Doc {
  if (isClosing(r)) return r;
  if (passed) return textOf(r, 'Status') === 'starting' ? { ...r, Status: 'doing' } : r;
  const rtc = child(r, 'RTC');
  return rtc !== undefined && textOf(rtc, 'Status') === 'enabled' ? { ...r, RTC: { ...rtc, Status: 'enabling' } } : r;
}

export const deleteBucketReplication: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'DeleteBucketReplication', { required: ['ID'] });
  const ids = listOf(doc, 'ID') as string[];
  const now = req.services.stored.now();
  let alreadyClosing = true;
  await req.services.stored.update(bucketOf(req), 'replication', (current) => {
    const rules = rulesOf(current, now);
    for (const id of ids) if (!rules.some((r) => textOf(r, 'ID') === id)) throw new AppError('NoSuchReplicationRule', undefined, { RuleId: id });
    // The rule stays, closing, for REPLICATION_CLOSING_MS (as OSS lists it while it cleans up).
    const kept = rules.map((r) => {
      if (!ids.includes(textOf(r, 'ID') ?? '') || isClosing(r)) return r;
      alreadyClosing = false;
      return { ...r, Status: 'closing', [CLOSING_SINCE]: String(now) };
    });
    return kept.length === 0 ? null : asJson({ Rule: kept });
  }, true, written);
  // Deleting a rule that is already closing: 204 No Content (DeleteBucketReplication's documentation).
  return empty(alreadyClosing ? 204 : 200);
};

function ruleById(rules: Doc[], id: string): Doc {
  const rule = rules.find((r) => textOf(r, 'ID') === id);
  if (rule === undefined) throw new AppError('NoSuchReplicationRule', undefined, { RuleId: id });
  return rule;
}

export const getBucketReplicationProgress: Handler = async (req) => {
  const id = req.query.get('rule-id') ?? '';
  const { value } = await req.services.stored.get(bucketOf(req), 'replication');
  const rule = ruleById(rulesOf(value, req.services.stored.now()), id);
  // The replication worker's progress (docs/replication.md). None yet (or a rule the worker does not act on: another
  // region, no such destination): "0.00" and no NewObject time, as the Java SDK's BucketReplicationTest and oss2's
  // test_replication_with_full_parameter read for a starting rule.
  const entry = await req.services.stored.entry(bucketOf(req), REPLICATION_PROGRESS, id);
  const progress = decodeProgress(entry === null ? null : JSON.stringify(entry));
  const mine = progress !== null && progress.ruleCreatedAt === Number(textOf(rule, CREATED_AT) ?? NaN) ? progress : null;
  const count = mine === null ? 0 : Number((await req.services.stats.get(bucketOf(req))).find(([k]) => k === 'ObjectCount')?.[1] ?? 0);
  const figures = progressFigures({ historical: textOf(rule, 'HistoricalObjectReplication') !== 'disabled' }, mine, count);
  const shown = asShown(rule, figures.newObject !== undefined);
  return respond('GetBucketReplicationProgress', {
    Rule: [{ ...shown, Progress: { HistoricalObject: figures.historical, ...(figures.newObject !== undefined ? { NewObject: httpDate(figures.newObject) } : {}) } }],
  });
};

export const putBucketRtc: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'PutBucketRtc', { required: ['ID', 'RTC', 'RTC.Status'] });
  const id = textOf(doc, 'ID')!;
  const status = textOf(child(doc, 'RTC')!, 'Status')!;
  if (status !== 'enabled' && status !== 'disabled') throw invalidArgument('RTC Status must be enabled or disabled.', 'Status', status);
  const now = req.services.stored.now();
  await req.services.stored.update(bucketOf(req), 'replication', (current) => {
    const rules = rulesOf(current, now);
    ruleById(rules, id);
    return asJson({ Rule: rules.map((r) => (textOf(r, 'ID') === id ? { ...r, RTC: { Status: status } } : r)) });
  }, false, written);
  return empty();
};

/**
 * The regions a rule of the bucket may replicate to: every region this server knows (DescribeRegions' list, sorted),
 * the bucket's own among them, since a rule to a bucket of its region is the one the replication worker carries out
 * (docs/replication.md) [UNVERIFIED: whether OSS lists the source region].
 */
export const getBucketReplicationLocation: Handler = async (req) => {
  const { bucket } = await req.services.stored.get(bucketOf(req), 'replication'); // NoSuchBucket when absent
  const here = bucket.region;
  const regions = knownRegions(here);
  // Transfer acceleration (oss_acc) is what OSS offers between the Chinese mainland and the regions outside it
  // (the documented example: oss-eu-west-1 with oss_acc); oss2's test_get_replication_location expects at least
  // one LocationTransferType [UNVERIFIED: the exact list OSS answers].
  const across = regions.filter((r) => isMainland(r) !== isMainland(here));
  return respond('GetBucketReplicationLocation', {
    Location: regions.map((r) => `oss-${r}`),
    LocationTransferTypeConstraint: { LocationTransferType: across.map((r) => ({ Location: `oss-${r}`, TransferTypes: { Type: ['internal', 'oss_acc'] } })) },
  });
};

/** A region of the Chinese mainland (`cn-…` but Hong Kong). */
const isMainland = (region: string): boolean => region.startsWith('cn-') && region !== 'cn-hongkong';
