#include "cublas_loader.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include "cuda_backend.h"
#include "errors.h"
#include "library_search.h"

namespace lc {
namespace {

constexpr cublasStatus_t kSuccess = 0;
constexpr cublasStatus_t kAllocFailed = 3;
constexpr cublasStatus_t kExecutionFailed = 13;
constexpr int kDefaultMath = 0;  // CUBLAS_DEFAULT_MATH: FP32 SGEMM (TF32 only when asked for)
// libraryPropertyType (library_types.h)
constexpr int kMajorVersion = 0, kMinorVersion = 1, kPatchLevel = 2;

std::string status_name(cublasStatus_t status) {
  switch (status) {
    case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7: return "CUBLAS_STATUS_INVALID_VALUE";
    case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 11: return "CUBLAS_STATUS_MAPPING_ERROR";
    case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case 16: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "cuBLAS status " + std::to_string(status);
  }
}

CublasLibrary load_library() {
  static CublasApi api;  // lives as long as the process; CublasLibrary points at it
  int driverVersion = 0;
  if (cudaDriverGetVersion(&driverVersion) != cudaSuccess) driverVersion = 0;
  // cuBLAS's soname major and version major are the CUDA major (libcublas.so.13: CUDA 13).
  return CublasLibrary(
      api, find_cuda_library(
               "LONGCONV_CUBLAS_PATH",
               cuda_library_sonames("libcublas.so", {13, 12, 11}, CUDART_VERSION / 1000),
               driverVersion, [](void* library, LibraryVersion& version, std::string& rejection) {
                 bind_symbol(library, "cublasGetProperty", api.getProperty, rejection);
                 bind_symbol(library, "cublasCreate_v2", api.create, rejection);
                 bind_symbol(library, "cublasDestroy_v2", api.destroy, rejection);
                 bind_symbol(library, "cublasSetStream_v2", api.setStream, rejection);
                 bind_symbol(library, "cublasSetMathMode", api.setMathMode, rejection);
                 bind_symbol(library, "cublasSgemm_v2", api.sgemm, rejection);
                 bind_symbol(library, "cublasSgemmStridedBatched", api.sgemmStridedBatched,
                             rejection);
                 if (!rejection.empty()) return false;
                 int major = 0, minor = 0, patch = 0;
                 cublasStatus_t status = api.getProperty(kMajorVersion, &major);
                 if (status == kSuccess) status = api.getProperty(kMinorVersion, &minor);
                 if (status == kSuccess) status = api.getProperty(kPatchLevel, &patch);
                 if (status != kSuccess) {
                   rejection = "fails cublasGetProperty (" + status_name(status) + ")";
                   return false;
                 }
                 version.number = major * 10000 + minor * 100 + patch;  // as CUBLAS_VERSION
                 version.words = "cuBLAS " + std::to_string(major) + "." + std::to_string(minor);
                 version.cudaMajor = major;
                 return true;
               }));
}

// Creates the handle and configures it (a handle that cannot be configured is destroyed);
// returns the failing call's status.
cublasStatus_t try_create_handle(const CublasApi& api, cublasHandle_t& handle, const char*& call) {
  cublasHandle_t created = nullptr;
  call = "cublasCreate";
  cublasStatus_t status = api.create(&created);
  if (status != kSuccess) return status;
  call = "cublasSetStream";
  status = api.setStream(created, cudaStreamLegacy);
  if (status == kSuccess) {
    call = "cublasSetMathMode";
    status = api.setMathMode(created, kDefaultMath);
  }
  if (status == kSuccess)
    handle = created;
  else
    api.destroy(created);
  return status;
}

}  // namespace

const CublasLibrary& cublas_library() {
  static const CublasLibrary library = load_library();
  return library;
}

std::string cublas_unavailable_reason() {
  const CublasLibrary& library = cublas_library();
  if (library.api) return "";
  return "cuBLAS not found (tried " + library.tried + "; set LONGCONV_CUBLAS_PATH)";
}

bool cublas_memory_failure(cublasStatus_t status) {
  return status == kAllocFailed || status == kExecutionFailed;
}

void cublas_check(cublasStatus_t status, const char* call) {
  if (status == kSuccess) return;
  const std::string message = std::string(call) + ": " + status_name(status);
  if (status == kAllocFailed) throw OutOfMemory("cuBLAS out of memory: " + message);
  throw Error(message);
}

CublasSession cublas_session() {
  const CublasLibrary& library = cublas_library();
  if (!library.api) throw Error(cublas_unavailable_reason());
  static std::mutex mutex;
  std::unique_lock<std::mutex> lock(mutex);
  // Created once and never destroyed: tearing it down after the CUDA runtime at process exit
  // would crash. A failed creation is retried on the next call.
  static cublasHandle_t handle = nullptr;
  if (!handle) {
    const char* call = nullptr;
    cublasStatus_t status = try_create_handle(*library.api, handle, call);
    if (cublas_memory_failure(status)) {
      cuda_empty_cache();  // the handle's workspace may not fit beside our caches
      status = try_create_handle(*library.api, handle, call);
    }
    cublas_check(status, call);
  }
  return CublasSession{*library.api, handle, std::move(lock)};
}

}  // namespace lc
