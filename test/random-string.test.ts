// randomString (util/ids.ts) draws key ids and secrets from a pool of CSPRNG bytes: only the alphabet's characters,
// the asked length, each character as likely as the others (bytes past the alphabet's last multiple are drawn again).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomString } from '../src/util/ids.js';

describe('randomString', () => {
  it('gives the asked length from the alphabet, base62 by default and any other alphabet', () => {
    for (const n of [0, 1, 24, 30, 5000]) {
      const s = randomString(n);
      assert.equal(s.length, n);
      assert.match(s, /^[A-Za-z0-9]*$/);
    }
    assert.match(randomString(200, '0123456789'), /^[0-9]{200}$/);
    assert.equal(randomString(50, 'z'), 'z'.repeat(50));
  });

  it('draws every base62 character about equally often (no modulo bias toward the first eight)', () => {
    const counts = new Map<string, number>();
    const text = randomString(620_000);
    for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, 62);
    // 10,000 expected each, standard deviation ~100: a byte taken modulo 62 without redrawing gives the first eight
    // characters 5/4 of the others' share (~12,100 against ~9,690).
    for (const [c, n] of counts) assert.ok(n > 9_400 && n < 10_600, `${c}: ${n}`);
    // Consecutive strings differ (the pool moves on).
    assert.notEqual(randomString(24), randomString(24));
  });
});
