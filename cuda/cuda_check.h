// Shared helpers for the .cu files: launch geometry, kernel launches and CUDA error -> lc::Error.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "cuda_backend.h"
#include "errors.h"

namespace lc {

constexpr int kBlock = 256;

// Blocks for a grid-stride loop over n items: enough to fill the device, never zero.
inline unsigned grid_for(int64_t n, int block = kBlock) {
  int64_t blocks = (n + block - 1) / block;
  return unsigned(std::max<int64_t>(1, std::min<int64_t>(blocks, 1 << 20)));
}

// Throws unless err is cudaSuccess: lc::OutOfMemory for cudaErrorMemoryAllocation (which a
// launch also returns when the kernel's lazily loaded module does not fit), else lc::Error.
inline void check_cuda(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so later calls are unaffected
  const std::string message = std::string(what) + ": " + cudaGetErrorString(err);
  if (err == cudaErrorMemoryAllocation) throw OutOfMemory("CUDA out of memory: " + message);
  throw Error(message);
}

#ifdef __CUDACC__
// kernel<<<grid, block>>>(args...), checked. Since lazy loading (the default from CUDA 12.2)
// loads a kernel's module at its first launch, a launch can be refused for lack of device
// memory while the caching allocator holds plenty: it is retried once after the cache is
// emptied (nothing ran, so the retry is safe), and a second refusal is lc::OutOfMemory.
template <typename... Params, typename... Args>
void launch_kernel(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block,
                   Args... args) {
  kernel<<<grid, block>>>(args...);
  cudaError_t err = cudaGetLastError();
  if (err == cudaErrorMemoryAllocation) {
    cuda_empty_cache();
    kernel<<<grid, block>>>(args...);
    err = cudaGetLastError();
  }
  check_cuda(err, name);
}
#endif

}  // namespace lc
