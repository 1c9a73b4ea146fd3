import type { Principal } from '../auth/principal.js';
import type { Bucket, ObjectRecord } from '../domain/model.js';
import { AppError } from '../errors.js';
import type { AuthzCheck, Operation } from '../oss/operations.js';
import { authorizeOss, compileOrDenyAll, kmsKeyArn, ramRoleArn, roleOfArn, ossResourceArn, ossServiceArn, type CompiledPolicy, type ConditionContext, type OssAcl, type OssAuthzInput, type OssCaller, type OssDecision } from '../policy/index.js';
import { newMatchMeter, type MatchMeter } from '../policy/glob.js';
import { EXISTING_OBJECT_TAG_ACTIONS } from '../policy/known-actions.js';
import { sessionPolicyOf, type IdentityPolicies } from '../ram/identity.js';
import { ossConditionContext, type RequestFacts } from './context.js';
import type { AuthzOutcome, AuthzTrace } from './outcome.js';
import { policyCaller } from './caller.js';
import { bucketRuleRefusal } from './bucket-rules.js';
import { accessPointRefusal, evaluatedPolicyOf, withoutAccessPointKeys } from './access-point.js';
import { effectiveAcl, policyForEvaluation } from '../domain/access-rules.js';
import { readConfig } from '../domain/bucket-config.js';
import { agenticStatusOf } from '../domain/agentic-buckets.js';
import { storedKind } from '../domain/stored-configs.js';
import { bucketTags } from '../oss/stored/tags.js';
import { bucketDefaultEncryption, DEFAULT_KMS_KEY } from '../domain/encryption.js';
import { sseRequestFrom } from '../oss/headers.js';

/** What authorization may read: the resources an operation touches, and the caller's policies. */
export interface AuthzDeps {
  /** A bucket's record; without a promise when the store holds it in memory (MetadataStore.cachedBucket). */
  getBucket(name: string): Bucket | null | Promise<Bucket | null>;
  getObject(bucket: string, key: string): Promise<ObjectRecord | null>;
  /** One version of an object (its own ACL decides a request naming it); null when missing or a delete marker. */
  getObjectVersion(bucket: string, key: string, versionId: string): Promise<ObjectRecord | null>;
  identity: IdentityPolicies;
  /** The server's region: a bucket about to be created (PutBucket) lives there. */
  region: string;
}


/**
 * Per bucket record, which every bucket write replaces (domain/access-rules.ts keys its memo the same way): the
 * compile cache is keyed by the whole policy text, which each request otherwise built and hashed again.
 */
const compiledBucketPolicies = new WeakMap<Bucket, CompiledPolicy | null>();

function bucketPolicyOf(bucket: Bucket): CompiledPolicy | null {
  let compiled = compiledBucketPolicies.get(bucket);
  if (compiled !== undefined) return compiled;
  // Block Public Access: public statements are ignored (domain/access-rules.ts policyForEvaluation).
  const text = policyForEvaluation(bucket);
  // Validated on PutBucketPolicy; one that no longer compiles fails closed (the owner can replace it).
  compiled = text === null ? null : compileOrDenyAll(text, 'bucket', `bucket policy of ${bucket.name}`);
  compiledBucketPolicies.set(bucket, compiled);
  return compiled;
}

/** A refusal, carrying the decision so the request log can say which layer and statement decided. */
export class AccessDeniedError extends AppError {
  constructor(
    readonly principal: Principal,
    readonly decision: OssDecision,
    readonly check: AuthzCheck,
  ) {
    super('AccessDenied', decision.message, {}, decision.ec);
  }

  /** One log record: who, what, and the deciding layer/policy/statement (never secrets). */
  explain(): Record<string, unknown> {
    const p = this.principal;
    const who =
      p.type === 'anonymous' ? 'anonymous'
      : p.type === 'root' ? `root:${p.accountId}`
      : p.type === 'user' ? `user:${p.userName}`
      : `session:${p.roleName}/${p.sessionName}`;
    const d = this.decision.deciding;
    return {
      principal: who,
      action: this.check.action,
      bucket: this.check.bucket,
      key: this.check.key,
      noPermissionType: this.decision.noPermissionType,
      layer: d?.layer,
      policy: d?.policy,
      statement: d?.statement,
      effect: d?.effect,
      message: this.decision.message,
    };
  }
}

