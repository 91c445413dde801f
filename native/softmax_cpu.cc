// CPU kernels of native/softmax.h: one slice per task, split over threads; sums in double.
#include <algorithm>
#include <cmath>

#include "softmax.h"
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk before work is split across threads

// Calls fn(base) for the first element of each slice [outer, ., inner], in parallel.
template <typename Fn>
void for_each_slice(int64_t outer, int64_t n, int64_t inner, const Fn& fn) {
  parallel_for(outer * inner, std::max<int64_t>(1, kGrain / n), [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) fn(s / inner * n * inner + s % inner);
  });
}

}  // namespace

void softmax_forward_cpu(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  for_each_slice(outer, n, inner, [&](int64_t base) {
    float max = -INFINITY;
    for (int64_t j = 0; j < n; ++j) max = std::max(max, x[base + j * inner]);
    if (!std::isfinite(max)) max = 0;  // all -inf, or +inf present: the results are NaN, as in PyTorch
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) sum += std::exp(double(x[base + j * inner]) - max);
    const double log_sum = std::log(sum);
    for (int64_t j = 0; j < n; ++j) {
      double shifted = double(x[base + j * inner]) - max;
      y[base + j * inner] = float(log ? shifted - log_sum : std::exp(shifted) / sum);
    }
  });
}

void softmax_backward_cpu(const float* y, const float* dy, float* dx, int64_t outer, int64_t n, int64_t inner,
                          bool log) {
  for_each_slice(outer, n, inner, [&](int64_t base) {
    double dot = 0;  // sum(dy * y) for softmax, sum(dy) for logSoftmax
    for (int64_t j = 0; j < n; ++j) dot += double(dy[base + j * inner]) * (log ? 1.0 : double(y[base + j * inner]));
    for (int64_t j = 0; j < n; ++j) {
      int64_t k = base + j * inner;
      dx[k] = log ? float(dy[k] - std::exp(double(y[k])) * dot) : float(y[k] * (dy[k] - dot));
    }
  });
}

}  // namespace lc
