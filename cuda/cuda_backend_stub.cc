// CPU-only builds (no nvcc) compile this file instead of the CUDA sources: cuda_backend.h's
// answers for a build without CUDA (backendInfo's reason, empty memory statistics, refusals).
// No kernel needs a stub: their dispatch (native/dispatch.h) leaves the CUDA branch out.
#include <string>

#include "cuda_backend.h"
#include "errors.h"

namespace lc {
namespace {

constexpr const char* kReason =
    "built without CUDA support (CPU-only build: no nvcc when it was compiled)";

}  // namespace

void cuda_unavailable() { throw CudaUnavailable(std::string("CUDA is not available: ") + kReason); }

// ---- cuda_backend.h ----

const CudaInfo& cuda_info() {
  static const CudaInfo info = [] {
    CudaInfo result;
    result.reason = kReason;
    return result;
  }();
  return info;
}

void cuda_require() { cuda_unavailable(); }

int cuda_select_device(int) { return -1; }  // no CUDA, no device to choose

void* cuda_alloc(size_t) { cuda_unavailable(); }

// Nothing was ever allocated, so only null is a valid argument.
void cuda_free(void* ptr) {
  if (ptr) throw Error("cuda_free: pointer was not allocated by cuda_alloc");
}

CudaMemoryStats cuda_memory_stats() { return CudaMemoryStats(); }

void cuda_empty_cache() {}

void cuda_copy_to_device(void*, const void*, size_t) { cuda_unavailable(); }
void cuda_copy_to_host(void*, const void*, size_t) { cuda_unavailable(); }
void cuda_copy_device(void*, const void*, size_t) { cuda_unavailable(); }
void cuda_zero(void*, size_t) { cuda_unavailable(); }
void cuda_synchronize() { cuda_unavailable(); }
void cuda_timer_start() { cuda_unavailable(); }
double cuda_timer_stop_ms() { cuda_unavailable(); }
CudaHostRead* cuda_read_begin(const void*, size_t) { cuda_unavailable(); }
void cuda_read_finish(CudaHostRead*, void*) { cuda_unavailable(); }
void cuda_read_discard(CudaHostRead*) {}

}  // namespace lc
