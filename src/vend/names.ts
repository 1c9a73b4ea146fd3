// App user ids and groups end up inside a session policy (`acs:oss:*:*:bucket/${user}/*`) and as the
// RoleSessionName. They are never escaped: a value that could change the meaning of the policy is refused.

/** RoleSessionName rule (spec ram-sts §5.1): 2-64 characters of [A-Za-z0-9._@-]. */
const SESSION_NAME_RE = /^[A-Za-z0-9._@-]{2,64}$/;

/** Why `value` may not be used as a user id or group, or null when it may. */
export function unsafeNameReason(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value === '') return 'must not be empty';
  // The RoleSessionName alphabet already excludes / * ? $ { } " \ whitespace and control characters;
  // `..` is the one dangerous sequence it allows.
  if (value.includes('..')) return 'must not contain ".."';
  if (!SESSION_NAME_RE.test(value)) return 'must be 2-64 characters of A-Z a-z 0-9 . _ @ - (a valid RoleSessionName)';
  return null;
}

/** Shown in messages: the value with anything unprintable escaped, and cut short. */
export function showName(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
