import { XMLParser } from 'fast-xml-parser';
import { AppError } from '../errors.js';

/** An XML element: name, then text or child elements (undefined children are skipped). */
export type XmlNode = [string, string | number | boolean | XmlNode[]];
export type XmlChild = XmlNode | undefined | false;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

function render(node: XmlNode): string {
  const [name, value] = node;
  if (Array.isArray(value)) return `<${name}>${value.map(render).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** Builds an element; falsy children are dropped so optional elements read naturally. */
export function el(name: string, value: string | number | boolean | XmlChild[]): XmlNode {
  return [name, Array.isArray(value) ? (value.filter(Boolean) as XmlNode[]) : value];
}

export function xmlDocument(root: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(root)}`;
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
