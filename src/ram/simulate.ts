import { AppError } from '../errors.js';
import { effectiveAcl, policyForEvaluation } from '../domain/access-rules.js';
import type { Bucket } from '../domain/model.js';
import { agenticStatusOf } from '../domain/agentic-buckets.js';
import {
  aclAccessOf,
  authorizeOss,
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
  type LayerTrace,
  type OssAcl,
  type OssAuthzInput,
} from '../policy/index.js';
import type { RamRole, RamUser } from './model.js';
import type { IdentityPolicies } from './identity.js';
import type { Principal } from '../auth/principal.js';
import { bucketRuleRefusal, type BucketRule } from '../authz/bucket-rules.js';
import type { RequestFacts } from '../authz/context.js';

export interface SimulationInput {
  action: string;
  resource: string;
  context: ConditionContext;
  /** Roles only: the session policy an AssumeRole would carry (JSON text), intersected with the role's policies. */
  sessionPolicy?: string | undefined;
}

/** What the simulator may read of the live server besides RAM: buckets and objects' ACLs, for OSS actions. */
export interface SimulationWorld {
  /** An existing bucket, whichever account owns it; null when there is no such bucket. */
  bucket(name: string): Promise<Bucket | null>;
  /** An object's own ACL (`default`: the bucket's decides); null when there is no such object. */
  objectAcl?(bucket: string, key: string): Promise<OssAcl | 'default' | null>;
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
  /** A role's trust policy, with the role's name as stored (role ARNs spell it in lower case, labels as created). */
  trustPolicyOf?: ((roleName: string) => Promise<{ roleName: string; document: string } | null>) | undefined;
  /** Without it, every policy's statements are shown. */
  mayRead?: MayRead | undefined;
}

export interface Simulation {
  /** The principal's identity policies alone, as before (every applying statement, reasons). */
  identity: EvalResult;
  /** Every layer the real decision would go through. */
  trace: DecisionTrace;
  /** For an OSS action refused: the AccessDenied message the request would get (authorizeOss, as enforcement). */
  message?: string;
  /** The bucket's own rule that refused it before any policy (Block Public Access, pay-by-requester). */
  rule?: BucketRule;
}

/** The request facts the bucket rules read, from a simulation's Context: its ACL headers, signed in the header. */
function ruleFacts(context: ConditionContext): RequestFacts {
  const one = (k: string): string | undefined => {
    const v = Object.entries(context).find(([name]) => name.toLowerCase() === k)?.[1];
    return typeof v === 'string' ? v : v?.[0];
  };
  const headers: Record<string, string> = {};
  const acl = one('oss:x-oss-acl');
  const objectAcl = one('oss:x-oss-object-acl');
  if (acl !== undefined) headers['x-oss-acl'] = acl;
  if (objectAcl !== undefined) headers['x-oss-object-acl'] = objectAcl;
  return { sourceIp: one('acs:sourceip') ?? '', secureTransport: one('acs:securetransport') === 'true', now: Date.now(), headers, query: new Map(), authMethod: 'v4' };
}

