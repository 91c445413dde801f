#include "cufft_loader.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "cuda_backend.h"
#include "errors.h"

namespace lc {
namespace {

// CUDA 13 ships libcufft.so.12, CUDA 12 libcufft.so.11, CUDA 11 libcufft.so.10.
constexpr const char* kSonames[] = {"libcufft.so.12", "libcufft.so.11", "libcufft.so.10",
                                    "libcufft.so"};
constexpr cufftResult kSuccess = 0;
constexpr cufftResult kAllocFailed = 2;

bool is_directory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string loaded_file(void* library, const std::string& fallback) {
  link_map* map = nullptr;
  if (dlinfo(library, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0])
    return map->l_name;
  return fallback;
}

template <typename Fn>
bool bind(void* library, const char* symbol, Fn& fn, std::string& missing) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!fn && missing.empty()) missing = symbol;
  return fn != nullptr;
}

// Opens one candidate and binds every entry point; the handle is never closed, since the bound
// pointers are used for the life of the process. A library lacking a symbol is noted and skipped.
bool try_load(const std::string& candidate, CufftApi& api, CufftLibrary& out,
              std::vector<std::string>& notes) {
  void* library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) return false;
  std::string missing;
  bind(library, "cufftGetVersion", api.getVersion, missing);
  bind(library, "cufftCreate", api.create, missing);
  bind(library, "cufftDestroy", api.destroy, missing);
  bind(library, "cufftSetAutoAllocation", api.setAutoAllocation, missing);
  bind(library, "cufftSetWorkArea", api.setWorkArea, missing);
  bind(library, "cufftMakePlanMany64", api.makePlanMany64, missing);
  bind(library, "cufftExecR2C", api.execR2C, missing);
  bind(library, "cufftExecC2R", api.execC2R, missing);
  if (!missing.empty()) {
    notes.push_back(loaded_file(library, candidate) + " lacks " + missing);
    dlclose(library);
    return false;
  }
  out.path = loaded_file(library, candidate);
  return true;
}

CufftLibrary load_library() {
  static CufftApi api;  // lives as long as the process; CufftLibrary points at it
  CufftLibrary result;
  std::vector<std::string> places, notes;
  auto try_directory = [&](const std::string& dir) {
    for (const std::string& place : places)
      if (place == dir) return false;  // $CUDA_PATH and $CUDA_HOME often agree
    places.push_back(dir);
    for (const char* soname : kSonames)
      if (try_load(dir + "/" + soname, api, result, notes)) return true;
    return false;
  };
  auto try_env_directories = [&](const char* variable) {
    const char* root = std::getenv(variable);
    if (!root || !*root) return false;
    for (const char* sub : {"/lib64", "/lib"}) {
      const std::string dir = std::string(root) + sub;
      if (is_directory(dir) && try_directory(dir)) return true;
    }
    return false;
  };

  // An explicit path wins over whatever the system would find first.
  const char* explicitPath = std::getenv("LONGCONV_CUFFT_PATH");
  std::string explicitFile;
  bool found = false;
  if (explicitPath && *explicitPath) {
    if (is_directory(explicitPath)) {
      found = try_directory(explicitPath);
    } else {
      explicitFile = std::string(explicitPath) + "; ";
      found = try_load(explicitPath, api, result, notes);
    }
  }
  if (!found) {
    places.push_back("the dynamic loader's search path");
    for (const char* soname : kSonames)
      if ((found = try_load(soname, api, result, notes))) break;
  }
  if (!found) found = try_env_directories("CUDA_PATH") || try_env_directories("CUDA_HOME");
  if (!found && is_directory("/usr/local/cuda/lib64"))
    found = try_directory("/usr/local/cuda/lib64");

  std::string tried = explicitFile + "libcufft.so.12, .11, .10 and libcufft.so in ";
  for (size_t i = 0; i < places.size(); ++i) tried += (i ? ", " : "") + places[i];
  for (const std::string& note : notes) tried += "; " + note;
  result.tried = tried;
  if (found) result.api = &api;
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
