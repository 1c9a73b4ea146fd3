import { AppError } from '../../errors.js';
import { LIMITS } from '../../domain/context.js';
import type { CompletePart } from '../../domain/multipart.js';
import { resolveRange } from '../../domain/range.js';
import { versionIdHeader } from '../../domain/versioning.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest } from '../context.js';
import { overwriteForbidden } from '../overwrite.js';
import { bodyExpectations, forbidOverwrite, header, objectPropsFrom, quoted, sseResponseHeaders } from '../headers.js';
import { sseOf } from '../../domain/encryption.js';
import type { Operation } from '../operations.js';
import { writtenOf } from '../callback.js';
import { el, many, parseXmlBody, text, xmlText, type XmlNode } from '../xml.js';
import { checkMd5, empty, encoder, encodingTypeElement, limitParam, copySourceConditions, copySourceDataCheck, readSmallBody, symlinkTargetCheck, xmlResponse } from './common.js';
import { objectUrl } from '../address.js';

type H<N extends Operation['name']> = Handler<Extract<Operation, { name: N }>>;

const target = (req: OssRequest): { bucket: string; key: string } => ({ bucket: req.op.bucket!, key: req.op.key! });

export const initiateMultipartUpload: H<'InitiateMultipartUpload'> = async (req) => {
  const { bucket, key } = target(req);
  // x-oss-object-acl is ignored here, as OSS does: the Go SDK 1.5.0's own TestUploadFile initiates with
  // ObjectACL(public-read) and expects the object's ACL to stay `default`; later SDKs send the ACL with
  // CompleteMultipartUpload instead (which sets it), and ali-oss sends its headers on both. OSS's page for this
  // operation lists neither the header nor oss:PutObjectAcl.
  const { acl: _ignored, ...props } = objectPropsFrom(req.headers);
  req.body.resume();
  // A bad encoding-type is refused before the upload exists, not after (it was: 400 with the upload made).
  const enc = encoder(req.query);
  // `?sequential`: the completed object gets the Content-MD5 of its whole body (oss2 test_multipart_sequential).
  const upload = await req.services.multipart.initiate(bucket, key, props, forbidOverwrite(req.headers), req.query.has('sequential'));
  return xmlResponse(
    el('InitiateMultipartUploadResult', [
      encodingTypeElement(req.query),
      el('Bucket', bucket),
      el('Key', enc(key)),
      el('UploadId', upload.uploadId),
    ]),
    200,
    sseResponseHeaders(sseOf(upload)),
  );
};

export const uploadPart: H<'UploadPart'> = async (req) => {
  const { bucket, key } = target(req);
  for (const h of ['x-oss-server-side-encryption', 'x-oss-storage-class']) {
    if (header(req.headers, h) !== undefined) {
      req.body.resume();
      throw new AppError('InvalidArgument', `The ${h} header is not allowed on UploadPart.`, { ArgumentName: h });
    }
  }
  const { uploadId, partNumber } = req.op.params;
  const { part, upload } = await req.services.multipart.uploadPart(bucket, key, uploadId, partNumber, req.body, bodyExpectations(req.headers));
  return empty(200, {
    ETag: quoted(part.etag),
    'Content-MD5': Buffer.from(part.etag, 'hex').toString('base64'),
    'x-oss-hash-crc64ecma': part.crc64,
    ...sseResponseHeaders(sseOf(upload)),
  });
};

export const uploadPartCopy: H<'UploadPartCopy'> = async (req) => {
  const { bucket, key } = target(req);
  const { uploadId, partNumber, source } = req.op.params;
  req.body.resume();
  // x-oss-copy-source-range is read as GetObject's Range (api-docs describe both alike): a range that does not
  // fit the source copies the whole source and the answer has no Content-Range.
  const rangeHeader = header(req.headers, 'x-oss-copy-source-range');
  const { part, upload, copied } = await req.services.multipart.uploadPartCopy(bucket, key, uploadId, partNumber, {
    bucket: source.bucket,
    key: source.key,
    ...(source.versionId === undefined ? {} : { versionId: source.versionId }),
    ...(rangeHeader === undefined ? {} : { range: (size: number) => resolveRange(rangeHeader, size, 'copy') }),
    conditions: copySourceConditions(req),
    checkTarget: symlinkTargetCheck(req, source.bucket),
    checkData: copySourceDataCheck(req),
  });
  return xmlResponse(
    el('CopyPartResult', [el('LastModified', isoDate(part.lastModified)), el('ETag', quoted(part.etag))]),
    200,
    {
      ...(copied.range === null ? {} : { 'Content-Range': `bytes ${copied.range.start}-${copied.range.end - 1}/${copied.sourceSize}` }),
      ETag: quoted(part.etag),
      'x-oss-hash-crc64ecma': part.crc64,
      ...(part.sourceVersionId === undefined ? {} : { 'x-oss-copy-source-version-id': part.sourceVersionId }),
      ...sseResponseHeaders(sseOf(upload)),
    },
  );
};

function parseCompleteBody(raw: string): CompletePart[] {
  // Part, PartNumber and ETag per part (a few spare): 10,000 parts, not the 1,000,000 elements 4 MiB can hold.
  const doc = parseXmlBody(raw, 'CompleteMultipartUpload', { maxNodes: 5 * LIMITS.maxPartNumber + 16 });
  return many(doc.Part).map((p) => {
    if (typeof p !== 'object' || p === null) throw new AppError('MalformedXML');
    const part = p as Record<string, unknown>;
    const num = text(part.PartNumber, 'PartNumber')?.trim();
    const etag = text(part.ETag, 'ETag')?.trim();
    if (num === undefined || etag === undefined || !/^\d{1,5}$/.test(num)) {
      throw new AppError('MalformedXML', undefined, { ErrorDetail: 'Each Part needs a numeric PartNumber and an ETag.' });
    }
    return { partNumber: Number(num), etag };
  });
}

