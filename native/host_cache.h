// The CPU caches under one byte budget: FFT and DFT plans (twiddles, Bluestein tables) by kind
// and length, and the allocator's freed blocks kept for reuse (work buffers included). When the
// total passes the limit, freed blocks go first (largest first), then the least recently used
// plans. Plans are handed out as shared pointers, so a plan dropped while a kernel uses it
// lives until that kernel lets go.
#pragma once
#include <cstdint>
#include <memory>

namespace lc {

// What lc.memory() reports of a device's caches (the same shape for every device).
struct CacheStats {
  int64_t bytes = 0;          // held (CPU: plans plus cached blocks)
  int64_t entries = 0;        // cached items
  int64_t evictions = 0;      // entries dropped to stay within the limit, since the start
  int64_t limitBytes = -1;    // the byte budget; -1: not bounded by bytes
  int64_t limitEntries = -1;  // the bound on entries; -1: not bounded by count
};
CacheStats cpu_cache_stats();
// Default: $LONGCONV_CACHE_LIMIT (bytes) if set, else 1/8 of physical memory, at most 1 GiB.
int64_t cpu_cache_limit();
// Sets the budget (>= 0; 0 caches nothing) and trims to it at once.
void set_cpu_cache_limit(int64_t bytes);
// Drops every cached plan and freed block (what lc.emptyCache() does on the CPU).
void cpu_cache_clear();
// Drops entries until the caches fit the budget (after a block is cached or a plan added).
void cpu_cache_trim();

// The plan registry behind cached_plan (native/plan_cache.h). `kind` tells plan types apart.
std::shared_ptr<const void> plan_cache_find(const void* kind, int64_t n);
// Adds a plan of `bytes` bytes unless one is there already; returns the one cached.
std::shared_ptr<const void> plan_cache_insert(const void* kind, int64_t n,
                                              std::shared_ptr<const void> plan, int64_t bytes);

}  // namespace lc
