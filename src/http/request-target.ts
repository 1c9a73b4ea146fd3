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
  absolute.add(req);
  const authority = m[1]!;
  const rest = m[2]!;
  req.url = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
  // Userinfo (`user@`) is no part of the host (RFC 9110 §4.2.4 forbids sending it; drop it if sent).
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  if (host !== '') req.headers.host = host;
}

const absolute = new WeakSet<IncomingMessage>();

/**
 * Whether the request came with an absolute-form target. Such a request is never one for the server's own
 * `/-/` endpoints (health, metrics, console, reset): the clients that send this form are OSS clients behind a
 * proxy setting, and a front proxy that guards `/-/` by the raw target would not see the path in that form.
 */
export function cameAbsolute(req: IncomingMessage): boolean {
  return absolute.has(req);
}
