// vandermonde (SPEC §1.3): out[r, l] = 2 Re sum_n v[r,n] exp(x[r % Rx, n] * l), l = 0..L-1.
// Complex values are interleaved (re, im) float pairs. v: [R,N,2]; x: [Rx,N,2] with R a
// multiple of Rx (x's leading dims are a suffix of v's); out: [R,L] real.
// exp(x l) is never built by a recurrence over all l (it would drift): it is the product of
// an anchor exp(x l0), computed directly in double, and exp(x j) for the short offset j = l - l0.
// Memory O(N + L) per row. The CPU kernels (native/vandermonde_cpu.cc) and the CUDA kernels
// (cuda/vandermonde.cu) share these signatures; every pointer lives on its backend's device.
#pragma once
#include <cstdint>

namespace lc {

void vandermonde_forward_cpu(const float* v, const float* x, int64_t R, int64_t Rx, int64_t N,
                             int64_t L, float* out);
// grad: [R,L], the gradient of out. Writes dv: [R,N,2] and dx: [Rx,N,2] (summed over the
// broadcast rows) as dL/dRe + i dL/dIm; either may be null.
void vandermonde_backward_cpu(const float* grad, const float* v, const float* x, int64_t R,
                              int64_t Rx, int64_t N, int64_t L, float* dv, float* dx);

// ---- CUDA (same contract; throws lc::Error when CUDA is unavailable) ----
void vandermonde_forward_cuda(const float* v, const float* x, int64_t R, int64_t Rx, int64_t N,
                              int64_t L, float* out);
void vandermonde_backward_cuda(const float* grad, const float* v, const float* x, int64_t R,
                               int64_t Rx, int64_t N, int64_t L, float* dv, float* dx);

}  // namespace lc
