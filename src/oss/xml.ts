import { AppError } from '../errors.js';
import { decodeUtf8Strict } from '../util/utf8.js';
import { DEFAULT_XML_LIMITS, parseXml, XmlSyntaxError, type XmlLimits } from './xml-reader.js';

/** A rendered XML element. Elements render as they are built (no tree), which keeps listings cheap. */
export type XmlNode = string & { readonly __xml: true };
export type XmlChild = XmlNode | undefined | false;

// `&`, `<`, `>`, and CR as `&#13;`: a parser reads a raw CR as LF, so a key holding one would come back
// changed. The other C0 controls OSS keys may hold stay raw: XML 1.0 allows them neither raw nor as
// references, and of the parsers that meet them without encoding-type=url (the Go SDK, oss2 and the Java SDK
// list with url encoding), ali-oss's sax reads them raw but refuses `&#12;`.
const ESCAPE_NEEDED = /[&<>\r]/;
const ESCAPE_ALL = /[&<>\r]/g;
const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const escapeChar = (c: string): string => ESC[c]!;

/** Escapes element text (quotes need no escaping in text, and OSS writes ETag quotes literally). */
export function escapeXml(s: string): string {
  return ESCAPE_NEEDED.test(s) ? s.replace(ESCAPE_ALL, escapeChar) : s;
}

/** Builds an element from text or children; falsy children are dropped so optional elements read naturally. */
export function el(name: string, value: string | number | boolean | XmlChild[]): XmlNode {
  if (!Array.isArray(value)) return `<${name}>${escapeXml(String(value))}</${name}>` as XmlNode;
  let inner = '';
  for (const child of value) if (child) inner += child;
  return `<${name}>${inner}</${name}>` as XmlNode;
}

export function xmlDocument(root: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}`;
}

/**
 * A request body's bytes as the text of an XML document: UTF-8, strictly. Bytes that are not UTF-8 are
 * MalformedXML (XML 1.0 §4.3.3 makes them a fatal error); read leniently they would become U+FFFD and a
 * configuration would be stored as something other than what was sent.
 */
export function xmlText(raw: Buffer): string {
  const text = decodeUtf8Strict(raw);
  if (text === undefined) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'the body is not valid UTF-8.' });
  return text;
}

/**
 * Parses a request body (see xml-reader.ts: every character reference is decoded, DTDs are refused);
 * MalformedXML if it is not XML, holds more nodes than `limits` allow, or its root is not `root` (or one of the
 * names, when a request takes several).
 */
export function parseXmlBody(text: string, root: string | readonly string[], limits: XmlLimits = DEFAULT_XML_LIMITS): Record<string, unknown> {
  let doc: ReturnType<typeof parseXml>;
  try {
    doc = parseXml(text, limits);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new AppError('MalformedXML', undefined, { ErrorDetail: err.message });
    throw err;
  }
  const roots: readonly string[] = typeof root === 'string' ? [root] : root;
  if (!roots.includes(doc.root)) {
    throw new AppError('MalformedXML', undefined, { ErrorDetail: `the root node is not named ${roots.join(' or ')}.` });
  }
  const body = doc.value;
  if (typeof body === 'string') {
    if (body.trim() === '') return {};
    throw new AppError('MalformedXML', undefined, { ErrorDetail: `${doc.root} has no child elements.` });
  }
  return body;
}

/** A child that may occur once or many times, as an array. */
export function many(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The text of a parsed element that must hold text, or undefined when it is absent. An element with child
 * elements there, or one repeated where a single one belongs, is MalformedXML (never read as absent or empty:
 * a configuration accepted that way would come back without what was sent). An empty element is ''.
 */
export function text(value: unknown, name = 'An element'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return '';
  const detail = Array.isArray(value) ? `${name} may occur only once here.` : `${name} must hold text.`;
  throw new AppError('MalformedXML', undefined, { ErrorDetail: detail });
}

/** A child element's text (see `text`), or undefined when it is absent. */
export function childText(node: Record<string, unknown>, name: string): string | undefined {
  return text(node[name], name);
}
