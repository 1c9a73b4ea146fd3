// MD5 block function for Alunite's hash workers (src/util/md5-lanes.ts), for 1 to 8 independent messages
// at once. One MD5 is a chain of 64 dependent steps per block, so a core runs it at its latency (~1.4 ms/MiB
// here) with most of its ALUs idle; hashing several uploads' blocks together fills them: two messages as two
// interleaved scalar chains, three or four in SSE2 lanes, five to eight in AVX2 lanes where the CPU has it.
// Measured per MiB of each message (EPYC, 8 MiB messages, this file against OpenSSL): 1 lane 1.5 ms, 2 lanes 1.0,
// 4 lanes 0.55, 8 lanes 0.33; OpenSSL's single-message assembly 1.4.
// Only whole 64-byte blocks are hashed here; padding, the bit length and partial blocks stay in JavaScript.
//
// JS API:  md5Blocks(states: Uint32Array(4 n) [A, B, C, D per message], blocks: Uint8Array[n]) → undefined
//          n in 1..8, every view the same length, a multiple of 64; each state is advanced in place.
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include "md5.h"

// GCC and clang only (vector extensions, target attributes); elsewhere the addon has CRC-64 alone and the
// workers use node:crypto's MD5.
#if defined(__GNUC__) || defined(__clang__)
#define ALUNITE_MD5_LANES 1

// Every helper that takes or returns a vector is forced inline: the AVX2 entry points below must not call
// a helper compiled without AVX, which passes 32-byte vectors differently (at -O0/-Os a call would be kept:
// wrong digests or a crash).
#define INL __attribute__((always_inline)) inline

