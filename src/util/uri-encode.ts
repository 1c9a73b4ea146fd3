/**
 * RFC 3986 percent-encoding of UTF-8 bytes: everything but A-Z a-z 0-9 - _ . ~ becomes upper-case %XX
 * (`encodeURIComponent` leaves ! ' ( ) * raw). Used by V4 and POP signatures and `encoding-type=url`.
 */
const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const SUB_DELIMS = /[!'()*]/;

export function uriEncode(s: string, keepSlash = false): string {
  // Most names and values (actions, versions, AccessKeyIds, nonces) need no escaping at all.
  if (UNRESERVED.test(s)) return s;
  let enc = encodeURIComponent(s);
  if (SUB_DELIMS.test(enc)) enc = enc.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? enc.replace(/%2F/g, '/') : enc;
}
