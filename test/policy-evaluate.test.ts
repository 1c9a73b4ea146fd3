import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ossResourceArn, ramRoleArn } from '../src/policy/arn.js';
import { clearPolicyCache, compilePolicy, policyCacheSize, type CompiledPolicy } from '../src/policy/compile.js';
import { combine, decide, evaluate, type Decision, type EvalRequest } from '../src/policy/evaluate.js';
import { compileGlob } from '../src/policy/glob.js';
import { parseIp, parseIpPattern } from '../src/policy/ip.js';
import type { Caller, ConditionContext, PolicyKind } from '../src/policy/types.js';

// Fixture of spec ram-sts §7.
const OWNER = '1234567890123456';
const OTHER = '6543210987654321';
const ALICE: Caller = { kind: 'user', accountId: OWNER, userId: '200000000000000001', userName: 'alice' };
const BOB: Caller = { kind: 'user', accountId: OWNER, userId: '200000000000000002', userName: 'bob' };
const MALLORY: Caller = { kind: 'user', accountId: OTHER, userId: '200000000000000009', userName: 'alice' };
const ROOT: Caller = { kind: 'root', accountId: OWNER };
const OTHER_ROOT: Caller = { kind: 'root', accountId: OTHER };
const READER: Caller = { kind: 'role', accountId: OWNER, roleName: 'reader', sessionName: 'job-1' };
const ANON: Caller = { kind: 'anonymous' };
const ECS: Caller = { kind: 'service', service: 'ecs.aliyuncs.com' };

const obj = (key: string, bucket = 'photos'): string => ossResourceArn('cn-hangzhou', OWNER, bucket, key);
const bkt = (bucket = 'photos'): string => ossResourceArn('cn-hangzhou', OWNER, bucket);
const ROLE_ARN = ramRoleArn(OWNER, 'reader');

type Stmt = Record<string, unknown>;
interface P {
  kind: PolicyKind;
  label: string;
  statements: Stmt[];
}
const idp = (label: string, ...statements: Stmt[]): P => ({ kind: 'identity', label, statements });
const bp = (...statements: Stmt[]): P => ({ kind: 'bucket', label: 'bucket policy', statements });
const tp = (...statements: Stmt[]): P => ({ kind: 'trust', label: 'trust', statements });
const allow = (Action: unknown, Resource: unknown, extra: Stmt = {}): Stmt => ({ Effect: 'Allow', Action, Resource, ...extra });
const denyS = (Action: unknown, Resource: unknown, extra: Stmt = {}): Stmt => ({ Effect: 'Deny', Action, Resource, ...extra });
const cond = (Condition: Stmt): Stmt => ({ Condition });

interface Case {
  name: string;
  policies: P[];
  action: string;
  resource: string;
  caller?: Caller;
  bucketOwner?: string;
  context?: ConditionContext;
  expect: Decision;
  /** `label#statement` of every applying statement, when it matters. */
  matched?: string[];
}

const get = (key: string): Pick<Case, 'action' | 'resource'> => ({ action: 'oss:GetObject', resource: obj(key) });
const prefixCase = (name: string, operator: string, values: unknown, context: ConditionContext, expect: Decision): Case => ({
  name,
  policies: [idp('p', allow('oss:ListObjects', 'acs:oss:*:*:photos', cond({ [operator]: { 'oss:Prefix': values } })))],
  action: 'oss:ListObjects',
  resource: bkt(),
  context,
  expect,
});
const ctxCase = (name: string, operator: string, key: string, values: unknown, context: ConditionContext, expect: Decision): Case => ({
  name,
  policies: [idp('p', allow('oss:GetObject', '*', cond({ [operator]: { [key]: values } })))],
  ...get('k'),
  context,
  expect,
});

