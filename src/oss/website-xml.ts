import { invalidArgument } from '../errors.js';
import type { IncludeHeader, RedirectType, RoutingCondition, RoutingRedirect, RoutingRule, WebsiteConfig } from '../domain/website.js';
import { WEBSITE_LIMITS } from '../domain/website.js';
import { el, many, parseXmlBody, type XmlChild, type XmlNode } from './xml.js';
import { childBool, childElement, childElements, childInt, childTextOnce, malformedXml, type XmlElement } from './xml-reader.js';

// The WebsiteConfiguration XML of PutBucketWebsite / GetBucketWebsite ⇄ the domain's WebsiteConfig.
// Structure faults (an element where text belongs, a repeated single element, a bad boolean or number)
// are MalformedXML / InvalidArgument here; the meaning is checked by domain/website.ts validateWebsite.

/**
 * What a Mirror rule's settings are when PutBucketWebsite left them out, as OSS documents them (PassQueryString,
 * MirrorPassQueryString, MirrorCheckMd5, PassAll: false; MirrorFollowRedirect: true) and GetBucketWebsite writes them
 * back (the Go SDK v1's TestSetBucketWebsiteDetail, the Java SDK's BucketWebsiteTest for MirrorPassOriginalSlashes).
 * Applied when the configuration is read, not stored: configurations stored without them read the same.
 */
const MIRROR_DEFAULTS = {
  passQueryString: false,
  settings: { MirrorPassQueryString: 'false', MirrorFollowRedirect: 'true', MirrorCheckMd5: 'false', MirrorPassOriginalSlashes: 'false' },
  passAll: false,
} as const;

type Node = XmlElement;

const malformed = malformedXml;
const textOf = (parent: Node, name: string): string | undefined => childTextOnce(parent, name, WEBSITE_LIMITS.maxTextLength * 4);
const containerOf = childElement;
const containers = childElements;
// oss2 writes these as Python's str(bool), `True`/`False` (test_website), which OSS accepts: any letter case.
const boolOf = (parent: Node, name: string): boolean | undefined => childBool(parent, name, 'InvalidArgument', WEBSITE_LIMITS.maxTextLength * 4, true);
const intOf = (parent: Node, name: string): number | undefined =>
  childInt(parent, name, /^\d{1,9}$/, (t) => invalidArgument(`${name} is Invalid`, name, t.slice(0, 64)), WEBSITE_LIMITS.maxTextLength * 4);

/** Keeps only the elements a parent may hold: an unknown one is MalformedXML, never silently dropped. */
function onlyKnown(node: Node, where: string, known: readonly string[], allow?: (name: string) => boolean): void {
  for (const name of Object.keys(node)) {
    if (!known.includes(name) && !(allow?.(name) ?? false)) throw malformed(`${where} does not take ${name}.`);
  }
}

function includeHeaderOf(node: Node): IncludeHeader {
  onlyKnown(node, 'IncludeHeader', ['Key', 'Equals', 'StartsWith', 'EndsWith']);
  const key = textOf(node, 'Key');
  if (key === undefined) throw malformed('IncludeHeader needs a Key.');
  const out: IncludeHeader = { key };
  const equals = textOf(node, 'Equals');
  const startsWith = textOf(node, 'StartsWith');
  const endsWith = textOf(node, 'EndsWith');
  if (equals !== undefined) out.equals = equals;
  if (startsWith !== undefined) out.startsWith = startsWith;
  if (endsWith !== undefined) out.endsWith = endsWith;
  return out;
}

function conditionOf(node: Node | undefined): RoutingCondition {
  if (!node) return { includeHeaders: [] };
  onlyKnown(node, 'Condition', ['KeyPrefixEquals', 'KeySuffixEquals', 'HttpErrorCodeReturnedEquals', 'IncludeHeader']);
  const out: RoutingCondition = { includeHeaders: containers(node, 'IncludeHeader', WEBSITE_LIMITS.maxIncludeHeaders).map(includeHeaderOf) };
  const prefix = textOf(node, 'KeyPrefixEquals');
  const suffix = textOf(node, 'KeySuffixEquals');
  const code = intOf(node, 'HttpErrorCodeReturnedEquals');
  if (prefix !== undefined) out.keyPrefixEquals = prefix;
  if (suffix !== undefined) out.keySuffixEquals = suffix;
  if (code !== undefined) out.httpErrorCodeReturnedEquals = code;
  return out;
}

