// vandermonde on CUDA (contract in native/vandermonde.h), in float32 but for the anchors.
// l runs in blocks of kThreads (one thread per l): exp(x l) = exp(x l0) * exp(x j), l = l0 + j.
// The anchor exp(x l0) is computed once per (block, mode) in double (CUDA's double sincos
// reduces phases of any size exactly), and exp(x j), j < kThreads, in float from the exact
// split x j = p + e (fmaf), so neither loses the phase even when Im x * l reaches 1e7.
// Forward: the row's anchors and x are staged in shared memory in tiles of kForwardTile modes.
// Backward: see cuda/modal_grads.cuh; each thread keeps exp(x j) of the tile's modes in
// registers and the block shares the anchors of the current l0.
#include <cuda_runtime.h>

#include "modal_grads.cuh"
#include "vandermonde.h"

namespace lc {
namespace {

constexpr int kThreads = kModalThreads;  // l values per block step; chunks are multiples of it
constexpr int kForwardTile = 128;        // modes staged in shared memory at a time

// v * exp(x l0), in double, rounded to float.
__device__ float2 anchor(float2 v, float2 x, int64_t l0) {
  const double l = static_cast<double>(l0);
  const double m = exp(static_cast<double>(x.x) * l);
  double s, c;
  sincos(static_cast<double>(x.y) * l, &s, &c);
  const double er = m * c, ei = m * s;
  return make_float2(static_cast<float>(v.x * er - v.y * ei), static_cast<float>(v.x * ei + v.y * er));
}

// exp(x j) for an offset j < kThreads. x j = p + e exactly (e is fmaf's rounding error); the
// tiny e enters through a short series (|e| <= ulp(p)/2), keeping float accuracy.
__device__ float2 exp_offset(float2 x, int j) {
  const float fj = static_cast<float>(j);
  const float a = x.x * fj, ae = fmaf(x.x, fj, -a);
  const float p = x.y * fj, pe = fmaf(x.y, fj, -p);
  const float m = expf(a) * (1.f + ae);
  float s, c;
  sincosf(p, &s, &c);
  const float pe2 = pe * pe;
  const float sin_e = pe * (1.f - pe2 * (1.f / 6.f)), cos_e = 1.f - 0.5f * pe2;
  return make_float2(m * (c * cos_e - s * sin_e), m * (s * cos_e + c * sin_e));
}

__global__ void vandermonde_forward_kernel(const float2* __restrict__ v,
                                           const float2* __restrict__ x, int64_t R, int64_t Rx,
                                           int64_t N, int64_t L, float* __restrict__ out) {
  __shared__ float2 s_anchor[kForwardTile], s_x[kForwardTile];
  const int64_t l0 = static_cast<int64_t>(blockIdx.x) * kThreads;
  const int j = threadIdx.x;
  const bool active = l0 + j < L;  // inactive threads still help stage the tiles
  for (int64_t r : row_stride(R)) {
    const float2* vrow = v + r * N;
    const float2* xrow = x + (r % Rx) * N;
    float acc = 0.f;
    for (int64_t n0 = 0; n0 < N; n0 += kForwardTile) {
      const int count = static_cast<int>(std::min<int64_t>(kForwardTile, N - n0));
      __syncthreads();  // the previous tile has been used
      for (int i = threadIdx.x; i < count; i += blockDim.x) {
        s_x[i] = xrow[n0 + i];
        s_anchor[i] = anchor(vrow[n0 + i], s_x[i], l0);
      }
      __syncthreads();
      if (!active) continue;
      float tile = 0.f;  // summed per tile: shorter float sums
      for (int i = 0; i < count; ++i) {
        const float2 a = s_anchor[i], e = exp_offset(s_x[i], j);
        tile += a.x * e.x - a.y * e.y;
      }
      acc += tile;
    }
    if (active) out[r * L + l0 + j] = 2.f * acc;
  }
}

// Per (row, tile of modes, chunk of l), with E = exp(x l) and g the gradient:
//   A = sum_l g conj(E),  B = sum_l g l conj(E)   (dv = 2A, dx = 2 conj(v) B).
__global__ void vandermonde_backward_kernel(const float* __restrict__ grad,
                                            const float2* __restrict__ x, int64_t R, int64_t Rx,
                                            int64_t N, int64_t L, ModalGrid layout,
                                            float* __restrict__ part) {
  __shared__ float shared[kModalThreads / 32 * kPartFloats];
  __shared__ float2 s_anchor[kTileModes];
  const int64_t tile = blockIdx.x % layout.tiles, chunk = blockIdx.x / layout.tiles;
  const int64_t n0 = tile * kTileModes;
  const int64_t l_begin = chunk * layout.chunk_length;
  const int64_t l_end = std::min(L, l_begin + layout.chunk_length);
  const int j = threadIdx.x;
  for (int64_t r : row_stride(R)) {
    const float2* xrow = x + (r % Rx) * N;
    float2 offset[kTileModes];  // exp(x j) of this thread's offset j
#pragma unroll
    for (int k = 0; k < kTileModes; ++k)
      offset[k] = n0 + k < N ? exp_offset(xrow[n0 + k], j) : make_float2(0.f, 0.f);
    float acc[kPartFloats] = {};
    for (int64_t l0 = l_begin; l0 < l_end; l0 += kThreads) {  // uniform over the block
      __syncthreads();  // the previous anchors have been used
      if (j < kTileModes && n0 + j < N) s_anchor[j] = anchor(make_float2(1.f, 0.f), xrow[n0 + j], l0);
      __syncthreads();
      const int64_t l = l0 + j;
      if (l >= l_end) continue;
      const float g = grad[r * L + l], gl = g * static_cast<float>(l);
#pragma unroll
      for (int k = 0; k < kTileModes; ++k) {
        if (n0 + k >= N) break;
        const float2 a = s_anchor[k], o = offset[k];
        const float er = a.x * o.x - a.y * o.y, ei = a.x * o.y + a.y * o.x;
        acc[4 * k] += g * er;  // g conj(E)
        acc[4 * k + 1] -= g * ei;
        acc[4 * k + 2] += gl * er;
        acc[4 * k + 3] -= gl * ei;
      }
    }
    store_part(block_sum(acc, shared), r, chunk, layout.chunks, n0, N, part);
  }
}

}  // namespace

void vandermonde_forward_cuda(const float* v, const float* x, float* out, int64_t R, int64_t Rx,
                              int64_t N, int64_t L) {
  launch("vandermonde_forward_kernel", vandermonde_forward_kernel, over_rows(R, L, kThreads),
         reinterpret_cast<const float2*>(v), reinterpret_cast<const float2*>(x), R, Rx, N, L, out);
}

void vandermonde_backward_cuda(const float* grad, const float* v, const float* x, float* dv,
                               float* dx, int64_t R, int64_t Rx, int64_t N, int64_t L) {
  if (!dv && !dx) return;
  const ModalGrid layout = modal_grid(R, N, L);
  DeviceFloats part = device_floats(R * layout.chunks * N * 4);
  launch("vandermonde_backward_kernel", vandermonde_backward_kernel, layout.grid(R), grad,
         reinterpret_cast<const float2*>(x), R, Rx, N, L, layout, part.get());
  fold_modal_grads_cuda(part.get(), v, R, Rx, layout.chunks, N, 2.f, dv, dx);
}

}  // namespace lc
