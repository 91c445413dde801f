#include "storage.h"

#include <malloc.h>
#include <sys/sysinfo.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cuda_backend.h"
#include "errors.h"
#include "host_cache.h"

namespace lc {
namespace {

// A caching allocator for CPU buffers. Fresh pages cost a page fault each on first touch
// (several microseconds on virtual machines), which made a 4 MiB output cost as much as the
// FFTs that fill it; reusing freed blocks of the same size class avoids that. Small blocks are
// cached too: glibc's aligned_alloc cannot reuse a freed block of the same size for the next
// aligned request, so a loop of same-sized tensors would otherwise grow the heap without
// bound. The cached blocks share the CPU cache budget (native/host_cache.h).
constexpr size_t kSmallClass = size_t(1) << 16;

// Size classes: multiples of 64 bytes below 64 KiB, multiples of 64 KiB up to 1 MiB, then
// four classes per power of two, so a block is at most 25% larger than asked for.
size_t size_class(size_t bytes) {
  if (bytes < kSmallClass) return (bytes + 63) / 64 * 64;
  if (bytes <= (size_t(1) << 20)) return (bytes + kSmallClass - 1) / kSmallClass * kSmallClass;
  size_t top = size_t(1) << (63 - __builtin_clzll(bytes - 1));  // highest power of two < bytes
  size_t step = top / 4;
  return (bytes + step - 1) / step * step;
}

struct CpuAllocator {
  std::mutex mu;
  std::unordered_map<void*, size_t> live;          // block -> its size class
  std::multimap<size_t, void*> cached;             // size class -> free block
  int64_t live_bytes = 0, cached_bytes = 0;

  // Frees cached blocks, largest first, until `bytes` are released; returns how many.
  int64_t release(int64_t bytes) {
    int64_t count = 0, released = 0;
    while (released < bytes && !cached.empty()) {
      auto last = std::prev(cached.end());
      std::free(last->second);
      released += int64_t(last->first);
      cached_bytes -= int64_t(last->first);
      cached.erase(last);
      ++count;
    }
    return count;
  }
};

CpuAllocator& cpu_allocator() {
  static CpuAllocator* a = new CpuAllocator();  // never destroyed: blocks may outlive exit
  return *a;
}

// Physical memory plus swap: no single buffer can be larger.
int64_t host_memory_bytes() {
  struct sysinfo info {};
  if (sysinfo(&info) != 0) return INT64_MAX;
  return int64_t(info.totalram + info.totalswap) * int64_t(info.mem_unit);
}

void* cpu_alloc(size_t bytes) {
  CpuAllocator& a = cpu_allocator();
  size_t cls = size_class(bytes);
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(a.mu);
    auto it = a.cached.find(cls);
    if (it != a.cached.end()) {
      p = it->second;
      a.cached.erase(it);
      a.cached_bytes -= int64_t(cls);
    }
  }
  if (!p) p = std::aligned_alloc(64, cls);
  if (!p) {  // give every cache back to the system, then try once more
    cpu_cache_clear();
    p = std::aligned_alloc(64, cls);
  }
  if (!p) throw OutOfMemory("CPU out of memory: requested " + std::to_string(bytes) + " bytes");
  std::lock_guard<std::mutex> lock(a.mu);
  a.live[p] = cls;
  a.live_bytes += int64_t(cls);
  return p;
}

void cpu_free(void* p) {
  CpuAllocator& a = cpu_allocator();
  {
    std::lock_guard<std::mutex> lock(a.mu);
    auto it = a.live.find(p);
    if (it == a.live.end()) throw Error("cpu_free: pointer was not allocated here");
    size_t cls = it->second;
    a.live.erase(it);
    a.live_bytes -= int64_t(cls);
    a.cached.emplace(cls, p);
    a.cached_bytes += int64_t(cls);
  }
  cpu_cache_trim();
}

}  // namespace

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

int64_t device_bytes(int64_t numel) { return (numel > 0 ? numel : 1) * int64_t(sizeof(float)); }

std::atomic<int64_t> allocations_until_failure{0};

void fail_allocation_after(int64_t n) { allocations_until_failure = n; }

float* device_alloc(Device d, int64_t numel) {
  if (numel < 0) throw Error("device_alloc: negative size");
  if (allocations_until_failure.load(std::memory_order_relaxed) > 0 && --allocations_until_failure == 0)
    throw OutOfMemory(std::string(device_name(d)) + " out of memory (injected by the tests)");
  static const int64_t host_bytes = host_memory_bytes();
  const int64_t total = d == Device::CPU          ? host_bytes
                        : cuda_info().available ? int64_t(cuda_info().memoryBytes)
                                                : INT64_MAX;  // cuda_alloc says why not
  if (numel > total / int64_t(sizeof(float)))
    throw RangeError("numel: " + std::to_string(numel) + " floats need " +
                     std::to_string(numel * int64_t(sizeof(float))) + " bytes, more than the " +
                     std::to_string(total) + " bytes of " + device_name(d) + " memory");
  size_t bytes = size_t(device_bytes(numel));
  if (d == Device::CUDA) return static_cast<float*>(cuda_alloc(bytes));
  return static_cast<float*>(cpu_alloc(bytes));
}

void device_free(Device d, float* ptr) {
  if (!ptr) return;
  if (d == Device::CUDA) return cuda_free(ptr);
  cpu_free(ptr);
}

void copy_between(Device to, float* dst, Device from, const float* src, int64_t count) {
  size_t bytes = size_t(count) * sizeof(float);
  if (bytes == 0) return;
  if (from == Device::CPU && to == Device::CPU)
    std::memcpy(dst, src, bytes);
  else if (from == Device::CPU)
    cuda_copy_to_device(dst, src, bytes);
  else if (to == Device::CPU)
    cuda_copy_to_host(dst, src, bytes);
  else
    cuda_copy_device(dst, src, bytes);
}

void device_zero(Device d, float* ptr, int64_t numel) {
  if (numel <= 0) return;
  if (d == Device::CUDA) return cuda_zero(ptr, size_t(numel) * sizeof(float));
  std::memset(ptr, 0, size_t(numel) * sizeof(float));
}

CpuMemoryStats cpu_memory_stats() {
  CpuAllocator& a = cpu_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return {a.live_bytes, int64_t(a.live.size()), a.live_bytes + a.cached_bytes};
}

void cpu_empty_cache() {
  CpuAllocator& a = cpu_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  a.release(INT64_MAX);
  malloc_trim(0);  // glibc keeps freed heap pages otherwise; give them back to the system
}

int64_t cpu_cached_block_bytes() {
  CpuAllocator& a = cpu_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.cached_bytes;
}

int64_t cpu_cached_blocks() {
  CpuAllocator& a = cpu_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return int64_t(a.cached.size());
}

int64_t cpu_release_cached_blocks(int64_t bytes) {
  CpuAllocator& a = cpu_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.release(bytes);
}

}  // namespace lc
