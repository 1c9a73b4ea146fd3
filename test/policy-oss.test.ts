import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ossResourceArn, ossServiceArn, ramRoleArn, stsAssumedRoleArn } from '../src/policy/arn.js';
import { compilePolicy, type CompiledPolicy } from '../src/policy/compile.js';
import { authorizeOss, type OssAcl, type OssCaller, type OssCheck, type OssLayer } from '../src/policy/oss.js';
import { authorizeAssumeRole, NO_PERMISSION_MESSAGE } from '../src/policy/sts.js';
import { systemPolicy } from '../src/ram/system-policies.js';
import type { Caller, ConditionContext, PolicyKind } from '../src/policy/types.js';

// Fixture of spec ram-sts §7.
const OWNER = '1234567890123456';
const OTHER = '6543210987654321';
const REGION = 'cn-hangzhou';
const ALICE: OssCaller = { kind: 'user', accountId: OWNER, userId: '200000000000000001', userName: 'alice' };
const MALLORY: OssCaller = { kind: 'user', accountId: OTHER, userId: '200000000000000009', userName: 'mallory' };
const ROOT: OssCaller = { kind: 'root', accountId: OWNER };
const OTHER_ROOT: OssCaller = { kind: 'root', accountId: OTHER };
const READER: OssCaller = { kind: 'role', accountId: OWNER, roleName: 'reader', sessionName: 's1' };
const ANON: OssCaller = { kind: 'anonymous' };

type Stmt = Record<string, unknown>;
const compile = (kind: PolicyKind, label: string, statements: Stmt[]): CompiledPolicy => {
  const r = compilePolicy(JSON.stringify({ Version: '1', Statement: statements }), kind, { label });
  if (!r.ok) assert.fail(`${label}: ${r.error.message}`);
  return r.policy;
};
const system = (name: string): CompiledPolicy => {
  const p = systemPolicy(name);
  if (!p) assert.fail(name);
  const r = compilePolicy(p.document, 'identity', { label: name });
  if (!r.ok) assert.fail(r.error.message);
  return r.policy;
};

// Checks as src/oss/operations.ts produces them (spec §3).
const objArn = (key: string): string => ossResourceArn(REGION, OWNER, 'photos', key);
const BUCKET_ARN = ossResourceArn(REGION, OWNER, 'photos');
const getObject = (key: string): OssCheck => ({ action: 'oss:GetObject', resource: objArn(key), acl: 'read', isObject: true });
const putObject = (key: string): OssCheck => ({ action: 'oss:PutObject', resource: objArn(key), acl: 'write', isObject: true });
const onObject = (action: string, key: string): OssCheck => ({ action, resource: objArn(key), acl: 'none', isObject: true });
const listObjects: OssCheck = { action: 'oss:ListObjects', resource: BUCKET_ARN, acl: 'read', isObject: false };
const onBucket = (action: string): OssCheck => ({ action, resource: BUCKET_ARN, acl: 'none', isObject: false });
const listBuckets = (uid: string): OssCheck => ({ action: 'oss:ListBuckets', resource: ossServiceArn(uid), acl: 'none', isObject: false });

const MSG = {
  session: "Access denied by authorizer's policy.",
  policy: 'Access denied by bucket policy.',
  acl: 'You have no right to access this object because of bucket acl.',
  object: 'You have no right to access this object.',
  readAcl: 'You do not have read acl permission on this object.',
  writeAcl: 'You do not have write acl permission on this object.',
  bucket: 'The bucket you access does not belong to you.',
  listBuckets: 'You are forbidden to list buckets.',
  anonBucket: 'Anonymous user has no right to access this bucket.',
  anonObject: 'Anonymous user has no right to access this object.',
  anonOp: 'Anonymous access is forbidden for this operation.',
};

interface Case {
  name: string;
  caller: OssCaller;
  identity?: CompiledPolicy[];
  session?: CompiledPolicy;
  bucketPolicy?: Stmt[];
  check: OssCheck;
  bucketOwner?: string | null;
  acl?: OssAcl;
  context?: ConditionContext;
  allowed: boolean;
  message?: string;
  ec?: string;
  layer?: OssLayer;
  type?: 'ExplicitDeny' | 'ImplicitDeny';
}

