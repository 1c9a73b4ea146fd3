import { createHash, createHmac } from 'node:crypto';
import { oneShotHash } from './one-shot-hash.js';

/**
 * HMAC-SHA1 (RFC 2104 over FIPS 180-4 SHA-1) of a UTF-8 string, as base64: the V1 and RPC signatures.
 * Every signed request computes one, and through node:crypto each costs a native Hmac object (an OpenSSL
 * context fetched by name, a handle V8 must collect later): 2–3 µs in a loop and ~8 µs of server CPU per
 * request under load (perf, issue 15). Here the key's two padded blocks are hashed once per secret and
 * kept; the message's compressions then run in the addon in a server where it is built (native/crc64/hmac-sha1.cc: one call,
 * ~2 k instructions per block against ~4–5 k here, the base64 included; messages under ADDON_BELOW_BYTES), else here:
 * a typical string to sign (< 120 bytes) costs two or three compressions on preallocated arrays (~1 µs).
 * No branch or index depends on the key's bytes. Longer strings (from ADDON_BELOW_BYTES with the addon, from
 * NATIVE_FROM_BYTES without it) go to node:crypto: through two one-shot `crypto.hash` calls over the key's padded blocks and the message (no Hmac object) where node has
 * it (20.12+), else through createHmac as before (NATIVE_FROM_BYTES, JS_MAX_UNITS).
 * Tested against node:crypto on random keys and messages, with and without the addon (test/hmac-sha1.test.ts).
 */

const W = new Int32Array(80);

/** One SHA-1 compression of the 64 bytes at `at` into `h`. */
function compress(h: Int32Array, b: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) {
    const j = at + i * 4;
    W[i] = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = h[0]!, b1 = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, t = 0, i = 0;
  // The four rounds' constants 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6 (the last two as int32).
  for (; i < 20; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b1 & c) | (~b1 & d)) + e + 0x5a827999 + W[i]!) | 0;
    e = d; d = c; c = (b1 << 30) | (b1 >>> 2); b1 = a; a = t;
  }
  for (; i < 40; i++) {
    t = (((a << 5) | (a >>> 27)) + (b1 ^ c ^ d) + e + 0x6ed9eba1 + W[i]!) | 0;
    e = d; d = c; c = (b1 << 30) | (b1 >>> 2); b1 = a; a = t;
  }
  for (; i < 60; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b1 & c) | (b1 & d) | (c & d)) + e - 0x70e44324 + W[i]!) | 0;
    e = d; d = c; c = (b1 << 30) | (b1 >>> 2); b1 = a; a = t;
  }
  for (; i < 80; i++) {
    t = (((a << 5) | (a >>> 27)) + (b1 ^ c ^ d) + e - 0x359d3e2a + W[i]!) | 0;
    e = d; d = c; c = (b1 << 30) | (b1 >>> 2); b1 = a; a = t;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b1) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
}

const IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

interface KeyPads {
  inner: Int32Array;
  outer: Int32Array;
  /** inner then outer in one array: the addon's argument. */
  both: Int32Array;
  /** The padded key blocks themselves (key ⊕ ipad, key ⊕ opad), for the one-shot native hashes. */
  innerBlock: Uint8Array;
  outerBlock: Uint8Array;
}

/** Secrets seen lately → their hashed pads. Bounded: a flood of distinct secrets only empties it. */
const padsBySecret = new Map<string, KeyPads>();
const MAX_KEYS = 1024;

function padsOf(secret: string): KeyPads {
  const known = padsBySecret.get(secret);
  if (known !== undefined) return known;
  let key: Uint8Array = Buffer.from(secret, 'utf8');
  if (key.length > 64) key = createHash('sha1').update(key).digest();
  const innerBlock = new Uint8Array(64);
  const outerBlock = new Uint8Array(64);
  const inner = IV.slice();
  const outer = IV.slice();
  for (let i = 0; i < 64; i++) innerBlock[i] = (key[i] ?? 0) ^ 0x36;
  compress(inner, innerBlock, 0);
  for (let i = 0; i < 64; i++) outerBlock[i] = (key[i] ?? 0) ^ 0x5c;
  compress(outer, outerBlock, 0);
  // The key's bytes left in the schedule's first words are wiped (the blocks are kept with the secret they come from).
  W.fill(0);
  if (padsBySecret.size >= MAX_KEYS) padsBySecret.clear();
  const both = new Int32Array(10);
  both.set(inner, 0);
  both.set(outer, 5);
  const pads = { inner, outer, both, innerBlock, outerBlock };
  padsBySecret.set(secret, pads);
  return pads;
}

/**
 * Beyond this many UTF-16 units node:crypto is used. Its per-block cost is lower than the ~0.3 µs a block
 * takes here, but each call creates a native Hmac: ~2.4 µs in a loop, 8–11 µs of server CPU per request
 * under load (`perf`: HmacInit and OpenSSL's digest fetch). So strings up to 1,024 units stay here: a V1
 * string to sign with an STS SecurityToken (~650 units) and a POP AssumeRole canonical string (~550).
 */
const JS_MAX_UNITS = 1024;

