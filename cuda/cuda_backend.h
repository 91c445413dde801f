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
  int cufftVersion = 0;         // cufftGetVersion()
  std::string cufftPath;        // the library that was loaded
  std::string cublasPath;       // cuBLAS (matmul, linear), when found
  std::string cublasReason;     // why cuBLAS is not usable, when it is not
};

// Probed once, on first use: driver, device, then cuFFT (dlopen). Never throws.
const CudaInfo& cuda_info();
// Throws lc::Error with cuda_info().reason when CUDA is not available.
void cuda_require();

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
  size_t allocatedBytes = 0;  // handed out and not yet freed
  size_t reservedBytes = 0;   // held from the driver (allocated + cached)
  int64_t allocations = 0;    // live blocks handed out
};
CudaMemoryStats cuda_memory_stats();
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

}  // namespace lc
