// A read that answers only from the page cache, for downloads (src/store/blob/file-range-stream.ts).
// node's fs.read runs on libuv's thread pool: each 256 KiB block of a download costs a hand-off to a worker
// thread and back (futex wake-ups, two context switches, an event-loop callback), which was about a third
// of a large GET's server CPU. preadv2 with RWF_NOWAIT copies the bytes right away when the page cache holds
// them and refuses (EAGAIN) rather than wait for the disk, so the event loop never waits on the device:
// a refused read goes to the thread pool as before.
//
// JS API:  readCached(fd: number, into: Uint8Array, length: number, position: number) → number
//          bytes read (> 0; fewer than `length` when only part is cached), 0 at the end of the file, or a
//          negative errno (-EAGAIN: not cached; -EOPNOTSUPP/-ENOSYS/-EINVAL: this kernel or file system
//          cannot). Absent where preadv2 and RWF_NOWAIT are not available (not Linux).
#include <node_api.h>
#include <stdint.h>

#if defined(__linux__)
#include <errno.h>
#include <sys/uio.h>
#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008  // linux/fs.h, kernel 4.14; older C libraries lack the name
#endif
#define ALUNITE_CACHED_READ 1
#endif

#ifdef ALUNITE_CACHED_READ
namespace {

napi_value ReadCached(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 4) {
    napi_throw_type_error(env, nullptr, "readCached(fd, into, length, position)");
    return nullptr;
  }
  // Numbers first (a valueOf could run JavaScript and detach the buffer), then the buffer's pointer.
  int32_t fd = -1;
  double length = 0, position = 0;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_double(env, argv[2], &length) != napi_ok ||
      napi_get_value_double(env, argv[3], &position) != napi_ok) {
    napi_throw_type_error(env, nullptr, "fd, length and position must be numbers");
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
  // Whole numbers only, inside the view and inside what a file offset can say.
  if (!(length >= 1) || length != (double)(int64_t)length || length > (double)count || data == nullptr) {
    napi_throw_range_error(env, nullptr, "length must be a whole number from 1 to the view's length");
    return nullptr;
  }
  if (!(position >= 0) || position != (double)(int64_t)position || position > 9007199254740991.0 || fd < 0) {
    napi_throw_range_error(env, nullptr, "fd and position must be whole numbers, not negative");
    return nullptr;
  }
  struct iovec iov;
  iov.iov_base = data;
  iov.iov_len = (size_t)length;
  ssize_t n;
  do {
    n = preadv2(fd, &iov, 1, (off_t)position, RWF_NOWAIT);
  } while (n < 0 && errno == EINTR);
  napi_value out;
  napi_create_double(env, n < 0 ? -(double)errno : (double)n, &out);
  return out;
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
#endif
}
