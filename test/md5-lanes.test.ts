// The addon's MD5 lanes (native/crc64/md5.cc, src/util/md5-lanes.ts) against node:crypto: 1 to 12 messages of
// unrelated lengths, fed in arbitrary pieces, hashed together in every grouping the workers can make.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadNativeCrc64 } from '../src/util/crc64-native.js';
import { Md5Lane, md5LanesAvailable, md5LanesImplementation, md5Together } from '../src/util/md5-lanes.js';

const addon = loadNativeCrc64();
const skip = md5LanesAvailable ? false : 'addon not built here';

/** Feeds each message in pieces (all messages' n-th pieces hashed together, as a worker's batch is). */
function lanesOf(messages: Buffer[], pieceOf: (m: number, i: number) => number): Buffer[] {
  const lanes = messages.map(() => new Md5Lane());
  const offsets = messages.map(() => 0);
  for (let round = 0; offsets.some((o, m) => o < messages[m]!.length); round++) {
    const work: Array<{ lane: Md5Lane; blocks: Uint8Array }> = [];
    messages.forEach((msg, m) => {
      if (offsets[m]! >= msg.length) return;
      const n = Math.min(pieceOf(m, round), msg.length - offsets[m]!);
      work.push({ lane: lanes[m]!, blocks: lanes[m]!.take(msg.subarray(offsets[m]!, offsets[m]! + n)) });
      offsets[m]! += n;
    });
    md5Together(work);
  }
  return lanes.map((l) => l.digest());
}

const md5 = (b: Uint8Array): Buffer => createHash('md5').update(b).digest();

describe('MD5 lanes (several messages hashed together)', () => {
  it('reports what it runs on', () => {
    assert.match(md5LanesImplementation, md5LanesAvailable ? /^(avx2|sse2|generic)$/ : /^none$/);
  });

  it('gives the RFC 1321 test-suite digests', { skip }, () => {
    const suite: Array<[string, string]> = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
      ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
    ];
    const digests = lanesOf(suite.map(([t]) => Buffer.from(t)), () => 7);
    suite.forEach(([text, want], i) => assert.equal(digests[i]!.toString('hex'), want, JSON.stringify(text)));
  });

  it('agrees with node:crypto for 1 to 12 messages of unrelated lengths in arbitrary pieces', { skip }, () => {
    for (let count = 1; count <= 12; count++) {
      const lengths = Array.from({ length: count }, (_, i) => [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 4096, 524_288, 524_289, 1_000_003][(i * 5 + count) % 14]!);
      const messages = lengths.map((n) => randomBytes(n));
      const pieces = [1, 63, 64, 100, 4096, 524_288, 65_537];
      const digests = lanesOf(messages, (m, round) => pieces[(m + round) % pieces.length]!);
      messages.forEach((msg, m) => assert.equal(digests[m]!.toString('hex'), md5(msg).toString('hex'), `message ${m} of ${count}, ${msg.length} bytes`));
    }
  });

  it('hashes a message the same whether alone or beside others of equal length', { skip }, () => {
    const messages = Array.from({ length: 8 }, () => randomBytes(512 * 1024));
    for (let n = 1; n <= 8; n++) {
      const digests = lanesOf(messages.slice(0, n), () => 128 * 1024);
      for (let m = 0; m < n; m++) assert.ok(digests[m]!.equals(md5(messages[m]!)), `${n} lanes, lane ${m}`);
    }
  });

  it('the addon refuses malformed calls with a TypeError or RangeError, touching no state', { skip }, () => {
    const blocks = addon!.md5Blocks!.bind(addon);
    const states = new Uint32Array(8);
    const a = Buffer.alloc(128);
    assert.throws(() => blocks(states, [a, Buffer.alloc(64)]), RangeError);
    assert.throws(() => blocks(states, [a, Buffer.alloc(100)]), RangeError);
    assert.throws(() => blocks(new Uint32Array(4), [a, a]), TypeError);
    assert.throws(() => blocks(new Uint32Array(36), Array.from({ length: 9 }, () => a)), RangeError);
    assert.throws(() => blocks(states, []), RangeError);
    assert.throws(() => blocks(states, [a, 'x' as unknown as Uint8Array]), TypeError);
    assert.deepEqual([...states], [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('reads every view only after every element: a getter that detaches a buffer mid-call gets an error, not freed memory', { skip }, () => {
    const blocks = addon!.md5Blocks!.bind(addon);
    const first = new ArrayBuffer(1 << 20);
    const views: Uint8Array[] = [new Uint8Array(first)];
    Object.defineProperty(views, 1, { enumerable: true, get: () => (structuredClone(first, { transfer: [first] }), new Uint8Array(1 << 20)) });
    assert.throws(() => blocks(new Uint32Array(8), views), RangeError);
    const states = new Uint32Array(8);
    const later: Uint8Array[] = [new Uint8Array(64)];
    Object.defineProperty(later, 1, { enumerable: true, get: () => (structuredClone(states.buffer, { transfer: [states.buffer] }), new Uint8Array(64)) });
    assert.throws(() => blocks(states, later), TypeError);
  });
});
