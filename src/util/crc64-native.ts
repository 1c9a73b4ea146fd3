import { createRequire } from 'node:module';

/** The optional addon's interface (native/crc64: crc64.cc, md5.cc's MD5 lanes, cached-read.cc's page-cache read, hmac-sha1.cc). */
export interface NativeCrc64 {
  /** Advances the register [lo, hi] (pre-inverted, as Crc64 keeps it) over `data`; mode 1 forces the table path. */
  update(state: Uint32Array, data: Uint8Array, mode?: 0 | 1): void;
  /** What mode 0 uses on this CPU: carry-less multiply folding or slicing-by-8 tables. */
  readonly impl: 'pclmul' | 'table';
  /**
   * Advances 1–8 MD5 states (4 words each in `states`, in message order) over the whole 64-byte blocks of
   * each view (all the same length). Absent from an addon built before it existed.
   */
  md5Blocks?(states: Uint32Array, blocks: Uint8Array[]): void;
  /** The MD5 lanes' instruction set: 'avx2', 'sse2' or 'generic'. */
  readonly md5Impl?: string;
  /**
   * `length` bytes at `position` into `into` if cachestat finds [checkFrom, end of file) all cached (checkFrom
   * -1: no check), by preadv2(RWF_NOWAIT) (cached-read.cc): bytes read, 0 at the end of the file, or a
   * negative errno (-EAGAIN: not all cached; -ENOSYS: no cachestat). Linux only.
   */
  readCached?(fd: number, into: Uint8Array, length: number, position: number, checkFrom: number): number;
  sendCached?(socketFd: number, fd: number, length: number, position: number): number;
  residentSpan?(fd: number, position: number, length: number): number;
  /** A TCP socket's congestion control (getsockopt TCP_CONGESTION), or a negative errno. Linux only. */
  tcpCongestion?(socketFd: number): string | number;
  /** Sets a TCP socket's congestion control: 0, or a negative errno (-ENOENT unknown, -EPERM not allowed). Linux only. */
  setTcpCongestion?(socketFd: number, name: string): number;
  /**
   * base64(HMAC-SHA1) of the first `length` bytes of `message`, from the two SHA-1 states after the key's padded
   * blocks (`pads`: inner then outer, 5 words each; hmac-sha1.cc). Absent from an addon built before it existed.
   */
  hmacSha1Base64?(pads: Int32Array, message: Uint8Array, length: number): string;
}

/**
 * The CRC-64 addon, or null when it was not built (no compiler at install time), cannot load (another
 * platform's binary) or ALUNITE_NO_NATIVE=1 asks for the JavaScript implementation.
 */
export function loadNativeCrc64(): NativeCrc64 | null {
  if (process.env.ALUNITE_NO_NATIVE === '1') return null;
  try {
    // From dist/src/util/ (and src/util/ under a TS loader) to the package root.
    const require = createRequire(import.meta.url);
    for (const rel of ['../../../native/crc64/build/Release/alunite_crc64.node', '../../native/crc64/build/Release/alunite_crc64.node']) {
      try {
        return require(rel) as NativeCrc64;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      }
    }
    return null;
  } catch {
    return null;
  }
}