const cases: Case[] = [
  // §1.5 wildcard algorithm
  { name: '§1.5 acs:oss:*:*:mybucket matches the bucket', policies: [idp('p', allow('oss:ListObjects', 'acs:oss:*:*:mybucket'))], action: 'oss:ListObjects', resource: bkt('mybucket'), expect: 'Allow', matched: ['p#0'] },
  { name: '§1.5 acs:oss:*:*:mybucket never matches mybucket/key', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:mybucket'))], action: 'oss:GetObject', resource: obj('key', 'mybucket'), expect: 'ImplicitDeny', matched: [] },
  { name: '§1.5 mybucket/* matches objects at any depth', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:mybucket/*'))], action: 'oss:GetObject', resource: obj('a/b/c.txt', 'mybucket'), expect: 'Allow' },
  { name: '§1.5 mybucket/* does not match the bucket itself', policies: [idp('p', allow('oss:*', 'acs:oss:*:*:mybucket/*'))], action: 'oss:GetBucketInfo', resource: bkt('mybucket'), expect: 'ImplicitDeny' },
  { name: '§1.5 mybucket* also matches mybucket2 (gotcha)', policies: [idp('p', allow('oss:ListObjects', 'acs:oss:*:*:mybucket*'))], action: 'oss:ListObjects', resource: bkt('mybucket2'), expect: 'Allow' },
  { name: '§1.5 mybucket* also matches mybucket/anything', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:mybucket*'))], action: 'oss:GetObject', resource: obj('any/thing', 'mybucket'), expect: 'Allow' },
  { name: '§1.5 acs:oss:*:*:* matches every bucket', policies: [idp('p', allow('oss:GetBucketInfo', 'acs:oss:*:*:*'))], action: 'oss:GetBucketInfo', resource: bkt('x'), expect: 'Allow' },
  { name: '§1.5 acs:oss:*:*:* matches every object', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:*'))], ...get('deep/key'), expect: 'Allow' },
  { name: '§1.4 Resource "*" matches any service', policies: [idp('p', allow('sts:AssumeRole', '*'))], action: 'sts:AssumeRole', resource: ROLE_ARN, expect: 'Allow' },
  { name: '§1.5 ? matches exactly one character', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/a?.jpg'))], ...get('a1.jpg'), expect: 'Allow' },
  { name: '§1.5 ? does not match two characters', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/a?.jpg'))], ...get('a12.jpg'), expect: 'ImplicitDeny' },
  { name: '§1.5 ? does not match zero characters', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/a?.jpg'))], ...get('a.jpg'), expect: 'ImplicitDeny' },
  { name: '§1.5 . + ( [ are literal', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/a.b+c(1)[x]'))], ...get('a.b+c(1)[x]'), expect: 'Allow' },
  { name: '§1.5 . is not a regex wildcard', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/a.jpg'))], ...get('aXjpg'), expect: 'ImplicitDeny' },
  { name: '§1.5 * spans / inside the key', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/*/thumb.jpg'))], ...get('2024/01/thumb.jpg'), expect: 'Allow' },
  { name: '§1.5 Resource is case-sensitive', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:Photos/*'))], ...get('k'), expect: 'ImplicitDeny' },
  { name: '§1.4 request ARN carries the region: a concrete region matches literally', policies: [idp('p', allow('oss:GetObject', 'acs:oss:cn-hangzhou:*:photos/*'))], ...get('k'), expect: 'Allow' },
  { name: '§1.4 a different concrete region does not match', policies: [idp('p', allow('oss:GetObject', 'acs:oss:cn-beijing:*:photos/*'))], ...get('k'), expect: 'ImplicitDeny' },
  { name: '§1.4 account segment is the bucket owner', policies: [idp('p', allow('oss:GetObject', `acs:oss:*:${OTHER}:photos/*`))], ...get('k'), expect: 'ImplicitDeny' },
  { name: '§3 bucket/* does not grant ListObjects (bucket ARN)', policies: [idp('p', allow('oss:ListObjects', 'acs:oss:*:*:photos/*'))], action: 'oss:ListObjects', resource: bkt(), expect: 'ImplicitDeny' },

  { name: '§1.5 (our choice) segment-aware: photos/* does not match a key of another bucket containing ":photos/"', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/*'))], action: 'oss:GetObject', resource: obj('x:photos/y', 'other'), expect: 'ImplicitDeny' },
  { name: '§1.5 (our choice) segment-aware: acs:oss:*:*:photos does not match other/x:photos', policies: [idp('p', allow('oss:*', 'acs:oss:*:*:photos'))], action: 'oss:GetObject', resource: obj('x:photos', 'other'), expect: 'ImplicitDeny' },
  { name: '§1.5 keys may contain ":" inside the relative id', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/a:b/*'))], ...get('a:b/c'), expect: 'Allow' },
  { name: '§1.5 short form acs:oss:* is a whole-string glob', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*'))], ...get('k'), expect: 'Allow' },
  { name: '§1.5 per-bucket index: photos/* statement never matches photos2', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/*'), allow('oss:GetObject', 'acs:oss:*:*:photos*'))], action: 'oss:GetObject', resource: obj('k', 'photos2'), expect: 'Allow', matched: ['p#1'] },

  // §1.3 Action / NotAction
  { name: '§1.3 Action matching is case-insensitive', policies: [idp('p', allow('OSS:getobject', '*'))], ...get('k'), expect: 'Allow' },
  { name: '§1.3 request action case does not matter', policies: [idp('p', allow('oss:GetObject', '*'))], action: 'OSS:GETOBJECT', resource: obj('k'), expect: 'Allow' },
  { name: '§1.3 oss:Get* covers oss:GetObjectAcl', policies: [idp('p', allow('oss:Get*', '*'))], action: 'oss:GetObjectAcl', resource: obj('k'), expect: 'Allow' },
  { name: '§1.3 oss:Get* does not cover oss:PutObject', policies: [idp('p', allow('oss:Get*', '*'))], action: 'oss:PutObject', resource: obj('k'), expect: 'ImplicitDeny' },
  { name: '§1.3 "*" is every action of every service', policies: [idp('p', allow('*', '*'))], action: 'ram:CreateUser', resource: 'acs:ram::1234567890123456:user/x', expect: 'Allow' },
  { name: '§1.3 ? in an action', policies: [idp('p', allow('oss:Get?bject', '*'))], ...get('k'), expect: 'Allow' },
  { name: '§1.3 Allow+NotAction grants everything else', policies: [idp('p', { Effect: 'Allow', NotAction: 'oss:Delete*', Resource: '*' })], ...get('k'), expect: 'Allow' },
  { name: '§1.3 Allow+NotAction does not grant the listed actions', policies: [idp('p', { Effect: 'Allow', NotAction: 'oss:Delete*', Resource: '*' })], action: 'oss:DeleteObject', resource: obj('k'), expect: 'ImplicitDeny' },
  { name: '§1.3 Deny+NotAction denies everything but the list', policies: [idp('p', allow('*', '*'), { Effect: 'Deny', NotAction: 'oss:Get*', Resource: '*' })], action: 'oss:PutObject', resource: obj('k'), expect: 'ExplicitDeny', matched: ['p#0', 'p#1'] },
  { name: '§1.3 Deny+NotAction leaves the list to the Allow', policies: [idp('p', allow('*', '*'), { Effect: 'Deny', NotAction: 'oss:Get*', Resource: '*' })], ...get('k'), expect: 'Allow', matched: ['p#0'] },
  { name: '§1.1 Allow+NotResource excludes the listed resources', policies: [idp('p', { Effect: 'Allow', Action: 'oss:*', NotResource: 'acs:oss:*:*:photos/secret/*' })], ...get('secret/k'), expect: 'ImplicitDeny' },
  { name: '§1.1 Allow+NotResource grants the rest', policies: [idp('p', { Effect: 'Allow', Action: 'oss:*', NotResource: 'acs:oss:*:*:photos/secret/*' })], ...get('public/k'), expect: 'Allow' },
  { name: '§1.1 Deny+NotResource fences the caller into one bucket', policies: [idp('p', allow('*', '*'), { Effect: 'Deny', Action: 'oss:*', NotResource: ['acs:oss:*:*:photos', 'acs:oss:*:*:photos/*'] })], action: 'oss:GetObject', resource: obj('k', 'other'), expect: 'ExplicitDeny' },
  { name: '§1.1 Deny+NotResource lets the fenced bucket through', policies: [idp('p', allow('*', '*'), { Effect: 'Deny', Action: 'oss:*', NotResource: ['acs:oss:*:*:photos', 'acs:oss:*:*:photos/*'] })], ...get('k'), expect: 'Allow' },

  // §2.1 combination
  { name: '§2.1 no policies is an implicit deny', policies: [], ...get('k'), expect: 'ImplicitDeny' },
  { name: '§2.1 Deny in one policy overrides Allow in another', policies: [idp('full', allow('oss:*', '*')), idp('guard', denyS('oss:DeleteObject', 'acs:oss:*:*:photos/*'))], action: 'oss:DeleteObject', resource: obj('x'), expect: 'ExplicitDeny', matched: ['full#0', 'guard#0'] },
  { name: '§2.1 Deny before Allow in one policy still wins', policies: [idp('p', denyS('oss:GetObject', '*'), allow('oss:GetObject', '*'))], ...get('k'), expect: 'ExplicitDeny' },
  { name: '§2.1 Deny whose condition fails does not apply', policies: [idp('p', allow('oss:*', '*'), denyS('oss:*', '*', cond({ Bool: { 'acs:SecureTransport': 'false' } })))], ...get('k'), context: { 'acs:SecureTransport': 'true' }, expect: 'Allow', matched: ['p#0'] },
  { name: '§7 M02 Allow oss:GetObject on acs:oss:*:*:*', policies: [idp('alice', allow('oss:GetObject', 'acs:oss:*:*:*'))], ...get('a.jpg'), expect: 'Allow' },
  { name: '§7 M04 group policies join the user set', policies: [idp('alice'), idp('group:devs', allow('oss:GetObject', 'acs:oss:*:*:photos/*'))].filter((p) => p.statements.length > 0), ...get('x'), expect: 'Allow', matched: ['group:devs#0'] },
  { name: '§7 M05 group Deny beats user Allow oss:*', policies: [idp('user', allow('oss:*', '*')), idp('group', denyS('oss:DeleteObject', 'acs:oss:*:*:photos/*'))], action: 'oss:DeleteObject', resource: obj('x'), expect: 'ExplicitDeny' },
  { name: '§7 M11 HeadObject is authorized as oss:GetObject', policies: [idp('p', allow('oss:GetObject', 'acs:oss:*:*:photos/*'))], ...get('k'), expect: 'Allow' },
  { name: '§7 M12 oss:PutObject does not cover oss:AbortMultipartUpload', policies: [idp('p', allow('oss:PutObject', 'acs:oss:*:*:photos/*'))], action: 'oss:AbortMultipartUpload', resource: obj('k'), expect: 'ImplicitDeny' },

  // §1.6 conditions: strings
  prefixCase('§7 M01 StringLike oss:Prefix: empty prefix does not match hangzhou/2015/*', 'StringLike', 'hangzhou/2015/*', { 'oss:Prefix': '' }, 'ImplicitDeny'),
  prefixCase('§1.6 StringLike oss:Prefix matches hangzhou/2015/01', 'StringLike', 'hangzhou/2015/*', { 'oss:Prefix': 'hangzhou/2015/01' }, 'Allow'),
  prefixCase('§1.6 positive operator with the key missing is false', 'StringLike', '*', {}, 'ImplicitDeny'),
  prefixCase('§1.6 StringEquals exact match', 'StringEquals', 'docs/', { 'oss:Prefix': 'docs/' }, 'Allow'),
  prefixCase('§1.6 StringEquals is case-sensitive', 'StringEquals', 'docs/', { 'oss:Prefix': 'Docs/' }, 'ImplicitDeny'),
  prefixCase('§1.6 StringEquals has no wildcard: "Development/*" is literal', 'StringEquals', 'Development/*', { 'oss:Prefix': 'Development/a' }, 'ImplicitDeny'),
  prefixCase('§1.6 StringEquals "" grants the root listing', 'StringEquals', '', { 'oss:Prefix': '' }, 'Allow'),
  prefixCase('§1.6 one key, several values: OR', 'StringEquals', ['a/', 'b/'], { 'oss:Prefix': 'b/' }, 'Allow'),
  prefixCase('§1.6 StringNotEquals: value outside the list', 'StringNotEquals', ['a/', 'b/'], { 'oss:Prefix': 'c/' }, 'Allow'),
  prefixCase('§1.6 StringNotEquals with several values is NOR', 'StringNotEquals', ['a/', 'b/'], { 'oss:Prefix': 'b/' }, 'ImplicitDeny'),
  prefixCase('§1.6 negated operator with the key missing is true', 'StringNotEquals', 'a/', {}, 'Allow'),
  prefixCase('§1.6 StringEqualsIgnoreCase', 'StringEqualsIgnoreCase', 'Docs/', { 'oss:Prefix': 'dOCS/' }, 'Allow'),
  prefixCase('§1.6 StringNotEqualsIgnoreCase: equal ignoring case is false', 'StringNotEqualsIgnoreCase', 'Docs/', { 'oss:Prefix': 'DOCS/' }, 'ImplicitDeny'),
  prefixCase('§1.6 StringNotEqualsIgnoreCase: different value is true', 'StringNotEqualsIgnoreCase', 'Docs/', { 'oss:Prefix': 'img/' }, 'Allow'),
  prefixCase('§1.6 StringLike is case-sensitive', 'StringLike', 'docs/*', { 'oss:Prefix': 'DOCS/a' }, 'ImplicitDeny'),
  prefixCase('§1.6 StringLike ?', 'StringLike', 'v?/', { 'oss:Prefix': 'v2/' }, 'Allow'),
  prefixCase('§1.6 StringNotLike: matching value is false', 'StringNotLike', ['tmp/*', 'cache/*'], { 'oss:Prefix': 'cache/x' }, 'ImplicitDeny'),
  prefixCase('§1.6 StringNotLike: non-matching value is true', 'StringNotLike', ['tmp/*', 'cache/*'], { 'oss:Prefix': 'docs/x' }, 'Allow'),
  {
    name: '§1.6 several keys under one operator: AND (one fails)',
    policies: [idp('p', allow('oss:ListObjects', '*', cond({ StringEquals: { 'oss:Prefix': 'a/', 'oss:Delimiter': '/' } })))],
    action: 'oss:ListObjects',
    resource: bkt(),
    context: { 'oss:Prefix': 'a/', 'oss:Delimiter': '' },
    expect: 'ImplicitDeny',
  },
  {
    name: '§1.6 several keys under one operator: AND (all hold)',
    policies: [idp('p', allow('oss:ListObjects', '*', cond({ StringEquals: { 'oss:Prefix': 'a/', 'oss:Delimiter': '/' } })))],
    action: 'oss:ListObjects',
    resource: bkt(),
    context: { 'oss:Prefix': 'a/', 'oss:Delimiter': '/' },
    expect: 'Allow',
  },
  {
    name: '§1.6 several operators: AND',
    policies: [idp('p', allow('oss:GetObject', '*', cond({ Bool: { 'acs:SecureTransport': 'true' }, IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } })))],
    ...get('k'),
    context: { 'acs:SecureTransport': 'true', 'acs:SourceIp': '192.168.1.1' },
    expect: 'ImplicitDeny',
  },
  ctxCase('§1.6 condition keys are case-insensitive (policy lower, request mixed)', 'StringEquals', 'acs:useragent', 'cli/1.0', { 'ACS:UserAgent': 'cli/1.0' }, 'Allow'),
  ctxCase('§1.6 unknown condition key is treated as missing', 'StringEquals', 'acs:NoSuchKey', 'x', { 'acs:UserAgent': 'x' }, 'ImplicitDeny'),
  ctxCase('§1.6 multi-valued request key: any value may match', 'StringEquals', 'oss:RequestObjectTag/team', 'blue', { 'oss:RequestObjectTag/team': ['red', 'blue'] }, 'Allow'),
  ctxCase('§1.7 StringLike acs:SourceVpc * selects VPC requests', 'StringLike', 'acs:SourceVpc', '*', { 'acs:SourceVpc': 'vpc-123' }, 'Allow'),
  ctxCase('§1.7 StringLike acs:SourceVpc * fails from the Internet (key absent)', 'StringLike', 'acs:SourceVpc', '*', { 'acs:SourceIp': '1.2.3.4' }, 'ImplicitDeny'),

  // numbers
  ctxCase('§1.6 NumericEquals compares numbers, not text', 'NumericEquals', 'oss:max-keys', '100', { 'oss:max-keys': '100.0' }, 'Allow'),
  ctxCase('§1.6 NumericNotEquals', 'NumericNotEquals', 'oss:max-keys', ['100', '200'], { 'oss:max-keys': '200' }, 'ImplicitDeny'),
  ctxCase('§1.6 NumericLessThan (true)', 'NumericLessThan', 'oss:max-keys', '100', { 'oss:max-keys': '99' }, 'Allow'),
  ctxCase('§1.6 NumericLessThan (border is false)', 'NumericLessThan', 'oss:max-keys', '100', { 'oss:max-keys': '100' }, 'ImplicitDeny'),
  ctxCase('§1.6 NumericLessThanEquals border', 'NumericLessThanEquals', 'oss:max-keys', '100', { 'oss:max-keys': '100' }, 'Allow'),
  ctxCase('§1.6 NumericGreaterThan', 'NumericGreaterThan', 'oss:object-remaining-retention-days', '30', { 'oss:object-remaining-retention-days': '31' }, 'Allow'),
  ctxCase('§1.6 NumericGreaterThanEquals', 'NumericGreaterThanEquals', 'oss:object-remaining-retention-days', '30', { 'oss:object-remaining-retention-days': '29.5' }, 'ImplicitDeny'),
  ctxCase('§1.6 unparsable number in the request is false', 'NumericLessThan', 'oss:max-keys', '100', { 'oss:max-keys': 'ten' }, 'ImplicitDeny'),

  // dates
  ctxCase('§1.6 DateLessThan compares instants across zones', 'DateLessThan', 'acs:CurrentTime', '2019-08-12T17:00:00+08:00', { 'acs:CurrentTime': '2019-08-12T08:59:59Z' }, 'Allow'),
  ctxCase('§1.6 DateLessThan: same instant is not less', 'DateLessThan', 'acs:CurrentTime', '2019-08-12T17:00:00+08:00', { 'acs:CurrentTime': '2019-08-12T09:00:00Z' }, 'ImplicitDeny'),
  ctxCase('§1.6 DateLessThanEquals: same instant', 'DateLessThanEquals', 'acs:CurrentTime', '2019-08-12T17:00:00+08:00', { 'acs:CurrentTime': '2019-08-12T09:00:00Z' }, 'Allow'),
  ctxCase('§1.6 DateEquals: same instant, different zones', 'DateEquals', 'acs:CurrentTime', '2019-08-12T17:00:00+08:00', { 'acs:CurrentTime': '2019-08-12T09:00:00.000Z' }, 'Allow'),
  ctxCase('§1.6 DateNotEquals', 'DateNotEquals', 'acs:CurrentTime', '2019-08-12T17:00:00+08:00', { 'acs:CurrentTime': '2019-08-12T09:00:00Z' }, 'ImplicitDeny'),
  ctxCase('§7 M14 DateGreaterThan 2030 fails today', 'DateGreaterThan', 'acs:CurrentTime', '2030-01-01T00:00:00Z', { 'acs:CurrentTime': '2025-06-01T00:00:00Z' }, 'ImplicitDeny'),
  ctxCase('§1.6 DateGreaterThanEquals', 'DateGreaterThanEquals', 'acs:CurrentTime', '2020-01-01T00:00:00Z', { 'acs:CurrentTime': '2025-06-01T00:00:00Z' }, 'Allow'),
  ctxCase('§1.6 date as epoch seconds in the request', 'DateGreaterThan', 'acs:CurrentTime', '2020-01-01T00:00:00Z', { 'acs:CurrentTime': '1750000000' }, 'Allow'),
  ctxCase('§1.6 unparsable date in the request is false', 'DateGreaterThan', 'acs:CurrentTime', '2020-01-01T00:00:00Z', { 'acs:CurrentTime': 'tomorrow' }, 'ImplicitDeny'),

  // bools
  ctxCase('§1.6 Bool is case-insensitive', 'Bool', 'acs:SecureTransport', 'true', { 'acs:SecureTransport': 'TRUE' }, 'Allow'),
  ctxCase('§1.6 Bool false vs true', 'Bool', 'acs:SecureTransport', 'true', { 'acs:SecureTransport': 'false' }, 'ImplicitDeny'),
  ctxCase('§1.7 Bool acs:MFAPresent absent is false', 'Bool', 'acs:MFAPresent', 'true', {}, 'ImplicitDeny'),

  // IPs
  ctxCase('§1.6 IpAddress IPv4 CIDR inside', 'IpAddress', 'acs:SourceIp', '10.0.0.0/8', { 'acs:SourceIp': '10.200.3.4' }, 'Allow'),
  ctxCase('§1.6 IpAddress IPv4 CIDR outside', 'IpAddress', 'acs:SourceIp', '10.0.0.0/8', { 'acs:SourceIp': '11.0.0.1' }, 'ImplicitDeny'),
  ctxCase('§1.6 IpAddress /27 boundaries', 'IpAddress', 'acs:SourceIp', '192.168.1.32/27', { 'acs:SourceIp': '192.168.1.63' }, 'Allow'),
  ctxCase('§1.6 IpAddress /27 just outside', 'IpAddress', 'acs:SourceIp', '192.168.1.32/27', { 'acs:SourceIp': '192.168.1.64' }, 'ImplicitDeny'),
  ctxCase('§1.6 IpAddress single address', 'IpAddress', 'acs:SourceIp', '203.0.113.7', { 'acs:SourceIp': '203.0.113.7' }, 'Allow'),
  ctxCase('§1.6 IpAddress IPv6 CIDR inside', 'IpAddress', 'acs:SourceIp', '2001:db8::/32', { 'acs:SourceIp': '2001:db8:ffff::1' }, 'Allow'),
  ctxCase('§1.6 IpAddress IPv6 CIDR outside', 'IpAddress', 'acs:SourceIp', '2001:db8::/32', { 'acs:SourceIp': '2001:db9::1' }, 'ImplicitDeny'),
  ctxCase('§1.6 IpAddress IPv6 single, differently written', 'IpAddress', 'acs:SourceIp', '2001:0db8:0000:0000:0000:0000:0000:0001', { 'acs:SourceIp': '2001:db8::1' }, 'Allow'),
  ctxCase('§1.6 IPv4-mapped IPv6 client matches an IPv4 CIDR', 'IpAddress', 'acs:SourceIp', '10.0.0.0/8', { 'acs:SourceIp': '::ffff:10.1.2.3' }, 'Allow'),
  ctxCase('§1.6 IPv4 CIDR does not match a native IPv6 client', 'IpAddress', 'acs:SourceIp', '0.0.0.0/0', { 'acs:SourceIp': '2001:db8::1' }, 'ImplicitDeny'),
  ctxCase('§1.6 OSS * octets: 101.*.*.100 matches', 'IpAddress', 'acs:SourceIp', '101.*.*.100', { 'acs:SourceIp': '101.37.5.100' }, 'Allow'),
  ctxCase('§1.6 OSS * octets: 101.*.*.100 does not match .101', 'IpAddress', 'acs:SourceIp', '101.*.*.100', { 'acs:SourceIp': '101.37.5.101' }, 'ImplicitDeny'),
  ctxCase('§1.6 NotIpAddress: inside the list is false (NOR)', 'NotIpAddress', 'acs:SourceIp', ['10.0.0.0/8', '192.168.0.0/16'], { 'acs:SourceIp': '192.168.4.4' }, 'ImplicitDeny'),
  ctxCase('§1.6 NotIpAddress: outside is true', 'NotIpAddress', 'acs:SourceIp', ['10.0.0.0/8', '192.168.0.0/16'], { 'acs:SourceIp': '8.8.8.8' }, 'Allow'),
  ctxCase('§1.6 NotIpAddress with the key missing is true', 'NotIpAddress', 'acs:SourceIp', '10.0.0.0/8', {}, 'Allow'),
  ctxCase('§1.6 IpAddress with the key missing is false', 'IpAddress', 'acs:SourceIp', '0.0.0.0/0', {}, 'ImplicitDeny'),
  ctxCase('§1.6 IpAddressIncludeBorder behaves as IpAddress', 'IpAddressIncludeBorder', 'acs:SourceIp', '10.0.0.0/24', { 'acs:SourceIp': '10.0.0.255' }, 'Allow'),
  ctxCase('§1.6 garbage client IP matches no IpAddress', 'IpAddress', 'acs:SourceIp', '0.0.0.0/0', { 'acs:SourceIp': 'unknown' }, 'ImplicitDeny'),

  // §2.4 bucket policy principals
  { name: '§2.4 "*" without Condition: anonymous', policies: [bp(allow('oss:GetObject', 'acs:oss:*:*:photos/*', { Principal: ['*'] }))], ...get('k'), caller: ANON, bucketOwner: OWNER, expect: 'Allow' },
  { name: '§2.4 "*" without Condition: another account', policies: [bp(allow('oss:GetObject', 'acs:oss:*:*:photos/*', { Principal: ['*'] }))], ...get('k'), caller: OTHER_ROOT, bucketOwner: OWNER, expect: 'Allow' },
  { name: '§2.4 "*" without Condition does not apply to the bucket owner', policies: [bp(denyS('oss:*', 'acs:oss:*:*:photos/*', { Principal: ['*'] }))], ...get('k'), caller: ROOT, bucketOwner: OWNER, expect: 'ImplicitDeny', matched: [] },
  { name: '§2.4 "*" without Condition still applies to RAM users of the owner account', policies: [bp(denyS('oss:*', 'acs:oss:*:*:photos/*', { Principal: ['*'] }))], ...get('k'), caller: ALICE, bucketOwner: OWNER, expect: 'ExplicitDeny' },
  { name: '§2.4 "*" with Condition applies to the bucket owner too', policies: [bp(denyS('oss:*', 'acs:oss:*:*:photos/*', { Principal: ['*'], Condition: { NotIpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } }))], ...get('k'), caller: ROOT, bucketOwner: OWNER, context: { 'acs:SourceIp': '1.2.3.4' }, expect: 'ExplicitDeny' },
  { name: '§2.4 [] is the same as ["*"] (M09)', policies: [bp(allow('oss:ListObjects', 'acs:oss:*:*:photos', { Principal: [] }))], action: 'oss:ListObjects', resource: bkt(), caller: ANON, bucketOwner: OWNER, expect: 'Allow' },
  { name: '§2.4 RAM user UID principal', policies: [bp(allow('oss:GetObject', 'acs:oss:*:*:photos/*', { Principal: [ALICE.kind === 'user' ? ALICE.userId : ''] }))], ...get('k'), caller: ALICE, bucketOwner: OWNER, expect: 'Allow' },
  { name: '§2.4 a user UID does not match another user', policies: [bp(allow('oss:GetObject', 'acs:oss:*:*:photos/*', { Principal: ['200000000000000001'] }))], ...get('k'), caller: BOB, bucketOwner: OWNER, expect: 'ImplicitDeny' },
  { name: '§2.4 account UID matches that account root', policies: [bp(allow('oss:GetObject', 'acs:oss:*:*:photos/*', { Principal: [OTHER] }))], ...get('k'), caller: OTHER_ROOT, bucketOwner: OWNER, expect: 'Allow' },
  { name: '§2.4/§8 account UID does not cover RAM users of that account', policies: [bp(allow('oss:GetObject', 'acs:oss:*:*:photos/*', { Principal: [OTHER] }))], ...get('k'), caller: MALLORY, bucketOwner: OWNER, expect: 'ImplicitDeny' },
  { name: '§2.4 assumed-role ARN with * session (M08)', policies: [bp(allow('oss:PutObject', 'acs:oss:*:*:photos/up/*', { Principal: [`arn:sts::${OWNER}:assumed-role/reader/*`] }))], action: 'oss:PutObject', resource: obj('up/k'), caller: READER, bucketOwner: OWNER, expect: 'Allow' },
  { name: '§2.4 role name in the principal is case-sensitive', policies: [bp(allow('oss:PutObject', '*', { Principal: [`arn:sts::${OWNER}:assumed-role/Reader/*`] }))], action: 'oss:PutObject', resource: obj('up/k'), caller: READER, bucketOwner: OWNER, expect: 'ImplicitDeny' },
  { name: '§2.4 a named principal does not include anonymous', policies: [bp(allow('oss:GetObject', '*', { Principal: [OTHER] }))], ...get('k'), caller: ANON, bucketOwner: OWNER, expect: 'ImplicitDeny' },
  { name: '§7 M13 Deny "*" if StringNotLike acs:AccessId STS.* (LTAI key)', policies: [bp(denyS('oss:Get*', 'acs:oss:*:*:photos/*', { Principal: '*', Condition: { StringNotLike: { 'acs:AccessId': ['TMP.*', 'STS.*'] } } }))], ...get('k'), caller: ALICE, bucketOwner: OWNER, context: { 'acs:AccessId': 'LTAI5tExampleExample1234' }, expect: 'ExplicitDeny' },
  { name: '§7 M13 the same Deny lets STS keys through', policies: [bp(denyS('oss:Get*', 'acs:oss:*:*:photos/*', { Principal: '*', Condition: { StringNotLike: { 'acs:AccessId': ['TMP.*', 'STS.*'] } } }))], ...get('k'), caller: READER, bucketOwner: OWNER, context: { 'acs:AccessId': 'STS.NUgYrLnoC37mZZCNnAbez' }, expect: 'ImplicitDeny' },
  { name: '§1.6/§1.7 Deny StringNotLike acs:SourceVpc vpc-* blocks Internet requests', policies: [bp(denyS('oss:*', 'acs:oss:*:*:photos/*', { Principal: ['*'], Condition: { StringNotLike: { 'acs:SourceVpc': 'vpc-*' } } }))], ...get('k'), caller: ALICE, bucketOwner: OWNER, context: { 'acs:SourceIp': '1.2.3.4' }, expect: 'ExplicitDeny' },

  // §2.7 trust policies
  { name: '§2.7 RAM root principal admits a user of the account', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OWNER}:root`] } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: ALICE, expect: 'Allow' },
  { name: '§2.7 RAM root principal admits a role session of the account', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: `acs:ram::${OWNER}:root` } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: READER, expect: 'Allow' },
  { name: '§2.7 RAM root principal does not admit another account', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OWNER}:root`] } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: MALLORY, expect: 'ImplicitDeny' },
  { name: '§2.7 RAM user principal admits that user', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OWNER}:user/alice`] } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: ALICE, expect: 'Allow' },
  { name: '§2.7 RAM user principal does not admit another user', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OWNER}:user/alice`] } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: BOB, expect: 'ImplicitDeny' },
  { name: '§2.7/§4.1 RAM role principal admits its sessions, role name any case', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OWNER}:role/Reader`] } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: READER, expect: 'Allow' },
  { name: '§2.7 Service principal admits the service', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['ecs.aliyuncs.com'] } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: ECS, expect: 'Allow' },
  { name: '§2.7 Service principal does not admit RAM users', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['ecs.aliyuncs.com'] } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: ALICE, expect: 'ImplicitDeny' },
  { name: '§2.7 Federated principal admits the provider', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Federated: [`acs:ram::${OWNER}:saml-provider/idp`] } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: { kind: 'federated', providerArn: `acs:ram::${OWNER}:saml-provider/idp` }, expect: 'Allow' },
  { name: '§2.7 ExternalId condition holds', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OTHER}:root`] }, Condition: { StringEquals: { 'sts:ExternalId': 'abc' } } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: MALLORY, context: { 'sts:ExternalId': 'abc' }, expect: 'Allow' },
  { name: '§2.7 ExternalId missing fails', policies: [tp({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${OTHER}:root`] }, Condition: { StringEquals: { 'sts:ExternalId': 'abc' } } })], action: 'sts:AssumeRole', resource: ROLE_ARN, caller: MALLORY, expect: 'ImplicitDeny' },
];

function compileAll(ps: readonly P[]): CompiledPolicy[] {
  return ps.map((p) => {
    const r = compilePolicy(JSON.stringify({ Version: '1', Statement: p.statements }), p.kind, { label: p.label });
    if (!r.ok) assert.fail(`${p.label}: ${r.error.message}`);
    return r.policy;
  });
}

describe('policy evaluation (table, spec ram-sts §1.3–§1.7, §2, §7)', () => {
  it('has at least 60 cases', () => assert.ok(cases.length >= 60, String(cases.length)));
  for (const c of cases) {
    it(c.name, () => {
      const policies = compileAll(c.policies);
      const req: EvalRequest = {
        action: c.action,
        resource: c.resource,
        ...(c.caller ? { caller: c.caller } : {}),
        ...(c.bucketOwner ? { bucketOwner: c.bucketOwner } : {}),
        ...(c.context ? { context: c.context } : {}),
      };
      const full = evaluate(policies, req);
      assert.equal(full.decision, c.expect, full.reasons.join('; '));
      assert.ok(full.reasons.length > 0);
      if (c.matched) assert.deepEqual(full.matched.map((m) => `${m.policy}#${m.statement}`), c.matched);
      // The fast path agrees, and names a statement that evaluate() also saw.
      const fast = decide(policies, req);
      assert.equal(fast.decision, c.expect);
      if (fast.deciding) assert.ok(full.matched.some((m) => m.policy === fast.deciding?.policy && m.statement === fast.deciding.statement && m.effect === fast.deciding.effect));
      else assert.equal(c.expect, 'ImplicitDeny');
    });
  }
});

describe('evaluation details', () => {
  it('§2.1 reasons name the policy, statement and Sid', () => {
    const [p] = compileAll([idp('guard', { Sid: 'NoDelete', Effect: 'Deny', Action: 'oss:DeleteObject', Resource: '*' })]);
    const r = evaluate([p as CompiledPolicy], { action: 'oss:DeleteObject', resource: obj('k') });
    assert.deepEqual(r.matched, [{ policy: 'guard', statement: 0, effect: 'Deny', sid: 'NoDelete' }]);
    assert.deepEqual(r.reasons, [`policy "guard" Statement[0] (Sid "NoDelete") denies oss:DeleteObject on ${obj('k')}`]);
  });

  it('§2.2 combine: ExplicitDeny > Allow > ImplicitDeny', () => {
    assert.equal(combine('Allow', 'ExplicitDeny'), 'ExplicitDeny');
    assert.equal(combine('ImplicitDeny', 'Allow'), 'Allow');
    assert.equal(combine('ImplicitDeny', 'ImplicitDeny'), 'ImplicitDeny');
    assert.equal(combine(), 'ImplicitDeny');
  });

  it('compilePolicy caches by text and shares the compiled body across labels', () => {
    clearPolicyCache();
    const text = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}';
    const a = compilePolicy(text, 'identity', { label: 'a' });
    const b = compilePolicy(text, 'identity', { label: 'b' });
    const a2 = compilePolicy(text, 'identity', { label: 'a' });
    assert.ok(a.ok && b.ok && a2.ok);
    assert.equal(a.policy, a2.policy);
    assert.equal(b.policy.label, 'b');
    assert.equal(a.policy.statements, b.policy.statements);
    assert.equal(policyCacheSize(), 1);
    compilePolicy(text, 'session');
    assert.equal(policyCacheSize(), 2);
    const bad = compilePolicy('{"Version":"1","Statement":[{"Effect":"allow","Action":"oss:*","Resource":"*"}]}', 'identity');
    assert.ok(!bad.ok && bad.error.path === 'Statement[0].Effect');
  });

  it('§1.5 glob has no catastrophic backtracking', () => {
    const m = compileGlob('*a*a*a*a*a*a*a*a*a*a*b');
    const s = 'a'.repeat(5000);
    const t0 = process.hrtime.bigint();
    assert.equal(m(s), false);
    assert.equal(m(`${s}b`), true);
    assert.ok(process.hrtime.bigint() - t0 < 200_000_000n);
  });

  it('§1.5 glob shapes', () => {
    const t = (p: string, s: string): boolean => compileGlob(p)(s);
    assert.ok(t('*', ''));
    assert.ok(t('a*', 'a'));
    assert.ok(t('*a', 'a'));
    assert.ok(!t('a*a', 'a'));
    assert.ok(t('a*a', 'aa'));
    assert.ok(t('a?*?c', 'abxc'));
    assert.ok(!t('a?*?c', 'abc'));
    assert.ok(t('*?', 'x'));
    assert.ok(!t('*?', ''));
    assert.ok(t('a*b*c', 'a-b-b-c'));
    assert.ok(!t('a*b*c', 'a-c-b'));
    assert.ok(t('?*/*?', 'x/y'));
  });

  it('§1.6 IP parsing', () => {
    assert.deepEqual(parseIp('1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    assert.deepEqual(parseIp('::'), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(parseIp('fe80::1:2'), [0xfe80, 0, 0, 0, 0, 0, 1, 2]);
    assert.equal(parseIp('1.2.3'), null);
    assert.equal(parseIp('1:2:3:4:5:6:7:8:9'), null);
    assert.equal(parseIp('1::2::3'), null);
    assert.equal(parseIpPattern('10.0.0.0/33'), null);
    assert.equal(parseIpPattern('2001:db8::/129'), null);
    assert.equal(parseIpPattern('1.*.3'), null);
    assert.ok(parseIpPattern('::/0')?.matches(parseIp('1.2.3.4') as number[]));
  });

  it('§1.6 operator fidelity (docs/policy.md "Condition operators, exactly")', () => {
    const holds = (operator: string, key: string, want: string | string[], got?: string | string[]): boolean => {
      const c = compilePolicy(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { [operator]: { [key]: want } } }] }), 'identity');
      assert.ok(c.ok);
      const context: ConditionContext = got === undefined ? {} : { [key]: got };
      return decide([c.policy], { action: 'oss:GetObject', resource: obj('k'), caller: ALICE, bucketOwner: OWNER, context }).decision === 'Allow';
    };
    // A request time without a zone is UTC whatever the process's time zone (before: local time, so this failed
    // under TZ=Asia/Shanghai while passing under UTC).
    const tz = process.env.TZ;
    try {
      for (const zone of ['UTC', 'Asia/Shanghai', 'America/Los_Angeles']) {
        process.env.TZ = zone;
        assert.equal(holds('DateEquals', 'acs:CurrentTime', '2030-01-01T08:00:00+08:00', '2030-01-01T00:00:00'), true, zone);
        assert.equal(holds('DateLessThan', 'acs:CurrentTime', '2030-01-01T00:00:00Z', '2029-12-31T23:59:59'), true, zone);
      }
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    assert.equal(holds('DateLessThan', 'acs:CurrentTime', '2030-01-01T00:00:00Z', '1893455999'), true, 'epoch seconds');
    assert.equal(holds('DateLessThan', 'acs:CurrentTime', '2030-01-01T00:00:00Z', '2029-12-31'), false, 'a date alone is no time');
    // Unparsable request values: the positive operator is false, its negation true (as a missing key).
    assert.equal(holds('NumericLessThan', 'oss:x', '10', 'abc'), false);
    assert.equal(holds('NumericNotEquals', 'oss:x', '10', 'abc'), true);
    assert.equal(holds('NumericEquals', 'oss:x', '10', '10.0'), true);
    assert.equal(holds('NumericEquals', 'oss:x', '10', '1e1'), false);
    assert.equal(holds('Bool', 'acs:SecureTransport', 'TRUE', 'true'), true);
    assert.equal(holds('Bool', 'acs:SecureTransport', 'true', 'yes'), false);
    assert.equal(holds('StringEqualsIgnoreCase', 'oss:Prefix', 'Data/', 'data/'), true);
    assert.equal(holds('StringEquals', 'oss:Prefix', 'Data/', 'data/'), false);
    assert.equal(holds('StringEquals', 'OSS:PREFIX', 'data/', 'data/'), true, 'keys are case-insensitive');
    assert.equal(holds('StringNotLike', 'oss:Prefix', 'data/*'), true, 'missing key, negated operator');
    assert.equal(holds('StringLike', 'oss:Prefix', 'data/*'), false, 'missing key, positive operator');
    assert.equal(holds('StringNotLike', 'oss:Prefix', 'data/*', ['w/', 'data/x']), false, 'multi-valued: none may match');
    assert.equal(holds('StringLike', 'oss:Prefix', 'data/*', ['w/', 'data/x']), true, 'multi-valued: any may match');
    assert.equal(holds('IpAddress', 'acs:SourceIp', '2001:db8::/32', '2001:DB8::1'), true);
    assert.equal(holds('IpAddress', 'acs:SourceIp', '10.0.0.0/8', '::ffff:10.1.2.3'), true, 'IPv4-mapped IPv6');
    assert.equal(holds('IpAddress', 'acs:SourceIp', '10.0.0.0/0', '2001:db8::1'), false, 'an IPv4 block holds no IPv6 address');
    assert.equal(holds('NotIpAddress', 'acs:SourceIp', '10.0.0.0/8', 'not-an-ip'), true);
    assert.equal(holds('IpAddress', 'acs:SourceIp', 'fe80::/10', 'fe80::1%eth0'), false, 'zone ids are no address');
  });
});

