import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { Crc64, crc64, crc64Combine, crc64Implementation } from '../src/util/crc64.js';
import { loadNativeCrc64 } from '../src/util/crc64-native.js';

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
    for (const [la, lb] of [[0, 5], [5, 0], [1, 1], [1000, 7], [65536, 100_001], [3, 8 * 1024 * 1024 + 3]] as const) {
      const a = randomBytes(la);
      const b = randomBytes(lb);
      assert.equal(crc64Combine(crc64(a), crc64(b), b.length), crc64(Buffer.concat([a, b])), `${la}+${lb}`);
    }
  });
});

describe('CRC-64 combine at multipart scale', () => {
  it('is associative over lengths up to 5 GiB parts and a 48 TiB object (no bytes needed)', () => {
    const crcs = [0x0123456789abcdefn, 0xfedcba9876543210n, 0xdeadbeefcafef00dn];
    for (const [lb, lc] of [[5 * 1024 ** 3, 8 * 1024 ** 2], [2 ** 32 + 1, 2 ** 31 - 1], [48 * 1024 ** 4, 1]] as const) {
      const [a, b, c] = crcs as [bigint, bigint, bigint];
      assert.equal(crc64Combine(crc64Combine(a, b, lb), c, lc), crc64Combine(a, crc64Combine(b, c, lc), lb + lc), `${lb}+${lc}`);
    }
  });
});

/** crc(A‖B) the slow way: crc(A) times x^(8·len) by shifting bit by bit (BigInt, reflected), then xor crc(B). */
function combineReference(a: bigint, b: bigint, len: number): bigint {
  const poly = 0xc96c5795d7870f42n;
  // Multiplying by x^(8·len) in the reflected form is feeding len zero bytes through the raw register.
  let crc = a;
  for (let i = 0; i < 8 * len; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  return crc ^ b;
}

describe('CRC-64 combine on 32-bit halves, remembered powers', () => {
  it('agrees with the bit-by-bit reference for random CRCs, the same lengths again and again, and past the remembered 256', () => {
    const rnd = (): bigint => BigInt(`0x${randomBytes(8).toString('hex')}`);
    const lengths = [1, 2, 3, 7, 8, 100, 255, 256, 1000, 4096];
    for (let round = 0; round < 3; round++) {
      for (const len of lengths) {
        const [a, b] = [rnd(), rnd()];
        assert.equal(crc64Combine(a, b, len), combineReference(a, b, len), `length ${len}, round ${round}`);
      }
    }
    // Values with the top or bottom bits set, where halves are easy to get wrong.
    for (const a of [0n, 1n, 0xffffffffn, 0x100000000n, 0x8000000000000000n, 0xffffffffffffffffn]) {
      assert.equal(crc64Combine(a, 0xffffffffffffffffn, 13), combineReference(a, 0xffffffffffffffffn, 13), `crc ${a}`);
    }
    // More distinct lengths than are remembered (the table is cleared and filled again): still the bytes' CRC.
    const data = randomBytes(700);
    for (let len = 1; len < 600; len++) {
      const head = data.subarray(0, 700 - len);
      const tail = data.subarray(700 - len);
      assert.equal(crc64Combine(crc64(head), crc64(tail), len), crc64(data), `split at ${700 - len}`);
    }
  });
});

describe('CRC-64 addon (native/crc64) against the JavaScript tables', () => {
  const native = loadNativeCrc64();
  const js = (buf: Uint8Array): bigint => new Crc64(true).update(buf).digest();
  const viaAddon = (buf: Uint8Array, mode: 0 | 1): bigint => {
    const s = new Uint32Array([0xffffffff, 0xffffffff]);
    native!.update(s, buf, mode);
    return (BigInt((~s[1]!) >>> 0) << 32n) | BigInt((~s[0]!) >>> 0);
  };

  it('is loaded when built, and large updates use it', { skip: native === null ? 'addon not built here' : false }, () => {
    assert.equal(crc64Implementation, native!.impl);
    assert.match(native!.impl, /^(pclmul|table)$/);
  });

  it('folding and table paths agree with the JavaScript tables on random lengths and alignments', { skip: native === null ? 'addon not built here' : false }, () => {
    const pool = randomBytes(300_000);
    const lengths = [0, 1, 7, 8, 15, 16, 63, 64, 65, 127, 128, 129, 191, 255, 256, 257, 1023, 4096, 65_536, 250_001];
    for (let i = 0; i < 60; i++) lengths.push(Math.floor(Math.random() * 20_000));
    for (const len of lengths) {
      for (const align of [0, 1, 3, 8, 13]) {
        const buf = pool.subarray(align, align + len);
        const want = js(buf);
        assert.equal(viaAddon(buf, 0), want, `auto, length ${len}, offset ${align}`);
        assert.equal(viaAddon(buf, 1), want, `table, length ${len}, offset ${align}`);
      }
    }
    assert.equal(viaAddon(Buffer.from('123456789'), 0), 11051210869376104954n);
    assert.equal(viaAddon(Buffer.from('123456789'), 1), 11051210869376104954n);
  });

  it('incremental updates mixing the addon and the tables, and crc64Combine, give crc(A‖B)', () => {
    const a = randomBytes(100_000 + Math.floor(Math.random() * 1000));
    const b = randomBytes(70_000 + Math.floor(Math.random() * 1000));
    const whole = Buffer.concat([a, b]);
    const c = new Crc64();
    for (let i = 0; i < whole.length; ) {
      const n = [1, 100, 255, 256, 4000, 65_536][i % 6]!;
      c.update(whole.subarray(i, i + n));
      i += n;
    }
    assert.equal(c.digest(), js(whole));
    assert.equal(crc64Combine(crc64(a), crc64(b), b.length), c.digest());
  });

  it('ALUNITE_NO_NATIVE=1 selects the JavaScript implementation, with the same answers', () => {
    const script = `import('${new URL('../src/util/crc64.js', import.meta.url).href}').then((m) => { process.stdout.write(m.crc64Implementation + ' ' + m.crc64(Buffer.alloc(100000, 7)).toString()); })`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ALUNITE_NO_NATIVE: '1' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `js ${js(Buffer.alloc(100000, 7))}`);
  });
});
