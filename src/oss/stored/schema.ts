import { invalidArgument, type AppError } from '../../errors.js';
import { xmlCarries } from '../../util/xml-chars.js';
import { el, many, parseXmlBody, type XmlNode } from '../xml.js';
import { boolText, INTEGER_TEXT, malformedXml, NUMBER_TEXT } from '../xml-reader.js';
import type { SchemaNode } from './schemas.js';

// Request bodies of stored configurations are checked against the published schema (scripts/gen-oss-stored.mjs):
// every element must be one the schema names at that place (unknown ones are MalformedXML, as OSS refuses
// them), an element that does not repeat in the schema may not repeat, published `required` elements must be
// present, and text is typed: integer, boolean, number and enum values are InvalidArgument when wrong. What
// is kept is the normalized document (schema order, repeated elements as arrays, typed text trimmed), so a
// Get renders it in the published element order whatever order the request used.

/** A validated document: element name → text, child document, or the list of a repeated element. */
export interface Doc {
  [name: string]: DocValue;
}
export type DocValue = string | Doc | Array<string | Doc>;

/** Extra bounds a configuration puts on its elements, by dotted path below the root (e.g. `TagSet.Tag`). */
export interface Bounds {
  /** Most occurrences of a repeated element. */
  maxItems?: Readonly<Record<string, number>>;
  /** Longest text (characters) of an element. */
  maxLength?: Readonly<Record<string, number>>;
  /** Elements required besides those the metadata marks. */
  required?: readonly string[];
  /**
   * The refusal of text holding a character XML 1.0 cannot carry (a C0 control other than tab, LF, CR, sent as
   * `&#1;`; U+FFFE, U+FFFF): InvalidArgument naming the element unless the configuration documents another code.
   */
  notXml?: (path: string, text: string) => AppError;
  /**
   * The EC OSS gives a refused value of an element (dotted path): length, type and enumeration refusals of that
   * element's text carry it instead of the generic InvalidArgument EC.
   */
  ecs?: Readonly<Record<string, string>>;
  /**
   * Elements (dotted paths) the schema does not name that OSS accepts and ignores, e.g. an SDK's misspelling:
   * dropped, with whatever they hold. Any other unknown element stays MalformedXML.
   */
  ignored?: readonly string[];
  /**
   * Elements (dotted paths) the schema does not name that turn on a feature Alunite lacks: refused with the error
   * given (what OSS answers an account without the feature), never MalformedXML and never silently dropped.
   */
  unsupported?: Readonly<Record<string, () => AppError>>;
  /**
   * Elements (dotted paths) whose value of the wrong type, or outside their enumeration, OSS refuses as MalformedXML
   * rather than InvalidArgument (oss2 expects MalformedXML for `aa` in ArchiveDirectRead's `Enabled`,
   * test_bucket_archive_direct_read, and in AccessMonitor's `Status`, test_bucket_access_monitor).
   */
  malformedValues?: readonly string[];
}

const DEFAULT_MAX_ITEMS = 1000;
const DEFAULT_MAX_LENGTH = 4096;

const malformed = malformedXml;

function typedText(node: Extract<SchemaNode, { t: 's' | 'i' | 'b' | 'n' }>, raw: string, path: string, bounds: Bounds): string {
  const ec = bounds.ecs?.[path];
  const refuse = (message: string, name: string, value: string): AppError => invalidArgument(message, name, value, ec);
  const typeRefusal = (message: string, name: string, value: string): AppError => (bounds.malformedValues?.includes(path) ? malformed(message) : refuse(message, name, value));
  const max = bounds.maxLength?.[path] ?? DEFAULT_MAX_LENGTH;
  if (raw.length > max) throw refuse(`${path} is longer than ${max} characters.`, path, raw.slice(0, 64));
  // Stored as sent, it would be written back raw in the Get, which strict XML 1.0 readers refuse (the Go, Java
  // and Python SDKs): the configuration could then never be read through them.
  if (!xmlCarries(raw)) {
    throw bounds.notXml?.(path, raw) ?? invalidArgument(`${path} holds a control character that XML 1.0 cannot carry.`, path, raw.slice(0, 64));
  }
  // Booleans in any letter case (oss2 writes Python's `True`/`False`, e.g. an inventory's IsEnabled), kept lower-case
  // as the Get writes them back (oss2's parsers accept only `true`/`false`).
  const v = node.t === 's' ? raw : node.t === 'b' ? raw.trim().toLowerCase() : raw.trim();
  switch (node.t) {
    case 'i':
      if (!INTEGER_TEXT.test(v)) throw typeRefusal(`${path} must be an integer.`, path, v);
      break;
    case 'n':
      if (!NUMBER_TEXT.test(v)) throw typeRefusal(`${path} must be a number.`, path, v);
      break;
    case 'b':
      if (boolText(v) === undefined) throw typeRefusal(`${path} must be true or false.`, path, v);
      break;
    default:
      break;
  }
  if (node.e !== undefined && !node.e.includes(v)) throw typeRefusal(`${path} must be one of ${node.e.join(', ')}.`, path, v);
  return v;
}

