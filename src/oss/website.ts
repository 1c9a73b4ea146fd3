import type { IncomingHttpHeaders } from 'node:http';
import { AppError, isAppError } from '../errors.js';
import type { Bucket } from '../domain/model.js';
import { websiteOf, type RoutingRedirect, type RoutingRule, type WebsiteConfig } from '../domain/website.js';
import type { Principal } from '../auth/principal.js';
import { uriEncode } from '../util/uri-encode.js';
import type { OssResponse } from './context.js';
import type { Operation } from './operations.js';

// Static website behaviour on the bucket's own endpoint (docs/website.md). A request is a website request
// when it is anonymous (no signature), a GET or HEAD, names no sub-resource, and its bucket has a website
// configuration: `GET /` (otherwise ListObjects) and GET/HEAD of an object. Signed requests are never
// website requests (a signed `GET /` lists the bucket, as OSS documents). Every object served is read
// through `fetch`, i.e. the normal GetObject/HeadObject authorization and handler: a private index page
// is not served to anonymous readers, and `fetch`/`exists` answer an object the caller may not read as a
// missing key would be answered (NoSuchKey, or AccessDenied where a missing key is refused too).

/** Whether the request could be a website request (checked first, without any lookup: signed requests stop here). */
export function mayBeWebsiteRequest(op: Operation, principal: Principal, query: ReadonlyMap<string, string>): boolean {
  if (principal.type !== 'anonymous' || op.bucket === null) return false;
  // The bucket root: GET is ListObjects, HEAD is HeadBucket (its index document is served, headers only).
  return op.name === 'ListObjects' || op.name === 'HeadBucket' ? query.size === 0 : (op.name === 'GetObject' || op.name === 'HeadObject') && !query.has('versionId');
}

/** The website configuration of the request's bucket (cached bucket record), or null: an ordinary request. */
export async function websiteOfBucket(name: string, getBucket: (name: string) => Bucket | null | Promise<Bucket | null>): Promise<WebsiteConfig | null> {
  const bucket = await getBucket(name);
  return bucket ? websiteOf(bucket) : null;
}

export interface WebsiteInput {
  /** The requested key; '' for the bucket root. */
  key: string;
  headers: IncomingHttpHeaders;
  rawQuery: string;
  /** Where redirects point when a rule names no host: the request's scheme, Host and path to the bucket root. */
  origin: { protocol: 'http' | 'https'; host: string; bucketPath: string };
}

export interface WebsiteDeps {
  /**
   * GetObject (HeadObject for HEAD) of `key`, authorized as that operation; throws its AppError. `page`: the key is
   * the index or error document, which OSS does not read from a frozen Archive object even in a bucket with
   * real-time access of Archive objects (403 InvalidObjectState, docs/data-protection.md).
   */
  fetch(key: string, page?: boolean): Promise<OssResponse>;
  /** Whether `key` exists and the caller may read it (Type 0's `key/` check). */
  exists(key: string): Promise<boolean>;
}

const statusOf = (err: unknown): number | null => (isAppError(err) ? err.status : null);

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Whether a rule's condition holds for this key (and, for rules on an error, this status). */
function matches(rule: RoutingRule, key: string, headers: IncomingHttpHeaders, status: number | null): boolean {
  const c = rule.condition;
  if ((c.httpErrorCodeReturnedEquals ?? null) !== status) return false;
  if (c.keyPrefixEquals !== undefined && !key.startsWith(c.keyPrefixEquals)) return false;
  if (c.keySuffixEquals !== undefined && !key.endsWith(c.keySuffixEquals)) return false;
  for (const h of c.includeHeaders) {
    const v = headerValue(headers, h.key);
    if (v === undefined) return false;
    if (h.equals !== undefined && v !== h.equals) return false;
    if (h.startsWith !== undefined && !v.startsWith(h.startsWith)) return false;
    if (h.endsWith !== undefined && !v.endsWith(h.endsWith)) return false;
  }
  return true;
}

