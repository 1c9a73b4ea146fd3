// ExplainRequest after a restart: a graceful stop keeps the refusals of the ring of recent requests in the data
// directory (audit/kept-refusals.ts) and the next start explains them as before; allowed requests are not kept.
// Real servers on one data directory, the unchanged ali-oss and @alicloud/pop-core clients.
import assert from 'node:assert/strict';
import { appendFile, chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KEPT_REFUSALS_FILE, KEPT_REFUSALS_MAX_BYTES, readKeptRefusals, writeKeptRefusals, type KeptRefusal } from '../src/audit/kept-refusals.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

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
    dataDir = await tempDir('alunite-explain-restart-');
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
    // The message of an error before authorization can quote the request (a POP one, its whole string to sign):
    // it stays in memory and is not written to the file; a refusal's fixed text is.
    assert.equal(sig.Message, undefined);
    assert.ok(!(await readFile(file, 'utf8')).includes('wrong-secret'), 'nothing of the request but its facts');
    assert.equal(typeof before.Message, 'string');
    // Allowed requests are not kept: the message says what is searched.
    const gone = await popFails(new Ram(second).popClient().request('ExplainRequest', { RequestId: allowed }, { method: 'POST' }), 'EntityNotExist.Request');
    assert.match(gone.message, /nor among the refused requests it kept across its last stop/);
    // A server without a data directory keeps nothing, and says only what it searched.
    const memory = await startTestServer({ inMemory: true });
    try {
      const none = await popFails(new Ram(memory).popClient().request('ExplainRequest', { RequestId: allowed }, { method: 'POST' }), 'EntityNotExist.Request');
      assert.match(none.message, /is not among the last 10000 requests this server has seen\.,/);
    } finally {
      await memory.stop();
    }

    // A refusal of the second run, and the first run's carried forward; a line that is not one is skipped.
    const again = (await expectOssError(second.client({ bucket: BUCKET, accessKeyId: viewer.accessKeyId, accessKeySecret: viewer.accessKeySecret }).get('secret/x.txt'), 'AccessDenied', 403)).requestId;
    assert.ok(again);
    await second.close();
    // Lines that are not a kept refusal are skipped: junk, one naming no account (which every caller would pass), and
    // one older than 30 days. The mode is tightened at start.
    const line = (requestId: string, accounts: string[], time: number): string =>
      `${JSON.stringify({ accounts, explanation: { requestId, time, principal: 'user:viewer', sourceIp: '127.0.0.1', action: 'oss:GetObject', statementIndex: -1, status: 403 } })}\n`;
    await appendFile(file, `{"not": "a refusal"}\nnot json at all\n${line('NOACCOUNTS', [], Date.now())}${line('TOOOLD', [ACCOUNT_ID], Date.now() - 31 * 86_400_000)}${line('HANDWRITTEN', [ACCOUNT_ID], Date.now())}${line('OTHERACCOUNT', ['9999999999999999'], Date.now())}${line('BOTHACCOUNTS', [ACCOUNT_ID, '9999999999999999'], Date.now())}`);
    await chmod(file, 0o644);

    const third = await start();
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await explain(third, denied), before);
    assert.equal((await explain(third, again)).Decision, 'ExplicitDeny');
    assert.equal((await explain(third, noPerm)).ErrorCode, 'NoPermission');
    assert.equal((await explain(third, 'HANDWRITTEN')).Status, 403, 'a well-formed line is read');
    // Kept refusals are explained within their accounts only, as the ring's are: another account's, or one that
    // involves another account too, is not this root's to read.
    for (const id of ['NOACCOUNTS', 'TOOOLD', 'OTHERACCOUNT', 'BOTHACCOUNTS']) {
      await popFails(new Ram(third).popClient().request('ExplainRequest', { RequestId: id }, { method: 'POST' }), 'EntityNotExist.Request');
    }
  });

  it('the file\'s bounds are bytes (UTF-8), the newest are kept, and a refusal too large for a line keeps all but its trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-kept-'));
    try {
      const now = Date.now();
      // 400 refusals of ~60 KB each (20,000 CJK characters: 3 bytes each): ~24 MB in UTF-8, 8 M characters.
      const cjk = '漢'.repeat(20_000);
      const entry = (i: number, trace?: unknown): KeptRefusal => ({
        accounts: [ACCOUNT_ID],
        explanation: { requestId: `R${i}`, time: now - i, principal: 'user:u', sourceIp: '127.0.0.1', action: 'oss:GetObject', resource: `acs:oss:*:${ACCOUNT_ID}:b/${cjk}`, statementIndex: -1, status: 403, ...(trace !== undefined ? { trace: trace as never } : {}) },
      });
      const written = await writeKeptRefusals(dir, Array.from({ length: 400 }, (_, i) => entry(i)));
      const size = (await stat(join(dir, KEPT_REFUSALS_FILE))).size;
      assert.ok(size <= KEPT_REFUSALS_MAX_BYTES && size > KEPT_REFUSALS_MAX_BYTES - 70_000, `${size} bytes`);
      assert.equal(written, Math.floor(KEPT_REFUSALS_MAX_BYTES / Buffer.byteLength(`${JSON.stringify(entry(100))}\n`)));
      const back = await readKeptRefusals(dir, now);
      assert.equal(back.tooLarge, false);
      assert.equal(back.kept.size, written);
      assert.ok(back.kept.has('R0') && !back.kept.has(`R${written}`), 'the newest (first given) are the ones kept');

      // One refusal whose trace passes a line's 64 KiB: kept, without the trace.
      const big = { action: 'oss:GetObject', resource: 'x', decision: 'ImplicitDeny', layers: [{ layer: 'identity', verdict: 'NoMatch', reason: cjk, policies: [] }] };
      await writeKeptRefusals(dir, [entry(0, big), entry(1, { ...big, layers: [] })]);
      const two = await readKeptRefusals(dir, now);
      assert.equal(two.kept.get('R0')?.explanation.trace, undefined);
      assert.deepEqual(two.kept.get('R1')?.explanation.trace, { ...big, layers: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
