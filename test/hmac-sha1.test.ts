// The V1/RPC signature's HMAC-SHA1 (util/hmac-sha1.ts) gives node:crypto's answer for every key and message:
// keys shorter than, equal to and longer than SHA-1's 64-byte block, messages around every padding boundary,
// multi-byte and broken UTF-16, on both sides of the length where it hands over to node:crypto; through the addon
// (native/crc64/hmac-sha1.cc) where it is built and through the JavaScript used without it.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hmacSha1Base64 as hmacSha1Base64Served, hmacSha1Base64WithoutAddon, hmacSha1Implementation, useAddonHmac } from '../src/util/hmac-sha1.js';
import { loadNativeCrc64 } from '../src/util/crc64-native.js';

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

const addon = loadNativeCrc64();
// As server.ts does at start-up.
useAddonHmac(addon?.hmacSha1Base64);

const WAYS = [['as the server computes it', hmacSha1Base64Served], ['without the addon', hmacSha1Base64WithoutAddon]] as const;

for (const [way, hmacSha1Base64] of WAYS) {
  describe(`HMAC-SHA1, ${way}`, () => {
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
}

describe('HMAC-SHA1 in the addon', () => {
  const skip = addon === null ? 'addon not built here' : false;

  it('is there when the addon is built, and handed over it serves the signatures', { skip }, () => {
    assert.equal(typeof addon!.hmacSha1Base64, 'function');
    assert.equal(hmacSha1Implementation(), 'addon');
  });

  it('refuses malformed calls with a TypeError or RangeError', { skip }, () => {
    const hmac = addon!.hmacSha1Base64!;
    const pads = new Int32Array(10);
    const message = new Uint8Array(100);
    assert.match(hmac(pads, message, 100), /^[A-Za-z0-9+/]{27}=$/);
    assert.throws(() => hmac(pads, message, 101), RangeError);
    assert.throws(() => hmac(pads, message, -1), TypeError);
    assert.throws(() => hmac(pads, message, 1.5), TypeError);
    assert.throws(() => hmac(pads, message, '5' as unknown as number), TypeError);
    assert.throws(() => hmac(new Int32Array(9), message, 1), TypeError);
    assert.throws(() => hmac(new Uint32Array(10) as unknown as Int32Array, message, 1), TypeError);
    assert.throws(() => hmac(pads, new Uint16Array(4) as unknown as Uint8Array, 1), TypeError);
    assert.throws(() => (hmac as (...a: unknown[]) => string)(pads, message), TypeError);
  });
});
