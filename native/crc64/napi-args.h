// The arguments of the addon's functions (cached-read.cc, hmac-sha1.cc).
#pragma once
#include <node_api.h>

/**
 * Reads up to `count` arguments into argv (missing ones are undefined); throws a TypeError whose message is `usage`
 * and returns false when fewer than `required` came.
 */
inline bool takeArgs(napi_env env, napi_callback_info info, size_t count, size_t required, napi_value* argv, const char* usage) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < required) {
    napi_throw_type_error(env, nullptr, usage);
    return false;
  }
  return true;
}
