// The explainer (src/policy/explain.ts) against the fast path: on thousands of generated policies and
// requests its decision, deciding layer and statement always equal authorizeOss / decideRamAction /
// authorizeAssumeRole's, and the statements it marks as applying are exactly evaluate()'s. Plus the
// shape of the trace for the cases users ask about (failing condition with key/operator/expected/actual).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ossResourceArn, ossServiceArn, ramRoleArn, stsAssumedRoleArn } from '../src/policy/arn.js';
import { compilePolicy, type CompiledPolicy } from '../src/policy/compile.js';
import { evaluate, type EvalRequest } from '../src/policy/evaluate.js';
import { explainAssumeRole, explainOss, explainPolicyLayers, explainRamAction, type DecisionTrace, type LayerTrace } from '../src/policy/explain.js';
import { authorizeOss, type OssAcl, type OssAuthzInput, type OssCaller, type OssCheck } from '../src/policy/oss.js';
import { decideRamAction, type RamActionAuthzInput } from '../src/policy/ram-action.js';
import { authorizeAssumeRole, type AssumeRoleAuthzInput } from '../src/policy/sts.js';
import type { Caller, ConditionContext, PolicyKind } from '../src/policy/types.js';

const OWNER = '1234567890123456';
const OTHER = '6543210987654321';
const REGION = 'cn-hangzhou';
const ALICE: OssCaller = { kind: 'user', accountId: OWNER, userId: '200000000000000001', userName: 'alice' };
const MALLORY: OssCaller = { kind: 'user', accountId: OTHER, userId: '200000000000000009', userName: 'mallory' };
const ROOT: OssCaller = { kind: 'root', accountId: OWNER };
const OTHER_ROOT: OssCaller = { kind: 'root', accountId: OTHER };
const READER: OssCaller = { kind: 'role', accountId: OWNER, roleName: 'reader', sessionName: 's1' };
const ANON: OssCaller = { kind: 'anonymous' };
const CALLERS: OssCaller[] = [ALICE, MALLORY, ROOT, OTHER_ROOT, READER, ANON];

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const ACTIONS = ['oss:GetObject', 'oss:PutObject', 'oss:ListObjects', 'oss:PutBucketPolicy', 'oss:GetObjectAcl', 'oss:ListBuckets', 'ram:CreateUser', 'ram:GetUser', 'sts:AssumeRole'];
const ACTION_PATTERNS = ['oss:GetObject', 'oss:*', 'oss:Put*', 'oss:List*', '*', 'ram:*', 'ram:Get*', 'sts:AssumeRole', 'OSS:getobject'];
const RESOURCE_PATTERNS = ['*', 'acs:oss:*:*:photos/*', 'acs:oss:*:*:photos/a*', 'acs:oss:*:*:photos', 'acs:oss:*:*:other/*', `acs:oss:*:${OWNER}:*`, `acs:oss:*:${OTHER}:photos/*`, 'acs:oss:*:*:*', 'acs:ram:*:*:user/*', `acs:ram::${OWNER}:user/bob`, 'acs:ram:*:*:role/reader'];
const CONDITIONS: Record<string, Record<string, string | string[]>>[] = [
  { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } },
  { NotIpAddress: { 'acs:SourceIp': ['192.168.0.0/16', '10.1.0.0/16'] } },
  { StringEquals: { 'oss:Prefix': 'a/' } },
  { StringLike: { 'acs:UserAgent': '*curl*' } },
  { Bool: { 'acs:SecureTransport': 'true' } },
  { DateLessThan: { 'acs:CurrentTime': '2030-01-01T00:00:00Z' } },
  { StringNotEquals: { 'oss:Delimiter': '/' } },
  { StringEquals: { 'sts:ExternalId': 'abc' } },
  { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' }, Bool: { 'acs:SecureTransport': 'false' } },
];
const BUCKET_PRINCIPALS = [['*'], [ALICE.kind === 'user' ? ALICE.userId : ''], [OWNER], [], [stsAssumedRoleArn(OWNER, 'reader', '*')], [OTHER]];
const TRUST_PRINCIPALS = [{ RAM: [`acs:ram::${OWNER}:root`] }, { RAM: [`acs:ram::${OWNER}:user/alice`] }, { RAM: [`acs:ram::${OTHER}:root`] }, { Service: ['ecs.aliyuncs.com'] }, { RAM: ['acs:ram::*:role/reader'] }];

