// Helpers for the declared-state tests (test/init*.test.ts): state files in a temp folder, the state a
// running server holds (exported through the same code as `alunite init export`), and a signed reset.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BucketService } from '../../src/domain/buckets.js';
import type { DomainContext } from '../../src/domain/context.js';
import { ObjectService } from '../../src/domain/objects.js';
import { exportState } from '../../src/init/export.js';
import type { RunningServer } from '../../src/server.js';
import { systemClock } from '../../src/util/time.js';
import { rawRequest, v1Authorization, type RawResponse } from './raw-http.js';
import { ACCOUNT_ID, AK, SECRET } from './server.js';
import { tempDir } from './tmp.js';

/** A temp folder holding a state file and the files it refers to. */
export async function stateDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('alunite-init-');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

/** The server's state in the state-file format (with secrets), as `alunite init export` writes it. */
export async function currentState(srv: RunningServer, opts: { objectsDir?: string; stateFile?: string; accountId?: string; rootAccessKeyId?: string } = {}): Promise<Record<string, unknown>> {
  const ctx: DomainContext = { meta: srv.meta, blobs: srv.blobs, clock: systemClock, region: 'cn-hangzhou', log: () => undefined };
  return exportState(
    { ram: srv.ram, buckets: new BucketService(ctx), objects: new ObjectService(ctx), meta: srv.meta, accountId: opts.accountId ?? ACCOUNT_ID, rootAccessKeyId: opts.rootAccessKeyId ?? AK },
    { withSecrets: true, ...(opts.objectsDir !== undefined ? { objectsDir: opts.objectsDir } : {}), ...(opts.stateFile !== undefined ? { stateFile: opts.stateFile } : {}) },
  );
}

/** `POST /-/reset` signed (V1, path /-/reset) with the given key; unsigned when `ak` is null. */
export async function reset(port: number, ak: string | null = AK, secret = SECRET): Promise<RawResponse> {
  const headers: Record<string, string> = { date: new Date().toUTCString(), host: `127.0.0.1:${port}` };
  if (ak !== null) headers.authorization = v1Authorization({ method: 'POST', bucket: '-', key: 'reset', headers }, ak, secret).authorization;
  return rawRequest(port, { method: 'POST', path: '/-/reset', headers });
}
