import { BlockList, isIP } from 'node:net';
import { parsePolicy, type PolicyStatement } from '../policy/index.js';

// What "public" means for Block Public Access (docs/access-rules.md, after OSS's "Block public access" page):
// a bucket policy statement is public unless it is a Deny, or its Principal names fixed principals (no `*` or `?`),
// or a Condition pins the caller to fixed VPCs, AccessKeys or source addresses.

/** Condition keys that make an Allow non-public when they pin fixed values (OSS lists these; acs:SourceIp [UNVERIFIED]). */
const PINNING_KEYS: ReadonlySet<string> = new Set(['acs:sourcevpcid', 'acs:sourcevpc', 'acs:accessid', 'acs:sourceip']);
const PINNING_OPERATORS: ReadonlySet<string> = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'IpAddress', 'IpAddressIncludeBorder']);

function pins(st: PolicyStatement): boolean {
  return st.condition.some((c) => {
    const key = c.key.toLowerCase();
    if (!PINNING_KEYS.has(key) || !PINNING_OPERATORS.has(c.operator) || c.values.length === 0) return false;
    // A wildcard, or an address range wider than one network, pins nothing: every value must be narrow.
    return c.values.every((v) => (key === 'acs:sourceip' ? narrowRange(v.trim()) : !/[*?]/.test(v)));
  });
}

/** Widest ranges that still pin callers to a network: IPv4 /8 (also as IPv4-mapped IPv6, /104), IPv6 /32. */
const MIN_IPV4_PREFIX = 8;
const MIN_IPV6_PREFIX = 32;

/**
 * Whether an address or CIDR names a bounded network. Several wide ranges together (`0.0.0.0/1` and
 * `128.0.0.0/1`) cover everyone, so each range must be narrow on its own; anything unparseable pins nothing.
 */
function narrowRange(value: string): boolean {
  const [addr = '', prefixText, extra] = value.split('/');
  if (extra !== undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  const max = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return false;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return false;
  if (family === 4) return prefix >= MIN_IPV4_PREFIX;
  // IPv4-mapped (::ffff:a.b.c.d): the policy engine compares IPv4 callers this way, so it is an IPv4 range.
  if (isMappedV4(addr)) return prefix - 96 >= MIN_IPV4_PREFIX;
  // A range holding the whole mapped block (::/0, 0::/0, ::/32 …) holds every IPv4 caller.
  if (prefix <= 96) {
    const range = new BlockList();
    range.addSubnet(addr, prefix, 'ipv6');
    if (range.check('::ffff:0:0', 'ipv6') && range.check('::ffff:ffff:ffff', 'ipv6')) return false;
  }
  return prefix >= MIN_IPV6_PREFIX;
}

/** Whether an IPv6 address is in ::ffff:0:0/96. */
function isMappedV4(addr: string): boolean {
  const list = new BlockList();
  list.addSubnet('::ffff:0:0', 96, 'ipv6');
  return list.check(addr, 'ipv6');
}

/**
 * Whether a parsed bucket-policy statement grants public access. A Principal is matched as a pattern, `?` a wildcard
 * too (policy/compile.ts): user and account ids are all 16 digits, so `????????????????` names every caller holding an
 * account, as `*` does; a value holding either is open.
 */
export function isPublicStatement(st: PolicyStatement): boolean {
  if (st.effect !== 'Allow') return false;
  const principal = st.principal;
  const values = principal?.type === 'bucket' ? principal.values : ['*'];
  return principalIsOpen(values) && !pins(st);
}

/** Whether a bucket-policy Principal list names everyone: empty (read as everyone), or a value holding `*` or `?`. */
export function principalIsOpen(values: readonly string[]): boolean {
  return values.length === 0 || values.some((v) => /[*?]/.test(v));
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
