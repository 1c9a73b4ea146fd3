// A small QR Code encoder (ISO/IEC 18004: byte mode, error correction level M, versions 1-10, up to 213 bytes)
// and a grayscale PNG writer (node:zlib), for CreateVirtualMFADevice's QRCodePNG: the otpauth:// URI an
// authenticator app scans. No dependency; decoded independently by test/helpers/qr-decode.ts.
import { deflateSync } from 'node:zlib';
import { PNG_SIGNATURE, pngChunk } from '../util/png.js';

/** Per version (index 1..10), level M: [total codewords, EC codewords per block, [blocks, data codewords per block]...]. */
const BLOCKS_M: ReadonlyArray<readonly [number, number, ReadonlyArray<readonly [number, number]>]> = [
  [0, 0, []],
  [26, 10, [[1, 16]]],
  [44, 16, [[1, 28]]],
  [70, 26, [[1, 44]]],
  [100, 18, [[2, 32]]],
  [134, 24, [[2, 43]]],
  [172, 16, [[4, 27]]],
  [196, 18, [[4, 31]]],
  [242, 22, [[2, 38], [2, 39]]],
  [292, 22, [[3, 36], [2, 37]]],
  [346, 26, [[4, 43], [1, 44]]],
];
const ALIGNMENT: ReadonlyArray<readonly number[]> = [[], [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50]];
export const QR_MAX_VERSION = 10;
/** Format bits of level M (L=1, M=0, Q=3, H=2). */
const LEVEL_M = 0;

// ---- GF(256), primitive polynomial 0x11D
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}
const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);

/** Reed-Solomon EC codewords of `data` (generator ∏ (x - α^i), i < n). */
export function reedSolomon(data: Uint8Array, n: number): Uint8Array {
  let gen = [1];
  for (let i = 0; i < n; i++) {
    const next = new Array<number>(gen.length + 1).fill(0);
    for (let j = 0; j < gen.length; j++) {
      next[j] = next[j]! ^ gen[j]!;
      next[j + 1] = next[j + 1]! ^ mul(gen[j]!, EXP[i]!);
    }
    gen = next;
  }
  const rem = new Uint8Array(n);
  for (const byte of data) {
    const factor = byte ^ rem[0]!;
    rem.copyWithin(0, 1);
    rem[n - 1] = 0;
    for (let j = 0; j < n; j++) rem[j] = rem[j]! ^ mul(gen[j + 1]!, factor);
  }
  return rem;
}

function dataCapacity(version: number): number {
  return BLOCKS_M[version]![2].reduce((sum, [blocks, size]) => sum + blocks * size, 0);
}

/** Byte-mode bit stream, terminated and padded to the version's data codewords. */
function dataCodewords(bytes: Uint8Array, version: number): Uint8Array {
  const bits: number[] = [];
  const put = (value: number, length: number): void => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4);
  put(bytes.length, version < 10 ? 8 : 16);
  for (const b of bytes) put(b, 8);
  const capacityBits = dataCapacity(version) * 8;
  put(0, Math.min(4, capacityBits - bits.length));
  while (bits.length % 8 !== 0) bits.push(0);
  const out = new Uint8Array(capacityBits / 8);
  for (let i = 0; i < bits.length; i += 8) out[i / 8] = parseInt(bits.slice(i, i + 8).join(''), 2);
  for (let i = bits.length / 8, pad = 0; i < out.length; i++, pad ^= 1) out[i] = pad === 0 ? 0xec : 0x11;
  return out;
}

/** Splits into blocks, adds each block's EC codewords and interleaves them. */
function interleave(data: Uint8Array, version: number): Uint8Array {
  const [total, ecLength, groups] = BLOCKS_M[version]!;
  const blocks: Uint8Array[] = [];
  let at = 0;
  for (const [count, size] of groups) {
    for (let i = 0; i < count; i++) {
      blocks.push(data.subarray(at, at + size));
      at += size;
    }
  }
  const ecs = blocks.map((b) => reedSolomon(b, ecLength));
  const out: number[] = [];
  const longest = Math.max(...blocks.map((b) => b.length));
  for (let i = 0; i < longest; i++) for (const b of blocks) if (i < b.length) out.push(b[i]!);
  for (let i = 0; i < ecLength; i++) for (const e of ecs) out.push(e[i]!);
  if (out.length !== total) throw new Error('QR block table inconsistent');
  return Uint8Array.from(out);
}

class Matrix {
  readonly size: number;
  readonly dark: boolean[][];
  readonly reserved: boolean[][];
  constructor(readonly version: number) {
    this.size = version * 4 + 17;
    this.dark = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false));
    this.reserved = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false));
  }

  fn(x: number, y: number, dark: boolean): void {
    this.dark[y]![x] = dark;
    this.reserved[y]![x] = true;
  }
}

function drawFunctionPatterns(m: Matrix): void {
  const n = m.size;
  for (let i = 0; i < n; i++) {
    m.fn(6, i, i % 2 === 0);
    m.fn(i, 6, i % 2 === 0);
  }
  for (const [cx, cy] of [[3, 3], [n - 4, 3], [3, n - 4]] as const) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= n || y >= n) continue;
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        m.fn(x, y, d !== 2 && d !== 4);
      }
    }
  }
  const pos = ALIGNMENT[m.version]!;
  for (let i = 0; i < pos.length; i++) {
    for (let j = 0; j < pos.length; j++) {
      const last = pos.length - 1;
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) m.fn(pos[i]! + dx, pos[j]! + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }
  drawFormat(m, 0); // reserves the areas; redrawn with the chosen mask
  if (m.version >= 7) {
    let rem = m.version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (m.version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = n - 11 + (i % 3);
      const b = Math.floor(i / 3);
      m.fn(a, b, dark);
      m.fn(b, a, dark);
    }
  }
}