function statement(r: Rng, kind: PolicyKind): Record<string, unknown> {
  const st: Record<string, unknown> = { Effect: r.chance(0.35) ? 'Deny' : 'Allow' };
  const actions = Array.from({ length: 1 + r.int(2) }, () => r.pick(ACTION_PATTERNS));
  st[kind !== 'trust' && r.chance(0.15) ? 'NotAction' : 'Action'] = actions.length === 1 ? actions[0] : actions;
  if (kind !== 'trust') {
    const res = Array.from({ length: 1 + r.int(2) }, () => r.pick(RESOURCE_PATTERNS));
    st[r.chance(0.15) ? 'NotResource' : 'Resource'] = res.length === 1 ? res[0] : res;
  }
  if (kind === 'bucket') st.Principal = r.pick(BUCKET_PRINCIPALS);
  if (kind === 'trust') st.Principal = r.pick(TRUST_PRINCIPALS);
  if (r.chance(0.4)) st.Condition = r.pick(CONDITIONS);
  if (r.chance(0.3)) st.Sid = `S${r.int(100)}`;
  return st;
}

let serial = 0;
function policy(r: Rng, kind: PolicyKind, label: string): CompiledPolicy | null {
  const statements = Array.from({ length: 1 + r.int(4) }, () => statement(r, kind));
  const c = compilePolicy(JSON.stringify({ Version: '1', Statement: statements }), kind, { label: `${label}-${serial++}` });
  return c.ok ? c.policy : null;
}

function context(r: Rng): ConditionContext | undefined {
  if (r.chance(0.15)) return undefined;
  const ctx: Record<string, string | string[] | undefined> = {
    'acs:SourceIp': r.pick(['10.0.0.7', '192.168.1.2', '10.1.2.3', '::1', '127.0.0.1']),
    'acs:SecureTransport': r.pick(['true', 'false']),
    'acs:CurrentTime': r.pick(['2026-12-02T03:00:00Z', '2031-01-01T00:00:00Z']),
  };
  if (r.chance(0.5)) ctx['acs:UserAgent'] = r.pick(['curl/8.0', 'aliyun-sdk-js/6.23']);
  if (r.chance(0.5)) ctx['oss:Prefix'] = r.pick(['a/', 'b/', '']);
  if (r.chance(0.3)) ctx['oss:Delimiter'] = r.pick(['/', '']);
  if (r.chance(0.3)) ctx['sts:ExternalId'] = r.pick(['abc', 'xyz']);
  return ctx;
}

/** A layer trace's applied statements must be exactly evaluate()'s matched ones. */
function checkStatements(layer: LayerTrace, policies: readonly CompiledPolicy[], req: EvalRequest, tag: string): void {
  if (layer.verdict === 'NotConsulted') return;
  const fromTrace = layer.policies.flatMap((p) => p.statements.filter((s) => s.applied).map((s) => `${p.name}#${s.index}`));
  const fromEval = evaluate(policies, req).matched.map((m) => `${m.policy}#${m.statement}`);
  assert.deepEqual(fromTrace, fromEval, `${tag}: ${layer.layer} applied statements`);
  for (const p of layer.policies) for (const s of p.statements) {
    if (s.applied) assert.equal(s.failed, undefined);
    else assert.ok(s.failed, `${tag}: a statement that did not apply names its failing part`);
  }
}

const layer = (t: DecisionTrace, name: string): LayerTrace => {
  const l = t.layers.find((x) => x.layer === name);
  assert.ok(l, `layer ${name} in ${JSON.stringify(t.layers.map((x) => x.layer))}`);
  return l;
};

