#include "cufft_loader.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "cuda_backend.h"
#include "errors.h"
#include "library_search.h"

namespace lc {
namespace {

constexpr cufftResult kSuccess = 0;
constexpr cufftResult kAllocFailed = 2;

CufftLibrary load_library() {
  static CufftApi api;  // lives as long as the process; CufftLibrary points at it
  // CUDA 13 ships libcufft.so.12, CUDA 12 libcufft.so.11, CUDA 11 libcufft.so.10.
  const FoundLibrary found = find_cuda_library(
      "LONGCONV_CUFFT_PATH", {"libcufft.so.12", "libcufft.so.11", "libcufft.so.10", "libcufft.so"},
      "libcufft.so.12, .11, .10 and libcufft.so", [](void* library, std::string& missing) {
        bind_symbol(library, "cufftGetVersion", api.getVersion, missing);
        bind_symbol(library, "cufftCreate", api.create, missing);
        bind_symbol(library, "cufftDestroy", api.destroy, missing);
        bind_symbol(library, "cufftSetAutoAllocation", api.setAutoAllocation, missing);
        bind_symbol(library, "cufftSetWorkArea", api.setWorkArea, missing);
        bind_symbol(library, "cufftMakePlanMany64", api.makePlanMany64, missing);
        bind_symbol(library, "cufftExecR2C", api.execR2C, missing);
        bind_symbol(library, "cufftExecC2R", api.execC2R, missing);
        return missing.empty();
      });
  CufftLibrary result;
  result.path = found.path;
  result.tried = found.tried;
  if (found.handle) result.api = &api;
  return result;
}

void check(cufftResult result, const char* call, int64_t n, int64_t batch) {
  if (result == kSuccess) return;
  std::string message = std::string(call) + " (n=" + std::to_string(n) +
                        ", batch=" + std::to_string(batch) + "): " + cufft_result_name(result);
  if (result == kAllocFailed) throw OutOfMemory("cuFFT out of memory: " + message);
  throw Error(message);
}

struct Plan {
  cufftHandle handle;
  size_t workBytes = 0;
  // The work area is plan state: setting it and executing must not interleave across threads.
  std::mutex execMutex;

  explicit Plan(cufftHandle h) : handle(h) {}
  ~Plan() {
    // cuFFT frees the plan's internal buffers; wait for transforms still queued on them. Errors
    // are left for the next checked call to report.
    cudaDeviceSynchronize();
    cufft_library().api->destroy(handle);
  }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
};

// In-place layout: real rows padded to 2*(n/2+1) floats, complex rows of n/2+1 elements.
std::shared_ptr<Plan> make_plan(int64_t n, int64_t batch, cufftType type) {
  const CufftApi& api = *cufft_library().api;
  long long length = n, complexRow = n / 2 + 1, realRow = 2 * complexRow;
  const bool forward = type == CUFFT_R2C;
  long long inEmbed = forward ? realRow : complexRow, outEmbed = forward ? complexRow : realRow;
  for (int attempt = 0;; ++attempt) {
    cufftHandle handle;
    check(api.create(&handle), "cufftCreate", n, batch);
    auto plan = std::make_shared<Plan>(handle);
    check(api.setAutoAllocation(handle, 0), "cufftSetAutoAllocation", n, batch);
    size_t workBytes = 0;
    const cufftResult made = api.makePlanMany64(handle, 1, &length, &inEmbed, 1, inEmbed,
                                                &outEmbed, 1, outEmbed, type, batch, &workBytes);
    if (made == kAllocFailed && attempt == 0) {
      plan.reset();
      cuda_empty_cache();  // give cuFFT the memory our cache holds, then try once more
      continue;
    }
    check(made, "cufftMakePlanMany64", n, batch);
    plan->workBytes = workBytes;
    return plan;
  }
}

// A small LRU: plans hold device memory, and batch sizes vary (e.g. a last partial batch).
class PlanCache {
 public:
  std::shared_ptr<Plan> get(int64_t n, int64_t batch, cufftType type) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->n == n && it->batch == batch && it->type == type) {
        entries_.splice(entries_.begin(), entries_, it);
        return entries_.front().plan;
      }
    }
    entries_.push_front(Entry{n, batch, type, make_plan(n, batch, type)});
    if (entries_.size() > kCapacity) entries_.pop_back();
    return entries_.front().plan;
  }

 private:
  static constexpr size_t kCapacity = 32;
  struct Entry {
    int64_t n, batch;
    cufftType type;
    std::shared_ptr<Plan> plan;
  };
  std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
};

void execute(int64_t n, int64_t batch, cufftType type, float* rows) {
  if (batch == 0) return;
  cuda_require();
  // Never destroyed: plans must not be torn down after the CUDA runtime at process exit.
  static PlanCache* cache = new PlanCache;
  std::shared_ptr<Plan> plan = cache->get(n, batch, type);
  // Returned to the cache right after the launch: later users of the block are queued behind
  // this transform on the same (legacy default) stream.
  // At least one byte, so the work area is never null: cuFFT may reject a null work area
  // (CUFFT_NO_WORKSPACE) on a plan without auto-allocation even when it reports size 0.
  std::unique_ptr<void, void (*)(void*)> work(cuda_alloc(std::max<size_t>(plan->workBytes, 1)),
                                              cuda_free);
  const CufftApi& api = *cufft_library().api;
  std::lock_guard<std::mutex> lock(plan->execMutex);
  check(api.setWorkArea(plan->handle, work.get()), "cufftSetWorkArea", n, batch);
  if (type == CUFFT_R2C)
    check(api.execR2C(plan->handle, rows, rows), "cufftExecR2C", n, batch);
  else
    check(api.execC2R(plan->handle, rows, rows), "cufftExecC2R", n, batch);
}

}  // namespace

const CufftLibrary& cufft_library() {
  static const CufftLibrary library = load_library();
  return library;
}

std::string cufft_result_name(cufftResult result) {
  static const char* const kNames[] = {
      "CUFFT_SUCCESS",       "CUFFT_INVALID_PLAN",   "CUFFT_ALLOC_FAILED",
      "CUFFT_INVALID_TYPE",  "CUFFT_INVALID_VALUE",  "CUFFT_INTERNAL_ERROR",
      "CUFFT_EXEC_FAILED",   "CUFFT_SETUP_FAILED",   "CUFFT_INVALID_SIZE",
      "CUFFT_UNALIGNED_DATA", "CUFFT_INCOMPLETE_PARAMETER_LIST", "CUFFT_INVALID_DEVICE",
      "CUFFT_PARSE_ERROR",   "CUFFT_NO_WORKSPACE",   "CUFFT_NOT_IMPLEMENTED",
      "CUFFT_LICENSE_ERROR", "CUFFT_NOT_SUPPORTED"};
  if (result >= 0 && result < static_cast<int>(sizeof(kNames) / sizeof(kNames[0])))
    return kNames[result];
  return "cuFFT error " + std::to_string(result);
}

void cufft_forward_real_inplace(float* rows, int64_t n, int64_t batch) {
  execute(n, batch, CUFFT_R2C, rows);
}

void cufft_inverse_real_inplace(float* rows, int64_t n, int64_t batch) {
  execute(n, batch, CUFFT_C2R, rows);
}

}  // namespace lc
