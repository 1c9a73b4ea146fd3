import { AppError, invalidArgument } from '../errors.js';
import { detached } from '../util/detached.js';

/**
 * A small, strict XML reader for request bodies (a few KiB of configuration or part lists).
 *
 * OSS accepts what the official SDKs write, which a conforming XML 1.0 parser would not all take: the Go
 * SDK's encoder escapes quotes and control characters as character references (`&#34;`, `&#x9;`,
 * `&#x0C;`, …), and keys may hold control characters such as `\f` and `\v` that XML 1.0 forbids even as
 * references. So every character reference (decimal or hex) to any code point but NUL and surrogates is
 * decoded, as are the five predefined entities; leading whitespace before `<?xml …?>` is allowed (the Go
 * SDK's tests send it). Document type declarations are refused outright (no internal or external entities,
 * no entity expansion), and so is any other entity reference. Line ends are not normalized: a raw CR in a
 * key stays a CR.
 *
 * The result mirrors the document: an element with child elements is an object (null prototype, so a
 * body cannot reach Object.prototype) mapping each child name to its value, or to an array of values
 * when the name repeats; an element without child elements is its text. Attributes are checked for form
 * and dropped (no OSS request body uses them).
 */
export type XmlValue = string | XmlObject;
export interface XmlObject {
  [name: string]: XmlValue | XmlValue[];
}

/** Why a body is not well-formed, for `ErrorDetail`. */
export class XmlSyntaxError extends Error {}

/**
 * What one document may hold (parseXml). Reading costs per node, not per byte: the tree's objects are what the
 * time goes to (mostly garbage collection), ~0.4-2 µs each, so a 2 MiB body of `<a/>` or of 63-deep nestings
 * (300,000-500,000 elements) held the event loop 0.6-1.2 s, and a 4 MiB one over 2 s.
 */
export interface XmlLimits {
  /**
   * Elements, attributes, comments, processing instructions and CDATA sections, together; past it the document is
   * refused (MalformedXML) as soon as the count is passed, before the rest is read.
   */
  maxNodes: number;
}

/**
 * The default bound: more than any body of 64 KiB can hold (an element takes at least 4 bytes, `<a/>`), so it only
 * ever decides for the larger bodies, whose operations give their own (DeleteMultipleObjects, CompleteMultipartUpload,
 * PutBucketLifecycle).
 */
export const DEFAULT_XML_LIMITS: XmlLimits = { maxNodes: 20_000 };

const NAME = /[A-Za-z_:\u00C0-\uFFFF][-A-Za-z0-9_.:\u00B7\u00C0-\uFFFF]*/y;
const SPACE = /[ \t\r\n]*/y;
const MAX_DEPTH = 64;

interface Open {
  name: string;
  text: string;
  children: XmlObject | null;
}

/** The predefined entities by the length of their name: compared in place, without cutting each reference out. */
const PREDEFINED: ReadonlyArray<ReadonlyArray<readonly [string, string]> | undefined> = [
  undefined, undefined, [['lt', '<'], ['gt', '>']], [['amp', '&']], [['quot', '"'], ['apos', "'"]],
];

/** The value of one hex or decimal digit (`hex`: also a-f, A-F), or -1. */
function digitValue(c: number, hex: boolean): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (!hex) return -1;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes the reference between `&` (before `start`) and `;` (at `end`) of `raw`, or throws. Numeric references are
 * read digit by digit (`&#` 1-7 decimal digits, `&#x` 1-6 hex digits), not by a regular expression and a cut per
 * reference: a body may be made of them (2 MiB of `&#65;` took ~0.1 s of CPU that way, now ~0.02 s).
 */
function decodeReference(raw: string, start: number, end: number): string {
  if (raw.charCodeAt(start) !== 35 /* # */) {
    const named = PREDEFINED[end - start]?.find(([n]) => raw.startsWith(n, start));
    if (named !== undefined) return named[1];
    throw new XmlSyntaxError(`unknown entity reference &${raw.slice(start, Math.min(end, start + 32))};`);
  }
  const hex = raw.charCodeAt(start + 1) === 120 /* x */;
  const first = start + (hex ? 2 : 1);
  const digits = end - first;
  let cp = digits >= 1 && digits <= (hex ? 6 : 7) ? 0 : -1;
  for (let i = first; cp >= 0 && i < end; i++) {
    const d = digitValue(raw.charCodeAt(i), hex);
    cp = d < 0 ? -1 : cp * (hex ? 16 : 10) + d;
  }
  if (cp < 0) throw new XmlSyntaxError(`unknown entity reference &${raw.slice(start, Math.min(end, start + 32))};`);
  if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new XmlSyntaxError(`invalid character reference &${raw.slice(start, end)};`);
  return String.fromCodePoint(cp);
}

