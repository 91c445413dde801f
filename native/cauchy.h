// cauchy (docs/MATH.md §2.2): out[r, l] = sum_n v[r,n] / (z[l] - w[r % Rw, n])
//                      (+ conj(v[r,n]) / (z[l] - conj(w[r % Rw, n])) when conj is set).
// Complex values are interleaved (re, im) float pairs. v: [R,N,2]; w: [Rw,N,2] with R a
// multiple of Rw (w's leading dims are a suffix of v's); z: [L,2]; out: [R,L,2].
// Memory O(N + L) per row: the N x L matrix is never formed. CPU half: native/cauchy_cpu.cc;
// CUDA half: cuda/cauchy.cu (native/dispatch.h). Requires R, Rw, N, L >= 1 with R a multiple of Rw.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

LC_KERNEL(void, cauchy_forward, (const float* v, const float* w, const float* z, float* out, int64_t R,
                                 int64_t Rw, int64_t N, int64_t L, bool conj))
// grad: [R,L,2], the gradient of out (dL/dRe + i dL/dIm). Writes dv: [R,N,2] and dw: [Rw,N,2]
// (summed over the broadcast rows), each in the same convention; either may be null.
LC_KERNEL(void, cauchy_backward, (const float* grad, const float* v, const float* w, const float* z,
                                  float* dv, float* dw, int64_t R, int64_t Rw, int64_t N, int64_t L,
                                  bool conj))

}  // namespace lc
