import type { IncomingHttpHeaders } from 'node:http';
import { AppError, isAppError } from '../../errors.js';
import { AccessDeniedError } from '../../authz/authorize.js';
import { websiteOf } from '../../domain/website.js';
import { decodeUrlPath } from '../address.js';
import { checkPreconditions } from '../../domain/conditions.js';
import type { PutObjectInput } from '../../domain/objects.js';
import type { ObjectRecord } from '../../domain/model.js';
import { versionIdHeader } from '../../domain/versioning.js';
import { resolveRange } from '../../domain/range.js';
import { httpDate, isoDate } from '../../util/time.js';
import type { Handler, OssRequest, OssResponse } from '../context.js';
import type { Operation } from '../operations.js';
import { writtenOf } from '../callback.js';
import { overwriteForbidden } from '../overwrite.js';
import {
  bodyExpectations,
  contentHeadersFrom,
  header,
  objectHeaders,
  objectPropsFrom,
  preconditionsFrom,
  quoted,
  sseResponseHeaders,
  taggingHeaderTags,
  userMetaFrom,
  wireText,
} from '../headers.js';
import { el, many, parseXmlBody, text, xmlText } from '../xml.js';
import { sseOf } from '../../domain/encryption.js';
import { getProcessedObject, wantsProcessing } from './image.js';
import { assertReadUnprotected } from '../image-access.js';
import { applyResponseOverrides, forceDownloadOfActiveContent } from '../response-overrides.js';
import { gzipBody, gzipHeaders, gzipRoom, wantsGzip } from '../compression.js';
import { checkMd5, empty, ownerAcl, copySourceConditions, copySourceDataCheck, governanceBypassOf, kmsDecryptCheck, readBodyBeforeAuthorization, symlinkTargetCheck, xmlResponse } from './common.js';

const target = (req: OssRequest): { bucket: string; key: string } => ({ bucket: req.op.bucket!, key: req.op.key! });

/** The request's `versionId` (docs/versioning.md), if any. */
const versionOf = (req: OssRequest): string | undefined => req.query.get('versionId');

/** Adds `x-oss-version-id` for an object of a bucket with versioning (its id, or 'null'). */
async function withVersion(req: OssRequest, obj: Pick<ObjectRecord, 'versionId'>, headers: Record<string, string>): Promise<Record<string, string>> {
  const id = obj.versionId ?? versionIdHeader(await req.services.buckets.get(req.op.bucket!), obj);
  if (id !== undefined) headers['x-oss-version-id'] = id;
  return headers;
}

/**
 * What PutObject and AppendObject take from a request: target, properties, body and its claims, and whether it may
 * replace an existing object (oss/overwrite.ts: PutObject's x-oss-forbid-overwrite, the bucket's overwrite rules).
 */
async function uploadInput(req: OssRequest, forbidHeaders: IncomingHttpHeaders | null, headers: IncomingHttpHeaders = req.headers): Promise<PutObjectInput> {
  const { bucket, key } = target(req);
  return {
    bucket,
    key,
    ...objectPropsFrom(headers),
    body: req.body,
    expect: bodyExpectations(req.headers),
    forbidOverwrite: await overwriteForbidden(req, bucket, key, forbidHeaders),
  };
}

/** Conditional headers PutObject refuses (OSS error page 0017-00000245): CopyObject applies them to its source. */
const PUT_CONDITIONS = ['If-Modified-Since', 'If-Unmodified-Since', 'If-Match', 'If-None-Match'] as const;

export const putObject: Handler = async (req) => {
  for (const name of PUT_CONDITIONS) {
    if (req.headers[name.toLowerCase()] !== undefined) {
      req.body.resume();
      throw new AppError('PutObjectConditionNotImplemented', undefined, { Header: name });
    }
  }
  const obj = await req.services.objects.put(await uploadInput(req, req.headers));
  const headers = await withVersion(req, obj, { ETag: quoted(obj.etag), 'Content-MD5': obj.contentMd5 ?? '', 'x-oss-hash-crc64ecma': obj.crc64, ...sseResponseHeaders(sseOf(obj)) });
  return { ...empty(200, headers), written: writtenOf(obj) };
};

