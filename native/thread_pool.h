// A persistent pool of worker threads for the CPU kernels: they split work over rows.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace lc {

// Most threads a pool may have (setNumThreads and $LONGCONV_NUM_THREADS accept 1..this).
constexpr int kMaxThreads = 1024;

// Threads used by parallel_for: $LONGCONV_NUM_THREADS when it is an integer from 1 to
// kMaxThreads, else the number of cores (at most kMaxThreads); once the pool has started, the
// threads it actually got (fewer when the system refused some). The setting is per process:
// every Node worker thread shares the one pool, and parallel regions take turns.
int num_threads();
// The complaint about a bad $LONGCONV_NUM_THREADS, the first time it is asked for in this
// process (empty afterwards, and when the value is fine).
std::string num_threads_env_warning();
// Changes the thread count; throws lc::RangeError unless 1 <= n <= kMaxThreads. The pool is
// rebuilt on the next parallel_for.
void set_num_threads(int64_t n);

// Calls fn(begin, end) on disjoint chunks that cover [0, n). The calling thread takes part;
// a parallel_for inside fn runs serially on its thread.
// Chunks hold at least `grain` items, so tiny loops stay on one thread. An exception thrown
// by fn is rethrown on the calling thread after every chunk has finished.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace lc