export const completeMultipartUpload: H<'CompleteMultipartUpload'> = async (req) => {
  const { bucket, key } = target(req);
  // The object is encrypted as its upload was initiated; OSS refuses the header here (ali-oss strips it).
  if (header(req.headers, 'x-oss-server-side-encryption') !== undefined) {
    req.body.resume();
    throw new AppError('InvalidArgument', 'The x-oss-server-side-encryption header is not allowed on CompleteMultipartUpload.', { ArgumentName: 'x-oss-server-side-encryption' });
  }
  const body = await readSmallBody(req.body, 4 * 1024 * 1024);
  // A bad encoding-type is refused before the upload completes (it was: 400 with the object written).
  const enc = encoder(req.query);
  const raw = xmlText(body);
  const completeAll = (header(req.headers, 'x-oss-complete-all') ?? '').toLowerCase() === 'yes';
  let parts: CompletePart[] | 'all';
  if (completeAll) {
    if (raw.trim() !== '') throw new AppError('InvalidArgument', 'Should not speficy both complete all header and http body.', { ArgumentName: 'x-oss-complete-all' }, '0042-00000216');
    parts = 'all';
  } else {
    checkMd5(body, header(req.headers, 'content-md5'), false);
    parts = parseCompleteBody(raw);
  }
  // x-oss-object-acl sets the object's ACL as it completes (the Java SDK's CompleteMultipartUploadRequest.setObjectACL).
  const forbid = await overwriteForbidden(req, bucket, key, req.headers);
  const obj = await req.services.multipart.complete(bucket, key, req.op.params.uploadId, parts, forbid, header(req.headers, 'x-oss-object-acl'), req.clientGone);
  const versionId = versionIdHeader(await req.services.buckets.get(bucket), obj);
  const response = xmlResponse(
    el('CompleteMultipartUploadResult', [
      encodingTypeElement(req.query),
      el('Location', objectUrl(req.endpoint, bucket, enc(key))),
      el('Bucket', bucket),
      el('Key', enc(key)),
      el('ETag', quoted(obj.etag)),
    ]),
    200,
    {
      ETag: quoted(obj.etag),
      'x-oss-hash-crc64ecma': obj.crc64,
      ...(versionId === undefined ? {} : { 'x-oss-version-id': versionId }),
      ...sseResponseHeaders(sseOf(obj)),
    },
  );
  return { ...response, written: writtenOf(obj) };
};

export const abortMultipartUpload: H<'AbortMultipartUpload'> = async (req) => {
  const { bucket, key } = target(req);
  await req.services.multipart.abort(bucket, key, req.op.params.uploadId);
  return empty(204);
};

/**
 * The client-side encryption envelope an upload was initiated with (`x-oss-meta-client-side-encryption-*`), as
 * ListParts answers it: the SDKs' encryption clients resume an upload from these (the Go SDK v2's uploader
 * rebuilds its cipher from them; the Python SDK v2's test_multipart_from_bytes and oss2's CryptoBucket read them).
 */
const CLIENT_ENCRYPTION_ELEMENTS: ReadonlyArray<readonly [string, string]> = [
  ['client-side-encryption-key', 'ClientEncryptionKey'],
  ['client-side-encryption-start', 'ClientEncryptionStart'],
  ['client-side-encryption-cek-alg', 'ClientEncryptionCekAlg'],
  ['client-side-encryption-wrap-alg', 'ClientEncryptionWrapAlg'],
  ['client-side-encryption-data-size', 'ClientEncryptionDataSize'],
  ['client-side-encryption-part-size', 'ClientEncryptionPartSize'],
];

function clientEncryptionElements(userMeta: Readonly<Record<string, string>>): XmlNode[] {
  return CLIENT_ENCRYPTION_ELEMENTS.flatMap(([meta, element]) => (userMeta[meta] === undefined ? [] : [el(element, userMeta[meta])]));
}

export const listParts: H<'ListParts'> = async (req) => {
  const { bucket, key } = target(req);
  const maxParts = limitParam(req.query, 'max-parts', 1000, 1000);
  const markerRaw = req.query.get('part-number-marker') ?? '0';
  if (!/^\d{1,5}$/.test(markerRaw === '' ? '0' : markerRaw)) {
    throw new AppError('InvalidArgument', 'part-number-marker must be an integer.', { ArgumentName: 'part-number-marker', ArgumentValue: markerRaw });
  }
  const marker = Number(markerRaw || '0');
  const res = await req.services.multipart.listParts(bucket, key, req.op.params.uploadId, { after: marker, maxParts });
  const enc = encoder(req.query);
  const last = res.parts[res.parts.length - 1];
  return xmlResponse(
    el('ListPartsResult', [
      encodingTypeElement(req.query),
      el('Bucket', bucket),
      el('Key', enc(key)),
      el('UploadId', res.upload.uploadId),
      el('StorageClass', res.upload.storageClass),
      el('PartNumberMarker', marker),
      // Empty when no part is listed: the Java SDK's UploadPartTest.testNormalListParts expects no marker of an
      // upload without parts (its parser sets one only from non-empty text); oss2 needs the element present.
      el('NextPartNumberMarker', last ? last.partNumber : ''),
      el('MaxParts', maxParts),
      el('IsTruncated', res.truncated),
      ...clientEncryptionElements(res.upload.userMeta),
      ...res.parts.map((p) =>
        el('Part', [
          el('PartNumber', p.partNumber),
          el('LastModified', isoDate(p.lastModified)),
          el('ETag', quoted(p.etag)),
          el('HashCrc64ecma', p.crc64),
          el('Size', p.size),
        ]),
      ),
    ]),
  );
};
