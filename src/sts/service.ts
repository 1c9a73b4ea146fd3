import type { Principal, SessionParent } from '../auth/principal.js';
import { outcomeOfDecision, type AuthzTrace } from '../authz/outcome.js';
import { AppError } from '../errors.js';
import { assumeRoleCallerRefusal, authorizeAssumeRole, compilePolicy, type CompiledPolicy, type CompileResult, type AssumeRoleAuthzInput, type AssumeRoleCallerInput, DEFAULT_MAX_LENGTH, parsePolicy, ramRoleArn, ramRootArn, ramUserArn, type ConditionContext } from '../policy/index.js';
import { sessionPolicyOf, type IdentityPolicies } from '../ram/identity.js';
import type { IdentityStore } from '../store/meta/types.js';
import type { RamRole } from '../ram/model.js';
import { isoSeconds, type Clock } from '../util/time.js';
import { STS_ACTION_RESOURCES } from './actions.js';
import type { TokenClaims, TokenService } from './token.js';
import { StsLookupCache } from './lookup-cache.js';
import { policyCaller } from '../authz/caller.js';

// STS (spec ram-sts §5): AssumeRole and GetCallerIdentity. Protocol-free: the RPC layer parses the
// parameters and renders the result; this module validates, authorizes and issues.

export const MIN_DURATION_SECONDS = 900;
export const DEFAULT_DURATION_SECONDS = 3600;
/** Current SDK docs: 1..2048 characters (spec §1.8); the error text keeps the documented wording. */
export const DEFAULT_MAX_SESSION_POLICY_LENGTH = DEFAULT_MAX_LENGTH.session;

// The RoleArn rule is policy/arn.ts's (one for AssumeRole, federation, batch jobs and vend).
import { ROLE_ARN_RE } from '../policy/arn.js';
export { ROLE_ARN_RE };
export const SESSION_NAME_RE = /^[A-Za-z0-9.@_-]{2,64}$/;
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]{2,1224}$/;

export interface AssumeRoleInput {
  roleArn?: string;
  roleSessionName?: string;
  /** As sent (a decimal string); validated here. */
  durationSeconds?: string;
  policy?: string;
  externalId?: string;
}

/** Request facts the trust policy's conditions may look at (the RPC layer fills them in). */
export interface StsRequestFacts {
  sourceIp?: string;
  secureTransport?: boolean;
  accessKeyId?: string;
  /** Receives the authorization outcome (audit log, ExplainRequest). */
  trace?: AuthzTrace;
}

export interface AssumeRoleResult {
  assumedRoleUser: { arn: string; assumedRoleId: string };
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string; expiration: number };
}

export interface CallerIdentity {
  identityType: 'Account' | 'RAMUser' | 'AssumedRoleUser';
  accountId: string;
  userId?: string;
  roleId?: string;
  principalId: string;
  arn: string;
}

export interface StsServiceOptions {
  store: IdentityStore;
  accountId: string;
  identity: IdentityPolicies;
  tokens: TokenService;
  clock: Clock;
  maxSessionPolicyLength?: number;
  /** Several accounts (docs/accounts.md): roles of the other accounts, and whether a caller's account is known. */
  accounts?: { exists(accountId: string): Promise<boolean>; storeFor(accountId: string): IdentityStore };
}


/**
 * The trust policy in the trace of an AssumeRole refused by the caller's own side, before the role was read: never
 * evaluated there (policy/explain.ts stops at the refusing layer), so it only stands for "not read".
 */
let unreadTrust: CompiledPolicy | undefined;
function unreadTrustPolicy(): CompiledPolicy {
  if (unreadTrust === undefined) {
    const text = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: 'sts:AssumeRole', Principal: { RAM: ['*'] } }] });
    const compiled = compilePolicy(text, 'trust', { label: 'trust policy (not read: the caller\'s own policies refused first)' });
    if (!compiled.ok) throw new Error('the unread-trust placeholder does not compile');
    unreadTrust = compiled.policy;
  }
  return unreadTrust;
}

