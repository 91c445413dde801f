// Kernels of softmax and logSoftmax along one axis. CPU half: native/softmax_cpu.cc; CUDA half:
// cuda/softmax.cu (native/dispatch.h). The input is seen as [outer, n, inner] (row-major) and
// each of the outer * inner slices of n elements (stride inner) is normalised on its own, so
// any axis works without a transpose. `log` selects logSoftmax. Requires n >= 1.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

// y = exp(x - m) / s, or with `log` y = x - m - log(s), where m is the slice's maximum and
// s = sum exp(x - m) (no overflow for any finite x).
LC_KERNEL(void, softmax_forward, (const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                                  bool log))
// From the forward output y: dx = y * (dy - sum(dy * y)) for softmax, dx = dy - exp(y) * sum(dy)
// for logSoftmax (sums over the slice).
LC_KERNEL(void, softmax_backward, (const float* y, const float* dy, float* dx, int64_t outer,
                                   int64_t n, int64_t inner, bool log))

}  // namespace lc
