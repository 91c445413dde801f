// CUDA errors as lc::Error (launches and launch geometry: cuda/kernel_common.cuh).
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "errors.h"

namespace lc {

// Throws unless err is cudaSuccess: lc::OutOfMemory for cudaErrorMemoryAllocation (which a
// launch also returns when the kernel's lazily loaded module does not fit), else lc::Error.
inline void check_cuda(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so later calls are unaffected
  const std::string message = std::string(what) + ": " + cudaGetErrorString(err);
  if (err == cudaErrorMemoryAllocation) throw OutOfMemory("CUDA out of memory: " + message);
  throw Error(message);
}

}  // namespace lc
