import { randomUUID } from 'node:crypto';
import { xmlText } from '../xml.js';
import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler, OssRequest } from '../context.js';
import { header } from '../headers.js';
import { checkMd5, empty, limitParam, readSmallBody } from '../handlers/common.js';
import { child, listOf, textOf, validateDocument, type Doc } from './schema.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, MAX_BODY, requestSchema, respond } from './common.js';
import type { StoredOperationName } from './schemas.js';

// Anti-DDoS (OSS "DDoS protection", docs/anti-ddos.md): the account's Anti-DDoS instances (an account
// configuration, `/account/<uid>` in bucket_configs) and each bucket's protection record (a bucket
// configuration). Stored and returned only: no traffic is scrubbed and nothing is billed.

/** The account configuration holding the instances, and the bucket configuration holding a bucket's record. */
const USER_CONFIG = 'anti-ddos-user';
const BUCKET_CONFIG = 'anti-ddos';

/** Instances one account may create here (the cloud sells them; a bound keeps the account document small). */
export const MAX_INSTANCES = 20;
/** Custom domains one bucket may put under protection (documented: five). */
export const MAX_DOMAINS = 5;

const INSTANCE_ID = /^[A-Za-z0-9-]{1,64}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const BUCKET_STATUSES = ['Init', 'Defending', 'HaltDefending'];
/** The documented instance type (sic). */
const INSTANCE_TYPE = 'AntiDDosPremimum';

// The documented ECs of the anti-DDoS errors (0038-…): a missing instance header, an unknown instance, a bad status.
const EC_USER_MISSING = '0038-00000002';
const EC_BUCKET_MISSING = '0038-00000003';
const EC_NO_INSTANCE = '0038-00000004';
const EC_BAD_STATUS = '0038-00000006';

const seconds = (req: OssRequest): string => String(Math.floor(req.services.stored.now() / 1000));

function instancesOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'AntiDDOSConfiguration') as Doc[]);
}

function instanceHeader(req: OssRequest, ec: string): string {
  const id = header(req.headers, 'x-oss-defender-instance') ?? '';
  if (id === '') throw new AppError('InvalidArgument', 'The x-oss-defender-instance header is missing or empty.', { ArgumentName: 'x-oss-defender-instance' }, ec);
  if (!INSTANCE_ID.test(id)) throw new AppError('InvalidArgument', 'The Anti-DDoS instance does not exist.', { ArgumentName: 'x-oss-defender-instance', ArgumentValue: id.slice(0, 64) }, EC_NO_INSTANCE);
  return id;
}

const noInstance = (id: string): AppError =>
  new AppError('InvalidArgument', 'The Anti-DDoS instance does not exist.', { ArgumentName: 'x-oss-defender-instance', ArgumentValue: id }, EC_NO_INSTANCE);

/** The optional AntiDDOSConfiguration body: none, or a document with at most five valid domains. */
async function readCnames(req: OssRequest, op: StoredOperationName): Promise<string[] | undefined> {
  const raw = await readSmallBody(req.body, MAX_BODY);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  if (xmlText(raw).trim() === '') return undefined;
  const { root, node } = requestSchema(op);
  const doc = validateDocument(xmlText(raw), root, node, { maxItems: { 'Cnames.Domain': MAX_DOMAINS }, maxLength: { 'Cnames.Domain': 253 } });
  const cnames = child(doc, 'Cnames');
  if (cnames === undefined) return undefined;
  const domains = (listOf(cnames, 'Domain') as string[]).map((d) => d.trim().toLowerCase());
  for (const d of domains) if (!DOMAIN.test(d)) throw invalidArgument('Domain must be a DNS name.', 'Domain', d.slice(0, 64));
  if (new Set(domains).size !== domains.length) throw invalidArgument('A domain is listed twice.', 'Domain');
  return domains;
}

async function findInstance(req: OssRequest, id: string, owner: string): Promise<Doc> {
  const found = instancesOf(await req.services.stored.getAccount(owner, USER_CONFIG)).find((i) => textOf(i, 'InstanceId') === id);
  if (found === undefined) throw noInstance(id);
  return found;
}

// ---- the account's instances -------------------------------------------------------------------------------

export const initUserAntiDDosInfo: Handler = async (req) => {
  const now = seconds(req);
  const instance: Doc = { InstanceId: randomUUID(), Owner: req.accountId, Ctime: now, Mtime: now, ActiveTime: now, Status: 'Init' };
  await req.services.stored.updateAccount(req.accountId, USER_CONFIG, (current) => {
    const all = instancesOf(current);
    if (all.length >= MAX_INSTANCES) throw invalidArgument(`An account may have at most ${MAX_INSTANCES} Anti-DDoS instances here.`, 'antiDDos');
    return asJson({ AntiDDOSConfiguration: [...all, instance] });
  });
  return empty(200, { 'x-oss-defender-instance': instance.InstanceId as string });
};

