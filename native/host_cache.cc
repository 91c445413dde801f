#include "host_cache.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <list>
#include <map>
#include <mutex>
#include <utility>

#include "storage.h"

namespace lc {
namespace {

constexpr int64_t kTrimEvery = int64_t(16) << 20;

struct PlanEntry {
  const void* kind;
  int64_t n;
  std::shared_ptr<const void> plan;
  int64_t bytes;
};

struct PlanCache {
  std::mutex mu;
  std::list<PlanEntry> lru;  // most recently used first
  std::map<std::pair<const void*, int64_t>, std::list<PlanEntry>::iterator> index;
  int64_t bytes = 0;
  int64_t evictions = 0;
  int64_t limit = -1;  // -1: not yet read from the environment
  int64_t dropped_since_trim = 0;

  // Drops the least recently used plan; false when there is none. Caller holds mu.
  bool drop_oldest() {
    if (lru.empty()) return false;
    const PlanEntry& last = lru.back();
    index.erase({last.kind, last.n});
    bytes -= last.bytes;
    dropped_since_trim += last.bytes;
    lru.pop_back();
    ++evictions;
    return true;
  }
};

PlanCache& plan_cache() {
  static PlanCache* c = new PlanCache();  // never destroyed: plans may be in use at exit
  return *c;
}

int64_t default_limit() {
  if (const char* env = std::getenv("LONGCONV_CACHE_LIMIT")) {
    char* end = nullptr;
    long long v = std::strtoll(env, &end, 10);
    if (end != env && *end == '\0' && v >= 0) return v;
  }
  const int64_t physical = int64_t(sysconf(_SC_PHYS_PAGES)) * int64_t(sysconf(_SC_PAGESIZE));
  return std::min<int64_t>(int64_t(1) << 30, std::max<int64_t>(physical / 8, 64 << 20));
}

// Caller holds c.mu.
int64_t limit_locked(PlanCache& c) {
  if (c.limit < 0) c.limit = default_limit();
  return c.limit;
}

}  // namespace

int64_t cpu_cache_limit() {
  PlanCache& c = plan_cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return limit_locked(c);
}

void set_cpu_cache_limit(int64_t bytes) {
  {
    PlanCache& c = plan_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    c.limit = std::max<int64_t>(0, bytes);
  }
  cpu_cache_trim();
}

CacheStats cpu_cache_stats() {
  PlanCache& c = plan_cache();
  CacheStats s;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    s.bytes = c.bytes;
    s.entries = int64_t(c.lru.size());
    s.evictions = c.evictions;
    s.limitBytes = limit_locked(c);
  }
  s.bytes += cpu_cached_block_bytes();
  s.entries += cpu_cached_blocks();
  return s;
}

void cpu_cache_clear() {
  {
    PlanCache& c = plan_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    c.lru.clear();
    c.index.clear();
    c.bytes = 0;
  }
  cpu_empty_cache();
}

void cpu_cache_trim() {
  PlanCache& c = plan_cache();
  std::lock_guard<std::mutex> lock(c.mu);  // lock order: plan cache, then the allocator
  const int64_t limit = limit_locked(c);
  int64_t blocks = cpu_cached_block_bytes();
  if (c.bytes + blocks <= limit) return;
  if (blocks > 0) {
    c.evictions += cpu_release_cached_blocks(c.bytes + blocks - limit);
    const int64_t left = cpu_cached_block_bytes();
    c.dropped_since_trim += blocks - left;
    blocks = left;
  }
  while (c.bytes + blocks > limit && c.drop_oldest()) {
  }
  // glibc keeps freed heap memory mapped (plans and blocks come from the heap); hand it back to
  // the system now and then, so that a bounded cache also means bounded RSS. (A plan dropped
  // while a kernel still uses it is freed later, and trimmed with the next batch.)
  if (c.dropped_since_trim >= kTrimEvery) {
    c.dropped_since_trim = 0;
    malloc_trim(0);
  }
}

std::shared_ptr<const void> plan_cache_find(const void* kind, int64_t n) {
  PlanCache& c = plan_cache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.index.find({kind, n});
  if (it == c.index.end()) return nullptr;
  c.lru.splice(c.lru.begin(), c.lru, it->second);  // now the most recently used
  return it->second->plan;
}

std::shared_ptr<const void> plan_cache_insert(const void* kind, int64_t n,
                                              std::shared_ptr<const void> plan, int64_t bytes) {
  {
    PlanCache& c = plan_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.index.find({kind, n});
    if (it != c.index.end()) return it->second->plan;  // built meanwhile by another thread
    c.lru.push_front({kind, n, plan, bytes});
    c.index[{kind, n}] = c.lru.begin();
    c.bytes += bytes;
  }
  cpu_cache_trim();
  return plan;
}

}  // namespace lc
