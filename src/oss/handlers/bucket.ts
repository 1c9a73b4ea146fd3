import { AppError } from '../../errors.js';
import { CORS_LIMITS } from '../../domain/cors.js';
import type { ObjectSummary } from '../../domain/model.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest } from '../context.js';
import { corsXml, parseCorsXml } from '../cors.js';
import { header, quoted, refuseEncryption } from '../headers.js';
import { el, escapeXml, many, parseXmlBody, text, type XmlNode } from '../xml.js';
import { checkMd5, empty, encoder, encodingTypeElement, limitParam, owner, ownerAcl, readSmallBody, xmlResponse } from './common.js';
import { deleteObjectChecks } from '../operations.js';

const bucketOf = (req: OssRequest): string => req.op.bucket!;

export const putBucket: Handler = async (req) => {
  refuseEncryption(req.headers); // a bucket's default encryption (PutBucket headers) is not implemented
  const body = await readSmallBody(req.body, 64 * 1024);
  // Content-MD5 is signed (V1 and V4): a body that does not match it is not the one signed.
  checkMd5(body, header(req.headers, 'content-md5'), false);
  const raw = body.toString('utf8');
  let storageClass: string | undefined;
  let redundancyType: string | undefined;
  if (raw.trim() !== '') {
    const cfg = parseXmlBody(raw, 'CreateBucketConfiguration');
    storageClass = text(cfg.StorageClass)?.trim();
    redundancyType = text(cfg.DataRedundancyType)?.trim();
  }
  const bucket = await req.services.buckets.create({
    name: bucketOf(req),
    ownerAccountId: req.accountId,
    acl: header(req.headers, 'x-oss-acl'),
    storageClass,
    redundancyType,
  });
  return empty(200, { Location: `/${bucket.name}` });
};

export const deleteBucket: Handler = async (req) => {
  await req.services.buckets.delete(bucketOf(req));
  return empty(204);
};

export const getBucketInfo: Handler = async (req) => {
  const b = await req.services.buckets.get(bucketOf(req));
  return xmlResponse(
    el('BucketInfo', [
      el('Bucket', [
        el('AccessMonitor', 'Disabled'),
        el('CreationDate', isoDate(b.createdAt)),
        el('CrossRegionReplication', 'Disabled'),
        el('DataRedundancyType', b.redundancyType),
        el('ExtranetEndpoint', `oss-${b.region}.aliyuncs.com`),
        el('IntranetEndpoint', `oss-${b.region}-internal.aliyuncs.com`),
        el('Location', `oss-${b.region}`),
        el('Name', b.name),
        el('ResourceGroupId', 'rg-default'),
        el('StorageClass', b.storageClass),
        el('TransferAcceleration', 'Disabled'),
        owner(b.ownerAccountId),
        el('AccessControlList', [el('Grant', b.acl)]),
        el('ServerSideEncryptionRule', [el('SSEAlgorithm', 'None')]),
        el('BucketPolicy', [el('LogBucket', ''), el('LogPrefix', '')]),
        // A bucket comment (PutBucket's CreateBucketConfiguration) is not stored; OSS sends the element empty.
        el('Comment', ''),
      ]),
    ]),
  );
};

export const getBucketLocation: Handler = async (req) => {
  const b = await req.services.buckets.get(bucketOf(req));
  return xmlResponse(el('LocationConstraint', `oss-${b.region}`));
};

export const getBucketAcl: Handler = async (req) => {
  const b = await req.services.buckets.get(bucketOf(req));
  return xmlResponse(ownerAcl(b.ownerAccountId, b.acl));
};

