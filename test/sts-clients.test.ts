// STS through two more unchanged clients, end to end against a real server:
// 1. @alicloud/sts-sdk 1.0.2 as a live client (https only → the TLS front of helpers/sts.ts), with a session
//    policy containing `*`, which it signs with its lenient encoding (sts-rpc-protocol.md §3.3 variant 2);
//    then ali-oss with the returned credentials.
// 2. ali-oss multipartUpload across credential refreshes (`refreshSTSToken`), with the first session expiring
//    mid-upload on the server's injected clock.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectOssError, sha256 } from './helpers/oss.js';
import { denied, MSG, policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, checkAssumeRoleResponse, ossWith, roleArn, stsClient, tlsFront, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- CommonJS SDK without types */
const StsSdk: any = require('@alicloud/sts-sdk');
/* eslint-enable @typescript-eslint/no-explicit-any */

const AUTHORIZER = "Access denied by authorizer's policy.";
const EXPIRED = 'The security token you provided has expired.';

/** Role `roleName` (trusting the account) with `rolePolicy`, and a user allowed to assume it. */
async function roleAndUser(ram: Ram, roleName: string, rolePolicy: string, userName: string): Promise<{ roleId: string; user: RamUserHandle }> {
  const created = await ram.call('CreateRole', { RoleName: roleName, AssumeRolePolicyDocument: TRUST_ACCOUNT });
  await ram.createPolicy(`${roleName}-policy`, rolePolicy);
  await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: `${roleName}-policy`, RoleName: roleName });
  const user = await ram.userWith(userName, policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn(roleName.toLowerCase()) }));
  return { roleId: created.Role.RoleId as string, user };
}

