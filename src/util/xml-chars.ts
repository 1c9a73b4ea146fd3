import { invalidArgument } from '../errors.js';

// What an XML 1.0 document can carry (the Char production, §2.2): tab, LF, CR and everything from U+0020 on,
// except the surrogates (never in a well-formed JS string read from UTF-8) and U+FFFE / U+FFFF. The other C0
// controls are refused by strict parsers (Go encoding/xml, the Java SDKs, Python's ElementTree) both raw and
// as character references, so a configuration value holding one could be stored but never read back by them.

/** One character XML 1.0 cannot carry, raw or as a reference. */
export const NOT_XML_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

/** Whether every character of `text` can be written in an XML 1.0 document (CR as `&#13;`). */
export function xmlCarries(text: string): boolean {
  return !NOT_XML_CHAR.test(text);
}

/** Any control character (C0 and DEL) or a character XML 1.0 cannot carry: for values that may hold no control at all. */
export const CONTROL_OR_NOT_XML = /[\x00-\x1f\x7f\ufffe\uffff]/;

/**
 * Refuses text a configuration would write back in an XML answer when it holds a character XML 1.0 cannot carry:
 * InvalidArgument with `message`, naming `argument`, echoing the start of the value. Absent text passes.
 */
export function requireXmlText(text: string | undefined, message: string, argument: string): void {
  if (text !== undefined && !xmlCarries(text)) throw invalidArgument(message, argument, text.slice(0, 64));
}
