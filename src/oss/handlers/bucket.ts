import { AppError, invalidArgument } from '../../errors.js';
import { CORS_LIMITS } from '../../domain/cors.js';
import { LIMITS } from '../../domain/context.js';
import type { ObjectSummary } from '../../domain/model.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest, OssResponse } from '../context.js';
import { answerRoom, answersBusy, HELD_ANSWERS } from '../../http/held-answers.js';
import { clientOfBody } from '../../http/held-bytes.js';
import { corsXml, parseCorsXml } from '../cors.js';
import { bucketSseFrom, header, quoted } from '../headers.js';
import { el, escapeXml, many, parseXmlBody, text, type XmlNode, xmlText } from '../xml.js';
import { checkMd5, empty, encoder, governanceBypassOf, encodingTypeElement, limitParam, owner, ownerAcl, policyText, readBodyBeforeAuthorization, readCheckedBody, readConfigXml, readSmallBody, xmlResponse } from './common.js';
import { deleteObjectChecks } from '../operations.js';
import { bucketDefaultEncryption } from '../../domain/encryption.js';
import { bucketInfoEncryptionFields } from './encryption.js';
import { versioningStatus } from '../../domain/versioning.js';
import { bucketOwnBlock } from '../../domain/access-rules.js';
import type { DeleteEntry } from '../../domain/objects.js';
import { DEFAULT_RESOURCE_GROUP, storedBucketInfo } from '../stored/bucket-info.js';
import { isResourceGroupId } from '../stored/resource-group.js';
import { asJson } from '../stored/common.js';
import { agenticInfoFields, applySpaceTemplate, bucketSpaceParent } from './bucket-space.js';
import { agenticStatusOf } from '../../domain/agentic-buckets.js';

const bucketOf = (req: OssRequest): string => req.op.bucket!;

export const putBucket: Handler = async (req) => {
  // A default encryption in the headers (ossutil `mb --meta X-Oss-Server-Side-Encryption:…`): validated before
  // the bucket is created, set right after it. Other x-oss-server-side-* headers are refused (501).
  const sse = bucketSseFrom(req.headers);
  // Setting the default encryption is PutBucketEncryption too, decided before anything is created.
  if (sse) await req.authorize([{ action: 'oss:PutBucketEncryption', bucket: bucketOf(req), key: null, acl: 'none' }]);
  const body = await readSmallBody(req.body, 64 * 1024);
  // Content-MD5 is signed (V1 and V4): a body that does not match it is not the one signed.
  checkMd5(body, header(req.headers, 'content-md5'), false);
  const raw = xmlText(body);
  let storageClass: string | undefined;
  let redundancyType: string | undefined;
  let locationConstraint: string | undefined;
  if (raw.trim() !== '') {
    const cfg = parseXmlBody(raw, 'CreateBucketConfiguration');
    storageClass = text(cfg.StorageClass, 'StorageClass')?.trim();
    redundancyType = text(cfg.DataRedundancyType, 'DataRedundancyType')?.trim();
    locationConstraint = text(cfg.LocationConstraint, 'LocationConstraint')?.trim();
  }
  const acl = header(req.headers, 'x-oss-acl');
  // x-oss-resource-group-id: the group a new bucket is created in (OSS's PutBucket page; `rg-default-id` or none,
  // the default group). One that is no group's ID is refused before anything is created: 400 InvalidArgument,
  // what the Java SDK's CreateBucketTest.testPutWithResouceGroupId expects for "invalid-rs-id".
  const group = header(req.headers, 'x-oss-resource-group-id')?.trim();
  if (group !== undefined && group !== '' && !isResourceGroupId(group)) {
    throw invalidArgument('The resource group id is invalid.', 'x-oss-resource-group-id', group.slice(0, 64));
  }
  // A bucket space (x-oss-agentic-bucket) takes its agentic bucket's template where the request gives none.
  const parent = await bucketSpaceParent(req);
  const { bucket, created } = await req.services.buckets.create({
    name: bucketOf(req),
    ownerAccountId: req.accountId,
    acl: acl ?? parent?.acl,
    storageClass: storageClass ?? parent?.storageClass,
    redundancyType: redundancyType ?? parent?.redundancyType,
    locationConstraint,
  });
  // The owner's PutBucket of a bucket it has, with x-oss-acl, sets that ACL (OSS's PutBucketAcl is the same
  // request; Go SDK 1.5.0 SetBucketACL sends no ?acl): decided and applied exactly as PutBucketAcl.
  if (!created && acl !== undefined) {
    await req.authorize([{ action: 'oss:PutBucketAcl', bucket: bucket.name, key: null, acl: 'none' }]);
    await req.services.buckets.setAcl(bucket.name, acl);
  }
  if (sse) await req.services.encryption.set(bucket.name, sse);
  if (created && parent !== null) await applySpaceTemplate(req, bucket.name, parent);
  if (created && group !== undefined && group !== '' && group !== DEFAULT_RESOURCE_GROUP) {
    await req.services.stored.update(bucket.name, 'resource-group', () => asJson({ ResourceGroupId: group }));
  }
  return empty(200, { Location: `/${bucket.name}` });
};

