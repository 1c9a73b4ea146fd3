// Red-team wave 12b (tenant isolation and information leaks between the accounts of one server, and between a RAM
// user and its account's secrets): each finding reproduced against a real server the test starts, failing on the
// code before its fix; then guards for what held, each able to fail.
//
// Attacker positions: (a) another account's root or RAM user, (b) an STS session with a narrow session policy,
// (c) no credentials.
//
// Found and fixed (the first four describes):
// - AssumeRole looked the role up before deciding the caller's own side: any credential of any account (a RAM user
//   allowed nothing, a session whose policy names no role) told another account's role names apart
//   (EntityNotExist.Role / NoPermission) and read their MaxSessionDuration from the DurationSeconds message.
// - A System policy's AttachmentCount (GetPolicy, ListPolicies) counted every account's users, groups and roles:
//   an account could watch another attach and detach system policies.
// - The policy simulator (SimulatePrincipalPolicy on another account's bucket) and DecodeDiagnosticMessage (a
//   denial on another account's bucket) named the bucket's owner account, which OSS tells no one else.
// - A PUT (or the append that creates an object, a copy, a symlink) whose bucket was deleted while its body arrived
//   and whose name another account took meanwhile landed in that account's new bucket, which could read the bytes.
// - So did a bucket configuration (policy, CORS, lifecycle, website, encryption, referer, request payment, versioning,
//   a WORM policy, callback policy, image style, QoS, storage capacity, a stored configuration or collection entry:
//   access monitor, replication and RTC, CNAME, resource group, access points and their policies, inventory, live
//   channel) whose body arrived after its owner deleted the bucket and another account created one of the name: a
//   policy granting the old owner everything was set on the new bucket, a retention policy locked it.
//
// Tried and held on the old code (guards below where marked [guard]; others have tests elsewhere):
// - OSS object APIs on another account's private bucket, as its root and anonymously: GET/HEAD (with Range,
//   If-Match, If-None-Match), objectMeta, ACL, tagging, symlink, versionId, x-oss-process, SelectObject, restore,
//   PUT with x-oss-forbid-overwrite, AppendObject at any position, PutSymlink, DELETE, UploadPart / ListParts /
//   Abort / Complete with a real or bogus uploadId, CopyObject and UploadPartCopy with that bucket as the source
//   (with x-oss-copy-source-if-match / -range): the same 403 whether the key exists or not [guard]. Another
//   bucket's uploadId used in one's own bucket: NoSuchUpload.
// - Bucket names taken again after a delete: no policy, ACL, CORS, website, lifecycle, logging, tags, encryption,
//   stored configuration, access point (its alias stops resolving) or statistic of the old bucket reaches the new
//   owner's bucket [guard]. Access logs and inventory files re-check the target's owner at write time
//   (oss-logging.test.ts), async fetch re-checks its task list; access point aliases (`-ossalias`) cannot be bucket
//   names; a CNAME domain routes only while the bucket incarnation that bound it lists it (oss-cname.test.ts).
// - Writes into other accounts' buckets: logging and inventory targets must be the source owner's (the same
//   refusal whether the target exists or not), replication stores rules and copies nothing, live channel snapshot
//   destinations are stored only, CopyObject/UploadPartCopy/save-as authorize the destination as PutObject.
// - RAM: every call acts on the caller's account; a RAM user allowed nothing gets NoPermission for existing and
//   missing users, groups, roles, policies, login profiles, MFA devices and access keys alike (authorization
//   before lookup). ListEntitiesForPolicy resolves only the caller's account's entities; ListTagResources,
//   ListVirtualMFADevices, GetAccessKeyLastUsed of another account's key show nothing of it.
// - Secrets: ListAccessKeys, GetUser, GetLoginProfile, ListVirtualMFADevices, GetUserMFAInfo, ListUsers,
//   GetAccessKeyLastUsed, GetPasswordPolicy, GetSecurityPreference answer no AccessKey secret, password (hash) or
//   MFA seed [guard]; `/-/callback/public-key.pem` is the public key only; `/-/metrics` has no bucket, key or user
//   names; `/-/accounts` and `/-/reset` take the default root only; the console config has only the public dev keys.
// - ExplainRequest explains a request to an account only when its principal and resource are both the account's
//   (ops-explain.test.ts); OSS request ids are a counter, so an account can walk them, but a request of another
//   account's principal or on another account's bucket answers EntityNotExist.Request. Requests refused before
//   their signature was verified belong to no account's principal and are explained to the default (operator's)
//   account: time, address, action and code, never a resource, key or message quoting the request.
// - Access logs: a bucket's log holds lines of requests to that bucket only; the URL's signature and token
//   parameters are redacted (oss-logging.test.ts).
// - EncodedDiagnosticMessage is sealed (AES-GCM); a message about another account's principal decodes for no one.
// - Federation: an unknown provider and an unknown role answer before any token is trusted only what the cloud
//   answers (AuthenticationFail.NoPermission). Since then a missing role after a verified token answers as the
//   trust refusal too, not EntityNotExist.Role (federation-oidc.test.ts, docs/federation.md).
// - Timing (measured, not asserted; medians of 2,000 alternating requests each, load 3.5 on two cores): another
//   account's GET of an existing and of a missing key in a private bucket 0.99 / 0.97 ms (inside run-to-run noise);
//   AssumeRole by a RAM user allowed nothing, existing and missing role, 1.07 / 0.85 ms before the fix (the role was
//   read, and its trust policy compiled, only when it existed), 1.13 / 1.14 ms after it (the role is not read).
//   Console sign-in already hashes a password whatever the name. Nothing else worth fixing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import type OSS from 'ali-oss';
import { expectOssError } from './helpers/oss.js';
import { testPostgres } from './helpers/postgres.js';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { signedRequest } from './helpers/signed.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, stsClient } from './helpers/sts.js';

const A = ACCOUNT_ID;
const B = '2000000000000012';
const B_AK = 'LTAI5tIsolationAccountBKey';
const B_SECRET = 'IsolationAccountBSecretKey12345';
const NO_PERMISSION = 'You are not authorized to do this action. You should be authorized by RAM.';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

/** Account B's root as a pop-core RAM client, and a call through it. */
function accountB(srv: TestServer): { pop: RPCClient; call(action: string, params?: Record<string, unknown>): Promise<Body> } {
  const pop = new RPCClient({ accessKeyId: B_AK, accessKeySecret: B_SECRET, endpoint: srv.url, apiVersion: '2015-05-01' });
  return { pop, call: (action, params = {}) => pop.request<Body>(action, params, { method: 'POST' }) };
}

const trustOf = (...principals: string[]): string => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: principals } }] });

