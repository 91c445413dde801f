// The host-side logic of the CUDA backend, tested on the CPU (no GPU, no CUDA toolkit needed):
// the caching allocator's bookkeeping against a fake device (cuda/caching_allocator.h), the
// cuFFT plan cache's policy with fake plans (cuda/plan_lru.h), the CUDA library search order
// and version check (native/library_search.cc, with two fake shared libraries built by
// scripts/test-native.sh), and Cauchy's overflow-free 1/conj(d) (cuda/inverse_conj.h).
// Run by scripts/test-native.sh: cuda_host_test <folder of the fake libraries>.
// Exit status 0 when every check passes.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "caching_allocator.h"
#include "errors.h"
#include "inverse_conj.h"
#include "library_search.h"
#include "plan_lru.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::printf("FAIL %s\n", what.c_str());
  }
}

template <typename Fn>
bool throws(Fn&& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const std::exception& e) {
    if (message) *message = e.what();
    return true;
  }
  return false;
}

// ---- caching allocator ----

// A device with `capacity` bytes. Blocks are fake addresses (never dereferenced). A free can be
// made to fail, as cudaFree does after a sticky error; it fails before releasing the block.
class FakeDevice : public lc::BlockSource {
 public:
  explicit FakeDevice(size_t capacity) : capacity_(capacity) {}

  void* allocate(size_t bytes) override {
    if (used_ + bytes > capacity_) return nullptr;
    used_ += bytes;
    next_ += bytes + 4096;
    void* block = reinterpret_cast<void*>(next_);
    live_[block] = bytes;
    ++allocations;
    return block;
  }

  void free(void* block) override {
    ++frees;
    if (failFreeIn > 0 && --failFreeIn == 0)
      throw lc::Error("cudaFree: an illegal memory access was encountered");
    auto it = live_.find(block);
    if (it == live_.end()) {
      ++invalidFrees;  // a double free, or a block this device never gave out
      return;
    }
    used_ -= it->second;
    live_.erase(it);
  }

  std::string free_memory_words() override { return lc::byte_words(capacity_ - used_); }

  bool live(void* block) const { return live_.count(block) > 0; }

  int allocations = 0, frees = 0, invalidFrees = 0;
  int failFreeIn = 0;  // when set to k, the k-th next free fails

 private:
  size_t capacity_, used_ = 0;
  uintptr_t next_ = 1 << 20;
  std::unordered_map<void*, size_t> live_;
};

constexpr size_t kMiB = size_t(1) << 20;

void test_size_classes() {
  using A = lc::CachingAllocator;
  check(A::size_class(1) == 512 && A::size_class(512) == 512 && A::size_class(513) == 1024,
        "small blocks round to 512 bytes");
  check(A::size_class(kMiB) == kMiB && A::size_class(kMiB + 1) == 2 * kMiB &&
            A::size_class(3 * kMiB) == 4 * kMiB,
        "large blocks round to 2 MiB");
}

void test_reuse() {
  FakeDevice device(64 * kMiB);
  lc::CachingAllocator allocator(device);
  void* a = allocator.allocate(1000);
  allocator.release(a);
  void* b = allocator.allocate(900);  // the same 1024-byte class
  check(a == b && device.allocations == 1, "a freed block is reused by the next request of its class");
  lc::CudaMemoryStats stats = allocator.stats();
  check(stats.allocatedBytes == 1024 && stats.reservedBytes == 1024 && stats.allocations == 1,
        "stats count the reused block once");
  allocator.release(b);
  allocator.empty_cache();
  check(allocator.stats().reservedBytes == 0 && device.frees == 1, "empty_cache frees the cached block");
  check(allocator.allocate(0) == nullptr, "zero bytes give null");
  check(throws([&] { allocator.release(reinterpret_cast<void*>(16)); }),
        "releasing a foreign pointer throws");
}

