import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CredentialResolver } from './auth/principal.js';
import { AccountCredentialResolver } from './auth/account-credentials.js';
import { AccessLogWriter, type AccessLogOptions } from './audit/access-log.js';
import { AuditLog } from './audit/audit-log.js';
import { RequestExplainer } from './audit/explain.js';
import { KEPT_REFUSALS_FILE, KEPT_REFUSALS_MAX_AGE_MS, readKeptRefusals, removeKeptRefusalLeftovers, writeKeptRefusals } from './audit/kept-refusals.js';
import { RamExtras } from './ram/extras.js';
import type { RequestRecord } from './audit/record.js';
import { RecentRequests } from './audit/ring.js';
import { createConsoleRoute } from './console/serve.js';
import { DEFAULT_MIN_FREE_SPACE, WriteAdmission, type FreeSpaceFloor } from './domain/admission.js';
import { BucketService } from './domain/buckets.js';
import { AgenticBucketService } from './domain/agentic-buckets.js';
import { bucketNow, type DomainContext, type ProtectionTiming } from './domain/context.js';
import { AccessMonitorService } from './domain/access-monitor-service.js';
import { DAY_MS, LifecycleService } from './domain/lifecycle-service.js';
import { LifecycleWorker } from './domain/lifecycle-worker.js';
import { InventoryWorker } from './domain/inventory-worker.js';
import { BATCH_WORKER_DEFAULTS, BatchJobWorker, type JobRole } from './domain/batch-job-worker.js';
import { BatchJobService } from './domain/batch-jobs.js';
import { roleTaskAuthorizer, taskAuthorizer, trustsOssService } from './authz/role-task.js';
import { REPLICATION_DEFAULTS, ReplicationWorker } from './domain/replication-worker.js';
import { RedundancyTransitionService } from './domain/redundancy-transition.js';
import { REDUNDANCY_DEFAULTS, RedundancyTransitionWorker } from './domain/redundancy-worker.js';
import { overwriteRuleMatches } from './domain/overwrite-rules.js';
import { policyCaller } from './authz/caller.js';
import { ramRoleArn } from './policy/arn.js';
import type { AuthzDeps } from './authz/authorize.js';
import { MultipartService } from './domain/multipart.js';
import { ObjectService } from './domain/objects.js';
import { ArchiveService } from './domain/restore.js';
import { RetentionService, retentionGuard } from './domain/retention.js';
import { ObjectWormService } from './domain/object-worm.js';
import { BucketStatService } from './domain/bucket-stat.js';
import { StorageCapacityService } from './domain/storage-capacity.js';
import { createListener, HandlersInFlight } from './http/listener.js';
import { listen, readTlsMaterial, type TlsOptions } from './http/serve.js';
import { createLogger, type Logger, type LogFormat, type LogLevel } from './log.js';
import type { OssResponse } from './oss/context.js';
import { createRamAuthorizer } from './ram/authorize.js';
import { IdentityPolicies } from './ram/identity.js';
import { RamService } from './ram/service.js';
import { metricsResponse } from './metrics/endpoint.js';
import { ServerMetrics } from './metrics/metrics.js';
import { handleRpc } from './rpc/dispatch.js';
import { collectGarbage } from './store/gc.js';
import { diskUsage, SpaceReserve } from './store/disk-space.js';
import { assertWritable, privateDir, privateFile } from './store/file-modes.js';
import { BlobCollector } from './store/shared-gc.js';
import { checkMasterKey } from './util/key-check.js';
import { describeUrl } from './store/meta/postgres/url.js';
import { FsBlobStore } from './store/blob/fs.js';
import { MemoryBlobStore } from './store/blob/memory.js';
import type { BlobStore } from './store/blob/types.js';
import { isPostgresUrl, openMetadataStore } from './store/meta/open.js';
import { withSharedState } from './http/shared-state.js';
import type { IdentityStore, MetadataStore } from './store/meta/types.js';
import { applyState } from './init/apply.js';
import { handleReset, RequestGate } from './init/reset.js';
import { StsCredentialResolver } from './sts/credentials.js';
import { sharedPasswordGuesses } from './console/password-guesses.js';
import { GuessesInFlight } from './console/guesses-in-flight.js';
import { StsService } from './sts/service.js';
import { TokenService } from './sts/token.js';
// federation: IMS identity providers, AssumeRoleWithOIDC/SAML
import { ImsService } from './ims/service.js';
import { FederationService } from './sts/federation.js';
import { JwksCache, type JwksOptions } from './sts/jwks.js';
import type { ProviderStore } from './store/meta/providers.js';
// Several accounts on one server (docs/accounts.md).
import { MultiAccountCredentialResolver } from './accounts/credentials.js';
import { MultiAccountIdentityPolicies } from './accounts/identity-policies.js';
import { AccountRegistry } from './accounts/registry.js';
import { handleAccountsApi } from './accounts/admin-api.js';
// Console sign-in of RAM users (docs/console.md).
import { ConsoleSignIn } from './console/signin.js';
import { signInAccounts } from './console/signin-accounts.js';
import { AccountAliasIndex } from './accounts/alias-index.js';
import { BucketEncryptionService, SseKeys } from './domain/encryption.js';
import { LoggingService } from './domain/logging.js';
import { WebsiteService } from './domain/website.js';
import { AccessRulesService } from './domain/access-rules.js';
import { ImageStyleService } from './image/styles.js';
import { UploadCallbacks } from './oss/callback.js';
import { DisabledFetchSource, HttpFetchSource, type FetchSourceOptions } from './oss/async-fetch-source.js';
import { AsyncFetchService, type AsyncFetchLimits } from './domain/async-fetch.js';
import { CALLBACK_KEY_FILE, resolveCallbackKey } from './util/callback-key.js';
import { StoredConfigService } from './domain/stored-configs.js';
import { MetaQueryService } from './domain/meta-query.js';
import { AccessPointAliases } from './domain/access-point.js';
import { CnameBindings, CnameOwnership } from './domain/cname.js';
import type { CnameSettings } from './domain/cname-settings.js';
import { MASTER_KEY_FILE, masterKeyFingerprint, PREVIOUS_MASTER_KEY_FILE, resolveMasterKeyRing } from './util/master-key.js';
import { systemClock, type Clock } from './util/time.js';
import { useAddonHmac } from './util/hmac-sha1.js';
import { loadNativeCrc64 } from './util/crc64-native.js';
import { isAppError } from './errors.js';
import { DEV_DEFAULTS, VERSION } from './defaults.js';
import { hostnamesOf } from './oss/address.js';

