// vandermonde (docs/MATH.md §2.3): out[r, l] = 2 Re sum_n v[r,n] exp(x[r % Rx, n] * l), l = 0..L-1.
// Complex values are interleaved (re, im) float pairs. v: [R,N,2]; x: [Rx,N,2] with R a
// multiple of Rx (x's leading dims are a suffix of v's); out: [R,L] real.
// exp(x l) is never built by a recurrence over all l (it would drift): it is the product of
// an anchor exp(x l0), computed directly in double, and exp(x j) for the short offset j = l - l0.
// Memory O(N + L) per row. CPU half: native/vandermonde_cpu.cc; CUDA half: cuda/vandermonde.cu
// (native/dispatch.h). Requires R, Rx, N, L >= 1 with R a multiple of Rx.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

LC_KERNEL(void, vandermonde_forward, (const float* v, const float* x, float* out, int64_t R, int64_t Rx,
                                      int64_t N, int64_t L))
// grad: [R,L], the gradient of out. Writes dv: [R,N,2] and dx: [Rx,N,2] (summed over the
// broadcast rows) as dL/dRe + i dL/dIm; either may be null.
LC_KERNEL(void, vandermonde_backward, (const float* grad, const float* v, const float* x, float* dv,
                                       float* dx, int64_t R, int64_t Rx, int64_t N, int64_t L))

}  // namespace lc
