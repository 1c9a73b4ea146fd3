import { constants } from 'node:os';
import { loadNativeCrc64 } from './crc64-native.js';

/**
 * Reads of file bytes the page cache already holds, done on the calling thread (native/crc64/cached-read.cc).
 * A download's fs.read goes through libuv's thread pool, whose hand-off (a worker woken, a callback queued
 * back to the event loop) cost more CPU than the copy itself for a cached 256 KiB block. The addon reads a
 * file this way only once cachestat(2) found it cached from the reader's position to its end, so the event
 * loop neither waits on the disk nor starts the kernel's readahead; anything else goes to the thread pool.
 * Needs Linux 6.5 (cachestat) and the addon; elsewhere every read goes to the thread pool, as before.
 */
const addon = loadNativeCrc64();
let native = typeof addon?.readCached === 'function' ? addon.readCached.bind(addon) : null;
let nativeSend = typeof addon?.sendCached === 'function' ? addon.sendCached.bind(addon) : null;
const nativeSpan = typeof addon?.residentSpan === 'function' ? addon.residentSpan.bind(addon) : null;

/** Whether this process may read from the page cache directly (so far: a refusal of cachestat turns it off). */
export function cachedReadAvailable(): boolean {
  return native !== null;
}

/** How many reads were answered from the page cache, and how many were left to the thread pool. */
export const cachedReadStats = { hits: 0, misses: 0 };

/** readCached's answer when this file's reads should all go to the thread pool (its file system cannot). */
export const NOT_THIS_FILE = -1;

/** readCached's checkFrom when an earlier call found the rest of the file cached. */
export const NO_CHECK = -1;

/**
 * Up to `length` bytes at `position` of `fd` into `into`, if the page cache holds every byte from `checkFrom`
 * to the end of the file (NO_CHECK: an earlier call found it so). Answers the number of bytes read; 0 when
 * this block must be read through the thread pool (not all cached, end of file, an error for that read to
 * report); NOT_THIS_FILE when no block of this file can be.
 */
export function readCached(fd: number, into: Uint8Array, length: number, position: number, checkFrom: number): number {
  if (native === null) return NOT_THIS_FILE;
  const n = native(fd, into, length, position, checkFrom);
  if (n > 0) {
    cachedReadStats.hits++;
    spend(n);
    return n;
  }
  cachedReadStats.misses++;
  if (n === 0 || n === -constants.errno.EAGAIN) return 0;
  // No cachestat in this kernel, or a sandbox (seccomp) that refuses it: the same for every file.
  if (n === -constants.errno.ENOSYS || n === -constants.errno.EPERM) native = nativeSend = null;
  // Else a file system that cannot read without waiting (tmpfs answers EOPNOTSUPP), or a read error that
  // the thread-pool read will report with its own message.
  return NOT_THIS_FILE;
}

/**
 * How many bytes from `position` of `fd` (at most `length`, cut at the end of the file) the page cache holds
 * and has filled, in one run: what a file with holes in the cache (a few pages evicted) may read or send from
 * the cache block by block, where readCached found the file not cached to its end. 0 when the first page is
 * not, or the file cannot be asked (then its blocks go to the thread pool). A page still being read in does
 * not count, so neither a cached read nor a send of these bytes waits for the disk.
 */
export function residentSpan(fd: number, position: number, length: number): number {
  if (nativeSpan === null || native === null) return 0;
  const n = nativeSpan(fd, position, length);
  return n > 0 ? n : 0;
}

/** Whether cached file bytes may be sent to a socket directly (sendfile) in this process. */
export function cachedSendAvailable(): boolean {
  return nativeSend !== null;
}

/** How many sends of cached bytes went to a socket directly (bytes), and how many were declined. */
export const cachedSendStats = { sends: 0, bytes: 0, declined: 0 };

/**
 * What a send did when it sent nothing: `full` the socket takes nothing more now (write the next block the
 * usual way: its write waits for room); `not-cached` the bytes are not all in the page cache (read them the
 * usual way); `unsupported` these descriptors cannot be sent between (nothing more of this download can);
 * `gone` the connection failed because the peer left; an Error: the file or the system failed (EIO, ENOMEM),
 * to be reported as a read error would be.
 */
export type SendRefusal = 'full' | 'not-cached' | 'unsupported' | 'gone' | NodeJS.ErrnoException;

/** errno codes that say the connection is over, not that the file or the system failed. */
const PEER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNABORTED', 'ESHUTDOWN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ENETRESET']);
const errnoName = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/**
 * Sends up to `length` bytes of `fd` at `position` to the socket `socketFd` (non-blocking, nothing of its own
 * queued before them) with sendfile(2), if the page cache holds those bytes: no copy on this side, and no
 * wait on the disk. For a file readCached found cached to its end (the check here covers only the bytes
 * sent). Answers the bytes sent (> 0; 0 only if the file shrank under the call) or why nothing was sent
 * (`not-cached` also at or past the end of the file: the usual read reports a short file). Sent bytes count
 * against the turn's budget like cached reads.
 */
export function sendCached(socketFd: number, fd: number, length: number, position: number): number | SendRefusal {
  if (nativeSend === null) return 'unsupported';
  const n = nativeSend(socketFd, fd, length, position);
  if (n > 0) {
    cachedSendStats.sends++;
    cachedSendStats.bytes += n;
    spend(n);
    return n;
  }
  cachedSendStats.declined++;
  if (n === 0) return 0;
  const code = errnoName.get(-n) ?? `errno ${-n}`;
  if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'full';
  if (code === 'ENODATA') return 'not-cached';
  if (code === 'ENOSYS' || code === 'EPERM') {
    // cachestat or sendfile refused for every file (an old kernel, a sandbox).
    native = nativeSend = null;
    return 'unsupported';
  }
  if (code === 'EINVAL' || code === 'EOPNOTSUPP' || code === 'ENOTSOCK' || code === 'EBADF') return 'unsupported';
  if (PEER_GONE.has(code)) return 'gone';
  return Object.assign(new Error(`${code}: sending a file to the socket failed`), { code, errno: n, syscall: 'sendfile' });
}

function spend(n: number): void {
  turnBytes += n;
  if (!turnReset) {
    turnReset = true;
    setImmediate(newTurn);
  }
}

/**
 * Bytes the whole process may read or send this way in one turn of the event loop (~0.3 ms of copying and
 * sending here). A reader that keeps up completes each write at once, so without a bound the downloads' reads and
 * writes chain on nextTick and hold the loop for as long as they last. The bound is shared, so many
 * downloads at once hold a turn little longer than one: beyond it, each reader that waited for the turn
 * reads one block (so that none starves), then waits again.
 */
const TURN_BUDGET = 1024 * 1024;
let turnBytes = 0;
let turnReset = false;
function newTurn(): void {
  turnBytes = 0;
  turnReset = false;
}

/** Whether this turn's budget of cached reads and sends is spent: the reader then waits for the next turn (setImmediate). */
export function cachedReadsSpent(): boolean {
  return turnBytes >= TURN_BUDGET;
}