export const putBucketAcl: Handler = async (req) => {
  const acl = header(req.headers, 'x-oss-acl');
  if (acl === undefined) throw new AppError('InvalidArgument', 'The x-oss-acl header is required.', { ArgumentName: 'x-oss-acl' });
  const name = bucketOf(req);
  try {
    await req.services.buckets.setAcl(name, acl);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'NoSuchBucket') throw err;
    // OSS documents that PutBucketAcl on a bucket that does not exist creates it with that ACL; creating
    // is authorized as PutBucket too. If the owner created it meanwhile, create() returns it: set the ACL.
    await req.authorize([{ action: 'oss:PutBucket', bucket: name, key: null, acl: 'none' }]);
    const created = await req.services.buckets.create({ name, ownerAccountId: req.accountId, acl });
    if (created.acl !== acl) await req.services.buckets.setAcl(name, acl);
  }
  return empty(200, { Location: `/${name}` });
};

export const getBucketPolicy: Handler = async (req) => {
  const policy = await req.services.buckets.getPolicy(bucketOf(req));
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: policy };
};

export const putBucketPolicy: Handler = async (req) => {
  const raw = await readSmallBody(req.body, 16 * 1024);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  await req.services.buckets.putPolicy(bucketOf(req), raw.toString('utf8'));
  return empty();
};

export const deleteBucketPolicy: Handler = async (req) => {
  await req.services.buckets.deletePolicy(bucketOf(req));
  return empty(204);
};

export const putBucketCors: Handler = async (req) => {
  const raw = await readSmallBody(req.body, CORS_LIMITS.maxBodyBytes);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  await req.services.buckets.putCors(bucketOf(req), parseCorsXml(raw.toString('utf8')));
  return empty();
};

export const getBucketCors: Handler = async (req) => {
  const cors = await req.services.buckets.getCors(bucketOf(req));
  return xmlResponse(corsXml(cors));
};

export const deleteBucketCors: Handler = async (req) => {
  await req.services.buckets.deleteCors(bucketOf(req));
  return empty(204);
};

/**
 * The `<Contents>` elements of a listing, as one string: a page holds up to 1000 of them, so each is a single
 * template (the Owner element, the same for all, rendered once) rather than a tree of el() calls.
 */
function contentsXml(objects: readonly ObjectSummary[], enc: (s: string) => string, withOwner: boolean, ownerId: string): XmlNode {
  const ownerXml = withOwner ? owner(ownerId) : '';
  let out = '';
  for (const o of objects) {
    out +=
      `<Contents><Key>${escapeXml(enc(o.key))}</Key><LastModified>${isoDate(o.lastModified)}</LastModified>` +
      `<ETag>${escapeXml(quoted(o.etag))}</ETag><Type>${escapeXml(o.type)}</Type><Size>${o.size}</Size>` +
      `<StorageClass>${escapeXml(o.storageClass)}</StorageClass>${ownerXml}</Contents>`;
  }
  return out as XmlNode;
}

export const listObjects: Handler = async (req) => {
  const q = req.query;
  const enc = encoder(q);
  const prefix = q.get('prefix') ?? '';
  const marker = q.get('marker') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = limitParam(q, 'max-keys', 100, 1000);
  const bucket = await req.services.buckets.get(bucketOf(req));
  const res = await req.services.objects.list(bucket.name, { prefix, delimiter, after: marker, maxKeys });
  return xmlResponse(
    el('ListBucketResult', [
      el('Name', bucket.name),
      el('Prefix', enc(prefix)),
      el('Marker', enc(marker)),
      el('MaxKeys', maxKeys),
      el('Delimiter', enc(delimiter)),
      el('IsTruncated', res.truncated),
      encodingTypeElement(q),
      res.truncated && res.last !== null && el('NextMarker', enc(res.last)),
      contentsXml(res.objects, enc, true, bucket.ownerAccountId),
      ...res.commonPrefixes.map((p) => el('CommonPrefixes', [el('Prefix', enc(p))])),
    ]),
  );
};

const encodeToken = (key: string): string => Buffer.from(key, 'utf8').toString('base64');

function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64').toString('utf8');
  if (token === '' || encodeToken(key).replace(/=+$/, '') !== token.replace(/=+$/, '')) {
    throw new AppError('InvalidArgument', 'The continuation token provided is incorrect.', { ArgumentName: 'continuation-token', ArgumentValue: token });
  }
  return key;
}