describe('condition keys: a walk of the context and its lowered map give one answer (operations.md, twenty-second pass)', () => {
  // A view reads its first few keys by walking the context and lowers the whole context after that; a key given in
  // several spellings is found on either path, and the memos of conditions and statements never carry one effect's
  // answer to the other. Checked against a plain reading of docs/policy.md on random contexts and policy sets.
  const KEYS = ['oss:RequestObjectTag/team', 'oss:RequestObjectTag/env', 'acs:UserAgent', 'oss:RequestObjectTag/a', 'oss:RequestObjectTag/b', 'acs:Referer', 'oss:x-oss-object-acl'];
  const VALUES = ['red', 'blue', 'green'];
  let seed = 20261206;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor(seed / 65536) % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const spell = (k: string, i: number): string => (i === 0 ? k : i === 1 ? k.toUpperCase() : k.replace(/\/(.)/, (_, c: string) => `/${c.toUpperCase()}`));
  const OPS: Record<string, { negated: boolean; test: (want: readonly string[], v: string) => boolean }> = {
    StringEquals: { negated: false, test: (want, v) => want.includes(v) },
    StringNotEquals: { negated: true, test: (want, v) => want.includes(v) },
    StringEqualsIgnoreCase: { negated: false, test: (want, v) => want.some((w) => w.toLowerCase() === v.toLowerCase()) },
  };
  type Cond = { op: string; key: string; values: string[] };
  type St = { effect: 'Allow' | 'Deny'; conds: Cond[] };
  /** The docs' rule, written out: each spelling apart for a key given in several (Deny: any; Allow: every). */
  function expected(statements: readonly St[], ctx: Record<string, string | string[]>): Decision {
    const spellings = (key: string): Array<string | string[]> => Object.keys(ctx).filter((k) => k.toLowerCase() === key.toLowerCase()).map((k) => ctx[k] as string | string[]);
    const holdsOn = (c: Cond, v: string | string[] | undefined): boolean => {
      const op = OPS[c.op]!;
      const vs = v === undefined ? [] : typeof v === 'string' ? [v] : v;
      const positive = vs.some((x) => op.test(c.values, x));
      return op.negated ? !positive : positive;
    };
    const holds = (c: Cond, effect: St['effect']): boolean => {
      const apart = spellings(c.key);
      if (apart.length > 1) return effect === 'Deny' ? apart.some((v) => holdsOn(c, v)) : apart.every((v) => holdsOn(c, v));
      return holdsOn(c, apart[0]);
    };
    const applying = statements.filter((st) => st.conds.every((c) => holds(c, st.effect)));
    if (applying.some((st) => st.effect === 'Deny')) return 'ExplicitDeny';
    return applying.length > 0 ? 'Allow' : 'ImplicitDeny';
  }

  it('2,000 random contexts and policy sets', () => {
    let ambiguousCases = 0;
    let lowered = 0;
    for (let i = 0; i < 2000; i++) {
      const ctx: Record<string, string | string[]> = {};
      for (const k of KEYS) {
        const n = rnd(4) === 0 ? 0 : rnd(3) === 0 ? 2 : 1;
        for (let s = 0; s < n; s++) ctx[spell(k, s === 0 ? 0 : 1 + rnd(2))] = rnd(4) === 0 ? [pick(VALUES), pick(VALUES)] : pick(VALUES);
      }
      // A few shared condition blocks, so statements of both effects share their applies memo (compile.ts).
      const blocks: Cond[][] = Array.from({ length: 5 }, () => Array.from({ length: 1 + rnd(3) }, () => ({ op: pick(Object.keys(OPS)), key: spell(pick(KEYS), rnd(3)), values: [pick(VALUES)] })));
      const statements: St[] = Array.from({ length: 2 + rnd(8) }, () => ({ effect: rnd(3) === 0 ? 'Deny' : 'Allow', conds: pick(blocks) }));
      const doc = (sts: readonly St[]): Stmt[] =>
        sts.map((st) => {
          const Condition: Record<string, Record<string, string[]>> = {};
          for (const c of st.conds) (Condition[c.op] ??= {})[c.key] = c.values;
          return { Effect: st.effect, Action: 'oss:PutObject', Resource: '*', Condition };
        });
      const half = rnd(statements.length);
      const policies = compileAll([idp('p1', ...doc(statements.slice(0, half))), idp('p2', ...doc(statements.slice(half)))].filter((p) => p.statements.length > 0));
      const req: EvalRequest = { action: 'oss:PutObject', resource: obj('k'), caller: ALICE, context: ctx };
      const want = expected(statements, ctx);
      const keysRead = new Set(statements.flatMap((st) => st.conds.map((c) => c.key.toLowerCase()))).size;
      if (keysRead > 4) lowered++;
      if (Object.keys(ctx).length !== new Set(Object.keys(ctx).map((k) => k.toLowerCase())).size) ambiguousCases++;
      // Twice: the second decision of the same context finds it lowered already (evaluate.ts lastLowered).
      assert.equal(decide(policies, req).decision, want, JSON.stringify({ ctx, statements }));
      assert.equal(evaluate(policies, req).decision, want, JSON.stringify({ ctx, statements }));
      assert.equal(decide(policies, req).decision, want, JSON.stringify({ ctx, statements }));
    }
    assert.ok(ambiguousCases > 200 && lowered > 50, `${ambiguousCases} cases with several spellings, ${lowered} reading more than 4 keys`);
  });
});

