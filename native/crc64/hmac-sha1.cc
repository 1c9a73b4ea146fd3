// HMAC-SHA1 for the V1 OSS and POP RPC signatures (src/util/hmac-sha1.ts): every signed request computes one
// over a string to sign of ~60-700 bytes, with the key's two padded blocks hashed once per secret in JavaScript.
// In JavaScript each SHA-1 compression costs ~4-5 k instructions (typed-array loads and stores of the schedule);
// here ~2 k, and the digest comes back as its base64 text: a GET's HMAC 20.7 k -> 9.4 k instructions in a loop
// (docs/operations.md, twenty-sixth pass). From ~470 bytes OpenSSL's assembly through node's one-shot hash is
// cheaper, so longer messages go there (ADDON_BELOW_BYTES in hmac-sha1.ts). Portable C, no SHA
// extensions: the same code runs under valgrind, where the counts are taken. No branch or index depends on the
// key's or the message's bytes.
//
// JS API:  hmacSha1Base64(pads: Int32Array(10) [inner state 5 words, outer state 5 words],
//                         message: Uint8Array, length: number) → string (28 characters)
//          the states are SHA-1 states after the key ⊕ ipad and key ⊕ opad blocks (64 bytes hashed);
//          the message is the first `length` bytes of `message`.
#include "hmac-sha1.h"
#include "napi-args.h"

#include <stdint.h>
#include <string.h>

namespace {

inline uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

void compress(uint32_t h[5], const uint8_t* b) {
  uint32_t w[80];
  for (int i = 0; i < 16; i++) {
    w[i] = ((uint32_t)b[i * 4] << 24) | ((uint32_t)b[i * 4 + 1] << 16) | ((uint32_t)b[i * 4 + 2] << 8) | (uint32_t)b[i * 4 + 3];
  }
  for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], t;
  for (int i = 0; i < 20; i++) {
    t = rol(a, 5) + ((bb & c) | (~bb & d)) + e + 0x5a827999u + w[i];
    e = d; d = c; c = rol(bb, 30); bb = a; a = t;
  }
  for (int i = 20; i < 40; i++) {
    t = rol(a, 5) + (bb ^ c ^ d) + e + 0x6ed9eba1u + w[i];
    e = d; d = c; c = rol(bb, 30); bb = a; a = t;
  }
  for (int i = 40; i < 60; i++) {
    t = rol(a, 5) + ((bb & c) | (bb & d) | (c & d)) + e + 0x8f1bbcdcu + w[i];
    e = d; d = c; c = rol(bb, 30); bb = a; a = t;
  }
  for (int i = 60; i < 80; i++) {
    t = rol(a, 5) + (bb ^ c ^ d) + e + 0xca62c1d6u + w[i];
    e = d; d = c; c = rol(bb, 30); bb = a; a = t;
  }
  h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e;
}

/** Hashes `len` bytes into `h` (after `before` bytes already hashed, a multiple of 64), padding included. */
void finish(uint32_t h[5], const uint8_t* msg, size_t len, size_t before) {
  size_t whole = len / 64;
  for (size_t i = 0; i < whole; i++) compress(h, msg + i * 64);
  uint8_t tail[128];
  size_t rest = len - whole * 64;
  memcpy(tail, msg + whole * 64, rest);
  tail[rest] = 0x80;
  size_t end = rest < 56 ? 64 : 128;
  memset(tail + rest + 1, 0, end - rest - 1);
  uint64_t bits = (uint64_t)(len + before) * 8;
  for (int i = 0; i < 8; i++) tail[end - 1 - i] = (uint8_t)(bits >> (8 * i));
  compress(h, tail);
  if (end == 128) compress(h, tail + 64);
}

void bigEndian(uint8_t* out, const uint32_t h[5]) {
  for (int i = 0; i < 5; i++) {
    out[i * 4] = (uint8_t)(h[i] >> 24);
    out[i * 4 + 1] = (uint8_t)(h[i] >> 16);
    out[i * 4 + 2] = (uint8_t)(h[i] >> 8);
    out[i * 4 + 3] = (uint8_t)h[i];
  }
}

const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

napi_value HmacSha1Base64(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!takeArgs(env, info, 3, 3, argv, "hmacSha1Base64(pads, message, length)")) return nullptr;
  // The length first (a number, no JavaScript runs), then the two views' pointers.
  double lengthArg = -1;
  // Range first (NaN fails it): the cast below is defined only for values a uint32_t holds.
  if (napi_get_value_double(env, argv[2], &lengthArg) != napi_ok || !(lengthArg >= 0 && lengthArg <= 4294967295.0) ||
      lengthArg != (double)(uint32_t)lengthArg) {
    napi_throw_type_error(env, nullptr, "length must be a whole number of bytes");
    return nullptr;
  }
  bool isTyped = false;
  napi_typedarray_type type;
  size_t padsLen = 0, count = 0;
  void* padsData = nullptr;
  void* data = nullptr;
  napi_is_typedarray(env, argv[0], &isTyped);
  if (!isTyped || napi_get_typedarray_info(env, argv[0], &type, &padsLen, &padsData, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array || padsLen != 10 || padsData == nullptr) {
    napi_throw_type_error(env, nullptr, "pads must be an Int32Array of 10 words");
    return nullptr;
  }
  isTyped = false;
  napi_is_typedarray(env, argv[1], &isTyped);
  if (!isTyped || napi_get_typedarray_info(env, argv[1], &type, &count, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "message must be a Uint8Array");
    return nullptr;
  }
  size_t length = (uint32_t)lengthArg;
  if (length > count || (length > 0 && data == nullptr)) {
    napi_throw_range_error(env, nullptr, "length is beyond the message's bytes");
    return nullptr;
  }
  uint32_t pads[10];
  memcpy(pads, padsData, sizeof pads);
  uint32_t h[5];
  memcpy(h, pads, 20);
  finish(h, (const uint8_t*)data, length, 64);
  uint8_t inner[20];
  bigEndian(inner, h);
  memcpy(h, pads + 5, 20);
  finish(h, inner, 20, 64);
  uint8_t mac[21];
  bigEndian(mac, h);
  mac[20] = 0;
  // 20 bytes: six groups of three, then two bytes and one '='.
  char text[28];
  for (int g = 0; g < 7; g++) {
    uint32_t v = ((uint32_t)mac[g * 3] << 16) | ((uint32_t)mac[g * 3 + 1] << 8) | (uint32_t)mac[g * 3 + 2];
    text[g * 4] = B64[(v >> 18) & 63];
    text[g * 4 + 1] = B64[(v >> 12) & 63];
    text[g * 4 + 2] = B64[(v >> 6) & 63];
    text[g * 4 + 3] = B64[v & 63];
  }
  text[27] = '=';
  napi_value out;
  if (napi_create_string_latin1(env, text, 28, &out) != napi_ok) return nullptr;
  return out;
}

}  // namespace

void alunite_register_hmac_sha1(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "hmacSha1Base64", NAPI_AUTO_LENGTH, HmacSha1Base64, nullptr, &fn);
  napi_set_named_property(env, exports, "hmacSha1Base64", fn);
}
