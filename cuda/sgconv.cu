// SGConv kernel on CUDA (contract in native/sgconv.h). The index arithmetic is shared with the
// CPU backend (native/sgconv_math.h). Forward: one block per row reduces the norm, then one
// thread per output sample. Backward: one thread per sub-kernel tap gathers the (at most 2*s_i)
// output gradients that read it, so no atomics are needed. Everything runs on the default
// stream; the sub-kernel pointers travel by value in the kernel parameters.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernel_common.cuh"
#include "sgconv.h"
#include "sgconv_math.h"

namespace lc {
namespace {

template <typename T>
struct PointerList {
  T* at[kSgconvMaxSubKernels];
};

template <typename T>
PointerList<T> pointer_list(T* const* pointers, int64_t S) {
  PointerList<T> list{};  // S <= kSgconvMaxSubKernels: a precondition (native/sgconv.h)
  for (int64_t i = 0; i < S; ++i) list.at[i] = pointers[i];
  return list;
}

struct Geometry {
  int64_t S, H, d, initScale, L, T, rows;
};

// Sample t < T of row `row` of the concatenation, before the division by the norm.
__device__ float concatenated(const PointerList<const float>& w, const float* multiplier,
                              const Geometry& g, int64_t row, int64_t t) {
  const int64_t i = sgconv::segment_of(t, g.d, g.initScale);
  const int64_t s = sgconv::scale_of(i, g.initScale);
  return sgconv::decay_of(multiplier[row % g.H], g.S, i) *
         sgconv::upsampled(w.at[i] + row * g.d, t - sgconv::offset_of(i, g.d, g.initScale), s, g.d);
}

// norm[row] = L2 norm of the untruncated row (length T). One block of kBlock threads per row.
// The sum is in double, as on the CPU: T can exceed 2^24.
__global__ void row_norms(PointerList<const float> w, const float* __restrict__ multiplier,
                          Geometry g, float* __restrict__ norm) {
  __shared__ double partial[kBlock];
  for (int64_t row : block_stride(g.rows)) {
    double sum = 0;
    for (int64_t t = threadIdx.x; t < g.T; t += blockDim.x) {
      const float v = concatenated(w, multiplier, g, row, t);
      sum += double(v) * v;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = kBlock / 2; stride > 0; stride /= 2) {
      if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
      __syncthreads();
    }
    if (threadIdx.x == 0) norm[row] = float(sqrt(partial[0]));
    __syncthreads();  // partial is reused by the next row
  }
}

__global__ void forward_samples(PointerList<const float> w, const float* __restrict__ multiplier,
                                const float* __restrict__ norm, Geometry g, float* __restrict__ out) {
  const int64_t n = g.rows * g.L;
  for (int64_t k : grid_stride(n)) {
    const int64_t row = k / g.L, t = k % g.L;
    out[k] = t < g.T ? concatenated(w, multiplier, g, row, t) * (1.f / norm[row]) : 0.f;
  }
}

__global__ void backward_taps(const float* __restrict__ dOut, const float* __restrict__ multiplier,
                              const float* __restrict__ norm, Geometry g, PointerList<float> dw) {
  const int64_t perSubKernel = g.rows * g.d, n = g.S * perSubKernel;
  for (int64_t k : grid_stride(n)) {
    const int64_t i = k / perSubKernel, tap = k % perSubKernel;
    if (!dw.at[i]) continue;
    const int64_t row = tap / g.d, p = tap % g.d;
    const int64_t s = sgconv::scale_of(i, g.initScale);
    const int64_t kept = sgconv::kept_in_segment(i, g.d, g.initScale, g.L);
    const float factor = sgconv::decay_of(multiplier[row % g.H], g.S, i) * (1.f / norm[row]);
    dw.at[i][tap] = factor * sgconv::tap_gradient(dOut + row * g.L, sgconv::offset_of(i, g.d, g.initScale),
                                                  p, s, g.d, kept);
  }
}

Geometry geometry(int64_t S, int64_t C, int64_t H, int64_t d, int64_t initScale, int64_t L) {
  return {S, H, d, initScale, L, sgconv::total_length(S, d, initScale), C * H};
}

}  // namespace

void sgconv_kernel_forward_cuda(const float* const* subKernels, const float* multiplier, float* out,
                                float* norm, int64_t S, int64_t C, int64_t H, int64_t d,
                                int64_t initScale, int64_t L, bool computeNorm) {
  const PointerList<const float> w = pointer_list(subKernels, S);
  const Geometry g = geometry(S, C, H, d, initScale, L);
  if (g.rows == 0 || L == 0) return;
  if (computeNorm) {
    launch("sgconv row_norms", row_norms, over_blocks(g.rows), w, multiplier, g, norm);
  }
  launch("sgconv forward_samples", forward_samples, over_items(g.rows * L), w, multiplier, norm, g, out);
}

void sgconv_kernel_backward_cuda(const float* dOut, const float* multiplier, const float* norm,
                                 float* const* dSubKernels, int64_t S, int64_t C, int64_t H,
                                 int64_t d, int64_t initScale, int64_t L) {
  const PointerList<float> dw = pointer_list(dSubKernels, S);
  const Geometry g = geometry(S, C, H, d, initScale, L);
  if (g.rows == 0 || d == 0) return;
  launch("sgconv backward_taps", backward_taps, over_items(S * g.rows * d), dOut, multiplier, norm, g, dw);
}

}  // namespace lc
