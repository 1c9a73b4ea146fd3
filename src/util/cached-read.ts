import { constants } from 'node:os';
import { loadNativeCrc64 } from './crc64-native.js';

/**
 * Reads of file bytes the page cache already holds, done on the calling thread (native/crc64/cached-read.cc).
 * A download's fs.read goes through libuv's thread pool, whose hand-off (a worker woken, a callback queued
 * back to the event loop) cost more CPU than the copy itself for a cached 256 KiB block; this read copies
 * at once and refuses rather than wait for the disk, so the event loop never blocks on the device.
 */
const addon = loadNativeCrc64();
let native = typeof addon?.readCached === 'function' ? addon.readCached.bind(addon) : null;

/** Whether this process can read from the page cache directly (Linux with the addon built). */
export function cachedReadAvailable(): boolean {
  return native !== null;
}

/** How many reads were answered from the page cache, and how many were left to the thread pool. */
export const cachedReadStats = { hits: 0, misses: 0 };

/**
 * Up to `length` bytes at `position` of `fd` into `into`, if the page cache holds them: the number of bytes
 * read (fewer when only the first part is cached), or 0 when the caller must read through the thread pool
 * (not cached, end of file, an error, or no such read here). Never waits for the disk.
 */
export function readCached(fd: number, into: Uint8Array, length: number, position: number): number {
  if (native === null) return 0;
  const n = native(fd, into, length, position);
  if (n > 0) {
    cachedReadStats.hits++;
    return n;
  }
  cachedReadStats.misses++;
  // A kernel without preadv2 will never have it: stop asking. Every other refusal (not cached, a file
  // system without RWF_NOWAIT, a read error) is the thread-pool read's to answer or report.
  if (n === -constants.errno.ENOSYS) native = null;
  return 0;
}