describe('STS through @alicloud/sts-sdk (live, behind the TLS front)', () => {
  const BUCKET = 'sts-sdk-app';
  let srv: TestServer;
  let ram: Ram;
  let front: { port: number; close(): Promise<void> };
  let user: RamUserHandle;
  let roleId: string;
  // Session policy with `*` in every Resource: sts-sdk leaves `*` unencoded in its string to sign.
  const SESSION = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${BUCKET}/usr001/*`] });
  // sts-sdk hard-codes https and builds `https://<endpoint>/`, so endpoint = host:port of the front.
  // Its runtime option `ignoreSSL` is passed on inverted (`rejectUnauthorized = !!ignoreSSL`): `ignoreSSL: false`
  // is the SDK's own, per-call way to accept the self-signed fixture certificate (no process-wide env var).
  const ACCEPT_SELF_SIGNED = { ignoreSSL: false };
  const sdk = (accessKeyId: string, accessKeySecret: string): any => new StsSdk({ endpoint: `127.0.0.1:${front.port}`, accessKeyId, accessKeySecret }); // eslint-disable-line @typescript-eslint/no-explicit-any

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    front = await tlsFront(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('root.txt', Buffer.from('root'));
    ({ roleId, user } = await roleAndUser(
      ram,
      'SdkWriter',
      policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }),
      'sdk-user',
    ));
  });
  after(async () => {
    await front.close();
    await srv.stop();
  });

  it('by default the SDK refuses the self-signed certificate of the front (it does reach https)', async () => {
    await assert.rejects(sdk(user.accessKeyId, user.accessKeySecret).assumeRole(roleArn('SdkWriter'), 'usr001'), (e: Error & { code?: string }) =>
      /self[- ]signed/i.test(`${e.code ?? ''} ${e.message}`),
    );
  });

  it('AssumeRole with a session policy containing `*` (lenient encoding) → §5.2 response; ali-oss GET/PUT allowed and refused', async () => {
    assert.ok(SESSION.includes('*'));
    const body = await sdk(user.accessKeyId, user.accessKeySecret).assumeRole(roleArn('SdkWriter'), 'usr001', SESSION, 900, ACCEPT_SELF_SIGNED);
    const creds = checkAssumeRoleResponse(body, 'SdkWriter', roleId, 'usr001', 900);

    for (const opts of [{}, { authorizationV4: true }]) {
      const oss = ossWith(srv, creds, BUCKET, opts);
      assert.equal((await oss.put('usr001/a.txt', Buffer.from('from sts-sdk'))).res.status, 200);
      assert.equal((await oss.get('usr001/a.txt')).content.toString(), 'from sts-sdk');
      // The role may, the session policy may not.
      await denied(oss.put('other/a.txt', Buffer.from('x')), AUTHORIZER);
      await denied(oss.get('root.txt'), AUTHORIZER);
    }
    assert.equal((await srv.client({ bucket: BUCKET }).get('usr001/a.txt')).content.toString(), 'from sts-sdk');
  });

  it('default DurationSeconds (3600) and no Policy: the role permissions apply', async () => {
    const body = await sdk(user.accessKeyId, user.accessKeySecret).assumeRole(roleArn('sdkwriter'), 'full', undefined, undefined, ACCEPT_SELF_SIGNED);
    const creds = checkAssumeRoleResponse(body, 'SdkWriter', roleId, 'full', 3600);
    assert.equal((await ossWith(srv, creds, BUCKET).get('root.txt')).content.toString(), 'root');
  });

  it('GetCallerIdentity signed with the session (SDK `credential` provider: SecurityToken param + x-acs-security-token)', async () => {
    const body = await sdk(user.accessKeyId, user.accessKeySecret).assumeRole(roleArn('SdkWriter'), 'usr001', SESSION, 900, ACCEPT_SELF_SIGNED);
    const c = body.Credentials as StsCredentials;
    const asSession = new StsSdk({
      endpoint: `127.0.0.1:${front.port}`,
      credential: { getCredential: async () => ({ accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken }) },
    });
    const who = await asSession.getCallerIdentity(ACCEPT_SELF_SIGNED);
    assert.equal(who.IdentityType, 'AssumedRoleUser');
    assert.equal(who.Arn, `acs:ram::${ACCOUNT_ID}:assumed-role/sdkwriter/usr001`);
    assert.equal(who.PrincipalId, `${roleId}:usr001`);
  });

  it('errors are returned (not thrown) as the §5.2 JSON body', async () => {
    // The user may assume SdkWriter only: of another role name it learns nothing, not even whether it exists (docs/sts.md).
    const body = await sdk(user.accessKeyId, user.accessKeySecret).assumeRole(roleArn('NoSuchRole'), 'usr001', SESSION, 900, ACCEPT_SELF_SIGNED);
    assert.equal(body.Code, 'NoPermission');
    assert.equal(body.Message, 'You are not authorized to do this action. You should be authorized by RAM.');
    assert.match(body.RequestId, /^[0-9A-F-]{36}$/);
    const wrongSecret = await sdk(user.accessKeyId, `${user.accessKeySecret}x`).assumeRole(roleArn('SdkWriter'), 'usr001', SESSION, 900, ACCEPT_SELF_SIGNED);
    assert.equal(wrongSecret.Code, 'SignatureDoesNotMatch');
    // The user itself (no OSS permissions) is still refused.
    await denied(user.oss(BUCKET).get('root.txt'), MSG.acl);
  });
});

describe('ali-oss multipartUpload across STS credential refreshes', () => {
  const BUCKET = 'sts-multipart';
  const REFRESH_MS = 300;
  const PART = 1024 * 1024;
  let srv: TestServer;
  let ram: Ram;
  let user: RamUserHandle;
  // The server clock starts 10 min behind: a 900 s session then expires 5 min from real time, and jumping the
  // clock by 950 s (to 350 s ahead) expires it while staying inside the 15 min request-time skew window.
  const BEHIND = -10 * 60_000;
  const JUMP = 950_000;
  let offset = BEHIND;
  let roleIdOf: string;

  const assume = async (session: string): Promise<StsCredentials> =>
    checkAssumeRoleResponse(
      await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), { RoleArn: roleArn('uploader'), RoleSessionName: session, DurationSeconds: 900 }),
      'Uploader',
      roleIdOf,
      session,
      900,
      Date.now() + offset,
    );

  before(async () => {
    srv = await startTestServer({ clock: () => Date.now() + offset });
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    ({ roleId: roleIdOf, user } = await roleAndUser(
      ram,
      'Uploader',
      policyDoc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject', 'oss:AbortMultipartUpload', 'oss:ListParts'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }),
      'uploader-user',
    ));
  });
  after(async () => {
    await srv.stop();
  });

  it('control: without refreshSTSToken the parts after the clock jump are refused with SecurityTokenExpired', async () => {
    offset = BEHIND;
    try {
      const first = await assume('control');
      const oss = ossWith(srv, first, BUCKET);
      let jumped = false;
      const err = await expectOssError(
        oss.multipartUpload('control.bin', randomBytes(4 * PART), {
          partSize: PART,
          parallel: 1,
          progress: async (_p: number, cp?: { doneParts: unknown[] }) => {
            if (!jumped && cp !== undefined && cp.doneParts.length === 1) {
              offset += JUMP;
              jumped = true;
            }
          },
        }),
        'SecurityTokenExpired',
        403,
      );
      assert.equal(err.message, EXPIRED);
      assert.ok(jumped, 'the first part was uploaded with the fresh session');
    } finally {
      offset = BEHIND;
    }
  });

  it('a 10 MiB upload (1 MiB parts, parallel 1) keeps going across refreshes and the first session expiring', async (t) => {
    offset = BEHIND;
    const source = randomBytes(10 * PART + 12_345); // 11 parts, the last one short
    const first = await assume('upload-0');
    const issued: { accessKeyId: string; afterJump: boolean }[] = [];
    let jumped = false;
    let progressCalls = 0;
    const oss = ossWith(srv, first, BUCKET, {
      refreshSTSToken: async () => {
        const c = await assume(`upload-${issued.length + 1}`);
        issued.push({ accessKeyId: c.AccessKeyId, afterJump: jumped });
        return { accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, stsToken: c.SecurityToken };
      },
      refreshSTSTokenInterval: REFRESH_MS,
    });

    try {
      const result = await oss.multipartUpload('big/object.bin', source, {
        partSize: PART,
        parallel: 1,
        progress: async (_p: number, cp?: { doneParts: unknown[] }) => {
          progressCalls++;
          if (!jumped && cp !== undefined && cp.doneParts.length === 3) {
            // Every session issued so far (the first one included) is now expired on the server. Wait for one
            // refresh interval so the next part is signed with credentials issued on the new clock.
            offset += JUMP;
            jumped = true;
            await sleep(REFRESH_MS + 50);
          } else {
            await sleep(150);
          }
        },
      });
      assert.equal(result.res.status, 200);
      assert.equal(progressCalls, 1 + 11 + 1, 'progress(0) after initiate, once per part, progress(1) after complete');
    } finally {
      offset = BEHIND + JUMP;
    }

    // Refreshed at least twice, each time with a new session; at least once after the jump.
    const keys = issued.map((i) => i.accessKeyId);
    assert.ok(issued.length >= 2, `refreshSTSToken called ${issued.length} times`);
    assert.equal(new Set([first.AccessKeyId, ...keys]).size, keys.length + 1, 'every refresh returned a different AccessKeyId');
    assert.ok(issued.some((i) => i.afterJump), 'refreshed after the first session expired');
    t.diagnostic(`refreshSTSToken calls: ${issued.length} (${issued.filter((i) => i.afterJump).length} after the clock jump)`);

    // The first session really is expired now; the last refreshed one is not.
    const expired = await expectOssError(ossWith(srv, first, BUCKET).get('big/object.bin'), 'SecurityTokenExpired', 403);
    assert.equal(expired.message, EXPIRED);

    const got = await srv.client({ bucket: BUCKET }).get('big/object.bin');
    assert.equal(got.content.length, source.length);
    assert.equal(sha256(got.content), sha256(source));
    // The refreshed client reads it back as well (GetObject through the same, refreshed session).
    assert.equal(sha256((await oss.get('big/object.bin')).content), sha256(source));
    offset = BEHIND;
  });
});
