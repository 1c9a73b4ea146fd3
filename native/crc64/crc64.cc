// CRC-64/XZ ("crc64ecma" in OSS) for Alunite: carry-less multiply folding (PCLMULQDQ) where the CPU has
// it, slicing-by-8 tables otherwise. Only the register update lives here; init/xorout and combine stay in
// JavaScript (src/util/crc64.ts), which also has a complete fallback when this addon is absent.
//
// JS API:  update(state: Uint32Array(2) [lo, hi], data: ArrayBufferView, mode?: 0 auto | 1 table) → undefined
//          impl: "pclmul" | "table"   (what `auto` uses on this CPU)
// The same addon carries the MD5 lanes of md5.cc (md5Blocks, md5Impl) and the page-cache read of
// cached-read.cc (readCached), and the short HMAC-SHA1 of hmac-sha1.cc (hmacSha1Base64).
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include "cached-read.h"
#include "hmac-sha1.h"
#include "md5.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define ALUNITE_X86 1
#include <immintrin.h>
#endif

namespace {

// Reflected ECMA-182 polynomial (as in the JS tables) and the normal one (for x^n mod P).
const uint64_t POLY_REFLECTED = 0xC96C5795D7870F42ULL;
const uint64_t POLY_NORMAL = 0x42F0E1EBA9EA3693ULL;

uint64_t table[8][256];

void buildTables() {
  for (int n = 0; n < 256; n++) {
    uint64_t c = (uint64_t)n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY_REFLECTED : c >> 1;
    table[0][n] = c;
  }
  for (int t = 1; t < 8; t++)
    for (int n = 0; n < 256; n++) table[t][n] = (table[t - 1][n] >> 8) ^ table[0][table[t - 1][n] & 0xff];
}

inline uint64_t load64le(const uint8_t* p) {
  return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24) |
         ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) | ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

uint64_t updateTable(uint64_t crc, const uint8_t* p, size_t len) {
  while (len >= 8) {
    crc ^= load64le(p);
    crc = table[7][crc & 0xff] ^ table[6][(crc >> 8) & 0xff] ^ table[5][(crc >> 16) & 0xff] ^
          table[4][(crc >> 24) & 0xff] ^ table[3][(crc >> 32) & 0xff] ^ table[2][(crc >> 40) & 0xff] ^
          table[1][(crc >> 48) & 0xff] ^ table[0][crc >> 56];
    p += 8;
    len -= 8;
  }
  while (len--) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
  return crc;
}

#ifdef ALUNITE_X86
// Folding constants, derived at load time rather than copied: in the reflected domain a 64×64 carry-less
// product lands one bit off, i.e. as the true product times x, so folding a 128-bit block over d bits
// multiplies its first (higher-degree) half by x^(d+64-1) mod P and its second half by x^(d-1) mod P.
uint64_t reflect64(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; i++) r |= ((v >> i) & 1) << (63 - i);
  return r;
}

uint64_t xPowModP(unsigned n) {
  uint64_t r = 1;  // x^0, normal representation (bit i = coefficient of x^i), degree < 64
  for (unsigned i = 0; i < n; i++) r = (r & (1ULL << 63)) ? (r << 1) ^ POLY_NORMAL : r << 1;
  return reflect64(r);
}

uint64_t k512hi, k512lo, k128hi, k128lo;  // fold over 64 bytes (4 lanes) and over 16 bytes
bool hasPclmul = false;

