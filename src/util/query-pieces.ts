/**
 * The `name=value` pieces of a query string as sent: split on `&` (empty pieces skipped) and on each piece's first
 * `=` (none: an empty value), nothing decoded. The one split of a query: the OSS parser (oss/address.ts parseQuery)
 * decodes these pieces, and V4 verification signs them as they came (auth/signature/v4.ts), so both see the same
 * parameters.
 */
export function forEachQueryPiece(raw: string, piece: (name: string, value: string) => void): void {
  if (raw === '') return;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) piece(part, '');
    else piece(part.slice(0, eq), part.slice(eq + 1));
  }
}
