import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type OSS from 'ali-oss';
import type { RunningServer, ServerOptions } from '../../src/server.js';
import { CALLBACK_KEY_FILE } from '../../src/util/callback-key.js';
import { tempDir } from './tmp.js';

/** The run's PostgreSQL (./postgres.js, and pg with it, loaded by the tests that use it: the others never pay for it). */
async function testPostgres(): Promise<import('./postgres.js').TestPostgres> {
  return (await import('./postgres.js')).testPostgres();
}

/**
 * The upload-callback signing key given to the servers of fresh data directories (a test-only RSA key). A server
 * creates its own at first start, and RSA 2048 generation costs 0.1-0.5 CPU s, paid by hundreds of test servers per
 * run; the servers of test/crash-restart.test.ts, ops-file-modes.test.ts and every spawned one still create theirs.
 */
export const CALLBACK_KEY = fileURLToPath(new URL('../../../test/fixtures/callback-key.pem', import.meta.url));

export const ACCOUNT_ID = '1234567890123456';
export const AK = 'LTAI5tTestAccessKeyId';
export const SECRET = 'TestSecretTestSecretTestSecre1';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** ali-oss client with the IP endpoint (virtual-hosted Host header, ali-oss quirk). */
  client(opts?: Partial<OSS.Options>): OSS;
  /** ali-oss client with `localhost` + sldEnable (path style), which also allows signatureUrl. */
  pathClient(opts?: Partial<OSS.Options>): OSS;
  stop(): Promise<void>;
}

/**
 * Starts a real server in-process on a free port, with real SQLite and blob files in a temp dir. With
 * ALUNITE_TEST_META=postgres (see test/pg-*.test.ts), the metadata goes to a fresh schema on the test
 * run's real PostgreSQL server instead.
 */
export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  // The server and ali-oss are loaded here, not with this module: ~25 test files import it only for the keys
  // below and spawn their servers, which made each load both for nothing (~0.9 CPU s; docs/testing.md).
  const [{ startServer }, { default: OSS }] = await Promise.all([import('../../src/server.js'), import('ali-oss')]);
  const dataDir = await tempDir('alunite-test-');
  // Written 0644: the server makes it 0600 (test/oss-callback.test.ts checks that).
  if (opts.dataDir === undefined && opts.inMemory !== true) await copyFile(CALLBACK_KEY, join(dataDir, CALLBACK_KEY_FILE));
  const meta = process.env.ALUNITE_TEST_META === 'postgres' ? await (await testPostgres()).freshUrl() : undefined;
  const running = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    inMemory: false,
    region: 'cn-hangzhou',
    accountId: ACCOUNT_ID,
    rootAccessKeyId: AK,
    rootAccessKeySecret: SECRET,
    logLevel: 'silent',
    durable: false,
    meta,
    ...opts,
  });
  const base = { region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, timeout: 120_000 };
  return {
    ...running,
    dataDir,
    client: (o = {}) => new OSS({ ...base, endpoint: running.url, ...o } as OSS.Options),
    pathClient: (o = {}) => new OSS({ ...base, endpoint: `http://localhost:${running.port}`, sldEnable: true, ...o } as OSS.Options),
    async stop() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** For the PostgreSQL runs of the suites (test/pg-*.test.ts): the servers they start really keep their metadata there. */
export async function assertServersOnPostgres(): Promise<void> {
  const srv = await startTestServer();
  try {
    const { PostgresMetadataStore } = await import('../../src/store/meta/postgres/store.js');
    assert.ok(srv.meta instanceof PostgresMetadataStore);
  } finally {
    await srv.stop();
  }
}

/**
 * Two server processes' worth of servers on one fresh PostgreSQL database, as a deployment runs them: one master
 * key (start-up refuses another) and one blob directory. A second server that fails to start stops the first.
 * `opts`: the same further options for both.
 */
export async function startServerPairOnPostgres(opts: Partial<ServerOptions> = {}): Promise<{ a: TestServer; b: TestServer; stop(): Promise<void> }> {
  const url = await (await testPostgres()).freshUrl();
  const masterKey = randomBytes(32);
  const a = await startTestServer({ ...opts, meta: url, masterKey });
  let b: TestServer;
  try {
    b = await startTestServer({ ...opts, meta: url, masterKey, blobsDir: a.dataDir });
  } catch (err) {
    await a.stop();
    throw err;
  }
  return { a, b, stop: async () => { await b.stop(); await a.stop(); } };
}

/**
 * Two servers as two processes on one PostgreSQL database run: a fresh schema, one blob directory (A's data
 * directory) and one master key. Stop B, then A.
 */
export async function startSharedServers(): Promise<{ a: TestServer; b: TestServer; url: string }> {
  const url = await (await testPostgres()).freshUrl();
  const masterKey = randomBytes(32);
  const a = await startTestServer({ meta: url, masterKey });
  const b = await startTestServer({ meta: url, masterKey, blobsDir: a.dataDir }).catch(async (err: unknown) => {
    await a.stop();
    throw err;
  });
  return { a, b, url };
}
