// ExplainRequest after a restart: a graceful stop keeps the refusals of the ring of recent requests in the data
// directory (audit/kept-refusals.ts) and the next start explains them as before; allowed requests are not kept.
// Real servers on one data directory, the unchanged ali-oss and @alicloud/pop-core clients.
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KEPT_REFUSALS_FILE } from '../src/audit/kept-refusals.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const BUCKET = 'explain-restart';
const ALLOW_READ = { Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` };
const DENY_SECRET = { Sid: 'NoSecrets', Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/secret/*` };

const explain = async (srv: TestServer, requestId: string): Promise<Body> =>
  ((await new Ram(srv).popClient().request<Body>('ExplainRequest', { RequestId: requestId }, { method: 'POST' })).Request) as Body;

describe('ExplainRequest across a restart', () => {
  let dataDir: string;
  let last: TestServer | undefined;
  // Each server on the same data directory; close() keeps it (stop() would remove it), the last one removes it.
  const start = async (): Promise<TestServer> => (last = await startTestServer({ dataDir }));
  after(async () => last?.stop());

  it('a refusal is explained after a graceful restart, the same as before it; an allowed request is not kept', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'alunite-explain-restart-'));
    const first = await start();
    const ram = new Ram(first);
    await first.client().putBucket(BUCKET);
    await first.client({ bucket: BUCKET }).put('secret/x.txt', Buffer.from('classified'));
    await first.client({ bucket: BUCKET }).put('public/y.txt', Buffer.from('hello'));
    const viewer = await ram.userWith('viewer', policyDoc(ALLOW_READ, DENY_SECRET));
    const denied = (await expectOssError(viewer.oss(BUCKET).get('secret/x.txt'), 'AccessDenied', 403)).requestId;
    const allowed = ((await viewer.oss(BUCKET).get('public/y.txt')).res.headers as Record<string, string>)['x-oss-request-id']!;
    const noPerm = (await popFails(viewer.pop().request('CreateUser', { UserName: 'intruder' }, { method: 'POST' }), 'NoPermission', undefined, 403)).data?.RequestId as string;
    const badSig = (await expectOssError(first.client({ bucket: BUCKET, accessKeySecret: 'wrong-secret-wrong-secret-wrong' }).get('public/y.txt'), 'SignatureDoesNotMatch', 403)).requestId;
    assert.ok(denied && allowed && noPerm && badSig);
    const before = await explain(first, denied);
    assert.equal((await explain(first, allowed)).Decision, 'Allow');
    await first.close();

    const file = join(dataDir, KEPT_REFUSALS_FILE);
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    const second = await start();
    // The same answer as before the stop, trace included.
    assert.deepEqual(await explain(second, denied), before);
    assert.equal(before.Decision, 'ExplicitDeny');
    assert.equal(before.Policy, 'viewer-policy');
    assert.equal(before.StatementIndex, 1);
    assert.ok(Array.isArray(before.Trace.Layers.Layer) && before.Trace.Layers.Layer.length > 0);
    const ramRefusal = await explain(second, noPerm);
    assert.equal(ramRefusal.ErrorCode, 'NoPermission');
    assert.equal(ramRefusal.Action, 'ram:CreateUser');
    assert.equal(ramRefusal.Resource, `acs:ram::${ACCOUNT_ID}:user/intruder`);
    const sig = await explain(second, badSig);
    assert.equal(sig.ErrorCode, 'SignatureDoesNotMatch');
    assert.equal(sig.Decision, undefined);
    // Allowed requests are not kept: the message says what is searched.
    const gone = await popFails(new Ram(second).popClient().request('ExplainRequest', { RequestId: allowed }, { method: 'POST' }), 'EntityNotExist.Request');
    assert.match(gone.message, /nor among the refused requests it kept across its last stop/);

    // A refusal of the second run, and the first run's carried forward; a line that is not one is skipped.
    const again = (await expectOssError(second.client({ bucket: BUCKET, accessKeyId: viewer.accessKeyId, accessKeySecret: viewer.accessKeySecret }).get('secret/x.txt'), 'AccessDenied', 403)).requestId;
    assert.ok(again);
    await second.close();
    await appendFile(file, '{"not": "a refusal"}\nnot json at all\n');

    const third = await start();
    assert.deepEqual(await explain(third, denied), before);
    assert.equal((await explain(third, again)).Decision, 'ExplicitDeny');
    assert.equal((await explain(third, noPerm)).ErrorCode, 'NoPermission');
  });
});