export const updateUserAntiDDosInfo: Handler = async (req) => {
  const id = instanceHeader(req, EC_USER_MISSING);
  const status = header(req.headers, 'x-oss-defender-status') ?? '';
  // The only documented change of an instance: halting it.
  if (status !== 'HaltDefending') throw new AppError('InvalidArgument', 'x-oss-defender-status must be HaltDefending.', { ArgumentName: 'x-oss-defender-status', ArgumentValue: status.slice(0, 32) }, EC_BAD_STATUS);
  const now = seconds(req);
  await req.services.stored.updateAccount(req.accountId, USER_CONFIG, (current) => {
    const all = instancesOf(current);
    if (!all.some((i) => textOf(i, 'InstanceId') === id)) throw noInstance(id);
    return asJson({ AntiDDOSConfiguration: all.map((i) => (textOf(i, 'InstanceId') === id ? { ...i, Status: status, Mtime: now } : i)) });
  });
  return empty();
};

export const getUserAntiDDosInfo: Handler = async (req) => {
  const all = instancesOf(await req.services.stored.getAccount(req.accountId, USER_CONFIG));
  return respond('GetUserAntiDDosInfo', { AntiDDOSConfiguration: all });
};

// ---- a bucket's protection ---------------------------------------------------------------------------------

export const initBucketAntiDDosInfo: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const domains = await readCnames(req, 'InitBucketAntiDDosInfo');
  const id = instanceHeader(req, EC_BUCKET_MISSING);
  const type = header(req.headers, 'x-oss-defender-type') ?? '';
  if (type !== INSTANCE_TYPE) throw invalidArgument(`x-oss-defender-type must be ${INSTANCE_TYPE}.`, 'x-oss-defender-type', type.slice(0, 32));
  // The bucket owner's instance protects the bucket, whoever (granted by bucket policy) asks: the owner of the bucket
  // authorized on, as the record is committed only into it.
  const owner = written.ownerAccountId;
  const instance = await findInstance(req, id, owner);
  if (textOf(instance, 'Status') === 'HaltDefending') throw invalidArgument('The Anti-DDoS instance is halted.', 'x-oss-defender-instance', id);
  const now = seconds(req);
  await req.services.stored.update(bucketOf(req), BUCKET_CONFIG, () => asJson({
    InstanceId: id, Owner: owner, Bucket: bucketOf(req), Ctime: now, Mtime: now, ActiveTime: '0', Status: 'Init', Type: type,
    Cnames: { Domain: domains ?? [] },
  }), false, written);
  return empty();
};

export const updateBucketAntiDDosInfo: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const domains = await readCnames(req, 'UpdateBucketAntiDDosInfo');
  const id = instanceHeader(req, EC_BUCKET_MISSING);
  const status = header(req.headers, 'x-oss-defender-status') ?? '';
  if (!BUCKET_STATUSES.includes(status)) throw new AppError('InvalidArgument', 'x-oss-defender-status must be Init, Defending or HaltDefending.', { ArgumentName: 'x-oss-defender-status', ArgumentValue: status.slice(0, 32) }, EC_BAD_STATUS);
  if (status === 'Init' && (domains === undefined || domains.length === 0)) throw invalidArgument('The Init status needs the custom domains to protect.', 'Domain');
  const now = seconds(req);
  await req.services.stored.update(bucketOf(req), BUCKET_CONFIG, (current) => {
    const record = asDoc(current);
    if (record === null || textOf(record, 'InstanceId') !== id) throw noInstance(id);
    const active = status === 'Defending' && textOf(record, 'ActiveTime') === '0' ? now : textOf(record, 'ActiveTime')!;
    const cnames = status === 'HaltDefending' || domains === undefined ? child(record, 'Cnames')! : { Domain: domains };
    return asJson({ ...record, Status: status, Mtime: now, ActiveTime: active, Cnames: cnames });
  }, false, written);
  return empty();
};

/** The account's protected buckets, in bucket-name order; the marker is the last bucket of the previous page. */
export const listBucketAntiDDosInfo: Handler = async (req) => {
  const marker = req.query.get('marker') ?? '';
  const maxKeys = limitParam(req.query, 'max-keys', 100, 100);
  const records: Doc[] = [];
  for (const b of await req.services.stored.accountBuckets(req.accountId)) {
    const r = asDoc(req.services.stored.valueOf(b, BUCKET_CONFIG));
    if (r !== null && b.name > marker) records.push(r);
  }
  records.sort((a, b) => ((textOf(a, 'Bucket') ?? '') < (textOf(b, 'Bucket') ?? '') ? -1 : 1));
  const page = records.slice(0, maxKeys);
  const truncated = records.length > page.length;
  return respond('ListBucketAntiDDosInfo', {
    Marker: truncated ? textOf(page[page.length - 1]!, 'Bucket')! : '',
    IsTruncated: String(truncated),
    AntiDDOSConfiguration: page,
  });
};
