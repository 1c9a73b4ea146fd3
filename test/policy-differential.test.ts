// Differential test of enforcement against its explanations (docs/policy.md): seeded random identity, group, role,
// session and bucket policies, ACLs and Block Public Access, for the account root, a RAM user, a role session with and
// without a session policy, another account's RAM user and anonymous callers, across OSS operations. Each case sends
// one real signed request and compares its answer (status, code, message) with what ExplainRequest recorded for it and
// what SimulatePrincipalPolicy says of the same request. Every difference is a bug in one of them.
// ALUNITE_DIFF_CASES / ALUNITE_DIFF_SEED change the run (defaults: 500 cases, seed 0x5eed).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT } from './helpers/sts.js';
import { signedRequest, type SignedReply } from './helpers/signed.js';
import { rawRequest, errorOf } from './helpers/raw-http.js';
import { mulberry32 } from './helpers/seeded-random.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const CASES = Number(process.env.ALUNITE_DIFF_CASES ?? 500);
const SEED = Number(process.env.ALUNITE_DIFF_SEED ?? 0x5eed);
const B = 'diffb';
const OTHER = '2000000000000002';
const ARN = (key?: string): string => `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${B}${key === undefined ? '' : `/${key}`}`;

const rng = mulberry32;

type Who = 'root' | 'user' | 'session' | 'session+policy' | 'cross' | 'anonymous';
type Acl = 'private' | 'public-read' | 'public-read-write';

/** One OSS check as the simulator is asked it: action, resource, the request's condition keys of that check. */
interface SimCheck {
  action: string;
  resource: string;
  context?: Record<string, string>;
  /**
   * The check an ACL grants with the write it comes with (tags written with an object), unlike the operation named like
   * its action (PutObjectTagging alone): where no policy decides, the simulator cannot say (docs/policy.md).
   */
  aclLikeWrite?: true;
}

interface Op {
  name: string;
  method: string;
  key: string | null;
  query: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: string;
  /** The checks the request makes, in order (all must pass); null: not simulated (the simulator takes one action). */
  checks: SimCheck[];
  bucket?: string | null;
  /** A RAM API call instead of an OSS request: its action and parameters. */
  ram?: { action: string; params: Record<string, string>; apiVersion?: string };
}

const TAGGED = 'data/a.txt';
const RULES: ReadonlySet<unknown> = new Set(['referer', 'request-payment', 'public-access-block']);
const TAGS: Record<string, string> = { team: 'blue' };

