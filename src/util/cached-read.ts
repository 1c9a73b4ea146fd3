import { constants } from 'node:os';
import { loadNativeCrc64 } from './crc64-native.js';

/**
 * Reads of file bytes the page cache already holds, done on the calling thread (native/crc64/cached-read.cc).
 * A download's fs.read goes through libuv's thread pool, whose hand-off (a worker woken, a callback queued
 * back to the event loop) cost more CPU than the copy itself for a cached 256 KiB block. The addon reads only
 * after cachestat(2) found every page of the block and of the lookahead after it cached, so the event loop
 * neither waits on the disk nor starts the kernel's readahead; anything else goes to the thread pool.
 * Needs Linux 6.5 (cachestat) and the addon; elsewhere every read goes to the thread pool, as before.
 */
const addon = loadNativeCrc64();
let native = typeof addon?.readCached === 'function' ? addon.readCached.bind(addon) : null;

/** Whether this process may read from the page cache directly (so far: a refusal of cachestat turns it off). */
export function cachedReadAvailable(): boolean {
  return native !== null;
}

/** How many reads were answered from the page cache, and how many were left to the thread pool. */
export const cachedReadStats = { hits: 0, misses: 0 };

/** readCached's answer when this file's reads should all go to the thread pool (its file system cannot). */
export const NOT_THIS_FILE = -1;

/**
 * Up to `length` bytes at `position` of `fd` into `into`, if the page cache holds the bytes [checkFrom,
 * checkTo): the caller's block and the lookahead after it, less what an earlier call already found cached
 * (checkFrom ≤ position + length ≤ checkTo, or checkFrom = checkTo when all of it was). Answers the number
 * of bytes read; 0 when this block must be read through the thread pool (not all cached, end of file, an
 * error for the thread-pool read to report); NOT_THIS_FILE when no block of this file can be.
 */
export function readCached(fd: number, into: Uint8Array, length: number, position: number, checkFrom: number, checkTo: number): number {
  if (native === null) return NOT_THIS_FILE;
  const n = native(fd, into, length, position, checkFrom, Math.max(0, checkTo - checkFrom));
  if (n > 0) {
    cachedReadStats.hits++;
    return n;
  }
  cachedReadStats.misses++;
  if (n === 0 || n === -constants.errno.EAGAIN) return 0;
  // No cachestat in this kernel, or a sandbox (seccomp) that refuses it: the same for every file.
  if (n === -constants.errno.ENOSYS || n === -constants.errno.EPERM) {
    native = null;
    return NOT_THIS_FILE;
  }
  // A file system that cannot read without waiting (tmpfs answers EOPNOTSUPP), or a read error that the
  // thread-pool read will report with its own message.
  return NOT_THIS_FILE;
}
