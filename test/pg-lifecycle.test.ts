// The lifecycle suite again with the metadata in PostgreSQL, and two real `bin/alunite server` processes on
// one database with --lifecycle-day-seconds 1: the rules are applied once, by the one process holding the lease.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OSS from 'ali-oss';
import { testPostgres } from './helpers/postgres.js';
import { AK, SECRET, assertServersOnPostgres } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-lifecycle.test.js');

it('the lifecycle suite really runs on PostgreSQL', assertServersOnPostgres);

describe('two processes sharing PostgreSQL', () => {
  it('only the process holding the lease runs the worker; every due object is expired exactly once; the other takes over when it stops', async () => {
    const url = await (await testPostgres()).freshUrl();
    const shared = await mkdtemp(join(tmpdir(), 'alunite-life-two-'));
    const env = { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') };
    const args = (i: number): string[] => [
      '--data', join(shared, `p${i}`), '--meta', url, '--blobs', join(shared, 'blobs'), '--no-fsync',
      '--log-level', 'info', '--log-format', 'json', '--lifecycle-day-seconds', '1', '--lifecycle-interval', '0.2',
    ];
    const procs: SpawnedServer[] = [];
    const client = (i: number): OSS => new OSS({ endpoint: procs[i]!.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'two-procs', timeout: 30_000 });
    const passes = (i: number): Array<Record<string, unknown>> =>
      procs[i]!.stderr().split('\n').filter((l) => l.includes('"lifecycle pass"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const waitFor = async (what: string, ok: () => Promise<boolean> | boolean): Promise<void> => {
      const deadline = Date.now() + 90_000;
      while (!(await ok())) {
        assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      procs.push(...(await Promise.all([0, 1].map((i) => spawnServer(args(i), env)))));
      await client(0).putBucket('two-procs');
      for (let i = 0; i < 30; i++) await client(i % 2).put(`x/${i}`, Buffer.from(String(i)));
      await client(1).putBucketLifecycle('two-procs', [{ id: 'x', prefix: 'x/', status: 'Enabled', expiration: { days: 1 } }] as never);
      await waitFor('the objects to expire', async () => ((await client(0).list({ prefix: 'x/' } as never, {})).objects ?? []).length === 0);
      // The pass that removed the last objects logs its summary when it ends.
      const expired = (): number => [...passes(0), ...passes(1)].reduce((n, p) => n + Number(p.expired), 0);
      await waitFor('the pass summaries to count 30 expirations', () => expired() >= 30);
      const runner = passes(0).length > 0 ? 0 : 1;
      assert.equal(passes(1 - runner).length, 0, 'the other process ran no lifecycle pass');
      assert.equal(expired(), 30, 'each object expired once');
      assert.equal(passes(runner)[0]!.bucket, 'two-procs');

      // The runner stops (giving the lease up): the other process takes over.
      procs[runner]!.child.kill('SIGTERM');
      await new Promise((r) => procs[runner]!.child.once('exit', r));
      const other = 1 - runner;
      for (let i = 0; i < 5; i++) await client(other).put(`x/late-${i}`, Buffer.from('late'));
      await waitFor('the other process to expire the new objects', async () => ((await client(other).list({ prefix: 'x/' } as never, {})).objects ?? []).length === 0);
      assert.ok(passes(other).length > 0, 'the other process now runs the worker');
    } finally {
      await Promise.all(procs.map((p) => kill9(p.child)));
      await rm(shared, { recursive: true, force: true });
    }
  });
});
