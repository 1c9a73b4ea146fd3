import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, invalidArgument, type ErrorCode } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest } from '../context.js';
import { header } from '../headers.js';
import { checkMd5, empty, limitParam, readSmallBody, xmlResponse } from '../handlers/common.js';
import { parsePolicy } from '../../policy/index.js';
import { child, listOf, renderNode, textOf, validateDocument, type Bounds, type Doc } from './schema.js';
import { STORED_SCHEMAS, type BodySchema, type SchemaNode, type StoredOperationName } from './schemas.js';

// One handler per stored operation, built from a few generic shapes over the generated schemas
// (docs/stored-configurations.md): put / get / delete of one document per bucket, and keyed collections
// (inventories by id, replication rules by ID, CNAMEs by domain) kept as one document each.

/** Request bodies of configurations: the documented limits are smaller; this bounds the rest. */
const MAX_BODY = 64 * 1024;

const bucketOf = (req: OssRequest): string => req.op.bucket!;

function xmlSchema(body: BodySchema | undefined, what: string): { root: string; node: SchemaNode } {
  if (body === undefined || !('root' in body)) throw new Error(`${what}: no XML schema in the metadata`);
  return body;
}
const requestSchema = (op: StoredOperationName): { root: string; node: SchemaNode } => xmlSchema(STORED_SCHEMAS[op].request, `${op} request`);
const responseSchema = (op: StoredOperationName): { root: string; node: SchemaNode } => xmlSchema(STORED_SCHEMAS[op].response, `${op} response`);

/** Reads, size-checks (Content-MD5 when sent) and validates the request document of `op`. */
async function readDocument(req: OssRequest, op: StoredOperationName, bounds: Bounds = {}): Promise<Doc> {
  const raw = await readSmallBody(req.body, MAX_BODY);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  const { root, node } = requestSchema(op);
  return validateDocument(raw.toString('utf8'), root, node, bounds);
}

/** The response document of `op` rendered from `doc` in the published shape. */
function respond(op: StoredOperationName, doc: Doc): ReturnType<typeof xmlResponse> {
  const { root, node } = responseSchema(op);
  return xmlResponse(renderNode(root, node, doc)!);
}

const asDoc = (v: Json | null): Doc | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as unknown as Doc) : null);
const asJson = (d: Doc): Json => d as unknown as Json;

// ---- one document per bucket ---------------------------------------------------------------------------

interface Single {
  /** Store name (`stored.<config>`). */
  config: string;
  bounds?: Bounds;
  /** Checks beyond the schema (a semantic rule): throw an AppError to refuse. */
  check?: (doc: Doc) => void;
}

function putSingle(op: StoredOperationName, spec: Single): Handler {
  return async (req) => {
    const doc = await readDocument(req, op, spec.bounds);
    spec.check?.(doc);
    await req.services.stored.update(bucketOf(req), spec.config, () => asJson(doc));
    return empty();
  };
}

/** Get: the stored document, else `absent` (an error code, or the document OSS shows for the default). */
function getSingle(op: StoredOperationName, config: string, absent: ErrorCode | Doc): Handler {
  return async (req) => {
    const { value } = await req.services.stored.get(bucketOf(req), config);
    const doc = asDoc(value);
    if (doc === null) {
      if (typeof absent === 'string') throw new AppError(absent, undefined, { BucketName: bucketOf(req) });
      return respond(op, absent);
    }
    return respond(op, doc);
  };
}

function deleteSingle(config: string): Handler {
  return async (req) => {
    await req.services.stored.update(bucketOf(req), config, () => null, true);
    return empty(204);
  };
}

// ---- bucket tags -------------------------------------------------------------------------------------

/** OSS bucket tags: at most 20; key 1–64 characters, not starting with aliyun, acs:, http:// or https://; value ≤ 128. */
export const BUCKET_TAG_LIMITS = { maxTags: 20, maxKey: 64, maxValue: 128 } as const;

function checkTags(doc: Doc): void {
  const seen = new Set<string>();
  for (const tag of listOf(child(doc, 'TagSet') ?? {}, 'Tag')) {
    const t = tag as Doc;
    const key = textOf(t, 'Key') ?? '';
    const value = textOf(t, 'Value') ?? '';
    if (key === '' || key.length > BUCKET_TAG_LIMITS.maxKey) throw new AppError('InvalidTag', `A tag key must be 1 to ${BUCKET_TAG_LIMITS.maxKey} characters long.`);
    if (/^(aliyun|acs:|https?:\/\/)/i.test(key)) throw new AppError('InvalidTag', 'A tag key may not start with aliyun, acs:, http:// or https://.');
    if (value.length > BUCKET_TAG_LIMITS.maxValue) throw new AppError('InvalidTag', `A tag value must be at most ${BUCKET_TAG_LIMITS.maxValue} characters long.`);
    if (seen.has(key)) throw new AppError('InvalidTag', `The tag key ${key} occurs twice.`);
    seen.add(key);
  }
}

/** The bucket's tags as key → value (ListBuckets' tag filter reads them from the bucket record). */
export function bucketTags(value: Json | null): Map<string, string> {
  const doc = asDoc(value);
  const out = new Map<string, string>();
  if (doc === null) return out;
  for (const tag of listOf(child(doc, 'TagSet') ?? {}, 'Tag')) out.set(textOf(tag as Doc, 'Key') ?? '', textOf(tag as Doc, 'Value') ?? '');
  return out;
}

