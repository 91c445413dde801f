// A persistent pool of worker threads for the CPU kernels: they split work over rows.
#pragma once
#include <cstdint>
#include <functional>

namespace lc {

// Threads used by parallel_for. Defaults to $LONGCONV_NUM_THREADS, else the number of cores.
int num_threads();
// Changes the thread count (n >= 1); the pool is rebuilt on the next parallel_for.
void set_num_threads(int n);

// Calls fn(begin, end) on disjoint chunks that cover [0, n). The calling thread takes part;
// a parallel_for inside fn runs serially on its thread.
// Chunks hold at least `grain` items, so tiny loops stay on one thread. An exception thrown
// by fn is rethrown on the calling thread after every chunk has finished.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace lc
