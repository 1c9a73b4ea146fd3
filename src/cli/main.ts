import { existsSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseFreeSpace, type FreeSpaceFloor } from '../domain/admission.js';
import { ACCESS_LOG_FLUSH_SECONDS, VERSION } from '../defaults.js';
import type { ServerOptions } from '../server.js';
import { widenHeapHeadroom } from '../util/heap-headroom.js';
import { LOG_LEVELS, type LogLevel } from '../log-levels.js';
import { CNAME_VERIFICATION_MODES, parseCnameVerification, type CnameVerificationMode } from '../domain/cname-settings.js';
import { describeMeta } from '../store/meta/open.js';
import { LOG_FORMATS, type LogFormat } from '../log-levels.js';
import { oidcOptions, type OidcFlags } from './oidc-options.js';
import { addBatchOptions, batchJobOptions, type BatchFlags } from './batch-options.js';
import { optionsNpmKept, stopWithNpmStart } from './npm-start.js';
import { applyConventions, reportFailure, selfCommand, UsageError } from './output.js';
import { alunitePaths, DEV_ENDPOINT } from './profile.js';

function port(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535).');
  return n;
}

function seconds(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new InvalidArgumentError(`must be a number of seconds >= ${min}.`);
    return n;
  };
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of seconds > 0.');
  return n;
}

function mibPerSecond(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of MiB per second > 0.');
  return n;
}

function lifecycleOptions(daySeconds: number | undefined, intervalSeconds: number | undefined): NonNullable<ServerOptions['lifecycle']> {
  return { ...(daySeconds !== undefined ? { daySeconds } : {}), ...(intervalSeconds !== undefined ? { intervalMs: intervalSeconds * 1000 } : {}) };
}

