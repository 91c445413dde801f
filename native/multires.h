// multiresConv (docs/MATH.md §2.4): the fading-tree multiresolution convolution, by direct dilated
// depthwise causal correlations (no FFT, no decimation). CPU half: native/multires_cpu.cc; CUDA
// half: cuda/multires.cu (native/dispatch.h).
//
// Per row (b,h), with tap r = k-1-j on lag r*d (h[k-1] on the newest sample):
//   conv(x,h,d)[t] = sum_r h[k-1-r] x[t - r*d]   (zero before t = 0)
//   lo_0 = x;  level m = 0..J-1 has dilation d = 2^m and weight column i = J-m:
//     hi_m = conv(lo_m, h1, d),  lo_{m+1} = conv(lo_m, h0, d),  y += w[i]*hi_m
//   y += w[0]*lo_J + w[J+1]*x
// Backward runs the levels in reverse with the adjoint (anti-causal) correlation
//   conv^T(g,h,d)[u] = sum_r h[k-1-r] g[u + r*d]:
//   glo_J = w[0]*dy;  glo_m = conv^T(glo_{m+1}, h0, d) + w[J-m]*conv^T(dy, h1, d)
//   dx = glo_0 + w[J+1]*dy
//   dh0[k-1-r] = sum_m sum_{b,t} glo_{m+1}[t] lo_m[t-r*d]
//   dh1[k-1-r] = sum_m w[J-m] C_m[r],  dw[J-m] = sum_r h1[k-1-r] C_m[r],
//     with C_m[r] = sum_{b,t} dy[t] lo_m[t-r*d];  dw[0] = sum dy*lo_J,  dw[J+1] = sum dy*x.
// The kernel gradients need every lo_m, which the forward pass can save in `levels`.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

// The default (and largest) depth for sequence length L and k >= 2 taps:
// J = ceil(log2((L-1)/(k-1) + 1)), the fewest levels whose receptive field
// 1 + (k-1)(2^J - 1) covers L. Exact integer arithmetic; 0 when L = 1.
inline int64_t multires_max_depth(int64_t L, int64_t k) {
  int64_t J = 0;
  while ((k - 1) * ((int64_t(1) << J) - 1) < L - 1) ++J;
  return J;
}

// Shapes: x, y, dy, dx: [B,H,L]; h0, h1, dh0, dh1: [H,k]; w, dw: [H,J+2];
// levels: [J+1,B,H,L] = lo_0 (a copy of x) .. lo_J. Requires k >= 2 and
// 0 <= J <= multires_max_depth(L, k) (so every dilation is below L).

// Writes y; when `levels` is not null, also stores every lo_m there for backward.
LC_KERNEL(void, multires_forward, (const float* x, const float* h0, const float* h1, const float* w,
                                   float* y, float* levels, int64_t B, int64_t H, int64_t L,
                                   int64_t k, int64_t J))
// Each output may be null (not needed); dh0, dh1 and dw need `levels`. Outputs are
// overwritten, not accumulated. Results do not depend on the number of threads.
LC_KERNEL(void, multires_backward, (const float* dy, const float* levels, const float* h0,
                                    const float* h1, const float* w, float* dx, float* dh0,
                                    float* dh1, float* dw, int64_t B, int64_t H, int64_t L,
                                    int64_t k, int64_t J))

}  // namespace lc
