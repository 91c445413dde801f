// CUDA kernels of native/loss.h. Means are reduced in two fixed-order stages (block partial
// sums over fixed chunks, then one block over the partials): deterministic.
#include <algorithm>
#include <cmath>

#include "loss.h"
#include "kernel_common.cuh"
#include "nn_math.h"

namespace lc {
namespace {

constexpr int64_t kChunk = 1 << 16;  // elements per stage-1 block

struct SquaredDiff {
  const float *a, *b;
  __device__ float operator()(int64_t i) const {
    float d = a[i] - b[i];
    return d * d;
  }
};

struct Values {
  const float* v;
  __device__ float operator()(int64_t i) const { return v[i]; }
};

// Block per part p < parts: out[p] = scale * sum of term(i) over [p * chunk, min(n, (p + 1) * chunk)).
template <typename Term>
__global__ void chunk_sums_kernel(Term term, int64_t n, int64_t chunk, int64_t parts, float scale, float* out) {
  __shared__ float shared[kWarpsPerBlock];
  for (int64_t p : block_stride(parts)) {
    int64_t begin = p * chunk, end = begin + chunk < n ? begin + chunk : n;
    float acc = 0;
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) acc += term(i);
    acc = block_sum(acc, shared);
    if (threadIdx.x == 0) out[p] = scale * acc;
  }
}

// loss[0] = mean of term(i) over [0, n), n >= 1.
template <typename Term>
void device_mean(Term term, int64_t n, float* loss) {
  int64_t parts = (n + kChunk - 1) / kChunk;
  if (parts == 1) {
    launch("mean", chunk_sums_kernel<Term>, over_blocks(1), term, n, n, 1, 1.0f / float(n), loss);
    return;
  }
  DeviceFloats partial = device_floats(parts);
  launch("mean (parts)", chunk_sums_kernel<Term>, over_blocks(parts), term, n, kChunk, parts, 1.0f, partial.get());
  launch("mean (total)", chunk_sums_kernel<Values>, over_blocks(1), Values{partial.get()}, parts, parts, 1,
         1.0f / float(n), loss);
}

// Warp per row b: softmax[b, :] and row_loss[b].
__global__ void cross_entropy_rows_kernel(const float* logits, const float* labels, float* softmax, float* row_loss,
                                          int64_t B, int64_t C) {
  for (int64_t b : warp_stride(B)) {
    const float* x = logits + b * C;
    float max = -INFINITY;
    for (int64_t c = lane_id(); c < C; c += kWarp) max = fmaxf(max, x[c]);
    max = warp_max(max);  // shift: exp never overflows
    float sum = 0;
    for (int64_t c = lane_id(); c < C; c += kWarp) sum += expf(x[c] - max);
    sum = warp_sum(sum);
    for (int64_t c = lane_id(); c < C; c += kWarp) softmax[b * C + c] = expf(x[c] - max) / sum;
    if (lane_id() == 0) {
      int64_t label = index_in_range(labels[b], C);
      row_loss[b] = label < 0 ? NAN : max + logf(sum) - x[label];
    }
  }
}

__global__ void cross_entropy_backward_kernel(const float* softmax, const float* labels, const float* grad,
                                              float* dlogits, int64_t total, int64_t B, int64_t C) {
  float scale = grad[0] / float(B);
  for (int64_t i : grid_stride(total)) {
    int64_t b = i / C, c = i % C;
    dlogits[i] = scale * (softmax[i] - (c == index_in_range(labels[b], C) ? 1.0f : 0.0f));
  }
}

__global__ void mse_backward_kernel(const float* a, const float* b, const float* grad, float* da, float* db,
                                    int64_t n) {
  float scale = 2.0f * grad[0] / float(n);
  for (int64_t i : grid_stride(n)) {
    float d = scale * (a[i] - b[i]);
    if (da) da[i] = d;
    if (db) db[i] = -d;
  }
}

}  // namespace

void cross_entropy_forward_cuda(const float* logits, const float* labels, float* loss, float* softmax, int64_t B,
                                int64_t C) {
  if (B == 0 || C == 0) return;
  DeviceFloats row_loss = device_floats(B);
  launch("cross_entropy_forward", cross_entropy_rows_kernel, over_warps(B), logits, labels, softmax, row_loss.get(), B,
         C);
  device_mean(Values{row_loss.get()}, B, loss);
}

void cross_entropy_backward_cuda(const float* softmax, const float* labels, const float* grad, float* dlogits,
                                 int64_t B, int64_t C) {
  if (B * C == 0) return;
  launch("cross_entropy_backward", cross_entropy_backward_kernel, over_items(B * C), softmax, labels, grad, dlogits,
         B * C, B, C);
}

void mse_forward_cuda(const float* a, const float* b, float* loss, int64_t n) {
  if (n == 0) return;
  device_mean(SquaredDiff{a, b}, n, loss);
}

void mse_backward_cuda(const float* a, const float* b, const float* grad, float* da, float* db, int64_t n) {
  if (n == 0) return;
  launch("mse_backward", mse_backward_kernel, over_items(n), a, b, grad, da, db, n);
}

}  // namespace lc