const REDIRECT_TYPES: readonly RedirectType[] = ['External', 'Internal', 'AliCDN', 'Mirror'];
const REDIRECT_FIELDS = ['RedirectType', 'PassQueryString', 'Protocol', 'HostName', 'ReplaceKeyWith', 'ReplaceKeyPrefixWith', 'EnableReplacePrefix', 'HttpRedirectCode'];
/**
 * The Mirror containers of repeated items, each item's elements: stored and returned as given (never acted on:
 * Alunite fetches from no origin). The PHP SDK v2's ClientBucketWebsiteTest puts all of them and expects 200.
 */
const MIRROR_LISTS: Record<string, { item: string; fields: readonly string[] }> = {
  MirrorTaggings: { item: 'Taggings', fields: ['Key', 'Value'] },
  MirrorReturnHeaders: { item: 'ReturnHeader', fields: ['Key', 'Value'] },
  MirrorMultiAlternates: { item: 'MirrorMultiAlternate', fields: ['MirrorMultiAlternateNumber', 'MirrorMultiAlternateURL', 'MirrorMultiAlternateVpcId', 'MirrorMultiAlternateDstRegion'] },
};
const MIRROR_AUTH_FIELDS = ['AuthType', 'Region', 'AccessKeyId', 'AccessKeySecret'] as const;

/** The texts of an item's elements, only those `fields` (another is MalformedXML). */
function fieldsOf(node: Node, where: string, fields: readonly string[]): Record<string, string> {
  onlyKnown(node, where, fields);
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = textOf(node, f);
    if (v !== undefined) out[f] = v;
  }
  return out;
}

function mirrorHeadersOf(node: Node): NonNullable<RoutingRedirect['mirrorHeaders']> {
  onlyKnown(node, 'MirrorHeaders', ['PassAll', 'Pass', 'Remove', 'Set']);
  const max = WEBSITE_LIMITS.maxMirrorHeaders;
  const texts = (name: string): string[] => {
    const list = many(node[name]);
    if (list.length > max) throw invalidArgument(`At most ${max} ${name} elements are allowed.`, name, String(list.length));
    return list.map((v) => {
      if (typeof v !== 'string') throw malformed(`${name} must be text.`);
      return v;
    });
  };
  const set = containers(node, 'Set', max).map((s) => {
    onlyKnown(s, 'Set', ['Key', 'Value']);
    const key = textOf(s, 'Key');
    if (key === undefined) throw malformed('Set needs a Key.');
    return { key, value: textOf(s, 'Value') ?? '' };
  });
  const passAll = boolOf(node, 'PassAll');
  return { ...(passAll !== undefined ? { passAll } : {}), pass: texts('Pass'), remove: texts('Remove'), set };
}

