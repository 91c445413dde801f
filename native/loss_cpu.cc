// CPU kernels of native/loss.h. Sums are formed in double over fixed chunks whose partial
// sums are added in order, so the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "loss.h"
#include "nn_math.h"
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk before work is split across threads

// The mean of term(i) over [0, n), deterministic.
template <typename Term>
float chunked_mean(int64_t n, const Term& term) {
  int64_t chunks = (n + kGrain - 1) / kGrain;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c)
      for (int64_t i = c * kGrain; i < std::min(n, (c + 1) * kGrain); ++i) partial[size_t(c)] += term(i);
  });
  double total = 0;
  for (double p : partial) total += p;
  return float(total / double(n));
}

}  // namespace

void cross_entropy_forward_cpu(const float* logits, const float* labels, float* loss, float* softmax, int64_t B,
                               int64_t C) {
  std::vector<double> row_loss(static_cast<size_t>(B));
  parallel_for(B, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, C)), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const float* x = logits + b * C;
      float* p = softmax + b * C;
      float max = *std::max_element(x, x + C);  // shift: exp never overflows
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += std::exp(double(x[c]) - max);
      for (int64_t c = 0; c < C; ++c) p[c] = float(std::exp(double(x[c]) - max) / sum);
      int64_t label = index_in_range(labels[b], C);
      row_loss[size_t(b)] = label < 0 ? std::numeric_limits<double>::quiet_NaN()
                                      : max + std::log(sum) - double(x[label]);
    }
  });
  loss[0] = chunked_mean(B, [&](int64_t b) { return row_loss[size_t(b)]; });
}

void cross_entropy_backward_cpu(const float* softmax, const float* labels, const float* grad, float* dlogits,
                                int64_t B, int64_t C) {
  float scale = grad[0] / float(B);
  parallel_for(B, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, C)), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      int64_t label = index_in_range(labels[b], C);
      for (int64_t c = 0; c < C; ++c) dlogits[b * C + c] = scale * (softmax[b * C + c] - (c == label ? 1.0f : 0.0f));
    }
  });
}

void mse_forward_cpu(const float* a, const float* b, float* loss, int64_t n) {
  loss[0] = chunked_mean(n, [&](int64_t i) {
    double d = double(a[i]) - b[i];
    return d * d;
  });
}

void mse_backward_cpu(const float* a, const float* b, const float* grad, float* da, float* db, int64_t n) {
  float scale = 2.0f * grad[0] / float(n);
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float d = scale * (a[i] - b[i]);
      if (da) da[i] = d;
      if (db) db[i] = -d;
    }
  });
}

}  // namespace lc
