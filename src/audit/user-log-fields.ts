import type { IncomingHttpHeaders } from 'node:http';
import type { UserLogFields } from '../domain/user-log-fields.js';

/**
 * OSS's `user_defined_log_fields` value (PutUserDefinedLogFieldsConfig's page): Base64 of a JSON text with
 * `truncated`, `headers` and `querys`, the configured request headers and query parameters the request carried;
 * keys and values together at most 1,024 bytes, what goes beyond is cut (and `truncated` is true).
 * Credentials are never logged, whatever the configuration names (docs/operations.md: never in the audit log):
 * the Authorization header, security tokens and URL signatures are left out.
 */
export const USER_LOG_FIELDS_MAX_BYTES = 1024;

const SECRET_HEADERS = new Set(['authorization', 'x-oss-security-token', 'proxy-authorization', 'cookie']);
const SECRET_PARAMS = new Set(['signature', 'security-token', 'x-oss-signature', 'x-oss-security-token', 'ossaccesskeyid', 'x-oss-credential']);

export function encodeUserLogFields(fields: UserLogFields, headers: IncomingHttpHeaders, query: ReadonlyMap<string, string>): string {
  let budget = USER_LOG_FIELDS_MAX_BYTES;
  let truncated = false;
  const take = (into: Record<string, string>, key: string, value: string): void => {
    const need = Buffer.byteLength(key) + Buffer.byteLength(value);
    if (truncated) return;
    if (need <= budget) {
      into[key] = value;
      budget -= need;
      return;
    }
    truncated = true;
    const room = budget - Buffer.byteLength(key);
    if (room > 0) into[key] = Buffer.from(value).subarray(0, room).toString('utf8').replace(/\uFFFD+$/, '');
    budget = 0;
  };
  const out = { truncated: false, headers: {} as Record<string, string>, querys: {} as Record<string, string> };
  for (const name of fields.headers) {
    const v = headers[name];
    if (v === undefined || SECRET_HEADERS.has(name)) continue;
    take(out.headers, name, Array.isArray(v) ? v.join(', ') : v);
  }
  for (const name of fields.params) {
    const v = query.get(name);
    if (v === undefined || SECRET_PARAMS.has(name.toLowerCase())) continue;
    take(out.querys, name, v);
  }
  out.truncated = truncated;
  return Buffer.from(JSON.stringify(out)).toString('base64');
}
