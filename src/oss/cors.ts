// Bucket CORS on the wire (spec oss-protocol §12.10): the CORSConfiguration XML, the anonymous OPTIONS
// preflight, and the Access-Control-* headers added to actual responses. Matching is `domain/cors.ts`.
import type { IncomingHttpHeaders } from 'node:http';
import { matchCors, type CorsMatch } from '../domain/cors.js';
import { assertBucketName, assertObjectKey } from '../domain/names.js';
import type { Bucket, CorsConfig, CorsRule } from '../domain/model.js';
import { AppError } from '../errors.js';
import type { Address } from './address.js';
import type { OssResponse } from './context.js';
import { header } from './headers.js';
import { el, many, parseXmlBody, text, type XmlNode } from './xml.js';

const malformed = (detail: string): AppError =>
  new AppError('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${detail}`, { ErrorDetail: detail });

/** Parses a PutBucketCors body; limits and allowed values are checked by `validateCors`. */
export function parseCorsXml(raw: string): CorsConfig {
  const doc = parseXmlBody(raw, 'CORSConfiguration');
  const strings = (v: unknown, name: string): string[] => many(v).map((x) => (text(x, name) ?? '').trim()).filter((x) => x !== '');
  const rules: CorsRule[] = many(doc.CORSRule).map((r, i) => {
    if (typeof r !== 'object' || r === null) throw malformed(`CORSRule ${i + 1} is empty.`);
    const rule = r as Record<string, unknown>;
    const maxAgeRaw = rule.MaxAgeSeconds;
    if (Array.isArray(maxAgeRaw)) throw malformed(`CORSRule ${i + 1} has more than one MaxAgeSeconds.`);
    const maxAge = text(maxAgeRaw, 'MaxAgeSeconds')?.trim();
    // Not an integer: the document does not fit the schema. An integer out of range (oss2's test_invalid_argument
    // sends -1) is a value `validateCors` refuses with InvalidArgument naming MaxAgeSeconds.
    if (maxAge !== undefined && !/^[-+]?\d{1,15}$/.test(maxAge)) {
      throw malformed(`MaxAgeSeconds "${maxAge}" in CORSRule ${i + 1} must be an integer.`);
    }
    return {
      allowedOrigins: strings(rule.AllowedOrigin, 'AllowedOrigin'),
      allowedMethods: strings(rule.AllowedMethod, 'AllowedMethod'),
      // Kept lower-case, as OSS keeps them: GetBucketCors answers the Python V2 SDK's test_bucket_cors with
      // 'wqfg#jpaj(' for AllowedHeader 'WqFg#jPAj(' (header names compare case-insensitively anyway).
      allowedHeaders: strings(rule.AllowedHeader, 'AllowedHeader').map((h) => h.toLowerCase()),
      exposeHeaders: strings(rule.ExposeHeader, 'ExposeHeader'),
      maxAgeSeconds: maxAge === undefined ? null : Number(maxAge),
    };
  });
  const vary = text(doc.ResponseVary, 'ResponseVary')?.trim();
  if (vary !== undefined && vary !== 'true' && vary !== 'false') throw malformed(`ResponseVary "${vary}" must be true or false.`);
  return { rules, responseVary: vary === 'true' };
}

export function corsXml(cfg: CorsConfig): XmlNode {
  return el('CORSConfiguration', [
    ...cfg.rules.map((r) =>
      el('CORSRule', [
        ...r.allowedOrigins.map((v) => el('AllowedOrigin', v)),
        ...r.allowedMethods.map((v) => el('AllowedMethod', v)),
        ...r.allowedHeaders.map((v) => el('AllowedHeader', v)),
        ...r.exposeHeaders.map((v) => el('ExposeHeader', v)),
        r.maxAgeSeconds !== null && el('MaxAgeSeconds', r.maxAgeSeconds),
      ]),
    ),
    el('ResponseVary', cfg.responseVary),
  ]);
}

/** The Access-Control-* headers for a matched rule (`requested`: preflight's Access-Control-Request-Headers). */
function allowHeaders(cfg: CorsConfig, m: CorsMatch, origin: string, requested: string | null): Record<string, string> {
  const out: Record<string, string> = {
    'Access-Control-Allow-Origin': m.anyOrigin ? '*' : origin,
    'Access-Control-Allow-Methods': m.rule.allowedMethods.join(', '),
  };
  if (requested !== null) out['Access-Control-Allow-Headers'] = requested;
  if (m.rule.exposeHeaders.length > 0) out['Access-Control-Expose-Headers'] = m.rule.exposeHeaders.join(', ');
  if (m.rule.maxAgeSeconds !== null) out['Access-Control-Max-Age'] = String(m.rule.maxAgeSeconds);
  if (cfg.responseVary) out.Vary = 'Origin';
  return out;
}

/**
 * Access-Control-Request-Headers as a list of names as sent: matched lower-case, echoed in their own case (the
 * Python V2 SDK's test_bucket_cors expects Access-Control-Allow-Headers 'WqFg#jPAj(' for that request header).
 */
function requestedHeaders(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((h) => h.trim()).filter((h) => h !== '');
}

const forbidden = (): AppError => new AppError('AccessForbidden');

/**
 * `OPTIONS /<key>` on a bucket: anonymous, never signed. `bucket` is the stored bucket (null: none).
 * Answers 200 with the first matching rule's headers or throws the OSS error (400 / 404 / 403).
 */
export function preflight(bucketName: string, bucket: Bucket | null, headers: IncomingHttpHeaders): OssResponse {
  const origin = header(headers, 'origin');
  if (origin === undefined) throw new AppError('BadRequest', 'Insufficient information. Origin request header needed.');
  const method = header(headers, 'access-control-request-method');
  if (method === undefined) throw new AppError('BadRequest', 'Insufficient information. Access-Control-Request-Method request header needed.');
  if (!bucket) throw new AppError('NoSuchBucket', undefined, { BucketName: bucketName });
  if (!bucket.cors) throw forbidden();
  const requestedRaw = header(headers, 'access-control-request-headers');
  const requested = requestedHeaders(requestedRaw);
  const m = matchCors(bucket.cors, { origin, method, headers: requested.map((h) => h.toLowerCase()) });
  if (!m) throw forbidden();
  return { status: 200, headers: allowHeaders(bucket.cors, m, origin, requested.length > 0 ? requested.join(', ') : null) };
}

/**
 * Headers for an actual (non-OPTIONS) request carrying Origin: those of the first rule allowing its
 * origin and method, or none. Added to success and error responses alike, so a page can read an
 * AccessDenied as well as an object.
 */
export function actualCorsHeaders(bucket: Bucket | null, origin: string, method: string): Record<string, string> | null {
  if (!bucket?.cors) return null;
  const m = matchCors(bucket.cors, { origin, method, headers: [] });
  return m ? allowHeaders(bucket.cors, m, origin, null) : null;
}

/** A bucket's record, held (no promise) or read. */
type BucketLookup = (name: string) => Bucket | null | Promise<Bucket | null>;

/** The listener's preflight step: names checked as for any request, then `preflight`. */
export async function answerPreflight(address: Address, headers: IncomingHttpHeaders, getBucket: BucketLookup): Promise<OssResponse> {
  const bucketName = address.bucket!;
  assertBucketName(bucketName);
  if (address.key !== null) assertObjectKey(address.key);
  return preflight(bucketName, await getBucket(bucketName), headers);
}

/**
 * The listener's hook for actual requests with an Origin header: adds the matching rule's headers to
 * the response in place. The bucket comes from the store's row cache; a failed lookup adds nothing.
 */
export async function addActualCorsHeaders(response: OssResponse, bucketName: string, origin: string, method: string, getBucket: BucketLookup): Promise<void> {
  let bucket: Bucket | null;
  try {
    bucket = await getBucket(bucketName);
  } catch {
    bucket = null;
  }
  const extra = actualCorsHeaders(bucket, origin, method);
  if (!extra) return;
  // A Vary the answer has already (Accept-Encoding: a gzip-compressed object, oss/compression.ts) is kept beside Origin.
  const vary = response.headers.Vary;
  Object.assign(response.headers, extra);
  if (vary !== undefined && extra.Vary !== undefined && vary !== extra.Vary) response.headers.Vary = `${vary}, ${extra.Vary}`;
}
