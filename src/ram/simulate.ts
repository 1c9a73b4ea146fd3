import { AppError } from '../errors.js';
import { effectiveAcl, policyForEvaluation } from '../domain/access-rules.js';
import type { Bucket } from '../domain/model.js';
import {
  compileOrDenyAll,
  compilePolicy,
  DEFAULT_MAX_LENGTH,
  evaluate,
  explainAssumeRole,
  explainOss,
  explainPolicyLayers,
  explainRamAction,
  ossResourceArn,
  ramRoleArn,
  type Caller,
  type CompiledPolicy,
  type ConditionContext,
  type DecisionTrace,
  type EvalResult,
  type OssAcl,
} from '../policy/index.js';
import type { RamRole, RamUser } from './model.js';
import type { IdentityPolicies } from './identity.js';

export interface SimulationInput {
  action: string;
  resource: string;
  context: ConditionContext;
  /** Roles only: the session policy an AssumeRole would carry (JSON text), intersected with the role's policies. */
  sessionPolicy?: string | undefined;
}

/** What the simulator may read of the live server besides RAM: buckets, for OSS actions. */
export interface SimulationWorld {
  /** An existing bucket's owner, bucket policy text and ACL; null when there is no such bucket. */
  bucket(name: string): Promise<{ ownerAccountId: string; region: string; policy: string | null; acl: OssAcl } | null>;
}

/** Whether the simulator's caller may read a policy it would show (`oss:GetBucketPolicy`, `ram:GetRole`). */
export type MayRead = (action: string, resource: string) => Promise<boolean>;

/** The layer's verdict and reason stay (they are the answer); the statements of a policy the caller may not read go. */
function withheld(trace: DecisionTrace, layer: 'bucket' | 'trust', permission: string): DecisionTrace {
  return {
    ...trace,
    layers: trace.layers.map((l) => (l.layer !== layer || l.policies.length === 0 ? l : { ...l, policies: [], reason: `${l.reason} (Its statements are not shown: the caller may not read this policy, ${permission}.)` })),
  };
}

export interface SimulationDeps {
  buckets?: SimulationWorld | undefined;
  trustPolicyOf?: ((roleName: string) => Promise<string | null>) | undefined;
  /** Without it, every policy's statements are shown. */
  mayRead?: MayRead | undefined;
}

export interface Simulation {
  /** The principal's identity policies alone, as before (every applying statement, reasons). */
  identity: EvalResult;
  /** Every layer the real decision would go through. */
  trace: DecisionTrace;
}

