import { compileGlobs, type Matcher } from '../policy/glob.js';
import { callerIds, type Caller } from '../policy/index.js';
import { readConfig } from './bucket-config.js';
import type { Bucket } from './model.js';
import { storedKind, type Json } from './stored-configs.js';

// The bucket's overwrite rules (PutBucketOverwriteConfig, `?overwriteConfig`; docs/stored-configurations.md): which
// existing objects a write may not replace. OSS's pages: a rule matches when the key starts with its Prefix, ends
// with its Suffix (both literal, `*` included) and the caller is one of its Principals (none listed: everyone;
// `*` as in a bucket policy); any matching rule refuses the overwrite with FileAlreadyExists. The write paths apply
// the answer as they apply `x-oss-forbid-overwrite: true`, inside the store's transaction and only on buckets that
// never had versioning (OSS: the rules have no effect while versioning is Enabled or Suspended).

/** The stored configuration's name (`stored.overwrite-config`). */
export const OVERWRITE_CONFIG = 'overwrite-config';
const KIND = storedKind(OVERWRITE_CONFIG);

export interface OverwriteRule {
  ID: string;
  Action: string;
  Prefix?: string;
  Suffix?: string;
  Principals: string[];
}

/** The rules of a stored configuration as kept (null when there is none). */
export function overwriteRulesOf(value: Json | null): OverwriteRule[] | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const list = value.Rule;
  if (!Array.isArray(list)) return null;
  return list.flatMap((r) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return [];
    const text = (k: string): string | undefined => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
    const principals = Array.isArray(r.Principals) ? r.Principals.filter((p): p is string => typeof p === 'string') : [];
    const id = text('ID');
    const action = text('Action');
    if (id === undefined || action === undefined) return [];
    const prefix = text('Prefix');
    const suffix = text('Suffix');
    return [{ ID: id, Action: action, ...(prefix !== undefined ? { Prefix: prefix } : {}), ...(suffix !== undefined ? { Suffix: suffix } : {}), Principals: principals }];
  });
}

interface CompiledRule {
  prefix: string;
  suffix: string;
  /** null: every caller, anonymous ones included (no Principals, or `*` among them). */
  principals: Matcher | null;
}

// Compiled once per decoded configuration (readConfig decodes once per cached bucket record, so a new record
// after a Put or Delete of the rules brings a new value here).
const compiled = new WeakMap<object, CompiledRule[]>();

function compiledRules(value: Json): CompiledRule[] {
  const key = value as object;
  let rules = compiled.get(key);
  if (rules === undefined) {
    rules = (overwriteRulesOf(value) ?? [])
      // `forbid` is the only Action PutBucketOverwriteConfig accepts; another one kept by a later version would
      // not be a refusal.
      .filter((r) => r.Action === 'forbid')
      .map((r) => ({
        prefix: r.Prefix ?? '',
        suffix: r.Suffix ?? '',
        // The patterns are bounded by the stored document (domain/stored-configs.ts MAX_STORED_BYTES, 64 KiB): their
        // matching against a caller's one or two identifiers stays within policy/glob.ts's per-request budget.
        principals: r.Principals.length === 0 || r.Principals.includes('*') ? null : compileGlobs(r.Principals),
      }));
    compiled.set(key, rules);
  }
  return rules;
}

/**
 * Whether one of `bucket`'s overwrite rules forbids `caller` to replace an existing object at `key`. Callers are
 * matched as a bucket policy's Principal matches them (policy/compile.ts callerIds): an account's root by its UID, a
 * RAM user by its UID, a role session by `arn:sts::<account id>:assumed-role/<role>/<session>` (globs with `*`).
 * No rules: false, without decoding anything.
 */
export function overwriteRuleMatches(bucket: Bucket, key: string, caller: Caller): boolean {
  const value = readConfig(bucket, KIND);
  if (value === null || typeof value !== 'object') return false;
  let ids: readonly string[] | null = null;
  for (const rule of compiledRules(value)) {
    if (!key.startsWith(rule.prefix) || !key.endsWith(rule.suffix)) continue;
    if (rule.principals === null) return true;
    ids ??= callerIds(caller, bucket.ownerAccountId).bucketIds;
    for (const id of ids) if (rule.principals(id)) return true;
  }
  return false;
}