const deleteBucketTags: Handler = async (req) => {
  // `?tagging=k1,k2` removes only those keys (OSS); a bare `?tagging` removes them all.
  const only = (req.query.get('tagging') ?? '').split(',').filter((k) => k !== '');
  await req.services.stored.update(bucketOf(req), 'bucket-tags', (current) => {
    const doc = asDoc(current);
    if (only.length === 0 || doc === null) return null;
    const kept = listOf(child(doc, 'TagSet') ?? {}, 'Tag').filter((t) => !only.includes(textOf(t as Doc, 'Key') ?? ''));
    return kept.length === 0 ? null : asJson({ TagSet: { Tag: kept } });
  }, true);
  return empty(204);
};

// ---- replication ---------------------------------------------------------------------------------------

const MAX_REPLICATION_RULES = 100;

function rulesOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'Rule') as Doc[]);
}

const putBucketReplication: Handler = async (req) => {
  const doc = await readDocument(req, 'PutBucketReplication', { maxLength: { 'Rule.ID': 255 }, required: ['Rule', 'Rule.Destination', 'Rule.Destination.Bucket', 'Rule.Destination.Location'] });
  const rule = child(doc, 'Rule')!;
  const action = textOf(rule, 'Action');
  if (action !== undefined && !action.split(',').every((a) => ['ALL', 'PUT', 'DELETE', 'ABORT'].includes(a.trim()))) {
    throw invalidArgument('Action must be ALL or a list of PUT, DELETE, ABORT.', 'Action', action);
  }
  const id = textOf(rule, 'ID') ?? randomUUID();
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

const getBucketReplication: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'replication');
  const rules = rulesOf(value);
  if (rules.length === 0) throw new AppError('NoSuchReplicationConfiguration', undefined, { BucketName: bucketOf(req) });
  return respond('GetBucketReplication', { Rule: rules });
};

const deleteBucketReplication: Handler = async (req) => {
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

const getBucketReplicationProgress: Handler = async (req) => {
  const id = req.query.get('rule-id') ?? '';
  const { value } = await req.services.stored.get(bucketOf(req), 'replication');
  const rule = ruleById(rulesOf(value), id);
  // Nothing is copied by Alunite (stored and returned only): no progress to report beyond "none yet".
  return respond('GetBucketReplicationProgress', { Rule: [{ ...rule, Progress: { HistoricalObject: '0.00', NewObject: isoDate(req.services.stored.now()) } }] });
};

const putBucketRtc: Handler = async (req) => {
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

const getBucketReplicationLocation: Handler = async (req) => {
  await req.services.stored.get(bucketOf(req), 'replication'); // NoSuchBucket when absent
  const here = `oss-${req.services.stored.region}`;
  return respond('GetBucketReplicationLocation', { Location: [...new Set([here, ...PUBLIC_REGIONS.map((r) => `oss-${r}`)])] });
};

// ---- inventory -----------------------------------------------------------------------------------------

/** OSS allows 1,000 inventories per bucket; Alunite keeps them in one bounded document. */
const MAX_INVENTORIES = 100;
const INVENTORY_ID = /^[A-Za-z0-9_-]{1,64}$/;

function inventoriesOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'InventoryConfiguration') as Doc[]);
}

function inventoryIdOf(req: OssRequest): string {
  const id = req.query.get('inventoryId') ?? '';
  if (!INVENTORY_ID.test(id)) throw invalidArgument('inventoryId must be 1 to 64 letters, digits, - or _.', 'inventoryId', id.slice(0, 80));
  return id;
}

const putBucketInventory: Handler = async (req) => {
  const id = inventoryIdOf(req);
  const doc = await readDocument(req, 'PutBucketInventory', {
    required: ['Id', 'IsEnabled', 'Destination', 'Destination.OSSBucketDestination', 'Destination.OSSBucketDestination.Format',
      'Destination.OSSBucketDestination.AccountId', 'Destination.OSSBucketDestination.RoleArn', 'Destination.OSSBucketDestination.Bucket',
      'Schedule', 'Schedule.Frequency', 'IncludedObjectVersions'],
  });
  if (textOf(doc, 'Id') !== id) throw invalidArgument('The Id in the body must equal the inventoryId parameter.', 'Id', textOf(doc, 'Id') ?? '');
  const freq = textOf(child(doc, 'Schedule')!, 'Frequency');
  if (freq !== 'Daily' && freq !== 'Weekly') throw invalidArgument('Schedule Frequency must be Daily or Weekly.', 'Frequency', freq ?? '');
  const versions = textOf(doc, 'IncludedObjectVersions');
  if (versions !== 'All' && versions !== 'Current') throw invalidArgument('IncludedObjectVersions must be All or Current.', 'IncludedObjectVersions', versions ?? '');
  await req.services.stored.update(bucketOf(req), 'inventory', (current) => {
    const all = inventoriesOf(current);
    if (all.some((i) => textOf(i, 'Id') === id)) throw new AppError('InventoryAlreadyExist', `An inventory with Id ${id} already exists.`);
    if (all.length >= MAX_INVENTORIES) throw new AppError('TooManyInventory', `A bucket may have at most ${MAX_INVENTORIES} inventories.`);
    return asJson({ InventoryConfiguration: [...all, doc] });
  });
  return empty();
};

const getBucketInventory: Handler = async (req) => {
  const id = inventoryIdOf(req);
  const { value } = await req.services.stored.get(bucketOf(req), 'inventory');
  const found = inventoriesOf(value).find((i) => textOf(i, 'Id') === id);
  if (found === undefined) throw new AppError('NoSuchInventory', undefined, { InventoryId: id });
  return respond('GetBucketInventory', found);
};

const LIST_PAGE = 100;

