/**
 * Young-generation garbage per request, root against the RAM user with 10 × 10 policies (bench/ram.ts): the server
 * runs with --trace-gc, and each phase of 4 KiB GETs counts the scavenges it caused and the MB they freed. Counts,
 * not times: what a change that allocates less per request shows on a busy machine. Not a test.
 *
 *   node dist/bench/gc-count.js [--root DIR] [--n 20000] [--rounds 2] [--which root,ram,sts]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Target, type BenchRequest } from './client.js';
import { setUpRamUser, setUpRole } from './ram.js';

const HERE = fileURLToPath(new URL('../../', import.meta.url));
const CREDS = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(name); return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt; };
const root = arg('--root', HERE);
const n = Number(arg('--n', '20000'));
const which = arg('--which', 'root,ram').split(',');
const dir = mkdtempSync(join(tmpdir(), 'gccount-'));
const env: NodeJS.ProcessEnv = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_') && !k.startsWith('NODE_OPTIONS')) env[k] = v;
env.ALUNITE_ROOT_ACCESS_KEY_ID = CREDS.accessKeyId; env.ALUNITE_ROOT_ACCESS_KEY_SECRET = CREDS.accessKeySecret; env.ALUNITE_ACCOUNT_ID = '1234567890123456';
const child = spawn(process.execPath, ['--trace-gc', join(root, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'd'), '--log-level', 'warn'], { env, cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let scavenges = 0;
let freedMb = 0;
const lines = createInterface({ input: child.stdout! });
const url = await new Promise<string>((resolve) => {
  lines.on('line', (line) => {
    const m = /listening on (http:\/\/\S+)/.exec(line);
    if (m) resolve(m[1]!);
    // "[pid:0x…]   123 ms: Scavenge 5.1 (7.0) -> 4.3 (8.0) MB, …"
    const s = /Scavenge(?: \(interleaved\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \(/.exec(line);
    if (s) { scavenges++; freedMb += Number(s[1]) - Number(s[2]); }
  });
});
async function many(tg: Target, count: number, mk: (i: number) => BenchRequest, want: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { for (;;) { const i = next++; if (i >= count) return; const r = await tg.send(mk(i)); if (r.status !== want) throw new Error(`${r.status} ${r.text}`); } }));
}
const t = new Target(url, CREDS, 8);
const body = Buffer.alloc(4096, 7);
await many(t, 1, () => ({ method: 'PUT', bucket: 'gcbench', key: null }), 200);
await many(t, 100, (i) => ({ method: 'PUT', bucket: 'gcbench', key: `k${i}`, body }), 200);
const userKeys = await setUpRamUser(url, CREDS, 'gcbench');
const targets: Record<string, Target> = { root: t, ram: new Target(url, userKeys, 8) };
if (which.includes('sts')) targets.sts = new Target(url, await (await setUpRole(url, CREDS, userKeys, '1234567890123456'))('gc-count'), 8);
const get = (i: number): BenchRequest => ({ method: 'GET', bucket: 'gcbench', key: `k${i % 100}` });
for (let round = 0; round < Number(arg('--rounds', '2')); round++) {
  for (const w of which) {
    const tg = targets[w]!;
    await many(tg, 3000, get, 200);
    await new Promise((r) => setTimeout(r, 200));
    const s0 = scavenges; const f0 = freedMb;
    await many(tg, n, get, 200);
    await new Promise((r) => setTimeout(r, 200));
    console.log(JSON.stringify({ round, who: w, n, scavengesPer10k: +(((scavenges - s0) * 10000) / n).toFixed(2), freedBytesPerRequest: Math.round(((freedMb - f0) * 1024 * 1024) / n) }));
  }
}
for (const tg of Object.values(targets)) tg.close();
const exited = new Promise((r) => child.once('exit', r));
child.kill('SIGTERM');
await exited;
rmSync(dir, { recursive: true, force: true });