export class StsService {
  private readonly maxPolicyLength: number;
  /** The own account's roles, read once per identity generation (sts/lookup-cache.ts). */
  private readonly lookups: StsLookupCache;

  constructor(private readonly opts: StsServiceOptions) {
    this.maxPolicyLength = opts.maxSessionPolicyLength ?? DEFAULT_MAX_SESSION_POLICY_LENGTH;
    this.lookups = new StsLookupCache(() => opts.store.identityGeneration());
  }

  /**
   * Parameter checks in the order of spec §5.1 (RoleArn, RoleSessionName, DurationSeconds' form,
   * Policy, ExternalId), then the caller's own side of the §2.7 decision (session and identity policies, on the
   * ARN as written), then the role (EntityNotExist.Role), its trust policy, and its MaxSessionDuration; then a token.
   */
  async assumeRole(caller: Principal, input: AssumeRoleInput, facts: StsRequestFacts = {}): Promise<AssumeRoleResult> {
    if (input.roleArn === undefined || input.roleArn === '') throw new AppError('MissingRoleArn');
    const arn = ROLE_ARN_RE.exec(input.roleArn);
    if (!arn) throw new AppError('InvalidParameter.RoleArn');
    const [, roleAccount, roleNameInArn] = arn as unknown as [string, string, string];
    if (input.roleSessionName === undefined || input.roleSessionName === '') throw new AppError('MissingRoleSessionName');
    const sessionName = input.roleSessionName;
    if (!SESSION_NAME_RE.test(sessionName)) throw new AppError('InvalidParameter.RoleSessionName');
    let duration = DEFAULT_DURATION_SECONDS;
    if (input.durationSeconds !== undefined && input.durationSeconds !== '') {
      if (!/^\d{1,9}$/.test(input.durationSeconds)) throw new AppError('InvalidParameter.DurationSeconds', durationMessage(null));
      duration = Number(input.durationSeconds);
      if (duration < MIN_DURATION_SECONDS) throw new AppError('InvalidParameter.DurationSeconds', durationMessage(null));
    }
    const sessionPolicy = input.policy === undefined || input.policy === '' ? null : input.policy;
    if (sessionPolicy !== null) this.checkSessionPolicy(sessionPolicy);
    if (input.externalId !== undefined && input.externalId !== '' && !EXTERNAL_ID_RE.test(input.externalId)) throw new AppError('InvalidParameter.ExternalId');

    const now = this.opts.clock();
    const context: ConditionContext = {
      'acs:CurrentTime': isoSeconds(now),
      'acs:SourceIp': facts.sourceIp,
      'acs:SecureTransport': facts.secureTransport === undefined ? undefined : String(facts.secureTransport),
      'acs:AccessId': facts.accessKeyId,
      'sts:ExternalId': input.externalId === '' ? undefined : input.externalId,
      'sts:RoleSessionName': sessionName,
    };
    // The caller's own account's policies must allow sts:AssumeRole, whichever account the role is in (§2.7). They
    // are decided first, on the ARN as written (role ARNs are lower-cased, §4.1): a caller they refuse (a RAM user
    // allowed nothing, a session whose policy does not name the role, a root) learns nothing of the role, neither
    // whether it exists nor its MaxSessionDuration. Before, the role was looked up first, so any credential of any
    // account could tell another account's role names (EntityNotExist.Role or NoPermission) and read their
    // MaxSessionDuration from the DurationSeconds message.
    const knownCaller = caller.type !== 'anonymous' && (caller.accountId === this.opts.accountId || (await this.opts.accounts?.exists(caller.accountId)) === true);
    const identityPolicies = knownCaller ? await this.opts.identity.forPrincipal(caller) : [];
    const callerSide = { caller: policyCaller(caller), identityPolicies, sessionPolicy: sessionPolicyOf(caller), context };
    for (const resource of STS_ACTION_RESOURCES.AssumeRole({ roleArn: ramRoleArn(roleAccount, roleNameInArn) })) {
      // Inputs written out field by field: a spread followed by a property makes V8 extend the copy property by
      // property (a map migration each; docs/performance.md, AssumeRole stage table).
      const refused = assumeRoleCallerRefusal(callerInput(callerSide, resource));
      if (refused === null) continue;
      if (facts.trace) {
        // The trust policy was not read: the trace's trust layer says the caller's side refused first.
        const basis = { kind: 'assumeRole', input: { ...callerSide, roleArn: resource, trustPolicy: unreadTrustPolicy() } } as const;
        facts.trace.authz = refused.deciding
          ? outcomeOfDecision('sts:AssumeRole', resource, refused.deciding.layer, refused.deciding.result, basis)
          : { action: 'sts:AssumeRole', resource, decision: 'ImplicitDeny', statementIndex: -1, basis };
      }
      throw new AppError('NoPermission', refused.message);
    }

    // The roles of the accounts this server holds; a role name in an ARN matches case-insensitively (§4.1).
    const roleStore = roleAccount === this.opts.accountId ? this.opts.store
      : this.opts.accounts && await this.opts.accounts.exists(roleAccount) ? this.opts.accounts.storeFor(roleAccount) : null;
    const role = roleStore === this.opts.store ? await this.lookups.role(roleNameInArn, (n) => this.opts.store.getRole(n))
      : roleStore ? await roleStore.getRole(roleNameInArn) : null;
    if (!role) throw new AppError('EntityNotExist.Role', 'The specified Role not exists.');

    const roleArn = ramRoleArn(roleAccount, role.roleName);
    const trust = trustPolicyOf(role);
    if (!trust.ok) {
      if (facts.trace) facts.trace.authz = { action: 'sts:AssumeRole', resource: roleArn, decision: 'ImplicitDeny', layer: 'trust', statementIndex: -1 };
      throw new AppError('NoPermission', 'You are not authorized to do this action. You should be authorized by RAM.');
    }
    // Every resource of the action's table entry must be allowed; the trace names the one that refused.
    // ramRoleArn lower-cases the name, and the role matched the ARN's name case-insensitively: these are the resources
    // whose caller side was allowed above, so only the trust policy is decided here.
    for (const resource of STS_ACTION_RESOURCES.AssumeRole({ roleArn })) {
      const input: AssumeRoleAuthzInput = {
        caller: callerSide.caller,
        identityPolicies: callerSide.identityPolicies,
        sessionPolicy: callerSide.sessionPolicy,
        context: callerSide.context,
        trustPolicy: trust.policy,
        roleArn: resource,
      };
      const decision = authorizeAssumeRole(input, roleArn === ramRoleArn(roleAccount, roleNameInArn));
      if (facts.trace) {
        const basis = { kind: 'assumeRole', input } as const;
        facts.trace.authz = decision.deciding
          ? outcomeOfDecision('sts:AssumeRole', resource, decision.deciding.layer, decision.deciding.result, basis)
          : { action: 'sts:AssumeRole', resource, decision: 'ImplicitDeny', statementIndex: -1, basis };
      }
      if (!decision.allowed) throw new AppError('NoPermission', decision.message);
    }
    // The role's MaxSessionDuration only to a caller the role admits (it was checked before the trust policy).
    if (duration > role.maxSessionDuration) throw new AppError('InvalidParameter.DurationSeconds', durationMessage(role.maxSessionDuration));

    // Second precision: Expiration is written without fractions, and the token expires exactly then.
    const issuedAt = Math.floor(now / 1000) * 1000;
    const expiration = issuedAt + duration * 1000;
    const parent = sessionParentOf(caller);
    const claims: Omit<TokenClaims, 'accessKeyId'> = { accountId: roleAccount, roleId: role.roleId, roleName: role.roleName, sessionName, sessionPolicy, issuedAt, expiration };
    if (parent !== undefined) claims.parent = parent;
    const issued = this.opts.tokens.issue(claims);
    return {
      assumedRoleUser: { arn: `${roleArn}/${sessionName}`, assumedRoleId: `${role.roleId}:${sessionName}` },
      credentials: { accessKeyId: issued.accessKeyId, accessKeySecret: issued.accessKeySecret, securityToken: issued.securityToken, expiration },
    };
  }

