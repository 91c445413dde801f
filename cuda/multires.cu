// multiresConv on CUDA (contract in native/multires.h). One launch per level of a dilated
// depthwise correlation kernel (thread per (row, t), the row's taps staged in shared memory),
// elementwise launches for the w[0] and w[J+1] terms, and for the kernel gradients per-level
// block reductions of lag correlations over (b,t) followed by one small kernel that combines
// them per h in a fixed order. Every sum has a fixed order, so results are deterministic.
//
// Everything is queued on the legacy default stream; the functions return before the device
// has finished, and scratch blocks go back to the caching allocator in stream order.
#include <cuda_runtime.h>

#include <algorithm>
#include <memory>

#include "kernel_common.cuh"
#include "multires.h"

namespace lc {
namespace {

constexpr int kTapTile = 256;  // taps staged in shared memory at a time

// Lags r with r*d < L: the only ones that reach a sample of a length-L row.
__host__ __device__ inline int64_t live_lags(int64_t k, int64_t L, int64_t d) {
  const int64_t reach = (L - 1) / d + 1;
  return k < reach ? k : reach;
}

// Where a level reads its taps and its weight: h0, h1 [H,k]; w [H,J+2], column `wcol`.
struct LevelParams {
  const float* h0;
  const float* h1;
  const float* w;
  int64_t k, wstride, wcol, d;
};

// One level for every row, thread per (row, t); rows are [B*H] of length L, h = row % H.
// Forward (kAdjoint = false), a = lo_m:
//   out0 = conv(a, h0, d) = lo_{m+1},   out1 += c * conv(a, h1, d)  (out1 = y).
// Adjoint, a = glo_{m+1}, b = dy:
//   out0 = conv^T(a, h0, d) + c * conv^T(b, h1, d) = glo_m   (out1 unused).
// c = w[h, wcol]. Every thread of a block takes part in staging the taps, so none returns early.
template <bool kAdjoint>
__global__ void dilated_level(const float* __restrict__ a, const float* __restrict__ b,
                              LevelParams p, int64_t rows, int64_t H, int64_t L,
                              float* __restrict__ out0, float* __restrict__ out1) {
  __shared__ float tap0[kTapTile], tap1[kTapTile];
  const int64_t t = global_thread();
  const bool active = t < L;
  const int64_t lags = live_lags(p.k, L, p.d);
  for (int64_t row : row_stride(rows)) {
    const int64_t h = row % H;
    const float* a_row = a + row * L;
    const float* b_row = b + row * L;
    float acc0 = 0.f, acc1 = 0.f;
    for (int64_t first = 0; first < lags; first += kTapTile) {
      const int tile = static_cast<int>(lags - first < kTapTile ? lags - first : kTapTile);
      __syncthreads();  // the previous tile (or row) is no longer read
      for (int i = threadIdx.x; i < tile; i += blockDim.x) {
        const int64_t tap = h * p.k + (p.k - 1 - (first + i));
        tap0[i] = p.h0[tap];
        tap1[i] = p.h1[tap];
      }
      __syncthreads();
      if (!active) continue;
      for (int i = 0; i < tile; ++i) {
        const int64_t s = (first + i) * p.d;
        if constexpr (kAdjoint) {
          if (t + s >= L) break;
          acc0 += tap0[i] * a_row[t + s];
          acc1 += tap1[i] * b_row[t + s];
        } else {
          if (t < s) break;
          const float v = a_row[t - s];
          acc0 += tap0[i] * v;
          acc1 += tap1[i] * v;
        }
      }
    }
    if (!active) continue;
    const float c = p.w[h * p.wstride + p.wcol];
    if constexpr (kAdjoint) {
      out0[row * L + t] = acc0 + c * acc1;
    } else {
      out0[row * L + t] = acc0;
      out1[row * L + t] += c * acc1;
    }
  }
}

// out = w[h, wcol] * in  (or out += it), over [rows][L] with h = row % H.
template <bool kAccumulate>
__global__ void scale_rows(const float* __restrict__ in, const float* __restrict__ w,
                           int64_t wstride, int64_t wcol, int64_t H, int64_t L, int64_t n,
                           float* __restrict__ out) {
  for (int64_t i : grid_stride(n)) {
    const float v = w[((i / L) % H) * wstride + wcol] * in[i];
    out[i] = kAccumulate ? out[i] + v : v;
  }
}

// The sum of v over the block, valid in thread 0. blockDim.x must be a multiple of 32 (<= 1024).
__device__ double2 block_sum(double2 v) {
  __shared__ double2 warp_sums[32];
  for (int offset = 16; offset > 0; offset >>= 1) {
    v.x += __shfl_down_sync(0xffffffffu, v.x, offset);
    v.y += __shfl_down_sync(0xffffffffu, v.y, offset);
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // warp_sums of a previous call is no longer read
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x >> 5) ? warp_sums[lane] : make_double2(0, 0);
    for (int offset = 16; offset > 0; offset >>= 1) {
      v.x += __shfl_down_sync(0xffffffffu, v.x, offset);
      v.y += __shfl_down_sync(0xffffffffu, v.y, offset);
    }
  }
  return v;
}

// Block per (h, lag r < lags), reducing over (b, t) at lag s = r*d:
//   c0[h*k + r] = sum g[b,h,t] lo[b,h,t-s]   (when g and c0 are given)
//   c1[h*k + r] = sum dy[b,h,t] lo[b,h,t-s]  (when c1 is given)
// The sums run over B*L terms, so they are in double, as on the CPU.
__global__ void lag_correlations(const float* __restrict__ lo, const float* __restrict__ dy,
                                 const float* __restrict__ g, int64_t B, int64_t H, int64_t L,
                                 int64_t k, int64_t d, int64_t lags, float* __restrict__ c0,
                                 float* __restrict__ c1) {
  for (int64_t item : block_stride(H * lags)) {
    const int64_t h = item / lags, r = item % lags, s = r * d;
    double2 sum = make_double2(0, 0);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t base = (b * H + h) * L;
      for (int64_t t = s + threadIdx.x; t < L; t += blockDim.x) {
        const double v = lo[base + t - s];
        if (g) sum.x += g[base + t] * v;
        sum.y += dy[base + t] * v;
      }
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) {
      if (c0) c0[h * k + r] = float(sum.x);
      if (c1) c1[h * k + r] = float(sum.y);
    }
  }
}

