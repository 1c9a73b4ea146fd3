import type { Principal } from '../auth/principal.js';
import type { JobRole, RoleAuthorizer, TaskCheck, TaskFacts } from '../domain/batch-job-worker.js';
import type { AuthzCheck, Operation } from '../oss/operations.js';
import { authorize, type AuthzDeps } from './authorize.js';
import type { RequestFacts } from './context.js';
import { authorizeAssumeRole, compilePolicy } from '../policy/index.js';

/**
 * Authorization of work the server does on a caller's behalf as a RAM role (batch jobs, docs/batch-operations.md): each
 * check is decided by the one authorization path (authorize.ts) for a session of the role, as a request signed with
 * credentials from AssumeRole would be: the role's attached policies, no session policy, the bucket's policy, rules
 * and owner. The request facts are those of a request from the service itself: no source address or referer, over
 * TLS, signed in a header (a bucket's Referer whitelist, which binds anonymous requests and signed URLs only, does not
 * refuse it) [UNVERIFIED: which condition keys the cloud sets for its batch jobs], with what the equivalent request
 * would carry (TaskFacts: the ACL header Block Public Access and oss:x-oss-object-acl read, the listing's prefix).
 */
export const BATCH_SESSION_NAME = 'oss-batch-operations';

export function roleTaskAuthorizer(deps: AuthzDeps, clock: () => number): RoleAuthorizer {
  const decide = taskAuthorizer(deps, clock);
  return (role: JobRole, checks: readonly TaskCheck[], task: TaskFacts = {}): Promise<void> => decide({
    type: 'session', accountId: role.accountId, roleId: role.roleId, roleName: role.roleName, sessionName: BATCH_SESSION_NAME,
    accessKeyId: '', sessionPolicy: null, expiration: Number.MAX_SAFE_INTEGER,
  }, checks, task);
}

/** Authorizes checks as `principal`, with the facts of a request from the service itself (above). */
export type TaskAuthorizer = (principal: Principal, checks: readonly TaskCheck[], facts?: TaskFacts) => Promise<void>;

export function taskAuthorizer(deps: AuthzDeps, clock: () => number): TaskAuthorizer {
  return async (principal: Principal, checks: readonly TaskCheck[], task: TaskFacts = {}): Promise<void> => {
    const authzChecks: AuthzCheck[] = checks.map((c) => ({
      action: c.action, bucket: c.bucket, key: c.key, acl: 'none', ...(c.versionId !== undefined ? { versionId: c.versionId } : {}),
      ...(c.kmsKeyId !== undefined ? { kms: { keyId: c.kmsKeyId } } : {}),
    }));
    const first = checks[0]!;
    // The operation each check stands for (its name sets which condition keys apply, as for a request).
    const op = { name: first.action.replace(/^oss:/, ''), bucket: first.bucket, key: first.key, checks: authzChecks } as unknown as Operation;
    // Signed as a header signature is (the service's own requests): hotlink protection does not apply to them.
    const facts: RequestFacts = {
      sourceIp: '', secureTransport: true, now: clock(), headers: { ...task.headers }, query: new Map(task.query ?? []), authMethod: 'v4',
      ...(task.requestTags !== undefined ? { requestTags: task.requestTags } : {}),
    };
    await authorize(principal, op, deps, facts, authzChecks);
  };
}

/** The service that runs batch jobs, as a role's trust policy names it (`"Principal": {"Service": ["oss.aliyuncs.com"]}`). */
export const OSS_SERVICE = 'oss.aliyuncs.com';

/**
 * Whether a role's trust policy lets the OSS service assume it (sts:AssumeRole by the service principal), decided by the
 * policy engine as STS decides an AssumeRole: a trust policy that does not compile admits no one.
 */
export function trustsOssService(trustPolicyText: string, roleArn: string): boolean {
  const trust = compilePolicy(trustPolicyText, 'trust', { label: 'trust policy' });
  if (!trust.ok) return false;
  return authorizeAssumeRole({ caller: { kind: 'service', service: OSS_SERVICE }, identityPolicies: [], trustPolicy: trust.policy, roleArn }).allowed;
}
