import { readConfig } from './bucket-config.js';
import type { Bucket } from './model.js';
import { storedKind, type Json } from './stored-configs.js';

// The request headers and query parameters a bucket asked to have logged (PutUserDefinedLogFieldsConfig,
// `stored.user-defined-log-fields`): OSS writes them into the `user_defined_log_fields` field of the bucket's
// real-time log; Alunite into the audit log line of each request on the bucket (audit/user-log-fields.ts).

export interface UserLogFields {
  /** Lower-cased header names. */
  headers: readonly string[];
  /** Query parameter names as configured (case-sensitive, as query parameters are). */
  params: readonly string[];
}

const KIND = storedKind('user-defined-log-fields');
// Decoded once per configuration value: readConfig decodes once per cached bucket record.
const decoded = new WeakMap<object, UserLogFields>();

function names(set: Json | undefined, child: string): string[] {
  if (set === null || typeof set !== 'object' || Array.isArray(set)) return [];
  const list = set[child];
  const items = Array.isArray(list) ? list : list === undefined ? [] : [list];
  return items.filter((n): n is string => typeof n === 'string' && n !== '');
}

/** The bucket's logged fields; null when it has none configured. */
export function userLogFieldsOf(bucket: Bucket): UserLogFields | null {
  const value = readConfig(bucket, KIND);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  let fields = decoded.get(value);
  if (fields === undefined) {
    fields = { headers: names(value.HeaderSet, 'header').map((h) => h.toLowerCase()), params: names(value.ParamSet, 'parameter') };
    decoded.set(value, fields);
  }
  return fields.headers.length + fields.params.length === 0 ? null : fields;
}
