import type { IncomingHttpHeaders } from 'node:http';
import { policyCaller } from '../authz/caller.js';
import type { Bucket } from '../domain/model.js';
import { overwriteRuleMatches } from '../domain/overwrite-rules.js';
import type { OssRequest } from './context.js';
import { forbidOverwrite } from './headers.js';

/**
 * Whether this request's write of `key` in `bucket` may not replace an existing object: `x-oss-forbid-overwrite:
 * true` among `headers` (null: a write that does not take the header), or one of the bucket's overwrite rules
 * (domain/overwrite-rules.ts) matching the key and the request's caller. The write paths apply the answer as they
 * apply the header: FileAlreadyExists decided inside the store's transaction, on buckets that never had versioning.
 * A bucket gone meanwhile is left for the write itself to report.
 */
export function overwriteForbidden(req: OssRequest, bucket: string, key: string, headers: IncomingHttpHeaders | null): boolean | Promise<boolean> {
  if (headers !== null && forbidOverwrite(headers)) return true;
  const matches = (b: Bucket): boolean => overwriteRuleMatches(b, key, policyCaller(req.principal));
  let found: Bucket | Promise<Bucket>;
  try {
    found = req.services.buckets.get(bucket);
  } catch {
    return false;
  }
  return found instanceof Promise ? found.then(matches, () => false) : matches(found);
}