/** Validates one parsed element (xml-reader's value) against its schema node; `path` names it in errors. */
export function validateNode(node: SchemaNode, value: unknown, path: string, bounds: Bounds): string | Doc {
  if (node.t !== 'o') {
    if (typeof value !== 'string') throw malformed(`${path} must hold text.`);
    return typedText(node, value, path, bounds);
  }
  if (typeof value === 'string') {
    if (value.trim() !== '') throw malformed(`${path} must hold elements, not text.`);
    value = {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${path} is not an element.`);
  const given = value as Record<string, unknown>;
  const props = new Map(node.p.map(([name, child, flags]) => [name, { child, flags }]));
  for (const name of Object.keys(given)) {
    const namePath = path === '' ? name : `${path}.${name}`;
    if (props.has(name) || bounds.ignored?.includes(namePath) === true) continue;
    const refusal = bounds.unsupported?.[namePath];
    if (refusal !== undefined) throw refusal();
    throw malformed(`${path === '' ? 'The document' : path} has an unknown element ${name}.`);
  }
  const out: Doc = {};
  for (const [name, child, flags] of node.p) {
    const childPath = path === '' ? name : `${path}.${name}`;
    const v = given[name];
    if (v === undefined) {
      if (flags.includes('r') || bounds.required?.includes(childPath)) throw malformed(`${childPath} is missing.`);
      continue;
    }
    if (flags.includes('m')) {
      const items = Array.isArray(v) ? v : [v];
      const max = bounds.maxItems?.[childPath] ?? DEFAULT_MAX_ITEMS;
      if (items.length > max) throw invalidArgument(`At most ${max} ${name} elements are allowed in ${path || 'the document'}.`, childPath, String(items.length));
      out[name] = items.map((item) => validateNode(child, item, childPath, bounds));
    } else {
      if (Array.isArray(v)) throw malformed(`${childPath} may occur only once.`);
      out[name] = validateNode(child, v, childPath, bounds);
    }
  }
  return out;
}

/** Parses and validates a request document with root `root`. */
export function validateDocument(text: string, root: string, node: SchemaNode, bounds: Bounds = {}): Doc {
  const parsed = parseXmlBody(text, root);
  const doc = validateNode(node, parsed, '', bounds);
  if (typeof doc === 'string') throw malformed(`${root} must hold elements.`);
  return doc;
}

/**
 * Renders a document as element `name` in the schema's order; elements the schema does not name (a stored
 * document read through a response schema that lacks them) are left out.
 */
export function renderNode(name: string, node: SchemaNode, value: DocValue | undefined): XmlNode | undefined {
  if (value === undefined) return undefined;
  if (node.t !== 'o') return typeof value === 'string' ? el(name, value) : undefined;
  if (typeof value === 'string' || Array.isArray(value)) return el(name, []);
  const children: XmlNode[] = [];
  for (const [child, childNode] of node.p) {
    const v = value[child];
    if (v === undefined) continue;
    const items = Array.isArray(v) ? v : [v];
    for (const item of items) {
      const r = renderNode(child, childNode, item);
      if (r !== undefined) children.push(r);
    }
  }
  return el(name, children);
}

/** A child document (or undefined), for configurations that read their own fields. */
export function child(doc: Doc, name: string): Doc | undefined {
  const v = doc[name];
  return typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

/** A child's text (or undefined). */
export function textOf(doc: Doc, name: string): string | undefined {
  const v = doc[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeated child as a new list (empty when absent): stored values are shared and never changed in place. */
export function listOf(doc: Doc, name: string): Array<string | Doc> {
  return [...(many(doc[name]) as Array<string | Doc>)];
}