namespace {

const uint32_t K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

// Message word of each step (RFC 1321 §3.4) and the rotations of each round.
const int MSG[64] = {0, 1, 2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 1, 6, 11, 0,  5,  10,
                     15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 5, 8, 11, 14, 1, 4, 7, 10, 13, 0, 3, 6, 9, 12, 15, 2,
                     0, 7, 14, 5,  12, 3,  10, 1,  8,  15, 6,  13, 4,  11, 2,  9};
const int ROT[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

INL uint32_t load32le(const uint8_t* p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
#else
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
#endif
}

// Two messages as two scalar chains the compiler interleaves (the CPU runs them side by side).
struct Pair {
  uint32_t x, y;
};
INL Pair operator+(Pair a, Pair b) { return {a.x + b.x, a.y + b.y}; }
INL Pair operator+(Pair a, uint32_t k) { return {a.x + k, a.y + k}; }
INL Pair operator^(Pair a, Pair b) { return {a.x ^ b.x, a.y ^ b.y}; }
INL Pair operator&(Pair a, Pair b) { return {a.x & b.x, a.y & b.y}; }
INL Pair operator|(Pair a, Pair b) { return {a.x | b.x, a.y | b.y}; }
INL Pair operator~(Pair a) { return {~a.x, ~a.y}; }
INL Pair operator<<(Pair a, int s) { return {a.x << s, a.y << s}; }
INL Pair operator>>(Pair a, int s) { return {a.x >> s, a.y >> s}; }

typedef uint32_t V4 __attribute__((vector_size(16)));
typedef uint32_t V8 __attribute__((vector_size(32)));

template <typename V>
INL V rotl(V v, int s) {
  return (v << s) | (v >> (32 - s));
}

// One message word per lane.
template <typename V, int L>
struct Lanes;
template <>
struct Lanes<uint32_t, 1> {
  static INL uint32_t load(const uint8_t* const* p, size_t off) { return load32le(p[0] + off); }
  static INL uint32_t get(const uint32_t* s, int i) { return s[i]; }
  static INL void put(uint32_t* s, int i, uint32_t v, int) { s[i] = v; }
};
template <>
struct Lanes<Pair, 2> {
  static INL Pair load(const uint8_t* const* p, size_t off) { return {load32le(p[0] + off), load32le(p[1] + off)}; }
  static INL Pair get(const uint32_t* s, int i) { return {s[i], s[4 + i]}; }
  static INL void put(uint32_t* s, int i, Pair v, int) {
    s[i] = v.x;
    s[4 + i] = v.y;
  }
};
template <typename V, int L>
struct VecLanes {
  // Lanes beyond `n` repeat message 0 (their results are dropped): same work, no branches in the loop.
  static INL V load(const uint8_t* const* p, size_t off) {
    V v;
    for (int l = 0; l < L; l++) v[l] = load32le(p[l] + off);
    return v;
  }
  static INL V get(const uint32_t* s, int i, int n) {
    V v;
    for (int l = 0; l < L; l++) v[l] = s[4 * (l < n ? l : 0) + i];
    return v;
  }
  static INL void put(uint32_t* s, int i, V v, int n) {
    for (int l = 0; l < n; l++) s[4 * l + i] = v[l];
  }
};

template <typename V>
INL V F(V b, V c, V d) { return d ^ (b & (c ^ d)); }
template <typename V>
INL V G(V b, V c, V d) { return c ^ (d & (b ^ c)); }
template <typename V>
INL V H(V b, V c, V d) { return b ^ c ^ d; }
template <typename V>
INL V I(V b, V c, V d) { return c ^ (b | ~d); }

// The 64 steps of one block, unrolled (the rotations must be constants); W holds the block's 16 words.
template <typename V>
INL void compress(V& A, V& B, V& C, V& D, const V* W) {
  V a = A, b = B, c = C, d = D;
#define MD5_STEP(fn, i)                                  \
  {                                                      \
    V t = a + fn(b, c, d) + W[MSG[i]] + K[i];            \
    a = d;                                               \
    d = c;                                               \
    c = b;                                               \
    b = b + rotl(t, ROT[(i) / 16][(i) % 4]);             \
  }
#define MD5_4(fn, i) MD5_STEP(fn, i) MD5_STEP(fn, i + 1) MD5_STEP(fn, i + 2) MD5_STEP(fn, i + 3)
#define MD5_16(fn, i) MD5_4(fn, i) MD5_4(fn, i + 4) MD5_4(fn, i + 8) MD5_4(fn, i + 12)
  MD5_16(F, 0)
  MD5_16(G, 16)
  MD5_16(H, 32)
  MD5_16(I, 48)
#undef MD5_16
#undef MD5_4
#undef MD5_STEP
  A = A + a;
  B = B + b;
  C = C + c;
  D = D + d;
}

template <typename V, typename Ld>
INL void run(V& A, V& B, V& C, V& D, const uint8_t* const* p, size_t blocks) {
  for (size_t i = 0; i < blocks; i++) {
    V W[16];
    for (int j = 0; j < 16; j++) W[j] = Ld::load(p, 64 * i + 4 * j);
    compress(A, B, C, D, W);
  }
}

void one(uint32_t* s, const uint8_t* const* p, size_t blocks) {
  typedef Lanes<uint32_t, 1> Ld;
  uint32_t A = Ld::get(s, 0), B = Ld::get(s, 1), C = Ld::get(s, 2), D = Ld::get(s, 3);
  run<uint32_t, Ld>(A, B, C, D, p, blocks);
  Ld::put(s, 0, A, 1), Ld::put(s, 1, B, 1), Ld::put(s, 2, C, 1), Ld::put(s, 3, D, 1);
}

void two(uint32_t* s, const uint8_t* const* p, size_t blocks) {
  typedef Lanes<Pair, 2> Ld;
  Pair A = Ld::get(s, 0), B = Ld::get(s, 1), C = Ld::get(s, 2), D = Ld::get(s, 3);
  run<Pair, Ld>(A, B, C, D, p, blocks);
  Ld::put(s, 0, A, 2), Ld::put(s, 1, B, 2), Ld::put(s, 2, C, 2), Ld::put(s, 3, D, 2);
}

template <typename V, int L>
INL void vec(uint32_t* s, const uint8_t* const* p, int n, size_t blocks) {
  typedef VecLanes<V, L> Ld;
  const uint8_t* q[L];
  for (int l = 0; l < L; l++) q[l] = p[l < n ? l : 0];
  V A = Ld::get(s, 0, n), B = Ld::get(s, 1, n), C = Ld::get(s, 2, n), D = Ld::get(s, 3, n);
  run<V, Ld>(A, B, C, D, q, blocks);
  Ld::put(s, 0, A, n), Ld::put(s, 1, B, n), Ld::put(s, 2, C, n), Ld::put(s, 3, D, n);
}

void four(uint32_t* s, const uint8_t* const* p, int n, size_t blocks) { vec<V4, 4>(s, p, n, blocks); }
// Without AVX2 the compiler splits each 8-lane operation into two SSE2 ones.
void eight(uint32_t* s, const uint8_t* const* p, int n, size_t blocks) { vec<V8, 8>(s, p, n, blocks); }

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define ALUNITE_MD5_AVX2 1
__attribute__((target("avx2"))) void fourAvx2(uint32_t* s, const uint8_t* const* p, int n, size_t blocks) {
  vec<V4, 4>(s, p, n, blocks);
}
__attribute__((target("avx2"))) void eightAvx2(uint32_t* s, const uint8_t* const* p, int n, size_t blocks) {
  vec<V8, 8>(s, p, n, blocks);
}
bool hasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
const bool avx2 = hasAvx2();
#endif

}  // namespace

void alunite_md5_blocks(uint32_t* states, const uint8_t* const* blocks, int n, size_t count) {
  if (count == 0) return;
  if (n == 1) return one(states, blocks, count);
  if (n == 2) return two(states, blocks, count);
#ifdef ALUNITE_MD5_AVX2
  if (avx2) return n <= 4 ? fourAvx2(states, blocks, n, count) : eightAvx2(states, blocks, n, count);
#endif
  return n <= 4 ? four(states, blocks, n, count) : eight(states, blocks, n, count);
}

namespace {

napi_value Md5Blocks(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool isArray = false;
  if (argc >= 2) napi_is_array(env, argv[1], &isArray);
  uint32_t n = 0;
  if (isArray) napi_get_array_length(env, argv[1], &n);
  if (!isArray || n < 1 || n > 8) {
    napi_throw_range_error(env, nullptr, "blocks must be an array of 1 to 8 Uint8Arrays");
    return nullptr;
  }
  // First every element (a getter could run JavaScript and detach a buffer), then every pointer, with no
  // JavaScript in between.
  napi_value views[8];
  for (uint32_t l = 0; l < n; l++) {
    if (napi_get_element(env, argv[1], l, &views[l]) != napi_ok) return nullptr;
  }
  bool isTyped = false;
  napi_typedarray_type type;
  size_t stateLen = 0;
  void* stateData = nullptr;
  napi_is_typedarray(env, argv[0], &isTyped);
  if (!isTyped || napi_get_typedarray_info(env, argv[0], &type, &stateLen, &stateData, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array || stateLen != 4 * (size_t)n || stateData == nullptr) {
    napi_throw_type_error(env, nullptr, "states must be a Uint32Array of 4 words per message");
    return nullptr;
  }
  const uint8_t* ptrs[8];
  size_t len = 0;
  for (uint32_t l = 0; l < n; l++) {
    size_t count = 0;
    void* data = nullptr;
    isTyped = false;
    napi_is_typedarray(env, views[l], &isTyped);
    if (!isTyped || napi_get_typedarray_info(env, views[l], &type, &count, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
      napi_throw_type_error(env, nullptr, "blocks must be Uint8Arrays");
      return nullptr;
    }
    if (l == 0) len = count;
    if (count != len || count % 64 != 0) {
      napi_throw_range_error(env, nullptr, "blocks must all have the same length, a multiple of 64");
      return nullptr;
    }
    ptrs[l] = (const uint8_t*)data;
  }
  alunite_md5_blocks((uint32_t*)stateData, ptrs, (int)n, len / 64);
  return nullptr;
}

}  // namespace

#endif  // ALUNITE_MD5_LANES

void alunite_register_md5(napi_env env, napi_value exports) {
#ifndef ALUNITE_MD5_LANES
  (void)env;
  (void)exports;
#else
  napi_value fn;
  napi_create_function(env, "md5Blocks", NAPI_AUTO_LENGTH, Md5Blocks, nullptr, &fn);
  napi_set_named_property(env, exports, "md5Blocks", fn);
#ifdef ALUNITE_MD5_AVX2
  const char* lanes = avx2 ? "avx2" : "sse2";
#else
  const char* lanes = "generic";
#endif
  napi_value impl;
  napi_create_string_utf8(env, lanes, NAPI_AUTO_LENGTH, &impl);
  napi_set_named_property(env, exports, "md5Impl", impl);
#endif
}
