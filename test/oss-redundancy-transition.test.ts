// Data redundancy transitions carried out (docs/stored-configurations.md#data-redundancy-transition-implemented): a
// task goes Queueing → Processing → Finished at the configured rate through its bucket's bytes, with the times and
// progress the cloud reports; then the bucket is ZRS (GetBucketInfo through ali-oss). A Processing task cannot be
// deleted; a ZRS bucket or a second task is refused. Progress survives a restart; a bucket deleted and created again
// mid-task does not get the old task's result; on PostgreSQL one process works on a task at a time. The worker is
// driven by RunningServer.redundancyTransition.runOnce() with the server's clock moved on (one test lets its timer
// run). ALUNITE_TEST_META=postgres: the same on PostgreSQL.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { eventually } from './helpers/eventually.js';
import { testPostgres } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';
import { startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import { strictTexts } from './helpers/strict-xml.js';

/** 1 MiB at 2 KiB/s: 512 s of conversion, within the 15 minutes of clock skew a signed request is allowed. */
const RATE = 2048;
const MIB = Buffer.alloc(1024 * 1024, 7);

/** The servers' clock: real time moved on by `offset` ms. */
let offset = 0;
const clock = (): number => Date.now() + offset;

const TASK = 'x-oss-redundancy-transition-taskid';

async function create(srv: TestServer, bucket: string): Promise<string> {
  const text = succeeds(await signedRequest(srv.port, 'POST', bucket, null, [['redundancyTransition', ''], ['x-oss-target-redundancy-type', 'ZRS']])).text;
  // The cloud answers the new task's ID only.
  assert.match(text, /^(<\?xml[^>]*>\s*)?<BucketDataRedundancyTransition><TaskId>[0-9a-f]{32}<\/TaskId><\/BucketDataRedundancyTransition>$/, text);
  return strictTexts(text, 'TaskId')[0]!;
}

type Task = Record<'Bucket' | 'TaskId' | 'Status' | 'CreateTime' | 'StartTime' | 'EndTime' | 'ProcessPercentage' | 'EstimatedRemainingTime', string | undefined>;
const FIELDS = ['Bucket', 'TaskId', 'Status', 'CreateTime', 'StartTime', 'EndTime', 'ProcessPercentage', 'EstimatedRemainingTime'] as const;

async function get(srv: TestServer, bucket: string, id: string): Promise<Task> {
  const text = succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['redundancyTransition', ''], [TASK, id]])).text;
  return Object.fromEntries(FIELDS.map((f) => [f, strictTexts(text, f)[0]])) as Task;
}

const typeOf = async (srv: TestServer, bucket: string): Promise<string> => (await srv.client().getBucketInfo(bucket)).bucket.DataRedundancyType as string;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/;

/** A bucket holding 1 MiB. */
async function bucketOfOneMib(srv: TestServer, name: string): Promise<void> {
  await srv.client().putBucket(name);
  await srv.client({ bucket: name }).put('one-mib', MIB);
}

