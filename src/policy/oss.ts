/**
 * The OSS authorization decision of spec ram-sts §2.3 as a pure function: session gate, identity and
 * bucket policy in parallel, owner fallback, then ACLs for data APIs; with the AccessDenied message
 * and EC of §2.6 for each way of being refused. Looking things up (policies, ACLs) is the caller's job.
 */
import type { CompiledPolicy } from './compile.js';
import { decide, RequestView, type EvalRequest, type FastResult, type MatchedStatement } from './evaluate.js';
import type { Caller, ConditionContext, Effect } from './types.js';
import type { MatchMeter } from './glob.js';

export { ossResourceArn, ossServiceArn } from './arn.js';

export type OssCaller = Extract<Caller, { kind: 'anonymous' | 'root' | 'user' | 'role' }>;
export type OssAcl = 'private' | 'public-read' | 'public-read-write' | 'authenticated-read';

export interface OssCheck {
  /** e.g. `oss:GetObject` (spec §3). */
  readonly action: string;
  /** Request ARN from ossResourceArn / ossServiceArn. */
  readonly resource: string;
  /** What an ACL can grant: read (GetObject, ListObjects…), write (PutObject, DeleteObject…) or nothing. */
  readonly acl: 'read' | 'write' | 'none';
  readonly isObject: boolean;
}

/**
 * What an ACL grants each action when the operation is the one named like it (GetObject, HeadObject, ListObjects,
 * PutObject, DeleteObject, SealAppendObject and their Version twins, as src/oss/operations.ts routes them): the RAM
 * simulator asks by action and takes the ACL's part from here. Operations that share an action without an ACL grant
 * (InitiateMultipartUpload's oss:PutObject, PutObjectTagging on its own) are not that action's own (docs/policy.md);
 * test/policy-differential.test.ts sends each and compares.
 */
const ACL_ACCESS_OF_ACTION: ReadonlyMap<string, 'read' | 'write'> = new Map([
  ['oss:getobject', 'read'],
  ['oss:getobjectversion', 'read'],
  ['oss:listobjects', 'read'],
  ['oss:listobjectversions', 'read'],
  ['oss:putobject', 'write'],
  ['oss:deleteobject', 'write'],
  ['oss:deleteobjectversion', 'write'],
  ['oss:sealappendobject', 'write'],
]);

export function aclAccessOf(action: string): OssCheck['acl'] {
  return ACL_ACCESS_OF_ACTION.get(action.toLowerCase()) ?? 'none';
}

export interface OssAuthzInput {
  readonly caller: OssCaller;
  /** Owner account of the bucket; null for service-level APIs (ListBuckets). */
  readonly bucketOwner: string | null;
  /** User ∪ group policies, or the role's policies. Ignored for roots and other accounts' identities. */
  readonly identityPolicies: readonly CompiledPolicy[];
  /** Only for role sessions that carry one. */
  readonly sessionPolicy?: CompiledPolicy | null;
  readonly bucketPolicy?: CompiledPolicy | null;
  readonly check: OssCheck;
  /** The object's ACL, or the bucket's when the object's is `default` or for bucket APIs. */
  readonly effectiveAcl?: OssAcl;
  readonly context?: ConditionContext;
  /** The request's pattern-matching bound, shared by all its checks (policy/glob.ts). */
  readonly meter?: MatchMeter;
}

export type OssLayer = 'session' | 'identity' | 'bucket' | 'acl' | 'owner';

export interface OssDeciding {
  /** Policy label; for the acl/owner layers the ACL name or `owner`. */
  readonly policy: string;
  /** Statement index; -1 for the acl/owner layers. */
  readonly statement: number;
  readonly effect: Effect;
  readonly layer: OssLayer;
  /** The deciding policy's source text, when a policy statement decided. */
  readonly policyText?: string;
}

export interface OssDecision {
  readonly allowed: boolean;
  readonly code?: 'AccessDenied';
  readonly message?: string;
  readonly ec?: string;
  /** For `<AccessDeniedDetail><NoPermissionType>`. */
  readonly noPermissionType?: 'ExplicitDeny' | 'ImplicitDeny';
  readonly deciding?: OssDeciding;
}

export const OSS_DENY = {
  session: { message: "Access denied by authorizer's policy.", ec: '0003-00000301' },
  // The documented text for a RAM-policy Deny says "bucket policy" too (spec §2.6, sic).
  policy: { message: 'Access denied by bucket policy.', ec: '0003-00000201' },
  acl: { message: 'You have no right to access this object because of bucket acl.', ec: '0003-00000001' },
  object: { message: 'You have no right to access this object.' },
  readAcl: { message: 'You do not have read acl permission on this object.', ec: '0003-00000007' },
  writeAcl: { message: 'You do not have write acl permission on this object.', ec: '0003-00000008' },
  bucket: { message: 'The bucket you access does not belong to you.' },
  listBuckets: { message: 'You are forbidden to list buckets.' },
  anonymousBucket: { message: 'Anonymous user has no right to access this bucket.' },
  anonymousObject: { message: 'Anonymous user has no right to access this object.' },
  anonymousOperation: { message: 'Anonymous access is forbidden for this operation.' },
} as const satisfies Record<string, { message: string; ec?: string }>;

