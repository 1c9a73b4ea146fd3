import { AppError, invalidArgument } from '../../errors.js';
import {
  checkQoS, NO_REQUESTER_QOS_EC, QOS_FIELDS, qosValue, REQUESTER_PATTERN, requesterPage, unlimited, userQoS, withRequester,
  type QoSConfig, type QoSField,
} from '../../domain/qos.js';
import { CAPACITY_RULE } from '../../domain/storage-capacity.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler, OssRequest } from '../context.js';
import { childTextOnce, malformedXml } from '../xml-reader.js';
import { el, type XmlNode } from '../xml.js';
import { empty, limitParam, readConfigXml, xmlResponse } from './common.js';

// The QoS operations (docs/qos.md, routed by oss/qos-route.ts): XML in and out; the rules are domain/qos.ts, the
// bucket's configurations two `stored.*` configurations of the generic mechanism (domain/stored-configs.ts).

/** Store names: the bucket's own QoS configuration and its requesters' (requester → configuration). */
const BUCKET_QOS = 'qos';
const REQUESTER_QOS = 'requester-qos';
const MAX_BODY = 16 * 1024;

/** Reads a `<QoSConfiguration>` request body; fields left out are -1 (no limit), as OSS fills them in. */
async function readConfig(req: OssRequest): Promise<QoSConfig> {
  const doc = await readConfigXml(req, 'QoSConfiguration', MAX_BODY);
  const known = new Set<string>([...QOS_FIELDS, 'Exclusive']);
  for (const name of Object.keys(doc)) {
    if (!known.has(name)) throw malformedXml(`QoSConfiguration.${name} is not a QoS field.`);
  }
  const config = unlimited();
  for (const f of QOS_FIELDS) {
    const t = childTextOnce(doc, f, 64);
    if (t !== undefined) config[f] = qosValue(f, t);
  }
  return config;
}

const configChildren = (c: QoSConfig): XmlNode[] => QOS_FIELDS.map((f) => el(f, String(c[f])));

/** A stored configuration (every field a number), or null. */
function asConfig(v: Json | undefined | null): QoSConfig | null {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return null;
  const out = unlimited();
  for (const f of QOS_FIELDS) {
    const n = v[f];
    if (typeof n === 'number') out[f as QoSField] = n;
  }
  return out;
}

function asRequesters(v: Json | null): Record<string, QoSConfig> {
  // Keyed by requester UIDs, which may spell Object.prototype's names (`constructor`, `__proto__`): no prototype.
  const out: Record<string, QoSConfig> = Object.create(null) as Record<string, QoSConfig>;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [r, c] of Object.entries(v)) {
    const config = asConfig(c);
    if (config !== null) out[r] = config;
  }
  return out;
}

const toJson = (c: QoSConfig): Json => ({ ...c });

/** The account's limits (docs/qos.md: OSS's documented defaults; Alunite enforces none of them). */
const limitsOf = (req: OssRequest): QoSConfig => userQoS(req.services.stored.region);

export const getUserQoSInfo: Handler = async (req) => {
  const region = req.services.stored.region;
  return xmlResponse(el('QoSConfiguration', [el('Region', region), ...configChildren(userQoS(region))]));
};

export const putBucketQoSInfo: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const config = await readConfig(req);
  checkQoS(config, limitsOf(req));
  await req.services.stored.update(req.op.bucket!, BUCKET_QOS, () => toJson(config), false, written);
  return empty();
};

export const getBucketQoSInfo: Handler = async (req) => {
  const { value } = await req.services.stored.get(req.op.bucket!, BUCKET_QOS);
  const config = asConfig(value);
  if (config === null) throw new AppError('NoSuchQoSConfiguration', undefined, { BucketName: req.op.bucket! });
  return xmlResponse(el('QoSConfiguration', configChildren(config)));
};

export const deleteBucketQoSInfo: Handler = async (req) => {
  await req.services.stored.update(req.op.bucket!, BUCKET_QOS, () => null, true);
  return empty(204);
};

