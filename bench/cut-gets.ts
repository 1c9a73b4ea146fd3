/**
 * GETs whose client cuts the connection mid-body, against one server child process: open descriptors, VmRSS and
 * the live heap after a full collection (the heap probe of test/helpers) every 1,000 cuts, to tell a leak (keeps
 * growing with the cuts) from the allocator settling and bounded caches filling. Objects of 200 KiB, 4 MiB and
 * 64 MiB in a public-read bucket, 50 cut GETs at a time, each cut after a different number of bytes.
 * Not part of `npm test`.
 *
 *   node dist/bench/cut-gets.js [--cuts 5000] [--port 19321]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OSS from 'ali-oss';
import { positiveArg } from './proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AK = 'LTAI5tCutGetsAccessKey01';
const SECRET = 'CutGetsSecret0123456789abcdefAB';
const BUCKET = 'cut-gets';
const cuts = positiveArg('--cuts', 5000);
const port = positiveArg('--port', 19321);

const data = mkdtempSync(join(tmpdir(), 'alunite-cut-gets-'));
const probe = join(ROOT, 'dist', 'test', 'helpers', 'heap-probe.js');
const child = spawn(process.execPath, ['--expose-gc', '--import', probe, join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', String(port), '--data', data, '--log-level', 'error', '--min-free-space', '0'], {
  env: { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: AK, ALUNITE_ROOT_ACCESS_KEY_SECRET: SECRET, ALUNITE_ACCOUNT_ID: '1234567890123456' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
for (const t0 = Date.now(); !/listening/.test(out); await sleep(50)) if (child.exitCode !== null || Date.now() - t0 > 20_000) throw new Error(`server did not start: ${out}`);

const client = new OSS({ region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, endpoint: `http://127.0.0.1:${port}`, bucket: BUCKET });
await client.putBucket(BUCKET);
await client.putBucketACL(BUCKET, 'public-read');
const sizes: Record<string, number> = { small: 200 * 1024, mid: 4 << 20, big: 64 << 20 };
for (const [key, n] of Object.entries(sizes)) await client.put(key, Buffer.alloc(n, 7));
const keys = Object.keys(sizes);

const pid = child.pid!;
const fds = (): number => readdirSync(`/proc/${pid}/fd`).length;
const rssMb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
async function heapMb(): Promise<number> {
  const seen = (out.match(/heap-probe /g) ?? []).length;
  child.kill('SIGUSR2');
  for (;;) {
    const lines = out.match(/heap-probe (\{[^\n]*\})/g) ?? [];
    if (lines.length > seen) return (JSON.parse(lines[lines.length - 1]!.slice('heap-probe '.length)) as { heapUsed: number }).heapUsed / 1048576;
    await sleep(20);
  }
}

/** A GET of a public object whose client leaves once `after` bytes of the body arrived. */
function cutGet(key: string, after: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get(`http://127.0.0.1:${port}/${key}`, { agent: false, headers: { host: `${BUCKET}.127.0.0.1` } }, (res) => {
      let got = 0;
      res.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= after) {
          req.destroy();
          resolve(res.statusCode ?? 0);
        }
      });
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('error', () => resolve(-1));
  });
}

const sample = async (n: number): Promise<void> => {
  const heap = await heapMb();
  console.log(`${String(n).padStart(6)} cuts: descriptors ${fds()}, RSS ${rssMb().toFixed(0)} MiB, live heap ${heap.toFixed(1)} MiB`);
};
await sample(0);
const statuses: Record<number, number> = {};
for (let i = 0; i < cuts; i += 50) {
  const got = await Promise.all(Array.from({ length: 50 }, (_, j) => cutGet(keys[(i + j) % keys.length]!, 1 + (((i + j) * 7919) % 150_000))));
  for (const s of got) statuses[s] = (statuses[s] ?? 0) + 1;
  if ((i + 50) % 1000 === 0) await sample(i + 50);
}
await sleep(2000);
await sample(cuts);
console.log('statuses', statuses);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(data, { recursive: true, force: true });
