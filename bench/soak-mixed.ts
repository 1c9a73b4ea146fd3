/**
 * Mixed-traffic soak and resource-leak watch: one server child process (SQLite, durable), `--minutes` of
 * mixed traffic from `--concurrency` workers, and every `--sample` seconds its VmRSS, threads, open file
 * descriptors, `tmp/` files, blob files, database + WAL size and the `/-/metrics` exposition's size.
 *
 * The traffic: AssumeRole with a distinct session policy each time and a few requests with those
 * credentials; bad signatures with random AccessKeyIds (V1 header, V4 header, URL); random bucket names
 * that do not exist; unknown RPC actions, random sub-resources and user agents (label explosion); uploads cut
 * mid-body; multipart uploads started and never completed; presigned GETs, range GETs, deletes.
 * Besides, checked traffic (bench/soak-ledger.ts): each worker's own keys put, appended, copied, deleted and
 * uploaded in parts, each step on the next process and read back through another at once; versions and delete
 * markers; its prefix listed while the others write; a few keys all workers overwrite. At the end every key is
 * read through every process and must hold what was last acknowledged.
 * Not part of `npm test`.
 *
 *   node dist/bench/soak-mixed.js [--minutes 10] [--concurrency 8] [--sample 15] [--data DIR] [--live-heap]
 *                                 [--meta postgres|postgres://…] [--processes N]
 *
 * --meta postgres: a throwaway local PostgreSQL (bench/postgres.ts), or a URL (a schema of its own, dropped at the
 * end); --processes N (PostgreSQL only): N servers on that database, one blob directory and one master key,
 * collecting blobs every 30 s with a 60 s grace. Workers spread round-robin over them; AssumeRole on one process,
 * the session used on another; a RAM loop attaches and detaches a policy and disables and enables a key on one
 * process and checks the next request to another sees it. Each sample then also gives every process's RSS,
 * threads and descriptors, PostgreSQL's connections by state, locks waiting, table and dead-tuple sizes, and
 * blob files against the blob ids rows reference. At the end, after the grace period and a collection, no
 * blob file may be left that no row references.
 *
 * --live-heap: the server runs with test/helpers/heap-probe (`--expose-gc`), and each sample also gives
 * `liveHeapMiB`, its heap right after two full collections: the used heap between collections swings with
 * the garbage of the moment, and V8 grows its heap's total while it allocates fast, so neither shows a leak.
 */
import { mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import RPCClient from '@alicloud/pop-core';
import { Target, signRequest, type Credentials } from './client.js';
import { positiveArg, startProcess, vmBytes, type ServerProcess } from './proc.js';
import { signV1, stringToSignV1 } from '../src/auth/signature/v1.js';
import { benchPostgres } from './postgres.js';
import { BUCKET_OWNED, BUCKET_VERSIONED, Ledger, md5, Races, Tally } from './soak-ledger.js';
import { pgSample, blobCensus } from './soak-pg-stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ACCOUNT = '1234567890123456';
const CREDS: Credentials = { accessKeyId: 'LTAI5tSoakAccessKey0001', accessKeySecret: 'SoakSecret0123456789abcdefABCD' };
const BUCKET = 'soak-mixed';

const arg = positiveArg;
const minutes = arg('--minutes', 10);
const concurrency = arg('--concurrency', 8);
const sampleSeconds = arg('--sample', 15);
const dataArg = process.argv.indexOf('--data');
const scratch = dataArg >= 0 ? process.argv[dataArg + 1]! : mkdtempSync(join(tmpdir(), 'alunite-soak-mixed-'));
const dataDir = join(scratch, 'data');
const liveHeap = process.argv.includes('--live-heap');
const metaArg = process.argv.indexOf('--meta');
const meta = metaArg >= 0 ? process.argv[metaArg + 1]! : 'sqlite';
const processes = arg('--processes', 1);
if (meta === 'sqlite' && processes > 1) throw new Error('--processes above 1 needs --meta postgres (SQLite has one owner)');
const tally = new Tally();

const rnd = (n: number): string => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

interface Raw { status: number; body: string }

/** One request on its own connection; `cutAfter`: send that many body bytes of `declared`, then destroy. */
async function raw(url: URL, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
  const r = await rawOnce(url, method, path, headers, body);
  tally.note(`raw-${method}`, r.status, r.body);
  return r;
}
function rawOnce(url: URL, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: -1, body: '' }));
    });
    req.on('error', () => resolve({ status: -1, body: '' }));
    req.end(body);
  });
}

