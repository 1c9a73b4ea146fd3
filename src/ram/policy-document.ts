import { AppError } from '../errors.js';
import { parsePolicy } from '../policy/parse.js';

/** Which grammar a document follows: a permission policy, or a role's trust policy (with Principal). */
export type PolicyDocumentKind = 'identity' | 'trust';

/**
 * The one validation entry point for RAM policy documents (CreatePolicy, CreatePolicyVersion, CreateRole,
 * UpdateRole), delegating to the policy engine's parser. Length faults (empty or over `maxLength`) →
 * `InvalidParameter.PolicyDocument.Length`; anything else → `MalformedPolicyDocument` with the parser's
 * message naming the fault and its place (`Statement[0].Effect must be "Allow" or "Deny" …`).
 */
export function validatePolicyDocument(text: string, kind: PolicyDocumentKind, maxLength?: number): void {
  const result = parsePolicy(text, kind, maxLength === undefined ? {} : { maxLength });
  if (result.ok) return;
  if (result.error.reason === 'length') throw new AppError('InvalidParameter.PolicyDocument.Length');
  throw new AppError('MalformedPolicyDocument', result.error.message);
}
