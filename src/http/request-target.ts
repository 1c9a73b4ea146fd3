import type { IncomingMessage } from 'node:http';

/** `http://authority` or `https://authority` at the start of a request target, and what follows it. */
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/is;

/**
 * Turns an absolute-form request target (`GET http://bucket.oss-cn-hangzhou.aliyuncs.com/key HTTP/1.1`, what
 * a client configured with an HTTP proxy sends, and what aliyungo's OSS client sends through one) into the
 * origin form every later step reads, in place. RFC 9112 §3.2.2: a server MUST accept the absolute form, and
 * an origin server MUST then take the host from the target and ignore the Host header. The path and query
 * stay byte for byte as sent: signatures are computed over them.
 */
export function toOriginForm(req: IncomingMessage): void {
  const url = req.url;
  if (url === undefined || url.charCodeAt(0) === 0x2f /* '/' */) return;
  const m = ABSOLUTE_FORM.exec(url);
  if (m === null) return;
  const authority = m[1]!;
  const rest = m[2]!;
  req.url = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
  // Userinfo (`user@`) is no part of the host (RFC 9110 §4.2.4 forbids sending it; drop it if sent).
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  if (host !== '') req.headers.host = host;
}
