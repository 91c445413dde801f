// cuBLAS at run time, found with dlopen like cuFFT (cuda/cufft_loader.h): the addon loads on
// machines without it, and only matmul/linear on CUDA need it. Only the entry points longconv
// uses are declared here, with cuBLAS's ABI; cublas_v2.h is never included.
#pragma once
#include <mutex>
#include <string>

#include "library_search.h"

namespace lc {

struct CublasContext;  // cuBLAS's opaque cublasContext
using cublasHandle_t = CublasContext*;
using cublasStatus_t = int;  // 0 is CUBLAS_STATUS_SUCCESS
enum cublasOperation_t : int { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };

struct CublasApi {
  cublasStatus_t (*getProperty)(int type, int* value);  // type: a libraryPropertyType
  cublasStatus_t (*create)(cublasHandle_t* handle);
  cublasStatus_t (*destroy)(cublasHandle_t handle);
  cublasStatus_t (*setStream)(cublasHandle_t handle, void* stream);  // a cudaStream_t
  cublasStatus_t (*setMathMode)(cublasHandle_t handle, int mode);
  cublasStatus_t (*sgemm)(cublasHandle_t handle, cublasOperation_t transa,
                          cublasOperation_t transb, int m, int n, int k, const float* alpha,
                          const float* A, int lda, const float* B, int ldb, const float* beta,
                          float* C, int ldc);
  cublasStatus_t (*sgemmStridedBatched)(cublasHandle_t handle, cublasOperation_t transa,
                                        cublasOperation_t transb, int m, int n, int k,
                                        const float* alpha, const float* A, int lda,
                                        long long strideA, const float* B, int ldb,
                                        long long strideB, const float* beta, float* C, int ldc,
                                        long long strideC, int batchCount);
};

// api (null when no candidate loaded), path, tried (for the "not found" message) and version:
// 10000 * major + 100 * minor + patch, as CUBLAS_VERSION.
using CublasLibrary = CudaLibrary<CublasApi>;

// Searched once (thread-safe), in this order: $LONGCONV_CUBLAS_PATH (a file, or a directory
// searched for the sonames below); the soname of the CUDA version this addon was built with
// (libcublas.so.13 for CUDA 13), then libcublas.so.13, .12, .11 (CUDA 13, 12, 11) and
// libcublas.so, through the dynamic loader; then the same names in $CUDA_PATH/lib64,
// $CUDA_PATH/lib, $CUDA_HOME/lib64, $CUDA_HOME/lib and /usr/local/cuda/lib64. A candidate made
// for a newer CUDA than the driver supports is skipped (noted in `tried`). Never throws.
const CublasLibrary& cublas_library();

// Why cuBLAS cannot be used, in words (empty when it was found).
std::string cublas_unavailable_reason();

// The process's cuBLAS handle (created on first use: FP32 math, no TF32; the legacy default
// stream, which every longconv kernel uses) with the lock that serialises its use. Throws
// lc::Error when cuBLAS is missing or the handle cannot be created (lc::OutOfMemory when it
// does not fit even after cuda_empty_cache()).
struct CublasSession {
  const CublasApi& api;
  cublasHandle_t handle;
  std::unique_lock<std::mutex> lock;
};
CublasSession cublas_session();

// Whether a failure may be for lack of device memory: ALLOC_FAILED, or EXECUTION_FAILED (a
// kernel whose lazily loaded module did not fit). Such a call is worth one retry after
// cuda_empty_cache(), when it can be repeated safely.
bool cublas_memory_failure(cublasStatus_t status);

// Throws lc::Error naming `call` unless status is success (lc::OutOfMemory for
// CUBLAS_STATUS_ALLOC_FAILED).
void cublas_check(cublasStatus_t status, const char* call);

}  // namespace lc
