import { parsePolicy, type PolicyStatement } from '../policy/index.js';

// What "public" means for Block Public Access (docs/access-rules.md, after OSS's "Block public access" page):
// a bucket policy statement is public unless it is a Deny, or its Principal names fixed principals (no `*`),
// or a Condition pins the caller to fixed VPCs, AccessKeys or source addresses.

/** Condition keys that make an Allow non-public when they pin fixed values (OSS lists these; acs:SourceIp [UNVERIFIED]). */
const PINNING_KEYS: ReadonlySet<string> = new Set(['acs:sourcevpcid', 'acs:sourcevpc', 'acs:accessid', 'acs:sourceip']);
const PINNING_OPERATORS: ReadonlySet<string> = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'IpAddress', 'IpAddressIncludeBorder']);

function pins(st: PolicyStatement): boolean {
  return st.condition.some((c) => {
    if (!PINNING_KEYS.has(c.key.toLowerCase()) || !PINNING_OPERATORS.has(c.operator) || c.values.length === 0) return false;
    // A wildcard, or an address range covering everyone, pins nothing.
    return c.values.every((v) => !v.includes('*') && !/^(0\.0\.0\.0\/0|::\/0)$/.test(v.trim()));
  });
}

/** Whether a parsed bucket-policy statement grants public access. */
export function isPublicStatement(st: PolicyStatement): boolean {
  if (st.effect !== 'Allow') return false;
  const principal = st.principal;
  const values = principal?.type === 'bucket' ? principal.values : ['*'];
  const open = values.length === 0 || values.some((v) => v.includes('*'));
  return open && !pins(st);
}

/** Whether a bucket policy document grants public access (a document that does not parse grants nothing). */
export function policyAllowsPublicAccess(text: string): boolean {
  const parsed = parsePolicy(text, 'bucket', { maxLength: Infinity });
  return parsed.ok && parsed.policy.statements.some(isPublicStatement);
}

/**
 * The policy text without its public statements, for evaluation while Block Public Access is on; the text
 * itself when it has none (or does not parse: it then denies everything anyway). Null: nothing is left.
 */
export function withoutPublicStatements(text: string): string | null {
  const parsed = parsePolicy(text, 'bucket', { maxLength: Infinity });
  if (!parsed.ok || !parsed.policy.statements.some(isPublicStatement)) return text;
  const raw = JSON.parse(text) as { Statement: unknown[] };
  // parsePolicy accepted it, so Statement is an array, parsed in order one for one.
  const kept = raw.Statement.filter((_, i) => !isPublicStatement(parsed.policy.statements[i]!));
  return kept.length === 0 ? null : JSON.stringify({ ...raw, Statement: kept });
}