const listBucketInventory: Handler = async (req) => {
  const after = req.query.get('continuation-token') ?? '';
  const { value } = await req.services.stored.get(bucketOf(req), 'inventory');
  const all = inventoriesOf(value).sort((a, b) => ((textOf(a, 'Id') ?? '') < (textOf(b, 'Id') ?? '') ? -1 : 1));
  const rest = all.filter((i) => (textOf(i, 'Id') ?? '') > after);
  const page = rest.slice(0, LIST_PAGE);
  const truncated = rest.length > page.length;
  const doc: Doc = { InventoryConfiguration: page, IsTruncated: String(truncated) };
  if (truncated) doc.NextContinuationToken = textOf(page[page.length - 1]!, 'Id')!;
  return respond('ListBucketInventory', doc);
};

const deleteBucketInventory: Handler = async (req) => {
  const id = inventoryIdOf(req);
  await req.services.stored.update(bucketOf(req), 'inventory', (current) => {
    const kept = inventoriesOf(current).filter((i) => textOf(i, 'Id') !== id);
    return kept.length === 0 ? null : asJson({ InventoryConfiguration: kept });
  }, true);
  return empty(204);
};

// ---- CNAME ---------------------------------------------------------------------------------------------

const MAX_CNAMES = 100;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const TOKEN_LIFETIME_MS = 72 * 3600 * 1000;

async function domainOf(req: OssRequest, op: StoredOperationName): Promise<{ domain: string; doc: Doc }> {
  const doc = await readDocument(req, op, { required: ['Cname', 'Cname.Domain'] });
  const domain = (textOf(child(doc, 'Cname')!, 'Domain') ?? '').trim().toLowerCase();
  if (!DOMAIN.test(domain)) throw invalidArgument('Domain must be a valid domain name.', 'Domain', domain.slice(0, 255));
  return { domain, doc };
}

function cnamesOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'Cname') as Doc[]);
}

const putCname: Handler = async (req) => {
  const { domain, doc } = await domainOf(req, 'PutCname');
  const cert = child(child(doc, 'Cname')!, 'CertificateConfiguration');
  const now = isoDate(req.services.stored.now());
  await req.services.stored.update(bucketOf(req), 'cname', (current) => {
    const others = cnamesOf(current).filter((c) => textOf(c, 'Domain') !== domain);
    if (others.length >= MAX_CNAMES) throw new AppError('TooManyCname', `A bucket may have at most ${MAX_CNAMES} CNAMEs.`);
    const entry: Doc = { Domain: domain, LastModified: now, Status: 'Enabled' };
    if (cert !== undefined && textOf(cert, 'CertId') !== undefined) entry.Certificate = { Type: 'CAS', CertId: textOf(cert, 'CertId')!, Status: 'Enabled' };
    return asJson({ Cname: [...others, entry] });
  });
  return empty();
};

const listCname: Handler = async (req) => {
  const { bucket, value } = await req.services.stored.get(bucketOf(req), 'cname');
  return respond('ListCname', { Bucket: bucket.name, Owner: bucket.ownerAccountId, Cname: cnamesOf(value) });
};

const deleteCname: Handler = async (req) => {
  const { domain } = await domainOf(req, 'DeleteCname');
  await req.services.stored.update(bucketOf(req), 'cname', (current) => {
    const all = cnamesOf(current);
    if (!all.some((c) => textOf(c, 'Domain') === domain)) throw new AppError('NoSuchCname', undefined, { Cname: domain });
    const kept = all.filter((c) => textOf(c, 'Domain') !== domain);
    return kept.length === 0 ? null : asJson({ Cname: kept });
  }, true);
  return empty();
};

function tokensOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'CnameToken') as Doc[]);
}

const createCnameToken: Handler = async (req) => {
  const { domain } = await domainOf(req, 'CreateCnameToken');
  const now = req.services.stored.now();
  const token: Doc = {
    Bucket: bucketOf(req),
    Cname: domain,
    Token: randomBytes(16).toString('hex'),
    ExpireTime: new Date(now + TOKEN_LIFETIME_MS).toUTCString(),
  };
  await req.services.stored.update(bucketOf(req), 'cname-token', (current) => {
    // Expired tokens are dropped; one token per domain (a new one replaces the old).
    const live = tokensOf(current).filter((t) => textOf(t, 'Cname') !== domain && Date.parse(textOf(t, 'ExpireTime') ?? '') > now);
    if (live.length >= MAX_CNAMES) throw new AppError('TooManyCname', `A bucket may have at most ${MAX_CNAMES} CNAME tokens.`);
    return asJson({ CnameToken: [...live, token] });
  });
  return respond('CreateCnameToken', token);
};

const getCnameToken: Handler = async (req) => {
  const domain = (req.query.get('cname') ?? '').toLowerCase();
  const { value } = await req.services.stored.get(bucketOf(req), 'cname-token');
  const now = req.services.stored.now();
  const token = tokensOf(value).find((t) => textOf(t, 'Cname') === domain && Date.parse(textOf(t, 'ExpireTime') ?? '') > now);
  if (token === undefined) throw new AppError('CnameTokenNotFound', undefined, { Cname: domain.slice(0, 255) });
  return respond('GetCnameToken', token);
};

// ---- computed: policy status, regions ------------------------------------------------------------------

/**
 * A bucket policy is public when one of its Allow statements names every principal (`*`) without a
 * Condition (docs/stored-configurations.md: the rule Alunite applies).
 */
export function policyIsPublic(policy: string | null): boolean {
  if (policy === null) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    return false;
  }
  const statements = (doc as { Statement?: unknown }).Statement;
  for (const st of Array.isArray(statements) ? statements : [statements]) {
    if (typeof st !== 'object' || st === null) continue;
    const s = st as { Effect?: unknown; Principal?: unknown; Condition?: unknown };
    if (s.Effect !== 'Allow' || s.Condition !== undefined) continue;
    const p = s.Principal;
    const list = Array.isArray(p) ? p : typeof p === 'object' && p !== null ? Object.values(p).flat() : [p];
    if (list.includes('*')) return true;
  }
  return false;
}

