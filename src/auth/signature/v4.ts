import { createHash, createHmac } from 'node:crypto';
import { compareBytes, headerValue, isSubResource, type SignableRequest } from './request.js';
import { uriEncode } from '../../util/uri-encode.js';
import { forEachQueryPiece } from '../../util/query-pieces.js';

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';


export interface V4CanonicalOptions {
  additionalHeaders: readonly string[];
  payloadHash: string;
  /** Presigned URLs sign every query parameter except the signature itself. */
  excludeQuery?: string;
  /**
   * ali-oss writes non-sub-resource parameters with an empty value as `k=` instead of bare `k`;
   * verification retries with this on a mismatch so unchanged ali-oss clients are accepted.
   */
  emptyAsEquals?: boolean;
  /**
   * Canonical query built from the query string as sent (split on `&` and the first `=`, sorted, `k` for an
   * empty value), not from the decoded parameters re-encoded: what the .NET SDK v2 signs.
   */
  queryAsSent?: string;
}

/** A raw query key, decoded for comparison with a decoded name (undecodable: compared as is). */
function decodedKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** The canonical query of `queryAsSent`: the pieces the parser reads, as they came, sorted by name then value. */
function canonicalQueryAsSent(raw: string, excludeQuery: string | undefined): string {
  const params: Array<[string, string]> = [];
  forEachQueryPiece(raw, (k, v) => {
    if (excludeQuery === undefined || decodedKey(k) !== excludeQuery) params.push([k, v]);
  });
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return params.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&');
}

/** The canonical query of the decoded parameters, each name and value URI-encoded (the spec's form). */
function canonicalQuery(req: SignableRequest, opts: V4CanonicalOptions): string {
  const params = req.query
    .filter(([k]) => k !== opts.excludeQuery)
    .map(([k, v]): [string, string, boolean] => [uriEncode(k, false), uriEncode(v, false), v === '' && opts.emptyAsEquals === true && !isSubResource(k)]);
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return params.map(([k, v, eq]) => (v === '' ? (eq ? `${k}=` : k) : `${k}=${v}`)).join('&');
}

export function canonicalRequestV4(req: SignableRequest, opts: V4CanonicalOptions): string {
  let path = '/';
  if (req.bucket !== null) path += `${req.bucket}/${req.key ?? ''}`;
  const uri = uriEncode(path, true);

  const query = opts.queryAsSent !== undefined ? canonicalQueryAsSent(opts.queryAsSent, opts.excludeQuery) : canonicalQuery(req, opts);

  const extra = new Set(opts.additionalHeaders);
  const lines: Array<[string, string]> = [];
  for (const name of Object.keys(req.headers)) {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-') || extra.has(name)) {
      lines.push([name, (headerValue(req.headers, name) ?? '').trim()]);
    }
  }
  lines.sort((a, b) => compareBytes(a[0], b[0]));
  const headers = lines.map(([n, v]) => `${n}:${v}\n`).join('');

  return `${req.method}\n${uri}\n${query}\n${headers}\n${opts.additionalHeaders.join(';')}\n${opts.payloadHash}`;
}

export function scopeOf(date: string, region: string, product = 'oss'): string {
  return `${date}/${region}/${product}/aliyun_v4_request`;
}

export function stringToSignV4(isoDateTime: string, scope: string, canonicalRequest: string): string {
  return `${V4_ALGORITHM}\n${isoDateTime}\n${scope}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
}

// Signing keys change once a day per credential; caching them saves four HMACs per request.
const keyCache = new Map<string, Buffer>();

export function signingKeyV4(secret: string, date: string, region: string, product = 'oss'): Buffer {
  const cacheKey = `${secret}\n${date}\n${region}\n${product}`;
  const hit = keyCache.get(cacheKey);
  if (hit) return hit;
  const kDate = createHmac('sha256', `aliyun_v4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kProduct = createHmac('sha256', kRegion).update(product).digest();
  const key = createHmac('sha256', kProduct).update('aliyun_v4_request').digest();
  if (keyCache.size > 10000) keyCache.clear();
  keyCache.set(cacheKey, key);
  return key;
}

export function signV4(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}
