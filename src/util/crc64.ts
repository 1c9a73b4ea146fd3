// CRC-64/XZ ("crc64ecma" in OSS): reflected ECMA-182 polynomial, init and xorout all ones.
// Hot path (every byte of every upload goes through it): large updates go to the optional addon
// (native/crc64: carry-less multiply folding, ~0.1–0.3 ns/byte); otherwise, and for short updates, it runs
// here on 32-bit halves with slicing-by-8 tables (~2 ns/byte). BigInt only in the rare combine step.
import { loadNativeCrc64 } from './crc64-native.js';

const native = loadNativeCrc64();
/** Below this many bytes a call into the addon costs more than the tables here. */
const NATIVE_MIN = 256;

/** Which implementation large updates use: 'pclmul' or 'table' (the addon), or 'js' (no addon). */
export const crc64Implementation: string = native ? native.impl : 'js';

const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

const TABLES = 8;
const LO = new Uint32Array(256 * TABLES);
const HI = new Uint32Array(256 * TABLES);

(function buildTables() {
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    LO[n] = lo;
    HI[n] = hi;
  }
  for (let t = 1; t < TABLES; t++) {
    for (let n = 0; n < 256; n++) {
      const plo = LO[(t - 1) * 256 + n]!;
      const phi = HI[(t - 1) * 256 + n]!;
      const idx = plo & 0xff;
      LO[t * 256 + n] = (((plo >>> 8) | ((phi & 0xff) << 24)) ^ LO[idx]!) >>> 0;
      HI[t * 256 + n] = ((phi >>> 8) ^ HI[idx]!) >>> 0;
    }
  }
})();

/** Incremental CRC-64/XZ. `update` may be called any number of times. */
export class Crc64 {
  // Internal (pre-inverted) register halves [lo, hi], shared with the addon.
  private readonly s = new Uint32Array([0xffffffff, 0xffffffff]);

  /** `forceJs` (tests): the tables here even when the addon is loaded. */
  constructor(private readonly forceJs = false) {}

  update(buf: Uint8Array): this {
    if (native !== null && !this.forceJs && buf.length >= NATIVE_MIN) {
      native.update(this.s, buf);
      return this;
    }
    let lo = this.s[0]!;
    let hi = this.s[1]!;
    let i = 0;
    const len = buf.length;
    const end8 = len - (len % 8);
    while (i < end8) {
      const a = (lo ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
      const b = (hi ^ (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24))) >>> 0;
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = (LO[i7]! ^ LO[i6]! ^ LO[i5]! ^ LO[i4]! ^ LO[i3]! ^ LO[i2]! ^ LO[i1]! ^ LO[i0]!) >>> 0;
      hi = (HI[i7]! ^ HI[i6]! ^ HI[i5]! ^ HI[i4]! ^ HI[i3]! ^ HI[i2]! ^ HI[i1]! ^ HI[i0]!) >>> 0;
      i += 8;
    }
    while (i < len) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ LO[idx]!) >>> 0;
      hi = ((hi >>> 8) ^ HI[idx]!) >>> 0;
      i++;
    }
    this.s[0] = lo;
    this.s[1] = hi;
    return this;
  }

  /** Final CRC as an unsigned 64-bit integer. */
  digest(): bigint {
    return (BigInt((~this.s[1]!) >>> 0) << 32n) | BigInt((~this.s[0]!) >>> 0);
  }

  /** Final CRC as OSS sends it in `x-oss-hash-crc64ecma`: unsigned decimal. */
  digestDecimal(): string {
    return this.digest().toString(10);
  }
}

export function crc64(buf: Uint8Array): bigint {
  return new Crc64().update(buf).digest();
}

// ---- combine: crc(A||B) from crc(A), crc(B), len(B), without re-reading bytes. ----
// crc(A‖B) = crc(A)·x^(8·len(B)) mod P ⊕ crc(B) (init and xorout cancel out). In the reflected representation
// the top bit is x^0 and a right shift multiplies by x. x^(8·len) is a product of the precomputed x^(2^k): one
// 64-step multiplication per set bit of len (zlib's multmodp/x2nmodp), remembered per length (the parts of one
// upload are mostly one size), so a combine is one multiplication. Multiplications run on 32-bit halves: with
// BigInt each step allocated, and CompleteMultipartUpload's 10,000 combines held the event loop ~100-450 ms
// (the earlier matrix-squaring method: ~5 ms per 8 MiB part).

/** The product of the last mulModP, as halves (no pair allocated per call). */
let prodHi = 0;
let prodLo = 0;

/** a·b mod P, both reflected, as 32-bit halves; the product in prodHi/prodLo. */
function mulModP(aHi: number, aLo: number, bHi: number, bLo: number): void {
  let pHi = 0;
  let pLo = 0;
  for (let i = 0; i < 64; i++) {
    // Bit 63 - i of a is the coefficient of x^i; b is the second factor times x^i.
    if (((i < 32 ? aHi >>> (31 - i) : aLo >>> (63 - i)) & 1) === 1) {
      pHi ^= bHi;
      pLo ^= bLo;
    }
    const carry = bLo & 1;
    bLo = ((bLo >>> 1) | ((bHi & 1) << 31)) >>> 0;
    bHi >>>= 1;
    if (carry === 1) {
      bLo = (bLo ^ POLY_LO) >>> 0;
      bHi = (bHi ^ POLY_HI) >>> 0;
    }
  }
  prodHi = pHi >>> 0;
  prodLo = pLo >>> 0;
}

/** x^(2^k) mod P for k < 64, as halves. */
const X2N_HI = new Uint32Array(64);
const X2N_LO = new Uint32Array(64);
{
  // x^1: the second-highest bit.
  let hi = 0x40000000;
  let lo = 0;
  for (let k = 0; k < 64; k++) {
    X2N_HI[k] = hi;
    X2N_LO[k] = lo;
    mulModP(hi, lo, hi, lo);
    hi = prodHi;
    lo = prodLo;
  }
}

/** x^(8·len) mod P by length, for the lengths met lately (bounded: cleared past 256). */
const POWERS = new Map<number, readonly [number, number]>();

function powerOfLength(len: number): readonly [number, number] {
  const known = POWERS.get(len);
  if (known !== undefined) return known;
  // x^(8·len) = Π x^(2^(k+3)) over the set bits k of len; x^0 is the top bit.
  let hi = 0x80000000;
  let lo = 0;
  for (let n = len, k = 3; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) {
      mulModP(X2N_HI[k]!, X2N_LO[k]!, hi, lo);
      hi = prodHi;
      lo = prodLo;
    }
  }
  if (POWERS.size >= 256) POWERS.clear();
  const power = [hi, lo] as const;
  POWERS.set(len, power);
  return power;
}

const LOW32 = 0xffffffffn;

/** CRC-64/XZ of the concatenation A‖B given crc(A), crc(B) and the byte length of B. */
export function crc64Combine(crcA: bigint, crcB: bigint, lenB: number): bigint {
  if (lenB <= 0) return crcA;
  const [xHi, xLo] = powerOfLength(lenB);
  mulModP(xHi, xLo, Number((crcA >> 32n) & LOW32), Number(crcA & LOW32));
  const hi = (prodHi ^ Number((crcB >> 32n) & LOW32)) >>> 0;
  const lo = (prodLo ^ Number(crcB & LOW32)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
