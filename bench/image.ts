/**
 * Image processing (issue 13): requests per second for a 1 MP JPEG (1000×1000) resized to 200 px width
 * (`x-oss-process=image/resize,w_200`) through an Alunite server (real data directory, as shipped), and
 * the same resize with sharp alone in this process for comparison (what the server adds: the request,
 * the read of the object, the limits, the answer). Both run `--concurrency` requests at a time.
 *
 *   npm run build && node dist/bench/image.js [--seconds 10] [--concurrency 2]
 * `npm run bench` runs it too (phase [4+], against its Alunite server, results in <out>.image.json).
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

export interface ImageBenchResult {
  jpegBytes: number;
  concurrency: number;
  viaServerOpsPerSec: number;
  sharpAloneOpsPerSec: number;
  /** Server CPU per request (ms), when the server's pid is known. */
  serverCpuMsPerOp?: number;
}

/** A photo-like 1 MP JPEG: noise compresses like detail, so decoding does real work. */
function testJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 1000, height: 1000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
    .jpeg({ quality: 85 }).toBuffer();
}

/** The measurement against a running server (also run by bench/run.ts, `npm run bench`). */
export async function imageBench(
  target: Target, o: { seconds: number; concurrency: number; serverPid?: number }, log: (line: string) => void,
): Promise<ImageBenchResult> {
  const jpeg = await testJpeg();
  const must = async (r: BenchRequest, expect: number): Promise<void> => {
    const res = await target.send({ ...r, collect: true });
    if (res.status !== expect) throw new Error(`${r.method} ${r.bucket}/${r.key ?? ''}: ${res.status} ${res.text.slice(0, 200)}`);
  };
  await must({ method: 'PUT', bucket: 'bench-images', key: null, body: Buffer.alloc(0) }, 200);
  await must({ method: 'PUT', bucket: 'bench-images', key: 'photo.jpg', body: jpeg }, 200);
  const resize: BenchRequest = { method: 'GET', bucket: 'bench-images', key: 'photo.jpg', query: [['x-oss-process', 'image/resize,w_200']] };
  await must(resize, 200);
  await rate(1, o.concurrency, async () => { await target.send(resize); }); // warm-up

  const cpu0 = o.serverPid !== undefined ? cpuSeconds(o.serverPid) : 0;
  let served = 0;
  const viaServer = await rate(o.seconds, o.concurrency, async () => {
    const res = await target.send(resize);
    if (res.status !== 200) throw new Error(`resize: ${res.status}`);
    served += 1;
  });
  const cpuPerOp = o.serverPid !== undefined ? ((cpuSeconds(o.serverPid) - cpu0) * 1000) / served : undefined;
  const alone = await rate(o.seconds, o.concurrency, async () => {
    await sharp(jpeg).resize(200).jpeg({ quality: 90 }).toBuffer();
  });
  log(`image processing: 1000×1000 JPEG (${(jpeg.length / 1024).toFixed(0)} KiB) → resize,w_200, ${o.concurrency} at a time, ${o.seconds} s each`);
  log(`  through the server  ${viaServer.toFixed(1).padStart(7)} ops/s${cpuPerOp !== undefined ? `   (${cpuPerOp.toFixed(1)} ms server CPU/op)` : ''}`);
  log(`  sharp alone         ${alone.toFixed(1).padStart(7)} ops/s   ratio ${((viaServer / alone) * 100).toFixed(0)}%`);
  return {
    jpegBytes: jpeg.length, concurrency: o.concurrency, viaServerOpsPerSec: viaServer, sharpAloneOpsPerSec: alone,
    ...(cpuPerOp !== undefined ? { serverCpuMsPerOp: cpuPerOp } : {}),
  };
}

async function main(): Promise<void> {
  const seconds = Number(arg('--seconds', '10'));
  const concurrency = Number(arg('--concurrency', '2'));
  const scratch = mkdtempSync(join(tmpdir(), 'alunite-bench-img-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_')) env[k] = v;
  Object.assign(env, { ALUNITE_ROOT_ACCESS_KEY_ID: CREDS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: CREDS.accessKeySecret, ALUNITE_ACCOUNT_ID: '1234567890123456' });
  const server = await startProcess('alunite', [join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(scratch, 'data'), '--log-level', 'warn'], env, ROOT);
  const target = new Target(server.url, CREDS, concurrency);
  try {
    await imageBench(target, { seconds, concurrency, serverPid: server.pid }, (line) => process.stdout.write(`${line}\n`));
  } finally {
    target.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