const getBucketPolicyStatus: Handler = async (req) => {
  const { bucket } = await req.services.stored.get(bucketOf(req), 'bucket-tags');
  return respond('GetBucketPolicyStatus', { IsPublic: String(policyIsPublic(bucket.policy)) });
};

/** Alibaba Cloud's public OSS regions (DescribeRegions lists them besides the server's own --region). */
export const PUBLIC_REGIONS: readonly string[] = [
  'cn-hangzhou', 'cn-shanghai', 'cn-nanjing', 'cn-fuzhou', 'cn-wuhan-lr', 'cn-qingdao', 'cn-beijing', 'cn-zhangjiakou',
  'cn-huhehaote', 'cn-wulanchabu', 'cn-shenzhen', 'cn-heyuan', 'cn-guangzhou', 'cn-chengdu', 'cn-hongkong',
  'us-west-1', 'us-east-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-3', 'ap-southeast-5',
  'ap-southeast-6', 'ap-southeast-7', 'eu-central-1', 'eu-west-1', 'me-east-1', 'me-central-1',
];

function regionInfo(region: string): Doc {
  return {
    Region: `oss-${region}`,
    InternetEndpoint: `oss-${region}.aliyuncs.com`,
    InternalEndpoint: `oss-${region}-internal.aliyuncs.com`,
    AccelerateEndpoint: 'oss-accelerate.aliyuncs.com',
  };
}

const describeRegions: Handler = async (req) => {
  const all = [...new Set([req.services.stored.region, ...PUBLIC_REGIONS])];
  const asked = req.query.get('regions') ?? '';
  if (asked === '') return respond('DescribeRegions', { RegionInfo: all.map(regionInfo) });
  const id = asked.startsWith('oss-') ? asked.slice(4) : asked;
  if (!all.includes(id)) throw new AppError('NoSuchRegion', undefined, { Region: asked.slice(0, 64) });
  return respond('DescribeRegions', { RegionInfo: [regionInfo(id)] });
};

// ---- access points ---------------------------------------------------------------------------------------

/** OSS: 3–19 characters, lower-case letters, digits and hyphens, not starting or ending with a hyphen. */
const ACCESS_POINT_NAME = /^[a-z0-9][a-z0-9-]{1,17}[a-z0-9]$/;
const MAX_ACCESS_POINTS = 100;
const MAX_AP_POLICY = 16 * 1024;

function accessPointsOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'AccessPoint') as Doc[]);
}

function accessPointNameOf(req: OssRequest): string {
  const name = header(req.headers, 'x-oss-access-point-name') ?? '';
  if (!ACCESS_POINT_NAME.test(name)) throw invalidArgument('x-oss-access-point-name must be 3 to 19 lower-case letters, digits or hyphens.', 'x-oss-access-point-name', name.slice(0, 64));
  return name;
}

async function findAccessPoint(req: OssRequest, name: string): Promise<Doc> {
  const { value } = await req.services.stored.get(bucketOf(req), 'access-point');
  const ap = accessPointsOf(value).find((a) => textOf(a, 'AccessPointName') === name);
  if (ap === undefined) throw new AppError('NoSuchAccessPoint', undefined, { AccessPointName: name });
  return ap;
}

const createAccessPoint: Handler = async (req) => {
  const doc = await readDocument(req, 'CreateAccessPoint', { required: ['AccessPointName', 'NetworkOrigin'] });
  const name = textOf(doc, 'AccessPointName')!;
  if (!ACCESS_POINT_NAME.test(name)) throw invalidArgument('AccessPointName must be 3 to 19 lower-case letters, digits or hyphens.', 'AccessPointName', name.slice(0, 64));
  const origin = textOf(doc, 'NetworkOrigin')!;
  if (origin !== 'vpc' && origin !== 'internet') throw invalidArgument('NetworkOrigin must be vpc or internet.', 'NetworkOrigin', origin);
  const vpc = textOf(child(doc, 'VpcConfiguration') ?? {}, 'VpcId');
  if (origin === 'vpc' && (vpc === undefined || vpc === '')) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'A vpc access point needs VpcConfiguration.VpcId.' });
  // Names are unique in the account (checked across its buckets; see docs/stored-configurations.md).
  for (const b of await req.services.stored.accountBuckets(req.accountId)) {
    if (b.name === bucketOf(req)) continue;
    if (accessPointsOf(req.services.stored.valueOf(b, 'access-point')).some((a) => textOf(a, 'AccessPointName') === name)) {
      throw new AppError('AccessPointAlreadyExists', undefined, { AccessPointName: name });
    }
  }
  const region = req.services.stored.region;
  const alias = `${name}-${randomBytes(12).toString('hex').slice(0, 22)}-ossalias`;
  const entry: Doc = {
    AccessPointName: name,
    Bucket: bucketOf(req),
    AccountId: req.accountId,
    NetworkOrigin: origin,
    ...(origin === 'vpc' ? { VpcConfiguration: { VpcId: vpc! } } : {}),
    AccessPointArn: `acs:oss:${region}:${req.accountId}:accesspoint/${name}`,
    Alias: alias,
    Status: 'enable',
    Endpoints: {
      PublicEndpoint: `${name}-${req.accountId}.oss-${region}.oss-accesspoint.aliyuncs.com`,
      InternalEndpoint: `${name}-${req.accountId}.oss-${region}-internal.oss-accesspoint.aliyuncs.com`,
    },
    CreationDate: String(Math.floor(req.services.stored.now() / 1000)),
  };
  await req.services.stored.update(bucketOf(req), 'access-point', (current) => {
    const all = accessPointsOf(current);
    if (all.some((a) => textOf(a, 'AccessPointName') === name)) throw new AppError('AccessPointAlreadyExists', undefined, { AccessPointName: name });
    if (all.length >= MAX_ACCESS_POINTS) throw new AppError('TooManyAccessPoints', `A bucket may have at most ${MAX_ACCESS_POINTS} access points.`);
    return asJson({ AccessPoint: [...all, entry] });
  });
  return respond('CreateAccessPoint', entry);
};