/**
 * The single authorization call site for OSS requests (spec ram-sts §2.3): session policy, identity
 * policies and bucket policy, the owner's implicit full control, then ACLs for data APIs. Every
 * check of the operation must pass (CopyObject reads the source and writes the destination).
 * A refusal is an AccessDeniedError carrying the decision, for the request log ("why was this denied?").
 * A check with `ifTagged` applies only when that object has tags (a copy moving its source's tags).
 * `checks` defaults to the operation's; checks known only once the body is parsed (the keys of
 * DeleteMultipleObjects) come back through `OssRequest.authorize` with the same principal and facts.
 */
export async function authorize(
  principal: Principal,
  op: Operation,
  deps: AuthzDeps,
  facts: RequestFacts,
  checks: readonly AuthzCheck[] = op.checks,
  trace?: AuthzTrace,
): Promise<void> {
  const caller = policyCaller(principal);
  // Cached policies come without a promise: no microtask turn for them.
  const held = deps.identity.forPrincipal(principal);
  const identityPolicies = held instanceof Promise ? await held : held;
  const sessionPolicy = sessionPolicyOf(principal);
  // Condition keys are built only if some policy could read them (most requests have none to apply).
  let context: ConditionContext | undefined;
  let contextElsewhere: ConditionContext | undefined;
  const contextFor = (bucketPolicy: CompiledPolicy | null, bucketName: string | null): ConditionContext | undefined => {
    if (identityPolicies.length === 0 && sessionPolicy === null && bucketPolicy === null && facts.accessPoint === undefined) return undefined;
    context ??= ossConditionContext(op, facts);
    // An access point's keys describe the way into its own bucket; a check on another did not come through one.
    if (facts.accessPoint === undefined || bucketName === facts.accessPoint.bucket) return context;
    return (contextElsewhere ??= withoutAccessPointKeys(context));
  };
  let tagged: Map<string, Promise<TagHolder | null>> | undefined;
  // One bound on pattern matching for all the checks (policy/glob.ts): 1,000 keys of a DeleteMultipleObjects
  // against a policy of hundreds of wildcards held the event loop for seconds.
  const meter = newMatchMeter(checks.length);
  for (const check of checks) {
    if (check.kms !== undefined) {
      // A KMS key (docs/encryption.md): only identity and session policies and the owner's root decide; an
      // access point's policy, like a bucket policy, governs oss: actions only.
      const got = check.bucket === null ? null : deps.getBucket(check.bucket);
      const bucket = got instanceof Promise ? await got : got;
      const keyId = bucket === null ? null : kmsKeyOf(check.kms, bucket, facts);
      if (bucket === null || keyId === null) continue;
      const input: OssAuthzInput = {
        caller,
        bucketOwner: bucket.ownerAccountId,
        identityPolicies,
        sessionPolicy,
        check: { action: check.action, resource: kmsKeyArn(bucket.region, bucket.ownerAccountId, keyId), acl: 'none', isObject: false },
        context: contextFor(null, bucket.name),
        meter,
      };
      const decided = authorizeOss(input);
      const decision: OssDecision = decided.allowed ? decided : kmsRefusal(decided);
      if (trace) trace.authz = ossOutcome(check.action, input, decision);
      if (!decision.allowed) throw new AccessDeniedError(principal, decision, check);
      continue;
    }
    if (check.passRole !== undefined) {
      // Handing a role to the server's own work (a batch job): the caller's identity and session policies on the
      // role's ARN decide; the role's account's root always may. Bucket policies and ACLs never grant it.
      const role = roleOfArn(check.passRole);
      // A RoleArn that names no role passes nothing (the handler refuses such an ARN first, as InvalidArgument).
      if (role === null) throw new AppError('AccessDenied');
      const input: OssAuthzInput = {
        caller,
        bucketOwner: role.accountId,
        identityPolicies,
        sessionPolicy,
        check: { action: 'ram:PassRole', resource: ramRoleArn(role.accountId, role.roleName), acl: 'none', isObject: false },
        context: contextFor(null, null),
        meter,
      };
      const decision = authorizeOss(input);
      if (trace) trace.authz = ossOutcome('ram:PassRole', input, decision);
      if (!decision.allowed) throw new AccessDeniedError(principal, decision, check);
      continue;
    }
    const applied: AuthzCheck[] = [check];
    if (check.ifTagged) {
      const holder = await tagHolder(deps, check.ifTagged, (tagged ??= new Map()));
      if (holder === null) continue;
      if (check.readsTags && holder.key !== check.ifTagged.key) applied.push({ ...check, bucket: holder.bucket, key: holder.key });
    }
    for (const c of applied) {
      // A bucket record held in memory and a decision that needs no object's ACL come without a promise.
      const got = c.bucket === null ? null : deps.getBucket(c.bucket);
      const bucket = got instanceof Promise ? await got : got;
      const pending = decideCheck(caller, principal, c, bucket, identityPolicies, sessionPolicy, contextFor, deps, facts, meter, trace);
      const decided = pending instanceof Promise ? await pending : pending;
      const decision = decided.decision;
      if (trace) trace.authz = ossOutcome(c.action, decided.input, decision);
      if (!decision.allowed) throw new AccessDeniedError(principal, decision, c);
      // Through an access point's alias, its policy must allow as well (authz/access-point.ts).
      if (facts.accessPoint !== undefined) {
        // The context the decision above used: with the resource's tags when the access point's policy names them.
        const refusal = accessPointRefusal(principal, c, facts.accessPoint, decided.input.context ?? (context ??= ossConditionContext(op, facts)), trace, meter);
        if (refusal !== null) throw new AccessDeniedError(principal, refusal, c);
      }
    }
  }
}

