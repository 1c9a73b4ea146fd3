// STS validation, authorization and token handling against real servers: every AssumeRole parameter
// error with its POP status/Code/Message; token refusals on OSS with their OSS status/Code/Message;
// stateless verification by a second server; live role policies; master key rotation; GetCallerIdentity.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import RPCClient from '@alicloud/pop-core';
import type OSS from 'ali-oss';
import { parseQuery } from '../src/oss/address.js';
import { rpcSignature, rpcStringToSign } from '../src/rpc/signature.js';
import { expectOssError, xmlText } from './helpers/oss.js';
import { v2PresignQuery } from './helpers/oss2.js';
import { denied, MSG, policyDoc, popFails, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { BIN } from './helpers/spawn.js';
import { assumeRole, checkAssumeRoleResponse, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const BUCKET = 'sts-tokens';
const NO_PERMISSION = 'You are not authorized to do this action. You should be authorized by RAM.';
const READ = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: ['acs:oss:*:*:sts-tokens', 'acs:oss:*:*:sts-tokens/*'] });
const ASSUME_ANY = policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'acs:ram::*:role/*' });

type SignV4 = (method: string, expires: number, request?: { headers?: Record<string, string>; queries?: Record<string, string> }, objectName?: string) => Promise<string>;
const signV4 = (client: OSS): SignV4 => (client as unknown as { signatureUrlV4: SignV4 }).signatureUrlV4.bind(client);

async function ossError(call: Promise<unknown>, code: string, message: string): Promise<void> {
  const e = await expectOssError(call, code, 403);
  assert.equal(e.message, message);
}

/** A role with the read policy attached, trusting the account. */
async function readerRole(ram: Ram, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await ram.call('CreateRole', { RoleName: name, AssumeRolePolicyDocument: TRUST_ACCOUNT, ...extra });
  await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'sts-read', RoleName: name });
  return r.Role.RoleId as string;
}

