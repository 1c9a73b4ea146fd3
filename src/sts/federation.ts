// AssumeRoleWithOIDC and AssumeRoleWithSAML (docs/federation.md): no AccessKey, the identity provider's token
// or assertion is the credential. Verify it (sts/oidc.ts, sts/saml.ts), then the role's trust policy must admit
// the provider (Principal `{"Federated": [<provider ARN>]}`, Action sts:AssumeRole) with the token's claims as
// condition keys (oidc:iss/aud/sub, saml:iss/sub/sub_type/aud/recipient), decided by the policy engine
// (policy/sts.ts authorizeAssumeRole with a `federated` caller); then a session token like AssumeRole's.
// Protocol-free: rpc/sts-actions.ts parses and renders.
import { createHash } from 'node:crypto';
import { outcomeOfDecision } from '../authz/outcome.js';
import { AppError } from '../errors.js';
import type { ImsService } from '../ims/service.js';
import { ramProviderArn } from '../ram/actions.js';
import { authorizeAssumeRole, compilePolicy, DEFAULT_MAX_LENGTH, ramRoleArn, type ConditionContext } from '../policy/index.js';
import type { RamRole } from '../ram/model.js';
import type { IdentityStore } from '../store/meta/types.js';
import { isoSeconds, type Clock } from '../util/time.js';
import type { JwksCache } from './jwks.js';
import { MAX_OIDC_TOKEN_CHARS, verifyOidcToken } from './oidc.js';
import { samlMetadataOf } from './saml-metadata.js';
import { checkSessionPolicy, DEFAULT_DURATION_SECONDS, durationMessage, MIN_DURATION_SECONDS, ROLE_ARN_RE, SESSION_NAME_RE, type AssumeRoleResult, type StsRequestFacts } from './service.js';
import type { TokenService } from './token.js';
import { StsLookupCache } from './lookup-cache.js';

const PROVIDER_ARN_RE = { oidc: /^acs:ram::(\d{16}):oidc-provider\/([^/\s]{1,128})$/, saml: /^acs:ram::(\d{16}):saml-provider\/([^/\s]{1,128})$/ };
const NO_PERMISSION = 'There is no permission';

/** The accounts of the server as federation sees them (accounts/registry.ts): a provider ARN names its account. */
export interface FederationAccounts {
  exists(accountId: string): Promise<boolean>;
  /** The account's identity providers. */
  imsFor(accountId: string): ImsService;
  /** The account's view of the identity store (its roles). */
  storeFor(accountId: string): IdentityStore;
}

/** Where used SAML assertion IDs are remembered until they expire (the metadata store: shared by all processes). */
export interface AssertionReplayCache {
  claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean>;
}

/** Namespace of SAML assertion IDs among the store's nonces (RPC nonces start with `rpc\n`, never with this). */
const SAML_REPLAY_PREFIX = 'saml-assertion:';

/**
 * The replay key of an assertion: the provider that verified it (its ARN: account and name), its issuer and ID,
 * digested to a fixed size. Scoped to the provider, because the issuer and ID are only the assertion's own words:
 * another account can register a provider with the same entityID and its own key, and sign an assertion with a
 * victim's ID; keyed on issuer and ID alone, that would use up the victim's genuine assertion first.
 */
function samlReplayKey(providerArn: string, issuer: string, assertionId: string): string {
  return `${SAML_REPLAY_PREFIX}${createHash('sha256').update(`${providerArn}\n${issuer}\n${assertionId}`).digest('hex')}`;
}

export interface FederationServiceOptions {
  accounts: FederationAccounts;
  /** SAML assertion replay cache; absent: assertions are not tracked. */
  replay?: AssertionReplayCache;
  tokens: TokenService;
  jwks: JwksCache;
  clock: Clock;
  maxSessionPolicyLength?: number;
  /** The store's identity generation: cached roles and providers live while it stands (sts/lookup-cache.ts). */
  identityGeneration: () => number;
}

