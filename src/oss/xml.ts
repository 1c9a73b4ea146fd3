import { AppError } from '../errors.js';
import { parseXml, XmlSyntaxError } from './xml-reader.js';

/** A rendered XML element. Elements render as they are built (no tree), which keeps listings cheap. */
export type XmlNode = string & { readonly __xml: true };
export type XmlChild = XmlNode | undefined | false;

// `&`, `<`, `>`, and the characters a parser would not give back as written: CR (read as LF) and the other
// C0 controls (XML 1.0 forbids them raw; OSS keys may hold them), written as character references.
const ESCAPE_NEEDED = /[&<>\x00-\x08\x0B\x0C\x0D\x0E-\x1F]/;
const ESCAPE_ALL = /[&<>\x00-\x08\x0B\x0C\x0D\x0E-\x1F]/g;
const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const escapeChar = (c: string): string => ESC[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;

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
 * Parses a request body (see xml-reader.ts: every character reference is decoded, DTDs are refused);
 * MalformedXML if it is not XML or its root is not `root`.
 */
export function parseXmlBody(text: string, root: string): Record<string, unknown> {
  let doc: ReturnType<typeof parseXml>;
  try {
    doc = parseXml(text);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new AppError('MalformedXML', undefined, { ErrorDetail: err.message });
    throw err;
  }
  if (doc.root !== root) {
    throw new AppError('MalformedXML', undefined, { ErrorDetail: `the root node is not named ${root}.` });
  }
  const body = doc.value;
  if (typeof body === 'string') {
    if (body.trim() === '') return {};
    throw new AppError('MalformedXML', undefined, { ErrorDetail: `${root} has no child elements.` });
  }
  return body;
}

/** A child that may occur once or many times, as an array. */
export function many(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
