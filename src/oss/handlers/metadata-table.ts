import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler, OssRequest } from '../context.js';
import { childElement, childTextOnce, malformedXml, type XmlElement } from '../xml-reader.js';
import { el, type XmlChild } from '../xml.js';
import { xmlCarries } from '../../util/xml-chars.js';
import { empty, readConfigXml, xmlResponse } from './common.js';

// The bucket's metadata tables (`?metadataConfiguration` POST/GET/DELETE, `?metadataInventoryTable` and
// `?metadataJournalTable` PUT: the Go SDK v2's Create/Get/DeleteBucketMetadataConfiguration and
// UpdateBucketMetadata{Inventory,Journal}TableConfiguration; not in the API metadata, routed by oss/operations.ts).
// The configuration is kept and read back with the table names and ARNs OSS gives them; no table is written
// (docs/stored-configurations.md). client_integration_bucket_metadata_table_configuration_test.go drives them.

const CONFIG = 'metadata-table';
const MAX_BODY = 16 * 1024;
const STATES = ['ENABLED', 'DISABLED'];
const ALGORITHMS = ['AES256', 'oss:kms'];
/** OSS's page: records are kept at least 7 days when expiration is enabled [UNVERIFIED: the upper bound]. */
const MIN_DAYS = 7;
const MAX_DAYS = 36500;

type Doc = { [k: string]: Json };

function only(node: XmlElement, where: string, names: readonly string[]): void {
  for (const name of Object.keys(node)) if (!names.includes(name)) throw malformedXml(`${where}.${name} is not a field of ${where}.`);
}

function oneOf(node: XmlElement, name: string, allowed: readonly string[]): string | undefined {
  const v = childTextOnce(node, name, 64)?.trim();
  if (v === undefined || v === '') return undefined;
  if (!allowed.includes(v)) throw invalidArgument(`${name} must be ${allowed.join(' or ')}.`, name, v);
  return v;
}

function encryptionOf(parent: XmlElement): Doc | undefined {
  const node = childElement(parent, 'EncryptionConfiguration');
  if (node === undefined) return undefined;
  only(node, 'EncryptionConfiguration', ['SseAlgorithm', 'KmsKeyArn']);
  const algorithm = oneOf(node, 'SseAlgorithm', ALGORITHMS);
  if (algorithm === undefined) throw malformedXml('EncryptionConfiguration.SseAlgorithm is required.');
  const arn = childTextOnce(node, 'KmsKeyArn', 512)?.trim();
  if (arn !== undefined && !xmlCarries(arn)) throw invalidArgument('KmsKeyArn holds a control character that XML 1.0 cannot carry.', 'KmsKeyArn', arn.slice(0, 64));
  if (algorithm === 'oss:kms' && (arn === undefined || arn === '')) throw invalidArgument('KmsKeyArn is required with oss:kms.', 'KmsKeyArn');
  return { SseAlgorithm: algorithm, ...(arn !== undefined && arn !== '' ? { KmsKeyArn: arn } : {}) };
}

function journalOf(node: XmlElement): Doc {
  only(node, 'JournalTableConfiguration', ['RecordExpiration', 'EncryptionConfiguration']);
  const exp = childElement(node, 'RecordExpiration');
  let expiration: Doc | undefined;
  if (exp !== undefined) {
    only(exp, 'RecordExpiration', ['Expiration', 'Days']);
    const state = oneOf(exp, 'Expiration', STATES) ?? 'DISABLED';
    const daysText = childTextOnce(exp, 'Days', 16)?.trim();
    if (state === 'ENABLED' && (daysText === undefined || daysText === '')) throw invalidArgument('Days is required when Expiration is ENABLED.', 'Days');
    let days: number | undefined;
    if (daysText !== undefined && daysText !== '') {
      days = /^\d{1,6}$/.test(daysText) ? Number(daysText) : Number.NaN;
      if (!(days >= MIN_DAYS && days <= MAX_DAYS)) throw invalidArgument(`Days must be ${MIN_DAYS} to ${MAX_DAYS}.`, 'Days', daysText.slice(0, 16));
    }
    expiration = { Expiration: state, ...(days !== undefined ? { Days: days } : {}) };
  }
  const encryption = encryptionOf(node);
  return { ...(expiration !== undefined ? { RecordExpiration: expiration } : {}), ...(encryption !== undefined ? { EncryptionConfiguration: encryption } : {}) };
}

function inventoryOf(node: XmlElement): Doc {
  only(node, 'InventoryTableConfiguration', ['ConfigurationState', 'EncryptionConfiguration']);
  const state = oneOf(node, 'ConfigurationState', STATES);
  if (state === undefined) throw malformedXml('InventoryTableConfiguration.ConfigurationState is required.');
  const encryption = encryptionOf(node);
  return { ConfigurationState: state, ...(encryption !== undefined ? { EncryptionConfiguration: encryption } : {}) };
}

