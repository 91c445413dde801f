// Flat float32 buffers on the CPU or a CUDA device: what a JS Tensor's data lives in.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lc {

enum class Device { CPU = 0, CUDA = 1 };

const char* device_name(Device d);

// Allocation on either device; CPU memory is 64-byte aligned for the SIMD kernels. Both
// devices cache freed blocks for reuse. Both throw lc::OutOfMemory when memory is exhausted,
// and lc::RangeError when `numel` floats exceed the device's total memory.
float* device_alloc(Device d, int64_t numel);
void device_free(Device d, float* ptr);
// Fault injection for the tests (test/memory.test.ts): the n-th device_alloc from now throws
// lc::OutOfMemory; 0 turns it off.
void fail_allocation_after(int64_t n);
void device_zero(Device d, float* ptr, int64_t numel);
// Bytes that device_alloc(d, numel) takes from the device (what V8 is told about).
int64_t device_bytes(int64_t numel);
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

// The CPU allocator's freed blocks kept for reuse, for the cache budget (native/host_cache.h).
int64_t cpu_cached_block_bytes();
int64_t cpu_cached_blocks();
// Frees cached blocks, largest first, until at least `bytes` are released or none are left;
// returns the number of blocks freed.
int64_t cpu_release_cached_blocks(int64_t bytes);

// A work buffer of `floats` floats (on the CPU unless said otherwise) for the length of a
// kernel call, from the caching allocator: repeated calls reuse its blocks (no page faults),
// and they count towards the memory statistics and the cache budget instead of lingering per
// thread.
class WorkBuffer {
 public:
  explicit WorkBuffer(int64_t floats, Device device = Device::CPU)
      : device_(device), data_(floats > 0 ? device_alloc(device, floats) : nullptr) {}
  ~WorkBuffer() { device_free(device_, data_); }
  WorkBuffer(const WorkBuffer&) = delete;
  WorkBuffer& operator=(const WorkBuffer&) = delete;
  float* data() const { return data_; }

 private:
  Device device_;
  float* data_;
};

}  // namespace lc
