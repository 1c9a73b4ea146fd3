/**
 * Encryption at rest vs plain, in the same server process and run (issue 12: AES256 GET/PUT 256 MiB at
 * ≥ 70% of plain MiB/s). One Alunite server (real data directory, fsync on, as shipped), two buckets: one
 * plain, one with the default encryption AES256 (PutBucketEncryption), so the requests are byte-for-byte
 * the same apart from the bucket. PUT and GET alternate plain/encrypted per repetition, so a busy
 * machine slows both alike.
 *
 *   npm run build && node dist/bench/encryption.js [--size-mib 256] [--reps 3] [--algorithm AES256|SM4]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Target, type BenchRequest, type Credentials } from './client.js';
import { cpuSeconds, startProcess } from './proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
const CREDS: Credentials = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const CHUNK = Buffer.alloc(MiB, 0x42);
function* body(size: number): Generator<Buffer> {
  for (let left = size; left > 0; left -= MiB) yield left >= MiB ? CHUNK : CHUNK.subarray(0, left);
}

interface Sample {
  seconds: number;
  cpu: number;
}

async function main(): Promise<void> {
  const size = Number(arg('--size-mib', '256')) * MiB;
  const reps = Number(arg('--reps', '3'));
  const algorithm = arg('--algorithm', 'AES256');
  const scratch = mkdtempSync(join(tmpdir(), 'alunite-bench-sse-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_')) env[k] = v;
  Object.assign(env, { ALUNITE_ROOT_ACCESS_KEY_ID: CREDS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: CREDS.accessKeySecret, ALUNITE_ACCOUNT_ID: '1234567890123456' });
  const server = await startProcess('alunite', [join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(scratch, 'data'), '--log-level', 'warn'], env, ROOT);
  const target = new Target(server.url, CREDS, 1);
  try {
    const must = async (r: BenchRequest, expect: number): Promise<void> => {
      const res = await target.send({ ...r, collect: true });
      if (res.status !== expect) throw new Error(`${r.method} ${r.bucket}/${r.key ?? ''}: ${res.status} ${res.text.slice(0, 200)}`);
    };
    await must({ method: 'PUT', bucket: 'plain', key: null }, 200);
    await must({ method: 'PUT', bucket: 'encrypted', key: null }, 200);
    const rule = `<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${algorithm}</SSEAlgorithm></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>`;
    await must({ method: 'PUT', bucket: 'encrypted', key: null, query: [['encryption', '']], body: Buffer.from(rule) }, 200);

    const results: Record<string, Sample[]> = { 'PUT plain': [], 'PUT encrypted': [], 'GET plain': [], 'GET encrypted': [] };
    const timed = async (label: string, r: BenchRequest): Promise<void> => {
      const cpu0 = cpuSeconds(server.pid);
      const t0 = process.hrtime.bigint();
      const res = await target.send(r);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (res.status !== 200 || (r.method === 'GET' && res.bytes !== size)) throw new Error(`${label}: status ${res.status}, ${res.bytes} bytes`);
      results[label]!.push({ seconds, cpu: cpuSeconds(server.pid) - cpu0 });
    };
    // One unmeasured round warms up both paths.
    for (const bucket of ['plain', 'encrypted']) await must({ method: 'PUT', bucket, key: 'warm', body: () => Readable.from(body(16 * MiB), { objectMode: false }), bodyLength: 16 * MiB }, 200);
    for (let rep = 0; rep < reps; rep++) {
      for (const bucket of rep % 2 === 0 ? ['plain', 'encrypted'] : ['encrypted', 'plain']) {
        await timed(`PUT ${bucket}`, { method: 'PUT', bucket, key: `big-${rep}`, body: () => Readable.from(body(size), { objectMode: false }), bodyLength: size });
      }
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const bucket of rep % 2 === 0 ? ['plain', 'encrypted'] : ['encrypted', 'plain']) await timed(`GET ${bucket}`, { method: 'GET', bucket, key: `big-${rep}` });
    }
    const mibps = (label: string): number => (results[label]!.length * size) / MiB / results[label]!.reduce((s, x) => s + x.seconds, 0);
    const cpuPerMiB = (label: string): number => (results[label]!.reduce((s, x) => s + x.cpu, 0) * 1000) / ((results[label]!.length * size) / MiB);
    process.stdout.write(`encryption at rest (${algorithm}), ${size / MiB} MiB objects ×${reps}, one server, same run\n`);
    for (const op of ['PUT', 'GET']) {
      const plain = mibps(`${op} plain`);
      const enc = mibps(`${op} encrypted`);
      process.stdout.write(
        `  ${op}  plain ${plain.toFixed(0).padStart(5)} MiB/s (${cpuPerMiB(`${op} plain`).toFixed(2)} ms CPU/MiB)   ` +
          `${algorithm} ${enc.toFixed(0).padStart(5)} MiB/s (${cpuPerMiB(`${op} encrypted`).toFixed(2)} ms CPU/MiB)   ratio ${((enc / plain) * 100).toFixed(0)}%\n`,
      );
    }
  } finally {
    target.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