describe('policy differential: enforcement = ExplainRequest = SimulatePrincipalPolicy', { timeout: 600_000 }, () => {
  let srv: TestServer;
  let ram: Ram;
  let other: RPCClient;
  let user: { ak: string; sk: string; id: string };
  let assumer: { ak: string; sk: string };
  let cross: { ak: string; sk: string; id: string };
  let taggedVersion = '';

  const root = (method: string, key: string | null, query: Array<[string, string]>, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<SignedReply> =>
    signedRequest(srv.port, method, B, key, query, opts);
  const ok = (r: SignedReply): SignedReply => {
    assert.ok(r.status < 300, `${r.status} ${r.text.slice(0, 300)}`);
    return r;
  };

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    ok(await root('PUT', null, []));
    ok(await root('PUT', null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    const put = ok(await root('PUT', TAGGED, [], { body: 'a', headers: { 'x-oss-tagging': 'team=blue' } }));
    taggedVersion = String(put.headers['x-oss-version-id']);
    for (const k of ['data/b.txt', 'data/c.txt', 'w/t.txt', 'w/acl.txt']) ok(await root('PUT', k, [], { body: k }));

    const placeholder = policyDoc({ Effect: 'Allow', Action: 'ram:GetUser', Resource: '*' });
    for (const p of ['p-user', 'p-group', 'p-role']) await ram.createPolicy(p, placeholder);
    const u = await ram.user('dev');
    user = { ak: u.accessKeyId, sk: u.accessKeySecret, id: u.userId };
    await ram.call('CreateGroup', { GroupName: 'devs' });
    await ram.call('AddUserToGroup', { GroupName: 'devs', UserName: 'dev' });
    await ram.attachToUser('p-user', 'dev');
    await ram.call('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'p-group', GroupName: 'devs' });
    await ram.call('CreateRole', { RoleName: 'R', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'p-role', RoleName: 'R' });
    const a = await ram.user('assumer');
    await ram.attachToUser('AliyunSTSAssumeRoleAccess', 'assumer', 'System');
    assumer = { ak: a.accessKeyId, sk: a.accessKeySecret };

    const acct = await srv.accounts.create({ accountId: OTHER, name: 'partner' });
    other = new RPCClient({ accessKeyId: acct.accessKeyId, accessKeySecret: acct.accessKeySecret, endpoint: srv.url, apiVersion: '2015-05-01' });
    const call = (action: string, params: Record<string, unknown>): Promise<Body> => other.request<Body>(action, params, { method: 'POST' });
    const x = await call('CreateUser', { UserName: 'x' });
    const xk = await call('CreateAccessKey', { UserName: 'x' });
    cross = { ak: xk.AccessKey.AccessKeyId, sk: xk.AccessKey.AccessKeySecret, id: x.User.UserId };
    await call('CreatePolicy', { PolicyName: 'p-x', PolicyDocument: placeholder });
    await call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'p-x', UserName: 'x' });
  });
  after(() => srv.stop());

  // ---- generators --------------------------------------------------------------------------------------------

  function generator(r: () => number) {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const some = <T>(xs: readonly T[], max: number): T[] => {
      const n = 1 + Math.floor(r() * max);
      return Array.from({ length: n }, () => pick(xs));
    };
    const ACTIONS = [
      'oss:GetObject', 'oss:PutObject', 'oss:DeleteObject', 'oss:ListObjects', 'oss:GetObjectAcl', 'oss:PutObjectTagging',
      'oss:GetObjectTagging', 'oss:GetObjectVersion', 'oss:DeleteObjectVersion', 'oss:ListObjectVersions', 'oss:GetBucketAcl',
      'oss:GetBucketInfo', 'oss:*', 'oss:Get*', 'oss:List*', 'oss:*Object', 'oss:getobject', 'oss:Put*', '*', 'oss:ListBuckets',
      'oss:GetObjectVersionAcl', 'oss:GetObjectVersionTagging', 'oss:*Version*', 'oss:PutObjectAcl', 'oss:PutBucketTagging', 'oss:DeleteObject*',
      'ram:GetUser', 'ram:List*', 'ram:*', 'ram:GetRole', 'sts:AssumeRole', 'sts:*',
    ];
    const OWNER_SAFE = [
      'oss:GetObject', 'oss:Get*', 'oss:List*', 'oss:DeleteObject', 'oss:GetObjectVersion', 'oss:ListObjects', 'oss:GetObjectAcl',
      'oss:GetObjectTagging', 'oss:GetBucketAcl', 'oss:GetBucketInfo', 'oss:ListObjectVersions', 'oss:PutObjectTagging',
    ];
    const RESOURCES = [
      '*', `acs:oss:*:*:${B}/*`, `acs:oss:*:*:${B}`, `acs:oss:*:*:${B}/data/*`, `acs:oss:*:${ACCOUNT_ID}:${B}/w/*`,
      'acs:oss:*:*:elsewhere/*', `acs:oss:*:*:${B}/data/?.txt`, `acs:oss:cn-hangzhou:*:${B}*`, 'acs:oss:*:*:*',
      `acs:ram:*:${ACCOUNT_ID}:user/*`, 'acs:ram::*:role/R', `acs:ram::${ACCOUNT_ID}:user/dev`,
    ];
    const far = { past: '2001-01-01T00:00:00Z', future: '2100-01-01T00:00:00+08:00' };
    const CONDITIONS: Array<() => Record<string, Record<string, string | string[]>>> = [
      () => ({ IpAddress: { 'acs:SourceIp': pick(['127.0.0.0/8', '10.0.0.0/8', '127.0.0.1', '::1/128', '127.*.*.1', ['192.168.0.0/16', '127.0.0.1/32']].flat()) } }),
      () => ({ NotIpAddress: { 'acs:SourceIp': pick(['127.0.0.0/8', '10.0.0.0/8', '2001:db8::/32']) } }),
      () => ({ [pick(['DateLessThan', 'DateGreaterThan', 'DateLessThanEquals', 'DateNotEquals'])]: { 'acs:CurrentTime': pick([far.past, far.future]) } }),
      () => ({ Bool: { 'acs:SecureTransport': pick(['true', 'false', 'TRUE', 'False']) } }),
      () => ({ Bool: { 'acs:MFAPresent': pick(['true', 'false']) } }),
      () => ({ [pick(['StringLike', 'StringNotLike', 'StringEquals'])]: { 'oss:Prefix': pick(['data/*', 'data/', '', 'w*']) } }),
      () => ({ [pick(['StringEquals', 'StringNotEquals'])]: { 'oss:Delimiter': pick(['/', '']) } }),
      () => ({ [pick(['StringLike', 'StringNotLike'])]: { 'acs:AccessId': pick(['STS.*', 'LTAI*', '*']) } }),
      () => ({ [pick(['StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringEquals'])]: { 'oss:ExistingObjectTag/team': pick(['BLUE', 'blue', 'red']) } }),
      () => ({ [pick(['StringEquals', 'StringNotEquals'])]: { 'oss:RequestObjectTag/team': pick(['red', 'blue']) } }),
      () => ({ [pick(['StringLike', 'StringNotLike'])]: { 'acs:Referer': pick(['http://good.example/*', '*']) } }),
      () => ({ [pick(['NumericLessThan', 'NumericNotEquals'])]: { 'acs:Referer': '10' } }),
      () => ({ [pick(['StringEquals', 'StringNotEquals'])]: { 'ACS:sourceip': '127.0.0.1' } }),
    ];
    const statement = (kind: 'identity' | 'bucket'): Record<string, unknown> => {
      const st: Record<string, unknown> = { Effect: r() < 0.65 ? 'Allow' : 'Deny' };
      st[r() < 0.85 ? 'Action' : 'NotAction'] = some(ACTIONS, 3);
      st[r() < 0.85 ? 'Resource' : 'NotResource'] = some(RESOURCES, 2);
      if (kind === 'bucket') {
        st.Principal = pick([['*'], [user.id], [ACCOUNT_ID], [cross.id], [OTHER], [`arn:sts::${ACCOUNT_ID}:assumed-role/R/*`], [], ['*', user.id]]);
        // A Deny that can bind the owner's root (docs/policy.md) never names what the test's root sets the world with.
        const bindsOwner = (st.Principal as string[]).some((p) => p === '*' || p === ACCOUNT_ID) || (st.Principal as string[]).length === 0;
        if (st.Effect === 'Deny' && bindsOwner) {
          delete st.NotAction;
          st.Action = some(OWNER_SAFE, 3);
        }
        // A bucket policy's Resource must name its own bucket (PutBucketPolicy checks it).
        st[('Resource' in st) ? 'Resource' : 'NotResource'] = some([`acs:oss:*:*:${B}/*`, `acs:oss:*:*:${B}`, `acs:oss:*:*:${B}/data/*`, `acs:oss:*:${ACCOUNT_ID}:${B}/w/*`], 2);
      }
      if (r() < 0.5) {
        const cond: Record<string, Record<string, string | string[]>> = {};
        for (let i = 0; i < 1 + Math.floor(r() * 2); i++) Object.assign(cond, pick(CONDITIONS)());
        st.Condition = cond;
      }
      return st;
    };
    const doc = (kind: 'identity' | 'bucket', max: number): string => policyDoc(...Array.from({ length: 1 + Math.floor(r() * max) }, () => statement(kind)));
    return { pick, r, doc };
  }

  function opOf(name: string, g: ReturnType<typeof generator>, account: string): Op {
    const dataKey = g.pick(['data/a.txt', 'data/b.txt', 'data/c.txt']);
    const fresh = `w/${g.pick(['n1', 'n2', 'n3'])}.txt`;
    const get = (action: string, key: string): SimCheck => ({ action, resource: ARN(key) });
    switch (name) {
      case 'GetObject': return { name, method: 'GET', key: dataKey, query: [], checks: [get('oss:GetObject', dataKey)] };
      case 'HeadObject': return { name, method: 'HEAD', key: dataKey, query: [], checks: [get('oss:GetObject', dataKey)] };
      case 'GetObjectVersion': return { name, method: 'GET', key: TAGGED, query: [['versionId', taggedVersion]], checks: [get('oss:GetObjectVersion', TAGGED)] };
      case 'PutObject': return { name, method: 'PUT', key: fresh, query: [], body: 'x', checks: [get('oss:PutObject', fresh)] };
      case 'PutObjectWithTags': return {
        name, method: 'PUT', key: fresh, query: [], body: 'x', headers: { 'x-oss-tagging': 'team=red' },
        // The request's condition keys are the same for each of its checks.
        checks: [{ ...get('oss:PutObject', fresh), context: { 'oss:RequestObjectTag/team': 'red' } }, { ...get('oss:PutObjectTagging', fresh), context: { 'oss:RequestObjectTag/team': 'red' }, aclLikeWrite: true }],
      };
      case 'DeleteObject': return { name, method: 'DELETE', key: fresh, query: [], checks: [get('oss:DeleteObject', fresh)] };
      case 'ListObjects': {
        const prefix = g.pick(['', 'data/', 'w/']);
        const delimiter = g.pick(['', '/']);
        const query: Array<[string, string]> = [];
        if (prefix !== '') query.push(['prefix', prefix]);
        if (delimiter !== '') query.push(['delimiter', delimiter]);
        if (g.r() < 0.3) query.push(['list-type', '2']);
        return { name, method: 'GET', key: null, query, checks: [{ action: 'oss:ListObjects', resource: ARN(), context: { 'oss:Prefix': prefix, 'oss:Delimiter': delimiter } }] };
      }
      case 'ListObjectVersions': return { name, method: 'GET', key: null, query: [['versions', '']], checks: [{ action: 'oss:ListObjectVersions', resource: ARN(), context: { 'oss:Prefix': '', 'oss:Delimiter': '' } }] };
      case 'GetObjectAcl': return { name, method: 'GET', key: dataKey, query: [['acl', '']], checks: [get('oss:GetObjectAcl', dataKey)] };
      case 'GetObjectTagging': return { name, method: 'GET', key: dataKey, query: [['tagging', '']], checks: [get('oss:GetObjectTagging', dataKey)] };
      case 'PutObjectTagging': return {
        name, method: 'PUT', key: 'w/t.txt', query: [['tagging', '']],
        body: '<Tagging><TagSet><Tag><Key>team</Key><Value>red</Value></Tag></TagSet></Tagging>',
        checks: [{ ...get('oss:PutObjectTagging', 'w/t.txt'), context: { 'oss:RequestObjectTag/team': 'red' } }],
      };
      case 'CopyObject': {
        const checks: SimCheck[] = [get('oss:GetObject', dataKey), get('oss:PutObject', fresh)];
        // The source's tags move with the copy: reading and writing them are checked too.
        if (dataKey === TAGGED) checks.push(get('oss:GetObjectTagging', dataKey), { ...get('oss:PutObjectTagging', fresh), aclLikeWrite: true });
        return { name, method: 'PUT', key: fresh, query: [], headers: { 'x-oss-copy-source': `/${B}/${dataKey}` }, checks };
      }
      case 'GetObjectVersionAcl': return { name, method: 'GET', key: TAGGED, query: [['acl', ''], ['versionId', taggedVersion]], checks: [get('oss:GetObjectVersionAcl', TAGGED)] };
      case 'GetObjectVersionTagging': return { name, method: 'GET', key: TAGGED, query: [['tagging', ''], ['versionId', taggedVersion]], checks: [get('oss:GetObjectVersionTagging', TAGGED)] };
      case 'HeadObjectVersion': return { name, method: 'HEAD', key: TAGGED, query: [['versionId', taggedVersion]], checks: [get('oss:GetObjectVersion', TAGGED)] };
      case 'CopyObjectVersion': return {
        name, method: 'PUT', key: fresh, query: [], headers: { 'x-oss-copy-source': `/${B}/${TAGGED}?versionId=${taggedVersion}` },
        checks: [get('oss:GetObjectVersion', TAGGED), get('oss:PutObject', fresh), get('oss:GetObjectVersionTagging', TAGGED), { ...get('oss:PutObjectTagging', fresh), aclLikeWrite: true }],
      };
      case 'RamGetUser': return { name, method: 'POST', key: null, query: [], ram: { action: 'GetUser', params: { UserName: 'dev' } }, checks: [] };
      case 'RamListUsers': return { name, method: 'POST', key: null, query: [], ram: { action: 'ListUsers', params: {} }, checks: [] };
      case 'AssumeRole': return { name, method: 'POST', key: null, query: [], ram: { action: 'AssumeRole', params: { RoleArn: roleArn('R'), RoleSessionName: 'diff' }, apiVersion: '2015-04-01' }, checks: [] };
      case 'RamGetRole': return { name, method: 'POST', key: null, query: [], ram: { action: 'GetRole', params: { RoleName: 'R' } }, checks: [] };
      case 'PutObjectAcl': {
        const acl = g.pick(['private', 'public-read', 'default']);
        return {
          name, method: 'PUT', key: 'w/acl.txt', query: [['acl', '']], headers: { 'x-oss-object-acl': acl },
          checks: [{ ...get('oss:PutObjectAcl', 'w/acl.txt'), context: { 'oss:x-oss-object-acl': acl } }],
        };
      }
      case 'DeleteMultipleObjects': {
        const body = '<Delete><Quiet>true</Quiet><Object><Key>w/n1.txt</Key></Object><Object><Key>w/n2.txt</Key></Object></Delete>';
        return {
          name, method: 'POST', key: null, query: [['delete', '']], body, headers: { 'content-md5': createHash('md5').update(body).digest('base64') },
          checks: [get('oss:DeleteObject', 'w/n1.txt'), get('oss:DeleteObject', 'w/n2.txt')],
        };
      }
      case 'PutBucketTags': return {
        name, method: 'PUT', key: null, query: [['tagging', '']], body: '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>',
        checks: [{ action: 'oss:PutBucketTagging', resource: ARN() }],
      };
      case 'InitiateMultipartUpload': return { name, method: 'POST', key: fresh, query: [['uploads', '']], checks: [get('oss:PutObject', fresh)] };
      case 'GetBucketAcl': return { name, method: 'GET', key: null, query: [['acl', '']], checks: [{ action: 'oss:GetBucketAcl', resource: ARN() }] };
      case 'GetBucketInfo': return { name, method: 'GET', key: null, query: [['bucketInfo', '']], checks: [{ action: 'oss:GetBucketInfo', resource: ARN() }] };
      case 'ListBuckets': return { name, method: 'GET', key: null, bucket: null, query: [], checks: [{ action: 'oss:ListBuckets', resource: `acs:oss:*:${account}:*` }] };
      default: throw new Error(name);
    }
  }
  const OPS = [
    'GetObject', 'HeadObject', 'GetObjectVersion', 'PutObject', 'PutObjectWithTags', 'DeleteObject', 'ListObjects', 'ListObjectVersions',
    'GetObjectAcl', 'GetObjectTagging', 'PutObjectTagging', 'CopyObject', 'InitiateMultipartUpload', 'GetBucketAcl', 'GetBucketInfo', 'ListBuckets',
    'RamGetUser', 'RamListUsers', 'RamGetRole', 'AssumeRole', 'PutObjectAcl', 'DeleteMultipleObjects', 'PutBucketTags', 'GetObjectVersionAcl', 'GetObjectVersionTagging', 'HeadObjectVersion', 'CopyObjectVersion',
  ];

  // ---- the world a case sets ---------------------------------------------------------------------------------

  let current = { bucketAcl: 'private' as Acl, bpa: false, policy: null as string | null, referer: null as string | null };
  const objectAcls = new Map<string, string>();

  async function setPolicy(name: string, doc: string, client?: RPCClient): Promise<void> {
    const params = { PolicyName: name, PolicyDocument: doc, SetAsDefault: 'true', RotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded' };
    if (client) await client.request('CreatePolicyVersion', params, { method: 'POST' });
    else await ram.call('CreatePolicyVersion', params);
  }

  async function setBucket(acl: Acl, bpa: boolean, policy: string | null, objectAcl: [string, string] | null, referer: string | null): Promise<void> {
    if (referer !== current.referer) {
      // No DeleteBucketReferer in OSS: an empty list allowing empty Referers is the default.
      const body = referer ?? '<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList></RefererList></RefererConfiguration>';
      ok(await root('PUT', null, [['referer', '']], { body }));
    }
    if (current.bpa && (!bpa || acl !== current.bucketAcl || policy !== current.policy || objectAcl !== null)) {
      ok(await root('PUT', null, [['publicAccessBlock', '']], { body: '<PublicAccessBlockConfiguration><BlockPublicAccess>false</BlockPublicAccess></PublicAccessBlockConfiguration>' }));
      current.bpa = false;
    }
    if (acl !== current.bucketAcl) ok(await root('PUT', null, [['acl', '']], { headers: { 'x-oss-acl': acl } }));
    for (const [k, v] of objectAcls) if (objectAcl?.[0] !== k && v !== 'default') ok(await root('PUT', k, [['acl', '']], { headers: { 'x-oss-object-acl': 'default' } })), objectAcls.set(k, 'default');
    if (objectAcl !== null && objectAcls.get(objectAcl[0]) !== objectAcl[1]) {
      ok(await root('PUT', objectAcl[0], [['acl', '']], { headers: { 'x-oss-object-acl': objectAcl[1] } }));
      objectAcls.set(objectAcl[0], objectAcl[1]);
    }
    if (policy !== current.policy) {
      if (policy === null) ok(await root('DELETE', null, [['policy', '']]));
      else ok(await root('PUT', null, [['policy', '']], { body: policy }));
    }
    if (bpa && !current.bpa) ok(await root('PUT', null, [['publicAccessBlock', '']], { body: '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>' }));
    current = { bucketAcl: acl, bpa, policy, referer };
  }

  /** The request as the case's principal: its keys (null: anonymous) and, for sessions, the token. */
  /** A RAM call as the case's principal, its answer in the OSS reply's shape (status, code, message, request id). */
  async function sendRam(op: Op, creds: { ak: string; sk: string; token?: string }): Promise<SignedReply> {
    const client = new RPCClient({ accessKeyId: creds.ak, accessKeySecret: creds.sk, endpoint: srv.url, apiVersion: op.ram!.apiVersion ?? '2015-05-01', ...(creds.token ? { securityToken: creds.token } : {}) } as ConstructorParameters<typeof RPCClient>[0]);
    try {
      const body = await client.request<Body>(op.ram!.action, op.ram!.params, { method: 'POST' });
      return { status: 200, headers: { 'x-oss-request-id': body.RequestId }, text: '', body: Buffer.alloc(0), err: null };
    } catch (e) {
      const err = e as { data?: Body; entry?: { response: { statusCode: number } } };
      return { status: err.entry?.response.statusCode ?? 0, headers: { 'x-oss-request-id': err.data?.RequestId }, text: '', body: Buffer.alloc(0), err: { Code: err.data?.Code, Message: err.data?.Message } };
    }
  }

  async function send(op: Op, creds: { ak: string; sk: string; token?: string } | null, extraHeaders: Record<string, string>): Promise<SignedReply> {
    if (op.ram !== undefined) return sendRam(op, creds!);
    const bucket = op.bucket === undefined ? B : op.bucket;
    const headers = { ...(op.headers ?? {}), ...extraHeaders, ...(creds?.token ? { 'x-oss-security-token': creds.token } : {}) };
    if (creds !== null) return signedRequest(srv.port, op.method, bucket, op.key, op.query, { headers, body: op.body, creds: [creds.ak, creds.sk] });
    const qs = op.query.length > 0 ? `?${op.query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}` : '';
    const path = `/${bucket === null ? '' : `${bucket}/${op.key ?? ''}`}${qs}`;
    const body = op.body;
    const res = await rawRequest(srv.port, { method: op.method, path, headers: { host: `localhost:${srv.port}`, ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, body });
    return { status: res.status, headers: res.headers, text: res.body.toString('utf8'), body: res.body, err: errorOf(res) };
  }

  it(`${CASES} seeded cases agree`, async () => {
    const g = generator(rng(SEED));
    const divergences: string[] = [];
    const started = Date.now();
    let allowed = 0;
    const tally: Record<string, [number, number]> = {};
    for (let n = 0; n < CASES; n++) {
      const who = g.pick<Who>(['root', 'user', 'user', 'session', 'session+policy', 'session+policy', 'cross', 'anonymous']);
      let op = opOf(g.pick(OPS), g, who === 'cross' ? OTHER : ACCOUNT_ID);
      // RAM calls: for this account's own signed callers (anonymous ones are refused before any policy).
      if (op.ram !== undefined && (who === 'anonymous' || who === 'cross')) op = opOf('GetObject', g, ACCOUNT_ID);
      // AssumeRole: by the RAM user (a session assuming a role is chaining, another story).
      if (op.name === 'AssumeRole' && who !== 'user') op = opOf('GetObject', g, ACCOUNT_ID);
      const bucketAcl = g.pick<Acl>(['private', 'private', 'public-read', 'public-read-write']);
      const bpa = g.r() < 0.2;
      const bucketPolicy = g.r() < 0.5 ? g.doc('bucket', 3) : null;
      const objectAcl: [string, string] | null = op.key?.startsWith('data/') && g.r() < 0.3 ? [op.key, g.pick(['private', 'public-read', 'public-read-write'])] : null;
      const referer: Record<string, string> = g.r() < 0.3 ? { referer: g.pick(['http://good.example/page', 'http://evil.example/']) } : {};
      const docs = { user: g.doc('identity', 3), group: g.doc('identity', 2), role: g.doc('identity', 3), session: g.doc('identity', 2), cross: g.doc('identity', 2) };

      // Hotlink protection (docs/access-rules.md) refuses anonymous requests before any policy.
      const refererConfig = g.r() < 0.15
        ? `<RefererConfiguration><AllowEmptyReferer>${g.pick(['true', 'false'])}</AllowEmptyReferer><RefererList><Referer>http://good.example/*</Referer></RefererList></RefererConfiguration>`
        : null;
      await setBucket(bucketAcl, bpa, bucketPolicy, objectAcl, refererConfig);
      let creds: { ak: string; sk: string; token?: string } | null = null;
      if (who === 'root') creds = { ak: 'LTAI5tTestAccessKeyId', sk: 'TestSecretTestSecretTestSecre1' };
      if (who === 'user') {
        await setPolicy('p-user', docs.user);
        await setPolicy('p-group', docs.group);
        creds = { ak: user.ak, sk: user.sk };
      }
      if (who === 'session' || who === 'session+policy') {
        await setPolicy('p-role', docs.role);
        const params: Record<string, string> = { RoleArn: roleArn('R'), RoleSessionName: `case${n}` };
        if (who === 'session+policy') params.Policy = docs.session;
        const c = (await assumeRole(stsClient(srv, assumer.ak, assumer.sk), params)).Credentials;
        creds = { ak: c.AccessKeyId, sk: c.AccessKeySecret, token: c.SecurityToken };
      }
      if (who === 'cross') {
        await setPolicy('p-x', docs.cross, other);
        creds = { ak: cross.ak, sk: cross.sk };
      }

      const reply = await send(op, creds, referer);
      const requestId = String(reply.headers['x-oss-request-id'] ?? '');
      const refused = reply.status === 403;
      if (!refused) allowed++;
      const t = (tally[op.name] ??= [0, 0]);
      t[refused ? 1 : 0]++;
      const label = `#${n} ${who} ${op.name} ${op.method} ${op.key ?? ''}?${op.query.map((q) => q.join('=')).join('&')} acl=${bucketAcl}${objectAcl ? ` objacl=${objectAcl[1]}` : ''}${bpa ? ' BPA' : ''}${refererConfig ? ' referer-list' : ''}${referer.referer ? ` referer=${referer.referer}` : ''} -> ${reply.status} ${reply.err?.Code ?? ''} "${reply.err?.Message ?? ''}"`;
      const bad = (what: string): void => void divergences.push(`${label}: ${what}`);
      if (process.env.ALUNITE_DIFF_SHOW === String(n)) console.log(JSON.stringify({ docs, bucketPolicy, reply: reply.text.slice(0, 300) }, null, 1));
      if (reply.status >= 500) bad('server error');

      // (a) ExplainRequest says what the client got, and its trace reaches the same decision. A request across two
      // accounts is explained to neither (docs/policy.md: each sees only requests wholly within its account).
      const across = who === 'cross' && op.bucket !== null;
      let ex: Body = {};
      try {
        for (const client of across ? [other, ram.popClient()] : [who === 'cross' ? other : ram.popClient()]) {
          ex = (await client.request<Body>('ExplainRequest', { RequestId: requestId }, { method: 'POST' })).Request as Body;
          if (across) bad('ExplainRequest explained a request across two accounts');
        }
      } catch (err) {
        if (!across || (err as { code?: string }).code !== 'EntityNotExist.Request') bad(`ExplainRequest failed: ${(err as Error).message.slice(0, 200)}`);
      }
      if (!across) {
      if (ex.Status !== reply.status) bad(`ExplainRequest Status ${ex.Status}`);
      if (refused && ex.Message !== reply.err?.Message) bad(`ExplainRequest Message "${ex.Message}"`);
      if (reply.err?.Code === 'AccessDenied' || reply.err?.Code === 'NoPermission') {
        if (ex.Decision === undefined || ex.Decision === 'Allow') bad(`ExplainRequest Decision ${ex.Decision} for a refusal`);
        else if (RULES.has(ex.Layer)) {
          // A bucket's own rule refused before any policy: named as the layer, with no policy trace.
          if (ex.Decision !== 'ExplicitDeny' || ex.Trace !== undefined) bad(`ExplainRequest for a ${ex.Layer} refusal: ${ex.Decision}, trace ${ex.Trace !== undefined}`);
        } else if (ex.Trace?.Decision !== ex.Decision) bad(`ExplainRequest Trace.Decision ${ex.Trace?.Decision} != Decision ${ex.Decision}`);
      } else if (reply.status < 400 && ex.Decision !== 'Allow') bad(`ExplainRequest Decision ${ex.Decision} for an allowed request`);
      else if (reply.status < 400 && ex.Trace?.Decision !== 'Allow') bad(`ExplainRequest Trace.Decision ${ex.Trace?.Decision} for an allowed request`);
      if (ex.Trace && ex.Layer !== undefined && ex.Trace.DecidingLayer !== undefined && ex.Layer !== ex.Trace.DecidingLayer) bad(`ExplainRequest Layer ${ex.Layer} != Trace.DecidingLayer ${ex.Trace.DecidingLayer}`);
      // The message says which layer refused (spec ram-sts §2.6): the session policy's, or a policy's explicit Deny.
      if (op.ram === undefined && refused && ex.Layer === 'session' && ex.Message !== "Access denied by authorizer's policy.") bad(`ExplainRequest Layer session with "${ex.Message}"`);
      if (op.ram === undefined && refused && ex.Decision === 'ExplicitDeny' && (ex.Layer === 'identity' || ex.Layer === 'bucket') && ex.Message !== 'Access denied by bucket policy.') bad(`ExplainRequest ${ex.Layer} ExplicitDeny with "${ex.Message}"`);
      if (refused && ex.Message === 'Access denied by bucket policy.' && ex.Decision !== 'ExplicitDeny') bad(`ExplainRequest ${ex.Decision} for "${ex.Message}"`);
      }

      // (b) The simulator, for the principals it simulates, says the same of each check the request made.
      if (who === 'user' || who === 'session' || who === 'session+policy' || who === 'cross') {
        const base: Record<string, string> = { 'acs:SourceIp': '127.0.0.1', 'acs:SecureTransport': 'false', 'acs:CurrentTime': new Date().toISOString().slice(0, 19) + 'Z', 'acs:AccessId': creds!.ak };
        // The RAM and STS calls go through pop-core, which sends no Referer.
        if (referer.referer !== undefined && op.ram === undefined) base['acs:Referer'] = referer.referer;
        let simulated: { decision: string; message?: string; layer?: string } = { decision: 'Allow' };
        // Another account's bucket: its policy and ACL are never read, so only a refusal by the caller's own policies is
        // certain (a Message); anything else must not be an Allow.
        const foreign = who === 'cross' && op.bucket !== null;
        // A RAM call: the action and resource its authorization recorded.
        const checks: SimCheck[] = op.ram !== undefined ? [{ action: String(ex.Action), resource: String(ex.Resource) }] : op.checks;
        for (const c of checks) {
          const context: Record<string, string> = { ...base, ...(c.context ?? {}) };
          if (c.resource === ARN(TAGGED) && /^oss:(getobject|getobjectversion|getobjecttagging|getobjectversiontagging|putobjecttagging)$/i.test(c.action)) {
            for (const [k, v] of Object.entries(TAGS)) context[`oss:ExistingObjectTag/${k}`] = v;
          }
          const params: Record<string, string> = { ActionName: c.action, Resource: c.resource, Context: JSON.stringify(context) };
          if (who === 'user') params.UserName = 'dev';
          else if (who === 'cross') params.UserName = 'x';
          else params.RoleName = 'R';
          if (who === 'session+policy') params.SessionPolicy = docs.session;
          const sim = (await (who === 'cross' ? other : ram.popClient()).request<Body>('SimulatePrincipalPolicy', params, { method: 'POST' })).EvaluationResult as Body;
          if (foreign) {
            if (sim.Decision === 'Allow') bad(`SimulatePrincipalPolicy allows ${c.action} on another account's bucket`);
            if (sim.Message !== undefined && simulated.message === undefined) simulated = { decision: sim.Decision, message: sim.Message };
            continue;
          }
          const policiesDecided = sim.Trace?.DecidingLayer === 'session' || sim.Trace?.DecidingLayer === 'identity' || sim.Trace?.DecidingLayer === 'bucket';
          if (c.aclLikeWrite && !policiesDecided) {
            simulated = { decision: 'unknown', layer: 'acl' };
            break;
          }
          if (checks.length === 1 && !across && !(op.name === 'InitiateMultipartUpload' && sim.Trace?.DecidingLayer === 'acl')) {
            // One check: the simulator's deciding layer and statement are the ones ExplainRequest recorded.
            const layer = (sim.Trace?.Layers?.Layer ?? []).find((l: Body) => l.Name === sim.Trace?.DecidingLayer);
            if (sim.Trace?.DecidingLayer !== ex.Trace?.DecidingLayer) bad(`deciding layer: simulator ${sim.Trace?.DecidingLayer}, ExplainRequest ${ex.Trace?.DecidingLayer}`);
            else if (layer?.DecidingPolicy !== undefined && (layer.DecidingPolicy !== ex.Policy || layer.DecidingStatementIndex !== ex.StatementIndex)) {
              bad(`deciding statement: simulator ${layer.DecidingPolicy}[${layer.DecidingStatementIndex}], ExplainRequest ${ex.Policy}[${ex.StatementIndex}]`);
            }
          }
          if (sim.Decision !== 'Allow') {
            simulated = { decision: sim.Decision, message: sim.Message, layer: sim.Trace?.DecidingLayer };
            break;
          }
          // The simulator answers for the operation named like the action (oss:PutObject: PutObject, which an ACL can
          // grant); InitiateMultipartUpload shares the action but no ACL grants it (docs/policy.md).
          if (op.name === 'InitiateMultipartUpload' && sim.Trace?.DecidingLayer === 'acl') simulated = { decision: 'Allow', layer: 'acl' };
        }
        if (foreign) {
          if (simulated.message !== undefined && !refused) bad(`SimulatePrincipalPolicy says ${simulated.decision} "${simulated.message}"`);
          continue;
        }
        if ((op.name === 'InitiateMultipartUpload' && simulated.layer === 'acl') || simulated.decision === 'unknown') continue;
        const real = refused ? 'denied' : 'allowed';
        const said = simulated.decision === 'Allow' ? 'allowed' : 'denied';
        if (real !== said) bad(`SimulatePrincipalPolicy says ${simulated.decision}`);
        else if (refused && simulated.message !== undefined && simulated.message !== reply.err?.Message) bad(`SimulatePrincipalPolicy message "${simulated.message}"`);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`policy differential: ${CASES} cases (${allowed} allowed), ${seconds.toFixed(1)} s, ${divergences.length} divergences`);
    console.log(`allowed/refused by operation: ${Object.entries(tally).map(([k, [a, r]]) => `${k} ${a}/${r}`).join(', ')}`);
    assert.deepEqual(divergences, []);
  });
});
