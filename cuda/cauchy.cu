// cauchy on CUDA (contract in native/cauchy.h), in float32, 1/(z - w) scaled (inverse_conj).
// Forward: one thread per output frequency l, a block's threads covering consecutive l; the
// row's v and w are staged through shared memory in tiles of kForwardTile modes (any N).
// Backward: see cuda/modal_grads.cuh; each thread keeps the tile's w in registers and strides
// over l, reading z[l] and grad[r,l] once for all kTileModes modes.
#include <cuda_runtime.h>

#include "cauchy.h"
#include "inverse_conj.h"
#include "modal_grads.cuh"

namespace lc {
namespace {

constexpr int kForwardThreads = 256;  // consecutive l per forward block
constexpr int kForwardTile = 256;  // modes staged in shared memory at a time

__device__ inline float2 cmul(float2 a, float2 b) {
  return make_float2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// d / |d|^2 with d = z - w, overflow-free (cuda/inverse_conj.h).
__device__ inline float2 inverse_difference(float2 z, float2 w) {
  float2 u;
  inverse_conj(z.x - w.x, z.y - w.y, u.x, u.y);
  return u;
}

// v / (z - w) = v conj(d) / |d|^2 with d = z - w.
__device__ inline float2 cauchy_term(float2 z, float2 v, float2 w) {
  const float2 u = inverse_difference(z, w);
  return make_float2(v.x * u.x + v.y * u.y, v.y * u.x - v.x * u.y);
}

template <bool kConj>
__global__ void cauchy_forward_kernel(const float2* __restrict__ v, const float2* __restrict__ w,
                                      const float2* __restrict__ z, int64_t R, int64_t Rw,
                                      int64_t N, int64_t L, float2* __restrict__ out) {
  __shared__ float2 sv[kForwardTile], sw[kForwardTile];
  const int64_t l = global_thread();
  const bool active = l < L;  // inactive threads still help stage the tiles
  const float2 zl = active ? z[l] : make_float2(0.f, 0.f);
  for (int64_t r : row_stride(R)) {
    const float2* vrow = v + r * N;
    const float2* wrow = w + (r % Rw) * N;
    float2 acc = make_float2(0.f, 0.f);
    for (int64_t n0 = 0; n0 < N; n0 += kForwardTile) {
      const int count = static_cast<int>(std::min<int64_t>(kForwardTile, N - n0));
      __syncthreads();  // the previous tile has been used
      for (int i = threadIdx.x; i < count; i += blockDim.x) {
        sv[i] = vrow[n0 + i];
        sw[i] = wrow[n0 + i];
      }
      __syncthreads();
      if (!active) continue;
      float2 tile = make_float2(0.f, 0.f);  // summed per tile: shorter float sums
      for (int i = 0; i < count; ++i) {
        const float2 a = cauchy_term(zl, sv[i], sw[i]);
        tile.x += a.x;
        tile.y += a.y;
        if (kConj) {
          const float2 b = cauchy_term(zl, make_float2(sv[i].x, -sv[i].y),
                                       make_float2(sw[i].x, -sw[i].y));
          tile.x += b.x;
          tile.y += b.y;
        }
      }
      acc.x += tile.x;
      acc.y += tile.y;
    }
    if (active) out[r * L + l] = acc;
  }
}

// Per (row, tile of modes, chunk of l): with d = z - w, e = z - conj(w) and g the gradient,
//   A = sum_l d g / |d|^2 [+ conj(e g) / |e|^2],  B = sum_l d^2 g / |d|^4 [+ conj(e^2 g) / |e|^4]
// (the derivation is beside cauchy_backward_cpu).
template <bool kConj>
__global__ void cauchy_backward_kernel(const float2* __restrict__ grad,
                                       const float2* __restrict__ w, const float2* __restrict__ z,
                                       int64_t R, int64_t Rw, int64_t N, int64_t L,
                                       ModalGrid layout, float* __restrict__ part) {
  __shared__ float shared[kModalThreads / 32 * kPartFloats];
  const int64_t tile = blockIdx.x % layout.tiles, chunk = blockIdx.x / layout.tiles;
  const int64_t n0 = tile * kTileModes;
  const int64_t l_begin = chunk * layout.chunk_length;
  const int64_t l_end = std::min(L, l_begin + layout.chunk_length);
  for (int64_t r : row_stride(R)) {
    float2 wn[kTileModes];
#pragma unroll
    for (int k = 0; k < kTileModes; ++k)
      wn[k] = n0 + k < N ? w[(r % Rw) * N + n0 + k] : make_float2(0.f, 0.f);
    float acc[kPartFloats] = {};
    for (int64_t l = l_begin + threadIdx.x; l < l_end; l += blockDim.x) {
      const float2 zl = z[l], g = grad[r * L + l];
#pragma unroll
      for (int k = 0; k < kTileModes; ++k) {
        if (n0 + k >= N) break;
        // d g / |d|^2 and d^2 g / |d|^4 as products of d / |d|^2 (no overflow).
        const float2 p = inverse_difference(zl, wn[k]);
        const float2 q = cmul(p, g), qd = cmul(q, p);
        acc[4 * k] += q.x;
        acc[4 * k + 1] += q.y;
        acc[4 * k + 2] += qd.x;
        acc[4 * k + 3] += qd.y;
        if (kConj) {
          const float2 s = inverse_difference(zl, make_float2(wn[k].x, -wn[k].y));
          const float2 u = cmul(s, g), ue = cmul(u, s);
          acc[4 * k] += u.x;
          acc[4 * k + 1] -= u.y;
          acc[4 * k + 2] += ue.x;
          acc[4 * k + 3] -= ue.y;
        }
      }
    }
    store_part(block_sum(acc, shared), r, chunk, layout.chunks, n0, N, part);
  }
}

}  // namespace

void cauchy_forward_cuda(const float* v, const float* w, const float* z, float* out, int64_t R,
                         int64_t Rw, int64_t N, int64_t L, bool conj) {
  launch("cauchy_forward_kernel", conj ? cauchy_forward_kernel<true> : cauchy_forward_kernel<false>,
         over_rows(R, L, kForwardThreads), reinterpret_cast<const float2*>(v),
         reinterpret_cast<const float2*>(w), reinterpret_cast<const float2*>(z), R, Rw, N, L,
         reinterpret_cast<float2*>(out));
}

void cauchy_backward_cuda(const float* grad, const float* v, const float* w, const float* z,
                          float* dv, float* dw, int64_t R, int64_t Rw, int64_t N, int64_t L,
                          bool conj) {
  if (!dv && !dw) return;
  const ModalGrid layout = modal_grid(R, N, L);
  DeviceFloats part = device_floats(R * layout.chunks * N * 4);
  launch("cauchy_backward_kernel",
         conj ? cauchy_backward_kernel<true> : cauchy_backward_kernel<false>, layout.grid(R),
         reinterpret_cast<const float2*>(grad), reinterpret_cast<const float2*>(w),
         reinterpret_cast<const float2*>(z), R, Rw, N, L, layout, part.get());
  fold_modal_grads_cuda(part.get(), v, R, Rw, layout.chunks, N, 1.f, dv, dw);
}

}  // namespace lc
