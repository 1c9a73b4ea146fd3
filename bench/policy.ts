/**
 * Micro-benchmark of the policy engine: 10 compiled policies × 10 statements (actions with and
 * without wildcards, NotAction, NotResource, IP/string/bool/date conditions), evaluated against a
 * rotating mix of requests for about a second. Reports decisions/s for decide() (the hot path
 * authorizeOss uses), for authorizeOss() with an identity set and a bucket policy, and for the
 * explaining evaluate(). `node dist/bench/policy.js` runs it standalone.
 */
import { pathToFileURL } from 'node:url';
import { compilePolicy, type CompiledPolicy } from '../src/policy/compile.js';
import { decide, evaluate, type EvalRequest } from '../src/policy/evaluate.js';
import { authorizeOss, ossResourceArn, type OssAuthzInput } from '../src/policy/oss.js';
import type { Caller, PolicyKind } from '../src/policy/types.js';

const OWNER = '1234567890123456';

function statement(p: number, s: number): Record<string, unknown> {
  const bucket = `bucket-${p}`;
  switch (s) {
    case 0:
      return { Effect: 'Allow', Action: ['oss:GetObject', 'oss:HeadObject'], Resource: `acs:oss:*:*:${bucket}/*` };
    case 1:
      return { Effect: 'Allow', Action: 'oss:Put*', Resource: [`acs:oss:*:*:${bucket}/uploads/*`, `acs:oss:*:*:${bucket}/tmp/*`] };
    case 2:
      return { Effect: 'Allow', Action: 'oss:ListObjects', Resource: `acs:oss:*:*:${bucket}`, Condition: { StringLike: { 'oss:Prefix': ['home/*', ''] } } };
    case 3:
      return { Effect: 'Deny', Action: 'oss:DeleteObject', Resource: `acs:oss:*:*:${bucket}/protected/*` };
    case 4:
      return { Effect: 'Allow', Action: 'oss:*', Resource: `acs:oss:*:*:${bucket}/*`, Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'] } } };
    case 5:
      return { Effect: 'Deny', Action: 'oss:*', Resource: '*', Condition: { Bool: { 'acs:SecureTransport': 'false' }, StringEquals: { 'acs:UserAgent': 'blocked-agent' } } };
    case 6:
      return { Effect: 'Allow', NotAction: ['oss:Delete*', 'oss:Put*'], Resource: `acs:oss:*:*:${bucket}-archive*` };
    case 7:
      return { Effect: 'Allow', Action: ['ram:Get*', 'ram:List*'], Resource: '*' };
    case 8:
      return { Effect: 'Deny', Action: 'oss:GetObject', NotResource: [`acs:oss:*:*:${bucket}/*`, 'acs:oss:*:*:shared/*'], Condition: { StringNotLike: { 'acs:AccessId': 'STS.*' } } };
    default:
      return { Effect: 'Allow', Action: 'oss:Get?bject*', Resource: `acs:oss:*:*:${bucket}/public/*`, Condition: { DateLessThan: { 'acs:CurrentTime': '2099-01-01T00:00:00Z' } } };
  }
}

function compile(kind: PolicyKind, label: string, statements: Record<string, unknown>[]): CompiledPolicy {
  const r = compilePolicy(JSON.stringify({ Version: '1', Statement: statements }), kind, { label });
  if (!r.ok) throw new Error(`${label}: ${r.error.message}`);
  return r.policy;
}

const policies = Array.from({ length: 10 }, (_, p) => compile('identity', `policy-${p}`, Array.from({ length: 10 }, (_, s) => statement(p, s))));
const bucketPolicy = compile('bucket', 'bucket policy', [
  { Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:bucket-3/*', Principal: ['*'], Condition: { IpAddress: { 'acs:SourceIp': '203.0.113.0/24' } } },
  { Effect: 'Deny', Action: 'oss:Delete*', Resource: 'acs:oss:*:*:bucket-3/*', Principal: ['200000000000000009'] },
]);

const ctx = [
  { 'acs:SourceIp': '10.1.2.3', 'acs:SecureTransport': 'true', 'acs:AccessId': 'LTAI5tExampleExample1234', 'acs:CurrentTime': '2025-06-01T00:00:00Z' },
  { 'acs:SourceIp': '203.0.113.9', 'acs:SecureTransport': 'false', 'acs:UserAgent': 'aliyun-sdk-js/6.0', 'oss:Prefix': 'home/alice/' },
  { 'acs:SourceIp': '2001:db8::42', 'acs:AccessId': 'STS.NUgYrLnoC37mZZCNnAbez', 'oss:Prefix': '' },
];
const obj = (b: number, k: string): string => ossResourceArn('cn-hangzhou', OWNER, `bucket-${b}`, k);
const requests: EvalRequest[] = [
  { action: 'oss:GetObject', resource: obj(3, 'a/b/c.jpg'), context: ctx[0] },
  { action: 'oss:PutObject', resource: obj(7, 'uploads/x.bin'), context: ctx[1] },
  { action: 'oss:ListObjects', resource: ossResourceArn('cn-hangzhou', OWNER, 'bucket-2'), context: ctx[1] },
  { action: 'oss:DeleteObject', resource: obj(5, 'protected/k'), context: ctx[0] },
  { action: 'oss:GetObject', resource: obj(11, 'elsewhere'), context: ctx[2] },
  { action: 'oss:GetBucketInfo', resource: ossResourceArn('cn-hangzhou', OWNER, 'bucket-9'), context: ctx[0] },
  { action: 'ram:ListUsers', resource: `acs:ram::${OWNER}:user/*`, context: ctx[2] },
  { action: 'oss:AbortMultipartUpload', resource: obj(1, 'tmp/upload'), context: ctx[1] },
];

const ALICE: Caller = { kind: 'user', accountId: OWNER, userId: '200000000000000001', userName: 'alice' };
const ossInputs: OssAuthzInput[] = requests
  .filter((r) => r.action.startsWith('oss:'))
  .map((r, i) => ({
    caller: ALICE,
    bucketOwner: OWNER,
    identityPolicies: policies,
    bucketPolicy,
    check: { action: r.action, resource: r.resource, acl: i % 2 === 0 ? 'read' : 'write', isObject: r.resource.includes('/') },
    effectiveAcl: 'private',
    ...(r.context ? { context: r.context } : {}),
  }));

/** Runs for ~ms of wall time; returns per wall second and per CPU second (the machine may be shared). */
function rate(run: (i: number) => number, ms: number): { wall: number; cpu: number } {
  let n = 0;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(ms) * 1_000_000n;
  let now = t0;
  while (now < deadline) {
    for (let i = 0; i < 10_000; i++) sink += run(n + i);
    n += 10_000;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  if (sink < 0) console.log(sink); // keep the work observable
  return { wall: Math.round(n / (Number(now - t0) / 1e9)), cpu: Math.round(n / ((cpu.user + cpu.system) / 1e6)) };
}

export interface PolicyBenchResult {
  /** decide() over the 10×10 identity set, per wall-clock second. */
  decisionsPerSecond: number;
  /** The same per CPU second of this process (differs when the machine is busy). */
  decisionsPerCpuSecond: number;
  /** authorizeOss(): session/identity/bucket/ACL chain with the same identity set plus a bucket policy. */
  ossDecisionsPerSecond: number;
  /** evaluate(): every applying statement plus reasons. */
  evaluateDecisionsPerSecond: number;
}

/** One decision of the mix per call, by API (also for bench/icount-policy.ts). */
export function policyWorkload(api: string): (i: number) => number {
  const nReq = requests.length;
  const nOss = ossInputs.length;
  if (api === 'decide') return (i) => (decide(policies, requests[i % nReq] as EvalRequest).decision === 'Allow' ? 1 : 0);
  if (api === 'oss') return (i) => (authorizeOss(ossInputs[i % nOss] as OssAuthzInput).allowed ? 1 : 0);
  if (api === 'evaluate') return (i) => evaluate(policies, requests[i % nReq] as EvalRequest).matched.length;
  throw new Error(`unknown policy workload ${api}`);
}

export async function benchPolicy(): Promise<PolicyBenchResult> {
  const viaDecide = policyWorkload('decide');
  const viaOss = policyWorkload('oss');
  const viaEvaluate = policyWorkload('evaluate');
  rate(viaDecide, 150); // warm-up
  rate(viaOss, 100);
  const d = rate(viaDecide, 1000);
  const oss = rate(viaOss, 500);
  rate(viaEvaluate, 100);
  const ev = rate(viaEvaluate, 500);
  return { decisionsPerSecond: d.wall, decisionsPerCpuSecond: d.cpu, ossDecisionsPerSecond: oss.wall, evaluateDecisionsPerSecond: ev.wall };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchPolicy();
  console.log(JSON.stringify(r));
}
