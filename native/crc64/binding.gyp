{
  "targets": [
    {
      "target_name": "alunite_crc64",
      "sources": ["crc64.cc", "md5.cc", "cached-read.cc", "hmac-sha1.cc"],
      "cflags": ["-O3"],
      "cflags_cc": ["-O3", "-Wno-psabi"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] },
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
