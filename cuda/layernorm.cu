// CUDA kernels of native/layernorm.h. Rows (o, i) of x [outer, n, inner] are handled by
// groups of kGroup threads: a warp per row when the row is contiguous (inner == 1, reads
// coalesce along j), a thread per row otherwise (neighbouring threads take neighbouring i, so
// reads coalesce along i). dweight and dbias: a block per j, reduced in a fixed order.
// Sums are in double, as on the CPU: a float sum over n = 2^20 values is off by ~1e-4.
#include <algorithm>

#include "layernorm.h"
#include "kernel_common.cuh"

namespace lc {
namespace {

template <int kGroup>
__device__ inline double group_sum(double v) {
  if constexpr (kGroup == kWarp) return warp_sum(v);
  return v;
}

// The rows this thread's group visits: start, step, and the thread's place in its group.
struct GroupLoop {
  int64_t first, step;
  int lane;
};

template <int kGroup>
__device__ inline GroupLoop group_loop() {
  return {global_thread() / kGroup, grid_threads() / kGroup, int(threadIdx.x % kGroup)};
}

template <int kGroup>
__global__ void forward_kernel(const float* x, const float* weight, const float* bias, float* y, float* mean,
                               float* rstd, int64_t rows, int64_t n, int64_t inner, float eps) {
  GroupLoop loop = group_loop<kGroup>();
  for (int64_t r = loop.first; r < rows; r += loop.step) {
    int64_t base = (r / inner) * n * inner + r % inner;
    double sum = 0;
    for (int64_t j = loop.lane; j < n; j += kGroup) sum += x[base + j * inner];
    const double mu = group_sum<kGroup>(sum) / double(n);
    double sq = 0;  // two passes: no cancellation in the variance
    for (int64_t j = loop.lane; j < n; j += kGroup) {
      double d = x[base + j * inner] - mu;
      sq += d * d;
    }
    const float m = float(mu), rs = float(1.0 / sqrt(group_sum<kGroup>(sq) / double(n) + double(eps)));
    if (loop.lane == 0) {
      mean[r] = m;
      rstd[r] = rs;
    }
    for (int64_t j = loop.lane; j < n; j += kGroup) {
      int64_t at = base + j * inner;
      y[at] = (x[at] - m) * rs * (weight ? weight[j] : 1.0f) + (bias ? bias[j] : 0.0f);
    }
  }
}

template <int kGroup>
__global__ void backward_dx_kernel(const float* x, const float* weight, const float* mean, const float* rstd,
                                   const float* dy, float* dx, int64_t rows, int64_t n, int64_t inner) {
  GroupLoop loop = group_loop<kGroup>();
  for (int64_t r = loop.first; r < rows; r += loop.step) {
    int64_t base = (r / inner) * n * inner + r % inner;
    const float m = mean[r], rs = rstd[r];
    double sum_g = 0, sum_gx = 0;
    for (int64_t j = loop.lane; j < n; j += kGroup) {
      int64_t at = base + j * inner;
      double g = double(dy[at]) * (weight ? weight[j] : 1.0f);
      sum_g += g;
      sum_gx += g * (x[at] - m) * rs;
    }
    const double mean_g = group_sum<kGroup>(sum_g) / double(n);
    const double mean_gx = group_sum<kGroup>(sum_gx) / double(n);
    for (int64_t j = loop.lane; j < n; j += kGroup) {
      int64_t at = base + j * inner;
      double xhat = double(x[at] - m) * rs;
      dx[at] = float(rs * (double(dy[at]) * (weight ? weight[j] : 1.0f) - mean_g - xhat * mean_gx));
    }
  }
}

__global__ void backward_params_kernel(const float* x, const float* mean, const float* rstd, const float* dy,
                                       float* dweight, float* dbias, int64_t outer, int64_t n, int64_t inner) {
  __shared__ double shared[kWarpsPerBlock];
  int64_t rows = outer * inner;
  for (int64_t j : block_stride(n)) {
    double sum_w = 0, sum_b = 0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
      int64_t at = ((r / inner) * n + j) * inner + r % inner;
      sum_w += double(dy[at]) * (double(x[at] - mean[r]) * rstd[r]);
      sum_b += dy[at];
    }
    sum_w = block_sum(sum_w, shared);
    sum_b = block_sum(sum_b, shared);
    if (threadIdx.x == 0) {
      if (dweight) dweight[j] = float(sum_w);
      if (dbias) dbias[j] = float(sum_b);
    }
  }
}

}  // namespace

void layernorm_forward_cuda(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                            int64_t outer, int64_t n, int64_t inner, float eps) {
  int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  if (inner == 1)
    launch("layernorm_forward", forward_kernel<kWarp>, over_warps(rows), x, weight, bias, y, mean, rstd, rows, n, inner,
           eps);
  else
    launch("layernorm_forward", forward_kernel<1>, over_items(rows), x, weight, bias, y, mean, rstd, rows, n, inner,
           eps);
}

void layernorm_backward_cuda(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                             float* dx, float* dweight, float* dbias, int64_t outer, int64_t n, int64_t inner) {
  int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  if (dx) {
    if (inner == 1)
      launch("layernorm_backward (dx)", backward_dx_kernel<kWarp>, over_warps(rows), x, weight, mean, rstd, dy, dx,
             rows, n, inner);
    else
      launch("layernorm_backward (dx)", backward_dx_kernel<1>, over_items(rows), x, weight, mean, rstd, dy, dx, rows, n,
             inner);
  }
  if (dweight || dbias)
    launch("layernorm_backward (weight, bias)", backward_params_kernel, over_blocks(n), x, mean, rstd, dy, dweight,
           dbias, outer, n, inner);
}

}  // namespace lc