export interface AssumeRoleWithOidcInput {
  oidcProviderArn?: string;
  roleArn?: string;
  oidcToken?: string;
  policy?: string;
  durationSeconds?: string;
  roleSessionName?: string;
}

export interface AssumeRoleWithSamlInput {
  samlProviderArn?: string;
  roleArn?: string;
  samlAssertion?: string;
  policy?: string;
  durationSeconds?: string;
}

export interface OidcTokenInfo {
  subject: string;
  issuer: string;
  clientIds: string;
  expirationTime: string;
  issuanceTime: string;
  verificationInfo: string;
}

export interface SamlAssertionInfo {
  subjectType: string;
  subject: string;
  issuer: string;
  recipient: string;
}

export class FederationService {
  private readonly maxPolicyLength: number;
  /** Roles and providers read once per identity generation (sts/lookup-cache.ts). */
  private readonly lookups: StsLookupCache;

  constructor(private readonly opts: FederationServiceOptions) {
    this.maxPolicyLength = opts.maxSessionPolicyLength ?? DEFAULT_MAX_LENGTH.session;
    this.lookups = new StsLookupCache(opts.identityGeneration);
  }

  async assumeRoleWithOidc(input: AssumeRoleWithOidcInput, facts: StsRequestFacts = {}): Promise<AssumeRoleResult & { oidcTokenInfo: OidcTokenInfo }> {
    const providerArn = this.providerArnOf('oidc', input.oidcProviderArn);
    const roleName = this.roleNameOf(input.roleArn);
    if (input.oidcToken !== undefined && input.oidcToken.length > MAX_OIDC_TOKEN_CHARS) throw new AppError('InvalidParameter.OIDCToken');
    if (input.roleSessionName === undefined) throw new AppError('MissingRoleSessionName');
    if (!SESSION_NAME_RE.test(input.roleSessionName)) throw new AppError('InvalidParameter.RoleSessionName');
    const duration = this.durationOf(input.durationSeconds);
    const sessionPolicy = this.sessionPolicyOf(input.policy);

    // The provider ARN names the account: its providers, and the role must be of the same account.
    const account = providerArn.account;
    const provider = await this.accountExists(account) ? await this.lookups.provider('oidc', `${account}/${providerArn.name}`, () => this.opts.accounts.imsFor(account).findOidcProvider(providerArn.name)) : null;
    if (!provider) throw new AppError('AuthenticationFail.NoPermission');
    const now = this.opts.clock();
    const claims = await verifyOidcToken(input.oidcToken ?? '', provider, this.opts.jwks, now);

    const role = await this.roleFor(account, roleName);
    const arn = ramProviderArn.oidc(account, provider.name);
    this.trust(account, role, arn, {
      'oidc:iss': claims.iss,
      'oidc:aud': claims.aud,
      'oidc:sub': claims.sub,
      'sts:RoleSessionName': input.roleSessionName,
    }, now, facts);
    this.withinMaxSession(role, duration);
    const result = this.issue(account, role, input.roleSessionName, sessionPolicy, now, duration);
    return {
      ...result,
      oidcTokenInfo: {
        subject: claims.sub,
        issuer: claims.iss,
        clientIds: claims.aud.join(','),
        expirationTime: isoSeconds(claims.exp),
        issuanceTime: isoSeconds(claims.iat),
        verificationInfo: 'Success',
      },
    };
  }

