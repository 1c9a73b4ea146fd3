// The worker half of helpers/worker-server.ts: starts the test server, reports where it listens, stops on 'stop'.
import { parentPort, workerData } from 'node:worker_threads';
import type { ServerOptions } from '../../src/server.js';
import { startTestServer } from './server.js';

const port = parentPort!;
const srv = await startTestServer(workerData as Partial<ServerOptions>);
port.postMessage({ url: srv.url, port: srv.port, dataDir: srv.dataDir });
port.once('message', () => {
  void srv.stop().then(() => port.close());
});