export const deleteBucket: Handler = async (req) => {
  // An agentic bucket goes by DeleteAgenticBucket only, after its 24 hours Disabled (docs/agentic-buckets.md) [UNVERIFIED: the code].
  if (agenticStatusOf(await req.services.buckets.get(bucketOf(req))) !== null) {
    throw new AppError('AccessDenied', 'An agentic bucket is deleted with DeleteAgenticBucket.', { BucketName: bucketOf(req) });
  }
  await req.services.buckets.delete(bucketOf(req));
  return empty(204);
};

export const getBucketInfo: Handler = async (req) => {
  const b = await req.services.buckets.get(bucketOf(req));
  const sse = bucketDefaultEncryption(b);
  const stored = storedBucketInfo(req.services.stored, b); // docs/stored-configurations.md
  return xmlResponse(
    el('BucketInfo', [
      el('Bucket', [
        el('AccessMonitor', stored.accessMonitor),
        el('CreationDate', isoDate(b.createdAt)),
        el('CrossRegionReplication', stored.crossRegionReplication),
        el('DataRedundancyType', b.redundancyType),
        el('ExtranetEndpoint', `oss-${b.region}.aliyuncs.com`),
        el('IntranetEndpoint', `oss-${b.region}-internal.aliyuncs.com`),
        el('Location', `oss-${b.region}`),
        el('Name', b.name),
        el('ResourceGroupId', stored.resourceGroupId),
        el('StorageClass', b.storageClass),
        el('TransferAcceleration', stored.transferAcceleration),
        // Only once versioning was set (Enabled or Suspended), as GetBucketVersioning.
        versioningStatus(b) !== null && el('Versioning', versioningStatus(b)!),
        owner(b.ownerAccountId),
        el('AccessControlList', [el('Grant', b.acl)]),
        el('ServerSideEncryptionRule', sse ? bucketInfoEncryptionFields(sse) : [el('SSEAlgorithm', 'None')]),
        el('BucketPolicy', [el('LogBucket', ''), el('LogPrefix', '')]),
        // A bucket comment (PutBucket's CreateBucketConfiguration) is not stored; OSS sends the element empty.
        el('Comment', ''),
        // The bucket's own PutBucketPublicAccessBlock setting: the Python V2 SDK reads it as a bool
        // (BucketInfo.block_public_access) and test_get_bucket_info expects False of a new bucket.
        el('BlockPublicAccess', bucketOwnBlock(b)),
        // An agentic bucket's or a bucket space's (docs/agentic-buckets.md).
        ...agenticInfoFields(b),
      ]),
    ]),
  );
};

export const getBucketLocation: Handler = async (req) => {
  const b = await req.services.buckets.get(bucketOf(req));
  return xmlResponse(el('LocationConstraint', `oss-${b.region}`));
};

/** HEAD /<bucket>: 200 with the bucket's region as OSS names it (the C# SDK's test wants it to start with `oss-`). */
export const headBucket: Handler = async (req) => {
  const b = await req.services.buckets.get(bucketOf(req));
  return empty(200, { 'x-oss-bucket-region': `oss-${b.region}` });
};

export const getBucketAcl: Handler = async (req) => {
  const b = await req.services.buckets.get(bucketOf(req));
  return xmlResponse(ownerAcl(b.ownerAccountId, b.acl));
};

