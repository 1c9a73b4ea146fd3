import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import { traceOf, type AuthzOutcome } from '../authz/outcome.js';
import { AppError } from '../errors.js';
import { authorizeAction, type ExtrasContext } from './extras-context.js';
import type { RamCaller } from './service.js';

// EncodedDiagnosticMessage / DecodeDiagnosticMessage (docs/ram.md). A denied OSS or RAM/STS request gets
// an `AccessDeniedDetail` whose EncodedDiagnosticMessage is the decision's facts (explicit deny or not,
// the deciding policy type, the matched policies, action, resource, principal, the request's condition
// keys) sealed with AES-256-GCM under a key derived from the master key: opaque to the client, tamper-proof,
// and readable only through DecodeDiagnosticMessage by an authorized caller of the denied principal's
// account. Encoding happens only when answering a denial, never on an allowed request.

export interface DiagnosticFacts {
  explicitDeny: boolean;
  /** AccountLevelIdentityBasedPolicy, SessionPolicy, ResourceBasedPolicy, AccessControlList, AssumeRolePolicy. */
  policyType: string;
  action: string;
  resource: string;
  principal: { type: string; ownerId: string; displayName: string };
  conditions: Array<{ key: string; values: string[] }>;
  /** Statements that applied (for an explicit deny, the Deny ones), in evaluation order (policy name as the trace names it). */
  matched: Array<{ policyType: string; policyName: string; statementIndex: number; effect: string }>;
  /** Epoch milliseconds of the denial. */
  time: number;
}

const POLICY_TYPE: Record<string, string> = {
  identity: 'AccountLevelIdentityBasedPolicy',
  session: 'SessionPolicy',
  bucket: 'ResourceBasedPolicy',
  acl: 'AccessControlList',
  trust: 'AssumeRolePolicy',
  owner: 'AccountLevelIdentityBasedPolicy',
};

/** AuthPrincipalType / OwnerId / DisplayName as the cloud shows them. */
export function principalFacts(p: Principal): DiagnosticFacts['principal'] {
  switch (p.type) {
    case 'anonymous': return { type: 'Anonymous', ownerId: '', displayName: '' };
    case 'root': return { type: 'Account', ownerId: p.accountId, displayName: p.accountId };
    case 'user': return { type: 'SubUser', ownerId: p.accountId, displayName: p.userId };
    case 'session': return { type: 'AssumedRoleUser', ownerId: p.accountId, displayName: `${p.roleId}:${p.sessionName}` };
  }
}

const MAX_CONDITIONS = 32;
/** Condition values are cut here (a long User-Agent would swell every denial's answer). */
const MAX_VALUE = 128;
const MAX_MATCHED = 32;

/** The facts of a denial, from what the authorizer recorded (the layered trace is computed now). */
export function diagnosticFactsOf(outcome: AuthzOutcome, principal: Principal, time: number): DiagnosticFacts {
  const trace = traceOf(outcome);
  // An explicit deny: the Deny statements that applied; otherwise the Allow statements that did (in a layer
  // that alone could not grant the request).
  const explicit = outcome.decision === 'ExplicitDeny';
  const matched: DiagnosticFacts['matched'] = [];
  for (const layer of trace?.layers ?? []) {
    for (const policy of layer.policies) {
      for (const st of policy.statements) {
        if (st.applied && (!explicit || st.effect === 'Deny') && matched.length < MAX_MATCHED) {
          matched.push({ policyType: POLICY_TYPE[layer.layer] ?? layer.layer, policyName: policy.name, statementIndex: st.index, effect: st.effect });
        }
      }
    }
  }
  const context = outcome.basis?.input.context ?? {};
  const conditions: DiagnosticFacts['conditions'] = [];
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined || conditions.length >= MAX_CONDITIONS) continue;
    // The resource's tags are the resource's, not the request's: a caller refused the read does not learn them
    // (GetObjectTagging and GetBucketTags have their own permissions).
    if (isResourceTagKey(key)) continue;
    const values = (typeof value === 'string' ? [value] : [...value]).slice(0, 8).map((v) => v.slice(0, MAX_VALUE));
    conditions.push({ key, values });
  }
  const deciding = outcome.layer ?? trace?.decidingLayer;
  return {
    explicitDeny: outcome.decision === 'ExplicitDeny',
    policyType: POLICY_TYPE[deciding ?? 'identity'] ?? 'AccountLevelIdentityBasedPolicy',
    action: outcome.action,
    resource: outcome.resource,
    principal: principalFacts(principal),
    conditions,
    matched,
    time,
  };
}

// The sealed form is a compact tuple (error answers stay small: a denial's whole XML is about 1 KiB):
// [explicitDeny 0|1, policyType, action, resource, [type, ownerId, displayName], [[key, ...values]],
//  [[policyType, policyName, statementIndex, effect]], time (s)].
type Packed = [number, string, string, string, [string, string, string], string[][], Array<[string, string, number, string]>, number];

// Policy types travel as the layer names they come from.
const LAYER_OF: Record<string, string> = Object.fromEntries(Object.entries(POLICY_TYPE).filter(([l]) => l !== 'owner').map(([l, t]) => [t, l]));
const short = (type: string): string => LAYER_OF[type] ?? type;
const long = (layer: string): string => POLICY_TYPE[layer] ?? layer;