function redirectOf(node: Node): RoutingRedirect {
  onlyKnown(node, 'Redirect', REDIRECT_FIELDS, (name) => name.startsWith('Mirror') || name === 'TransparentMirrorResponseCodes');
  const type = textOf(node, 'RedirectType')?.trim();
  if (type === undefined) throw malformed('Redirect needs a RedirectType.');
  if (!REDIRECT_TYPES.includes(type as RedirectType)) throw invalidArgument('RedirectType must be Mirror, External, Internal or AliCDN.', 'RedirectType', type.slice(0, 64));
  const out: RoutingRedirect = { type: type as RedirectType };
  const passQueryString = boolOf(node, 'PassQueryString');
  if (passQueryString !== undefined) out.passQueryString = passQueryString;
  const protocol = textOf(node, 'Protocol')?.trim();
  if (protocol !== undefined) {
    if (protocol !== 'http' && protocol !== 'https') throw invalidArgument('Protocol must be http or https.', 'Protocol', protocol.slice(0, 64));
    out.protocol = protocol;
  }
  const hostName = textOf(node, 'HostName')?.trim();
  if (hostName !== undefined) out.hostName = hostName;
  const replaceKeyWith = textOf(node, 'ReplaceKeyWith');
  if (replaceKeyWith !== undefined) out.replaceKeyWith = replaceKeyWith;
  const replaceKeyPrefixWith = textOf(node, 'ReplaceKeyPrefixWith');
  if (replaceKeyPrefixWith !== undefined) out.replaceKeyPrefixWith = replaceKeyPrefixWith;
  const enableReplacePrefix = boolOf(node, 'EnableReplacePrefix');
  if (enableReplacePrefix !== undefined) out.enableReplacePrefix = enableReplacePrefix;
  const code = intOf(node, 'HttpRedirectCode');
  if (code !== undefined) {
    if (code !== 301 && code !== 302 && code !== 307) throw invalidArgument('HttpRedirectCode must be 301, 302 or 307.', 'HttpRedirectCode', String(code));
    out.httpRedirectCode = code;
  }
  const mirror: Record<string, string> = {};
  for (const name of Object.keys(node)) {
    if (REDIRECT_FIELDS.includes(name)) continue;
    if (name === 'MirrorHeaders') {
      // The Go SDK v1 writes `<MirrorHeaders></MirrorHeaders>` on every rule (a struct, never left out): empty is absent.
      const headers = containerOf(node, name);
      if (headers && Object.keys(headers).length > 0) out.mirrorHeaders = mirrorHeadersOf(headers);
      continue;
    }
    const list = MIRROR_LISTS[name];
    if (list !== undefined) {
      const container = containerOf(node, name);
      if (!container) continue;
      onlyKnown(container, name, [list.item]);
      const items = containers(container, list.item, WEBSITE_LIMITS.maxMirrorHeaders).map((item) => fieldsOf(item, list.item, list.fields));
      if (items.length > 0) out.mirrorLists = { ...out.mirrorLists, [name]: items };
      continue;
    }
    if (name === 'MirrorAuth') {
      const container = containerOf(node, name);
      if (!container) continue;
      // The secret is not kept: Alunite never signs a request to an origin, and GetBucketWebsite would hand it out.
      const auth = fieldsOf(container, name, MIRROR_AUTH_FIELDS);
      delete auth.AccessKeySecret;
      if (Object.keys(auth).length > 0) out.mirrorAuth = auth;
      continue;
    }
    const value = textOf(node, name);
    // A boolean setting is kept as `true`/`false` whatever its case (oss2 sends `True`), as GetBucketWebsite writes it.
    if (value !== undefined) mirror[name] = /^\s*(true|false)\s*$/i.test(value) ? value.trim().toLowerCase() : value;
  }
  if (Object.keys(mirror).length > 0) out.mirror = mirror;
  // A Mirror rule's PassQueryString is its MirrorPassQueryString (oss2's test_normal_set_website_with_mirror reads
  // back PassQueryString equal to the MirrorPassQueryString it sent, with or without a PassQueryString of its own).
  if (type === 'Mirror' && mirror.MirrorPassQueryString !== undefined) out.passQueryString = mirror.MirrorPassQueryString === 'true';
  return out;
}

function ruleOf(node: Node): RoutingRule {
  onlyKnown(node, 'RoutingRule', ['RuleNumber', 'Condition', 'Redirect', 'LuaConfig']);
  const ruleNumber = intOf(node, 'RuleNumber');
  if (ruleNumber === undefined) throw malformed('RoutingRule needs a RuleNumber.');
  const redirect = containerOf(node, 'Redirect');
  if (!redirect) throw malformed('RoutingRule needs a Redirect.');
  const rule: RoutingRule = { ruleNumber, condition: conditionOf(containerOf(node, 'Condition')), redirect: redirectOf(redirect) };
  // LuaConfig (the PHP SDK v2's ClientBucketWebsiteTest puts one): its Script is kept and returned, never run.
  const lua = containerOf(node, 'LuaConfig');
  if (lua) {
    const script = fieldsOf(lua, 'LuaConfig', ['Script']).Script;
    if (script === undefined) throw malformed('LuaConfig needs a Script.');
    rule.luaScript = script;
  }
  return rule;
}

/** True when `node` has no child but an optional, empty `name` (`<IndexDocument/>`, `<ErrorDocument><Key></Key></ErrorDocument>`). */
function onlyEmpty(node: Node, name: string): boolean {
  const names = Object.keys(node);
  return names.every((n) => n === name) && (textOf(node, name) ?? '') === '';
}

