import { bucketOwnBlock } from '../../domain/access-rules.js';
import { agenticStatusOf } from '../../domain/agentic-buckets.js';
import { bucketDefaultEncryption } from '../../domain/encryption.js';
import type { Bucket } from '../../domain/model.js';
import { versioningStatus } from '../../domain/versioning.js';
import { invalidArgument } from '../../errors.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest } from '../context.js';
import { el, parseXmlBody, text, type XmlChild, xmlText } from '../xml.js';
import * as accessRules from './access-rules.js';
import * as bucket from './bucket.js';
import { empty, limitParam, owner, readCheckedBody, readConfigXml, xmlResponse } from './common.js';
import * as encryption from './encryption.js';
import { encryptionFields } from './encryption.js';
import { readQuotaConfiguration } from './storage-quota.js';

// Agentic buckets (docs/agentic-buckets.md): the Go and Python SDK v2s' AgenticBucketClient, routed by oss/operations.ts
// routeAgentic. The attributes are the agentic bucket's own bucket configurations, read and written by the general
// bucket's handlers once the bucket is known to be an agentic one (else 404 NoSuchAgenticBucket).

const nameOf = (req: OssRequest): string => req.op.bucket!;

/** A general bucket handler run on an agentic bucket. */
const onAgentic = (inner: Handler): Handler => async (req) => {
  await req.services.agentic.require(nameOf(req));
  return inner(req);
};

export const putAgenticBucketAcl = onAgentic(bucket.putBucketAcl);
export const getAgenticBucketAcl = onAgentic(bucket.getBucketAcl);
export const putAgenticBucketEncryption = onAgentic(encryption.putBucketEncryption);
export const getAgenticBucketEncryption = onAgentic(encryption.getBucketEncryption);
export const deleteAgenticBucketEncryption = onAgentic(encryption.deleteBucketEncryption);
export const putAgenticBucketVersioning = onAgentic(bucket.putBucketVersioning);
export const getAgenticBucketVersioning = onAgentic(bucket.getBucketVersioning);
export const putAgenticBucketPolicy = onAgentic(bucket.putBucketPolicy);
export const getAgenticBucketPolicy = onAgentic(bucket.getBucketPolicy);
export const deleteAgenticBucketPolicy = onAgentic(bucket.deleteBucketPolicy);
export const putAgenticBucketPublicAccessBlock = onAgentic(accessRules.putBucketPublicAccessBlock);
export const getAgenticBucketPublicAccessBlock = onAgentic(accessRules.getBucketPublicAccessBlock);
export const deleteAgenticBucketPublicAccessBlock = onAgentic(accessRules.deleteBucketPublicAccessBlock);

/** PUT /?agenticBucket: an optional CreateAgenticBucketConfiguration (StorageClass, DataRedundancyType). */
export const createAgenticBucket: Handler = async (req) => {
  const raw = xmlText(await readCheckedBody(req, 64 * 1024));
  const cfg = raw.trim() === '' ? {} : parseXmlBody(raw, 'CreateAgenticBucketConfiguration');
  const storageClass = text(cfg.StorageClass, 'StorageClass')?.trim();
  const redundancyType = text(cfg.DataRedundancyType, 'DataRedundancyType')?.trim();
  await req.services.agentic.create(nameOf(req), req.accountId, {
    ...(storageClass !== undefined && storageClass !== '' ? { storageClass } : {}),
    ...(redundancyType !== undefined && redundancyType !== '' ? { redundancyType } : {}),
  });
  return empty(200);
};

/** GET /?agenticBucket: AgenticBucketInfo, its fields the children of the root (the SDKs' AgenticBucketInfo). */
export const getAgenticBucket: Handler = async (req) => {
  const b = await req.services.agentic.require(nameOf(req));
  const sse = bucketDefaultEncryption(b);
  const versioning = versioningStatus(b);
  return xmlResponse(el('AgenticBucketInfo', [
    el('Name', b.name),
    el('Owner', b.ownerAccountId),
    el('Region', b.region),
    el('StorageClass', b.storageClass),
    el('DataRedundancyType', b.redundancyType),
    el('Status', agenticStatusOf(b)!),
    el('BucketResourceType', 'AgenticBucket'),
    el('CreateTime', isoDate(b.createdAt)),
    el('ACL', b.acl),
    el('PublicAccessBlock', bucketOwnBlock(b)),
    sse !== null && el('ServerSideEncryptionRule', [el('ApplyServerSideEncryptionByDefault', encryptionFields(sse))]),
    versioning !== null && el('Versioning', versioning),
    b.policy !== null && el('BucketPolicy', b.policy),
  ]));
};

