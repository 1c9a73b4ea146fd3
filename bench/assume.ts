/**
 * AssumeRole calls/s on its own (the same workload as `npm run bench`'s RAM phase: a RAM user with 10
 * policies assumes a role with 5 attached policies, `--concurrency` pop-core callers in parallel), with the
 * server's CPU per call, the client's, and how busy the machine was, so a run on a shared machine can be read.
 *
 *   node dist/bench/assume.js [--lean] [--calls 2000] [--rounds 3] [--concurrency 8] [--root DIR] [--meta postgres://…] [--cpu-prof DIR]
 *     [--server-node-flags "F …"]
 *
 * --root runs another checkout's build with this client (before/after comparisons).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, hostBusySeconds, mainThreadCpuSeconds, startProcess } from './proc.js';
import { leanAssumer, setUpRamUser, setUpRole } from './ram.js';

const HERE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CREDS = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const ACCOUNT_ID = '1234567890123456';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const calls = Number(arg('--calls', '2000'));
const rounds = Number(arg('--rounds', '3'));
const concurrency = Number(arg('--concurrency', '8'));
const root = arg('--root', HERE_ROOT);
const meta = arg('--meta', '');
/** `--lean`: the calls are sent by bench/rpc-client.ts instead of pop-core. */
const lean = process.argv.includes('--lean');
/** `--cpu-prof DIR`: the server runs under node --cpu-prof (a .cpuprofile lands in DIR when it stops). */
const profDir = arg('--cpu-prof', '');
/** `--server-node-flags "F …"`: more node flags for the server (e.g. --trace-gc). */
const nodeFlags = arg('--server-node-flags', '').split(' ').filter((f) => f !== '');

const dir = mkdtempSync(join(tmpdir(), 'alunite-assume-'));
const env: NodeJS.ProcessEnv = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_') && !k.startsWith('NODE_OPTIONS')) env[k] = v;
env.ALUNITE_ROOT_ACCESS_KEY_ID = CREDS.accessKeyId;
env.ALUNITE_ROOT_ACCESS_KEY_SECRET = CREDS.accessKeySecret;
env.ALUNITE_ACCOUNT_ID = ACCOUNT_ID;
const server = await startProcess('alunite', [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...nodeFlags, join(root, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'data'),
  '--log-level', 'warn', ...(meta ? ['--meta', meta] : [])], env, root);
try {
  const user = await setUpRamUser(server.url, CREDS, 'bench-assume');
  const popAssume = await setUpRole(server.url, CREDS, user, ACCOUNT_ID);
  const leanCaller = lean ? leanAssumer(server.url, user, ACCOUNT_ID, concurrency) : null;
  const assume = leanCaller ? leanCaller.assume : popAssume;
  let session = 0;
  const run = async (n: number): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        await assume(`s${session++}`);
      }
    }));
  };
  await run(Math.min(calls, 500));
  const rows: Array<Record<string, number>> = [];
  for (let r = 0; r < rounds; r++) {
    const srv0 = cpuSeconds(server.pid);
    const main0 = mainThreadCpuSeconds(server.pid);
    const cli0 = process.cpuUsage();
    const host0 = hostBusySeconds();
    const t0 = process.hrtime.bigint();
    await run(calls);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cli = process.cpuUsage(cli0);
    rows.push({
      callsPerSec: Math.round(calls / s),
      serverCpuUsPerCall: Math.round(((cpuSeconds(server.pid) - srv0) * 1e6) / calls),
      serverMainUsPerCall: Math.round(((mainThreadCpuSeconds(server.pid) - main0) * 1e6) / calls),
      serverMainBusy: Number(((mainThreadCpuSeconds(server.pid) - main0) / s).toFixed(2)),
      clientCpuUsPerCall: Math.round((cli.user + cli.system) / calls),
      hostBusyCores: Number(((hostBusySeconds() - host0) / s).toFixed(2)),
    });
  }
  const median = (k: string): number => rows.map((x) => x[k]!).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
  const keys = Object.keys(rows[0]!);
  console.log(JSON.stringify({
    op: `AssumeRole ${lean ? 'lean caller' : 'pop-core'} x${concurrency}`, root, meta: meta ? 'postgres' : 'sqlite', calls, rounds, cpus: availableParallelism(),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
    median: Object.fromEntries(keys.map((k) => [k, median(k)])), rounds_: rows,
  }));
  leanCaller?.close();
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
