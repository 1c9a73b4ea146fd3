import { assertPartNumber } from '../domain/multipart.js';
import { AppError, invalidArgument } from '../errors.js';
import { decodeUrlPath, type Address } from './address.js';
import type { PostUpload } from './post-object.js';

/**
 * Every OSS operation, as a typed value: name, what it needs authorized and its parsed parameters.
 * Routing builds one of these from method + address + query + a few headers; nothing after routing
 * re-parses the URL.
 */

/** How ACLs can grant an operation to non-owners (spec ram-sts §2.3). */
export type AclAccess = 'read' | 'write' | 'none';

export interface AuthzCheck {
  action: string;
  bucket: string | null;
  key: string | null;
  acl: AclAccess;
  /**
   * Checked only when this object has tags (the source of a copy that copies its tags: copying none
   * reads and writes none). Absent: always checked.
   */
  ifTagged?: { bucket: string; key: string };
}

/** What a write sets besides bytes and metadata that has an action of its own (spec ram-sts §3). */
export interface WriteExtras {
  /** Tags from the request (x-oss-tagging, or a copy's Replace directive). */
  tagging: boolean;
  /** An object ACL from the request (x-oss-object-acl). */
  objectAcl: boolean;
}

/**
 * The checks of a write of `key` by `action`, and of what it sets with the bytes: tags need
 * oss:PutObjectTagging (an ACL that grants the write grants the tags written with it), an object ACL
 * needs oss:PutObjectAcl (never granted by an ACL, as for the PutObjectAcl API). Every write declares
 * its checks through this, PostObject included, so none can set tags or an ACL its caller may not.
 */
export function writeChecks(action: string, bucket: string, key: string, acl: AclAccess, extras: WriteExtras): AuthzCheck[] {
  const checks: AuthzCheck[] = [{ action, bucket, key, acl }];
  if (extras.tagging) checks.push({ action: 'oss:PutObjectTagging', bucket, key, acl: acl === 'none' ? 'none' : 'write' });
  if (extras.objectAcl) checks.push({ action: 'oss:PutObjectAcl', bucket, key, acl: 'none' });
  return checks;
}

interface Base {
  bucket: string | null;
  key: string | null;
  /** Everything this operation needs allowed (CopyObject: read source + write destination). */
  checks: AuthzCheck[];
}

export interface CopySource {
  bucket: string;
  key: string;
}

type Simple<N extends string> = Base & { name: N; params?: undefined };

export type Operation =
  | Simple<'ListBuckets'>
  | Simple<'PutBucket'>
  | Simple<'DeleteBucket'>
  | Simple<'GetBucketInfo'>
  | Simple<'GetBucketLocation'>
  | Simple<'GetBucketAcl'>
  | Simple<'PutBucketAcl'>
  | Simple<'GetBucketPolicy'>
  | Simple<'PutBucketPolicy'>
  | Simple<'DeleteBucketPolicy'>
  | Simple<'GetBucketCors'>
  | Simple<'PutBucketCors'>
  | Simple<'DeleteBucketCors'>
  | Simple<'ListObjects'>
  | Simple<'ListObjectsV2'>
  | Simple<'ListMultipartUploads'>
  | Simple<'DeleteMultipleObjects'>
  | Simple<'PutObject'>
  | Simple<'GetObject'>
  | Simple<'HeadObject'>
  | Simple<'GetObjectMeta'>
  | Simple<'DeleteObject'>
  | Simple<'GetObjectAcl'>
  | Simple<'PutObjectAcl'>
  | Simple<'PutSymlink'>
  | Simple<'GetSymlink'>
  | Simple<'GetObjectTagging'>
  | Simple<'PutObjectTagging'>
  | Simple<'DeleteObjectTagging'>
  | Simple<'InitiateMultipartUpload'>
  | (Base & { name: 'CopyObject'; params: { source: CopySource } })
  | (Base & { name: 'AppendObject'; params: { position: number } })
  | (Base & { name: 'UploadPart'; params: { uploadId: string; partNumber: number } })
  | (Base & { name: 'UploadPartCopy'; params: { uploadId: string; partNumber: number; source: CopySource } })
  | (Base & { name: 'CompleteMultipartUpload'; params: { uploadId: string } })
  | (Base & { name: 'AbortMultipartUpload'; params: { uploadId: string } })
  | (Base & { name: 'ListParts'; params: { uploadId: string } })
  // Key, checks and upload are known once the form fields are read (oss/post-object.ts); null until then.
  | (Base & { name: 'PostObject'; params: { upload: PostUpload | null } });

