// The official SDKs' own test suites, sixteenth reading: what they expect that Alunite still answered differently.
// Read:
// - ali-oss's (ali-sdk/ali-oss) test/node/sts.test.js, run here through ali-oss's own STS client (`OSS.STS`,
//   lib/sts.js: a form POST to the endpoint's `/`, HMAC-SHA1 over `POST&%2F&…`, a `SignatureNonce` from
//   Math.random(), a millisecond ISO Timestamp), then ali-oss with the credentials it returns.
// - oss2's (aliyun/aliyun-oss-python-sdk) tests/test_sts.py (TestSts and TestSign: StsAuth over AuthV1 and AuthV2,
//   `create_bucket`, put/get, `sign_url('GET', key, 60, params={'para1': 'test'})` fetched by `requests`) and
//   tests/test_object.py's test_anonymous (AnonymousAuth's unsigned URL with `para1`) and
//   test_private_download_url_with_extra_query (an OSS2 URL with `extra-query`, then `&another-query=1` added).
// - The Java SDK v2's (aliyun/alibabacloud-oss-java-sdk-v2) src/it/…/oss2/ClientRegionsTest.java, the Swift SDK v2's
//   ClientRegionTests.swift (`import AlibabaCloudOSS`, BaseTestCase; found by content, at no path the stored listing
//   of aliyun/alibabacloud-oss-swift-sdk-v2 holds) and the .NET SDK v2's (aliyun/alibabacloud-oss-csharp-sdk-v2)
//   IntegrationTests/ClientRegion.cs: DescribeRegions, V4-signed as they sign it (test/helpers/sdk-v2-signer.ts).
// Needed a change (docs/compatibility.md, "sixteenth reading"):
// - DescribeRegions of a region not named as OSS names it (`cn-hangzhou`) was answered as `oss-cn-hangzhou`; the
//   Swift test reads 404 NoSuchRegion. The NoSuchRegion message is the region as asked (both tests compare it); it
//   was "The specified region does not exist.".
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { errorOf, rawRequest } from './helpers/raw-http.js';
import { signHeader, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';
import { v2Encode, v2PresignQuery } from './helpers/oss2.js';
import { signedRequest } from './helpers/signed.js';

const require = createRequire(import.meta.url);

/** ali-oss's STS client (lib/sts.js), which its typings do not describe. */
interface AliOssSts {
  assumeRole(role: string, policy?: object | string, expiration?: number, session?: string): Promise<{ res: { status: number }; credentials: StsCredentials }>;
}
const STS = (require('ali-oss') as { STS: (o: { accessKeyId: string; accessKeySecret: string; endpoint: string }) => AliOssSts }).STS;

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv?.stop();
});

/** A role allowed `oss:*` that the account trusts, and a user allowed to assume it (as the SDK suites' STS setups). */
async function ossRoleAndUser(role: string, userName: string): Promise<RamUserHandle> {
  const ram = new Ram(srv);
  await ram.call('CreateRole', { RoleName: role, AssumeRolePolicyDocument: TRUST_ACCOUNT });
  await ram.createPolicy(`${role}-policy`, policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: 'acs:oss:*:*:*' }));
  await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: `${role}-policy`, RoleName: role });
  return ram.userWith(userName, policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn(role.toLowerCase()) }));
}

