import { STORAGE_QUOTA } from '../../domain/storage-capacity.js';
import { AppError, invalidArgument } from '../../errors.js';
import type { Handler, OssRequest } from '../context.js';
import { childTextOnce, malformedXml } from '../xml-reader.js';
import { el } from '../xml.js';
import { empty, readConfigXml, xmlResponse } from './common.js';

// The bucket's storage quota (`/<bucket>/?quota`, the Go SDK v2's Put/Get/DeleteBucketStorageQuota; not in the API
// metadata, routed by oss/operations.ts): a byte count and a mode, kept and read back with the bucket's current
// usage. A Strict quota is enforced on writes with the `?qos` storage capacity, the tighter of the two
// (domain/storage-capacity.ts, docs/storage-capacity.md). The SDK's TestBucketStorageQuota puts, gets and deletes it.

const CONFIG = STORAGE_QUOTA;
const MAX_BODY = 4 * 1024;
const MODES = ['Strict', 'Warning'];
/** A byte count as OSS's `int64` field takes it: digits, no sign. */
const BYTES = /^\d{1,19}$/;

/** A QuotaConfiguration body (PutBucketStorageQuota's, PutAgenticBucketStorageQuota's): its bytes and mode, validated. */
export async function readQuotaConfiguration(req: OssRequest): Promise<{ StorageQuota: number; Mode: string }> {
  const doc = await readConfigXml(req, 'QuotaConfiguration', MAX_BODY);
  for (const name of Object.keys(doc)) if (name !== 'StorageQuota' && name !== 'Mode' && name !== 'CurrentUsage') throw malformedXml(`QuotaConfiguration.${name} is not a quota field.`);
  const quota = childTextOnce(doc, 'StorageQuota', 32)?.trim();
  if (quota === undefined || quota === '') throw malformedXml('QuotaConfiguration.StorageQuota is required.');
  if (!BYTES.test(quota) || BigInt(quota) > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument('StorageQuota must be a number of bytes.', 'StorageQuota', quota.slice(0, 32));
  const mode = childTextOnce(doc, 'Mode', 32)?.trim() || 'Strict';
  if (!MODES.includes(mode)) throw invalidArgument(`Mode must be ${MODES.join(' or ')}.`, 'Mode', mode);
  return { StorageQuota: Number(quota), Mode: mode };
}

export const putBucketStorageQuota: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const quota = await readQuotaConfiguration(req);
  await req.services.stored.update(req.op.bucket!, CONFIG, () => quota, false, written);
  return empty();
};

export const getBucketStorageQuota: Handler = async (req) => {
  const { value } = await req.services.stored.get(req.op.bucket!, CONFIG);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof value.StorageQuota !== 'number') {
    throw new AppError('NoSuchBucketStorageQuotaConfiguration', undefined, { BucketName: req.op.bucket! });
  }
  const stat = await req.services.stats.get(req.op.bucket!);
  const usage = stat.find(([name]) => name === 'Storage')?.[1] ?? 0;
  return xmlResponse(el('QuotaConfiguration', [
    el('StorageQuota', value.StorageQuota),
    el('Mode', typeof value.Mode === 'string' ? value.Mode : 'Strict'),
    el('CurrentUsage', usage),
  ]));
};

export const deleteBucketStorageQuota: Handler = async (req) => {
  await req.services.stored.update(req.op.bucket!, CONFIG, () => null, true);
  return empty(204);
};
