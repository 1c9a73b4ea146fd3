import { randomUUID } from 'node:crypto';
import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import { isoDate } from '../../util/time.js';
import type { Handler } from '../context.js';
import { empty } from '../handlers/common.js';
import { child, listOf, textOf, type Doc } from './schema.js';
import { asDoc, asJson, bucketOf, readDocument, respond } from './common.js';
import { PUBLIC_REGIONS } from './computed.js';

// Replication rules and RTC, kept as one list per bucket; nothing is copied (stored and returned only).

const MAX_REPLICATION_RULES = 100;

function rulesOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'Rule') as Doc[]);
}

/** A replication rule ID that a response header carries as it is. */
const RULE_ID = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

export const putBucketReplication: Handler = async (req) => {
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
  const id = given === undefined || given === '' ? randomUUID() : given;
  // New rules start: OSS shows a rule as "starting" until its first sync, which never comes here.
  const stored: Doc = { ...rule, ID: id, Status: 'starting' };
  if (stored.HistoricalObjectReplication === undefined) stored.HistoricalObjectReplication = 'enabled';
  if (stored.Action === undefined) stored.Action = 'ALL';
  await req.services.stored.update(bucketOf(req), 'replication', (current) => {
    const rules = rulesOf(current);
    if (rules.some((r) => textOf(r, 'ID') === id)) throw new AppError('BucketReplicationAlreadyExist', `A replication rule with ID ${id} already exists.`);
    if (rules.length >= MAX_REPLICATION_RULES) throw new AppError('TooManyReplicationRules', `A bucket may have at most ${MAX_REPLICATION_RULES} replication rules.`);
    return asJson({ Rule: [...rules, stored] });
  });
  return empty(200, { 'x-oss-replication-rule-id': id });
};

export const getBucketReplication: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'replication');
  const rules = rulesOf(value);
  if (rules.length === 0) throw new AppError('NoSuchReplicationConfiguration', undefined, { BucketName: bucketOf(req) });
  return respond('GetBucketReplication', { Rule: rules });
};

export const deleteBucketReplication: Handler = async (req) => {
  const doc = await readDocument(req, 'DeleteBucketReplication', { required: ['ID'] });
  const ids = listOf(doc, 'ID') as string[];
  await req.services.stored.update(bucketOf(req), 'replication', (current) => {
    const rules = rulesOf(current);
    for (const id of ids) if (!rules.some((r) => textOf(r, 'ID') === id)) throw new AppError('NoSuchReplicationRule', undefined, { RuleId: id });
    const kept = rules.filter((r) => !ids.includes(textOf(r, 'ID') ?? ''));
    return kept.length === 0 ? null : asJson({ Rule: kept });
  }, true);
  return empty();
};

function ruleById(rules: Doc[], id: string): Doc {
  const rule = rules.find((r) => textOf(r, 'ID') === id);
  if (rule === undefined) throw new AppError('NoSuchReplicationRule', undefined, { RuleId: id });
  return rule;
}

export const getBucketReplicationProgress: Handler = async (req) => {
  const id = req.query.get('rule-id') ?? '';
  const { value } = await req.services.stored.get(bucketOf(req), 'replication');
  const rule = ruleById(rulesOf(value), id);
  // Nothing is copied by Alunite (stored and returned only): no progress to report beyond "none yet".
  return respond('GetBucketReplicationProgress', { Rule: [{ ...rule, Progress: { HistoricalObject: '0.00', NewObject: isoDate(req.services.stored.now()) } }] });
};

export const putBucketRtc: Handler = async (req) => {
  const doc = await readDocument(req, 'PutBucketRtc', { required: ['ID', 'RTC', 'RTC.Status'] });
  const id = textOf(doc, 'ID')!;
  const status = textOf(child(doc, 'RTC')!, 'Status')!;
  if (status !== 'enabled' && status !== 'disabled') throw invalidArgument('RTC Status must be enabled or disabled.', 'Status', status);
  await req.services.stored.update(bucketOf(req), 'replication', (current) => {
    const rules = rulesOf(current);
    ruleById(rules, id);
    return asJson({ Rule: rules.map((r) => (textOf(r, 'ID') === id ? { ...r, RTC: { Status: status } } : r)) });
  });
  return empty();
};

export const getBucketReplicationLocation: Handler = async (req) => {
  await req.services.stored.get(bucketOf(req), 'replication'); // NoSuchBucket when absent
  const here = `oss-${req.services.stored.region}`;
  return respond('GetBucketReplicationLocation', { Location: [...new Set([here, ...PUBLIC_REGIONS.map((r) => `oss-${r}`)])] });
};
