import { AppError, ossWireForm, type ErrorDetail } from '../errors.js';
import type { OssResponse } from './context.js';
import { el, xmlDocument } from './xml.js';

/** Error details that OSS also sends as response headers. */
const DETAIL_HEADERS: Record<string, string> = { NextAppendPosition: 'x-oss-next-append-position' };

/**
 * Renders an AppError as OSS does (spec §10): XML body Code, Message, RequestId, HostId, extras, EC,
 * RecommendDoc; HEAD requests get no body but the same XML base64-encoded in x-oss-err; 304 is bare.
 */
export function ossErrorResponse(err: AppError, requestId: string, hostId: string, method: string): OssResponse {
  const headers: Record<string, string> = {};
  for (const [name, h] of Object.entries(DETAIL_HEADERS)) {
    if (err.detail[name] !== undefined) headers[h] = err.detail[name]!;
  }
  if (err.code === 'NotModified') return { status: 304, headers };
  const wire = ossWireForm(err);
  const ec = wire.ec;
  if (ec !== undefined) headers['x-oss-ec'] = ec;
  const extras = Object.entries(err.detail as ErrorDetail).filter(([k]) => !(k in DETAIL_HEADERS));
  const doc = xmlDocument(
    el('Error', [
      el('Code', wire.code),
      el('Message', wire.message),
      el('RequestId', requestId),
      el('HostId', hostId),
      ...extras.map(([k, v]) => el(k, v)),
      ec !== undefined && el('EC', ec),
      ec !== undefined && el('RecommendDoc', `https://api.aliyun.com/troubleshoot?q=${ec}`),
    ]),
  );
  if (method === 'HEAD') {
    headers['x-oss-err'] = Buffer.from(doc, 'utf8').toString('base64');
    return { status: wire.status, headers };
  }
  return { status: wire.status, headers: { ...headers, 'Content-Type': 'application/xml' }, body: doc };
}