describe('data redundancy transition', () => {
  let srv: TestServer;
  const run = (): Promise<void> => srv.redundancyTransition!.runOnce();

  before(async () => {
    srv = await startTestServer({ clock, redundancyTransition: { intervalMs: 0, bytesPerSecond: RATE } });
  });
  after(async () => {
    await srv?.stop();
  });

  test('a task is queued, then processed at the rate through the bucket\'s bytes, then Finished with the bucket ZRS', async () => {
    offset = 0;
    await bucketOfOneMib(srv, 'rt-one');
    const id = await create(srv, 'rt-one');
    const queued = await get(srv, 'rt-one', id);
    assert.deepEqual([queued.Bucket, queued.TaskId, queued.Status], ['rt-one', id, 'Queueing']);
    assert.match(queued.CreateTime!, ISO);
    // Times and progress only once the task is taken.
    assert.deepEqual([queued.StartTime, queued.EndTime, queued.ProcessPercentage, queued.EstimatedRemainingTime], [undefined, undefined, undefined, undefined]);
    failsWith(await signedRequest(srv.port, 'POST', 'rt-one', null, [['redundancyTransition', ''], ['x-oss-target-redundancy-type', 'ZRS']]), 'BucketDataRedundancyTransitionTaskIsExist', 409);

    await run();
    const started = await get(srv, 'rt-one', id);
    assert.equal(started.Status, 'Processing');
    assert.match(started.StartTime!, ISO);
    assert.equal(started.EndTime, undefined);
    // Nothing done yet; 512 s left, in whole hours rounded up.
    assert.deepEqual([started.ProcessPercentage, started.EstimatedRemainingTime], ['0', '1']);
    assert.equal(await typeOf(srv, 'rt-one'), 'LRS', 'the bucket is ZRS only once the task is Finished');
    // The cloud refuses to delete a task in the Processing state.
    failsWith(await signedRequest(srv.port, 'DELETE', 'rt-one', null, [['redundancyTransition', ''], [TASK, id]]), 'BucketDataRedundancyTransitionTaskStatusConflict', 409);

    offset += 256_000; // half of the 512 s
    await run();
    const half = await get(srv, 'rt-one', id);
    assert.equal(half.Status, 'Processing');
    const pct = Number(half.ProcessPercentage);
    assert.ok(pct >= 50 && pct < 100, `half way: ${half.ProcessPercentage}`);
    assert.equal(await typeOf(srv, 'rt-one'), 'LRS');

    offset += 300_000; // past the end
    await run();
    const done = await get(srv, 'rt-one', id);
    assert.equal(done.Status, 'Finished');
    assert.match(done.EndTime!, ISO);
    assert.equal(done.StartTime, started.StartTime);
    assert.deepEqual([done.ProcessPercentage, done.EstimatedRemainingTime], ['100', '0']);
    assert.equal(await typeOf(srv, 'rt-one'), 'ZRS');
    // Listed per bucket and per account with the same fields.
    const listed = succeeds(await signedRequest(srv.port, 'GET', 'rt-one', null, [['redundancyTransition', '']])).text;
    assert.deepEqual([strictTexts(listed, 'TaskId'), strictTexts(listed, 'Status'), strictTexts(listed, 'ProcessPercentage')], [[id], ['Finished'], ['100']]);
    const user = succeeds(await signedRequest(srv.port, 'GET', null, null, [['redundancyTransition', '']])).text;
    assert.ok(strictTexts(user, 'TaskId').includes(id), user);
    // Now ZRS: no further transition.
    failsWith(await signedRequest(srv.port, 'POST', 'rt-one', null, [['redundancyTransition', ''], ['x-oss-target-redundancy-type', 'ZRS']]), 'InvalidArgument', 400);
    // A finished task may be deleted [UNVERIFIED: the cloud documents only Processing as refused]; the bucket stays ZRS.
    succeeds(await signedRequest(srv.port, 'DELETE', 'rt-one', null, [['redundancyTransition', ''], [TASK, id]]), 204);
    assert.equal(await typeOf(srv, 'rt-one'), 'ZRS');
  });

  test('a queued task may be deleted; a bucket made ZRS is refused; an empty bucket finishes at its first step', async () => {
    offset = 0;
    await srv.client().putBucket('rt-queued');
    const id = await create(srv, 'rt-queued');
    succeeds(await signedRequest(srv.port, 'DELETE', 'rt-queued', null, [['redundancyTransition', ''], [TASK, id]]), 204);
    failsWith(await signedRequest(srv.port, 'GET', 'rt-queued', null, [['redundancyTransition', ''], [TASK, id]]), 'BucketDataRedundancyTransitionTaskNotExist', 404);
    await run();
    assert.equal(await typeOf(srv, 'rt-queued'), 'LRS', 'a deleted task converts nothing');

    await srv.client().putBucket('rt-zrs', { dataRedundancyType: 'ZRS' } as never);
    failsWith(await signedRequest(srv.port, 'POST', 'rt-zrs', null, [['redundancyTransition', ''], ['x-oss-target-redundancy-type', 'ZRS']]), 'InvalidArgument', 400);

    const empty = await create(srv, 'rt-queued');
    await run();
    assert.equal((await get(srv, 'rt-queued', empty)).Status, 'Finished');
    assert.equal(await typeOf(srv, 'rt-queued'), 'ZRS');
  });

  test('DeleteBucket is refused while a task is Queueing or Processing, nothing deleted; allowed once Finished', async () => {
    offset = 0;
    await srv.client().putBucket('rt-keep');
    const id = await create(srv, 'rt-keep');
    failsWith(await signedRequest(srv.port, 'DELETE', 'rt-keep', null, []), 'BucketDataRedundancyTransitionTaskStatusConflict', 409, '0015-00000304');
    // Nothing deleted: the bucket and its (Queueing) task are there.
    assert.equal((await srv.client().getBucketInfo('rt-keep')).bucket.Name, 'rt-keep');
    assert.equal((await get(srv, 'rt-keep', id)).Status, 'Queueing');
    // ali-oss sees the same refusal.
    await assert.rejects(srv.client().deleteBucket('rt-keep'), (e: Error & { status?: number; code?: string }) => e.status === 409 && e.code === 'BucketDataRedundancyTransitionTaskStatusConflict');
    // A bucket with 1 MiB stays Processing across a step: refused there too.
    await bucketOfOneMib(srv, 'rt-keep-busy');
    const busy = await create(srv, 'rt-keep-busy');
    await run();
    assert.equal((await get(srv, 'rt-keep-busy', busy)).Status, 'Processing');
    await srv.client({ bucket: 'rt-keep-busy' }).delete('one-mib');
    failsWith(await signedRequest(srv.port, 'DELETE', 'rt-keep-busy', null, []), 'BucketDataRedundancyTransitionTaskStatusConflict', 409, '0015-00000304');
    assert.equal((await get(srv, 'rt-keep-busy', busy)).Status, 'Processing');
    // rt-keep (empty) finished at that step: the bucket may go now, and its task with it.
    assert.equal((await get(srv, 'rt-keep', id)).Status, 'Finished');
    succeeds(await signedRequest(srv.port, 'DELETE', 'rt-keep', null, []), 204);
    await assert.rejects(srv.client().getBucketInfo('rt-keep'), (e: Error & { status?: number }) => e.status === 404);
    // A queued task deleted first frees its bucket at once.
    await srv.client().putBucket('rt-keep-queued');
    const queued = await create(srv, 'rt-keep-queued');
    succeeds(await signedRequest(srv.port, 'DELETE', 'rt-keep-queued', null, [['redundancyTransition', ''], [TASK, queued]]), 204);
    succeeds(await signedRequest(srv.port, 'DELETE', 'rt-keep-queued', null, []), 204);
  });

  test('a bucket deleted and created again mid-task does not get the old task\'s result', async () => {
    offset = 0;
    await srv.client().putBucket('rt-again');
    await create(srv, 'rt-again');
    // The user deletes the bucket and creates it again just as the worker, its task done (an empty bucket: at the
    // first step), goes to make the bucket ZRS: the moment between the task's last step and the bucket's new type.
    const meta = srv.meta;
    const original = meta.updateBucket;
    let between = false;
    meta.updateBucket = async function (this: typeof meta, ...args: Parameters<typeof original>) {
      if (args[1].redundancyType !== undefined && !between) {
        between = true;
        // DeleteBucket refuses while the task is not Finished (below): the store's delete without that guard stands
        // for a bucket deleted some other way (an earlier version's process on the same PostgreSQL database).
        assert.equal(await meta.deleteBucket('rt-again'), 'deleted');
        await srv.client().putBucket('rt-again');
      }
      return original.apply(this, args);
    };
    try {
      await run();
    } finally {
      meta.updateBucket = original;
    }
    assert.ok(between, 'the worker reached the end of the task');
    assert.equal(await typeOf(srv, 'rt-again'), 'LRS', 'the new bucket is not the one converted');
    const listed = succeeds(await signedRequest(srv.port, 'GET', 'rt-again', null, [['redundancyTransition', '']])).text;
    assert.deepEqual(strictTexts(listed, 'TaskId'), [], 'and holds no task of the old one');
    await run();
    assert.equal(await typeOf(srv, 'rt-again'), 'LRS');
  });

  test('a task an earlier version stored (published shape, Queueing for ever) is carried out', async () => {
    offset = 0;
    await srv.client().putBucket('rt-legacy');
    const legacy = { BucketDataRedundancyTransition: [{ Bucket: 'rt-legacy', TaskId: 'a'.repeat(32), Status: 'Queueing', CreateTime: '2026-01-02T03:04:05.000Z' }] };
    assert.ok(await srv.meta.updateBucketConfig('rt-legacy', 'stored.redundancy-transition', () => JSON.stringify(legacy)));
    assert.deepEqual([(await get(srv, 'rt-legacy', 'a'.repeat(32))).Status, (await get(srv, 'rt-legacy', 'a'.repeat(32))).CreateTime], ['Queueing', '2026-01-02T03:04:05.000Z']);
    await run();
    assert.equal((await get(srv, 'rt-legacy', 'a'.repeat(32))).Status, 'Finished');
    assert.equal(await typeOf(srv, 'rt-legacy'), 'ZRS');
  });

  test('progress survives a restart: the next process goes on from the saved step', async () => {
    offset = 0;
    const dataDir = await tempDir('alunite-rt-restart-');
    const meta = process.env.ALUNITE_TEST_META === 'postgres' ? await (await testPostgres()).freshUrl() : undefined;
    const opts = { dataDir, clock, ...(meta !== undefined ? { meta } : {}), redundancyTransition: { intervalMs: 0, bytesPerSecond: RATE } };
    let first: TestServer | null = await startTestServer(opts);
    let id: string;
    let before: Task;
    try {
      await bucketOfOneMib(first, 'rt-restart');
      id = await create(first, 'rt-restart');
      await first.redundancyTransition!.runOnce();
      offset += 256_000;
      await first.redundancyTransition!.runOnce();
      before = await get(first, 'rt-restart', id);
      assert.equal(before.Status, 'Processing');
      await first.close(); // the process goes; its data stays
      first = null;
    } finally {
      await first?.stop();
    }
    const second = await startTestServer(opts);
    try {
      assert.deepEqual(await get(second, 'rt-restart', id), before, 'the saved progress, as the first process left it');
      offset += 300_000;
      await second.redundancyTransition!.runOnce();
      assert.equal((await get(second, 'rt-restart', id)).Status, 'Finished');
      assert.equal(await typeOf(second, 'rt-restart'), 'ZRS');
    } finally {
      await second.stop();
    }
  });

  test('PostgreSQL: one process works on a task at a time; another takes it when the first stops', { skip: process.env.ALUNITE_TEST_META !== 'postgres' }, async () => {
    offset = 0;
    const { a, b } = await startServerPairOnPostgres({ clock, redundancyTransition: { intervalMs: 0, bytesPerSecond: RATE } });
    let aClosed = false;
    try {
      await bucketOfOneMib(a, 'rt-pair');
      const id = await create(a, 'rt-pair');
      await a.redundancyTransition!.runOnce();
      assert.equal((await get(b, 'rt-pair', id)).ProcessPercentage, '0');
      offset += 60_000; // 60 s: 11 % of the work, if b stepped it
      await b.redundancyTransition!.runOnce();
      assert.equal((await get(b, 'rt-pair', id)).ProcessPercentage, '0', 'b leaves the task a holds');
      await a.redundancyTransition!.runOnce();
      assert.ok(Number((await get(b, 'rt-pair', id)).ProcessPercentage) >= 11, 'a goes on with it');
      await a.close(); // releases the task
      aClosed = true;
      offset += 500_000;
      await b.redundancyTransition!.runOnce();
      assert.equal((await get(b, 'rt-pair', id)).Status, 'Finished');
      assert.equal(await typeOf(b, 'rt-pair'), 'ZRS');
    } finally {
      await b.stop();
      if (aClosed) await rm(a.dataDir, { recursive: true, force: true });
      else await a.stop();
    }
  });

  test('the worker runs on its own timer', async () => {
    offset = 0;
    const own = await startTestServer({ redundancyTransition: { intervalMs: 50 } });
    try {
      await own.client().putBucket('rt-timer');
      const id = await create(own, 'rt-timer');
      await eventually(async () => (await get(own, 'rt-timer', id)).Status === 'Finished', 'the task finishes', 60_000, 100);
      assert.equal(await typeOf(own, 'rt-timer'), 'ZRS');
    } finally {
      await own.stop();
    }
  });
});
