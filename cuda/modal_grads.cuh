// Shared by cuda/cauchy.cu and cuda/vandermonde.cu: the CUDA counterpart of
// native/modal_grads.h. A backward kernel runs one block per (row, tile of kTileModes modes,
// chunk of l); its threads stride over the chunk's l, each keeping 4 floats (A.re, A.im, B.re,
// B.im) per mode of the tile, which block_sum adds up. fold_modal_grads then forms
//   dv[r,n]  = scale * sum_chunk A,
//   dw[rw,n] = scale * sum_{r = rw mod Rw} conj(v[r,n]) * sum_chunk B.
// Included by one .cu file each: everything here has internal linkage.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <memory>

#include "kernel_common.cuh"

namespace lc {
namespace {

constexpr int kModalThreads = 256;  // threads of a backward block (whole warps)
constexpr int kTileModes = 8;       // modes per backward block
constexpr int kPartFloats = 4 * kTileModes;

// How a backward pass splits l: enough blocks to fill the device when rows are few, chunks of
// at least 4 strides of the block and a multiple of kModalThreads (anchored kernels need it).
struct ModalGrid {
  int64_t tiles, chunks, chunk_length;
  // x: a block per (tile, chunk); y: the rows (kernels loop with row_stride(R)).
  Grid grid(int64_t R) const {
    return {dim3(unsigned(tiles * chunks), unsigned(std::min(R, kMaxGridRows))), kModalThreads};
  }
};

ModalGrid modal_grid(int64_t R, int64_t N, int64_t L) {
  constexpr int64_t kTargetBlocks = 1024;
  const int64_t tiles = (N + kTileModes - 1) / kTileModes;
  const int64_t wanted = std::max<int64_t>(1, kTargetBlocks / (R * tiles));
  const int64_t most = std::max<int64_t>(1, L / (4 * kModalThreads));
  const int64_t chunks = std::min(wanted, most);
  int64_t length = (L + chunks - 1) / chunks;
  length = (length + kModalThreads - 1) / kModalThreads * kModalThreads;
  return {tiles, (L + length - 1) / length, length};
}

// Sums acc over the block (blockDim.x == kModalThreads); thread t < kPartFloats returns the
// total of acc[t], the others return 0. `shared` holds kModalThreads/32 * kPartFloats floats.
__device__ float block_sum(float (&acc)[kPartFloats], float* shared) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
#pragma unroll
  for (int k = 0; k < kPartFloats; ++k) {
    for (int offset = 16; offset > 0; offset /= 2)
      acc[k] += __shfl_down_sync(0xffffffffu, acc[k], offset);
    if (lane == 0) shared[warp * kPartFloats + k] = acc[k];
  }
  __syncthreads();
  float total = 0.f;
  if (threadIdx.x < kPartFloats)
    for (int w = 0; w < kModalThreads / 32; ++w) total += shared[w * kPartFloats + threadIdx.x];
  __syncthreads();  // shared may be reused by the caller's next row
  return total;
}

// Stores the block's totals: part[r][chunk][n] = (A, B) for the tile's modes n < N.
__device__ void store_part(float total, int64_t r, int64_t chunk, int64_t chunks, int64_t n0,
                           int64_t N, float* part) {
  if (threadIdx.x >= kPartFloats) return;
  const int64_t n = n0 + threadIdx.x / 4;
  if (n < N) part[((r * chunks + chunk) * N + n) * 4 + threadIdx.x % 4] = total;
}

__global__ void fold_modal_grads(const float4* __restrict__ part, const float2* __restrict__ v,
                                 int64_t R, int64_t Rw, int64_t chunks, int64_t N, float scale,
                                 float2* __restrict__ dv, float2* __restrict__ dw) {
  if (dv)
    for (int64_t i : grid_stride(R * N)) {
      const int64_t r = i / N, n = i % N;
      float2 sum = make_float2(0.f, 0.f);
      for (int64_t c = 0; c < chunks; ++c) {
        const float4 p = part[(r * chunks + c) * N + n];
        sum.x += p.x;
        sum.y += p.y;
      }
      dv[i] = make_float2(scale * sum.x, scale * sum.y);
    }
  if (dw)
    for (int64_t i : grid_stride(Rw * N)) {
      const int64_t rw = i / N, n = i % N;
      float2 sum = make_float2(0.f, 0.f);
      for (int64_t r = rw; r < R; r += Rw) {
        float2 b = make_float2(0.f, 0.f);
        for (int64_t c = 0; c < chunks; ++c) {
          const float4 p = part[(r * chunks + c) * N + n];
          b.x += p.z;
          b.y += p.w;
        }
        const float2 vn = v[r * N + n];
        sum.x += vn.x * b.x + vn.y * b.y;  // conj(v) * B
        sum.y += vn.x * b.y - vn.y * b.x;
      }
      dw[i] = make_float2(scale * sum.x, scale * sum.y);
    }
}

void fold_modal_grads_cuda(const float* part, const float* v, int64_t R, int64_t Rw,
                           int64_t chunks, int64_t N, float scale, float* dv, float* dw) {
  launch("fold_modal_grads", fold_modal_grads, over_items(R * N),
         reinterpret_cast<const float4*>(part), reinterpret_cast<const float2*>(v), R, Rw, chunks,
         N, scale, reinterpret_cast<float2*>(dv), reinterpret_cast<float2*>(dw));
}

}  // namespace
}  // namespace lc
