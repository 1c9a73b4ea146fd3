// The DOM for SAML documents (metadata, responses), which xml-crypto needs: @xmldom/xmldom, with the input
// bounded and any DOCTYPE refused up front (no entities, no external references), parse errors as null.
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { xmlShapeWithin, type XmlShapeLimits } from './xml-shape.js';

export const SAML_NS = {
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

/** Parses `text` as XML; null when it is not well-formed, is too large (length, or `shape`) or declares a DOCTYPE. */
export function parseSamlXml(text: string, maxChars: number, shape?: XmlShapeLimits): Document | null {
  if (text.length > maxChars || /<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) return null;
  if (shape && !xmlShapeWithin(text, shape)) return null;
  let failed = false;
  const parser = new DOMParser({
    onError: (level) => {
      if (level !== 'warning') failed = true;
    },
  });
  try {
    const doc = parser.parseFromString(text, 'text/xml');
    if (failed || !doc.documentElement) return null;
    return doc;
  } catch {
    return null;
  }
}

/** Element children of `node` (in document order) with this namespace and local name. */
export function childrenNS(node: Node, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).namespaceURI === ns && (c as Element).localName === local) out.push(c as Element);
  }
  return out;
}

/** Every descendant element with this namespace and local name. */
export function descendantsNS(node: Document | Element, ns: string, local: string): Element[] {
  return Array.from(node.getElementsByTagNameNS(ns, local));
}

/** The text content, trimmed. */
export function textOf(el: Element | undefined): string {
  return (el?.textContent ?? '').trim();
}
