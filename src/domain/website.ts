import { AppError, invalidArgument } from '../errors.js';
import { CONTROL_OR_NOT_XML, requireXmlText } from '../util/xml-chars.js';
import { deleteConfig, jsonConfig, putConfig, readConfig } from './bucket-config.js';
import type { BucketIncarnation } from '../store/meta/types.js';
import { requireBucket, type DomainContext } from './context.js';
import type { Bucket } from './model.js';

// Static website hosting (Put/Get/DeleteBucketWebsite; docs/website.md): the configuration, its rules
// and limits. How a request is served from it lives on the request path (oss/website.ts).

export interface WebsiteIndex {
  suffix: string;
  supportSubDir: boolean;
  /** What a missing key without a trailing `/` does when SupportSubDir is on: 0 redirect to `key/`, 1 plain 404, 2 serve `key/<suffix>`. */
  type: 0 | 1 | 2;
}

export interface WebsiteError {
  key: string;
  /** The status the error document is served with (OSS takes 200 or 404; default 404). */
  httpStatus: 200 | 404;
}

export interface IncludeHeader {
  key: string;
  equals?: string;
  startsWith?: string;
  endsWith?: string;
}

export interface RoutingCondition {
  keyPrefixEquals?: string;
  keySuffixEquals?: string;
  httpErrorCodeReturnedEquals?: number;
  includeHeaders: IncludeHeader[];
}

export type RedirectType = 'External' | 'Internal' | 'AliCDN' | 'Mirror';

export interface RoutingRedirect {
  type: RedirectType;
  passQueryString?: boolean;
  protocol?: 'http' | 'https';
  hostName?: string;
  replaceKeyWith?: string;
  replaceKeyPrefixWith?: string;
  enableReplacePrefix?: boolean;
  httpRedirectCode?: 301 | 302 | 307;
  /**
   * Mirror (back-to-origin) settings, stored and returned as given (scalar Mirror* elements and
   * MirrorHeaders) but never acted on: Alunite fetches nothing from other servers (docs/website.md).
   */
  mirror?: Record<string, string>;
  mirrorHeaders?: { passAll?: boolean; pass: string[]; remove: string[]; set: Array<{ key: string; value: string }> };
  /**
   * The Mirror containers, stored and returned, never acted on: MirrorTaggings, MirrorReturnHeaders and
   * MirrorMultiAlternates as their items (each a map of its elements' texts), keyed by container name.
   */
  mirrorLists?: Record<string, Array<Record<string, string>>>;
  /** MirrorAuth without its AccessKeySecret, which is never kept (Alunite fetches from no origin). */
  mirrorAuth?: Record<string, string>;
}

export interface RoutingRule {
  ruleNumber: number;
  condition: RoutingCondition;
  redirect: RoutingRedirect;
  /** LuaConfig's Script: stored and returned, never run. */
  luaScript?: string;
}

export interface WebsiteConfig {
  index?: WebsiteIndex;
  error?: WebsiteError;
  /** Sorted by ruleNumber: the order they are tried in. */
  rules: RoutingRule[];
}

export const WEBSITE = jsonConfig<WebsiteConfig>('website');

export const WEBSITE_LIMITS = {
  maxBodyBytes: 64 * 1024,
  maxRules: 20,
  maxIncludeHeaders: 10,
  /** Object keys and key parts (Suffix, Key, prefixes, replacements): OSS's key limit. */
  maxKeyBytes: 1023,
  maxTextLength: 1024,
  maxMirrorHeaders: 20,
} as const;