describe('STS tokens and AssumeRole rules', () => {
  let srv: TestServer;
  let ram: Ram;
  let alice: RamUserHandle;
  let offset = 0;
  let readerId: string;

  const aliceSts = () => stsClient(srv, alice.accessKeyId, alice.accessKeySecret);
  const assumeReader = async (session = 's1', extra: Record<string, unknown> = {}): Promise<StsCredentials> =>
    (await assumeRole(aliceSts(), { RoleArn: roleArn('reader'), RoleSessionName: session, ...extra })).Credentials as StsCredentials;

  before(async () => {
    srv = await startTestServer({ clock: () => Date.now() + offset });
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('k.txt', Buffer.from('token content'));
    await ram.createPolicy('sts-read', READ);
    await ram.createPolicy('sts-assume', ASSUME_ANY);
    readerId = await readerRole(ram, 'reader');
    await readerRole(ram, 'long', { MaxSessionDuration: 7200 });
    await ram.call('CreateRole', {
      RoleName: 'bobonly',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:user/bob`] } }] }),
    });
    alice = await ram.userWith('alice', ASSUME_ANY);
  });
  after(async () => {
    await srv.stop();
  });

  describe('AssumeRole parameter validation (POP status, Code, Message)', () => {
    const fails = (params: Record<string, unknown>, code: string, message: string, status = 400) =>
      popFails(assumeRole(aliceSts(), params), code, message, status);

    it('RoleArn: missing, wrongly formed, unknown role, other account', async () => {
      await fails({ RoleSessionName: 's1' }, 'MissingRoleArn', 'RoleArn is mandatory for this action.');
      for (const bad of ['bad', `acs:ram::123:role/reader`, `acs:ram:cn-hangzhou:${ACCOUNT_ID}:role/reader`, `acs:ram::${ACCOUNT_ID}:user/reader`, `acs:ram::${ACCOUNT_ID}:role/`, `acs:ram::${ACCOUNT_ID}:role/a_b`]) {
        await fails({ RoleArn: bad, RoleSessionName: 's1' }, 'InvalidParameter.RoleArn', 'The parameter RoleArn is wrongly formed: it is acs:ram::<16-digit account id>:role/<role name>, the role name 1-64 of letters, digits, "." and "-".');
      }
      await fails({ RoleArn: roleArn('nosuch'), RoleSessionName: 's1' }, 'EntityNotExist.Role', 'The specified Role not exists.', 404);
      await fails({ RoleArn: 'acs:ram::9999999999999999:role/reader', RoleSessionName: 's1' }, 'EntityNotExist.Role', 'The specified Role not exists.', 404);
      // The role name matches case-insensitively.
      const ok = await assumeRole(aliceSts(), { RoleArn: roleArn('READER'), RoleSessionName: 's1' });
      checkAssumeRoleResponse(ok, 'reader', readerId, 's1', 3600, Date.now() + offset);
    });

    it('RoleSessionName: 2–64 of [A-Za-z0-9.@_-]', async () => {
      await fails({ RoleArn: roleArn('reader') }, 'MissingRoleSessionName', 'RoleSessionName is mandatory for this action.');
      for (const bad of ['a', 'x'.repeat(65), 'has space', 'slash/no', 'star*', 'ünï']) {
        await fails({ RoleArn: roleArn('reader'), RoleSessionName: bad }, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed: 2-64 of letters, digits, ".", "@", "_" and "-".');
      }
      for (const good of ['ab', 'x'.repeat(64), 'a.b@c_d-e']) {
        const body = await assumeRole(aliceSts(), { RoleArn: roleArn('reader'), RoleSessionName: good });
        assert.equal(body.AssumedRoleUser.AssumedRoleId, `${readerId}:${good}`);
      }
    });

    it('DurationSeconds: 900 … MaxSessionDuration', async () => {
      const msg1h = 'The Min/Max value of DurationSeconds is 15min/1hr.';
      for (const bad of [899, 0, 3601, 'abc', '1.5', -900]) {
        await fails({ RoleArn: roleArn('reader'), RoleSessionName: 's1', DurationSeconds: bad }, 'InvalidParameter.DurationSeconds', msg1h);
      }
      await fails({ RoleArn: roleArn('long'), RoleSessionName: 's1', DurationSeconds: 7201 }, 'InvalidParameter.DurationSeconds', 'The Min/Max value of DurationSeconds is 15min/2hr.');
      const now = Date.now() + offset;
      checkAssumeRoleResponse(await assumeRole(aliceSts(), { RoleArn: roleArn('reader'), RoleSessionName: 's1', DurationSeconds: 900 }), 'reader', readerId, 's1', 900, now);
      checkAssumeRoleResponse(await assumeRole(aliceSts(), { RoleArn: roleArn('reader'), RoleSessionName: 's1', DurationSeconds: '3600' }), 'reader', readerId, 's1', 3600, now);
      const longBody = await assumeRole(aliceSts(), { RoleArn: roleArn('long'), RoleSessionName: 's1', DurationSeconds: 7200 });
      assert.ok(Math.abs(Date.parse(longBody.Credentials.Expiration) - (now + 7200_000)) < 5000);
    });

    it('Policy: grammar checked by the policy engine (message names the fault), size limit 2048', async () => {
      const grammar = 'InvalidParameter.PolicyGrammar';
      const prefix = 'The parameter Policy has not passed grammar check. ';
      const cases: Array<[string, RegExp]> = [
        ['not json', /JSON/i],
        [JSON.stringify({ Version: '1', Statement: [{ Effect: 'allow ', Action: 'oss:GetObject', Resource: '*' }] }), /Statement\[0\]\.Effect/],
        [JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'Oss: GetObject', Resource: '*' }] }), /Statement\[0\]\.Action/],
        [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] }), /Version/],
        [JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Resource: '*' }] }), /Add an Action or NotAction element/],
        [JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*', Principal: '*' }] }), /Principal/],
      ];
      for (const [policy, detail] of cases) {
        const e = await fails({ RoleArn: roleArn('reader'), RoleSessionName: 's1', Policy: policy }, grammar, undefined as unknown as string);
        assert.ok(e.data.Message.startsWith(prefix), e.data.Message);
        assert.match(e.data.Message.slice(prefix.length), detail);
      }
      const big = policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${'b'.repeat(2100)}` });
      await fails({ RoleArn: roleArn('reader'), RoleSessionName: 's1', Policy: big }, 'InvalidParameter.PolicySize', 'The size of Policy must be smaller than 2048 bytes.');
    });

    it('NoPermission: no sts:AssumeRole, an untrusting trust policy, the account root', async () => {
      const nobody = await ram.user('nobody');
      await popFails(assumeRole(stsClient(srv, nobody.accessKeyId, nobody.accessKeySecret), { RoleArn: roleArn('reader'), RoleSessionName: 's1' }), 'NoPermission', NO_PERMISSION, 403);
      await fails({ RoleArn: roleArn('bobonly'), RoleSessionName: 's1' }, 'NoPermission', NO_PERMISSION, 403);
      await popFails(assumeRole(stsClient(srv, AK, SECRET), { RoleArn: roleArn('reader'), RoleSessionName: 's1' }), 'NoPermission', NO_PERMISSION, 403);
      // bob is trusted by bobonly but has no sts:AssumeRole of his own: both are needed.
      const bob = await ram.user('bob');
      await popFails(assumeRole(stsClient(srv, bob.accessKeyId, bob.accessKeySecret), { RoleArn: roleArn('bobonly'), RoleSessionName: 's1' }), 'NoPermission', NO_PERMISSION, 403);
      await ram.createPolicy('bob-assume', ASSUME_ANY);
      await ram.attachToUser('bob-assume', 'bob');
      const ok = await assumeRole(stsClient(srv, bob.accessKeyId, bob.accessKeySecret), { RoleArn: roleArn('bobonly'), RoleSessionName: 's1' });
      assert.match(ok.Credentials.AccessKeyId, /^STS\./);
    });

    it('role chaining: a role session with sts:AssumeRole assumes another role (SecurityToken required)', async () => {
      await ram.call('CreateRole', { RoleName: 'chainer', AssumeRolePolicyDocument: TRUST_ACCOUNT });
      const first = (await assumeRole(aliceSts(), { RoleArn: roleArn('chainer'), RoleSessionName: 'hop1' })).Credentials as StsCredentials;
      const chained = () => assumeRole(stsClient(srv, first.AccessKeyId, first.AccessKeySecret, first.SecurityToken), { RoleArn: roleArn('reader'), RoleSessionName: 'hop2' });
      await popFails(chained(), 'NoPermission', NO_PERMISSION, 403);
      await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'sts-assume', RoleName: 'chainer' });
      const body = await chained();
      const creds = checkAssumeRoleResponse(body, 'reader', readerId, 'hop2', 3600, Date.now() + offset);
      assert.equal((await ossWith(srv, creds, BUCKET).get('k.txt')).content.toString(), 'token content');
      // An STS AccessKeyId without its SecurityToken.
      await popFails(assumeRole(stsClient(srv, first.AccessKeyId, first.AccessKeySecret), { RoleArn: roleArn('reader'), RoleSessionName: 'hop2' }), 'MissingSecurityToken', 'SecurityToken is mandatory for this action.', 400);
    });
  });

  describe('token refusals on OSS (status 403, Code, Message)', () => {
    it('expired token (injected clock) → SecurityTokenExpired', async () => {
      // The clock runs 10 min behind, so the 900 s token expires 5 min from real time, within the 15 min skew window.
      offset = -10 * 60_000;
      try {
        const creds = await assumeReader('exp', { DurationSeconds: 900 });
        const oss = ossWith(srv, creds, BUCKET);
        assert.equal((await oss.get('k.txt')).content.toString(), 'token content');
        offset = 6 * 60_000;
        await ossError(oss.get('k.txt'), 'SecurityTokenExpired', 'The security token you provided has expired.');
        await ossError(ossWith(srv, creds, BUCKET, { authorizationV4: true }).get('k.txt'), 'SecurityTokenExpired', 'The security token you provided has expired.');
        await popFails(stsClient(srv, creds.AccessKeyId, creds.AccessKeySecret, creds.SecurityToken).request('GetCallerIdentity', {}, { method: 'POST' }), 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.', 400);
      } finally {
        offset = 0;
      }
    });

    it('tampered or garbage token → InvalidSecurityToken', async () => {
      const creds = await assumeReader();
      const t = creds.SecurityToken;
      const mid = Math.floor(t.length / 2);
      const tampered = t.slice(0, mid) + (t[mid] === 'A' ? 'B' : 'A') + t.slice(mid + 1);
      // Used once as issued first: the server then remembers the verified session under its AccessKeyId, and a
      // request with that AccessKeyId and another token must still be verified (and refused), not served from there.
      assert.equal((await ossWith(srv, creds, BUCKET).get('k.txt')).content.toString(), 'token content');
      for (const token of [tampered, 'FakeSTSToken', `${t}x`, t.slice(0, 40)]) {
        await ossError(ossWith(srv, { ...creds, SecurityToken: token }, BUCKET).get('k.txt'), 'InvalidSecurityToken', 'The security token you provided is invalid.');
      }
      assert.equal((await ossWith(srv, creds, BUCKET).get('k.txt')).content.toString(), 'token content');
      // A permanent key with a token is not an STS credential either: OSS answers the key unknown (the C++ and .NET
      // SDKs' AccessKeyTest.InvalidSecurityTokenTest expect InvalidAccessKeyId).
      await ossError(srv.client({ bucket: BUCKET, stsToken: t }).get('k.txt'), 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.');
    });

    it('only the token as issued opens: the same bytes written another way (a dangling last character, unused low bits) → InvalidSecurityToken', async () => {
      const creds = await assumeReader('canon');
      const t = creds.SecurityToken;
      const body = t.slice('CAIS'.length);
      const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // Which of the two the token's length allows: base64url without padding is never 1 mod 4 long, so one more
      // character dangles (0 mod 4); a last group of 2 or 3 characters leaves 4 or 2 low bits of its last one unused.
      const last = abc.indexOf(body[body.length - 1]!);
      const variant = body.length % 4 === 0 ? `${body}x` : `${body.slice(0, -1)}${abc[last ^ 1]}`;
      assert.ok(Buffer.from(variant, 'base64url').equals(Buffer.from(body, 'base64url')), 'the variant decodes to the same bytes');
      await ossError(ossWith(srv, { ...creds, SecurityToken: `CAIS${variant}` }, BUCKET).get('k.txt'), 'InvalidSecurityToken', 'The security token you provided is invalid.');
      assert.equal((await ossWith(srv, creds, BUCKET).get('k.txt')).content.toString(), 'token content');
    });

    it("a token presented with another session's AccessKeyId → AccessKeyIdAndSecurityTokenNotMatch", async () => {
      const a = await assumeReader('sa');
      const b = await assumeReader('sb');
      await ossError(ossWith(srv, { ...b, SecurityToken: a.SecurityToken }, BUCKET).get('k.txt'), 'AccessKeyIdAndSecurityTokenNotMatch', 'The OSS access key id and security token you provided does not match.');
    });

    it('an STS AccessKeyId without a token → InvalidAccessKeyId', async () => {
      const c = await assumeReader();
      await ossError(srv.client({ bucket: BUCKET, accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret }).get('k.txt'), 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.');
    });

    it('a presigned URL (V1, V2 or V4) may outlive its token: usable until the earlier expiry, then SecurityTokenExpired', async () => {
      // The seed's case: a 1,200 s token and 3,600 s URLs are usable for 1,200 s (Go SDK TestSTSToken, oss2 StsAuth).
      const creds = await assumeReader('presign', { DurationSeconds: 1200 });
      const signer = srv.pathClient({ bucket: BUCKET, accessKeyId: creds.AccessKeyId, accessKeySecret: creds.AccessKeySecret, stsToken: creds.SecurityToken });
      const fetchUrl = async (url: string) => {
        const res = await fetch(url);
        return { status: res.status, body: await res.text() };
      };
      const longV1 = signer.signatureUrl('k.txt', { expires: 3600 });
      assert.match(longV1, /security-token=/);
      const longV4 = await signV4(signer)('GET', 3600, undefined, 'k.txt');
      assert.match(longV4, /x-oss-security-token=/);
      const shortV1 = signer.signatureUrl('k.txt', { expires: 60 });
      // oss2 sign_url with StsAuth(auth_version v2): OSS2 URL, the token in `security-token`, signed with the rest.
      const v2Query = v2PresignQuery({ method: 'GET', bucket: BUCKET, key: 'k.txt', ak: creds.AccessKeyId, secret: creds.AccessKeySecret, token: creds.SecurityToken, expires: Math.floor(Date.now() / 1000) + 3600 });
      const longV2 = `http://localhost:${srv.port}/${BUCKET}/k.txt?${v2Query}`;
      for (const url of [longV1, longV4, longV2, shortV1]) assert.deepEqual(await fetchUrl(url), { status: 200, body: 'token content' });
      try {
        // 61 s later the short URL has expired on its own (its expiry is the earlier one); the long ones still work.
        offset = 61_000;
        const short = await fetchUrl(shortV1);
        assert.equal(short.status, 403);
        assert.equal(xmlText(short.body, 'Code'), 'AccessDenied');
        assert.equal(xmlText(short.body, 'Message'), 'Request has expired.');
        assert.equal(xmlText(short.body, 'EC'), '0002-00000069');
        for (const url of [longV1, longV4, longV2]) assert.deepEqual(await fetchUrl(url), { status: 200, body: 'token content' });
        // Past the token's expiry (and before the URLs'): the token's error.
        offset = 1201_000;
        for (const url of [longV1, longV4, longV2]) {
          const res = await fetchUrl(url);
          assert.equal(res.status, 403, res.body);
          assert.equal(xmlText(res.body, 'Code'), 'SecurityTokenExpired');
          assert.equal(xmlText(res.body, 'Message'), 'The security token you provided has expired.');
          assert.equal(xmlText(res.body, 'EC'), '0002-00000007');
        }
      } finally {
        offset = 0;
      }
    });
  });

  describe('role policies are read at request time', () => {
    it('detaching the role policy denies the next request; deleting the role invalidates the token', async () => {
      const id = await readerRole(ram, 'temp');
      const body = await assumeRole(aliceSts(), { RoleArn: roleArn('temp'), RoleSessionName: 'live' });
      const creds = checkAssumeRoleResponse(body, 'temp', id, 'live', 3600, Date.now() + offset);
      const oss = ossWith(srv, creds, BUCKET);
      assert.equal((await oss.get('k.txt')).content.toString(), 'token content');
      await ram.call('DetachPolicyFromRole', { PolicyType: 'Custom', PolicyName: 'sts-read', RoleName: 'temp' });
      await denied(oss.get('k.txt'), MSG.acl);
      await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'sts-read', RoleName: 'temp' });
      assert.equal((await oss.get('k.txt')).content.toString(), 'token content');
      await ram.call('DetachPolicyFromRole', { PolicyType: 'Custom', PolicyName: 'sts-read', RoleName: 'temp' });
      await ram.call('DeleteRole', { RoleName: 'temp' });
      await ossError(oss.get('k.txt'), 'InvalidSecurityToken', 'The security token you provided is invalid.');
      // A new role with the same name is another role: the old token stays invalid.
      await readerRole(ram, 'temp');
      await ossError(oss.get('k.txt'), 'InvalidSecurityToken', 'The security token you provided is invalid.');
    });

    it('a session policy narrows RAM API calls too', async () => {
      await ram.createPolicy('ram-read', policyDoc({ Effect: 'Allow', Action: ['ram:Get*', 'ram:List*'], Resource: '*' }));
      const r = await ram.call('CreateRole', { RoleName: 'ramreader', AssumeRolePolicyDocument: TRUST_ACCOUNT });
      await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'ram-read', RoleName: 'ramreader' });
      const full = (await assumeRole(aliceSts(), { RoleArn: roleArn('ramreader'), RoleSessionName: 'rr' })).Credentials as StsCredentials;
      const pop = (c: StsCredentials) =>
        new RPCClient({ accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken, endpoint: srv.url, apiVersion: '2015-05-01' } as ConstructorParameters<typeof RPCClient>[0]);
      const got = await pop(full).request<{ Role: { RoleId: string } }>('GetRole', { RoleName: 'ramreader' }, { method: 'POST' });
      assert.equal(got.Role.RoleId, r.Role.RoleId);
      await popFails(pop(full).request('CreateUser', { UserName: 'x' }, { method: 'POST' }), 'NoPermission', undefined, 403);
      const narrowed = (await assumeRole(aliceSts(), {
        RoleArn: roleArn('ramreader'), RoleSessionName: 'nn', Policy: policyDoc({ Effect: 'Allow', Action: 'ram:ListUsers', Resource: '*' }),
      })).Credentials as StsCredentials;
      await popFails(pop(narrowed).request('GetRole', { RoleName: 'ramreader' }, { method: 'POST' }), 'NoPermission', undefined, 403);
      const users = await pop(narrowed).request<{ Users: { User: unknown[] } }>('ListUsers', {}, { method: 'POST' });
      assert.ok(users.Users.User.length >= 1);
    });
  });

  describe('GetCallerIdentity', () => {
    it('root, RAM user and role session', async () => {
      const call = (c: ReturnType<typeof stsClient>) => c.request<Record<string, string>>('GetCallerIdentity', {}, { method: 'POST' });
      const root = await call(stsClient(srv, AK, SECRET));
      assert.deepEqual({ ...root, RequestId: 'x' }, { RequestId: 'x', IdentityType: 'Account', AccountId: ACCOUNT_ID, UserId: ACCOUNT_ID, PrincipalId: ACCOUNT_ID, Arn: `acs:ram::${ACCOUNT_ID}:root` });
      const user = await call(aliceSts());
      assert.deepEqual({ ...user, RequestId: 'x' }, {
        RequestId: 'x', IdentityType: 'RAMUser', AccountId: ACCOUNT_ID, UserId: alice.userId, PrincipalId: alice.userId, Arn: `acs:ram::${ACCOUNT_ID}:user/alice`,
      });
      const c = await assumeReader('who');
      const session = await call(stsClient(srv, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken));
      assert.deepEqual({ ...session, RequestId: 'x' }, {
        RequestId: 'x', IdentityType: 'AssumedRoleUser', AccountId: ACCOUNT_ID, RoleId: readerId, PrincipalId: `${readerId}:who`, Arn: `acs:ram::${ACCOUNT_ID}:assumed-role/reader/who`,
      });
    });
  });
});