// Kept in a module of their own so the CLI's client commands do not load the server (cli/main.ts).
export { DEV_DEFAULTS, VERSION } from './defaults.js';


export interface ServerOptions {
  host: string;
  port: number;
  /** Data directory (metadata database and blobs); ignored with inMemory. */
  dataDir: string;
  inMemory: boolean;
  region: string;
  accountId: string;
  rootAccessKeyId: string;
  rootAccessKeySecret: string;
  /**
   * Extra host names serving virtual-hosted buckets (`<bucket>.<hostname>`), never bindable as CNAMEs; normalized at
   * start (oss/address.ts hostnamesOf: trimmed, lower-cased, no port or trailing dot), start refused on a non-name.
   */
  hostnames?: string[];
  /** How PutCname proves domain ownership (default `dns`, as the cloud); docs/stored-configurations.md#cnames-implemented. */
  cname?: CnameSettings;
  /** fsync blobs and metadata before acknowledging writes (default true). */
  durable?: boolean;
  logLevel?: LogLevel;
  /** Default: pretty when stderr is a terminal, else json (log.ts resolveLogFormat). */
  logFormat?: LogFormat;
  /** Tests inject a fixed clock; production reads the system clock. */
  clock?: Clock;
  /** Tests may put a resolver in front of the root account's key. */
  credentials?: CredentialResolver;
  /**
   * AES-256 key (32 bytes) sealing secrets at rest (RAM AccessKey secrets). When absent, start-up resolves
   * it: ALUNITE_MASTER_KEY (base64), else `<data>/master.key` (created 0600), else (in memory) random.
   */
  masterKey?: Buffer;
  /**
   * Keys the master key replaced (newest first): RAM secrets sealed and STS tokens issued under them stay
   * readable. When masterKey is absent too, start-up reads ALUNITE_MASTER_KEY_PREVIOUS / `<data>/master.key.previous`.
   */
  previousMasterKeys?: Buffer[];
  /** Append one JSON line per OSS/RAM/STS request to this file (see docs/operations.md). */
  auditLog?: string;
  /** When set, `/-/metrics` requires `Authorization: Bearer <token>`; open otherwise. */
  metricsToken?: string;
  /** How many recent requests ExplainRequest can explain (default 10,000). */
  recentRequests?: number;
  /** How often AccessKey last-use notes are written to the store (ms; default 60 000, docs/ram.md). */
  lastUsedFlushMs?: number;
  /** Serve HTTPS with these PEM files: on `port` instead of HTTP, or with `tls.port` on a second port. */
  tls?: TlsOptions;
  /** Close a connection after this long without a byte either way (default 5 minutes). */
  idleTimeoutMs?: number;
  /** Client connections accepted at once; more are closed as they come (default: half the open-file limit less 1,024; null: no cap). */
  maxConnections?: number | null;
  /** Keep the system's congestion control (BBR's pacing) for connections from this host too (default: reno for those; docs/operations.md). */
  keepLoopbackPacing?: boolean;
  /** Metadata store: `sqlite` (default, `<data>/metadata.sqlite`) or a `postgres://` URL shared by several processes. */
  meta?: string;
  /** Blob directory (default: the data directory); processes sharing a PostgreSQL database share it too. */
  blobsDir?: string;
  /**
   * Blob garbage collection with a shared database (docs/postgres.md): at start and every `intervalMs`
   * (default 1 h; 0: only when `RunningServer.blobGc.runOnce()` is called), files older than `graceMs`
   * (default 1 h) and unreferenced, by one process at a time holding a lease of `leaseMs` (default 30 s),
   * renewed while it collects.
   */
  blobGc?: { intervalMs?: number; graceMs?: number; leaseMs?: number };
  /**
   * Writes that grow storage are refused (InsufficientStorage, 507) when less than this is free on the
   * data or blob directory's filesystem, so deletes keep working (default 1 GiB; `{ bytes: 0 }`: off).
   */
  minFreeSpace?: FreeSpaceFloor;
  /**
   * A state file (docs/init.md) applied after the stores open and before listening; an invalid one fails
   * start-up (InitFileError, every fault with its line) before any store is opened.
   */
  init?: string;
  /**
   * AssumeRoleWithOIDC (docs/federation.md): extra CAs trusted for issuers' HTTPS (`ca`, PEM), JWKS per issuer
   * for air-gapped servers (`staticJwks`: issuer URL → file path or JSON text), key cache lifetimes.
   */
  oidc?: Omit<JwksOptions, 'clock'>;
  /** Names of the local KMS keys (besides the default one) that objects may be encrypted with; docs/encryption.md. */
  kmsKeys?: string[];
  /** Development only: enable `POST /-/reset` (wipe, then apply `init` again). */
  allowReset?: boolean;
  /**
   * Development knobs (docs/data-protection.md): shorter retention and restore "days", and how long a
   * RestoreObject takes (default: real days, restores done after 1 s).
   */
  timing?: Partial<ProtectionTiming>;
  /**
   * The lifecycle worker (docs/lifecycle.md). `daySeconds`: development only, how long a lifecycle "day"
   * is (default 86400); `intervalMs`: how often it runs (default the shorter of 10 minutes and a day; 0:
   * never on its own, see RunningServer.lifecycle); `enabled: false`: no worker in this process.
   */
  lifecycle?: { daySeconds?: number; intervalMs?: number; enabled?: boolean; pageSize?: number; tickBudget?: number; leaseMs?: number };
  /**
   * The inventory worker (docs/inventory.md): checks for due inventories every `intervalMs` (default 10 min;
   * 0: only when RunningServer.inventory.runOnce() is called); `rowsPerFile` rows per data file; `dayMs`
   * (tests only) shortens the Daily / Weekly periods; `pageSize` (tests only) objects listed per step.
   */
  inventory?: { intervalMs?: number; enabled?: boolean; rowsPerFile?: number; dayMs?: number; pageSize?: number };
  /**
   * The batch job worker (docs/batch-operations.md): looks for work every `intervalMs` (default 5 s; 0: only when
   * RunningServer.batchJobs.runOnce() is called) and prepares a job once it is `startDelayMs` old (default 10 s);
   * `pageSize` tasks make one slice (default 1,000); an ended job is kept `retentionMs` (default 90 days), a Suspended
   * one fails after `suspendedMs` (default 14 days); an account has at most `maxJobsPerAccount` jobs not ended
   * (default 1,000); `enabled: false`: jobs are kept but no process of this server runs them.
   */
  batchJobs?: { intervalMs?: number; startDelayMs?: number; enabled?: boolean; pageSize?: number; retentionMs?: number; suspendedMs?: number; maxJobsPerAccount?: number };
  /** The bucket replication worker (docs/replication.md): a pass every `intervalMs` (default 10 s; 0: only runOnce). */
  replication?: { intervalMs?: number; enabled?: boolean; pageSize?: number; tickBudget?: number; tickBytes?: number; tickObjectsTotal?: number; tickBytesTotal?: number };
  /**
   * Data redundancy transitions (docs/stored-configurations.md): the worker looks at the tasks every `intervalMs`
   * (default 10 s; 0: only runOnce) and a task goes through its bucket's bytes at `bytesPerSecond` (default 100 MiB/s).
   */
  redundancyTransition?: { intervalMs?: number; enabled?: boolean; bytesPerSecond?: number };
  /**
   * Bucket access logging (docs/logging.md): how often batched log lines are written (default 60 s; shorter
   * is for development and tests) and how many lines a batch holds before it is written at once (default 1,000).
   */
  accessLogging?: AccessLogOptions;
  /**
   * Upload callbacks (docs/callbacks.md). `allowHosts`: callbackUrl hosts that may be loopback or private
   * addresses (`*`: any); by default only public addresses are called. `publicKeyUrl`: the x-oss-pub-key-url
   * sent (default: `/-/callback/public-key.pem` on the endpoint the upload used). `timeoutMs`: default 5000.
   * `ca`: PEM certificates trusted for https callback URLs besides Node's CA store. `dnsServer`: the DNS server
   * (ip or ip:port) asked for callback hosts not on the allow-list (default the system's).
   */
  callbacks?: { allowHosts?: string[]; publicKeyUrl?: string; timeoutMs?: number; ca?: string; dnsServer?: string };
  /**
   * Async fetch (docs/async-fetch.md). Off unless `enabled`: tasks are then accepted and fail without any outbound
   * request (a fetch is the server reading a URL for a caller). `allowHosts`: source hosts that may be loopback or
   * private addresses (`*`: any), its own list, never the callbacks' (a callback host lets the server POST to it;
   * a source host would let any caller read it); `callbacks.ca` is trusted for https sources.
   * `source.maxBytes` (default 5 GiB) and `source.idleTimeoutMs` (default 30 s) bound each fetch, `limits` the tasks.
   */
  asyncFetch?: {
    enabled?: boolean;
    allowHosts?: string[];
    source?: Pick<FetchSourceOptions, 'maxBytes' | 'idleTimeoutMs'>;
    limits?: Partial<AsyncFetchLimits>;
  };
}