// Issue 21 #3: a free that fails mid-loop must not leave freed blocks in the free list.
void test_failing_free() {
  FakeDevice device(64 * kMiB);
  lc::CachingAllocator allocator(device);
  std::vector<void*> blocks;
  for (int i = 0; i < 3; ++i) blocks.push_back(allocator.allocate(4 * kMiB));
  for (void* block : blocks) allocator.release(block);
  check(allocator.stats().reservedBytes == 12 * kMiB, "three blocks of one size class cached");

  device.failFreeIn = 2;  // mid-loop: after one block of the class was freed
  std::string message;
  check(throws([&] { allocator.empty_cache(); }, &message) &&
            message.find("illegal memory access") != std::string::npos,
        "empty_cache throws the failing free's error");
  check(device.frees == 3, "every cached block is offered back although one free failed");
  check(allocator.stats().reservedBytes == 0, "no freed block is counted as cached");

  // The next requests of both classes get new blocks, never one that was freed (use after free).
  const int before = device.allocations;
  std::vector<void*> again;
  for (int i = 0; i < 3; ++i) again.push_back(allocator.allocate(4 * kMiB));
  check(device.allocations == before + 3, "after the failure, requests go to the device");
  for (void* block : again) check(device.live(block), "every block handed out is live on the device");
  for (void* block : again) allocator.release(block);
  allocator.empty_cache();
  check(device.invalidFrees == 0, "no block is freed twice");
  check(allocator.stats().reservedBytes == 0 && allocator.stats().allocations == 0,
        "the allocator is empty at the end");
}

// An allocation the device refuses empties the cache and is tried once more.
void test_out_of_memory() {
  FakeDevice device(10 * kMiB);
  lc::CachingAllocator allocator(device);
  void* a = allocator.allocate(6 * kMiB);
  allocator.release(a);
  void* b = allocator.allocate(8 * kMiB);  // 6 + 8 > 10: the cached 6 MiB must go first
  check(b != nullptr && device.frees == 1, "the cache is released when the device is full");
  check(allocator.stats().reservedBytes == 8 * kMiB, "reserved bytes after the retry");

  std::string message;
  check(throws([&] { allocator.allocate(4 * kMiB); }, &message), "a request that cannot fit throws");
  bool isOom = false;
  try {
    allocator.allocate(4 * kMiB);
  } catch (const lc::OutOfMemory&) {
    isOom = true;
  } catch (...) {
  }
  check(isOom, "it is lc::OutOfMemory");
  check(message.find("requested 4194304 bytes") != std::string::npos &&
            message.find("8.00 MiB allocated") != std::string::npos,
        "the message gives the request and the allocated bytes: " + message);
  check(allocator.stats().allocations == 1 && allocator.stats().allocatedBytes == 8 * kMiB,
        "a refused request changes no bookkeeping");

  // A failing free during that retry: the error passes through, the free list is left empty.
  allocator.release(b);
  void* c = allocator.allocate(1000);
  allocator.release(c);
  device.failFreeIn = 1;
  check(throws([&] { allocator.allocate(9 * kMiB); }), "a failing free in the retry throws");
  check(allocator.stats().reservedBytes == 0, "and leaves nothing cached");
  const int before = device.allocations;
  void* d = allocator.allocate(1000);
  check(device.allocations == before + 1 && d != c && device.live(d),
        "the next request gets a new block from the device");
}

// ---- plan cache ----

struct FakePlan;
lc::PlanLru<FakePlan>* currentCache = nullptr;
std::atomic<int> created{0}, destroyed{0}, destroyedUnderLock{0};

// Whether another thread can take the cache's lock within a second (it cannot while this
// thread holds it; the helper thread is detached so that such a failure cannot deadlock).
bool lock_is_free() {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> reading = done->get_future();
  lc::PlanLru<FakePlan>* cache = currentCache;
  std::thread([cache, done] {
    cache->stats();
    done->set_value();
  }).detach();
  return reading.wait_for(std::chrono::seconds(1)) == std::future_status::ready;
}

struct FakePlan {
  int64_t n;
  explicit FakePlan(int64_t size) : n(size) { ++created; }
  ~FakePlan() {
    ++destroyed;
    if (currentCache && !lock_is_free()) ++destroyedUnderLock;
  }
};

std::shared_ptr<FakePlan> get(lc::PlanLru<FakePlan>& cache, int64_t n, int64_t batch = 1) {
  return cache.get(lc::PlanKey{n, batch, 0}, [&] {
    check(lock_is_free(), "plans are made without the cache's lock");
    return std::make_shared<FakePlan>(n);
  });
}