export function parseWebsiteXml(text: string): WebsiteConfig {
  const doc = parseXmlBody(text, 'WebsiteConfiguration');
  onlyKnown(doc, 'WebsiteConfiguration', ['IndexDocument', 'ErrorDocument', 'RoutingRules']);
  const config: WebsiteConfig = { rules: [] };
  // An IndexDocument / ErrorDocument holding nothing but an empty Suffix / Key is not set: the Go SDK v1 sends
  // `<IndexDocument><Suffix></Suffix></IndexDocument>` for the one it was not given (TestSetBucketWebsiteDetail).
  const index = containerOf(doc, 'IndexDocument');
  if (index && !onlyEmpty(index, 'Suffix')) {
    onlyKnown(index, 'IndexDocument', ['Suffix', 'SupportSubDir', 'Type']);
    const suffix = textOf(index, 'Suffix');
    if (suffix === undefined) throw malformed('IndexDocument needs a Suffix.');
    const type = intOf(index, 'Type') ?? 0;
    if (type !== 0 && type !== 1 && type !== 2) throw invalidArgument('Type is Invalid', 'Type', String(type));
    config.index = { suffix, supportSubDir: boolOf(index, 'SupportSubDir') ?? false, type };
  }
  const error = containerOf(doc, 'ErrorDocument');
  if (error && !onlyEmpty(error, 'Key')) {
    onlyKnown(error, 'ErrorDocument', ['Key', 'HttpStatus']);
    const key = textOf(error, 'Key');
    if (key === undefined) throw malformed('ErrorDocument needs a Key.');
    const status = intOf(error, 'HttpStatus') ?? 404;
    if (status !== 200 && status !== 404) throw invalidArgument('HttpStatus is Invalid', 'HttpStatus', String(status));
    config.error = { key, httpStatus: status };
  }
  const rules = containerOf(doc, 'RoutingRules');
  if (rules) {
    onlyKnown(rules, 'RoutingRules', ['RoutingRule']);
    config.rules = containers(rules, 'RoutingRule', WEBSITE_LIMITS.maxRules).map(ruleOf);
  }
  return config;
}

const opt = (name: string, v: string | number | boolean | undefined): XmlChild => v !== undefined && el(name, v);

function conditionXml(c: RoutingCondition): XmlChild {
  const children: XmlChild[] = [
    opt('KeyPrefixEquals', c.keyPrefixEquals),
    opt('KeySuffixEquals', c.keySuffixEquals),
    opt('HttpErrorCodeReturnedEquals', c.httpErrorCodeReturnedEquals),
    ...c.includeHeaders.map((h) => el('IncludeHeader', [el('Key', h.key), opt('Equals', h.equals), opt('StartsWith', h.startsWith), opt('EndsWith', h.endsWith)])),
  ];
  return children.some(Boolean) && el('Condition', children);
}

function redirectXml(r: RoutingRedirect): XmlNode {
  const h = r.mirrorHeaders;
  // A Mirror rule answers with OSS's defaults for the settings it was stored without (MIRROR_DEFAULTS).
  const mirror = r.type === 'Mirror';
  const settings: Record<string, string> = mirror ? { ...MIRROR_DEFAULTS.settings, ...r.mirror } : (r.mirror ?? {});
  return el('Redirect', [
    el('RedirectType', r.type),
    opt('PassQueryString', r.passQueryString ?? (mirror ? MIRROR_DEFAULTS.passQueryString : undefined)),
    ...Object.entries(settings).map(([k, v]) => el(k, v)),
    h !== undefined && el('MirrorHeaders', [
      opt('PassAll', h.passAll ?? (mirror ? MIRROR_DEFAULTS.passAll : undefined)),
      ...h.pass.map((p) => el('Pass', p)),
      ...h.remove.map((p) => el('Remove', p)),
      ...h.set.map((s) => el('Set', [el('Key', s.key), el('Value', s.value)])),
    ]),
    opt('Protocol', r.protocol),
    opt('HostName', r.hostName),
    opt('ReplaceKeyPrefixWith', r.replaceKeyPrefixWith),
    opt('EnableReplacePrefix', r.enableReplacePrefix),
    opt('ReplaceKeyWith', r.replaceKeyWith),
    opt('HttpRedirectCode', r.httpRedirectCode),
    ...Object.entries(r.mirrorLists ?? {}).map(([name, items]) =>
      el(name, items.map((item) => el(MIRROR_LISTS[name]?.item ?? name, Object.entries(item).map(([k, v]) => el(k, v)))))),
    r.mirrorAuth !== undefined && el('MirrorAuth', Object.entries(r.mirrorAuth).map(([k, v]) => el(k, v))),
  ]);
}

export function websiteXml(config: WebsiteConfig): XmlNode {
  const { index, error } = config;
  return el('WebsiteConfiguration', [
    index !== undefined && el('IndexDocument', [el('Suffix', index.suffix), el('SupportSubDir', index.supportSubDir), el('Type', index.type)]),
    error !== undefined && el('ErrorDocument', [el('Key', error.key), el('HttpStatus', error.httpStatus)]),
    config.rules.length > 0 && el('RoutingRules', config.rules.map((r) => el('RoutingRule', [
      el('RuleNumber', r.ruleNumber),
      conditionXml(r.condition),
      redirectXml(r.redirect),
      r.luaScript !== undefined && el('LuaConfig', [el('Script', r.luaScript)]),
    ]))),
  ]);
}
