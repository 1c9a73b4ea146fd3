// A page-cache-only read for downloads (cached-read.cc).
#pragma once
#include <node_api.h>

/** Adds readCached to the addon's exports where the platform has preadv2 with RWF_NOWAIT (Linux). */
void alunite_register_cached_read(napi_env env, napi_value exports);
