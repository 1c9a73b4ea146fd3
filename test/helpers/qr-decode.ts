// A minimal QR Code reader for tests, written apart from src/ram/qr.ts: PNG pixels (decoded by sharp) →
// module grid (quiet zone and module size measured on the top-left finder) → both copies of the format
// information (checked against the 32 valid BCH codewords) → codewords read in the standard's zigzag →
// blocks de-interleaved → every block's Reed-Solomon syndromes must be zero → byte-mode segment.
import sharp from 'sharp';

/** Level M block structure, versions 1-10: [EC codewords per block, data codewords of each block]. */
const BLOCKS: Record<number, [number, number[]]> = {
  1: [10, [16]], 2: [16, [28]], 3: [26, [44]], 4: [18, [32, 32]], 5: [24, [43, 43]], 6: [16, [27, 27, 27, 27]],
  7: [18, [31, 31, 31, 31]], 8: [22, [38, 38, 39, 39]], 9: [22, [36, 36, 36, 37, 37]], 10: [26, [43, 43, 43, 43, 44]],
};
const ALIGN: Record<number, number[]> = { 1: [], 2: [6, 18], 3: [6, 22], 4: [6, 26], 5: [6, 30], 6: [6, 34], 7: [6, 22, 38], 8: [6, 24, 42], 9: [6, 26, 46], 10: [6, 28, 50] };

/** The module grid of a QR PNG (true = dark). */
export async function gridFromPng(png: Buffer): Promise<boolean[][]> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const dark = (x: number, y: number): boolean => data[y * info.width + x]! < 128;
  // The first dark pixel (scanning rows) is the finder's corner; its dark run is 7 modules.
  let top = -1;
  let left = -1;
  for (let y = 0; y < info.height && top < 0; y++) for (let x = 0; x < info.width; x++) if (dark(x, y)) { top = y; left = x; break; }
  if (top < 0) throw new Error('no dark pixel');
  let run = 0;
  while (dark(left + run, top)) run++;
  const module = run / 7;
  let right = info.width - 1;
  while (!dark(right, top)) right--;
  const size = Math.round((right - left + 1) / module);
  const grid: boolean[][] = [];
  for (let r = 0; r < size; r++) {
    const row: boolean[] = [];
    for (let c = 0; c < size; c++) row.push(dark(Math.floor(left + (c + 0.5) * module), Math.floor(top + (r + 0.5) * module)));
    grid.push(row);
  }
  return grid;
}

function gfTables(): { exp: number[]; log: number[] } {
  const exp: number[] = [];
  const log: number[] = new Array<number>(256).fill(0);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp.push(x);
    log[x] = i;
    x = x * 2 >= 256 ? (x * 2) ^ 0x11d : x * 2;
  }
  return { exp, log };
}

