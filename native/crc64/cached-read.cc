// A read that answers only from the page cache, for downloads (src/store/blob/file-range-stream.ts).
// node's fs.read runs on libuv's thread pool: each 256 KiB block of a download costs a hand-off to a worker
// thread and back (futex wake-ups, two context switches, an event-loop callback), which was about a third
// of a large GET's server CPU. Here a block the page cache holds is copied at once on the calling thread.
//
// The event loop must not wait on the disk, and a refused preadv2(RWF_NOWAIT) is not enough for that: the
// kernel still starts readahead for the missing pages from the calling thread (page allocation, block
// mapping that may read ext4's extent tree, bio submission), and a hit on a readahead mark starts the next
// window the same way, as far as the device's readahead setting goes (8 MiB on some disks). So cachestat(2)
// (Linux 6.5) first asks, without side effects, whether every page from the stream's position to the end of
// the file is cached (~15–35 µs for a cached 1 GiB file: the page cache holds large folios); only then, and
// for the following blocks of that file, is the read done here, still with RWF_NOWAIT in case a page was
// evicted meanwhile (that rare refusal may still start readahead). Anything else goes to the thread pool.
//
// JS API:  readCached(fd, into: Uint8Array, length, position, checkFrom) → number
//          bytes read (> 0; fewer than `length` if a page went meanwhile), or a negative errno: -EAGAIN when
//          [checkFrom, end of file) is not all cached, -ENOSYS when the kernel has no cachestat, -EOPNOTSUPP
//          when the file system cannot read without waiting; 0 at the end of the file. checkFrom -1: no
//          check (an earlier call found the rest of the file cached). Absent off Linux.
//
// A download to a plain TCP socket (src/http/direct-sink.ts) can also hand cached pages to the socket with
// sendfile(2), which copies nothing on this side: the read into a buffer and the write from it were about a
// third of a large GET's server CPU. The caller sends only from a file that readCached found cached to its
// end; sendfile has no RWF_NOWAIT, so each call checks the bytes it sends once more just before (exactly
// those: a check to the end of the file on every call cost time in proportion to the rest of the file, 3.4 ms
// per call at the start of a 1 GiB file cached in 4 KiB pages). A page evicted in those microseconds is read
// on the calling thread, and a page beyond them evicted since the first check may have its readahead started
// from it: the rare costs this accepts.
//
//          sendCached(socketFd, fd, length, position) → number
//          bytes sent (> 0), -ENODATA when [position, position + length) is not all cached or is past the
//          end of the file (the usual read then reports a short file), -EAGAIN when the socket takes
//          nothing more now, or another negative errno (-EPIPE, -EIO, -ENOSYS…); 0 only if the file shrank
//          meanwhile. The socket must be non-blocking (libuv's are).
//
// A file the page cache holds but for a few holes (pages the kernel evicted, on a machine short of memory)
// is read block by block: residentSpan asks mincore(2), on a mapping of just that block that is never
// touched, how many bytes from the position the cache holds *and* has filled. A page the kernel is still
// reading in (readahead after the pool's read of a hole) counts as cached for cachestat but not as filled
// for mincore, so a block found filled can be sent with sendfile, which would wait for such a page, and a
// block read here (RWF_NOWAIT) starts no read of its own pages. Before, one hole anywhere after the position
// sent the whole rest of the file through the thread pool, and nothing of it by sendfile.
//
//          residentSpan(fd, position, length) → number
//          bytes from `position` (at most `length`, at most 16 MiB, cut at the end of the file) that the page
//          cache holds filled, in one run; 0 when the first page is not; a negative errno when the file
//          cannot be asked (-ENODEV: a file system without mmap; -EINVAL: not a regular file; -EACCES: a
//          file the process may neither write nor owns, of which mincore answers every page resident).
#include <node_api.h>
#include "napi-args.h"
#include <stdint.h>

#if defined(__linux__)
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008  // linux/fs.h, kernel 4.14; older C libraries lack the name
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439  // the generic table's number, kernel 5.8
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef SYS_cachestat
#define SYS_cachestat 451  // the same number on every architecture (the generic table), kernel 6.5
#endif
#define ALUNITE_CACHED_READ 1
#endif

