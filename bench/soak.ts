/**
 * Memory soak for large objects (issue 15): Alunite (durable, SQLite) takes `--total` bytes of uploads
 * as `--concurrency` parallel PUTs of `--size` each, then serves the same bytes back as parallel GETs,
 * while VmRSS is sampled every 100 ms. Target: RSS stays within +64 MiB of its level before the soak.
 * Not part of `npm test` (minutes of I/O and 2×total of disk traffic).
 *
 *   node dist/bench/soak.js [--total-gib 5] [--size-mib 256] [--concurrency 16] [--data DIR] [--node-flags "F …"]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Target, type BenchResponse } from './client.js';
import { cpuSeconds, nodeFlagsOf, positiveArg, RssSampler, startProcess, vmBytes } from './proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
const CREDS = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const BUCKET = 'soak';

const arg = positiveArg;

/** --node-flags "F …": node flags for the server (profiling; V8's own heap growing: --heap-growing-percent=0). */
const flagsArg = process.argv.includes('--node-flags') ? process.argv[process.argv.indexOf('--node-flags') + 1] : undefined;
const totalBytes = Math.round(arg('--total-gib', 5) * 1024 * MiB);
const size = Math.round(arg('--size-mib', 256) * MiB);
const concurrency = arg('--concurrency', 16);
const dataArg = process.argv.indexOf('--data');
const scratch = dataArg >= 0 ? process.argv[dataArg + 1]! : mkdtempSync(join(tmpdir(), 'alunite-soak-'));

const BLOCK = Buffer.alloc(MiB, 0x5a);
function* body(n: number): Generator<Buffer> {
  for (let left = n; left > 0; left -= BLOCK.length) yield left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left);
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: CREDS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: CREDS.accessKeySecret, ALUNITE_ACCOUNT_ID: '1234567890123456' };
  const server = await startProcess('alunite', [...nodeFlagsOf(flagsArg), join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(scratch, 'data'), '--log-level', 'warn'], env, ROOT);
  const target = new Target(server.url, CREDS, concurrency);
  const objects = Math.ceil(totalBytes / size);
  try {
    const created = await target.send({ method: 'PUT', bucket: BUCKET, key: null, body: Buffer.alloc(0) });
    if (created.status !== 200) throw new Error(`create bucket: HTTP ${created.status}`);
    // Warm: a few small round trips, so the baseline includes loaded code and the started hash workers (one
    // per upload until min(4, cores) run).
    for (let i = 0; i < 4; i++) await target.send({ method: 'PUT', bucket: BUCKET, key: 'warm', body: () => Readable.from(body(4 * MiB)), bodyLength: 4 * MiB });
    await target.send({ method: 'GET', bucket: BUCKET, key: 'warm' });
    await new Promise((r) => setTimeout(r, 500));
    process.stdout.write(`alunite soak: ${objects} × ${size / MiB} MiB (${(objects * size) / 1024 / MiB} GiB) each way, ${concurrency} in parallel, data in ${scratch}\n`);
    const before = vmBytes(server.pid, 'VmRSS');
    let peak = before;
    for (const op of ['PUT', 'GET'] as const) {
      const sampler = new RssSampler(server.pid, 100);
      const cpu0 = cpuSeconds(server.pid);
      const t0 = process.hrtime.bigint();
      let next = 0;
      let failures = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < objects) {
          const i = next++;
          const key = `obj-${i}`;
          const res: BenchResponse = op === 'PUT'
            ? await target.send({ method: 'PUT', bucket: BUCKET, key, body: () => Readable.from(body(size)), bodyLength: size })
            : await target.send({ method: 'GET', bucket: BUCKET, key });
          if (res.status !== 200 || (op === 'GET' && res.bytes !== size)) {
            failures++;
            process.stderr.write(`  ! ${op} ${key}: HTTP ${res.status} ${res.bytes} bytes ${res.text.slice(0, 200)}\n`);
          }
        }
      }));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = cpuSeconds(server.pid) - cpu0;
      const rss = sampler.stop();
      peak = Math.max(peak, rss.max);
      const mib = (objects * size) / MiB;
      process.stdout.write(
        `  ${op}: ${(mib / seconds).toFixed(0)} MiB/s, ${((cpu * 1000) / mib).toFixed(2)} ms server CPU/MiB, ` +
          `VmRSS ${(rss.baseline / MiB).toFixed(0)} → max ${(rss.max / MiB).toFixed(0)} MiB (+${(rss.growth / MiB).toFixed(1)} MiB; target ≤ +64), ` +
          `${rss.samples} samples, ${failures} failures\n`,
      );
    }
    process.stdout.write(
      `  whole soak: VmRSS ${(before / MiB).toFixed(0)} MiB before the first PUT → max ${(peak / MiB).toFixed(0)} MiB (+${((peak - before) / MiB).toFixed(1)} MiB; target ≤ +64); ` +
        `VmHWM at the end: ${(vmBytes(server.pid, 'VmHWM') / MiB).toFixed(0)} MiB\n`,
    );
  } finally {
    target.close();
    await server.stop();
    if (dataArg < 0) rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
