// The caching device allocator's bookkeeping (used by cuda/cuda_backend.cu with cudaMalloc and
// cudaFree). It is host-only C++ written against an abstract BlockSource, so that it compiles
// without CUDA and its bookkeeping is tested on the CPU with a fake device
// (test/native/cuda_host_test.cc).
#pragma once
#include <cstdint>
#include <cstdio>
#include <exception>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda_backend.h"
#include "errors.h"

namespace lc {

// Where the allocator's blocks come from: the device, or a fake one in tests.
class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // A block of `bytes`, or null when the device is out of memory; other failures throw.
  virtual void* allocate(size_t bytes) = 0;
  // Gives a block back; throws on failure.
  virtual void free(void* block) = 0;
  // The device's free memory in words, for the out-of-memory message.
  virtual std::string free_memory_words() = 0;
};

inline std::string byte_words(size_t bytes) {
  char text[32];
  if (bytes >= (size_t(1) << 30))
    std::snprintf(text, sizeof text, "%.2f GiB", bytes / double(size_t(1) << 30));
  else
    std::snprintf(text, sizeof text, "%.2f MiB", bytes / double(size_t(1) << 20));
  return text;
}

// Freed blocks are kept per size class for reuse (no cudaMalloc/cudaFree per op). When the
// source is out of memory, the cached blocks are given back and the request tried once more.
class CachingAllocator {
 public:
  // Small blocks round to 512 bytes, large ones to 2 MiB, so that near-equal requests (the same
  // op at slightly different shapes) share a size class and reuse each other's blocks.
  static constexpr size_t kSmallLimit = size_t(1) << 20;
  static constexpr size_t kSmallGranule = 512;
  static constexpr size_t kLargeGranule = size_t(2) << 20;

  explicit CachingAllocator(BlockSource& source) : source_(source) {}

  static size_t size_class(size_t bytes) {
    const size_t granule = bytes <= kSmallLimit ? kSmallGranule : kLargeGranule;
    return (bytes + granule - 1) / granule * granule;
  }

  // Throws lc::OutOfMemory when the source cannot provide the block even with the cache empty.
  void* allocate(size_t bytes) {
    if (bytes == 0) return nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    if (bytes > SIZE_MAX - kLargeGranule) throw_out_of_memory(bytes);
    const size_t size = size_class(bytes);
    // Reserve the bookkeeping entry first: once a block is taken, nothing below may throw.
    live_.reserve(live_.size() + 1);
    void* ptr = nullptr;
    auto cached = free_.find(size);
    if (cached != free_.end() && !cached->second.empty()) {
      ptr = cached->second.back();
      cached->second.pop_back();
    } else {
      ptr = source_.allocate(size);
      if (!ptr) {
        release_cached();
        ptr = source_.allocate(size);
      }
      if (!ptr) throw_out_of_memory(bytes);
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

  // Gives every cached block back to the source. Throws the first failure, after trying all.
  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached();
  }

 private:
  // Each block leaves the free list before it is freed, so a failing free (e.g. a sticky error
  // from an earlier kernel) can never leave a freed block to be handed out again. A block whose
  // free failed is forgotten: the allocator no longer counts or reuses it.
  void release_cached() {
    std::exception_ptr first;
    for (auto& sizeClass : free_) {
      std::vector<void*>& blocks = sizeClass.second;
      while (!blocks.empty()) {
        void* ptr = blocks.back();
        blocks.pop_back();
        reserved_ -= sizeClass.first;
        try {
          source_.free(ptr);
        } catch (...) {
          if (!first) first = std::current_exception();
        }
      }
    }
    if (first) std::rethrow_exception(first);
  }

  [[noreturn]] void throw_out_of_memory(size_t bytes) {  // mutex held
    throw OutOfMemory("CUDA out of memory: requested " + std::to_string(bytes) + " bytes (" +
                      byte_words(bytes) + "), " + byte_words(allocated_) + " allocated, " +
                      source_.free_memory_words() + " free on device");
  }

  BlockSource& source_;
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> cached blocks
  std::unordered_map<void*, size_t> live_;               // handed-out block -> size class
  size_t allocated_ = 0, reserved_ = 0;
};

}  // namespace lc
