import { AppError, ossWireForm, type ErrorDetail } from '../errors.js';
import type { OssResponse } from './context.js';
import { NOT_XML_CHAR } from '../util/xml-chars.js';
import { el, xmlDocument, type XmlNode } from './xml.js';

/** Error details that OSS also sends as response headers. */
const DETAIL_HEADERS: Record<string, string> = {
  NextAppendPosition: 'x-oss-next-append-position',
  // A read that meets a delete marker (docs/versioning.md).
  DeleteMarker: 'x-oss-delete-marker',
  DeleteMarkerVersionId: 'x-oss-version-id',
};

/**
 * Bounds on what an error echoes back. Values come from the request (a signature, an argument, a
 * string to sign) and must not let a client blow up the answer: in the XML body each value is cut at
 * 8 KiB; in a HEAD's x-oss-err header (one header line, which clients cap at 8–16 KiB) values are cut
 * at 256 characters, the message at 1 KiB, and the extras are dropped if the document still exceeds 4 KiB.
 */
export const ERROR_ECHO_LIMITS = { bodyValueChars: 8 * 1024, headValueChars: 256, headMessageChars: 1024, headDocBytes: 4 * 1024 } as const;

// Characters XML 1.0 cannot carry at all: an echoed value holding one would make the whole document unreadable.
const NOT_XML = new RegExp(NOT_XML_CHAR.source, 'g');

/** `value` cut at `max` characters (`…[N more characters]`), characters XML cannot carry as U+FFFD: an echo of the request. */
export function bounded(value: string, max: number): string {
  const clean = value.replace(NOT_XML, '\ufffd');
  return clean.length <= max ? clean : `${clean.slice(0, max)}…[${clean.length - max} more characters]`;
}

/**
 * Renders an AppError as OSS does (spec §10): XML body Code, Message, RequestId, HostId, extras, EC,
 * RecommendDoc; HEAD requests get no body but the same XML base64-encoded in x-oss-err; 304 is bare.
 * `more`: elements after the extras (a denial's AccessDeniedDetail, built by the caller, bounded).
 */
export function ossErrorResponse(err: AppError, requestId: string, hostId: string, method: string, more: readonly XmlNode[] = []): OssResponse {
  const headers: Record<string, string> = {};
  for (const [name, h] of Object.entries(DETAIL_HEADERS)) {
    if (err.detail[name] !== undefined) headers[h] = err.detail[name]!;
  }
  if (err.code === 'NotModified') return { status: 304, headers };
  const wire = ossWireForm(err);
  const ec = wire.ec;
  if (ec !== undefined) headers['x-oss-ec'] = ec;
  const extras = Object.entries(err.detail as ErrorDetail).filter(([k]) => !(k in DETAIL_HEADERS));
  const render = (valueMax: number, messageMax: number, withExtras: boolean): string =>
    xmlDocument(
      el('Error', [
        el('Code', wire.code),
        el('Message', bounded(wire.message, messageMax)),
        el('RequestId', requestId),
        el('HostId', bounded(hostId, valueMax)),
        ...(withExtras ? extras.map(([k, v]) => el(k, bounded(v, valueMax))) : []),
        ...(withExtras ? more : []),
        ec !== undefined && el('EC', ec),
        ec !== undefined && el('RecommendDoc', `https://api.aliyun.com/troubleshoot?q=${ec}`),
      ]),
    );
  if (method === 'HEAD') {
    const { headValueChars, headMessageChars, headDocBytes } = ERROR_ECHO_LIMITS;
    let doc = render(headValueChars, headMessageChars, true);
    if (Buffer.byteLength(doc) > headDocBytes) doc = render(headValueChars, headMessageChars, false);
    headers['x-oss-err'] = Buffer.from(doc, 'utf8').toString('base64');
    return { status: wire.status, headers };
  }
  const doc = render(ERROR_ECHO_LIMITS.bodyValueChars, ERROR_ECHO_LIMITS.bodyValueChars, true);
  return { status: wire.status, headers: { ...headers, 'Content-Type': 'application/xml' }, body: doc };
}
