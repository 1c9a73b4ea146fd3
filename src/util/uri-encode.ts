/**
 * RFC 3986 percent-encoding of UTF-8 bytes: everything but A-Z a-z 0-9 - _ . ~ becomes upper-case %XX
 * (`encodeURIComponent` leaves ! ' ( ) * raw). Used by V4 and POP signatures and `encoding-type=url`.
 */
export function uriEncode(s: string, keepSlash = false): string {
  const enc = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? enc.replace(/%2F/g, '/') : enc;
}