export const putBucketRequesterQoSInfo: Handler<Extract<OssRequest['op'], { name: 'PutBucketRequesterQoSInfo' }>> = async (req) => {
  const written = await req.services.buckets.incarnation(req.op.bucket!); // before the body, as PutBucketQoSInfo's
  const config = await readConfig(req);
  // Not bounded by the account's limits, as a bucket's own configuration is: oss2's test_qos_and_resource_pool puts
  // 100 and 110 Gbit/s for a requester and expects OSS to take them (OSS's requester QoS examples use 100).
  checkQoS(config, unlimited());
  const { requester } = req.op.params;
  await req.services.stored.update(req.op.bucket!, REQUESTER_QOS, (current) => withRequester(asRequesters(current), requester, config) as unknown as Json, false, written);
  return empty();
};

const requesterInfo = (requester: string, config: QoSConfig): XmlNode =>
  el('RequesterQoSInfo', [el('Requester', requester), el('QoSConfiguration', configChildren(config))]);

export const getBucketRequesterQoSInfo: Handler<Extract<OssRequest['op'], { name: 'GetBucketRequesterQoSInfo' }>> = async (req) => {
  const { requester } = req.op.params;
  const { value } = await req.services.stored.get(req.op.bucket!, REQUESTER_QOS);
  const all = asRequesters(value);
  const config = Object.hasOwn(all, requester) ? all[requester] : undefined;
  if (config === undefined) {
    throw new AppError('NoSuchQoSConfiguration', 'The bucket you specified does not have a QoS configuration for this requester.', { BucketName: req.op.bucket!, Requester: requester }, NO_REQUESTER_QOS_EC);
  }
  return xmlResponse(requesterInfo(requester, config));
};

export const listBucketRequesterQoSInfos: Handler = async (req) => {
  const bucket = req.op.bucket!;
  const max = limitParam(req.query, 'max-keys', 100, 1000);
  // A requester UID (the first of the page); anything else could not be echoed as XML 1.0 text.
  const from = req.query.get('continuation-token') ?? '';
  if (from !== '' && !REQUESTER_PATTERN.test(from)) throw invalidArgument('continuation-token must be a requester UID.', 'continuation-token', from.slice(0, 64));
  const { value } = await req.services.stored.get(bucket, REQUESTER_QOS);
  const page = requesterPage(asRequesters(value), from, max);
  return xmlResponse(el('ListBucketRequesterQoSInfosResult', [
    el('Bucket', bucket),
    from !== '' && el('ContinuationToken', from),
    page.next !== null && el('NextContinuationToken', page.next),
    el('IsTruncated', page.next !== null),
    ...page.items.map(([r, c]) => requesterInfo(r, c)),
  ]));
};

export const deleteBucketRequesterQoSInfo: Handler<Extract<OssRequest['op'], { name: 'DeleteBucketRequesterQoSInfo' }>> = async (req) => {
  const { requester } = req.op.params;
  await req.services.stored.update(req.op.bucket!, REQUESTER_QOS, (current) => {
    const all = asRequesters(current);
    delete all[requester];
    return Object.keys(all).length === 0 ? null : (all as unknown as Json);
  }, true);
  return empty(204);
};

// The bucket's storage capacity (docs/storage-capacity.md): `?qos` with <BucketUserQos><StorageCapacity> in GB, the
// PHP, C#, Java v1 and oss2 SDKs' Put/GetBucketStorageCapacity. The rule and its enforcement: domain/storage-capacity.ts.

export const putBucketStorageCapacity: Handler = async (req) => {
  const written = await req.services.buckets.incarnation(req.op.bucket!); // before the body, as PutBucketQoSInfo's
  const doc = await readConfigXml(req, 'BucketUserQos', MAX_BODY);
  for (const name of Object.keys(doc)) {
    if (name !== 'StorageCapacity') throw malformedXml(`BucketUserQos.${name} is not a storage capacity field.`);
  }
  const text = childTextOnce(doc, 'StorageCapacity', 64);
  if (text === undefined) throw malformedXml('BucketUserQos.StorageCapacity is missing.');
  // The text is an integer (the rule on its value is the domain's); anything else is refused here, as sent.
  const t = text.trim();
  if (!/^-?\d{1,16}$/.test(t)) throw invalidArgument(CAPACITY_RULE, 'StorageCapacity', t.slice(0, 32));
  await req.services.capacity.put(req.op.bucket!, Number(t), written);
  return empty();
};

export const getBucketStorageCapacity: Handler = async (req) =>
  xmlResponse(el('BucketUserQos', [el('StorageCapacity', String(await req.services.capacity.get(req.op.bucket!)))]));
