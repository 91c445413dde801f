#include "storage.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda_backend.h"
#include "errors.h"

namespace lc {
namespace {

// A caching allocator for CPU buffers. Fresh pages cost a page fault each on first touch
// (several microseconds on virtual machines), which made a 4 MiB output cost as much as the
// FFTs that fill it; reusing freed blocks of the same size class avoids that. Small blocks
// go straight to aligned_alloc, which already recycles them.
constexpr size_t kCacheMin = size_t(1) << 16;

// Size classes: multiples of 64 KiB up to 1 MiB, then four classes per power of two, so a
// block is at most 25% larger than asked for.
size_t size_class(size_t bytes) {
  if (bytes < kCacheMin) return (bytes + 63) / 64 * 64;
  if (bytes <= (size_t(1) << 20)) return (bytes + kCacheMin - 1) / kCacheMin * kCacheMin;
  size_t top = size_t(1) << (63 - __builtin_clzll(bytes - 1));  // highest power of two < bytes
  size_t step = top / 4;
  return (bytes + step - 1) / step * step;
}

struct CpuAllocator {
  std::mutex mu;
  std::unordered_map<void*, size_t> live;          // block -> its size class
  std::multimap<size_t, void*> cached;             // size class -> free block
  int64_t live_bytes = 0, cached_bytes = 0;

  void release_cache() {
    for (auto& [size, p] : cached) std::free(p);
    cached.clear();
    cached_bytes = 0;
  }
};

CpuAllocator& cpu_allocator() {
  static CpuAllocator* a = new CpuAllocator();  // never destroyed: blocks may outlive exit
  return *a;
}

void* cpu_alloc(size_t bytes) {
  CpuAllocator& a = cpu_allocator();
  size_t cls = size_class(bytes);
  std::lock_guard<std::mutex> lock(a.mu);
  void* p = nullptr;
  if (cls >= kCacheMin) {
    auto it = a.cached.find(cls);
    if (it != a.cached.end()) {
      p = it->second;
      a.cached.erase(it);
      a.cached_bytes -= int64_t(cls);
    }
  }
  if (!p) p = std::aligned_alloc(64, cls);
  if (!p && a.cached_bytes > 0) {
    a.release_cache();
    p = std::aligned_alloc(64, cls);
  }
  if (!p) throw OutOfMemory("CPU out of memory: requested " + std::to_string(bytes) + " bytes");
  a.live[p] = cls;
  a.live_bytes += int64_t(cls);
  return p;
}

void cpu_free(void* p) {
  CpuAllocator& a = cpu_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  auto it = a.live.find(p);
  if (it == a.live.end()) throw Error("cpu_free: pointer was not allocated here");
  size_t cls = it->second;
  a.live.erase(it);
  a.live_bytes -= int64_t(cls);
  if (cls >= kCacheMin) {
    a.cached.emplace(cls, p);
    a.cached_bytes += int64_t(cls);
  } else {
    std::free(p);
  }
}

}  // namespace

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

float* device_alloc(Device d, int64_t numel) {
  if (numel < 0) throw Error("device_alloc: negative size");
  size_t bytes = size_t(numel > 0 ? numel : 1) * sizeof(float);
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
  a.release_cache();
}

}  // namespace lc