  private checkSessionPolicy(text: string): void {
    checkSessionPolicy(text, this.maxPolicyLength);
  }

  /** Who the caller is; never denied (spec §5.3). */
  getCallerIdentity(caller: Principal): CallerIdentity {
    switch (caller.type) {
      case 'root':
        return { identityType: 'Account', accountId: caller.accountId, userId: caller.accountId, principalId: caller.accountId, arn: ramRootArn(caller.accountId) };
      case 'user':
        return {
          identityType: 'RAMUser', accountId: caller.accountId, userId: caller.userId, principalId: caller.userId,
          arn: ramUserArn(caller.accountId, caller.userName),
        };
      case 'session':
        return {
          identityType: 'AssumedRoleUser', accountId: caller.accountId, roleId: caller.roleId, principalId: `${caller.roleId}:${caller.sessionName}`,
          arn: `acs:ram::${caller.accountId}:assumed-role/${caller.roleName.toLowerCase()}/${caller.sessionName}`,
        };
      case 'anonymous':
        // POP requests are always signed; kept for completeness of the union.
        throw new AppError('NoPermission');
    }
  }
}

/** The caller's side of an AssumeRole decision on one resource. */
function callerInput(side: Omit<AssumeRoleCallerInput, 'roleArn'>, roleArn: string): AssumeRoleCallerInput {
  return { caller: side.caller, identityPolicies: side.identityPolicies, sessionPolicy: side.sessionPolicy, context: side.context, roleArn };
}