const OSS_ARN = /^acs:oss:[^:]*:[^:]*:([^/*?]+)(?:\/(.*))?$/;
/** What ACLs can grant (as src/oss/operations.ts declares for those operations); everything else is never granted by an ACL. */
const ACL_ACCESS: Record<string, 'read' | 'write'> = { 'oss:getobject': 'read', 'oss:listobjects': 'read', 'oss:putobject': 'write', 'oss:deleteobject': 'write' };

/**
 * "Why would this be allowed or denied?" for a RAM user or a role (with an optional session policy):
 * the decision the server would make, layer by layer, against its current state. An OSS action on an
 * existing bucket goes through the full OSS decision (session policy, identity policies, the bucket's
 * policy, owner, the bucket's ACL; an object's own ACL is not looked up); `sts:AssumeRole` on a role of
 * this account adds the role's trust policy; anything else is the session policy and identity policies.
 */
export async function simulateIdentity(
  identity: IdentityPolicies,
  accountId: string,
  who: { user: RamUser } | { role: RamRole },
  input: SimulationInput,
  world: SimulationDeps = {},
): Promise<Simulation> {
  const principal = 'user' in who
    ? { type: 'user' as const, accountId, userId: who.user.userId, userName: who.user.userName, accessKeyId: '' }
    : { type: 'session' as const, accountId, roleId: who.role.roleId, roleName: who.role.roleName, sessionName: 'simulation', accessKeyId: '', sessionPolicy: null, expiration: 0 };
  const caller: Caller = 'user' in who
    ? { kind: 'user', accountId, userId: who.user.userId, userName: who.user.userName }
    : { kind: 'role', accountId, roleName: who.role.roleName, sessionName: 'simulation' };
  let sessionPolicy: CompiledPolicy | null = null;
  if (input.sessionPolicy !== undefined && input.sessionPolicy !== '') {
    if ('user' in who) throw new AppError('InvalidParameter', 'A SessionPolicy applies to a role (RoleName), not to a user.');
    const compiled = compilePolicy(input.sessionPolicy, 'session', { label: 'session policy', maxLength: DEFAULT_MAX_LENGTH.session });
    if (!compiled.ok) throw new AppError('InvalidParameter.PolicyGrammar', `The parameter SessionPolicy has not passed grammar check. ${compiled.error.message}`);
    sessionPolicy = compiled.policy;
  }
  const policies = await identity.forPrincipal(principal);
  const request = { action: input.action, resource: input.resource, context: input.context };
  return { identity: evaluate(policies, request), trace: await traceFor(caller, accountId, policies, sessionPolicy, input, world) };
}

async function traceFor(
  caller: Caller,
  accountId: string,
  identityPolicies: readonly CompiledPolicy[],
  sessionPolicy: CompiledPolicy | null,
  input: SimulationInput,
  world: SimulationDeps,
): Promise<DecisionTrace> {
  const action = input.action.toLowerCase();
  const oss = action.startsWith('oss:') ? OSS_ARN.exec(input.resource) : null;
  if (oss && world.buckets && caller.kind !== 'anonymous') {
    const bucket = await world.buckets.bucket(oss[1]!);
    if (bucket !== null) {
      // A full bucket record (the server's world) carries its configurations; a bare view has none.
      const full = 'configs' in bucket ? (bucket as Bucket) : null;
      const evaluated = full === null ? bucket.policy : policyForEvaluation(full);
      const trace = explainOss({
        caller: caller as Extract<Caller, { kind: 'user' | 'role' }>,
        bucketOwner: bucket.ownerAccountId,
        identityPolicies,
        sessionPolicy,
        // As authorization evaluates them: public grants ignored while the bucket blocks public access.
        bucketPolicy: evaluated === null ? null : compileOrDenyAll(evaluated, 'bucket', `bucket policy of ${oss[1]!}`),
        check: { action: input.action, resource: input.resource, acl: ACL_ACCESS[action] ?? 'none', isObject: oss[2] !== undefined },
        effectiveAcl: full === null ? bucket.acl : effectiveAcl(full, bucket.acl),
        context: input.context,
      });
      const policyArn = ossResourceArn(bucket.region, bucket.ownerAccountId, oss[1]!);
      return !world.mayRead || (await world.mayRead('oss:GetBucketPolicy', policyArn)) ? trace : withheld(trace, 'bucket', `oss:GetBucketPolicy on ${policyArn}`);
    }
  }
  const role = action === 'sts:assumerole' ? /^acs:ram::(\d+):role\/([^/*?]+)$/.exec(input.resource) : null;
  if (role && role[1] === accountId && world.trustPolicyOf) {
    const trust = await world.trustPolicyOf(role[2]!);
    if (trust !== null) {
      const trace = explainAssumeRole({
        caller,
        identityPolicies,
        sessionPolicy,
        trustPolicy: compileOrDenyAll(trust, 'trust', `trust policy of ${role[2]!}`),
        roleArn: ramRoleArn(accountId, role[2]!),
        context: input.context,
      });
      const arn = ramRoleArn(accountId, role[2]!);
      return !world.mayRead || (await world.mayRead('ram:GetRole', arn)) ? trace : withheld(trace, 'trust', `ram:GetRole on ${arn}`);
    }
  }
  if (action.startsWith('ram:')) return explainRamAction({ caller, accountId, identityPolicies, sessionPolicy, action: input.action, resource: input.resource, context: input.context });
  return explainPolicyLayers({ sessionPolicy, identityPolicies, request: { action: input.action, resource: input.resource, caller, context: input.context } });
}