describe('redteam isolation: AssumeRole tells a caller its own account does not allow nothing of the role', () => {
  let srv: TestServer;
  let ramA: Ram;
  let b: ReturnType<typeof accountB>;
  /** Keys of B's RAM users: allowed nothing; allowed sts:AssumeRole on everything. */
  const keys: Record<'nobody' | 'assumer', [string, string]> = { nobody: ['', ''], assumer: ['', ''] };
  const arnA = (name: string): string => `acs:ram::${A}:role/${name}`;

  before(async () => {
    srv = await startTestServer();
    await srv.accounts.create({ accountId: B, name: 'isolation-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    ramA = new Ram(srv);
    b = accountB(srv);
    // A's roles: one trusting only A (the role an attacker probes for), one trusting B's assumer.
    await ramA.call('CreateRole', { RoleName: 'SecretAdmin', AssumeRolePolicyDocument: trustOf(`acs:ram::${A}:root`), MaxSessionDuration: 7200 });
    for (const [name, allow] of [['nobody', null], ['assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' })]] as const) {
      await b.call('CreateUser', { UserName: name });
      const k = await b.call('CreateAccessKey', { UserName: name });
      keys[name] = [k.AccessKey.AccessKeyId as string, k.AccessKey.AccessKeySecret as string];
      if (allow !== null) {
        await b.call('CreatePolicy', { PolicyName: `${name}-policy`, PolicyDocument: allow });
        await b.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: `${name}-policy`, UserName: name });
      }
    }
    await ramA.call('CreateRole', { RoleName: 'PartnerAccess', AssumeRolePolicyDocument: trustOf(`acs:ram::${B}:user/assumer`), MaxSessionDuration: 7200 });
  });
  after(async () => {
    await srv.stop();
  });

  const assume = (who: [string, string], role: string, extra: Record<string, unknown> = {}, token?: string): Promise<Body> =>
    assumeRole(stsClient(srv, who[0], who[1], token), { RoleArn: arnA(role), RoleSessionName: 'probe', ...extra });

  it('a RAM user of B allowed nothing: the same NoPermission for an existing role, a missing one, and a DurationSeconds past the maximum', async () => {
    // Before: EntityNotExist.Role for the missing name, and "15min/2hr." (SecretAdmin's maximum) for the long duration.
    for (const role of ['SecretAdmin', 'NoSuchRole']) {
      for (const extra of [{}, { DurationSeconds: 43200 }]) {
        await popFails(assume(keys.nobody, role, extra), 'NoPermission', NO_PERMISSION, 403);
      }
    }
  });

  it('a session whose policy does not name the role: the same NoPermission for an existing and a missing role', async () => {
    // A session of B's own role, allowed sts:AssumeRole by its role policy but narrowed by its session policy to OSS.
    await b.call('CreateRole', { RoleName: 'hop', AssumeRolePolicyDocument: trustOf(`acs:ram::${B}:root`) });
    await b.call('CreatePolicy', { PolicyName: 'hop-assume', PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }) });
    await b.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'hop-assume', RoleName: 'hop' });
    const narrow = policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' });
    const session = await assumeRole(stsClient(srv, ...keys.assumer), { RoleArn: `acs:ram::${B}:role/hop`, RoleSessionName: 'narrow', Policy: narrow });
    const c = session.Credentials as Body;
    const creds: [string, string] = [c.AccessKeyId as string, c.AccessKeySecret as string];
    for (const role of ['SecretAdmin', 'NoSuchRole']) {
      await popFails(assume(creds, role, { DurationSeconds: 43200 }, c.SecurityToken as string), 'NoPermission', NO_PERMISSION, 403);
    }
    // Without the session policy the same role session reaches the role (the refusal above was the session's).
    const wide = (await assumeRole(stsClient(srv, ...keys.assumer), { RoleArn: `acs:ram::${B}:role/hop`, RoleSessionName: 'wide' })).Credentials as Body;
    await popFails(assume([wide.AccessKeyId as string, wide.AccessKeySecret as string], 'NoSuchRole', {}, wide.SecurityToken as string), 'EntityNotExist.Role', undefined, 404);
  });

  it('a caller its own account allows: EntityNotExist.Role as documented; the maximum only once the trust policy admits it', async () => {
    await popFails(assume(keys.assumer, 'NoSuchRole'), 'EntityNotExist.Role', 'The specified Role not exists.', 404);
    // SecretAdmin does not trust B: refused before its MaxSessionDuration is compared (before: "…15min/2hr.").
    await popFails(assume(keys.assumer, 'SecretAdmin', { DurationSeconds: 43200 }), 'NoPermission', NO_PERMISSION, 403);
    // PartnerAccess trusts the assumer: the duration is checked and its message names the role's maximum.
    await popFails(assume(keys.assumer, 'PartnerAccess', { DurationSeconds: 43200 }), 'InvalidParameter.DurationSeconds', 'The Min/Max value of DurationSeconds is 15min/2hr.', 400);
    const ok = await assume(keys.assumer, 'PartnerAccess', { DurationSeconds: 7200 });
    assert.equal(ok.AssumedRoleUser.Arn, `acs:ram::${A}:role/partneraccess/probe`);
  });

  it('a RAM user of the role\'s own account allowed nothing learns nothing either; root callers neither', async () => {
    const bob = await ramA.user('bob');
    for (const role of ['SecretAdmin', 'NoSuchRole']) {
      await popFails(assume([bob.accessKeyId, bob.accessKeySecret], role, { DurationSeconds: 43200 }), 'NoPermission', NO_PERMISSION, 403);
      await popFails(assume([B_AK, B_SECRET], role), 'NoPermission', NO_PERMISSION, 403);
    }
  });

  it('ExplainRequest of such a refusal (held before too): the caller\'s identity layer decided, the trust policy was not read', async () => {
    const err = await popFails(assume(keys.nobody, 'SecretAdmin'), 'NoPermission');
    // The role is A's: a request across two accounts is explained to neither; the same refusal on B's own role is B's.
    await popFails(b.call('ExplainRequest', { RequestId: err.data.RequestId }), 'EntityNotExist.Request');
    await b.call('CreateRole', { RoleName: 'own', AssumeRolePolicyDocument: trustOf(`acs:ram::${B}:root`) });
    const own = await popFails(assumeRole(stsClient(srv, ...keys.nobody), { RoleArn: `acs:ram::${B}:role/own`, RoleSessionName: 'probe' }), 'NoPermission');
    const explained = (await b.call('ExplainRequest', { RequestId: own.data.RequestId })).Request as Body;
    assert.equal(explained.Decision, 'ImplicitDeny');
    assert.equal(explained.Layer, 'identity');
    assert.equal(explained.Resource, `acs:ram::${B}:role/own`);
    const layers = explained.Trace.Layers.Layer as Body[];
    assert.deepEqual(layers.map((l) => [l.Name, l.Verdict]), [['session', 'NotConsulted'], ['identity', 'NoMatch'], ['trust', 'NotConsulted']]);
  });
});

/** Stores to run a case on: SQLite, and PostgreSQL (a fresh schema of the test run's server). */
const STORES: Array<[string, () => Promise<string | undefined>]> = [
  ['SQLite', async () => undefined],
  ['PostgreSQL', async () => (await testPostgres()).freshUrl()],
];