__attribute__((target("pclmul,sse2"))) inline __m128i fold(__m128i x, __m128i k) {
  // k = [lo64: constant for x's first half, hi64: constant for its second half]
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) uint64_t updatePclmul(uint64_t crc, const uint8_t* p, size_t len) {
  if (len < 128) return updateTable(crc, p, len);
  const __m128i k512 = _mm_set_epi64x((long long)k512lo, (long long)k512hi);
  const __m128i k128 = _mm_set_epi64x((long long)k128lo, (long long)k128hi);
  __m128i x0 = _mm_loadu_si128((const __m128i*)(p + 0));
  __m128i x1 = _mm_loadu_si128((const __m128i*)(p + 16));
  __m128i x2 = _mm_loadu_si128((const __m128i*)(p + 32));
  __m128i x3 = _mm_loadu_si128((const __m128i*)(p + 48));
  x0 = _mm_xor_si128(x0, _mm_set_epi64x(0, (long long)crc));
  p += 64;
  len -= 64;
  while (len >= 64) {
    x0 = _mm_xor_si128(fold(x0, k512), _mm_loadu_si128((const __m128i*)(p + 0)));
    x1 = _mm_xor_si128(fold(x1, k512), _mm_loadu_si128((const __m128i*)(p + 16)));
    x2 = _mm_xor_si128(fold(x2, k512), _mm_loadu_si128((const __m128i*)(p + 32)));
    x3 = _mm_xor_si128(fold(x3, k512), _mm_loadu_si128((const __m128i*)(p + 48)));
    p += 64;
    len -= 64;
  }
  x1 = _mm_xor_si128(x1, fold(x0, k128));
  x2 = _mm_xor_si128(x2, fold(x1, k128));
  x3 = _mm_xor_si128(x3, fold(x2, k128));
  // The last 16 bytes (state already folded in) reduce with the tables, from a zero register.
  uint8_t last[16];
  _mm_storeu_si128((__m128i*)last, x3);
  return updateTable(updateTable(0, last, 16), p, len);
}
#endif

uint64_t update(uint64_t crc, const uint8_t* p, size_t len, bool tableOnly) {
#ifdef ALUNITE_X86
  if (hasPclmul && !tableOnly) return updatePclmul(crc, p, len);
#endif
  (void)tableOnly;
  return updateTable(crc, p, len);
}

napi_value Update(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) {
    napi_throw_type_error(env, nullptr, "update(state, data[, mode])");
    return nullptr;
  }
  napi_typedarray_type type;
  size_t stateLen;
  void* stateData;
  bool isTyped = false;
  napi_is_typedarray(env, argv[0], &isTyped);
  if (!isTyped || napi_get_typedarray_info(env, argv[0], &type, &stateLen, &stateData, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array || stateLen != 2) {
    napi_throw_type_error(env, nullptr, "state must be a Uint32Array of length 2");
    return nullptr;
  }
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  bool ok = false;
  napi_is_typedarray(env, argv[1], &isTyped);
  if (isTyped) {
    size_t count;
    void* data;
    napi_value ab;
    size_t offset;
    if (napi_get_typedarray_info(env, argv[1], &type, &count, &data, &ab, &offset) == napi_ok && type == napi_uint8_array) {
      bytes = (const uint8_t*)data;
      len = count;
      ok = true;
    }
  }
  if (!ok) {
    napi_throw_type_error(env, nullptr, "data must be a Uint8Array");
    return nullptr;
  }
  int32_t mode = 0;
  if (argc >= 3) napi_get_value_int32(env, argv[2], &mode);
  uint32_t* s = (uint32_t*)stateData;
  uint64_t crc = ((uint64_t)s[1] << 32) | s[0];
  if (len > 0) crc = update(crc, bytes, len, mode == 1);
  s[0] = (uint32_t)crc;
  s[1] = (uint32_t)(crc >> 32);
  return nullptr;
}

struct Init {
  Init() {
    buildTables();
#ifdef ALUNITE_X86
    __builtin_cpu_init();
    hasPclmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    k512hi = xPowModP(512 + 63);
    k512lo = xPowModP(512 - 1);
    k128hi = xPowModP(128 + 63);
    k128lo = xPowModP(128 - 1);
#endif
  }
} init;

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn, impl;
  napi_create_function(env, "update", NAPI_AUTO_LENGTH, Update, nullptr, &fn);
  napi_set_named_property(env, exports, "update", fn);
#ifdef ALUNITE_X86
  const char* name = hasPclmul ? "pclmul" : "table";
#else
  const char* name = "table";
#endif
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &impl);
  napi_set_named_property(env, exports, "impl", impl);
  alunite_register_md5(env, exports);
  alunite_register_cached_read(env, exports);
  alunite_register_hmac_sha1(env, exports);
  return exports;
}