export function websiteOf(bucket: Bucket): WebsiteConfig | null {
  return readConfig(bucket, WEBSITE);
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function checkKeyPart(value: string | undefined, name: string): void {
  if (value === undefined) return;
  if (bytes(value) > WEBSITE_LIMITS.maxKeyBytes) throw invalidArgument(`${name} is longer than ${WEBSITE_LIMITS.maxKeyBytes} bytes.`, name, value.slice(0, 64));
  if (CONTROL_OR_NOT_XML.test(value)) throw invalidArgument(`${name} must not contain control characters.`, name);
}

/**
 * Text that is stored and written back by GetBucketWebsite (header values, Mirror settings) may not hold a
 * control character XML 1.0 cannot carry (`&#1;`): strict XML readers (the Go, Java and Python SDKs) would
 * refuse the whole configuration. Key parts refuse every control character (checkKeyPart).
 */
function checkXmlText(value: string | undefined, what: string, name: string): void {
  requireXmlText(value, `${what} must not contain control characters.`, name);
}

/** Checks what the XML reader could not: values, combinations and limits. Throws InvalidArgument; nothing is stored then. */
export function validateWebsite(config: WebsiteConfig): WebsiteConfig {
  if (!config.index && !config.error && config.rules.length === 0) {
    throw new AppError('MalformedXML', undefined, { ErrorDetail: 'WebsiteConfiguration needs an IndexDocument, an ErrorDocument or RoutingRules.' });
  }
  if (config.index) {
    const { suffix } = config.index;
    if (suffix === '' || suffix.includes('/')) throw invalidArgument('The IndexDocument Suffix must be a non-empty object name without "/".', 'Suffix', suffix);
    checkKeyPart(suffix, 'Suffix');
  }
  if (config.error) {
    if (config.error.key === '') throw invalidArgument('The ErrorDocument Key must not be empty.', 'Key', '');
    checkKeyPart(config.error.key, 'Key');
  }
  if (config.rules.length > WEBSITE_LIMITS.maxRules) {
    throw invalidArgument(`At most ${WEBSITE_LIMITS.maxRules} RoutingRule elements are allowed.`, 'RoutingRule', String(config.rules.length));
  }
  const numbers = new Set<number>();
  for (const rule of config.rules) {
    if (!Number.isSafeInteger(rule.ruleNumber) || rule.ruleNumber < 1) throw invalidArgument('RuleNumber must be a positive integer.', 'RuleNumber', String(rule.ruleNumber));
    if (numbers.has(rule.ruleNumber)) throw invalidArgument('RuleNumber must be unique.', 'RuleNumber', String(rule.ruleNumber));
    numbers.add(rule.ruleNumber);
    validateCondition(rule.condition);
    validateRedirect(rule.redirect, rule.condition);
    checkXmlText(rule.luaScript, 'LuaConfig Script', 'Script');
  }
  return { ...config, rules: [...config.rules].sort((a, b) => a.ruleNumber - b.ruleNumber) };
}

function validateCondition(c: RoutingCondition): void {
  checkKeyPart(c.keyPrefixEquals, 'KeyPrefixEquals');
  checkKeyPart(c.keySuffixEquals, 'KeySuffixEquals');
  const code = c.httpErrorCodeReturnedEquals;
  if (code !== undefined && !(Number.isInteger(code) && code >= 400 && code <= 599)) {
    throw invalidArgument('HttpErrorCodeReturnedEquals must be an HTTP error status (400-599).', 'HttpErrorCodeReturnedEquals', String(code));
  }
  if (c.includeHeaders.length > WEBSITE_LIMITS.maxIncludeHeaders) {
    throw invalidArgument(`At most ${WEBSITE_LIMITS.maxIncludeHeaders} IncludeHeader elements are allowed in a Condition.`, 'IncludeHeader', String(c.includeHeaders.length));
  }
  for (const h of c.includeHeaders) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/.test(h.key)) throw invalidArgument('IncludeHeader Key must be an HTTP header name.', 'Key', h.key.slice(0, 64));
    for (const [name, v] of [['Equals', h.equals], ['StartsWith', h.startsWith], ['EndsWith', h.endsWith]] as const) {
      if (v !== undefined && v.length > WEBSITE_LIMITS.maxTextLength) throw invalidArgument(`IncludeHeader ${name} is too long.`, name);
      checkXmlText(v, `IncludeHeader ${name}`, name);
    }
  }
}

function validateRedirect(r: RoutingRedirect, c: RoutingCondition): void {
  checkKeyPart(r.replaceKeyWith, 'ReplaceKeyWith');
  checkKeyPart(r.replaceKeyPrefixWith, 'ReplaceKeyPrefixWith');
  if (r.hostName !== undefined && !/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(r.hostName)) {
    throw invalidArgument('HostName must be a domain name.', 'HostName', r.hostName.slice(0, 64));
  }
  if (r.replaceKeyWith !== undefined && r.enableReplacePrefix === true) {
    throw invalidArgument('ReplaceKeyWith cannot be used together with EnableReplacePrefix.', 'ReplaceKeyWith', r.replaceKeyWith.slice(0, 64));
  }
  // Protocol, HostName and HttpRedirectCode take effect only on External and AliCDN redirects, the Mirror settings
  // only on Mirror ones (OSS's wording); on another type they are kept and returned, as OSS accepts them (the PHP
  // SDK v2's ClientBucketWebsiteTest puts a Mirror rule with HostName and HttpRedirectCode and an AliCDN rule with
  // Mirror settings and expects 200), and have no effect.
  if (r.type === 'Mirror') {
    const url = r.mirror?.MirrorURL;
    if (url === undefined || !/^https?:\/\/[^\s]+$/.test(url)) throw invalidArgument('A Mirror redirect needs a MirrorURL starting with http:// or https://.', 'MirrorURL', (url ?? '').slice(0, 64));
    if (c.httpErrorCodeReturnedEquals !== undefined && c.httpErrorCodeReturnedEquals !== 404) {
      throw invalidArgument('A Mirror redirect applies only to 404 (HttpErrorCodeReturnedEquals).', 'HttpErrorCodeReturnedEquals', String(c.httpErrorCodeReturnedEquals));
    }
  }
  for (const [name, v] of Object.entries(r.mirror ?? {})) checkXmlText(v, name, name);
  const h = r.mirrorHeaders;
  for (const v of [...(h?.pass ?? []), ...(h?.remove ?? [])]) checkXmlText(v, 'MirrorHeaders', 'MirrorHeaders');
  for (const { key, value } of h?.set ?? []) {
    checkXmlText(key, 'MirrorHeaders Set Key', 'Key');
    checkXmlText(value, 'MirrorHeaders Set Value', 'Value');
  }
  for (const fields of [...Object.values(r.mirrorLists ?? {}).flat(), r.mirrorAuth ?? {}]) {
    for (const [name, v] of Object.entries(fields)) checkXmlText(v, name, name);
  }
}

/** Put/Get/DeleteBucketWebsite. */
export class WebsiteService {
  constructor(private readonly ctx: DomainContext) {}

  /** `sameBucket`: the bucket the request was authorized on, captured before its body (ConfigWriteOptions). */
  async put(bucket: string, config: WebsiteConfig, sameBucket?: BucketIncarnation): Promise<void> {
    await requireBucket(this.ctx, bucket);
    await putConfig(this.ctx, bucket, WEBSITE, validateWebsite(config), { sameBucket });
  }

  async get(bucket: string): Promise<WebsiteConfig> {
    const config = websiteOf(await requireBucket(this.ctx, bucket));
    if (!config) throw new AppError('NoSuchWebsiteConfiguration', undefined, { BucketName: bucket });
    return config;
  }

  async delete(bucket: string): Promise<void> {
    await deleteConfig(this.ctx, bucket, WEBSITE);
  }
}