for (const [store, metaUrl] of STORES) {
  describe(`redteam isolation (${store}): a System policy's AttachmentCount counts the caller's account only`, () => {
    let srv: TestServer;
    let ramA: Ram;
    let b: ReturnType<typeof accountB>;

    before(async () => {
      const meta = await metaUrl();
      srv = await startTestServer(meta === undefined ? {} : { meta });
      await srv.accounts.create({ accountId: B, name: 'isolation-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
      ramA = new Ram(srv);
      b = accountB(srv);
    });
    after(async () => {
      await srv.stop();
    });

    const countIn = async (call: (action: string, params?: Record<string, unknown>) => Promise<Body>): Promise<[number, number]> => {
      const got = (await call('GetPolicy', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess' })).Policy.AttachmentCount as number;
      const listed = ((await call('ListPolicies', { PolicyType: 'System', MaxItems: 1000 })).Policies.Policy as Body[]).find((p) => p.PolicyName === 'AliyunOSSFullAccess')!;
      return [got, listed.AttachmentCount as number];
    };

    it('B attaches it to a user, a group and a role: A still counts 0, then 1 of its own; each lists only its own entities', async () => {
      await b.call('CreateUser', { UserName: 'b-user' });
      await b.call('CreateGroup', { GroupName: 'b-group' });
      await b.call('CreateRole', { RoleName: 'b-role', AssumeRolePolicyDocument: trustOf(`acs:ram::${B}:root`) });
      for (const [kind, name] of [['User', 'b-user'], ['Group', 'b-group'], ['Role', 'b-role']] as const) {
        await b.call(`AttachPolicyTo${kind}`, { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess', [`${kind}Name`]: name });
      }
      // Before: 3 for A too.
      assert.deepEqual(await countIn((a, p) => ramA.call(a, p)), [0, 0]);
      assert.deepEqual(await countIn(b.call), [3, 3]);
      await ramA.call('CreateUser', { UserName: 'a-user' });
      await ramA.call('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess', UserName: 'a-user' });
      assert.deepEqual(await countIn((a, p) => ramA.call(a, p)), [1, 1]);
      assert.deepEqual(await countIn(b.call), [3, 3]);
      const entitiesA = await ramA.call('ListEntitiesForPolicy', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess' });
      assert.deepEqual([entitiesA.Users.User.map((u: Body) => u.UserName), entitiesA.Groups.Group.length, entitiesA.Roles.Role.length], [['a-user'], 0, 0]);
      const entitiesB = await b.call('ListEntitiesForPolicy', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess' });
      assert.deepEqual(
        [entitiesB.Users.User.map((u: Body) => u.UserName), entitiesB.Groups.Group.map((g: Body) => g.GroupName), entitiesB.Roles.Role.map((r: Body) => r.RoleName)],
        [['b-user'], ['b-group'], ['b-role']],
      );
      // Custom policies were never shared: the same name in both accounts counts its own.
      await ramA.createPolicy('same-name', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }));
      await b.call('CreatePolicy', { PolicyName: 'same-name', PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }) });
      await b.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'same-name', UserName: 'b-user' });
      assert.equal((await ramA.call('GetPolicy', { PolicyType: 'Custom', PolicyName: 'same-name' })).Policy.AttachmentCount, 0);
      assert.equal((await b.call('GetPolicy', { PolicyType: 'Custom', PolicyName: 'same-name' })).Policy.AttachmentCount, 1);
    });
  });
}

describe('redteam isolation: neither the simulator nor a decoded denial names another account\'s bucket owner', () => {
  let srv: TestServer;
  let b: ReturnType<typeof accountB>;
  const BUCKET = 'iso-private-a';

  before(async () => {
    srv = await startTestServer();
    await srv.accounts.create({ accountId: B, name: 'isolation-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    b = accountB(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('k.txt', Buffer.from('a'));
    await b.call('CreateUser', { UserName: 'sim' });
  });
  after(async () => {
    await srv.stop();
  });

  it('SimulatePrincipalPolicy on A\'s private bucket says it is another account\'s, not whose', async () => {
    const sim = await b.call('SimulatePrincipalPolicy', { UserName: 'sim', ActionName: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/k.txt` });
    const text = JSON.stringify(sim);
    assert.equal(sim.EvaluationResult.Decision, 'ImplicitDeny');
    assert.match(text, /iso-private-a is another account's bucket/);
    // Before: "iso-private-a belongs to account 1234567890123456", "… of the bucket owner's account (1234567890123456)".
    assert.ok(!text.includes(A), text);
  });

  it('DecodeDiagnosticMessage of B\'s denial on A\'s object: `*` for the account in AuthResource', async () => {
    const res = await signedRequest(srv.port, 'GET', BUCKET, 'k.txt', [], { creds: [B_AK, B_SECRET] });
    assert.equal(res.status, 403);
    const encoded = /<EncodedDiagnosticMessage>([^<]+)</.exec(res.text)?.[1];
    assert.ok(encoded, res.text);
    assert.ok(!res.text.includes(A), res.text);
    const decoded = (await b.call('DecodeDiagnosticMessage', { EncodedDiagnosticMessage: encoded })).DecodedDiagnosticMessage as Body;
    // Before: acs:oss:cn-hangzhou:1234567890123456:iso-private-a/k.txt.
    assert.equal(decoded.AuthResource, `acs:oss:cn-hangzhou:*:${BUCKET}/k.txt`);
    assert.equal(decoded.AuthPrincipal.AuthPrincipalOwnerId, B);
  });
});

/**
 * A V1-signed request whose body is sent in two halves: `sendRest()` sends the second and resolves with the answer.
 * Resolves once the server is writing the first half to its temporary file (so the write has passed its checks).
 */
async function halfSentWrite(
  srv: TestServer, method: string, bucket: string, key: string, query: Array<[string, string]>, body: Buffer,
): Promise<{ sendRest(): Promise<{ status: number; code: string | undefined }> }> {
  const tmp = join(srv.dataDir, 'tmp');
  const before = new Set(await readdir(tmp));
  const headers: Record<string, string> = {
    host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), 'content-type': 'application/octet-stream', 'content-length': String(body.length),
  };
  headers.authorization = v1Authorization({ method, bucket, key, query, headers }, 'LTAI5tTestAccessKeyId', 'TestSecretTestSecretTestSecre1').authorization;
  const qs = query.length === 0 ? '' : `?${query.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&')}`;
  let rest: () => void = () => undefined;
  const answer = new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, method, path: `/${bucket}/${key}${qs}`, headers, agent: false, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: errorOf({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })?.Code }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, body.length / 2));
    rest = () => req.end(body.subarray(body.length / 2));
  });
  for (let i = 0; i < 2400; i++) { // up to 60 s: a machine at load may be slow to get there
    if ((await readdir(tmp)).some((n) => !before.has(n))) return { sendRest: () => (rest(), answer) };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the write never reached the blob store');
}

for (const [store, metaUrl] of STORES) {
  describe(`redteam isolation (${store}): a write whose bucket was deleted and its name taken by another account lands nowhere`, () => {
    let srv: TestServer;

    before(async () => {
      const meta = await metaUrl();
      srv = await startTestServer(meta === undefined ? {} : { meta });
      await srv.accounts.create({ accountId: B, name: 'isolation-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    });
    after(async () => {
      await srv.stop();
    });

    for (const [op, method, query] of [['PutObject', 'PUT', []], ['AppendObject', 'POST', [['append', ''], ['position', '0']]]] as const) {
      it(`${op}: A's body arrives after A deleted the bucket and B created one of that name: NoSuchBucket, B's bucket stays empty`, async () => {
        const name = `iso-handoff-${op.toLowerCase()}-${randomBytes(3).toString('hex')}`;
        await srv.client().putBucket(name);
        const write = await halfSentWrite(srv, method, name, 'payroll.bin', query.map(([k, v]) => [k, v] as [string, string]), randomBytes(400_000));
        await srv.client().deleteBucket(name); // still empty: deleted
        await srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET }).putBucket(name);
        // Before: 200, and the object was B's to read.
        assert.deepEqual(await write.sendRest(), { status: 404, code: 'NoSuchBucket' });
        const listed = await srv.client({ bucket: name, accessKeyId: B_AK, accessKeySecret: B_SECRET }).list({ 'max-keys': 10 }, {});
        assert.deepEqual(listed.objects ?? [], []);
        await expectOssError(srv.client({ bucket: name, accessKeyId: B_AK, accessKeySecret: B_SECRET }).head('payroll.bin'), 'NoSuchKey', 404);
        // A's own bucket of the same name, created again by A, is another bucket as well; writes into it work as ever.
        await srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET }).deleteBucket(name);
        await srv.client().putBucket(name);
        assert.equal((await srv.client({ bucket: name }).put('after.txt', Buffer.from('x'))).res.status, 200);
        await srv.client({ bucket: name }).delete('after.txt');
        await srv.client().deleteBucket(name);
      });
    }
  });
}

describe('redteam isolation (guard): another account and anonymous callers get the same answer for an existing and a missing key', () => {
  let srv: TestServer;
  let uploadId: string;
  const BUCKET = 'iso-guard-private';

  before(async () => {
    srv = await startTestServer();
    await srv.accounts.create({ accountId: B, name: 'isolation-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('exists.txt', Buffer.from('hello world'));
    uploadId = (await srv.client({ bucket: BUCKET }).initMultipartUpload('exists.txt')).uploadId;
    await srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET }).putBucket('iso-guard-b');
  });
  after(async () => {
    await srv.stop();
  });

  type Probe = [string, string, Array<[string, string]>, { body?: string; headers?: Record<string, string> }];
  const probes = (): Probe[] => [
    ['GET', 'GET', [], {}],
    ['HEAD', 'HEAD', [], {}],
    ['GET Range past the end', 'GET', [], { headers: { range: 'bytes=100-200' } }],
    ['GET If-Match', 'GET', [], { headers: { 'if-match': '"0000"' } }],
    ['GET If-None-Match *', 'GET', [], { headers: { 'if-none-match': '*' } }],
    ['GetObjectMeta', 'GET', [['objectMeta', '']], {}],
    ['GetObjectAcl', 'GET', [['acl', '']], {}],
    ['GetObjectTagging', 'GET', [['tagging', '']], {}],
    ['GetSymlink', 'GET', [['symlink', '']], {}],
    ['GetObject versionId', 'GET', [['versionId', 'null']], {}],
    ['x-oss-process', 'GET', [['x-oss-process', 'image/resize,w_10']], {}],
    ['PutObject forbid-overwrite', 'PUT', [], { body: 'x', headers: { 'x-oss-forbid-overwrite': 'true' } }],
    ['AppendObject position 11', 'POST', [['append', ''], ['position', '11']], { body: 'x' }],
    ['AppendObject position 0', 'POST', [['append', ''], ['position', '0']], { body: 'x' }],
    ['RestoreObject', 'POST', [['restore', '']], {}],
    ['UploadPart (real upload id)', 'PUT', [['partNumber', '1'], ['uploadId', uploadId]], { body: 'x' }],
    ['ListParts (real upload id)', 'GET', [['uploadId', uploadId]], {}],
    ['PutSymlink', 'PUT', [['symlink', '']], { headers: { 'x-oss-symlink-target': 'exists.txt' } }],
  ];

  it('as B\'s root and anonymously, each operation answers the existing key exactly as the missing one (403)', async () => {
    for (const [label, method, query, opts] of probes()) {
      const seen: string[] = [];
      for (const key of ['exists.txt', 'missing.txt']) {
        const asB = await signedRequest(srv.port, method, BUCKET, key, query, { ...opts, creds: [B_AK, B_SECRET] });
        const qs = query.length === 0 ? '' : `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}`;
        const anon = await rawRequest(srv.port, {
          method, path: `/${BUCKET}/${key}${qs}`,
          headers: { host: `localhost:${srv.port}`, ...(opts.headers ?? {}), ...(opts.body !== undefined ? { 'content-length': String(opts.body.length) } : {}) },
          body: opts.body,
        });
        assert.equal(asB.status, 403, `${label} ${key} as B: ${asB.text}`);
        assert.equal(anon.status, 403, `${label} ${key} anonymous`);
        seen.push(`${asB.err?.Code ?? ''} ${asB.err?.Message ?? ''} | ${errorOf(anon)?.Code ?? ''} ${errorOf(anon)?.Message ?? ''}`);
      }
      assert.equal(seen[0], seen[1], label);
    }
  });

  it('CopyObject and UploadPartCopy from A\'s bucket into B\'s: the same AccessDenied for an existing and a missing source', async () => {
    const bUpload = (await srv.client({ bucket: 'iso-guard-b', accessKeyId: B_AK, accessKeySecret: B_SECRET }).initMultipartUpload('dest')).uploadId;
    for (const [label, key, query, extra] of [
      ['CopyObject', 'copied', [], {}],
      ['CopyObject if-match', 'copied', [], { 'x-oss-copy-source-if-match': '"0000"' }],
      ['UploadPartCopy', 'dest', [['partNumber', '1'], ['uploadId', bUpload]], {}],
      ['UploadPartCopy range', 'dest', [['partNumber', '1'], ['uploadId', bUpload]], { 'x-oss-copy-source-range': 'bytes=100-200' }],
    ] as const) {
      const answers: string[] = [];
      for (const source of ['exists.txt', 'missing.txt']) {
        const r = await signedRequest(srv.port, 'PUT', 'iso-guard-b', key, query.map(([k, v]) => [k, v] as [string, string]), { creds: [B_AK, B_SECRET], headers: { 'x-oss-copy-source': `/${BUCKET}/${source}`, ...extra } });
        assert.equal(r.status, 403, `${label} ${source}: ${r.text}`);
        answers.push(`${r.err?.Code} ${r.err?.Message}`);
      }
      assert.equal(answers[0], answers[1], label);
    }
    // A's upload id in B's own bucket names no upload there.
    const r = await signedRequest(srv.port, 'PUT', 'iso-guard-b', 'exists.txt', [['partNumber', '1'], ['uploadId', uploadId]], { creds: [B_AK, B_SECRET], body: 'x' });
    assert.equal(r.err?.Code, 'NoSuchUpload', r.text);
  });
});

describe('redteam isolation (guard): a bucket name taken again by another account starts with nothing of the old bucket', () => {
  let srv: TestServer;
  const NAME = 'iso-reused-name';

  before(async () => {
    srv = await startTestServer();
    await srv.accounts.create({ accountId: B, name: 'isolation-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
  });
  after(async () => {
    await srv.stop();
  });

  const put = (sub: string, body: string, creds?: [string, string], headers: Record<string, string> = {}) =>
    signedRequest(srv.port, 'PUT', NAME, null, [[sub, '']], { body, ...(creds ? { creds } : {}), headers });
  const get = (sub: string, creds?: [string, string], headers: Record<string, string> = {}) =>
    signedRequest(srv.port, 'GET', NAME, null, sub === '' ? [] : [[sub, '']], { ...(creds ? { creds } : {}), headers });

  it('A\'s policy (public reads), ACL, CORS, website, lifecycle, logging, tags, encryption, referer, replication and access point stay A\'s', async () => {
    const a = srv.client({ bucket: NAME });
    await srv.client().putBucket(NAME);
    await srv.client().putBucket('iso-reused-logs');
    await a.putBucketPolicy(NAME, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${NAME}/*`] }] });
    await a.putBucketACL(NAME, 'public-read-write');
    await a.putBucketCORS(NAME, [{ allowedOrigin: 'https://a.example', allowedMethod: 'GET' }]);
    await a.putBucketWebsite(NAME, { index: 'index.html' });
    await a.putBucketLifecycle(NAME, [{ id: 'a-rule', prefix: 'tmp/', status: 'Enabled', expiration: { days: 1 } }] as never);
    await a.putBucketLogging(NAME, 'a-logs/');
    await (a as unknown as { putBucketTags(n: string, t: Record<string, string>): Promise<unknown> }).putBucketTags(NAME, { owner: 'account-a' });
    await a.putBucketReferer(NAME, false, ['https://a.example']);
    const sse = await put('encryption', '<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>');
    assert.equal(sse.status, 200, sse.text);
    const repl = await signedRequest(srv.port, 'POST', NAME, null, [['replication', ''], ['comp', 'add']], {
      body: '<ReplicationConfiguration><Rule><Destination><Bucket>iso-reused-logs</Bucket><Location>oss-cn-beijing</Location></Destination></Rule></ReplicationConfiguration>',
    });
    assert.equal(repl.status, 200, repl.text);
    const ap = await signedRequest(srv.port, 'PUT', NAME, null, [['accessPoint', '']], {
      body: `<CreateAccessPointConfiguration><AccessPointName>a-ap</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>`,
    });
    assert.equal(ap.status, 200, ap.text);
    const alias = /<Alias>([^<]+)<\/Alias>/.exec(ap.text)?.[1];
    assert.ok(alias, ap.text);
    // Each is in place on A's bucket (so its absence below means something).
    for (const [sub, expected] of [['policy', /account|GetObject/], ['acl', /public-read-write/], ['cors', /a\.example/], ['website', /index\.html/],
      ['lifecycle', /a-rule/], ['logging', /TargetBucket/], ['tagging', /account-a/], ['encryption', /AES256/], ['referer', /a\.example/],
      ['replication', /iso-reused-logs/], ['accessPoint', /a-ap/]] as const) {
      const r = await get(sub);
      assert.equal(r.status, 200, `${sub}: ${r.text}`);
      assert.match(r.text, expected, sub);
    }
    // A deletes the (empty) bucket; B takes the name.
    await srv.client().deleteBucket(NAME);
    await srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET }).putBucket(NAME);
    const asB: [string, string] = [B_AK, B_SECRET];
    assert.equal((await get('policy', asB)).err?.Code, 'NoSuchBucketPolicy');
    assert.match((await get('acl', asB)).text, /<Grant>private<\/Grant>/);
    assert.equal((await get('cors', asB)).err?.Code, 'NoSuchCORSConfiguration');
    assert.equal((await get('website', asB)).err?.Code, 'NoSuchWebsiteConfiguration');
    assert.equal((await get('lifecycle', asB)).err?.Code, 'NoSuchLifecycle');
    assert.doesNotMatch((await get('logging', asB)).text, /TargetBucket/);
    assert.doesNotMatch((await get('tagging', asB)).text, /account-a/);
    assert.equal((await get('encryption', asB)).err?.Code, 'NoSuchServerSideEncryptionRule');
    assert.doesNotMatch((await get('referer', asB)).text, /a\.example/);
    assert.doesNotMatch((await get('replication', asB)).text, /iso-reused-logs/);
    assert.doesNotMatch((await get('accessPoint', asB)).text, /a-ap/);
    // A's old public policy and ACL grant nothing on B's bucket: anonymous writes and reads are refused.
    const anonPut = await rawRequest(srv.port, { method: 'PUT', path: `/${NAME}/dropped.txt`, headers: { host: `localhost:${srv.port}`, 'content-length': '1' }, body: 'x' });
    assert.equal(anonPut.status, 403);
    // The old access point's alias no longer resolves (it named A's bucket).
    const viaAlias = await signedRequest(srv.port, 'GET', alias!, 'x', [], { creds: asB });
    assert.equal(viaAlias.err?.Code, 'NoSuchBucket', viaAlias.text);
    const stat = await get('stat', asB);
    assert.match(stat.text, /<ObjectCount>0<\/ObjectCount>/);
  });
});

describe('redteam isolation (guard): RAM answers carry no secret', () => {
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('no AccessKey secret, password or MFA seed in what RAM\'s read calls answer, even to the root', async () => {
    const ram = new Ram(srv);
    const alice = await ram.user('alice');
    const password = 'Sup3r$ecret-Passw0rd!';
    await ram.call('CreateLoginProfile', { UserName: 'alice', Password: password });
    const device = await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'alice-mfa' });
    const seed = device.VirtualMFADevice.Base32StringSeed as string;
    assert.match(seed, /^[A-Z2-7]{16,}$/);
    const answers: string[] = [];
    for (const [action, params] of [
      ['ListAccessKeys', { UserName: 'alice' }], ['GetUser', { UserName: 'alice' }], ['GetLoginProfile', { UserName: 'alice' }],
      ['ListVirtualMFADevices', {}], ['ListUsers', {}], ['GetAccessKeyLastUsed', { UserName: 'alice', UserAccessKeyId: alice.accessKeyId }],
      ['GetPasswordPolicy', {}], ['GetSecurityPreference', {}], ['ListEntitiesForPolicy', { PolicyType: 'System', PolicyName: 'AdministratorAccess' }],
    ] as const) {
      answers.push(JSON.stringify(await ram.call(action, params)));
    }
    const all = answers.join('\n');
    assert.match(all, new RegExp(alice.accessKeyId)); // the calls did answer about alice
    for (const secret of [alice.accessKeySecret, password, seed, 'scrypt', '$2']) assert.ok(!all.includes(secret), `${secret} in ${all}`);
  });
});

/**
 * A V1-signed configuration write (PUT, or `opts.method`, `/<bucket>/<opts.key>?<sub-resource>`) whose body is sent in two halves: resolves once the
 * server's handler reads the body (its request stream has a reader: authorized, the handler running), and
 * `sendRest()` sends the second half and resolves with the answer.
 */
async function halfSentConfig(
  srv: TestServer, bucket: string, query: Array<[string, string]>, contentType: string, body: Buffer,
  opts: { method?: 'PUT' | 'POST'; key?: string; headers?: Record<string, string> } = {},
): Promise<{ sendRest(): Promise<{ status: number; code: string | undefined }> }> {
  const method = opts.method ?? 'PUT';
  const key = opts.key ?? '';
  let seen: IncomingMessage | undefined;
  const onRequest = (r: IncomingMessage): void => {
    if (r.url?.startsWith(`/${bucket}/${key}?`) === true) seen = r;
  };
  srv.server.on('request', onRequest);
  const headers: Record<string, string> = {
    host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), 'content-type': contentType, 'content-length': String(body.length), ...opts.headers,
  };
  headers.authorization = v1Authorization({ method, bucket, key, query, headers }, 'LTAI5tTestAccessKeyId', 'TestSecretTestSecretTestSecre1').authorization;
  const qs = query.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&');
  let rest: () => void = () => undefined;
  const answer = new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, method, path: `/${bucket}/${key}?${qs}`, headers, agent: false, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: errorOf({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })?.Code }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, body.length / 2));
    rest = () => req.end(body.subarray(body.length / 2));
  });
  try {
    for (let i = 0; i < 2400; i++) { // up to 60 s: a machine at load may be slow to get there
      if (seen !== undefined && seen.listenerCount('readable') + seen.listenerCount('data') > 0) return { sendRest: () => (rest(), answer) };
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    srv.server.off('request', onRequest);
  }
  throw new Error('the configuration write never reached its handler');
}

for (const [store, metaUrl] of STORES) {
  describe(`redteam isolation (${store}): a configuration write whose bucket was deleted and its name taken by another account lands nowhere`, () => {
    let srv: TestServer;
    const asB = { accessKeyId: B_AK, accessKeySecret: B_SECRET };

    before(async () => {
      const meta = await metaUrl();
      srv = await startTestServer(meta === undefined ? {} : { meta });
      await srv.accounts.create({ accountId: B, name: 'isolation-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    });
    after(async () => {
      await srv.stop();
    });

    // Each: the sub-resource, its body, and B's read of it afterwards: the error of none, or text it must lack.
    const writes = (name: string): Array<[string, string, string, string, { code: string } | { lacks: string }]> => [
      ['PutBucketPolicy', 'policy', 'application/json', JSON.stringify({
        Version: '1',
        // Grants the old owner (A) everything on the name: on B's bucket it would hand A B's objects.
        Statement: [{ Effect: 'Allow', Principal: [ACCOUNT_ID], Action: ['oss:*'], Resource: [`acs:oss:*:*:${name}`, `acs:oss:*:*:${name}/*`] }],
      }), { code: 'NoSuchBucketPolicy' }],
      ['PutBucketCors', 'cors', 'application/xml',
        '<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>', { code: 'NoSuchCORSConfiguration' }],
      ['PutBucketLifecycle', 'lifecycle', 'application/xml',
        '<LifecycleConfiguration><Rule><ID>wipe</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>', { code: 'NoSuchLifecycle' }],
      ['PutBucketTags (stored configuration)', 'tagging', 'application/xml',
        '<Tagging><TagSet><Tag><Key>owner</Key><Value>a</Value></Tag></TagSet></Tagging>', { lacks: '<Key>owner</Key>' }],
      ['PutBucketWebsite', 'website', 'application/xml',
        '<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>', { code: 'NoSuchWebsiteConfiguration' }],
      ['PutBucketLogging', 'logging', 'application/xml',
        `<BucketLoggingStatus><LoggingEnabled><TargetBucket>${name}</TargetBucket><TargetPrefix>log/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`, { lacks: '<TargetBucket>' }],
      ['PutBucketEncryption', 'encryption', 'application/xml',
        '<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>', { code: 'NoSuchServerSideEncryptionRule' }],
      ['PutBucketReferer', 'referer', 'application/xml',
        '<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer><RefererList><Referer>https://a.example</Referer></RefererList></RefererConfiguration>', { lacks: 'a.example' }],
      ['PutBucketRequestPayment', 'requestPayment', 'application/xml',
        '<RequestPaymentConfiguration><Payer>Requester</Payer></RequestPaymentConfiguration>', { lacks: 'Requester' }],
      ['PutBucketVersioning', 'versioning', 'application/xml',
        '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>', { lacks: 'Enabled' }],
    ];

    for (const [op] of writes('x')) {
      it(`${op}: A's body arrives after A deleted the bucket and B created one of that name: NoSuchBucket, nothing set on B's bucket`, async () => {
        const name = `iso-config-${randomBytes(4).toString('hex')}`;
        const [, sub, type, doc, absent] = writes(name).find(([o]) => o === op)!;
        await srv.client().putBucket(name);
        const write = await halfSentConfig(srv, name, [[sub, '']], type, Buffer.from(doc));
        await srv.client().deleteBucket(name);
        await srv.client(asB).putBucket(name);
        // Before: 200, and the configuration was set on B's bucket (A's policy granting A B's objects).
        assert.deepEqual(await write.sendRest(), { status: 404, code: 'NoSuchBucket' });
        const read = await signedRequest(srv.port, 'GET', name, '', [[sub, '']], { creds: [B_AK, B_SECRET] });
        if ('code' in absent) {
          assert.equal(read.err?.Code, absent.code, read.text);
        } else {
          assert.equal(read.status, 200, read.text);
          assert.ok(!read.text.includes(absent.lacks), read.text);
        }
        // A's policy would have let A list B's bucket.
        await expectOssError(srv.client({ bucket: name }).list({ 'max-keys': 1 }, {}), 'AccessDenied', 403);
        await srv.client(asB).deleteBucket(name);
      });
    }

    // Writes that need more than one document: each prepares A's bucket (and B's new one), names its request, and
    // checks that B's bucket holds nothing of it afterwards. `before`: what the old code answered.
    const asBCreds: [string, string] = [B_AK, B_SECRET];
    const getB = (name: string, query: Array<[string, string]>, headers: Record<string, string> = {}) =>
      signedRequest(srv.port, 'GET', name, '', query, { creds: asBCreds, headers });
    const lacks = async (name: string, query: Array<[string, string]>, text: string, headers: Record<string, string> = {}): Promise<void> => {
      const read = await getB(name, query, headers);
      assert.equal(read.status, 200, read.text);
      assert.ok(!read.text.includes(text), read.text);
    };
    const absentAs = async (name: string, query: Array<[string, string]>, code: string, headers: Record<string, string> = {}): Promise<void> => {
      const read = await getB(name, query, headers);
      assert.equal(read.err?.Code, code, read.text);
    };
    /** Initiates and locks a WORM policy of `days` on the bucket, as `creds`; its id. */
    const lockWorm = async (name: string, days: number, creds?: [string, string]): Promise<string> => {
      const init = await signedRequest(srv.port, 'POST', name, '', [['worm', '']], {
        body: `<InitiateWormConfiguration><RetentionPeriodInDays>${days}</RetentionPeriodInDays></InitiateWormConfiguration>`, ...(creds ? { creds } : {}),
      });
      assert.equal(init.status, 200, init.text);
      const wormId = String(init.headers['x-oss-worm-id']);
      const done = await signedRequest(srv.port, 'POST', name, '', [['wormId', wormId]], creds ? { creds } : {});
      assert.equal(done.status, 200, done.text);
      return wormId;
    };
    interface Race {
      method?: 'PUT' | 'POST';
      query: Array<[string, string]>;
      key?: string;
      headers?: Record<string, string>;
      body: string;
      /** A's own clean-up of the bucket before it deletes it (objects the write needed). */
      emptyA?(): Promise<void>;
      /** B's own use of its new bucket before A's body ends. */
      onB?(): Promise<void>;
      /** B's bucket holds nothing of A's write. */
      untouched(): Promise<void>;
    }
    const races: Array<[string, string, (name: string) => Promise<Race>]> = [
      ['InitiateBucketWorm', '200: an InProgress retention policy on B\'s bucket', async (name) => ({
        method: 'POST', query: [['worm', '']],
        body: '<InitiateWormConfiguration><RetentionPeriodInDays>3650</RetentionPeriodInDays></InitiateWormConfiguration>',
        untouched: () => absentAs(name, [['worm', '']], 'NoSuchWORMConfiguration'),
      })],
      ['ExtendBucketWorm', '404 NoSuchWORMConfiguration (B\'s policy has another id)', async (name) => {
        const wormId = await lockWorm(name, 1);
        return {
          method: 'POST', query: [['wormExtend', ''], ['wormId', wormId]],
          body: '<ExtendWormConfiguration><RetentionPeriodInDays>3650</RetentionPeriodInDays></ExtendWormConfiguration>',
          onB: async () => void await lockWorm(name, 1, asBCreds),
          untouched: async () => {
            const read = await getB(name, [['worm', '']]);
            assert.match(read.text, /<RetentionPeriodInDays>1<\/RetentionPeriodInDays>/, read.text);
          },
        };
      }],
      ['PutBucketCallbackPolicy', '200: a callback policy on B\'s bucket', async (name) => ({
        query: [['policy', ''], ['comp', 'callback']],
        body: '<BucketCallbackPolicy><PolicyItem><PolicyName>a</PolicyName><Callback>e30=</Callback><CallbackVar></CallbackVar></PolicyItem></BucketCallbackPolicy>',
        untouched: () => absentAs(name, [['policy', ''], ['comp', 'callback']], 'BucketCallbackPolicyNotExist'),
      })],
      ['PutStyle', '200: a style on B\'s bucket', async (name) => ({
        query: [['style', ''], ['styleName', 'a-style']],
        body: '<Style><Content>image/resize,w_80</Content></Style>',
        untouched: () => absentAs(name, [['style', ''], ['styleName', 'a-style']], 'NoSuchStyle'),
      })],
      ['PutBucketQoSInfo', '200: QoS limits on B\'s bucket', async (name) => ({
        query: [['qosInfo', '']],
        body: '<QoSConfiguration><TotalQps>1</TotalQps></QoSConfiguration>',
        untouched: () => absentAs(name, [['qosInfo', '']], 'NoSuchQoSConfiguration'),
      })],
      ['PutBucketRequesterQoSInfo', '200: a requester\'s QoS limits on B\'s bucket', async (name) => ({
        query: [['requesterQosInfo', ''], ['qosRequester', ACCOUNT_ID]],
        body: '<QoSConfiguration><TotalQps>1</TotalQps></QoSConfiguration>',
        untouched: () => lacks(name, [['requesterQosInfo', '']], '<RequesterQoSInfo>'),
      })],
      ['PutBucketStorageCapacity', '200: a 1 GB capacity on B\'s bucket', async (name) => ({
        query: [['qos', '']],
        body: '<BucketUserQos><StorageCapacity>1</StorageCapacity></BucketUserQos>',
        untouched: () => lacks(name, [['qos', '']], '<StorageCapacity>1</StorageCapacity>'),
      })],
      // The `oss/stored` documents and collections (their stores' updateBucketConfig and updateConfigEntry).
      ['PutBucketAccessMonitor', '200: access tracking on in B\'s bucket', async (name) => ({
        query: [['accessmonitor', '']],
        body: '<AccessMonitorConfiguration><Status>Enabled</Status></AccessMonitorConfiguration>',
        untouched: () => lacks(name, [['accessmonitor', '']], 'Enabled'),
      })],
      ['PutBucketReplication', '200: a replication rule on B\'s bucket', async (name) => ({
        method: 'POST', query: [['replication', ''], ['comp', 'add']],
        body: '<ReplicationConfiguration><Rule><ID>a-rule</ID><Destination><Bucket>iso-elsewhere</Bucket><Location>oss-cn-beijing</Location></Destination></Rule></ReplicationConfiguration>',
        untouched: () => absentAs(name, [['replication', '']], 'NoSuchReplicationConfiguration'),
      })],
      ['PutBucketRtc', '200: RTC turned on in B\'s own rule of that ID', async (name) => ({
        query: [['rtc', '']],
        body: '<ReplicationRule><ID>shared-rule</ID><RTC><Status>enabled</Status></RTC></ReplicationRule>',
        onB: async () => {
          const r = await signedRequest(srv.port, 'POST', name, '', [['replication', ''], ['comp', 'add']], {
            creds: asBCreds,
            body: '<ReplicationConfiguration><Rule><ID>shared-rule</ID><Destination><Bucket>iso-elsewhere</Bucket><Location>oss-cn-beijing</Location></Destination></Rule></ReplicationConfiguration>',
          });
          assert.equal(r.status, 200, r.text);
        },
        untouched: () => lacks(name, [['replication', '']], '<RTC>'),
      })],
      ['PutCname', '200: A\'s domain bound to B\'s bucket', async (name) => ({
        method: 'POST', query: [['cname', ''], ['comp', 'add']],
        body: '<BucketCnameConfiguration><Cname><Domain>a.example.com</Domain></Cname></BucketCnameConfiguration>',
        untouched: () => lacks(name, [['cname', '']], 'a.example.com'),
      })],
      ['CreateCnameToken', '200: a CNAME token kept with B\'s bucket', async (name) => ({
        method: 'POST', query: [['cname', ''], ['comp', 'token']],
        body: '<BucketCnameConfiguration><Cname><Domain>a.example.com</Domain></Cname></BucketCnameConfiguration>',
        untouched: () => absentAs(name, [['comp', 'token'], ['cname', 'a.example.com']], 'CnameTokenNotFound'),
      })],
      ['PutBucketResourceGroup', '200: B\'s bucket moved to A\'s resource group', async (name) => ({
        query: [['resourceGroup', '']],
        body: '<BucketResourceGroupConfiguration><ResourceGroupId>rg-aek27tc1234</ResourceGroupId></BucketResourceGroupConfiguration>',
        untouched: () => lacks(name, [['resourceGroup', '']], 'rg-aek27tc1234'),
      })],
      ['CreateAccessPoint', '200: an access point on B\'s bucket (in B\'s account)', async (name) => ({
        query: [['accessPoint', '']],
        body: `<CreateAccessPointConfiguration><AccessPointName>a-${name.slice(-8)}</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>`,
        untouched: () => lacks(name, [['accessPoint', '']], `a-${name.slice(-8)}`),
      })],
      ...(['PutAccessPointPolicy', 'PutAccessPointPublicAccessBlock'] as const).map((op): [string, string, (name: string) => Promise<Race>] => [op,
        op === 'PutAccessPointPolicy' ? '200: A\'s policy on B\'s access point of that name' : '200: B\'s access point of that name opened to public access', async (name) => {
          const ap = `b-${name.slice(-8)}`;
          const onB = async (): Promise<void> => {
            const r = await signedRequest(srv.port, 'PUT', name, '', [['accessPoint', '']], {
              creds: asBCreds, body: `<CreateAccessPointConfiguration><AccessPointName>${ap}</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>`,
            });
            assert.equal(r.status, 200, r.text);
          };
          if (op === 'PutAccessPointPolicy') {
            return {
              query: [['accessPointPolicy', '']], headers: { 'x-oss-access-point-name': ap }, onB,
              // Grants A everything through the access point: on B's it would hand A B's objects.
              body: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Principal: [ACCOUNT_ID], Action: ['oss:*'], Resource: [`acs:oss:*:${B}:accesspoint/${ap}`, `acs:oss:*:${B}:accesspoint/${ap}/object/*`] }] }),
              untouched: () => absentAs(name, [['accessPointPolicy', '']], 'NoSuchAccessPointPolicy', { 'x-oss-access-point-name': ap }),
            };
          }
          return {
            query: [['publicAccessBlock', ''], ['x-oss-access-point-name', ap]], onB,
            body: '<PublicAccessBlockConfiguration><BlockPublicAccess>false</BlockPublicAccess></PublicAccessBlockConfiguration>',
            untouched: () => lacks(name, [['publicAccessBlock', ''], ['x-oss-access-point-name', ap]], 'false'),
          };
        }]),
      ['InitBucketAntiDDosInfo', '400 InvalidArgument (A\'s instance is not of B\'s account)', async (name) => {
        const init = await signedRequest(srv.port, 'PUT', null, null, [['antiDDos', '']]);
        assert.equal(init.status, 200, init.text);
        return {
          query: [['antiDDos', '']], headers: { 'x-oss-defender-instance': String(init.headers['x-oss-defender-instance']), 'x-oss-defender-type': 'AntiDDosPremimum' },
          body: '<AntiDDOSConfiguration><Cnames><Domain>a.example.com</Domain></Cnames></AntiDDOSConfiguration>',
          untouched: async () => {
            const read = await signedRequest(srv.port, 'GET', null, null, [['bucketAntiDDos', '']], { creds: asBCreds });
            assert.equal(read.status, 200, read.text);
            assert.ok(!read.text.includes(name), read.text);
          },
        };
      }],
      ['PutBucketInventory', '200: an inventory of B\'s (public-read) bucket written into A\'s', async (name) => {
        const dest = `${name}-dest`;
        await srv.client().putBucket(dest);
        return {
          query: [['inventory', ''], ['inventoryId', 'a-inv']],
          body: `<InventoryConfiguration><Id>a-inv</Id><IsEnabled>true</IsEnabled><Destination><OSSBucketDestination><Format>CSV</Format><AccountId>${ACCOUNT_ID}</AccountId>` +
            `<RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${dest}</Bucket><Prefix>inv/</Prefix></OSSBucketDestination></Destination>` +
            '<Schedule><Frequency>Daily</Frequency></Schedule><IncludedObjectVersions>All</IncludedObjectVersions></InventoryConfiguration>',
          // Public reads let A list B's bucket, so the inventory's listing authorization held on the old code.
          onB: async () => void await srv.client(asB).putBucketACL(name, 'public-read'),
          untouched: () => absentAs(name, [['inventory', ''], ['inventoryId', 'a-inv']], 'NoSuchInventory'),
        };
      }],
      ['RestoreObject', '202: B\'s Archive object of that key restored (readable, and billed, for A\'s Days)', async (name) => {
        const archived = { headers: { 'x-oss-storage-class': 'Archive' } } as OSS.PutObjectOptions;
        await srv.client({ bucket: name }).put('cold', Buffer.from('a'), archived);
        return {
          method: 'POST', query: [['restore', '']], key: 'cold',
          body: '<RestoreRequest><Days>7</Days></RestoreRequest>',
          emptyA: async () => void await srv.client({ bucket: name }).delete('cold'),
          onB: async () => void await srv.client({ ...asB, bucket: name }).put('cold', Buffer.from('b'), archived),
          untouched: async () => {
            const head = await srv.client({ ...asB, bucket: name }).head('cold');
            assert.equal((head.res.headers as Record<string, string>)['x-oss-restore'], undefined);
          },
        };
      }],
      // Handlers that share their store write with a case above, each with a race of its own.
      ['PutBucketPublicAccessBlock', 'held already (its write is updateBucketConfig\'s, fixed with the one-document configurations)', async (name) => ({
        query: [['publicAccessBlock', '']],
        body: '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>',
        untouched: () => lacks(name, [['publicAccessBlock', '']], 'true'),
      })],
      ['DeleteBucketReplication', '200: B\'s replication rule of that ID closing', async (name) => ({
        method: 'POST', query: [['replication', ''], ['comp', 'delete']],
        body: '<ReplicationRules><ID>shared-rule</ID></ReplicationRules>',
        onB: async () => {
          const r = await signedRequest(srv.port, 'POST', name, '', [['replication', ''], ['comp', 'add']], {
            creds: asBCreds,
            body: '<ReplicationConfiguration><Rule><ID>shared-rule</ID><Destination><Bucket>iso-elsewhere</Bucket><Location>oss-cn-beijing</Location></Destination></Rule></ReplicationConfiguration>',
          });
          assert.equal(r.status, 200, r.text);
        },
        untouched: async () => {
          const read = await getB(name, [['replication', '']]);
          assert.equal(read.status, 200, read.text);
          assert.match(read.text, /<ID>shared-rule<\/ID>/, read.text);
          assert.ok(!read.text.includes('closing'), read.text);
        },
      })],
      ['OpenMetaQuery', '200: the metadata index opened on B\'s bucket', async (name) => ({
        method: 'POST', query: [['metaQuery', ''], ['comp', 'add']],
        body: '<MetaQuery><Filters><Filter>Size &gt; 1</Filter></Filters></MetaQuery>',
        untouched: () => absentAs(name, [['metaQuery', '']], 'MetaQueryNotExist'),
      })],
      ['PutDataLakeCachePrefetchJob', '200: a prefetch job stored with B\'s bucket', async () => ({
        query: [['x-oss-datalake-cache-prefetch-job', '']],
        body: '<CreateDataLakeCachePrefetchJob><Includes>logs/</Includes></CreateDataLakeCachePrefetchJob>',
        // No operation reads a prefetch job back (Start needs its ID, which A never got): the 404 is the check.
        untouched: async () => undefined,
      })],
      ['UpdateBucketAntiDDosInfo', '400 InvalidArgument (B\'s bucket is protected by B\'s instance, not A\'s)', async (name) => {
        const instanceOf = async (creds?: [string, string]): Promise<string> => {
          const init = await signedRequest(srv.port, 'PUT', null, null, [['antiDDos', '']], creds ? { creds } : {});
          assert.equal(init.status, 200, init.text);
          return String(init.headers['x-oss-defender-instance']);
        };
        const a = await instanceOf();
        const initOn = async (instance: string, creds?: [string, string]): Promise<void> => {
          const r = await signedRequest(srv.port, 'PUT', name, '', [['antiDDos', '']], {
            ...(creds ? { creds } : {}), headers: { 'x-oss-defender-instance': instance, 'x-oss-defender-type': 'AntiDDosPremimum' },
            body: '<AntiDDOSConfiguration><Cnames><Domain>b.example.com</Domain></Cnames></AntiDDOSConfiguration>',
          });
          assert.equal(r.status, 200, r.text);
        };
        await initOn(a);
        return {
          method: 'POST', query: [['antiDDos', '']], headers: { 'x-oss-defender-instance': a, 'x-oss-defender-status': 'Defending' },
          body: '<AntiDDOSConfiguration><Cnames><Domain>a.example.com</Domain></Cnames></AntiDDOSConfiguration>',
          onB: async () => initOn(await instanceOf(asBCreds), asBCreds),
          untouched: async () => {
            const read = await signedRequest(srv.port, 'GET', null, null, [['bucketAntiDDos', '']], { creds: asBCreds });
            assert.equal(read.status, 200, read.text);
            assert.ok(read.text.includes(name) && !read.text.includes('a.example.com') && !read.text.includes('Defending'), read.text);
          },
        };
      }],
      ...(['CreateAccessPointForObjectProcess', 'PutAccessPointConfigForObjectProcess'] as const).map((op): [string, string, (name: string) => Promise<Race>] => [op,
        op === 'CreateAccessPointForObjectProcess' ? '200: an Object FC access point on B\'s access point of that name' : '200: A\'s function set on B\'s Object FC access point of that name', async (name) => {
          const ap = `p-${name.slice(-8)}`;
          const fcName = { 'x-oss-access-point-for-object-process-name': `fc-${name.slice(-8)}` };
          const config = (account: string, fn: string): string => '<ObjectProcessConfiguration><AllowedFeatures><AllowedFeature>GetObject-Range</AllowedFeature></AllowedFeatures>' +
            '<TransformationConfigurations><TransformationConfiguration><Actions><Action>GetObject</Action></Actions><ContentTransformation><FunctionCompute>' +
            `<FunctionAssumeRoleArn>acs:ram::${account}:role/aliyunfcdefaultrole</FunctionAssumeRoleArn><FunctionArn>acs:fc:cn-hangzhou:${account}:services/t.LATEST/functions/${fn}</FunctionArn>` +
            '</FunctionCompute></ContentTransformation></TransformationConfiguration></TransformationConfigurations></ObjectProcessConfiguration>';
          const accessPoint = async (creds?: [string, string]): Promise<void> => {
            const r = await signedRequest(srv.port, 'PUT', name, '', [['accessPoint', '']], {
              ...(creds ? { creds } : {}), body: `<CreateAccessPointConfiguration><AccessPointName>${ap}</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>`,
            });
            assert.equal(r.status, 200, r.text);
          };
          const fcAccessPoint = async (account: string, fn: string, creds?: [string, string]): Promise<void> => {
            const r = await signedRequest(srv.port, 'PUT', name, '', [['accessPointForObjectProcess', '']], {
              ...(creds ? { creds } : {}), headers: fcName,
              body: `<CreateAccessPointForObjectProcessConfiguration><AccessPointName>${ap}</AccessPointName>${config(account, fn)}</CreateAccessPointForObjectProcessConfiguration>`,
            });
            assert.equal(r.status, 200, r.text);
          };
          const readB = (): ReturnType<typeof getB> => getB(name, [['accessPointConfigForObjectProcess', '']], fcName);
          const dropA = async (): Promise<void> => {
            for (const [sub, hdrs] of [['accessPointForObjectProcess', fcName], ['accessPoint', { 'x-oss-access-point-name': ap }]] as const) {
              const r = await signedRequest(srv.port, 'DELETE', name, '', [[sub, '']], { headers: hdrs });
              // The Create race's A has no Object FC access point to delete.
              assert.ok(r.status === 204 || r.status === 200 || r.err?.Code === 'NoSuchAccessPointForObjectProcess', r.text);
            }
          };
          await accessPoint();
          if (op === 'CreateAccessPointForObjectProcess') {
            return {
              query: [['accessPointForObjectProcess', '']], headers: fcName,
              body: `<CreateAccessPointForObjectProcessConfiguration><AccessPointName>${ap}</AccessPointName>${config(ACCOUNT_ID, 'a-fn')}</CreateAccessPointForObjectProcessConfiguration>`,
              emptyA: dropA,
              onB: () => accessPoint(asBCreds),
              untouched: async () => assert.equal((await readB()).err?.Code, 'NoSuchAccessPointForObjectProcess'),
            };
          }
          await fcAccessPoint(ACCOUNT_ID, 'a-fn');
          return {
            query: [['accessPointConfigForObjectProcess', '']], headers: fcName,
            body: `<PutAccessPointConfigForObjectProcessConfiguration>${config(ACCOUNT_ID, 'a-fn')}</PutAccessPointConfigForObjectProcessConfiguration>`,
            emptyA: dropA,
            onB: async () => {
              await accessPoint(asBCreds);
              await fcAccessPoint(B, 'b-fn', asBCreds);
            },
            untouched: async () => {
              const read = await readB();
              assert.equal(read.status, 200, read.text);
              assert.ok(read.text.includes('b-fn') && !read.text.includes('a-fn'), read.text);
            },
          };
        }]),
      ['PutLiveChannel', '200: a live channel in B\'s bucket', async (name) => ({
        query: [['live', '']], key: 'a-channel',
        body: '<LiveChannelConfiguration><Status>enabled</Status><Target><Type>HLS</Type></Target></LiveChannelConfiguration>',
        untouched: async () => {
          const read = await signedRequest(srv.port, 'GET', name, 'a-channel', [['live', '']], { creds: asBCreds });
          assert.equal(read.err?.Code, 'NoSuchLiveChannel', read.text);
        },
      })],
    ];

    for (const [op, before] of races) {
      it(`${op}: A's body arrives after A deleted the bucket and B created one of that name: NoSuchBucket, nothing set on B's bucket`, async () => {
        const name = `iso-config-${randomBytes(4).toString('hex')}`;
        await srv.client().putBucket(name);
        const race = await races.find(([o]) => o === op)![2](name);
        const write = await halfSentConfig(srv, name, race.query, 'application/xml', Buffer.from(race.body), {
          ...(race.method ? { method: race.method } : {}), ...(race.key !== undefined ? { key: race.key } : {}), ...(race.headers ? { headers: race.headers } : {}),
        });
        await race.emptyA?.();
        await srv.client().deleteBucket(name);
        await srv.client(asB).putBucket(name);
        await race.onB?.();
        // Before: ${before}.
        assert.deepEqual(await write.sendRest(), { status: 404, code: 'NoSuchBucket' }, before);
        await race.untouched();
      });
    }

    it('without a race, each of these writes still lands on the owner\'s bucket', async () => {
      const name = `iso-config-${randomBytes(4).toString('hex')}`;
      await srv.client().putBucket(name);
      for (const [op, sub, type, doc] of writes(name)) {
        const res = await signedRequest(srv.port, 'PUT', name, '', [[sub, '']], { body: doc, headers: { 'content-type': type } });
        assert.equal(res.status, 200, `${op}: ${res.text}`);
        assert.equal((await signedRequest(srv.port, 'GET', name, '', [[sub, '']])).status, 200, op);
      }
      await srv.client().deleteBucket(name);
    });
  });
}
