// Layer normalisation over the middle dim of x [outer, n, inner] (any axis of a row-major
// tensor, without a transpose): each row (o, i) is normalised over its n elements. CPU half:
// native/layernorm_cpu.cc; CUDA half: cuda/layernorm.cu (native/dispatch.h).
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

// y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps) with the biased variance;
// weight and bias [n] may be null (1 and 0). Saves mean and rstd per row ([outer * inner]).
LC_KERNEL(void, layernorm_forward, (const float* x, const float* weight, const float* bias,
                                    float* y, float* mean, float* rstd, int64_t outer, int64_t n,
                                    int64_t inner, float eps))

// From dy [outer, n, inner] and the saved mean, rstd: with xhat = (x - mean) * rstd and
// g = dy * weight, dx = rstd * (g - mean_n(g) - xhat * mean_n(g * xhat)); dweight[j] and
// dbias[j] sum dy * xhat and dy over every row (fixed order: deterministic). Any of dx,
// dweight, dbias may be null (not computed).
LC_KERNEL(void, layernorm_backward, (const float* x, const float* weight, const float* mean,
                                     const float* rstd, const float* dy, float* dx, float* dweight,
                                     float* dbias, int64_t outer, int64_t n, int64_t inner))

}  // namespace lc
