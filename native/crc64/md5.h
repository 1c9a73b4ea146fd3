// MD5 blocks for 1 to 8 messages at once (md5.cc).
#pragma once
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/** Advances n (1..8) MD5 states (4 words each, in `states`) over `count` 64-byte blocks of each message. */
void alunite_md5_blocks(uint32_t* states, const uint8_t* const* blocks, int n, size_t count);
/** Adds md5Blocks and md5Impl to the addon's exports. */
void alunite_register_md5(napi_env env, napi_value exports);