/**
 * node's one-shot digest (Node 20.12+; absent before, then JavaScript up to JS_MAX_UNITS as before). Through it, a
 * message of more than two SHA-1 blocks costs fewer instructions than the compressions here (~4 k per block):
 * under callgrind, per HMAC of a 720-byte string to sign (a V1 signature with an STS SecurityToken) 64.5 k in
 * JavaScript, 33.4 k through createHmac, 28.8 k through two `crypto.hash` calls; of 160 bytes 31.5 k and 19.5 k; of
 * 100 bytes (two blocks) 19.0 k and 19.9 k.
 */
const oneShot = oneShotHash;
/** UTF-8 messages of this many bytes and more (three SHA-1 blocks with the padding) go to `oneShot`. */
const NATIVE_FROM_BYTES = 120;

const encoder = new TextEncoder();
/**
 * 64 bytes for the padded key block (the one-shot path hashes it with the message), then the string's UTF-8 (at
 * most 3 bytes per UTF-16 unit), then up to 72 bytes of padding.
 */
const scratch = new Uint8Array(64 + JS_MAX_UNITS * 3 + 72);
const message8 = scratch.subarray(64);
/** The outer hash's input for the one-shot path: the padded key block, then the inner digest. */
const outerInput = new Uint8Array(84);
const state = new Int32Array(5);
const digest = Buffer.alloc(20);

/** Pads the `length` bytes at the start of `buf` (which has room for 72 more) and hashes them into `h`; `before`: bytes hashed already. */
function finish(h: Int32Array, buf: Uint8Array, length: number, before: number): void {
  let n = length;
  buf[n++] = 0x80;
  while (n % 64 !== 56) buf[n++] = 0;
  // The length in bits as 64-bit big-endian: at most (3,072 + 64) × 8 here, so the high word is 0.
  const bits = (length + before) * 8;
  buf[n++] = 0; buf[n++] = 0; buf[n++] = 0; buf[n++] = 0;
  buf[n++] = bits >>> 24; buf[n++] = (bits >>> 16) & 0xff; buf[n++] = (bits >>> 8) & 0xff; buf[n++] = bits & 0xff;
  for (let at = 0; at < n; at += 64) compress(h, buf, at);
}

/** The hash state as the 20 bytes of a SHA-1 digest (in the shared `digest` buffer). */
function digestOf(h: Int32Array): Buffer {
  for (let i = 0; i < 5; i++) digest.writeInt32BE(h[i]!, i * 4);
  return digest;
}

type AddonHmac = (pads: Int32Array, message: Uint8Array, length: number) => string;

/**
 * The addon's HMAC over the pads (native/crc64/hmac-sha1.cc), once the server has handed it over (useAddonHmac);
 * undefined: not built, built before it had one, or a process that never loads the addon (the CLI's signers sign
 * a request or two: loading it would cost them more than it saves, test/cli-startup.test.ts).
 */
let addonHmac: AddonHmac | undefined;

/** Signatures' HMACs go through `hmac` from now on (server.ts, with the addon it loaded); undefined: JavaScript again. */
export function useAddonHmac(hmac: AddonHmac | undefined): void {
  addonHmac = hmac;
}

/** What computes hmacSha1Base64's short messages now. */
export function hmacSha1Implementation(): 'addon' | 'javascript' {
  return addonHmac === undefined ? 'javascript' : 'addon';
}

/** base64(HMAC-SHA1(utf8(secret), utf8(message))). */
export function hmacSha1Base64(secret: string, message: string): string {
  return hmacOf(secret, message, addonHmac);
}

/**
 * The addon's portable SHA-1 costs ~2.1 k instructions per block and ~4 k per call; two one-shot `crypto.hash` calls
 * (OpenSSL's assembly) ~15 k per call and ~0.9 k per block. Counted in loops under callgrind: 160 bytes 12.4 k
 * against 18.9 k, 720 bytes (an STS token in the string to sign) 31.5 k against 26.7 k; even at ~470 bytes. So
 * longer messages go the one-shot way as before (where node has it; else JavaScript up to JS_MAX_UNITS, as before).
 */
const ADDON_BELOW_BYTES = 448;

/** hmacSha1Base64 as it is computed where the addon is not built (for the tests: both ways give node:crypto's answer). */
export function hmacSha1Base64WithoutAddon(secret: string, message: string): string {
  return hmacOf(secret, message, undefined);
}

function hmacOf(secret: string, message: string, addon: typeof addonHmac): string {
  if (message.length > JS_MAX_UNITS) return createHmac('sha1', secret).update(message, 'utf8').digest('base64');
  const pads = padsOf(secret);
  const { written } = encoder.encodeInto(message, message8);
  return addon !== undefined && written < ADDON_BELOW_BYTES ? addon(pads.both, message8, written) : withoutAddon(pads, written);
}

/** The HMAC of the `written` bytes at `message8`, in JavaScript or through the one-shot hash. */
function withoutAddon(pads: KeyPads, written: number): string {
  if (written >= NATIVE_FROM_BYTES && oneShot !== undefined) {
    scratch.set(pads.innerBlock, 0);
    outerInput.set(pads.outerBlock, 0);
    outerInput.set(oneShot('sha1', scratch.subarray(0, 64 + written), 'buffer') as Buffer, 64);
    return oneShot('sha1', outerInput, 'base64') as string;
  }
  state.set(pads.inner);
  finish(state, message8, written, 64);
  message8.set(digestOf(state), 0);
  state.set(pads.outer);
  finish(state, message8, 20, 64);
  return digestOf(state).toString('base64');
}