#ifdef ALUNITE_CACHED_READ
namespace {

// include/uapi/linux/mman.h (kernel 6.5); not in every C library's headers yet.
struct CachestatRange {
  uint64_t off;
  uint64_t len;
};
struct Cachestat {
  uint64_t nr_cache;
  uint64_t nr_dirty;
  uint64_t nr_writeback;
  uint64_t nr_evicted;
  uint64_t nr_recently_evicted;
};

const double kMaxOffset = 9007199254740991.0;  // 2^53 - 1: every such double is an exact int64

/** A whole number in [min, max] (checked before any conversion, so no cast is undefined). */
bool wholeIn(double v, double min, double max) {
  return v >= min && v <= max && v == (double)(int64_t)v;
}

/**
 * 0 when the page cache holds every byte of `fd` in [from, from + length) (length 0: to the end of the file;
 * a range past the end is cut there), else a negative errno: -EAGAIN not all cached (or nothing there: the
 * thread pool's read reports a short file), or the error of fstat or cachestat (-ENOSYS before Linux 6.5).
 * cachestat walks the range's folios: to the end of a 1 GiB file cached in 4 KiB pages it took ~3.4 ms.
 */
double cachedRange(int fd, uint64_t from, uint64_t length) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -(double)errno;
  if (st.st_size <= 0 || (uint64_t)st.st_size <= from) return -(double)EAGAIN;
  const uint64_t rest = (uint64_t)st.st_size - from;
  CachestatRange range = {from, length == 0 || length > rest ? rest : length};
  Cachestat cs = {};
  if (syscall(SYS_cachestat, (unsigned int)fd, &range, &cs, 0u) != 0) return -(double)errno;
  const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  const uint64_t pages = (range.off + range.len - 1) / page - range.off / page + 1;
  return cs.nr_cache < pages ? -(double)EAGAIN : 0;
}

napi_value ReadCached(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!takeArgs(env, info, 5, 5, argv, "readCached(fd, into, length, position, checkFrom)")) return nullptr;
  // Numbers first (napi_get_value_double runs no JavaScript), then the buffer's pointer, then the read.
  double fd = 0, length = 0, position = 0, checkFrom = 0;
  if (napi_get_value_double(env, argv[0], &fd) != napi_ok || napi_get_value_double(env, argv[2], &length) != napi_ok ||
      napi_get_value_double(env, argv[3], &position) != napi_ok || napi_get_value_double(env, argv[4], &checkFrom) != napi_ok) {
    napi_throw_type_error(env, nullptr, "fd, length, position and checkFrom must be numbers");
    return nullptr;
  }
  bool isTyped = false;
  napi_is_typedarray(env, argv[1], &isTyped);
  napi_typedarray_type type;
  size_t count = 0;
  void* data = nullptr;
  if (!isTyped || napi_get_typedarray_info(env, argv[1], &type, &count, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "into must be a Uint8Array");
    return nullptr;
  }
  if (!wholeIn(fd, 0, 2147483647.0)) {
    napi_throw_range_error(env, nullptr, "fd must be a whole number from 0 to 2^31 - 1");
    return nullptr;
  }
  if (data == nullptr || !wholeIn(length, 1, (double)count)) {
    napi_throw_range_error(env, nullptr, "length must be a whole number from 1 to the view's length");
    return nullptr;
  }
  if (!wholeIn(position, 0, kMaxOffset - length) || !(checkFrom == -1 || wholeIn(checkFrom, 0, kMaxOffset))) {
    napi_throw_range_error(env, nullptr, "position and checkFrom must be whole numbers below 2^53 (checkFrom -1: no check)");
    return nullptr;
  }
  double out = checkFrom >= 0 ? cachedRange((int)fd, (uint64_t)checkFrom, 0) : 0;
  if (out == 0) {
    // Still RWF_NOWAIT: a page evicted since it was found cached is refused, not waited for.
    struct iovec iov;
    iov.iov_base = data;
    iov.iov_len = (size_t)length;
    ssize_t n;
    do {
      n = preadv2((int)fd, &iov, 1, (off_t)position, RWF_NOWAIT);
    } while (n < 0 && errno == EINTR);
    out = n < 0 ? -(double)errno : (double)n;
  }
  napi_value result;
  napi_create_double(env, out, &result);
  return result;
}


napi_value SendCached(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double sock = 0, fd = 0, length = 0, position = 0;
  if (argc < 4 || napi_get_value_double(env, argv[0], &sock) != napi_ok || napi_get_value_double(env, argv[1], &fd) != napi_ok ||
      napi_get_value_double(env, argv[2], &length) != napi_ok || napi_get_value_double(env, argv[3], &position) != napi_ok) {
    napi_throw_type_error(env, nullptr, "sendCached(socketFd, fd, length, position): four numbers");
    return nullptr;
  }
  if (!wholeIn(sock, 0, 2147483647.0) || !wholeIn(fd, 0, 2147483647.0)) {
    napi_throw_range_error(env, nullptr, "socketFd and fd must be whole numbers from 0 to 2^31 - 1");
    return nullptr;
  }
  // One sendfile moves at most 0x7ffff000 bytes (Linux); callers send far less per call.
  if (!wholeIn(length, 1, 1073741824.0) || !wholeIn(position, 0, kMaxOffset - length)) {
    napi_throw_range_error(env, nullptr, "length must be a whole number from 1 to 2^30, position one below 2^53 - length");
    return nullptr;
  }
  double out = cachedRange((int)fd, (uint64_t)position, (uint64_t)length);
  if (out == -(double)EAGAIN) out = -(double)ENODATA;
  if (out == 0) {
    off_t off = (off_t)position;
    ssize_t n;
    do {
      n = sendfile((int)sock, (int)fd, &off, (size_t)length);
    } while (n < 0 && errno == EINTR);
    out = n < 0 ? -(double)errno : (double)n;
  }
  napi_value result;
  napi_create_double(env, out, &result);
  return result;
}

