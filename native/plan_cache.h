// A process-wide cache of plans by length, shared by the FFT (native/fft.cc) and DFT
// (native/dft.cc) plans: built on first use under a lock, never erased once built (so the
// references handed out stay valid); a failed build leaves no entry behind.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <new>

#include "errors.h"

namespace lc {

// One cache per Plan type. `oom_message` is the OutOfMemory thrown when a build runs out of
// memory; any other exception from `build` passes through.
template <class Plan>
const Plan& cached_plan(int64_t n, std::unique_ptr<Plan> (*build)(int64_t), const char* oom_message) {
  static std::mutex mu;
  static std::map<int64_t, std::unique_ptr<Plan>> cache;  // never erased: refs stay valid
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[n];
  if (!slot) {
    try {
      slot = build(n);
    } catch (const std::bad_alloc&) {
      cache.erase(n);
      throw OutOfMemory(oom_message);
    } catch (...) {
      cache.erase(n);
      throw;
    }
  }
  return *slot;
}

}  // namespace lc
