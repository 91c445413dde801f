// CPU kernels of native/optim.h, multithreaded over fixed-size chunks.
#include <algorithm>
#include <vector>

#include "optim.h"
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kChunk = 1 << 15;  // elements per chunk (and per partial sum)

}  // namespace

void adamw_step_cpu(const float* grad, float* param, float* m, float* v, int64_t n,
                    const AdamWHyper& h) {
  const AdamWCoefficients c = adamw_coefficients(h);
  parallel_for(n, kChunk, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) adamw_update(param[i], grad[i], m[i], v[i], c);
  });
}

double sum_of_squares_cpu(const float* x, int64_t n) {
  // One partial per fixed chunk, added in chunk order: the result does not depend on how
  // parallel_for splits the chunks over threads.
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(size_t(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const int64_t stop = std::min(n, (c + 1) * kChunk);
      double acc = 0;
      for (int64_t i = c * kChunk; i < stop; ++i) acc += double(x[i]) * x[i];
      partial[size_t(c)] = acc;
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace lc
