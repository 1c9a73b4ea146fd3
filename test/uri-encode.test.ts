import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uriEncode } from '../src/util/uri-encode.js';

/** Byte-by-byte reference (RFC 3986 unreserved set kept, every other UTF-8 byte as upper-case %XX). */
function reference(s: string, keepSlash: boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/') ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

describe('uriEncode', () => {
  it('matches a byte-wise RFC 3986 encoder, with and without keepSlash, fast path or not', () => {
    const samples = ['', 'AssumeRole', '2015-04-01', 'a-b_c.d~e', 'acs:ram::123:role/x', "!'()*", 'a b+c', 'a/b/c', '%2F', 'ü€𝄞', 'k=v&x', 'LTAI5t.AZaz09', '/', '~~'];
    for (const s of samples) {
      for (const keep of [false, true]) assert.equal(uriEncode(s, keep), reference(s, keep), `${JSON.stringify(s)} keepSlash=${keep}`);
    }
  });
});