export interface RouteInput {
  method: string;
  address: Address;
  query: ReadonlyMap<string, string>;
  copySource: string | undefined;
  contentType: string | undefined;
  /** An x-oss-callback header was sent (upload callbacks are not implemented). */
  callback: boolean;
  /** An x-oss-object-acl header was sent: writes that set the object's ACL also need oss:PutObjectAcl. */
  objectAcl?: boolean;
  /** x-oss-tagging-directive (CopyObject): `Replace` writes the request's tags, else the source's are copied. */
  taggingDirective?: string;
  /** An x-oss-tagging header was sent: writes that store tags also need oss:PutObjectTagging. */
  tagging?: boolean;
}

/** Sub-resources OSS has that Alunite does not implement yet: answered with NotImplemented. */
const UNSUPPORTED_SUBRESOURCES = [
  'lifecycle', 'website', 'referer', 'logging', 'versioning', 'versions', 'encryption', 'replication',
  'inventory', 'worm', 'qos', 'stat', 'restore', 'live', 'img', 'style', 'x-oss-process', 'callback',
  'transferAcceleration', 'metaQuery', 'requestPayment', 'accessPoint', 'publicAccessBlock', 'resourceGroup',
  'httpsConfig', 'objectInfo', 'regionList', 'asyncFetch', 'cname', 'comp', 'vod', 'selectMeta',
];

function parseCopySource(raw: string): CopySource {
  let value = raw.trim();
  const q = value.indexOf('?');
  if (q >= 0) value = value.slice(0, q);
  if (value.startsWith('/')) value = value.slice(1);
  const slash = value.indexOf('/');
  const fail = (): never => {
    throw invalidArgument('Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.', 'x-oss-copy-source', raw);
  };
  if (slash <= 0 || slash === value.length - 1) fail();
  const bucket = decodeUrlPath(value.slice(0, slash));
  const key = decodeUrlPath(value.slice(slash + 1));
  if (bucket === undefined || key === undefined) return fail();
  return { bucket, key };
}

function requireInt(query: ReadonlyMap<string, string>, name: string): number {
  const raw = query.get(name) ?? '';
  if (!/^\d{1,15}$/.test(raw)) throw invalidArgument(`${name} must be a non-negative integer.`, name, raw);
  return Number(raw);
}

/** partNumber, checked before anything else about the request (body headers included). */
function partNumberOf(query: ReadonlyMap<string, string>): number {
  const raw = query.get('partNumber') ?? '';
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  assertPartNumber(n, raw);
  return n;
}

function uploadIdOf(query: ReadonlyMap<string, string>): string {
  const id = query.get('uploadId') ?? '';
  if (id === '') throw new AppError('NoSuchUpload', undefined, { UploadId: id });
  return id;
}

const notAllowed = (method: string, resourceType: string): AppError =>
  new AppError('MethodNotAllowed', undefined, { Method: method, ResourceType: resourceType });

/** The checks of DeleteMultipleObjects: oss:DeleteObject on every key (an ACL may grant it as a write). */
export function deleteObjectChecks(bucket: string, keys: readonly string[]): AuthzCheck[] {
  return keys.map((key) => ({ action: 'oss:DeleteObject', bucket, key, acl: 'write' }));
}

