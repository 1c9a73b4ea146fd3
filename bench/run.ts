/**
 * `npm run bench`: Alunite against a bare node:http server, each a separate process, driven by the
 * same V1-signed requests from this process. Measures small-object ops/s and server CPU per request
 * (utime+stime of the server process from /proc), LIST keys/s, big-object MiB/s, and server memory,
 * and reports them against the project's targets. Not a test: nothing here fails on timing.
 * Results go to stdout and bench-results/latest.json.
 *
 * All servers run side by side: bare (no storage), bare writing one file per object (the "baseline
 * PUT"; with and without a directory fsync), Alunite durable (the reported configuration) and Alunite
 * --no-fsync. Each small-object phase is split into rounds in which the servers take turns, so a burst
 * of other load on the machine lands on all of them rather than on one.
 *
 *   npm run bench [-- --quick]        smaller counts, a smoke run
 *     --concurrency N   requests in flight (default 8)     --ops N          requests per phase and server
 *     --rounds N        alternating rounds per phase        --skip-nofsync   no Alunite --no-fsync server
 *     --profile         also profile GET, PUT and DELETE (node --cpu-prof on the server; bench-results/*.cpuprofile)
 *     --profile-only    only that                           --out FILE       JSON elsewhere
 *     --no-prime        no page-cache priming before large transfers (bench/prime.ts says why it is there)
 *     --server-node-flags "F …"  node flags for every Alunite server of the run (profiling: --perf-basic-prof,
 *                       --heapsnapshot-signal=SIGUSR2, --trace-gc; the bench itself strips NODE_OPTIONS from servers);
 *                       BENCH_SERVER_STDOUT=1 in the environment copies the servers' standard output to stderr
 *     --big-only        only large objects (PUT, GET, multipart 1 GiB in 8 MiB parts ×4) on bare-fs and Alunite
 *     --small-only      only warm-up and the small-object phases (4 KiB PUT/GET/HEAD/LIST/DELETE; no large objects, no RAM)
 *     --ram-only        only bare node:http and Alunite (durable): their warm-up, then phase [4/4] (GET as root, RAM
 *                       user and STS session, bare node:http's GET in the same rounds; AssumeRole; evaluator) and its
 *                       targets; nothing written to bench-results/
 *     --help            this text
 *     --compare DIR     also run DIR's Alunite build (another checkout, built) in the small-object phases, in the same
 *                       alternating rounds: a before/after on a noisy machine ("alunite-compare" rows)
 *
 *     --meta URL|postgres  the Alunite servers keep their metadata in PostgreSQL: a postgres:// URL (one schema per
 *                       server is created there and dropped at the end), or `postgres` for a throwaway local server
 *                       started like the tests'. Adds phase [5/5]: aggregate 4 KiB PUT/GET ops/s with 1, 2 and 3
 *                       Alunite processes sharing one database and one blob directory, client round-robin.
 *     --scale-only      with --meta: only phase [5/5]          --scale-ops N    requests per scaling phase and group
 *
 * Unknown flags are refused (a mistyped flag used to start the whole run).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { rate, Target, type BenchRequest, type BenchResponse, type Credentials } from './client.js';
import { clockTicks, cpuSeconds, diskReadBytes, hostBusySeconds, mainThreadCpuSeconds, nodeFlagsOf, RssSampler, startProcess, vmBytes, type ServerProcess } from './proc.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { widenHeapHeadroom } from '../src/util/heap-headroom.js';
import { benchPolicy } from './policy.js';
import { primePageCache, setPrimeDir } from './prime.js';
import { benchPostgres, type BenchPostgres } from './postgres.js';
import { scaling, type ScaleResult } from './scaling.js';
import { randomBytes } from 'node:crypto';
import { leanAssumer, setUpRamUser, setUpRole } from './ram.js';
import { versioningBench } from './versioning.js';
import { imageBench } from './image.js';
import { callbackBench, startCallbackReceiver } from './callback.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Configuration

interface Config {
  quick: boolean;
  concurrency: number;
  /** Requests per measured small-object phase (per server). */
  ops: number;
  /** Each phase is split into this many rounds, alternating between the servers (spreads out noise). */
  rounds: number;
  warmup: number;
  /** Objects in the bucket that LIST pages through. */
  listObjects: number;
  listPasses: number;
  listConcurrency: number;
  /** Large PUTs of `size`, `reps` each; then `getReps` GETs, the nth reading the (n mod reps)th object. */
  big: Array<{ size: number; reps: number; getReps: number }>;
  /** Multipart upload workload (issue 15: 1 GiB in 8 MiB parts, 4 in parallel). */
  multipart: { size: number; partSize: number; parallel: number; reps: number };
  /** Only the big-object phases (PUT, GET, multipart) on bare-fs and Alunite. */
  bigOnly: boolean;
  /** Only warm-up and the small-object phases (no large objects, no RAM/STS phase). */
  smallOnly: boolean;
  /** Only Alunite (durable), its warm-up and the RAM/STS phase [4/4]. */
  ramOnly: boolean;
  /** Print the usage (this file's header) and exit. */
  help: boolean;
  /** Another checkout's root (built): its Alunite also takes the small-object phases, for before/after in one run. */
  compare?: string;
  profile: boolean;
  /** Only the profiling runs (implies profile). */
  profileOnly: boolean;
  profileOps: number;
  noFsync: boolean;
  /** Prime the page cache before each large transfer (bench/prime.ts); off with --no-prime. */
  prime: boolean;
  /** --server-node-flags: node flags for every Alunite server (profiling). */
  serverNodeFlags: string[];
  out: string;
  /** `postgres` or a postgres:// URL: metadata in PostgreSQL (and the scaling phase). */
  meta?: string;
  scaleOnly: boolean;
  scaleOps: number;
  ignored: string[];
}