async function body(req: OssRequest, root: string): Promise<XmlElement> {
  return (await readConfigXml(req, root, MAX_BODY)) as XmlElement;
}

async function current(req: OssRequest): Promise<Doc> {
  const { value } = await req.services.stored.get(req.op.bucket!, CONFIG);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AppError('MetadataConfigurationNotFound', undefined, { BucketName: req.op.bucket! });
  return value;
}

export const createBucketMetadataConfiguration: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const doc = await body(req, 'MetadataConfiguration');
  only(doc, 'MetadataConfiguration', ['JournalTableConfiguration', 'InventoryTableConfiguration']);
  const journal = childElement(doc, 'JournalTableConfiguration');
  const inventory = childElement(doc, 'InventoryTableConfiguration');
  const value: Doc = {
    // The journal table always exists once configured; the inventory table only when asked for [UNVERIFIED].
    journal: journal !== undefined ? journalOf(journal) : {},
    ...(inventory !== undefined ? { inventory: inventoryOf(inventory) } : {}),
  };
  await req.services.stored.update(req.op.bucket!, CONFIG, () => value, false, written);
  return empty();
};

function updater(root: 'InventoryTableConfiguration' | 'JournalTableConfiguration'): Handler {
  return async (req) => {
    const written = await req.services.buckets.incarnation(req.op.bucket!);
    const doc = await body(req, root);
    const [field, part] = root === 'InventoryTableConfiguration' ? ['inventory', inventoryOf(doc)] : ['journal', journalOf(doc)];
    await current(req);
    await req.services.stored.update(req.op.bucket!, CONFIG, (now) => {
      if (now === null || typeof now !== 'object' || Array.isArray(now)) throw new AppError('MetadataConfigurationNotFound', undefined, { BucketName: req.op.bucket! });
      return { ...now, [field]: part };
    }, false, written);
    return empty();
  };
}
export const updateBucketMetadataInventoryTableConfiguration = updater('InventoryTableConfiguration');
export const updateBucketMetadataJournalTableConfiguration = updater('JournalTableConfiguration');

const isDoc = (v: Json | undefined): v is Doc => v !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v);

function encryptionXml(d: Doc): XmlChild {
  const e = d.EncryptionConfiguration;
  return isDoc(e) && el('EncryptionConfiguration', [el('SseAlgorithm', String(e.SseAlgorithm)), typeof e.KmsKeyArn === 'string' && el('KmsKeyArn', e.KmsKeyArn)]);
}

export const getBucketMetadataConfiguration: Handler = async (req) => {
  const value = await current(req);
  const bucket = await req.services.buckets.get(req.op.bucket!);
  const account = (await req.services.buckets.incarnation(req.op.bucket!)).ownerAccountId;
  // The names OSS gives its tables: namespace b_<bucket> (the Go test checks the prefix), tables journal and inventory.
  const namespace = `b_${bucket.name.replace(/-/g, '_')}`;
  const tableBucket = `acs:osstables:${bucket.region}:${account}:bucket/oss-${bucket.region}-${account}`;
  const journal = isDoc(value.journal) ? value.journal : {};
  const inventory = isDoc(value.inventory) ? value.inventory : undefined;
  const exp = isDoc(journal.RecordExpiration) ? journal.RecordExpiration : undefined;
  return xmlResponse(el('GetBucketMetadataConfigurationResult', [el('MetadataConfigurationResult', [
    el('DestinationResult', [el('TableBucketType', 'oss'), el('TableBucketArn', tableBucket), el('TableNamespace', namespace)]),
    el('JournalTableConfigurationResult', [
      el('TableStatus', 'ACTIVE'),
      el('TableName', 'journal'),
      el('TableArn', `${tableBucket}/table/${namespace}/journal`),
      exp !== undefined && el('RecordExpiration', [el('Expiration', String(exp.Expiration)), typeof exp.Days === 'number' && el('Days', exp.Days)]),
      encryptionXml(journal),
    ]),
    inventory !== undefined && el('InventoryTableConfigurationResult', [
      el('ConfigurationState', String(inventory.ConfigurationState)),
      el('TableStatus', 'ACTIVE'),
      el('TableName', 'inventory'),
      el('TableArn', `${tableBucket}/table/${namespace}/inventory`),
      encryptionXml(inventory),
    ]),
  ])]));
};

export const deleteBucketMetadataConfiguration: Handler = async (req) => {
  await current(req);
  await req.services.stored.update(req.op.bucket!, CONFIG, () => null, true);
  return empty(204);
};