/** The most bytes one residentSpan call asks about (its page vector lives on the stack). */
const uint64_t kSpanMax = 16u * 1024u * 1024u;

/**
 * Whether mincore tells the truth about `fd`'s pages: only for a file opened for writing, owned, or that the
 * process could open for writing (mm/mincore.c can_do_mincore); of any other file it answers every page
 * resident, a block on the disk then looked filled and went to sendfile, which waits for it. The owner test
 * stands in for the kernel's (fsuid, or CAP_FOWNER, which a user namespace may not honour for the file): a
 * root serving another user's files from a read-only mount, or without CAP_DAC_OVERRIDE, is told no where the
 * kernel would answer truly, which only sends those blocks to the thread pool.
 */
bool mincoreTells(int fd, const struct stat& st) {
  if (st.st_uid == geteuid()) return true;
  const int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY) return true;
  return syscall(SYS_faccessat2, fd, "", W_OK, AT_EMPTY_PATH | AT_EACCESS) == 0;
}

double residentSpan(int fd, uint64_t from, uint64_t length) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -(double)errno;
  // A device, pipe or directory: nothing the page cache holds this way (and no device's mmap is run).
  if (!S_ISREG(st.st_mode)) return -(double)EINVAL;
  if (st.st_size <= 0 || (uint64_t)st.st_size <= from) return 0;
  if (!mincoreTells(fd, st)) return -(double)EACCES;
  if (length > kSpanMax) length = kSpanMax;
  const uint64_t rest = (uint64_t)st.st_size - from;
  const uint64_t end = from + (length < rest ? length : rest);
  const long pageSize = sysconf(_SC_PAGESIZE);
  unsigned char vec[kSpanMax / 4096 + 2];
  if (pageSize <= 0) return -(double)EINVAL;
  const uint64_t page = (uint64_t)pageSize;
  const uint64_t start = from - from % page;
  const size_t mapped = (size_t)(end - start);
  // mincore writes one byte per page of the mapping: never more than the vector holds (pages under 4 KiB).
  const uint64_t pages = (mapped + page - 1) / page;
  if (pages > sizeof vec) return -(double)EINVAL;
  // Mapped, never touched: no page is faulted in, so nothing is read; the mapping only names the pages.
  void* at = mmap(nullptr, mapped, PROT_READ, MAP_SHARED, fd, (off_t)start);
  if (at == MAP_FAILED) return -(double)errno;
  const int rc = mincore(at, mapped, vec);
  const int err = errno;
  munmap(at, mapped);
  if (rc != 0) return -(double)err;
  uint64_t filled = 0;
  while (filled < pages && (vec[filled] & 1) != 0) filled++;
  const uint64_t upto = start + filled * page;
  return upto <= from ? 0 : (double)((upto < end ? upto : end) - from);
}

napi_value ResidentSpan(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double fd = 0, position = 0, length = 0;
  if (argc < 3 || napi_get_value_double(env, argv[0], &fd) != napi_ok || napi_get_value_double(env, argv[1], &position) != napi_ok ||
      napi_get_value_double(env, argv[2], &length) != napi_ok) {
    napi_throw_type_error(env, nullptr, "residentSpan(fd, position, length): three numbers");
    return nullptr;
  }
  if (!wholeIn(fd, 0, 2147483647.0)) {
    napi_throw_range_error(env, nullptr, "fd must be a whole number from 0 to 2^31 - 1");
    return nullptr;
  }
  if (!wholeIn(length, 1, kMaxOffset) || !wholeIn(position, 0, kMaxOffset - length)) {
    napi_throw_range_error(env, nullptr, "length must be a whole number from 1, position one below 2^53 - length");
    return nullptr;
  }
  napi_value result;
  napi_create_double(env, residentSpan((int)fd, (uint64_t)position, (uint64_t)length), &result);
  return result;
}
}  // namespace

