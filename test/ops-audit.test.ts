// The audit log and the structured logs of a real `bin/alunite server` process after a scripted session:
// one audit line per OSS/RAM/STS request with who/what/decision, the same request ids in the logs, and
// no secret anywhere (AccessKey secrets, STS secrets and tokens, signatures).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { spawnOps, type OpsServer } from './helpers/ops.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const BUCKET = 'audit-b';
const READ = { Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` };
const NO_SECRETS = { Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/secret/*` };
const ASSUME = { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' };

const idOf = (r: { res: { headers: object } }): string => (r.res.headers as Record<string, string>)['x-oss-request-id']!;

describe('audit log and logs of a scripted session (spawned server)', () => {
  let dir: string;
  let srv: OpsServer;
  let audit: Line[];
  let auditText: string;
  let logs: Line[];
  let user: RamUserHandle;
  let creds: StsCredentials;
  const ids: Record<string, string> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alunite-audit-'));
    const auditFile = join(dir, 'audit.log');
    srv = await spawnOps(['--in-memory', '--log-level', 'debug', '--audit-log', auditFile]);
    const url = srv.urls[0]!;
    const port = Number(new URL(url).port);
    const base = { region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, timeout: 60_000 };
    // The parts of TestServer the RAM and STS helpers use.
    const target = { url, port, client: (o: Partial<OSS.Options> = {}) => new OSS({ ...base, endpoint: url, ...o } as OSS.Options) } as unknown as TestServer;
    const ram = new Ram(target);

    // ali-oss as the root.
    const root = target.client({ bucket: BUCKET });
    await target.client().putBucket(BUCKET);
    ids.put = idOf(await root.put('public/a.txt', Buffer.from('public text')));
    await root.put('secret/s.txt', Buffer.from('secret text'));
    ids.get = idOf(await root.get('public/a.txt'));

    // pop-core: CreateUser + CreateAccessKey (the secret travels in that answer only), a policy.
    user = await ram.userWith('reader', policyDoc(READ, NO_SECRETS, ASSUME));
    // A RAM call by GET: its Signature sits in the URL.
    await ram.popClient().request('GetUser', { UserName: 'reader' }, { method: 'GET' });

    // The restricted user: refused by statement 1, allowed by statement 0.
    ids.denied = (await expectOssError(user.oss(BUCKET).get('secret/s.txt'), 'AccessDenied', 403)).requestId!;
    ids.userGet = idOf(await user.oss(BUCKET).get('public/a.txt'));

    // AssumeRole, then OSS with the STS credentials (header-signed, and a presigned URL carrying the token).
    await ram.call('CreateRole', { RoleName: 'auditor', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('CreatePolicy', { PolicyName: 'auditor-read', PolicyDocument: policyDoc(READ) });
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'auditor-read', RoleName: 'auditor' });
    const assumed = await assumeRole(stsClient(target, user.accessKeyId, user.accessKeySecret), { RoleArn: roleArn('auditor'), RoleSessionName: 'audit-session' });
    ids.assume = assumed.RequestId as string;
    creds = assumed.Credentials as StsCredentials;
    ids.stsGet = idOf(await ossWith(target, creds, BUCKET).get('public/a.txt'));
    const presigner = new OSS({ ...base, accessKeyId: creds.AccessKeyId, accessKeySecret: creds.AccessKeySecret, stsToken: creds.SecurityToken, endpoint: `http://localhost:${port}`, sldEnable: true, bucket: BUCKET } as OSS.Options);
    const signed = presigner.signatureUrl('public/a.txt', { expires: 600 });
    assert.match(signed, /security-token=/);
    const presigned = await fetch(signed);
    assert.equal(presigned.status, 200);
    ids.presigned = presigned.headers.get('x-oss-request-id')!;
    // A browser's CORS preflight (no CORS rule here: 403): unsigned by design, audited as such.
    const preflight = await fetch(`${url}/${BUCKET}/public/a.txt`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' } });
    assert.equal(preflight.status, 403);
    ids.preflight = preflight.headers.get('x-oss-request-id')!;

    assert.equal(await srv.stop(), 0, 'SIGTERM: flushed and exited cleanly');
    auditText = await readFile(auditFile, 'utf8');
    audit = auditText.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    logs = srv.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  });
  after(async () => {
    await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const line = (requestId: string): Line => {
    const hits = audit.filter((l) => l.requestId === requestId);
    assert.equal(hits.length, 1, `one audit line for ${requestId}`);
    return hits[0]!;
  };

  it('one line per request, with the documented fields', () => {
    assert.ok(audit.length >= 15, `${audit.length} lines`);
    assert.equal(new Set(audit.map((l) => l.requestId)).size, audit.length, 'request ids are unique');
    for (const l of audit) {
      for (const k of ['time', 'requestId', 'service', 'operation', 'principal', 'sourceIp', 'action', 'decision', 'status', 'bytesIn', 'bytesOut', 'latencyMs']) {
        assert.ok(k in l, `${k} in ${JSON.stringify(l)}`);
      }
      assert.match(l.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.ok(['allow', 'deny', 'error-before-authorization', 'cors-preflight'].includes(l.decision));
      assert.ok(['oss', 'ram', 'sts'].includes(l.service));
      assert.ok(l.latencyMs >= 0);
    }
  });

  it('a CORS preflight is decision cors-preflight, not an authorization error', () => {
    const pf = line(ids.preflight!);
    assert.equal(pf.operation, 'Preflight');
    assert.equal(pf.decision, 'cors-preflight');
    assert.equal(pf.status, 403);
  });

  it('root OSS requests: principal, action, resource, owner decision, bytes', () => {
    const put = line(ids.put!);
    assert.deepEqual(put.principal, { type: 'root', accountId: ACCOUNT_ID, accessKeyId: AK });
    assert.equal(put.action, 'oss:PutObject');
    assert.equal(put.resource, `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${BUCKET}/public/a.txt`);
    assert.equal(put.decision, 'allow');
    assert.equal(put.layer, 'owner');
    assert.equal(put.bytesIn, 'public text'.length);
    assert.equal(put.status, 200);
    const get = line(ids.get!);
    assert.equal(get.bytesOut, 'public text'.length);
    assert.equal(get.sourceIp, '127.0.0.1');
  });

  it('the restricted user: denial with the deciding policy and statement, then an allow', () => {
    const d = line(ids.denied!);
    assert.deepEqual(d.principal, { type: 'user', accountId: ACCOUNT_ID, userName: 'reader', userId: user.userId, accessKeyId: user.accessKeyId });
    assert.equal(d.decision, 'deny');
    assert.equal(d.noPermissionType, 'ExplicitDeny');
    assert.equal(d.layer, 'identity');
    assert.equal(d.policy, 'reader-policy');
    assert.equal(d.statement, 1);
    assert.equal(d.status, 403);
    assert.equal(d.errorCode, 'AccessDenied');
    const a = line(ids.userGet!);
    assert.equal(a.decision, 'allow');
    assert.equal(a.statement, 0);
  });

  it('RAM and STS calls: actions, resources, the role session principal', () => {
    const create = audit.find((l) => l.action === 'ram:CreateUser')!;
    assert.equal(create.service, 'ram');
    assert.equal(create.operation, 'CreateUser');
    assert.equal(create.resource, `acs:ram::${ACCOUNT_ID}:user/reader`);
    assert.equal(create.decision, 'allow');
    assert.equal(create.principal.type, 'root');
    assert.match(create.requestId, /^[0-9A-F-]{36}$/, 'the POP request id the client saw');
    assert.ok(audit.some((l) => l.action === 'ram:CreateAccessKey' && l.status === 200));

    const assume = line(ids.assume!);
    assert.equal(assume.service, 'sts');
    assert.equal(assume.action, 'sts:AssumeRole');
    assert.equal(assume.resource, roleArn('auditor'));
    assert.equal(assume.decision, 'allow');
    assert.equal(assume.layer, 'trust');
    assert.equal(assume.principal.userName, 'reader');

    for (const id of [ids.stsGet!, ids.presigned!]) {
      const s = line(id);
      assert.equal(s.principal.type, 'session');
      assert.equal(s.principal.roleName, 'auditor');
      assert.equal(s.principal.sessionName, 'audit-session');
      assert.equal(s.principal.accessKeyId, creds.AccessKeyId);
      assert.equal(s.policy, 'auditor-read');
      assert.equal(s.decision, 'allow');
    }
  });

  it('no secret in the audit log, the logs or stdout', () => {
    const everything = [auditText, srv.stderr(), srv.stdout()].join('\n');
    for (const [what, secret] of [
      ['root secret', SECRET], ['RAM user secret', user.accessKeySecret], ['STS secret', creds.AccessKeySecret], ['STS token', creds.SecurityToken],
    ] as const) {
      assert.ok(!everything.includes(secret), `${what} leaked`);
      assert.ok(!everything.includes(encodeURIComponent(secret)), `${what} leaked (URL-encoded)`);
    }
    // Signatures: neither an Authorization header value nor a signature parameter's value.
    assert.doesNotMatch(everything, /OSS [A-Za-z0-9.]+:[A-Za-z0-9+/=]{20,}/);
    assert.doesNotMatch(everything, /Signature=(?!\[redacted\])/i);
  });

  it('log lines carry the request id: the debug request lines cover exactly the audited requests', () => {
    assert.ok(logs.length > 0);
    for (const l of logs) {
      assert.ok(typeof l.level === 'string' && typeof l.time === 'string' && typeof l.msg === 'string', JSON.stringify(l));
    }
    const requestLines = logs.filter((l) => l.msg === 'request');
    assert.deepEqual(requestLines.map((l) => l.requestId).sort(), audit.map((l) => l.requestId).sort());
    // The presigned GET's URL is logged with its signature and token values redacted.
    const presigned = requestLines.find((l) => l.requestId === ids.presigned)!;
    assert.match(presigned.url, /security-token=\[redacted\]/);
    assert.match(presigned.url, /Signature=\[redacted\]/);
    const denial = logs.find((l) => l.msg === 'access denied')!;
    assert.equal(denial.requestId, ids.denied);
    assert.equal(denial.policy, 'reader-policy');
    assert.equal(denial.statement, 1);
  });
});
