// The signature checks' written-out fast paths give the answers of what they replaced: safeEqual (util/safe-equal.ts)
// is exact string equality, and the V1 Authorization header is split as /^OSS ([^:\s]+):(\S+)$/ splits it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeEqual } from '../src/util/safe-equal.js';
import { v1Authorization } from '../src/auth/authenticate.js';

/** Units that matter to the two: ASCII, whitespace of every kind \s knows, colons, non-ASCII, lone and paired surrogates. */
const POOL = ['a', 'Z', '0', '+', '/', '=', ':', ':', ' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u200b', '\u0085', 'é', '中', '\ud83d\ude00', '\ud800', '\udfff', '\x7f', '\x00'];

function randomText(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.random() < 0.5 ? String.fromCharCode(0x21 + Math.floor(Math.random() * 94)) : POOL[Math.floor(Math.random() * POOL.length)]!;
  return s;
}

describe('safeEqual', () => {
  it('is string equality: same strings, one unit changed anywhere, other lengths', () => {
    for (let n = 0; n < 4000; n++) {
      const a = randomText(n % 60);
      assert.equal(safeEqual(a, a), true);
      assert.equal(safeEqual(a, `${a}`.slice(0)), true);
      if (a.length > 0) {
        const at = Math.floor(Math.random() * a.length);
        const b = a.slice(0, at) + String.fromCharCode(a.charCodeAt(at) ^ (1 + Math.floor(Math.random() * 0xfffe))) + a.slice(at + 1);
        assert.equal(safeEqual(a, b), a === b);
        assert.equal(safeEqual(a, a.slice(0, -1)), false);
      }
      const other = randomText(n % 60);
      assert.equal(safeEqual(a, other), a === other);
    }
  });

  it('tells different lone surrogates apart (their UTF-8 encodings are both U+FFFD)', () => {
    assert.equal(safeEqual('sig\ud800', 'sig\ud801'), false);
    assert.equal(safeEqual('\udfff', '\ud800'), false);
    assert.equal(safeEqual('\ud800', '\ud800'), true);
  });
});

describe('V1 Authorization header', () => {
  const REFERENCE = /^OSS ([^:\s]+):(\S+)$/;
  const reference = (t: string): [string, string] | null => {
    const m = REFERENCE.exec(t);
    return m === null ? null : [m[1]!, m[2]!];
  };

  it('splits as the regex does, on 50,000 random headers', () => {
    for (let n = 0; n < 50_000; n++) {
      const r = Math.random();
      const body = randomText(Math.floor(Math.random() * 40));
      const text = r < 0.8 ? `OSS ${body}` : r < 0.9 ? `OSS ${randomText(8).replace(/\s/g, '')}:${randomText(28).replace(/\s/g, '')}` : body;
      assert.deepEqual(v1Authorization(text), reference(text), JSON.stringify(text));
    }
  });

  it('the usual shapes and their edges', () => {
    for (const text of ['OSS LTAI5tKey:abc+/=', 'OSS LTAI5tKey:a:b:c', 'OSS :sig', 'OSS id:', 'OSS id', 'OSS  id:sig', 'OSS id :sig', 'OSS id:s ig', 'OSS id:sig\u00a0', 'OSS id:sig\ufeff', 'OSS id\u2028:sig', 'oss id:sig', 'OSS\tid:sig', 'OSS ', 'OSS', '', 'OSS id:\u200bsig', 'OSS id:\ud800']) {
      assert.deepEqual(v1Authorization(text), reference(text), JSON.stringify(text));
    }
  });
});
