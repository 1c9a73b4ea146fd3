import type { Principal } from '../auth/principal.js';
import { accessPointResource, type AccessPointView } from '../domain/access-point.js';
import { withoutPublicStatements } from '../domain/public-access.js';
import type { AuthzCheck } from '../oss/operations.js';
import { compileOrDenyAll, decide, type CompiledPolicy, type ConditionContext, type OssDecision } from '../policy/index.js';
import type { MatchMeter } from '../policy/glob.js';
import { policyCaller } from './caller.js';
import { outcomeOfDecision, type AuthzTrace } from './outcome.js';

// Requests through an access point's alias (docs/access-points.md): after the normal checks (RAM identity
// policy, bucket policy, owner, ACLs) allowed a check on the access point's bucket, the access point policy
// must allow it too (OSS: "the merged result of the RAM policy and bucket policy is Allow AND the access
// point policy is Allow"; no policy, or no matching statement, is an implicit deny). The policy engine
// evaluates the access point policy like a bucket policy, on the access point's ARN. Alunite has no VPCs,
// so an access point whose network origin is a VPC refuses every request; its Block Public Access drops
// the public statements of its policy.

const AP_POLICY_DENY = 'Access denied by access point policy.';
const VPC_ONLY = 'The access point accepts requests from its VPC only; this server has no VPC network.';

function refused(message: string, type: 'ExplicitDeny' | 'ImplicitDeny'): OssDecision {
  return { allowed: false, code: 'AccessDenied', message, noPermissionType: type };
}

/** The condition keys a request through an access point carries (bucket and access point policies can test them). */
export function accessPointConditionKeys(ap: AccessPointView): Record<string, string> {
  return {
    'oss:DataAccessPointArn': ap.arn,
    'oss:DataAccessPointAccount': ap.ownerAccountId,
    'oss:AccessPointNetworkOrigin': ap.networkOrigin,
  };
}

/**
 * `ctx` without an access point's keys, for a check on another bucket than the access point's (a copy's source): the
 * request did not reach that bucket through any access point. With them, a bucket policy delegating its access to the
 * account's access points (`oss:DataAccessPointAccount`) allowed a CopyObject or UploadPartCopy sent through another
 * bucket's access point to read it, and that access point's policy is never asked about another bucket.
 */
export function withoutAccessPointKeys(ctx: ConditionContext): ConditionContext {
  const { 'oss:DataAccessPointArn': _arn, 'oss:DataAccessPointAccount': _account, 'oss:AccessPointNetworkOrigin': _origin, ...rest } = ctx;
  return rest;
}

// The policy as evaluated (without its public statements while the access point blocks public access), compiled
// once per view. Views are per stored bucket record (domain/access-point.ts accessPointsOf), so a Put or Delete
// of the policy, made by this process or another sharing the store, gives a new record, new views and a fresh
// compile; the entries go with the records (a WeakMap), so the cache is as bounded as the store's record cache.
const evaluated = new WeakMap<AccessPointView, CompiledPolicy | null>();
let compilations = 0;

/** How many access point policies this process has prepared for evaluation (tests: once per stored document). */
export function accessPointPolicyCompilations(): number {
  return compilations;
}

export function evaluatedPolicyOf(ap: AccessPointView): CompiledPolicy | null {
  const cached = evaluated.get(ap);
  if (cached !== undefined || evaluated.has(ap)) return cached ?? null;
  compilations += 1;
  const text = ap.policy === null ? null : ap.blockPublicAccess ? withoutPublicStatements(ap.policy) : ap.policy;
  const compiled = text === null ? null : compileOrDenyAll(text, 'bucket', `access point policy of ${ap.name}`);
  evaluated.set(ap, compiled);
  return compiled;
}

/**
 * The access point's verdict on one already allowed check: null when it allows (or the check is on another
 * bucket, e.g. a copy's source named by its bucket name), else the refusal. Records the deciding statement.
 */
export function accessPointRefusal(principal: Principal, check: AuthzCheck, ap: AccessPointView, context: ConditionContext, trace?: AuthzTrace, meter?: MatchMeter): OssDecision | null {
  if (check.bucket !== ap.bucket) return null;
  const resource = accessPointResource(ap, check.key);
  if (ap.networkOrigin === 'vpc') {
    if (trace) trace.authz = { action: check.action, resource, decision: 'ImplicitDeny', layer: 'accesspoint', statementIndex: -1 };
    return refused(VPC_ONLY, 'ImplicitDeny');
  }
  const policy = evaluatedPolicyOf(ap);
  const result = policy === null
    ? { decision: 'ImplicitDeny' as const, deciding: null }
    : decide([policy], { action: check.action, resource, caller: policyCaller(principal), bucketOwner: ap.ownerAccountId, context, ...(meter ? { meter } : {}) });
  if (trace) trace.authz = outcomeOfDecision(check.action, resource, 'accesspoint', result);
  if (result.decision === 'Allow') return null;
  return refused(AP_POLICY_DENY, result.decision === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny');
}
