// A page-cache-only read for downloads (cached-read.cc).
#pragma once
#include <node_api.h>

/** Adds readCached, sendCached, residentSpan, tcpCongestion and setTcpCongestion to the addon's exports where the platform has them (Linux). */
void alunite_register_cached_read(napi_env env, napi_value exports);