void test_plan_cache() {
  lc::PlanLru<FakePlan> cache(3);
  currentCache = &cache;
  created = destroyed = destroyedUnderLock = 0;
  auto p1 = get(cache, 1);
  get(cache, 2);
  get(cache, 3);
  check(get(cache, 1) == p1 && created == 3, "a cached plan is found again");
  check(get(cache, 1, 2) != p1 && created == 4, "the batch is part of the key");
  // Now (most recent first): (1,2), 1, 3, 2 were wanted; capacity 3 dropped 2.
  lc::PlanCacheStats stats = cache.stats();
  check(stats.plans == 3 && stats.evictions == 1 && destroyed == 1,
        "the least recently used plan is dropped and destroyed");
  get(cache, 2);
  check(cache.stats().evictions == 2 && created == 5, "plan 3 goes next (1 was used more recently)");
  check(get(cache, 1) == p1 && created == 5, "plan 1 is still cached");

  // A plan in use outlives its eviction.
  auto held = get(cache, 7);
  for (int64_t n = 100; n < 103; ++n) get(cache, n);
  // Alive: the three cached, p1 and held (both evicted meanwhile).
  check(held->n == 7 && destroyed == created - 5, "an evicted plan in use is not destroyed");
  held.reset();
  check(destroyed == created - 4, "it is destroyed when its user lets go");

  check(throws([&] {
          cache.get(lc::PlanKey{9, 1, 0}, []() -> std::shared_ptr<FakePlan> {
            throw lc::OutOfMemory("cuFFT out of memory");
          });
        }),
        "a failing plan creation throws");
  check(cache.stats().plans == 3, "and caches nothing");

  cache.clear();
  check(cache.stats().plans == 0 && destroyed == created - 1, "clear drops every idle plan");
  p1.reset();
  check(destroyed == created, "every plan is destroyed in the end");
  check(destroyedUnderLock == 0, "no plan is destroyed with the cache's lock held");

  // Threads sharing the cache: every plan is destroyed exactly once, none under the lock.
  {
    lc::PlanLru<FakePlan> shared(4);
    currentCache = nullptr;  // lock_is_free() would be too slow here
    created = destroyed = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&shared, t] {
        for (int i = 0; i < 2000; ++i) {
          auto plan = shared.get(lc::PlanKey{(i * 7 + t) % 9, 1, 0},
                                 [&] { return std::make_shared<FakePlan>((i * 7 + t) % 9); });
          if (plan->n != (i * 7 + t) % 9) check(false, "a thread got another key's plan");
        }
      });
    for (auto& thread : threads) thread.join();
    check(shared.stats().plans == 4 && destroyed == created - 4, "concurrent use keeps the count");
  }
  check(destroyed == created, "and destroys every plan once");
}

// ---- CUDA library search ----

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : " ") + name;
  return out;
}

void test_soname_order() {
  check(joined(lc::cuda_library_sonames("libcufft.so", {12, 11, 10}, 11)) ==
            "libcufft.so.11 libcufft.so.12 libcufft.so.10 libcufft.so",
        "a CUDA 12 build tries cuFFT 11 (libcufft.so.11) first");
  check(joined(lc::cuda_library_sonames("libcufft.so", {12, 11, 10}, 12)) ==
            "libcufft.so.12 libcufft.so.11 libcufft.so.10 libcufft.so",
        "a CUDA 13 build tries libcufft.so.12 first");
  check(joined(lc::cuda_library_sonames("libcublas.so", {13, 12, 11}, 12)) ==
            "libcublas.so.12 libcublas.so.13 libcublas.so.11 libcublas.so",
        "a CUDA 12 build tries libcublas.so.12 first");
  check(joined(lc::cuda_library_sonames("libcublas.so", {13, 12, 11}, 14)) ==
            "libcublas.so.13 libcublas.so.12 libcublas.so.11 libcublas.so",
        "an unknown build version keeps newest first");
  const std::string words =
      lc::soname_words(lc::cuda_library_sonames("libcufft.so", {12, 11, 10}, 11));
  check(words == "libcufft.so.11, .12, .10 and libcufft.so", "soname words: " + words);

  check(lc::driver_too_old("cuFFT 12.0", 13, 13000).empty(), "CUDA 13 library, CUDA 13 driver");
  check(lc::driver_too_old("cuFFT 11.2", 12, 13000).empty(), "CUDA 12 library, CUDA 13 driver");
  check(lc::driver_too_old("cuFFT 12.0", 13, 0).empty(), "unknown driver: no verdict");
  const std::string tooOld = lc::driver_too_old("cuFFT 12.0", 13, 12040);
  check(tooOld == "is cuFFT 12.0 (CUDA 13), newer than the driver's CUDA 12.4",
        "CUDA 13 library, CUDA 12.4 driver: " + tooOld);
}

