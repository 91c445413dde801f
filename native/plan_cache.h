// Plans by length, shared by the FFT (native/fft.cc) and DFT (native/dft.cc) code, held in the
// bounded CPU cache (native/host_cache.h). A plan is built outside the cache's lock (a DFT plan
// builds the FFT plan it runs on), so two threads may build the same plan at once; the first
// one cached wins. A failed build leaves no entry behind.
#pragma once
#include <cstdint>
#include <memory>
#include <new>

#include "errors.h"
#include "host_cache.h"

namespace lc {

// The cached plan of type Plan for length n, built by `build` when missing. `bytes(plan)` is
// what it holds; `oom_message` the OutOfMemory thrown when a build runs out of memory (any
// other exception from `build` passes through). Hold the pointer while using the plan.
template <class Plan>
std::shared_ptr<const Plan> cached_plan(int64_t n, std::unique_ptr<Plan> (*build)(int64_t),
                                        int64_t (*bytes)(const Plan&), const char* oom_message) {
  static const char kind = 0;  // one address per Plan type
  if (auto found = plan_cache_find(&kind, n)) return std::static_pointer_cast<const Plan>(found);
  std::shared_ptr<const Plan> plan;
  try {
    plan = build(n);
  } catch (const std::bad_alloc&) {
    throw OutOfMemory(oom_message);
  }
  const int64_t size = bytes(*plan);
  return std::static_pointer_cast<const Plan>(plan_cache_insert(&kind, n, plan, size));
}

}  // namespace lc
