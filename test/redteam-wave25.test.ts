// Red-team wave 25 (an outsider, another account's root and RAM user, and narrowly-scoped RAM users of the same account
// against running servers, aimed at what landed in the three days to 7 Dec 2026: the newer and unpublished
// sub-resources, the caches keyed by principal objects and bucket records, role sessions, RAM escalation). Runs on
// SQLite, and on PostgreSQL with ALUNITE_TEST_META=postgres; the two-server case always runs on the test run's
// PostgreSQL. docs/security.md has the wave's summary.
//
// Found (MEDIUM, fixed): `alunite server --host 0.0.0.0` (README: "for other machines and phones") with the public
// development root keys (README, banner, /-/console/config) made anyone on the network the root, silently; the start
// now warns on stderr every time (last describe; an emulator in a CI container must still listen beyond loopback).
// Nothing else let a caller read or write what it should not, or stop or exhaust the server. What was tried and held is kept below as guards (trimmed from the ad hoc runs, whose sizes are given):
// - Every route (GET/PUT/POST/DELETE/HEAD × every signed, unpublished and catalogue sub-resource alone and in the
//   combinations the newer SDKs send, on the bucket and on an object, with x-oss-copy-source, x-oss-access-point-name,
//   x-oss-agentic-bucket and x-oss-access-point-for-object-process-name headers) sent to another's private bucket by a
//   RAM user allowed oss:* but denied the bucket, by another account's root and by another account's RAM user with
//   AdministratorAccess: 16,919 + 4,230 requests. No 2xx on the bucket but service-scope operations (DescribeRegions,
//   ListAccessPoints, ListUserAntiDDosInfo, ListBucketAntiDDosInfo, InitUserAntiDDosInfo,
//   ListUserDataRedundancyTransition), which answer the caller's own account whatever bucket or key the path names
//   (another account sees none of the owner's); every other answer 403, 501, 405 or a 4xx refusing the request's shape
//   before anything is read; copies out of the bucket into an allowed one refused.
// - The unpublished operations the catalogue fuzzer never sends (overwriteConfig, quota, objectWorm, retention,
//   legalHold, the callback policy, batch jobs, metadata tables, storage capacity and QoS, agentic buckets and their
//   attributes, responseHeader, archive direct read, httpsConfig, user log fields, access monitor, process
//   configuration, transfer acceleration, redundancy transitions, access points, Object FC access points, live
//   channels), 3,282 bodies: empty, not XML, cut, DOCTYPE, 3,000-deep, a root inside another, each element removed,
//   doubled, emptied, repeated 120 times, each text replaced by '', -1, 20 digits, 1e309, NaN, &#0;, &#xFFFE;, 70,000
//   characters, CDATA, __proto__, dates out of range: no 5xx but 501, the server serving after.
// - Caches keyed by principal objects and bucket records (issue 15): through two servers on one PostgreSQL database,
//   a change through one decides the very next request through the other, 5 rounds each: bucket ACL, bucket policy,
//   bucket and account Block Public Access, Referer, object ACL, pay-by-requester; an identity Deny attached and
//   detached, an AccessKey disabled and enabled, a bucket-policy Deny naming the user; an access point's policy
//   flipped and the access point deleted (its alias then NoSuchBucket).
// - Role sessions: a detached role policy, the parent AccessKey disabled (a presigned URL of the session too), the
//   role deleted and made again under its name: each refuses the session's very next request; a session policy of
//   oss:* does not widen the role's GetObject.
// - RAM: every one of the 66 RAM actions, sent by a user allowed nothing, by one allowed ram:* on its own user only and
//   by one allowed a handful of attachment actions on itself and every group, aimed at another user, the admin group,
//   a role and an Allow-all policy: all NoPermission (or refused as malformed before anything is read); the three
//   reads of the caller's own account settings (GetAccountAlias, GetPasswordPolicy, GetSecurityPreference) answer
//   any signed caller and are left out. x-oss-forbid-overwrite raced (8 writers of one new key: PUTs, a CopyObject,
//   a PutSymlink; 3 Completes of one key) and a Strict quota raced (12 PUTs and appends of 300 bytes under 1,000),
//   10 and 6 rounds on SQLite and PostgreSQL: one winner, never over the quota (ad hoc).
// - SQLite group commits without a savepoint per PUT: PUTs refused by x-oss-forbid-overwrite batched with accepted
//   PUTs and DELETEs (5 rounds of 120 concurrent requests; and on PostgreSQL): exactly the refused ones changed
//   nothing. (On a versioned or Suspended bucket the header is ignored, as OSS documents.)
// Read and held (no test): the STS verified-session cache (entry per AccessKeyId, the token compared, under the
// identity generation), the one-slot caches of policy/evaluate.ts (the lowered context keyed by the context object,
// contexts copied before tag keys are added) and policy/compile.ts (a condition's last value: a pure function of it),
// the V4 signing-key and HMAC-SHA1 pad caches (keyed by the secret), the response type memo, bucket common headers
// (cannot undo the forced download of active content), sendfile of cached blobs (plain TCP only, never TLS, gzip,
// encryption or throttling), the watermark image read with the caller's rights, callbacks pinned to the checked
// address, the accounts API's once-only signatures, SAML's signed-reference check, the vend login limits.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { UNPUBLISHED_SUBRESOURCES } from '../src/oss/operations.js';
import { signedRequest, type SignedReply } from './helpers/signed.js';
import { rawRequest } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';
import { cliHome, type CliHome, type CliResult } from './helpers/cli.js';
import { devKeysOnNetworkWarning } from '../src/cli/root-account.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const B = '2000000000000025';
const B_AK = 'LTAI5tWave25AccountBKey01';
const B_SECRET = 'Wave25AccountBSecretKey12345678';