/** The delete reserve: a quarter of the floor, at most 8 MiB: twice the WAL SQLite keeps between checkpoints (1000 pages). */
const MAX_RESERVE_BYTES = 8 * 1024 ** 2;

export interface RunningServer {
  url: string;
  port: number;
  /** The second listener's URL when TLS has its own port (`--https-port`). */
  httpsUrl?: string;
  server: Server;
  meta: MetadataStore & IdentityStore;
  blobs: BlobStore;
  ram: RamService;
  /** Login profiles, MFA, account settings, AccessKey last use, diagnostics (docs/ram.md). */
  ramExtras: RamExtras;
  /** The accounts this server holds (docs/accounts.md). */
  accounts: AccountRegistry;
  /** With a shared database and blobs on disk: the blob garbage collector (one process at a time, by lease). */
  blobGc?: BlobCollector;
  /** The lifecycle worker, unless disabled (one process at a time on a shared database, by lease). */
  lifecycle?: LifecycleWorker;
  /** The inventory worker (docs/inventory.md), unless disabled. */
  inventory?: InventoryWorker;
  /** The batch job worker (docs/batch-operations.md), unless disabled. */
  batchJobs?: BatchJobWorker;
  /** The bucket replication worker (docs/replication.md), unless disabled. */
  replication?: ReplicationWorker;
  /** The data redundancy transition worker, unless disabled. */
  redundancyTransition?: RedundancyTransitionWorker;
  close(): Promise<void>;
  // Bucket logging: write every access-log batch now, requests still being looked up included (tests wait on it).
  flushAccessLogs(): Promise<void>;
}

/** How long a graceful stop waits for the handlers of requests cut by it to end (docs/operations.md). */
const STOP_DRAIN_MS = 10_000;

