// CPU-only builds (no nvcc) compile cuda/*_stub.cc instead of the CUDA sources: this file
// stands in for cuda_backend.h, and each op's <op>_stub.cc for its *_cuda functions.
#include <string>

#include "cuda_backend.h"
#include "errors.h"
#include "stub.h"

namespace lc {
namespace {

constexpr const char* kReason =
    "built without CUDA support (CPU-only build: no nvcc when it was compiled)";

}  // namespace

void unavailable() { throw Error(std::string("CUDA is not available: ") + kReason); }

// ---- cuda_backend.h ----

const CudaInfo& cuda_info() {
  static const CudaInfo info = [] {
    CudaInfo result;
    result.reason = kReason;
    return result;
  }();
  return info;
}

void cuda_require() { unavailable(); }

void* cuda_alloc(size_t) { unavailable(); }

// Nothing was ever allocated, so only null is a valid argument.
void cuda_free(void* ptr) {
  if (ptr) throw Error("cuda_free: pointer was not allocated by cuda_alloc");
}

CudaMemoryStats cuda_memory_stats() { return CudaMemoryStats(); }

void cuda_empty_cache() {}

void cuda_copy_to_device(void*, const void*, size_t) { unavailable(); }
void cuda_copy_to_host(void*, const void*, size_t) { unavailable(); }
void cuda_copy_device(void*, const void*, size_t) { unavailable(); }
void cuda_zero(void*, size_t) { unavailable(); }
void cuda_synchronize() { unavailable(); }
CudaHostRead* cuda_read_begin(const void*, size_t) { unavailable(); }
void cuda_read_finish(CudaHostRead*, void*) { unavailable(); }
void cuda_read_discard(CudaHostRead*) {}

}  // namespace lc
