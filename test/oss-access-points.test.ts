// Access points (docs/access-points.md): requests through an alias (path style through ali-oss, virtual-hosted
// raw) act on the bucket and are allowed only when the RAM/bucket policies AND the access point policy allow;
// explicit Denies on either side; the oss:DataAccessPointArn condition key; the access point's Block Public
// Access and VPC network origin; bucket management refused through an alias; Object FC access points stored
// and validated, their alias answered 501; an account-B caller creates access points in the bucket owner's
// account. Runs on SQLite, and on PostgreSQL through test/pg-access-points.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { accessPointPolicyCompilations } from '../src/authz/access-point.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'ap-data';
const B = '2000000000000002';
const B_AK = 'LTAI5tAccessPointsAccountB';
const B_SECRET = 'AccessPointsAccountBSecretKey1';

interface Reply { status: number; text: string; code: string | undefined; headers: Record<string, string | string[] | undefined> }

describe('access points', () => {
  let srv: TestServer;
  let ram: Ram;
  let reader: RamUserHandle;
  let outsider: RamUserHandle;
  let alias = '';

  /** A V1-signed request; `bucket` is the name signed and sent (path style, or virtual-hosted with `virtual`). */
  async function send(method: string, bucket: string | null, key: string | null, query: Array<[string, string]> = [], opts: { body?: string; headers?: Record<string, string>; creds?: [string, string] | null; virtual?: boolean } = {}): Promise<Reply> {
    const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}` : '';
    const virtual = opts.virtual === true && bucket !== null;
    const path = virtual ? `/${key === null ? '' : encodeURIComponent(key)}${qs}` : `/${bucket === null ? '' : `${bucket}/${key === null ? '' : encodeURIComponent(key)}`}${qs}`;
    const headers: Record<string, string> = { host: virtual ? `${bucket}.localhost:${srv.port}` : `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const creds = opts.creds === undefined ? [AK, SECRET] : opts.creds;
    if (creds !== null) headers.authorization = v1Authorization({ method, bucket, key, query, headers }, creds[0], creds[1]).authorization;
    const res = await rawRequest(srv.port, { method, path, headers, body: opts.body });
    return { status: res.status, text: res.body.toString('utf8'), code: errorOf(res)?.Code, headers: res.headers };
  }
  const named = (name: string): Record<string, string> => ({ 'x-oss-access-point-name': name });
  const expect = (r: Reply, status: number, code?: string): Reply => {
    assert.equal(r.status, status, r.text.slice(0, 500));
    if (code !== undefined) assert.equal(r.code, code, r.text.slice(0, 500));
    return r;
  };
  async function createAp(name: string, bucket = BUCKET, origin = 'internet', creds?: [string, string]): Promise<string> {
    const vpc = origin === 'vpc' ? '<VpcConfiguration><VpcId>vpc-t4nlw426y44rd3iq4****</VpcId></VpcConfiguration>' : '';
    const r = expect(await send('PUT', bucket, null, [['accessPoint', '']], { body: `<CreateAccessPointConfiguration><AccessPointName>${name}</AccessPointName><NetworkOrigin>${origin}</NetworkOrigin>${vpc}</CreateAccessPointConfiguration>`, creds }), 200);
    return /<Alias>([^<]+)<\/Alias>/.exec(r.text)![1]!;
  }
  const putApPolicy = async (name: string, ...statements: object[]): Promise<Reply> =>
    send('PUT', BUCKET, null, [['accessPointPolicy', '']], { headers: named(name), body: policyDoc(...statements) });
  const apArn = (name: string): string => `acs:oss:cn-hangzhou:${ACCOUNT_ID}:accesspoint/${name}`;
  const through = (creds?: [string, string]): OSS => srv.pathClient({ bucket: alias, ...(creds ? { accessKeyId: creds[0], accessKeySecret: creds[1] } : {}) });
  const credsOf = (u: RamUserHandle): [string, string] => [u.accessKeyId, u.accessKeySecret];

  before(async () => {
    // CNAMEs bound with a CreateCnameToken token and no DNS record (docs/stored-configurations.md#cnames-implemented).
    srv = await startTestServer({ cname: { verification: 'token' } });
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('a.txt', Buffer.from('hello'));
    reader = await ram.userWith('ap-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}`, `acs:oss:*:*:${BUCKET}/*`] }));
    outsider = await ram.user('ap-outsider');
    alias = await createAp('ap-one');
    assert.match(alias, /^ap-one-[0-9a-f]+-ossalias$/);
  });
  after(async () => {
    await srv?.stop();
  });

  test('no access point policy: even the owner is refused through the alias (implicit deny)', async () => {
    expect(await send('GET', alias, 'a.txt'), 403, 'AccessDenied');
    expect(await send('GET', BUCKET, 'a.txt'), 200);
  });

  test('the access point\'s policy managed through its alias (the PHP SDK\'s OssClientBucketAccessPointTest): authorized as on the bucket, that access point only', async () => {
    const alias2 = await createAp('ap-managed');
    const doc = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:GetBucketInfo'], Principal: [ACCOUNT_ID], Resource: [apArn('ap-managed'), `${apArn('ap-managed')}/object/*`] });
    // No access point policy yet: its management through the alias is not subject to it.
    expect(await send('PUT', alias2, null, [['accessPointPolicy', '']], { headers: named('ap-managed'), body: doc }), 200);
    assert.equal(expect(await send('GET', alias2, null, [['accessPointPolicy', '']], { headers: named('ap-managed') }), 200).text, doc);
    expect(await send('GET', alias2, 'a.txt'), 200);
    // HEAD of the alias (HeadBucket, as GetBucketInfo, which goes through an alias): the bucket's region.
    assert.equal(expect(await send('HEAD', alias2, null), 200).headers['x-oss-bucket-region'], 'oss-cn-hangzhou');
    // An explicit Deny on each management action refuses it through the alias too; the stored policy stays.
    const denied = await ram.userWith('ap-alias-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:PutAccessPointPolicy', 'oss:GetAccessPointPolicy', 'oss:DeleteAccessPointPolicy'], Resource: ['*'] },
    ));
    expect(await send('PUT', alias2, null, [['accessPointPolicy', '']], { headers: named('ap-managed'), body: policyDoc({ Effect: 'Deny', Action: ['oss:*'], Principal: ['*'], Resource: ['*'] }), creds: credsOf(denied) }), 403, 'AccessDenied');
    expect(await send('GET', alias2, null, [['accessPointPolicy', '']], { headers: named('ap-managed'), creds: credsOf(denied) }), 403, 'AccessDenied');
    expect(await send('DELETE', alias2, null, [['accessPointPolicy', '']], { headers: named('ap-managed'), creds: credsOf(denied) }), 403, 'AccessDenied');
    assert.equal(expect(await send('GET', BUCKET, null, [['accessPointPolicy', '']], { headers: named('ap-managed') }), 200).text, doc);
    // Another access point of the bucket is not named through this alias.
    expect(await send('GET', alias2, null, [['accessPointPolicy', '']], { headers: named('ap-one') }), 400, 'InvalidRequest');
    // A RAM user without the action is refused, as on the bucket name.
    expect(await send('GET', alias2, null, [['accessPointPolicy', '']], { headers: named('ap-managed'), creds: credsOf(reader) }), 403, 'AccessDenied');
    expect(await send('DELETE', alias2, null, [['accessPointPolicy', '']], { headers: named('ap-managed') }), 204);
    expect(await send('GET', BUCKET, null, [['accessPointPolicy', '']], { headers: named('ap-managed') }), 404);
    expect(await send('DELETE', BUCKET, null, [['accessPoint', '']], { headers: named('ap-managed') }), 204);
  });

  test('an allowing policy: reads and writes through the alias act on the bucket, path style and virtual-hosted', async () => {
    expect(await putApPolicy('ap-one',
      { Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:DeleteObject', 'oss:ListObjects'], Principal: [ACCOUNT_ID], Resource: [apArn('ap-one'), `${apArn('ap-one')}/object/*`] },
      { Effect: 'Allow', Action: ['oss:GetObject'], Principal: [reader.userId, outsider.userId], Resource: [`${apArn('ap-one')}/object/*`] },
      { Effect: 'Deny', Action: ['oss:DeleteObject'], Principal: [ACCOUNT_ID], Resource: [`${apArn('ap-one')}/object/keep/*`] },
    ), 200);
    assert.equal(String((await through().get('a.txt')).content), 'hello');
    await through().put('via-ap.txt', Buffer.from('written through the alias'));
    assert.equal(String((await srv.client({ bucket: BUCKET }).get('via-ap.txt')).content), 'written through the alias');
    const listed = await through().list({ prefix: 'via-', 'max-keys': 100 }, {});
    assert.deepEqual(listed.objects.map((o) => o.name), ['via-ap.txt']);
    assert.equal(expect(await send('GET', alias, 'a.txt', [], { virtual: true }), 200).text, 'hello');
    // Bucket management goes to the bucket's own name, not through an alias.
    expect(await send('GET', alias, null, [['acl', '']]), 400, 'InvalidRequest');
  });

  test('explicit Deny in the access point policy refuses what the owner may do by the bucket name', async () => {
    await srv.client({ bucket: BUCKET }).put('keep/x.txt', Buffer.from('x'));
    expect(await send('DELETE', alias, 'keep/x.txt'), 403, 'AccessDenied');
    expect(await send('GET', BUCKET, 'keep/x.txt'), 200);
    expect(await send('DELETE', alias, 'via-ap.txt'), 204);
  });

  test('RAM policy AND access point policy: a RAM user needs both; a bucket-policy Deny still refuses', async () => {
    expect(await send('GET', alias, 'a.txt', [], { creds: credsOf(reader) }), 200);
    // Allowed by the access point policy, but no RAM or bucket policy allows: refused.
    expect(await send('GET', alias, 'a.txt', [], { creds: credsOf(outsider) }), 403, 'AccessDenied');
    // Allowed by RAM, not by the access point policy (PutObject): refused.
    await ram.createPolicy('ap-reader-put', policyDoc({ Effect: 'Allow', Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }));
    await ram.attachToUser('ap-reader-put', 'ap-reader');
    expect(await send('PUT', BUCKET, 'by-name.txt', [], { body: 'x', creds: credsOf(reader) }), 200);
    expect(await send('PUT', alias, 'by-alias.txt', [], { body: 'x', creds: credsOf(reader) }), 403, 'AccessDenied');
    // A bucket-policy Deny wins over both Allows.
    await srv.client().putBucketPolicy(BUCKET, JSON.parse(policyDoc({ Effect: 'Deny', Action: ['oss:GetObject'], Principal: [reader.userId], Resource: [`acs:oss:*:*:${BUCKET}/a.txt`] })));
    expect(await send('GET', alias, 'a.txt', [], { creds: credsOf(reader) }), 403, 'AccessDenied');
    await srv.client().deleteBucketPolicy(BUCKET);
  });

  test('bucket policy delegation by oss:DataAccessPointArn: grants only requests through that access point', async () => {
    await srv.client().putBucketPolicy(BUCKET, JSON.parse(policyDoc({
      Effect: 'Allow', Action: ['oss:GetObject'], Principal: [outsider.userId], Resource: [`acs:oss:*:*:${BUCKET}/*`],
      Condition: { StringEquals: { 'oss:DataAccessPointArn': apArn('ap-one') } },
    })));
    expect(await send('GET', alias, 'a.txt', [], { creds: credsOf(outsider) }), 200);
    expect(await send('GET', BUCKET, 'a.txt', [], { creds: credsOf(outsider) }), 403, 'AccessDenied');
    await srv.client().deleteBucketPolicy(BUCKET);
  });

  test('access point Block Public Access: on at creation, refuses a public policy, drops public statements', async () => {
    const get = async (): Promise<string> => expect(await send('GET', BUCKET, null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-one']]), 200).text;
    assert.match(await get(), /<PublicAccessBlockConfiguration><BlockPublicAccess>true<\/BlockPublicAccess><\/PublicAccessBlockConfiguration>/);
    await srv.client().putBucketACL(BUCKET, 'public-read');
    const publicRead = { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`${apArn('ap-one')}/object/*`] };
    const owner = { Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:DeleteObject', 'oss:ListObjects'], Principal: [ACCOUNT_ID], Resource: [apArn('ap-one'), `${apArn('ap-one')}/object/*`] };
    expect(await putApPolicy('ap-one', owner, publicRead), 403, 'AccessDenied');
    const body = '<PublicAccessBlockConfiguration><BlockPublicAccess>false</BlockPublicAccess></PublicAccessBlockConfiguration>';
    expect(await send('PUT', BUCKET, null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-one']], { body }), 200);
    assert.match(await get(), /<BlockPublicAccess>false<\/BlockPublicAccess>/);
    expect(await putApPolicy('ap-one', owner, publicRead), 200);
    expect(await send('GET', alias, 'a.txt', [], { creds: null }), 200);
    // Turned on again: the public statement is ignored, anonymous reads through the alias are refused.
    expect(await send('PUT', BUCKET, null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-one']], { body: body.replace('false', 'true') }), 200);
    expect(await send('GET', alias, 'a.txt', [], { creds: null }), 403, 'AccessDenied');
    expect(await send('GET', BUCKET, 'a.txt', [], { creds: null }), 200);
    expect(await send('DELETE', BUCKET, null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-one']]), 204);
    assert.match(await get(), /<BlockPublicAccess>false<\/BlockPublicAccess>/);
    expect(await send('GET', alias, 'a.txt', [], { creds: null }), 200);
    expect(await send('GET', BUCKET, null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-none']]), 404, 'NoSuchAccessPoint');
    await srv.client().putBucketACL(BUCKET, 'private');
    expect(await send('GET', alias, 'a.txt', [], { creds: null }), 403, 'AccessDenied');
  });

  test('VPC access points refuse every request here; unknown aliases are no bucket; -ossalias names are not bucket names', async () => {
    const vpcAlias = await createAp('ap-vpc', BUCKET, 'vpc');
    expect(await send('PUT', BUCKET, null, [['accessPointPolicy', '']], { headers: named('ap-vpc'), body: policyDoc({ Effect: 'Allow', Action: ['oss:*'], Principal: [ACCOUNT_ID], Resource: [`${apArn('ap-vpc')}/object/*`] }) }), 200);
    expect(await send('GET', vpcAlias, 'a.txt'), 403, 'AccessDenied');
    expect(await send('GET', 'ap-nothing-0123456789abcdef012345-ossalias', 'a.txt'), 404, 'NoSuchBucket');
    expect(await send('PUT', 'my-bucket-ossalias', null), 400, 'InvalidBucketName');
    expect(await send('DELETE', BUCKET, null, [['accessPoint', '']], { headers: named('ap-vpc') }), 204);
    expect(await send('GET', vpcAlias, 'a.txt'), 404, 'NoSuchBucket');
  });

  test('Object FC access points: stored, validated and returned; their alias needs Function Compute (501)', async () => {
    const fcName = { 'x-oss-access-point-for-object-process-name': 'fc-ap-01' };
    const config = (fn: string, action = 'GetObject'): string => `<ObjectProcessConfiguration><AllowedFeatures><AllowedFeature>GetObject-Range</AllowedFeature></AllowedFeatures><TransformationConfigurations><TransformationConfiguration><Actions><Action>${action}</Action></Actions><ContentTransformation><FunctionCompute><FunctionAssumeRoleArn>acs:ram::${ACCOUNT_ID}:role/aliyunfcdefaultrole</FunctionAssumeRoleArn><FunctionArn>${fn}</FunctionArn></FunctionCompute></ContentTransformation></TransformationConfiguration></TransformationConfigurations></ObjectProcessConfiguration>`;
    const fn = `acs:fc:cn-hangzhou:${ACCOUNT_ID}:services/test.LATEST/functions/resize`;
    const create = (body: string): Promise<Reply> => send('PUT', BUCKET, null, [['accessPointForObjectProcess', '']], { headers: fcName, body: `<CreateAccessPointForObjectProcessConfiguration>${body}</CreateAccessPointForObjectProcessConfiguration>` });
    expect(await create(`<AccessPointName>ap-one</AccessPointName>${config('not-an-arn')}`), 400, 'InvalidArgument');
    expect(await create(`<AccessPointName>ap-one</AccessPointName>${config(fn, 'PutObject')}`), 400, 'InvalidArgument');
    expect(await create(`<AccessPointName>ap-missing</AccessPointName>${config(fn)}`), 404, 'NoSuchAccessPoint');
    expect(await create(`<AccessPointName>ap-one</AccessPointName><Unknown>1</Unknown>${config(fn)}`), 400, 'MalformedXML');
    const made = expect(await create(`<AccessPointName>ap-one</AccessPointName>${config(fn)}<AllowAnonymousAccessForObjectProcess>false</AllowAnonymousAccessForObjectProcess>`), 200).text;
    const fcAlias = /<AccessPointForObjectProcessAlias>([^<]+)</.exec(made)![1]!;
    assert.match(made, new RegExp(`<AccessPointForObjectProcessArn>acs:oss:cn-hangzhou:${ACCOUNT_ID}:accesspointforobjectprocess/fc-ap-01</AccessPointForObjectProcessArn>`));
    assert.match(fcAlias, /^fc-ap-01-[0-9a-f]+-opapalias$/);
    expect(await create(`<AccessPointName>ap-one</AccessPointName>${config(fn)}`), 409, 'AccessPointForObjectProcessAlreadyExists');
    const got = expect(await send('GET', BUCKET, null, [['accessPointForObjectProcess', '']], { headers: fcName }), 200).text;
    assert.ok(got.includes(`<GetAccessPointForObjectProcessResult><AccessPointNameForObjectProcess>fc-ap-01</AccessPointNameForObjectProcess><AccessPointForObjectProcessAlias>${fcAlias}</AccessPointForObjectProcessAlias><AccessPointName>ap-one</AccessPointName><AccountId>${ACCOUNT_ID}</AccountId>`), got);
    const list = expect(await send('GET', null, null, [['accessPointForObjectProcess', '']]), 200).text;
    assert.ok(list.includes('<AccessPointNameForObjectProcess>fc-ap-01</AccessPointNameForObjectProcess>'), list);
    // Config round trip.
    const cfg = `<PutAccessPointConfigForObjectProcessConfiguration>${config(fn.replace('resize', 'watermark'))}<AllowAnonymousAccessForObjectProcess>true</AllowAnonymousAccessForObjectProcess><PublicAccessBlockConfiguration><BlockPublicAccess>false</BlockPublicAccess></PublicAccessBlockConfiguration></PutAccessPointConfigForObjectProcessConfiguration>`;
    expect(await send('PUT', BUCKET, null, [['accessPointConfigForObjectProcess', '']], { headers: fcName, body: cfg }), 200);
    const gotCfg = expect(await send('GET', BUCKET, null, [['accessPointConfigForObjectProcess', '']], { headers: fcName }), 200).text;
    assert.ok(gotCfg.includes('functions/watermark</FunctionArn>') && gotCfg.includes('<AllowAnonymousAccessForObjectProcess>true</AllowAnonymousAccessForObjectProcess><PublicAccessBlockConfiguration><BlockPublicAccess>false</BlockPublicAccess>'), gotCfg);
    // Policy round trip.
    const policyQ: Array<[string, string]> = [['accessPointPolicyForObjectProcess', '']];
    expect(await send('GET', BUCKET, null, policyQ, { headers: fcName }), 404, 'NoSuchAccessPointPolicyForObjectProcess');
    expect(await send('PUT', BUCKET, null, policyQ, { headers: fcName, body: '{"Version":"1","Statement":[{"Effect":"Perhaps"}]}' }), 400, 'InvalidPolicyDocument');
    const policy = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Principal: [ACCOUNT_ID], Resource: [`acs:oss:cn-hangzhou:${ACCOUNT_ID}:accesspointforobjectprocess/fc-ap-01/object/*`] });
    expect(await send('PUT', BUCKET, null, policyQ, { headers: fcName, body: policy }), 200);
    assert.equal(expect(await send('GET', BUCKET, null, policyQ, { headers: fcName }), 200).text, policy);
    expect(await send('DELETE', BUCKET, null, policyQ, { headers: fcName }), 204);
    expect(await send('GET', BUCKET, null, policyQ, { headers: fcName }), 404, 'NoSuchAccessPointPolicyForObjectProcess');
    // Through its alias: Function Compute would run; not here.
    expect(await send('GET', fcAlias, 'a.txt'), 501, 'NotImplemented');
    expect(await send('DELETE', BUCKET, null, [['accessPointForObjectProcess', '']], { headers: fcName }), 204);
    expect(await send('GET', BUCKET, null, [['accessPointForObjectProcess', '']], { headers: fcName }), 404, 'NoSuchAccessPointForObjectProcess');
    expect(await send('GET', fcAlias, 'a.txt'), 404, 'NoSuchBucket');
  });

  test('Object FC access point policy: Block Public Access (access point, bucket or account) refuses a public one, as for access points', async () => {
    const fcName = { 'x-oss-access-point-for-object-process-name': 'fc-bpa' };
    const fn = `acs:fc:cn-hangzhou:${ACCOUNT_ID}:services/test.LATEST/functions/resize`;
    const config = `<ObjectProcessConfiguration><AllowedFeatures><AllowedFeature>GetObject-Range</AllowedFeature></AllowedFeatures><TransformationConfigurations><TransformationConfiguration><Actions><Action>GetObject</Action></Actions><ContentTransformation><FunctionCompute><FunctionAssumeRoleArn>acs:ram::${ACCOUNT_ID}:role/aliyunfcdefaultrole</FunctionAssumeRoleArn><FunctionArn>${fn}</FunctionArn></FunctionCompute></ContentTransformation></TransformationConfiguration></TransformationConfigurations></ObjectProcessConfiguration>`;
    expect(await send('PUT', BUCKET, null, [['accessPointForObjectProcess', '']], { headers: fcName, body: `<CreateAccessPointForObjectProcessConfiguration><AccessPointName>ap-one</AccessPointName>${config}</CreateAccessPointForObjectProcessConfiguration>` }), 200);
    const policyQ: Array<[string, string]> = [['accessPointPolicyForObjectProcess', '']];
    const fcArn = `acs:oss:cn-hangzhou:${ACCOUNT_ID}:accesspointforobjectprocess/fc-bpa`;
    const publicPolicy = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`${fcArn}/object/*`] });
    const ownerPolicy = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Principal: [ACCOUNT_ID], Resource: [`${fcArn}/object/*`] });
    const putFcPolicy = (body: string): Promise<Reply> => send('PUT', BUCKET, null, policyQ, { headers: fcName, body });
    const refused = async (r: Promise<Reply>): Promise<void> => {
      assert.match(expect(await r, 403, 'AccessDenied').text, /Put public access point policy is not allowed/);
      expect(await send('GET', BUCKET, null, policyQ, { headers: fcName }), 404, 'NoSuchAccessPointPolicyForObjectProcess');
    };
    // The access point's own Block Public Access (off at creation, turned on by PutAccessPointConfigForObjectProcess).
    const off = `<PutAccessPointConfigForObjectProcessConfiguration>${config}<PublicAccessBlockConfiguration><BlockPublicAccess>false</BlockPublicAccess></PublicAccessBlockConfiguration></PutAccessPointConfigForObjectProcessConfiguration>`;
    expect(await send('PUT', BUCKET, null, [['accessPointConfigForObjectProcess', '']], { headers: fcName, body: off.replace('>false<', '>true<') }), 200);
    await refused(putFcPolicy(publicPolicy));
    expect(await putFcPolicy(ownerPolicy), 200);
    expect(await send('DELETE', BUCKET, null, policyQ, { headers: fcName }), 204);
    expect(await send('PUT', BUCKET, null, [['accessPointConfigForObjectProcess', '']], { headers: fcName, body: off }), 200);
    expect(await putFcPolicy(publicPolicy), 200);
    expect(await send('DELETE', BUCKET, null, policyQ, { headers: fcName }), 204);
    // The bucket's Block Public Access refuses it too, and a public access point policy (ap-one blocks nothing now).
    expect(await send('DELETE', BUCKET, null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-one']]), 204);
    const apPublic = { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`${apArn('ap-one')}/object/*`] };
    const pab = (on: boolean): string => `<PublicAccessBlockConfiguration><BlockPublicAccess>${on}</BlockPublicAccess></PublicAccessBlockConfiguration>`;
    expect(await send('PUT', BUCKET, null, [['publicAccessBlock', '']], { body: pab(true) }), 200);
    await refused(putFcPolicy(publicPolicy));
    expect(await putApPolicy('ap-one', apPublic), 403, 'AccessDenied');
    expect(await send('DELETE', BUCKET, null, [['publicAccessBlock', '']]), 204);
    // The account's Block Public Access as well.
    expect(await send('PUT', null, null, [['publicAccessBlock', '']], { body: pab(true) }), 200);
    await refused(putFcPolicy(publicPolicy));
    expect(await putApPolicy('ap-one', apPublic), 403, 'AccessDenied');
    expect(await send('DELETE', null, null, [['publicAccessBlock', '']]), 204);
    expect(await putFcPolicy(publicPolicy), 200);
    expect(await send('DELETE', BUCKET, null, [['accessPointForObjectProcess', '']], { headers: fcName }), 204);
  });

  test('the access point policy is prepared once per stored document; a Put or Delete takes effect at once', async () => {
    const cacheAlias = await createAp('ap-cache');
    const arn = apArn('ap-cache');
    // Block Public Access is on (the default): the policy is filtered of public statements before it is compiled.
    const allow = { Effect: 'Allow', Action: ['oss:GetObject'], Principal: [ACCOUNT_ID], Resource: [`${arn}/object/*`] };
    const pinned = { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`${arn}/object/*`], Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } } };
    expect(await putApPolicy('ap-cache', allow, pinned), 200);
    const before = accessPointPolicyCompilations();
    for (let i = 0; i < 5; i++) assert.equal(expect(await send('GET', cacheAlias, 'a.txt'), 200).text, 'hello');
    assert.equal(accessPointPolicyCompilations() - before, 1, 'five requests through the alias prepare the policy once');
    // A Deny replaces it: refused on the next request, prepared once again.
    expect(await putApPolicy('ap-cache', allow, { Effect: 'Deny', Action: ['oss:GetObject'], Principal: [ACCOUNT_ID], Resource: [`${arn}/object/*`] }), 200);
    for (let i = 0; i < 3; i++) expect(await send('GET', cacheAlias, 'a.txt'), 403, 'AccessDenied');
    assert.equal(accessPointPolicyCompilations() - before, 2);
    expect(await send('DELETE', BUCKET, null, [['accessPointPolicy', '']], { headers: named('ap-cache') }), 204);
    expect(await send('GET', cacheAlias, 'a.txt'), 403, 'AccessDenied');
    expect(await putApPolicy('ap-cache', allow), 200);
    expect(await send('GET', cacheAlias, 'a.txt'), 200);
    expect(await send('DELETE', BUCKET, null, [['accessPoint', '']], { headers: named('ap-cache') }), 204);
  });

  test('explicit Deny refuses the new operations, with nothing stored', async () => {
    const u = await ram.userWith('ap-admin', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:PutAccessPointPublicAccessBlock', 'oss:CreateAccessPointForObjectProcess'], Resource: [`acs:oss:*:*:${BUCKET}`] },
    ));
    const body = '<PublicAccessBlockConfiguration><BlockPublicAccess>false</BlockPublicAccess></PublicAccessBlockConfiguration>';
    expect(await send('PUT', BUCKET, null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-one']], { body: body.replace('false', 'true'), creds: credsOf(u) }), 403, 'AccessDenied');
    assert.match(expect(await send('GET', BUCKET, null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-one']], { creds: credsOf(u) }), 200).text, /<BlockPublicAccess>false</);
    expect(await send('PUT', BUCKET, null, [['accessPointForObjectProcess', '']], { headers: { 'x-oss-access-point-for-object-process-name': 'fc-denied' }, body: '<CreateAccessPointForObjectProcessConfiguration/>', creds: credsOf(u) }), 403, 'AccessDenied');
  });

  test('bucket-level ListAccessPoints: GET /?accessPoint on a bucket without a name lists that bucket\'s access points', async () => {
    await srv.client().putBucket('ap-list-other');
    await createAp('ap-elsewhere', 'ap-list-other');
    const names = (text: string): string[] => [...text.matchAll(/<AccessPointName>([^<]+)<\/AccessPointName>/g)].map((m) => m[1]!);
    for (const virtual of [false, true]) {
      const mine = names(expect(await send('GET', BUCKET, null, [['accessPoint', '']], { virtual }), 200).text);
      assert.ok(mine.includes('ap-one'), mine.join());
      assert.ok(!mine.includes('ap-elsewhere'), mine.join());
      assert.deepEqual(names(expect(await send('GET', 'ap-list-other', null, [['accessPoint', '']], { virtual }), 200).text), ['ap-elsewhere']);
    }
    // The account-level call still lists every bucket's.
    const all = names(expect(await send('GET', null, null, [['accessPoint', '']]), 200).text);
    assert.ok(all.includes('ap-one') && all.includes('ap-elsewhere'), all.join());
    // Bucket-level pages hold at most 100 (account-level 1,000).
    expect(await send('GET', BUCKET, null, [['accessPoint', ''], ['max-keys', '101']]), 400, 'InvalidArgument');
    expect(await send('GET', null, null, [['accessPoint', ''], ['max-keys', '101']]), 200);
    // Authorized as oss:ListAccessPoints on the bucket.
    expect(await send('GET', BUCKET, null, [['accessPoint', '']], { creds: credsOf(outsider) }), 403, 'AccessDenied');
    const lister = await ram.userWith('ap-lister', policyDoc({ Effect: 'Allow', Action: ['oss:ListAccessPoints'], Resource: [`acs:oss:*:*:${BUCKET}`] }));
    assert.ok(names(expect(await send('GET', BUCKET, null, [['accessPoint', '']], { creds: credsOf(lister) }), 200).text).includes('ap-one'));
    expect(await send('GET', 'ap-list-other', null, [['accessPoint', '']], { creds: credsOf(lister) }), 403, 'AccessDenied');
    // With the name header it is still GetAccessPoint.
    assert.match(expect(await send('GET', BUCKET, null, [['accessPoint', '']], { headers: named('ap-one') }), 200).text, /<GetAccessPointResult>/);
  });

  test('cross-account: account B, allowed by the bucket policy, creates access points in the owner A\'s account', async () => {
    await srv.accounts.create({ accountId: B, name: 'partner', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    await srv.client().putBucketPolicy(BUCKET, JSON.parse(policyDoc({ Effect: 'Allow', Action: ['oss:CreateAccessPoint', 'oss:GetAccessPoint'], Principal: [B], Resource: [`acs:oss:*:*:${BUCKET}`] })));
    const bAlias = await createAp('ap-by-b', BUCKET, 'internet', [B_AK, B_SECRET]);
    const got = expect(await send('GET', BUCKET, null, [['accessPoint', '']], { headers: named('ap-by-b'), creds: [B_AK, B_SECRET] }), 200).text;
    assert.ok(got.includes(`<AccountId>${ACCOUNT_ID}</AccountId>`) && got.includes(`<AccessPointArn>${apArn('ap-by-b')}</AccessPointArn>`), got);
    assert.ok(!got.includes(B), got);
    // Listed in A's account, not B's.
    assert.ok(expect(await send('GET', null, null, [['accessPoint', '']]), 200).text.includes('<AccessPointName>ap-by-b</AccessPointName>'));
    assert.ok(!expect(await send('GET', null, null, [['accessPoint', '']], { creds: [B_AK, B_SECRET] }), 200).text.includes('ap-by-b'));
    // A's name space: A cannot make another ap-by-b; B's own bucket still can.
    expect(await send('PUT', BUCKET, null, [['accessPoint', '']], { body: '<CreateAccessPointConfiguration><AccessPointName>ap-by-b</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>' }), 409, 'AccessPointAlreadyExists');
    await srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET }).putBucket('ap-b-own');
    await createAp('ap-by-b', 'ap-b-own', 'internet', [B_AK, B_SECRET]);
    expect(await send('GET', bAlias, 'a.txt', [], { creds: [B_AK, B_SECRET] }), 403, 'AccessDenied');
    await srv.client().deleteBucketPolicy(BUCKET);
  });

  test('cross-account: a CNAME bound to another of the owner\'s buckets cannot be bound again by account B', async () => {
    const cname = (domain: string): string => `<BucketCnameConfiguration><Cname><Domain>${domain}</Domain></Cname></BucketCnameConfiguration>`;
    await srv.client().putBucket('ap-cname-a2');
    // The owner A proves the domains (tokens; the server is in token mode).
    expect(await send('POST', 'ap-cname-a2', null, [['cname', ''], ['comp', 'token']], { body: cname('img.example.com') }), 200);
    expect(await send('POST', BUCKET, null, [['cname', ''], ['comp', 'token']], { body: cname('img.example.com') }), 200);
    expect(await send('POST', BUCKET, null, [['cname', ''], ['comp', 'token']], { body: cname('cdn.example.com') }), 200);
    expect(await send('POST', 'ap-cname-a2', null, [['cname', ''], ['comp', 'add']], { body: cname('img.example.com') }), 200);
    await srv.client().putBucketPolicy(BUCKET, JSON.parse(policyDoc({ Effect: 'Allow', Action: ['oss:PutCname'], Principal: [B], Resource: [`acs:oss:*:*:${BUCKET}`] })));
    // Held by another bucket (of any account: the binding is unique store-wide).
    expect(await send('POST', BUCKET, null, [['cname', ''], ['comp', 'add']], { body: cname('img.example.com'), creds: [B_AK, B_SECRET] }), 409, 'CnameAlreadyExists');
    expect(await send('POST', BUCKET, null, [['cname', ''], ['comp', 'add']], { body: cname('cdn.example.com'), creds: [B_AK, B_SECRET] }), 200);
    await srv.client().deleteBucketPolicy(BUCKET);
  });
});
