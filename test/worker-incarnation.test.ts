// Background workers write only into the bucket incarnation they checked (docs/batch-operations.md, docs/async-fetch.md):
// a bucket deleted between a worker's check and its write, and created again by another account, receives nothing
// of the old bucket's work. Each race is made deterministic by holding the worker at a store call (the real store:
// the call goes through once the test has swapped the bucket), as the inventory race tests do.
// ALUNITE_TEST_META=postgres: the same on PostgreSQL.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer } from './helpers/server.js';
import { signedRequest, succeeds } from './helpers/signed.js';

const OTHER = '2234567890123499';
const OTHER_KEYS = { accessKeyId: 'LTAI5tWorkerIncarnation9', accessKeySecret: 'WorkerIncarnationOtherSecret99' };
const TRUST_OSS = policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oss.aliyuncs.com'] } });

/** A gate: `hold()` waits until `release()`; `reached` resolves when something first waits. */
function gate(): { hold(): Promise<void>; release(): void; reached: Promise<void> } {
  let release!: () => void;
  let reach!: () => void;
  const open = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (reach = r));
  return { hold: () => (reach(), open), release: () => release(), reached };
}

describe('background workers write only into the bucket incarnation they checked', () => {
  test('a batch job task does not tag an object of a bucket deleted and created again by another account meanwhile', async () => {
    const srv = await startTestServer({ batchJobs: { intervalMs: 0, startDelayMs: 0, pageSize: 10 } });
    const meta = srv.meta;
    const update = meta.updateObjectVersion.bind(meta);
    const g = gate();
    try {
      await srv.accounts.create({ accountId: OTHER, name: 'worker-incarnation-other', ...OTHER_KEYS });
      const client = srv.client();
      await client.putBucket('wi-batch');
      await srv.client({ bucket: 'wi-batch' }).put('t/1', Buffer.from('the owner\'s'));
      const ram = new Ram(srv);
      await ram.call('CreateRole', { RoleName: 'wi-batch-role', AssumeRolePolicyDocument: TRUST_OSS });
      await ram.createPolicy('wi-batch-role', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: ['acs:oss:*:*:wi-batch', 'acs:oss:*:*:wi-batch/*'] }));
      await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'wi-batch-role', RoleName: 'wi-batch-role' });
      const body = '<CreateJobRequest><Operation><PutObjectTagging><TagSet><Tag><Key>by</Key><Value>job</Value></Tag></TagSet></PutObjectTagging></Operation>'
        + '<KeyPrefixManifestGenerator><SourceBucket>wi-batch</SourceBucket><Prefix>t/</Prefix></KeyPrefixManifestGenerator>'
        + `<Priority>10</Priority><RoleArn>acs:ram::${ACCOUNT_ID}:role/wi-batch-role</RoleArn></CreateJobRequest>`;
      succeeds(await signedRequest(srv.port, 'POST', null, null, [['batchJob', '']], {
        body, headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(body).digest('base64') },
      }));
      // The task has been authorized and is about to write: the owner deletes the bucket, the other account creates
      // one of the name with an object of the same key.
      meta.updateObjectVersion = async (...args: Parameters<typeof meta.updateObjectVersion>) => {
        if (args[0] === 'wi-batch') await g.hold();
        return update(...args);
      };
      const run = srv.batchJobs!.runOnce();
      await g.reached;
      await srv.client({ bucket: 'wi-batch' }).delete('t/1');
      await client.deleteBucket('wi-batch');
      const other = srv.client({ ...OTHER_KEYS });
      await other.putBucket('wi-batch');
      await srv.client({ ...OTHER_KEYS, bucket: 'wi-batch' }).put('t/1', Buffer.from('the other account\'s'));
      g.release();
      await run;
      // Before: the other account's object was tagged by the first account's job.
      const tags = await (srv.client({ ...OTHER_KEYS, bucket: 'wi-batch' }) as unknown as { getObjectTagging(k: string): Promise<{ tag: Record<string, string> }> }).getObjectTagging('t/1');
      assert.deepEqual(tags.tag, {});
    } finally {
      meta.updateObjectVersion = update;
      g.release();
      await srv.stop();
    }
  });

  test('an async fetch task does not write into a bucket of the name made between its last look and its write', async () => {
    let origin: Server | undefined;
    let asked = false;
    origin = createServer((_req, res) => {
      asked = true;
      res.writeHead(200, { 'Content-Length': '7' }).end('fetched');
    });
    await new Promise<void>((r) => origin!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/x`;
    const srv = await startTestServer({ callbacks: { allowHosts: ['127.0.0.1'] }, asyncFetch: { enabled: true, allowHosts: ['127.0.0.1'] } });
    const meta = srv.meta;
    const getBucket = meta.getBucket.bind(meta);
    const cachedBucket = meta.cachedBucket?.bind(meta);
    const ownCache = Object.prototype.hasOwnProperty.call(meta, 'cachedBucket');
    const updateBucketConfig = meta.updateBucketConfig.bind(meta);
    let swapped = false;
    let swapping = false;
    // The task's last step records its state in its bucket's task list: after the swap, the task has ended.
    let recorded!: () => void;
    const ended = new Promise<void>((r) => (recorded = r));
    try {
      await srv.accounts.create({ accountId: OTHER, name: 'worker-incarnation-other', ...OTHER_KEYS });
      const client = srv.client();
      await client.putBucket('wi-fetch');
      const other = srv.client({ ...OTHER_KEYS });
        // After the source has been asked and the task has checked it is still its bucket's, the owner deletes the
      // bucket and the other account creates one of the name before the write looks.
      // Every look at the bucket reads the store (none answered from memory), so the task's looks can be counted: its
      // check that the task is still its bucket's, then the write's.
      meta.cachedBucket = (name: string) => (name === 'wi-fetch' ? undefined : cachedBucket?.(name));
      let looks = 0;
      meta.getBucket = async (...args: Parameters<typeof meta.getBucket>) => {
        if (args[0] === 'wi-fetch' && asked && !swapping && ++looks === 2) {
          swapping = true;
          await client.deleteBucket('wi-fetch');
          await other.putBucket('wi-fetch');
          swapped = true;
        }
        return getBucket(...args);
      };
      meta.updateBucketConfig = async (...args: Parameters<typeof meta.updateBucketConfig>) => {
        const out = await updateBucketConfig(...args);
        if (args[0] === 'wi-fetch' && swapped) recorded();
        return out;
      };
      const body = `<AsyncFetchTaskConfiguration><Url>${url.replace(/&/g, '&amp;')}</Url><Object>fetched.txt</Object><IgnoreSameKey>false</IgnoreSameKey></AsyncFetchTaskConfiguration>`;
      succeeds(await signedRequest(srv.port, 'POST', 'wi-fetch', null, [['asyncFetch', '']], { body, headers: { 'content-type': 'application/xml' } }));
      await ended;
      assert.ok(swapped);
      // Before: the fetched object was written into the other account's bucket.
      const r = await signedRequest(srv.port, 'GET', 'wi-fetch', 'fetched.txt', [], { creds: [OTHER_KEYS.accessKeyId, OTHER_KEYS.accessKeySecret] });
      assert.equal(r.status, 404, r.text.slice(0, 200));
    } finally {
      meta.getBucket = getBucket;
      if (!ownCache) delete (meta as { cachedBucket?: unknown }).cachedBucket;
      meta.updateBucketConfig = updateBucketConfig;
      await srv.stop();
      await new Promise<void>((r) => origin!.close(() => r()));
      origin = undefined;
    }
  });
});
