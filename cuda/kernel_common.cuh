// Shared by every .cu file: how a kernel's threads cover its work (Grid and the device-side
// strides that match it), the one launch helper, and warp and block sums. Included by one .cu
// file each (modal_grads.cuh passes it on): everything here has internal linkage.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "cuda_backend.h"
#include "cuda_check.h"

namespace lc {
namespace {

constexpr int kBlock = 256;  // threads of a block unless a kernel needs another count
constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = kBlock / kWarp;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;  // enough to fill any device; kernels stride on
constexpr int64_t kMaxGridRows = 65535;           // gridDim.y's limit; row kernels stride on

// ---- Launch geometry (host) ----

// A launch's blocks and threads per block. `empty`: nothing to do, launch() returns at once.
struct Grid {
  dim3 blocks;
  unsigned threads = kBlock;
  bool empty = false;
};

// Blocks for a grid-stride loop over n items: enough to fill the device, never zero.
inline unsigned grid_for(int64_t n, int64_t most = kMaxBlocks) {
  return unsigned(std::max<int64_t>(1, std::min<int64_t>((n + kBlock - 1) / kBlock, most)));
}
// A thread per item, at most `most` blocks; kernels loop with grid_stride(n).
inline Grid over_items(int64_t n, int64_t most = kMaxBlocks) { return {dim3(grid_for(n, most)), kBlock, n == 0}; }
// A warp per task; kernels loop with warp_stride(tasks).
inline Grid over_warps(int64_t tasks) {
  return {dim3(grid_for(tasks * kWarp)), kBlock, tasks == 0};
}
// A block per task, at most `most` blocks; kernels loop with block_stride(tasks).
inline Grid over_blocks(int64_t tasks, int64_t most = kMaxBlocks) {
  return {dim3(unsigned(std::max<int64_t>(1, std::min(tasks, most)))), kBlock, tasks == 0};
}
// [rows][cols]: x covers a row's columns (global_thread()) in blocks of `threads`, y the rows,
// which kernels loop over with row_stride(rows).
inline Grid over_rows(int64_t rows, int64_t cols, int threads) {
  return {dim3(unsigned((cols + threads - 1) / threads), unsigned(std::min(rows, kMaxGridRows))),
          unsigned(threads), rows == 0 || cols == 0};
}
// The same with kBlock threads, or the warps that fill a shorter row.
inline Grid over_rows(int64_t rows, int64_t cols) {
  return over_rows(rows, cols, cols >= kBlock ? kBlock : int((cols + kWarp - 1) / kWarp * kWarp));
}

// kernel<<<grid.blocks, grid.threads>>>(args...), checked. Since lazy loading (the default from
// CUDA 12.2) loads a kernel's module at its first launch, a launch can be refused for lack of
// device memory while the caching allocator holds plenty: it is retried once after the cache is
// emptied (nothing ran, so the retry is safe), and a second refusal is lc::OutOfMemory.
template <typename... Params, typename... Args>
void launch(const char* name, void (*kernel)(Params...), const Grid& grid, Args... args) {
  if (grid.empty) return;
  kernel<<<grid.blocks, grid.threads>>>(args...);
  cudaError_t err = cudaGetLastError();
  if (err == cudaErrorMemoryAllocation) {
    cuda_empty_cache();
    kernel<<<grid.blocks, grid.threads>>>(args...);
    err = cudaGetLastError();
  }
  check_cuda(err, name);
}

// ---- Indices (device) ----

__device__ inline int64_t global_thread() { return blockIdx.x * int64_t(blockDim.x) + threadIdx.x; }
__device__ inline int64_t grid_threads() { return int64_t(gridDim.x) * blockDim.x; }
// Warp-per-task loops: this thread's warp, the grid's warps, and the lane.
__device__ inline int64_t global_warp() { return blockIdx.x * int64_t(blockDim.x / kWarp) + threadIdx.x / kWarp; }
__device__ inline int64_t grid_warps() { return int64_t(gridDim.x) * (blockDim.x / kWarp); }
__device__ inline int lane_id() { return threadIdx.x % kWarp; }

// The indices first, first + step, ... below end: for (int64_t i : grid_stride(n)) { ... }.
struct Stride {
  struct End {
    int64_t at;
  };
  struct Iterator {
    int64_t i, step;
    __device__ int64_t operator*() const { return i; }
    __device__ Iterator& operator++() {
      i += step;
      return *this;
    }
    __device__ bool operator!=(End end) const { return i < end.at; }
  };
  int64_t first, end_at, step;
  __device__ Iterator begin() const { return {first, step}; }
  __device__ End end() const { return {end_at}; }
};
// This thread's items of [0, n) under over_items.
__device__ inline Stride grid_stride(int64_t n) { return {global_thread(), n, grid_threads()}; }
// This warp's tasks of [0, tasks) under over_warps (every lane gets the same ones).
__device__ inline Stride warp_stride(int64_t tasks) { return {global_warp(), tasks, grid_warps()}; }
// This block's tasks of [0, tasks) under over_blocks (uniform over the block).
__device__ inline Stride block_stride(int64_t tasks) { return {blockIdx.x, tasks, gridDim.x}; }
// This block's rows of [0, rows) under over_rows (uniform over the block).
__device__ inline Stride row_stride(int64_t rows) { return {blockIdx.y, rows, gridDim.y}; }

// ---- Sums ----

// The sum over the warp's lanes, in a fixed order (deterministic); every lane gets it.
template <typename T>
__device__ inline T warp_sum(T v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// The maximum over the warp's lanes (fmaxf ignores NaNs); every lane gets it.
__device__ inline float warp_max(float v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
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

}  // namespace
}  // namespace lc