/**
 * A role's trust policy, compiled once per role record: the lookup cache hands every call the same frozen record
 * while the identity generation holds (an UpdateRole moves it, and the next call reads a new record), so the
 * compile cache's key (the whole policy text) is not built and hashed on every call.
 */
const trustPolicies = new WeakMap<RamRole, CompileResult>();

function trustPolicyOf(role: RamRole): CompileResult {
  let compiled = trustPolicies.get(role);
  if (compiled === undefined) {
    compiled = compilePolicy(role.assumeRolePolicyDocument, 'trust', { label: `trust policy of ${role.roleName}` });
    if (Object.isFrozen(role)) trustPolicies.set(role, compiled);
  }
  return compiled;
}

/**
 * The credential a new session stands on (docs/sts.md "Revoking sessions"): a RAM user's AccessKey, a RAM user's
 * console sign-in, or, for a session assuming a role, that session's own parent (a chain lives no longer than
 * what began it). Federated sessions and their chains have none.
 */
export function sessionParentOf(caller: Principal): SessionParent | undefined {
  if (caller.type === 'user') {
    if (caller.loginStamp !== undefined) return { accountId: caller.accountId, userId: caller.userId, loginStamp: caller.loginStamp };
    return { accountId: caller.accountId, accessKeyId: caller.accessKeyId };
  }
  return caller.type === 'session' ? caller.parent : undefined;
}

/** A session policy's checks, shared by AssumeRole and the federation calls: the documented size and grammar errors. */
export function checkSessionPolicy(text: string, maxLength: number): void {
  const parsed = parsePolicy(text, 'session', { maxLength });
  if (parsed.ok) return;
  if (parsed.error.reason === 'length') {
    throw new AppError('InvalidParameter.PolicySize', `The size of Policy must be smaller than ${maxLength} bytes.`);
  }
  throw new AppError('InvalidParameter.PolicyGrammar', `The parameter Policy has not passed grammar check. ${parsed.error.message}`);
}

/** §5.1 keeps the documented text `15min/1hr`; the maximum is the role's MaxSessionDuration. */
export function durationMessage(max: number | null): string {
  if (max === null || max === 3600) return 'The Min/Max value of DurationSeconds is 15min/1hr.';
  const hours = max / 3600;
  return `The Min/Max value of DurationSeconds is 15min/${Number.isInteger(hours) ? `${hours}hr` : `${max}s`}.`;
}
