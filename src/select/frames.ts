// SelectObject response frames (docs/select.md): Version(1 byte) | Frame-Type(3) | Payload Length(4) |
// Header Checksum(4) | Payload | Payload Checksum(4), integers big-endian, checksums CRC32, version 1.
// Every payload starts with the 8-byte offset in the object scanned so far.
import { crc32 } from '../util/crc32.js';

export const FRAME_DATA = 8388609;
export const FRAME_CONTINUOUS = 8388612;
export const FRAME_END = 8388613;
export const FRAME_META_END_CSV = 8388614;
export const FRAME_META_END_JSON = 8388615;

const VERSION = 1;


/**
 * One frame. The payload checksum is the CRC32 of the payload when `crc` is set (EnablePayloadCrc), 0
 * otherwise; the header checksum is always 0 (clients do not check it [UNVERIFIED]).
 */
function frame(type: number, payload: Buffer, crc: boolean): Buffer {
  const out = Buffer.allocUnsafe(12 + payload.length + 4);
  out.writeUInt32BE(((VERSION << 24) | type) >>> 0, 0);
  out.writeUInt32BE(payload.length, 4);
  out.writeUInt32BE(0, 8);
  payload.copy(out, 12);
  out.writeUInt32BE(crc ? crc32(payload) : 0, 12 + payload.length);
  return out;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(n))));
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.trunc(n))));
  return b;
}

export function dataFrame(offset: number, data: Buffer, crc: boolean): Buffer {
  return frame(FRAME_DATA, Buffer.concat([u64(offset), data]), crc);
}

export function continuousFrame(offset: number, crc: boolean): Buffer {
  return frame(FRAME_CONTINUOUS, u64(offset), crc);
}

/** The end frame: HTTP status of the whole select and, on failure, `ErrorCode.message`. */
export function endFrame(offset: number, scanned: number, status: number, error: string, crc: boolean): Buffer {
  return frame(FRAME_END, Buffer.concat([u64(offset), u64(scanned), u32(status), Buffer.from(error, 'utf8')]), crc);
}

export interface MetaCounts {
  splits: number;
  rows: number;
  /** CSV only. */
  columns?: number;
}

/** CreateSelectObjectMeta's end frame: counts after the status; the CSV one adds the column count. */
export function metaEndFrame(json: boolean, offset: number, scanned: number, status: number, counts: MetaCounts, error: string, crc: boolean): Buffer {
  const parts = [u64(offset), u64(scanned), u32(status), u32(counts.splits), u64(counts.rows)];
  if (!json) parts.push(u32(counts.columns ?? 0));
  parts.push(Buffer.from(error, 'utf8'));
  return frame(json ? FRAME_META_END_JSON : FRAME_META_END_CSV, Buffer.concat(parts), crc);
}
