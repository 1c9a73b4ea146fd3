import { AppError } from '../errors.js';
import type { OssRequest } from './context.js';
import { assertHeaderValue, wireText } from './headers.js';

// What a GET's answer headers may be changed to by its query (`response-*`), and the guard that keeps a browser
// from running a bucket's page on this origin. GetObject and image processing (a GetObject with x-oss-process)
// both answer through these, so a processed image cannot be relabelled text/html and rendered either.

const RESPONSE_OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

/** Sets the headers the query's `response-*` parameters name; an anonymous caller may not (InvalidRequest, as OSS). */
export function applyResponseOverrides(req: OssRequest, headers: Record<string, string>): void {
  const overrides = req.query.size === 0 ? [] : RESPONSE_OVERRIDES.filter(([q]) => req.query.has(q));
  if (overrides.length > 0 && req.principal.type === 'anonymous') {
    throw new AppError('InvalidRequest', 'Request specific response headers cannot be used for anonymous GET requests.');
  }
  // Query values are text; send them as UTF-8 bytes (stored headers are already wire bytes).
  for (const [q, h] of overrides) {
    const value = wireText(req.query.get(q)!);
    assertHeaderValue(q, value);
    headers[h] = value;
  }
}

// Pages a browser would run (HTML, XHTML, SVG) are never rendered from this origin: the web console is served
// here too (/-/console/), and a page from a bucket would run with its rights. OSS does the same on its default
// domains (web pages: type text/html or extensions htm, html, jsp, plg, htx, stm): `Content-Disposition:
// attachment` and `x-oss-force-download: true`, whatever the stored or requested disposition.
// XML documents count too: browsers render text/xml, application/xml and any +xml type as a document in which
// an XHTML-namespace <script> runs, or an XSLT sheet turns it into HTML; multipart/x-mixed-replace renders its parts.
const ACTIVE_TYPES = new Set(['text/html', 'application/xhtml+xml', 'image/svg+xml', 'text/xml', 'application/xml', 'text/xsl', 'multipart/x-mixed-replace']);
const ACTIVE_EXTENSIONS = new Set(['htm', 'html', 'shtml', 'xhtml', 'xht', 'jsp', 'plg', 'htx', 'stm', 'svg', 'svgz', 'xml', 'xsl', 'xslt']);

/** Whether a Content-Type value names active content. Browsers read a comma list as its last valid type, so any member counts. */
function namesActiveType(value: string): boolean {
  return value.split(',').some((member) => {
    const type = member.split(';')[0]!.trim().toLowerCase();
    return ACTIVE_TYPES.has(type) || type.endsWith('+xml');
  });
}

/** Content-Type values seen → active or not: a GET asks for each, and a bucket's objects share a few types. */
const activeByType = new Map<string, boolean>();

/** Longer values are checked each time: the memo holds at most 1,024 × 256 characters a client chose. */
const MEMO_MAX_ENTRIES = 1024;
const MEMO_MAX_LENGTH = 256;

function isActiveType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value.length > MEMO_MAX_LENGTH) return namesActiveType(value);
  let active = activeByType.get(value);
  if (active === undefined) {
    active = namesActiveType(value);
    // Bounded: a client storing endless distinct types only empties it now and then.
    if (activeByType.size >= MEMO_MAX_ENTRIES) activeByType.clear();
    activeByType.set(value, active);
  }
  return active;
}

/** A key's extension, lower-cased ('' for none). */
function extension(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/**
 * `key`: the requested key, `dataKey` the key whose bytes are read (through a symlink, the target's);
 * `storedType`: that object's own Content-Type (the answer carries the link's, but the bytes are the target's).
 */
export function forceDownloadOfActiveContent(headers: Record<string, string>, key: string, dataKey: string, storedType: string | undefined): void {
  // nosniff: a browser must not guess HTML in a body labelled otherwise.
  headers['X-Content-Type-Options'] = 'nosniff';
  const active = isActiveType(headers['Content-Type']) || isActiveType(storedType);
  if (!active && !ACTIVE_EXTENSIONS.has(extension(key)) && !ACTIVE_EXTENSIONS.has(extension(dataKey))) return;
  const disposition = headers['Content-Disposition'];
  if (disposition === undefined || !/^\s*attachment\s*(;|$)/i.test(disposition)) headers['Content-Disposition'] = 'attachment';
  headers['x-oss-force-download'] = 'true';
}