const getAccessPoint: Handler = async (req) => respond('GetAccessPoint', await findAccessPoint(req, accessPointNameOf(req)));

const deleteAccessPoint: Handler = async (req) => {
  const name = accessPointNameOf(req);
  await req.services.stored.update(bucketOf(req), 'access-point', (current) => {
    const all = accessPointsOf(current);
    if (!all.some((a) => textOf(a, 'AccessPointName') === name)) throw new AppError('NoSuchAccessPoint', undefined, { AccessPointName: name });
    const kept = all.filter((a) => textOf(a, 'AccessPointName') !== name);
    return kept.length === 0 ? null : asJson({ AccessPoint: kept });
  }, true);
  return empty(204);
};

const listAccessPoints: Handler = async (req) => {
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000);
  const after = req.query.get('continuation-token') ?? '';
  const all: Doc[] = [];
  for (const b of await req.services.stored.accountBuckets(req.accountId)) all.push(...accessPointsOf(req.services.stored.valueOf(b, 'access-point')));
  const sorted = all.filter((a) => (textOf(a, 'AccessPointName') ?? '') > after).sort((a, b) => ((textOf(a, 'AccessPointName') ?? '') < (textOf(b, 'AccessPointName') ?? '') ? -1 : 1));
  const page = sorted.slice(0, maxKeys);
  const truncated = sorted.length > page.length;
  return respond('ListAccessPoints', {
    IsTruncated: String(truncated),
    ...(truncated ? { NextContinuationToken: textOf(page[page.length - 1]!, 'AccessPointName')! } : {}),
    AccountId: req.accountId,
    AccessPoints: { AccessPoint: page },
    MaxKeys: String(maxKeys),
  });
};

/** Sets (a checked policy document) or removes the policy of an access point of this bucket. */
async function setAccessPointPolicy(req: OssRequest, name: string, policy: string | null): Promise<void> {
  await req.services.stored.update(bucketOf(req), 'access-point', (current) => {
    const all = accessPointsOf(current);
    const ap = all.find((a) => textOf(a, 'AccessPointName') === name);
    if (ap === undefined) throw new AppError('NoSuchAccessPoint', undefined, { AccessPointName: name });
    const { Policy: _old, ...rest } = ap;
    void _old;
    const next: Doc = policy === null ? rest : { ...rest, Policy: policy };
    return asJson({ AccessPoint: all.map((a) => (a === ap ? next : a)) });
  }, policy === null);
}

const putAccessPointPolicy: Handler = async (req) => {
  const name = accessPointNameOf(req);
  const raw = await readSmallBody(req.body, MAX_AP_POLICY);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  const text = raw.toString('utf8');
  const parsed = parsePolicy(text, 'bucket');
  if (!parsed.ok) throw new AppError('InvalidPolicyDocument', `Invalid Policy: ${parsed.error.message}`);
  await setAccessPointPolicy(req, name, text);
  return empty();
};

const getAccessPointPolicy: Handler = async (req) => {
  const name = accessPointNameOf(req);
  const policy = textOf(await findAccessPoint(req, name), 'Policy');
  if (policy === undefined) throw new AppError('NoSuchAccessPointPolicy', undefined, { AccessPointName: name });
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: policy };
};

const deleteAccessPointPolicy: Handler = async (req) => {
  await setAccessPointPolicy(req, accessPointNameOf(req), null);
  return empty(204);
};

// ---- data redundancy transition ------------------------------------------------------------------------

// Alunite keeps one copy of every byte whatever the bucket's redundancy type, so a transition has nothing to
// do: its task is stored in state Queueing and stays there until deleted (docs/stored-configurations.md).
function tasksOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'BucketDataRedundancyTransition') as Doc[]);
}

const TASK_ID = /^[0-9a-f]{32}$/;

function taskIdOf(req: OssRequest): string {
  const id = req.query.get('x-oss-redundancy-transition-taskid') ?? '';
  if (!TASK_ID.test(id)) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: id.slice(0, 64) });
  return id;
}

const createBucketDataRedundancyTransition: Handler = async (req) => {
  const target = req.query.get('x-oss-target-redundancy-type') ?? '';
  if (target !== 'ZRS') throw invalidArgument('x-oss-target-redundancy-type must be ZRS (only LRS buckets can be converted, to ZRS).', 'x-oss-target-redundancy-type', target.slice(0, 16));
  const { bucket } = await req.services.stored.get(bucketOf(req), 'redundancy-transition');
  if (bucket.redundancyType !== 'LRS') throw invalidArgument('The bucket is already ZRS.', 'x-oss-target-redundancy-type', target);
  const task: Doc = { Bucket: bucket.name, TaskId: randomBytes(16).toString('hex'), Status: 'Queueing', CreateTime: isoDate(req.services.stored.now()) };
  await req.services.stored.update(bucketOf(req), 'redundancy-transition', (current) => {
    if (tasksOf(current).length > 0) throw new AppError('BucketDataRedundancyTransitionTaskIsExist');
    return asJson({ BucketDataRedundancyTransition: [task] });
  });
  return respond('CreateBucketDataRedundancyTransition', task);
};

