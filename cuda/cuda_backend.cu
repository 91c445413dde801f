// CUDA builds' implementation of cuda_backend.h. cudart is linked statically, so everything
// here must cope with a machine that has no driver: the probe finds out, in words, and every
// other entry point refuses through cuda_require().
#include "cuda_backend.h"

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cublas_loader.h"
#include "cuda_check.h"
#include "cufft_loader.h"
#include "errors.h"

namespace lc {
namespace {

// Never launched: cudaFuncGetAttributes on it tells whether this binary carries code (SASS or
// PTX) the device can run.
__global__ void image_probe_kernel() {}

std::string cuda_version_words(int version) {  // 12040 -> "12.4"
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

std::string byte_words(size_t bytes) {
  char text[32];
  if (bytes >= (size_t(1) << 30))
    std::snprintf(text, sizeof text, "%.2f GiB", bytes / double(size_t(1) << 30));
  else
    std::snprintf(text, sizeof text, "%.2f MiB", bytes / double(size_t(1) << 20));
  return text;
}

std::string device_count_failure(cudaError_t err) {
  if (err == cudaErrorNoDevice) return "no CUDA device found";
  if (err == cudaErrorInsufficientDriver) {
    int driverVersion = 0;
    cudaDriverGetVersion(&driverVersion);
    return "NVIDIA driver too old for CUDA " + cuda_version_words(CUDART_VERSION) +
           " (driver supports CUDA " + cuda_version_words(driverVersion) + ")";
  }
  return std::string("CUDA initialization failed: ") + cudaGetErrorString(err);
}

CudaInfo probe() {
  CudaInfo info;
  // cudart reports a missing driver as an "insufficient driver"; look for it first to say so.
  // The handle stays open: cudart loads the same library next.
  if (!dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) {
    info.reason = "no NVIDIA driver (libcuda.so.1 not found)";
    return info;
  }
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    cudaGetLastError();
    info.reason = err == cudaSuccess ? "no CUDA device found" : device_count_failure(err);
    return info;
  }
  cudaDeviceProp props;
  if ((err = cudaGetDeviceProperties(&props, 0)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = std::string("cudaGetDeviceProperties: ") + cudaGetErrorString(err);
    return info;
  }
  info.device = props.name;
  info.ccMajor = props.major;
  info.ccMinor = props.minor;
  info.memoryBytes = props.totalGlobalMem;
  // CUDA 13 dropped memoryClockRate from cudaDeviceProp; the attribute query remains.
  if (cudaDeviceGetAttribute(&info.memoryClockKHz, cudaDevAttrMemoryClockRate, 0) != cudaSuccess ||
      cudaDeviceGetAttribute(&info.memoryBusWidthBits, cudaDevAttrGlobalMemoryBusWidth, 0) != cudaSuccess) {
    cudaGetLastError();
    info.memoryClockKHz = info.memoryBusWidthBits = 0;  // unknown: the peak is not reported
  }
  const std::string cc = std::to_string(props.major) + "." + std::to_string(props.minor);

  // Creating the context now catches devices that exist but cannot be used (exclusive mode,
  // out of memory, ...).
  if ((err = cudaFree(nullptr)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = "cannot use " + info.device + ": " + cudaGetErrorString(err);
    return info;
  }
  cudaFuncAttributes attributes;
  if ((err = cudaFuncGetAttributes(&attributes, image_probe_kernel)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = "this build has no GPU code for compute capability " + cc + " (" +
                  cudaGetErrorString(err) + ")";
    return info;
  }

  const CufftLibrary& cufft = cufft_library();
  if (!cufft.api) {
    info.reason = "cuFFT not found (tried " + cufft.tried + "; set LONGCONV_CUFFT_PATH)";
    return info;
  }
  const cufftResult versionResult = cufft.api->getVersion(&info.cufftVersion);
  if (versionResult != 0) {
    info.reason = cufft.path + ": cufftGetVersion failed: " + cufft_result_name(versionResult);
    return info;
  }
  info.cufftPath = cufft.path;
  info.available = true;
  // Only matmul and linear need cuBLAS, so its absence is reported but does not disable CUDA.
  info.cublasPath = cublas_library().path;
  info.cublasReason = cublas_unavailable_reason();
  return info;
}

// Small blocks round to 512 bytes, large ones to 2 MiB, so that near-equal requests (the same
// op at slightly different shapes) share a size class and reuse each other's blocks.
constexpr size_t kSmallLimit = size_t(1) << 20;
constexpr size_t kSmallGranule = 512;
constexpr size_t kLargeGranule = size_t(2) << 20;

class CachingAllocator {
 public:
  void* allocate(size_t bytes) {
    if (bytes == 0) return nullptr;
    if (bytes > SIZE_MAX - kLargeGranule) throw_out_of_memory(bytes);
    const size_t granule = bytes <= kSmallLimit ? kSmallGranule : kLargeGranule;
    const size_t size = (bytes + granule - 1) / granule * granule;

    std::lock_guard<std::mutex> lock(mutex_);
    void* ptr = nullptr;
    auto cached = free_.find(size);
    if (cached != free_.end() && !cached->second.empty()) {
      ptr = cached->second.back();
      cached->second.pop_back();
    } else {
      cudaError_t err = cudaMalloc(&ptr, size);
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        release_cached();
        err = cudaMalloc(&ptr, size);
      }
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        throw_out_of_memory(bytes);
      }
      check_cuda(err, "cudaMalloc");
      reserved_ += size;
    }
    live_.emplace(ptr, size);
    allocated_ += size;
    return ptr;
  }

  void release(void* ptr) {
    if (!ptr) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto block = live_.find(ptr);
    if (block == live_.end()) throw Error("cuda_free: pointer was not allocated by cuda_alloc");
    // Kept, not freed: work already queued on the default stream that uses the block runs before
    // any later user's work, so immediate reuse is safe.
    free_[block->second].push_back(ptr);
    allocated_ -= block->second;
    live_.erase(block);
  }

  CudaMemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    CudaMemoryStats stats;
    stats.allocatedBytes = allocated_;
    stats.reservedBytes = reserved_;
    stats.allocations = static_cast<int64_t>(live_.size());
    return stats;
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached();
  }

 private:
  // cudaFree waits for the device, so blocks still in use by queued work are safe to free.
  void release_cached() {
    for (auto& sizeClass : free_) {
      for (void* ptr : sizeClass.second) {
        reserved_ -= sizeClass.first;
        check_cuda(cudaFree(ptr), "cudaFree");
      }
      sizeClass.second.clear();
    }
  }

  [[noreturn]] void throw_out_of_memory(size_t bytes) {
    size_t freeBytes = 0, totalBytes = 0;
    if (cudaMemGetInfo(&freeBytes, &totalBytes) != cudaSuccess) cudaGetLastError();
    throw OutOfMemory("CUDA out of memory: requested " + std::to_string(bytes) + " bytes (" +
                      byte_words(bytes) + "), " + byte_words(allocated_) + " allocated, " +
                      byte_words(freeBytes) + " free on device");
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> cached blocks
  std::unordered_map<void*, size_t> live_;               // handed-out block -> size class
  size_t allocated_ = 0, reserved_ = 0;
};

// Never destroyed: freeing device memory during static destruction may run after the CUDA
// runtime has shut down; the driver reclaims everything at process exit.
CachingAllocator& allocator() {
  static CachingAllocator* instance = new CachingAllocator;
  return *instance;
}

void copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* call) {
  if (bytes == 0) return;
  cuda_require();
  check_cuda(cudaMemcpy(dst, src, bytes, kind), call);
}

}  // namespace

const CudaInfo& cuda_info() {
  static const CudaInfo info = probe();  // thread-safe one-time initialization
  return info;
}

void cuda_require() {
  const CudaInfo& info = cuda_info();
  if (!info.available) throw Error("CUDA is not available: " + info.reason);
}

void* cuda_alloc(size_t bytes) {
  cuda_require();
  return allocator().allocate(bytes);
}

void cuda_free(void* ptr) { allocator().release(ptr); }

CudaMemoryStats cuda_memory_stats() { return allocator().stats(); }

void cuda_empty_cache() { allocator().empty_cache(); }

void cuda_copy_to_device(void* dst, const void* src, size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyHostToDevice, "cudaMemcpy (host to device)");
}