// Two fake libraries, libfakecuda.so.11 and .12, each answering fake_major() with its major.
void test_library_search(const std::string& folder) {
  using MajorFn = int (*)();
  const char* env = "LONGCONV_TEST_FAKECUDA_PATH";
  setenv(env, folder.c_str(), 1);
  auto find = [&](int buildMajor, int driverMajor, int& loadedMajor) {
    MajorFn major = nullptr;
    lc::FoundLibrary found = lc::find_cuda_library(
        env, lc::cuda_library_sonames("libfakecuda.so", {12, 11}, buildMajor), driverMajor * 1000,
        [&](void* library, lc::LibraryVersion& version, std::string& rejection) {
          lc::bind_symbol(library, "fake_major", major, rejection);
          if (!rejection.empty()) return false;
          version = {100 * major(), "fake " + std::to_string(major()), major()};
          return true;
        });
    loadedMajor = found.handle ? major() : 0;
    check(found.version == 100 * loadedMajor, "the version of the library found is reported");
    return found;
  };
  int loaded = 0;
  lc::FoundLibrary found = find(11, 13, loaded);
  check(loaded == 11 && found.path.size() > 3 && found.path.substr(found.path.size() - 3) == ".11",
        "with both present, the build's version is loaded, not the newest: " + found.path);
  found = find(12, 13, loaded);
  check(loaded == 12, "a build for the other version loads the other library: " + found.path);
  found = find(12, 11, loaded);
  check(loaded == 11, "a library newer than the driver is skipped: " + found.path);
  check(found.tried.find("libfakecuda.so.12 is fake 12 (CUDA 12), newer than the driver's CUDA 11.0") !=
            std::string::npos,
        "and the skip is noted: " + found.tried);
  found = find(12, 10, loaded);
  check(!found.handle && loaded == 0, "nothing loads when every candidate is too new");
  check(found.tried.find("libfakecuda.so.12, .11 and libfakecuda.so in " + folder) == 0,
        "the message lists the names and places tried: " + found.tried);
  unsetenv(env);
}

// ---- Cauchy's 1 / conj(d) ----

void test_inverse_conj() {
  double worst = 0;
  int nonFinite = 0;
  for (int er = -37; er <= 37; er += 2)
    for (int ei = -37; ei <= 37; ei += 3)
      for (float sign : {1.f, -1.f}) {
        const float dr = sign * 1.37f * std::pow(10.f, float(er)), di = -0.71f * std::pow(10.f, float(ei));
        if (!std::isnormal(dr) || !std::isnormal(di)) continue;
        float re, im;
        lc::inverse_conj(dr, di, re, im);
        const long double m = (long double)dr * dr + (long double)di * di;
        const long double refRe = dr / m, refIm = di / m;
        const long double mag = std::sqrt(refRe * refRe + refIm * refIm);
        if (mag > 3e38L) continue;  // the result itself does not fit a float
        if (!std::isfinite(re) || !std::isfinite(im)) {
          ++nonFinite;
          continue;
        }
        if (mag < 1e-37L) continue;  // the result is subnormal in float
        const long double err = std::sqrt((re - refRe) * (re - refRe) + (im - refIm) * (im - refIm));
        worst = std::max(worst, double(err / mag));
      }
  check(nonFinite == 0, "1/conj(d) is finite wherever it fits a float");
  check(worst < 1e-6, "1/conj(d) to float precision, worst " + std::to_string(worst));
  float re, im;
  lc::inverse_conj(1e-25f, 0.f, re, im);  // |d|^2 = 1e-50 underflows in float
  check(std::fabs(re / 1e25f - 1.f) < 1e-6f && im == 0.f, "d = 1e-25 gives 1e25");
  lc::inverse_conj(0.f, 3e25f, re, im);  // |d|^2 = 9e50 overflows in float
  check(re == 0.f && std::fabs(im * 3e25f - 1.f) < 1e-6f, "d = 3e25i gives 1/(3e25) i");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cuda_host_test <folder with libfakecuda.so.11 and .12>\n");
    return 2;
  }
  test_size_classes();
  test_reuse();
  test_failing_free();
  test_out_of_memory();
  test_plan_cache();
  test_soname_order();
  test_library_search(argv[1]);
  test_inverse_conj();
  std::printf(failures ? "cuda host logic: %d FAILED\n" : "cuda host logic: all passed\n", failures);
  return failures ? 1 : 0;
}
