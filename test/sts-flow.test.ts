// The STS walkthrough of the OSS documentation, end to end against a real server, through unchanged SDKs:
// 1. the account creates bucket ram-test-app and test.txt; 2. RAM user ram_test_app (no permissions) is
// refused; 3. roles RamTestAppReadOnly / RamTestAppWrite, the user may assume them; 4. AssumeRole with
// session policies, then OSS with the temporary credentials. Run through @alicloud/pop-core + ali-oss,
// @alicloud/sts20150401 (ACS3-HMAC-SHA256) and @alicloud/credentials (RAM-role provider, https only).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import type OSS from 'ali-oss';
import { denied, MSG, policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, checkAssumeRoleResponse, EXPIRATION_RE, ossWith, roleArn, stsClient, tlsFront, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- CommonJS SDKs without usable ESM types */
const StsClient: any = require('@alicloud/sts20150401').default;
const { AssumeRoleRequest }: any = require('@alicloud/sts20150401');
const { $OpenApiUtil }: any = require('@alicloud/openapi-core');
const CredentialsPkg: any = require('@alicloud/credentials');
/* eslint-enable @typescript-eslint/no-explicit-any */

const BUCKET = 'ram-test-app';
const AUTHORIZER = "Access denied by authorizer's policy.";

const READ_ONLY_POLICY = policyDoc({
  Effect: 'Allow',
  Action: ['oss:ListObjects', 'oss:GetObject'],
  Resource: ['acs:oss:*:*:ram-test-app', 'acs:oss:*:*:ram-test-app/*'],
});
const WRITE_POLICY = policyDoc({
  Effect: 'Allow',
  Action: ['oss:DeleteObject', 'oss:ListParts', 'oss:AbortMultipartUpload', 'oss:PutObject'],
  Resource: ['acs:oss:*:*:ram-test-app', 'acs:oss:*:*:ram-test-app/*'],
});
const sessionWrite = (prefix: string): string => policyDoc({ Effect: 'Allow', Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:ram-test-app/${prefix}/*`] });

describe('STS: the four steps of the OSS walkthrough', () => {
  let srv: TestServer;
  let ram: Ram;
  let user: RamUserHandle;
  const roleIds: Record<string, string> = {};

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
  });
  after(async () => {
    await srv.stop();
  });

  it('step 1: the account creates bucket ram-test-app and test.txt', async () => {
    const root = srv.client();
    await root.putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('test.txt', Buffer.from('ststest'));
    assert.equal((await srv.client({ bucket: BUCKET }).get('test.txt')).content.toString(), 'ststest');
  });

  it('step 2: RAM user ram_test_app without permissions cannot GET or PUT test.txt', async () => {
    user = await ram.user('ram_test_app');
    const oss = user.oss(BUCKET);
    await denied(oss.get('test.txt'), MSG.acl);
    await denied(oss.put('test.txt', Buffer.from('x')), MSG.acl);
  });

  it('step 3: roles RamTestAppReadOnly and RamTestAppWrite trusting the account; the user may assume them', async () => {
    for (const [role, doc] of [['RamTestAppReadOnly', READ_ONLY_POLICY], ['RamTestAppWrite', WRITE_POLICY]] as const) {
      const created = await ram.call('CreateRole', { RoleName: role, AssumeRolePolicyDocument: TRUST_ACCOUNT });
      roleIds[role] = created.Role.RoleId as string;
      assert.equal(created.Role.Arn, roleArn(role.toLowerCase()));
      await ram.createPolicy(`${role}-policy`, doc);
      await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: `${role}-policy`, RoleName: role });
    }
    await ram.createPolicy('AssumeRamTestAppReadOnly', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('ramtestappreadonly') }));
    await ram.createPolicy('AssumeRamTestAppWrite', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('ramtestappwrite') }));
    await ram.attachToUser('AssumeRamTestAppReadOnly', 'ram_test_app');
    await ram.attachToUser('AssumeRamTestAppWrite', 'ram_test_app');
    // The user's own permissions are unchanged.
    await denied(user.oss(BUCKET).get('test.txt'), MSG.acl);
  });

  describe('step 4 through @alicloud/pop-core + ali-oss', () => {
    let readOnly: StsCredentials;
    let write1: StsCredentials;

    it('AssumeRole RamTestAppReadOnly (usr001, session policy = role policy, 3600 s): STS credentials as specified', async () => {
      const body = await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), {
        RoleArn: roleArn('RamTestAppReadOnly'),
        RoleSessionName: 'usr001',
        Policy: READ_ONLY_POLICY,
        DurationSeconds: 3600,
      });
      readOnly = checkAssumeRoleResponse(body, 'RamTestAppReadOnly', roleIds.RamTestAppReadOnly!, 'usr001', 3600);
    });

    it('read-only session: GET test.txt works (V1 and V4), PUT is refused by the session policy', async () => {
      for (const opts of [{}, { authorizationV4: true }]) {
        const oss = ossWith(srv, readOnly, BUCKET, opts);
        assert.equal((await oss.get('test.txt')).content.toString(), 'ststest');
        assert.deepEqual((await oss.list({ 'max-keys': 10 }, {})).objects.map((o) => o.name), ['test.txt']);
        await denied(oss.put('test.txt', Buffer.from('overwrite')), AUTHORIZER);
      }
      assert.equal((await srv.client({ bucket: BUCKET }).get('test.txt')).content.toString(), 'ststest');
    });

    it('write session usr001 (session policy: PutObject on usr001/*): test.txt refused, usr001/test.txt written', async () => {
      const body = await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), {
        RoleArn: roleArn('RamTestAppWrite'),
        RoleSessionName: 'usr001',
        Policy: sessionWrite('usr001'),
        DurationSeconds: 3600,
      }, 'GET');
      write1 = checkAssumeRoleResponse(body, 'RamTestAppWrite', roleIds.RamTestAppWrite!, 'usr001', 3600);
      const oss = ossWith(srv, write1, BUCKET);
      await denied(oss.get('test.txt'), AUTHORIZER);
      await denied(oss.put('test.txt', Buffer.from('x')), AUTHORIZER);
      const put = await oss.put('usr001/test.txt', Buffer.from('written by usr001'));
      assert.equal(put.res.status, 200);
      assert.match((put.res.headers as Record<string, string>).etag ?? '', /^"[0-9A-F]{32}"$/);
      assert.equal((await srv.client({ bucket: BUCKET }).get('usr001/test.txt')).content.toString(), 'written by usr001');
    });

    it('usr002 with its own session policy cannot touch usr001/', async () => {
      const body = await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), {
        RoleArn: roleArn('RamTestAppWrite'),
        RoleSessionName: 'usr002',
        Policy: sessionWrite('usr002'),
        DurationSeconds: 3600,
      });
      const creds = checkAssumeRoleResponse(body, 'RamTestAppWrite', roleIds.RamTestAppWrite!, 'usr002', 3600);
      const oss = ossWith(srv, creds, BUCKET, { authorizationV4: true });
      await denied(oss.put('usr001/test.txt', Buffer.from('overwrite')), AUTHORIZER);
      await denied(oss.delete('usr001/test.txt'), AUTHORIZER);
      assert.equal((await oss.put('usr002/test.txt', Buffer.from('usr002'))).res.status, 200);
      assert.equal((await srv.client({ bucket: BUCKET }).get('usr001/test.txt')).content.toString(), 'written by usr001');
    });

    it('without a session policy a session has all of the role permissions (and only those)', async () => {
      const body = await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), { RoleArn: roleArn('ramtestappwrite'), RoleSessionName: 'full' });
      const creds = checkAssumeRoleResponse(body, 'RamTestAppWrite', roleIds.RamTestAppWrite!, 'full', 3600);
      const oss = ossWith(srv, creds, BUCKET);
      assert.equal((await oss.put('any/where.txt', Buffer.from('w'))).res.status, 200);
      // The write role has no GetObject: the role layer (not the session gate) refuses, with the ACL message.
      await denied(oss.get('test.txt'), MSG.acl);
    });
  });

  describe('step 4 through @alicloud/sts20150401 (Tea SDK, ACS3-HMAC-SHA256)', () => {
    const tea = (accessKeyId: string, accessKeySecret: string, securityToken?: string): any => // eslint-disable-line @typescript-eslint/no-explicit-any
      new StsClient(new $OpenApiUtil.Config({ accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}), endpoint: `127.0.0.1:${srv.port}`, protocol: 'http', regionId: 'cn-hangzhou' }));

    it('AssumeRole read-only and write, then OSS with the credentials', async () => {
      const ro = await tea(user.accessKeyId, user.accessKeySecret).assumeRole(new AssumeRoleRequest({
        roleArn: roleArn('RamTestAppReadOnly'), roleSessionName: 'usr001', policy: READ_ONLY_POLICY, durationSeconds: 3600,
      }));
      assert.equal(ro.statusCode, 200);
      assert.equal(ro.body.assumedRoleUser.arn, `acs:ram::${ACCOUNT_ID}:role/ramtestappreadonly/usr001`);
      assert.equal(ro.body.assumedRoleUser.assumedRoleId, `${roleIds.RamTestAppReadOnly}:usr001`);
      assert.match(ro.body.credentials.expiration, EXPIRATION_RE);
      const roCreds: StsCredentials = {
        AccessKeyId: ro.body.credentials.accessKeyId, AccessKeySecret: ro.body.credentials.accessKeySecret,
        SecurityToken: ro.body.credentials.securityToken, Expiration: ro.body.credentials.expiration,
      };
      assert.equal((await ossWith(srv, roCreds, BUCKET).get('test.txt')).content.toString(), 'ststest');
      await denied(ossWith(srv, roCreds, BUCKET).put('test.txt', Buffer.from('x')), AUTHORIZER);

      const w = await tea(user.accessKeyId, user.accessKeySecret).assumeRole(new AssumeRoleRequest({
        roleArn: roleArn('RamTestAppWrite'), roleSessionName: 'usr001', policy: sessionWrite('usr001'), durationSeconds: 3600,
      }));
      const c = w.body.credentials;
      const oss = ossWith(srv, { AccessKeyId: c.accessKeyId, AccessKeySecret: c.accessKeySecret, SecurityToken: c.securityToken, Expiration: c.expiration }, BUCKET);
      await denied(oss.get('test.txt'), AUTHORIZER);
      await denied(oss.put('test.txt', Buffer.from('x')), AUTHORIZER);
      assert.equal((await oss.put('usr001/tea.txt', Buffer.from('tea'))).res.status, 200);

      // GetCallerIdentity signed with the session (x-acs-security-token).
      const who = await tea(c.accessKeyId, c.accessKeySecret, c.securityToken).getCallerIdentity();
      assert.equal(who.body.identityType, 'AssumedRoleUser');
      assert.equal(who.body.principalId, `${roleIds.RamTestAppWrite}:usr001`);
      assert.equal(who.body.arn, `acs:ram::${ACCOUNT_ID}:assumed-role/ramtestappwrite/usr001`);
    });

    it('errors come back as ClientError with the POP code', async () => {
      await assert.rejects(
        tea(user.accessKeyId, user.accessKeySecret).assumeRole(new AssumeRoleRequest({ roleArn: roleArn('NoSuchRole'), roleSessionName: 'usr001' })),
        // ram_test_app may assume its two roles only: of another name it learns nothing, not even whether it exists.
        (e: { code: string; statusCode: number }) => e.code === 'NoPermission' && e.statusCode === 403,
      );
    });
  });

  describe('step 4 through @alicloud/credentials (RAM-role provider; https only, behind a TLS front)', () => {
    let front: { port: number; close(): Promise<void> };
    const previousTls = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

    before(async () => {
      front = await tlsFront(srv);
      // The provider has no CA option; the front's certificate is self-signed.
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    });
    after(async () => {
      if (previousTls === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTls;
      await front.close();
    });

    it('the provider fetches and refreshes session credentials by itself; ali-oss uses them', async () => {
      const Credential = CredentialsPkg.default;
      const cred = new Credential(new CredentialsPkg.Config({
        type: 'ram_role_arn',
        accessKeyId: user.accessKeyId,
        accessKeySecret: user.accessKeySecret,
        roleArn: roleArn('RamTestAppWrite'),
        roleSessionName: 'usr001',
        policy: sessionWrite('usr001'),
        // 900 s: the provider treats a session as stale 15 min before Expiration, so it re-fetches each time.
        roleSessionExpiration: 900,
        stsEndpoint: `127.0.0.1:${front.port}`,
      }));
      const first = await cred.getCredential();
      assert.match(first.accessKeyId, /^STS\./);
      assert.ok(first.securityToken);
      const second = await cred.getCredential();
      assert.notEqual(second.accessKeyId, first.accessKeyId, 'the provider refreshed by itself');

      const oss: OSS = srv.client({
        bucket: BUCKET,
        accessKeyId: first.accessKeyId,
        accessKeySecret: first.accessKeySecret,
        stsToken: first.securityToken,
        refreshSTSToken: async () => {
          const c = await cred.getCredential();
          return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, stsToken: c.securityToken };
        },
        refreshSTSTokenInterval: 300_000,
      });
      assert.equal((await oss.put('usr001/credentials.txt', Buffer.from('via credentials'))).res.status, 200);
      await denied(oss.get('test.txt'), AUTHORIZER);
      // Both sessions stay valid until they expire.
      const old = srv.client({ bucket: BUCKET, accessKeyId: second.accessKeyId, accessKeySecret: second.accessKeySecret, stsToken: second.securityToken });
      assert.equal((await old.put('usr001/second.txt', Buffer.from('2'))).res.status, 200);
    });
  });
});