const OSS_ARN = /^acs:oss:([^:]*):([^:]*):([^/*?]+)(?:\/(.*))?$/;

/** An OSS resource of an existing bucket, written as authorization writes it (authz/authorize.ts resourceName). */
interface OssTarget {
  bucket: Bucket;
  key: string | undefined;
  resource: string;
}

/**
 * The bucket an OSS resource names, and the resource as a request on it is decided: an agentic bucket's as
 * `…:agenticbucket/<name>[/<key>]`, another's as `…:<name>[/<key>]`, whichever way the Resource was written. Before,
 * the Resource was evaluated as written (red-team wave 18): the plain ARN of an agentic bucket was answered by the
 * policies naming that ARN, which real requests never consult, and `agenticbucket/<name>` found no bucket at all.
 */
async function ossTargetOf(resource: string, world: SimulationDeps): Promise<OssTarget | null> {
  const m = OSS_ARN.exec(resource);
  if (m === null || !world.buckets) return null;
  const [, region, account, first, rest] = m as unknown as [string, string, string, string, string | undefined];
  const named = first === 'agenticbucket' && rest !== undefined && rest !== '' && !/[*?]/.test(rest.split('/', 1)[0]!);
  const name = named ? rest.split('/', 1)[0]! : first;
  const key = named ? (rest.includes('/') ? rest.slice(name.length + 1) : undefined) : rest;
  const bucket = await world.buckets.bucket(name);
  if (bucket === null) return null;
  const part = agenticStatusOf(bucket) === null ? name : `agenticbucket/${name}`;
  return { bucket, key, resource: `acs:oss:${region}:${account}:${part}${key === undefined ? '' : `/${key}`}` };
}

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
  // A user's acs:MFAPresent is its sign-in's: the Context says which one is simulated (an AccessKey's, false, unless
  // it says true). A role session's is always false (docs/policy.md), whatever the Context says.
  const mfa = Object.entries(input.context).some(([k, v]) => k.toLowerCase() === 'acs:mfapresent' && v !== undefined && ([] as string[]).concat(v).some((x) => x.toLowerCase() === 'true'));
  const caller: Caller = 'user' in who
    ? { kind: 'user', accountId, userId: who.user.userId, userName: who.user.userName, ...(mfa ? { mfa: true } : {}) }
    : { kind: 'role', accountId, roleName: who.role.roleName, sessionName: 'simulation' };
  let sessionPolicy: CompiledPolicy | null = null;
  if (input.sessionPolicy !== undefined && input.sessionPolicy !== '') {
    if ('user' in who) throw new AppError('InvalidParameter', 'A SessionPolicy applies to a role (RoleName), not to a user.');
    const compiled = compilePolicy(input.sessionPolicy, 'session', { label: 'session policy', maxLength: DEFAULT_MAX_LENGTH.session });
    if (!compiled.ok) throw new AppError('InvalidParameter.PolicyGrammar', `The parameter SessionPolicy has not passed grammar check. ${compiled.error.message}`);
    sessionPolicy = compiled.policy;
  }
  const policies = await identity.forPrincipal(principal);
  const target = input.action.toLowerCase().startsWith('oss:') ? await ossTargetOf(input.resource, world) : null;
  const decided = target === null ? input : { ...input, resource: target.resource };
  const request = { action: decided.action, resource: decided.resource, context: decided.context };
  return { identity: evaluate(policies, request), ...(await traceFor(principal, caller, accountId, policies, sessionPolicy, decided, world, target)) };
}

async function traceFor(
  principal: Principal,
  caller: Caller,
  accountId: string,
  identityPolicies: readonly CompiledPolicy[],
  sessionPolicy: CompiledPolicy | null,
  input: SimulationInput,
  world: SimulationDeps,
  target: OssTarget | null,
): Promise<Omit<Simulation, 'identity'>> {
  const action = input.action.toLowerCase();
  if (target !== null && caller.kind !== 'anonymous') {
    return ossSimulation(principal, caller as Extract<Caller, { kind: 'user' | 'role' }>, accountId, target.bucket, target.key, identityPolicies, sessionPolicy, input, world);
  }
  const role = action === 'sts:assumerole' ? /^acs:ram::(\d+):role\/([^/*?]+)$/.exec(input.resource) : null;
  if (role && role[1] === accountId && world.trustPolicyOf) {
    const trust = await world.trustPolicyOf(role[2]!);
    if (trust !== null) {
      // Labelled as AssumeRole labels it (sts/service.ts): by the role's own name, not the ARN's spelling of it.
      const trace = explainAssumeRole({
        caller,
        identityPolicies,
        sessionPolicy,
        trustPolicy: compileOrDenyAll(trust.document, 'trust', `trust policy of ${trust.roleName}`),
        roleArn: ramRoleArn(accountId, trust.roleName),
        context: input.context,
      });
      const arn = ramRoleArn(accountId, trust.roleName);
      return { trace: !world.mayRead || (await world.mayRead('ram:GetRole', arn)) ? trace : withheld(trace, 'trust', `ram:GetRole on ${arn}`) };
    }
  }
  if (action.startsWith('ram:')) return { trace: explainRamAction({ caller, accountId, identityPolicies, sessionPolicy, action: input.action, resource: input.resource, context: input.context }) };
  return { trace: explainPolicyLayers({ sessionPolicy, identityPolicies, request: { action: input.action, resource: input.resource, caller, context: input.context } }) };
}

/**
 * An OSS action on an existing bucket, decided by authorizeOss on the input enforcement builds (authz/authorize.ts):
 * the bucket policy as evaluated (public grants ignored under Block Public Access), the object's own ACL else the
 * bucket's, what an ACL grants the action (policy/oss.ts aclAccessOf). Another account's bucket policy and ACL are
 * never read (docs/policy.md): the decision is then what the caller's own account can know, and says so.
 */
async function ossSimulation(
  principal: Principal,
  caller: Extract<Caller, { kind: 'user' | 'role' }>,
  accountId: string,
  bucket: Bucket,
  key: string | undefined,
  identityPolicies: readonly CompiledPolicy[],
  sessionPolicy: CompiledPolicy | null,
  input: SimulationInput,
  world: SimulationDeps,
): Promise<Omit<Simulation, 'identity'>> {
  const foreign = bucket.ownerAccountId !== accountId;
  const acl = aclAccessOf(input.action);
  let aclName: OssAcl = foreign ? 'private' : bucket.acl;
  if (!foreign && key !== undefined && acl !== 'none' && world.buckets?.objectAcl) {
    const own = await world.buckets.objectAcl(bucket.name, key);
    if (own !== null && own !== 'default') aclName = own;
  }
  const evaluated = foreign ? null : policyForEvaluation(bucket);
  const authz: OssAuthzInput = {
    caller,
    bucketOwner: bucket.ownerAccountId,
    identityPolicies,
    sessionPolicy,
    bucketPolicy: evaluated === null ? null : compileOrDenyAll(evaluated, 'bucket', `bucket policy of ${bucket.name}`),
    check: { action: input.action, resource: input.resource, acl, isObject: key !== undefined },
    effectiveAcl: effectiveAcl(bucket, aclName),
    context: input.context,
  };
  const decision = authorizeOss(authz);
  const explained = explainOss(authz);
  if (foreign) {
    // What the caller's account cannot see decides the rest: only a refusal by its own session or identity policies is
    // certain. Otherwise no layer of its own decided: the answer is ImplicitDeny as far as this account can tell.
    const certain = !decision.allowed && (decision.deciding?.layer === 'session' || decision.deciding?.layer === 'identity');
    // Nor which account it is: OSS names a private bucket's owner to no one else, and the account id is what a
    // guess at that account's role ARNs needs (before, these reasons named it).
    const hidden = `${bucket.name} is another account's bucket: its bucket policy and ACL are not visible to this account, and only they can allow it.`;
    const notOurs = `Identity policies grant only to identities of the bucket owner's account, and ${bucket.name} is another account's bucket; the caller's own policies deny nothing here.`;
    const layers = explained.layers.map((l): LayerTrace => {
      if (l.layer === 'bucket' || (!certain && (l.layer === 'owner' || l.layer === 'acl'))) return { layer: l.layer, verdict: 'NotConsulted', reason: hidden, policies: [] };
      if (l.layer === 'identity' && l.verdict === 'NotConsulted') return { ...l, reason: notOurs };
      return l;
    });
    if (certain) return { trace: { ...explained, layers }, message: decision.message! };
    return { trace: { action: explained.action, resource: explained.resource, decision: 'ImplicitDeny', layers } };
  }
  // GetBucketPolicy of an agentic bucket is decided on its agenticbucket/ ARN, as every request on it.
  const policyArn = ossResourceArn(bucket.region, bucket.ownerAccountId, agenticStatusOf(bucket) === null ? bucket.name : `agenticbucket/${bucket.name}`);
  // The bucket's own rules refuse before any policy, as on the request path (authz/bucket-rules.ts), read from what the
  // Context says the request carries: a header-signed request (so hotlink protection never applies), its ACL headers.
  const ruled = bucketRuleRefusal(principal, { action: input.action, bucket: bucket.name, key: key ?? null, acl }, bucket, ruleFacts(input.context));
  if (ruled !== null) {
    // No policy layer decided (the layers are shown as they would have said): the rule did, as Reasons says.
    const { decidingLayer: _policyLayer, ...layers } = explained;
    const trace: DecisionTrace = { ...layers, decision: 'ExplicitDeny' };
    return { trace, message: ruled.error.message, rule: ruled.rule };
  }
  const trace = !world.mayRead || (await world.mayRead('oss:GetBucketPolicy', policyArn)) ? explained : withheld(explained, 'bucket', `oss:GetBucketPolicy on ${policyArn}`);
  return decision.allowed ? { trace } : { trace, message: decision.message };
}