function parseArgs(argv: string[]): Config {
  const quick = argv.includes('--quick');
  const c: Config = {
    quick,
    concurrency: 8,
    ops: quick ? 1500 : 5000,
    rounds: quick ? 3 : 5,
    warmup: quick ? 200 : 500,
    listObjects: quick ? 2000 : 10_000,
    listPasses: quick ? 5 : 10,
    listConcurrency: 4,
    // GETs last 20-100 ms, so a median of 3-5 of them on 2 shared cores moved a ratio by 0.2; more cost little.
    big: quick ? [{ size: 16 * MiB, reps: 1, getReps: 1 }, { size: 64 * MiB, reps: 1, getReps: 1 }] : [{ size: 64 * MiB, reps: 5, getReps: 15 }, { size: 256 * MiB, reps: 3, getReps: 9 }],
    multipart: { size: quick ? 256 * MiB : 1024 * MiB, partSize: 8 * MiB, parallel: 4, reps: quick ? 1 : 3 },
    bigOnly: false,
    smallOnly: false,
    ramOnly: false,
    help: false,
    profile: false,
    profileOnly: false,
    profileOps: quick ? 1000 : 4000,
    noFsync: true,
    prime: true,
    serverNodeFlags: [],
    out: join(ROOT, 'bench-results', 'latest.json'),
    scaleOnly: false,
    scaleOps: quick ? 3000 : 9000,
    ignored: [],
  };
  const int = (v: string | undefined, flag: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        break;
      case '--profile':
        c.profile = true;
        break;
      case '--profile-only':
        c.profile = true;
        c.profileOnly = true;
        break;
      case '--big-only':
        c.bigOnly = true;
        break;
      case '--small-only':
        c.smallOnly = true;
        break;
      case '--ram-only':
        c.ramOnly = true;
        break;
      case '--help':
      case '-h':
        c.help = true;
        break;
      case '--compare':
        c.compare = value();
        break;
      case '--skip-nofsync':
        c.noFsync = false;
        break;
      case '--no-prime':
        c.prime = false;
        break;
      case '--server-node-flags':
        c.serverNodeFlags = nodeFlagsOf(value());
        break;
      case '--concurrency':
        c.concurrency = int(value(), flag);
        break;
      case '--ops':
        c.ops = int(value(), flag);
        break;
      case '--rounds':
        c.rounds = int(value(), flag);
        break;
      case '--out':
        c.out = value() ?? c.out;
        break;
      case '--meta': {
        const v = value();
        if (v === undefined || !(v === 'sqlite' || v === 'postgres' || /^postgres(ql)?:\/\//.test(v))) throw new Error('--meta needs sqlite, postgres or a postgres:// URL');
        if (v !== 'sqlite') c.meta = v;
        break;
      }
      case '--scale-only':
        c.scaleOnly = true;
        break;
      case '--scale-ops':
        c.scaleOps = int(value(), flag);
        break;
      default:
        c.ignored.push(raw);
    }
  }
  c.ops = Math.min(c.ops, c.listObjects);
  c.listConcurrency = Math.min(c.listConcurrency, c.concurrency);
  return c;
}

// ---------------------------------------------------------------------------------------------------
// Measurement

interface PhaseResult {
  phase: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  serverCpuSeconds: number;
  serverMainThreadCpuSeconds: number;
  clientCpuSeconds: number;
  serverCpuUsPerOp: number;
  /** Part of serverCpuUsPerOp spent on the main (event-loop) thread; the rest is libuv's pool, GC helpers. */
  serverMainThreadUsPerOp: number;
  clientCpuUsPerOp: number;
  p50Ms: number;
  p99Ms: number;
  /** Start and end of the phase, CLOCK_MONOTONIC µs (to cut a server CPU profile to it). */
  windowUs: [number, number];
  /** CPU cores' worth used by other processes on the machine meanwhile (noise indicator). */
  otherCores: number;
  errors: number;
  firstError?: string;
  /** LIST only: keys returned. */
  keys?: number;
  keysPerSec?: number;
  /** When merged from rounds: each round's rate and CPU (their spread shows the noise). */
  rounds?: Array<{ opsPerSec: number; serverCpuUsPerOp: number; otherCores: number }>;
}

interface Measured {
  result: PhaseResult;
  latenciesMs: Float64Array;
}

type Check = (res: BenchResponse, i: number) => string | null;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `count` requests with `concurrency` in flight and measures the server process around them. */
async function runPhase(
  server: ServerProcess,
  target: Target,
  phase: string,
  count: number,
  concurrency: number,
  make: (i: number) => BenchRequest,
  check: Check,
): Promise<Measured> {
  const lat = new Float64Array(count);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const fail = (msg: string): void => {
    errors++;
    firstError ??= msg;
  };
  const cpu0 = cpuSeconds(server.pid);
  const main0 = mainThreadCpuSeconds(server.pid);
  const client0 = process.cpuUsage();
  const host0 = hostBusySeconds();
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const s = process.hrtime.bigint();
      try {
        const res = await target.send(make(i));
        const problem = check(res, i);
        if (problem) fail(problem);
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      }
      lat[i] = Number(process.hrtime.bigint() - s) / 1e6;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const serverCpu = cpuSeconds(server.pid) - cpu0;
  const serverMain = mainThreadCpuSeconds(server.pid) - main0;
  const client = process.cpuUsage(client0);
  const other = hostBusySeconds() - host0 - serverCpu - (client.user + client.system) / 1e6;
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const r: PhaseResult = {
    phase,
    ops: count,
    seconds,
    opsPerSec: count / seconds,
    serverCpuSeconds: serverCpu,
    serverMainThreadCpuSeconds: serverMain,
    clientCpuSeconds: (client.user + client.system) / 1e6,
    serverCpuUsPerOp: (serverCpu * 1e6) / count,
    serverMainThreadUsPerOp: (serverMain * 1e6) / count,
    clientCpuUsPerOp: (client.user + client.system) / count,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    windowUs: [Number(t0 / 1000n), Number(t0 / 1000n) + Math.round(seconds * 1e6)],
    otherCores: Math.max(0, other / seconds),
    errors,
  };
  if (firstError !== undefined) r.firstError = firstError;
  if (errors > 0) process.stderr.write(`  ! ${server.name} ${phase}: ${errors} errors, first: ${firstError}\n`);
  return { result: r, latenciesMs: lat };
}

/** Sums the rounds of one phase on one server into one result (rates from the sums). */
function merge(parts: Measured[]): PhaseResult {
  const first = parts[0]!.result;
  const sum = (f: (r: PhaseResult) => number): number => parts.reduce((n, p) => n + f(p.result), 0);
  const ops = sum((r) => r.ops);
  const seconds = sum((r) => r.seconds);
  const cpu = sum((r) => r.serverCpuSeconds);
  const main = sum((r) => r.serverMainThreadCpuSeconds);
  const client = sum((r) => r.clientCpuSeconds);
  const all = new Float64Array(ops);
  let at = 0;
  for (const p of parts) {
    all.set(p.latenciesMs, at);
    at += p.latenciesMs.length;
  }
  const sorted = Array.from(all).sort((a, b) => a - b);
  const r: PhaseResult = {
    phase: first.phase,
    ops,
    seconds,
    opsPerSec: ops / seconds,
    serverCpuSeconds: cpu,
    serverMainThreadCpuSeconds: main,
    clientCpuSeconds: client,
    serverCpuUsPerOp: (cpu * 1e6) / ops,
    serverMainThreadUsPerOp: (main * 1e6) / ops,
    clientCpuUsPerOp: (client * 1e6) / ops,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    windowUs: [first.windowUs[0], parts[parts.length - 1]!.result.windowUs[1]],
    otherCores: sum((r) => r.otherCores * r.seconds) / seconds,
    errors: sum((r) => r.errors),
    rounds: parts.map((p) => ({ opsPerSec: p.result.opsPerSec, serverCpuUsPerOp: p.result.serverCpuUsPerOp, otherCores: p.result.otherCores })),
  };
  const firstError = parts.find((p) => p.result.firstError !== undefined)?.result.firstError;
  if (firstError !== undefined) r.firstError = firstError;
  if (parts.every((p) => p.result.keys !== undefined)) {
    r.keys = sum((x) => x.keys ?? 0);
    r.keysPerSec = r.keys / seconds;
  }
  return r;
}

const status = (...ok: number[]): Check => (res) => (ok.includes(res.status) ? null : `HTTP ${res.status} ${res.text.slice(0, 300)}`);

function bodyOf(size: number): Check {
  return (res) => {
    if (res.status !== 200) return `HTTP ${res.status} ${res.text.slice(0, 300)}`;
    return res.bytes === size ? null : `expected ${size} bytes, got ${res.bytes}`;
  };
}

// ---------------------------------------------------------------------------------------------------
// Workload

const BUCKET = 'bench';
const WARM_BUCKET = 'bench-warm';
const SMALL = Buffer.alloc(4096, 0x78);
const keyName = (i: number): string => `obj/${String(i).padStart(6, '0')}`;

interface ListPage {
  marker: string;
  expectKeys: number;
  truncated: boolean;
}

function listPages(objects: number): ListPage[] {
  const pages: ListPage[] = [];
  for (let start = 0; start < objects; start += 1000) {
    pages.push({ marker: start === 0 ? '' : keyName(start - 1), expectKeys: Math.min(1000, objects - start), truncated: start + 1000 < objects });
  }
  return pages;
}

function listRequest(bucket: string, marker: string): BenchRequest {
  const query: Array<[string, string]> = [['max-keys', '1000']];
  if (marker !== '') query.push(['marker', marker]);
  return { method: 'GET', bucket, key: null, query, collect: true };
}

const countKeys = (xml: string): number => xml.split('<Contents>').length - 1;

function checkListPage(page: ListPage): Check {
  return (res) => {
    if (res.status !== 200) return `HTTP ${res.status} ${res.text.slice(0, 300)}`;
    const n = countKeys(res.text);
    if (n !== page.expectKeys) return `LIST after "${page.marker}": expected ${page.expectKeys} keys, got ${n}`;
    if (res.text.includes('<IsTruncated>true</IsTruncated>') !== page.truncated) return `LIST after "${page.marker}": wrong IsTruncated`;
    return null;
  };
}

const ok: Check = () => null;

async function createBucket(target: Target, bucket: string): Promise<void> {
  const res = await target.send({ method: 'PUT', bucket, key: null, body: Buffer.alloc(0) });
  if (res.status !== 200) throw new Error(`create bucket ${bucket}: HTTP ${res.status} ${res.text}`);
}

/** A little of every request kind, so both servers' code is warm before anything is measured. */
async function warmUp(server: ServerProcess, target: Target, cfg: Config, isAlunite: boolean): Promise<void> {
  if (isAlunite) await createBucket(target, WARM_BUCKET);
  const n = cfg.warmup;
  const wkey = (i: number): string => `warm/${String(i).padStart(6, '0')}`;
  const check = isAlunite ? undefined : ok;
  await runPhase(server, target, 'warm PUT', n, cfg.concurrency, (i) => ({ method: 'PUT', bucket: WARM_BUCKET, key: wkey(i), body: SMALL }), check ?? status(200));
  await runPhase(server, target, 'warm GET', n, cfg.concurrency, (i) => ({ method: 'GET', bucket: WARM_BUCKET, key: wkey(i) }), check ?? bodyOf(4096));
  await runPhase(server, target, 'warm HEAD', n, cfg.concurrency, (i) => ({ method: 'HEAD', bucket: WARM_BUCKET, key: wkey(i) }), check ?? status(200));
  await runPhase(server, target, 'warm LIST', Math.max(4, n / 50), cfg.listConcurrency, () => listRequest(WARM_BUCKET, ''), check ?? status(200));
  await runPhase(server, target, 'warm DELETE', n, cfg.concurrency, (i) => ({ method: 'DELETE', bucket: WARM_BUCKET, key: wkey(i) }), check ?? status(204));
}

type SmallPhase = 'PUT' | 'GET' | 'HEAD' | 'LIST' | 'DELETE';
const SMALL_PHASES: SmallPhase[] = ['PUT', 'GET', 'HEAD', 'LIST', 'DELETE'];

interface SmallResults {
  PUT?: PhaseResult;
  GET?: PhaseResult;
  HEAD?: PhaseResult;
  LIST?: PhaseResult;
  DELETE?: PhaseResult;
  /** Alunite only: one client paging through the bucket following NextMarker. */
  listSequential?: { keys: number; requests: number; seconds: number; keysPerSec: number; serverCpuUsPerKey: number };
  populate?: PhaseResult;
}

/** A server under test in the small-object phases. */
interface Sut {
  server: ServerProcess;
  target: Target;
  isAlunite: boolean;
  /** Keeps what is PUT (Alunite, bare-fs): filled up to the LIST size, LIST pages checked. */
  stores: boolean;
  phases: SmallPhase[];
  results: SmallResults;
}

/** Start and length of round `r` of `rounds` over `total` requests. */
function chunk(total: number, rounds: number, r: number): [number, number] {
  const from = Math.floor((total * r) / rounds);
  return [from, Math.floor((total * (r + 1)) / rounds) - from];
}

/**
 * Runs the small-object phases on all servers. Each phase is split into rounds and the servers take
 * turns (in a rotating order), so a burst of other load on the machine hits all of them alike.
 */
async function smallOps(suts: Sut[], cfg: Config): Promise<void> {
  const c = cfg.concurrency;
  const n = cfg.ops;
  const pages = listPages(cfg.listObjects);
  const put = (i: number): BenchRequest => ({ method: 'PUT', bucket: BUCKET, key: keyName(i), body: SMALL });
  const objectsOf = (s: Sut): number => (s.stores && s.phases.includes('LIST') ? cfg.listObjects : n);
  const width = Math.max(...suts.map((s) => s.server.name.length));

  for (const s of suts) if (s.isAlunite) await createBucket(s.target, BUCKET);
  for (const phase of SMALL_PHASES) {
    const taking = suts.filter((s) => s.phases.includes(phase));
    if (taking.length === 0) continue;
    if (phase === 'GET') {
      // Unmeasured: fill each storing server's bucket up to the LIST size (PUT wrote keys 0..n-1).
      for (const s of taking) {
        const from = s.phases.includes('PUT') ? n : 0;
        const count = objectsOf(s) - from;
        if (!s.stores || count <= 0) continue;
        process.stdout.write(`  ${s.server.name.padEnd(width)} populating ${count} more objects (unmeasured)...\n`);
        s.results.populate = (await runPhase(s.server, s.target, 'populate', count, c, (i) => put(from + i), status(200))).result;
      }
    }
    const totalOf = (s: Sut): number => (phase !== 'LIST' ? n : s.stores ? pages.length * cfg.listPasses : Math.max(pages.length * cfg.listPasses, n));
    const parts = new Map<Sut, Measured[]>(taking.map((s) => [s, []]));
    for (let r = 0; r < cfg.rounds; r++) {
      const order = taking.map((_, k) => taking[(k + r) % taking.length]!);
      for (const s of order) {
        const [from, count] = chunk(totalOf(s), cfg.rounds, r);
        if (count === 0) continue;
        const objects = objectsOf(s);
        let m: Measured;
        switch (phase) {
          case 'PUT':
            m = await runPhase(s.server, s.target, phase, count, c, (i) => put(from + i), status(200));
            break;
          case 'GET':
            m = await runPhase(s.server, s.target, phase, count, c, (i) => ({ method: 'GET', bucket: BUCKET, key: keyName((from + i) % objects) }), bodyOf(4096));
            break;
          case 'HEAD':
            m = await runPhase(s.server, s.target, phase, count, c, (i) => ({ method: 'HEAD', bucket: BUCKET, key: keyName((from + i) % objects) }), status(200));
            break;
          case 'LIST': {
            const page = (i: number): ListPage => pages[(from + i) % pages.length]!;
            m = await runPhase(s.server, s.target, phase, count, cfg.listConcurrency, (i) => listRequest(BUCKET, page(i).marker), (res, i) =>
              s.stores ? checkListPage(page(i))(res, i) : status(200)(res, i),
            );
            if (s.stores) {
              let keys = 0;
              for (let i = 0; i < count; i++) keys += page(i).expectKeys;
              m.result.keys = keys;
            }
            break;
          }
          case 'DELETE':
            m = await runPhase(s.server, s.target, phase, count, c, (i) => ({ method: 'DELETE', bucket: BUCKET, key: keyName(from + i) }), status(204));
            break;
        }
        parts.get(s)!.push(m);
      }
    }
    for (const s of taking) {
      const r = merge(parts.get(s)!);
      s.results[phase] = r;
      const cpus = (r.rounds ?? []).map((x) => x.serverCpuUsPerOp);
      process.stdout.write(
        `  ${s.server.name.padEnd(width)} ${phase.padEnd(6)} ${fmt(r.opsPerSec, 0).padStart(7)} ops/s  ` +
          `${fmt(r.serverCpuUsPerOp, 0).padStart(6)} µs server CPU/op (main thread ${fmt(r.serverMainThreadUsPerOp, 0)}; rounds ${fmt(Math.min(...cpus), 0)}–${fmt(Math.max(...cpus), 0)})  ` +
          `p50 ${fmt(r.p50Ms, 2)} ms  others ${fmt(r.otherCores, 2)} cores${r.errors ? `  ERRORS ${r.errors}` : ''}\n`,
      );
      if (phase === 'LIST' && s.isAlunite) s.results.listSequential = await listSequential(s.server, s.target);
    }
  }
}

/** One client paging through the whole bucket, each request after the previous NextMarker. */
async function listSequential(server: ServerProcess, target: Target): Promise<SmallResults['listSequential']> {
  const cpu0 = cpuSeconds(server.pid);
  const t0 = process.hrtime.bigint();
  let marker = '';
  let keys = 0;
  let requests = 0;
  for (;;) {
    const res = await target.send(listRequest(BUCKET, marker));
    requests++;
    if (res.status !== 200) throw new Error(`LIST: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    keys += countKeys(res.text);
    const next = /<NextMarker>([^<]*)<\/NextMarker>/.exec(res.text);
    if (!res.text.includes('<IsTruncated>true</IsTruncated>') || !next) break;
    marker = next[1]!;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(server.pid) - cpu0;
  return { keys, requests, seconds, keysPerSec: keys / seconds, serverCpuUsPerKey: (cpu * 1e6) / keys };
}

// Big objects ----------------------------------------------------------------------------------------

const BIG_CHUNK = Buffer.alloc(MiB, 0x42);

function* bigBody(size: number): Generator<Buffer> {
  let left = size;
  while (left > 0) {
    const n = Math.min(left, BIG_CHUNK.length);
    left -= n;
    yield n === BIG_CHUNK.length ? BIG_CHUNK : BIG_CHUNK.subarray(0, n);
  }
}

interface BigResult {
  op: 'PUT' | 'GET' | 'MULTIPART';
  size: number;
  reps: number;
  seconds: number;
  mibPerSec: number;
  serverCpuMsPerMiB: number;
  /** The server's main thread (event loop) alone; the rest is worker and libuv threads. */
  mainCpuMsPerMiB: number;
  /**
   * This process's CPU (the client sending or receiving the bytes, and the kernel's loopback work charged to
   * it): on 2 shared cores, what is left to the server.
   */
  clientCpuMsPerMiB: number;
  /** Max over the reps of (max sampled VmRSS − VmRSS just before the transfer). */
  rssGrowth: number;
  rssBaseline: number;
  rssMax: number;
  errors: number;
  firstError?: string;
  /**
   * Bytes the server read from the disk during the transfer ÷ the bytes transferred (GET; null where the
   * kernel does not say): how much of the object the page cache no longer held, which bounds a GET by the
   * disk's speed while bare-fs answers from memory.
   */
  fromDisk: number | null;
}

/** A GET's share of bytes read from the disk (the rest came from the page cache); '' for PUTs. */
function fromDiskCell(r: BigResult): string {
  return r.fromDisk === null ? '' : `${fmt(r.fromDisk * 100, 0)}%`;
}

const FROM_DISK_NOTE =
  'from disk = bytes the server read from the block device during its GETs (/proc/PID/io read_bytes) ÷ bytes sent: ' +
  'what the page cache no longer held, read at the disk\'s speed (bare-fs answers from memory).';

/** What one large transfer (one rep) cost one server. */
interface BigRep {
  seconds: number;
  cpu: number;
  mainCpu: number;
  clientCpu: number;
  growth: number;
  baseline: number;
  max: number;
  /** Bytes read from the block device during it; null where the kernel does not say. */
  diskRead: number | null;
  problem: string | null;
}

async function bigRep(server: ServerProcess, target: Target, op: 'PUT' | 'GET', size: number, rep: number, objects: number): Promise<BigRep> {
  const key = `big/${size / MiB}MiB-${rep % objects}`;
  const req: BenchRequest =
    op === 'PUT'
      ? { method: 'PUT', bucket: BUCKET, key, body: () => Readable.from(bigBody(size), { objectMode: false }), bodyLength: size }
      : { method: 'GET', bucket: BUCKET, key };
  if (op === 'PUT') primePageCache(size);
  const sampler = new RssSampler(server.pid, 50);
  const cpu0 = cpuSeconds(server.pid);
  const main0 = mainThreadCpuSeconds(server.pid);
  const disk0 = diskReadBytes(server.pid);
  const client0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let problem: string | null;
  try {
    const res = await target.send(req);
    problem = op === 'PUT' ? status(200)(res, rep) : bodyOf(size)(res, rep);
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(server.pid) - cpu0;
  const mainCpu = mainThreadCpuSeconds(server.pid) - main0;
  const client = process.cpuUsage(client0);
  const disk1 = diskReadBytes(server.pid);
  const rss = sampler.stop();
  if (problem) process.stderr.write(`  ! ${server.name} ${op} ${size / MiB} MiB: ${problem}\n`);
  return {
    seconds, cpu, mainCpu, clientCpu: (client.user + client.system) / 1e6, growth: rss.growth, baseline: rss.baseline, max: rss.max,
    diskRead: disk0 === null || disk1 === null ? null : disk1 - disk0,
    problem,
  };
}

/** The reps of one transfer on one server as one result (MiB/s from the median rep), printed as a line. */
function bigSummary(server: ServerProcess, op: 'PUT' | 'GET' | 'MULTIPART', size: number, reps: BigRep[], label = `${op} ${String(size / MiB).padStart(3)} MiB`): BigResult {
  const worst = reps.reduce((a, b) => (b.growth >= a.growth ? b : a));
  const problems = reps.filter((r) => r.problem !== null);
  const mib = (size * reps.length) / MiB;
  const sum = (f: (r: BigRep) => number): number => reps.reduce((a, r) => a + f(r), 0);
  const diskRead = reps.some((r) => r.diskRead === null) ? null : sum((r) => r.diskRead!);
  const r: BigResult = {
    op,
    size,
    reps: reps.length,
    seconds: sum((x) => x.seconds),
    // The median rep: one stall of the shared machine (a few hundred ms) would otherwise decide a sum of 0.2 s.
    mibPerSec: size / MiB / median(reps.map((x) => x.seconds)),
    serverCpuMsPerMiB: (sum((x) => x.cpu) * 1000) / mib,
    mainCpuMsPerMiB: (sum((x) => x.mainCpu) * 1000) / mib,
    clientCpuMsPerMiB: (sum((x) => x.clientCpu) * 1000) / mib,
    rssGrowth: worst.growth,
    rssBaseline: worst.baseline,
    rssMax: worst.max,
    errors: problems.length,
    fromDisk: op === 'GET' && diskRead !== null ? diskRead / (size * reps.length) : null,
  };
  if (problems.length > 0) r.firstError = problems[0]!.problem!;
  process.stdout.write(
    `  ${server.name.padEnd(16)} ${label} ×${reps.length}  ${fmt(r.mibPerSec, 0).padStart(5)} MiB/s  ` +
      `${fmt(r.serverCpuMsPerMiB, 2)} ms CPU/MiB (main thread ${fmt(r.mainCpuMsPerMiB, 2)}), client ${fmt(r.clientCpuMsPerMiB, 2)}  RSS +${fmt(r.rssGrowth / MiB, 1)} MiB` +
      `${r.fromDisk === null ? '' : `  read from disk ${fmt(r.fromDisk * 100, 0)}%`}\n`,
  );
  return r;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The same large transfer on several servers, rep by rep in turns (the first server of a rep goes last in
 * the next), so a slow spell of the shared machine falls on all of them rather than deciding one ratio.
 */
async function bigAlternating(servers: Array<{ server: ServerProcess; target: Target }>, op: 'PUT' | 'GET', size: number, reps: number, objects: number): Promise<BigResult[]> {
  const done = await inTurns(servers.length, reps, (i, rep) => bigRep(servers[i]!.server, servers[i]!.target, op, size, rep, objects));
  return servers.map((s, i) => bigSummary(s.server, op, size, done[i]!));
}

/** `reps` runs of `one` on each of `count` servers, in turns, the first of a rep going last in the next. */
async function inTurns(count: number, reps: number, one: (server: number, rep: number) => Promise<BigRep>): Promise<BigRep[][]> {
  const done: BigRep[][] = Array.from({ length: count }, () => []);
  for (let rep = 0; rep < reps; rep++) {
    const order = Array.from({ length: count }, (_, i) => i);
    if (rep % 2 === 1) order.reverse();
    for (const i of order) done[i]!.push(await one(i, rep));
  }
  return done;
}

/** Each server's multipart uploads, in turns as bigAlternating; MiB/s from the median rep. */
async function multipartAlternating(servers: Array<{ server: ServerProcess; target: Target; isAlunite: boolean }>, m: Config['multipart']): Promise<BigResult[]> {
  const done = await inTurns(servers.length, m.reps, (i) => multipartRep(servers[i]!.server, servers[i]!.target, servers[i]!.isAlunite, m.size, m.partSize, m.parallel));
  return servers.map((s, i) => bigSummary(s.server, 'MULTIPART', m.size, done[i]!, `MULTIPART ${m.size / MiB} MiB (${m.partSize / MiB} MiB parts ×${m.parallel})`));
}

/**
 * One unmeasured 16 MiB PUT and GET: a server's first large body starts its hashing threads and compiles
 * that path, a one-time cost that would otherwise land on the first measured transfer.
 */
async function bigWarmUp(target: Target): Promise<void> {
  const size = 16 * MiB;
  const key = 'big/warm-up';
  const put = await target.send({ method: 'PUT', bucket: BUCKET, key, body: () => Readable.from(bigBody(size), { objectMode: false }), bodyLength: size });
  if (put.status !== 200) throw new Error(`large warm-up PUT: HTTP ${put.status} ${put.text.slice(0, 200)}`);
  const get = await target.send({ method: 'GET', bucket: BUCKET, key });
  if (get.status !== 200) throw new Error(`large warm-up GET: HTTP ${get.status}`);
}

interface BigSut {
  server: ServerProcess;
  target: Target;
  ops: Array<'PUT' | 'GET'>;
  isAlunite: boolean;
}

/** Each server's large transfers (in `suts`' order), the servers taking turns rep by rep; then each one's multipart upload. */
async function bigOps(suts: BigSut[], cfg: Config): Promise<BigResult[][]> {
  for (const s of suts) await bigWarmUp(s.target);
  const out: BigResult[][] = suts.map(() => []);
  for (const { size, reps, getReps } of cfg.big) {
    for (const op of ['PUT', 'GET'] as const) {
      const takers = suts.flatMap((s, i) => (s.ops.includes(op) ? [i] : []));
      const results = await bigAlternating(takers.map((i) => suts[i]!), op, size, op === 'GET' ? getReps : reps, reps);
      takers.forEach((i, j) => out[i]!.push(results[j]!));
    }
  }
  const uploaders = suts.flatMap((s, i) => (s.ops.includes('PUT') ? [i] : []));
  const multipart = await multipartAlternating(uploaders.map((i) => suts[i]!), cfg.multipart);
  uploaders.forEach((i, j) => out[i]!.push(multipart[j]!));
  return out;
}

/**
 * Multipart upload of `size` bytes in `partSize` parts, `parallel` parts in flight: Initiate, UploadPart×n,
 * Complete on Alunite; on the bare server (no multipart) the same parts as plain PUTs of one file each.
 */
async function multipartRep(server: ServerProcess, target: Target, isAlunite: boolean, size: number, partSize: number, parallel: number): Promise<BigRep> {
  const key = `big/multipart-${size / MiB}MiB`;
  primePageCache(size);
  const sampler = new RssSampler(server.pid, 50);
  const cpu0 = cpuSeconds(server.pid);
  const main0 = mainThreadCpuSeconds(server.pid);
  const client0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let problem: string | null = null;
  try {
    let uploadId = '';
    if (isAlunite) {
      const init = await target.send({ method: 'POST', bucket: BUCKET, key, query: [['uploads', '']], body: Buffer.alloc(0), collect: true });
      uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)?.[1] ?? '';
      if (init.status !== 200 || uploadId === '') throw new Error(`initiate: HTTP ${init.status} ${init.text.slice(0, 200)}`);
    }
    const parts = Math.ceil(size / partSize);
    const etags: string[] = new Array<string>(parts);
    let next = 0;
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < parts) {
        const n = next++;
        const len = Math.min(partSize, size - n * partSize);
        const req: BenchRequest = isAlunite
          ? { method: 'PUT', bucket: BUCKET, key, query: [['partNumber', String(n + 1)], ['uploadId', uploadId]], body: () => Readable.from(bigBody(len), { objectMode: false }), bodyLength: len }
          : { method: 'PUT', bucket: BUCKET, key: `${key}-part${n + 1}`, body: () => Readable.from(bigBody(len), { objectMode: false }), bodyLength: len };
        const res = await target.send(req);
        if (res.status !== 200) throw new Error(`part ${n + 1}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
        etags[n] = String(res.headers.etag ?? '');
      }
    }));
    if (isAlunite) {
      const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
      const done = await target.send({ method: 'POST', bucket: BUCKET, key, query: [['uploadId', uploadId]], body: Buffer.from(xml), collect: true });
      if (done.status !== 200) throw new Error(`complete: HTTP ${done.status} ${done.text.slice(0, 200)}`);
    }
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(server.pid) - cpu0;
  const mainCpu = mainThreadCpuSeconds(server.pid) - main0;
  const client = process.cpuUsage(client0);
  const rss = sampler.stop();
  if (problem !== null) process.stderr.write(`  ! ${server.name} multipart: ${problem}\n`);
  return { seconds, cpu, mainCpu, clientCpu: (client.user + client.system) / 1e6, growth: rss.growth, baseline: rss.baseline, max: rss.max, diskRead: null, problem };
}