/**
 * What a bucket and its object hold, as the store has them: every configuration of the bucket's own (the account-level
 * ones a bucket record carries are left out: the same account's RAM user may write them, InitUserAntiDDosInfo).
 */
async function stateOf(srv: TestServer, bucket: string): Promise<string> {
  const held = await srv.meta.getBucket(bucket);
  const b = held === null ? null : { ...held, configs: Object.fromEntries(Object.entries(held.configs).filter(([k]) => k !== 'stored.anti-ddos-user')) };
  const o = await srv.meta.getObject(bucket, 'obj');
  return JSON.stringify({ b, o: o === null ? null : { etag: o.etag, acl: o.acl, tags: o.tags, attrs: o.attrs ?? null } });
}

describe('redteam wave 25: the newer and unpublished routes on another\'s bucket', () => {
  let srv: TestServer;
  const who: Record<string, [string, string]> = {};
  before(async () => {
    srv = await startTestServer();
    await srv.accounts.create({ accountId: B, name: 'wave25-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    await signedRequest(srv.port, 'PUT', 'victim', null, []);
    await signedRequest(srv.port, 'PUT', 'victim', 'obj', [], { body: 'secret' });
    await signedRequest(srv.port, 'PUT', 'mine', null, []);
    const ram = new Ram(srv);
    const u = await ram.userWith('denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*', 'ram:PassRole', 'kms:*'], Resource: '*' },
      { Effect: 'Deny', Action: 'oss:*', Resource: ['acs:oss:*:*:victim', 'acs:oss:*:*:victim/*'] },
    ));
    who.denied = [u.accessKeyId, u.accessKeySecret];
    who.otherRoot = [B_AK, B_SECRET];
    const pop = new RPCClient({ accessKeyId: B_AK, accessKeySecret: B_SECRET, endpoint: srv.url, apiVersion: '2015-05-01' });
    const call = (action: string, p: Record<string, unknown>): Promise<Body> => pop.request<Body>(action, p, { method: 'POST' });
    await call('CreateUser', { UserName: 'badmin' });
    const k = await call('CreateAccessKey', { UserName: 'badmin' });
    await call('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'AdministratorAccess', UserName: 'badmin' });
    who.otherAdmin = [k.AccessKey.AccessKeyId as string, k.AccessKey.AccessKeySecret as string];
  });
  after(async () => {
    await srv?.stop();
  });

  // Service-scope operations: routed by their sub-resource whatever bucket or key the path names, they answer the
  // caller's own account (docs/security.md wave 25).
  const SERVICE_SCOPE = new Set(['GET regions', 'GET accessPoint', 'GET antiDDos', 'PUT antiDDos', 'GET bucketAntiDDos', 'GET redundancyTransition']);

  it('no principal but the owner gets a 2xx on the bucket, and nothing of it changes', async () => {
    const keys = new Set<string>([...UNPUBLISHED_SUBRESOURCES,
      'userRegion', 'regionList', 'regions', 'accessPoint', 'accessPointPolicy', 'publicAccessBlock', 'policyStatus', 'archiveDirectRead', 'bucketArchiveDirectRead',
      'httpsConfig', 'redundancyTransition', 'responseHeader', 'userDefinedLogFieldsConfig', 'accessPointForObjectProcess',
      'accessPointConfigForObjectProcess', 'accessPointPolicyForObjectProcess', 'cleanRestoredObject', 'seal', 'rtc', 'accessmonitor',
      'resourceGroup', 'transferAcceleration', 'metaQuery', 'antiDDos', 'bucketAntiDDos', 'policy', 'acl', 'tagging', 'cors', 'lifecycle']);
    const queries: Array<Array<[string, string]>> = [[], ...[...keys].map((k): Array<[string, string]> => [[k, k === 'x-oss-process' ? 'image/resize,w_10' : '']]),
      [['policy', ''], ['comp', 'callback']], [['agenticBucket', ''], ['status', '']], [['agenticBucket', ''], ['bucketSpace', '']],
      [['agenticBucket', ''], ['acl', '']], [['agenticBucket', ''], ['policy', '']], [['agenticBucket', ''], ['quota', '']],
      [['agenticBucket', ''], ['publicAccessBlock', '']], [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-1']]];
    const before = await stateOf(srv, 'victim');
    const wrong: string[] = [];
    for (const [name, creds] of Object.entries(who)) {
      for (const method of ['GET', 'PUT', 'POST', 'DELETE', 'HEAD']) {
        for (const query of queries) {
          for (const key of [null, 'obj']) {
            const body = method === 'PUT' || method === 'POST' ? '<Configuration><A>1</A></Configuration>' : undefined;
            const r = await signedRequest(srv.port, method, 'victim', key, query, { creds, ...(body !== undefined ? { body } : {}) });
            const route = `${method} ${query.map(([k]) => k).join('&')}`;
            if (r.status >= 500 && r.status !== 501) wrong.push(`${name} ${route} /victim/${key ?? ''}: ${r.status}`);
            if (r.status < 300) {
              if (!SERVICE_SCOPE.has(route)) wrong.push(`${name} ${route} /victim/${key ?? ''}: ${r.status} ${r.text.slice(0, 200)}`);
              else if (name !== 'denied' && r.text.includes('victim')) wrong.push(`${name} ${route}: names the owner's bucket`);
            }
          }
        }
      }
      // A copy out of the bucket into one the caller may write.
      const copy = await signedRequest(srv.port, 'PUT', 'mine', 'copied', [], { creds, headers: { 'x-oss-copy-source': '/victim/obj' } });
      if (copy.status !== 403) wrong.push(`${name} CopyObject out of victim: ${copy.status}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal(await stateOf(srv, 'victim'), before);
    assert.equal((await signedRequest(srv.port, 'GET', 'victim', 'obj', [])).text, 'secret');
  });
});

/** Bodies of the unpublished operations the catalogue fuzzer (built from the published metadata) never sends. */
const AG = `wave-${ACCOUNT_ID}-cn-hangzhou-ab-apsr`;
const UNPUBLISHED_BODIES: Array<{ method: string; bucket: string | null; key: string | null; query: Array<[string, string]>; body: string; headers?: Record<string, string> }> = [
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['overwriteConfig', '']], body: '<OverwriteConfiguration><Rule><ID>r</ID><Action>forbid</Action><Prefix>keep/</Prefix><Suffix>.x</Suffix><Principals><Principal>123</Principal></Principals></Rule></OverwriteConfiguration>' },
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['quota', '']], body: '<QuotaConfiguration><StorageQuota>1000</StorageQuota><Mode>Strict</Mode></QuotaConfiguration>' },
  { method: 'PUT', bucket: 'bkt-w', key: null, query: [['objectWorm', '']], body: '<ObjectWormConfiguration><ObjectWormEnabled>Enabled</ObjectWormEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectWormConfiguration>' },
  { method: 'PUT', bucket: 'bkt-w', key: 'obj', query: [['retention', '']], body: '<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2031-01-01T00:00:00.000Z</RetainUntilDate></Retention>', headers: { 'x-oss-bypass-governance-retention': 'true' } },
  { method: 'PUT', bucket: 'bkt-w', key: 'obj', query: [['legalHold', '']], body: '<LegalHold><Status>OFF</Status></LegalHold>' },
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['policy', ''], ['comp', 'callback']], body: '<BucketCallbackPolicy><PolicyItem><PolicyName>p1</PolicyName><Callback>eyJjYWxsYmFja1VybCI6Imh0dHA6Ly93d3cuZXhhbXBsZS5jb20ifQ==</Callback><CallbackVar></CallbackVar></PolicyItem></BucketCallbackPolicy>' },
  { method: 'POST', bucket: null, key: null, query: [['batchJob', '']], body: `<CreateJobRequest><Operation><PutObjectTagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></PutObjectTagging></Operation><Report><Bucket>acs:oss:::bkt-b</Bucket><Enabled>true</Enabled><Prefix>report</Prefix><ReportScope>AllTasks</ReportScope></Report><ClientRequestToken>t</ClientRequestToken><KeyPrefixManifestGenerator><SourceBucket>acs:oss:::bkt-b</SourceBucket><Prefix>x</Prefix></KeyPrefixManifestGenerator><Priority>1</Priority><RoleArn>acs:ram::${ACCOUNT_ID}:role/r</RoleArn><ConfirmationRequired>true</ConfirmationRequired></CreateJobRequest>` },
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['metadataConfiguration', '']], body: '<MetadataConfiguration><JournalTableConfiguration><RecordExpiration><Expiration>ENABLED</Expiration><Days>7</Days></RecordExpiration></JournalTableConfiguration><InventoryTableConfiguration><ConfigurationState>ENABLED</ConfigurationState></InventoryTableConfiguration></MetadataConfiguration>' },
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['qos', '']], body: '<BucketUserQos><StorageCapacity>10</StorageCapacity></BucketUserQos>' },
  { method: 'PUT', bucket: AG, key: null, query: [['agenticBucket', '']], body: '<CreateAgenticBucketConfiguration><StorageClass>Standard</StorageClass><DataRedundancyType>LRS</DataRedundancyType></CreateAgenticBucketConfiguration>' },
  { method: 'PUT', bucket: AG, key: null, query: [['agenticBucket', ''], ['status', '']], body: '<AgenticBucketStatus><Status>Enabled</Status></AgenticBucketStatus>' },
  { method: 'PUT', bucket: AG, key: null, query: [['agenticBucket', ''], ['quota', '']], body: '<QuotaConfiguration><StorageQuota>1000</StorageQuota><Mode>Strict</Mode></QuotaConfiguration>' },
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['httpsConfig', '']], body: '<HttpsConfiguration><TLS><Enable>true</Enable><TLSVersion>TLSv1.2</TLSVersion></TLS><CipherSuite><Enable>true</Enable><StrongCipherSuite>false</StrongCipherSuite><CustomCipherSuite>ECDHE-RSA-AES128-GCM-SHA256</CustomCipherSuite></CipherSuite></HttpsConfiguration>' },
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['userDefinedLogFieldsConfig', '']], body: '<UserDefinedLogFieldsConfiguration><HeaderSet><header>h1</header></HeaderSet><ParamSet><parameter>p1</parameter></ParamSet></UserDefinedLogFieldsConfiguration>' },
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['processConfiguration', '']], body: '<BucketProcessConfiguration><CompliedHost>Both</CompliedHost><SourceFileProtect>Enabled</SourceFileProtect><SourceFileProtectSuffix>jpg,png</SourceFileProtectSuffix><StyleDelimiters>!,-</StyleDelimiters></BucketProcessConfiguration>' },
  { method: 'PUT', bucket: 'bkt-b', key: null, query: [['accessPoint', '']], body: '<CreateAccessPointConfiguration><AccessPointName>ap-1</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>' },
];

/** The body broken in the ways that reach parsers' edges; each text value in turn replaced too. */
function brokenBodies(body: string): string[] {
  const out = ['', 'not xml', body.slice(0, Math.floor(body.length / 2)), `<!DOCTYPE a [<!ENTITY e "x">]>${body}`, body.replace(/^<([A-Za-z]+)>/, `<$1>${'<a>'.repeat(3000)}`)];
  for (const m of body.matchAll(/<([A-Za-z]+)>([^<]*)<\/\1>/g)) {
    const at = m.index!;
    for (const v of ['', '-1', '99999999999999999999', '&#0;', 'A'.repeat(70_000)]) out.push(`${body.slice(0, at)}<${m[1]}>${v}</${m[1]}>${body.slice(at + m[0].length)}`);
    out.push(body.slice(0, at) + m[0] + m[0] + body.slice(at + m[0].length));
  }
  return out;
}

describe('redteam wave 25: broken bodies of the unpublished operations', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    succeedsOrFail(await signedRequest(srv.port, 'PUT', 'bkt-b', null, []));
    succeedsOrFail(await signedRequest(srv.port, 'PUT', 'bkt-w', null, []));
    succeedsOrFail(await signedRequest(srv.port, 'PUT', 'bkt-w', null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    succeedsOrFail(await signedRequest(srv.port, 'PUT', 'bkt-w', 'obj', [], { body: 'x' }));
  });
  after(async () => {
    await srv?.stop();
  });

  it('each is the service\'s own 4xx (or 501), and the server serves after', async () => {
    const wrong: string[] = [];
    for (const op of UNPUBLISHED_BODIES) {
      for (const body of brokenBodies(op.body)) {
        const md5 = createHash('md5').update(body).digest('base64');
        const r = await signedRequest(srv.port, op.method, op.bucket, op.key, op.query, { body, headers: { ...(op.headers ?? {}), 'content-md5': md5 } });
        if (r.status >= 500 && r.status !== 501) wrong.push(`${op.method} ${op.query.map(([k]) => k).join('&')}: ${r.status} ${r.err?.Code ?? ''} <- ${body.slice(0, 120)}`);
        else if (r.status >= 400 && r.err?.Code === undefined) wrong.push(`${op.method} ${op.query.map(([k]) => k).join('&')}: ${r.status} without an error document`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.equal((await signedRequest(srv.port, 'GET', 'bkt-w', 'obj', [])).text, 'x');
  });
});

describe('redteam wave 25: role sessions follow their role and parent on the next request', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    await signedRequest(srv.port, 'PUT', 'mine', null, []);
    await signedRequest(srv.port, 'PUT', 'mine', 'obj', [], { body: 'x' });
  });
  after(async () => {
    await srv?.stop();
  });

  it('a detached policy, a disabled parent key, a deleted role and one made again under its name', async () => {
    const ram = new Ram(srv);
    const status = async (p: Promise<unknown>): Promise<number> => {
      try {
        return ((await p) as { res?: { status: number } }).res?.status ?? 200;
      } catch (err) {
        return (err as { status?: number }).status ?? -1;
      }
    };
    await ram.call('CreateRole', { RoleName: 'reader', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('read-mine', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:mine/*' }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'read-mine', RoleName: 'reader' });
    const u = await ram.userWith('assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
    const body = await assumeRole(stsClient(srv, u.accessKeyId, u.accessKeySecret), { RoleArn: roleArn('reader'), RoleSessionName: 's1', Policy: policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }) });
    const c = body.Credentials as StsCredentials;
    const oss = ossWith(srv, c, 'mine');
    assert.equal(await status(oss.get('obj')), 200);
    assert.equal(await status(oss.put('x', Buffer.from('y'))), 403, 'the session policy does not widen the role');
    await ram.call('DetachPolicyFromRole', { PolicyType: 'Custom', PolicyName: 'read-mine', RoleName: 'reader' });
    assert.equal(await status(oss.get('obj')), 403);
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'read-mine', RoleName: 'reader' });
    assert.equal(await status(oss.get('obj')), 200);
    const url = srv.pathClient({ bucket: 'mine', accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, stsToken: c.SecurityToken }).signatureUrl('obj', { expires: 3600 });
    assert.equal((await fetch(url)).status, 200);
    await ram.call('UpdateAccessKey', { UserName: 'assumer', UserAccessKeyId: u.accessKeyId, Status: 'Inactive' });
    assert.equal((await fetch(url)).status, 403);
    assert.equal(await status(oss.get('obj')), 403);
    await ram.call('UpdateAccessKey', { UserName: 'assumer', UserAccessKeyId: u.accessKeyId, Status: 'Active' });
    assert.equal(await status(oss.get('obj')), 200);
    await ram.call('DetachPolicyFromRole', { PolicyType: 'Custom', PolicyName: 'read-mine', RoleName: 'reader' });
    await ram.call('DeleteRole', { RoleName: 'reader' });
    assert.equal(await status(oss.get('obj')), 403);
    await ram.call('CreateRole', { RoleName: 'reader', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'read-mine', RoleName: 'reader' });
    assert.equal(await status(oss.get('obj')), 403, 'a role made again under the name is not the session\'s');
  });
});

describe('redteam wave 25: RAM actions aimed at others by users allowed little', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  it('every RAM action is NoPermission (or refused as malformed) for another user, group, role and policy', async () => {
    const shapes = JSON.parse(readFileSync(fileURLToPath(new URL('../../test/fixtures/api-fuzz-shapes.json', import.meta.url)), 'utf8')) as { ram: Record<string, Array<{ name: string }>> };
    const ram = new Ram(srv);
    const admin = policyDoc({ Effect: 'Allow', Action: '*', Resource: '*' });
    const victimKey = (await ram.user('victim')).accessKeyId;
    await ram.call('CreateGroup', { GroupName: 'admins' });
    await ram.createPolicy('p', admin);
    await ram.call('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'p', GroupName: 'admins' });
    await ram.call('CreateRole', { RoleName: 'admin', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    const arn = (what: string): string => `acs:ram:*:${ACCOUNT_ID}:${what}`;
    const users = {
      nobody: await ram.user('nobody'),
      selfish: await ram.userWith('selfish', policyDoc({ Effect: 'Allow', Action: 'ram:*', Resource: arn('user/selfish') })),
      joiner: await ram.userWith('joiner', policyDoc({ Effect: 'Allow', Action: ['ram:AddUserToGroup', 'ram:AttachPolicyToUser', 'ram:CreatePolicyVersion', 'ram:SetDefaultPolicyVersion', 'ram:UpdateRole', 'ram:CreateAccessKey', 'ram:UpdateUser', 'ram:CreateLoginProfile'], Resource: [arn('user/joiner')] })),
    };
    const trustMe = (self: string): string => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:user/${self}`] } }] });
    const succeeded: string[] = [];
    for (const [name, u] of Object.entries(users)) {
      const values: Record<string, string> = {
        UserName: 'victim', NewUserName: name, GroupName: 'admins', NewGroupName: 'renamed', RoleName: 'admin', PolicyName: 'p', PolicyType: 'Custom',
        PolicyDocument: admin, AssumeRolePolicyDocument: trustMe(name), NewAssumeRolePolicyDocument: trustMe(name), UserAccessKeyId: victimKey, Status: 'Inactive',
        VersionId: 'v1', SetAsDefault: 'true', Password: 'Aa1!aaaaaaaaaaaa', NewPassword: 'Aa1!bbbbbbbbbbbb', OldPassword: 'x', AccountAlias: 'taken-over',
        MinimumPasswordLength: '8', ResourceType: 'User', ResourceNames: JSON.stringify(['victim']), TagKeys: JSON.stringify(['k']), Tag: JSON.stringify([{ Key: 'k', Value: 'v' }]),
        VirtualMFADeviceName: 'dev', SerialNumber: `acs:ram::${ACCOUNT_ID}:mfa/dev`, AuthenticationCode1: '123456', AuthenticationCode2: '654321',
      };
      const pop = u.pop();
      for (const [action, params] of Object.entries(shapes.ram)) {
        const p: Record<string, string> = {};
        for (const { name: k } of params) if (values[k] !== undefined) p[k] = values[k]!;
        // Reads of the caller's own account-level settings are allowed to anyone signed: they name no one.
        if (['GetAccountAlias', 'GetPasswordPolicy', 'GetSecurityPreference'].includes(action)) continue;
        try {
          await pop.request(action, p, { method: 'POST' });
          succeeded.push(`${name} ${action}`);
        } catch {
          // NoPermission, or the request refused before anything is read: either changes nothing.
        }
      }
    }
    assert.deepEqual(succeeded, []);
    const attached = await ram.call('ListPoliciesForUser', { UserName: 'victim' });
    assert.deepEqual(attached.Policies.Policy, []);
    for (const name of Object.keys(users)) {
      const groups = await ram.call('ListGroupsForUser', { UserName: name });
      assert.deepEqual(groups.Groups.Group, [], `${name} joined a group`);
    }
  });
});

