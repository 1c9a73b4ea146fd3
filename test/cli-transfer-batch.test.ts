// Which failures stop a `cp -r` / `sync` run (src/cli/transfer-batch.ts): errors shaped as the CLI meets them
// (a stream write's ENOSPC has no path; ali-oss's service errors carry their code; its timeouts a name).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchError, runTransfers } from '../src/cli/transfer-batch.js';

const items = Array.from({ length: 20 }, (_, i) => `f${i}`);
const names = (item: string): { source: string; destination: string } => ({ source: item, destination: `oss://b/${item}` });

async function runWith(failOn: string, err: Error): Promise<{ attempted: string[]; outcome: Awaited<ReturnType<typeof runTransfers<string>>> }> {
  const attempted: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write; // the per-item lines
  try {
    const outcome = await runTransfers(items, 1, names, async (item) => {
      attempted.push(item);
      if (item === failOn) throw err;
    });
    return { attempted, outcome };
  } finally {
    process.stderr.write = write;
  }
}

const coded = (code: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(`${code} happened`), { code, ...extra });

describe('transfer batches: which failures stop the run', () => {
  it('one object refused, a local name too long, a response timeout: the others are still transferred', async () => {
    for (const err of [
      coded('AccessDenied', { status: 403, requestId: 'R1' }),
      coded('ENAMETOOLONG', { path: '/tmp/x', syscall: 'open' }),
      Object.assign(new Error('Response timeout for 60000ms'), { name: 'ResponseTimeoutError', status: -2 }),
    ]) {
      const { attempted, outcome } = await runWith('f3', err);
      assert.equal(attempted.length, 20, err.message);
      assert.equal(outcome.failures.length, 1);
      assert.equal(outcome.stoppedBy, undefined);
      const e = batchError(outcome, 'transfer') as { code: string; message: string };
      assert.equal(e.code, 'TransferFailed');
      assert.match(e.message, /^1 of 20 transfers failed .*the first: f3: .*the other 19 completed$/);
    }
  });

  it('a full disk (no path on a stream write), a disabled or unknown key, a missing token, no server: the run stops', async () => {
    for (const err of [
      coded('ENOSPC', { syscall: 'write' }),
      coded('EDQUOT', { syscall: 'write' }),
      coded('InvalidAccessKeyId.Inactive', { status: 403 }),
      coded('InvalidAccessKeyId', { status: 403 }),
      coded('MissingSecurityToken', { status: 403 }),
      coded('SecurityTokenExpired', { status: 403 }),
      coded('NoSuchBucket', { status: 404 }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { status: -1, code: 'ConnectionRefusedError' }),
    ]) {
      const { attempted, outcome } = await runWith('f3', err);
      assert.deepEqual(attempted, ['f0', 'f1', 'f2', 'f3'], err.message);
      assert.equal(outcome.stoppedBy, err);
      assert.equal(outcome.failures.length, 0);
      assert.equal(batchError(outcome, 'transfer'), err, 'the failure itself is the error');
    }
  });

  it('nothing failed: no error', async () => {
    const { outcome } = await runWith('none', new Error('unused'));
    assert.equal(batchError(outcome, 'transfer'), undefined);
  });
});