// ---------------------------------------------------------------------------------------------------
// Servers

const CREDS: Credentials = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const ACCOUNT_ID = '1234567890123456';

function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_') && !k.startsWith('NODE_OPTIONS')) env[k] = v;
  env.ALUNITE_ROOT_ACCESS_KEY_ID = CREDS.accessKeyId;
  env.ALUNITE_ROOT_ACCESS_KEY_SECRET = CREDS.accessKeySecret;
  env.ALUNITE_ACCOUNT_ID = ACCOUNT_ID;
  return env;
}

interface Scratch {
  dir: string;
  sub(name: string): string;
}

/** --server-node-flags: set once from the configuration, before any server starts. */
let serverNodeFlags: string[] = [];

/** With --meta: each Alunite server of the main phases gets its own fresh schema. */
let pgMeta: BenchPostgres | null = null;

async function startAlunite(name: string, scratch: Scratch, extra: string[] = [], nodeFlags: string[] = [], root = ROOT): Promise<ServerProcess> {
  const data = scratch.sub(name);
  const meta = pgMeta && !extra.includes('--meta') ? ['--meta', await pgMeta.freshUrl()] : [];
  const args = [...serverNodeFlags, ...nodeFlags, join(root, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', data, '--log-level', 'warn', ...meta, ...extra];
  return startProcess(name, args, serverEnv(), ROOT);
}

function startBare(name: string, scratch: Scratch, mode: 'null' | 'file' | 'file-dirsync'): Promise<ServerProcess> {
  const args = [join(ROOT, 'dist', 'bench', 'bare-server.js'), '--port', '0', '--mode', mode];
  if (mode !== 'null') args.push('--data', scratch.sub(name));
  return startProcess(name, args, serverEnv(), ROOT);
}

async function withServer<T>(start: Promise<ServerProcess>, cfg: Config, fn: (s: ServerProcess, t: Target) => Promise<T>): Promise<T> {
  const server = await start;
  const target = new Target(server.url, CREDS, cfg.concurrency);
  try {
    return await fn(server, target);
  } finally {
    target.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Profiling (--profile): the server under node --cpu-prof, one process per operation

async function profileOp(cfg: Config, scratch: Scratch, op: 'GET' | 'PUT' | 'DELETE'): Promise<ProfileSummary & { phase: PhaseResult }> {
  const dir = scratch.sub(`profile-${op}`);
  const name = `prof-${op}`;
  const phase = await withServer(startAlunite(name, scratch, [], ['--cpu-prof', `--cpu-prof-dir=${dir}`]), cfg, async (server, target) => {
    await warmUp(server, target, cfg, true);
    await createBucket(target, BUCKET);
    const n = cfg.profileOps;
    const objects = Math.min(n, 1000);
    const put = (i: number): BenchRequest => ({ method: 'PUT', bucket: BUCKET, key: keyName(i), body: SMALL });
    if (op === 'GET') await runPhase(server, target, 'populate', objects, cfg.concurrency, put, status(200));
    if (op === 'DELETE') await runPhase(server, target, 'populate', n, cfg.concurrency, put, status(200));
    const { result: r } =
      op === 'PUT'
        ? await runPhase(server, target, 'PUT', n, cfg.concurrency, put, status(200))
        : op === 'DELETE'
          ? await runPhase(server, target, 'DELETE', n, cfg.concurrency, (i) => ({ method: 'DELETE', bucket: BUCKET, key: keyName(i) }), status(204))
          : await runPhase(server, target, 'GET', n * 2, cfg.concurrency, (i) => ({ method: 'GET', bucket: BUCKET, key: keyName(i % objects) }), bodyOf(4096));
    process.stdout.write(`  profiled ${op}: ${fmt(r.opsPerSec, 0)} ops/s, ${fmt(r.serverCpuUsPerOp, 0)} µs server CPU/op (under the profiler)\n`);
    return r;
  });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const keep = join(ROOT, 'bench-results', `server-${op.toLowerCase()}.cpuprofile`);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  copyFileSync(join(dir, file), keep);
  return { ...summarizeProfile(keep, 20, phase.windowUs), phase };
}

// ---------------------------------------------------------------------------------------------------
// Output

function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Columns listed in `left` are left-aligned, the others (numbers) right-aligned. */
function table(head: string[], rows: string[][], left: number[] = [0]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function gitInfo(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

interface Target_ {
  target: string;
  measured: string;
  value: number | null;
  limit: number;
  met: boolean | null;
  note?: string;
}

function tgt(target: string, measured: string, value: number | undefined, limit: number, atMost: boolean, note?: string): Target_ {
  const t: Target_ = { target, measured, value: value ?? null, limit, met: value === undefined ? null : atMost ? value <= limit : value >= limit };
  if (note) t.note = note;
  return t;
}

function targetsTable(targets: Target_[]): string {
  return table(['target', 'measured', 'status', 'note'], targets.map((t) => [t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED', t.note ?? '']), [0, 2, 3]);
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  if (cfg.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (cfg.ignored.length > 0) throw new Error(`unknown argument(s): ${cfg.ignored.join(' ')} (--help lists the options)`);
  serverNodeFlags = cfg.serverNodeFlags;
  // This process receives every large download: without room above its (large, after the small phases) heap,
  // V8 collects it every few MiB of received Buffers, and whichever server is measured then looks slow.
  widenHeapHeadroom();
  const started = Date.now();
  const scratchDir = mkdtempSync(join(tmpdir(), 'alunite-bench-'));
  const scratch: Scratch = {
    dir: scratchDir,
    sub(name) {
      const d = join(scratchDir, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
  };
  setPrimeDir(cfg.prime ? scratchDir : null);
  const nodeVersion = process.version;
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  process.stdout.write(
    `Alunite benchmark${cfg.quick ? ' (--quick)' : ''}: node ${nodeVersion}, ${availableParallelism()} CPUs (${cpuModel}), ` +
      `concurrency ${cfg.concurrency}, ${cfg.ops} ops per small phase, CLK_TCK ${clockTicks()}\n` +
      `scratch ${scratchDir}${cfg.prime ? '' : ' (--no-prime: large PUTs may write into memory the host reclaimed)'}\n`,
  );
  if (cfg.scaleOnly && cfg.meta === undefined) throw new Error('--scale-only needs --meta (postgres or a postgres:// URL)');
  if (cfg.meta !== undefined) {
    pgMeta = await benchPostgres(cfg.meta);
    process.stdout.write(`metadata: ${pgMeta.label}\n`);
  } else {
    process.stdout.write('metadata: SQLite (one file per server)\n');
  }
  /** Phase [5/5]: 1, 2 and 3 processes, each group on its own schema and blob directory. */
  const runScaling = async (): Promise<ScaleResult[]> => {
    process.stdout.write(`\n[5/5] several processes on one PostgreSQL: aggregate 4 KiB PUT/GET, ${cfg.scaleOps} requests per phase and group, ` +
      `${cfg.concurrency} in flight, round-robin over the group's processes\n`);
    const urls = new Map<number, string>();
    for (const n of [1, 2, 3]) urls.set(n, await pgMeta!.freshUrl());
    const env = { ...serverEnv(), ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') };
    return scaling({
      start: (n, i) => startProcess(`scale${n}-p${i}`, [join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0',
        '--data', scratch.sub(`scale${n}-p${i}`), '--log-level', 'warn', '--meta', urls.get(n)!, '--blobs', scratch.sub(`scale${n}-blobs`)], env, ROOT),
      creds: CREDS,
      ops: cfg.scaleOps,
      rounds: cfg.rounds,
      concurrency: cfg.concurrency,
      log: (line) => process.stdout.write(`${line}\n`),
      ...(pgMeta!.cpuSeconds ? { postgresCpuSeconds: pgMeta!.cpuSeconds } : {}),
    });
  };

  try {
    if (cfg.scaleOnly) {
      const scale = await runScaling();
      process.stdout.write(`\n${scalingReport(scale).join('\n')}\n`);
      mkdirSync(join(cfg.out, '..'), { recursive: true });
      writeFileSync(cfg.out, `${JSON.stringify({ version: 1, date: new Date().toISOString(), git: gitInfo(), environment: { node: nodeVersion, cpus: availableParallelism(), cpuModel },
        config: { ...cfg, out: undefined }, meta: pgMeta!.label, scaling: scale }, null, 2)}\n`);
      return;
    }
    if (cfg.profileOnly) {
      process.stdout.write('\n[profile] alunite under node --cpu-prof\n');
      const profiles: Profiles = { GET: await profileOp(cfg, scratch, 'GET'), PUT: await profileOp(cfg, scratch, 'PUT'), DELETE: await profileOp(cfg, scratch, 'DELETE') };
      process.stdout.write(`${profileReport(profiles).join('\n')}\n\nprofiles in bench-results/server-{get,put,delete}.cpuprofile (open in Chrome DevTools)\n`);
      return;
    }
    if (cfg.bigOnly) {
      await bigOnly(cfg, scratch);
      return;
    }
    if (cfg.ramOnly) {
      await ramOnly(cfg, scratch);
      return;
    }
    // All servers run side by side (idle ones cost nothing) so that the measured phases can alternate.
    process.stdout.write('\nstarting servers: bare node:http (no storage; and writing one file per object, without and with a\n' +
      'directory fsync), alunite durable (the reported configuration)' + (cfg.noFsync ? ', alunite --no-fsync' : '') + '\n');
    const servers: ServerProcess[] = [];
    const targets: Target[] = [];
    try {
      const start = async (p: Promise<ServerProcess>): Promise<{ server: ServerProcess; target: Target }> => {
        const server = await p;
        servers.push(server);
        const target = new Target(server.url, CREDS, cfg.concurrency);
        targets.push(target);
        return { server, target };
      };
      const bare = await start(startBare('bare', scratch, 'null'));
      const bareFile = await start(startBare('bare-file', scratch, 'file'));
      const bareFileDirSync = await start(startBare('bare-file-dirsync', scratch, 'file-dirsync'));
      // --callback-allow-host: the upload-callback phase calls a loopback receiver in this process (bench/callback.ts).
      const ours = await start(startAlunite('alunite', scratch, ['--callback-allow-host', '127.0.0.1']));
      const nofs = cfg.noFsync ? await start(startAlunite('alunite-nofsync', scratch, ['--no-fsync'])) : null;
      const cmp = cfg.compare !== undefined ? await start(startAlunite('alunite-compare', scratch, [], [], cfg.compare)) : null;
      const suts: Sut[] = [
        { ...bare, isAlunite: false, stores: false, phases: SMALL_PHASES, results: {} },
        { ...bareFile, isAlunite: false, stores: true, phases: SMALL_PHASES, results: {} },
        { ...bareFileDirSync, isAlunite: false, stores: true, phases: ['PUT', 'DELETE'], results: {} },
        { ...ours, isAlunite: true, stores: true, phases: SMALL_PHASES, results: {} },
      ];
      if (nofs) suts.push({ ...nofs, isAlunite: true, stores: true, phases: ['PUT', 'GET', 'DELETE'], results: {} });
      const cmpSut: Sut | null = cmp ? { ...cmp, isAlunite: true, stores: true, phases: SMALL_PHASES, results: {} } : null;
      if (cmpSut) suts.push(cmpSut);

      process.stdout.write(`\n[1/4] warm-up (${cfg.warmup} requests of each kind per server)\n`);
      for (const s of suts) await warmUp(s.server, s.target, cfg, s.isAlunite);

      process.stdout.write(`\n[2/4] small objects: ${cfg.ops} requests per phase and server, in ${cfg.rounds} alternating rounds\n`);
      await smallOps(suts, cfg);
      const hwmSmall = vmBytes(ours.server.pid, 'VmHWM');
      const rssSmall = vmBytes(ours.server.pid, 'VmRSS');

      const big = !cfg.smallOnly;
      if (big) process.stdout.write('\n[3/4] large objects, one at a time\n');
      const bigSuts: BigSut[] = [
        { ...bare, ops: ['PUT', 'GET'], isAlunite: false },
        { ...bareFile, ops: ['PUT', 'GET'], isAlunite: false },
        { ...ours, ops: ['PUT', 'GET'], isAlunite: true },
        ...(nofs ? [{ ...nofs, ops: ['PUT' as const], isAlunite: true }] : []),
      ];
      const [bareBig = [], bareFileBig = [], ourBig = [], noFsyncBig = []] = big ? await bigOps(bigSuts, cfg) : [];
      const hwmEnd = vmBytes(ours.server.pid, 'VmHWM');

      if (big) process.stdout.write('\n[4/4] RAM and STS: GET as root, as a RAM user with 10 policies × 10 statements, and with STS credentials; AssumeRole; evaluator\n');
      const ramResult = big ? await ramOps(ours.server, ours.target, cfg, bare) : null;
      if (big) {
        process.stdout.write('\n[4+] versioning: 4 KiB PUT/GET on a versioned vs an unversioned bucket; listing keys × 10 versions (bench/versioning.ts)\n');
        const versioning = await versioningBench(ours.target, {
          ops: cfg.ops, rounds: cfg.rounds, concurrency: cfg.concurrency, listKeys: cfg.quick ? 2000 : 10_000, versionsPerKey: 10,
        }, (line) => process.stdout.write(`${line}\n`));
        mkdirSync(join(cfg.out, '..'), { recursive: true });
        writeFileSync(cfg.out.replace(/\.json$/, '') + '.versioning.json', `${JSON.stringify(versioning, null, 2)}\n`);
        process.stdout.write('\n[4+] upload callbacks: 4 KiB PUT without and with a loopback callback (bench/callback.ts)\n');
        const receiver = await startCallbackReceiver();
        try {
          const callbacks = await callbackBench(ours.target, { ops: cfg.ops, rounds: cfg.rounds, concurrency: cfg.concurrency, callbackUrl: receiver.url },
            (line) => process.stdout.write(`${line}\n`));
          writeFileSync(cfg.out.replace(/\.json$/, '') + '.callback.json', `${JSON.stringify(callbacks, null, 2)}\n`);
        } finally {
          await receiver.close();
        }
      }
      if (big) {
        // Image processing (issue 13): a 1 MP JPEG resized to 200 px wide, through the server and with sharp alone.
        process.stdout.write('\n[4+] image processing: x-oss-process=image/resize,w_200 of a 1 MP JPEG vs sharp alone (bench/image.ts)\n');
        const image = await imageBench(ours.target, { seconds: cfg.quick ? 3 : 10, concurrency: 2, serverPid: ours.server.pid }, (line) => process.stdout.write(`${line}\n`));
        writeFileSync(cfg.out.replace(/\.json$/, '') + '.image.json', `${JSON.stringify(image, null, 2)}\n`);
      }
      const scale = pgMeta && big ? await runScaling() : null;

      // Measurements done: stop these servers (profiling, if asked for, starts its own).
      const results = {
        bare: { small: suts[0]!.results, big: bareBig },
        bareFile: suts[1]!.results,
        bareFileBig,
        bareFileDirSync: suts[2]!.results,
        ours: { small: suts[3]!.results, big: ourBig, hwmSmall, rssSmall, hwmEnd },
        noFsync: nofs ? suts[4]!.results : null,
        compare: cmpSut ? cmpSut.results : null,
        noFsyncBig,
        ram: ramResult,
        scaling: scale,
        meta: pgMeta?.label ?? 'SQLite',
      };
      for (const t of targets.splice(0)) t.close();
      for (const s of servers.splice(0)) await s.stop();

      let profiles: Profiles | null = null;
      if (cfg.profile) {
        process.stdout.write('\n[profile] alunite under node --cpu-prof\n');
        profiles = { GET: await profileOp(cfg, scratch, 'GET'), PUT: await profileOp(cfg, scratch, 'PUT'), DELETE: await profileOp(cfg, scratch, 'DELETE') };
      }

      report(cfg, { ...results, profiles, started, nodeVersion, cpuModel });
    } finally {
      for (const t of targets) t.close();
      for (const s of servers) await s.stop();
    }
  } finally {
    await pgMeta?.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

function scalingReport(rows: ScaleResult[]): string[] {
  const one = (op: string): number | undefined => rows.find((r) => r.op === op && r.processes === 1)?.opsPerSec;
  return [
    '== Several processes on one PostgreSQL database and one blob directory (4 KiB, aggregate, client round-robin) ==',
    table(['processes', 'op', 'ops/s', '× 1 process', 'p50 ms', 'p99 ms', 'alunite µs CPU/op', 'alunite cores', 'postgres cores', 'client cores', 'machine busy cores'],
      rows.map((r) => [String(r.processes), r.op, fmt(r.opsPerSec, 0), `${fmt(r.opsPerSec / (one(r.op) ?? NaN), 2)}×`, fmt(r.p50Ms, 2), fmt(r.p99Ms, 2),
        fmt(r.aluniteCpuUsPerOp, 0), fmt(r.aluniteCores, 2), r.postgresCores === null ? '?' : fmt(r.postgresCores, 2), fmt(r.clientCores, 2), fmt(r.hostBusyCores, 2)]), [0, 1]),
    `  machine busy = all processes (Alunite, PostgreSQL, this client, anything else: other load on the machine is the rest) over ${availableParallelism()} CPUs.`,
  ];
}

/** `--ram-only`: bare node:http and one durable Alunite server, warmed up as in the full run, then phase [4/4] alone. */
async function ramOnly(cfg: Config, scratch: Scratch): Promise<void> {
  process.stdout.write('\nstarting servers: bare node:http (no storage), alunite durable\n');
  const bare = await startBare('bare', scratch, 'null');
  const bareTarget = new Target(bare.url, CREDS, cfg.concurrency);
  const server = await startAlunite('alunite', scratch, []);
  const target = new Target(server.url, CREDS, cfg.concurrency);
  try {
    process.stdout.write(`\n[1/4] warm-up (${cfg.warmup} requests of each kind per server)\n`);
    await warmUp(bare, bareTarget, cfg, false);
    await warmUp(server, target, cfg, true);
    process.stdout.write('\n[4/4] RAM and STS: GET as root, as a RAM user with 10 policies × 10 statements, and with STS credentials; AssumeRole; evaluator\n');
    const ram = await ramOps(server, target, cfg, { server: bare, target: bareTarget });
    process.stdout.write(`\n${ramTable(ram).join('\n')}\n\n== Targets (reported, never enforced) ==\n${targetsTable(ramTargets(cfg, ram))}\n`);
  } finally {
    bareTarget.close();
    target.close();
    await bare.stop();
    await server.stop();
  }
}

/** This file's header comment, as the usage text. */
function usage(): string {
  const src = readFileSync(join(ROOT, 'bench', 'run.ts'), 'utf8');
  const m = /^\/\*\*\n([\s\S]*?)\n \*\//.exec(src);
  return m === null ? 'see bench/run.ts' : m[1]!.split('\n').map((l) => l.replace(/^ \* ?/, '')).join('\n');
}

/** `--big-only`: large-object transfers on bare-fs and Alunite (durable), alternating per workload. */
async function bigOnly(cfg: Config, scratch: Scratch): Promise<void> {
  process.stdout.write('\n[big] large objects, one at a time: bare-fs (write+fsync+rename; GET from memory) and alunite durable\n');
  const bare = await startBare('bare-file', scratch, 'file');
  const ours = await startAlunite('alunite', scratch);
  const bt = new Target(bare.url, CREDS, cfg.concurrency);
  const ot = new Target(ours.url, CREDS, cfg.concurrency);
  const rows: string[][] = [];
  try {
    await createBucket(ot, BUCKET);
    await bigWarmUp(bt);
    await bigWarmUp(ot);
    const row = (a: BigResult, b: BigResult, label: string): void => {
      rows.push([label, fmt(a.mibPerSec, 0), fmt(a.serverCpuMsPerMiB, 2), fmt(a.rssGrowth / MiB, 1), fromDiskCell(a), fmt(b.mibPerSec, 0), fmt(b.serverCpuMsPerMiB, 2), `${fmt(a.mibPerSec / b.mibPerSec, 2)}×`, a.errors || b.errors ? 'errors' : 'ok']);
    };
    for (const { size, reps, getReps } of cfg.big) {
      for (const op of ['PUT', 'GET'] as const) {
        const [b, a] = await bigAlternating([{ server: bare, target: bt }, { server: ours, target: ot }], op, size, op === 'GET' ? getReps : reps, reps);
        row(a!, b!, `${op} ${size / MiB} MiB`);
      }
    }
    const m = cfg.multipart;
    const [b, a] = await multipartAlternating([{ server: bare, target: bt, isAlunite: false }, { server: ours, target: ot, isAlunite: true }], m);
    row(a!, b!, `MULTIPART ${m.size / MiB} MiB (${m.partSize / MiB} MiB ×${m.parallel})`);
  } finally {
    bt.close();
    ot.close();
    await bare.stop();
    await ours.stop();
  }
  process.stdout.write(`\n${table(['transfer', 'MiB/s', 'srv ms/MiB', 'RSS +MiB', 'from disk', 'bare-fs MiB/s', 'bare-fs ms/MiB', '× bare-fs', 'check'], rows)}\n`);
  process.stdout.write(`  ${FROM_DISK_NOTE}\n`);
}

type Profiles = Record<string, ProfileSummary & { phase: PhaseResult }>;

interface AssumeBounds {
  serverMainUs: number;
  /** 1e6 ÷ serverMainUs: the calls/s the server's event loop allows when it has a core to itself. */
  serverBoundPerSecond: number;
  clientCpuUs: number;
  otherCores: number;
}

interface AssumeRate extends AssumeBounds {
  perSecond: number;
  serverCpuUs: number;
}

interface RamResults {
  root: PhaseResult;
  user: PhaseResult;
  sts: PhaseResult;
  /** GET 4 KiB against bare node:http (answering from memory) in the same rounds: what node's HTTP alone costs. */
  bare: PhaseResult | null;
  /** STS-credential ops/s ÷ the same user's AccessKey ops/s. */
  stsOpsRatio: number;
  assumeRolePerSecond: number;
  /** Server CPU µs per AssumeRole with pop-core callers. */
  assumeRoleServerCpuUs: number;
  /** The same calls, the first `calls` of the server and of pop-core (JIT still compiling): not the target's measure. */
  assumeRoleColdPerSecond: number;
  assumeRoleColdServerCpuUs: number;
  /** The same calls sent by the lean caller (bench/rpc-client.ts). */
  assumeRoleLeanPerSecond: number;
  assumeRoleLeanServerCpuUs: number;
  /**
   * What bounded each warm pass, beside its calls/s: the server's main thread (the event loop, where the calls run one
   * at a time) per call and the rate it alone allows (1 s ÷ that), the caller's CPU per call (on the same cores) and the
   * cores everything else on the machine used meanwhile (docs/performance.md, 7 Dec 2026 second pass).
   */
  assumeRoleBounds: { pop: AssumeBounds; lean: AssumeBounds };
  /** user ops/s ÷ root ops/s. */
  opsRatio: number;
  /** user CPU/op ÷ root CPU/op. */
  cpuRatio: number;
  decisionsPerSecond: number;
}

function boundsOf(r: AssumeRate): AssumeBounds {
  return { serverMainUs: r.serverMainUs, serverBoundPerSecond: r.serverBoundPerSecond, clientCpuUs: r.clientCpuUs, otherCores: r.otherCores };
}

/** The STS target's note: what bounded the pass (server loop, caller, other load), so a low rate can be read. */
function assumeNote(b: AssumeBounds): string {
  return `server main thread ${fmt(b.serverMainUs, 0)} µs/call (≤ ${fmt(b.serverBoundPerSecond, 0)}/s on a free core); caller ${fmt(b.clientCpuUs, 0)} µs CPU/call; other processes ${fmt(b.otherCores, 2)} cores`;
}

/**
 * GET 4 KiB as root and as a RAM user, alternating rounds on the same server; then the evaluator alone. With
 * `floor`, a bare node:http server's GETs take their turn in the same rounds (the floor under the ≤ 80 µs target).
 */
async function ramOps(server: ServerProcess, rootTarget: Target, cfg: Config, floor?: { server: ServerProcess; target: Target }): Promise<RamResults> {
  const bucket = 'bench-ram';
  await createBucket(rootTarget, bucket);
  const objects = 200;
  await runPhase(server, rootTarget, 'ram populate', objects, cfg.concurrency, (i) => ({ method: 'PUT', bucket, key: keyName(i), body: SMALL }), status(200));
  const keys = await setUpRamUser(server.url, CREDS, bucket);
  const userTarget = new Target(server.url, keys, cfg.concurrency);
  try {
    const get = (i: number): BenchRequest => ({ method: 'GET', bucket, key: keyName(i % objects) });
    // 2,000 warm-up requests for the user's and the session's paths (root's is warm from the small phases):
    // with 500, the session's own code was still being compiled in the first measured round.
    await runPhase(server, userTarget, 'ram warm', 2000, cfg.concurrency, get, bodyOf(4096));
    const assume = await setUpRole(server.url, CREDS, keys, ACCOUNT_ID);
    // AssumeRole calls/s: `concurrency` callers in parallel for a bounded number of calls, first with
    // pop-core (what an app server uses), then with the lean caller (what the server sustains when the
    // caller on the same 2 cores is cheap); server CPU per call for both. Each caller is measured after a
    // warm-up of as many calls, as every other phase is: the first calls of a process run while V8 is
    // still compiling the path (in server and caller both), which halved the rate. That first pass is
    // reported too ("cold").
    const calls = cfg.quick ? 400 : 2000;
    const assumeRate = async (call: (session: string) => Promise<unknown>, tag: string): Promise<AssumeRate> => {
      const cpu0 = cpuSeconds(server.pid);
      const main0 = mainThreadCpuSeconds(server.pid);
      const client0 = process.cpuUsage();
      const host0 = hostBusySeconds();
      const t0 = process.hrtime.bigint();
      const perSecond = await rate(calls, cfg.concurrency, (i) => call(`${tag}${i}`));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const serverCpu = cpuSeconds(server.pid) - cpu0;
      const serverMainUs = ((mainThreadCpuSeconds(server.pid) - main0) * 1e6) / calls;
      const client = process.cpuUsage(client0);
      const clientCpu = (client.user + client.system) / 1e6;
      return {
        perSecond,
        serverCpuUs: (serverCpu * 1e6) / calls,
        serverMainUs,
        serverBoundPerSecond: serverMainUs > 0 ? 1e6 / serverMainUs : 0,
        clientCpuUs: (clientCpu * 1e6) / calls,
        otherCores: Math.max(0, (hostBusySeconds() - host0 - serverCpu - clientCpu) / seconds),
      };
    };
    const popCold = await assumeRate(assume, 'c');
    const pop = await assumeRate(assume, 's');
    const leanCaller = leanAssumer(server.url, keys, ACCOUNT_ID, cfg.concurrency);
    let lean: AssumeRate;
    try {
      await assumeRate(leanCaller.assume, 'w'); // warm-up of the lean caller's path
      lean = await assumeRate(leanCaller.assume, 'l');
    } finally {
      leanCaller.close();
    }
    const assumeRolePerSecond = pop.perSecond;
    const stsTarget = new Target(server.url, await assume('bench'), cfg.concurrency);
    try {
      await runPhase(server, stsTarget, 'sts warm', 2000, cfg.concurrency, get, bodyOf(4096));
      const root: Measured[] = [];
      const user: Measured[] = [];
      const sts: Measured[] = [];
      const bare: Measured[] = [];
      for (let r = 0; r < cfg.rounds; r++) {
        const [, count] = chunk(cfg.ops, cfg.rounds, r);
        if (floor) bare.push(await runPhase(floor.server, floor.target, 'GET bare node:http', count, cfg.concurrency, get, ok));
        root.push(await runPhase(server, rootTarget, 'GET root', count, cfg.concurrency, get, bodyOf(4096)));
        user.push(await runPhase(server, userTarget, 'GET RAM user', count, cfg.concurrency, get, bodyOf(4096)));
        sts.push(await runPhase(server, stsTarget, 'GET STS session', count, cfg.concurrency, get, bodyOf(4096)));
      }
      const rootRes = merge(root);
      const userRes = merge(user);
      const stsRes = merge(sts);
      const { decisionsPerSecond } = await benchPolicy();
      return {
        root: rootRes,
        user: userRes,
        sts: stsRes,
        bare: floor ? merge(bare) : null,
        opsRatio: userRes.opsPerSec / rootRes.opsPerSec,
        cpuRatio: userRes.serverCpuUsPerOp / rootRes.serverCpuUsPerOp,
        stsOpsRatio: stsRes.opsPerSec / userRes.opsPerSec,
        assumeRolePerSecond,
        assumeRoleServerCpuUs: pop.serverCpuUs,
        assumeRoleColdPerSecond: popCold.perSecond,
        assumeRoleColdServerCpuUs: popCold.serverCpuUs,
        assumeRoleLeanPerSecond: lean.perSecond,
        assumeRoleLeanServerCpuUs: lean.serverCpuUs,
        assumeRoleBounds: { pop: boundsOf(pop), lean: boundsOf(lean) },
        decisionsPerSecond,
      };
    } finally {
      stsTarget.close();
    }
  } finally {
    userTarget.close();
  }
}

function profileReport(profiles: Profiles): string[] {
  const out: string[] = [];
  for (const [op, p] of Object.entries(profiles)) {
    out.push('');
    out.push(
      `== Server profile, 4 KiB ${op} phase only (node --cpu-prof, main thread, wall-clock samples: ${fmt(p.busyMs, 0)} ms busy of ${fmt(p.totalMs, 0)} ms; ` +
        `${fmt(p.phase.serverCpuUsPerOp, 0)} µs CPU/op under the profiler) ==`,
    );
    const areas = Object.entries(p.byArea)
      .filter(([k]) => k !== 'idle')
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => `${k} ${fmt((100 * v) / p.busyMs, 0)}%`)
      .join(', ');
    out.push(`  by area: ${areas}`);
    out.push(table(['self %', 'self ms', 'function', 'where'], p.top.map((e) => [fmt(e.selfPct, 1), fmt(e.selfMs, 0), e.name, e.where]), [2, 3]));
  }
  return out;
}

interface AllResults {
  bare: { small: SmallResults; big: BigResult[] };
  bareFile: SmallResults;
  /** Big objects on the bare server writing files (GET answers from memory): the issue's "bare-fs". */
  bareFileBig: BigResult[];
  bareFileDirSync: SmallResults;
  ours: { small: SmallResults; big: BigResult[]; hwmSmall: number; rssSmall: number; hwmEnd: number };
  noFsync: SmallResults | null;
  /** --compare: the other build's Alunite. */
  compare: SmallResults | null;
  noFsyncBig: BigResult[];
  /** null with --small-only. */
  ram: RamResults | null;
  scaling: ScaleResult[] | null;
  meta: string;
  profiles: Profiles | null;
  started: number;
  nodeVersion: string;
  cpuModel: string;
}

/** The RAM phase's targets (report() and --ram-only). */
function ramTargets(cfg: Config, ram: RamResults): Target_[] {
  return [
    tgt('GET as RAM user (10×10 policies) ≥ 0.9× root GET (ops/s)', `${fmt(ram.opsRatio, 2)}×`, ram.opsRatio, 0.9, false,
      `CPU ${fmt(ram.user.serverCpuUsPerOp, 0)} vs ${fmt(ram.root.serverCpuUsPerOp, 0)} µs/op (${fmt(ram.cpuRatio, 2)}× root CPU)`),
    tgt('GET with STS credentials ≥ 0.9× the same user\'s AccessKey GET (ops/s)', `${fmt(ram.stsOpsRatio, 2)}×`, ram.stsOpsRatio, 0.9, false,
      `CPU ${fmt(ram.sts.serverCpuUsPerOp, 0)} vs ${fmt(ram.user.serverCpuUsPerOp, 0)} µs/op`),
    tgt('AssumeRole ≥ 2,000 calls/s (pop-core callers)', `${fmt(ram.assumeRolePerSecond, 0)}/s`, ram.assumeRolePerSecond, 2000, false,
      `${cfg.concurrency} pop-core callers in parallel; ${fmt(ram.assumeRoleServerCpuUs, 0)} µs server CPU/call; first calls (cold) ${fmt(ram.assumeRoleColdPerSecond, 0)}/s, ${fmt(ram.assumeRoleColdServerCpuUs, 0)} µs; ${assumeNote(ram.assumeRoleBounds.pop)}`),
    tgt('AssumeRole ≥ 2,000 calls/s (lean caller)', `${fmt(ram.assumeRoleLeanPerSecond, 0)}/s`, ram.assumeRoleLeanPerSecond, 2000, false,
      `${cfg.concurrency} lean callers (bench/rpc-client.ts); ${fmt(ram.assumeRoleLeanServerCpuUs, 0)} µs server CPU/call; ${assumeNote(ram.assumeRoleBounds.lean)}`),
    tgt('GET 4 KiB as RAM user (10×10 policies) ≤ 80 µs server CPU', `${fmt(ram.user.serverCpuUsPerOp, 0)} µs`, ram.user.serverCpuUsPerOp, 80, true,
      ram.bare === null ? undefined : `bare node:http ${fmt(ram.bare.serverCpuUsPerOp, 0)} µs/GET in the same rounds`),
    tgt('policy evaluator ≥ 1,000,000 decisions/s', `${fmt(ram.decisionsPerSecond, 0)}/s`, ram.decisionsPerSecond, 1_000_000, false),
  ];
}

/** The RAM phase's table (report() and --ram-only). */
function ramTable(ram: RamResults): string[] {
  return [
    `== RAM (same server; root and RAM-user rounds alternate${ram.bare ? ', bare node:http taking its turn in each round' : ''}) ==`,
    table(['phase', 'ops/s', 'srv µs/op', 'p50 ms', 'p99 ms'], [...(ram.bare ? [ram.bare] : []), ram.root, ram.user, ram.sts].map((r) => [r.phase, fmt(r.opsPerSec, 0), fmt(r.serverCpuUsPerOp, 0), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2)])),
    `  STS session / RAM user: ${fmt(ram.stsOpsRatio, 2)}× ops/s; AssumeRole ${fmt(ram.assumeRolePerSecond, 0)} calls/s (pop-core), ${fmt(ram.assumeRoleLeanPerSecond, 0)} calls/s (lean caller)`,
    `  RAM user / root: ${fmt(ram.opsRatio, 2)}× ops/s, ${fmt(ram.cpuRatio, 2)}× server CPU per request; evaluator ${fmt(ram.decisionsPerSecond, 0)} decisions/s`,
  ];
}

function report(cfg: Config, all: AllResults): void {
  const { bare, bareFile, bareFileBig, bareFileDirSync, ours, noFsync, noFsyncBig, profiles } = all;
  const o = ours.small;
  const b = bare.small;
  const phases: SmallPhase[] = ['PUT', 'GET', 'HEAD', 'DELETE', 'LIST'];
  const ratio = (a: number | undefined, c: number | undefined): number | undefined => (a === undefined || c === undefined || c === 0 ? undefined : a / c);
  const ratios: Record<string, { opsPerSec?: number; cpuPerOp?: number }> = {};
  const range = (r: PhaseResult | undefined): string => {
    const v = (r?.rounds ?? []).map((x) => x.serverCpuUsPerOp);
    return v.length > 1 ? `${fmt(Math.min(...v), 0)}–${fmt(Math.max(...v), 0)}` : '';
  };
  /** Per-round ratios of CPU/op (round r of both ran back to back): their spread says how far to trust the ratio. */
  const roundRatios = (x: PhaseResult | undefined, y: PhaseResult | undefined): number[] => {
    const xs = x?.rounds ?? [];
    const ys = y?.rounds ?? [];
    return xs.length === ys.length ? xs.map((r, i) => r.serverCpuUsPerOp / ys[i]!.serverCpuUsPerOp).filter(Number.isFinite) : [];
  };
  const row = (label: string, x: PhaseResult | undefined, y: PhaseResult | undefined): string[] => [
    label,
    fmt(x?.ops, 0),
    fmt(x?.opsPerSec, 0),
    fmt(x?.serverCpuUsPerOp, 0),
    range(x),
    fmt(x?.serverMainThreadUsPerOp, 0),
    fmt(x?.clientCpuUsPerOp, 0),
    fmt(x?.p50Ms, 2),
    fmt(x?.p99Ms, 2),
    fmt(y?.opsPerSec, 0),
    fmt(y?.serverCpuUsPerOp, 0),
    `${fmt(ratio(x?.opsPerSec, y?.opsPerSec), 2)}×`,
    `${fmt(ratio(x?.serverCpuUsPerOp, y?.serverCpuUsPerOp), 2)}×`,
  ];
  const rows: string[][] = [];
  for (const p of phases) {
    const x = o[p];
    const y = b[p];
    ratios[p] = { opsPerSec: ratio(x?.opsPerSec, y?.opsPerSec), cpuPerOp: ratio(x?.serverCpuUsPerOp, y?.serverCpuUsPerOp) };
    rows.push(row(p === 'LIST' ? 'LIST (requests)' : `${p} 4 KiB`, x, y));
  }
  const bf = bareFile.PUT;
  const bfd = bareFileDirSync.PUT;
  rows.push(row('PUT vs 1 file/obj', o.PUT, bf));
  rows.push(row('PUT vs 1 file + dir fsync', o.PUT, bfd));
  for (const p of ['GET', 'HEAD', 'DELETE', 'LIST'] as const) rows.push(row(`${p === 'LIST' ? 'LIST' : `${p} 4 KiB`} vs bare-fs`, o[p], bareFile[p]));
  rows.push(row('DELETE vs unlink + dir fsync', o.DELETE, bareFileDirSync.DELETE));
  if (noFsync) {
    for (const p of ['PUT', 'GET', 'DELETE'] as const) rows.push(row(`${p} 4 KiB --no-fsync`, noFsync[p], b[p]));
    rows.push(row('PUT --no-fsync vs 1 file', noFsync.PUT, bf));
  }
  if (all.compare) {
    const c = all.compare;
    for (const p of ['PUT', 'GET', 'HEAD', 'DELETE', 'LIST'] as const) rows.push(row(`${p === 'LIST' ? 'LIST' : `${p} 4 KiB`} compare vs bare-fs`, c[p], p === 'PUT' ? bf : bareFile[p]));
  }

  const out: string[] = [];
  out.push('');
  out.push(`metadata: ${all.meta}`);
  out.push(`== Small objects: alunite (durable) vs bare node:http, concurrency ${cfg.concurrency}, same V1-signed requests ==`);
  out.push(
    table(
      ['phase', 'ops', 'ops/s', 'srv µs/op', 'rounds', 'main µs', 'cli µs/op', 'p50 ms', 'p99 ms', 'bare ops/s', 'bare µs/op', 'ops/s ratio', 'CPU ratio'],
      rows,
    ),
  );
  out.push('  srv µs/op = server process user+sys CPU per request (/proc/<pid>/stat), all threads; rounds = its min–max over the');
  out.push(`  ${cfg.rounds} alternating rounds; main µs = part on the event-loop thread; cli µs/op = this client process; ratios = alunite ÷ bare.`);
  out.push('  "PUT vs 1 file/obj": the bare server writing each PUT body to its own file (write, fsync, rename) — the baseline');
  out.push('  of the PUT target; "+ dir fsync" also fsyncs the directory after the rename. bare columns there = that server.');
  out.push('  "vs bare-fs": that server (bare-fs) reading the file (GET), stat-ing it (HEAD), unlinking it (DELETE), listing the');
  out.push('  directory with a stat per key (LIST). Its unlink is not synced: "DELETE vs unlink + dir fsync" compares with');
  out.push('  the same server fsyncing the directory after each unlink, a delete as durable as ours (the target stays vs bare-fs).');
  if (o.LIST?.keysPerSec !== undefined) {
    const seq = o.listSequential;
    out.push(
      `  LIST: ${fmt(o.LIST.keysPerSec, 0)} keys/s over ${cfg.listObjects.toLocaleString('en-US')} objects (max-keys 1000, ${cfg.listPasses} passes, ` +
        `${cfg.listConcurrency} in flight), ${fmt((o.LIST.serverCpuUsPerOp ?? 0) / 1000, 2)} µs server CPU/key` +
        (seq ? `; one client following NextMarker: ${fmt(seq.keysPerSec, 0)} keys/s (${seq.requests} pages).` : '.'),
    );
    if (all.compare?.LIST?.keysPerSec !== undefined) {
      out.push(`  compare build LIST: ${fmt(all.compare.LIST.keysPerSec, 0)} keys/s, ${fmt((all.compare.LIST.serverCpuUsPerOp ?? 0) / 1000, 2)} µs server CPU/key.`);
    }
    if (bareFile.LIST?.keysPerSec !== undefined) {
      out.push(`  bare-fs LIST: ${fmt(bareFile.LIST.keysPerSec, 0)} keys/s, ${fmt((bareFile.LIST.serverCpuUsPerOp ?? 0) / 1000, 2)} µs server CPU/key ` +
        `(alunite ${fmt(ratio(o.LIST.keysPerSec, bareFile.LIST.keysPerSec), 2)}×).`);
    }
  }
  const others = Object.values(o).filter((r): r is PhaseResult => typeof r === 'object' && r !== null && 'otherCores' in r && r.phase !== 'populate');
  if (others.length > 0) {
    const worst = Math.max(...others.map((r) => r.otherCores));
    out.push(`  Other processes on this machine used up to ${fmt(worst, 2)} cores during the Alunite phases (of ${availableParallelism()}): expect noise.`);
  }

  if (ours.big.length > 0) {
  out.push('');
  out.push('== Large objects (one request at a time, body streamed from a generator) ==');
  const bigRows: string[][] = [];
  for (const r of [...ours.big, ...noFsyncBig]) {
    const ref = bare.big.find((x) => x.op === r.op && x.size === r.size);
    const fs = bareFileBig.find((x) => x.op === r.op && x.size === r.size);
    bigRows.push([
      `${r.op} ${r.size / MiB} MiB${noFsyncBig.includes(r) ? ' --no-fsync' : ''}`,
      String(r.reps),
      fmt(r.mibPerSec, 0),
      fmt(r.serverCpuMsPerMiB, 2),
      fmt(r.rssGrowth / MiB, 1),
      fromDiskCell(r),
      fmt(ref?.mibPerSec, 0),
      fmt(ref?.serverCpuMsPerMiB, 2),
      fmt(fs?.mibPerSec, 0),
      fmt(fs?.serverCpuMsPerMiB, 2),
      `${fmt(r.mibPerSec / (fs?.mibPerSec ?? NaN), 2)}×`,
      r.errors ? `${r.errors} errors` : 'ok',
    ]);
  }
  out.push(table(['transfer', 'reps', 'MiB/s', 'srv ms/MiB', 'RSS +MiB', 'from disk', 'bare MiB/s', 'bare ms/MiB', 'bare-fs MiB/s', 'bare-fs ms/MiB', '× bare-fs', 'check'], bigRows));
  out.push('  bare-fs = the bare server writing each PUT to its own file (fsync, rename) and answering GET from memory; targets: PUT ≥ 0.8×, GET ≥ 0.9×, MULTIPART ≥ 0.8×.');
  out.push('  MiB/s = the median rep (srv ms/MiB: all reps; GETs read the objects of the PUT reps in turn, so with more GET reps than PUT reps most find theirs cached as bare-fs always does); RSS +MiB = max VmRSS sampled every 50 ms during the transfer minus VmRSS just before it (worst rep).');
  out.push(`  ${FROM_DISK_NOTE}`);
  out.push(
    `  alunite server memory: VmHWM ${fmt(ours.hwmSmall / MiB, 0)} MiB after the small-object phases (VmRSS ${fmt(ours.rssSmall / MiB, 0)} MiB), ` +
      `${fmt(ours.hwmEnd / MiB, 0)} MiB at the end.`,
  );
  }

  // Targets
  const biggest = Math.max(...cfg.big.map((x) => x.size));
  const bigGrowth = Math.max(0, ...ours.big.filter((r) => r.size === biggest).map((r) => r.rssGrowth));
  const putVsFile = ratio(o.PUT?.serverCpuUsPerOp, bf?.serverCpuUsPerOp);
  const putRounds = roundRatios(o.PUT, bf);
  const vsFs = (p: SmallPhase, keys = false): number | undefined =>
    keys ? ratio(o[p]?.keysPerSec, bareFile[p]?.keysPerSec) : ratio(o[p]?.opsPerSec, bareFile[p]?.opsPerSec);
  const vsFsNote = (p: SmallPhase): string => `${fmt(o[p]?.opsPerSec, 0)} vs ${fmt(bareFile[p]?.opsPerSec, 0)} ops/s; ${fmt(o[p]?.serverCpuUsPerOp, 0)} vs ${fmt(bareFile[p]?.serverCpuUsPerOp, 0)} µs/op`;
  const ram = all.ram;
  const targets: Target_[] = [
    tgt('PUT 4 KiB (durable) ≥ 1.0× bare-fs ops/s', `${fmt(vsFs('PUT'), 2)}×`, vsFs('PUT'), 1.0, false, vsFsNote('PUT')),
    tgt('DELETE 4 KiB ≥ 0.8× bare-fs ops/s', `${fmt(vsFs('DELETE'), 2)}×`, vsFs('DELETE'), 0.8, false, vsFsNote('DELETE')),
    tgt('LIST (1000-key pages) ≥ 1.0× bare-fs keys/s', `${fmt(vsFs('LIST', true), 2)}×`, vsFs('LIST', true), 1.0, false,
      `${fmt(o.LIST?.keysPerSec, 0)} vs ${fmt(bareFile.LIST?.keysPerSec, 0)} keys/s`),
    tgt('GET 4 KiB server CPU ≤ 100 µs/request (V1-signed)', `${fmt(o.GET?.serverCpuUsPerOp, 0)} µs`, o.GET?.serverCpuUsPerOp, 100, true),
    tgt('PUT 4 KiB (durable) CPU ≤ 1.2× one-file-per-object', `${fmt(putVsFile, 2)}×`, putVsFile, 1.2, true,
      `${fmt(o.PUT?.serverCpuUsPerOp, 0)} vs ${fmt(bf?.serverCpuUsPerOp, 0)} µs/op` +
        (putRounds.length > 1 ? `; per round ${fmt(Math.min(...putRounds), 2)}–${fmt(Math.max(...putRounds), 2)}×` : '') +
        `; vs file + dir fsync ${fmt(ratio(o.PUT?.serverCpuUsPerOp, bfd?.serverCpuUsPerOp), 2)}×`),
    tgt(`LIST ≥ 100,000 keys/s (${cfg.listObjects.toLocaleString('en-US')} objects)`, `${fmt(o.LIST?.keysPerSec, 0)} keys/s`, o.LIST?.keysPerSec, 100_000, false),
    tgt('DELETE ≥ 5,000 ops/s', `${fmt(o.DELETE?.opsPerSec, 0)} ops/s`, o.DELETE?.opsPerSec, 5000, false),
  ];
  if (ram) targets.push(...ramTargets(cfg, ram));
  if (ours.big.length > 0) {
    targets.push(tgt(`server RSS growth < 64 MiB while a ${biggest / MiB} MiB object streams`, `+${fmt(bigGrowth / MiB, 1)} MiB`, bigGrowth / MiB, 64, true,
      biggest < 256 * MiB ? 'target is stated for 256 MiB; this run used a smaller object' : 'max of PUT and GET'));
  }
  out.push('');
  out.push('== Targets (reported, never enforced) ==');
  out.push(targetsTable(targets));

  if (ram) out.push('', ...ramTable(ram));

  if (all.scaling) out.push('', ...scalingReport(all.scaling));
  if (profiles) out.push(...profileReport(profiles));

  const totalErrors = [...Object.values(o), ...Object.values(b)].reduce((n, r) => n + ((r as PhaseResult | undefined)?.errors ?? 0), 0);
  if (totalErrors > 0) out.push(`\nWARNING: ${totalErrors} request(s) failed; see stderr and the JSON for the first error of each phase.`);
  const seconds = (Date.now() - all.started) / 1000;
  out.push('');
  out.push(`finished in ${fmt(seconds, 0)} s; JSON in ${cfg.out}`);
  process.stdout.write(`${out.join('\n')}\n`);

  const json = {
    version: 1,
    date: new Date().toISOString(),
    durationSeconds: seconds,
    git: gitInfo(),
    environment: { node: all.nodeVersion, cpus: availableParallelism(), cpuModel: all.cpuModel, clkTck: clockTicks(), platform: process.platform },
    config: { ...cfg, out: undefined },
    alunite: { durable: true, small: o, big: ours.big, memory: { vmHwmAfterSmall: ours.hwmSmall, vmRssAfterSmall: ours.rssSmall, vmHwmEnd: ours.hwmEnd } },
    bare: { small: b, big: bare.big },
    bareFileWrite: bareFile,
    bareFileWriteDirSync: bareFileDirSync,
    aluniteNoFsync: noFsync === null ? null : { small: noFsync, big: noFsyncBig },
    aluniteCompare: all.compare === null ? null : { root: cfg.compare, small: all.compare },
    ratios: { ourOverBare: ratios, putCpuOverOneFilePerObject: putVsFile ?? null, putCpuOverOneFilePerObjectWithDirSync: ratio(o.PUT?.serverCpuUsPerOp, bfd?.serverCpuUsPerOp) ?? null, deleteOpsOverDurableUnlink: ratio(o.DELETE?.opsPerSec, bareFileDirSync.DELETE?.opsPerSec) ?? null },
    ram: all.ram,
    meta: all.meta,
    scaling: all.scaling,
    targets,
    profiles,
  };
  mkdirSync(join(cfg.out, '..'), { recursive: true });
  writeFileSync(cfg.out, `${JSON.stringify(json, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