function pack(f: DiagnosticFacts): Packed {
  return [
    f.explicitDeny ? 1 : 0, short(f.policyType), f.action, f.resource, [f.principal.type, f.principal.ownerId, f.principal.displayName],
    f.conditions.map((c) => [c.key, ...c.values]), f.matched.map((m) => [short(m.policyType), m.policyName, m.statementIndex, m.effect]), Math.floor(f.time / 1000),
  ];
}

function unpack(p: Packed): DiagnosticFacts {
  const [deny, policyType, action, resource, [type, ownerId, displayName], conditions, matched, time] = p;
  return {
    explicitDeny: deny === 1, policyType: long(policyType), action, resource, principal: { type, ownerId, displayName },
    conditions: conditions.map(([key, ...values]) => ({ key: key!, values })),
    matched: matched.map(([layer, policyName, statementIndex, effect]) => ({ policyType: long(layer), policyName, statementIndex, effect })),
    time: time * 1000,
  };
}

const VERSION = 2;
const AAD = Buffer.from('alunite EncodedDiagnosticMessage v1');
/** Longest EncodedDiagnosticMessage DecodeDiagnosticMessage reads. */
export const MAX_ENCODED_LENGTH = 16 * 1024;

function keyOf(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'alunite diagnostic message', 32));
}

/** Seals and opens diagnostic messages (current key; previous keys of the ring still open older ones). */
export class DiagnosticCodec {
  private readonly keys: Buffer[];

  constructor(masterKey: Buffer, previousMasterKeys: readonly Buffer[] = []) {
    this.keys = [masterKey, ...previousMasterKeys].map(keyOf);
  }

  encode(facts: DiagnosticFacts): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    cipher.setAAD(AAD);
    const ct = Buffer.concat([cipher.update(JSON.stringify(pack(facts)), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]).toString('base64');
  }

  /** The facts, or null for anything this server did not seal (garbage, tampering, another key). */
  decode(encoded: string): DiagnosticFacts | null {
    if (encoded.length > MAX_ENCODED_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return null;
    const raw = Buffer.from(encoded, 'base64');
    if (raw.length < 1 + 12 + 16 || raw[0] !== VERSION) return null;
    for (const key of this.keys) {
      try {
        const d = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 13));
        d.setAAD(AAD);
        d.setAuthTag(raw.subarray(13, 29));
        const text = Buffer.concat([d.update(raw.subarray(29)), d.final()]).toString('utf8');
        return unpack(JSON.parse(text) as Packed);
      } catch {
        // next key
      }
    }
    return null;
  }

  /**
   * The `AccessDeniedDetail` of a denial answer (OSS XML and POP JSON/XML use the same fields); null for an
   * anonymous caller, whose message no account could decode (so anonymous denials cost nothing extra).
   */
  accessDeniedDetail(outcome: AuthzOutcome, principal: Principal, time: number): Record<string, string> | null {
    if (principal.type === 'anonymous') return null;
    const facts = diagnosticFactsOf(outcome, principal, time);
    return {
      PolicyType: facts.policyType,
      AuthPrincipalOwnerId: facts.principal.ownerId,
      AuthPrincipalType: facts.principal.type,
      AuthPrincipalDisplayName: facts.principal.displayName,
      NoPermissionType: facts.explicitDeny ? 'ExplicitDeny' : 'ImplicitDeny',
      AuthAction: facts.action,
      EncodedDiagnosticMessage: this.encode(facts),
    };
  }
}

/**
 * DecodeDiagnosticMessage: authorized as ram:DecodeDiagnosticMessage; a message about a principal of
 * another account (or anonymous) decodes for nobody here: same answer as a message that does not decode.
 */
export async function decodeDiagnosticMessage(ctx: ExtrasContext, codec: DiagnosticCodec, caller: RamCaller, encoded: string): Promise<DiagnosticFacts> {
  await authorizeAction(ctx, caller, 'DecodeDiagnosticMessage', {});
  const facts = codec.decode(encoded);
  if (facts === null || facts.principal.ownerId !== ctx.accountId) throw new AppError('InvalidParameter.EncodedDiagnosticMessage');
  // A resource of another account (docs/accounts.md): which kind of policy refused is told, never that account's
  // statements or the values its conditions expected.
  // Nor which account it is: the resource keeps its service, region and name, with `*` for the account (a private
  // bucket's owner is named by OSS to no one else; before, AuthResource named it).
  const owner = /^acs:[a-z]+:[^:]*:(\d+):/.exec(facts.resource)?.[1];
  if (owner !== undefined && owner !== ctx.accountId) {
    return {
      ...facts, resource: facts.resource.replace(/^(acs:[a-z]+:[^:]*:)\d+:/, '$1*:'), conditions: [],
      matched: facts.matched.filter((m) => m.policyType === POLICY_TYPE.identity || m.policyType === POLICY_TYPE.session),
    };
  }
  return facts;
}

function isResourceTagKey(key: string): boolean {
  const lower = key.toLowerCase();
  return lower.startsWith('oss:existingobjecttag/') || lower.startsWith('oss:buckettag/');
}
