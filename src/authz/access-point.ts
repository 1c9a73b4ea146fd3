import type { Principal } from '../auth/principal.js';
import { accessPointResource, type AccessPointView } from '../domain/access-point.js';
import { withoutPublicStatements } from '../domain/public-access.js';
import type { AuthzCheck } from '../oss/operations.js';
import { compileOrDenyAll, decide, type ConditionContext, type OssDecision } from '../policy/index.js';
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
 * The access point's verdict on one already allowed check: null when it allows (or the check is on another
 * bucket, e.g. a copy's source named by its bucket name), else the refusal. Records the deciding statement.
 */
export function accessPointRefusal(principal: Principal, check: AuthzCheck, ap: AccessPointView, context: ConditionContext, trace?: AuthzTrace): OssDecision | null {
  if (check.bucket !== ap.bucket) return null;
  const resource = accessPointResource(ap, check.key);
  if (ap.networkOrigin === 'vpc') {
    if (trace) trace.authz = { action: check.action, resource, decision: 'ImplicitDeny', layer: 'accesspoint', statementIndex: -1 };
    return refused(VPC_ONLY, 'ImplicitDeny');
  }
  const text = ap.policy === null ? null : ap.blockPublicAccess ? withoutPublicStatements(ap.policy) : ap.policy;
  const label = `access point policy of ${ap.name}`;
  const result = text === null
    ? { decision: 'ImplicitDeny' as const, deciding: null }
    : decide([compileOrDenyAll(text, 'bucket', label)], { action: check.action, resource, caller: policyCaller(principal), bucketOwner: ap.ownerAccountId, context });
  if (trace) trace.authz = outcomeOfDecision(check.action, resource, 'accesspoint', result);
  if (result.decision === 'Allow') return null;
  return refused(AP_POLICY_DENY, result.decision === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny');
}
