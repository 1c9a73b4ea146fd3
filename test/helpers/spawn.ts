import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AK, ACCOUNT_ID, SECRET } from './server.js';

export const BIN = fileURLToPath(new URL('../../../bin/alunite', import.meta.url));

export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  port: number;
  /** Everything the process wrote to stderr so far (its log lines). */
  stderr(): string;
  /** Everything it wrote to stdout so far (the listening line; node's own tracing, such as --trace-gc). */
  stdout(): string;
}

/** How long a spawned server may take to print its listening line (helpers that spawn one share it). */
export const START_LIMIT_MS = 120_000;

/** Starts `bin/alunite server` as a real child process (node given `nodeFlags`) and waits for its listening line. */
export function spawnServer(args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [...nodeFlags, BIN, 'server', '--port', '0', '--log-level', 'warn', ...args], {
    env: {
      ...process.env,
      ALUNITE_ROOT_ACCESS_KEY_ID: AK,
      ALUNITE_ROOT_ACCESS_KEY_SECRET: SECRET,
      ALUNITE_ACCOUNT_ID: ACCOUNT_ID,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    // A start takes ~1 s alone and over 20 s at load 20 on 2 cores: the limit is for a server that never listens,
    // which is then killed (left running, it kept the test process alive after the test had failed).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${START_LIMIT_MS / 1000} s: ${out}${err}`));
    }, START_LIMIT_MS);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /alunite listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, port: Number(new URL(m[1]!).port), stderr: () => err, stdout: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}${err}`));
    });
  });
}

export function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Node flags for spawnServer that let heapUsedMb measure the server's heap after a full collection. */
export function heapProbeFlags(): string[] {
  return ['--expose-gc', '--import', fileURLToPath(new URL('./heap-probe.js', import.meta.url))];
}

/**
 * The live heap (MB) of a server spawned with heapProbeFlags(), after a full garbage collection; with
 * `external`, plus the memory of live Buffers outside V8's heap (a slice of a request body keeps all of it).
 */
export async function heapUsedMb(srv: SpawnedServer, opts: { external?: boolean } = {}): Promise<number> {
  const seen = (srv.stdout().match(/heap-probe /g) ?? []).length;
  srv.child.kill('SIGUSR2');
  // The probe waits its turn on the server's event loop and runs two full collections: slow on a busy machine.
  for (const t0 = Date.now(); Date.now() - t0 < 30_000; ) {
    const lines = srv.stdout().match(/heap-probe (\{[^\n]*\})/g) ?? [];
    if (lines.length > seen) {
      const m = JSON.parse(lines[lines.length - 1]!.slice('heap-probe '.length)) as { heapUsed: number; external: number };
      return (m.heapUsed + (opts.external === true ? m.external : 0)) / 1048576;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the server did not answer the heap probe');
}