// Thread per h: the kernel gradients from the per-level correlations (native/multires.h), with
// c0 [J][H][k] (glo_{m+1} against lo_m) and c1 [J+1][H][k] (dy against lo_m; level J has only
// lag 0). Each output may be null; c0 is given with dh0, c1 with dh1 or dw.
__global__ void kernel_grads(const float* __restrict__ c0, const float* __restrict__ c1,
                             const float* __restrict__ h1, const float* __restrict__ w, int64_t H,
                             int64_t k, int64_t J, float* __restrict__ dh0,
                             float* __restrict__ dh1, float* __restrict__ dw) {
  for (int64_t h : grid_stride(H)) {
    const float* wh = w + h * (J + 2);
    for (int64_t r = 0; r < k; ++r) {
      float s0 = 0.f, s1 = 0.f;
      for (int64_t m = 0; m < J; ++m) {
        const int64_t at = (m * H + h) * k + r;
        if (dh0) s0 += c0[at];
        if (dh1) s1 += wh[J - m] * c1[at];
      }
      if (dh0) dh0[h * k + k - 1 - r] = s0;
      if (dh1) dh1[h * k + k - 1 - r] = s1;
    }
    if (!dw) continue;
    for (int64_t m = 0; m < J; ++m) {
      float s = 0.f;
      for (int64_t r = 0; r < k; ++r) s += h1[h * k + k - 1 - r] * c1[(m * H + h) * k + r];
      dw[h * (J + 2) + J - m] = s;
    }
    dw[h * (J + 2)] = c1[(J * H + h) * k];  // dy against lo_J
    dw[h * (J + 2) + J + 1] = c1[h * k];    // dy against lo_0 = x
  }
}

// Launches one level over [rows][L]: x covers t, y strides over rows.
template <bool kAdjoint>
void launch_level(const float* a, const float* b, const LevelParams& p, int64_t rows, int64_t H,
                  int64_t L, float* out0, float* out1) {
  launch("dilated_level", dilated_level<kAdjoint>, over_rows(rows, L), a, b, p, rows, H, L, out0, out1);
}

template <bool kAccumulate>
void launch_scale(const float* in, const float* w, int64_t J, int64_t wcol, int64_t H, int64_t L,
                  int64_t n, float* out) {
  launch("scale_rows", scale_rows<kAccumulate>, over_items(n), in, w, J + 2, wcol, H, L, n, out);
}