export const putBucketAcl: Handler = async (req) => {
  const acl = header(req.headers, 'x-oss-acl');
  const name = bucketOf(req);
  try {
    // Without x-oss-acl the request is PutBucket without one: the ACL is kept, 200. The Java SDK's
    // setBucketAcl(bucket, null) sends no header and its BucketAclTest.testNormalSetBucketAcl expects success.
    if (acl === undefined) await req.services.buckets.get(name);
    else await req.services.buckets.setAcl(name, acl);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'NoSuchBucket') throw err;
    // OSS documents that PutBucketAcl on a bucket that does not exist creates it with that ACL; creating
    // is authorized as PutBucket too. If the owner created it meanwhile, create() returns it: set the ACL.
    await req.authorize([{ action: 'oss:PutBucket', bucket: name, key: null, acl: 'none' }]);
    const { created } = await req.services.buckets.create({ name, ownerAccountId: req.accountId, acl });
    if (!created && acl !== undefined) await req.services.buckets.setAcl(name, acl);
  }
  return empty(200, { Location: `/${name}` });
};

export const getBucketPolicy: Handler = async (req) => {
  const policy = await req.services.buckets.getPolicy(bucketOf(req));
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: policy };
};

export const putBucketPolicy: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(bucketOf(req));
  const raw = await readCheckedBody(req, 16 * 1024);
  await req.services.buckets.putPolicy(bucketOf(req), policyText(raw), written);
  return empty();
};

export const deleteBucketPolicy: Handler = async (req) => {
  await req.services.buckets.deletePolicy(bucketOf(req));
  return empty(204);
};

export const putBucketCors: Handler = async (req) => {
  const written = await req.services.buckets.incarnation(bucketOf(req)); // before the body, as PutBucketPolicy's
  const raw = await readCheckedBody(req, CORS_LIMITS.maxBodyBytes);
  await req.services.buckets.putCors(bucketOf(req), parseCorsXml(xmlText(raw)), written);
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
function contentsXml(
  objects: readonly ObjectSummary[], enc: (s: string) => string, withOwner: boolean, ownerId: string, restoreInfo: ReadonlyMap<string, string>,
): XmlNode {
  const ownerXml = withOwner ? owner(ownerId) : '';
  let out = '';
  for (const o of objects) {
    out +=
      `<Contents><Key>${escapeXml(enc(o.key))}</Key><LastModified>${isoDate(o.lastModified)}</LastModified>` +
      `<ETag>${escapeXml(quoted(o.etag))}</ETag><Type>${escapeXml(o.type)}</Type><Size>${o.size}</Size>` +
      `<StorageClass>${escapeXml(o.storageClass)}</StorageClass>${ownerXml}` +
      // Archived objects' restore state (ListObjects shows it as OSS does).
      `${restoreInfo.has(o.key) ? `<RestoreInfo>${escapeXml(restoreInfo.get(o.key)!)}</RestoreInfo>` : ''}</Contents>`;
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
      contentsXml(res.objects, enc, true, bucket.ownerAccountId, res.restoreInfo),
      ...res.commonPrefixes.map((p) => el('CommonPrefixes', [el('Prefix', enc(p))])),
    ]),
  );
};

/**
 * A V2 listing's continuation token: the last key, base64url without padding. Only unreserved URL characters, so a
 * client that URL-decodes the token under `encoding-type=url` (the Java SDK v2 decodes ContinuationToken and
 * NextContinuationToken) gets it back unchanged; standard base64's `+` came back as a space, and the next page was
 * refused.
 */
const encodeToken = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');

/**
 * `text` without its trailing `=`s. Not `replace(/=+$/, '')`: that scans every run of `=` to its end from each of its
 * starts, so a 16 KB token of `=` followed by another character cost ~0.4 s of event loop per (anonymous) listing.
 */
function withoutPadding(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  return text.slice(0, end);
}