void cuda_copy_to_host(void* dst, const void* src, size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyDeviceToHost, "cudaMemcpy (device to host)");
}

void cuda_copy_device(void* dst, const void* src, size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyDeviceToDevice, "cudaMemcpy (device to device)");
}

void cuda_zero(void* dst, size_t bytes) {
  if (bytes == 0) return;
  cuda_require();
  check_cuda(cudaMemset(dst, 0, bytes), "cudaMemset");
}

void cuda_synchronize() {
  cuda_require();
  check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

namespace {
// The benchmark timer's two events, created on first use and never destroyed (as the allocator).
cudaEvent_t timer_event(int which) {
  static cudaEvent_t events[2] = {nullptr, nullptr};
  if (!events[which]) check_cuda(cudaEventCreate(&events[which]), "cudaEventCreate");
  return events[which];
}
}  // namespace

void cuda_timer_start() {
  cuda_require();
  check_cuda(cudaEventRecord(timer_event(0), 0), "cudaEventRecord");
}

double cuda_timer_stop_ms() {
  cuda_require();
  cudaEvent_t start = timer_event(0), stop = timer_event(1);
  check_cuda(cudaEventRecord(stop, 0), "cudaEventRecord");
  check_cuda(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0;
  check_cuda(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  return ms;
}

}  // namespace lc
