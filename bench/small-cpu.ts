/**
 * Server CPU per request of one Alunite process (utime+stime from /proc, all threads) for 4 KiB GET as root,
 * GET as a RAM user with 10 policies × 10 statements (bench/ram.ts) and DELETE, in rounds. Not a test.
 *
 *   node dist/bench/small-cpu.js [--root DIR] [--n 10000] [--rounds 3] [--which root,ram,del[,sts,put]]
 *     put: the 4 KiB PUTs (durable) that the DELETE phase removes, measured
 *     --prof   the server under node --cpu-prof (wall-clock samples; the file's path is printed)
 *     --no-fsync  the server without WAL syncs (what durability costs, side by side)
 *     --node-flags "F …"  node flags for the server (e.g. --heap-growing-percent=0: V8's own heap growing)
 *     --perf   `perf record -g` of the server during each measured phase, with --perf-basic-prof for JS names
 *              (/tmp/perfh/<phase>.data; `perf script -i …` then shows on-CPU stacks, kernel included)
 *     --bare-fs  with `del`: after each round's Alunite DELETEs, the same PUTs and DELETEs against bare-fs
 *              (bench/bare-server.ts --mode file: node:http unlinking one file per object, no sync), measured the
 *              same way, so the two servers' CPU per DELETE are read side by side under the same load
 *   Each line also gives the main thread's context switches per request, voluntary + involuntary: how often
 *   the event loop went to sleep (or was preempted), which a CPU figure alone does not show.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Target, type BenchRequest } from './client.js';
import { cpuSeconds, mainThreadCpuSeconds, nodeFlagsOf, startProcess } from './proc.js';
import { setUpRamUser, setUpRole } from './ram.js';
const HERE = fileURLToPath(new URL('../../', import.meta.url));
const CREDS = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const arg = (n: string, d: string): string => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1]! : d; };
const root = arg('--root', HERE);
const prof = process.argv.includes('--prof');
const perf = process.argv.includes('--perf');
const n = Number(arg('--n', '10000'));
if (perf) mkdirSync('/tmp/perfh', { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'hprof-'));
const env: NodeJS.ProcessEnv = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_')) env[k] = v;
env.ALUNITE_ROOT_ACCESS_KEY_ID = CREDS.accessKeyId; env.ALUNITE_ROOT_ACCESS_KEY_SECRET = CREDS.accessKeySecret; env.ALUNITE_ACCOUNT_ID = '1234567890123456';
const s = await startProcess('h', [...nodeFlagsOf(arg('--node-flags', '')), ...(perf ? ['--perf-basic-prof'] : []), ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${dir}/prof`] : []), join(root, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'd'), '--log-level', 'warn', ...(process.argv.includes('--no-fsync') ? ['--no-fsync'] : [])], env, root);
const t = new Target(s.url, CREDS, 8);
// bare-fs beside it (`--bare-fs`): its own process and data directory; it checks no signature.
const bare = process.argv.includes('--bare-fs')
  ? await startProcess('bare-fs', [join(root, 'dist', 'bench', 'bare-server.js'), '--port', '0', '--mode', 'file', '--data', join(dir, 'bare')], env, root)
  : null;
const bt = bare === null ? null : new Target(bare.url, CREDS, 8);
async function many(tg: Target, count: number, mk: (i: number) => BenchRequest, want: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { for (;;) { const i = next++; if (i >= count) return; const r = await tg.send(mk(i)); if (r.status !== want) throw new Error(`${r.status} ${r.text}`); } }));
}
const body = Buffer.alloc(4096, 7);
await many(t, 1, () => ({ method: 'PUT', bucket: 'hbench', key: null }), 200);
const keys = Number(arg('--keys', '100'));
await many(t, keys, (i) => ({ method: 'PUT', bucket: 'hbench', key: `k${i}`, body }), 200);
const userKeys = await setUpRamUser(s.url, CREDS, 'hbench');
const user = new Target(s.url, userKeys, 8);
// `sts`: the same GETs with credentials from AssumeRole (the bench's role: 5 policies, no session policy).
const which = arg('--which', 'root,ram,del').split(',');
const sts = which.includes('sts')
  ? new Target(s.url, await (await setUpRole(s.url, CREDS, userKeys, '1234567890123456'))('small-cpu'), 8) : null;
const get = (i: number): BenchRequest => ({ method: 'GET', bucket: 'hbench', key: `k${i % keys}` });
const switches = (pid: number): number[] => ['voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches'].map((k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))![1]));
const measure = async (label: string, fn: () => Promise<void>, ops: number, pid = s.pid): Promise<void> => {
  const x0 = switches(pid);
  const c0 = cpuSeconds(pid); const m0 = mainThreadCpuSeconds(pid); const w0 = Date.now();
  const rec = perf ? spawn('perf', ['record', '-e', 'cpu-clock', '-F', '4000', '-g', '-p', String(pid), '-o', `/tmp/perfh/${label.trim().replace(/ /g, '_')}.data`], { stdio: 'ignore' }) : null;
  if (rec) await new Promise((r) => setTimeout(r, 500));
  await fn();
  if (rec) { rec.kill('SIGINT'); await new Promise((r) => rec.once('exit', r)); }
  const c1 = cpuSeconds(pid); const m1 = mainThreadCpuSeconds(pid);
  console.log(`${label}: ${((c1 - c0) * 1e6 / ops).toFixed(1)} µs/op server CPU (main thread ${((m1 - m0) * 1e6 / ops).toFixed(1)}), ${(ops / ((Date.now() - w0) / 1000)).toFixed(0)} ops/s, main-thread switches/op (voluntary + involuntary) ${switches(pid).map((v, i) => ((v - x0[i]!) / ops).toFixed(2)).join(' + ')}`);
};
for (let round = 0; round < Number(arg('--rounds', '3')); round++) {
  if (which.includes('root')) { await many(t, 2000, get, 200); await measure('GET root', () => many(t, n, get, 200), n); }
  if (which.includes('ram')) { await many(user, 2000, get, 200); await measure('GET ram ', () => many(user, n, get, 200), n); }
  if (sts) { await many(sts, 2000, get, 200); await measure('GET sts ', () => many(sts, n, get, 200), n); }
  if (which.includes('del') || which.includes('put')) {
    const base = `d${round}-`;
    const put = (): Promise<void> => many(t, n, (i) => ({ method: 'PUT', bucket: 'hbench', key: base + i, body }), 200);
    if (which.includes('put')) await measure('PUT     ', put, n);
    else await put();
    if (!which.includes('del')) continue;
    await measure('DELETE  ', () => many(t, n, (i) => ({ method: 'DELETE', bucket: 'hbench', key: base + i }), 204), n);
    if (bare !== null && bt !== null) {
      if (round === 0) await many(bt, 1, () => ({ method: 'PUT', bucket: 'hbench', key: null }), 200);
      await many(bt, n, (i) => ({ method: 'PUT', bucket: 'hbench', key: base + i, body }), 200);
      await measure('DELETE bare-fs', () => many(bt, n, (i) => ({ method: 'DELETE', bucket: 'hbench', key: base + i }), 204), n, bare.pid);
    }
  }
}
t.close(); user.close(); sts?.close(); bt?.close();
await s.stop();
await bare?.stop();
if (prof) console.log('profile:', join(dir, 'prof', readdirSync(join(dir, 'prof'))[0]!), '(remove the directory when done)');
else rmSync(dir, { recursive: true, force: true });
