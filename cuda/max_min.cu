// CUDA kernels of native/max_min.h: one warp per slice, each lane keeping the best of its
// elements, then a shuffle reduction under the same rule (max_min_beats: NaN first, ties to the
// lower index), so the result is the CPU's whatever the visiting order.
#include "kernel_common.cuh"
#include "max_min.h"
#include "nn_math.h"  // index_in_range

namespace lc {
namespace {

__global__ void max_min_forward_kernel(const float* x, float* values, float* indices, int64_t slices, int64_t n,
                                       int64_t inner, bool is_max) {
  for (int64_t s : warp_stride(slices)) {
    const float* slice = x + s / inner * n * inner + s % inner;
    float best = 0;
    int64_t k = n;  // none yet: any element beats it (see below)
    for (int64_t j = lane_id(); j < n; j += kWarp) {
      float v = slice[j * inner];
      if (k == n || max_min_beats(v, j, best, k, is_max)) best = v, k = j;
    }
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
      float other = __shfl_xor_sync(0xffffffffu, best, offset);
      int64_t other_k = __shfl_xor_sync(0xffffffffu, k, offset);
      if (other_k < n && (k == n || max_min_beats(other, other_k, best, k, is_max))) best = other, k = other_k;
    }
    if (lane_id() == 0) {
      if (values) values[s] = best;
      indices[s] = float(k);
    }
  }
}

__global__ void max_min_backward_kernel(const float* indices, const float* dy, float* dx, int64_t slices, int64_t n,
                                        int64_t inner) {
  for (int64_t s : grid_stride(slices)) {
    int64_t k = index_in_range(indices[s], n);
    if (k >= 0) dx[s / inner * n * inner + k * inner + s % inner] = dy[s];
  }
}

}  // namespace

void max_min_forward_cuda(const float* x, float* values, float* indices, int64_t outer, int64_t n, int64_t inner,
                          bool is_max) {
  const int64_t slices = outer * inner;
  launch("max_min_forward", max_min_forward_kernel, over_warps(slices), x, values, indices, slices, n, inner, is_max);
}

void max_min_backward_cuda(const float* indices, const float* dy, float* dx, int64_t outer, int64_t n,
                           int64_t inner) {
  cuda_zero(dx, sizeof(float) * size_t(outer * n * inner));
  const int64_t slices = outer * inner;
  launch("max_min_backward", max_min_backward_kernel, over_items(slices), indices, dy, dx, slices, n, inner);
}

}  // namespace lc
