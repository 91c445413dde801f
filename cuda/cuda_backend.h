// The CUDA runtime side of longconv: device discovery, the cuFFT loader and the caching
// device allocator. Implemented in cuda/cuda_backend.cu (CUDA builds) or cuda/cuda_backend_stub.cc
// (CPU-only builds), so the binding compiles the same either way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lc {

struct CudaInfo {
  bool available = false;
  std::string reason;           // why not available, in words (empty when available)
  std::string device;           // device name
  int ccMajor = 0, ccMinor = 0; // compute capability
  size_t memoryBytes = 0;       // total device memory
  int runtimeVersion = 0;       // the CUDA runtime linked in (CUDART_VERSION, e.g. 13000)
  int driverVersion = 0;        // the CUDA version the driver supports (e.g. 13000)
  int cufftVersion = 0;         // cufftGetVersion() of the library loaded (e.g. 12000)
  std::string cufftPath;        // the library that was loaded
  std::string cublasPath;       // cuBLAS (matmul, linear), when found
  int cublasVersion = 0;        // its version, as CUBLAS_VERSION (e.g. 130000)
  std::string cublasReason;     // why cuBLAS is not usable, when it is not
  int memoryClockKHz = 0;       // peak memory clock (cudaDevAttrMemoryClockRate)
  int memoryBusWidthBits = 0;   // global memory bus width (cudaDevAttrGlobalMemoryBusWidth)
};

// A CUDA version number in words: 12040 -> "12.4".
inline std::string cuda_version_words(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

// Probed once, on first use: driver, the current device, then cuFFT (dlopen). Never throws.
const CudaInfo& cuda_info();
// Makes device `index` modulo the device count current for this process's CUDA work (one GPU
// per distributed rank: `index` is the rank on its node) and returns it; -1 when there is no
// driver or device. Before CUDA's first use it only records the choice (no context is created
// until then). Throws lc::Error when CUDA memory is already held on another device.
int cuda_select_device(int index);
// Throws lc::CudaUnavailable with cuda_info().reason when CUDA is not available.
void cuda_require();
// CPU-only builds: throws lc::Error saying the addon was built without CUDA support (the
// CUDA branch of every kernel's dispatch, native/dispatch.h).
[[noreturn]] void cuda_unavailable();

// Caching allocator: freed blocks are kept for reuse (no cudaMalloc/cudaFree per op).
// cuda_alloc throws lc::OutOfMemory when the device is full even after the cache is released.
void* cuda_alloc(size_t bytes);
void cuda_free(void* ptr);
// A scratch block of `count` floats from cuda_alloc, given back to the cache when it goes.
using DeviceFloats = std::unique_ptr<float, void (*)(void*)>;
inline DeviceFloats device_floats(int64_t count) {
  return DeviceFloats(static_cast<float*>(cuda_alloc(static_cast<size_t>(count) * sizeof(float))),
                      cuda_free);
}
struct CudaMemoryStats {
  size_t allocatedBytes = 0;     // handed out and not yet freed
  size_t reservedBytes = 0;      // held from the driver (allocated + cached)
  int64_t allocations = 0;       // live blocks handed out
  int64_t fftPlans = 0;          // cuFFT plans cached
  int64_t fftPlanEvictions = 0;  // cuFFT plans dropped from the full cache so far
  int64_t fftPlanLimit = 0;      // the most plans the cache holds
};
CudaMemoryStats cuda_memory_stats();
// Gives the allocator's cached blocks back to the driver and destroys the idle cuFFT plans.
// Also what every out-of-memory retry does (allocations, cuFFT, cuBLAS, kernel launches).
void cuda_empty_cache();

// Copies (synchronous with respect to the host). Throw lc::Error on failure.
void cuda_copy_to_device(void* dst, const void* src, size_t bytes);
void cuda_copy_to_host(void* dst, const void* src, size_t bytes);
void cuda_copy_device(void* dst, const void* src, size_t bytes);
void cuda_zero(void* dst, size_t bytes);
void cuda_synchronize();

// An asynchronous read of device memory into host memory (cuda/host_read.cu): begun on the
// calling thread behind the work already queued, finished on any thread. cuda_read_finish
// blocks its thread until the copy is done, then copies into dst (bytes long) and frees the
// read; cuda_read_discard frees a read that will not be finished.
struct CudaHostRead;
CudaHostRead* cuda_read_begin(const void* src, size_t bytes);
void cuda_read_finish(CudaHostRead* read, void* dst);
void cuda_read_discard(CudaHostRead* read);

// Device-side timing of the work queued on the legacy default stream (the stream every op
// uses), for benchmarks: start records an event; stop records another, waits for it and
// returns the milliseconds between the two.
void cuda_timer_start();
double cuda_timer_stop_ms();

}  // namespace lc