  async assumeRoleWithSaml(input: AssumeRoleWithSamlInput, facts: StsRequestFacts = {}): Promise<AssumeRoleResult & { samlAssertionInfo: SamlAssertionInfo }> {
    const providerArn = this.providerArnOf('saml', input.samlProviderArn);
    const roleName = this.roleNameOf(input.roleArn);
    if (input.samlAssertion === undefined) throw new AppError('MissingSAMLAssertion');
    const requested = input.durationSeconds;
    const sessionPolicy = this.sessionPolicyOf(input.policy);

    const account = providerArn.account;
    const provider = await this.accountExists(account) ? await this.lookups.provider('saml', `${account}/${providerArn.name}`, () => this.opts.accounts.imsFor(account).findSamlProvider(providerArn.name)) : null;
    if (!provider) throw new AppError('AuthenticationFail.NoPermission', 'No such SAML Provider registered.');
    const now = this.opts.clock();
    // saml.ts (xml-crypto) loads at the first SAML assertion: most servers never see one.
    const { verifySamlResponse } = await import('./saml.js');
    const assertion = verifySamlResponse(input.samlAssertion, samlMetadataOf(provider.encodedMetadata), now);

    // The assertion must grant exactly this role through exactly this provider.
    const arn = ramProviderArn.saml(account, provider.name);
    const wantedRole = input.roleArn!.toLowerCase();
    const granted = assertion.roles.some((v) => {
      const pair = v.split(',').map((s) => s.trim().toLowerCase());
      return pair.length === 2 && pair.includes(wantedRole) && pair.includes(arn.toLowerCase());
    });
    if (!granted) throw new AppError('AuthenticationFail.NoPermission', `${NO_PERMISSION}: the SAML assertion does not grant ${input.roleArn} through ${arn}.`);
    const sessionName = assertion.roleSessionName;
    if (sessionName === undefined) throw new AppError('AuthenticationFail.SAMLAssertion.Invalid', 'The SAML assertion has no RoleSessionName attribute.');
    if (!SESSION_NAME_RE.test(sessionName)) throw new AppError('AuthenticationFail.SAMLAssertion.Invalid', 'The RoleSessionName attribute of the SAML assertion is wrongly formed (2-64 of letters, digits, ".@_-").');
    // DurationSeconds, else the assertion's SessionDuration, else one hour.
    const duration = this.durationOf(requested ?? (assertion.sessionDuration !== undefined ? String(assertion.sessionDuration) : undefined));

    const role = await this.roleFor(account, roleName);
    this.trust(account, role, arn, {
      'saml:iss': assertion.issuer,
      'saml:sub': assertion.subject,
      'saml:sub_type': assertion.subjectType,
      'saml:aud': assertion.audiences,
      'saml:recipient': assertion.recipient,
      'sts:RoleSessionName': sessionName,
    }, now, facts);
    this.withinMaxSession(role, duration);
    // Used once: an assertion whose every check passed is remembered (by provider, issuer and ID) until it expires,
    // across processes; the same assertion again through this provider, to any of its roles, is refused
    // (docs/federation.md). Another provider's claims never touch it (samlReplayKey).
    if (this.opts.replay && !(await this.opts.replay.claimNonce(samlReplayKey(arn, assertion.issuer, assertion.id), assertion.validUntil, now))) {
      throw new AppError('AuthenticationFail.SAMLAssertion.Invalid', 'The SAML assertion has already been used.');
    }
    const result = this.issue(account, role, sessionName, sessionPolicy, now, duration);
    return {
      ...result,
      samlAssertionInfo: { subjectType: assertion.subjectType, subject: assertion.subject, issuer: assertion.issuer, recipient: assertion.recipient },
    };
  }

  private providerArnOf(kind: 'oidc' | 'saml', value: string | undefined): { account: string; name: string } {
    if (value === undefined) throw new AppError(kind === 'oidc' ? 'MissingOIDCProviderArn' : 'MissingSAMLProviderArn');
    const m = PROVIDER_ARN_RE[kind].exec(value);
    if (!m) throw new AppError(kind === 'oidc' ? 'InvalidParameter.OIDCProviderArn' : 'InvalidParameter.SAMLProviderArn');
    return { account: m[1]!, name: m[2]! };
  }

  private roleNameOf(value: string | undefined): { account: string; name: string } {
    if (value === undefined) throw new AppError('MissingRoleArn');
    const m = ROLE_ARN_RE.exec(value);
    if (!m) throw new AppError('InvalidParameter.RoleArn');
    return { account: m[1]!, name: m[2]! };
  }

