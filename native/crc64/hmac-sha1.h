// HMAC-SHA1 of a short message over a key's pads hashed once (hmac-sha1.cc).
#pragma once
#include <node_api.h>

/** Adds hmacSha1Base64 to the addon's exports. */
void alunite_register_hmac_sha1(napi_env env, napi_value exports);