describe('stateless tokens across servers and master key rotation', () => {
  it('a token issued by one server is verified by a second server with the same master key (and not with another key)', async () => {
    const masterKey = randomBytes(32);
    const first = await startTestServer({ masterKey });
    const dataDir = first.dataDir;
    let creds: StsCredentials;
    try {
      const ram = new Ram(first);
      await first.client().putBucket(BUCKET);
      await first.client({ bucket: BUCKET }).put('k.txt', Buffer.from('shared'));
      await ram.createPolicy('sts-read', READ);
      await readerRole(ram, 'reader');
      const alice = await ram.userWith('alice', ASSUME_ANY);
      creds = (await assumeRole(stsClient(first, alice.accessKeyId, alice.accessKeySecret), { RoleArn: roleArn('reader'), RoleSessionName: 'xx' })).Credentials as StsCredentials;
      assert.equal((await ossWith(first, creds, BUCKET).get('k.txt')).content.toString(), 'shared');
    } finally {
      await first.close();
    }
    const second = await startTestServer({ masterKey, dataDir });
    try {
      assert.equal((await ossWith(second, creds, BUCKET).get('k.txt')).content.toString(), 'shared');
      assert.equal((await ossWith(second, creds, BUCKET, { authorizationV4: true }).get('k.txt')).content.toString(), 'shared');
    } finally {
      await second.stop();
    }
    // Another key on the same data: refused at start (util/key-check.ts); on a data directory of its own, the
    // token does not verify.
    const otherKey = randomBytes(32);
    await assert.rejects(startTestServer({ masterKey: otherKey, dataDir }), /master key mismatch/);
    const other = await startTestServer({ masterKey: otherKey });
    try {
      await ossError(ossWith(other, creds, BUCKET).get('k.txt'), 'InvalidSecurityToken', 'The security token you provided is invalid.');
    } finally {
      await other.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('`alunite keys rotate`: old tokens stay valid until the key is two rotations old; RAM keys keep working', async () => {
    const run = promisify(execFile);
    const env = { ...process.env };
    delete env.ALUNITE_MASTER_KEY;
    delete env.ALUNITE_MASTER_KEY_PREVIOUS;
    const rotate = async (dir: string) => (await run(process.execPath, [BIN, 'keys', 'rotate', '--data', dir], { env })).stdout;

    // Keys from <data>/master.key (no masterKey option).
    const a = await startTestServer();
    const dataDir = a.dataDir;
    let alice: RamUserHandle;
    let t1: StsCredentials;
    try {
      const ram = new Ram(a);
      await a.client().putBucket(BUCKET);
      await a.client({ bucket: BUCKET }).put('k.txt', Buffer.from('rotated'));
      await ram.createPolicy('sts-read', READ);
      await readerRole(ram, 'reader');
      alice = await ram.userWith('alice', ASSUME_ANY);
      t1 = (await assumeRole(stsClient(a, alice.accessKeyId, alice.accessKeySecret), { RoleArn: roleArn('reader'), RoleSessionName: 't1' })).Credentials as StsCredentials;
    } finally {
      await a.close();
    }
    assert.match(await rotate(dataDir), /1 RAM AccessKey secret\(s\) re-sealed/);

    let t2: StsCredentials;
    const b = await startTestServer({ dataDir });
    try {
      assert.equal((await ossWith(b, t1, BUCKET).get('k.txt')).content.toString(), 'rotated');
      // alice's AccessKey secret was re-sealed under the new key.
      t2 = (await assumeRole(stsClient(b, alice.accessKeyId, alice.accessKeySecret), { RoleArn: roleArn('reader'), RoleSessionName: 't2' })).Credentials as StsCredentials;
      assert.equal((await ossWith(b, t2, BUCKET).get('k.txt')).content.toString(), 'rotated');
    } finally {
      await b.close();
    }
    await rotate(dataDir);

    const c = await startTestServer({ dataDir });
    try {
      await ossError(ossWith(c, t1, BUCKET).get('k.txt'), 'InvalidSecurityToken', 'The security token you provided is invalid.');
      assert.equal((await ossWith(c, t2, BUCKET).get('k.txt')).content.toString(), 'rotated');
      const who = await stsClient(c, alice.accessKeyId, alice.accessKeySecret).request<Record<string, string>>('GetCallerIdentity', {}, { method: 'POST' });
      assert.equal(who.Arn, `acs:ram::${ACCOUNT_ID}:user/alice`);
    } finally {
      await c.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('captured STS SDK requests (test/fixtures/sts-*-captures.jsonl) verify with the server signature code', () => {
  interface Capture { sdk: string; scenario: string; request: { method: string; url: string; body: { text?: string } } }
  const load = (name: string): Capture[] =>
    readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Capture);
  const captures = [...load('sts-sdk-captures.jsonl'), ...load('sts-credentials-captures.jsonl')].filter((c) => !c.scenario.includes('SignatureDoesNotMatch'));

  it('@alicloud/sts-sdk (lenient encoding of *) and @alicloud/credentials (form body) AssumeRole signatures', () => {
    assert.ok(captures.length >= 4);
    for (const c of captures) {
      const query = c.request.url.slice(c.request.url.indexOf('?') + 1);
      const params = new Map(parseQuery(query));
      if (c.request.body.text) for (const [k, v] of parseQuery(c.request.body.text)) params.set(k, v);
      const provided = params.get('Signature');
      assert.ok(provided, c.scenario);
      const ok = (['strict', 'sts-sdk'] as const).some((enc) => rpcSignature('FakeSecretFakeSecretFakeSecret12', rpcStringToSign(c.request.method, params, enc)) === provided);
      assert.ok(ok, `${c.sdk}: ${c.scenario}`);
      assert.equal(params.get('Version'), '2015-04-01');
      assert.equal(params.get('Action'), 'AssumeRole');
    }
  });
});

describe('session secrets', () => {
  it('FixedKeyHmac gives createHmac\'s HMAC-SHA256 for keys of 0–100 bytes and messages of 0–200 units (ASCII, UTF-8, past its own buffer)', async () => {
    const { createHmac } = await import('node:crypto');
    const { FixedKeyHmac } = await import('../src/util/fixed-key-hmac.js');
    const units = ['a', 'Z', '9', '.', 'é', '中', '😀'];
    for (const keyLength of [0, 1, 31, 32, 33, 63, 64, 65, 100]) {
      const key = randomBytes(keyLength);
      const mac = new FixedKeyHmac(key);
      for (let length = 0; length <= 200; length++) {
        const message = Array.from({ length }, (_, i) => units[(i * 7 + length) % (length % 3 === 0 ? 4 : units.length)]!).join('').slice(0, length);
        assert.equal(mac.base64url(message), createHmac('sha256', key).update(message, 'utf8').digest('base64url'), `key ${keyLength}, message ${JSON.stringify(message)}`);
      }
    }
  });
});
