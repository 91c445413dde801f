#include "cublas_loader.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include "errors.h"
#include "library_search.h"

namespace lc {
namespace {

constexpr cublasStatus_t kSuccess = 0;
constexpr cublasStatus_t kAllocFailed = 3;
constexpr int kDefaultMath = 0;  // CUBLAS_DEFAULT_MATH: FP32 SGEMM (TF32 only when asked for)

CublasLibrary load_library() {
  static CublasApi api;  // lives as long as the process; CublasLibrary points at it
  const FoundLibrary found = find_cuda_library(
      "LONGCONV_CUBLAS_PATH",
      {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"},
      "libcublas.so.13, .12, .11 and libcublas.so", [](void* library, std::string& missing) {
        bind_symbol(library, "cublasCreate_v2", api.create, missing);
        bind_symbol(library, "cublasDestroy_v2", api.destroy, missing);
        bind_symbol(library, "cublasSetStream_v2", api.setStream, missing);
        bind_symbol(library, "cublasSetMathMode", api.setMathMode, missing);
        bind_symbol(library, "cublasSgemm_v2", api.sgemm, missing);
        bind_symbol(library, "cublasSgemmStridedBatched", api.sgemmStridedBatched, missing);
        return missing.empty();
      });
  CublasLibrary result;
  result.path = found.path;
  result.tried = found.tried;
  if (found.handle) result.api = &api;
  return result;
}

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

// Creates the handle and configures it; a handle that cannot be configured is destroyed.
cublasHandle_t create_handle(const CublasApi& api) {
  cublasHandle_t handle = nullptr;
  cublas_check(api.create(&handle), "cublasCreate");
  const cublasStatus_t stream = api.setStream(handle, cudaStreamLegacy);
  const cublasStatus_t math = stream == kSuccess ? api.setMathMode(handle, kDefaultMath) : stream;
  if (math != kSuccess) {
    api.destroy(handle);
    cublas_check(math, stream != kSuccess ? "cublasSetStream" : "cublasSetMathMode");
  }
  return handle;
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
  if (!handle) handle = create_handle(*library.api);
  return CublasSession{*library.api, handle, std::move(lock)};
}

}  // namespace lc
