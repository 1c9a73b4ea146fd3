import type { IncomingHttpHeaders } from 'node:http';
import type { Operation } from '../oss/operations.js';

/** Facts about a request that policy conditions can test; gathered once by the HTTP layer. */
export interface RequestFacts {
  sourceIp: string;
  secureTransport: boolean;
  now: number;
  headers: IncomingHttpHeaders;
  query: ReadonlyMap<string, string>;
  accessKeyId?: string;
}

export type ConditionContext = Record<string, string | string[] | undefined>;

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

function parseTags(value: string | undefined): Array<[string, string]> {
  if (value === undefined || value === '') return [];
  return value.split('&').map((part) => {
    const eq = part.indexOf('=');
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    return eq < 0 ? [dec(part), ''] : [dec(part.slice(0, eq)), dec(part.slice(eq + 1))];
  });
}

/**
 * The condition keys of spec ram-sts §1.7 for an OSS request. Keys absent from the request are
 * left out (positive operators on them are false, negated ones true).
 */
export function ossConditionContext(op: Operation, f: RequestFacts): ConditionContext {
  const ctx: ConditionContext = {
    'acs:SourceIp': f.sourceIp,
    'acs:SecureTransport': f.secureTransport ? 'true' : 'false',
    'acs:CurrentTime': new Date(f.now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'acs:UserAgent': header(f.headers, 'user-agent'),
    'acs:Referer': header(f.headers, 'referer'),
    'acs:AccessId': f.accessKeyId,
  };
  if (op.name === 'ListObjects' || op.name === 'ListObjectsV2') {
    // An absent prefix is the empty prefix (listing from the root).
    ctx['oss:Prefix'] = f.query.get('prefix') ?? '';
    ctx['oss:Delimiter'] = f.query.get('delimiter') ?? '';
  }
  const acl = header(f.headers, 'x-oss-acl');
  if (acl !== undefined && (op.name === 'PutBucket' || op.name === 'PutBucketAcl')) ctx['oss:x-oss-acl'] = acl;
  const objectAcl = header(f.headers, 'x-oss-object-acl');
  if (objectAcl !== undefined) ctx['oss:x-oss-object-acl'] = objectAcl;
  for (const [k, v] of parseTags(header(f.headers, 'x-oss-tagging'))) ctx[`oss:RequestObjectTag/${k}`] = v;
  return ctx;
}