const allowAll = (label = 'full'): CompiledPolicy => compile('identity', label, [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }]);
const bp = (...s: Stmt[]): Stmt[] => s;

const cases: Case[] = [
  // §7, all fifteen
  { name: '§7 M01 StringLike oss:Prefix, prefix absent ("") -> ACL fallback', caller: ALICE, identity: [compile('identity', 'p', [{ Effect: 'Allow', Action: 'oss:ListObjects', Resource: 'acs:oss:*:*:photos', Condition: { StringLike: { 'oss:Prefix': 'hangzhou/2015/*' } } }])], check: listObjects, context: { 'oss:Prefix': '' }, allowed: false, message: MSG.acl, ec: '0003-00000001', type: 'ImplicitDeny' },
  { name: '§7 M02 Allow oss:GetObject on acs:oss:*:*:*', caller: ALICE, identity: [compile('identity', 'p', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:*' }])], check: getObject('a.jpg'), allowed: true, layer: 'identity' },
  { name: '§7 M03 ListBuckets allowed only on a bucket ARN', caller: ALICE, identity: [compile('identity', 'p', [{ Effect: 'Allow', Action: 'oss:ListBuckets', Resource: 'acs:oss:*:*:photos' }])], check: listBuckets(OWNER), bucketOwner: null, allowed: false, message: MSG.listBuckets },
  { name: '§7 M04 group policy joins the user set', caller: ALICE, identity: [compile('identity', 'group:devs', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*' }])], check: getObject('x'), allowed: true, layer: 'identity' },
  { name: '§7 M05 group Deny -> "Access denied by bucket policy." (documented text)', caller: ALICE, identity: [allowAll('user'), compile('identity', 'group', [{ Effect: 'Deny', Action: 'oss:DeleteObject', Resource: 'acs:oss:*:*:photos/*' }])], check: { action: 'oss:DeleteObject', resource: objArn('x'), acl: 'write', isObject: true }, allowed: false, message: MSG.policy, ec: '0003-00000201', layer: 'identity', type: 'ExplicitDeny' },
  { name: '§7 M06 role Deny beats session Allow', caller: READER, identity: [compile('identity', 'role', [{ Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/secret/*' }, { Effect: 'Allow', Action: 'oss:*', Resource: '*' }])], session: compile('session', 'session', [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }]), check: getObject('secret/k'), allowed: false, message: MSG.policy, layer: 'identity', type: 'ExplicitDeny' },
  { name: '§7 M07 session NotAction oss:Get* -> authorizer\'s policy', caller: READER, identity: [system('AliyunOSSReadOnlyAccess')], session: compile('session', 'session', [{ Effect: 'Allow', NotAction: 'oss:Get*', Resource: '*' }]), check: getObject('k'), allowed: false, message: MSG.session, ec: '0003-00000301', type: 'ImplicitDeny' },
  { name: '§7 M08 bucket policy names the role session', caller: READER, bucketPolicy: bp({ Effect: 'Allow', Action: 'oss:PutObject', Resource: 'acs:oss:*:*:photos/up/*', Principal: [`arn:sts::${OWNER}:assumed-role/reader/*`] }), check: putObject('up/k'), allowed: true, layer: 'bucket' },
  { name: '§7 M09 anonymous, bucket policy Principal []', caller: ANON, bucketPolicy: bp({ Effect: 'Allow', Action: 'oss:ListObjects', Resource: 'acs:oss:*:*:photos', Principal: [] }), check: listObjects, allowed: true, layer: 'bucket' },
  { name: '§7 M10 object ACL public-read-write grants PutObject', caller: ALICE, check: putObject('k'), acl: 'public-read-write', allowed: true, layer: 'acl' },
  { name: '§7 M11 HeadObject as oss:GetObject', caller: ALICE, identity: [compile('identity', 'p', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*' }])], check: getObject('k'), allowed: true, layer: 'identity' },
  { name: '§7 M12 AbortMultipartUpload needs its own action', caller: ALICE, identity: [compile('identity', 'p', [{ Effect: 'Allow', Action: 'oss:PutObject', Resource: 'acs:oss:*:*:photos/*' }])], check: onObject('oss:AbortMultipartUpload', 'k'), allowed: false, message: MSG.object },
  { name: '§7 M13 bucket-policy Deny "*" unless STS key', caller: ALICE, identity: [allowAll()], bucketPolicy: bp({ Effect: 'Deny', Action: 'oss:Get*', Resource: 'acs:oss:*:*:photos/*', Principal: '*', Condition: { StringNotLike: { 'acs:AccessId': ['TMP.*', 'STS.*'] } } }), check: getObject('k'), context: { 'acs:AccessId': 'LTAI5tExampleExample1234' }, allowed: false, message: MSG.policy, ec: '0003-00000201', layer: 'bucket', type: 'ExplicitDeny' },
  { name: '§7 M14 DateGreaterThan 2030 -> bucket acl', caller: ALICE, identity: [compile('identity', 'p', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { DateGreaterThan: { 'acs:CurrentTime': '2030-01-01T00:00:00Z' } } }])], check: getObject('k'), context: { 'acs:CurrentTime': '2025-06-01T12:00:00Z' }, allowed: false, message: MSG.acl },
  { name: '§7 M15a AliyunOSSReadOnlyAccess lists buckets', caller: ALICE, identity: [system('AliyunOSSReadOnlyAccess')], check: listBuckets(OWNER), bucketOwner: null, allowed: true, layer: 'identity' },
  { name: '§7 M15b ...but PutObjectAcl is never granted by ACLs', caller: ALICE, identity: [system('AliyunOSSReadOnlyAccess')], check: onObject('oss:PutObjectAcl', 'k'), acl: 'public-read-write', allowed: false, message: MSG.writeAcl, ec: '0003-00000008' },

  // §2.3 owner and cross-account
  { name: '§2.3 owner root needs no policy', caller: ROOT, check: onBucket('oss:PutBucketAcl'), allowed: true, layer: 'owner' },
  { name: '§2.3 owner root lists its buckets', caller: ROOT, check: listBuckets(OWNER), bucketOwner: null, allowed: true, layer: 'owner' },
  { name: '§2.3 root ignores RAM identity policies (a Deny attached nowhere applies)', caller: ROOT, identity: [compile('identity', 'deny', [{ Effect: 'Deny', Action: '*', Resource: '*' }])], check: getObject('k'), allowed: true, layer: 'owner' },
  { name: '§2.4 bucket Deny "*" with Condition locks the owner out', caller: ROOT, bucketPolicy: bp({ Effect: 'Deny', Action: 'oss:*', Resource: 'acs:oss:*:*:photos/*', Principal: ['*'], Condition: { Bool: { 'acs:SecureTransport': 'false' } } }), check: getObject('k'), context: { 'acs:SecureTransport': 'false' }, allowed: false, message: MSG.policy, layer: 'bucket', type: 'ExplicitDeny' },
  { name: '§2.4 bucket Deny "*" without Condition leaves the owner alone', caller: ROOT, bucketPolicy: bp({ Effect: 'Deny', Action: 'oss:*', Resource: 'acs:oss:*:*:photos/*', Principal: ['*'] }), check: getObject('k'), allowed: true, layer: 'owner' },
  { name: '§2.4 bucket Deny naming the owner UID applies to the owner', caller: ROOT, bucketPolicy: bp({ Effect: 'Deny', Action: 'oss:DeleteObject', Resource: 'acs:oss:*:*:photos/*', Principal: [OWNER] }), check: { action: 'oss:DeleteObject', resource: objArn('k'), acl: 'write', isObject: true }, allowed: false, message: MSG.policy, layer: 'bucket' },
  { name: '§2.3 another account\'s RAM policies do not count on my bucket', caller: MALLORY, identity: [allowAll()], check: getObject('k'), allowed: false, message: MSG.acl },
  { name: '§2.2 bucket policy alone grants cross-account (union of Allows)', caller: MALLORY, bucketPolicy: bp({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*', Principal: [MALLORY.kind === 'user' ? MALLORY.userId : ''] }), check: getObject('k'), allowed: true, layer: 'bucket' },
  { name: '§2.3 another root account: private bucket -> bucket acl', caller: OTHER_ROOT, check: getObject('k'), allowed: false, message: MSG.acl },
  { name: '§2.3 identity Deny beats bucket-policy Allow', caller: ALICE, identity: [compile('identity', 'deny', [{ Effect: 'Deny', Action: 'oss:GetObject', Resource: '*' }])], bucketPolicy: bp({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*', Principal: ['*'] }), check: getObject('k'), allowed: false, message: MSG.policy, layer: 'identity' },
  { name: '§2.3 bucket-policy Deny beats identity Allow', caller: ALICE, identity: [allowAll()], bucketPolicy: bp({ Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*', Principal: [ALICE.kind === 'user' ? ALICE.userId : ''] }), check: getObject('k'), allowed: false, message: MSG.policy, layer: 'bucket' },
  { name: '§2.3 identity Allow is reported before bucket Allow', caller: ALICE, identity: [allowAll()], bucketPolicy: bp({ Effect: 'Allow', Action: 'oss:*', Resource: 'acs:oss:*:*:photos/*', Principal: ['*'] }), check: getObject('k'), allowed: true, layer: 'identity' },

  // §2.5 session policy ∩ role
  { name: '§2.5 session and role both allow', caller: READER, identity: [allowAll('role')], session: compile('session', 'session', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*' }]), check: getObject('k'), allowed: true, layer: 'identity' },
  { name: '§2.5 session narrows: role allows, session silent', caller: READER, identity: [allowAll('role')], session: compile('session', 'session', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*' }]), check: putObject('k'), allowed: false, message: MSG.session, type: 'ImplicitDeny' },
  { name: '§2.5 session Allow without role permission is not enough', caller: READER, identity: [], session: compile('session', 'session', [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }]), check: getObject('k'), allowed: false, message: MSG.acl },
  { name: '§2.5 session explicit Deny -> authorizer\'s policy', caller: READER, identity: [allowAll('role')], session: compile('session', 'session', [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }, { Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/secret/*' }]), check: getObject('secret/x'), allowed: false, message: MSG.session, ec: '0003-00000301', layer: 'session', type: 'ExplicitDeny' },
  { name: '§2.5 silent session policy beats a bucket policy naming the session', caller: READER, session: compile('session', 'session', [{ Effect: 'Allow', Action: 'oss:ListObjects', Resource: '*' }]), bucketPolicy: bp({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*', Principal: [stsAssumedRoleArn(OWNER, 'reader', 's1')] }), check: getObject('k'), allowed: false, message: MSG.session },
  { name: '§2.5 session Allow + bucket policy Allow', caller: READER, session: compile('session', 'session', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }]), bucketPolicy: bp({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*', Principal: [stsAssumedRoleArn(OWNER, 'reader', 's1')] }), check: getObject('k'), allowed: true, layer: 'bucket' },
  { name: '§2.5 no session policy: all role permissions', caller: READER, identity: [allowAll('role')], check: putObject('k'), allowed: true, layer: 'identity' },
  { name: '§2.3 session gate applies before public ACLs', caller: READER, session: compile('session', 'session', [{ Effect: 'Allow', Action: 'oss:ListObjects', Resource: '*' }]), check: getObject('k'), acl: 'public-read', allowed: false, message: MSG.session },
  { name: '§2.3 role session without permission reads a public-read object', caller: READER, check: getObject('k'), acl: 'public-read', allowed: true, layer: 'acl' },

  // §2.6 message per situation
  { name: '§2.6 public-read: anyone reads', caller: ANON, check: getObject('k'), acl: 'public-read', allowed: true, layer: 'acl' },
  { name: '§2.6 public-read: anonymous write -> anonymous object message', caller: ANON, check: putObject('k'), acl: 'public-read', allowed: false, message: MSG.anonObject },
  { name: '§2.6 public-read: authenticated non-owner write -> bucket acl', caller: ALICE, check: putObject('k'), acl: 'public-read', allowed: false, message: MSG.acl, ec: '0003-00000001' },
  { name: '§2.3 private object in a public-read bucket stays private (caller resolves effective ACL)', caller: ANON, check: getObject('k'), acl: 'private', allowed: false, message: MSG.anonObject },
  { name: '§2.6 anonymous ListObjects on a private bucket', caller: ANON, check: listObjects, allowed: false, message: MSG.anonBucket },
  { name: '§2.6 public-read bucket is anonymously listable', caller: ANON, check: listObjects, acl: 'public-read', allowed: true, layer: 'acl' },
  { name: '§2.6 anonymous ListBuckets', caller: ANON, check: listBuckets('*'), bucketOwner: null, allowed: false, message: MSG.anonOp },
  { name: '§2.6 anonymous bucket management API', caller: ANON, check: onBucket('oss:GetBucketInfo'), acl: 'public-read-write', allowed: false, message: MSG.anonBucket },
  { name: '§2.6 anonymous GetObjectAcl is never granted', caller: ANON, check: onObject('oss:GetObjectAcl', 'k'), acl: 'public-read-write', allowed: false, message: MSG.anonOp },
  { name: '§2.6 GetObjectAcl denied -> read acl permission', caller: ALICE, check: onObject('oss:GetObjectAcl', 'k'), acl: 'public-read', allowed: false, message: MSG.readAcl, ec: '0003-00000007' },
  { name: '§2.6 GetObjectAcl allowed by RAM policy', caller: ALICE, identity: [system('AliyunOSSReadOnlyAccess')], check: onObject('oss:GetObjectAcl', 'k'), allowed: true, layer: 'identity' },
  { name: '§2.6 bucket management API denied to a RAM user', caller: ALICE, check: onBucket('oss:GetBucketInfo'), allowed: false, message: MSG.bucket },
  { name: '§2.6 bucket management API: no ACL fallback even if public-read-write', caller: MALLORY, check: onBucket('oss:PutBucketAcl'), acl: 'public-read-write', allowed: false, message: MSG.bucket },
  { name: '§2.6 object API no ACL covers (InitiateMultipartUpload)', caller: ALICE, check: onObject('oss:PutObject', 'k'), acl: 'public-read-write', allowed: false, message: MSG.object },
  { name: '§2.6 ListBuckets with no policy', caller: ALICE, check: listBuckets(OWNER), bucketOwner: null, allowed: false, message: MSG.listBuckets },
  { name: '§2.6 AdministratorAccess allows bucket management', caller: ALICE, identity: [system('AdministratorAccess')], check: onBucket('oss:PutBucketPolicy'), allowed: true, layer: 'identity' },
];

describe('OSS authorization (table, spec ram-sts §2.3–§2.6, §7)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = authorizeOss({
        caller: c.caller,
        bucketOwner: c.bucketOwner === undefined ? OWNER : c.bucketOwner,
        identityPolicies: c.identity ?? [],
        sessionPolicy: c.session ?? null,
        bucketPolicy: c.bucketPolicy ? compile('bucket', 'bucket policy', c.bucketPolicy) : null,
        check: c.check,
        effectiveAcl: c.acl ?? 'private',
        ...(c.context ? { context: c.context } : {}),
      });
      assert.equal(d.allowed, c.allowed, JSON.stringify(d));
      if (c.allowed) {
        assert.equal(d.code, undefined);
        assert.equal(d.message, undefined);
      } else {
        assert.equal(d.code, 'AccessDenied');
        assert.equal(d.message, c.message);
      }
      if (c.ec !== undefined) assert.equal(d.ec, c.ec);
      if (c.layer !== undefined) assert.equal(d.deciding?.layer, c.layer, JSON.stringify(d));
      if (c.type !== undefined) assert.equal(d.noPermissionType, c.type);
    });
  }

  it('§2.3 deciding names the policy and statement', () => {
    const guard = compile('identity', 'guard', [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }, { Sid: 'x', Effect: 'Deny', Action: 'oss:Delete*', Resource: '*' }]);
    const d = authorizeOss({ caller: ALICE, bucketOwner: OWNER, identityPolicies: [guard], check: { action: 'oss:DeleteObject', resource: objArn('k'), acl: 'write', isObject: true } });
    const { policyText, ...deciding } = d.deciding ?? { policyText: undefined };
    assert.deepEqual(deciding, { policy: 'guard', statement: 1, effect: 'Deny', layer: 'identity' });
    // The deciding policy's text travels with the decision, for "why was this denied?" answers.
    assert.equal(JSON.parse(policyText ?? '{}').Statement[1].Sid, 'x');
  });
});

describe('ARN helpers (spec ram-sts §1.4)', () => {
  it('builds OSS, RAM and STS ARNs', () => {
    assert.equal(ossResourceArn('cn-hangzhou', OWNER, 'photos'), `acs:oss:cn-hangzhou:${OWNER}:photos`);
    assert.equal(ossResourceArn('cn-hangzhou', OWNER, 'photos', 'a/b c.jpg'), `acs:oss:cn-hangzhou:${OWNER}:photos/a/b c.jpg`);
    assert.equal(ossResourceArn('cn-hangzhou', OWNER, 'photos', null), `acs:oss:cn-hangzhou:${OWNER}:photos`);
    assert.equal(ossServiceArn(OWNER), `acs:oss:*:${OWNER}:*`);
    assert.equal(ramRoleArn(OWNER, 'ECSAdmin'), `acs:ram::${OWNER}:role/ecsadmin`);
    assert.equal(stsAssumedRoleArn(OWNER, 'reader', 's'), `arn:sts::${OWNER}:assumed-role/reader/s`);
  });
});

describe('AssumeRole authorization (spec ram-sts §2.7)', () => {
  const roleArn = ramRoleArn(OWNER, 'reader');
  const trustAccount = compile('trust', 'trust', [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OWNER}:root`] } }]);
  const assume = system('AliyunSTSAssumeRoleAccess');
  const run = (caller: Caller, identity: CompiledPolicy[], trust = trustAccount, extra: { session?: CompiledPolicy; context?: ConditionContext } = {}) =>
    authorizeAssumeRole({ caller, identityPolicies: identity, trustPolicy: trust, roleArn, ...(extra.session ? { sessionPolicy: extra.session } : {}), ...(extra.context ? { context: extra.context } : {}) });

  it('§2.7 user with AliyunSTSAssumeRoleAccess, trusted account', () => assert.equal(run(ALICE, [assume]).allowed, true));
  it('§2.7 role chaining: a role session of the trusted account', () => assert.equal(run(READER, [assume]).allowed, true));
  it('§2.7 root accounts cannot assume roles', () => {
    const d = run(ROOT, [assume]);
    assert.equal(d.allowed, false);
    assert.equal(d.code, 'NoPermission');
    assert.equal(d.message, NO_PERMISSION_MESSAGE);
  });
  it('§2.7 A: no sts:AssumeRole permission', () => assert.equal(run(ALICE, []).allowed, false));
  it('§2.7 A: permission on another role only', () => {
    const other = compile('identity', 'p', [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ramRoleArn(OWNER, 'admin') }]);
    assert.equal(run(ALICE, [other]).allowed, false);
  });
  it('§2.7 A: explicit Deny wins', () => {
    const deny = compile('identity', 'd', [{ Effect: 'Deny', Action: 'sts:*', Resource: '*' }]);
    assert.equal(run(ALICE, [assume, deny]).allowed, false);
  });
  it('§2.7 B: trust policy of another account', () => assert.equal(run(MALLORY, [assume]).allowed, false));
  it('§2.7 B: Service trust does not admit RAM users', () => {
    const svc = compile('trust', 't', [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['ecs.aliyuncs.com'] } }]);
    assert.equal(run(ALICE, [assume], svc).allowed, false);
    assert.equal(run({ kind: 'service', service: 'ECS.aliyuncs.com' }, [], svc).allowed, true);
  });
  it('§2.7 B: ExternalId condition', () => {
    const t = compile('trust', 't', [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OTHER}:root`] }, Condition: { StringEquals: { 'sts:ExternalId': 'x-1' } } }]);
    assert.equal(run(MALLORY, [assume], t, { context: { 'sts:ExternalId': 'x-1' } }).allowed, true);
    assert.equal(run(MALLORY, [assume], t, { context: { 'sts:ExternalId': 'x-2' } }).allowed, false);
  });
  it('§2.5 a role session\'s session policy also gates AssumeRole', () => {
    const session = compile('session', 's', [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }]);
    assert.equal(run(READER, [assume], trustAccount, { session }).allowed, false);
  });
});
