// cauchy (SPEC §1.2): out[r, l] = sum_n v[r,n] / (z[l] - w[r % Rw, n])
//                      (+ conj(v[r,n]) / (z[l] - conj(w[r % Rw, n])) when conj is set).
// Complex values are interleaved (re, im) float pairs. v: [R,N,2]; w: [Rw,N,2] with R a
// multiple of Rw (w's leading dims are a suffix of v's); z: [L,2]; out: [R,L,2].
// Memory O(N + L) per row: the N x L matrix is never formed. The CPU kernels
// (native/cauchy_cpu.cc) and the CUDA kernels (cuda/cauchy.cu) share these signatures; every
// pointer lives on its backend's device.
#pragma once
#include <cstdint>

namespace lc {

void cauchy_forward_cpu(const float* v, const float* w, const float* z, int64_t R, int64_t Rw,
                        int64_t N, int64_t L, bool conj, float* out);
// grad: [R,L,2], the gradient of out (dL/dRe + i dL/dIm). Writes dv: [R,N,2] and dw: [Rw,N,2]
// (summed over the broadcast rows), each in the same convention; either may be null.
void cauchy_backward_cpu(const float* grad, const float* v, const float* w, const float* z,
                         int64_t R, int64_t Rw, int64_t N, int64_t L, bool conj, float* dv,
                         float* dw);

// ---- CUDA (same contract; throws lc::Error when CUDA is unavailable) ----
void cauchy_forward_cuda(const float* v, const float* w, const float* z, int64_t R, int64_t Rw,
                         int64_t N, int64_t L, bool conj, float* out);
void cauchy_backward_cuda(const float* grad, const float* v, const float* w, const float* z,
                          int64_t R, int64_t Rw, int64_t N, int64_t L, bool conj, float* dv,
                          float* dw);

}  // namespace lc
