// CPU-only builds (no nvcc): cuda_backend.h and every op's *_cuda functions, reporting why CUDA
// is unavailable. This is the one file such builds get their CUDA symbols from: each op with a
// CUDA half adds its stubs in a section below, each body a call to unavailable().
#include <string>

#include "cuda_backend.h"
#include "elementwise.h"
#include "errors.h"
#include "fftconv.h"

namespace lc {
namespace {

constexpr const char* kReason =
    "built without CUDA support (CPU-only build: no nvcc when it was compiled)";

[[noreturn]] void unavailable() { throw Error(std::string("CUDA is not available: ") + kReason); }

}  // namespace

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

// ---- fftconv.h ----

int64_t fftconv_kernel_spectrum_floats_cuda(int64_t, int64_t, int64_t) { unavailable(); }
int64_t fftconv_input_spectrum_floats_cuda(int64_t, int64_t, int64_t) { unavailable(); }
void fftconv_kernel_spectrum_cuda(const float*, const float*, const float*, int64_t, int64_t,
                                  int64_t, float*) {
  unavailable();
}
void fftconv_forward_cuda(const float*, const float*, int64_t, int64_t, int64_t, int64_t, float*,
                          float*) {
  unavailable();
}
void fftconv_backward_cuda(const float*, const float*, const float*, int64_t, int64_t, int64_t,
                           int64_t, float*, float*, float*, float*) {
  unavailable();
}

// ---- elementwise.h ----

void add_cuda(const float*, const float*, float*, int64_t) { unavailable(); }

}  // namespace lc
