// ExplainRequest (Alunite extension of RAM, docs/policy.md) through the unchanged @alicloud/pop-core
// client: the recorded authorization outcome of recent OSS and RAM requests, by request id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectOssError } from './helpers/oss.js';
import { rawRequest } from './helpers/raw-http.js';
import { signedRequest } from './helpers/signed.js';
import { policyDoc, popFails, Ram, type PopError, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const BUCKET = 'explain-b';
const objArn = (key: string): string => `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${BUCKET}/${key}`;
const ALLOW_READ = { Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` };
const DENY_SECRET = { Sid: 'NoSecrets', Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/secret/*` };

describe('ExplainRequest', () => {
  let srv: TestServer;
  let ram: Ram;
  let viewer: RamUserHandle;

  const explain = async (requestId: string, client = ram.popClient()): Promise<Body> => {
    const body = await client.request<Body>('ExplainRequest', { RequestId: requestId }, { method: 'POST' });
    assert.deepEqual(Object.keys(body).sort(), ['Request', 'RequestId']);
    assert.match(body.RequestId, /^[0-9A-F-]{36}$/);
    assert.notEqual(body.RequestId, requestId, 'the call has its own request id');
    return body.Request as Body;
  };

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    const root = srv.client({ bucket: BUCKET });
    await srv.client().putBucket(BUCKET);
    await root.put('secret/x.txt', Buffer.from('classified'));
    await root.put('public/y.txt', Buffer.from('hello'));
    viewer = await ram.userWith('viewer', policyDoc(ALLOW_READ, DENY_SECRET));
  });
  after(async () => srv.stop());

  it('a denied OSS request names the deciding policy and statement', async () => {
    const err = await expectOssError(viewer.oss(BUCKET).get('secret/x.txt'), 'AccessDenied', 403);
    assert.ok(err.requestId);
    const r = await explain(err.requestId);
    assert.equal(r.RequestId, err.requestId);
    assert.equal(r.Principal, 'user:viewer');
    assert.equal(r.SourceIp, '127.0.0.1');
    assert.equal(r.Action, 'oss:GetObject');
    assert.equal(r.Resource, objArn('secret/x.txt'));
    assert.equal(r.Decision, 'ExplicitDeny');
    assert.equal(r.Layer, 'identity');
    assert.equal(r.Policy, 'viewer-policy');
    assert.equal(r.StatementIndex, 1);
    assert.deepEqual(JSON.parse(r.Statement), DENY_SECRET);
    assert.equal(r.Status, 403);
    assert.equal(r.ErrorCode, 'AccessDenied');
    assert.equal(r.Message, 'Access denied by bucket policy.');
    assert.match(r.Time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(r.Time) - Date.now()) < 60_000);
  });

  it('an allowed request names the allowing statement; the owner needs no policy', async () => {
    const got = await viewer.oss(BUCKET).get('public/y.txt');
    const r = await explain(got.res.headers['x-oss-request-id' as keyof typeof got.res.headers] as string);
    assert.equal(r.Decision, 'Allow');
    assert.equal(r.Layer, 'identity');
    assert.equal(r.Policy, 'viewer-policy');
    assert.equal(r.StatementIndex, 0);
    assert.deepEqual(JSON.parse(r.Statement), ALLOW_READ);
    assert.equal(r.Status, 200);
    assert.equal(r.ErrorCode, undefined);

    const own = await srv.client({ bucket: BUCKET }).get('public/y.txt');
    const o = await explain(own.res.headers['x-oss-request-id' as keyof typeof own.res.headers] as string);
    assert.equal(o.Principal, `root:${ACCOUNT_ID}`);
    assert.equal(o.Decision, 'Allow');
    assert.equal(o.Layer, 'owner');
    assert.equal(o.Policy, undefined);
    assert.equal(o.StatementIndex, -1);
    assert.equal(o.Statement, undefined);
  });

  it('an implicit deny names the layer that refused (the bucket ACL)', async () => {
    const err = await expectOssError(viewer.oss(BUCKET).put('public/new.txt', Buffer.from('x')), 'AccessDenied', 403);
    const r = await explain(err.requestId!);
    assert.equal(r.Action, 'oss:PutObject');
    assert.equal(r.Decision, 'ImplicitDeny');
    assert.equal(r.Layer, 'acl');
    assert.equal(r.Policy, 'private');
    assert.equal(r.StatementIndex, -1);
  });

  it('RAM API requests are explained too (their POP RequestId)', async () => {
    const err = await popFails(viewer.pop().request('CreateUser', { UserName: 'intruder' }, { method: 'POST' }), 'NoPermission', undefined, 403);
    const r = await explain(err.data.RequestId);
    assert.equal(r.Principal, 'user:viewer');
    assert.equal(r.Action, 'ram:CreateUser');
    assert.equal(r.Resource, `acs:ram::${ACCOUNT_ID}:user/intruder`);
    assert.equal(r.Decision, 'ImplicitDeny');
    assert.equal(r.Layer, 'identity');
    assert.equal(r.StatementIndex, -1);
    assert.equal(r.Status, 403);
    assert.equal(r.ErrorCode, 'NoPermission');
  });

  it('a request refused before authorization has no Decision', async () => {
    const err = await expectOssError(srv.client({ bucket: BUCKET, accessKeySecret: 'wrong-secret-wrong-secret-wrong' }).get('public/y.txt'), 'SignatureDoesNotMatch', 403);
    const r = await explain(err.requestId!);
    assert.equal(r.Principal, 'unauthenticated');
    assert.equal(r.Decision, undefined);
    assert.equal(r.Layer, undefined);
    assert.equal(r.Action, 'oss:GetObject');
    assert.equal(r.ErrorCode, 'SignatureDoesNotMatch');
    assert.equal(r.Status, 403);
  });

  it('an unknown RequestId is 404 EntityNotExist.Request; a missing one is 400 MissingRequestId', async () => {
    await popFails(
      ram.call('ExplainRequest', { RequestId: 'NOT-A-REQUEST' }),
      'EntityNotExist.Request',
      'The request NOT-A-REQUEST is not among the last 10000 requests this server has seen, nor among the refused requests it kept across its last stop.',
      404,
    );
    await popFails(ram.call('ExplainRequest', {}), 'MissingRequestId', 'RequestId is mandatory for this action.', 400);
  });

  it('RAM users need ram:ExplainRequest (AdministratorAccess covers it); without it, NoPermission', async () => {
    const denied = await expectOssError(viewer.oss(BUCKET).get('secret/x.txt'), 'AccessDenied', 403);
    const refused: PopError = await popFails(
      viewer.pop().request('ExplainRequest', { RequestId: denied.requestId! }, { method: 'POST' }),
      'NoPermission',
      'You are not authorized to do this action.',
      403,
    );
    // The refusal is itself explainable: the missing permission is ram:ExplainRequest.
    const why = await explain(refused.data.RequestId);
    assert.equal(why.Action, 'ram:ExplainRequest');
    assert.equal(why.Resource, `acs:ram::${ACCOUNT_ID}:request/${denied.requestId!}`);

    const admin = await ram.user('ops-admin');
    await ram.attachToUser('AdministratorAccess', 'ops-admin', 'System');
    const r = await explain(denied.requestId!, admin.pop());
    assert.equal(r.Decision, 'ExplicitDeny');

    const auditor = await ram.userWith('auditor', policyDoc({ Effect: 'Allow', Action: 'ram:ExplainRequest', Resource: '*' }));
    assert.equal((await explain(denied.requestId!, auditor.pop())).Policy, 'viewer-policy');
    // The same user still may not do anything else in RAM.
    await popFails(auditor.pop().request('ListUsers', {}, { method: 'POST' }), 'NoPermission');
  });

  it("a bucket's own rule that refused (hotlink protection, Block Public Access) is the decision's layer", async () => {
    // Before: these refusals recorded no decision at all, as if the request had never reached authorization.
    const root = srv.client({ bucket: 'explain-rules' });
    await srv.client().putBucket('explain-rules');
    await root.putBucketACL('explain-rules', 'public-read');
    await root.put('x.txt', Buffer.from('x'));
    await root.putBucketReferer('explain-rules', false, ['http://good.example/*']);
    const res = await rawRequest(srv.port, { method: 'GET', path: '/explain-rules/x.txt', headers: { host: `localhost:${srv.port}`, referer: 'http://evil.example/' } });
    assert.equal(res.status, 403);
    const r = await explain(String(res.headers['x-oss-request-id']));
    assert.equal(r.Message, 'You are denied by bucket referer policy.');
    assert.equal(r.Decision, 'ExplicitDeny');
    assert.equal(r.Layer, 'referer');
    assert.equal(r.Policy, 'hotlink protection (Referer) of explain-rules');
    assert.equal(r.Action, 'oss:GetObject');
    assert.equal(r.Resource, `acs:oss:cn-hangzhou:${ACCOUNT_ID}:explain-rules/x.txt`);
    assert.equal(r.Trace, undefined);

    const block = '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>';
    assert.equal((await signedRequest(srv.port, 'PUT', 'explain-rules', null, [['publicAccessBlock', '']], { body: block })).status, 200);
    const put = await signedRequest(srv.port, 'PUT', 'explain-rules', 'x.txt', [['acl', '']], { headers: { 'x-oss-object-acl': 'public-read' } });
    assert.equal(put.status, 403);
    const b = await explain(String(put.headers['x-oss-request-id']));
    assert.equal(b.Message, 'Put public object acl is not allowed.');
    assert.equal(b.Decision, 'ExplicitDeny');
    assert.equal(b.Layer, 'public-access-block');
  });
});

describe('ExplainRequest remembers only the last N requests', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ recentRequests: 3 });
  });
  after(async () => srv.stop());

  it('the oldest request is forgotten once N newer ones arrived', async () => {
    const c = srv.client();
    const first = await c.listBuckets({});
    const firstId = (first as unknown as { res: { headers: Record<string, string> } }).res.headers['x-oss-request-id']!;
    const ram = new Ram(srv);
    assert.equal((await ram.call('ExplainRequest', { RequestId: firstId })).Request.Principal, `root:${ACCOUNT_ID}`);
    for (let i = 0; i < 3; i++) await c.listBuckets({});
    await popFails(
      ram.call('ExplainRequest', { RequestId: firstId }),
      'EntityNotExist.Request',
      `The request ${firstId} is not among the last 3 requests this server has seen, nor among the refused requests it kept across its last stop.`,
      404,
    );
  });
});