/** Opens the stores, collects crash leftovers, and starts listening. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log: Logger = createLogger(opts.logLevel ?? 'info', undefined, opts.logFormat ? { format: opts.logFormat } : {});
  const clock = opts.clock ?? systemClock;
  // Every signed request's HMAC-SHA1 through the addon, where it is built (util/hmac-sha1.ts; ~11 k instructions less each).
  useAddonHmac(loadNativeCrc64()?.hmacSha1Base64);
  // The state-file loader (and yaml) is imported only for a server given a state file.
  const initState = opts.init !== undefined ? (await import('./init/load.js')).loadState(opts.init) : undefined;
  // Read and opened before the stores, so a bad path fails start-up without leaving anything open.
  const tls = opts.tls ? { ...(await readTlsMaterial(opts.tls)), port: opts.tls.port } : null;
  // Compared as each request's Host is (lower-cased, no port): a name kept as given could be bound as a CNAME.
  const hostnames = hostnamesOf(opts.hostnames ?? []);
  const audit = opts.auditLog !== undefined ? new AuditLog(opts.auditLog, log) : null;
  let meta: MetadataStore & IdentityStore & ProviderStore;
  let blobs: BlobStore;
  let blobGc: BlobCollector | undefined;
  if (!opts.inMemory) {
    // Fails here, naming the directory, when it cannot be written (read-only mount, permissions).
    await privateDir(opts.dataDir);
    await assertWritable(opts.dataDir);
  }
  const ring = opts.masterKey
    ? { current: opts.masterKey, previous: opts.previousMasterKeys ?? [] }
    : await resolveMasterKeyRing({ dataDir: opts.dataDir, inMemory: opts.inMemory });
  const masterKey = ring.current;
  const previousMasterKeys = opts.previousMasterKeys ?? ring.previous;
  if ([masterKey, ...previousMasterKeys].some((k) => k.length !== 32)) throw new Error('the master key must be 32 bytes');
  // Fingerprints, never keys: operators compare processes, and `alunite keys history`, by them.
  log.info('master key', { keyFingerprint: masterKeyFingerprint(masterKey), previousKeyFingerprints: previousMasterKeys.map(masterKeyFingerprint) });
  // Before any store is opened: a bad --kms-key name fails start-up with nothing left open.
  const sseKeys = new SseKeys({ current: masterKey, previous: previousMasterKeys }, opts.kmsKeys ?? []);
  let admission: WriteAdmission | undefined;
  // Refuses, before anything else uses the store, a master key that is not the database's
  // (util/key-check.ts; docs/encryption.md#which-master-key-a-database-belongs-to). A private in-memory
  // store has nothing to compare with.
  const assertDatabaseKey = async (store: MetadataStore & IdentityStore): Promise<void> => {
    if (opts.inMemory && !isPostgresUrl(opts.meta)) return;
    const envKey = process.env.ALUNITE_MASTER_KEY;
    const checked = await checkMasterKey(store, { current: masterKey, previous: previousMasterKeys }, {
      keySource: opts.masterKey ? 'the master key given to this server' : envKey !== undefined && envKey !== '' ? 'ALUNITE_MASTER_KEY' : join(opts.dataDir, MASTER_KEY_FILE),
      store: isPostgresUrl(opts.meta) ? describeUrl(opts.meta) : join(opts.dataDir, 'metadata.sqlite'),
    });
    if (!checked.ok) {
      await store.close().catch(() => undefined);
      throw Object.assign(new Error(checked.message), { code: checked.code });
    }
    if (checked.state === 'recorded') log.info('master key check recorded in the metadata store', { keyFingerprint: checked.storeFingerprint });
    if (checked.state === 'previous') {
      log.warn('the metadata store is still under a previous master key: run `alunite keys rotate` once every process has the new key', { storeKeyFingerprint: checked.storeFingerprint });
    }
  };
  if (opts.inMemory) {
    meta = await openMetadataStore({ meta: opts.meta, sqlitePath: ':memory:' });
    await assertDatabaseKey(meta);
    blobs = new MemoryBlobStore();
  } else {
    for (const f of [MASTER_KEY_FILE, PREVIOUS_MASTER_KEY_FILE, CALLBACK_KEY_FILE]) await privateFile(join(opts.dataDir, f));
    const blobsDir = opts.blobsDir ?? opts.dataDir;
    if (blobsDir !== opts.dataDir) {
      await privateDir(blobsDir);
      await assertWritable(blobsDir);
    }
    const dirs = blobsDir === opts.dataDir ? [opts.dataDir] : [opts.dataDir, blobsDir];
    const floor = opts.minFreeSpace ?? DEFAULT_MIN_FREE_SPACE;
    const [dataUsage] = await diskUsage([opts.dataDir]);
    const floorBytes = 'percent' in floor ? Math.ceil((dataUsage!.total * floor.percent) / 100) : floor.bytes;
    // Only SQLite lives on our disk; PostgreSQL has its own.
    const reserveBytes = isPostgresUrl(opts.meta) ? 0 : Math.min(MAX_RESERVE_BYTES, Math.floor(floorBytes / 4));
    const reserve = reserveBytes > 0 ? new SpaceReserve(join(opts.dataDir, 'reserve.space'), reserveBytes) : null;
    if (reserve) await privateFile(reserve.path);
    if (reserve && !(await reserve.refill(0))) log.warn('disk too full for the delete reserve; will retry when space is freed', { path: reserve.path, bytes: reserveBytes });
    meta = await openMetadataStore({
      meta: opts.meta,
      sqlitePath: join(opts.dataDir, 'metadata.sqlite'),
      durable: opts.durable,
      onDiskFull: () => {
        const released = reserve?.releaseSync() ?? false;
        if (released) log.warn('disk full: released the delete reserve to let deletes commit', { path: reserve?.path });
        return released;
      },
      onSyncFailure: (err) => {
        log.error('metadata log sync failed: writes are refused until the server is restarted (restarting recovers every acknowledged write)', { err: err.message, code: (err as NodeJS.ErrnoException).code });
      },
    });
    await assertDatabaseKey(meta);
    blobs = await FsBlobStore.open({ root: blobsDir, durable: opts.durable });
    if (floorBytes > 0) {
      admission = new WriteAdmission({
        read: () => diskUsage(dirs),
        floor,
        onReading: (spare) => {
          if (reserve?.missing && spare >= reserve.size) {
            reserve.refill(0).catch((err: unknown) => log.warn('could not write the delete reserve', { path: reserve.path, err: String(err) }));
          }
        },
        log: (event, fields) => log.warn(event, fields),
      });
      await admission.prime();
    }
    // With a shared database, other processes may be writing blobs right now: instead of the exclusive
    // start-up sweep, a collector that holds a lease and spares young files (docs/postgres.md).
    if (meta.tryLease && meta.releaseLease) {
      const lease = { referencedBlobIds: () => meta.referencedBlobIds(), tryLease: meta.tryLease.bind(meta), releaseLease: meta.releaseLease.bind(meta) };
      blobGc = new BlobCollector(lease, blobs, {
        holder: `${process.pid}-${randomUUID()}`,
        ...opts.blobGc,
        log: (event, fields) => {
          if (event === 'blob-gc') log.info('removed unreferenced blob files', fields);
          else if (event === 'blob-gc-started' || event === 'blob-gc-skipped') log.debug(event, fields);
          else log.warn(event, fields);
        },
      });
    } else if (!meta.refreshSharedState) {
      const gc = await collectGarbage(meta, blobs);
      if (gc.tempFiles + gc.orphanBlobs > 0) log.info('removed crash leftovers', { ...gc });
    }
  }

  const ctx: DomainContext = {
    meta,
    blobs,
    clock,
    region: opts.region,
    log: (event, fields) => log.warn(event, fields),
    ...(admission ? { admission } : {}),
    ...(opts.timing ? { timing: opts.timing } : {}),
    sse: sseKeys,
  };
  const objects = new ObjectService(ctx);
  const lc = opts.lifecycle ?? {};
  if (lc.daySeconds !== undefined && !(lc.daySeconds > 0)) throw new Error('the lifecycle day must be a positive number of seconds');
  const dayMs = lc.daySeconds !== undefined ? lc.daySeconds * 1000 : DAY_MS;
  if (lc.daySeconds !== undefined) log.warn('lifecycle days are shortened (development only)', { daySeconds: lc.daySeconds });
  // Upload callbacks: signed with a key pair kept in the data directory (util/callback-key.ts).
  const callbacks = new UploadCallbacks({ key: await resolveCallbackKey({ dataDir: opts.dataDir, inMemory: opts.inMemory }), ...opts.callbacks });
  const storedConfigs = new StoredConfigService(ctx);
  const rt = opts.redundancyTransition ?? {};
  const redundancyRate = rt.bytesPerSecond ?? REDUNDANCY_DEFAULTS.bytesPerSecond;
  if (!(redundancyRate > 0)) throw new Error('the redundancy transition rate must be a positive number of bytes per second');
  // Async fetch (docs/async-fetch.md): off unless enabled; sources guarded by its own allow-list; tasks in the
  // bucket's stored configurations.
  const asyncFetch = new AsyncFetchService({
    stored: storedConfigs,
    objects,
    source: opts.asyncFetch?.enabled === true
      ? new HttpFetchSource({
        ...(opts.asyncFetch.allowHosts ? { allowHosts: opts.asyncFetch.allowHosts } : {}),
        ...(opts.callbacks?.ca !== undefined ? { ca: opts.callbacks.ca } : {}),
        ...opts.asyncFetch.source,
      })
      : new DisabledFetchSource(),
    clock,
    shared: isPostgresUrl(opts.meta),
    ...(opts.asyncFetch?.limits ? { limits: opts.asyncFetch.limits } : {}),
    log: (event, fields) => log.warn(event, fields),
  });
  // Batch Operations (docs/batch-operations.md): jobs kept in the store; the worker (below) wakes when one is created.
  let batchWorker: BatchJobWorker | undefined;
  const batchJobService = new BatchJobService({ meta, clock, ...(opts.batchJobs?.maxJobsPerAccount !== undefined ? { maxUnfinishedJobs: opts.batchJobs.maxJobsPerAccount } : {}) }, () => batchWorker?.wake());
  const buckets = new BucketService(ctx);
  const services = {
    batchJobs: batchJobService,
    buckets,
    // Agentic buckets and bucket spaces (docs/agentic-buckets.md).
    agentic: new AgenticBucketService(ctx, buckets),
    objects,
    multipart: new MultipartService(ctx, objects),
    retention: new RetentionService(ctx),
    objectWorm: new ObjectWormService(ctx),
    archive: new ArchiveService(ctx),
    encryption: new BucketEncryptionService(ctx),
    lifecycle: new LifecycleService(ctx, dayMs),
    // Access tracking: PutBucketAccessMonitor's rules and the reads it records (docs/lifecycle.md).
    accessMonitor: new AccessMonitorService(ctx, dayMs, (msg, fields) => log.warn(msg, fields)),
    stats: new BucketStatService(ctx),
    capacity: new StorageCapacityService(ctx), // storage capacity (docs/storage-capacity.md)
    // Static website hosting and access logging.
    website: new WebsiteService(ctx),
    logging: new LoggingService(ctx),
    // Access rules (docs/access-rules.md)
    accessRules: new AccessRulesService(ctx),
    styles: new ImageStyleService(ctx), // image styles (docs/image-processing.md)
    stored: storedConfigs,
    redundancy: new RedundancyTransitionService(ctx, redundancyRate),
    metaQuery: new MetaQueryService(ctx), // metadata query (docs/meta-query.md)
    // Access point aliases (docs/access-points.md).
    accessPoints: new AccessPointAliases(meta, () => new StoredConfigService(ctx).allBuckets()),
    asyncFetch,
    callbacks,
    // CNAMEs that route (docs/stored-configurations.md#cnames-implemented).
    cnames: { bindings: new CnameBindings(meta), ownership: new CnameOwnership(opts.cname), hostnames },
  };
  const lifecycle = lc.enabled === false ? undefined : new LifecycleWorker(ctx, {
    holder: `${process.pid}-${randomUUID()}`,
    dayMs,
    intervalMs: lc.intervalMs ?? Math.min(10 * 60 * 1000, dayMs),
    ...(lc.pageSize !== undefined ? { pageSize: lc.pageSize } : {}),
    ...(lc.tickBudget !== undefined ? { tickBudget: lc.tickBudget } : {}),
    ...(lc.leaseMs !== undefined ? { leaseMs: lc.leaseMs } : {}),
    log: (level, msg, fields) => log[level](msg, fields),
    // What a rule would remove for good passes the bucket's WORM retention first (kept otherwise).
    retention: (bucket, record) => retentionGuard(ctx, bucket)?.(record),
  });
  // Inventory files (docs/inventory.md): written through the normal write path of the destination bucket.
  const inv = opts.inventory ?? {};
  const inventory = inv.enabled === false ? undefined : new InventoryWorker(ctx, objects, {
    intervalMs: inv.intervalMs ?? 10 * 60 * 1000,
    ...(inv.rowsPerFile !== undefined ? { rowsPerFile: inv.rowsPerFile } : {}),
    ...(inv.dayMs !== undefined ? { dayMs: inv.dayMs } : {}),
    ...(inv.pageSize !== undefined ? { pageSize: inv.pageSize } : {}),
    log: (level, msg, fields) => log[level](msg, fields),
  });
  // ChangePassword's wrong old passwords count with the console sign-in's failures (docs/console.md).
  // One tally of password guesses in flight for the sign-in page and ChangePassword (console/guesses-in-flight.ts).
  const guessesInFlight = new GuessesInFlight();
  const passwordGuesses = sharedPasswordGuesses(meta, masterKey, guessesInFlight);
  // Several accounts (docs/accounts.md): each reads the identity tables through its own view, with its own RamService,
  // which applies its own account's security preference (RamExtras' rules, docs/ram.md).
  const accounts: AccountRegistry = new AccountRegistry({
    raw: meta, countBuckets: (owner) => meta.countBuckets(owner), defaultAccount: { accountId: opts.accountId, accessKeyId: opts.rootAccessKeyId },
    masterKey, previousMasterKeys, clock,
    ram: (accountId, store) => new RamService({
      store, accountId, clock, masterKey, previousMasterKeys, authorize: createRamAuthorizer(identity), identity,
      // Another account's bucket is known to exist (its owner counts), but its policy and ACL are never read (ram/simulate.ts).
      simulationWorld: {
        bucket: (n) => meta.getBucket(n),
        objectAcl: async (b, k) => (await meta.getObject(b, k))?.acl ?? null,
      },
      rules: accounts.extrasFor(accountId),
    }),
    // Login profiles, MFA, account settings, tags and the IMS identity providers of each account (docs/accounts.md).
    // AccessKey last use: one writer, the default account's (ram/last-used.ts).
    extras: (accountId, store) => new RamExtras(
      { store, accountId, clock, masterKey, previousMasterKeys, authorize: createRamAuthorizer(identity), aliases: accountAliases, passwordGuesses },
      accountId === opts.accountId
        ? (opts.lastUsedFlushMs !== undefined ? { lastUsedFlushMs: opts.lastUsedFlushMs } : {})
        : { lastUsed: accounts.extrasFor(opts.accountId).lastUsed },
    ),
    rawProviders: meta,
    ims: (accountId, providers) => new ImsService({ store: providers, accountId, clock, authorize: createRamAuthorizer(identity) }),
  });
  // Account aliases, unique across accounts, found by console sign-in with O(1) reads (accounts/alias-index.ts).
  const accountAliases: AccountAliasIndex = new AccountAliasIndex({
    store: meta,
    accountIds: async () => (await accounts.list()).map((a) => a.accountId),
    aliasOf: (accountId) => accounts.extrasFor(accountId).settings.aliasSet(),
  });
  const identity: IdentityPolicies = new MultiAccountIdentityPolicies(accounts);
  // What the one authorization path reads: for requests (the listener) and for inventory runs alike.
  const authzDeps: AuthzDeps = {
    getBucket: (n) => bucketNow(meta, n),
    getObject: (b, k) => meta.getObject(b, k),
    getObjectVersion: async (b, k, v) => {
      const found = await meta.getObjectVersion(b, k, v);
      return found && !found.deleteMarker ? found : null;
    },
    identity,
    region: opts.region,
  };
  // Batch jobs act as their RoleArn's role, through the same authorization path as requests.
  const bj = opts.batchJobs ?? {};
  batchWorker = bj.enabled === false ? undefined : new BatchJobWorker({
    ctx, objects, archive: services.archive, authorize: roleTaskAuthorizer(authzDeps, clock),
    findRole: (accountId, roleName) => findRole(accountId, roleName),
  }, {
    intervalMs: bj.intervalMs ?? BATCH_WORKER_DEFAULTS.intervalMs,
    startDelayMs: bj.startDelayMs ?? BATCH_WORKER_DEFAULTS.startDelayMs,
    ...(bj.pageSize !== undefined ? { pageSize: bj.pageSize } : {}),
    ...(bj.retentionMs !== undefined ? { retentionMs: bj.retentionMs } : {}),
    ...(bj.suspendedMs !== undefined ? { suspendedMs: bj.suspendedMs } : {}),
    log: (level, msg, fields) => log[level](msg, fields),
  });
  // Bucket replication (docs/replication.md): writes decided as the rule's role or the bucket owner, by the one path.
  const findRole = async (accountId: string, roleName: string): Promise<JobRole | null> => {
    if (!(await accounts.exists(accountId))) return null;
    const role = await accounts.storeFor(accountId).getRole(roleName);
    return role === null ? null : { accountId, roleId: role.roleId, roleName: role.roleName, trustsOss: trustsOssService(role.assumeRolePolicyDocument, ramRoleArn(accountId, role.roleName)) };
  };
  const rp = opts.replication ?? {};
  const { enabled: _enabled, intervalMs: _interval, ...replicationTuning } = rp;
  const replication = rp.enabled === false ? undefined : new ReplicationWorker({
    ctx, objects, authorize: taskAuthorizer(authzDeps, clock), findRole,
    overwriteForbidden: (principal, bucket, key) => overwriteRuleMatches(bucket, key, policyCaller(principal)),
    authorStands: (principal) => credentials.stands(principal),
  }, {
    holder: `${process.pid}-${randomUUID()}`,
    ...replicationTuning,
    intervalMs: rp.intervalMs ?? REPLICATION_DEFAULTS.intervalMs,
    log: (level, msg, fields) => log[level](msg, fields),
  });
  // Data redundancy transitions: a task's bucket becomes ZRS after its bytes at the configured rate.
  const redundancyTransition = rt.enabled === false ? undefined : new RedundancyTransitionWorker(ctx, {
    holder: `${process.pid}-${randomUUID()}`,
    intervalMs: rt.intervalMs ?? REDUNDANCY_DEFAULTS.intervalMs,
    bytesPerSecond: redundancyRate,
    log: (level, msg, fields) => log[level](msg, fields),
  });
  await accountAliases.ready(); // enters the aliases of before the index, once per store
  // Login profiles, MFA, account settings, AccessKey last use, diagnostics (docs/ram.md): the default account's.
  const ramExtras = accounts.extrasFor(opts.accountId);
  const ram = accounts.ramFor(opts.accountId);
  // STS tokens survive one rotation, not two (docs/sts.md): only the newest previous key verifies them, so
  // rotating twice still revokes every token of a key believed exposed. Objects' data keys use the whole ring.
  const tokens = new TokenService(masterKey, previousMasterKeys.slice(0, 1));
  const sts = new StsService({ store: accounts.storeFor(opts.accountId), accountId: opts.accountId, identity, tokens, clock, accounts });
  // federation: providers are authorized as ram:<Action> through the RAM hook; the JWKS cache is per process.
  const ims = accounts.imsFor(opts.accountId);
  const federation = new FederationService({ accounts, tokens, clock, replay: meta, identityGeneration: () => meta.identityGeneration(), jwks: new JwksCache({ ...opts.oidc, clock }) });
  const startedAt = Date.now();
  const recent = new RecentRequests(opts.recentRequests);
  const metrics = new ServerMetrics();
  // Bucket access logging: log objects go through the normal write path of the target bucket.
  const accessLog = new AccessLogWriter({
    getBucket: (n) => meta.getBucket(n),
    ...(meta.cachedBucket ? { cachedBucket: meta.cachedBucket.bind(meta) } : {}),
    write: async (bucket, key, body) => {
      try {
        await objects.put({
          bucket, key, body: Readable.from([body]), expect: { length: body.length },
          headers: { contentType: 'text/plain' }, userMeta: {}, forbidOverwrite: true,
        });
        return true;
      } catch (err) {
        if (isAppError(err) && err.code === 'FileAlreadyExists') return false;
        throw err;
      }
    },
    clock,
    log: (event, fields) => log.warn(event, fields),
  }, opts.accessLogging);
  const observe = (rec: RequestRecord): void => {
    // GetAccessKeyLastUsed: a note in memory, written in batches (ram/last-used.ts).
    if (rec.principal?.type === 'user' && rec.principal.accessKeyId !== '' && !rec.principal.accessKeyId.startsWith('STS.')) ramExtras.lastUsed.note(rec.principal.accessKeyId, rec.time);
    recent.add(rec);
    metrics.record(rec);
    audit?.write(rec);
    accessLog.record(rec);
  };
  const explain = new RequestExplainer(recent, createRamAuthorizer(identity), opts.accountId, isPostgresUrl(opts.meta));
  if (!opts.inMemory) {
    // The refusals the last graceful stop kept (audit/kept-refusals.ts); a bad file never stops start-up.
    // Temp files of a stop killed while writing them go first. With SQLite this process now holds the database
    // exclusively, and a stopping process writes its file before it lets go: every such file is a leftover.
    // Processes sharing PostgreSQL may share the directory too: only files untouched for a minute.
    const leftovers = await removeKeptRefusalLeftovers(opts.dataDir, isPostgresUrl(opts.meta) ? Date.now() - 60_000 : undefined);
    if (leftovers > 0) log.info('removed kept-refusals temp files left by a killed stop', { files: leftovers });
    try {
      const { kept, skipped, tooLarge } = await readKeptRefusals(opts.dataDir, Date.now() /* the records' own clock (RequestRecord) */);
      explain.restore(kept);
      if (tooLarge) log.warn('kept refusals: the file is too large and was not read', { file: join(opts.dataDir, KEPT_REFUSALS_FILE) });
      if (skipped > 0) log.warn('kept refusals: lines skipped', { file: join(opts.dataDir, KEPT_REFUSALS_FILE), skipped });
    } catch (err) {
      log.warn('kept refusals not read', { file: join(opts.dataDir, KEPT_REFUSALS_FILE), err: err instanceof Error ? err.message : String(err) });
    }
  }
  /**
   * At a graceful stop, once the listener has closed: what ExplainRequest should still answer after a restart.
   * A request still being answered then is not kept (its record is made when its answer is written).
   */
  const keepRefusals = async (): Promise<void> => {
    if (opts.inMemory) return;
    try {
      await writeKeptRefusals(opts.dataDir, explain.refusalsToKeep(Date.now(), KEPT_REFUSALS_MAX_AGE_MS));
    } catch (err) {
      log.warn('kept refusals not written', { file: join(opts.dataDir, KEPT_REFUSALS_FILE), err: err instanceof Error ? err.message : String(err) });
    }
  };
  const defaultCredentials = opts.credentials ?? new AccountCredentialResolver({
    accountId: opts.accountId,
    accessKeyId: opts.rootAccessKeyId,
    accessKeySecret: opts.rootAccessKeySecret,
    ram,
    generation: () => meta.identityGeneration(),
  });
  const accountCredentials = new MultiAccountCredentialResolver(accounts, defaultCredentials);
  // STS session credentials (`STS.` AccessKeyIds + SecurityToken) in front of the account's keys.
  const credentials = new StsCredentialResolver({ tokens, store: accounts.storeFor(opts.accountId), clock, accountId: opts.accountId, next: accountCredentials, accounts });

  const applyDeps = { ram, buckets: services.buckets, objects, meta, accountId: opts.accountId, rootAccessKeyId: opts.rootAccessKeyId, accounts, ims, bucketConfigs: { lifecycle: services.lifecycle, retention: services.retention, encryption: services.encryption } };
  if (initState?.account?.id !== undefined && initState.account.id !== opts.accountId) {
    // The CLI takes the account from the file (rootAccount in cli/init.ts); an embedder passing another one wins.
    log.warn('the state file declares another account than the server runs as', { declared: initState.account.id, accountId: opts.accountId });
  }
  if (initState) {
    try {
      const { changes } = await applyState(initState, applyDeps);
      for (const change of changes) log.info('state file', { change });
      log.info('applied the state file', { file: initState.file, changes: changes.length });
    } catch (err) {
      await blobGc?.stop();
      await meta.close();
      await blobs.close();
      await audit?.close();
      throw err;
    }
  }
  const gate = new RequestGate();
  // Only a server that can be reset counts its requests (a listener per answer otherwise paid for nothing).
  const gated = (l: RequestListener): RequestListener => (opts.allowReset === true ? gate.wrap(l) : l);
  const resetDeps = {
    ...applyDeps, enabled: opts.allowReset === true, ...(initState ? { initFile: initState.file } : {}), blobs, credentials,
    region: opts.region, clock, hostnames, gate, log,
  };

  // The console offers one-click sign-in only with the well-known development keys, never with real ones.
  const devKeys = opts.rootAccessKeyId === DEV_DEFAULTS.accessKeyId && opts.rootAccessKeySecret === DEV_DEFAULTS.accessKeySecret;
  const consoleRoute = createConsoleRoute(devKeys ? { devKeys: DEV_DEFAULTS } : {});
  // Console sign-in of RAM users (docs/console.md); other accounts join once their login profiles are kept per account.
  const consoleSignIn = new ConsoleSignIn({
    defaultAccountId: opts.accountId, tokens, store: meta, masterKey, clock, guessesInFlight, record: (rec) => observe(rec), log: (msg, fields) => log.error(msg, fields),
    account: signInAccounts({ accounts, extrasFor: (id) => accounts.extrasFor(id), aliases: accountAliases }),
  });
  const internal = (path: string, req: IncomingMessage): OssResponse | Promise<OssResponse> | null => {
    if (path === '/-/callback/public-key.pem') return callbacks.publicKeyResponse();
    if (path === '/-/reset') return handleReset(req, resetDeps);
    // Several accounts (docs/accounts.md): the operator's account API.
    if (path === '/-/accounts' || path.startsWith('/-/accounts/')) return handleAccountsApi(req, path, { accounts, credentials, region: opts.region, clock, hostnames, nonces: meta });
    if (path === '/-/metrics') return metricsResponse(metrics, opts.metricsToken, req.headers.authorization);
    if (path === '/-/health') {
      // A store that stopped accepting writes (a failed sync) needs a restart: 503, so that a supervisor sees it.
      const failure = meta.writeFailure?.() ?? null;
      return {
        status: failure === null ? 200 : 503,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          status: failure === null ? 'ok' : 'failed',
          version: VERSION,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          ...(failure === null ? {} : { reason: `metadata log sync failed (${(failure as NodeJS.ErrnoException).code ?? failure.message}); writes are refused until a restart` }),
        }),
      };
    }
    // Console sign-in of RAM users (docs/console.md): name + password (+ MFA) → credentials acting as the user.
    const signedIn = consoleSignIn.handle(path, req);
    if (signedIn) return signedIn;
    if (path.startsWith('/-/console')) return consoleRoute(path, req);
    return null;
  };

  blobGc?.start();
  lifecycle?.start();
  inventory?.start();
  batchWorker?.start();
  replication?.start();
  redundancyTransition?.start();
  accessLog.start();
  ramExtras.lastUsed.start();
  const inFlight = new HandlersInFlight();
  const listening = await listen(
    opts.host,
    opts.port,
    tls,
    gated(withSharedState(meta, createListener({
      inFlight,
      services,
      authz: authzDeps,
      credentials,
      clock,
      region: opts.region,
      accountId: opts.accountId,
      hostnames,
      log,
      rpc: (req, rawQuery, rec) => handleRpc({ ram, sts, credentials, nonces: meta, clock, log, explain, extras: ramExtras!, ims, federation, ramFor: (id) => accounts.ramFor(id), extrasFor: (id) => accounts.extrasFor(id), imsFor: (id) => accounts.imsFor(id) }, req, rawQuery, rec),
      diagnostics: ramExtras!.diagnostics,
      internal,
      observe,
      userLogFields: audit !== null,
      mayLog: (bucket) => accessLog.mayLog(bucket),
      callbacks,
      ...(meta.commitMark && meta.settled ? { durability: { commitMark: meta.commitMark.bind(meta), settled: meta.settled.bind(meta) } } : {}),
    }))),
    { idleTimeoutMs: opts.idleTimeoutMs, keepLoopbackPacing: opts.keepLoopbackPacing === true, ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}) },
  );
  return {
    url: listening.url,
    port: listening.port,
    ...(listening.https ? { httpsUrl: listening.https.url } : {}),
    server: listening.server,
    meta,
    blobs,
    ram,
    ramExtras,
    accounts,
    ...(blobGc ? { blobGc } : {}),
    ...(lifecycle ? { lifecycle } : {}),
    ...(inventory ? { inventory } : {}),
    ...(batchWorker ? { batchJobs: batchWorker } : {}),
    ...(replication ? { replication } : {}),
    ...(redundancyTransition ? { redundancyTransition } : {}),
    async close() {
      await listening.close();
      // The connections are closed: handlers still running (uploads cut short) end now, removing their temp
      // files and fresh blobs, before the stores close under them. Bounded: a stop never hangs on one.
      if (!(await inFlight.idle(STOP_DRAIN_MS))) log.warn('stopping with requests still being handled', { waitedMs: STOP_DRAIN_MS });
      await keepRefusals();
      await accessLog.close();
      await asyncFetch.close();
      callbacks.close();
      await ramExtras.lastUsed.stop().catch(() => undefined);
      await lifecycle?.stop();
      await inventory?.stop();
      await batchWorker?.stop();
      await replication?.stop();
      await redundancyTransition?.stop();
      await blobGc?.stop();
      await meta.close();
      await blobs.close();
      await audit?.close();
    },
    // Bucket logging: the writer's own flush.
    flushAccessLogs: () => accessLog.flush(),
  };
}
