import { isIP } from 'node:net';
import type { Connection } from './profile.js';
import { UsageError } from './output.js';
import { quietUrllibWarnings } from './urllib-warnings.js';

// ali-oss configured from a resolved Connection, and `oss://bucket/key` URLs.

export interface OssUrl {
  bucket: string;
  /** '' for the bucket itself. */
  key: string;
}

export function isOssUrl(s: string): boolean {
  return s.startsWith('oss://');
}

export function parseOssUrl(s: string): OssUrl {
  if (!isOssUrl(s)) throw new UsageError(`"${s}" is not an oss:// URL (expected oss://bucket[/key])`);
  const rest = s.slice('oss://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw new UsageError(`"${s}" has no bucket name (expected oss://bucket[/key])`);
  // The rule ali-oss enforces before sending anything (OSS bucket naming), said clearly.
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new UsageError(`invalid bucket name "${bucket}": 3-63 characters, lowercase letters, digits and "-", starting and ending with a letter or digit`);
  }
  return { bucket, key };
}

export const formatOssUrl = (u: OssUrl): string => `oss://${u.bucket}/${u.key}`;

type Headers = Record<string, string>;
interface Res {
  res: { status: number; headers: Headers };
}

export interface ListedPart {
  PartNumber: string;
  ETag: string;
  Size: string;
}

export interface ListedObject {
  name: string;
  lastModified: string;
  etag: string;
  type: string;
  size: number;
  storageClass: string;
}

/**
 * The ali-oss 6.23 methods this CLI calls, with the shapes they really return (@types/ali-oss
 * declares several of them differently, e.g. listBuckets).
 */
export interface OssClient {
  options: { bucket?: string | null };
  useBucket(name: string): OssClient;
  listBuckets(query: Record<string, string | number>): Promise<{ buckets: { name: string; region: string; creationDate: string; storageClass: string }[] | null; isTruncated: boolean; nextMarker: string | null }>;
  putBucket(name: string, options?: { acl?: string; storageClass?: string }): Promise<Res>;
  deleteBucket(name: string): Promise<Res>;
  getBucketInfo(name: string): Promise<{ bucket: Record<string, unknown> } & Res>;
  listV2(query: Record<string, string | number>, options?: object): Promise<{ objects: ListedObject[]; prefixes: string[] | null; isTruncated: boolean; nextContinuationToken?: string; keyCount: number }>;
  listUploads(query: Record<string, string | number>): Promise<{ uploads: { name: string; uploadId: string }[]; isTruncated: boolean; nextKeyMarker: string; nextUploadIdMarker: string }>;
  head(name: string): Promise<{ status: number; meta: Record<string, string> | null } & Res>;
  putStream(name: string, stream: NodeJS.ReadableStream, options: { contentLength: number; mime?: string; headers?: Headers }): Promise<Res>;
  getStream(name: string): Promise<{ stream: NodeJS.ReadableStream } & Res>;
  get(name: string, options: { headers?: Headers }): Promise<{ content: Buffer } & Res>;
  copy(name: string, sourceName: string, sourceBucket?: string, options?: object): Promise<{ data: { etag?: string } | null } & Res>;
  delete(name: string): Promise<Res>;
  deleteMulti(names: string[], options?: { quiet?: boolean }): Promise<{ deleted: unknown[] } & Res>;
  abortMultipartUpload(name: string, uploadId: string): Promise<Res>;
  listParts(name: string, uploadId: string, query?: Record<string, string | number>): Promise<{ parts: ListedPart[] | ListedPart | null; isTruncated: boolean | string; nextPartNumberMarker?: string }>;
  multipartUpload(name: string, file: string, options: MultipartOptions): Promise<{ etag?: string } & Res>;
  signatureUrl(name: string, options: Record<string, string | number>): string;
  getBucketACL(name: string): Promise<{ acl: string; owner: { id: string; displayName: string } } & Res>;
  putBucketACL(name: string, acl: string): Promise<Res>;
  /** ali-oss's generic request: a bucket sub-resource with a body ali-oss has no builder for (or escapes badly). */
  request(params: { method: string; bucket: string; subres: string; content?: string; mime?: string; successStatuses: number[]; xmlResponse?: boolean }): Promise<{ data: unknown } & Res>;
  signatureUrlV4(method: string, expires: number, request: { headers?: Headers; queries?: Headers } | undefined, objectName: string): Promise<string>;
}

export interface AliCheckpoint {
  file: string;
  name: string;
  fileSize: number;
  partSize: number;
  uploadId: string;
  doneParts: { number: number; etag: string }[];
}

export interface MultipartOptions {
  parallel: number;
  partSize: number;
  mime?: string;
  headers?: Headers;
  checkpoint?: AliCheckpoint;
  progress: (fraction: number, checkpoint?: AliCheckpoint) => void | Promise<void>;
}

/**
 * How ali-oss should address buckets for this endpoint: an IP uses ali-oss's IP mode (Alunite
 * understands its Host header), a host without a dot (localhost, a container name) path style,
 * anything else virtual-hosted `<bucket>.<host>` as on the cloud.
 */
export function addressing(endpoint: string): 'ip' | 'path' | 'virtual' {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return 'ip';
  return host.includes('.') ? 'virtual' : 'path';
}

type OssCtor = new (opts: object) => OssClient;
let ctor: OssCtor | undefined;

/** ali-oss is loaded on first use: `alunite ram …` and `sts …` do not pay for it. */
async function loadOss(): Promise<OssCtor> {
  ctor ??= ((await import('ali-oss')) as unknown as { default: OssCtor }).default;
  quietUrllibWarnings();
  return ctor;
}

export async function ossClient(conn: Connection, bucket?: string, overrides: { endpoint?: string; sldEnable?: boolean } = {}): Promise<OssClient> {
  const OSSClass = await loadOss();
  const endpoint = overrides.endpoint ?? conn.endpoint;
  const opts = {
    endpoint,
    region: `oss-${conn.region}`,
    accessKeyId: conn.accessKeyId,
    accessKeySecret: conn.accessKeySecret,
    // A refresh interval without a refresh function only silences ali-oss's advice to refresh: a CLI
    // run is short, and expired credentials get the service's own error.
    ...(conn.securityToken !== undefined ? { stsToken: conn.securityToken, refreshSTSTokenInterval: 3_600_000 } : {}),
    ...(bucket !== undefined ? { bucket } : {}),
    secure: endpoint.startsWith('https:'),
    timeout: 300_000,
    sldEnable: overrides.sldEnable ?? addressing(endpoint) === 'path',
  };
  return new OSSClass(opts);
}

/**
 * ali-oss cannot read the error body of a HEAD or of a GET it streams: a 404 becomes NoSuchKey
 * "Object not exists" (even when the bucket is what is missing) and other statuses "Unknow error".
 * On that path only, the same object is asked for once more as a 1-byte ranged GET, whose XML error
 * ali-oss does parse, so the CLI prints the service's own code, message and RequestId.
 */
export async function explainBodiless(client: OssClient, bucket: string, key: string, err: unknown): Promise<never> {
  const e = err as { code?: string; name?: string; message?: string };
  const synthesized = (e.code === 'NoSuchKey' && e.message === 'Object not exists') || (e.name === 'UnknownError' && /^Unknow error, status: \d+/.test(e.message ?? ''));
  if (synthesized) {
    client.useBucket(bucket);
    try {
      await client.get(key, { headers: { Range: 'bytes=0-0' } });
    } catch (again) {
      if (typeof (again as { code?: unknown }).code === 'string') throw again;
    }
  }
  throw err;
}
