import { crc32 } from './crc32.js';

// The PNG container (ISO/IEC 15948 §5): the signature, and chunks of length, type, data and the CRC-32 of type
// and data. Shared by the MFA QR codes (ram/qr.ts) and the test that writes a 200-megapixel image directly.

export const PNG_SIGNATURE: Buffer = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk: `type` is four ASCII letters (IHDR, IDAT, IEND...). */
export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
