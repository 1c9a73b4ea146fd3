// A test server in a worker thread, for test files that reach it over HTTP only. Node 20's test runner tracks
// every async resource of a test process with an async hook (internal/test_runner/harness.js) whose destroy half
// gives each promise a weak handle: promise-heavy server work (SelectObject over MiBs) took ~4x the CPU it takes
// outside a test. Async hooks are per thread, so a server in a worker does not pay that.
import { Worker } from 'node:worker_threads';
import OSS from 'ali-oss';
import type { ServerOptions } from '../../src/server.js';
import { testPostgres } from './postgres.js';
import { AK, SECRET } from './server.js';

export interface WorkerServer {
  url: string;
  port: number;
  dataDir: string;
  /** As TestServer.client: ali-oss with the IP endpoint. */
  client(opts?: Partial<OSS.Options>): OSS;
  /** As TestServer.pathClient: `localhost` + sldEnable (path style, allows signatureUrl). */
  pathClient(opts?: Partial<OSS.Options>): OSS;
  stop(): Promise<void>;
}

/** Options that cross to the worker: plain data only (no functions, no stores). */
type PlainOptions = Partial<Pick<ServerOptions, 'meta' | 'region'>>;

export async function startWorkerServer(opts: PlainOptions = {}): Promise<WorkerServer> {
  // PostgreSQL stays the main thread's (one server per test process); the worker is told its database.
  const meta = process.env.ALUNITE_TEST_META === 'postgres' ? await (await testPostgres()).freshUrl() : undefined;
  const worker = new Worker(new URL('./worker-server-thread.js', import.meta.url), {
    workerData: { ...(meta !== undefined ? { meta } : {}), ...opts },
    env: { ...process.env, ALUNITE_TEST_META: '' },
  });
  const started = await new Promise<{ url: string; port: number; dataDir: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`test server worker exited with code ${code} before it listened`)));
  });
  const base = { region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, timeout: 120_000 };
  return {
    ...started,
    client: (o = {}) => new OSS({ ...base, endpoint: started.url, ...o } as OSS.Options),
    pathClient: (o = {}) => new OSS({ ...base, endpoint: `http://localhost:${started.port}`, sldEnable: true, ...o } as OSS.Options),
    async stop() {
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      worker.postMessage('stop');
      const code = await exited;
      if (code !== 0) throw new Error(`test server worker exited with code ${code}`);
    },
  };
}
