// CPU kernels of native/max_min.h: one slice per task, split over threads.
#include <algorithm>
#include <cstring>

#include "max_min.h"
#include "nn_math.h"  // index_in_range
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk before work is split across threads

}  // namespace

void max_min_forward_cpu(const float* x, float* values, float* indices, int64_t outer, int64_t n, int64_t inner,
                         bool is_max) {
  parallel_for(outer * inner, std::max<int64_t>(1, kGrain / n), [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      const float* slice = x + s / inner * n * inner + s % inner;
      float best = slice[0];
      int64_t k = 0;
      for (int64_t j = 1; j < n; ++j)
        if (max_min_beats(slice[j * inner], j, best, k, is_max)) best = slice[j * inner], k = j;
      if (values) values[s] = best;
      indices[s] = float(k);
    }
  });
}

void max_min_backward_cpu(const float* indices, const float* dy, float* dx, int64_t outer, int64_t n,
                          int64_t inner) {
  std::memset(dx, 0, sizeof(float) * size_t(outer * n * inner));
  parallel_for(outer * inner, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      int64_t k = index_in_range(indices[s], n);
      if (k >= 0) dx[s / inner * n * inner + k * inner + s % inner] = dy[s];
    }
  });
}

}  // namespace lc
