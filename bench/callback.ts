/**
 * Upload callback overhead (docs/callbacks.md): PutObject of 4 KiB objects without a callback and with one
 * to a loopback callback server in this process (which answers `{"Status":"OK"}` at once), in alternating
 * rounds; ops/s of each and their ratio. The difference is the callback's cost: rendering and RSA-signing the
 * body, one HTTP request and its answer. Not a test: nothing fails on timing.
 *
 *   npm run build && node dist/bench/callback.js [--quick] [--ops N] [--concurrency N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rate, Target, type BenchRequest } from './client.js';
import { startProcess, type ServerProcess } from './proc.js';

export interface CallbackBenchOptions {
  ops: number;
  rounds: number;
  concurrency: number;
  /** The loopback callback server's URL (the Alunite server must allow its host: --callback-allow-host). */
  callbackUrl: string;
}

export interface CallbackBenchResult {
  plain: number;
  callback: number;
  /** callback / plain ops/s. */
  ratio: number;
}

const SMALL = Buffer.alloc(4096, 0x63);


export async function callbackBench(target: Target, o: CallbackBenchOptions, log: (line: string) => void): Promise<CallbackBenchResult> {
  const bucket = 'bench-callback';
  const must = async (r: BenchRequest, ok: number): Promise<void> => {
    const res = await target.send({ ...r, collect: true });
    if (res.status !== ok) throw new Error(`${r.method} ${r.bucket}/${r.key ?? ''}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  };
  await must({ method: 'PUT', bucket, key: null, body: Buffer.alloc(0) }, 200);
  // As a presigned upload carries it: the `callback` sub-resource (signed like the header form).
  const callback = Buffer.from(JSON.stringify({ callbackUrl: o.callbackUrl, callbackBody: 'bucket=${bucket}&object=${object}&etag=${etag}&size=${size}' })).toString('base64');
  const sum = { plain: 0, callback: 0 };
  const perRound = Math.max(1, Math.floor(o.ops / o.rounds));
  for (let r = 0; r < o.rounds; r++) {
    sum.plain += (await rate(perRound, o.concurrency, (i) => must({ method: 'PUT', bucket, key: `plain/${i}`, body: SMALL }, 200))) / o.rounds;
    sum.callback += (await rate(perRound, o.concurrency, (i) => must({ method: 'PUT', bucket, key: `cb/${i}`, query: [['callback', callback]], body: SMALL }, 200))) / o.rounds;
  }
  const result = { ...sum, ratio: sum.callback / sum.plain };
  log(`  PUT 4 KiB  without callback ${sum.plain.toFixed(0)} ops/s   with a loopback callback ${sum.callback.toFixed(0)} ops/s   (ratio ${result.ratio.toFixed(2)})`);
  return result;
}

/** A loopback callback server answering `{"Status":"OK"}` at once. */
export async function startCallbackReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"Status":"OK"}'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`,
    close: () => new Promise<void>((resolve) => {
      receiver.closeAllConnections();
      receiver.close(() => resolve());
    }),
  };
}

// Standalone: one fresh Alunite server allowing the loopback callback server this process runs.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const num = (name: string, fallback: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const quick = args.includes('--quick');
  const creds = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const scratch = mkdtempSync(join(tmpdir(), 'alunite-bench-cb-'));
  const receiver = await startCallbackReceiver();
  let server: ServerProcess | undefined;
  try {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_')) env[k] = v;
    env.ALUNITE_ROOT_ACCESS_KEY_ID = creds.accessKeyId;
    env.ALUNITE_ROOT_ACCESS_KEY_SECRET = creds.accessKeySecret;
    env.ALUNITE_ACCOUNT_ID = '1234567890123456';
    server = await startProcess('alunite', [join(root, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', scratch, '--log-level', 'warn', '--callback-allow-host', '127.0.0.1'], env, root);
    const concurrency = num('--concurrency', 8);
    const target = new Target(server.url, creds, concurrency);
    process.stdout.write('upload callback bench\n');
    await callbackBench(target, {
      ops: num('--ops', quick ? 1000 : 5000), rounds: 4, concurrency, callbackUrl: receiver.url,
    }, (l) => process.stdout.write(`${l}\n`));
    target.close();
  } finally {
    await server?.stop();
    await receiver.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