/**
 * GetObject/HeadObject of a missing key ending in `/` in a bucket with a website IndexDocument: the directory's
 * index document (the root's `Suffix`, or `<key><Suffix>` with SupportSubDir), read with the caller's rights on
 * it. oss2's test_normal_set_website_without_routing_rule expects a signed get_object of a missing `<prefix>/`
 * to return the root index.html (docs/website.md). Anything else, or an index that is missing or not readable by
 * the caller: the original error.
 */
async function readOrDirectoryIndex(req: OssRequest, withBody: boolean): Promise<OssResponse> {
  try {
    return await read(req, withBody);
  } catch (err) {
    const { bucket, key } = target(req);
    if (!isAppError(err) || err.code !== 'NoSuchKey' || !key.endsWith('/') || versionOf(req) !== undefined) throw err;
    const held = req.services.buckets.get(bucket);
    const index = websiteOf(held instanceof Promise ? await held : held)?.index;
    if (index === undefined) throw err;
    const indexKey = index.supportSubDir ? key + index.suffix : index.suffix;
    try {
      await req.authorize([{ action: 'oss:GetObject', bucket, key: indexKey, acl: 'read' }]);
      // Its bytes are the index document's: source image protection is judged on that key, not on `dir/` (HEAD as GET).
      await assertReadUnprotected(req, bucket, indexKey);
      // An index document is never read from a frozen Archive object in real time (docs/data-protection.md).
      return await read(req, withBody, indexKey, false);
    } catch (indexErr) {
      if (indexErr instanceof AccessDeniedError || (isAppError(indexErr) && indexErr.status === 404)) throw err;
      throw indexErr;
    }
  }
}