describe('redteam wave 25: a change through one server decides the next request through the other (PostgreSQL)', () => {
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;
  before(async () => {
    ({ a, b, stop } = await startServerPairOnPostgres());
  });
  after(async () => {
    await stop?.();
  });

  const anonymous = async (srv: TestServer, path: string): Promise<number> => (await rawRequest(srv.port, { method: 'GET', path, headers: { host: `127.0.0.1:${srv.port}` } })).status;

  it('bucket ACL, policy, Block Public Access (bucket and account), Referer, object ACL and pay-by-requester', async () => {
    await signedRequest(a.port, 'PUT', 'pub', null, [], { headers: { 'x-oss-acl': 'public-read' } });
    await signedRequest(a.port, 'PUT', 'pub', 'obj', [], { body: 'x' });
    const pab = (on: boolean): string => `<PublicAccessBlockConfiguration><BlockPublicAccess>${on}</BlockPublicAccess></PublicAccessBlockConfiguration>`;
    const steps: Array<[string, () => Promise<SignedReply>, number]> = [
      ['bucket acl private', () => signedRequest(a.port, 'PUT', 'pub', null, [['acl', '']], { headers: { 'x-oss-acl': 'private' } }), 403],
      ['bucket acl public-read', () => signedRequest(a.port, 'PUT', 'pub', null, [['acl', '']], { headers: { 'x-oss-acl': 'public-read' } }), 200],
      ['bucket policy Deny', () => signedRequest(a.port, 'PUT', 'pub', null, [['policy', '']], { body: policyDoc({ Effect: 'Deny', Principal: ['*'], Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:pub/*'] }) }), 403],
      ['bucket policy deleted', () => signedRequest(a.port, 'DELETE', 'pub', null, [['policy', '']]), 200],
      ['bucket Block Public Access', () => signedRequest(a.port, 'PUT', 'pub', null, [['publicAccessBlock', '']], { body: pab(true) }), 403],
      ['bucket Block Public Access deleted', () => signedRequest(a.port, 'DELETE', 'pub', null, [['publicAccessBlock', '']]), 200],
      ['account Block Public Access', () => signedRequest(a.port, 'PUT', null, null, [['publicAccessBlock', '']], { body: pab(true) }), 403],
      ['account Block Public Access deleted', () => signedRequest(a.port, 'DELETE', null, null, [['publicAccessBlock', '']]), 200],
      ['Referer whitelist', () => signedRequest(a.port, 'PUT', 'pub', null, [['referer', '']], { body: '<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer><RefererList><Referer>https://ok.example</Referer></RefererList></RefererConfiguration>' }), 403],
      ['Referer open', () => signedRequest(a.port, 'PUT', 'pub', null, [['referer', '']], { body: '<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList/></RefererConfiguration>' }), 200],
      ['object acl private', () => signedRequest(a.port, 'PUT', 'pub', 'obj', [['acl', '']], { headers: { 'x-oss-object-acl': 'private' } }), 403],
      ['object acl default', () => signedRequest(a.port, 'PUT', 'pub', 'obj', [['acl', '']], { headers: { 'x-oss-object-acl': 'default' } }), 200],
      ['pay-by-requester', () => signedRequest(a.port, 'PUT', 'pub', null, [['requestPayment', '']], { body: '<RequestPaymentConfiguration><Payer>Requester</Payer></RequestPaymentConfiguration>' }), 403],
      ['bucket owner pays', () => signedRequest(a.port, 'PUT', 'pub', null, [['requestPayment', '']], { body: '<RequestPaymentConfiguration><Payer>BucketOwner</Payer></RequestPaymentConfiguration>' }), 200],
    ];
    const wrong: string[] = [];
    assert.equal(await anonymous(b, '/pub/obj'), 200);
    for (const [what, change, want] of steps) {
      const r = await change();
      assert.ok(r.status < 300, `${what}: ${r.text}`);
      const got = await anonymous(b, '/pub/obj');
      if (got !== want) wrong.push(`${what}: ${got} (want ${want})`);
    }
    assert.deepEqual(wrong, []);
  });

  it('an identity Deny, a disabled AccessKey, a bucket-policy Deny by user id, an access point policy and its deletion', async () => {
    const ram = new Ram(a);
    await signedRequest(a.port, 'PUT', 'priv', null, []);
    await signedRequest(a.port, 'PUT', 'priv', 'obj', [], { body: 'x' });
    const u = await ram.userWith('u1', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:priv/*' }));
    const get = async (bucket = 'priv'): Promise<number> => (await signedRequest(b.port, 'GET', bucket, 'obj', [], { creds: [u.accessKeyId, u.accessKeySecret] })).status;
    assert.equal(await get(), 200);
    await ram.createPolicy('deny-read', policyDoc({ Effect: 'Deny', Action: 'oss:GetObject', Resource: '*' }));
    await ram.attachToUser('deny-read', 'u1');
    assert.equal(await get(), 403);
    await ram.detachFromUser('deny-read', 'u1');
    assert.equal(await get(), 200);
    await ram.call('UpdateAccessKey', { UserName: 'u1', UserAccessKeyId: u.accessKeyId, Status: 'Inactive' });
    assert.equal(await get(), 403);
    await ram.call('UpdateAccessKey', { UserName: 'u1', UserAccessKeyId: u.accessKeyId, Status: 'Active' });
    assert.equal(await get(), 200);
    await signedRequest(a.port, 'PUT', 'priv', null, [['policy', '']], { body: policyDoc({ Effect: 'Deny', Principal: [u.userId], Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:priv/*'] }) });
    assert.equal(await get(), 403);
    await signedRequest(a.port, 'DELETE', 'priv', null, [['policy', '']]);
    assert.equal(await get(), 200);
    await signedRequest(a.port, 'PUT', 'priv', null, [['accessPoint', '']], { body: '<CreateAccessPointConfiguration><AccessPointName>ap-1</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>' });
    const info = await signedRequest(a.port, 'GET', 'priv', null, [['accessPoint', '']], { headers: { 'x-oss-access-point-name': 'ap-1' } });
    const alias = /<Alias>([^<]+)<\/Alias>/.exec(info.text)?.[1];
    assert.ok(alias, info.text);
    const apObjects = `acs:oss:cn-hangzhou:${ACCOUNT_ID}:accesspoint/ap-1/object/*`;
    for (const [effect, want] of [['Allow', 200], ['Deny', 403], ['Allow', 200]] as const) {
      succeedsOrFail(await signedRequest(a.port, 'PUT', 'priv', null, [['accessPointPolicy', '']], { headers: { 'x-oss-access-point-name': 'ap-1' }, body: policyDoc({ Effect: effect, Principal: [u.userId], Action: ['oss:GetObject'], Resource: [apObjects] }) }));
      assert.equal(await get(alias), want, `access point policy ${effect}`);
    }
    succeedsOrFail(await signedRequest(a.port, 'DELETE', 'priv', null, [['accessPoint', '']], { headers: { 'x-oss-access-point-name': 'ap-1' } }));
    assert.equal(await get(alias), 404);
  });
});

function succeedsOrFail(r: SignedReply): void {
  assert.ok(r.status < 300, r.text.slice(0, 300));
}

describe('redteam wave 25: PUTs refused by x-oss-forbid-overwrite batched with accepted writes', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ durable: true });
    await signedRequest(srv.port, 'PUT', 'race', null, []);
  });
  after(async () => {
    await srv?.stop();
  });

  it('exactly the refused PUTs change nothing', async () => {
    for (let round = 0; round < 2; round++) {
      const n = 30;
      for (let i = 0; i < n; i++) succeedsOrFail(await signedRequest(srv.port, 'PUT', 'race', `old${round}-${i}`, [], { body: `old-${i}` }));
      const jobs: Array<Promise<[string, SignedReply]>> = [];
      for (let i = 0; i < n; i++) {
        jobs.push(signedRequest(srv.port, 'PUT', 'race', `old${round}-${i}`, [], { body: `NEW-${i}`, headers: { 'x-oss-forbid-overwrite': 'true' } }).then((r) => ['forbidden', r]));
        jobs.push(signedRequest(srv.port, 'PUT', 'race', `new${round}-${i}`, [], { body: `new-${i}`, headers: { 'x-oss-forbid-overwrite': 'true' } }).then((r) => ['new', r]));
        jobs.push(signedRequest(srv.port, 'PUT', 'race', `plain${round}-${i}`, [], { body: `plain-${i}` }).then((r) => ['plain', r]));
        jobs.push(signedRequest(srv.port, 'DELETE', 'race', `none${round}-${i}`, []).then((r) => ['delete', r]));
      }
      for (const [kind, r] of await Promise.all(jobs)) {
        const want = kind === 'forbidden' ? 409 : kind === 'delete' ? 204 : 200;
        assert.equal(r.status, want, `${kind}: ${r.text.slice(0, 200)}`);
        if (kind === 'forbidden') assert.equal(r.err?.Code, 'FileAlreadyExists');
      }
      for (let i = 0; i < n; i++) {
        assert.equal((await signedRequest(srv.port, 'GET', 'race', `old${round}-${i}`, [])).text, `old-${i}`);
        assert.equal((await signedRequest(srv.port, 'GET', 'race', `new${round}-${i}`, [])).text, `new-${i}`);
        assert.equal((await signedRequest(srv.port, 'GET', 'race', `plain${round}-${i}`, [])).text, `plain-${i}`);
      }
    }
  });
});

/** The server's start: its output until the listening line, then it is stopped (code null), or its exit if it refused. */
function startAndStop(cli: CliHome, args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = cli.start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (/alunite listening on /.test(stdout)) child.kill('SIGKILL');
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const DEV_KEYS = { accessKeyId: 'LTAI5tAluniteDevAccessKey', accessKeySecret: 'AluniteDevSecret0123456789ABCD' };
const WARNING = /WARNING: --host \S+ \(ALUNITE_HOST\) listens beyond this machine with the public development root AccessKey: anyone who can reach the server is the account's root/;

describe('redteam wave 25: the public development root keys on an address other machines reach', () => {
  // README.md tells --host 0.0.0.0 "for other machines and phones"; with the development root keys (printed in the
  // README and the banner, and handed to any browser by /-/console/config) anyone on that network is the root. The
  // start goes on (an emulator in a CI container must listen beyond its loopback, its clients holding the well-known
  // keys), but says so on stderr every time; with keys of its own, or on loopback, nothing is said.
  it('a start on an address other machines reach with the development keys warns on stderr, naming the variables to set', async () => {
    const cli = await cliHome();
    const dev = { ALUNITE_ROOT_ACCESS_KEY_ID: DEV_KEYS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: DEV_KEYS.accessKeySecret };
    for (const [args, env] of [
      [['server', '--in-memory', '--port', '0', '--host', '0.0.0.0'], {}],
      [['server', '--in-memory', '--port', '0', '--host', '0.0.0.0'], dev],
      [['server', '--in-memory', '--port', '0'], { ALUNITE_HOST: '0.0.0.0' }],
    ] as Array<[string[], Record<string, string>]>) {
      const r = await startAndStop(cli, args, env);
      assert.match(r.stdout, /alunite listening on http:\/\/0\.0\.0\.0:\d+/, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, WARNING, args.join(' '));
      assert.match(r.stderr, /ALUNITE_ROOT_ACCESS_KEY_ID and ALUNITE_ROOT_ACCESS_KEY_SECRET/);
    }
  });

  it('with keys of its own, or on the loopback address, it starts without the warning', async () => {
    const cli = await cliHome();
    const own = await startAndStop(cli, ['server', '--in-memory', '--port', '0', '--host', '0.0.0.0'], { ALUNITE_ROOT_ACCESS_KEY_ID: 'LTAI5tWave25OwnRootKey01', ALUNITE_ROOT_ACCESS_KEY_SECRET: 'Wave25OwnRootSecret0123456789A' });
    assert.match(own.stdout, /alunite listening on /);
    assert.doesNotMatch(own.stderr, /WARNING/);
    // The development AccessKeyId with a secret of its own is not the public key pair.
    const ownSecret = await startAndStop(cli, ['server', '--in-memory', '--port', '0', '--host', '0.0.0.0'], { ALUNITE_ROOT_ACCESS_KEY_ID: DEV_KEYS.accessKeyId, ALUNITE_ROOT_ACCESS_KEY_SECRET: 'Wave25OwnRootSecret0123456789A' });
    assert.doesNotMatch(ownSecret.stderr, /WARNING/);
    const local = await startAndStop(cli, ['server', '--in-memory', '--port', '0', '--host', '127.0.0.1'], {});
    assert.match(local.stdout, /alunite listening on /);
    assert.doesNotMatch(local.stderr, /WARNING/);
  });

  it('which listen addresses count as this machine only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) {
      assert.equal(devKeysOnNetworkWarning(host, DEV_KEYS), null, host);
    }
    for (const host of ['0.0.0.0', '::', '[::]', '10.0.0.5', '192.168.1.20', 'example.com', '127.0.0.1.example.com']) {
      assert.match(devKeysOnNetworkWarning(host, DEV_KEYS) ?? '', WARNING, host);
    }
  });
});
