// Batch Operations after a crash (docs/batch-operations.md, "A process that dies"): a job's tasks are applied page by
// page and its counts and position saved after each page, so a process killed (SIGKILL) between the last task of a
// page and that save leaves the job Active, held by a process that is gone, its position before the page: the next
// process applies the page's tasks again. Each case below leaves the job exactly as such a kill leaves it (the entry
// rewritten while no worker runs, as test/crash-restart.test.ts leaves an inventory run), then lets a worker take it
// over. The server's clock is fixed, so a restore the job started is still running when the page is applied again.
// Also on PostgreSQL (ALUNITE_TEST_META=postgres), where the takeover waits for the holder's heartbeat to go stale.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { STALE_MS } from '../src/domain/batch-job-worker.js';
import { JOB_INDEX, type BatchJob } from '../src/domain/batch-jobs.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { signHeader, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { ACCOUNT_ID, AK, SECRET, startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';
import { strictTexts } from './helpers/strict-xml.js';

const B = 'batch-crash';
const WORM = 'batch-crash-worm';
const ROLE_NAME = 'batch-crash-role';
const t0 = Date.now();
let now = t0;
const clock = (): number => now;

/** A batch-job request as the Go SDK v2 sends it (V4-signed, XML with Content-MD5), signed at the server's time. */
async function send(srv: TestServer, r: SdkRequest): Promise<RawResponse> {
  const body = r.body;
  const headers: Record<string, string> = { 'content-type': 'application/xml', ...(body !== undefined ? { 'content-md5': createHash('md5').update(body).digest('base64') } : {}), ...(r.headers ?? {}) };
  const s = signHeader({ ...r, headers }, { ak: AK, secret: SECRET }, now);
  return rawRequest(srv.port, { method: r.method, path: s.path, headers: { ...s.headers, host: `127.0.0.1:${srv.port}`, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, body });
}

/** A job over the key prefix with a report of every task; its id. */
async function createJob(srv: TestServer, operation: string, prefix: string, reportBucket = B): Promise<string> {
  const xml = `<CreateJobRequest><Operation>${operation}</Operation><Report><Bucket>${reportBucket}</Bucket><Enabled>true</Enabled><Prefix>report</Prefix><ReportScope>AllTasks</ReportScope></Report>`
    + `<KeyPrefixManifestGenerator><SourceBucket>${B}</SourceBucket><Prefix>${prefix}</Prefix></KeyPrefixManifestGenerator>`
    + `<Priority>10</Priority><RoleArn>acs:ram::${ACCOUNT_ID}:role/${ROLE_NAME}</RoleArn></CreateJobRequest>`;
  const res = await send(srv, { method: 'POST', bucket: null, key: null, params: [['batchJob', '']], body: xml });
  assert.equal(res.status, 200, res.body.toString());
  return strictTexts(res.body.toString(), 'JobId')[0]!;
}

/** Status, TotalNumberOfTasks, NumberOfTasksSucceeded, NumberOfTasksFailed as DescribeJob answers them. */
async function summary(srv: TestServer, id: string): Promise<string[]> {
  const res = await send(srv, { method: 'GET', bucket: null, key: null, params: [['batchJob', ''], ['batchJobId', id]] });
  assert.equal(res.status, 200, res.body.toString());
  return ['Status', 'TotalNumberOfTasks', 'NumberOfTasksSucceeded', 'NumberOfTasksFailed'].map((n) => strictTexts(res.body.toString(), n)[0]!);
}

/** The store key of a job (its entry in the `batch-job` index). */
function entryOf(id: string): string {
  return `${ACCOUNT_ID}/${Buffer.from(id, 'base64').toString('latin1')}`;
}

/**
 * Leaves the job as a process killed after applying its first `pages` pages' tasks and before saving the last of
 * them leaves it: Active, held by that process (its last heartbeat `heartbeat`), counts and position of the pages
 * before, no end.
 */
async function leaveAsKilled(srv: TestServer, id: string, heartbeat: number): Promise<void> {
  await srv.meta.updateIndexEntry(JOB_INDEX, entryOf(id), (text) => {
    const job = JSON.parse(text!) as BatchJob;
    const { terminated: _t, failure: _f, ...rest } = job;
    const left: BatchJob = { ...rest, status: 'Active', activeSince: job.created, activeMs: 0, succeeded: 0, failed: 0, cursor: '', reportParts: 0, holder: '999999-a-process-that-died', heartbeat };
    return JSON.stringify(left);
  });
}

/**
 * Creates the job and runs it to Complete (4 of 4 tasks), then leaves it as a kill before its saves leaves it and lets a
 * worker take it over; the job's id.
 */
async function runThenRunAgain(srv: TestServer, operation: string, prefix: string, reportBucket = B): Promise<string> {
  const id = await createJob(srv, operation, prefix, reportBucket);
  await srv.batchJobs!.runOnce();
  assert.deepEqual(await summary(srv, id), ['Complete', '4', '4', '0']);
  await leaveAsKilled(srv, id, now - STALE_MS);
  await srv.batchJobs!.runOnce();
  return id;
}

async function setUp(srv: TestServer): Promise<void> {
  const c = srv.client({ bucket: B });
  await c.putBucket(B);
  const ram = new Ram(srv);
  await ram.call('CreateRole', { RoleName: ROLE_NAME, AssumeRolePolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oss.aliyuncs.com'] } }) });
  await ram.createPolicy(ROLE_NAME, policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${B}`, `acs:oss:*:*:${B}/*`, `acs:oss:*:*:${WORM}/*`] }));
  await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: ROLE_NAME, RoleName: ROLE_NAME });
  for (let i = 0; i < 4; i++) await c.put(`cold/${i}`, Buffer.from(`cold ${i}`), { headers: { 'x-oss-storage-class': 'Archive' } });
  for (let i = 0; i < 4; i++) await c.put(`tagged/${i}`, Buffer.from(`tagged ${i}`), { headers: { 'x-oss-tagging': 'keep=1' } });
}

describe('a batch job whose process was killed between a page\'s tasks and its save', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ clock, batchJobs: { intervalMs: 0, startDelayMs: 0, pageSize: 3 } });
    await setUp(srv);
  });
  after(async () => {
    await srv?.stop();
  });

  it('RestoreObject: the page applied again counts each restore it started once as a success, not RestoreAlreadyInProgress', async () => {
    // Killed after every task was applied (the restores are running: the clock has not moved), before the saves.
    const id = await runThenRunAgain(srv, '<RestoreObject><Days>1</Days></RestoreObject>', 'cold/');
    assert.deepEqual(await summary(srv, id), ['Complete', '4', '4', '0'], 'the tasks applied again end as they ended the first time');
    const report = (await srv.client({ bucket: B }).get(`report/job-${id}/results/000000.csv`)).content.toString();
    assert.doesNotMatch(report, /failed|RestoreAlreadyInProgress/, report);
    const head = await srv.client({ bucket: B }).head('cold/0');
    assert.match(String((head.res.headers as Record<string, string>)['x-oss-restore']), /ongoing-request="true"/);
  });

  it('a restore the job did not start (a request\'s) is still RestoreAlreadyInProgress for its task', async () => {
    await srv.client({ bucket: B }).put('cold-other/0', Buffer.from('x'), { headers: { 'x-oss-storage-class': 'Archive' } });
    await (srv.client({ bucket: B }) as unknown as { restore(name: string): Promise<unknown> }).restore('cold-other/0');
    const id = await createJob(srv, '<RestoreObject><Days>1</Days></RestoreObject>', 'cold-other/');
    await srv.batchJobs!.runOnce();
    assert.deepEqual(await summary(srv, id), ['Complete', '1', '0', '1']);
  });

  it('AddObjectTagging: applied again, the same tags; counts, report files and manifest.json as one run makes them', async () => {
    const id = await runThenRunAgain(srv, '<AddObjectTagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></AddObjectTagging>', 'tagged/');
    assert.deepEqual(await summary(srv, id), ['Complete', '4', '4', '0']);
    const c = srv.client({ bucket: B });
    for (let i = 0; i < 4; i++) {
      const tags = await (c as unknown as { getObjectTagging(name: string): Promise<{ tag: Record<string, string> }> }).getObjectTagging(`tagged/${i}`);
      assert.deepEqual(tags.tag, { keep: '1', team: 'blue' });
    }
    const manifest = JSON.parse((await c.get(`report/job-${id}/manifest.json`)).content.toString()) as { Results: string[]; NumberOfTasksSucceeded: number; Status: string };
    assert.deepEqual([manifest.Status, manifest.NumberOfTasksSucceeded, manifest.Results], ['Complete', 4, ['results/000000.csv', 'results/000001.csv']]);
    const lines = (await Promise.all(manifest.Results.map(async (r) => (await c.get(`report/job-${id}/${r}`)).content.toString()))).join('').trim().split('\n');
    assert.equal(lines.length, 4, 'each task reported once');
  });
  it('a report in a WORM bucket: the report files the cut-short run wrote are not written again (their retention refuses it)', async () => {
    const c = srv.client({ bucket: WORM }) as unknown as { putBucket(n: string): Promise<unknown>; initiateBucketWorm(n: string, d: string): Promise<{ wormId: string }>; completeBucketWorm(n: string, id: string): Promise<unknown> };
    await c.putBucket(WORM);
    await c.completeBucketWorm(WORM, (await c.initiateBucketWorm(WORM, '1')).wormId);
    const id = await runThenRunAgain(srv, '<AddObjectTagging><TagSet><Tag><Key>worm</Key><Value>1</Value></Tag></TagSet></AddObjectTagging>', 'tagged/', WORM);
    assert.deepEqual(await summary(srv, id), ['Complete', '4', '4', '0']);
  });
});

describe('Batch Operations on PostgreSQL: a job held by a process that was killed', { skip: process.env.ALUNITE_TEST_META !== 'postgres' }, () => {
  it('is left to its holder until the heartbeat is STALE_MS old, then the other process takes it over and completes it', async () => {
    const pair = await startServerPairOnPostgres({ clock, batchJobs: { intervalMs: 0, startDelayMs: 0, pageSize: 3 } });
    try {
      await setUp(pair.a);
      const id = await createJob(pair.a, '<AddObjectTagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></AddObjectTagging>', 'tagged/');
      await pair.a.batchJobs!.runOnce();
      await leaveAsKilled(pair.a, id, now);
      await pair.b.batchJobs!.runOnce();
      assert.deepEqual(await summary(pair.b, id), ['Active', '4', '0', '0'], 'a live heartbeat: not taken');
      now += STALE_MS;
      await pair.b.batchJobs!.runOnce();
      assert.deepEqual(await summary(pair.b, id), ['Complete', '4', '4', '0']);
    } finally {
      await pair.stop();
    }
  });
});
