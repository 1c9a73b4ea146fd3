import { randomUUID } from 'node:crypto';
import { popWireForm, type AppError } from '../errors.js';
import type { OssResponse } from '../oss/context.js';
import { el, xmlDocument, type XmlNode } from '../oss/xml.js';
import { bounded } from '../oss/error-response.js';

// POP responses (spec sts-rpc §5): JSON or XML as `formatOf` (request.ts) decides. Success bodies never carry `Code`.

/** A response body value: scalars, objects, and arrays (XML: one element per item, named by the key). */
export type WireValue = string | number | boolean | WireObject | WireValue[] | undefined;
export interface WireObject {
  [key: string]: WireValue;
}

/** POP request ids are upper-case UUIDs. */
export function newPopRequestId(): string {
  return randomUUID().toUpperCase();
}

const JSON_TYPE = 'application/json;charset=utf-8';
const XML_TYPE = 'text/xml;charset=utf-8';

function toXml(name: string, value: WireValue): XmlNode[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => toXml(name, v));
  if (typeof value === 'object') return [el(name, Object.entries(value).flatMap(([k, v]) => toXml(k, v)))];
  return [el(name, value)];
}

function render(status: number, format: 'JSON' | 'XML', root: string, body: WireObject, requestId: string): OssResponse {
  const headers = { 'Content-Type': format === 'XML' ? XML_TYPE : JSON_TYPE, 'x-acs-request-id': requestId };
  const text = format === 'XML' ? xmlDocument(toXml(root, body)[0]!) : JSON.stringify(body);
  return { status, headers, body: text };
}

export function popSuccess(action: string, format: 'JSON' | 'XML', requestId: string, result: WireObject): OssResponse {
  if (format === 'JSON' && !Object.hasOwn(result, 'RequestId')) {
    // The same text as JSON.stringify({ RequestId, ...result }) without copying the result into a new object
    // property by property (a map transition each): the request id spliced in front of the result's own members.
    const json = JSON.stringify(result);
    const text = `{"RequestId":${JSON.stringify(requestId)}${json.length > 2 ? `,${json.slice(1)}` : '}'}`;
    return { status: 200, headers: { 'Content-Type': JSON_TYPE, 'x-acs-request-id': requestId }, body: text };
  }
  return render(200, format, `${action}Response`, { RequestId: requestId, ...result }, requestId);
}

/**
 * The POP error body `{RequestId, HostId, Code, Message, Recommend}` (+ `extra`) with the POP status; `messageMax`: the
 * message cut at that many characters, as OSS error documents cut what they echo.
 */
export function popError(err: AppError, format: 'JSON' | 'XML', requestId: string, hostId: string, product: string, extra?: WireObject, messageMax?: number): OssResponse {
  const wire = popWireForm(err);
  return render(wire.status, format, 'Error', {
    RequestId: requestId,
    HostId: hostId,
    Code: wire.code,
    Message: messageMax === undefined ? wire.message : bounded(wire.message, messageMax),
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(wire.code)}&product=${product}&requestId=${requestId}`,
    // A denial's AccessDeniedDetail (EncodedDiagnosticMessage, docs/ram.md).
    ...extra,
  }, requestId);
}