  private durationOf(text: string | undefined): number {
    if (text === undefined) return DEFAULT_DURATION_SECONDS;
    if (!/^\d{1,9}$/.test(text) || Number(text) < MIN_DURATION_SECONDS) throw new AppError('InvalidParameter.DurationSeconds', durationMessage(null));
    return Number(text);
  }

  private sessionPolicyOf(text: string | undefined): string | null {
    if (text === undefined) return null;
    checkSessionPolicy(text, this.maxPolicyLength);
    return text;
  }

  private async accountExists(accountId: string): Promise<boolean> {
    return this.opts.accounts.exists(accountId);
  }

  /**
   * The role, of the provider's account. A missing one is answered as the trust policy's refusal: a verified token
   * is no admission (anyone can get a GitHub Actions token with any audience), so whether a role exists is told to
   * no one its trust policy has not admitted, as with the role's MaxSessionDuration (docs/federation.md).
   */
  private async roleFor(account: string, arn: { account: string; name: string }): Promise<RamRole> {
    const role = arn.account === account ? await this.lookups.role(`${account}/${arn.name}`, () => this.opts.accounts.storeFor(account).getRole(arn.name)) : null;
    if (!role) throw new AppError('AuthenticationFail.NoPermission', NO_PERMISSION);
    return role;
  }

  /** DurationSeconds within the role's MaxSessionDuration: checked once the trust policy admitted the caller, who alone may learn it. */
  private withinMaxSession(role: RamRole, duration: number): void {
    if (duration > role.maxSessionDuration) throw new AppError('InvalidParameter.DurationSeconds', durationMessage(role.maxSessionDuration));
  }

  /** The role's trust policy must admit the provider, with the token's claims as condition keys. */
  private trust(account: string, role: RamRole, providerArn: string, claims: ConditionContext, now: number, facts: StsRequestFacts): void {
    const roleArn = ramRoleArn(account, role.roleName);
    const trust = compilePolicy(role.assumeRolePolicyDocument, 'trust', { label: `trust policy of ${role.roleName}` });
    const refuse = (): never => {
      throw new AppError('AuthenticationFail.NoPermission', NO_PERMISSION);
    };
    if (!trust.ok) {
      if (facts.trace) facts.trace.authz = { action: 'sts:AssumeRole', resource: roleArn, decision: 'ImplicitDeny', layer: 'trust', statementIndex: -1 };
      refuse();
      return;
    }
    const context: ConditionContext = {
      'acs:CurrentTime': isoSeconds(now),
      'acs:SourceIp': facts.sourceIp,
      'acs:SecureTransport': facts.secureTransport === undefined ? undefined : String(facts.secureTransport),
      ...claims,
    };
    const input = { caller: { kind: 'federated', providerArn } as const, identityPolicies: [], trustPolicy: trust.policy, roleArn, context };
    const decision = authorizeAssumeRole(input);
    if (facts.trace) {
      const basis = { kind: 'assumeRole', input } as const;
      facts.trace.authz = decision.deciding
        ? outcomeOfDecision('sts:AssumeRole', roleArn, decision.deciding.layer, decision.deciding.result, basis)
        : { action: 'sts:AssumeRole', resource: roleArn, decision: 'ImplicitDeny', statementIndex: -1, basis };
    }
    if (!decision.allowed) refuse();
  }

  private issue(account: string, role: RamRole, sessionName: string, sessionPolicy: string | null, now: number, duration: number): AssumeRoleResult {
    const issuedAt = Math.floor(now / 1000) * 1000;
    const expiration = issuedAt + duration * 1000;
    const issued = this.opts.tokens.issue({ accountId: account, roleId: role.roleId, roleName: role.roleName, sessionName, sessionPolicy, issuedAt, expiration });
    return {
      assumedRoleUser: { arn: `${ramRoleArn(account, role.roleName)}/${sessionName}`, assumedRoleId: `${role.roleId}:${sessionName}` },
      credentials: { ...issued, expiration },
    };
  }
}