export const putAgenticBucketStatus: Handler = async (req) => {
  const doc = await readConfigXml(req, 'AgenticBucketStatus', 4 * 1024);
  await req.services.agentic.setStatus(nameOf(req), text(doc.Status, 'Status')?.trim());
  return empty(200);
};

export const deleteAgenticBucket: Handler = async (req) => {
  await req.services.agentic.delete(nameOf(req));
  return empty(204);
};

// Continuation tokens: the last name of the page, base64 (opaque to clients, as ListObjectsV2's).
const tokenOf = (name: string): string => Buffer.from(name, 'utf8').toString('base64');
function afterOf(req: OssRequest): string {
  const token = req.query.get('continuation-token') ?? '';
  const after = token === '' ? '' : Buffer.from(token, 'base64').toString('utf8');
  if (token !== '' && (!/^[A-Za-z0-9+/=]+$/.test(token) || !/^[a-z0-9-]{1,63}$/.test(after))) throw invalidArgument('The continuation-token is not valid.', 'continuation-token', token.slice(0, 128));
  const startAfter = req.query.get('start-after') ?? '';
  return startAfter > after ? startAfter : after;
}
const continuation = (req: OssRequest, items: readonly Bucket[], truncated: boolean): XmlChild[] => {
  const token = req.query.get('continuation-token');
  return [
    token !== undefined && token !== '' && el('ContinuationToken', token),
    truncated && el('NextContinuationToken', tokenOf(items[items.length - 1]!.name)),
  ];
};

/** GET /?agenticBucket on the service: the caller's account's agentic buckets, by name. */
export const listAgenticBuckets: Handler = async (req) => {
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000);
  const { items, truncated } = await req.services.agentic.list(req.accountId, afterOf(req), maxKeys);
  return xmlResponse(el('ListAgenticBucketsResult', [
    el('Region', req.services.stored.region),
    el('Owner', req.accountId),
    ...continuation(req, items, truncated),
    el('IsTruncated', truncated),
    el('AgenticBuckets', items.map((b) => el('AgenticBucket', [
      el('Name', b.name), el('StorageClass', b.storageClass), el('DataRedundancyType', b.redundancyType), el('CreateTime', isoDate(b.createdAt)),
    ]))),
  ]));
};

/** GET /?agenticBucket&bucketSpace: the agentic bucket's spaces, by full name (`prefix` on the full name). */
export const listBucketSpaces: Handler = async (req) => {
  const name = nameOf(req);
  const b = await req.services.agentic.require(name);
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000);
  const prefix = req.query.get('prefix') ?? '';
  const { items, truncated } = await req.services.agentic.spaces(name, b.ownerAccountId, { prefix, after: afterOf(req), maxKeys });
  const startAfter = req.query.get('start-after');
  return xmlResponse(el('ListBucketSpacesResult', [
    owner(b.ownerAccountId),
    el('BucketSpaces', items.map((s) => el('BucketSpace', [
      el('Name', s.name), el('Location', `oss-${s.region}`), el('CreationDate', isoDate(s.createdAt)), el('StorageClass', s.storageClass),
    ]))),
    el('Prefix', prefix),
    el('MaxKeys', maxKeys),
    ...continuation(req, items, truncated),
    startAfter !== undefined && startAfter !== '' && el('StartAfter', startAfter),
    el('IsTruncated', truncated),
  ]));
};

// The default storage quota of the spaces created afterwards (not a limit of the agentic bucket: no CurrentUsage).
export const putAgenticBucketStorageQuota: Handler = async (req) => {
  await req.services.agentic.require(nameOf(req));
  await req.services.agentic.putDefaultQuota(nameOf(req), await readQuotaConfiguration(req));
  return empty(200);
};

export const getAgenticBucketStorageQuota: Handler = async (req) => {
  const quota = await req.services.agentic.getDefaultQuota(nameOf(req));
  return xmlResponse(el('QuotaConfiguration', [el('StorageQuota', quota.StorageQuota), el('Mode', quota.Mode)]));
};

export const deleteAgenticBucketStorageQuota: Handler = async (req) => {
  await req.services.agentic.deleteDefaultQuota(nameOf(req));
  return empty(204);
};
