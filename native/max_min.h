// Kernels of max, min, argmax and argmin along one axis. CPU half: native/max_min_cpu.cc; CUDA
// half: cuda/max_min.cu (native/dispatch.h). The input is seen as [outer, n, inner] (row-major);
// each of the outer * inner slices of n elements (stride inner) gives one value and one index.
// Requires n >= 1.
#pragma once
#include <cstdint>

#include "dispatch.h"
#include "elementwise_ops.h"  // LC_HD

namespace lc {

// Whether element (v, j) beats the best so far (best, k) of a maximum (`is_max`) or minimum
// search: NaN beats every number (the result is NaN, as in PyTorch), and ties go to the lower
// index, so the first extreme element is found whatever order the elements are visited in.
LC_HD inline bool max_min_beats(float v, int64_t j, float best, int64_t k, bool is_max) {
  if (v != v) return best == best || j < k;
  if (best != best) return false;
  if (v == best) return j < k;
  return is_max ? v > best : v < best;
}

// values [outer, inner] = the slice's maximum (`is_max`) or minimum; indices [outer, inner] = its
// position in [0, n), as a float (exact for n <= 2^24: the TS op checks). values may be null
// (argmax, argmin).
LC_KERNEL(void, max_min_forward, (const float* x, float* values, float* indices, int64_t outer,
                                  int64_t n, int64_t inner, bool is_max))
// dx [outer, n, inner] = 0 except dx[o, indices[o, i], i] = dy[o, i] (the gradient of values).
// An index outside [0, n) adds nothing.
LC_KERNEL(void, max_min_backward, (const float* indices, const float* dy, float* dx, int64_t outer,
                                   int64_t n, int64_t inner))

}  // namespace lc
