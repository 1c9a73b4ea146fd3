/** The validated, normalized form of a policy document (spec ram-sts §1.1) and shared request types. */

/** identity = RAM policy, bucket = OSS bucket policy, trust = role AssumeRolePolicyDocument, session = STS Policy. */
export type PolicyKind = 'identity' | 'bucket' | 'trust' | 'session';
export type Effect = 'Allow' | 'Deny';

/** Condition operators of §1.6, each with the positive operator it negates (if any) and its value type. */
export const CONDITION_OPERATORS = {
  StringEquals: { type: 'string', negated: false },
  StringNotEquals: { type: 'string', negated: true },
  StringEqualsIgnoreCase: { type: 'stringIgnoreCase', negated: false },
  StringNotEqualsIgnoreCase: { type: 'stringIgnoreCase', negated: true },
  StringLike: { type: 'like', negated: false },
  StringNotLike: { type: 'like', negated: true },
  NumericEquals: { type: 'numeric', negated: false, cmp: 'eq' },
  NumericNotEquals: { type: 'numeric', negated: true, cmp: 'eq' },
  NumericLessThan: { type: 'numeric', negated: false, cmp: 'lt' },
  NumericLessThanEquals: { type: 'numeric', negated: false, cmp: 'le' },
  NumericGreaterThan: { type: 'numeric', negated: false, cmp: 'gt' },
  NumericGreaterThanEquals: { type: 'numeric', negated: false, cmp: 'ge' },
  DateEquals: { type: 'date', negated: false, cmp: 'eq' },
  DateNotEquals: { type: 'date', negated: true, cmp: 'eq' },
  DateLessThan: { type: 'date', negated: false, cmp: 'lt' },
  DateLessThanEquals: { type: 'date', negated: false, cmp: 'le' },
  DateGreaterThan: { type: 'date', negated: false, cmp: 'gt' },
  DateGreaterThanEquals: { type: 'date', negated: false, cmp: 'ge' },
  Bool: { type: 'bool', negated: false },
  IpAddress: { type: 'ip', negated: false },
  NotIpAddress: { type: 'ip', negated: true },
  // Listed by OSS, semantics undocumented: treated as IpAddress (a CIDR already includes its borders).
  IpAddressIncludeBorder: { type: 'ip', negated: false },
} as const satisfies Record<string, { type: string; negated: boolean; cmp?: Comparison }>;

export type Comparison = 'eq' | 'lt' | 'le' | 'gt' | 'ge';
export type ConditionOperator = keyof typeof CONDITION_OPERATORS;
export type ConditionValueType = (typeof CONDITION_OPERATORS)[ConditionOperator]['type'];

export function isConditionOperator(name: string): name is ConditionOperator {
  return Object.prototype.hasOwnProperty.call(CONDITION_OPERATORS, name);
}

export interface ConditionClause {
  readonly operator: ConditionOperator;
  /** As written in the policy; matched case-insensitively. */
  readonly key: string;
  readonly values: readonly string[];
}

/** Bucket policies: a list of UIDs / `arn:sts::…:assumed-role/…` / `*`; `[]` means `["*"]` (§2.4). */
export interface BucketPrincipal {
  readonly type: 'bucket';
  readonly values: readonly string[];
}

/** Trust policies: `{"RAM": […], "Service": […], "Federated": […]}` (§2.7). */
export interface TrustPrincipal {
  readonly type: 'trust';
  readonly ram: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
}

export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: Effect;
  /** Exactly one of action / notAction is set. */
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  /** Neither is set in trust policies; exactly one otherwise. */
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly principal?: BucketPrincipal | TrustPrincipal;
  readonly condition: readonly ConditionClause[];
}

export interface PolicyDocument {
  readonly kind: PolicyKind;
  readonly version: '1';
  readonly statements: readonly PolicyStatement[];
}

/**
 * Who is asking, for Principal matching (bucket and trust policies). Identity and session policies
 * ignore it: they are selected by the caller already.
 */
export type Caller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'root'; readonly accountId: string }
  | { readonly kind: 'user'; readonly accountId: string; readonly userId: string; readonly userName: string; readonly mfa?: boolean }
  | { readonly kind: 'role'; readonly accountId: string; readonly roleName: string; readonly sessionName: string }
  | { readonly kind: 'service'; readonly service: string }
  | { readonly kind: 'federated'; readonly providerArn: string };

/** Condition keys of the request (§1.7). Keys are matched case-insensitively; undefined = absent. */
export type ConditionContext = Readonly<Record<string, string | readonly string[] | undefined>>;
