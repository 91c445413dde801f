// CUDA kernels of native/optim.h: a grid-stride AdamW update with the math of optim.h, and a
// two-pass sum of squares (per-block double partials, then one block adds them in order).
#include <algorithm>
#include <memory>

#include "kernel_common.cuh"
#include "optim.h"

namespace lc {
namespace {

// Partials of the sum of squares: at most this many blocks, so the second pass is one block.
constexpr int kMaxPartials = 1024;

__global__ void adamw_kernel(float* param, const float* grad, float* m, float* v, int64_t n,
                             AdamWCoefficients c) {
  for (int64_t i : grid_stride(n)) adamw_update(param[i], grad[i], m[i], v[i], c);
}

// Sums the kBlock values of `shared` in a fixed tree order; the result is in shared[0].
__device__ void block_sum(double* shared) {
  for (int stride = kBlock / 2; stride > 0; stride /= 2) {
    __syncthreads();
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
  }
  __syncthreads();
}

// Pass 1: partial[block] = sum of x[i]^2 over the block's grid-stride elements.
__global__ void squares_kernel(const float* x, int64_t n, double* partial) {
  __shared__ double shared[kBlock];
  double acc = 0;
  for (int64_t i : grid_stride(n)) acc += double(x[i]) * x[i];
  shared[threadIdx.x] = acc;
  block_sum(shared);
  if (threadIdx.x == 0) partial[blockIdx.x] = shared[0];
}

// Pass 2 (one block): partial[0] = sum of partial[0..count).
__global__ void partials_kernel(double* partial, int count) {
  __shared__ double shared[kBlock];
  double acc = 0;
  for (int i = threadIdx.x; i < count; i += kBlock) acc += partial[i];
  shared[threadIdx.x] = acc;
  block_sum(shared);
  if (threadIdx.x == 0) partial[0] = shared[0];
}

}  // namespace

void adamw_step_cuda(const float* grad, float* param, float* m, float* v, int64_t n,
                     const AdamWHyper& h) {
  if (n == 0) return;
  launch("adamw_step", adamw_kernel, over_items(n), param, grad, m, v, n, adamw_coefficients(h));
}

double sum_of_squares_cuda(const float* x, int64_t n) {
  if (n == 0) return 0;
  const Grid grid = over_items(n, kMaxPartials);
  const unsigned blocks = grid.blocks.x;
  std::unique_ptr<double, void (*)(void*)> partial(static_cast<double*>(cuda_alloc(blocks * sizeof(double))),
                                                   cuda_free);
  launch("sum_of_squares", squares_kernel, grid, x, n, partial.get());
  launch("sum_of_squares partials", partials_kernel, over_blocks(1), partial.get(), int(blocks));
  double total = 0;
  cuda_copy_to_host(&total, partial.get(), sizeof(double));
  return total;
}

}  // namespace lc