/** A PUT that declares `declared` bytes, sends `sent`, then closes the socket. */
function cutUpload(url: URL, creds: Credentials, key: string, declared: number, sent: number): Promise<void> {
  const p = signRequest(creds, { method: 'PUT', bucket: BUCKET, key, bodyLength: declared });
  const head = [`PUT ${p.path} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(p.headers).map(([k, v]) => `${k}: ${String(v)}`), '', ''].join('\r\n');
  return new Promise((resolve) => {
    const s = connect(Number(url.port), url.hostname, () => {
      s.write(head);
      s.write(Buffer.alloc(sent, 0x61), () => setTimeout(() => s.destroy(), 20));
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve());
  });
}

function dirStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else {
        files++;
        bytes += st.size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

function procField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSyncSafe(`/proc/${pid}/status`));
  return m ? Number(m[1]) : NaN;
}
import { readFileSync } from 'node:fs';
function readFileSyncSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
const fdCount = (pid: number): number => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
};

interface Proc { server: ServerProcess; url: URL; root: Target; sts: RPCClient; ram: RPCClient }

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: CREDS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: CREDS.accessKeySecret, ALUNITE_ACCOUNT_ID: ACCOUNT };
  const probeFlags = liveHeap ? ['--expose-gc', '--import', join(ROOT, 'dist', 'test', 'helpers', 'heap-probe.js')] : [];
  const pgBench = meta === 'sqlite' ? null : await benchPostgres(meta);
  const metaUrl = pgBench ? await pgBench.freshUrl() : null;
  if (pgBench) process.stdout.write(`metadata: ${pgBench.label}; ${processes} process(es) over one blob directory\n`);
  if (metaUrl) env.ALUNITE_MASTER_KEY = randomBytes(32).toString('base64');
  const servers: ServerProcess[] = [];
  for (let i = 0; i < processes; i++) {
    const own = metaUrl ? join(dataDir, `p${i}`) : dataDir;
    mkdirSync(own, { recursive: true });
    const pgFlags = metaUrl ? ['--meta', metaUrl, '--blobs', dataDir, '--gc-interval', '30', '--gc-grace', '60'] : [];
    servers.push(await startProcess(`alunite${processes > 1 ? `-${i}` : ''}`, [...probeFlags, join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', own, ...pgFlags, '--log-level', 'error', '--min-free-space', '0', '--hostname', 'localhost'], env, ROOT));
  }
  const server = servers[0]!;
  const url = new URL(server.url);
  let probeOut = '';
  server.child.stdout!.on('data', (d: Buffer) => (probeOut = (probeOut + d.toString()).slice(-4096)));
  /** The server's heap after full collections (MiB), or null without --live-heap or if the probe does not answer in 60 s. */
  const liveHeapMiB = async (): Promise<number | null> => {
    if (!liveHeap) return null;
    const before = probeOut;
    probeOut = '';
    server.child.kill('SIGUSR2');
    for (const t0 = Date.now(); Date.now() - t0 < 60_000; await new Promise((r) => setTimeout(r, 25))) {
      const m = /heap-probe (\{[^\n]*\})\n/.exec(probeOut);
      if (m) return +((JSON.parse(m[1]!) as { heapUsed: number }).heapUsed / 2 ** 20).toFixed(1);
    }
    probeOut = before;
    return null;
  };
  const post = { method: 'POST' } as const;
  const rpc = (endpoint: string, apiVersion: string, c: Credentials): RPCClient => new RPCClient({ endpoint, apiVersion, accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret });
  const root = new Target(server.url, CREDS, concurrency * 2);
  const ram = rpc(server.url, '2015-05-01', CREDS);
  await ram.request('CreateUser', { UserName: 'soaker' }, post);
  const { AccessKey } = await ram.request<{ AccessKey: { AccessKeyId: string; AccessKeySecret: string } }>('CreateAccessKey', { UserName: 'soaker' }, post);
  await ram.request('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'AliyunSTSAssumeRoleAccess', UserName: 'soaker' }, post);
  const trust = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT}:root`] } }] });
  await ram.request('CreateRole', { RoleName: 'soak', AssumeRolePolicyDocument: trust }, post);
  await ram.request('AttachPolicyToRole', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess', RoleName: 'soak' }, post);
  await ram.request('CreateUser', { UserName: 'flipper' }, post);
  const flipKey = (await ram.request<{ AccessKey: { AccessKeyId: string; AccessKeySecret: string } }>('CreateAccessKey', { UserName: 'flipper' }, post)).AccessKey;
  const user: Credentials = { accessKeyId: AccessKey.AccessKeyId, accessKeySecret: AccessKey.AccessKeySecret };
  const procs: Proc[] = servers.map((sv, i) => ({
    server: sv,
    url: new URL(sv.url),
    root: i === 0 ? root : new Target(sv.url, CREDS, concurrency * 2),
    sts: rpc(sv.url, '2015-04-01', user),
    ram: i === 0 ? ram : rpc(sv.url, '2015-05-01', CREDS),
  }));
  let rr = 0;
  /** The process of the next action: workers' actions go round-robin over the processes. */
  const at = (): Proc => procs[rr++ % procs.length]!;
  const enable = Buffer.from('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>');
  for (const b of [BUCKET, BUCKET_OWNED, BUCKET_VERSIONED]) if ((await root.send({ method: 'PUT', bucket: b, key: null, body: Buffer.alloc(0) })).status !== 200) throw new Error(`create bucket ${b}`);
  if ((await root.send({ method: 'PUT', bucket: BUCKET_VERSIONED, key: null, query: [['versioning', '']], body: enable })).status !== 200) throw new Error('enable versioning');
  for (let i = 0; i < 50; i++) await root.send({ method: 'PUT', bucket: BUCKET, key: `base/${i}`, body: randomBytes(4096) });

  const counts = new Map<string, number>();
  const count = (what: string): void => void counts.set(what, (counts.get(what) ?? 0) + 1);
  const ledgers = Array.from({ length: concurrency }, (_, w) => new Ledger(w, procs.map((p) => p.root), tally));
  const races = new Races(procs.map((p) => p.root), tally);
  /** Keys every worker overwrites and deletes through any process: each body sent, by MD5. */
  const contended = new Map<string, Set<string>>();

  const actions: Array<[number, (w: number) => Promise<void>]> = [
    // A fresh STS session with its own session policy, assumed on one process and used a few times on another
    // (one of them outside the policy).
    [6, async () => {
      const [a, b] = [at(), at()];
      const Policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}/s/${rnd(12)}/*`, `acs:oss:*:*:${BUCKET}/base/*`] }] });
      const r = await a.sts.request<{ Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string } }>('AssumeRole', { RoleArn: `acs:ram::${ACCOUNT}:role/soak`, RoleSessionName: `s${rnd(8)}`, Policy, DurationSeconds: 900 }, post);
      tally.note('assume-role', 200, '');
      const c: Credentials = { accessKeyId: r.Credentials.AccessKeyId, accessKeySecret: r.Credentials.AccessKeySecret, securityToken: r.Credentials.SecurityToken };
      const t = new Target(b.server.url, c, 1);
      await tally.send('sts-get', t, { method: 'GET', bucket: BUCKET, key: `base/${Math.floor(Math.random() * 50)}` }, [200]);
      await tally.send('sts-denied', t, { method: 'GET', bucket: BUCKET, key: `other/${rnd(6)}` }, [403]); // denied by the session policy
      await tally.send('sts-no-bucket', t, { method: 'GET', bucket: `nb-${rnd(10)}`, key: 'x' }, [404]); // a bucket that does not exist
      t.close();
      count('sts-session');
    }],
    // Bad V1 signature, random AccessKeyId of random length.
    [6, async () => {
      const p = signRequest({ accessKeyId: `LTAI${rnd(8 + Math.floor(Math.random() * 120))}`, accessKeySecret: 'x' }, { method: 'GET', bucket: BUCKET, key: 'base/1' });
      await raw(at().url, 'GET', p.path, { ...(p.headers as Record<string, string>), 'user-agent': `ua-${rnd(16)}` });
      count('bad-v1');
    }],
    // Bad V4 header signature, random AccessKeyId; and an STS-looking id with a random token.
    [4, async () => {
      const now = new Date();
      const day = now.toISOString().slice(0, 10).replace(/-/g, '');
      const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
      const ak = Math.random() < 0.5 ? `LTAI${rnd(20)}` : `STS.${rnd(24)}`;
      const headers: Record<string, string> = { 'x-oss-date': stamp, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', authorization: `OSS4-HMAC-SHA256 Credential=${ak}/${day}/cn-hangzhou/oss/aliyun_v4_request,Signature=${rnd(64)}` };
      if (ak.startsWith('STS.')) headers['x-oss-security-token'] = rnd(400);
      await raw(at().url, 'GET', `/${BUCKET}/base/2`, headers);
      count('bad-v4');
    }],
    // Bad presigned URL (V1) with random AccessKeyId, and a good one.
    [4, async () => {
      const u = at().url;
      const expires = String(Math.floor(Date.now() / 1000) + 600);
      await raw(u, 'GET', `/${BUCKET}/base/3?OSSAccessKeyId=${rnd(24)}&Expires=${expires}&Signature=${rnd(28)}`, {});
      const key = `base/${Math.floor(Math.random() * 50)}`;
      const sig = signV1(CREDS.accessKeySecret, stringToSignV1({ method: 'GET', bucket: BUCKET, key, query: [], headers: {} }, expires, false));
      const r = await raw(u, 'GET', `/${BUCKET}/${key}?OSSAccessKeyId=${CREDS.accessKeyId}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`, {});
      count(`presigned-${r.status}`);
    }],
    // Buckets that do not exist: signed (root) and anonymous, random sub-resources.
    [6, async () => {
      const p = at();
      await tally.send('no-bucket', p.root, { method: 'GET', bucket: `nb-${rnd(20)}`, key: Math.random() < 0.5 ? null : rnd(10), query: [[pick(['acl', 'cors', 'lifecycle', 'tagging', 'policy', 'website']), '']] });
      await raw(p.url, 'GET', `/nb-${rnd(30)}/${rnd(5)}?${rnd(6)}=${rnd(6)}`, { 'user-agent': rnd(40) });
      await raw(p.url, 'HEAD', `/${rnd(3)}-${rnd(30)}/`, {});
      count('no-bucket');
    }],
    // RPC label explosion: unknown actions and versions, signed badly.
    [3, async () => {
      const body = `Action=${rnd(12)}&Version=${pick(['2015-05-01', '2015-04-01', rnd(10)])}&AccessKeyId=${rnd(20)}&Signature=${rnd(20)}&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce=${rnd(16)}&Timestamp=${encodeURIComponent(new Date().toISOString())}&Format=JSON`;
      await raw(at().url, 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': rnd(30) }, Buffer.from(body));
      count('rpc-junk');
    }],
    // Uploads cut mid-body (root and an RAM user).
    [3, async () => {
      await cutUpload(at().url, Math.random() < 0.5 ? CREDS : user, `cut/${rnd(8)}`, 4 * 1024 * 1024, 64 * 1024 + Math.floor(Math.random() * 600_000));
      count('cut-upload');
    }],
    // Multipart started on one process, a part uploaded on another, never completed (and part uploads cut mid-body).
    [2, async () => {
      const key = `mp/${rnd(8)}`;
      const init = await tally.send('mp-abandon-initiate', at().root, { method: 'POST', bucket: BUCKET, key, query: [['uploads', '']] }, [200]);
      const id = init && /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)?.[1];
      if (id === undefined || id === null) return;
      await tally.send('mp-abandon-part', at().root, { method: 'PUT', bucket: BUCKET, key, query: [['partNumber', '1'], ['uploadId', id]], body: randomBytes(100 * 1024) }, [200]);
      const u = at().url;
      const p = signRequest(CREDS, { method: 'PUT', bucket: BUCKET, key, query: [['partNumber', '2'], ['uploadId', id]], bodyLength: 1024 * 1024 });
      const head = [`PUT ${p.path} HTTP/1.1`, `Host: ${u.host}`, ...Object.entries(p.headers).map(([k, v]) => `${k}: ${String(v)}`), '', ''].join('\r\n');
      await new Promise<void>((resolve) => {
        const s = connect(Number(u.port), u.hostname, () => s.write(head + 'x'.repeat(5000), () => setTimeout(() => s.destroy(), 20)));
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
      count('multipart-abandoned');
    }],
    // Normal traffic: put, range GET, head and delete, each on the next process.
    [10, async () => {
      const key = `n/${rnd(8)}`;
      const size = 1024 + Math.floor(Math.random() * 64 * 1024);
      await tally.send('put', at().root, { method: 'PUT', bucket: BUCKET, key, body: randomBytes(size) }, [200]);
      const p = signRequest(CREDS, { method: 'GET', bucket: BUCKET, key });
      const last = 1000 + Math.floor(Math.random() * 500);
      const r = await raw(at().url, 'GET', p.path, { ...(p.headers as Record<string, string>), range: `bytes=${Math.floor(Math.random() * 500)}-${last}` });
      // A range ending past the object is answered whole (200), as OSS does without x-oss-range-behavior: standard.
      if (r.status !== (last < size ? 206 : 200)) tally.fault(`range-get ${r.status}`, `${key}: ${r.body.length} B of ${r.body.slice(0, 300)}`);
      await tally.send('head', at().root, { method: 'HEAD', bucket: BUCKET, key }, [200]);
      await tally.send('delete', at().root, { method: 'DELETE', bucket: BUCKET, key }, [204]);
      count('normal');
    }],
    // Listing with random prefixes/markers, as the RAM user (denied) and root.
    [2, async () => {
      const p = at();
      await tally.send('list', p.root, { method: 'GET', bucket: BUCKET, key: null, query: [['prefix', rnd(3)], ['marker', rnd(5)]] }, [200]);
      const t = new Target(p.server.url, user, 1);
      await tally.send('list-denied', t, { method: 'GET', bucket: BUCKET, key: null }, [403]);
      t.close();
      count('list');
    }],
    // The worker's own keys, checked (bench/soak-ledger.ts).
    [14, async (w) => {
      await ledgers[w]!.step();
      count('checked');
    }],
    // Keys every worker overwrites (and sometimes deletes) through any process; a listing of the whole bucket.
    [4, async () => {
      const key = `c/${Math.floor(Math.random() * 4)}`;
      if (Math.random() < 0.8) {
        const body = randomBytes(pick([200, 90_000]));
        const sent = contended.get(key) ?? new Set<string>();
        contended.set(key, sent.add(md5(body)));
        await tally.send('contended-put', at().root, { method: 'PUT', bucket: BUCKET_OWNED, key, body }, [200]);
      } else {
        await tally.send('contended-delete', at().root, { method: 'DELETE', bucket: BUCKET_OWNED, key }, [204]);
      }
      await tally.send('list-all', at().root, { method: 'GET', bucket: BUCKET_OWNED, key: null, query: [['max-keys', '1000']] }, [200]);
      count('contended');
    }],
    // Appends racing at one position, and one part number sent through two processes at once (bench/soak-ledger.ts).
    [3, async () => {
      await (Math.random() < 0.6 ? races.append() : races.part());
      count('race');
    }],
  ];
  const total = actions.reduce((s, [w]) => s + w, 0);
  const choose = (): ((w: number) => Promise<void>) => {
    let x = Math.random() * total;
    for (const [w, f] of actions) if ((x -= w) < 0) return f;
    return actions[0]![1];
  };

  /**
   * RAM changes on one process seen by the next request to another: docs/postgres.md promises the very next
   * request (the identity counter is read as each request arrives).
   */
  const flipper = async (until: number): Promise<void> => {
    const c: Credentials = { accessKeyId: flipKey.AccessKeyId, accessKeySecret: flipKey.AccessKeySecret };
    const targets = procs.map((p) => new Target(p.server.url, c, 1));
    const step = async (i: number, op: string, params: Record<string, string>, expect: number): Promise<void> => {
      await procs[i % procs.length]!.ram.request(op, params, post);
      tally.note(`ram-${op}`, 200, '');
      await tally.send(`ram-seen-${op}${op === 'UpdateAccessKey' ? `-${params.Status}` : ''}`, targets[(i + 1) % procs.length]!, { method: 'GET', bucket: BUCKET, key: 'base/1' }, [expect]);
    };
    const policy = { PolicyType: 'System', PolicyName: 'AliyunOSSReadOnlyAccess', UserName: 'flipper' };
    const keyStatus = (Status: string): Record<string, string> => ({ UserName: 'flipper', UserAccessKeyId: flipKey.AccessKeyId, Status });
    for (let i = 0; Date.now() < until; i++) {
      try {
        await step(i, 'AttachPolicyToUser', policy, 200);
        await step(i + 1, 'UpdateAccessKey', keyStatus('Inactive'), 403);
        await step(i, 'UpdateAccessKey', keyStatus('Active'), 200);
        await step(i + 1, 'DetachPolicyFromUser', policy, 403);
        count('ram-flip');
      } catch (err) {
        tally.fault(`ram-flip ${(err as { code?: string }).code ?? 'error'}`, String(err));
        await procs[0]!.ram.request('UpdateAccessKey', keyStatus('Active'), post).catch(() => undefined);
        await procs[0]!.ram.request('DetachPolicyFromUser', policy, post).catch(() => undefined);
      }
    }
    for (const t of targets) t.close();
  };

  const metricsSize = async (): Promise<{ bytes: number; lines: number }> => {
    const r = await rawOnce(url, 'GET', '/-/metrics', {});
    return { bytes: r.body.length, lines: r.body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length };
  };
  const t0 = Date.now();
  let lastRequests = 0;
  let lastT = 0;
  const sample = async (t: number): Promise<void> => {
    const m = await metricsSize();
    const tmp = dirStats(join(dataDir, 'tmp'));
    const blobs = dirStats(join(dataDir, 'blobs'));
    const db = dirStats(dataDir);
    const text = (await rawOnce(url, 'GET', '/-/metrics', {})).body;
    const metric = (name: string): number | null => {
      const v = new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1];
      return v === undefined ? null : +(Number(v) / 2 ** 20).toFixed(1);
    };
    const perProcess = (f: (pid: number) => number): number[] => servers.map((sv) => f(sv.pid));
    const line = {
      t: Math.round(t),
      reqPerS: t > lastT ? Math.round((tally.requests - lastRequests) / (t - lastT)) : 0,
      rssMiB: perProcess((pid) => +(vmBytes(pid, 'VmRSS') / 2 ** 20).toFixed(1)),
      heapMiB: metric('nodejs_heap_size_used_bytes'),
      heapTotalMiB: metric('nodejs_heap_size_total_bytes'),
      ...(liveHeap ? { liveHeapMiB: await liveHeapMiB() } : {}),
      externalMiB: metric('nodejs_external_memory_bytes'),
      threads: perProcess((pid) => procField(pid, 'Threads')),
      fds: perProcess(fdCount),
      tmpFiles: tmp.files,
      blobFiles: blobs.files,
      blobMiB: +(blobs.bytes / 2 ** 20).toFixed(1),
      dataMiB: +((db.bytes - blobs.bytes - tmp.bytes) / 2 ** 20).toFixed(2),
      ...(metaUrl ? { pg: await pgSample(metaUrl), blobRefs: await blobCensus(metaUrl, join(dataDir, 'blobs')) } : {}),
      metricsLines: m.lines,
      metricsKiB: Math.round(m.bytes / 1024),
      unexpected: Object.fromEntries(tally.unexpected),
      ops: Object.fromEntries(counts),
    };
    lastRequests = tally.requests;
    lastT = t;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };

  const end = t0 + minutes * 60_000;
  await sample(0);
  const timer = setInterval(() => void sample((Date.now() - t0) / 1000).catch((err: unknown) => process.stderr.write(`sample: ${String(err)}\n`)), sampleSeconds * 1000);
  await Promise.all([
    flipper(end),
    ...Array.from({ length: concurrency }, async (_, w) => {
      while (Date.now() < end) {
        try {
          await choose()(w);
        } catch (err) {
          tally.fault(`exception ${(err as { code?: string }).code ?? ''}`.trim(), String(err));
        }
      }
    }),
  ]);
  clearInterval(timer);
  const seconds = (Date.now() - t0) / 1000;
  const trafficRequests = tally.requests;
  await new Promise((r) => setTimeout(r, 3000));
  await sample((Date.now() - t0) / 1000);

  // Everything acknowledged, through every process; and the contended keys hold a body some worker sent.
  let checked = 0;
  for (const l of ledgers) checked += await l.verify();
  checked += await races.verify();
  for (const [key, sent] of contended) {
    for (const p of procs) {
      const r = await tally.send('verify-contended', p.root, { method: 'GET', bucket: BUCKET_OWNED, key }, [200, 404]);
      if (r?.status === 200 && !sent.has(md5(r.data))) tally.fault('verify-contended bytes-not-sent', `${key}: md5 ${md5(r.data)}`);
    }
  }
  for (const p of procs) p.root.close();
  // Past the keep-alive timeout (65 s): every connection is gone, so what is left open is a leak. With
  // PostgreSQL, also past the GC grace (60 s) plus an interval (30 s): wait for a collection to leave no
  // unreferenced blob file (a bounded wait for a condition, not a fixed sleep, beyond the keep-alive's).
  await new Promise((r) => setTimeout(r, 70_000));
  let census = metaUrl ? await blobCensus(metaUrl, join(dataDir, 'blobs')) : null;
  for (const t1 = Date.now(); census && (census.unreferenced > 0 || census.missing > 0) && Date.now() - t1 < 180_000;) {
    await new Promise((r) => setTimeout(r, 5000));
    census = await blobCensus(metaUrl!, join(dataDir, 'blobs'));
  }
  await sample((Date.now() - t0) / 1000);
  const summary = {
    seconds: Math.round(seconds),
    processes,
    requests: trafficRequests,
    requestsPerSecond: Math.round(trafficRequests / seconds),
    checkedReads: checked,
    unexpected: Object.fromEntries(tally.unexpected),
    firstBodies: tally.bodies,
    ...(census ? { blobsAfterGc: census } : {}),
    byOp: Object.fromEntries([...tally.byOp].sort((a, b) => b[1] - a[1])),
  };
  process.stdout.write(`summary ${JSON.stringify(summary, null, 1)}\ndata in ${scratch}\n`);
  for (const sv of servers) await sv.stop();
  await pgBench?.close();
}

await main();
