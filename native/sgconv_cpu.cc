// CPU half of native/sgconv.h: rows (c,h) in parallel, each row a plain loop over its segments.
#include <algorithm>
#include <cmath>

#include "sgconv.h"
#include "sgconv_math.h"
#include "thread_pool.h"

namespace lc {
namespace {

// Rows per parallel task: enough work per task (about 64K samples) to pay for the hand-off.
int64_t row_grain(int64_t samplesPerRow) {
  return std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, samplesPerRow));
}

}  // namespace

void sgconv_kernel_forward_cpu(const float* const* subKernels, const float* multiplier, float* out,
                               float* norm, int64_t S, int64_t C, int64_t H, int64_t d,
                               int64_t initScale, int64_t L, bool computeNorm) {
  const int64_t T = sgconv::total_length(S, d, initScale);
  parallel_for(C * H, row_grain(T + L), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const float m = multiplier[row % H];
      // Segment by segment, calls visit(t, value) for t < limit (undivided by the norm).
      auto forEachSample = [&](int64_t limit, auto&& visit) {
        for (int64_t i = 0; i < S; ++i) {
          const int64_t s = sgconv::scale_of(i, initScale), offset = sgconv::offset_of(i, d, initScale);
          const int64_t kept = sgconv::kept_in_segment(i, d, initScale, limit);
          const float decay = sgconv::decay_of(m, S, i);
          const float* w = subKernels[i] + row * d;
          for (int64_t j = 0; j < kept; ++j) visit(offset + j, decay * sgconv::upsampled(w, j, s, d));
        }
      };
      if (computeNorm) {
        double sumOfSquares = 0;  // double: T can be long
        forEachSample(T, [&](int64_t, float v) { sumOfSquares += double(v) * v; });
        norm[row] = static_cast<float>(std::sqrt(sumOfSquares));
      }
      const float inverseNorm = 1.f / norm[row];
      float* y = out + row * L;
      forEachSample(L, [&](int64_t t, float v) { y[t] = v * inverseNorm; });
      for (int64_t t = std::min(L, T); t < L; ++t) y[t] = 0.f;
    }
  });
}

void sgconv_kernel_backward_cpu(const float* dOut, const float* multiplier, const float* norm,
                                float* const* dSubKernels, int64_t S, int64_t C, int64_t H,
                                int64_t d, int64_t initScale, int64_t L) {
  parallel_for(C * H, row_grain(2 * std::min(L, sgconv::total_length(S, d, initScale))),
               [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const float m = multiplier[row % H], inverseNorm = 1.f / norm[row];
      for (int64_t i = 0; i < S; ++i) {
        if (!dSubKernels[i]) continue;
        const int64_t s = sgconv::scale_of(i, initScale);
        const int64_t kept = sgconv::kept_in_segment(i, d, initScale, L);
        const float factor = sgconv::decay_of(m, S, i) * inverseNorm;
        const int64_t offset = sgconv::offset_of(i, d, initScale);
        float* dw = dSubKernels[i] + row * d;
        for (int64_t p = 0; p < d; ++p)
          dw[p] = factor * sgconv::tap_gradient(dOut + row * L, offset, p, s, d, kept);
      }
    }
  });
}

}  // namespace lc