describe('explainer decisions equal the fast path (generated cases)', () => {
  it('OSS: authorizeOss and explainOss agree on 4000 generated requests', () => {
    const r = rng(14);
    // Identity sets reused across requests, as the server's cache does (decide then uses its set index).
    const identitySets: CompiledPolicy[][] = Array.from({ length: 12 }, () => Array.from({ length: r.int(4) }, () => policy(r, 'identity', 'id')).filter((p): p is CompiledPolicy => p !== null));
    let denies = 0;
    let allows = 0;
    for (let i = 0; i < 4000; i++) {
      const caller = r.pick(CALLERS);
      const service = r.chance(0.1);
      const key = r.pick(['a/x.txt', 'b/y.txt', 'ax', null]);
      const bucketName = r.pick(['photos', 'other']);
      const bucketOwner = service ? null : r.pick([OWNER, OWNER, OTHER]);
      const action = service ? 'oss:ListBuckets' : r.pick(ACTIONS.filter((a) => a.startsWith('oss:') && a !== 'oss:ListBuckets'));
      const acl = action === 'oss:GetObject' || action === 'oss:ListObjects' ? 'read' : action === 'oss:PutObject' ? 'write' : 'none';
      const resource = service ? ossServiceArn(caller.kind === 'anonymous' ? '*' : caller.accountId) : ossResourceArn(REGION, bucketOwner!, bucketName, key ?? undefined);
      const check: OssCheck = { action, resource, acl, isObject: key !== null };
      const input: OssAuthzInput = {
        caller,
        bucketOwner,
        identityPolicies: r.pick(identitySets),
        sessionPolicy: caller.kind === 'role' && r.chance(0.6) ? policy(r, 'session', 'session') : null,
        bucketPolicy: !service && r.chance(0.6) ? policy(r, 'bucket', 'bucket') : null,
        check,
        effectiveAcl: r.pick<OssAcl>(['private', 'public-read', 'public-read-write']),
        context: context(r),
      };
      const fast = authorizeOss(input);
      const t = explainOss(input);
      const tag = `case ${i}: ${JSON.stringify({ caller, action, resource, acl: input.effectiveAcl, fast })}`;
      assert.equal(t.decision, fast.allowed ? 'Allow' : fast.noPermissionType, tag);
      if (fast.deciding) {
        assert.equal(t.decidingLayer, fast.deciding.layer, tag);
        if (fast.deciding.statement >= 0) assert.deepEqual(layer(t, fast.deciding.layer).deciding, { policy: fast.deciding.policy, statement: fast.deciding.statement }, tag);
      }
      assert.deepEqual(t.layers.map((l) => l.layer), ['session', 'identity', 'bucket', 'owner', 'acl'], tag);
      const req: EvalRequest = { action, resource, caller, bucketOwner: bucketOwner ?? undefined, context: input.context };
      checkStatements(layer(t, 'session'), input.sessionPolicy ? [input.sessionPolicy] : [], req, tag);
      checkStatements(layer(t, 'identity'), input.identityPolicies, req, tag);
      checkStatements(layer(t, 'bucket'), input.bucketPolicy ? [input.bucketPolicy] : [], req, tag);
      if (fast.allowed) allows++;
      else denies++;
    }
    // The generator reaches both outcomes plenty of times.
    assert.ok(allows > 500 && denies > 500, `${allows} allows, ${denies} denies`);
  });

  it('RAM actions: decideRamAction and explainRamAction agree on 2000 generated requests', () => {
    const r = rng(1402);
    const callers: Caller[] = [ALICE, MALLORY, ROOT, OTHER_ROOT, READER, ANON];
    for (let i = 0; i < 2000; i++) {
      const input: RamActionAuthzInput = {
        caller: r.pick(callers),
        accountId: OWNER,
        identityPolicies: Array.from({ length: r.int(3) }, () => policy(r, 'identity', 'id')).filter((p): p is CompiledPolicy => p !== null),
        sessionPolicy: r.chance(0.5) ? policy(r, 'session', 'session') : null,
        action: r.pick(['ram:CreateUser', 'ram:GetUser', 'ram:ListUsers']),
        resource: r.pick([`acs:ram::${OWNER}:user/bob`, `acs:ram::${OWNER}:user/eve`, `acs:ram::${OWNER}:user/*`]),
        context: context(r),
      };
      const fast = decideRamAction(input);
      const t = explainRamAction(input);
      const tag = `case ${i}: ${JSON.stringify({ caller: input.caller, action: input.action, resource: input.resource, fast: fast.result.decision, layer: fast.layer })}`;
      assert.equal(t.decision, fast.result.decision, tag);
      assert.equal(t.decidingLayer, fast.layer, tag);
      if (fast.result.deciding) assert.deepEqual(layer(t, fast.layer!).deciding, { policy: fast.result.deciding.policy, statement: fast.result.deciding.statement }, tag);
    }
  });

  it('RAM actions: the caller-derived keys (acs:MFAPresent, acs:PrincipalAccount) count in the trace as in the decision', () => {
    // Before: explainRamAction evaluated without the caller, so these keys were missing from the trace only
    // (test/policy-differential.test.ts: a GetUser allowed on "Bool acs:MFAPresent false" was explained as refused).
    for (const [key, value] of [['acs:MFAPresent', 'false'], ['acs:PrincipalAccount', OWNER]] as const) {
      const c = compilePolicy(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ram:GetUser', Resource: '*', Condition: { [key === 'acs:MFAPresent' ? 'Bool' : 'StringEquals']: { [key]: value } } }] }), 'identity');
      assert.ok(c.ok);
      const input: RamActionAuthzInput = { caller: ALICE, accountId: OWNER, identityPolicies: [c.policy], sessionPolicy: null, action: 'ram:GetUser', resource: `acs:ram::${OWNER}:user/alice`, context: {} };
      assert.equal(decideRamAction(input).result.decision, 'Allow', key);
      assert.equal(explainRamAction(input).decision, 'Allow', key);
    }
  });

  it('AssumeRole: authorizeAssumeRole and explainAssumeRole agree on 2000 generated requests', () => {
    const r = rng(1403);
    const callers: Caller[] = [ALICE, MALLORY, ROOT, READER, ANON, { kind: 'service', service: 'ecs.aliyuncs.com' }];
    let allows = 0;
    for (let i = 0; i < 2000; i++) {
      const trust = policy(r, 'trust', 'trust');
      if (trust === null) continue;
      const input: AssumeRoleAuthzInput = {
        caller: r.pick(callers),
        identityPolicies: Array.from({ length: r.int(3) }, () => policy(r, 'identity', 'id')).filter((p): p is CompiledPolicy => p !== null),
        sessionPolicy: r.chance(0.4) ? policy(r, 'session', 'session') : null,
        trustPolicy: trust,
        roleArn: ramRoleArn(OWNER, 'reader'),
        context: context(r),
      };
      const fast = authorizeAssumeRole(input);
      const t = explainAssumeRole(input);
      const tag = `case ${i}: ${JSON.stringify({ caller: input.caller, fast })}`;
      assert.equal(t.decision === 'Allow', fast.allowed, tag);
      if (fast.deciding) {
        assert.equal(t.decision, fast.deciding.result.decision, tag);
        assert.equal(t.decidingLayer, fast.deciding.layer, tag);
        const d = fast.deciding.result.deciding;
        if (d) assert.deepEqual(layer(t, fast.deciding.layer).deciding, { policy: d.policy, statement: d.statement }, tag);
      }
      if (fast.allowed) allows++;
    }
    assert.ok(allows > 20, `${allows} allows`);
  });
});

describe('trace contents', () => {
  const compile = (kind: PolicyKind, label: string, statements: Record<string, unknown>[]): CompiledPolicy => {
    const c = compilePolicy(JSON.stringify({ Version: '1', Statement: statements }), kind, { label });
    if (!c.ok) assert.fail(c.error.message);
    return c.policy;
  };
  const getObject = (key: string): OssCheck => ({ action: 'oss:GetObject', resource: ossResourceArn(REGION, OWNER, 'photos', key), acl: 'read', isObject: true });

  it('a session-policy implicit deny: the session layer refused, the others not consulted, each statement says what failed', () => {
    const session = compile('session', 'session policy', [{ Effect: 'Allow', Action: 'oss:PutObject', Resource: '*' }, { Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:other/*' }]);
    const t = explainOss({ caller: READER, bucketOwner: OWNER, identityPolicies: [compile('identity', 'ReadAll', [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }])], sessionPolicy: session, check: getObject('a.txt') });
    assert.equal(t.decision, 'ImplicitDeny');
    assert.equal(t.decidingLayer, 'session');
    const s = layer(t, 'session');
    assert.equal(s.verdict, 'NoMatch');
    assert.deepEqual(s.policies[0]!.statements.map((x) => x.failed), ['Action', 'Resource']);
    for (const name of ['identity', 'bucket', 'owner', 'acl']) assert.equal(layer(t, name).verdict, 'NotConsulted');
    // The fast path names the layer and the policy too (it named nothing before).
    const fast = authorizeOss({ caller: READER, bucketOwner: OWNER, identityPolicies: [], sessionPolicy: session, check: getObject('a.txt') });
    assert.equal(fast.deciding?.layer, 'session');
    assert.equal(fast.deciding?.policy, 'session policy');
  });

  it('a failing IpAddress condition shows key, operator, expected values and the actual value (or missing)', () => {
    const id = compile('identity', 'office-only', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '172.16.0.0/12'] } } }]);
    const t = explainOss({ caller: ALICE, bucketOwner: OWNER, identityPolicies: [id], check: getObject('a.txt'), context: { 'acs:SourceIp': '192.168.1.5' } });
    assert.equal(t.decision, 'ImplicitDeny');
    assert.equal(t.decidingLayer, 'acl');
    const st = layer(t, 'identity').policies[0]!.statements[0]!;
    assert.equal(st.failed, 'Condition');
    assert.deepEqual(st.conditions, [{ key: 'acs:SourceIp', operator: 'IpAddress', expected: ['10.0.0.0/8', '172.16.0.0/12'], actual: ['192.168.1.5'] }]);
    const missing = explainOss({ caller: ALICE, bucketOwner: OWNER, identityPolicies: [id], check: getObject('a.txt') });
    assert.equal(layer(missing, 'identity').policies[0]!.statements[0]!.conditions![0]!.actual, null);
  });

  it('ACL layer: public-read grants reads; a private ACL refuses and says so', () => {
    const read = explainOss({ caller: ALICE, bucketOwner: OWNER, identityPolicies: [], check: getObject('a.txt'), effectiveAcl: 'public-read' });
    assert.equal(read.decision, 'Allow');
    assert.equal(read.decidingLayer, 'acl');
    assert.match(layer(read, 'acl').reason, /public-read grants reads/);
    const priv = explainOss({ caller: ALICE, bucketOwner: OWNER, identityPolicies: [], check: getObject('a.txt'), effectiveAcl: 'private' });
    assert.equal(layer(priv, 'acl').verdict, 'NoMatch');
    assert.equal(layer(priv, 'owner').verdict, 'NoMatch');
  });

  it('a bucket-policy Principal mismatch is reported as the failing part', () => {
    const bp = compile('bucket', 'bucket policy of photos', [{ Effect: 'Allow', Action: 'oss:GetObject', Principal: [OTHER], Resource: '*' }]);
    const t = explainOss({ caller: ALICE, bucketOwner: OWNER, identityPolicies: [], bucketPolicy: bp, check: getObject('a.txt') });
    assert.equal(layer(t, 'bucket').policies[0]!.statements[0]!.failed, 'Principal');
  });

  it('policy layers alone model the session policy as an intersection with the role\'s policies', () => {
    const role = compile('identity', 'role.json', [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }]);
    const session = compile('session', 'session.json', [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }]);
    const put: EvalRequest = { action: 'oss:PutObject', resource: ossResourceArn(REGION, OWNER, 'photos', 'a') };
    assert.equal(explainPolicyLayers({ identityPolicies: [role], request: put }).decision, 'Allow');
    const t = explainPolicyLayers({ identityPolicies: [role], sessionPolicy: session, request: put });
    assert.equal(t.decision, 'ImplicitDeny');
    assert.equal(t.decidingLayer, 'session');
    assert.equal(explainPolicyLayers({ identityPolicies: [role], sessionPolicy: session, request: { ...put, action: 'oss:GetObject' } }).decision, 'Allow');
  });
});
