// Flat float32 buffers on the CPU or a CUDA device: what a JS Tensor's data lives in.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lc {

enum class Device { CPU = 0, CUDA = 1 };

const char* device_name(Device d);

// Allocation on either device; CPU memory is 64-byte aligned for the SIMD kernels. Both
// devices cache freed blocks for reuse. Both throw lc::OutOfMemory when memory is exhausted.
float* device_alloc(Device d, int64_t numel);
void device_free(Device d, float* ptr);
void device_zero(Device d, float* ptr, int64_t numel);
// Copies `count` floats between two buffers on any pair of devices.
void copy_between(Device to, float* dst, Device from, const float* src, int64_t count);

struct CpuMemoryStats {
  int64_t bytes = 0;          // live bytes handed out (rounded to the allocator's size classes)
  int64_t allocations = 0;    // live blocks
  int64_t reservedBytes = 0;  // live plus cached for reuse
};
CpuMemoryStats cpu_memory_stats();
// Returns the cached (freed) CPU blocks to the system.
void cpu_empty_cache();

}  // namespace lc
