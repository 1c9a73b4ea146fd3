import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Principal } from '../auth/principal.js';
import type { BucketStatService } from '../domain/bucket-stat.js';
import type { StorageCapacityService } from '../domain/storage-capacity.js';
import type { BucketService } from '../domain/buckets.js';
import type { AgenticBucketService } from '../domain/agentic-buckets.js';
import type { AccessRulesService } from '../domain/access-rules.js';
import type { BucketEncryptionService } from '../domain/encryption.js';
import type { LifecycleService } from '../domain/lifecycle-service.js';
import type { AccessMonitorService } from '../domain/access-monitor-service.js';
import type { LoggingService } from '../domain/logging.js';
import type { WebsiteService } from '../domain/website.js';
import type { MultipartService } from '../domain/multipart.js';
import type { ObjectService } from '../domain/objects.js';
import type { ArchiveService } from '../domain/restore.js';
import type { RetentionService } from '../domain/retention.js';
import type { ObjectWormService } from '../domain/object-worm.js';
import type { StoredConfigService } from '../domain/stored-configs.js';
import type { RedundancyTransitionService } from '../domain/redundancy-transition.js';
import type { AccessPointAliases } from '../domain/access-point.js';
import type { AuthzCheck, Operation } from './operations.js';
import type { ImageStyleService } from '../image/styles.js';
import type { MetaQueryService } from '../domain/meta-query.js';
import type { AsyncFetchService } from '../domain/async-fetch.js';
import type { CnameBindings, CnameOwnership } from '../domain/cname.js';
import type { BatchJobService } from '../domain/batch-jobs.js';
import type { CallbackSpec, UploadCallbacks } from './callback.js';

export interface OssServices {
  buckets: BucketService;
  objects: ObjectService;
  multipart: MultipartService;
  retention: RetentionService;
  /** Object-level retention and legal holds (domain/object-worm.ts). */
  objectWorm: ObjectWormService;
  archive: ArchiveService;
  encryption: BucketEncryptionService;
  lifecycle: LifecycleService;
  /** Access tracking (PutBucketAccessMonitor) and the reads it records (docs/lifecycle.md). */
  accessMonitor: AccessMonitorService;
  stats: BucketStatService;
  /** The bucket's storage capacity (docs/storage-capacity.md). */
  capacity: StorageCapacityService;
  // Static website hosting and access logging.
  website: WebsiteService;
  logging: LoggingService;
  /** Referer, Block Public Access and pay-by-requester configurations (docs/access-rules.md). */
  accessRules: AccessRulesService;
  /** Image styles (docs/image-processing.md). */
  styles: ImageStyleService;
  /** Stored-and-returned bucket configurations (docs/stored-configurations.md). */
  stored: StoredConfigService;
  /** Data redundancy transitions, carried out by domain/redundancy-worker.ts. */
  redundancy: RedundancyTransitionService;
  /** DoMetaQuery over the metadata store (docs/meta-query.md). */
  metaQuery: MetaQueryService;
  /** Access point aliases → their access points (docs/access-points.md). */
  accessPoints: AccessPointAliases;
  /** CNAMEs: the store-wide domain → bucket bindings, the ownership proof, and this server's own host names. */
  cnames: { bindings: CnameBindings; ownership: CnameOwnership; hostnames: readonly string[] };
  /** PutAsyncFetchTask / GetAsyncFetchTask (docs/async-fetch.md). */
  asyncFetch: AsyncFetchService;
  /** Upload callbacks (oss/callback.ts), for the Callback of an async fetch task; absent: such a task is NotImplemented. */
  callbacks?: UploadCallbacks;
  /** Agentic buckets and their bucket spaces (docs/agentic-buckets.md). */
  agentic: AgenticBucketService;
  /** Batch Operations' jobs (docs/batch-operations.md); absent: NotImplemented. */
  batchJobs?: BatchJobService;
}

/** What a handler sees: the routed operation, the parsed request and who is asking. */
export interface OssRequest<Op extends Operation = Operation> {
  op: Op;
  headers: IncomingHttpHeaders;
  query: ReadonlyMap<string, string>;
  /** The request body; when its SHA-256 was signed (V4), it fails at its end unless the bytes match. */
  body: Readable;
  principal: Principal;
  /** Account that owns buckets this principal creates. */
  accountId: string;
  /**
   * The endpoint the request was sent to, as an origin without the bucket (`http://oss-cn-hangzhou.aliyuncs.com`,
   * `https://127.0.0.1:9000`), and whether the request was path style, for Location values (oss/address.ts
   * endpointOf, objectUrl).
   */
  endpoint: { scheme: 'http' | 'https'; host: string; pathStyle: boolean; cname?: boolean };
  services: OssServices;
  /**
   * Whether the client is gone (its connection closed or half-closed) while the answer is being prepared: long
   * work queued behind others (image processing) is not started for nobody.
   */
  clientGone?(): boolean;
  /**
   * Authorizes checks only the parsed body reveals (DeleteMultipleObjects' keys) as the routed ones were:
   * same principal and request facts; throws AccessDenied if any is refused. `requestTags`: the tags the body sets
   * (PutObjectTagging), the request's oss:RequestObjectTag condition keys.
   */
  authorize(checks: readonly AuthzCheck[], body?: { requestTags: ReadonlyArray<readonly [string, string]> }): Promise<void>;
}

export type ResponseBody = string | Buffer | Readable | undefined;

export interface OssResponse {
  status: number;
  headers: Record<string, string>;
  body?: ResponseBody;
  /** Upload callbacks (oss/callback.ts): the object an upload stored, set by the uploads that take a callback. */
  written?: WrittenObject;
  /**
   * A callback the handler read from its request body (TriggerCallback, `POST /<key>?x-oss-process`), sent for
   * `written` after the handler as an upload's is, its answer the request's; `operation` fills `${operation}`.
   */
  callback?: { spec: CallbackSpec; operation: string };
  /**
   * A head whose `Content-Length` reports a size rather than framing a body (GET ?objectMeta: the object's size,
   * which the legacy SDKs read from it): no body is sent and the connection is closed after the head, so no
   * keep-alive client can take what follows on the connection for the promised bytes.
   */
  headOnly?: true;
}

/** What an upload callback's system variables describe (`${bucket}`, `${object}`, `${etag}`, `${size}`, …). */
export interface WrittenObject {
  bucket: string;
  key: string;
  /** Upper-case hex, without quotes. */
  etag: string;
  size: number;
  contentType: string;
  crc64: string;
  contentMd5: string;
}

export type Handler<Op extends Operation = Operation> = (req: OssRequest<Op>) => Promise<OssResponse>;

export type HandlerTable = { [N in Operation['name']]: Handler<Extract<Operation, { name: N }>> };
