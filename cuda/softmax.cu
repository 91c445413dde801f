// CUDA kernels of native/softmax.h: one warp per slice, lanes striding over its n elements;
// warp reductions in a fixed order (deterministic).
#include <cmath>

#include "kernel_common.cuh"
#include "softmax.h"

namespace lc {
namespace {

// The first element of slice s of [outer, n, inner].
__device__ inline int64_t slice_base(int64_t s, int64_t n, int64_t inner) { return s / inner * n * inner + s % inner; }

__global__ void softmax_forward_kernel(const float* x, float* y, int64_t slices, int64_t n, int64_t inner, bool log) {
  for (int64_t s : warp_stride(slices)) {
    const int64_t base = slice_base(s, n, inner);
    float max = -INFINITY;
    for (int64_t j = lane_id(); j < n; j += kWarp) max = fmaxf(max, x[base + j * inner]);
    max = warp_max(max);
    if (!isfinite(max)) max = 0;  // all -inf, or +inf present: the results are NaN, as on the CPU
    float sum = 0;
    for (int64_t j = lane_id(); j < n; j += kWarp) sum += expf(x[base + j * inner] - max);
    sum = warp_sum(sum);
    const float log_sum = logf(sum);
    for (int64_t j = lane_id(); j < n; j += kWarp) {
      float shifted = x[base + j * inner] - max;
      y[base + j * inner] = log ? shifted - log_sum : expf(shifted) / sum;
    }
  }
}

__global__ void softmax_backward_kernel(const float* y, const float* dy, float* dx, int64_t slices, int64_t n,
                                        int64_t inner, bool log) {
  for (int64_t s : warp_stride(slices)) {
    const int64_t base = slice_base(s, n, inner);
    float dot = 0;  // sum(dy * y) for softmax, sum(dy) for logSoftmax
    for (int64_t j = lane_id(); j < n; j += kWarp) dot += dy[base + j * inner] * (log ? 1.0f : y[base + j * inner]);
    dot = warp_sum(dot);
    for (int64_t j = lane_id(); j < n; j += kWarp) {
      int64_t k = base + j * inner;
      dx[k] = log ? dy[k] - expf(y[k]) * dot : y[k] * (dy[k] - dot);
    }
  }
}

}  // namespace

void softmax_forward_cuda(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  launch("softmax_forward", softmax_forward_kernel, over_warps(outer * inner), x, y, outer * inner, n, inner, log);
}

void softmax_backward_cuda(const float* y, const float* dy, float* dx, int64_t outer, int64_t n, int64_t inner,
                           bool log) {
  launch("softmax_backward", softmax_backward_kernel, over_warps(outer * inner), y, dy, dx, outer * inner, n, inner,
         log);
}

}  // namespace lc