// A connection's TCP congestion control, for src/http/loopback-pacing.ts. With BBR (the system's default on
// some distributions), every TCP socket paces itself when no fq qdisc does it for it (tcp_bbr.c bbr_init sets
// sk_pacing_status to SK_PACING_NEEDED): tcp_write_xmit then stops at each pacing gap and arms an hrtimer
// (tcp_pacing_check), whose expiry (tcp_pace_kick) sends the next packets. On loopback a 64 KiB packet's gap
// is a few microseconds, so a download arms and takes ~6 such timers per MiB; in a virtual machine each one
// is a write of the timer's deadline register and a timer interrupt, both exits to the hypervisor. Measured:
// that was the largest single item of a large cached GET's server CPU (38%, all inside tcp_write_xmit), and
// there is nothing on loopback to pace for. The pacing cannot be turned off on a connection once BBR set it
// up (setting another congestion control keeps sk_pacing_status), so the listener gets "reno" (a child takes
// the listener's congestion control when it was set with setsockopt: tcp_ca_openreq_child) and each
// connection from another host is set back to the system's default (allowed to any user, as reno is).
//
//          tcpCongestion(socketFd) → string, or a negative errno (-ENOTSOCK, -EBADF, -ENOPROTOOPT…)
//          setTcpCongestion(socketFd, name) → 0, or a negative errno (-ENOENT no such algorithm, -EPERM one
//          not allowed to this user)
namespace {

/** TCP_CA_NAME_MAX (include/net/tcp.h) is 16 including the terminating NUL. */
const size_t kCaNameMax = 16;

bool socketFdArg(napi_env env, napi_value v, int* fd) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    napi_throw_type_error(env, nullptr, "socketFd must be a number");
    return false;
  }
  if (!wholeIn(d, 0, 2147483647.0)) {
    napi_throw_range_error(env, nullptr, "socketFd must be a whole number from 0 to 2^31 - 1");
    return false;
  }
  *fd = (int)d;
  return true;
}

/** Reads `count` arguments into argv, the first a socket descriptor (into *fd); throws (false) when fewer came. */
bool socketCall(napi_env env, napi_callback_info info, size_t count, napi_value* argv, int* fd, const char* usage) {
  return takeArgs(env, info, count, count, argv, usage) && socketFdArg(env, argv[0], fd);
}

napi_value TcpCongestion(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd = -1;
  if (!socketCall(env, info, 1, argv, &fd, "tcpCongestion(socketFd)")) return nullptr;
  char name[kCaNameMax + 1] = {0};
  socklen_t len = kCaNameMax;
  napi_value result;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) != 0) {
    napi_create_double(env, -(double)errno, &result);
    return result;
  }
  // The kernel copies the name with its padding of NULs; the name ends at the first.
  size_t n = 0;
  while (n < (size_t)len && name[n] != '\0') n++;
  napi_create_string_latin1(env, name, n, &result);
  return result;
}

napi_value SetTcpCongestion(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd = -1;
  if (!socketCall(env, info, 2, argv, &fd, "setTcpCongestion(socketFd, name)")) return nullptr;
  char name[kCaNameMax + 1] = {0};
  size_t n = 0;
  napi_valuetype type;
  napi_typeof(env, argv[1], &type);
  if (type != napi_string || napi_get_value_string_latin1(env, argv[1], nullptr, 0, &n) != napi_ok || n == 0 || n >= kCaNameMax) {
    napi_throw_type_error(env, nullptr, "name must be a string of 1 to 15 characters");
    return nullptr;
  }
  napi_get_value_string_latin1(env, argv[1], name, sizeof name, &n);
  napi_value result;
  const int rc = setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)n);
  napi_create_double(env, rc == 0 ? 0 : -(double)errno, &result);
  return result;
}
}  // namespace
#endif

void alunite_register_cached_read(napi_env env, napi_value exports) {
#ifndef ALUNITE_CACHED_READ
  (void)env;
  (void)exports;
#else
  napi_value fn;
  napi_create_function(env, "readCached", NAPI_AUTO_LENGTH, ReadCached, nullptr, &fn);
  napi_set_named_property(env, exports, "readCached", fn);
  napi_create_function(env, "sendCached", NAPI_AUTO_LENGTH, SendCached, nullptr, &fn);
  napi_set_named_property(env, exports, "sendCached", fn);
  napi_create_function(env, "residentSpan", NAPI_AUTO_LENGTH, ResidentSpan, nullptr, &fn);
  napi_set_named_property(env, exports, "residentSpan", fn);
  napi_create_function(env, "tcpCongestion", NAPI_AUTO_LENGTH, TcpCongestion, nullptr, &fn);
  napi_set_named_property(env, exports, "tcpCongestion", fn);
  napi_create_function(env, "setTcpCongestion", NAPI_AUTO_LENGTH, SetTcpCongestion, nullptr, &fn);
  napi_set_named_property(env, exports, "setTcpCongestion", fn);
#endif
}
