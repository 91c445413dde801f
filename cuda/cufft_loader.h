// cuFFT at run time: the library is found with dlopen (it is not linked, so the addon loads on
// machines without CUDA libraries), and batched real transforms run through a cache of plans.
// Only the few cuFFT entry points longconv uses are declared here, with cuFFT's ABI; cufft.h is
// never included.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "library_search.h"
#include "plan_lru.h"

namespace lc {

using cufftHandle = int;
using cufftResult = int;  // 0 is CUFFT_SUCCESS
enum cufftType : int { CUFFT_R2C = 0x2a, CUFFT_C2R = 0x2c };

struct CufftApi {
  cufftResult (*getVersion)(int* version);
  cufftResult (*create)(cufftHandle* plan);
  cufftResult (*destroy)(cufftHandle plan);
  cufftResult (*setAutoAllocation)(cufftHandle plan, int autoAllocate);
  cufftResult (*setWorkArea)(cufftHandle plan, void* workArea);
  cufftResult (*makePlanMany64)(cufftHandle plan, int rank, long long* n, long long* inembed,
                                long long istride, long long idist, long long* onembed,
                                long long ostride, long long odist, cufftType type,
                                long long batch, size_t* workSize);
  // The data arguments are cufftReal* / cufftComplex* in cufft.h: plain device pointers.
  cufftResult (*execR2C)(cufftHandle plan, void* idata, void* odata);
  cufftResult (*execC2R)(cufftHandle plan, void* idata, void* odata);
};

// api (null when no candidate loaded), path, tried (for the "not found" message) and version:
// cufftGetVersion(), e.g. 12000 for cuFFT 12.0 (CUDA 13).
using CufftLibrary = CudaLibrary<CufftApi>;

// Searched once (thread-safe), in this order: $LONGCONV_CUFFT_PATH (a file, or a directory
// searched for the sonames below); the soname of the CUDA version this addon was built with
// (libcufft.so.12 for CUDA 13), then those of CUDA 13, 12 and 11 (libcufft.so.12, .11, .10) and
// libcufft.so, through the dynamic loader; then the same names in $CUDA_PATH/lib64,
// $CUDA_PATH/lib, $CUDA_HOME/lib64, $CUDA_HOME/lib and /usr/local/cuda/lib64. A candidate made
// for a newer CUDA than the driver supports is skipped (noted in `tried`). Never throws.
const CufftLibrary& cufft_library();

// "CUFFT_ALLOC_FAILED" and so on.
std::string cufft_result_name(cufftResult result);

// Batched in-place real transforms of length n over `batch` rows laid out as
//   [batch][n/2 + 1] complex  ==  [batch][2 * (n/2 + 1)] floats,
// the real signal occupying the first n floats of each row (cuFFT's padded in-place layout).
// Forward is unnormalized R2C; inverse is unnormalized C2R (so inverse(forward(x)) = n * x).
// `fill` queues the work that writes the rows' input; it runs before the transform and again
// before the one retry after a failure for lack of memory (a failed in-place transform may have
// overwritten part of its input).
// Plans are cached per (n, batch, direction) (at most 256, least recently used dropped); their
// work area comes from cuda_alloc. Work is queued on the legacy default stream. Throw lc::Error
// (lc::OutOfMemory when cuFFT cannot allocate even after cuda_empty_cache()).
void cufft_forward_real_inplace(float* rows, int64_t n, int64_t batch,
                                const std::function<void()>& fill);
void cufft_inverse_real_inplace(float* rows, int64_t n, int64_t batch,
                                const std::function<void()>& fill);

// Drops the cached plans not in use (part of cuda_empty_cache()).
void cufft_release_plans();
// How many plans are cached, and how many were evicted so far (for lc.memory()).
PlanCacheStats cufft_plan_stats();

}  // namespace lc
