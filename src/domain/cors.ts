// Bucket CORS rules (spec oss-protocol §12.10): what a valid configuration is, and which rule a
// cross-origin request matches. No HTTP here: the OSS layer (`oss/cors.ts`) turns a match into headers.
import { AppError, invalidArgument } from '../errors.js';
import { requireXmlText } from '../util/xml-chars.js';
import type { CorsConfig, CorsRule } from './model.js';

export const CORS_LIMITS = {
  maxRules: 10,
  /** A rule's MaxAgeSeconds is 0 to this (docs/cors.md). */
  maxAgeSeconds: 999_999_999,
  /** PutBucketCors body size. */
  maxBodyBytes: 16 * 1024,
} as const;

/** The methods a rule may allow, spelled exactly so (methods are case-sensitive). */
export const CORS_METHODS: readonly string[] = ['GET', 'PUT', 'DELETE', 'POST', 'HEAD'];

const malformed = (detail: string): AppError =>
  new AppError('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${detail}`, { ErrorDetail: detail });

/**
 * What an ExposeHeader may hold: printable ASCII, spaces and commas included. OSS keeps values that are no header
 * name (the Python V2 SDK's test_bucket_cors stores and reads back `|K+k~ wJIC`, `zK4d3,tLfa`, `p^?ub~R+$F`);
 * they are only ever sent inside Access-Control-Expose-Headers, where a control character or a character
 * beyond Latin-1 would break every response.
 */
const EXPOSE_HEADER = /^[\x20-\x7e]+$/;

const wildcards = (v: string): number => v.split('*').length - 1;

/** Checks a configuration against the OSS limits; throws the OSS error naming the offending element. */
export function validateCors(cfg: CorsConfig): void {
  if (cfg.rules.length === 0) throw malformed('CORSConfiguration must contain at least one CORSRule.');
  if (cfg.rules.length > CORS_LIMITS.maxRules) {
    throw invalidArgument(`A CORS configuration can have at most ${CORS_LIMITS.maxRules} CORSRule elements; it has ${cfg.rules.length}.`, 'CORSRule', String(cfg.rules.length));
  }
  cfg.rules.forEach((rule, i) => {
    const where = `CORSRule ${i + 1}`;
    if (rule.allowedOrigins.length === 0) throw malformed(`${where} has no AllowedOrigin.`);
    if (rule.allowedMethods.length === 0) throw malformed(`${where} has no AllowedMethod.`);
    const maxAge = rule.maxAgeSeconds;
    if (maxAge !== null && (maxAge < 0 || maxAge > CORS_LIMITS.maxAgeSeconds)) {
      throw invalidArgument(`MaxAgeSeconds in ${where} must be between 0 and ${CORS_LIMITS.maxAgeSeconds}.`, 'MaxAgeSeconds', String(maxAge));
    }
    for (const m of rule.allowedMethods) {
      if (!CORS_METHODS.includes(m)) {
        throw invalidArgument(`AllowedMethod "${m}" in ${where} is not supported; use GET, PUT, DELETE, POST or HEAD.`, 'AllowedMethod', m);
      }
    }
    // Origins and headers are echoed in GetBucketCors: a control character XML 1.0 cannot carry (`&#1;`) would
    // make that answer unreadable to strict parsers, and no request header can hold one to match it anyway.
    for (const [name, values] of [['AllowedOrigin', rule.allowedOrigins], ['AllowedHeader', rule.allowedHeaders]] as const) {
      for (const v of values) requireXmlText(v, `${name} in ${where} holds a control character.`, name);
    }
    for (const o of rule.allowedOrigins) {
      if (wildcards(o) > 1) throw invalidArgument(`AllowedOrigin "${o}" in ${where} has more than one "*" wildcard.`, 'AllowedOrigin', o);
    }
    for (const h of rule.allowedHeaders) {
      if (wildcards(h) > 1) throw invalidArgument(`AllowedHeader "${h}" in ${where} has more than one "*" wildcard.`, 'AllowedHeader', h);
    }
    for (const h of rule.exposeHeaders) {
      if (h.includes('*')) throw invalidArgument(`ExposeHeader "${h}" in ${where} must name a header; "*" is not allowed.`, 'ExposeHeader', h);
      // Sent back in Access-Control-Expose-Headers: a newline or a non-ASCII character there would break every response.
      if (!EXPOSE_HEADER.test(h)) throw invalidArgument(`ExposeHeader "${h.slice(0, 64)}" in ${where} may hold printable ASCII characters only.`, 'ExposeHeader', h.slice(0, 64));
    }
  });
}

/** A string pattern with at most one `*` (matching any run of characters, also an empty one). */
interface Pattern {
  prefix: string;
  /** null: no wildcard, the whole value must equal `prefix`. */
  suffix: string | null;
}

function pattern(p: string): Pattern {
  const star = p.indexOf('*');
  return star < 0 ? { prefix: p, suffix: null } : { prefix: p.slice(0, star), suffix: p.slice(star + 1) };
}

function matches(p: Pattern, v: string): boolean {
  if (p.suffix === null) return v === p.prefix;
  return v.length >= p.prefix.length + p.suffix.length && v.startsWith(p.prefix) && v.endsWith(p.suffix);
}

interface CompiledRule {
  rule: CorsRule;
  origins: Pattern[];
  /** Lower-case patterns: header names compare case-insensitively. */
  headers: Pattern[];
}

// Rules compile once per configuration object; the store's bucket cache keeps that object until the
// bucket changes, so a request with Origin costs a few string comparisons.
const compiled = new WeakMap<CorsConfig, CompiledRule[]>();

function compile(cfg: CorsConfig): CompiledRule[] {
  let rules = compiled.get(cfg);
  if (!rules) {
    rules = cfg.rules.map((rule) => ({
      rule,
      origins: rule.allowedOrigins.map(pattern),
      headers: rule.allowedHeaders.map((h) => pattern(h.toLowerCase())),
    }));
    compiled.set(cfg, rules);
  }
  return rules;
}

export interface CorsQuery {
  /** The Origin header, compared case-sensitively. */
  origin: string;
  /** The method of the actual request (preflight: Access-Control-Request-Method), case-sensitive. */
  method: string;
  /** Headers the actual request will send (preflight only), lower-case. */
  headers: readonly string[];
}

export interface CorsMatch {
  rule: CorsRule;
  /** The rule allows every origin (`*`): answer `Access-Control-Allow-Origin: *`. */
  anyOrigin: boolean;
}

/** The first rule allowing the origin, the method and every requested header, or null. */
export function matchCors(cfg: CorsConfig, q: CorsQuery): CorsMatch | null {
  for (const c of compile(cfg)) {
    if (!c.rule.allowedMethods.includes(q.method)) continue;
    const origin = c.origins.find((p) => matches(p, q.origin));
    if (!origin) continue;
    if (!q.headers.every((h) => c.headers.some((p) => matches(p, h)))) continue;
    return { rule: c.rule, anyOrigin: origin.prefix === '' && origin.suffix === '' };
  }
  return null;
}
