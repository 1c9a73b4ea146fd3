import { XMLParser } from 'fast-xml-parser';
import { AppError } from '../errors.js';

/** A rendered XML element. Elements render as they are built (no tree), which keeps listings cheap. */
export type XmlNode = string & { readonly __xml: true };
export type XmlChild = XmlNode | undefined | false;

const ESCAPE_NEEDED = /[&<>]/;
const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes element text (quotes need no escaping in text, and OSS writes ETag quotes literally). */
export function escapeXml(s: string): string {
  return ESCAPE_NEEDED.test(s) ? s.replace(/[&<>]/g, (c) => ESC[c]!) : s;
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

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  ignoreDeclaration: true,
});

/** Parses a request body; MalformedXML if it is not XML or its root is not `root`. */
export function parseXmlBody(text: string, root: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parser.parse(text, true);
  } catch {
    throw new AppError('MalformedXML');
  }
  if (typeof doc !== 'object' || doc === null || !(root in doc)) {
    throw new AppError('MalformedXML', undefined, { ErrorDetail: `the root node is not named ${root}.` });
  }
  const body = (doc as Record<string, unknown>)[root];
  if (body === '' || body === undefined) return {};
  if (typeof body !== 'object' || body === null) throw new AppError('MalformedXML');
  return body as Record<string, unknown>;
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
