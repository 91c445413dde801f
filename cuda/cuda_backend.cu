// CUDA builds' implementation of cuda_backend.h. cudart is linked statically, so everything
// here must cope with a machine that has no driver: the probe finds out, in words, and every
// other entry point refuses through cuda_require().
#include "cuda_backend.h"

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <atomic>

#include "caching_allocator.h"
#include "cublas_loader.h"
#include "cuda_check.h"
#include "cufft_loader.h"
#include "errors.h"
#include "library_search.h"

namespace lc {
namespace {

// Never launched: cudaFuncGetAttributes on it tells whether this binary carries code (SASS or
// PTX) the device can run.
__global__ void image_probe_kernel() {}

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

// The device cuda_select_device chose before the probe ran (-1: none); the probe makes it
// current, so that a rank creates a context on its own GPU only, and only when it uses CUDA.
std::atomic<int> chosen_device{-1};
std::atomic<bool> probe_started{false};

CudaInfo probe() {
  probe_started = true;
  CudaInfo info;
  info.runtimeVersion = CUDART_VERSION;
  // cudart reports a missing driver as an "insufficient driver"; look for it first to say so.
  // The handle stays open: cudart loads the same library next.
  if (!dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) {
    info.reason = "no NVIDIA driver (libcuda.so.1 not found)";
    return info;
  }
  if (cudaDriverGetVersion(&info.driverVersion) != cudaSuccess) info.driverVersion = 0;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    cudaGetLastError();
    info.reason = err == cudaSuccess ? "no CUDA device found" : device_count_failure(err);
    return info;
  }
  // Device 0, or the one cuda_select_device chose (one GPU per distributed rank).
  int device = chosen_device < 0 ? 0 : chosen_device.load();
  if ((err = cudaSetDevice(device)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = "cudaSetDevice(" + std::to_string(device) + "): " + cudaGetErrorString(err);
    return info;
  }
  cudaDeviceProp props;
  if ((err = cudaGetDeviceProperties(&props, device)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = std::string("cudaGetDeviceProperties: ") + cudaGetErrorString(err);
    return info;
  }
  info.device = props.name;
  info.ccMajor = props.major;
  info.ccMinor = props.minor;
  info.memoryBytes = props.totalGlobalMem;
  // CUDA 13 dropped memoryClockRate from cudaDeviceProp; the attribute query remains.
  if (cudaDeviceGetAttribute(&info.memoryClockKHz, cudaDevAttrMemoryClockRate, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&info.memoryBusWidthBits, cudaDevAttrGlobalMemoryBusWidth, device) != cudaSuccess) {
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

  // The search checks each candidate's version against the driver (native/library_search.h).
  const CufftLibrary& cufft = cufft_library();
  if (!cufft.api) {
    info.reason = "cuFFT not found (tried " + cufft.tried + "; set LONGCONV_CUFFT_PATH)";
    return info;
  }
  info.cufftVersion = cufft.version;
  info.cufftPath = cufft.path;
  info.available = true;
  // Only matmul and linear need cuBLAS, so its absence is reported but does not disable CUDA.
  const CublasLibrary& cublas = cublas_library();
  info.cublasPath = cublas.path;
  info.cublasVersion = cublas.version;
  info.cublasReason = cublas_unavailable_reason();
  return info;
}

// The device side of the caching allocator (cuda/caching_allocator.h).
class DeviceBlocks : public BlockSource {
 public:
  void* allocate(size_t bytes) override {
    void* ptr = nullptr;
    const cudaError_t err = cudaMalloc(&ptr, bytes);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      return nullptr;
    }
    check_cuda(err, "cudaMalloc");
    return ptr;
  }
  // cudaFree waits for the device, so blocks still in use by queued work are safe to free.
  void free(void* block) override { check_cuda(cudaFree(block), "cudaFree"); }
  std::string free_memory_words() override {
    size_t freeBytes = 0, totalBytes = 0;
    if (cudaMemGetInfo(&freeBytes, &totalBytes) != cudaSuccess) cudaGetLastError();
    return byte_words(freeBytes);
  }
};

// Never destroyed: freeing device memory during static destruction may run after the CUDA
// runtime has shut down; the driver reclaims everything at process exit.
CachingAllocator& allocator() {
  static CachingAllocator* instance = new CachingAllocator(*new DeviceBlocks);
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

int cuda_select_device(int index) {
  // As the probe: without a driver, cudart would only say "insufficient driver".
  if (!dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) return -1;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return -1;
  }
  const int device = index % count;
  if (!probe_started) {  // CUDA is not in use yet: the probe will make it current
    chosen_device = device;
    return device;
  }
  int current = 0;
  check_cuda(cudaGetDevice(&current), "cudaGetDevice");
  if (device == current) return device;
  // Blocks cached for device `current` must not be handed out on another.
  if (allocator().stats().reservedBytes > 0)
    throw Error("cannot move to CUDA device " + std::to_string(device) +
                ": CUDA memory is already held on device " + std::to_string(current) +
                " (choose the device before creating CUDA tensors)");
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  return device;
}

void cuda_require() {
  const CudaInfo& info = cuda_info();
  if (!info.available) throw CudaUnavailable("CUDA is not available: " + info.reason);
}

void* cuda_alloc(size_t bytes) {
  cuda_require();
  return allocator().allocate(bytes);
}

void cuda_free(void* ptr) { allocator().release(ptr); }

CudaMemoryStats cuda_memory_stats() {
  CudaMemoryStats stats = allocator().stats();
  const PlanCacheStats plans = cufft_plan_stats();
  stats.fftPlans = plans.plans;
  stats.fftPlanEvictions = plans.evictions;
  stats.fftPlanLimit = plans.capacity;
  return stats;
}

// Idle cuFFT plans first: destroying them frees cuFFT's own device memory.
void cuda_empty_cache() {
  cufft_release_plans();
  allocator().empty_cache();
}

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