export const listObjectsV2: Handler = async (req) => {
  const q = req.query;
  const enc = encoder(q);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const startAfter = q.get('start-after');
  // oss2's list_objects_v2() sends `continuation-token=` on its first page: empty means none (as OSS answers).
  const token = q.get('continuation-token') || undefined;
  const maxKeys = limitParam(q, 'max-keys', 100, 1000);
  const fetchOwner = q.get('fetch-owner') === 'true';
  const bucket = await req.services.buckets.get(bucketOf(req));
  const after = token !== undefined ? decodeToken(token) : (startAfter ?? '');
  const res = await req.services.objects.list(bucket.name, { prefix, delimiter, after, maxKeys });
  return xmlResponse(
    el('ListBucketResult', [
      el('Name', bucket.name),
      el('Prefix', enc(prefix)),
      startAfter !== undefined && el('StartAfter', enc(startAfter)),
      token !== undefined && el('ContinuationToken', token),
      el('MaxKeys', maxKeys),
      el('Delimiter', enc(delimiter)),
      encodingTypeElement(q),
      el('IsTruncated', res.truncated),
      res.truncated && res.last !== null && el('NextContinuationToken', encodeToken(res.last)),
      contentsXml(res.objects, enc, fetchOwner, bucket.ownerAccountId),
      ...res.commonPrefixes.map((p) => el('CommonPrefixes', [el('Prefix', enc(p))])),
      el('KeyCount', res.objects.length + res.commonPrefixes.length),
    ]),
  );
};

export const listMultipartUploads: Handler = async (req) => {
  const q = req.query;
  const enc = encoder(q);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  const maxUploads = limitParam(q, 'max-uploads', 1000, 1000);
  const res = await req.services.multipart.listUploads(bucketOf(req), { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads });
  return xmlResponse(
    el('ListMultipartUploadsResult', [
      el('Bucket', bucketOf(req)),
      encodingTypeElement(q),
      el('KeyMarker', enc(keyMarker)),
      el('UploadIdMarker', uploadIdMarker),
      el('NextKeyMarker', enc(res.truncated ? res.nextKeyMarker : '')),
      el('NextUploadIdMarker', res.truncated ? res.nextUploadIdMarker : ''),
      el('Delimiter', enc(delimiter)),
      el('Prefix', enc(prefix)),
      el('MaxUploads', maxUploads),
      el('IsTruncated', res.truncated),
      ...res.uploads.map((u) =>
        el('Upload', [
          el('Key', enc(u.key)),
          el('UploadId', u.uploadId),
          el('StorageClass', u.storageClass),
          el('Initiated', isoDate(u.initiated)),
        ]),
      ),
      ...res.commonPrefixes.map((p) => el('CommonPrefixes', [el('Prefix', enc(p))])),
    ]),
  );
};

export const deleteMultipleObjects: Handler = async (req) => {
  const raw = await readSmallBody(req.body, 2 * 1024 * 1024);
  checkMd5(raw, header(req.headers, 'content-md5'), true);
  const doc = parseXmlBody(raw.toString('utf8'), 'Delete');
  const quiet = (text(doc.Quiet) ?? '').trim().toLowerCase() === 'true';
  const keys = many(doc.Object).map((o) => {
    const key = typeof o === 'object' && o !== null ? text((o as Record<string, unknown>).Key) : undefined;
    if (key === undefined || key === '') throw new AppError('MalformedXML', undefined, { ErrorDetail: 'Each Object must have a Key.' });
    return key;
  });
  if (keys.length === 0) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'the Delete element must contain at least one Object.' });
  // Every key must be deletable by the caller, or nothing is deleted (spec ram-sts §2.3).
  await req.authorize(deleteObjectChecks(bucketOf(req), keys));
  const enc = encoder(req.query);
  const deleted = await req.services.objects.deleteMany(bucketOf(req), keys);
  return xmlResponse(
    el('DeleteResult', [
      encodingTypeElement(req.query),
      ...(quiet ? [] : deleted.map((k) => el('Deleted', [el('Key', enc(k))]))),
    ]),
  );
};
