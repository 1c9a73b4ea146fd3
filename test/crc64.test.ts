import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Crc64, crc64, crc64Combine } from '../src/util/crc64.js';

// Independent bit-at-a-time reference (CRC-64/XZ), to check the table-driven one.
function reference(buf: Uint8Array): bigint {
  const poly = 0xc96c5795d7870f42n;
  let crc = 0xffffffffffffffffn;
  for (const b of buf) {
    crc ^= BigInt(b);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ 0xffffffffffffffffn;
}

describe('CRC-64/XZ (x-oss-hash-crc64ecma)', () => {
  it('matches the check values of the spec', () => {
    assert.equal(crc64(Buffer.alloc(0)), 0n);
    assert.equal(crc64(Buffer.from('123456789')), 11051210869376104954n);
    assert.equal(new Crc64().update(Buffer.from('123456789')).digestDecimal(), '11051210869376104954');
  });

  it('agrees with a bit-at-a-time reference on random data of every alignment', () => {
    for (let len = 0; len < 40; len++) {
      const buf = randomBytes(len);
      assert.equal(crc64(buf), reference(buf), `length ${len}`);
    }
    const big = randomBytes(100_003);
    assert.equal(crc64(big), reference(big));
  });

  it('is incremental across arbitrary chunk boundaries', () => {
    const buf = randomBytes(10_000);
    const c = new Crc64();
    for (let i = 0; i < buf.length; ) {
      const n = 1 + (i % 13);
      c.update(buf.subarray(i, i + n));
      i += n;
    }
    assert.equal(c.digest(), crc64(buf));
  });

  it('combines crc(A) and crc(B) into crc(A‖B)', () => {
    for (const [la, lb] of [[0, 5], [5, 0], [1, 1], [1000, 7], [65536, 100_001]] as const) {
      const a = randomBytes(la);
      const b = randomBytes(lb);
      assert.equal(crc64Combine(crc64(a), crc64(b), b.length), crc64(Buffer.concat([a, b])), `${la}+${lb}`);
    }
  });
});
