// Shared helpers for the .cu files: launch geometry and CUDA error -> lc::Error.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "errors.h"

namespace lc {

constexpr int kBlock = 256;

// Blocks for a grid-stride loop over n items: enough to fill the device, never zero.
inline unsigned grid_for(int64_t n, int block = kBlock) {
  int64_t blocks = (n + block - 1) / block;
  return unsigned(std::max<int64_t>(1, std::min<int64_t>(blocks, 1 << 20)));
}

inline void check_cuda(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so later calls are unaffected
    throw Error(std::string(what) + ": " + cudaGetErrorString(err));
  }
}

inline void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }

}  // namespace lc