function freeSpace(value: string): FreeSpaceFloor {
  try {
    return parseFreeSpace(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function logLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${LOG_LEVELS.join(', ')}.`);
  return value as LogLevel;
}

function logFormat(value: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${LOG_FORMATS.join(', ')}.`);
  return value as LogFormat;
}

function cnameVerification(value: string): CnameVerificationMode {
  try {
    return parseCnameVerification(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

/**
 * A region id (`cn-hangzhou`; the `oss-` form SDKs use is taken too). An empty or malformed one would make every V4
 * signature's credential scope unmatchable, or accept a scope with no region: refused when the server starts.
 */
function regionId(value: string): string {
  const id = value.replace(/^oss-/, '');
  if (id.length > 64 || !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(id)) throw new InvalidArgumentError('must be a region id such as cn-hangzhou.');
  return id;
}

/** A value from the environment, parsed like its flag; the error names the variable. */
function fromEnv<T>(name: string, parse: (v: string) => T, fallback: T): T {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  try {
    return parse(raw);
  } catch (err) {
    throw new UsageError(`${name}=${JSON.stringify(raw)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The operations flags of `server` (audit log, metrics token, TLS). */
interface OpsFlags {
  logFormat?: LogFormat;
  auditLog?: string;
  metricsToken?: string;
  cert?: string;
  key?: string;
  httpsPort?: number;
}

function opsOptions(o: OpsFlags): Pick<ServerOptions, 'auditLog' | 'metricsToken' | 'tls'> {
  const httpsPort = o.httpsPort ?? fromEnv('ALUNITE_HTTPS_PORT', port, undefined);
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key (ALUNITE_TLS_CERT, ALUNITE_TLS_KEY) go together.');
  if (httpsPort !== undefined && o.cert === undefined) throw new UsageError('--https-port (ALUNITE_HTTPS_PORT) needs --cert and --key.');
  return {
    ...(o.auditLog !== undefined && o.auditLog !== '' ? { auditLog: o.auditLog } : {}),
    ...(o.metricsToken !== undefined && o.metricsToken !== '' ? { metricsToken: o.metricsToken } : {}),
    ...(o.cert !== undefined && o.key !== undefined ? { tls: { cert: o.cert, key: o.key, ...(httpsPort !== undefined ? { port: httpsPort } : {}) } } : {}),
  };
}

/**
 * `./.alunite` run from the home directory is `~/.alunite`, where the CLI keeps its profiles and upload
 * checkpoints: the server's files would land among them, and deleting the data directory to reset the server
 * (as the README says) would delete them too. A directory that holds no server data yet is refused; one that
 * already does (an earlier start) keeps working, with a warning.
 */
function checkDataDirNotCliDir(dataDir: string, env: NodeJS.ProcessEnv): void {
  const cliDir = dirname(alunitePaths(env).checkpoints);
  if (resolvePath(dataDir) !== resolvePath(cliDir)) return;
  const what = `the data directory ${dataDir} is ${cliDir}, where the alunite CLI keeps its profiles (config) and upload checkpoints: deleting it to reset the server would delete them too`;
  const fix = `start the server from another directory, or give it one with --data (e.g. --data ${join(dirname(cliDir), 'alunite-data')})`;
  if (!existsSync(join(cliDir, 'metadata.sqlite')) && !existsSync(join(cliDir, 'master.key'))) throw new UsageError(`${what}; ${fix}`);
  process.stderr.write(`warning: ${what}; ${fix}\n`);
}

/**
 * The client commands' factories, in the order `alunite --help` lists them, each imported when a command line names it: a
 * command's module pulls in its own libraries (the policy engine, the OSS transfer code and the CRC-64 addon, the
 * metadata stores' helpers), and loading all of them for every `alunite …` cost each call ~0.1-0.2 s of CPU
 * (docs/testing.md; test/cli-startup.test.ts counts the modules a cheap command loads).
 */
const CLIENT_COMMANDS: Record<string, () => Promise<() => Command>> = {
  policy: async () => (await import('./policy.js')).policyCommand,
  keys: async () => (await import('./keys.js')).keysCommand,
  vend: async () => (await import('./vend.js')).vendCommand,
  configure: async () => (await import('./configure.js')).configureCommand,
  oss: async () => (await import('./oss.js')).ossCommand,
  ram: async () => (await import('./ram.js')).ramCommand,
  sts: async () => (await import('./sts.js')).stsCommand,
  init: async () => (await import('./init.js')).initCommand,
  account: async () => (await import('./account.js')).accountCommand, // several accounts (docs/accounts.md)
};

/**
 * The client commands `argv` may run: those it names (any word before `--`, so a global option's value that
 * happens to be a command name only loads one more), none for `server` or `--version` alone, and all of them when it
 * names none (`--help`, `help`, a mistyped command, which commander answers with the nearest name).
 */
export async function loadCommands(argv?: readonly string[]): Promise<(() => Command)[]> {
  const words = argv === undefined ? [] : argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  const named = Object.keys(CLIENT_COMMANDS).filter((name) => words.includes(name));
  const none = words.includes('server') || (words.length === 1 && ['--version', '-V'].includes(words[0]!));
  const names = named.length > 0 || none ? named : Object.keys(CLIENT_COMMANDS);
  return Promise.all(names.map((name) => CLIENT_COMMANDS[name]!()));
}

/** The command tree, not yet parsed, with these client commands (test/cli-conventions.test.ts walks all of them). */
export function buildProgram(commands: readonly (() => Command)[]): Command {
  const program = new Command('alunite').version(VERSION).description('Alibaba-Cloud-compatible object store (OSS) with RAM and STS');

  const server = program.command('server')
    .description('start the server')
    .option('--host <host>', 'address to listen on (env ALUNITE_HOST)', process.env.ALUNITE_HOST ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on (env ALUNITE_PORT, default 8930)', port)
    .option('--data <dir>', 'data directory (env ALUNITE_DATA)', process.env.ALUNITE_DATA ?? './.alunite')
    .option('--in-memory', 'keep nothing on disk (env ALUNITE_IN_MEMORY=1)', process.env.ALUNITE_IN_MEMORY === '1')
    .option('--region <region>', 'region id, e.g. cn-hangzhou (env ALUNITE_REGION, default cn-hangzhou)', regionId)
    .option('--hostname <name...>', 'extra host names for virtual-hosted buckets (env ALUNITE_HOSTNAMES, comma-separated)',
      process.env.ALUNITE_HOSTNAMES ? process.env.ALUNITE_HOSTNAMES.split(',') : [])
    .option('--cname-verification <mode>', `how PutCname proves a domain is the caller's: ${CNAME_VERIFICATION_MODES.join('|')} (env ALUNITE_CNAME_VERIFICATION, default dns: a TXT record _dnsauth.<domain> holding the CreateCnameToken token, as the cloud; token: the token alone, any caller allowed PutCname may take any domain not configured with --hostname; docs/stored-configurations.md#cnames-implemented)`, cnameVerification)
    .option('--cname-dns-server <address>', 'with --cname-verification dns: the DNS server asked for TXT records, ip or ip:port (env ALUNITE_CNAME_DNS_SERVER; default the system\'s)', process.env.ALUNITE_CNAME_DNS_SERVER || undefined)
    .option('--keep-loopback-pacing', 'keep the system\'s TCP congestion control for connections from this host; by default they get reno where the system\'s is BBR, whose pacing costs a large download half its CPU on loopback (env ALUNITE_KEEP_LOOPBACK_PACING=1; docs/operations.md)', process.env.ALUNITE_KEEP_LOOPBACK_PACING === '1')
    .option('--no-fsync', 'do not fsync writes (faster, loses acknowledged writes on power failure; env ALUNITE_FSYNC=0)')
    .option('--log-level <level>', `${LOG_LEVELS.join('|')} (env ALUNITE_LOG_LEVEL, default info)`, logLevel)
    .option('--log-format <format>', `${LOG_FORMATS.join('|')}: one readable line per event, or JSON lines (env ALUNITE_LOG_FORMAT, default pretty when stderr is a terminal, else json)`, logFormat)
    .option('--audit-log <file>', 'append one JSON line per request to this file (env ALUNITE_AUDIT_LOG)', process.env.ALUNITE_AUDIT_LOG)
    .option('--metrics-token <token>', 'require "Authorization: Bearer <token>" on /-/metrics (env ALUNITE_METRICS_TOKEN; default: open)', process.env.ALUNITE_METRICS_TOKEN)
    .option('--cert <file>', 'TLS certificate (PEM) to serve HTTPS (env ALUNITE_TLS_CERT)', process.env.ALUNITE_TLS_CERT)
    .option('--key <file>', 'TLS private key (PEM) (env ALUNITE_TLS_KEY)', process.env.ALUNITE_TLS_KEY)
    .option('--https-port <port>', 'with --cert/--key: HTTPS on this port, plain HTTP stays on --port (env ALUNITE_HTTPS_PORT)', port)
    .option('--meta <store>', 'metadata store: sqlite, or a postgres://user:password@host:port/database URL shared by several processes (env ALUNITE_META)',
      process.env.ALUNITE_META ?? 'sqlite')
    .option('--blobs <dir>', 'blob directory (env ALUNITE_BLOBS, default the data directory)', process.env.ALUNITE_BLOBS)
    .option('--gc-interval <seconds>', 'with --meta postgres: collect unreferenced blob files at start and this often, 0 never (env ALUNITE_GC_INTERVAL, default 3600)', seconds(0))
    .option('--min-free-space <size>', 'refuse writes (507 InsufficientStorage) when less is free on the data/blob disk, e.g. 1GiB, 500MB, 5%, 0 for off (env ALUNITE_MIN_FREE_SPACE, default 1GiB)', freeSpace)
    .option('--gc-grace <seconds>', 'with --meta postgres: never collect files written less than this long ago (env ALUNITE_GC_GRACE, default 3600, min 60)', seconds(60))
    .option('--gc-lease <seconds>', 'with --meta postgres: the blob collector\'s lease, renewed while it runs; a killed collector blocks the others this long (env ALUNITE_GC_LEASE, default 30, min 2)', seconds(2))
    .option('--init <file>', 'apply this state file at start: users, keys, roles, policies, buckets (env ALUNITE_INIT; docs/init.md)', process.env.ALUNITE_INIT || undefined)
    .addOption(new Option('--kms-key <name...>', 'names of the local KMS keys objects may be encrypted with, besides alunite/oss-default (x-oss-server-side-encryption: KMS; env ALUNITE_KMS_KEYS, comma-separated; docs/encryption.md)')
      .default(process.env.ALUNITE_KMS_KEYS ? process.env.ALUNITE_KMS_KEYS.split(',').map((s) => s.trim()).filter((s) => s !== '') : [], 'alunite/oss-default only'))
    .option('--allow-reset', 'development only: enable POST /-/reset, back to the --init state (env ALUNITE_ALLOW_RESET=1)', process.env.ALUNITE_ALLOW_RESET === '1')
    .option('--retention-day-seconds <seconds>', 'development only: length of a WORM retention day, e.g. 2 (env ALUNITE_RETENTION_DAY_SECONDS, default 86400; docs/data-protection.md)', seconds(0.001))
    .option('--restore-seconds <seconds>', 'how long an Archive RestoreObject takes before the object can be read; ColdArchive/DeepColdArchive take 60-2880x that by priority (env ALUNITE_RESTORE_SECONDS, default 1)', seconds(0))
    .option('--meta-query-ready-seconds <seconds>', 'how long an opened metadata index reports Ready before Running (env ALUNITE_META_QUERY_READY_SECONDS, default 3; docs/meta-query.md)', seconds(0))
    .option('--restore-day-seconds <seconds>', 'development only: length of a day of a restored copy (env ALUNITE_RESTORE_DAY_SECONDS, default 86400)', seconds(0.001))
    .option('--lifecycle-day-seconds <n>', 'development only: a lifecycle rule\'s "day" lasts this many seconds (env ALUNITE_LIFECYCLE_DAY_SECONDS, default 86400; docs/lifecycle.md)', positiveSeconds)
    .option('--lifecycle-interval <seconds>', 'run the lifecycle worker this often, 0 never (env ALUNITE_LIFECYCLE_INTERVAL, default the shorter of 600 and a lifecycle day)', seconds(0))
    .option('--inventory-interval <seconds>', 'check for due bucket inventories this often, 0 never (env ALUNITE_INVENTORY_INTERVAL, default 600; docs/inventory.md)', seconds(0))
    .option('--redundancy-transition-rate <MiB/s>', 'how fast a data redundancy transition goes through its bucket\'s bytes before the bucket is ZRS (env ALUNITE_REDUNDANCY_TRANSITION_RATE, default 100; docs/stored-configurations.md)', mibPerSecond)
    .option('--access-log-flush-seconds <seconds>', `write a batch of bucket access log lines this long after its first line (env ALUNITE_ACCESS_LOG_FLUSH_SECONDS, default ${ACCESS_LOG_FLUSH_SECONDS}, hourly as OSS; docs/logging.md)`, positiveSeconds)
    // Upload callbacks (docs/callbacks.md)
    .option('--async-fetch', 'fetch the URLs of async fetch tasks (PutAsyncFetchTask; env ALUNITE_ASYNC_FETCH=1; default off: tasks fail without a request; docs/async-fetch.md)',
      process.env.ALUNITE_ASYNC_FETCH === '1' || process.env.ALUNITE_ASYNC_FETCH === 'true')
    .option('--async-fetch-allow-host <host...>', 'async fetch source hosts that may be loopback/private addresses, * for any (env ALUNITE_ASYNC_FETCH_ALLOW_HOSTS, comma-separated; default: public addresses only)',
      process.env.ALUNITE_ASYNC_FETCH_ALLOW_HOSTS ? process.env.ALUNITE_ASYNC_FETCH_ALLOW_HOSTS.split(',').map((s) => s.trim()).filter((s) => s !== '') : [])
    .option('--callback-allow-host <host...>', 'callbackUrl hosts that may be loopback/private addresses, * for any (env ALUNITE_CALLBACK_ALLOW_HOSTS, comma-separated; default: public addresses only)',
      process.env.ALUNITE_CALLBACK_ALLOW_HOSTS ? process.env.ALUNITE_CALLBACK_ALLOW_HOSTS.split(',').map((s) => s.trim()).filter((s) => s !== '') : [])
    .option('--callback-public-key-url <url>', 'the x-oss-pub-key-url sent with callbacks (env ALUNITE_CALLBACK_PUBLIC_KEY_URL; default /-/callback/public-key.pem on the endpoint the upload used)',
      process.env.ALUNITE_CALLBACK_PUBLIC_KEY_URL || undefined)
    .option('--callback-ca <file>', 'PEM certificates trusted for https callback URLs besides the system CAs (env ALUNITE_CALLBACK_CA)',
      process.env.ALUNITE_CALLBACK_CA || undefined)
    // federation: AssumeRoleWithOIDC issuers (docs/federation.md)
    .option('--oidc-ca <file>', 'extra CA certificates (PEM) trusted for OIDC issuers\' HTTPS (env ALUNITE_OIDC_CA; docs/federation.md)')
    .option('--oidc-jwks <issuer=file...>', 'air-gapped: an OIDC issuer\'s keys from a JWKS file instead of its jwks_uri (env ALUNITE_OIDC_JWKS, comma-separated)');
  // The batch worker's flags last: `server --help` opens with --host, --port and --data, what a first start needs.
  addBatchOptions(server)
    .action(async (o: { host: string; port?: number; data: string; inMemory: boolean; region?: string; hostname: string[]; cnameVerification?: CnameVerificationMode; cnameDnsServer?: string; keepLoopbackPacing: boolean; fsync: boolean; logLevel?: LogLevel; meta: string; blobs?: string; gcInterval?: number; gcGrace?: number; gcLease?: number; minFreeSpace?: FreeSpaceFloor; init?: string; allowReset: boolean; kmsKey: string[]; json?: boolean; retentionDaySeconds?: number; restoreSeconds?: number; metaQueryReadySeconds?: number; restoreDaySeconds?: number; lifecycleDaySeconds?: number; lifecycleInterval?: number; inventoryInterval?: number; redundancyTransitionRate?: number; asyncFetch: boolean; asyncFetchAllowHost: string[]; callbackAllowHost: string[]; callbackPublicKeyUrl?: string; callbackCa?: string; accessLogFlushSeconds?: number } & OpsFlags & OidcFlags & BatchFlags) => {
      const env = process.env;
      // Environment values are checked only when the server starts, so a bad one cannot break other commands.
      const listenPort = o.port ?? fromEnv('ALUNITE_PORT', port, 8930);
      const level = o.logLevel ?? fromEnv('ALUNITE_LOG_LEVEL', logLevel, 'info');
      const region = o.region ?? fromEnv('ALUNITE_REGION', regionId, 'cn-hangzhou');
      const minFreeSpace = o.minFreeSpace ?? fromEnv<FreeSpaceFloor | undefined>('ALUNITE_MIN_FREE_SPACE', parseFreeSpace, undefined);
      // The server and the state-file loader are loaded here: the client commands never need them. The state file is
      // read first: an invalid one (or account id, or data directory) stops the start before the server's modules load
      // (~0.5 CPU s).
      const { rootAccount, devKeysOnNetworkWarning } = await import('./root-account.js');
      const { accountId, accessKeyId, accessKeySecret, usingDevKeys } = await rootAccount(o.init, env);
      if (!/^\d{16}$/.test(accountId)) throw new UsageError('ALUNITE_ACCOUNT_ID must be 16 digits.');
      const devKeysWarning = devKeysOnNetworkWarning(o.host, { accessKeyId, accessKeySecret });
      if (devKeysWarning !== null) process.stderr.write(`${devKeysWarning}\n`);
      if (!o.inMemory) checkDataDirNotCliDir(o.data, env);
      const { startServer } = await import('../server.js');
      widenHeapHeadroom();
      const running = await startServer({
        host: o.host,
        port: listenPort,
        dataDir: o.data,
        inMemory: o.inMemory,
        region,
        accountId,
        rootAccessKeyId: accessKeyId,
        rootAccessKeySecret: accessKeySecret,
        hostnames: o.hostname,
        cname: {
          verification: o.cnameVerification ?? fromEnv('ALUNITE_CNAME_VERIFICATION', cnameVerification, 'dns'),
          ...(o.cnameDnsServer !== undefined ? { dnsServer: o.cnameDnsServer } : {}),
        },
        durable: o.fsync && env.ALUNITE_FSYNC !== '0',
        keepLoopbackPacing: o.keepLoopbackPacing,
        logLevel: level,
        logFormat: o.logFormat ?? fromEnv<LogFormat | undefined>('ALUNITE_LOG_FORMAT', logFormat, undefined),
        ...opsOptions(o),
        meta: o.meta,
        blobsDir: o.blobs,
        ...(o.init !== undefined ? { init: o.init } : {}),
        allowReset: o.allowReset,
        kmsKeys: o.kmsKey,
        asyncFetch: { enabled: o.asyncFetch, allowHosts: o.asyncFetchAllowHost },
        callbacks: {
          allowHosts: o.callbackAllowHost,
          ...(o.callbackPublicKeyUrl !== undefined ? { publicKeyUrl: o.callbackPublicKeyUrl } : {}),
          ...(o.callbackCa !== undefined ? { ca: await readCallbackCa(o.callbackCa) } : {}),
        },
        ...oidcOptions(o, env),
        ...batchJobOptions(o, env),
        ...(minFreeSpace ? { minFreeSpace } : {}),
        timing: {
          retentionDayMs: (o.retentionDaySeconds ?? fromEnv('ALUNITE_RETENTION_DAY_SECONDS', seconds(0.001), 86_400)) * 1000,
          restoreDelayMs: (o.restoreSeconds ?? fromEnv('ALUNITE_RESTORE_SECONDS', seconds(0), 1)) * 1000,
          metaQueryReadyMs: (o.metaQueryReadySeconds ?? fromEnv('ALUNITE_META_QUERY_READY_SECONDS', seconds(0), 3)) * 1000,
          restoreDayMs: (o.restoreDaySeconds ?? fromEnv('ALUNITE_RESTORE_DAY_SECONDS', seconds(0.001), 86_400)) * 1000,
        },
        lifecycle: lifecycleOptions(o.lifecycleDaySeconds ?? fromEnv<number | undefined>('ALUNITE_LIFECYCLE_DAY_SECONDS', positiveSeconds, undefined),
          o.lifecycleInterval ?? fromEnv<number | undefined>('ALUNITE_LIFECYCLE_INTERVAL', seconds(0), undefined)),
        inventory: { intervalMs: (o.inventoryInterval ?? fromEnv('ALUNITE_INVENTORY_INTERVAL', seconds(0), 600)) * 1000 },
        redundancyTransition: { bytesPerSecond: (o.redundancyTransitionRate ?? fromEnv('ALUNITE_REDUNDANCY_TRANSITION_RATE', mibPerSecond, 100)) * 1024 * 1024 },
        accessLogging: { flushIntervalMs: (o.accessLogFlushSeconds ?? fromEnv('ALUNITE_ACCESS_LOG_FLUSH_SECONDS', positiveSeconds, ACCESS_LOG_FLUSH_SECONDS)) * 1000 },
        blobGc: {
          intervalMs: (o.gcInterval ?? fromEnv('ALUNITE_GC_INTERVAL', seconds(0), 3600)) * 1000,
          graceMs: (o.gcGrace ?? fromEnv('ALUNITE_GC_GRACE', seconds(60), 3600)) * 1000,
          leaseMs: (o.gcLease ?? fromEnv('ALUNITE_GC_LEASE', seconds(2), 30)) * 1000,
        },
      }).catch(explainListenError);
      const out = o.json ? { write: (_line: string): boolean => true } : process.stdout;
      // The signal handlers are in place before the banner (or the --json line) says the server listens: a supervisor
      // (or a test) sending SIGINT as soon as it reads that line must get the graceful stop, not node's default exit
      // (between the write and process.on, a busy machine could deliver it to no handler: exit code null).
      // Say what a stop does, as a user who pressed Ctrl-C waits on a silent terminal otherwise: uploads in flight
      // are cut and cleaned up first (test/graceful-stop). A second Ctrl-C exits at once; what the first stop had not
      // finished is what a crash leaves, which the next start collects (docs/operations.md).
      let stopping = false;
      const stop = (signal: string, announce = true): void => {
        if (stopping) {
          out.write(`alunite: ${signal} again, exiting now\n`);
          process.exit(130);
        }
        stopping = true;
        if (announce) out.write(`alunite: ${signal}, stopping (in-flight requests are cut; ${signal === 'SIGINT' ? 'Ctrl-C again' : 'SIGINT'} exits at once)\n`);
        void running.close().then(() => {
          if (announce) out.write('alunite stopped\n');
          process.exit(0);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      stopWithNpmStart(() => stop('npm start ended', false)); // its own line is on stderr; stdout may have gone with npm
      // --json: one line instead of the banner, written once the server listens (a script reads the URL and dev keys from it).
      if (o.json) {
        process.stdout.write(`${JSON.stringify({
          version: VERSION, url: running.url, ...(running.httpsUrl !== undefined ? { httpsUrl: running.httpsUrl } : {}),
          region, accountId, dataDir: o.inMemory ? null : o.data, console: `${running.url}/-/console/`,
          ...(usingDevKeys ? { developmentCredentials: { accessKeyId, accessKeySecret } } : {}),
        })}\n`);
      }
      // Listening on every interface (0.0.0.0, ::): what to type on this machine is the loopback address; browsers
      // refuse 0.0.0.0 as a destination.
      const local = localUrl(running.url);
      out.write(`alunite ${VERSION}: region ${region}, account ${accountId}, ${o.inMemory ? 'in memory' : `data in ${o.data}`}\n`);
      if (o.meta !== 'sqlite') out.write(`metadata in ${describeMeta(o.meta)}\n`);
      if (usingDevKeys) {
        out.write(`development credentials (set ALUNITE_ROOT_ACCESS_KEY_ID/SECRET to change):\n`);
        out.write(`  AccessKeyId     ${accessKeyId}\n  AccessKeySecret ${accessKeySecret}\n`);
        out.write(
          `  ali-oss: new OSS({ endpoint: '${local}', region: 'oss-${region}', accessKeyId: '${accessKeyId}', ` +
            `accessKeySecret: '${accessKeySecret}', bucket: 'my-bucket' })\n`,
        );
      }
      out.write(`web console: ${local}/-/console/\n`);
      if (local !== running.url) out.write(`listening on every interface: from another machine, use this machine's address or name instead of ${new URL(local).hostname}\n`);
      // The client commands and the README's examples assume the default port: a server started on another one
      // says so, or `alunite oss ls` in the next terminal answers "cannot reach http://127.0.0.1:8930".
      if (new URL(running.url).port !== new URL(DEV_ENDPOINT).port) {
        out.write(`client commands (${selfCommand()} oss, ram, sts) talk to ${DEV_ENDPOINT} unless told: export ALUNITE_ENDPOINT=${local}, and use this endpoint in the README's examples\n`);
      }
      out.write(`alunite listening on ${running.url}\n`);
      if (running.httpsUrl !== undefined) out.write(`alunite listening on ${running.httpsUrl}\n`);
    });

  for (const command of commands) program.addCommand(command());

  // Last, so every command above gets them: --json, exit 2 for usage errors, global options before the subcommand.
  return applyConventions(program);
}

/** A flag given before `--` (for failures before commander knows which command runs). */
const given = (argv: string[], flag: string): boolean => {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes(flag);
};

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(await loadCommands(argv));
  let active: Command | undefined;
  program.hook('preAction', (_root, action) => {
    active = action;
  });
  // Before commander parses: `npm start --port 8931` reaches the server as `server 8931` (see optionsNpmKept).
  const server = argv[2] === 'server' ? program.commands.find((c) => c.name() === 'server') : undefined;
  const kept = server && optionsNpmKept(server.options.map((o) => ({ long: o.long ?? '', takesValue: o.required || o.optional })), argv.slice(3));
  if (kept) {
    process.exitCode = reportFailure(new UsageError(kept), { json: given(argv, '--json'), shellExport: false });
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return; // --help, --version
    const opts = active?.optsWithGlobals<{ json?: boolean; export?: boolean }>();
    process.exitCode = reportFailure(err, {
      json: opts ? opts.json === true : given(argv, '--json'),
      shellExport: opts ? opts.export === true : given(argv, '--export'),
    });
  }
}

/** `--callback-ca`: the file's PEM text; a missing or unreadable file stops start-up naming it. */
async function readCallbackCa(file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the callback CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * A port already taken says what to do about it (node's own message names only the address), and whether an
 * Alunite server holds it: a server started earlier (another terminal, a background job) is the usual case.
 */
async function explainListenError(err: unknown): Promise<never> {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE' && e.syscall === 'listen') {
    const holder = await aluniteOn(e.address, e.port);
    const where = `port ${e.port ?? '?'} on ${e.address ?? '?'} is already in use`;
    const other = 'choose another with --port or ALUNITE_PORT (--port 0 takes a free one)';
    throw new UsageError(holder === null
      ? `${where} (another alunite, or another program): ${other}`
      : `${where}: ${holder} already runs there; use it, stop it (Ctrl-C in its terminal), or ${other}`);
  }
  // store/meta/sqlite/base.ts DataDirectoryInUse (by name: that module is loaded only by the action). "Stop it
  // first" is all the offline commands can do; a second server can also have its own directory and port.
  if (err instanceof Error && err.name === 'DataDirectoryInUse') {
    const database = (err as Error & { database?: string }).database ?? 'the data directory';
    throw new Error(`${database} is in use by another alunite server (one process owns a data directory): use that server, stop it (Ctrl-C in its terminal), or start this one with its own data directory and port (--data DIR --port N, or --in-memory)`);
  }
  throw err;
}

/** `url` with a wildcard listening address (0.0.0.0, [::]) replaced by the loopback address a client on this machine uses. */
export function localUrl(url: string): string {
  return url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\])(?=[:/]|$)/, (_m, scheme: string, host: string) => `${scheme}${host === '[::]' ? '[::1]' : '127.0.0.1'}`);
}

/** `an alunite 0.1.0 server (up 42 s)` when /-/health on that address answers as Alunite does; else null. */
async function aluniteOn(address: string | undefined, port: number | undefined): Promise<string | null> {
  if (address === undefined || port === undefined) return null;
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : address.includes(':') ? `[${address}]` : address;
  try {
    const res = await fetch(`http://${host}:${port}/-/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { status?: unknown; version?: unknown; uptimeSeconds?: unknown };
    // 'failed': a server whose metadata log could not be synced (it refuses writes until restarted) is still one.
    if ((body.status !== 'ok' && body.status !== 'failed') || typeof body.version !== 'string') return null;
    return `an alunite ${body.version} server${typeof body.uptimeSeconds === 'number' ? ` (up ${body.uptimeSeconds} s${body.status === 'failed' ? ', refusing writes until restarted' : ''})` : ''}`;
  } catch {
    return null;
  }
}