/** Maps a request to its Operation, or throws the OSS error for requests that are not one. */
export function route(input: RouteInput): Operation {
  const { method, address, query } = input;
  const { bucket, key } = address;
  const has = (name: string): boolean => query.has(name);
  if (input.callback) throw new AppError('NotImplemented', 'Upload callbacks (x-oss-callback) are not implemented by Alunite yet.');
  for (const sub of UNSUPPORTED_SUBRESOURCES) {
    if (has(sub)) throw new AppError('NotImplemented', `The "${sub}" sub-resource is not implemented by Alunite yet.`);
  }

  const svc = (action: string): Base => ({ bucket: null, key: null, checks: [{ action, bucket: null, key: null, acl: 'none' }] });
  const onBucket = (action: string, acl: AclAccess = 'none'): Base => ({ bucket, key: null, checks: [{ action, bucket, key: null, acl }] });
  const onObject = (action: string, acl: AclAccess): Base => ({ bucket, key, checks: [{ action, bucket, key, acl }] });
  // Writes that set tags or an ACL from the request also need the actions of those (spec ram-sts §2.3, §3).
  const extras: WriteExtras = { tagging: input.tagging === true, objectAcl: input.objectAcl === true };
  const objectWrite = (action: string, acl: AclAccess): Base => ({ bucket, key, checks: writeChecks(action, bucket!, key!, acl, extras) });
  // Copies read the source as GetObject and write the destination as PutObject (both must pass).
  const copyInto = (source: CopySource): Base => ({
    bucket,
    key,
    checks: [
      { action: 'oss:GetObject', bucket: source.bucket, key: source.key, acl: 'read' },
      { action: 'oss:PutObject', bucket, key, acl: 'write' },
    ],
  });
  // CopyObject also writes tags and an ACL: Replace writes the request's tags; Copy (the default) moves the
  // source's, reading them (oss:GetObjectTagging on the source) and writing them (oss:PutObjectTagging on the
  // destination) when it has any.
  const copyObject = (source: CopySource): Base => {
    const replaceTags = (input.taggingDirective ?? '').toLowerCase() === 'replace';
    const checks: AuthzCheck[] = [
      { action: 'oss:GetObject', bucket: source.bucket, key: source.key, acl: 'read' },
      ...writeChecks('oss:PutObject', bucket!, key!, 'write', { tagging: replaceTags, objectAcl: extras.objectAcl }),
    ];
    if (!replaceTags) {
      const ifTagged = { bucket: source.bucket, key: source.key };
      checks.push(
        { action: 'oss:GetObjectTagging', bucket: source.bucket, key: source.key, acl: 'none', ifTagged },
        { action: 'oss:PutObjectTagging', bucket, key, acl: 'write', ifTagged },
      );
    }
    return { bucket, key, checks };
  };

  if (bucket === null) {
    if (method === 'GET') return { name: 'ListBuckets', ...svc('oss:ListBuckets') };
    throw notAllowed(method, 'Service');
  }

  if (key === null) {
    switch (method) {
      case 'GET':
        if (has('acl')) return { name: 'GetBucketAcl', ...onBucket('oss:GetBucketAcl') };
        if (has('bucketInfo')) return { name: 'GetBucketInfo', ...onBucket('oss:GetBucketInfo') };
        if (has('location')) return { name: 'GetBucketLocation', ...onBucket('oss:GetBucketLocation') };
        if (has('policy')) return { name: 'GetBucketPolicy', ...onBucket('oss:GetBucketPolicy') };
        if (has('cors')) return { name: 'GetBucketCors', ...onBucket('oss:GetBucketCors') };
        if (has('uploads')) return { name: 'ListMultipartUploads', ...onBucket('oss:ListMultipartUploads') };
        if (has('tagging')) throw new AppError('NotImplemented', 'Bucket tagging is not implemented by Alunite yet.');
        if (query.get('list-type') === '2') return { name: 'ListObjectsV2', ...onBucket('oss:ListObjects', 'read') };
        return { name: 'ListObjects', ...onBucket('oss:ListObjects', 'read') };
      case 'PUT':
        if (has('acl')) return { name: 'PutBucketAcl', ...onBucket('oss:PutBucketAcl') };
        if (has('policy')) return { name: 'PutBucketPolicy', ...onBucket('oss:PutBucketPolicy') };
        if (has('cors')) return { name: 'PutBucketCors', ...onBucket('oss:PutBucketCors') };
        if (has('tagging')) throw new AppError('NotImplemented', 'Bucket tagging is not implemented by Alunite yet.');
        return { name: 'PutBucket', ...onBucket('oss:PutBucket') };
      case 'DELETE':
        if (has('policy')) return { name: 'DeleteBucketPolicy', ...onBucket('oss:DeleteBucketPolicy') };
        if (has('cors')) return { name: 'DeleteBucketCors', ...onBucket('oss:DeleteBucketCors') };
        if (has('tagging')) throw new AppError('NotImplemented', 'Bucket tagging is not implemented by Alunite yet.');
        return { name: 'DeleteBucket', ...onBucket('oss:DeleteBucket') };
      case 'POST':
        // oss:DeleteObject is checked per key (spec ram-sts §2.3) once the handler has parsed the body:
        // see deleteObjectChecks and OssRequest.authorize.
        if (has('delete')) return { name: 'DeleteMultipleObjects', bucket, key: null, checks: [] };
        if ((input.contentType ?? '').toLowerCase().startsWith('multipart/form-data')) {
          return { name: 'PostObject', bucket, key: null, checks: [], params: { upload: null } };
        }
        throw notAllowed(method, 'Bucket');
      default:
        throw notAllowed(method, 'Bucket');
    }
  }

  switch (method) {
    case 'GET':
      if (has('acl')) return { name: 'GetObjectAcl', ...onObject('oss:GetObjectAcl', 'none') };
      if (has('symlink')) return { name: 'GetSymlink', ...onObject('oss:GetObject', 'read') };
      if (has('tagging')) return { name: 'GetObjectTagging', ...onObject('oss:GetObjectTagging', 'none') };
      if (has('uploadId')) return { name: 'ListParts', ...onObject('oss:ListParts', 'none'), params: { uploadId: uploadIdOf(query) } };
      if (has('objectMeta')) return { name: 'GetObjectMeta', ...onObject('oss:GetObject', 'read') };
      return { name: 'GetObject', ...onObject('oss:GetObject', 'read') };
    case 'HEAD':
      if (has('objectMeta')) return { name: 'GetObjectMeta', ...onObject('oss:GetObject', 'read') };
      return { name: 'HeadObject', ...onObject('oss:GetObject', 'read') };
    case 'PUT': {
      if (has('acl')) return { name: 'PutObjectAcl', ...onObject('oss:PutObjectAcl', 'none') };
      if (has('symlink')) return { name: 'PutSymlink', ...objectWrite('oss:PutObject', 'write') };
      if (has('tagging')) return { name: 'PutObjectTagging', ...onObject('oss:PutObjectTagging', 'none') };
      if (has('uploadId') || has('partNumber')) {
        if (!has('uploadId')) throw invalidArgument('UploadPart requires the uploadId parameter.', 'uploadId');
        const uploadId = uploadIdOf(query);
        const partNumber = partNumberOf(query);
        if (input.copySource !== undefined) {
          const source = parseCopySource(input.copySource);
          return { name: 'UploadPartCopy', ...copyInto(source), params: { uploadId, partNumber, source } };
        }
        return { name: 'UploadPart', ...onObject('oss:PutObject', 'write'), params: { uploadId, partNumber } };
      }
      if (input.copySource !== undefined) {
        const source = parseCopySource(input.copySource);
        return { name: 'CopyObject', ...copyObject(source), params: { source } };
      }
      return { name: 'PutObject', ...objectWrite('oss:PutObject', 'write') };
    }
    case 'POST':
      if (has('uploads')) return { name: 'InitiateMultipartUpload', ...objectWrite('oss:PutObject', 'none') };
      if (has('uploadId')) return { name: 'CompleteMultipartUpload', ...onObject('oss:PutObject', 'write'), params: { uploadId: uploadIdOf(query) } };
      if (has('append')) {
        if (!has('position')) throw invalidArgument('AppendObject requires the position parameter.', 'position');
        return { name: 'AppendObject', ...objectWrite('oss:PutObject', 'write'), params: { position: requireInt(query, 'position') } };
      }
      throw notAllowed(method, 'Object');
    case 'DELETE':
      if (has('uploadId')) return { name: 'AbortMultipartUpload', ...onObject('oss:AbortMultipartUpload', 'none'), params: { uploadId: uploadIdOf(query) } };
      if (has('tagging')) return { name: 'DeleteObjectTagging', ...onObject('oss:DeleteObjectTagging', 'none') };
      return { name: 'DeleteObject', ...onObject('oss:DeleteObject', 'write') };
    default:
      throw notAllowed(method, 'Object');
  }
}