/** The key a redirect or rewrite points to. */
function targetKey(rule: RoutingRule, key: string): string {
  const r = rule.redirect;
  if (r.replaceKeyWith !== undefined) return r.replaceKeyWith.split('${key}').join(key);
  if (r.enableReplacePrefix === true) return (r.replaceKeyPrefixWith ?? '') + key.slice((rule.condition.keyPrefixEquals ?? '').length);
  return key;
}


function redirectResponse(r: RoutingRedirect, target: string, input: WebsiteInput): OssResponse {
  const protocol = r.protocol ?? input.origin.protocol;
  // Another host serves its own root; the request's host keeps the path to this bucket (path-style).
  const base = r.hostName !== undefined ? `${protocol}://${r.hostName}/` : `${protocol}://${input.origin.host}${input.origin.bucketPath}`;
  const query = r.passQueryString === true && input.rawQuery !== '' ? `?${input.rawQuery}` : '';
  return { status: r.httpRedirectCode ?? 302, headers: { Location: `${base}${uriEncode(target, true)}${query}` } };
}

/**
 * Applies a matching rule: External and AliCDN answer a redirect; Internal serves the rewritten key (its own
 * authorization); Mirror is stored but never acted on (null: try the next step).
 */
async function applyRule(rule: RoutingRule, input: WebsiteInput, deps: WebsiteDeps): Promise<OssResponse | null> {
  const r = rule.redirect;
  const target = targetKey(rule, input.key);
  switch (r.type) {
    case 'External':
    case 'AliCDN':
      return redirectResponse(r, target, input);
    case 'Internal':
      return deps.fetch(target);
    case 'Mirror':
      return null;
  }
}

async function firstRule(config: WebsiteConfig, input: WebsiteInput, deps: WebsiteDeps, status: number | null): Promise<OssResponse | null> {
  for (const rule of config.rules) {
    if (!matches(rule, input.key, input.headers, status)) continue;
    const out = await applyRule(rule, input, deps);
    if (out !== null) return out;
  }
  return null;
}

/**
 * Serves a website request, in the order OSS documents: routing rules without an error condition, then the
 * key (the index document for `/` and, with SupportSubDir, for `dir/`), then for a 404 the SupportSubDir
 * Type handling, the rules on that error code, and the error document served with its HttpStatus.
 * Errors other than 404 (AccessDenied in a bucket a missing key is refused in, …) are answered as they are.
 */
export async function serveWebsite(config: WebsiteConfig, input: WebsiteInput, deps: WebsiteDeps): Promise<OssResponse> {
  const early = await firstRule(config, input, deps, null);
  if (early !== null) return early;
  const { key } = input;
  const index = config.index;
  const isDir = key === '' || key.endsWith('/');
  let failure: unknown = new AppError('NoSuchKey', undefined, { Key: key });
  // A directory without an index document goes straight to the error handling.
  if (!isDir || index) {
    // Without SupportSubDir, every directory shows the root index document (OSS's documented behaviour).
    const first = isDir ? (index!.supportSubDir ? key + index!.suffix : index!.suffix) : key;
    try {
      return await deps.fetch(first, isDir);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      failure = err;
    }
  }
  if (!isDir && index?.supportSubDir === true) {
    if (index.type === 0 && (await deps.exists(`${key}/`))) {
      // OSS documents this Location as the URL-encoded path "/" + key + "/" (path-style requests keep the bucket).
      return { status: 302, headers: { Location: `${input.origin.bucketPath}${uriEncode(`${key}/`, true)}` } };
    }
    if (index.type === 2) {
      try {
        return await deps.fetch(`${key}/${index.suffix}`, true);
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }
  }
  const onError = await firstRule(config, input, deps, 404);
  if (onError !== null) return onError;
  if (config.error) {
    try {
      const page = await deps.fetch(config.error.key, true);
      return { ...page, status: config.error.httpStatus };
    } catch {
      // An error document that is missing or not readable: the original 404 stands.
    }
  }
  throw failure;
}