/** Decodes a level-M byte-mode symbol; throws on any inconsistency. */
export function decodeQrGrid(g: boolean[][]): { text: string; version: number; mask: number } {
  const n = g.length;
  const version = (n - 17) / 4;
  if (!Number.isInteger(version) || !BLOCKS[version]) throw new Error(`unsupported size ${n}`);
  const at = (row: number, col: number): number => (g[row]![col] ? 1 : 0);

  // Format information: [row, col] of bits 0..14 in each of the two copies.
  const copy1: Array<[number, number]> = [[0, 8], [1, 8], [2, 8], [3, 8], [4, 8], [5, 8], [7, 8], [8, 8], [8, 7], [8, 5], [8, 4], [8, 3], [8, 2], [8, 1], [8, 0]];
  const copy2: Array<[number, number]> = [];
  for (let i = 0; i < 8; i++) copy2.push([8, n - 1 - i]);
  for (let i = 8; i < 15; i++) copy2.push([n - 15 + i, 8]);
  const bitsOf = (cells: Array<[number, number]>): number => cells.reduce((v, [r, c], i) => v | (at(r, c) << i), 0);
  const valid: number[] = [];
  for (let d = 0; d < 32; d++) {
    let poly = d << 10;
    for (let i = 14; i >= 10; i--) if ((poly >>> i) & 1) poly ^= 0x537 << (i - 10);
    valid.push(((d << 10) | poly) ^ 0x5412);
  }
  const f1 = bitsOf(copy1);
  const f2 = bitsOf(copy2);
  const match = (f: number): number => valid.findIndex((v) => v === f);
  const i1 = match(f1);
  const i2 = match(f2);
  if (i1 < 0 || i1 !== i2) throw new Error(`format information unreadable (${f1.toString(2)} / ${f2.toString(2)})`);
  const level = i1 >>> 3;
  const mask = i1 & 7;
  if (level !== 0) throw new Error(`not level M (${level})`);

  // Which modules carry data.
  const isFunction = (r: number, c: number): boolean => {
    if ((r < 9 && c < 9) || (r < 9 && c >= n - 8) || (r >= n - 8 && c < 9)) return true;
    if (r === 6 || c === 6) return true;
    if (version >= 7 && ((r < 6 && c >= n - 11 && c < n - 8) || (c < 6 && r >= n - 11 && r < n - 8))) return true;
    const pos = ALIGN[version]!;
    for (const ar of pos) {
      for (const ac of pos) {
        const corner = (ar === 6 && ac === 6) || (ar === 6 && ac === pos[pos.length - 1]) || (ar === pos[pos.length - 1] && ac === 6);
        if (!corner && Math.abs(r - ar) <= 2 && Math.abs(c - ac) <= 2) return true;
      }
    }
    return false;
  };
  const masked = (r: number, c: number): boolean => {
    switch (mask) {
      case 0: return (r + c) % 2 === 0;
      case 1: return r % 2 === 0;
      case 2: return c % 3 === 0;
      case 3: return (r + c) % 3 === 0;
      case 4: return (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0;
      case 5: return ((r * c) % 2) + ((r * c) % 3) === 0;
      case 6: return (((r * c) % 2) + ((r * c) % 3)) % 2 === 0;
      default: return (((r + c) % 2) + ((r * c) % 3)) % 2 === 0;
    }
  };
  const bits: number[] = [];
  let upward = true;
  for (let col = n - 1; col > 0; col -= 2) {
    if (col === 6) col--;
    for (let k = 0; k < n; k++) {
      const r = upward ? n - 1 - k : k;
      for (const c of [col, col - 1]) if (!isFunction(r, c)) bits.push(at(r, c) ^ (masked(r, c) ? 1 : 0));
    }
    upward = !upward;
  }
  const [ecLen, dataLens] = BLOCKS[version]!;
  const total = dataLens.reduce((a, b) => a + b, 0) + ecLen * dataLens.length;
  const codewords: number[] = [];
  for (let i = 0; i < total; i++) codewords.push(parseInt(bits.slice(i * 8, i * 8 + 8).join(''), 2));

  // De-interleave, then check each block: its polynomial vanishes at α^0 … α^(ecLen-1).
  const blocks = dataLens.map(() => [] as number[]);
  let p = 0;
  for (let i = 0; i < Math.max(...dataLens); i++) for (let b = 0; b < blocks.length; b++) if (i < dataLens[b]!) blocks[b]!.push(codewords[p++]!);
  for (let i = 0; i < ecLen; i++) for (let b = 0; b < blocks.length; b++) blocks[b]!.push(codewords[p++]!);
  const { exp, log } = gfTables();
  const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : exp[(log[a]! + log[b]!) % 255]!);
  for (const block of blocks) {
    for (let k = 0; k < ecLen; k++) {
      let s = 0;
      for (const cw of block) s = mul(s, exp[k]!) ^ cw;
      if (s !== 0) throw new Error(`Reed-Solomon syndrome ${k} is not zero`);
    }
  }
  const data = blocks.flatMap((b, i) => b.slice(0, dataLens[i]));
  const stream = data.map((d) => d.toString(2).padStart(8, '0')).join('');
  if (stream.slice(0, 4) !== '0100') throw new Error(`not byte mode (${stream.slice(0, 4)})`);
  const countBits = version < 10 ? 8 : 16;
  const count = parseInt(stream.slice(4, 4 + countBits), 2);
  const bytes: number[] = [];
  for (let i = 0; i < count; i++) bytes.push(parseInt(stream.slice(4 + countBits + i * 8, 12 + countBits + i * 8), 2));
  return { text: Buffer.from(bytes).toString('utf8'), version, mask };
}
