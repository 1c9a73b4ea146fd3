import type { Principal } from '../auth/principal.js';
import { assertNoPublicAcl, bucketPayer, bucketReferer } from '../domain/access-rules.js';
import type { Bucket } from '../domain/model.js';
import { AppError } from '../errors.js';
import type { AuthzCheck } from '../oss/operations.js';
import { headerValue as header } from '../auth/signature/request.js';
import type { RequestFacts } from './context.js';
import { REFERER_REFUSAL_EC, refererRefusal } from './referer.js';
import type { MatchMeter } from '../policy/glob.js';

// The access rules a bucket's own configuration enforces on every request that touches it, whoever is
// allowed by policies and ACLs (docs/access-rules.md): hotlink protection (Referer), pay-by-requester and
// Block Public Access. authorize.ts consults this for each bucket a check names; a bucket with none of these
// configurations costs three property lookups. How public grants are ignored while public access is
// blocked (effectiveAcl, policyForEvaluation) lives in domain/access-rules.ts, shared with the RAM simulator.

const REFERER_MESSAGE = 'You are denied by bucket referer policy.';
const REQUESTER_PAYS_MESSAGE = 'Access denied for requester pay bucket';

/** Hotlink protection applies to anonymous requests and signed URLs, never to a signature in the Authorization header. */
function refererApplies(principal: Principal, facts: RequestFacts): boolean {
  return principal.type === 'anonymous' || facts.authMethod === undefined || facts.authMethod.endsWith('-url');
}

/** `x-oss-request-payer: requester`, as a header or (signed URLs) a query parameter. */
function acceptsCharges(facts: RequestFacts): boolean {
  const value = header(facts.headers, 'x-oss-request-payer') ?? facts.query.get('x-oss-request-payer');
  return value !== undefined && value.trim().toLowerCase() === 'requester';
}

/** Which of the bucket's own rules refused a request (ExplainRequest's `Layer`, docs/policy.md). */
export type BucketRule = 'referer' | 'request-payment' | 'public-access-block';

export interface BucketRuleRefusal {
  readonly rule: BucketRule;
  readonly error: AppError;
}

/** The refusal of the first rule of `bucket` the request breaks; null when none applies. */
export function bucketRuleRefusal(principal: Principal, check: AuthzCheck, bucket: Bucket, facts: RequestFacts, meter?: MatchMeter): BucketRuleRefusal | null {
  const referer = bucketReferer(bucket);
  if (referer !== null && refererApplies(principal, facts)) {
    const refusal = refererRefusal(referer, header(facts.headers, 'referer'), meter);
    if (refusal !== null) return { rule: 'referer', error: new AppError('AccessDenied', REFERER_MESSAGE, {}, REFERER_REFUSAL_EC[refusal]) };
  }
  if (bucketPayer(bucket) === 'Requester') {
    // Requesters are charged, so they must be known (no anonymous access) and say they accept the charges;
    // the bucket owner's account pays its own requests as before. EC of the anonymous case [UNVERIFIED].
    if (principal.type === 'anonymous') return { rule: 'request-payment', error: new AppError('AccessDenied', REQUESTER_PAYS_MESSAGE, {}, '0003-00000701') };
    if (principal.accountId !== bucket.ownerAccountId && !acceptsCharges(facts)) {
      return { rule: 'request-payment', error: new AppError('AccessDenied', REQUESTER_PAYS_MESSAGE, {}, facts.authMethod?.endsWith('-url') ? '0003-00000702' : '0003-00000703') };
    }
  }
  // Block Public Access refuses a public ACL being written: the check an ACL write carries names it.
  try {
    if (check.action === 'oss:PutBucketAcl') assertNoPublicAcl(bucket, 'bucket', header(facts.headers, 'x-oss-acl'));
    if (check.action === 'oss:PutObjectAcl' || check.action === 'oss:PutObjectVersionAcl') {
      assertNoPublicAcl(bucket, 'object', header(facts.headers, 'x-oss-object-acl'));
    }
  } catch (err) {
    if (err instanceof AppError) return { rule: 'public-access-block', error: err };
    throw err;
  }
  return null;
}