/** `directRead` false: a frozen Archive object is refused even in a bucket that reads them in real time (a website page). */
async function read(req: OssRequest, withBody: boolean, keyRead?: string, directRead = req.op.name !== 'GetObject' || req.op.params?.websitePage !== true): Promise<OssResponse> {
  const bucket = req.op.bucket!;
  const key = keyRead ?? req.op.key!;
  // Records the store holds come without a promise; awaiting only real ones saves a microtask turn each.
  const view = req.services.objects.readView(bucket, key, symlinkTargetCheck(req, bucket), versionOf(req));
  const { meta: obj, data, link } = view instanceof Promise ? await view : view;
  // GET decrypts the bytes: a KMS object's key must be usable by the caller (HEAD returns none: oss:GetObject only).
  const kms = withBody ? kmsDecryptCheck(req, data) : undefined;
  if (kms !== undefined) await kms;
  // Through a link the bytes are the target's: source image protection looks at the target's name too (HEAD as GET).
  const guarded = link !== undefined ? assertReadUnprotected(req, bucket, data.key) : undefined;
  if (guarded !== undefined) await guarded;
  checkPreconditions(obj, preconditionsFrom(req.headers));
  // HEAD describes an archived object as it is; GET needs its bytes, readable only while restored (or, for
  // Archive, while the bucket reads them in real time).
  const readable = withBody ? req.services.objects.assertReadable(data, bucket, directRead) : undefined;
  if (readable !== undefined) await readable;
  // The bucket's record (cached by the store) once, for the version header and the lifecycle expiry.
  const held = req.services.buckets.get(bucket);
  const b = held instanceof Promise ? await held : held;
  const headers = objectHeaders(obj);
  const storedType = headers['Content-Type'];
  const versionId = obj.versionId ?? versionIdHeader(b, obj);
  if (versionId !== undefined) headers['x-oss-version-id'] = versionId;
  const restore = req.services.objects.restoreHeader(obj);
  if (restore !== undefined) headers['x-oss-restore'] = restore;
  // Through a symlink the encryption is the target's: it describes the bytes.
  const sse = sseOf(data);
  if (sse) Object.assign(headers, sseResponseHeaders(sse));
  const expiry = req.services.lifecycle.expiration(b, obj);
  if (expiry) headers['x-oss-expiration'] = `expiry-date="${httpDate(expiry.at)}", rule-id="${wireText(expiry.rule).replace(/["\\\x00-\x1f\x7f]/g, '_')}"`;
  applyResponseOverrides(req, headers);
  forceDownloadOfActiveContent(headers, key, data.key, data.headers.contentType);
  const standard = (header(req.headers, 'x-oss-range-behavior') ?? '').toLowerCase() === 'standard';
  const rangeHeader = header(req.headers, 'range');
  const range = resolveRange(rangeHeader, obj.size, standard ? 'standard' : 'default');
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end - 1}/${obj.size}`;
    headers['Content-Length'] = String(range.end - range.start);
  } else {
    headers['Content-Length'] = String(obj.size);
  }
  const status = range ? 206 : 200;
  // A GET compresses only while there is room (compression.ts GZIP_MAX_IN_FLIGHT); from here to gzipBody is one turn.
  const gzip = wantsGzip({ acceptEncoding: header(req.headers, 'accept-encoding'), contentType: storedType, size: obj.size, storedEncoding: req.query.get('response-content-encoding') ?? obj.headers.contentEncoding, ranged: rangeHeader !== undefined }) && (!withBody || gzipRoom());
  if (gzip) gzipHeaders(headers);
  if (!withBody) return { status, headers };
  // A read of the bytes is an access (through a symlink, of the link and of its target, as OSS counts it):
  // recorded on its own while the bucket tracks access.
  req.services.accessMonitor.noteRead(b, data);
  if (link !== undefined) req.services.accessMonitor.noteRead(b, link);
  // Small objects are answered from the row's bytes without a stream.
  const body = req.services.objects.inlineBytes(data, range) ?? req.services.objects.openRead(data, range);
  return { status, headers, body: gzip ? gzipBody(body) : body };
}

/**
 * An anonymous read of a protected image is refused first (PutProcessConfiguration, oss/image-access.ts): GET, and
 * HEAD / GetObjectMeta alike, as OSS allows a protected original's anonymous access only through a style.
 */
function unprotectedFirst<O extends Operation>(answer: Handler<O>): Handler<O> {
  return (req) => {
    const guarded = assertReadUnprotected(req, req.op.bucket!, req.op.key!);
    return guarded !== undefined ? guarded.then(() => answer(req)) : answer(req);
  };
}

// With x-oss-process the answer is the processed image (oss/handlers/image.ts, docs/image-processing.md).
export const getObject: Handler = unprotectedFirst((req) => (wantsProcessing(req) ? getProcessedObject(req) : readOrDirectoryIndex(req, true)));
export const headObject: Handler = unprotectedFirst((req) => readOrDirectoryIndex(req, false));

export const getObjectMeta: Handler<Extract<Operation, { name: 'GetObjectMeta' }>> = unprotectedFirst(async (req) => {
  const { bucket, key } = target(req);
  const { meta: obj, data, link } = await req.services.objects.readView(bucket, key, symlinkTargetCheck(req, bucket), versionOf(req));
  if (link !== undefined) await assertReadUnprotected(req, bucket, data.key);
  const answer = empty(200, await withVersion(req, obj, {
    ETag: quoted(obj.etag),
    // The object's size, on HEAD and on GET alike: the Java SDK (getSimplifiedObjectMeta) and oss2
    // (get_object_meta) send GET ?objectMeta and read the size from this header.
    'Content-Length': String(obj.size),
    'Last-Modified': httpDate(obj.lastModified),
    'x-oss-hash-crc64ecma': obj.crc64,
  }));
  // While the bucket tracks access, the last access time (oss2's test_access_monitor_with_get_object_meta reads it).
  const held = req.services.buckets.get(bucket);
  const accessed = req.services.accessMonitor.lastAccess(held instanceof Promise ? await held : held, obj);
  if (accessed !== null) answer.headers['x-oss-last-access-time'] = httpDate(accessed);
  // A GET gets no body for those bytes: its connection ends after the head (a keep-alive client would wait for
  // them, and take the next answer's as them).
  return req.op.params.viaGet ? { ...answer, headOnly: true } : answer;
});

export const deleteObject: Handler = async (req) => {
  const { bucket, key } = target(req);
  const res = await req.services.objects.delete(bucket, key, versionOf(req), governanceBypassOf(req, bucket));
  const headers: Record<string, string> = {};
  if (res.deleteMarker) headers['x-oss-delete-marker'] = 'true';
  const id = res.deleteMarkerVersionId ?? res.versionId;
  if (id !== undefined) headers['x-oss-version-id'] = id;
  return empty(204, headers);
};

export const copyObject: Handler<Extract<Operation, { name: 'CopyObject' }>> = async (req) => {
  const { bucket, key } = target(req);
  const directive = (header(req.headers, 'x-oss-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new AppError('InvalidArgument', 'x-oss-metadata-directive must be COPY or REPLACE.', { ArgumentName: 'x-oss-metadata-directive', ArgumentValue: directive });
  }
  const taggingDirective = (header(req.headers, 'x-oss-tagging-directive') ?? 'Copy').toLowerCase();
  if (taggingDirective !== 'copy' && taggingDirective !== 'replace') {
    throw new AppError('InvalidArgument', 'x-oss-tagging-directive must be Copy or Replace.', { ArgumentName: 'x-oss-tagging-directive', ArgumentValue: taggingDirective });
  }
  const props = objectPropsFrom(req.headers);
  req.body.resume();
  const { source } = req.op.params;
  const { record: obj, sourceVersionId } = await req.services.objects.copy({
    sourceBucket: source.bucket,
    sourceKey: source.key,
    ...(source.versionId === undefined ? {} : { sourceVersionId: source.versionId }),
    bucket,
    key,
    replaceMetadata: directive === 'REPLACE',
    props,
    contentTypeGiven: header(req.headers, 'content-type') !== undefined,
    replaceTags: taggingDirective === 'replace',
    sourceConditions: copySourceConditions(req),
    forbidOverwrite: await overwriteForbidden(req, bucket, key, req.headers),
    checkSourceTarget: symlinkTargetCheck(req, req.op.params.source.bucket),
    checkSourceData: copySourceDataCheck(req),
  });
  const headers = await withVersion(req, obj, { ETag: quoted(obj.etag), 'x-oss-hash-crc64ecma': obj.crc64, ...sseResponseHeaders(sseOf(obj)) });
  if (sourceVersionId !== undefined) headers['x-oss-copy-source-version-id'] = sourceVersionId;
  return xmlResponse(el('CopyObjectResult', [el('ETag', quoted(obj.etag)), el('LastModified', isoDate(obj.lastModified))]), 200, headers);
};

export const appendObject: Handler<Extract<Operation, { name: 'AppendObject' }>> = async (req) => {
  // x-oss-tagging is read (and refused as a header) only by the append that creates the object.
  const { 'x-oss-tagging': _tagging, ...others } = req.headers;
  const tagging = header(req.headers, 'x-oss-tagging');
  const obj = await req.services.objects.append({
    // AppendObject takes no x-oss-forbid-overwrite; the overwrite rules refuse appending to an existing object.
    ...(await uploadInput(req, null, others)),
    position: req.op.params.position,
    creationTags: () => (tagging === undefined ? [] : taggingHeaderTags(tagging)),
  });
  return empty(200, await withVersion(req, obj, {
    ETag: quoted(obj.etag),
    'x-oss-next-append-position': String(obj.size),
    'x-oss-hash-crc64ecma': obj.crc64,
    ...sseResponseHeaders(sseOf(obj)),
  }));
};

export const getObjectAcl: Handler = async (req) => {
  const { bucket, key } = target(req);
  const obj = await req.services.objects.head(bucket, key, versionOf(req), 'NoSuchKey');
  const b = await req.services.buckets.get(bucket);
  const id = versionIdHeader(b, obj);
  return xmlResponse(ownerAcl(b.ownerAccountId, obj.acl), 200, id === undefined ? {} : { 'x-oss-version-id': id });
};

export const putObjectAcl: Handler = async (req) => {
  const { bucket, key } = target(req);
  const acl = header(req.headers, 'x-oss-object-acl');
  if (acl === undefined) throw new AppError('InvalidArgument', 'The x-oss-object-acl header is required.', { ArgumentName: 'x-oss-object-acl' });
  const obj = await req.services.objects.setAcl(bucket, key, acl, versionOf(req));
  return empty(200, await withVersion(req, obj, {}));
};

export const putSymlink: Handler = async (req) => {
  const { bucket, key } = target(req);
  const rawTarget = header(req.headers, 'x-oss-symlink-target');
  if (rawTarget === undefined || rawTarget === '') {
    throw new AppError('InvalidArgument', 'The x-oss-symlink-target header is required.', { ArgumentName: 'x-oss-symlink-target' });
  }
  const symlinkTarget = decodeUrlPath(rawTarget);
  if (symlinkTarget === undefined) {
    throw new AppError('InvalidArgument', 'The x-oss-symlink-target header is not valid URL-encoded text.', { ArgumentName: 'x-oss-symlink-target' });
  }
  const props = { ...objectPropsFrom(req.headers), headers: contentHeadersFrom(req.headers), userMeta: userMetaFrom(req.headers) };
  const obj = await req.services.objects.putSymlink(bucket, key, symlinkTarget, props, await overwriteForbidden(req, bucket, key, req.headers));
  return empty(200, await withVersion(req, obj, { ETag: quoted(obj.etag), 'x-oss-hash-crc64ecma': '0' }));
};

export const getSymlink: Handler = async (req) => {
  const { bucket, key } = target(req);
  const obj = await req.services.objects.getSymlink(bucket, key, versionOf(req));
  const headers: Record<string, string> = {
    'x-oss-symlink-target': encodeURIComponent(obj.symlinkTarget ?? ''),
    ETag: quoted(obj.etag),
    'Last-Modified': httpDate(obj.lastModified),
  };
  for (const [k, v] of Object.entries(obj.userMeta)) headers[`x-oss-meta-${k}`] = v;
  return empty(200, await withVersion(req, obj, headers));
};

export const getObjectTagging: Handler = async (req) => {
  const { bucket, key } = target(req);
  const obj = await req.services.objects.head(bucket, key, versionOf(req), 'NoSuchKey');
  return xmlResponse(
    el('Tagging', [el('TagSet', obj.tags.map(([k, v]) => el('Tag', [el('Key', k), el('Value', v)])))]),
    200,
    await withVersion(req, obj, {}),
  );
};

export const putObjectTagging: Handler = async (req) => {
  const { bucket, key } = target(req);
  // Read before the request is authorized (the tags are its oss:RequestObjectTag condition keys): bounded as such.
  const raw = await readBodyBeforeAuthorization(req.body, 64 * 1024);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  const doc = parseXmlBody(xmlText(raw), 'Tagging');
  const set = doc.TagSet;
  const tags: Array<[string, string]> = many(typeof set === 'object' && set !== null ? (set as Record<string, unknown>).Tag : undefined).map((t) => {
    if (typeof t !== 'object' || t === null) throw new AppError('MalformedXML');
    const tag = t as Record<string, unknown>;
    const k = text(tag.Key, 'Key');
    if (k === undefined) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'Each Tag must have a Key.' });
    return [k, text(tag.Value, 'Value') ?? ''];
  });
  // oss:PutObjectTagging (its Version twin for a version) with the body's tags as the request's: before, the
  // x-oss-tagging header was, so a header tag met an Allow's condition while the body wrote others, and a Deny on
  // the tags written never applied.
  const versionId = versionOf(req);
  await req.authorize(
    [versionId === undefined
      ? { action: 'oss:PutObjectTagging', bucket, key, acl: 'none' }
      : { action: 'oss:PutObjectVersionTagging', bucket, key, acl: 'none', versionId }],
    { requestTags: tags },
  );
  const obj = await req.services.objects.setTags(bucket, key, tags, versionId);
  return empty(200, await withVersion(req, obj, {}));
};

export const deleteObjectTagging: Handler = async (req) => {
  const { bucket, key } = target(req);
  const obj = await req.services.objects.setTags(bucket, key, [], versionOf(req));
  return empty(204, await withVersion(req, obj, {}));
};

