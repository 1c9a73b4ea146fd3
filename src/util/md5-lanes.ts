import { createHash, type Hash } from 'node:crypto';
import { loadNativeCrc64 } from './crc64-native.js';

/**
 * MD5 of several messages at once (the addon's md5.cc): a hash worker holding blocks of several uploads
 * hashes them side by side, two as interleaved scalar chains, up to eight in SIMD lanes. One MD5 runs at the
 * latency of its 64 dependent steps per block (~1.4 ms/MiB), so together four cost ~0.6 ms/MiB each and
 * eight ~0.33. Padding, the length and partial blocks are handled here. Without the addon a lane is
 * node:crypto's MD5 of its own message (same digests, one message at a time), so callers have one path.
 */
const addon = loadNativeCrc64();
const native = addon !== null && typeof addon.md5Blocks === 'function' ? (addon as Required<Pick<typeof addon, 'md5Blocks'>>) : null;

/** Whether messages can be hashed together here (the addon is built and has the MD5 lanes). */
export const md5LanesAvailable = native !== null;
/** 'avx2' | 'sse2' | 'generic' (the addon's), or 'none' (node:crypto, one message at a time). */
export const md5LanesImplementation: string = native !== null ? (addon?.md5Impl ?? 'generic') : 'none';

/** Most messages one call of the addon hashes together. */
export const MAX_LANES = 8;
const INIT = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476] as const;
const ALIGN = 64;

/** One message's running MD5: its state words, the bytes of a partial block, the length so far. */
export class Md5Lane {
  readonly state = Uint32Array.from(INIT);
  private readonly tail = Buffer.alloc(ALIGN);
  private tailLen = 0;
  private total = 0;
  /** Without the addon: node:crypto hashes the message as it comes (take returns nothing to hash together). */
  private readonly alone: Hash | null = native === null ? createHash('md5') : null;

  /**
   * Takes the next bytes of the message: completes a partial block first (hashing it at once), keeps what
   * follows the last whole block, and returns the whole blocks in between, for `md5Together` (not copied:
   * hash them before `bytes` is reused).
   */
  take(bytes: Uint8Array): Uint8Array {
    if (this.alone !== null) {
      this.alone.update(bytes);
      return bytes.subarray(0, 0);
    }
    this.total += bytes.length;
    let from = 0;
    if (this.tailLen > 0) {
      from = Math.min(ALIGN - this.tailLen, bytes.length);
      this.tail.set(bytes.subarray(0, from), this.tailLen);
      this.tailLen += from;
      if (this.tailLen < ALIGN) return bytes.subarray(0, 0);
      native!.md5Blocks(this.state, [this.tail]);
      this.tailLen = 0;
    }
    const end = from + Math.floor((bytes.length - from) / ALIGN) * ALIGN;
    if (end < bytes.length) {
      this.tail.set(bytes.subarray(end), 0);
      this.tailLen = bytes.length - end;
    }
    return bytes.subarray(from, end);
  }

  /** The 16-byte digest; the lane is spent afterwards. */
  digest(): Buffer {
    if (this.alone !== null) return this.alone.digest();
    const n = this.tailLen;
    const pad = Buffer.alloc(n < 56 ? ALIGN : 2 * ALIGN);
    this.tail.copy(pad, 0, 0, n);
    pad[n] = 0x80;
    // The message length in bits, 64-bit little-endian (exact up to 2^53 bytes).
    const bits = this.total * 8;
    pad.writeUInt32LE(bits % 2 ** 32, pad.length - 8);
    pad.writeUInt32LE(Math.floor(bits / 2 ** 32), pad.length - 4);
    native!.md5Blocks(this.state, [pad]);
    const out = Buffer.alloc(16);
    for (let i = 0; i < 4; i++) out.writeUInt32LE(this.state[i]!, 4 * i);
    return out;
  }
}

/**
 * Hashes each lane's whole blocks (as `take` returned them), up to eight messages per call of the addon; where
 * lengths differ, the common length first, then what is left of the longer ones.
 */
export function md5Together(work: Array<{ lane: Md5Lane; blocks: Uint8Array }>): void {
  let todo = work.filter((w) => w.blocks.length > 0).map((w) => ({ lane: w.lane, rest: w.blocks }));
  while (todo.length > 0) {
    const group = todo.slice(0, MAX_LANES);
    const len = Math.min(...group.map((g) => g.rest.length));
    const states = new Uint32Array(4 * group.length);
    group.forEach((g, i) => states.set(g.lane.state, 4 * i));
    native!.md5Blocks(states, group.map((g) => g.rest.subarray(0, len)));
    group.forEach((g, i) => {
      g.lane.state.set(states.subarray(4 * i, 4 * i + 4));
      g.rest = g.rest.subarray(len);
    });
    todo = todo.filter((g) => g.rest.length > 0);
  }
}
