import { DOMParser } from '@xmldom/xmldom';

// A strict XML 1.0 reading of a response, as the Go SDK (encoding/xml), the Java SDKs and Python's ElementTree
// read it: the Char production (§2.2) for raw characters and for character references (`&#1;` is not
// well-formed: WFC Legal Character), which xmldom lets through, then xmldom with every error fatal.

const NOT_XML_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;
const REFERENCE = /&#(?:x([0-9A-Fa-f]+)|([0-9]+));/g;

const isXmlChar = (cp: number): boolean =>
  cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

function parse(text: string): Document {
  return new DOMParser({
    onError: (level: string, message: string) => {
      if (level !== 'warning') throw new Error(message.split('\n')[0] ?? message);
    },
  }).parseFromString(text, 'text/xml') as unknown as Document;
}

/** The first reason `text` is not an XML 1.0 document, or null when a strict parser reads it. */
export function strictXmlError(text: string): string | null {
  const raw = NOT_XML_CHAR.exec(text);
  if (raw) return `raw U+${raw[0].charCodeAt(0).toString(16).padStart(4, '0')} at offset ${raw.index}`;
  for (const m of text.matchAll(REFERENCE)) {
    const cp = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number(m[2]);
    if (!isXmlChar(cp)) return `reference ${m[0]} to a character XML 1.0 does not allow, at offset ${m.index}`;
  }
  try {
    parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

/** The text of every element named `name`, as a strict parser reads it (references decoded). */
export function strictTexts(text: string, name: string): string[] {
  const els = parse(text).getElementsByTagName(name);
  const out: string[] = [];
  for (let i = 0; i < els.length; i++) out.push(els.item(i)?.textContent ?? '');
  return out;
}