/**
 * The KMS key a check is about: a read's is the object's; a write's is the one it will encrypt with, the request's
 * `x-oss-server-side-encryption: KMS` (its key id, else the default key), else the bucket's default encryption;
 * null when the write is not KMS-encrypted. Invalid encryption headers are refused here as the write would refuse
 * them (400, before anything is stored).
 */
function kmsKeyOf(kms: NonNullable<AuthzCheck['kms']>, bucket: Bucket, facts: RequestFacts): string | null {
  if (typeof kms !== 'string') return kms.keyId;
  const setting = (kms === 'write' ? sseRequestFrom(facts.headers) : null) ?? bucketDefaultEncryption(bucket);
  return setting?.algorithm === 'KMS' ? (setting.kmsKeyId ?? DEFAULT_KMS_KEY) : null;
}

export const KMS_FORBIDDEN = 'This request is forbidden by kms.';

/**
 * A KMS refusal as OSS words it (help center, server-side encryption: a request on SSE-KMS data without the right
 * to use the CMK, or an anonymous one, "fails with This request is forbidden by kms"); 403 AccessDenied
 * [UNVERIFIED: code and status], no EC (none documented).
 */
function kmsRefusal(d: OssDecision): OssDecision {
  const { ec: _ec, ...rest } = d;
  return { ...rest, message: KMS_FORBIDDEN };
}

interface TagHolder {
  bucket: string;
  key: string;
  /** The version whose tags are read (a copy source named with ?versionId); absent: the current object. */
  versionId?: string;
}

/**
 * The object whose tags a read of `at` returns, following a symlink to its target as reads do (a copy of
 * a link copies the target's tags); null when it has none. A missing object has none: the operation
 * itself answers NoSuchKey.
 */
function tagHolder(deps: AuthzDeps, at: TagHolder, memo: Map<string, Promise<TagHolder | null>>): Promise<TagHolder | null> {
  const id = `${at.bucket}/${at.key}?${at.versionId ?? ''}`;
  let known = memo.get(id);
  if (known === undefined) {
    known = (async () => {
      let obj = at.versionId !== undefined ? await deps.getObjectVersion(at.bucket, at.key, at.versionId) : await deps.getObject(at.bucket, at.key);
      let holder: TagHolder = at;
      if (obj?.type === 'Symlink') {
        holder = { bucket: at.bucket, key: obj.symlinkTarget ?? '' };
        obj = await deps.getObject(holder.bucket, holder.key);
      }
      return obj !== null && obj.tags.length > 0 ? holder : null;
    })();
    memo.set(id, known);
  }
  return known;
}

interface Decided {
  decision: OssDecision;
  input: OssAuthzInput;
}

const RULE_NAMES = { referer: 'hotlink protection (Referer)', 'request-payment': 'pay-by-requester', 'public-access-block': 'Block Public Access' } as const;

