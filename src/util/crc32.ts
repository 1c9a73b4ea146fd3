import zlib from 'node:zlib';

// CRC-32 (IEEE, as zlib and PNG define it): SelectObject's frame checksums and the PNG chunks of MFA QR codes.

let table: Uint32Array | null = null;
function crc32Js(data: Buffer): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC32 (zlib's on Node versions that have it). */
export const crc32: (data: Buffer) => number = typeof (zlib as { crc32?: unknown }).crc32 === 'function'
  ? (data) => (zlib as unknown as { crc32(d: Buffer): number }).crc32(data) >>> 0
  : crc32Js;