const getBucketDataRedundancyTransition: Handler = async (req) => {
  const id = taskIdOf(req);
  const { value } = await req.services.stored.get(bucketOf(req), 'redundancy-transition');
  const task = tasksOf(value).find((t) => textOf(t, 'TaskId') === id);
  if (task === undefined) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: id });
  return respond('GetBucketDataRedundancyTransition', task);
};

const listBucketDataRedundancyTransition: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'redundancy-transition');
  return respond('ListBucketDataRedundancyTransition', { BucketDataRedundancyTransition: tasksOf(value) });
};

const listUserDataRedundancyTransition: Handler = async (req) => {
  const maxKeys = limitParam(req.query, 'max-keys', 100, 100);
  const after = req.query.get('continuation-token') ?? '';
  const tasks: Doc[] = [];
  for (const b of await req.services.stored.accountBuckets(req.accountId)) {
    if (b.name > after) tasks.push(...tasksOf(req.services.stored.valueOf(b, 'redundancy-transition')));
  }
  const page = tasks.slice(0, maxKeys);
  const truncated = tasks.length > page.length;
  return respond('ListUserDataRedundancyTransition', {
    IsTruncated: String(truncated),
    ...(truncated ? { NextContinuationToken: textOf(page[page.length - 1]!, 'Bucket')! } : {}),
    BucketDataRedundancyTransition: page,
  });
};

const deleteBucketDataRedundancyTransition: Handler = async (req) => {
  const id = taskIdOf(req);
  await req.services.stored.update(bucketOf(req), 'redundancy-transition', (current) => {
    const all = tasksOf(current);
    if (!all.some((t) => textOf(t, 'TaskId') === id)) throw new AppError('BucketDataRedundancyTransitionTaskNotExist', undefined, { TaskId: id });
    const kept = all.filter((t) => textOf(t, 'TaskId') !== id);
    return kept.length === 0 ? null : asJson({ BucketDataRedundancyTransition: kept });
  }, true);
  return empty(204);
};

// ---- meta query (the index is not built: DoMetaQuery stays 501) -----------------------------------------

const openMetaQuery: Handler = async (req) => {
  const raw = await readSmallBody(req.body, MAX_BODY);
  if (raw.length > 0) {
    const { root, node } = requestSchema('OpenMetaQuery');
    validateDocument(raw.toString('utf8'), root, node, { maxItems: { 'Filters.Filter': 100 } });
  }
  const mode = req.query.get('mode') ?? 'basic';
  if (mode !== 'basic' && mode !== 'semantic') throw invalidArgument('mode must be basic or semantic.', 'mode', mode.slice(0, 32));
  const now = isoDate(req.services.stored.now());
  await req.services.stored.update(bucketOf(req), 'meta-query', (current) => current ?? asJson({ State: 'Ready', Phase: 'FullScanning', CreateTime: now, UpdateTime: now }));
  return empty();
};

const getMetaQueryStatus: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'meta-query');
  const doc = asDoc(value);
  if (doc === null) throw new AppError('MetaQueryNotExist', undefined, { BucketName: bucketOf(req) });
  return respond('GetMetaQueryStatus', doc);
};

const closeMetaQuery: Handler = async (req) => {
  await req.services.stored.update(bucketOf(req), 'meta-query', () => null, true);
  return empty();
};

// ---- live channels (configuration only: there is no RTMP ingest) -------------------------------------------

const MAX_LIVE_CHANNELS = 100;

function channelsOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'LiveChannel') as Doc[]);
}

function channelNameOf(req: OssRequest): string {
  const name = req.op.key ?? '';
  if (name === '' || name.includes('/') || name.length > 1023) throw invalidArgument('A live channel name must be 1 to 1,023 characters without /.', 'channel', name.slice(0, 64));
  return name;
}

async function findChannel(req: OssRequest): Promise<Doc> {
  const name = channelNameOf(req);
  const { value } = await req.services.stored.get(bucketOf(req), 'live-channel');
  const ch = channelsOf(value).find((c) => textOf(c, 'Name') === name);
  if (ch === undefined) throw new AppError('NoSuchLiveChannel', undefined, { ChannelName: name });
  return ch;
}

function channelUrls(req: OssRequest, ch: Doc): { PublishUrls: Doc; PlayUrls: Doc } {
  const host = `${bucketOf(req)}.oss-${req.services.stored.region}.aliyuncs.com`;
  const name = textOf(ch, 'Name')!;
  const playlist = textOf(child(ch, 'Target') ?? {}, 'PlaylistName') ?? 'playlist.m3u8';
  return {
    PublishUrls: { Url: `rtmp://${host}/live/${encodeURIComponent(name)}` },
    PlayUrls: { Url: `http://${host}/${encodeURIComponent(name)}/${encodeURIComponent(playlist)}` },
  };
}

function statusOf(value: string | undefined): string {
  if (value !== 'enabled' && value !== 'disabled') throw invalidArgument('Status must be enabled or disabled.', 'Status', (value ?? '').slice(0, 32));
  return value;
}