/** Decides one check on its bucket's record (null: no such bucket, or a check without one). */
function decideCheck(
  caller: OssCaller,
  principal: Principal,
  check: AuthzCheck,
  bucket: Bucket | null,
  identityPolicies: readonly CompiledPolicy[],
  sessionPolicy: CompiledPolicy | null,
  contextFor: (bucketPolicy: CompiledPolicy | null, bucketName: string | null) => ConditionContext | undefined,
  deps: AuthzDeps,
  facts: RequestFacts,
  meter: MatchMeter,
  trace?: AuthzTrace,
): Decided | Promise<Decided> {
  // No bucket to consult (ListBuckets, or a bucket being created): identity and session policies decide.
  const withoutBucket = (bucketOwner: string | null, resource: string): Decided => {
    const input: OssAuthzInput = {
      caller,
      bucketOwner,
      identityPolicies,
      sessionPolicy,
      check: { action: check.action, resource, acl: 'none', isObject: false },
      context: contextFor(null, check.bucket),
      meter,
    };
    return { input, decision: authorizeOss(input) };
  };
  if (check.bucket === null) return withoutBucket(null, ossServiceArn(principal.type === 'anonymous' ? '*' : principal.accountId));
  if (!bucket) {
    // Creating a bucket: the caller's account will own it, so its identity (and session) policies decide.
    // PutBucketAcl on a missing bucket creates it (its handler then authorizes oss:PutBucket as well), and
    // PutBucket with encryption headers sets the encryption of the bucket it creates.
    if ((check.action === 'oss:PutBucket' || check.action === 'oss:PutBucketAcl' || check.action === 'oss:PutBucketEncryption') && check.key === null) {
      const owner = principal.type === 'anonymous' ? null : principal.accountId;
      return withoutBucket(owner, ossResourceArn(deps.region, owner ?? '*', resourceName(check, check.bucket)));
    }
    // Any other request on a missing bucket: NoSuchBucket, not a denial (as OSS answers). Answered here rather
    // than let through to the handler, so a bucket created in between cannot skip the check.
    throw new AppError('NoSuchBucket', undefined, { BucketName: check.bucket });
  }
  // PutBucket on a name another account holds (docs/accounts.md): decided as a creation in the caller's
  // account, so an allowed caller learns BucketAlreadyExists (409) as OSS answers, not AccessDenied.
  if (check.action === 'oss:PutBucket' && check.key === null && principal.type !== 'anonymous' && principal.accountId !== bucket.ownerAccountId) {
    return withoutBucket(principal.accountId, ossResourceArn(deps.region, principal.accountId, resourceName(check, check.bucket)));
  }
  // The bucket's own access rules (Referer, pay-by-requester, Block Public Access) refuse before any policy; the
  // refusal is recorded as the decision, so ExplainRequest names the rule rather than nothing (docs/policy.md).
  const ruled = bucketRuleRefusal(principal, check, bucket, facts, meter);
  if (ruled !== null) {
    if (trace) {
      trace.authz = {
        action: check.action,
        resource: ossResourceArn(bucket.region, bucket.ownerAccountId, resourceName(check, bucket.name, bucket), check.key ?? undefined),
        decision: 'ExplicitDeny',
        layer: ruled.rule,
        policy: `${RULE_NAMES[ruled.rule]} of ${bucket.name}`,
        statementIndex: -1,
      };
    }
    throw ruled.error;
  }
  const bucketPolicy = bucketPolicyOf(bucket);
  const resource = ossResourceArn(bucket.region, bucket.ownerAccountId, resourceName(check, bucket.name, bucket), check.key ?? undefined);
  const input: OssAuthzInput = {
    caller,
    bucketOwner: bucket.ownerAccountId,
    identityPolicies,
    sessionPolicy,
    bucketPolicy,
    check: { action: check.action, resource, acl: check.acl, isObject: check.key !== null },
    effectiveAcl: effectiveAcl(bucket, bucket.acl),
    context: contextFor(bucketPolicy, bucket.name),
    meter,
  };
  // oss:BucketTag/<key> and oss:ExistingObjectTag/<key> are read from the bucket and the object, only when a
  // policy of this decision names them (most never do: no object is read for them).
  const apPolicy = facts.accessPoint !== undefined && facts.accessPoint.bucket === bucket.name ? evaluatedPolicyOf(facts.accessPoint) : null;
  const reads = tagKeysRead(identityPolicies, sessionPolicy, bucketPolicy, apPolicy);
  if (input.context !== undefined && (reads.bucket.size > 0 || (reads.object.size > 0 && check.key !== null && EXISTING_OBJECT_TAG_ACTIONS.has(check.action.toLowerCase())))) {
    return withResourceTags(input.context, check, bucket, reads, deps).then((context) => decideOnBucket(check, bucket, { ...input, context }, deps));
  }
  return decideOnBucket(check, bucket, input, deps);
}

