import type { Principal } from '../auth/principal.js';
import type { Bucket, ObjectRecord } from '../domain/model.js';
import { AppError } from '../errors.js';
import type { AuthzCheck, Operation } from '../oss/operations.js';
import { authorizeOss, compilePolicy, ossResourceArn, ossServiceArn, type CompiledPolicy, type OssCaller, type OssDecision } from '../policy/index.js';
import type { IdentityPolicies } from '../ram/identity.js';
import { ossConditionContext, type RequestFacts } from './context.js';

/** What authorization may read: the resources an operation touches, and the caller's policies. */
export interface AuthzDeps {
  getBucket(name: string): Promise<Bucket | null>;
  getObject(bucket: string, key: string): Promise<ObjectRecord | null>;
  identity: IdentityPolicies;
}

function callerOf(p: Principal): OssCaller {
  switch (p.type) {
    case 'anonymous':
      return { kind: 'anonymous' };
    case 'root':
      return { kind: 'root', accountId: p.accountId };
    case 'user':
      return { kind: 'user', accountId: p.accountId, userId: p.userId, userName: p.userName };
  }
}

function bucketPolicyOf(bucket: Bucket): CompiledPolicy | null {
  if (bucket.policy === null) return null;
  const compiled = compilePolicy(bucket.policy, 'bucket', { label: `bucket policy of ${bucket.name}` });
  return compiled.ok ? compiled.policy : null;
}

/**
 * The single authorization call site for OSS requests (spec ram-sts §2.3): session policy, identity
 * policies and bucket policy, the owner's implicit full control, then ACLs for data APIs. Every
 * check of the operation must pass (CopyObject reads the source and writes the destination).
 * Returns the decision of the last check, for the request log ("why was this denied?").
 * `checks` defaults to the operation's; checks known only once the body is parsed (the keys of
 * DeleteMultipleObjects) come back through `OssRequest.authorize` with the same principal and facts.
 */
export async function authorize(
  principal: Principal,
  op: Operation,
  deps: AuthzDeps,
  facts: RequestFacts,
  checks: readonly AuthzCheck[] = op.checks,
): Promise<OssDecision[]> {
  const caller = callerOf(principal);
  const identityPolicies = await deps.identity.forPrincipal(principal);
  const context = ossConditionContext(op, facts);
  const decisions: OssDecision[] = [];
  for (const check of checks) {
    const decision = await decideCheck(caller, principal, check, identityPolicies, context, deps);
    decisions.push(decision);
    if (!decision.allowed) throw new AppError('AccessDenied', decision.message, {}, decision.ec);
  }
  return decisions;
}

async function decideCheck(
  caller: OssCaller,
  principal: Principal,
  check: AuthzCheck,
  identityPolicies: CompiledPolicy[],
  context: ReturnType<typeof ossConditionContext>,
  deps: AuthzDeps,
): Promise<OssDecision> {
  if (check.bucket === null) {
    const uid = principal.type === 'anonymous' ? '*' : principal.accountId;
    return authorizeOss({
      caller,
      bucketOwner: null,
      identityPolicies,
      check: { action: check.action, resource: ossServiceArn(uid), acl: 'none', isObject: false },
      context,
    });
  }
  const bucket = await deps.getBucket(check.bucket);
  // A missing bucket is the handler's NoSuchBucket, not a denial (as OSS answers).
  if (!bucket) return { allowed: true };
  let acl = bucket.acl;
  if (check.key !== null && check.acl !== 'none') {
    const obj = await deps.getObject(check.bucket, check.key);
    if (obj && obj.acl !== 'default') acl = obj.acl;
  }
  return authorizeOss({
    caller,
    bucketOwner: bucket.ownerAccountId,
    identityPolicies,
    bucketPolicy: bucketPolicyOf(bucket),
    check: {
      action: check.action,
      resource: ossResourceArn(bucket.region, bucket.ownerAccountId, bucket.name, check.key ?? undefined),
      acl: check.acl,
      isObject: check.key !== null,
    },
    effectiveAcl: acl,
    context,
  });
}
