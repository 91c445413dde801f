// Shared by the CUDA kernels (elementwise, optim, nn, layernorm, loss): grid-stride indexing and
// warp and block sums. Included by one .cu file each: everything here has internal linkage.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda_backend.h"
#include "cuda_check.h"

namespace lc {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = kBlock / kWarp;

__device__ inline int64_t global_thread() { return blockIdx.x * int64_t(blockDim.x) + threadIdx.x; }
__device__ inline int64_t grid_threads() { return int64_t(gridDim.x) * blockDim.x; }
// Warp-per-task loops: this thread's warp, the grid's warps, and the lane.
__device__ inline int64_t global_warp() { return blockIdx.x * int64_t(blockDim.x / kWarp) + threadIdx.x / kWarp; }
__device__ inline int64_t grid_warps() { return int64_t(gridDim.x) * (blockDim.x / kWarp); }
__device__ inline int lane_id() { return threadIdx.x % kWarp; }

// The sum over the warp's lanes, in a fixed order (deterministic); every lane gets it.
template <typename T>
__device__ inline T warp_sum(T v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// The sum over a block of kBlock threads in a fixed order; every thread gets it. All threads
// of the block must call it. `shared` holds kWarpsPerBlock values.
template <typename T>
__device__ inline T block_sum(T v, T* shared) {
  v = warp_sum(v);
  __syncthreads();  // shared is free from a previous call
  if (lane_id() == 0) shared[threadIdx.x / kWarp] = v;
  __syncthreads();
  T total = 0;
  for (int w = 0; w < kWarpsPerBlock; ++w) total += shared[w];
  return total;
}

// Blocks for a loop with one warp per task.
inline unsigned warp_grid(int64_t tasks) { return grid_for(tasks * kWarp); }

}  // namespace
}  // namespace lc
