#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "errors.h"

namespace lc {
namespace {

std::string env_warning;  // set by default_threads() when $LONGCONV_NUM_THREADS is bad

int default_threads() {
  unsigned hw = std::thread::hardware_concurrency();
  const int cores = static_cast<int>(std::min<unsigned>(hw ? hw : 1, kMaxThreads));
  const char* env = std::getenv("LONGCONV_NUM_THREADS");
  if (!env) return cores;
  const std::string text(env);
  const bool digits = !text.empty() && text.size() <= 4 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (digits && std::stoi(text) >= 1 && std::stoi(text) <= kMaxThreads) return std::stoi(text);
  env_warning = "LONGCONV_NUM_THREADS='" + std::string(env) + "' is not an integer from 1 to " +
                std::to_string(kMaxThreads) + "; using " + std::to_string(cores) +
                " threads (the number of cores)";
  return cores;
}

// Workers wait for a job; a job is a range of chunk indices taken with an atomic counter.
class Pool {
 public:
  // Starts up to threads - 1 workers. When the system refuses a thread (process or container
  // limits), the pool keeps those it got: size() says how many run, and the work is spread
  // over them; with none, parallel_for runs on the calling thread alone.
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) {
      try {
        workers_.emplace_back([this] { work(); });
      } catch (const std::system_error&) {
        break;
      }
    }
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
int pool_threads = 0;       // threads of the pool built for requested_threads (0: none yet)
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
  return pool_threads ? pool_threads : requested_threads;
}

std::string num_threads_env_warning() {
  static std::atomic<bool> reported{false};
  num_threads();  // reads the environment once
  std::lock_guard<std::mutex> lock(pool_mu);
  if (env_warning.empty() || reported.exchange(true)) return "";
  return env_warning;
}

void set_num_threads(int64_t n) {
  if (n < 1 || n > kMaxThreads)
    throw RangeError("n: expected an integer from 1 to " + std::to_string(kMaxThreads) + ", got " +
                     std::to_string(n));
  std::lock_guard<std::mutex> lock(pool_mu);
  requested_threads = int(n);
  pool_threads = 0;
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (in_parallel_region) {
    fn(0, n);
    return;
  }
  grain = std::max<int64_t>(1, grain);
  if (num_threads() == 1 || n <= grain) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> lock(pool_mu);  // one parallel region at a time
  if (!pool_threads) {  // first region since the thread count was set
    delete pool;
    pool = new Pool(requested_threads);
    pool_threads = pool->size();  // fewer than requested when the system refused some
  }
  // A few chunks per thread balance uneven rows without much scheduling overhead.
  const int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, int64_t(pool_threads) * 4);
  if (pool_threads == 1 || chunks <= 1) {
    fn(0, n);
    return;
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
