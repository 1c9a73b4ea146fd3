/**
 * Mixed-traffic soak and resource-leak watch: one server child process (SQLite, durable), `--minutes` of
 * mixed traffic from `--concurrency` workers, and every `--sample` seconds its VmRSS, threads, open file
 * descriptors, `tmp/` files, blob files, database + WAL size and the `/-/metrics` exposition's size.
 *
 * The traffic: AssumeRole with a distinct session policy each time and a few requests with those
 * credentials; bad signatures with random AccessKeyIds (V1 header, V4 header, URL); random bucket names
 * that do not exist; unknown RPC actions, random sub-resources and user agents (label explosion); uploads cut
 * mid-body; multipart uploads started and never completed; presigned GETs, range GETs, deletes.
 * Not part of `npm test`.
 *
 *   node dist/bench/soak-mixed.js [--minutes 10] [--concurrency 8] [--sample 15] [--data DIR] [--live-heap]
 *
 * --live-heap: the server runs with test/helpers/heap-probe (`--expose-gc`), and each sample also gives
 * `liveHeapMiB`, its heap right after two full collections: the used heap between collections swings with
 * the garbage of the moment, and V8 grows its heap's total while it allocates fast, so neither shows a leak.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import RPCClient from '@alicloud/pop-core';
import { Target, signRequest, type Credentials } from './client.js';
import { positiveArg, startProcess, vmBytes } from './proc.js';
import { signV1, stringToSignV1 } from '../src/auth/signature/v1.js';

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

const rnd = (n: number): string => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

interface Raw { status: number; body: string }

/** One request on its own connection; `cutAfter`: send that many body bytes of `declared`, then destroy. */
function raw(url: URL, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
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

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: CREDS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: CREDS.accessKeySecret, ALUNITE_ACCOUNT_ID: ACCOUNT };
  const probeFlags = liveHeap ? ['--expose-gc', '--import', join(ROOT, 'dist', 'test', 'helpers', 'heap-probe.js')] : [];
  const server = await startProcess('alunite', [...probeFlags, join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--log-level', 'error', '--min-free-space', '0', '--hostname', 'localhost'], env, ROOT);
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
  const root = new Target(server.url, CREDS, concurrency * 2);
  const post = { method: 'POST' } as const;
  const ram = new RPCClient({ endpoint: server.url, apiVersion: '2015-05-01', accessKeyId: CREDS.accessKeyId, accessKeySecret: CREDS.accessKeySecret });
  await ram.request('CreateUser', { UserName: 'soaker' }, post);
  const { AccessKey } = await ram.request<{ AccessKey: { AccessKeyId: string; AccessKeySecret: string } }>('CreateAccessKey', { UserName: 'soaker' }, post);
  await ram.request('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'AliyunSTSAssumeRoleAccess', UserName: 'soaker' }, post);
  const trust = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT}:root`] } }] });
  await ram.request('CreateRole', { RoleName: 'soak', AssumeRolePolicyDocument: trust }, post);
  await ram.request('AttachPolicyToRole', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess', RoleName: 'soak' }, post);
  const sts = new RPCClient({ endpoint: server.url, apiVersion: '2015-04-01', accessKeyId: AccessKey.AccessKeyId, accessKeySecret: AccessKey.AccessKeySecret });
  const user: Credentials = { accessKeyId: AccessKey.AccessKeyId, accessKeySecret: AccessKey.AccessKeySecret };
  if ((await root.send({ method: 'PUT', bucket: BUCKET, key: null, body: Buffer.alloc(0) })).status !== 200) throw new Error('create bucket');
  for (let i = 0; i < 50; i++) await root.send({ method: 'PUT', bucket: BUCKET, key: `base/${i}`, body: randomBytes(4096) });

  const counts = new Map<string, number>();
  const count = (what: string): void => void counts.set(what, (counts.get(what) ?? 0) + 1);

  const actions: Array<[number, () => Promise<void>]> = [
    // A fresh STS session with its own session policy, used a few times (one of them outside the policy).
    [6, async () => {
      const Policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}/s/${rnd(12)}/*`, `acs:oss:*:*:${BUCKET}/base/*`] }] });
      const r = await sts.request<{ Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string } }>('AssumeRole', { RoleArn: `acs:ram::${ACCOUNT}:role/soak`, RoleSessionName: `s${rnd(8)}`, Policy, DurationSeconds: 900 }, post);
      const c: Credentials = { accessKeyId: r.Credentials.AccessKeyId, accessKeySecret: r.Credentials.AccessKeySecret, securityToken: r.Credentials.SecurityToken };
      const t = new Target(server.url, c, 1);
      await t.send({ method: 'GET', bucket: BUCKET, key: `base/${Math.floor(Math.random() * 50)}` });
      await t.send({ method: 'GET', bucket: BUCKET, key: `other/${rnd(6)}` }); // denied by the session policy
      await t.send({ method: 'GET', bucket: `nb-${rnd(10)}`, key: 'x' }); // a bucket that does not exist
      t.close();
      count('sts-session');
    }],
    // Bad V1 signature, random AccessKeyId of random length.
    [6, async () => {
      const p = signRequest({ accessKeyId: `LTAI${rnd(8 + Math.floor(Math.random() * 120))}`, accessKeySecret: 'x' }, { method: 'GET', bucket: BUCKET, key: 'base/1' });
      await raw(url, 'GET', p.path, { ...(p.headers as Record<string, string>), 'user-agent': `ua-${rnd(16)}` });
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
      await raw(url, 'GET', `/${BUCKET}/base/2`, headers);
      count('bad-v4');
    }],
    // Bad presigned URL (V1) with random AccessKeyId, and a good one.
    [4, async () => {
      const expires = String(Math.floor(Date.now() / 1000) + 600);
      await raw(url, 'GET', `/${BUCKET}/base/3?OSSAccessKeyId=${rnd(24)}&Expires=${expires}&Signature=${rnd(28)}`, {});
      const key = `base/${Math.floor(Math.random() * 50)}`;
      const sig = signV1(CREDS.accessKeySecret, stringToSignV1({ method: 'GET', bucket: BUCKET, key, query: [], headers: {} }, expires, false));
      const r = await raw(url, 'GET', `/${BUCKET}/${key}?OSSAccessKeyId=${CREDS.accessKeyId}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`, {});
      count(`presigned-${r.status}`);
    }],
    // Buckets that do not exist: signed (root) and anonymous, random sub-resources.
    [6, async () => {
      await root.send({ method: 'GET', bucket: `nb-${rnd(20)}`, key: Math.random() < 0.5 ? null : rnd(10), query: [[pick(['acl', 'cors', 'lifecycle', 'tagging', 'policy', 'website']), '']] });
      await raw(url, 'GET', `/nb-${rnd(30)}/${rnd(5)}?${rnd(6)}=${rnd(6)}`, { 'user-agent': rnd(40) });
      await raw(url, 'HEAD', `/${rnd(3)}-${rnd(30)}/`, {});
      count('no-bucket');
    }],
    // RPC label explosion: unknown actions and versions, signed badly.
    [3, async () => {
      const body = `Action=${rnd(12)}&Version=${pick(['2015-05-01', '2015-04-01', rnd(10)])}&AccessKeyId=${rnd(20)}&Signature=${rnd(20)}&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce=${rnd(16)}&Timestamp=${encodeURIComponent(new Date().toISOString())}&Format=JSON`;
      await raw(url, 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': rnd(30) }, Buffer.from(body));
      count('rpc-junk');
    }],
    // Uploads cut mid-body (root and an RAM user).
    [3, async () => {
      await cutUpload(url, Math.random() < 0.5 ? CREDS : user, `cut/${rnd(8)}`, 4 * 1024 * 1024, 64 * 1024 + Math.floor(Math.random() * 600_000));
      count('cut-upload');
    }],
    // Multipart started, a part uploaded, never completed (and part uploads cut mid-body).
    [2, async () => {
      const key = `mp/${rnd(8)}`;
      const init = await root.send({ method: 'POST', bucket: BUCKET, key, query: [['uploads', '']], collect: true });
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)?.[1];
      if (id === undefined) throw new Error(`initiate: ${init.status} ${init.text}`);
      await root.send({ method: 'PUT', bucket: BUCKET, key, query: [['partNumber', '1'], ['uploadId', id]], body: randomBytes(100 * 1024) });
      const p = signRequest(CREDS, { method: 'PUT', bucket: BUCKET, key, query: [['partNumber', '2'], ['uploadId', id]], bodyLength: 1024 * 1024 });
      const head = [`PUT ${p.path} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(p.headers).map(([k, v]) => `${k}: ${String(v)}`), '', ''].join('\r\n');
      await new Promise<void>((resolve) => {
        const s = connect(Number(url.port), url.hostname, () => s.write(head + 'x'.repeat(5000), () => setTimeout(() => s.destroy(), 20)));
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
      count('multipart-abandoned');
    }],
    // Normal traffic: put, range GET, get, delete.
    [10, async () => {
      const key = `n/${rnd(8)}`;
      await root.send({ method: 'PUT', bucket: BUCKET, key, body: randomBytes(1024 + Math.floor(Math.random() * 64 * 1024)) });
      const p = signRequest(CREDS, { method: 'GET', bucket: BUCKET, key });
      await raw(url, 'GET', p.path, { ...(p.headers as Record<string, string>), range: `bytes=${Math.floor(Math.random() * 500)}-${1000 + Math.floor(Math.random() * 500)}` });
      await root.send({ method: 'HEAD', bucket: BUCKET, key });
      await root.send({ method: 'DELETE', bucket: BUCKET, key });
      count('normal');
    }],
    // Listing with random prefixes/markers, as the RAM user (denied) and root.
    [2, async () => {
      await root.send({ method: 'GET', bucket: BUCKET, key: null, query: [['prefix', rnd(3)], ['marker', rnd(5)]] });
      const t = new Target(server.url, user, 1);
      await t.send({ method: 'GET', bucket: BUCKET, key: null });
      t.close();
      count('list');
    }],
  ];
  const total = actions.reduce((s, [w]) => s + w, 0);
  const choose = (): (() => Promise<void>) => {
    let x = Math.random() * total;
    for (const [w, f] of actions) if ((x -= w) < 0) return f;
    return actions[0]![1];
  };

  const metricsSize = async (): Promise<{ bytes: number; lines: number }> => {
    const r = await raw(url, 'GET', '/-/metrics', {});
    return { bytes: r.body.length, lines: r.body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length };
  };
  const sample = async (t: number): Promise<void> => {
    const m = await metricsSize();
    const tmp = dirStats(join(dataDir, 'tmp'));
    const blobs = dirStats(join(dataDir, 'blobs'));
    const db = dirStats(dataDir);
    const text = (await raw(url, 'GET', '/-/metrics', {})).body;
    const metric = (name: string): number | null => {
      const v = new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1];
      return v === undefined ? null : +(Number(v) / 2 ** 20).toFixed(1);
    };
    const line = {
      t: Math.round(t),
      rssMiB: +(vmBytes(server.pid, 'VmRSS') / 2 ** 20).toFixed(1),
      heapMiB: metric('nodejs_heap_size_used_bytes'),
      heapTotalMiB: metric('nodejs_heap_size_total_bytes'),
      ...(liveHeap ? { liveHeapMiB: await liveHeapMiB() } : {}),
      externalMiB: metric('nodejs_external_memory_bytes'),
      threads: procField(server.pid, 'Threads'),
      fds: fdCount(server.pid),
      tmpFiles: tmp.files,
      blobFiles: blobs.files,
      blobMiB: +(blobs.bytes / 2 ** 20).toFixed(1),
      dataMiB: +((db.bytes - blobs.bytes - tmp.bytes) / 2 ** 20).toFixed(2),
      metricsLines: m.lines,
      metricsKiB: Math.round(m.bytes / 1024),
      ops: Object.fromEntries(counts),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };

  const t0 = Date.now();
  const end = t0 + minutes * 60_000;
  await sample(0);
  let errors = 0;
  const timer = setInterval(() => void sample((Date.now() - t0) / 1000), sampleSeconds * 1000);
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      try {
        await choose()();
      } catch (err) {
        if (errors++ < 10) process.stderr.write(`soak: ${String(err)}\n`);
      }
    }
  }));
  clearInterval(timer);
  root.close();
  await new Promise((r) => setTimeout(r, 3000));
  await sample((Date.now() - t0) / 1000);
  // Past the keep-alive timeout (65 s): every connection is gone, so what is left open is a leak.
  await new Promise((r) => setTimeout(r, 70_000));
  await sample((Date.now() - t0) / 1000);
  process.stdout.write(`errors ${errors}; data in ${scratch}\n`);
  await server.stop();
}

await main();
