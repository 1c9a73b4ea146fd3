// The V1/RPC signature's HMAC-SHA1 (util/hmac-sha1.ts) gives node:crypto's answer for every key and message:
// keys shorter than, equal to and longer than SHA-1's 64-byte block, messages around every padding boundary,
// multi-byte and broken UTF-16, on both sides of the length where it hands over to node:crypto.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hmacSha1Base64 } from '../src/util/hmac-sha1.js';

const reference = (key: string, message: string): string => createHmac('sha1', key).update(message, 'utf8').digest('base64');

/** A random string of `n` UTF-16 units mixing ASCII, Latin-1, CJK, emoji halves and lone surrogates. */
function randomText(n: number): string {
  const pool = ['a', 'Z', '0', '\n', '/', '&', '%', 'é', 'ÿ', '中', '文', '€', '\ud83d\ude00', '\ud800', '\udfff'];
  let s = '';
  while (s.length < n) {
    const r = Math.random();
    s += r < 0.6 ? String.fromCharCode(0x20 + Math.floor(Math.random() * 95)) : pool[Math.floor(Math.random() * pool.length)]!;
  }
  return s.slice(0, n);
}

describe('HMAC-SHA1', () => {
  it('RFC 2202 test cases 1 and 2', () => {
    assert.equal(Buffer.from(hmacSha1Base64('Jefe', 'what do ya want for nothing?'), 'base64').toString('hex'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
    assert.equal(Buffer.from(hmacSha1Base64('\x0b'.repeat(20), 'Hi There'), 'base64').toString('hex'), 'b617318655057264e28bc0b6fb378c8ef146be00');
  });

  it('every message length from 0 to 1,200 units (each padding boundary, both sides of the hand-over)', () => {
    for (const key of ['', 'k', 'TestSecretTestSecretTestSecre1', 'x'.repeat(64), 'y'.repeat(65), '密钥'.repeat(40)]) {
      for (let n = 0; n <= 1200; n++) {
        const ascii = 'm'.repeat(n);
        assert.equal(hmacSha1Base64(key, ascii), reference(key, ascii), `key ${key.length}, ascii ${n}`);
      }
    }
  });

  it('random keys and messages, multi-byte and broken UTF-16 included', () => {
    for (let i = 0; i < 5000; i++) {
      const key = i % 2 ? randomText(Math.floor(Math.random() * 100)) : randomBytes(Math.floor(Math.random() * 130)).toString('latin1');
      const message = randomText(Math.floor(Math.random() * 1200));
      assert.equal(hmacSha1Base64(key, message), reference(key, message), `case ${i}`);
    }
  });

  it('more secrets than it keeps pads for: still right for each, old and new', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `secret-${i}`);
    for (const k of keys) assert.equal(hmacSha1Base64(k, 'GET\n\n\n/b/k'), reference(k, 'GET\n\n\n/b/k'));
    for (const k of keys.slice(0, 50)) assert.equal(hmacSha1Base64(k, 'again'), reference(k, 'again'));
  });
});
