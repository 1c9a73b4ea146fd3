/**
 * Instruction counts per operation, for before/after comparisons on a busy machine where wall-clock
 * and even CPU-time numbers drift: the server runs under `valgrind --tool=callgrind`; after a warm-up
 * its counters are zeroed (callgrind_control -z), N operations run, and the dump's total Ir ÷ N is
 * the server's instructions per operation (all threads: JIT, GC and libuv's pool included).
 *
 *   node dist/bench/icount.js get [--n 2000] [--warmup 3000] [--root DIR]   4 KiB GET, V1, root
 *   node dist/bench/icount.js get --bare                                     the same against bare node:http
 *   node dist/bench/icount.js get --ram                                      the same as a RAM user with 10 policies × 10 statements
 *   node dist/bench/icount.js get --sts                                      the same with that user's AssumeRole credentials
 *   node dist/bench/icount.js put [--n 2000] [--warmup 3000]                 4 KiB PUT (durable), V1, root, new keys
 *   node dist/bench/icount.js delete [--n 2000] [--warmup 3000]              DELETE of existing 4 KiB objects
 *   node dist/bench/icount.js list [--n 40] [--warmup 60]                    LIST pages of 1000 keys (of 3000 objects)
 *   node dist/bench/icount.js assume [--n 300] [--warmup 600] [--root DIR]  AssumeRole via pop-core, 8 in flight
 *   node dist/bench/icount.js assume --lean                                  the same via the lean caller (bench/rpc-client.ts)
 *   node dist/bench/icount.js oidc [--n 300] [--warmup 300] [--root DIR]    AssumeRoleWithOIDC (RS256, cached JWKS), 8 in flight
 *
 * --root runs another checkout's build (e.g. a worktree of an older commit) with this client.
 * --node-flags "F …" node flags for the server. With --perf-basic-prof and --keep FILE, the server's JIT map is kept
 *   as FILE.map: `node dist/bench/icount-names.js FILE-01 FILE.map` names the JIT code a dump shows as `???:0x…`.
 * --keep FILE keeps the measured dump, one file per thread (FILE-01 the main thread; `callgrind_annotate FILE-01`:
 *   native functions by instructions; JIT code is unnamed); for `get`, the idle measurement's go to FILE.idle-NN.
 * Each line gives instructionsPerOp (all threads, as before) and mainThreadInstructionsPerOp (the event loop
 * alone: the steadier figure, see measure()).
 * Needs valgrind; slow (~50× native), so the counts are kept modest.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Target, type BenchRequest } from './client.js';
import { leanAssumer, setUpRamUser, setUpRole } from './ram.js';
import { nodeFlagsOf } from './proc.js';

const HERE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CREDS = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const ACCOUNT_ID = '1234567890123456';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

interface Valgrinded {
  url: string;
  pid: number;
  outDir: string;
  stop(): Promise<void>;
}

/** `--bare`: bench/bare-server.js (node:http alone, GET answers 4 KiB from memory) instead of Alunite. */
const BARE = process.argv.includes('--bare');
/** --keep FILE: the measured callgrind dump is kept there. */
const KEEP = arg('--keep', '');
/** `get --ram`: the GETs are made by a RAM user with 10 attached policies of 10 statements (bench/ram.ts). */
const RAM = process.argv.includes('--ram');
/** `get --sts`: the GETs are made with that user's AssumeRole credentials (SecurityToken in every signature). */
const STS = process.argv.includes('--sts');
/** `assume --lean`: the calls are sent by bench/rpc-client.ts instead of pop-core (what the callers' requests cost apart). */
const LEAN = process.argv.includes('--lean');

