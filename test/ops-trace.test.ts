// "Why was I denied?" answered completely: ExplainRequest's Trace (every layer in evaluation order, each
// statement's failing part) for OSS, RAM and STS decisions through the unchanged clients; the same in
// XML; the audit line of a denial; SimulatePrincipalPolicy with a session policy and live bucket state.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { percentEncode } from '../src/rpc/encoding.js';
import { rpcSignature, rpcStringToSign } from '../src/rpc/signature.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, popFails, Ram, type RamUserHandle } from './helpers/ram.js';
import { rawRequest } from './helpers/raw-http.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const BUCKET = 'trace-b';
const PUBLIC = 'trace-pub';
const objArn = (key: string, bucket = BUCKET): string => `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${bucket}/${key}`;
const ALL_OSS = { Effect: 'Allow', Action: 'oss:*', Resource: '*' };
const ASSUME = { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' };
const ONLY_PUT = policyDoc({ Effect: 'Allow', Action: 'oss:PutObject', Resource: '*' });

const layers = (t: Body): Body[] => t.Layers.Layer as Body[];
const layerOf = (t: Body, name: string): Body => {
  const l = layers(t).find((x) => x.Name === name);
  assert.ok(l, `layer ${name}`);
  return l;
};
const statements = (l: Body, policy = 0): Body[] => l.Policies.Policy[policy].Statements.Statement as Body[];

describe('the full trace of a decision', () => {
  let srv: TestServer;
  let ram: Ram;
  let dir: string;
  let auditFile: string;
  let worker: RamUserHandle;
  let creds: StsCredentials;
  const denied: Record<string, string> = {};

  const explain = async (requestId: string): Promise<Body> => (await ram.call('ExplainRequest', { RequestId: requestId })).Request as Body;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alunite-trace-'));
    auditFile = join(dir, 'audit.log');
    srv = await startTestServer({ auditLog: auditFile });
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('a.txt', Buffer.from('a'));
    await srv.client({ bucket: BUCKET }).put('locked/x.txt', Buffer.from('x'));
    await srv.client().putBucket(PUBLIC);
    await srv.client({ bucket: PUBLIC }).putBucketACL(PUBLIC, 'public-read');
    await srv.client({ bucket: PUBLIC }).put('p.txt', Buffer.from('p'));
    // A bucket policy that denies the worker the locked/ prefix.
    await srv.client({ bucket: BUCKET }).putBucketPolicy(BUCKET, {
      Version: '1',
      Statement: [{ Sid: 'LockedAway', Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:${ACCOUNT_ID}:${BUCKET}/locked/*`] }],
    } as never);
    worker = await ram.userWith('worker', policyDoc(ALL_OSS, ASSUME, { Sid: 'NoDeletes', Effect: 'Deny', Action: 'oss:DeleteObject', Resource: '*' }));
    await ram.call('CreateRole', { RoleName: 'writer', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('CreatePolicy', { PolicyName: 'writer-all', PolicyDocument: policyDoc(ALL_OSS) });
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'writer-all', RoleName: 'writer' });
    // A role only another account may assume.
    await ram.call('CreateRole', { RoleName: 'foreign', AssumeRolePolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::6543210987654321:root'] } }) });
    creds = (await assumeRole(stsClient(srv, worker.accessKeyId, worker.accessKeySecret), { RoleArn: roleArn('writer'), RoleSessionName: 'narrow', Policy: ONLY_PUT })).Credentials as StsCredentials;

    denied.session = (await expectOssError(ossWith(srv, creds, BUCKET).get('a.txt'), 'AccessDenied', 403)).requestId!;
    denied.identity = (await expectOssError(worker.oss(BUCKET).delete('a.txt'), 'AccessDenied', 403)).requestId!;
    denied.bucket = (await expectOssError(worker.oss(BUCKET).get('locked/x.txt'), 'AccessDenied', 403)).requestId!;
    denied.ram = (await popFails(worker.pop().request('CreateUser', { UserName: 'intruder' }, { method: 'POST' }), 'NoPermission')).data.RequestId;
    denied.trust = (await popFails(assumeRole(stsClient(srv, worker.accessKeyId, worker.accessKeySecret), { RoleArn: roleArn('foreign'), RoleSessionName: 'try-foreign' }), 'NoPermission')).data.RequestId;
  });
  let stopped = false;
  after(async () => {
    if (!stopped) await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a session-policy implicit deny names the session layer and shows each session statement failing on Action', async () => {
    const r = await explain(denied.session!);
    assert.equal(r.Decision, 'ImplicitDeny');
    assert.equal(r.Layer, 'session');
    assert.equal(r.Policy, 'session policy');
    assert.equal(r.StatementIndex, -1);
    const t = r.Trace as Body;
    assert.equal(t.Decision, 'ImplicitDeny');
    assert.equal(t.DecidingLayer, 'session');
    assert.deepEqual(layers(t).map((l) => [l.Name, l.Verdict]), [['session', 'NoMatch'], ['identity', 'NotConsulted'], ['bucket', 'NotConsulted'], ['owner', 'NotConsulted'], ['acl', 'NotConsulted']]);
    assert.deepEqual(statements(layerOf(t, 'session')).map((s) => ({ ...s })), [{ Index: 0, Effect: 'Allow', Applied: false, FailedPart: 'Action' }]);
    assert.match(layerOf(t, 'session').Reason, /session policy only narrows/);
  });

  it('an identity explicit Deny: the identity layer with the denying statement applied, the others listed', async () => {
    const r = await explain(denied.identity!);
    const t = r.Trace as Body;
    assert.equal(t.Decision, 'ExplicitDeny');
    assert.equal(t.DecidingLayer, 'identity');
    const id = layerOf(t, 'identity');
    assert.equal(id.Verdict, 'ExplicitDeny');
    assert.equal(id.DecidingPolicy, 'worker-policy');
    assert.equal(id.DecidingStatementIndex, 2);
    assert.equal(id.Policies.Policy[0].Name, 'worker-policy');
    assert.deepEqual(statements(id).map((s) => [s.Index, s.Applied, s.FailedPart]), [[0, true, undefined], [1, false, 'Action'], [2, true, undefined]]);
    assert.equal(statements(id)[2]!.Sid, 'NoDeletes');
    assert.equal(layerOf(t, 'session').Verdict, 'NotConsulted');
    assert.equal(layerOf(t, 'bucket').Verdict, 'NoMatch');
  });

  it('a bucket-policy Deny: the bucket layer decides although the identity policy allows', async () => {
    const r = await explain(denied.bucket!);
    assert.equal(r.Layer, 'bucket');
    const t = r.Trace as Body;
    assert.equal(t.DecidingLayer, 'bucket');
    assert.equal(layerOf(t, 'identity').Verdict, 'Allow');
    const b = layerOf(t, 'bucket');
    assert.equal(b.Verdict, 'ExplicitDeny');
    assert.equal(b.Policies.Policy[0].Name, `bucket policy of ${BUCKET}`);
    assert.equal(statements(b)[0]!.Sid, 'LockedAway');
  });

  it('a failing IpAddress condition: key, operator, expected values and the actual source address', async () => {
    const office = await ram.userWith('office', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } } }));
    const id = (await expectOssError(office.oss(BUCKET).get('a.txt'), 'AccessDenied', 403)).requestId!;
    const t = (await explain(id)).Trace as Body;
    assert.equal(t.Decision, 'ImplicitDeny');
    assert.equal(t.DecidingLayer, 'acl');
    const st = statements(layerOf(t, 'identity'))[0]!;
    assert.equal(st.FailedPart, 'Condition');
    const c = st.Conditions.Condition[0];
    assert.equal(c.Key, 'acs:SourceIp');
    assert.equal(c.Operator, 'IpAddress');
    assert.deepEqual(c.Expected.Value, ['10.0.0.0/8', '192.168.0.0/16']);
    assert.deepEqual(c.Actual.Value, ['127.0.0.1']);
    assert.equal(c.Missing, undefined);
    assert.equal(layerOf(t, 'acl').Verdict, 'NoMatch');
  });

  it('ACL decisions: a public-read bucket grants the read; the write is refused by the ACL layer', async () => {
    const nobody = await ram.user('nobody');
    const got = await nobody.oss(PUBLIC).get('p.txt');
    const allowed = (await explain((got.res.headers as Record<string, string>)['x-oss-request-id']!)).Trace as Body;
    assert.equal(allowed.Decision, 'Allow');
    assert.equal(allowed.DecidingLayer, 'acl');
    assert.match(layerOf(allowed, 'acl').Reason, /public-read grants reads/);
    assert.equal(layerOf(allowed, 'identity').Verdict, 'NoMatch');
    assert.match(layerOf(allowed, 'identity').Reason, /No policy is attached/);
    const put = (await expectOssError(nobody.oss(PUBLIC).put('q.txt', Buffer.from('q')), 'AccessDenied', 403)).requestId!;
    const refused = (await explain(put)).Trace as Body;
    assert.equal(refused.DecidingLayer, 'acl');
    assert.match(layerOf(refused, 'acl').Reason, /grants reads, not writes/);
  });

  it('a trust-policy denial on AssumeRole: identity allows, the trust statement fails on Principal', async () => {
    const r = await explain(denied.trust!);
    assert.equal(r.Action, 'sts:AssumeRole');
    const t = r.Trace as Body;
    assert.equal(t.DecidingLayer, 'trust');
    assert.deepEqual(layers(t).map((l) => [l.Name, l.Verdict]), [['session', 'NotConsulted'], ['identity', 'Allow'], ['trust', 'NoMatch']]);
    assert.equal(layerOf(t, 'trust').Policies.Policy[0].Name, 'trust policy of foreign');
    assert.equal(statements(layerOf(t, 'trust'))[0]!.FailedPart, 'Principal');
  });

  it('a RAM action denial: the identity layer with the statements that do not cover ram:CreateUser', async () => {
    const r = await explain(denied.ram!);
    const t = r.Trace as Body;
    assert.equal(t.Action, 'ram:CreateUser');
    assert.equal(t.Decision, 'ImplicitDeny');
    assert.equal(t.DecidingLayer, 'identity');
    assert.deepEqual(statements(layerOf(t, 'identity')).map((s) => s.FailedPart), ['Action', 'Action', 'Action']);
  });

  it('the XML form of ExplainRequest carries the same trace (one element per list item)', async () => {
    const params = new Map<string, string>(Object.entries({
      Format: 'XML', Version: '2015-05-01', AccessKeyId: AK, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
      SignatureNonce: randomUUID(), Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Action: 'ExplainRequest', RequestId: denied.session!,
    }));
    params.set('Signature', rpcSignature(SECRET, rpcStringToSign('GET', params)));
    const q = [...params].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
    const res = await rawRequest(srv.port, { method: 'GET', path: `/?${q}`, headers: { host: `127.0.0.1:${srv.port}` } });
    const xml = res.body.toString('utf8');
    assert.equal(res.status, 200, xml);
    assert.match(xml, /<Trace><Action>oss:GetObject<\/Action>/);
    assert.match(xml, /<DecidingLayer>session<\/DecidingLayer>/);
    assert.equal((xml.match(/<Layer><Name>/g) ?? []).length, 5);
    assert.match(xml, /<Layer><Name>session<\/Name><Verdict>NoMatch<\/Verdict>/);
    assert.match(xml, /<Statement><Index>0<\/Index><Effect>Allow<\/Effect><Applied>false<\/Applied><FailedPart>Action<\/FailedPart><\/Statement>/);
  });

  it('SimulatePrincipalPolicy: a role with a session policy is the intersection; the live bucket policy counts', async () => {
    const sim = async (p: Record<string, string>): Promise<Body> => (await ram.call('SimulatePrincipalPolicy', p)).EvaluationResult as Body;
    const without = await sim({ RoleName: 'writer', ActionName: 'oss:GetObject', Resource: objArn('a.txt') });
    assert.equal(without.Decision, 'Allow');
    const narrowed = await sim({ RoleName: 'writer', ActionName: 'oss:GetObject', Resource: objArn('a.txt'), SessionPolicy: ONLY_PUT });
    assert.equal(narrowed.Decision, 'ImplicitDeny');
    assert.equal(narrowed.IdentityDecision, 'Allow');
    assert.equal(narrowed.Trace.DecidingLayer, 'session');
    assert.equal((await sim({ RoleName: 'writer', ActionName: 'oss:PutObject', Resource: objArn('b.txt'), SessionPolicy: ONLY_PUT })).Decision, 'Allow');
    const locked = await sim({ UserName: 'worker', ActionName: 'oss:GetObject', Resource: objArn('locked/x.txt') });
    assert.equal(locked.Decision, 'ExplicitDeny');
    assert.equal(locked.IdentityDecision, 'Allow');
    assert.equal(locked.Trace.DecidingLayer, 'bucket');
    const trust = await sim({ UserName: 'worker', ActionName: 'sts:AssumeRole', Resource: roleArn('foreign') });
    assert.equal(trust.Decision, 'ImplicitDeny');
    assert.equal(trust.Trace.DecidingLayer, 'trust');
    await popFails(sim({ UserName: 'worker', ActionName: 'oss:GetObject', Resource: '*', SessionPolicy: ONLY_PUT }), 'InvalidParameter');
    await popFails(sim({ RoleName: 'writer', ActionName: 'oss:GetObject', Resource: '*', SessionPolicy: '{"Statement": 1}' }), 'InvalidParameter.PolicyGrammar');
  });

  it('SimulatePrincipalPolicy shows a bucket or trust policy\'s statements only to a caller who may read that policy', async () => {
    const auditor = await ram.userWith('auditor', policyDoc({ Effect: 'Allow', Action: 'ram:SimulatePrincipalPolicy', Resource: '*' }));
    const sim = async (p: Record<string, string>): Promise<Body> => (await auditor.pop().request<Body>('SimulatePrincipalPolicy', p, { method: 'POST' })).EvaluationResult as Body;
    const locked = await sim({ UserName: 'worker', ActionName: 'oss:GetObject', Resource: objArn('locked/x.txt') });
    assert.equal(locked.Decision, 'ExplicitDeny');
    const b = layerOf(locked.Trace, 'bucket');
    assert.equal(b.Verdict, 'ExplicitDeny');
    assert.deepEqual(b.Policies.Policy, []);
    assert.match(b.Reason, /not shown: the caller may not read this policy, oss:GetBucketPolicy/);
    const trust = await sim({ UserName: 'worker', ActionName: 'sts:AssumeRole', Resource: roleArn('foreign') });
    assert.deepEqual(layerOf(trust.Trace, 'trust').Policies.Policy, []);
    assert.match(layerOf(trust.Trace, 'trust').Reason, /ram:GetRole/);
    // The root sees them (the earlier test checks the statements are there).
    const root = (await ram.call('SimulatePrincipalPolicy', { UserName: 'worker', ActionName: 'oss:GetObject', Resource: objArn('locked/x.txt') })).EvaluationResult as Body;
    assert.equal(statements(layerOf(root.Trace, 'bucket'))[0]!.Sid, 'LockedAway');
  });

  it('the audit log records the trace for denials (not for allowed requests), without secrets', async () => {
    // The audit log is flushed on close.
    stopped = true;
    await srv.stop();
    const text = await readFile(auditFile, 'utf8');
    const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Body);
    const line = (id: string): Body => lines.find((l) => l.requestId === id)!;
    const s = line(denied.session!);
    assert.equal(s.layer, 'session');
    assert.equal(s.policy, 'session policy');
    assert.equal(s.trace.decidingLayer, 'session');
    assert.deepEqual(s.trace.layers.map((l: Body) => l.verdict), ['NoMatch', 'NotConsulted', 'NotConsulted', 'NotConsulted', 'NotConsulted']);
    assert.equal(line(denied.bucket!).trace.decidingLayer, 'bucket');
    assert.equal(line(denied.trust!).trace.decidingLayer, 'trust');
    for (const l of lines) if (l.decision === 'allow') assert.equal(l.trace, undefined);
    assert.ok(!text.includes(creds.AccessKeySecret) && !text.includes(creds.SecurityToken) && !text.includes(worker.accessKeySecret));
    for (const l of lines) assert.ok(JSON.stringify(l.trace ?? null).length <= 8192 + 200);
  });
});
