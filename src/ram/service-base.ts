import type { Principal } from '../auth/principal.js';
import { AppError } from '../errors.js';
import type { IdentityStore } from '../store/meta/types.js';
import type { Clock } from '../util/time.js';
import { ramActionResources, type RamActionInput, type RamActionName } from './actions.js';
import { authorizeRootOnly, type RamAuthorizer } from './authorize.js';
import type { AuthzTrace } from '../authz/outcome.js';
import type { IdentityPolicies } from './identity.js';
import type { SimulationWorld } from './simulate.js';
import type { ConditionContext } from '../policy/index.js';
import { DEFAULT_RAM_LIMITS, type RamGroup, type RamLimits, type RamRole, type RamUser } from './model.js';

/** Who calls a RAM action. */
export interface RamCaller {
  principal: Principal;
  /** Condition keys of the request (acs:SourceIp, acs:CurrentTime, …) for identity-policy conditions. */
  context?: ConditionContext;
  /** Receives the authorization outcome of the call (audit log, ExplainRequest). */
  trace?: AuthzTrace;
}

export interface RamServiceOptions {
  store: IdentityStore;
  accountId: string;
  clock: Clock;
  /** Seals AccessKey secrets at rest (AES-256-GCM, 32 bytes). */
  masterKey: Buffer;
  /** Keys `alunite keys rotate` replaced; secrets sealed under them still open. */
  previousMasterKeys?: readonly Buffer[];
  limits?: Partial<RamLimits>;
  authorize?: RamAuthorizer;
  /** Identity policies, for the policy simulator; without it SimulatePrincipalPolicy is unavailable. */
  identity?: IdentityPolicies;
  /** Buckets, so the simulator decides OSS actions with their bucket policy, owner and ACL. */
  simulationWorld?: SimulationWorld;
  /** Account rules kept by ram/extras.ts (security preference, login profiles, MFA; docs/ram.md). */
  rules?: RamServiceRules;
}

/** Checks RamService runs for rules whose state lives in ram/extras.ts. */
export interface RamServiceRules {
  /** Before a RAM user creates, updates or deletes AccessKeys of `userName` (the security preference). */
  accessKeySelfService(caller: RamCaller, userName: string): Promise<void>;
  /** Before a user is deleted: refuses while it has a login profile or an MFA device. */
  beforeDeleteUser(userId: string): Promise<void>;
}

/**
 * The lowest layer of RamService (service.ts): what it is given, the one authorization call every action makes, and
 * the lookups of a named user, group or role that must exist.
 */
export abstract class RamServiceBase {
  readonly accountId: string;
  protected readonly store: IdentityStore;
  protected readonly clock: Clock;
  protected readonly masterKey: Buffer;
  protected readonly previousMasterKeys: readonly Buffer[];
  protected readonly limits: RamLimits;
  private readonly authorizeHook: RamAuthorizer;
  protected readonly identity: IdentityPolicies | undefined;
  protected readonly simulationWorld: SimulationWorld | undefined;
  protected readonly rules: RamServiceRules | undefined;

  constructor(opts: RamServiceOptions) {
    this.rules = opts.rules;
    this.store = opts.store;
    this.identity = opts.identity;
    this.simulationWorld = opts.simulationWorld;
    this.accountId = opts.accountId;
    this.clock = opts.clock;
    this.masterKey = opts.masterKey;
    this.previousMasterKeys = opts.previousMasterKeys ?? [];
    this.limits = { ...DEFAULT_RAM_LIMITS, ...opts.limits };
    this.authorizeHook = opts.authorize ?? authorizeRootOnly;
  }

  /** Authorizes `ram:<action>` on every resource the action table declares for this input. */
  protected async authorize<A extends RamActionName>(caller: RamCaller, action: A, input: RamActionInput<A>): Promise<void> {
    const resources = ramActionResources(this.accountId, action, input);
    await this.authorizeHook({ principal: caller.principal, action: `ram:${action}`, resources, accountId: this.accountId, context: caller.context, trace: caller.trace });
  }

  protected async mustUser(userName: string): Promise<RamUser> {
    const u = await this.store.getUser(userName);
    if (!u) throw new AppError('EntityNotExist.User');
    return u;
  }

  protected async mustGroup(groupName: string): Promise<RamGroup> {
    const g = await this.store.getGroup(groupName);
    if (!g) throw new AppError('EntityNotExist.Group');
    return g;
  }

  protected async mustRole(roleName: string): Promise<RamRole> {
    const r = await this.store.getRole(roleName);
    if (!r) throw new AppError('EntityNotExist.Role');
    return r;
  }
}