function drawFormat(m: Matrix, mask: number): void {
  const n = m.size;
  const data = (LEVEL_M << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  const bits = ((data << 10) | rem) ^ 0x5412;
  const bit = (i: number): boolean => ((bits >>> i) & 1) === 1;
  for (let i = 0; i <= 5; i++) m.fn(8, i, bit(i));
  m.fn(8, 7, bit(6));
  m.fn(8, 8, bit(7));
  m.fn(7, 8, bit(8));
  for (let i = 9; i < 15; i++) m.fn(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) m.fn(n - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) m.fn(8, n - 15 + i, bit(i));
  m.fn(8, n - 8, true);
}

function drawCodewords(m: Matrix, codewords: Uint8Array): void {
  const n = m.size;
  let i = 0;
  for (let right = n - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let vert = 0; vert < n; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const upward = ((right + 1) & 2) === 0;
        const y = upward ? n - 1 - vert : vert;
        if (m.reserved[y]![x]) continue;
        // Remainder bits (versions 2-6) stay light.
        if (i < codewords.length * 8) m.dark[y]![x] = ((codewords[i >>> 3]! >>> (7 - (i & 7))) & 1) === 1;
        i++;
      }
    }
  }
}

const MASKS: ReadonlyArray<(x: number, y: number) => boolean> = [
  (x, y) => (x + y) % 2 === 0,
  (_x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

function applyMask(m: Matrix, mask: number): void {
  const f = MASKS[mask]!;
  for (let y = 0; y < m.size; y++) for (let x = 0; x < m.size; x++) if (!m.reserved[y]![x] && f(x, y)) m.dark[y]![x] = !m.dark[y]![x];
}

/** The standard's penalty score (runs, 2x2 blocks, finder-like patterns, dark balance): lower is better. */
function penalty(g: boolean[][]): number {
  const n = g.length;
  let score = 0;
  const lines: boolean[][] = [...g, ...g.map((_, x) => g.map((row) => row[x]!))];
  for (const line of lines) {
    let run = 1;
    for (let i = 1; i <= n; i++) {
      if (i < n && line[i] === line[i - 1]) run++;
      else {
        if (run >= 5) score += 3 + run - 5;
        run = 1;
      }
    }
    const s = line.map((d) => (d ? '1' : '0')).join('');
    for (const p of ['10111010000', '00001011101']) for (let at = s.indexOf(p); at >= 0; at = s.indexOf(p, at + 1)) score += 40;
  }
  for (let y = 0; y + 1 < n; y++) {
    for (let x = 0; x + 1 < n; x++) {
      const c = g[y]![x];
      if (g[y]![x + 1] === c && g[y + 1]![x] === c && g[y + 1]![x + 1] === c) score += 3;
    }
  }
  const dark = g.reduce((sum, row) => sum + row.filter(Boolean).length, 0);
  score += 10 * Math.floor(Math.abs((dark * 100) / (n * n) - 50) / 5);
  return score;
}

/** The QR symbol of `bytes` (smallest version that holds them, level M): rows of modules, true = dark. */
export function encodeQr(bytes: Uint8Array): boolean[][] {
  let version = 1;
  while (version <= QR_MAX_VERSION && 4 + (version < 10 ? 8 : 16) + bytes.length * 8 > dataCapacity(version) * 8) version++;
  if (version > QR_MAX_VERSION) throw new RangeError(`QR: ${bytes.length} bytes do not fit version ${QR_MAX_VERSION}-M`);
  const codewords = interleave(dataCodewords(bytes, version), version);
  let best: boolean[][] | undefined;
  let bestScore = Infinity;
  for (let mask = 0; mask < 8; mask++) {
    const m = new Matrix(version);
    drawFunctionPatterns(m);
    drawCodewords(m, codewords);
    applyMask(m, mask);
    drawFormat(m, mask);
    const score = penalty(m.dark);
    if (score < bestScore) {
      bestScore = score;
      best = m.dark;
    }
  }
  return best!;
}

// ---- PNG (8-bit grayscale, no interlace)

/** A PNG of the modules: `scale` pixels per module, a quiet zone of `margin` modules (the standard's 4). */
export function qrPng(modules: boolean[][], scale = 4, margin = 4): Buffer {
  const side = (modules.length + 2 * margin) * scale;
  const raw = Buffer.alloc((side + 1) * side, 0xff);
  for (let y = 0; y < side; y++) {
    raw[y * (side + 1)] = 0; // filter: none
    const my = Math.floor(y / scale) - margin;
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / scale) - margin;
      if (my >= 0 && mx >= 0 && my < modules.length && mx < modules.length && modules[my]![mx]) raw[y * (side + 1) + 1 + x] = 0;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The QR code PNG of a text (UTF-8). */
export function qrCodePng(text: string): Buffer {
  return qrPng(encodeQr(Buffer.from(text, 'utf8')));
}
