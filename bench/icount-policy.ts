/**
 * Instructions per policy decision (bench/policy.ts's mix), for comparisons a busy machine cannot
 * distort. Re-runs itself under `valgrind --tool=callgrind`; after a warm-up the child zeroes its own
 * counters (callgrind_control), makes N decisions, dumps, and the total Ir ÷ N is printed.
 *
 *   node dist/bench/icount-policy.js [decide|oss|evaluate] [--n 200000] [--req R] [--keep FILE]
 *     --keep FILE: the measured dump kept as FILE and the JIT map as FILE.map
 *     (`node dist/bench/icount-names.js FILE FILE.map --n N` names the JIT code per decision).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const mode = process.argv[2] ?? 'decide';
const ni = process.argv.indexOf('--n');
const n = ni > 0 ? Number(process.argv[ni + 1]) : 200_000;
const ri = process.argv.indexOf('--req');
/** Only request `--req R` of the mix (every 8th call). */
const only = ri > 0 ? Number(process.argv[ri + 1]) : null;
const ki = process.argv.indexOf('--keep');
const keep = ki > 0 ? (process.argv[ki + 1] ?? '') : '';

if (process.env.ICOUNT_CHILD === undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'alunite-icount-policy-'));
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.out')}`, process.execPath, ...(keep !== '' ? ['--perf-basic-prof'] : []), fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    env: { ...process.env, ICOUNT_CHILD: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr.slice(-2000));
  const dumps = readdirSync(dir).filter((f) => f.startsWith('cg.out.')).sort();
  const text = readFileSync(join(dir, dumps[dumps.length - 1]!), 'utf8');
  const ir = Number(/^(?:summary|totals): (\d+)/m.exec(text)![1]);
  if (keep !== '') {
    copyFileSync(join(dir, dumps[dumps.length - 1]!), keep);
    // --perf-basic-prof: the child's JIT map (/tmp/perf-<pid>.map; valgrind runs node in its own pid).
    if (existsSync(`/tmp/perf-${r.pid}.map`)) copyFileSync(`/tmp/perf-${r.pid}.map`, `${keep}.map`);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ op: `policy ${mode}`, n, instructionsPerOp: Math.round(ir / n), check: r.stdout.trim() }));
} else {
  const { policyWorkload } = await import('./policy.js');
  const all = policyWorkload(mode);
  const run = only === null ? all : (i: number): number => all(only + 8 * i);
  let sink = 0;
  for (let i = 0; i < n; i++) sink += run(i); // warm-up: same count, so the JIT has settled
  execFileSync('callgrind_control', ['-z', String(process.pid)], { stdio: 'ignore' });
  for (let i = 0; i < n; i++) sink += run(i);
  execFileSync('callgrind_control', ['-d', String(process.pid)], { stdio: 'ignore' });
  console.log(sink);
}
