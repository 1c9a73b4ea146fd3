// A cheap, linear pre-scan of XML text before it reaches @xmldom/xmldom: xmldom spends hundreds of milliseconds
// on tens of thousands of elements (or deep nesting), and its callers (AssumeRoleWithSAML) are anonymous, so the
// shape is bounded first. Counts are conservative: anything that may be an element or attribute counts as one.

export interface XmlShapeLimits {
  /** Most element start tags. */
  maxElements: number;
  /** Deepest nesting of elements. */
  maxDepth: number;
  /** Most attributes (namespace declarations included), over the whole document. */
  maxAttributes: number;
}

/** Whether `text` stays within `limits` (it may still be malformed: the parser decides that). */
export function xmlShapeWithin(text: string, limits: XmlShapeLimits): boolean {
  let elements = 0;
  let attributes = 0;
  let depth = 0;
  let i = text.indexOf('<');
  while (i !== -1 && i < text.length) {
    const next = text.charCodeAt(i + 1);
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) return true;
      i = text.indexOf('<', end + 3);
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end === -1) return true;
      i = text.indexOf('<', end + 3);
      continue;
    }
    if (next === 0x3f /* ? */ || next === 0x21 /* ! */) {
      const end = text.indexOf('>', i + 2);
      if (end === -1) return true;
      i = text.indexOf('<', end + 1);
      continue;
    }
    if (next === 0x2f /* / */) {
      depth = Math.max(0, depth - 1);
      const end = text.indexOf('>', i + 2);
      if (end === -1) return true;
      i = text.indexOf('<', end + 1);
      continue;
    }
    // A start tag: walk to its closing '>' outside quotes, counting attributes ('=' outside quotes).
    if (++elements > limits.maxElements) return false;
    let j = i + 1;
    let quote = 0;
    let selfClosing = false;
    for (; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (quote !== 0) {
        if (c === quote) quote = 0;
      } else if (c === 0x22 || c === 0x27) quote = c;
      else if (c === 0x3d /* = */) {
        if (++attributes > limits.maxAttributes) return false;
      } else if (c === 0x3e /* > */) {
        selfClosing = text.charCodeAt(j - 1) === 0x2f;
        break;
      }
    }
    if (j >= text.length) return true;
    if (!selfClosing && ++depth > limits.maxDepth) return false;
    i = text.indexOf('<', j + 1);
  }
  return true;
}