const putLiveChannel: Handler = async (req) => {
  const name = channelNameOf(req);
  const doc = await readDocument(req, 'PutLiveChannel', { required: ['Target', 'Target.Type'], maxLength: { Description: 128, 'Target.PlaylistName': 128 } });
  const target = child(doc, 'Target')!;
  if (textOf(target, 'Type') !== 'HLS') throw invalidArgument('Target Type must be HLS.', 'Type', textOf(target, 'Type') ?? '');
  for (const field of ['FragDuration', 'FragCount'] as const) {
    const v = textOf(target, field);
    if (v !== undefined && (Number(v) < 1 || Number(v) > 100)) throw invalidArgument(`${field} must be between 1 and 100.`, field, v);
  }
  const playlist = textOf(target, 'PlaylistName');
  if (playlist !== undefined && !/^[^/]{1,128}\.m3u8$/.test(playlist)) throw invalidArgument('PlaylistName must end with .m3u8 and hold no /.', 'PlaylistName', playlist);
  const channel: Doc = {
    Name: name,
    Description: textOf(doc, 'Description') ?? '',
    Status: statusOf(textOf(doc, 'Status') ?? 'enabled'),
    LastModified: isoDate(req.services.stored.now()),
    Target: { Type: 'HLS', FragDuration: textOf(target, 'FragDuration') ?? '5', FragCount: textOf(target, 'FragCount') ?? '3', PlaylistName: playlist ?? 'playlist.m3u8' },
    ...(child(doc, 'Snapshot') !== undefined ? { Snapshot: child(doc, 'Snapshot')! } : {}),
  };
  await req.services.stored.update(bucketOf(req), 'live-channel', (current) => {
    const others = channelsOf(current).filter((c) => textOf(c, 'Name') !== name);
    if (others.length >= MAX_LIVE_CHANNELS) throw new AppError('TooManyLiveChannel', `A bucket may have at most ${MAX_LIVE_CHANNELS} live channels.`);
    return asJson({ LiveChannel: [...others, channel] });
  });
  return respond('PutLiveChannel', channelUrls(req, channel));
};

const listLiveChannel: Handler = async (req) => {
  const prefix = req.query.get('prefix') ?? '';
  const marker = req.query.get('marker') ?? '';
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000);
  const { value } = await req.services.stored.get(bucketOf(req), 'live-channel');
  const names = (c: Doc): string => textOf(c, 'Name') ?? '';
  const matching = channelsOf(value).filter((c) => names(c).startsWith(prefix) && names(c) > marker).sort((a, b) => (names(a) < names(b) ? -1 : 1));
  const page = matching.slice(0, maxKeys);
  const truncated = matching.length > page.length;
  return respond('ListLiveChannel', {
    Prefix: prefix,
    Marker: marker,
    MaxKeys: String(maxKeys),
    IsTruncated: String(truncated),
    ...(truncated ? { NextMarker: names(page[page.length - 1]!) } : {}),
    LiveChannel: page.map((c) => ({ ...c, ...channelUrls(req, c) })),
  });
};

const deleteLiveChannel: Handler = async (req) => {
  const name = channelNameOf(req);
  await req.services.stored.update(bucketOf(req), 'live-channel', (current) => {
    const all = channelsOf(current);
    if (!all.some((c) => textOf(c, 'Name') === name)) throw new AppError('NoSuchLiveChannel', undefined, { ChannelName: name });
    const kept = all.filter((c) => textOf(c, 'Name') !== name);
    return kept.length === 0 ? null : asJson({ LiveChannel: kept });
  }, true);
  return empty(204);
};

const putLiveChannelStatus: Handler = async (req) => {
  const name = channelNameOf(req);
  const status = statusOf(req.query.get('status'));
  await req.services.stored.update(bucketOf(req), 'live-channel', (current) => {
    const all = channelsOf(current);
    if (!all.some((c) => textOf(c, 'Name') === name)) throw new AppError('NoSuchLiveChannel', undefined, { ChannelName: name });
    return asJson({ LiveChannel: all.map((c) => (textOf(c, 'Name') === name ? { ...c, Status: status } : c)) });
  });
  return empty();
};

const getLiveChannelInfo: Handler = async (req) => respond('GetLiveChannelInfo', await findChannel(req));

// Nothing is ever pushed: no history, and a channel is Idle (or Disabled).
const getLiveChannelHistory: Handler = async (req) => {
  await findChannel(req);
  return respond('GetLiveChannelHistory', {});
};

const getLiveChannelStat: Handler = async (req) => {
  const ch = await findChannel(req);
  return respond('GetLiveChannelStat', { Status: textOf(ch, 'Status') === 'disabled' ? 'Disabled' : 'Idle' });
};

// ---- the table -----------------------------------------------------------------------------------------

