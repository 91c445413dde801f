// CUDA kernels of native/nn.h, with the math of native/nn_math.h.
#include <algorithm>

#include "nn.h"
#include "kernel_common.cuh"
#include "nn_math.h"

namespace lc {
namespace {

constexpr int kIndexTile = 1024;  // indices staged in shared memory by embedding_backward

__global__ void glu_forward_kernel(const float* x, float* out, int64_t total, int64_t block) {
  for (int64_t i : grid_stride(total)) {
    const float* a = x + (i / block) * 2 * block + i % block;
    out[i] = a[0] * stable_sigmoid(a[block]);
  }
}

__global__ void glu_backward_kernel(const float* x, const float* dy, float* dx, int64_t total, int64_t block) {
  for (int64_t i : grid_stride(total)) {
    int64_t at = (i / block) * 2 * block + i % block;
    GluGrad g = glu_grad(x[at], x[at + block], dy[i]);
    dx[at] = g.da;
    dx[at + block] = g.db;
  }
}

__global__ void dropout_kernel(const float* x, float* out, int64_t n, int64_t first, uint64_t key,
                               uint32_t threshold, float scale) {
  for (int64_t i : grid_stride(n))
    out[i] = dropout_keep(key, first + i, threshold) ? scale * x[i] : 0.0f;
}

__global__ void embedding_forward_kernel(const float* indices, const float* weight, float* out, int64_t total,
                                         int64_t V, int64_t D) {
  for (int64_t i : grid_stride(total)) {
    int64_t row = index_in_range(indices[i / D], V);
    out[i] = row < 0 ? 0.0f : weight[row * D + i % D];
  }
}

// Block per range of vocabulary rows [first, last): zeroes them, then walks every index in
// order (staged through shared memory) and adds the dy rows that hit its range. Thread t owns
// the columns d = t mod blockDim of its rows, so each sum is formed by one thread in index
// order: deterministic, no atomics, and the same order as the CPU kernel.
__global__ void embedding_backward_kernel(const float* indices, const float* dy, float* dweight, int64_t n,
                                          int64_t V, int64_t D, int64_t rows_per_block) {
  __shared__ int64_t rows[kIndexTile];
  int64_t first = blockIdx.x * rows_per_block;
  int64_t last = first + rows_per_block < V ? first + rows_per_block : V;
  if (first >= last) return;  // uniform across the block: no thread skips a barrier alone
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x)
    for (int64_t r = first; r < last; ++r) dweight[r * D + d] = 0.0f;
  for (int64_t start = 0; start < n; start += kIndexTile) {
    int count = int(n - start < kIndexTile ? n - start : kIndexTile);
    __syncthreads();  // the previous tile has been read by every thread
    for (int k = threadIdx.x; k < count; k += blockDim.x) rows[k] = index_in_range(indices[start + k], V);
    __syncthreads();
    for (int k = 0; k < count; ++k) {
      int64_t row = rows[k];
      if (row < first || row >= last) continue;
      const float* src = dy + (start + k) * D;
      for (int64_t d = threadIdx.x; d < D; d += blockDim.x) dweight[row * D + d] += src[d];
    }
  }
}

// 1 / sum of batch b's mask over L, summed by the whole warp (1 / L without a mask).
__device__ float warp_inverse_count(const float* mask, int64_t b, int64_t L) {
  if (!mask) return 1.0f / float(L);
  float count = 0;
  for (int64_t l = lane_id(); l < L; l += kWarp) count += mask[b * L + l];
  count = warp_sum(count);
  return count > 0 ? 1.0f / count : 0.0f;
}

// Warp per row r = (b, h) of x [B, H, L].
__global__ void pool_forward_kernel(const float* x, const float* mask, float* out, int64_t rows, int64_t H,
                                    int64_t L) {
  for (int64_t r : warp_stride(rows)) {
    int64_t b = r / H;
    float acc = 0;
    for (int64_t l = lane_id(); l < L; l += kWarp) acc += x[r * L + l] * (mask ? mask[b * L + l] : 1.0f);
    acc = warp_sum(acc);
    float inv = warp_inverse_count(mask, b, L);
    if (lane_id() == 0) out[r] = acc * inv;
  }
}

__global__ void pool_backward_kernel(const float* dy, const float* mask, float* dx, int64_t rows, int64_t H,
                                     int64_t L) {
  for (int64_t r : warp_stride(rows)) {
    int64_t b = r / H;
    float g = dy[r] * warp_inverse_count(mask, b, L);
    for (int64_t l = lane_id(); l < L; l += kWarp) dx[r * L + l] = mask ? g * mask[b * L + l] : g;
  }
}

}  // namespace

void glu_forward_cuda(const float* x, float* out, int64_t outer, int64_t half, int64_t inner) {
  int64_t total = outer * half * inner;
  if (total == 0) return;
  launch("glu_forward", glu_forward_kernel, over_items(total), x, out, total, half * inner);
}

void glu_backward_cuda(const float* x, const float* dy, float* dx, int64_t outer, int64_t half, int64_t inner) {
  int64_t total = outer * half * inner;
  if (total == 0) return;
  launch("glu_backward", glu_backward_kernel, over_items(total), x, dy, dx, total, half * inner);
}

void dropout_cuda(const float* x, float* out, int64_t n, int64_t first, uint64_t key, uint32_t threshold,
                  float scale) {
  if (n == 0) return;
  launch("dropout", dropout_kernel, over_items(n), x, out, n, first, key, threshold, scale);
}

void embedding_forward_cuda(const float* indices, const float* weight, float* out, int64_t n, int64_t V, int64_t D) {
  int64_t total = n * D;
  if (total == 0) return;
  launch("embedding_forward", embedding_forward_kernel, over_items(total), indices, weight, out, total, V, D);
}

void embedding_backward_cuda(const float* indices, const float* dy, float* dweight, int64_t n, int64_t V, int64_t D) {
  if (V * D == 0) return;
  // Enough blocks to fill the device; each scans all n indices, so not many more.
  int64_t blocks = std::min<int64_t>(V, 1024);
  int64_t rows_per_block = (V + blocks - 1) / blocks;
  blocks = (V + rows_per_block - 1) / rows_per_block;
  launch("embedding_backward", embedding_backward_kernel, over_blocks(blocks), indices, dy, dweight, n, V, D,
         rows_per_block);
}

void masked_mean_pool_forward_cuda(const float* x, const float* mask, float* out, int64_t B, int64_t H, int64_t L) {
  if (B * H == 0) return;
  launch("masked_mean_pool_forward", pool_forward_kernel, over_warps(B * H), x, mask, out, B * H, H, L);
}

void masked_mean_pool_backward_cuda(const float* dy, const float* mask, float* dx, int64_t B, int64_t H, int64_t L) {
  if (B * H * L == 0) return;
  launch("masked_mean_pool_backward", pool_backward_kernel, over_warps(B * H), dy, mask, dx, B * H, H, L);
}

}  // namespace lc