void launch_correlations(const float* lo, const float* dy, const float* g, int64_t B, int64_t H,
                         int64_t L, int64_t k, int64_t d, int64_t lags, float* c0, float* c1) {
  launch("lag_correlations", lag_correlations, over_blocks(H * lags), lo, dy, g, B, H, L, k, d, lags, c0, c1);
}

}  // namespace

void multires_forward_cuda(const float* x, const float* h0, const float* h1, const float* w,
                           float* y, float* levels, int64_t B, int64_t H, int64_t L, int64_t k,
                           int64_t J) {
  const int64_t rows = B * H, n = rows * L;
  // Without `levels`, lo_1..lo_J ping-pong between two scratch arrays.
  DeviceFloats scratch(nullptr, cuda_free);
  if (!levels && J > 0) scratch = device_floats(2 * n);
  auto lo = [&](int64_t m) -> float* {
    return levels ? levels + m * n : scratch.get() + (m % 2) * n;
  };
  if (levels) cuda_copy_device(levels, x, static_cast<size_t>(n) * sizeof(float));
  launch_scale<false>(x, w, J, J + 1, H, L, n, y);
  const float* current = x;
  for (int64_t m = 0; m < J; ++m) {
    const LevelParams p{h0, h1, w, k, J + 2, J - m, int64_t(1) << m};
    launch_level<false>(current, current, p, rows, H, L, lo(m + 1), y);
    current = lo(m + 1);
  }
  launch_scale<true>(current, w, J, 0, H, L, n, y);
}

void multires_backward_cuda(const float* dy, const float* levels, const float* h0, const float* h1,
                            const float* w, float* dx, float* dh0, float* dh1, float* dw, int64_t B,
                            int64_t H, int64_t L, int64_t k, int64_t J) {
  const bool want_kernel_grads = dh0 || dh1 || dw;
  if (!dx && !want_kernel_grads) return;
  const int64_t rows = B * H, n = rows * L;
  // glo_m is needed for dx (m = 0) and for dh0 (m >= 1).
  const bool need_glo = dx || (dh0 && J > 0);
  // glo_J..glo_1 ping-pong between two scratch arrays (slot m % 2); glo_0 is written into dx.
  DeviceFloats glo_scratch(nullptr, cuda_free);
  if (need_glo && J > 0) glo_scratch = device_floats(2 * n);
  auto glo = [&](int64_t m) -> float* { return m == 0 ? dx : glo_scratch.get() + (m % 2) * n; };
  // Per-level lag correlations (see kernel_grads).
  DeviceFloats c0(nullptr, cuda_free), c1(nullptr, cuda_free);
  if (dh0 && J > 0) c0 = device_floats(J * H * k);
  if (dh1 || dw) c1 = device_floats((J + 1) * H * k);
  if (c0) cuda_zero(c0.get(), static_cast<size_t>(J * H * k) * sizeof(float));
  if (c1) cuda_zero(c1.get(), static_cast<size_t>((J + 1) * H * k) * sizeof(float));

  if (need_glo) launch_scale<false>(dy, w, J, 0, H, L, n, glo(J));
  for (int64_t m = J - 1; m >= 0; --m) {
    const int64_t d = int64_t(1) << m;
    if (c0 || c1)
      launch_correlations(levels + m * n, dy, c0 ? glo(m + 1) : nullptr, B, H, L, k, d,
                          live_lags(k, L, d), c0 ? c0.get() + m * H * k : nullptr,
                          c1 ? c1.get() + m * H * k : nullptr);
    if (need_glo && (m > 0 || dx)) {
      const LevelParams p{h0, h1, w, k, J + 2, J - m, d};
      launch_level<true>(glo(m + 1), dy, p, rows, H, L, glo(m), nullptr);
    }
  }
  if (dw) launch_correlations(levels + J * n, dy, nullptr, B, H, L, k, 1, 1, nullptr, c1.get() + J * H * k);
  if (dx) launch_scale<true>(dy, w, J, J + 1, H, L, n, dx);
  if (want_kernel_grads) {
    launch("kernel_grads", kernel_grads, over_items(H), c0.get(), c1.get(), h1, w, H, k, J, dh0, dh1, dw);
  }
}

}  // namespace lc