/** Replaces references in character data; a bare `&` or `<` is an error. */
export function decodeText(raw: string): string {
  if (raw.includes('<')) throw new XmlSyntaxError('unexpected < in character data');
  let amp = raw.indexOf('&');
  if (amp < 0) return raw;
  let out = '';
  let from = 0;
  while (amp >= 0) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi < 0 || semi - amp > 40) throw new XmlSyntaxError('unterminated entity reference');
    out += raw.slice(from, amp);
    out += decodeReference(raw, amp + 1, semi);
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  // One flat string: appended piece by piece, the text is a chain of a string object per piece, kept in the tree as
  // long as the document is (a 2 MiB body of references: ~800,000 of them, ~0.2 s of garbage collection).
  return detached(out + raw.slice(from));
}

export function parseXml(doc: string, limits: XmlLimits = DEFAULT_XML_LIMITS): { root: string; value: XmlValue } {
  let pos = 0;
  const fail = (what: string): never => {
    throw new XmlSyntaxError(`${what} at offset ${pos}`);
  };
  let nodes = 0;
  /** Counts one node (element, attribute, comment, processing instruction, CDATA section) against the bound. */
  const counted = (): void => {
    if (++nodes > limits.maxNodes) fail(`more than ${limits.maxNodes} elements, attributes and other nodes`);
  };
  const skipSpace = (): void => {
    SPACE.lastIndex = pos;
    SPACE.exec(doc);
    pos = SPACE.lastIndex;
  };
  const expect = (s: string): void => {
    if (!doc.startsWith(s, pos)) fail(`expected ${s}`);
    pos += s.length;
  };
  const until = (end: string, what: string): string => {
    const i = doc.indexOf(end, pos);
    if (i < 0) fail(`unterminated ${what}`);
    const body = doc.slice(pos, i);
    pos = i + end.length;
    return body;
  };
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(doc);
    if (!m) return fail('expected a name');
    pos = NAME.lastIndex;
    return m[0];
  };
  /** Comments, processing instructions and (refused) DTDs between elements; true if one was consumed. */
  const misc = (): boolean => {
    if (doc.startsWith('<!--', pos)) {
      counted();
      pos += 4;
      if (until('-->', 'comment').includes('--')) fail('-- inside a comment');
      return true;
    }
    if (doc.startsWith('<!DOCTYPE', pos) || doc.startsWith('<!ENTITY', pos)) fail('document type declarations are not allowed');
    if (doc.startsWith('<?', pos)) {
      counted();
      pos += 2;
      if (/^xml$/i.test(name())) fail('XML declaration allowed only at the start of the document');
      until('?>', 'processing instruction');
      return true;
    }
    return false;
  };
  /** Reads a start tag after `<`; returns its name and whether it closed itself. */
  const startTag = (): { tag: string; selfClosing: boolean } => {
    counted();
    const tag = name();
    for (;;) {
      const before = pos;
      skipSpace();
      if (doc.startsWith('/>', pos)) {
        pos += 2;
        return { tag, selfClosing: true };
      }
      if (doc.startsWith('>', pos)) {
        pos += 1;
        return { tag, selfClosing: false };
      }
      if (pos === before) fail('expected whitespace before an attribute');
      counted();
      name();
      skipSpace();
      expect('=');
      skipSpace();
      const quote = doc[pos];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      pos += 1;
      decodeText(until(quote!, 'attribute value'));
    }
  };

  if (doc.startsWith('\uFEFF')) pos = 1;
  skipSpace();
  if (doc.startsWith('<?xml', pos) && /[\s?]/.test(doc[pos + 5] ?? '')) {
    pos += 5;
    until('?>', 'XML declaration');
  }
  for (;;) {
    skipSpace();
    if (!misc()) break;
  }
  if (doc[pos] !== '<') fail('expected the root element');
  pos += 1;
  const first = startTag();
  const rootName = first.tag;
  let rootValue: XmlValue | undefined = first.selfClosing ? '' : undefined;
  const stack: Open[] = first.selfClosing ? [] : [{ name: first.tag, text: '', children: null }];

  const close = (value: XmlValue, tag: string): void => {
    const parent = stack[stack.length - 1];
    if (!parent) {
      rootValue = value;
      return;
    }
    parent.children ??= Object.create(null) as XmlObject;
    const prev = parent.children[tag];
    if (prev === undefined) parent.children[tag] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else parent.children[tag] = [prev, value];
  };

  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const lt = doc.indexOf('<', pos);
    if (lt < 0) fail(`unclosed element ${top.name}`);
    if (lt > pos) {
      top.text += decodeText(doc.slice(pos, lt));
      pos = lt;
    }
    if (doc.startsWith('<![CDATA[', pos)) {
      counted();
      pos += 9;
      top.text += until(']]>', 'CDATA section');
    } else if (doc.startsWith('</', pos)) {
      pos += 2;
      const tag = name();
      if (tag !== top.name) fail(`end tag ${tag} does not match ${top.name}`);
      skipSpace();
      expect('>');
      stack.pop();
      close(top.children ?? top.text, tag);
    } else if (!misc()) {
      pos += 1;
      const { tag, selfClosing } = startTag();
      if (selfClosing) close('', tag);
      else if (stack.length >= MAX_DEPTH) fail('elements nested too deeply');
      else stack.push({ name: tag, text: '', children: null });
    }
  }
  for (;;) {
    skipSpace();
    if (!misc()) break;
  }
  if (pos < doc.length) fail('content after the root element');
  return { root: rootName, value: rootValue ?? '' };
}