/** Every stored operation's handler (the compiler checks the table is complete). */
export const storedHandlers: { readonly [N in StoredOperationName]: Handler } = {
  PutBucketTags: putSingle('PutBucketTags', {
    config: 'bucket-tags',
    bounds: { maxItems: { 'TagSet.Tag': BUCKET_TAG_LIMITS.maxTags }, required: ['TagSet'] },
    check: checkTags,
  }),
  // No tags: an empty Tagging element (OSS's documented answer).
  GetBucketTags: getSingle('GetBucketTags', 'bucket-tags', {}),
  DeleteBucketTags: deleteBucketTags,
  PutBucketTransferAcceleration: putSingle('PutBucketTransferAcceleration', { config: 'transfer-acceleration', bounds: { required: ['Enabled'] } }),
  GetBucketTransferAcceleration: getSingle('GetBucketTransferAcceleration', 'transfer-acceleration', 'NoSuchTransferAccelerationConfiguration'),
  PutBucketHttpsConfig: putSingle('PutBucketHttpsConfig', {
    config: 'https-config',
    bounds: { required: ['TLS'], maxItems: { 'TLS.TLSVersion': 4, 'CipherSuite.CustomCipherSuite': 64, 'CipherSuite.TLS13CustomCipherSuite': 16 } },
    check: (doc) => {
      for (const v of listOf(child(doc, 'TLS')!, 'TLSVersion')) {
        if (!['TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'].includes(v as string)) throw invalidArgument('TLSVersion must be TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3.', 'TLSVersion', String(v));
      }
    },
  }),
  GetBucketHttpsConfig: getSingle('GetBucketHttpsConfig', 'https-config', { TLS: { Enable: 'false' } }),
  PutBucketArchiveDirectRead: putSingle('PutBucketArchiveDirectRead', { config: 'archive-direct-read', bounds: { required: ['Enabled'] } }),
  GetBucketArchiveDirectRead: getSingle('GetBucketArchiveDirectRead', 'archive-direct-read', { Enabled: 'false' }),
  PutUserDefinedLogFieldsConfig: putSingle('PutUserDefinedLogFieldsConfig', {
    config: 'user-defined-log-fields',
    bounds: { maxItems: { 'HeaderSet.header': 5, 'ParamSet.parameter': 5 }, maxLength: { 'HeaderSet.header': 128, 'ParamSet.parameter': 128 } },
  }),
  GetUserDefinedLogFieldsConfig: getSingle('GetUserDefinedLogFieldsConfig', 'user-defined-log-fields', 'NoSuchUserDefinedLogFieldsConfig'),
  DeleteUserDefinedLogFieldsConfig: deleteSingle('user-defined-log-fields'),
  PutBucketCommonHeader: putSingle('PutBucketCommonHeader', {
    config: 'common-header',
    bounds: { maxItems: { Header: 16 }, maxLength: { 'Header.Key': 128, 'Header.Value': 1024 }, required: ['Header.Key'] },
    check: (doc) => {
      for (const h of listOf(doc, 'Header')) {
        const key = textOf(h as Doc, 'Key') ?? '';
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw invalidArgument('Header Key must be an HTTP header name.', 'Key', key);
      }
    },
  }),
  DeleteBucketCommonHeader: deleteSingle('common-header'),
  PutBucketResourceGroup: putSingle('PutBucketResourceGroup', {
    config: 'resource-group',
    bounds: { required: ['ResourceGroupId'], maxLength: { ResourceGroupId: 64 } },
    check: (doc) => {
      const id = textOf(doc, 'ResourceGroupId') ?? '';
      if (!/^rg-[a-z0-9]{1,61}$/.test(id)) throw invalidArgument('ResourceGroupId must look like rg-<letters and digits>.', 'ResourceGroupId', id);
    },
  }),
  // No group set: the account's default resource group (OSS answers an empty ResourceGroupId for it).
  GetBucketResourceGroup: getSingle('GetBucketResourceGroup', 'resource-group', { ResourceGroupId: '' }),
  PutBucketAccessMonitor: putSingle('PutBucketAccessMonitor', { config: 'access-monitor', bounds: { required: ['Status'] } }),
  GetBucketAccessMonitor: getSingle('GetBucketAccessMonitor', 'access-monitor', { Status: 'Disabled' }),
  PutBucketHash: putSingle('PutBucketHash', { config: 'object-hash', bounds: { required: ['ObjectHashFunction'] } }),
  PutProcessConfiguration: putSingle('PutProcessConfiguration', { config: 'process-configuration' }),
  PutBucketReplication: putBucketReplication,
  GetBucketReplication: getBucketReplication,
  GetBucketReplicationLocation: getBucketReplicationLocation,
  GetBucketReplicationProgress: getBucketReplicationProgress,
  DeleteBucketReplication: deleteBucketReplication,
  PutBucketRtc: putBucketRtc,
  PutBucketInventory: putBucketInventory,
  GetBucketInventory: getBucketInventory,
  ListBucketInventory: listBucketInventory,
  DeleteBucketInventory: deleteBucketInventory,
  PutCname: putCname,
  ListCname: listCname,
  DeleteCname: deleteCname,
  CreateCnameToken: createCnameToken,
  GetCnameToken: getCnameToken,
  GetBucketPolicyStatus: getBucketPolicyStatus,
  DescribeRegions: describeRegions,
  CreateAccessPoint: createAccessPoint,
  GetAccessPoint: getAccessPoint,
  ListAccessPoints: listAccessPoints,
  DeleteAccessPoint: deleteAccessPoint,
  PutAccessPointPolicy: putAccessPointPolicy,
  GetAccessPointPolicy: getAccessPointPolicy,
  DeleteAccessPointPolicy: deleteAccessPointPolicy,
  CreateBucketDataRedundancyTransition: createBucketDataRedundancyTransition,
  GetBucketDataRedundancyTransition: getBucketDataRedundancyTransition,
  ListBucketDataRedundancyTransition: listBucketDataRedundancyTransition,
  ListUserDataRedundancyTransition: listUserDataRedundancyTransition,
  DeleteBucketDataRedundancyTransition: deleteBucketDataRedundancyTransition,
  OpenMetaQuery: openMetaQuery,
  GetMetaQueryStatus: getMetaQueryStatus,
  CloseMetaQuery: closeMetaQuery,
  PutLiveChannel: putLiveChannel,
  ListLiveChannel: listLiveChannel,
  DeleteLiveChannel: deleteLiveChannel,
  PutLiveChannelStatus: putLiveChannelStatus,
  GetLiveChannelInfo: getLiveChannelInfo,
  GetLiveChannelHistory: getLiveChannelHistory,
  GetLiveChannelStat: getLiveChannelStat,
};

/**
 * Stored operations whose answer is computed or acted on (the coverage table's "implemented": the policy
 * status, the region list, bucket tags that filter ListBuckets); the others only store and return.
 */
export const ENFORCED_OPERATIONS: ReadonlySet<StoredOperationName> = new Set<StoredOperationName>([
  'GetBucketPolicyStatus', 'DescribeRegions', 'PutBucketTags', 'GetBucketTags', 'DeleteBucketTags',
]);
