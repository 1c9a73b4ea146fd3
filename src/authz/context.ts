import type { IncomingHttpHeaders } from 'node:http';
import type { Operation } from '../oss/operations.js';
import type { AuthMethod } from '../auth/authenticate.js';
import { headerValue as header } from '../auth/signature/request.js';
import { parseTagging } from '../oss/headers.js';
import type { ConditionContext } from '../policy/index.js';
import { isoSeconds } from '../util/time.js';
import type { AccessPointView } from '../domain/access-point.js';
import { accessPointConditionKeys } from './access-point.js';

/** Facts about a request that policy conditions can test; gathered once by the HTTP layer. */
export interface RequestFacts {
  sourceIp: string;
  secureTransport: boolean;
  now: number;
  headers: IncomingHttpHeaders;
  query: ReadonlyMap<string, string>;
  accessKeyId?: string;
  /** How the request was signed (Referer and pay-by-requester rules tell signed URLs from headers). */
  authMethod?: AuthMethod;
  /** The access point whose alias the request named (docs/access-points.md); absent: the bucket's own name. */
  accessPoint?: AccessPointView;
  /** The tags a request's body sets (PutObjectTagging): its oss:RequestObjectTag keys, whatever x-oss-tagging says. */
  requestTags?: ReadonlyArray<readonly [string, string]>;
}

/**
 * The operations that store the tags of `x-oss-tagging` (a copy only with `x-oss-tagging-directive: Replace`). Only
 * their header is the request's tags: PutObjectTagging's are in its body, and the other operations ignore the
 * header, so a header sent with them must not satisfy (or dodge) a condition on the tags the request writes.
 */
const TAGGING_HEADER_TAKEN: ReadonlySet<string> = new Set(['PutObject', 'AppendObject', 'InitiateMultipartUpload', 'PutSymlink', 'PostObject']);

function requestTagsOf(op: Operation, f: RequestFacts): ReadonlyArray<readonly [string, string]> {
  if (f.requestTags !== undefined) return f.requestTags;
  const taken = TAGGING_HEADER_TAKEN.has(op.name) || (op.name === 'CopyObject' && (header(f.headers, 'x-oss-tagging-directive') ?? '').toLowerCase() === 'replace');
  return taken ? parseTagging(header(f.headers, 'x-oss-tagging') ?? '') : [];
}

/**
 * The operations whose handler sets the bucket's ACL from `x-oss-acl` (oss/handlers/bucket.ts putBucket and
 * putBucketAcl; PutAgenticBucketAcl is the latter on an agentic bucket): each states the ACL it writes as
 * `oss:x-oss-acl`. Before, PutAgenticBucketAcl (authorized as oss:PutBucketAcl) carried no key, so a Deny of
 * oss:PutBucketAcl on `StringEquals oss:x-oss-acl public-read-write` never applied to it (docs/security.md, helper 6).
 */
const BUCKET_ACL_HEADER_TAKEN: ReadonlySet<string> = new Set(['PutBucket', 'PutBucketAcl', 'PutAgenticBucketAcl']);

/** Request facts every product's conditions can test (RAM API calls as well as OSS requests). */
export interface GlobalFacts {
  sourceIp: string;
  secureTransport: boolean;
  now: number;
  accessKeyId?: string;
  userAgent?: string;
  referer?: string;
}

/** The global `acs:` condition keys (spec ram-sts §1.7); absent facts are left out. */
export function globalConditionKeys(f: GlobalFacts): Record<string, string | undefined> {
  return {
    'acs:SourceIp': f.sourceIp,
    'acs:SecureTransport': f.secureTransport ? 'true' : 'false',
    'acs:CurrentTime': isoSeconds(f.now),
    'acs:UserAgent': f.userAgent,
    'acs:Referer': f.referer,
    'acs:AccessId': f.accessKeyId,
  };
}

/**
 * The condition keys of spec ram-sts §1.7 for an OSS request. Keys absent from the request are
 * left out (positive operators on them are false, negated ones true).
 */
export function ossConditionContext(op: Operation, f: RequestFacts): ConditionContext {
  const ctx = globalConditionKeys({
    sourceIp: f.sourceIp,
    secureTransport: f.secureTransport,
    now: f.now,
    accessKeyId: f.accessKeyId,
    userAgent: header(f.headers, 'user-agent'),
    referer: header(f.headers, 'referer'),
  });
  if (op.name === 'ListObjects' || op.name === 'ListObjectsV2' || op.name === 'ListObjectVersions') {
    // An absent prefix is the empty prefix (listing from the root). ListObjectVersions takes the same
    // prefix and delimiter parameters, and the keys apply to it too (spec ram-sts §1.7).
    ctx['oss:Prefix'] = f.query.get('prefix') ?? '';
    ctx['oss:Delimiter'] = f.query.get('delimiter') ?? '';
  }
  const acl = header(f.headers, 'x-oss-acl');
  if (acl !== undefined && BUCKET_ACL_HEADER_TAKEN.has(op.name)) ctx['oss:x-oss-acl'] = acl;
  const objectAcl = header(f.headers, 'x-oss-object-acl');
  if (objectAcl !== undefined) ctx['oss:x-oss-object-acl'] = objectAcl;
  for (const [k, v] of requestTagsOf(op, f)) ctx[`oss:RequestObjectTag/${k}`] = v;
  if (f.accessPoint !== undefined) Object.assign(ctx, accessPointConditionKeys(f.accessPoint));
  return ctx;
}