/**
 * The resource part of a check's ARN: the bucket's name, or `agenticbucket/<name>` for an agentic bucket. An existing
 * bucket's kind decides, not the route: the general operations on an agentic bucket's name (PutBucketAcl,
 * DeleteBucketPublicAccessBlock, … without `agenticBucket`) are decided on its agenticbucket/ ARN too, else a policy
 * Allowing the bucket's plain ARN, or a Deny naming agenticbucket/*, was stepped around by leaving the parameter out
 * (docs/agentic-buckets.md). A missing one (CreateAgenticBucket) is what the check says (AuthzCheck.agentic).
 */
function resourceName(check: AuthzCheck, name: string, bucket?: Bucket): string {
  const agentic = bucket === undefined ? check.agentic === true : agenticStatusOf(bucket) !== null;
  return agentic ? `agenticbucket/${name}` : name;
}

/** Decides one check on an existing bucket: by policies and owner, then by the object's own ACL if it comes to that. */
function decideOnBucket(check: AuthzCheck, bucket: Bucket, input: OssAuthzInput, deps: AuthzDeps): Decided | Promise<Decided> {
  if (check.key === null || check.acl === 'none') return { decision: authorizeOss(input), input };
  // The object's own ACL matters only when policies and ownership leave the decision to ACLs: decide
  // with the most permissive ACL first, and read the object only if that answer came from the ACL.
  // (That first answer never reached the ACL layer, so its input explains it with the bucket's ACL.)
  const permissive = authorizeOss(withAcl(input, effectiveAcl(bucket, 'public-read-write')));
  if (!permissive.allowed || permissive.deciding?.layer !== 'acl') return { decision: permissive, input };
  return decideByObjectAcl(bucket.name, check.key, check.versionId, bucket, input, deps);
}

const BUCKET_TAG_PREFIX = 'oss:buckettag/';
const OBJECT_TAG_PREFIX = 'oss:existingobjecttag/';