describe("the SDK test suites, sixteenth reading: ali-oss's test/node/sts.test.js through OSS.STS", () => {
  const BUCKET = 'ali-oss-sts-suite';
  const ROLE = 'AliOssStsTest';
  let user: RamUserHandle;
  const sts = (): AliOssSts => STS({ accessKeyId: user.accessKeyId, accessKeySecret: user.accessKeySecret, endpoint: srv.url });
  const ossWith = (c: StsCredentials): OSS => srv.client({ bucket: BUCKET, accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, stsToken: c.SecurityToken });

  before(async () => {
    await srv.client().putBucket(BUCKET);
    user = await ossRoleAndUser(ROLE, 'ali-oss-sts-user');
  });

  it('should assume role (no policy, an object policy, a policy string)', async () => {
    assert.equal((await sts().assumeRole(roleArn(ROLE))).res.status, 200);
    const policy = { Statement: [{ Action: ['oss:*'], Effect: 'Allow', Resource: ['acs:oss:*:*:*'] }], Version: '1' };
    assert.equal((await sts().assumeRole(roleArn(ROLE), policy)).res.status, 200);
    assert.equal((await sts().assumeRole(roleArn(ROLE), `\n      ${JSON.stringify(policy, null, 2)}`)).res.status, 200);
  });

  it('should handle error in assume role: `Statements` is InvalidParameter.PolicyGrammar', async () => {
    const policy = JSON.stringify({ Statements: [{ Action: ['oss:*'], Effect: 'Allow', Resource: ['acs:oss:*:*:*'] }], Version: '1' });
    await assert.rejects(sts().assumeRole(roleArn(ROLE), policy), (err: Error) => /InvalidParameter.PolicyGrammar/.test(err.message));
  });

  it('should list objects using STS', async () => {
    const { credentials } = await sts().assumeRole(roleArn(ROLE));
    const oss = ossWith(credentials);
    assert.equal((await oss.put('ali-sdk/oss/sts-put1.js', Buffer.from('put1'))).res.status, 200);
    assert.equal((await oss.list({ 'max-keys': 10 }, {})).res.status, 200);
  });

  it('should delete multi objects using STS', async () => {
    const putOnly = { Statement: [{ Action: ['oss:PutObject'], Effect: 'Allow', Resource: ['acs:oss:*:*:*'] }], Version: '1' };
    let oss = ossWith((await sts().assumeRole(roleArn(ROLE), putOnly)).credentials);
    const names = ['ali-sdk/oss/sts-put1.js', 'ali-sdk/oss/sts-put2.js'];
    for (const name of names) assert.equal((await oss.put(name, Buffer.from(name))).res.status, 200);
    await assert.rejects(oss.deleteMulti(names), (err: Error) => /Access denied by authorizer's policy/.test(err.message));
    const deleteOnly = { Statement: [{ Action: ['oss:DeleteObject'], Effect: 'Allow', Resource: ['acs:oss:*:*:*'] }], Version: '1' };
    oss = ossWith((await sts().assumeRole(roleArn(ROLE), deleteOnly)).credentials);
    assert.equal((await oss.deleteMulti(names)).res.status, 200);
  });

  it('refreshSTSToken(): listBuckets with the session', async () => {
    const { credentials } = await sts().assumeRole(roleArn(ROLE));
    // ali-oss's typings say an array; the call answers `{ buckets, res, … }`.
    const r = (await ossWith(credentials).listBuckets({}, {})) as unknown as { buckets: Array<{ name: string }> };
    assert.ok(r.buckets.some((b) => b.name === BUCKET));
  });
});

describe("the SDK test suites, sixteenth reading: DescribeRegions (the Java SDK v2's ClientRegionsTest, the Swift SDK v2's ClientRegionTests)", () => {
  /** DescribeRegions as the V2 SDKs send it: `GET /?regions[=<region>]`, V4-signed. */
  async function describeRegions(regions?: string, ak = AK, secret = SECRET): Promise<{ status: number; text: string; err: Record<string, string> | null }> {
    const r: SdkRequest = { method: 'GET', bucket: null, key: null, params: [['regions', regions ?? '']] };
    const s = signHeader(r, { ak, secret });
    const res = await rawRequest(srv.port, { method: 'GET', path: s.path, headers: { ...s.headers, host: `127.0.0.1:${srv.port}` } });
    return { status: res.status, text: res.body.toString('utf8'), err: errorOf(res) };
  }
  const regionsOf = (xml: string): string[] => [...xml.matchAll(/<Region>([^<]*)<\/Region>/g)].map((m) => m[1]!);

  it('testDescribeRegions / testDescribeRegionsSuccess: all regions, then oss-cn-hangzhou alone with its endpoints', async () => {
    const all = await describeRegions();
    assert.equal(all.status, 200, all.text);
    assert.ok(regionsOf(all.text).length > 1);
    const one = await describeRegions('oss-cn-hangzhou');
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(regionsOf(one.text), ['oss-cn-hangzhou']);
    for (const [tag, value] of [['InternetEndpoint', 'oss-cn-hangzhou.aliyuncs.com'], ['InternalEndpoint', 'oss-cn-hangzhou-internal.aliyuncs.com'], ['AccelerateEndpoint', 'oss-accelerate.aliyuncs.com']]) {
      assert.ok(one.text.includes(`<${tag}>${value}</${tag}>`), `${tag} in ${one.text}`);
    }
  });

  it('testDescribeRegionsWithInvalidRegion / testDescribeRegionsFail: 404 NoSuchRegion, the message is the region asked', async () => {
    for (const asked of ['invalid-region', 'cn-hangzhou']) {
      const r = await describeRegions(asked);
      assert.deepEqual([r.status, r.err?.Code, r.err?.Message, r.err?.RequestId?.length], [404, 'NoSuchRegion', asked, 24], r.text);
    }
  });

  it("the .NET SDK v2's TestDescribeRegionsFail: an unknown AccessKey is 403 InvalidAccessKeyId, EC 0002-00000902", async () => {
    const r = await describeRegions(undefined, 'invalid-ak', 'invalid');
    assert.deepEqual(
      [r.status, r.err?.Code, r.err?.Message, r.err?.EC],
      [403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', '0002-00000902'],
      r.text,
    );
  });
});

describe("the SDK test suites, sixteenth reading: oss2's test_sts.py and test_object.py's URLs", () => {
  const BUCKET = 'oss2-sts-suite';
  const ROLE = 'Oss2StsTest';
  let creds: StsCredentials;
  /** What `requests` adds to a GET of a presigned URL. */
  const REQUESTS = { 'user-agent': 'python-requests/2.31.0', 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' };
  const get = (path: string): ReturnType<typeof rawRequest> => rawRequest(srv.port, { method: 'GET', path, headers: { host: `localhost:${srv.port}`, ...REQUESTS } });

  before(async () => {
    const user = await ossRoleAndUser(ROLE, 'oss2-sts-user');
    // fetch_sts_token: aliyunsdkcore's AssumeRoleRequest, RoleSessionName 'oss-python-sdk-test'.
    const body = await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), { RoleArn: roleArn(ROLE), RoleSessionName: 'oss-python-sdk-test' });
    creds = body.Credentials as StsCredentials;
  });

  /** StsAuth (AuthV1) over headers: `x-oss-security-token` signed among the x-oss- headers. */
  const asSession = (method: string, key: string | null, query: Array<[string, string]> = [], body?: string): ReturnType<typeof signedRequest> =>
    signedRequest(srv.port, method, BUCKET, key, query, { headers: { 'x-oss-security-token': creds.SecurityToken }, creds: [creds.AccessKeyId, creds.AccessKeySecret], ...(body !== undefined ? { body } : {}) });

  it('init_bucket, test_object, test_bucket, test_rtmp: the session creates the bucket, puts, gets, deletes, reads the referer, lists live channels', async () => {
    assert.equal((await asSession('PUT', null)).status, 200);
    assert.equal((await asSession('PUT', 'sts-a/hello', [], 'hello world')).status, 200);
    assert.equal((await asSession('GET', 'sts-a/hello')).text, 'hello world');
    assert.equal((await asSession('GET', null, [['referer', '']])).status, 200);
    // test_rtmp: list_live_channel as the session (sign_rtmp_url is the client's own).
    assert.equal((await asSession('GET', null, [['live', '']])).status, 200);
    assert.equal((await asSession('DELETE', 'sts-a/hello')).status, 204);
  });

  it("test_url: sign_url('GET', key, 60, params={'para1': 'test'}) with AuthV1 (security-token signed, para1 not) and AuthV2 (all signed)", async () => {
    assert.equal((await asSession('PUT', 'sts-a/url', [], 'Ali Baba')).status, 200);
    const expires = Math.floor(Date.now() / 1000) + 60;
    // AuthV1._sign_url: the token as `security-token`, a sub-resource of the canonical resource; para1 is not one.
    const sts1 = `GET\n\n\n${expires}\n/${BUCKET}/sts-a/url?security-token=${creds.SecurityToken}`;
    const sig1 = createHmac('sha1', creds.AccessKeySecret).update(sts1, 'utf8').digest('base64');
    const v1 = [['para1', 'test'], ['security-token', creds.SecurityToken], ['OSSAccessKeyId', creds.AccessKeyId], ['Expires', String(expires)], ['Signature', sig1]]
      .map(([k, v]) => `${v2Encode(k!)}=${v2Encode(v!)}`).join('&');
    const r1 = await get(`/${BUCKET}/sts-a/url?${v1}`);
    assert.equal(r1.status, 200, r1.body.toString());
    assert.equal(r1.body.toString(), 'Ali Baba');
    const v2 = v2PresignQuery({ method: 'GET', bucket: BUCKET, key: 'sts-a/url', ak: creds.AccessKeyId, secret: creds.AccessKeySecret, expires, token: creds.SecurityToken, query: [['para1', 'test']] });
    const r2 = await get(`/${BUCKET}/sts-a/url?${v2}`);
    assert.equal(r2.status, 200, r2.body.toString());
    assert.equal(r2.body.toString(), 'Ali Baba');
    // test_private_download_url_with_extra_query: a parameter added to an OSS2 URL breaks its signature.
    const r3 = await get(`/${BUCKET}/sts-a/url?${v2}&another-query=1`);
    assert.deepEqual([r3.status, errorOf(r3)?.Code], [403, 'SignatureDoesNotMatch']);
  });

  it("test_anonymous: public-read-write lets AnonymousAuth put and get, its sign_url (no signature) with para1 too; private refuses both", async () => {
    assert.equal((await signedRequest(srv.port, 'PUT', BUCKET, null, [['acl', '']], { headers: { 'x-oss-acl': 'public-read-write' } })).status, 200);
    const anon = (method: string, path: string, body?: string): ReturnType<typeof rawRequest> =>
      rawRequest(srv.port, { method, path, headers: { host: `localhost:${srv.port}`, ...REQUESTS, ...(body !== undefined ? { 'content-length': String(body.length) } : {}) }, body });
    assert.equal((await anon('PUT', `/${BUCKET}/anonymous`, 'anonymous bytes')).status, 200);
    const got = await get(`/${BUCKET}/anonymous?para1=test`);
    assert.deepEqual([got.status, got.body.toString()], [200, 'anonymous bytes']);
    assert.equal((await signedRequest(srv.port, 'PUT', BUCKET, null, [['acl', '']], { headers: { 'x-oss-acl': 'private' } })).status, 200);
    for (const r of [await anon('PUT', `/${BUCKET}/anonymous`, 'again'), await get(`/${BUCKET}/anonymous`)]) {
      assert.deepEqual([r.status, errorOf(r)?.Code], [403, 'AccessDenied']);
    }
  });
});