/** The key a token continues after; tokens an older Alunite gave out (standard base64, padded) still work. */
function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64').toString('utf8');
  const bare = withoutPadding(token);
  if (token === '' || (encodeToken(key) !== bare && withoutPadding(Buffer.from(key, 'utf8').toString('base64')) !== bare)) {
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
      contentsXml(res.objects, enc, fetchOwner, bucket.ownerAccountId, res.restoreInfo),
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
      // The last upload (or common prefix) listed, truncated or not, as OSS writes them: the Python V2 SDK's
      // test_multipart_upload_object_encoding_type expects NextKeyMarker = the one key of a complete listing.
      el('NextKeyMarker', enc(res.nextKeyMarker)),
      el('NextUploadIdMarker', res.nextUploadIdMarker),
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
  const raw = await readBodyBeforeAuthorization(req.body, 2 * 1024 * 1024);
  checkMd5(raw, header(req.headers, 'content-md5'), true);
  // Read before anything is authorized (the keys are the checks), by anyone: at most 8 nodes per object allowed.
  const doc = parseXmlBody(xmlText(raw), 'Delete', { maxNodes: 8 * LIMITS.maxDeleteKeys + 16 });
  const quiet = (text(doc.Quiet, 'Quiet') ?? '').trim().toLowerCase() === 'true';
  const entries = many(doc.Object).map((o): DeleteEntry => {
    const fields = typeof o === 'object' && o !== null ? (o as Record<string, unknown>) : {};
    const key = text(fields.Key, 'Key');
    if (key === undefined || key === '') throw new AppError('MalformedXML', undefined, { ErrorDetail: 'Each Object must have a Key.' });
    const versionId = text(fields.VersionId, 'VersionId')?.trim();
    return versionId === undefined ? { key } : { key, versionId };
  });
  if (entries.length === 0) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'the Delete element must contain at least one Object.' });
  // Every key must be deletable by the caller, or nothing is deleted (spec ram-sts §2.3): a named version
  // needs oss:DeleteObjectVersion.
  await req.authorize(deleteObjectChecks(bucketOf(req), entries));
  // encoding-type comes in the query, or in a request header of that name, where the Java SDK puts it
  // (DeleteObjectsRequest.setEncodingType; its deleteVersions always sends `url` and decodes the keys when the
  // answer says EncodingType url): a key holding a control character written raw breaks its XML parser.
  const encoding = req.query.get('encoding-type') ?? header(req.headers, 'encoding-type');
  const encodingParams = new Map<string, string>(encoding === undefined ? [] : [['encoding-type', encoding]]);
  const enc = encoder(encodingParams);
  // Quiet mode lists only failures, and a request either deletes every key or fails as a whole, so a quiet
  // answer has nothing to list: OSS then sends no body at all (Content-Length 0). The C++ SDK's
  // DeleteObjectsQuietTest reads Quiet() as "the body was empty"; the Java SDK's parser says the same.
  if (quiet) {
    await req.services.objects.deleteMany(bucketOf(req), entries, governanceBypassOf(req, bucketOf(req)));
    return empty();
  }
  // The answer lists every key, escaped (up to 5 bytes a byte): a large one's room among the held answers
  // (http/held-answers.ts) is taken before anything is deleted, so a server holding all it allows refuses (503) a
  // request it has not acted on. A done write's answer is always sent: counted only after, it had no bound at all.
  const bound = deleteAnswerBound(entries);
  const room = bound <= HELD_ANSWERS.countedOver ? null : answerRoom(bound, clientOfBody(req.body));
  if (bound > HELD_ANSWERS.countedOver && room === null) throw answersBusy();
  let answer: OssResponse;
  try {
    answer = deleteResult(await req.services.objects.deleteMany(bucketOf(req), entries, governanceBypassOf(req, bucketOf(req))), encodingParams, enc);
  } catch (err) {
    room?.release();
    throw err;
  }
  if (room === null) return answer;
  const bytes = Buffer.from(answer.body as string, 'utf8');
  return { ...answer, headers: { ...answer.headers, 'Content-Length': String(bytes.length) }, body: room.body(bytes) };
};

/** The most a DeleteResult listing `entries` takes: each key and version id escaped, plus its elements and our ids. */
function deleteAnswerBound(entries: readonly DeleteEntry[]): number {
  let bound = 256;
  for (const e of entries) bound += 384 + 5 * (Buffer.byteLength(e.key) + Buffer.byteLength(e.versionId ?? ''));
  return bound;
}