/** The tag keys (lower-cased, as condition keys match) that policies name, per family; empty: none. */
interface TagKeysRead {
  readonly bucket: ReadonlySet<string>;
  readonly object: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();
const NO_TAG_KEYS: TagKeysRead = { bucket: NONE, object: NONE };
/** Per compiled policy body (its statements array is shared by every label of it). */
const tagKeysOfPolicy = new WeakMap<object, TagKeysRead>();

function tagKeysOf(policy: CompiledPolicy): TagKeysRead {
  const statements = policy.statements;
  let hit = tagKeysOfPolicy.get(statements);
  if (hit === undefined) {
    const bucket = new Set<string>();
    const object = new Set<string>();
    for (const st of statements) {
      for (const c of st.conditions) {
        if (c.key.startsWith(BUCKET_TAG_PREFIX)) bucket.add(c.key.slice(BUCKET_TAG_PREFIX.length));
        else if (c.key.startsWith(OBJECT_TAG_PREFIX)) object.add(c.key.slice(OBJECT_TAG_PREFIX.length));
      }
    }
    hit = bucket.size > 0 || object.size > 0 ? { bucket, object } : NO_TAG_KEYS;
    tagKeysOfPolicy.set(statements, hit);
  }
  return hit;
}

/**
 * Which resource-tag condition keys any policy of a decision names. Runs for every decision on a bucket: nothing
 * is allocated unless two of its policies name some.
 */
function tagKeysRead(identityPolicies: readonly CompiledPolicy[], sessionPolicy: CompiledPolicy | null, bucketPolicy: CompiledPolicy | null, apPolicy: CompiledPolicy | null): TagKeysRead {
  return withTagKeysOf(withTagKeysOf(withTagKeysOf(identityTagKeys(identityPolicies), sessionPolicy), bucketPolicy), apPolicy);
}

/** Per identity set that cannot change (IdentityPolicies freezes the sets it caches per principal). */
const tagKeysOfSet = new WeakMap<readonly CompiledPolicy[], TagKeysRead>();

/** The tag keys an identity set names: for a cached (frozen) set one lookup, not one per policy on every decision. */
function identityTagKeys(policies: readonly CompiledPolicy[]): TagKeysRead {
  if (policies.length === 0) return NO_TAG_KEYS;
  const frozen = Object.isFrozen(policies);
  let keys = frozen ? tagKeysOfSet.get(policies) : undefined;
  if (keys !== undefined) return keys;
  keys = NO_TAG_KEYS;
  for (const p of policies) keys = withTagKeysOf(keys, p);
  if (frozen) tagKeysOfSet.set(policies, keys);
  return keys;
}

function withTagKeysOf(keys: TagKeysRead, policy: CompiledPolicy | null): TagKeysRead {
  const t = policy === null ? NO_TAG_KEYS : tagKeysOf(policy);
  if (t === NO_TAG_KEYS) return keys;
  if (keys === NO_TAG_KEYS) return t;
  return { bucket: new Set([...keys.bucket, ...t.bucket]), object: new Set([...keys.object, ...t.object]) };
}

/**
 * The request's condition keys plus the tags of the resource (spec ram-sts §1.7): `oss:BucketTag/<key>` from the
 * bucket's tags (PutBucketTags), and for the actions of EXISTING_OBJECT_TAG_ACTIONS `oss:ExistingObjectTag/<key>`
 * from the object's (the version the request names, if any). A missing object, or one without tags, adds none.
 */
async function withResourceTags(base: ConditionContext, check: AuthzCheck, bucket: Bucket, reads: TagKeysRead, deps: AuthzDeps): Promise<ConditionContext> {
  const ctx: Record<string, string | readonly string[] | undefined> = { ...base };
  // Only the tags the policies name: the context is also what a refusal's diagnostic is made from.
  if (reads.bucket.size > 0) {
    for (const [k, v] of bucketTags(readConfig(bucket, storedKind('bucket-tags')))) if (reads.bucket.has(k.toLowerCase())) ctx[`oss:BucketTag/${k}`] = v;
  }
  if (reads.object.size > 0 && check.key !== null && EXISTING_OBJECT_TAG_ACTIONS.has(check.action.toLowerCase())) {
    const obj = check.versionId !== undefined ? await deps.getObjectVersion(bucket.name, check.key, check.versionId) : await deps.getObject(bucket.name, check.key);
    if (obj !== null) for (const [k, v] of obj.tags) if (reads.object.has(k.toLowerCase())) ctx[`oss:ExistingObjectTag/${k}`] = v;
  }
  return ctx;
}

/** The decision by the object's own ACL (a request naming a version: that version's; each keeps its own). */
async function decideByObjectAcl(bucketName: string, key: string, versionId: string | undefined, bucket: Bucket, input: OssAuthzInput, deps: AuthzDeps): Promise<Decided> {
  const obj = versionId !== undefined ? await deps.getObjectVersion(bucketName, key, versionId) : await deps.getObject(bucketName, key);
  const decidedOn = withAcl(input, effectiveAcl(bucket, obj && obj.acl !== 'default' ? obj.acl : bucket.acl));
  return { decision: authorizeOss(decidedOn), input: decidedOn };
}

/**
 * `input` with another ACL, written out field by field: a spread followed by a property (`{ ...input, effectiveAcl }`)
 * gives V8 an object it then extends property by property, missing its caches on every GET (operations.md, seventh pass).
 */
function withAcl(input: OssAuthzInput, acl: OssAcl): OssAuthzInput {
  return {
    caller: input.caller,
    bucketOwner: input.bucketOwner,
    identityPolicies: input.identityPolicies,
    sessionPolicy: input.sessionPolicy,
    bucketPolicy: input.bucketPolicy,
    check: input.check,
    effectiveAcl: acl,
    context: input.context,
    meter: input.meter,
  };
}

/** The request-record form of an OSS decision (the owner layer names no policy). */
function ossOutcome(action: string, input: OssAuthzInput, d: OssDecision): AuthzOutcome {
  const decision = d.allowed ? 'Allow' : (d.noPermissionType ?? 'ImplicitDeny');
  const resource = input.check.resource;
  const x = d.deciding;
  const basis = { kind: 'oss', input } as const;
  if (x === undefined) return { action, resource, decision, statementIndex: -1, basis };
  return { action, resource, decision, layer: x.layer, policy: x.layer === 'owner' ? undefined : x.policy, statementIndex: x.statement, policyText: x.policyText, basis };
}