async function startServer(root: string, extra: string[]): Promise<Valgrinded> {
  const dir = mkdtempSync(join(tmpdir(), 'alunite-icount-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_') && !k.startsWith('NODE_OPTIONS')) env[k] = v;
  env.ALUNITE_ROOT_ACCESS_KEY_ID = CREDS.accessKeyId;
  env.ALUNITE_ROOT_ACCESS_KEY_SECRET = CREDS.accessKeySecret;
  env.ALUNITE_ACCOUNT_ID = ACCOUNT_ID;
  const args = [
    '--tool=callgrind',
    `--callgrind-out-file=${join(dir, 'cg.out')}`,
    '--separate-threads=yes',
    process.execPath,
    ...nodeFlagsOf(arg('--node-flags', '')),
    ...(BARE
      ? [join(root, 'dist', 'bench', 'bare-server.js'), '--port', '0', '--mode', 'null']
      : [join(root, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'data'), '--log-level', 'warn', ...extra]),
  ];
  const child = spawn('valgrind', args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const out = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr.slice(-2000)}`)));
    out.on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return {
    url,
    pid: child.pid!,
    outDir: dir,
    async stop() {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      // --perf-basic-prof: the server's JIT map (/tmp/perf-<pid>.map; valgrind runs node in its own pid) kept beside the dump.
      const map = `/tmp/perf-${child.pid}.map`;
      if (KEEP !== '' && existsSync(map)) copyFileSync(map, `${KEEP}.map`);
    },
  };
}

/** The instructions of one dump: all threads, and the main thread (the event loop) alone. */
interface Counted {
  total: number;
  main: number;
}

/**
 * Zeroes the counters, runs `work`, dumps, and returns the dump's instructions. Threads are counted apart
 * (`--separate-threads=yes`: one file per thread, `cg.out.<dump>-<thread>`, thread 01 the main one): V8's
 * concurrent TurboFan jobs still run during the measured requests after a few thousand warm-up requests
 * (a third of all instructions in one run), and how many fall inside the window moves the total by ±15 %
 * between runs of the same build; the main thread's count is the requests' own work.
 */
async function measure(s: Valgrinded, work: () => Promise<void>, keep = KEEP): Promise<Counted> {
  execFileSync('callgrind_control', ['-z', String(s.pid)], { stdio: 'ignore' });
  await work();
  execFileSync('callgrind_control', ['-d', String(s.pid)], { stdio: 'ignore' });
  const dumps = readdirSync(s.outDir).map((f) => /^cg\.out\.(\d+)-(\d+)$/.exec(f)).filter((m) => m !== null);
  const last = Math.max(...dumps.map((m) => Number(m[1])));
  let total = 0;
  let main = 0;
  for (const m of dumps) {
    if (Number(m[1]) !== last) continue;
    const text = readFileSync(join(s.outDir, m[0]), 'utf8');
    if (keep !== '') writeFileSync(`${keep}-${m[2]}`, text);
    const t = /^(?:summary|totals): (\d+)/m.exec(text);
    if (!t) throw new Error(`no totals in callgrind dump ${m[0]}`);
    total += Number(t[1]);
    if (Number(m[2]) === 1) main = Number(t[1]);
  }
  return { total, main };
}

async function runMany(n: number, concurrency: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await one(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function get(root: string): Promise<void> {
  const n = Number(arg('--n', '2000'));
  const warmup = Number(arg('--warmup', '3000'));
  const s = await startServer(root, []);
  const t = new Target(s.url, CREDS, 8);
  try {
    const body = Buffer.alloc(4096, 7);
    const send = async (r: BenchRequest, want: number): Promise<void> => {
      const res = await t.send(r);
      if (res.status !== want) throw new Error(`${r.method} → ${res.status} ${res.text}`);
    };
    await send({ method: 'PUT', bucket: 'icount', key: null }, 200);
    for (let i = 0; i < 100; i++) await send({ method: 'PUT', bucket: 'icount', key: `k${i}`, body }, 200);
    const userKeys = RAM || STS ? await setUpRamUser(s.url, CREDS, 'icount') : null;
    // --sts: the user's AssumeRole credentials (the bench's role: 5 of the user's policies, no session policy).
    const reader = userKeys === null ? t : new Target(s.url, STS ? await (await setUpRole(s.url, CREDS, userKeys, ACCOUNT_ID))('icount') : userKeys, 8);
    const getOne = async (i: number): Promise<void> => {
      const r: BenchRequest = { method: 'GET', bucket: 'icount', key: `k${i % 100}` };
      const res = await reader.send(r);
      if (res.status !== 200) throw new Error(`GET → ${res.status} ${res.text}`);
    };
    await runMany(warmup, 8, getOne);
    const t0 = Date.now();
    const ir = await measure(s, () => runMany(n, 8, getOne));
    const seconds = (Date.now() - t0) / 1000;
    // Timers (metrics' event-loop monitor, …) run by wall clock, which valgrind stretches ~50×: measure
    // the idle rate so their share can be told apart from the requests' own work.
    const idleCounted = await measure(s, () => new Promise((r) => setTimeout(r, 3000)), KEEP === '' ? '' : `${KEEP}.idle`);
    const idle = idleCounted.total / 3;
    const idleMain = idleCounted.main / 3;
    if (reader !== t) reader.close();
    console.log(JSON.stringify({ op: BARE ? 'GET 4KiB bare node:http' : STS ? 'GET 4KiB V1 STS session of the RAM user' : RAM ? 'GET 4KiB V1 RAM user, 10 policies' : 'GET 4KiB V1 root', root, n, instructionsPerOp: Math.round(ir.total / n), mainThreadInstructionsPerOp: Math.round(ir.main / n), idleInstructionsPerSecond: Math.round(idle), idleShareOfPerOp: Math.round((idle * seconds) / n), seconds: Math.round(seconds), idleMainThreadShareOfPerOp: Math.round((idleMain * seconds) / n) }));
  } finally {
    t.close();
    await s.stop();
  }
}

/** PUT, DELETE and LIST as root: `prepare` sends unmeasured requests first, `one(i)` is the measured request. */
async function small(root: string, op: 'put' | 'delete' | 'list'): Promise<void> {
  const list = op === 'list';
  const n = Number(arg('--n', list ? '40' : '2000'));
  const warmup = Number(arg('--warmup', list ? '60' : '3000'));
  const s = await startServer(root, []);
  const t = new Target(s.url, CREDS, 8);
  try {
    const body = Buffer.alloc(4096, 7);
    const send = async (r: BenchRequest, want: number): Promise<void> => {
      const res = await t.send(r);
      if (res.status !== want) throw new Error(`${r.method} → ${res.status} ${res.text}`);
    };
    const put = (i: number): Promise<void> => send({ method: 'PUT', bucket: 'icount', key: `obj/${String(i).padStart(6, '0')}`, body }, 200);
    await send({ method: 'PUT', bucket: 'icount', key: null }, 200);
    const objects = list ? 3000 : warmup + n;
    if (op !== 'put') await runMany(objects, 8, put);
    const pages = ['', 'obj/000999', 'obj/001999'];
    const one = op === 'put'
      ? put
      : op === 'delete'
        ? (i: number) => send({ method: 'DELETE', bucket: 'icount', key: `obj/${String(i).padStart(6, '0')}` }, 204)
        : async (i: number) => {
          const marker = pages[i % pages.length]!;
          const q: Array<[string, string]> = [['max-keys', '1000']];
          if (marker !== '') q.push(['marker', marker]);
          const res = await t.send({ method: 'GET', bucket: 'icount', key: null, query: q, collect: true });
          if (res.status !== 200 || res.text.split('<Contents>').length !== 1001) throw new Error(`LIST → ${res.status} ${res.text.slice(0, 300)}`);
        };
    await runMany(warmup, list ? 4 : 8, one);
    const ir = await measure(s, () => runMany(n, list ? 4 : 8, (i) => one(warmup + i)));
    console.log(JSON.stringify({ op: list ? 'LIST 1000 keys V1 root' : `${op.toUpperCase()} 4KiB V1 root`, root, n, instructionsPerOp: Math.round(ir.total / n), mainThreadInstructionsPerOp: Math.round(ir.main / n), ...(list ? { instructionsPerKey: Math.round(ir.total / n / 1000) } : {}) }));
  } finally {
    t.close();
    await s.stop();
  }
}

async function assume(root: string): Promise<void> {
  const n = Number(arg('--n', '300'));
  const warmup = Number(arg('--warmup', '600'));
  const s = await startServer(root, []);
  try {
    const user = await setUpRamUser(s.url, CREDS, 'icount');
    const popCall = await setUpRole(s.url, CREDS, user, ACCOUNT_ID);
    const leanCaller = LEAN ? leanAssumer(s.url, user, ACCOUNT_ID, 8) : null;
    const call = leanCaller ? leanCaller.assume : popCall;
    const one = async (i: number): Promise<void> => {
      await call(`s${i}`);
    };
    await runMany(warmup, 8, one);
    const ir = await measure(s, () => runMany(n, 8, one));
    leanCaller?.close();
    console.log(JSON.stringify({ op: `AssumeRole ${LEAN ? 'lean' : 'pop-core'} x8`, root, n, instructionsPerOp: Math.round(ir.total / n), mainThreadInstructionsPerOp: Math.round(ir.main / n) }));
  } finally {
    await s.stop();
  }
}

/** bench/oidc.ts's workload: a local HTTPS issuer, a pinned provider, a role trusting it with an `oidc:sub` condition. */
async function oidc(root: string): Promise<void> {
  const n = Number(arg('--n', '300'));
  const warmup = Number(arg('--warmup', '300'));
  const { createHash, X509Certificate } = await import('node:crypto');
  const { createServer } = await import('node:https');
  const { exportJWK, generateKeyPair, SignJWT } = await import('jose');
  const RPCClient = (await import('@alicloud/pop-core')).default;
  const certFile = join(HERE_ROOT, 'test', 'fixtures', 'tls', 'cert.pem');
  const cert = readFileSync(certFile, 'utf8');
  const fingerprint = createHash('sha1').update(new X509Certificate(cert).raw).digest('hex');
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
  let issuerUrl = '';
  const issuer = createServer({ key: readFileSync(join(HERE_ROOT, 'test', 'fixtures', 'tls', 'key.pem'), 'utf8'), cert }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/jwks' ? { keys: [jwk] } : { issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks` }));
  });
  await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
  issuerUrl = `https://127.0.0.1:${(issuer.address() as { port: number }).port}`;
  const s = await startServer(root, ['--oidc-ca', certFile]);
  try {
    const pop = (version: string) => new RPCClient({ ...CREDS, endpoint: s.url, apiVersion: version });
    await pop('2019-08-15').request('CreateOIDCProvider', { OIDCProviderName: 'bench', IssuerUrl: issuerUrl, ClientIds: 'bench-client', Fingerprints: fingerprint }, { method: 'POST' });
    await pop('2015-05-01').request('CreateRole', {
      RoleName: 'BenchOidc',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Federated: [`acs:ram::${ACCOUNT_ID}:oidc-provider/bench`] }, Condition: { StringLike: { 'oidc:sub': 'repo:bench/*' } } }] }),
    }, { method: 'POST' });
    const now = Math.floor(Date.now() / 1000);
    const tokens = await Promise.all(Array.from({ length: 64 }, (_, i) =>
      new SignJWT({ iss: issuerUrl, sub: `repo:bench/app${i}:ref:refs/heads/main`, aud: 'bench-client', iat: now, exp: now + 3600 })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' }).sign(privateKey)));
    const query = `${s.url}/?Action=AssumeRoleWithOIDC&Version=2015-04-01&Format=JSON`;
    const one = async (i: number): Promise<void> => {
      const body = new URLSearchParams({
        OIDCProviderArn: `acs:ram::${ACCOUNT_ID}:oidc-provider/bench`, RoleArn: `acs:ram::${ACCOUNT_ID}:role/BenchOidc`, OIDCToken: tokens[i % tokens.length]!, RoleSessionName: `s${i}`,
      });
      const res = await fetch(query, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`AssumeRoleWithOIDC answered ${res.status}: ${text}`);
    };
    await runMany(warmup, 8, one);
    const ir = await measure(s, () => runMany(n, 8, one));
    console.log(JSON.stringify({ op: 'AssumeRoleWithOIDC x8 (cached JWKS)', root, n, instructionsPerOp: Math.round(ir.total / n), mainThreadInstructionsPerOp: Math.round(ir.main / n) }));
  } finally {
    await s.stop();
    issuer.close();
  }
}

const mode = process.argv[2];
const root = arg('--root', HERE_ROOT);
if (mode === 'get') await get(root);
else if (mode === 'assume') await assume(root);
else if (mode === 'oidc') await oidc(root);
else if (mode === 'put' || mode === 'delete' || mode === 'list') await small(root, mode);
else throw new Error('usage: icount.js get|put|delete|list|assume|oidc [--n N] [--warmup N] [--root DIR]');