// ---- Reading parsed request elements (the configuration readers: website, lifecycle, stored configurations) ----

/** A parsed element with child elements: child name → its value, or the list of values when it repeats. */
export type XmlElement = Record<string, unknown>;

export const malformedXml = (detail: string): AppError => new AppError('MalformedXML', undefined, { ErrorDetail: detail });

export const isXmlElement = (v: unknown): v is XmlElement => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Integer and decimal text as OSS configurations take them (at most 15 digits, so exact as numbers). */
export const INTEGER_TEXT = /^-?\d{1,15}$/;
export const NUMBER_TEXT = /^-?\d{1,15}(\.\d{1,15})?$/;

/** `true` / `false`, else undefined. */
export function boolText(t: string): boolean | undefined {
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

/** A child that may occur at most once (repeated: MalformedXML). */
export function singleChild(parent: XmlElement, name: string): unknown {
  const v = parent[name];
  if (Array.isArray(v)) throw malformedXml(`${name} may occur only once here.`);
  return v;
}

/** The text of a child that may occur at most once; an element with children where text belongs, or text over `maxLength`, is MalformedXML. */
export function childTextOnce(parent: XmlElement, name: string, maxLength = Number.POSITIVE_INFINITY): string | undefined {
  const v = singleChild(parent, name);
  if (v === undefined) return undefined;
  if (isXmlElement(v) && Object.keys(v).length === 0) return '';
  if (typeof v !== 'string') throw malformedXml(`${name} must be text.`);
  if (v.length > maxLength) throw malformedXml(`${name} is too long.`);
  return v;
}

/** A child element that may occur at most once; an empty one (`<Expiration></Expiration>`, or only whitespace inside) is present and empty. */
export function childElement(parent: XmlElement, name: string): XmlElement | undefined {
  const v = singleChild(parent, name);
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v.trim() === '') return Object.create(null) as XmlElement;
  if (!isXmlElement(v)) throw malformedXml(`${name} must contain elements.`);
  return v;
}

/** A child element that may repeat, as a list (empty when absent); more than `max` is InvalidArgument. */
export function childElements(parent: XmlElement, name: string, max = Number.POSITIVE_INFINITY): XmlElement[] {
  const v = parent[name];
  const list = v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  if (list.length > max) throw invalidArgument(`At most ${max} ${name} elements are allowed.`, name, String(list.length));
  return list.map((item: unknown) => {
    if (item === '') return Object.create(null) as XmlElement;
    if (!isXmlElement(item)) throw malformedXml(`${name} must contain elements.`);
    return item;
  });
}

/**
 * A boolean child (trimmed `true`/`false`); other text is `invalid` (MalformedXML or InvalidArgument naming it).
 * `loose`: any letter case, and an empty element counts as absent (SelectObject: oss2 writes `True`/`False`).
 */
export function childBool(parent: XmlElement, name: string, invalid: 'MalformedXML' | 'InvalidArgument', maxLength?: number, loose = false): boolean | undefined {
  const t = childTextOnce(parent, name, maxLength)?.trim();
  if (t === undefined || (loose && t === '')) return undefined;
  const b = boolText(loose ? t.toLowerCase() : t);
  if (b !== undefined) return b;
  throw invalid === 'MalformedXML' ? malformedXml(`${name} must be true or false.`) : invalidArgument(`${name} must be true or false.`, name, t.slice(0, 64));
}

/** An integer child (trimmed text matching `pattern`); other text is what `invalid` makes of it. */
export function childInt(parent: XmlElement, name: string, pattern: RegExp, invalid: (text: string) => AppError, maxLength?: number): number | undefined {
  const t = childTextOnce(parent, name, maxLength)?.trim();
  if (t === undefined) return undefined;
  if (!pattern.test(t)) throw invalid(t);
  return Number(t);
}