describe("a condition's last tested value (CompiledCondition.lastTest)", () => {
  it('answers each request by its own value: alternating IPs, equal text in another string, values past the kept length', () => {
    const [p] = compileAll([idp('ip', allow('oss:GetObject', '*', cond({ IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } })), allow('oss:PutObject', '*', cond({ StringLike: { 'acs:UserAgent': ['ok-*'] } })))]);
    const policies = [p as CompiledPolicy];
    const get = (ip: string): Decision => decide(policies, { action: 'oss:GetObject', resource: obj('k'), caller: ALICE, context: { 'acs:SourceIp': ip } }).decision;
    for (let i = 0; i < 6; i++) {
      assert.equal(get(i % 2 === 0 ? '10.1.2.3' : '192.168.0.1'), i % 2 === 0 ? 'Allow' : 'ImplicitDeny');
      // The same text built anew (not the string remembered): still its own answer.
      assert.equal(get(['10', '1', '2', '3'].join('.')), 'Allow');
      assert.equal(get(['192', '168', '0', '1'].join('.')), 'ImplicitDeny');
    }
    const put = (ua: string): Decision => decide(policies, { action: 'oss:PutObject', resource: obj('k'), caller: ALICE, context: { 'acs:UserAgent': ua } }).decision;
    const long = `ok-${'x'.repeat(100)}`;
    assert.equal(put(long), 'Allow');
    assert.equal(put(`no-${'x'.repeat(100)}`), 'ImplicitDeny');
    assert.equal(put(long), 'Allow');
    assert.equal(put('ok-short'), 'Allow');
    assert.equal(put('no-short'), 'ImplicitDeny');
    // Several values in one request: any may match, whatever was remembered before.
    assert.equal(decide(policies, { action: 'oss:GetObject', resource: obj('k'), caller: ALICE, context: { 'acs:SourceIp': ['192.168.0.1', '10.9.9.9'] } }).decision, 'Allow');
    assert.equal(decide(policies, { action: 'oss:GetObject', resource: obj('k'), caller: ALICE, context: { 'acs:SourceIp': ['192.168.0.1', '172.16.0.1'] } }).decision, 'ImplicitDeny');
  });
});