function deny(which: { message: string; ec?: string }, type: 'ExplicitDeny' | 'ImplicitDeny', deciding?: OssDeciding): OssDecision {
  const d: { -readonly [K in keyof OssDecision]: OssDecision[K] } = { allowed: false, code: 'AccessDenied', message: which.message, noPermissionType: type };
  if (which.ec !== undefined) d.ec = which.ec;
  if (deciding) d.deciding = deciding;
  return d;
}

function at(m: MatchedStatement, layer: OssLayer, policyText?: string): OssDeciding {
  return { policy: m.policy, statement: m.statement, effect: m.effect, layer, policyText };
}

export function authorizeOss(input: OssAuthzInput): OssDecision {
  const { caller, bucketOwner, check } = input;
  // An absent meter is undefined here (RequestView starts its own): no spread of a one-property object per decision.
  const req: EvalRequest = { action: check.action, resource: check.resource, caller, bucketOwner: bucketOwner ?? undefined, context: input.context, meter: input.meter };
  const view = new RequestView(req);

  // 1. Session policy gate: anything but Allow ends here, whatever the other layers say.
  if (caller.kind === 'role' && input.sessionPolicy) {
    const s = decide([input.sessionPolicy], req, view);
    if (s.decision !== 'Allow') {
      // An implicit deny still names the layer and policy that did not allow (no statement: index -1).
      const deciding: OssDeciding = s.deciding ? at(s.deciding, 'session', s.policyText) : { policy: input.sessionPolicy.label, statement: -1, effect: 'Deny', layer: 'session' };
      return deny(OSS_DENY.session, s.decision === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny', deciding);
    }
  }

  // 2. Identity policies grant only to RAM identities of the bucket owner's account; another account's RAM identity
  // is granted by the bucket policy alone (spec ram-sts §2.2), but a Deny its own account attached still refuses
  // (RAM checks the identity's policies first: "If the result is Deny, access is denied").
  let identity: FastResult = { decision: 'ImplicitDeny', deciding: null };
  if (caller.kind === 'user' || caller.kind === 'role') {
    const own = decide(input.identityPolicies, req, view);
    if (bucketOwner === null || caller.accountId === bucketOwner || own.decision === 'ExplicitDeny') identity = own;
  }
  const bucket: FastResult = input.bucketPolicy && bucketOwner !== null ? decide([input.bucketPolicy], req, view) : { decision: 'ImplicitDeny', deciding: null };

  // 3. Combine: any explicit Deny, else any Allow.
  if (identity.decision === 'ExplicitDeny' && identity.deciding) return deny(OSS_DENY.policy, 'ExplicitDeny', at(identity.deciding, 'identity', identity.policyText));
  if (bucket.decision === 'ExplicitDeny' && bucket.deciding) return deny(OSS_DENY.policy, 'ExplicitDeny', at(bucket.deciding, 'bucket', bucket.policyText));
  if (identity.decision === 'Allow' && identity.deciding) return { allowed: true, deciding: at(identity.deciding, 'identity', identity.policyText) };
  if (bucket.decision === 'Allow' && bucket.deciding) return { allowed: true, deciding: at(bucket.deciding, 'bucket', bucket.policyText) };

  // 4. The owner's root account has full control (after bucket-policy Denies, which can lock it out).
  if (caller.kind === 'root' && (bucketOwner === null || caller.accountId === bucketOwner)) {
    return { allowed: true, deciding: { policy: 'owner', statement: -1, effect: 'Allow', layer: 'owner' } };
  }
  const anonymous = caller.kind === 'anonymous';
  if (bucketOwner === null) return deny(anonymous ? OSS_DENY.anonymousOperation : OSS_DENY.listBuckets, 'ImplicitDeny');

  // Management APIs and the object APIs ACLs never grant.
  if (check.acl === 'none') {
    if (anonymous) return deny(check.isObject ? OSS_DENY.anonymousOperation : OSS_DENY.anonymousBucket, 'ImplicitDeny');
    const action = check.action.toLowerCase();
    if (action === 'oss:getobjectacl') return deny(OSS_DENY.readAcl, 'ImplicitDeny');
    if (action === 'oss:putobjectacl') return deny(OSS_DENY.writeAcl, 'ImplicitDeny');
    return deny(check.isObject ? OSS_DENY.object : OSS_DENY.bucket, 'ImplicitDeny');
  }

  // 5. ACLs: public-read grants reads, public-read-write reads and writes, to anyone; authenticated-read grants
  // reads to any caller that signs.
  const acl = input.effectiveAcl ?? 'private';
  if (aclGrants(acl, check.acl, anonymous)) {
    return { allowed: true, deciding: { policy: acl, statement: -1, effect: 'Allow', layer: 'acl' } };
  }
  if (anonymous) return deny(check.isObject ? OSS_DENY.anonymousObject : OSS_DENY.anonymousBucket, 'ImplicitDeny');
  return deny(OSS_DENY.acl, 'ImplicitDeny', { policy: acl, statement: -1, effect: 'Deny', layer: 'acl' });
}

/** Whether a canned ACL grants this read or write (step 5): also read by the explainer (explain.ts). */
export function aclGrants(acl: OssAcl, access: 'read' | 'write', anonymous: boolean): boolean {
  if (acl === 'public-read-write') return true;
  if (access !== 'read') return false;
  return acl === 'public-read' || (acl === 'authenticated-read' && !anonymous);
}
