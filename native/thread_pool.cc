#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace lc {
namespace {

int default_threads() {
  if (const char* env = std::getenv("LONGCONV_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

// Workers wait for a job; a job is a range of chunk indices taken with an atomic counter.
class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void run(int64_t chunks, const std::function<void(int64_t)>& chunk_fn) {
    std::unique_lock<std::mutex> lock(mu_);
    job_ = &chunk_fn;
    chunks_ = chunks;
    next_.store(0);
    pending_ = chunks;
    error_ = nullptr;
    ++generation_;
    lock.unlock();
    wake_.notify_all();
    take_chunks();
    lock.lock();
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void take_chunks() {
    for (;;) {
      int64_t i = next_.fetch_add(1);
      if (i >= chunks_) return;
      try {
        (*job_)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_all();
    }
  }
  void work() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stop_ || (generation_ != seen && job_ != nullptr); });
        if (stop_) return;
        seen = generation_;
      }
      take_chunks();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t chunks_ = 0, pending_ = 0;
  std::atomic<int64_t> next_{0};
  uint64_t generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

std::mutex pool_mu;
int requested_threads = 0;  // 0: not yet decided
Pool* pool = nullptr;
thread_local bool in_parallel_region = false;  // nested parallel_for runs serially

struct RegionFlag {
  RegionFlag() { in_parallel_region = true; }
  ~RegionFlag() { in_parallel_region = false; }
};

}  // namespace

int num_threads() {
  std::lock_guard<std::mutex> lock(pool_mu);
  if (requested_threads == 0) requested_threads = default_threads();
  return requested_threads;
}

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lock(pool_mu);
  requested_threads = std::max(1, n);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (in_parallel_region) {
    fn(0, n);
    return;
  }
  const int threads = num_threads();
  grain = std::max<int64_t>(1, grain);
  // A few chunks per thread balance uneven rows without much scheduling overhead.
  int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, int64_t(threads) * 4);
  if (threads == 1 || chunks <= 1) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> lock(pool_mu);  // one parallel region at a time
  if (!pool || pool->size() != threads) {
    delete pool;
    pool = new Pool(threads);
  }
  const int64_t per = (n + chunks - 1) / chunks;
  std::function<void(int64_t)> chunk_fn = [&](int64_t c) {
    RegionFlag flag;
    int64_t b = c * per, e = std::min(n, b + per);
    if (b < e) fn(b, e);
  };
  pool->run(chunks, chunk_fn);
}

}  // namespace lc