function deleteResult(deleted: Awaited<ReturnType<OssRequest['services']['objects']['deleteMany']>>, encodingParams: ReadonlyMap<string, string>, enc: (s: string) => string): OssResponse {
  return xmlResponse(
    el('DeleteResult', [
      encodingTypeElement(encodingParams),
      ...deleted.map((d) =>
        el('Deleted', [
          el('Key', enc(d.key)),
          d.versionId !== undefined && el('VersionId', d.versionId),
          d.deleteMarker && el('DeleteMarker', 'true'),
          d.deleteMarkerVersionId !== undefined && el('DeleteMarkerVersionId', d.deleteMarkerVersionId),
        ]),
      ),
    ]),
  );
};

export const putBucketVersioning: Handler = async (req) => {
  const written = await req.services.buckets.incarnation(bucketOf(req)); // before the body, as PutBucketPolicy's
  const doc = await readConfigXml(req, 'VersioningConfiguration', 64 * 1024);
  await req.services.buckets.putVersioning(bucketOf(req), text(doc.Status, 'Status')?.trim(), written);
  return empty();
};

export const getBucketVersioning: Handler = async (req) => {
  const status = versioningStatus(await req.services.buckets.get(bucketOf(req)));
  return xmlResponse(el('VersioningConfiguration', [status !== null && el('Status', status)]));
};

/** The longest prefix, key-marker and delimiter ListObjectVersions takes. */
const MAX_VERSIONS_PARAM_BYTES = 1024;

export const listObjectVersions: Handler = async (req) => {
  const q = req.query;
  const enc = encoder(q);
  const prefix = q.get('prefix') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const versionIdMarker = q.get('version-id-marker') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  // Each at most 1,024 bytes: oss2's test_list_object_versions_wrong has OSS refuse 1,025 with InvalidArgument.
  for (const [name, value] of [['prefix', prefix], ['key-marker', keyMarker], ['delimiter', delimiter]] as const) {
    if (Buffer.byteLength(value, 'utf8') > MAX_VERSIONS_PARAM_BYTES) {
      throw invalidArgument(`${name} must be at most ${MAX_VERSIONS_PARAM_BYTES} bytes long.`, name, value.slice(0, 64));
    }
  }
  const maxKeys = limitParam(q, 'max-keys', 100, 1000);
  const bucket = await req.services.buckets.get(bucketOf(req));
  const res = await req.services.objects.listVersions(bucket.name, { prefix, delimiter, keyMarker, versionIdMarker, maxKeys });
  return xmlResponse(
    el('ListVersionsResult', [
      el('Name', bucket.name),
      el('Prefix', enc(prefix)),
      el('KeyMarker', enc(keyMarker)),
      el('VersionIdMarker', versionIdMarker),
      el('MaxKeys', maxKeys),
      el('Delimiter', enc(delimiter)),
      el('IsTruncated', res.truncated),
      encodingTypeElement(q),
      res.next !== null && el('NextKeyMarker', enc(res.next.key)),
      // Empty when the page ends with a CommonPrefix: written whenever the list is truncated, as oss2's
      // parse_list_object_versions reads it then with _find_tag (which raises on a missing element).
      res.next !== null && el('NextVersionIdMarker', res.next.versionId ?? ''),
      ...res.versions.map((v) =>
        v.deleteMarker
          ? el('DeleteMarker', [
              el('Key', enc(v.key)), el('VersionId', v.versionId), el('IsLatest', v.isLatest), el('LastModified', isoDate(v.lastModified)),
              owner(bucket.ownerAccountId),
            ])
          : el('Version', [
              el('Key', enc(v.key)), el('VersionId', v.versionId), el('IsLatest', v.isLatest), el('LastModified', isoDate(v.lastModified)),
              el('ETag', quoted(v.etag)), el('Type', v.type), el('Size', v.size), el('StorageClass', v.storageClass), owner(bucket.ownerAccountId),
            ]),
      ),
      ...res.commonPrefixes.map((p) => el('CommonPrefixes', [el('Prefix', enc(p))])),
    ]),
  );
};

/** GetBucketStat: the published BucketStat fields, in their order. */
export const getBucketStat: Handler = async (req) => {
  req.body.resume();
  const stat = await req.services.stats.get(req.op.bucket!);
  return xmlResponse(el('BucketStat', stat.map(([name, value]) => el(name, value))));
};
