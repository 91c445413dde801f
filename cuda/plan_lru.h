// The cuFFT plan cache's policy (cuda/cufft_loader.cc): least recently used, bounded by the
// number of plans. Host-only and templated on the plan type, so the CPU tests it with fake
// plans (test/native/cuda_host_test.cc).
//
// Plans are created and destroyed without the lock held: creating one takes milliseconds and
// destroying a cuFFT plan waits for the device, and neither should stall other threads'
// look-ups. A plan handed out stays alive (shared_ptr) until its user is done, even if evicted.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

namespace lc {

struct PlanKey {
  int64_t n, batch;
  int type;
  bool operator==(const PlanKey& o) const { return n == o.n && batch == o.batch && type == o.type; }
};

struct PlanCacheStats {
  int64_t plans = 0;      // cached now
  int64_t evictions = 0;  // dropped to stay within the bound, since the process started
  int64_t capacity = 0;   // the bound
};

template <class Plan>
class PlanLru {
 public:
  explicit PlanLru(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // The cached plan for key, else make()'s (a shared_ptr<Plan>; its exceptions pass through).
  template <class Make>
  std::shared_ptr<Plan> get(const PlanKey& key, Make&& make) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (std::shared_ptr<Plan> hit = find(key)) return hit;
    }
    std::shared_ptr<Plan> made = make();
    std::vector<std::shared_ptr<Plan>> dropped;  // destroyed after `lock` is released
    std::lock_guard<std::mutex> lock(mutex_);
    if (std::shared_ptr<Plan> hit = find(key)) return hit;  // another thread made it meanwhile
    entries_.push_front(Entry{key, made});
    while (entries_.size() > capacity_) {
      dropped.push_back(std::move(entries_.back().plan));
      entries_.pop_back();
      ++evictions_;
    }
    return made;
  }

  // Drops every cached plan (those in use live on with their users).
  void clear() {
    std::list<Entry> dropped;  // destroyed after `lock` is released
    std::lock_guard<std::mutex> lock(mutex_);
    dropped.swap(entries_);
  }

  PlanCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    PlanCacheStats stats;
    stats.plans = static_cast<int64_t>(entries_.size());
    stats.evictions = evictions_;
    stats.capacity = static_cast<int64_t>(capacity_);
    return stats;
  }

 private:
  struct Entry {
    PlanKey key;
    std::shared_ptr<Plan> plan;
  };

  // With the lock held: the plan for key, moved to the front, or null.
  std::shared_ptr<Plan> find(const PlanKey& key) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->key == key) {
        entries_.splice(entries_.begin(), entries_, it);
        return entries_.front().plan;
      }
    }
    return nullptr;
  }

  const size_t capacity_;
  std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  int64_t evictions_ = 0;
};

}  // namespace lc
