#include "cufft_loader.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "cuda_backend.h"
#include "errors.h"
#include "library_search.h"
#include "plan_lru.h"

namespace lc {
namespace {

constexpr cufftResult kSuccess = 0;
constexpr cufftResult kAllocFailed = 2;
constexpr cufftResult kExecFailed = 6;

CufftLibrary load_library() {
  static CufftApi api;  // lives as long as the process; CufftLibrary points at it
  int driverVersion = 0;
  if (cudaDriverGetVersion(&driverVersion) != cudaSuccess) driverVersion = 0;
  // CUDA 13 ships libcufft.so.12, CUDA 12 libcufft.so.11, CUDA 11 libcufft.so.10: the soname
  // major is the CUDA major minus one, and so is cufftGetVersion's major (12000 = cuFFT 12.0).
  return CufftLibrary(
      api, find_cuda_library(
               "LONGCONV_CUFFT_PATH",
               cuda_library_sonames("libcufft.so", {12, 11, 10}, CUDART_VERSION / 1000 - 1),
               driverVersion, [](void* library, LibraryVersion& version, std::string& rejection) {
                 bind_symbol(library, "cufftGetVersion", api.getVersion, rejection);
                 bind_symbol(library, "cufftCreate", api.create, rejection);
                 bind_symbol(library, "cufftDestroy", api.destroy, rejection);
                 bind_symbol(library, "cufftSetAutoAllocation", api.setAutoAllocation, rejection);
                 bind_symbol(library, "cufftSetWorkArea", api.setWorkArea, rejection);
                 bind_symbol(library, "cufftMakePlanMany64", api.makePlanMany64, rejection);
                 bind_symbol(library, "cufftExecR2C", api.execR2C, rejection);
                 bind_symbol(library, "cufftExecC2R", api.execC2R, rejection);
                 if (!rejection.empty()) return false;
                 const cufftResult result = api.getVersion(&version.number);
                 if (result != kSuccess) {
                   rejection = "fails cufftGetVersion (" + cufft_result_name(result) + ")";
                   return false;
                 }
                 const int major = version.number / 1000, minor = version.number % 1000 / 100;
                 version.words = "cuFFT " + std::to_string(major) + "." + std::to_string(minor);
                 version.cudaMajor = major + 1;
                 return true;
               }));
}

bool is_memory_failure(cufftResult result) { return result == kAllocFailed; }

void check(cufftResult result, const char* call, int64_t n, int64_t batch) {
  if (result == kSuccess) return;
  std::string message = std::string(call) + " (n=" + std::to_string(n) +
                        ", batch=" + std::to_string(batch) + "): " + cufft_result_name(result);
  if (is_memory_failure(result)) throw OutOfMemory("cuFFT out of memory: " + message);
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

// One attempt at a plan: the failing call's status, or success with `plan` set.
cufftResult try_make_plan(const CufftApi& api, int64_t n, int64_t batch, cufftType type,
                          std::shared_ptr<Plan>& plan, const char*& call) {
  // In-place layout: real rows padded to 2*(n/2+1) floats, complex rows of n/2+1 elements.
  long long length = n, complexRow = n / 2 + 1, realRow = 2 * complexRow;
  const bool forward = type == CUFFT_R2C;
  long long inEmbed = forward ? realRow : complexRow, outEmbed = forward ? complexRow : realRow;
  cufftHandle handle;
  call = "cufftCreate";
  cufftResult result = api.create(&handle);
  if (result != kSuccess) return result;
  auto made = std::make_shared<Plan>(handle);
  call = "cufftSetAutoAllocation";
  if ((result = api.setAutoAllocation(handle, 0)) != kSuccess) return result;
  call = "cufftMakePlanMany64";
  result = api.makePlanMany64(handle, 1, &length, &inEmbed, 1, inEmbed, &outEmbed, 1, outEmbed,
                              type, batch, &made->workBytes);
  if (result == kSuccess) plan = std::move(made);
  return result;
}

std::shared_ptr<Plan> make_plan(int64_t n, int64_t batch, cufftType type) {
  const CufftApi& api = *cufft_library().api;
  std::shared_ptr<Plan> plan;
  const char* call = nullptr;
  cufftResult result = try_make_plan(api, n, batch, type, plan, call);
  if (is_memory_failure(result)) {
    cuda_empty_cache();  // give cuFFT the memory our caches hold, then try once more
    result = try_make_plan(api, n, batch, type, plan, call);
  }
  check(result, call, n, batch);
  return plan;
}

// Plans hold little device memory of their own (their work areas come from the caching
// allocator at each execution), and cuda_empty_cache() drops the idle ones when memory runs
// short, so the bound is a count: one fftConv shape uses up to six plans (three transforms
// forward, three backward), so this holds some forty shapes. Never destroyed: plans must not
// be torn down after the CUDA runtime at process exit.
constexpr size_t kMaxCachedPlans = 256;
PlanLru<Plan>& plan_cache() {
  static PlanLru<Plan>* cache = new PlanLru<Plan>(kMaxCachedPlans);
  return *cache;
}

cufftResult run_plan(Plan& plan, cufftType type, float* rows, int64_t n, int64_t batch) {
  // Returned to the cache right after the launch: later users of the block are queued behind
  // this transform on the same (legacy default) stream.
  // At least one byte, so the work area is never null: cuFFT may reject a null work area
  // (CUFFT_NO_WORKSPACE) on a plan without auto-allocation even when it reports size 0.
  std::unique_ptr<void, void (*)(void*)> work(cuda_alloc(std::max<size_t>(plan.workBytes, 1)),
                                              cuda_free);
  const CufftApi& api = *cufft_library().api;
  std::lock_guard<std::mutex> lock(plan.execMutex);
  check(api.setWorkArea(plan.handle, work.get()), "cufftSetWorkArea", n, batch);
  return type == CUFFT_R2C ? api.execR2C(plan.handle, rows, rows) : api.execC2R(plan.handle, rows, rows);
}

void execute(int64_t n, int64_t batch, cufftType type, float* rows, const std::function<void()>& fill) {
  if (batch == 0) return;
  cuda_require();
  std::shared_ptr<Plan> plan =
      plan_cache().get(PlanKey{n, batch, type}, [&] { return make_plan(n, batch, type); });
  fill();
  cufftResult result = run_plan(*plan, type, rows, n, batch);
  // Lazy loading loads cuFFT's kernels at their first launch, which can fail for lack of device
  // memory (cuFFT says ALLOC_FAILED or EXEC_FAILED). A transform may have run partly, in place,
  // so the input is written again before the one retry.
  if (is_memory_failure(result) || result == kExecFailed) {
    cuda_empty_cache();
    fill();
    result = run_plan(*plan, type, rows, n, batch);
  }
  check(result, type == CUFFT_R2C ? "cufftExecR2C" : "cufftExecC2R", n, batch);
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

void cufft_forward_real_inplace(float* rows, int64_t n, int64_t batch,
                                const std::function<void()>& fill) {
  execute(n, batch, CUFFT_R2C, rows, fill);
}

void cufft_inverse_real_inplace(float* rows, int64_t n, int64_t batch,
                                const std::function<void()>& fill) {
  execute(n, batch, CUFFT_C2R, rows, fill);
}

void cufft_release_plans() { plan_cache().clear(); }

PlanCacheStats cufft_plan_stats() { return plan_cache().stats(); }

}  // namespace lc
