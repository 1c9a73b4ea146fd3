/**
 * Image processing (issue 13): requests per second for a 1 MP JPEG (1000×1000) resized to 200 px width
 * (`x-oss-process=image/resize,w_200`) through an Alunite server (real data directory, as shipped), and
 * the same resize with sharp alone in this process for comparison (what the server adds: the request,
 * the read of the object, the limits, the answer). Both run `--concurrency` requests at a time.
 *
 *   npm run build && node dist/bench/image.js [--seconds 10] [--concurrency 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Target, type BenchRequest, type Credentials } from './client.js';
import { cpuSeconds, startProcess } from './proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CREDS: Credentials = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Runs `op` with `concurrency` loops for `seconds`; returns operations per second. */
async function rate(seconds: number, concurrency: number, op: () => Promise<void>): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      await op();
      done += 1;
    }
  }));
  return done / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function main(): Promise<void> {
  const seconds = Number(arg('--seconds', '10'));
  const concurrency = Number(arg('--concurrency', '2'));
  // A photo-like 1 MP JPEG: noise compresses like detail, so decoding does real work.
  const jpeg = await sharp({ create: { width: 1000, height: 1000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
    .jpeg({ quality: 85 }).toBuffer();

  const scratch = mkdtempSync(join(tmpdir(), 'alunite-bench-img-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_')) env[k] = v;
  Object.assign(env, { ALUNITE_ROOT_ACCESS_KEY_ID: CREDS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: CREDS.accessKeySecret, ALUNITE_ACCOUNT_ID: '1234567890123456' });
  const server = await startProcess('alunite', [join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(scratch, 'data'), '--log-level', 'warn'], env, ROOT);
  const target = new Target(server.url, CREDS, concurrency);
  try {
    const must = async (r: BenchRequest, expect: number): Promise<void> => {
      const res = await target.send({ ...r, collect: true });
      if (res.status !== expect) throw new Error(`${r.method} ${r.bucket}/${r.key ?? ''}: ${res.status} ${res.text.slice(0, 200)}`);
    };
    await must({ method: 'PUT', bucket: 'images', key: null }, 200);
    await must({ method: 'PUT', bucket: 'images', key: 'photo.jpg', body: jpeg }, 200);
    const resize: BenchRequest = { method: 'GET', bucket: 'images', key: 'photo.jpg', query: [['x-oss-process', 'image/resize,w_200']] };
    const check = await target.send({ ...resize, collect: false });
    if (check.status !== 200) throw new Error(`resize: ${check.status}`);
    await rate(1, concurrency, async () => { await target.send(resize); }); // warm-up

    const cpu0 = cpuSeconds(server.pid);
    let served = 0;
    const viaServer = await rate(seconds, concurrency, async () => {
      const res = await target.send(resize);
      if (res.status !== 200) throw new Error(`resize: ${res.status}`);
      served += 1;
    });
    const cpuPerOp = ((cpuSeconds(server.pid) - cpu0) * 1000) / served;
    const alone = await rate(seconds, concurrency, async () => {
      await sharp(jpeg).resize(200).jpeg({ quality: 90 }).toBuffer();
    });
    process.stdout.write(`image processing: 1000×1000 JPEG (${(jpeg.length / 1024).toFixed(0)} KiB) → resize,w_200, ${concurrency} at a time, ${seconds} s each\n`);
    process.stdout.write(`  through the server  ${viaServer.toFixed(1).padStart(7)} ops/s   (${cpuPerOp.toFixed(1)} ms server CPU/op)\n`);
    process.stdout.write(`  sharp alone         ${alone.toFixed(1).padStart(7)} ops/s   ratio ${((viaServer / alone) * 100).toFixed(0)}%\n`);
  } finally {
    target.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
