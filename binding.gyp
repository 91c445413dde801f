# CPU-only build with node-gyp alone, for machines without cmake. The CUDA backend needs the
# CMake build (CMakeLists.txt); here cuda/cuda_backend_stub.cc reports it as unavailable.
{
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-Wall", "-Wextra"],
    "include_dirs": ["native", "cuda", "<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=2147483647", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
  },
  "targets": [
    {
      "target_name": "longconv_avx2",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('_avx2.cc')).map(f => 'native/' + f).join(' ')\")"],
      "cflags": ["-mavx2", "-mfma", "-fPIC"]
    },
    {
      "target_name": "longconv",
      "dependencies": ["longconv_avx2"],
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('.cc') && !f.endsWith('_avx2.cc')).map(f => 'native/' + f).join(' ')\")",
        "cuda/cuda_backend_stub.cc"
      ]
    }
  ]
}
